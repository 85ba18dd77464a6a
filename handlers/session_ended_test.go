package handlers_test

import (
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
)

// Someone whose session ran out, idle or at its longest, is told why at the sign-in page it
// sends them to; someone who signed out, or whose session was ended, is told nothing of it.
func TestSignInPageSaysWhyTheSessionEnded(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	for _, c := range []struct {
		name, end, want string
	}{
		{"idle", `UPDATE sessions SET last_seen_at = now() - interval '30 days'`, "without activity"},
		{"at its longest", `UPDATE sessions SET expires_at = now() - interval '1 second'`, "a session lasts at most"},
		{"ended", `DELETE FROM sessions`, ""},
	} {
		browser := app.Client(t, "acme")
		browser.SignIn("rita@acme.example", testutil.Password)
		if err := db.Exec(c.end).Error; err != nil {
			t.Fatal(err)
		}
		flash := flashAfter(t, browser, browser.Get("/requisitions"))
		if c.want == "" && strings.Contains(flash, "signed out") || c.want != "" && !strings.Contains(flash, c.want) {
			t.Errorf("a session %s: the sign-in page says %q, want %q", c.name, flash, c.want)
		}
		// Once told, not again.
		if again := browser.Get("/login").Text(".flash"); strings.Contains(again, "signed out") {
			t.Errorf("a session %s: told again: %q", c.name, again)
		}
	}
	// Someone who opens the sign-in page itself with a session that ran out is not told after
	// signing in again that they were signed out.
	browser := app.Client(t, "acme")
	browser.SignIn("rita@acme.example", testutil.Password)
	if err := db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '30 days'`).Error; err != nil {
		t.Fatal(err)
	}
	browser.Get("/login")
	res := browser.Post("/login", url.Values{"email": {"rita@acme.example"}, "password": {testutil.Password}})
	if flash := flashAfter(t, browser, res); strings.Contains(flash, "signed out") {
		t.Errorf("after signing in again from the sign-in page: %q", flash)
	}
}
