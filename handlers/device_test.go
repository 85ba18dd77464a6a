package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
)

// deviceCookie is the name of the cookie that remembers a browser a person signed in from
// (tests serve plain HTTP, so it has no __Host- prefix).
const deviceCookie = "outlay_device"

// tryPassword posts one sign-in from c and returns its status.
func tryPassword(c *testutil.Client, email, password string) *testutil.Response {
	c.Get("/login")
	return c.Post("/login", url.Values{"email": {email}, "password": {password}})
}

// signOut signs c out through the page's form.
func signOut(t *testing.T, c *testutil.Client) {
	t.Helper()
	c.Get("/dashboard") // a page with the session's CSRF token
	if res := c.Post("/logout", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.Status)
	}
}

// Someone who knows Ana's address locks her account with five wrong guesses; the browser she
// signed in from before still lets her right password through, and nothing else gets through.
func TestDeviceCookieLetsTheOwnerThroughALockout(t *testing.T) {
	t.Parallel()
	app, ana := newApp(t)
	env := app.Env
	acme := mustTenant(t, app, "acme")
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	db := app.DB(t, acme)

	ana.SignIn("ana@acme.example", testutil.Password)
	if ana.Cookies[deviceCookie] == "" {
		t.Fatalf("a sign-in set no device cookie: %v", ana.Cookies)
	}
	signOut(t, ana)
	if ana.Cookies[deviceCookie] == "" {
		t.Fatal("signing out forgot the device")
	}
	bo := app.Client(t, "acme")
	bo.SignIn("bo@acme.example", testutil.Password)

	attacker := app.Client(t, "acme")
	for i := range 5 {
		if res := tryPassword(attacker, "ana@acme.example", "guess number "+string(rune('a'+i))); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: status %d", i+1, res.Status)
		}
	}
	// Without the device cookie, the right password stays locked out...
	if res := tryPassword(attacker, "ana@acme.example", testutil.Password); res.Status != http.StatusTooManyRequests {
		t.Fatalf("right password from a new browser: status %d, want 429", res.Status)
	}
	// ...and so it does with a forged cookie, Bo's cookie, or Ana's cookie from another tenant.
	forged := app.Client(t, "acme")
	forged.Cookies[deviceCookie] = strings.Replace(ana.Cookies[deviceCookie], ".", ".A", 1)
	borrowed := app.Client(t, "acme")
	borrowed.Cookies[deviceCookie] = bo.Cookies[deviceCookie]
	for name, c := range map[string]*testutil.Client{"forged cookie": forged, "another person's cookie": borrowed} {
		if res := tryPassword(c, "ana@acme.example", testutil.Password); res.Status != http.StatusTooManyRequests {
			t.Errorf("%s: status %d, want 429", name, res.Status)
		}
	}
	globex := env.NewTenant(t, "globex", "Globex")
	env.CreateUser(t, globex, "ana@acme.example", "Ana Elsewhere", "admin")
	elsewhere := app.Client(t, "globex")
	elsewhere.SignIn("ana@acme.example", testutil.Password)
	crossed := app.Client(t, "acme")
	crossed.Cookies[deviceCookie] = elsewhere.Cookies[deviceCookie]
	if res := tryPassword(crossed, "ana@acme.example", testutil.Password); res.Status != http.StatusTooManyRequests {
		t.Errorf("cookie from another tenant: status %d, want 429", res.Status)
	}

	// Ana's own browser gets in with the right password, and the sign-in is audited as one
	// a remembered device let through the lockout.
	var mark int64
	db.Raw(`SELECT max(id) FROM audit_log`).Scan(&mark)
	if res := tryPassword(ana, "ana@acme.example", testutil.Password); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("right password from Ana's browser: status %d %q, want 303 to /dashboard", res.Status, res.Text(".flash-error"))
	}
	var events []struct{ Event, Subject, Details string }
	db.Raw(`SELECT event, subject, coalesce(details::text, '') AS details FROM audit_log WHERE id > ? AND action = 'event' ORDER BY id`, mark).Scan(&events)
	if len(events) != 2 || events[0].Event != "signin.trusted_device" || events[0].Subject != "ana@acme.example" ||
		!strings.Contains(events[0].Details, `"throttled": "account"`) || events[1].Event != "signin.success" {
		t.Errorf("audit events of the device sign-in: %+v", events)
	}
	// Her sign-in does not lift the lockout for everyone else.
	if res := tryPassword(attacker, "ana@acme.example", testutil.Password); res.Status != http.StatusTooManyRequests {
		t.Errorf("after Ana's device sign-in, a new browser: status %d, want 429", res.Status)
	}

	// Wrong passwords from her browser still count, against the device itself (not against
	// the account, which is paused already and whose pause they do not lengthen): five of
	// them and the device is throttled too.
	signOut(t, ana)
	for i := range 5 {
		if res := tryPassword(ana, "ana@acme.example", "typo "+string(rune('a'+i))); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %d from Ana's browser: status %d, want 422", i+1, res.Status)
		}
	}
	var fromDevice int64
	db.Raw(`SELECT count(*) FROM login_failures WHERE device IS NOT NULL`).Scan(&fromDevice)
	if fromDevice != 5 {
		t.Errorf("failures recorded from the device: %d, want 5", fromDevice)
	}
	if res := tryPassword(ana, "ana@acme.example", testutil.Password); res.Status != http.StatusTooManyRequests {
		t.Errorf("right password after five wrong ones from the device: status %d, want 429", res.Status)
	}
}

// The per-address throttle gives way to a remembered device in the same way.
func TestDeviceCookieLetsTheOwnerThroughAnAddressThrottle(t *testing.T) {
	t.Parallel()
	app, ana := newApp(t)
	ana.SignIn("ana@acme.example", testutil.Password)
	signOut(t, ana)
	other := app.Client(t, "acme")
	for i := range 20 {
		tryPassword(other, "user"+string(rune('a'+i))+"@acme.example", "guess guess guess")
	}
	if res := tryPassword(other, "ana@acme.example", testutil.Password); res.Status != http.StatusTooManyRequests {
		t.Fatalf("a new browser on a throttled address: status %d, want 429", res.Status)
	}
	if res := tryPassword(ana, "ana@acme.example", testutil.Password); res.Status != http.StatusSeeOther {
		t.Errorf("Ana's browser on a throttled address: status %d %q, want 303", res.Status, res.Text(".flash-error"))
	}
}
