package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
)

// lockOut makes the five wrong guesses that pause password sign-in for email.
func lockOut(t *testing.T, c *testutil.Client, email string) {
	t.Helper()
	for i := range 5 {
		if res := tryPassword(c, email, "guess number "+string(rune('a'+i))); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: status %d", i+1, res.Status)
		}
	}
}

// accountFailures is how many failed sign-ins count against email's account.
func accountFailures(t *testing.T, db *gorm.DB, email string) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(`SELECT count(*) FROM login_failures WHERE lower(email) = lower(?)`, email).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Guesses made while an account is paused are refused unchecked and never lengthen the
// pause: not from a stranger's browser, and not from the owner's remembered one (which still
// counts them against itself). The pause ends when the first five have aged out.
func TestGuessesWhileLockedDoNotLengthenTheLock(t *testing.T) {
	t.Parallel()
	app, ana := newApp(t)
	db := app.DB(t, mustTenant(t, app, "acme"))
	ana.SignIn("ana@acme.example", testutil.Password)
	signOut(t, ana)

	attacker := app.Client(t, "acme")
	lockOut(t, attacker, "ana@acme.example")
	for i := range 10 {
		if res := tryPassword(attacker, "ana@acme.example", "more guesses "+string(rune('a'+i))); res.Status != http.StatusTooManyRequests {
			t.Fatalf("guess %d while paused: status %d, want 429", i+1, res.Status)
		}
	}
	for i := range 3 {
		if res := tryPassword(ana, "ana@acme.example", "typo "+string(rune('a'+i))); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("typo %d from Ana's remembered browser: status %d, want 422", i+1, res.Status)
		}
	}
	if n := accountFailures(t, db, "ana@acme.example"); n != 5 {
		t.Errorf("%d failures count against the account, want the 5 that paused it", n)
	}
	var fromDevice int64
	db.Raw(`SELECT count(*) FROM login_failures WHERE device IS NOT NULL`).Scan(&fromDevice)
	if fromDevice != 3 {
		t.Errorf("%d failures count against Ana's browser, want 3", fromDevice)
	}
	// Once the five that paused it are older than the window, a new browser gets in.
	if err := db.Exec(`UPDATE login_failures SET at = at - interval '16 minutes' WHERE lower(email) = 'ana@acme.example'`).Error; err != nil {
		t.Fatal(err)
	}
	if res := tryPassword(attacker, "ana@acme.example", testutil.Password); res.Status != http.StatusSeeOther {
		t.Errorf("right password once the pause is over: status %d %q", res.Status, res.Text(".flash-error"))
	}
}

// The owner of a paused account is told the way in that no guess can take away, and a
// completed reset from the emailed link lets them in and lifts the pause for their next
// sign-in from any browser.
func TestPasswordResetLiftsTheLock(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	db := app.DB(t, mustTenant(t, app, "acme"))
	lockOut(t, c, "ana@acme.example")
	res := tryPassword(c, "ana@acme.example", testutil.Password)
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("right password while paused: status %d, want 429", res.Status)
	}
	if msg := res.Text(".flash-error"); !strings.Contains(msg, "reset your password: setting a new one from the emailed link signs you in at once and lifts the pause") {
		t.Errorf("message %q does not say that a reset lets the owner in", msg)
	}

	_, token, err := models.CreatePasswordReset(context.Background(), db, "ana@acme.example", time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	owner := app.Client(t, "acme")
	owner.Get("/password/reset/" + token)
	const newPassword = "a new password for ana 2026"
	if res := owner.Post("/password/reset/"+token, url.Values{"password": {newPassword}, "confirm": {newPassword}}); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("reset: status %d %q, want a 303 to /dashboard", res.Status, res.Location())
	}
	if n := accountFailures(t, db, "ana@acme.example"); n != 0 {
		t.Errorf("%d failures still count against the account after the reset", n)
	}
	if res := tryPassword(app.Client(t, "acme"), "ana@acme.example", newPassword); res.Status != http.StatusSeeOther {
		t.Errorf("sign-in with the new password from another browser: status %d %q", res.Status, res.Text(".flash-error"))
	}
}

// A sign-in through the organisation's identity provider proves who the person is as a reset
// link does: it lifts the pause that guesses put on their password sign-in. (Her Okta account
// is linked before: linking it asks for her password, which the pause refuses.)
func TestSingleSignOnLiftsTheLock(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	first := s.app.Client(t, "acme")
	signedInAs(t, first, ssoSignIn(t, first, "okta"), "Ana Admin")
	attacker := s.app.Client(t, "acme")
	lockOut(t, attacker, "ana@acme.example")
	if res := tryPassword(attacker, "ana@acme.example", testutil.Password); res.Status != http.StatusTooManyRequests {
		t.Fatalf("right password while paused: status %d, want 429", res.Status)
	}
	c := s.app.Client(t, "acme")
	signedInAs(t, c, ssoSignIn(t, c, "okta"), "Ana Admin")
	if n := accountFailures(t, s.db, "ana@acme.example"); n != 0 {
		t.Errorf("%d failures still count against the account after signing in with Okta", n)
	}
	if res := tryPassword(s.app.Client(t, "acme"), "ana@acme.example", testutil.Password); res.Status != http.StatusSeeOther {
		t.Errorf("password sign-in after the Okta sign-in: status %d %q", res.Status, res.Text(".flash-error"))
	}
}
