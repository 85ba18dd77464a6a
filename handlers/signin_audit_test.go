package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/audit"
	"outlay/internal/testutil"
	"outlay/models"
)

// Text typed in the sign-in form's email box that is not an email address (a password typed
// in the wrong box) is kept nowhere: the audit log says "(not an email address)" and the failed
// sign-ins count it by a keyed hash, which still locks it after five tries.
func TestSignInWithSomethingElseThanAnEmailKeepsItNowhere(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	const typed = "Correct-Horse-Battery-7"
	for i := range 5 {
		c.Get("/login")
		if res := c.Post("/login", url.Values{"email": {typed}, "password": {"x"}}); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d", i+1, res.Status)
		}
	}
	c.Get("/login")
	if res := c.Post("/login", url.Values{"email": {" " + strings.ToLower(typed) + " "}, "password": {"x"}}); res.Status != http.StatusTooManyRequests {
		t.Errorf("sixth attempt with the same text: status %d, want 429", res.Status)
	}
	db := env.DB(t, acme)
	var kept int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE strpos(lower(actor_label || ' ' || coalesce(subject, '') || ' ' || coalesce(details::text, '')), lower(?)) > 0`, typed).Scan(&kept)
	if kept > 0 {
		t.Errorf("the typed text is in %d audit rows", kept)
	}
	db.Raw(`SELECT count(*) FROM login_failures WHERE strpos(lower(email), lower(?)) > 0`, typed).Scan(&kept)
	if kept > 0 {
		t.Errorf("the typed text is in %d failed sign-ins", kept)
	}
	var failures int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = ? AND subject = ? AND actor_label = ?`,
		audit.EventSignInFailure, models.NotAnEmailAddress, models.NotAnEmailAddress).Scan(&failures)
	if failures != 5 {
		t.Errorf("%d failures audited as %q, want 5", failures, models.NotAnEmailAddress)
	}
}

// The fifth failed sign-in locks the account, and the audit log says so once, with how many
// failures locked it and until when; the attempts the lock refuses add nothing.
func TestAccountLockIsAuditedOnceAsItBegins(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	db := env.DB(t, acme)
	locks := func() []string {
		var details []string
		db.Raw(`SELECT details::text FROM audit_log WHERE event = ? AND subject = ?`, audit.EventSignInLocked, "ana@acme.example").Scan(&details)
		return details
	}
	for i := range 5 {
		if n := len(locks()); n != 0 {
			t.Fatalf("a lock audited after %d failures", i)
		}
		c.Get("/login")
		if res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {"wrong"}}); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d", i+1, res.Status)
		}
	}
	for range 2 {
		c.Get("/login")
		if res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusTooManyRequests {
			t.Fatalf("an attempt while locked: status %d, want 429", res.Status)
		}
	}
	got := locks()
	if len(got) != 1 {
		t.Fatalf("%d signin.locked events, want 1", len(got))
	}
	var details struct {
		Failures int    `json:"failures"`
		Until    string `json:"until"`
	}
	if err := json.Unmarshal([]byte(got[0]), &details); err != nil {
		t.Fatal(err)
	}
	until, err := time.Parse(time.RFC3339, details.Until)
	if details.Failures != 5 || err != nil || until.Before(time.Now().Add(10*time.Minute)) || until.After(time.Now().Add(16*time.Minute)) {
		t.Errorf("the lock's details: %s", got[0])
	}
}
