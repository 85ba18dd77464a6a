package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/auth"
	"outlay/internal/oidctest"
	"outlay/internal/testutil"
	"outlay/models"
)

// startIdP runs a test OpenID Connect provider that signs in the site's user at once.
func startIdP(t *testing.T, s *site) *oidctest.Server {
	t.Helper()
	idp := oidctest.Start(t, oidctest.Options{})
	idp.AddClient("acme-client", "acme-secret-e2e")
	idp.SetUser(oidctest.User{Subject: "00u-ana", Email: s.User.Email, EmailVerified: true, Name: s.User.Name})
	return idp
}

// The sign-in page shows the tenant's provider; its button goes through the provider, which
// approves at once, and lands on the dashboard.
func TestSSOButtonSignsIn(t *testing.T) {
	s := startSite(t)
	idp := startIdP(t, s)
	box, err := auth.NewSecretBox(s.App.Config.SecretKey, models.SSOSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveSSOProvider(context.Background(), s.App.DB(t, s.Tenant), 0, models.SSOProviderInput{
		Kind: models.SSOKindOIDC, Name: "okta", Label: "Okta", Issuer: idp.Issuer, ClientID: "acme-client",
		ClientSecret: "acme-secret-e2e", Enabled: true,
	}, models.SSORules{Box: box, AllowHTTPIssuers: true, Grantor: models.ByOperator()}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.do(chromedp.Navigate(s.URL("/login")), chromedp.WaitVisible(chromedp.CSS(".sso-buttons .btn-sso")))
	if got := b.text(".sso-buttons .btn-sso"); got != "Sign in with Okta" {
		t.Errorf("SSO button %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('form[action="/login"] input[name=password]').length`); n != 1 {
		t.Errorf("%d password fields beside the SSO button, want 1", n)
	}
	b.screenshot("login-with-sso")

	// Someone the tenant does not know is sent back with a message saying what to do.
	idp.SetUser(oidctest.User{Subject: "00u-zed", Email: "zed@acme.example", EmailVerified: true, Name: "Zed"})
	b.pressAndLoad(".sso-buttons .btn-sso")
	b.do(chromedp.WaitVisible(chromedp.CSS(".auth-card .flash-error")))
	if got, want := b.text(".auth-card .flash-error"), "There is no Acme Corporation account for zed@acme.example. Ask your administrator to invite you."; got != want {
		t.Errorf("refusal %q, want %q", got, want)
	}
	if p := b.path(); p != "/login" {
		t.Errorf("refused, the browser is at %s", p)
	}
	b.screenshot("login-refused")

	// Ana has a password, so her first SSO sign-in links her account only once she confirms
	// with it.
	idp.SetUser(oidctest.User{Subject: "00u-ana", Email: s.User.Email, EmailVerified: true, Name: s.User.Name})
	b.pressAndLoad(".sso-buttons .btn-sso")
	confirmLink(b, testutil.Password)
	b.do(chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	if p := b.path(); p != "/dashboard" {
		t.Fatalf("after the SSO button the browser is at %s, want /dashboard", p)
	}
	if got, want := b.text(".page-header h1"), "Welcome, "+s.User.Name; got != want {
		t.Errorf("h1 = %q, want %q", got, want)
	}
	// The browser really went to the provider and back (redirect hops carry no status here).
	var viaProvider, callback bool
	for _, r := range b.requestsTo(http.MethodGet, "/authorize") {
		viaProvider = viaProvider || strings.HasPrefix(r.URL, idp.Issuer+"/authorize?")
	}
	for _, r := range b.requestsTo(http.MethodGet, "/auth/okta/callback") {
		callback = callback || strings.HasPrefix(r.URL, s.URL("/auth/okta/callback?code="))
	}
	if !viaProvider || !callback {
		t.Errorf("requests: through the provider %v, back to the callback %v", viaProvider, callback)
	}
	b.screenshot("dashboard-after-sso")
}

// An admin adds a provider and requires SSO on the admin page; the sign-in page then puts
// the provider first and the password form, for the break-glass admin, behind a disclosure.
func TestSSOAdminPageAndRequiredSignIn(t *testing.T) {
	s := startSite(t)
	idp := startIdP(t, s)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)

	b.do(chromedp.Navigate(s.URL("/admin/sso")), chromedp.WaitVisible(chromedp.CSS("#providers-title")))
	if got := b.text(`nav.nav a[aria-current="page"]`); got != "Single sign-on" {
		t.Errorf("current navigation entry %q", got)
	}
	b.screenshot("admin-empty")
	b.pressAndLoad(`a[href^="/admin/sso?add=oidc"]`)
	b.do(
		chromedp.WaitVisible(chromedp.ID("issuer")),
		chromedp.SendKeys(chromedp.ID("name"), "okta"),
		chromedp.SetValue(chromedp.ID("label"), "Okta"),
		chromedp.SendKeys(chromedp.ID("issuer"), idp.Issuer),
		chromedp.SendKeys(chromedp.ID("client_id"), "acme-client"),
		chromedp.SendKeys(chromedp.ID("client_secret"), "acme-secret-e2e"),
		chromedp.SendKeys(chromedp.ID("domains"), "acme.example"),
		// A provider can sign in anyone, so adding one asks Ana to confirm it's her.
		chromedp.SendKeys(chromedp.ID("provider-confirm"), testutil.Password),
	)
	// (A full-page picture of a scrolled page repeats the sticky bar: start at the top.)
	b.do(chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	b.screenshot("admin-add-form")
	b.pressAndLoad(`#provider-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash-success")))
	if got := b.text(".flash-success"); got != "Okta added." {
		t.Errorf("flash %q", got)
	}
	if got := b.text("#provider-okta .callback-url"); got != s.URL("/auth/okta/callback") {
		t.Errorf("callback URL %q, want %q", got, s.URL("/auth/okta/callback"))
	}

	// Require SSO, with Ana as break-glass admin.
	b.do(
		chromedp.Click(chromedp.CSS(`input[name=require_sso]`)),
		chromedp.SetValue(chromedp.ID("break_glass"), eval[string](b, `document.querySelector('#break_glass option:nth-child(2)').value`)),
	)
	b.pressAndLoad(`form[action="/admin/sso/settings"] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash-success")))
	if got := b.text(".flash-success"); got != "Sign-in policy saved." {
		t.Errorf("flash %q", got)
	}
	b.screenshot("admin-desktop")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#providers-title")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("admin-phone")
	b.viewport(desktopWidth, desktopHeight)

	b.pressAndLoad(".topbar .logout-form button[type=submit]")
	b.do(chromedp.WaitVisible(chromedp.CSS(".sso-buttons .btn-sso.btn-primary")))
	if eval[bool](b, `document.querySelector('details.break-glass').open`) {
		t.Error("the break-glass password form starts unfolded")
	}
	b.screenshot("login-sso-required")
	b.do(chromedp.Click(chromedp.CSS("details.break-glass summary")), chromedp.WaitVisible(chromedp.ID("email")))
	b.screenshot("login-break-glass-open")

	// The SSO button signs Ana in, and her account is linked once she confirms with her password.
	b.pressAndLoad(".sso-buttons .btn-sso")
	confirmLink(b, testutil.Password)
	b.do(chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	if p := b.path(); p != "/dashboard" {
		t.Errorf("after SSO the browser is at %s", p)
	}
	b.do(chromedp.Navigate(s.URL("/admin/sso")), chromedp.WaitVisible(chromedp.CSS("#linked-accounts table")))
	if got := b.text("#linked-accounts tbody tr td"); !strings.Contains(got, s.User.Email) {
		t.Errorf("linked accounts list %q", got)
	}
	b.screenshot("admin-linked")
}

// confirmLink answers "Link your account: confirm it's you" with password.
func confirmLink(b *browser, password string) {
	b.do(chromedp.WaitVisible(chromedp.ID("password")))
	b.screenshot("sso-link-confirm")
	b.do(chromedp.SendKeys(chromedp.ID("password"), password))
	b.pressAndLoad(`form[action="/login/link"] button[type=submit]`)
}
