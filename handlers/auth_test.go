package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

func newApp(t *testing.T) (*testutil.App, *testutil.Client) {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	return app, app.Client(t, "acme")
}

func TestUnknownHostIsNotFound(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t)
	for _, host := range []string{"nosuch.localhost:8080", "localhost:8080", "acme.evil.localhost:8080", "acme.example.com", "127.0.0.1:8080"} {
		c := app.Client(t, "x")
		c.Host = host
		res := c.Get("/login")
		if res.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", host, res.Status)
		}
		if strings.Contains(res.Body, "Acme") {
			t.Errorf("%s: the 404 page names another tenant", host)
		}
		if !strings.Contains(res.Text("h1"), "No organisation here") {
			t.Errorf("%s: 404 page says %q", host, res.Text("h1"))
		}
	}
}

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	res := c.Get("/dashboard")
	if res.Status != http.StatusSeeOther || res.Location() != "/login?next=%2Fdashboard" {
		t.Fatalf("signed-out dashboard: status %d location %q", res.Status, res.Location())
	}
	login := c.Get("/login")
	if login.Status != 200 {
		t.Fatalf("login page: %d", login.Status)
	}
	if ac, _ := login.Doc.Find(`input[name="email"]`).Attr("autocomplete"); ac != "username" {
		t.Errorf("email autocomplete = %q", ac)
	}
	if ac, _ := login.Doc.Find(`input[name="password"]`).Attr("autocomplete"); ac != "current-password" {
		t.Errorf("password autocomplete = %q", ac)
	}
	// Email matching ignores case.
	c.SignIn("ANA@acme.example", testutil.Password)
	dash := c.Get("/dashboard")
	if dash.Status != 200 {
		t.Fatalf("dashboard: %d", dash.Status)
	}
	if got := dash.Text("h1"); got != "Welcome, Ana Admin" {
		t.Errorf("h1 = %q", got)
	}
	if got := dash.Text(".brand-tenant"); got != "Acme Corporation" {
		t.Errorf("tenant name = %q", got)
	}
	if got := dash.Text(".roles .badge"); got != "Admin" {
		t.Errorf("roles = %q", got)
	}
	if cc := dash.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	// Already signed in: the sign-in page goes to the dashboard.
	if res := c.Get("/login"); res.Location() != "/dashboard" {
		t.Errorf("signed-in /login location %q", res.Location())
	}
	token := c.Cookies["outlay_session"]
	out := c.Post("/logout", nil)
	if out.Status != http.StatusSeeOther || out.Location() != "/login" {
		t.Fatalf("logout: %d %q", out.Status, out.Location())
	}
	if _, ok := c.Cookies["outlay_session"]; ok {
		t.Error("session cookie survives sign-out")
	}
	if msg := c.Get("/login").Text(".flash"); msg != "You have signed out." {
		t.Errorf("flash after sign-out = %q", msg)
	}
	// The old session id is dead on the server, not just forgotten by the browser.
	c.Cookies["outlay_session"] = token
	if res := c.Get("/dashboard"); res.Status != http.StatusSeeOther {
		t.Errorf("old session after sign-out: status %d", res.Status)
	}
}

func TestSignInHonoursLocalNextOnly(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	for next, want := range map[string]string{
		"/dashboard?x=1":        "/dashboard?x=1",
		"//evil.example/":       "/dashboard",
		"https://evil.example/": "/dashboard",
		"/\\evil.example":       "/dashboard",
	} {
		c.Cookies = map[string]string{}
		c.Get("/login")
		res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}, "next": {next}})
		if res.Location() != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, res.Location(), want)
		}
	}
}

