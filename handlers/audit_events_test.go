package handlers_test

import (
	"net/url"
	"testing"

	"outlay/internal/testutil"
)

// Sign-in failures and successes, sign-out and password resets are recorded with who did
// them, from which request and address; so is the change a request makes to a row.
func TestSecurityEventsAreAudited(t *testing.T) {
	t.Parallel()
	env, tn := testutil.NewTenant(t)
	env.CreateUser(t, tn, "ana@acme.example", "Ana Admin", "admin")
	// The in-process peer stands for a trusted proxy, whose request id is kept.
	env.Config.TrustedProxies = []string{"0.0.0.0"}
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	acme, _ := app.Registry.Lookup("acme")
	db := app.DB(t, acme)
	var ana struct{ ID int64 }
	db.Raw(`SELECT id FROM users WHERE email = 'ana@acme.example'`).Scan(&ana)
	var mark int64
	db.Raw(`SELECT max(id) FROM audit_log`).Scan(&mark)

	c.Header.Set("X-Request-Id", "req-audit-0001")
	c.Get("/login")
	c.Post("/login", url.Values{"email": {"ANA@acme.example"}, "password": {"not the password"}})
	c.Post("/login", url.Values{"email": {"nobody@acme.example"}, "password": {"not the password"}})
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/dashboard")
	c.Post("/logout", nil)
	path := requestReset(t, app, c, "ana@acme.example")
	c.Get(path)
	res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.Status != 303 {
		t.Fatalf("reset: %d", res.Status)
	}

	var recs []struct {
		ActorType, ActorLabel, Action, RequestID, IP string
		ActorID                                      int64
		Event, Subject, TableName, Changed           *string
	}
	err := db.Raw(`SELECT actor_type, actor_id, actor_label, action, event, subject, table_name, changed::text AS changed, request_id, ip
		FROM audit_log WHERE id > ? ORDER BY id`, mark).Scan(&recs).Error
	if err != nil {
		t.Fatal(err)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	want := []struct {
		what           string
		actorID        int64
		label, subject string
	}{
		{"signin.failure", 0, "ANA@acme.example", "ANA@acme.example"},
		{"signin.failure", 0, "nobody@acme.example", "nobody@acme.example"},
		{"signin.success", ana.ID, "ana@acme.example", "ana@acme.example"},
		{"signout", ana.ID, "ana@acme.example", "ana@acme.example"},
		{"users {password_hash,updated_at}", ana.ID, "ana@acme.example", ""},
		{"password.reset", ana.ID, "ana@acme.example", "ana@acme.example"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		r := recs[i]
		what := str(r.Event)
		if r.Action != "event" {
			what = str(r.TableName) + " " + str(r.Changed)
		}
		if what != w.what || r.ActorType != "user" || r.ActorID != w.actorID || r.ActorLabel != w.label || str(r.Subject) != w.subject {
			t.Errorf("record %d: %s by %s %d %q about %q; want %s by user %d %q about %q",
				i, what, r.ActorType, r.ActorID, r.ActorLabel, str(r.Subject), w.what, w.actorID, w.label, w.subject)
		}
		if r.RequestID == "" || r.IP == "" {
			t.Errorf("record %d has no request id (%q) or address (%q)", i, r.RequestID, r.IP)
		}
	}
	if recs[0].RequestID != "req-audit-0001" {
		t.Errorf("request id %q, want the one the request carried", recs[0].RequestID)
	}
}
