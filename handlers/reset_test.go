package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"outlay/internal/testutil"
)

var resetLink = regexp.MustCompile(`http://acme\.localhost:8080(/password/reset/[A-Za-z0-9_-]+)`)

// requestReset asks for a reset link for email and returns its path.
func requestReset(t *testing.T, app *testutil.App, c *testutil.Client, email string) string {
	t.Helper()
	before := len(app.Mail.Sent())
	c.Get("/password/forgot")
	res := c.Post("/password/forgot", url.Values{"email": {email}})
	if res.Status != 200 || res.Text("h1") != "Check your email" {
		t.Fatalf("forgot: %d %q", res.Status, res.Text("h1"))
	}
	sent := app.WaitMail(t, before+1)
	m := sent[len(sent)-1]
	if m.To != email {
		t.Fatalf("mail to %q", m.To)
	}
	link := resetLink.FindStringSubmatch(m.Body)
	if link == nil {
		t.Fatalf("no link in mail: %s", m.Body)
	}
	return link[1]
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	other := app.Client(t, "acme")
	other.SignIn("ana@acme.example", testutil.Password)

	path := requestReset(t, app, c, "ana@acme.example")
	form := c.Get(path)
	if form.Status != 200 || form.Text("h1") != "Set a new password" {
		t.Fatalf("reset page: %d %q", form.Status, form.Text("h1"))
	}
	// Bad input keeps the link usable and says what is wrong.
	if res := c.Post(path, url.Values{"password": {"short"}, "confirm": {"short"}}); res.Status != http.StatusUnprocessableEntity || res.Text("#password-error") != "Use at least 10 characters." {
		t.Errorf("short password: %d %q", res.Status, res.Text("#password-error"))
	}
	if res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"something else"}}); res.Status != http.StatusUnprocessableEntity || res.Text("#confirm-error") != "The two passwords do not match." {
		t.Errorf("mismatch: %d %q", res.Status, res.Text("#confirm-error"))
	}
	res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("reset: %d %q", res.Status, res.Location())
	}
	if got := c.Get("/dashboard").Text(".flash"); !strings.Contains(got, "Your password has been changed") {
		t.Errorf("flash %q", got)
	}
	// Everyone else signed in with the old password is signed out.
	if res := other.Get("/dashboard"); res.Status != http.StatusSeeOther {
		t.Errorf("other session survived the reset: %d", res.Status)
	}
	// The link works once.
	c.Cookies = map[string]string{}
	if res := c.Get(path); res.Status != http.StatusNotFound || res.Text("h1") != "This link no longer works" {
		t.Errorf("reused link: %d %q", res.Status, res.Text("h1"))
	}
	c.Get("/login")
	if res := c.Post(path, url.Values{"password": {"yet another password"}, "confirm": {"yet another password"}}); res.Status != http.StatusNotFound {
		t.Errorf("reused link accepted a password: %d", res.Status)
	}
	// The old password is gone, the new one works.
	c.Get("/login")
	if res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("old password still works: %d", res.Status)
	}
	c.SignIn("ana@acme.example", "a brand new password")
}

func TestPasswordResetExpiredAndUnknown(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	path := requestReset(t, app, c, "ana@acme.example")
	db := app.DB(t, mustTenant(t, app, "acme"))
	if err := db.Exec(`UPDATE password_resets SET expires_at = now() - interval '1 second'`).Error; err != nil {
		t.Fatal(err)
	}
	if res := c.Get(path); res.Status != http.StatusNotFound {
		t.Errorf("expired link: %d", res.Status)
	}
	if res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}}); res.Status != http.StatusNotFound {
		t.Errorf("expired link accepted: %d", res.Status)
	}
	if res := c.Get("/password/reset/not-a-real-token"); res.Status != http.StatusNotFound {
		t.Errorf("made-up link: %d", res.Status)
	}
	// Asking for an unknown address looks the same as for a real one, and sends nothing.
	before := len(app.Mail.Sent())
	c.Get("/password/forgot")
	res := c.Post("/password/forgot", url.Values{"email": {"nobody@acme.example"}})
	if res.Status != 200 || res.Text("h1") != "Check your email" {
		t.Errorf("unknown email: %d %q", res.Status, res.Text("h1"))
	}
	// It names neither a link nor single sign-on as what was sent: either may be.
	if got := res.Text("main p"); !strings.Contains(got, "an email saying what to do next") || !strings.Contains(got, "single sign-on") {
		t.Errorf("the page says %q", got)
	}
	app.WaitJobs(t)
	if len(app.Mail.Sent()) != before {
		t.Error("mail sent for an unknown address")
	}
	c.Get("/password/forgot")
	if res := c.Post("/password/forgot", url.Values{"email": {"not an email"}}); res.Status != http.StatusUnprocessableEntity || res.Text("#email-error") == "" {
		t.Errorf("bad email: %d %q", res.Status, res.Text("#email-error"))
	}
}

func TestPasswordResetMailIsCapped(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	for i := 0; i < 7; i++ {
		c.Get("/password/forgot")
		if res := c.Post("/password/forgot", url.Values{"email": {"ana@acme.example"}}); res.Status != 200 || res.Text("h1") != "Check your email" {
			t.Fatalf("request %d: %d %q", i+1, res.Status, res.Text("h1"))
		}
	}
	app.WaitJobs(t)
	if n := len(app.Mail.Sent()); n != 5 {
		t.Errorf("%d reset mails sent for 7 requests in an hour, want 5", n)
	}
}

// A lapsed organisation's people have until the purge to sign in and export: one who forgot
// their password is mailed a link and sets a new one, though every other change is refused.
func TestALapsedOrganisationsPeopleMayResetTheirPassword(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	if err := app.Registry.SetStatus(context.Background(), "acme", "lapsed"); err != nil {
		t.Fatal(err)
	}
	path := requestReset(t, app, c, "ana@acme.example")
	c.Get(path)
	res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("reset in a lapsed organisation: %d %q %s", res.Status, res.Location(), res.Text("main"))
	}
	if dash := c.Get("/dashboard"); !strings.Contains(dash.Text(".standing-notice"), "read-only") {
		t.Errorf("after the reset the dashboard reads %q", dash.Text(".standing-notice"))
	}
	c.Cookies = map[string]string{}
	c.SignIn("ana@acme.example", "a brand new password")
}