func TestSignInFailureIsGeneric(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	ctx := context.Background()
	db := app.DB(t, mustTenant(t, app, "acme"))
	if err := db.WithContext(ctx).Exec(`INSERT INTO users (email, name, status, password_hash) SELECT 'gone@acme.example', 'Gone', 'deactivated', password_hash FROM users WHERE email = 'ana@acme.example'`).Error; err != nil {
		t.Fatal(err)
	}
	cases := map[string]url.Values{
		"wrong password": {"email": {"ana@acme.example"}, "password": {"not the password"}},
		"unknown email":  {"email": {"nobody@acme.example"}, "password": {testutil.Password}},
		// The right password is told the account is deactivated
		// (TestDeactivatedPersonIsToldOnlyAfterTheRightPassword); a wrong one learns nothing.
		"deactivated user": {"email": {"gone@acme.example"}, "password": {"not the password"}},
	}
	for name, form := range cases {
		c.Get("/login")
		res := c.Post("/login", form)
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, res.Status)
		}
		if got := res.Text(".flash-error"); got != "Incorrect email or password." {
			t.Errorf("%s: message %q", name, got)
		}
		if v, _ := res.Doc.Find(`input[name="email"]`).Attr("value"); v != form.Get("email") {
			t.Errorf("%s: the form lost the email (%q)", name, v)
		}
		if _, ok := c.Cookies["outlay_session"]; ok {
			t.Errorf("%s: a session was started", name)
		}
	}
	c.Get("/login")
	res := c.Post("/login", url.Values{"email": {""}, "password": {""}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#email-error") != "Enter your email address." || res.Text("#password-error") != "Enter your password." {
		t.Errorf("empty form: %d %q %q", res.Status, res.Text("#email-error"), res.Text("#password-error"))
	}
}

func mustTenant(t *testing.T, app *testutil.App, slug string) (tn tenancy.Tenant) {
	t.Helper()
	tn, ok := app.Registry.Lookup(slug)
	if !ok {
		t.Fatalf("no tenant %s", slug)
	}
	return tn
}

func TestThrottlePerAccountAndPerIP(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	// Five wrong passwords lock the account for a while, even with the right password...
	for i := 0; i < 5; i++ {
		c.Get("/login")
		if res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {"wrong password " + string(rune('a'+i))}}); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d", i+1, res.Status)
		}
	}
	c.Get("/login")
	res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}})
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("sixth attempt: status %d, want 429", res.Status)
	}
	if msg := res.Text(".flash-error"); !strings.HasPrefix(msg, "Too many failed sign-in attempts for this account. Try again in 15 minutes") {
		t.Errorf("message %q", msg)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
	// ...and once the window has passed, the right password works again.
	db := app.DB(t, mustTenant(t, app, "acme"))
	if err := db.Exec(`UPDATE login_failures SET at = at - interval '16 minutes'`).Error; err != nil {
		t.Fatal(err)
	}
	c.SignIn("ana@acme.example", testutil.Password)

	// Twenty failures from one address across many accounts pause that address.
	other := app.Client(t, "acme")
	for i := 0; i < 20; i++ {
		other.Get("/login")
		other.Post("/login", url.Values{"email": {"user" + string(rune('a'+i)) + "@acme.example"}, "password": {"guess guess guess"}})
	}
	other.Get("/login")
	res = other.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}})
	if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Text(".flash-error"), "from your network") {
		t.Errorf("per-address throttle: %d %q", res.Status, res.Text(".flash-error"))
	}
}

// The per-address throttle counts an IPv6 client by its /64: whoever holds one holds every
// address in it, so guesses spread over its addresses pause all of them, and another /64
// is not paused.
func TestThrottlePerAddressCountsIPv6ByItsSlash64(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.Config.TrustedProxies = []string{"0.0.0.0"} // the in-process peer: X-Forwarded-For names the client
	app := testutil.NewApp(t, env)
	from := func(addr string) *testutil.Client {
		c := app.Client(t, "acme")
		c.Header.Set("X-Forwarded-For", addr)
		c.Get("/login")
		return c
	}
	for i := 0; i < 20; i++ {
		c := from(fmt.Sprintf("2001:db8:1:2::%x", 0x100+i))
		if res := c.Post("/login", url.Values{"email": {fmt.Sprintf("user%d@acme.example", i)}, "password": {"guess guess guess"}}); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: status %d", i+1, res.Status)
		}
	}
	res := from("2001:db8:1:2:ffff:ffff:ffff:1").Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}})
	if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Text(".flash-error"), "from your network") {
		t.Errorf("a new address of the same /64: %d %q", res.Status, res.Text(".flash-error"))
	}
	other := from("2001:db8:1:3::1")
	if res := other.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusSeeOther {
		t.Errorf("another /64: status %d %q, want a sign-in", res.Status, res.Text(".flash-error"))
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	db := app.DB(t, mustTenant(t, app, "acme"))
	for name, expire := range map[string]string{
		"idle":     `UPDATE sessions SET last_seen_at = now() - interval '3 hours'`,
		"absolute": `UPDATE sessions SET expires_at = now() - interval '1 second'`,
	} {
		c.Cookies = map[string]string{}
		c.SignIn("ana@acme.example", testutil.Password)
		if res := c.Get("/dashboard"); res.Status != 200 {
			t.Fatalf("%s: dashboard %d", name, res.Status)
		}
		if err := db.Exec(expire).Error; err != nil {
			t.Fatal(err)
		}
		res := c.Get("/dashboard")
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
			t.Errorf("%s: expired session got %d %q", name, res.Status, res.Location())
		}
		if _, ok := c.Cookies["outlay_session"]; ok {
			t.Errorf("%s: dead session cookie not cleared", name)
		}
	}
	// Activity within the idle window keeps a session alive.
	c.Cookies = map[string]string{}
	c.SignIn("ana@acme.example", testutil.Password)
	if err := db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '90 minutes'`).Error; err != nil {
		t.Fatal(err)
	}
	c.Get("/dashboard")
	var seen time.Time
	db.Raw(`SELECT max(last_seen_at) FROM sessions`).Scan(&seen)
	if time.Since(seen) > time.Minute {
		t.Errorf("last_seen_at not refreshed: %v", seen)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	c.Get("/login")
	good := c.CSRF
	for name, tok := range map[string]string{"missing": "", "forged": "AAAA" + good[4:], "other tenant": ""} {
		form := url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}, "_csrf": {tok}}
		if res := c.Post("/login", form); res.Status != http.StatusForbidden {
			t.Errorf("%s token: status %d, want 403", name, res.Status)
		}
	}
	// A token is bound to the browser's CSRF cookie: another browser's token fails.
	d := *c
	d.Cookies = map[string]string{}
	d.Get("/login")
	if res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}, "_csrf": {d.CSRF}}); res.Status != http.StatusForbidden {
		t.Errorf("another browser's token: status %d", res.Status)
	}
	// A cross-site form post is refused even with a valid token.
	c.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusForbidden {
		t.Errorf("cross-site: status %d", res.Status)
	}
	c.Header.Del("Sec-Fetch-Site")
	// The header form that htmx uses works, and so does the form field.
	c.Get("/login")
	c.Header.Set("X-Csrf-Token", c.CSRF)
	res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}, "_csrf": {""}})
	c.Header.Del("X-Csrf-Token")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("header token: status %d", res.Status)
	}
	// After sign-in the token changes (it is bound to the session), and sign-out needs it.
	before := c.CSRF
	c.Get("/dashboard")
	if c.CSRF == before {
		t.Error("CSRF token did not change at sign-in")
	}
	if res := c.Post("/logout", url.Values{"_csrf": {before}}); res.Status != http.StatusForbidden {
		t.Errorf("logout with the pre-sign-in token: %d", res.Status)
	}
	if res := c.Get("/dashboard"); res.Status != 200 {
		t.Errorf("a refused logout signed the user out: %d", res.Status)
	}
}

func TestTenantsAreIsolated(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	globex := env.NewTenant(t, "globex", "Globex Industries")
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	// The same email on globex is a different person with a different password.
	if _, err := models.CreateUser(context.Background(), env.DB(t, globex), models.NewUser{Email: "ana@acme.example", Name: "Other Ana", Password: "a different password", Roles: []string{"requester"}}); err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)
	a := app.Client(t, "acme")
	a.SignIn("ana@acme.example", testutil.Password)

	// acme's cookies, replayed on globex's host, sign no one in.
	g := app.Client(t, "globex")
	for k, v := range a.Cookies {
		g.Cookies[k] = v
	}
	res := g.Get("/dashboard")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
		t.Fatalf("acme session on globex: %d %q", res.Status, res.Location())
	}
	page := g.Get("/login")
	if page.Text(".brand-tenant") != "Globex Industries" || strings.Contains(page.Body, "Acme") {
		t.Errorf("globex login page shows %q", page.Text(".brand-tenant"))
	}
	// acme's CSRF token is no good on globex either.
	if res := g.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {"a different password"}, "_csrf": {a.CSRF}}); res.Status != http.StatusForbidden {
		t.Errorf("acme CSRF token on globex: %d", res.Status)
	}
	// acme's password does not open globex's account of the same email.
	g.Get("/login")
	if res := g.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("acme password on globex: %d", res.Status)
	}
	g.SignIn("ana@acme.example", "a different password")
	if got := g.Get("/dashboard").Text("h1"); got != "Welcome, Other Ana" {
		t.Errorf("globex dashboard: %q", got)
	}
	if got := a.Get("/dashboard").Text("h1"); got != "Welcome, Ana Admin" {
		t.Errorf("acme dashboard: %q", got)
	}
}

// Signing in again from the same browser ends the session it had, so a shared machine does
// not keep the previous person's session alive behind the new one.
func TestSignInEndsThePreviousSession(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	app.CreateUser(t, mustTenant(t, app, "acme"), "bo@acme.example", "Bo", "requester")
	c.SignIn("ana@acme.example", testutil.Password)
	first := c.Cookies["outlay_session"]
	c.Get("/dashboard")
	res := c.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {testutil.Password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", res.Status)
	}
	if got := c.Get("/dashboard").Text("h1"); got != "Welcome, Bo" {
		t.Errorf("dashboard after second sign-in: %q", got)
	}
	old := app.Client(t, "acme")
	old.Cookies["outlay_session"] = first
	if res := old.Get("/dashboard"); res.Status != http.StatusSeeOther {
		t.Errorf("the first session still works: %d", res.Status)
	}
}

// /logout opened as a page asks to confirm rather than doing nothing: signing out stays a
// form with its CSRF token, so that no link elsewhere can sign anyone out.
func TestLogoutOpenedAsAPageAsksToConfirm(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	if res := c.Get("/logout"); res.Status != http.StatusSeeOther || res.Location() != "/login" {
		t.Errorf("signed out: %d %q", res.Status, res.Location())
	}
	c.SignIn("ana@acme.example", testutil.Password)
	page := c.Get("/logout")
	form := page.Doc.Find(`form[method=post][action="/logout"]`)
	if page.Status != http.StatusOK || form.Length() != 1 || form.Find(`input[name=_csrf]`).AttrOr("value", "") == "" ||
		!strings.Contains(page.Text("h1"), "Sign out?") || !strings.Contains(page.Body, "ana@acme.example") {
		t.Fatalf("signed in: %d %q", page.Status, page.Text("main"))
	}
	if res := c.Get("/dashboard"); res.Status != http.StatusOK {
		t.Errorf("opening /logout signed her out: %d", res.Status)
	}
	// "Stay signed in" goes back to the page the link was followed from, if it is this
	// organisation's.
	for referer, want := range map[string]string{
		"http://acme.localhost:8080/requisitions?status=draft": "/requisitions?status=draft",
		"http://evil.example/requisitions":                     "/dashboard",
		"":                                                     "/dashboard",
	} {
		req := httptest.NewRequest(http.MethodGet, "/logout", nil)
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		if got := c.Do(req).Doc.Find(".auth-footer a").AttrOr("href", ""); got != want {
			t.Errorf("from %q, Stay signed in leads to %q, want %q", referer, got, want)
		}
	}
	if res := c.Post("/logout", nil); res.Status != http.StatusSeeOther || res.Location() != "/login" {
		t.Errorf("confirming: %d %q", res.Status, res.Location())
	}
	if res := c.Get("/dashboard"); res.Status != http.StatusSeeOther {
		t.Errorf("after confirming, the dashboard: %d", res.Status)
	}
}
