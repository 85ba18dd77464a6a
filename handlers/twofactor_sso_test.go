package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"outlay/internal/testutil"
)

// Single sign-on is exempt from the second factor (the identity provider owns it), even
// under a policy that requires two factors of everyone; the break-glass admin is not.
func TestSSOSignInAndTwoFactor(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	c := s.app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	secret, _ := enrolThroughPage(t, c)
	if res := c.Post("/admin/security", url.Values{"required": {"everyone"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("require everyone: %d", res.Status)
	}

	// Her first SSO sign-in links her account once she gives her password and a code; from
	// then on the provider alone signs her in.
	sso := s.app.Client(t, "acme")
	if res := ssoSignIn(t, sso, "okta"); res.Location() != "/login/link" {
		t.Fatalf("first SSO sign-in: %d %q, want the link confirmation", res.Status, res.Location())
	}
	sso.Get("/login/link")
	signedInAs(t, sso, sso.Post("/login/link", url.Values{"password": {testutil.Password}, "code": {totpCode(t, secret, 1)}}), "Ana Admin")
	again := s.app.Client(t, "acme")
	signedInAs(t, again, ssoSignIn(t, again, "okta"), "Ana Admin")
	forgetUsedSteps(t, s.db)

	if err := s.db.Exec(`UPDATE sso_settings SET break_glass_user_id = ?`, s.ana.ID).Error; err != nil {
		t.Fatal(err)
	}
	bg := s.app.Client(t, "acme")
	res := ssoSignIn(t, bg, "okta")
	if res.Status != http.StatusSeeOther || res.Location() != "/login/two-factor" {
		t.Fatalf("break-glass admin's SSO sign-in: %d %q", res.Status, res.Location())
	}
	if _, ok := bg.Cookies["outlay_session"]; ok {
		t.Fatal("a session before the code")
	}
	bg.Get("/login/two-factor")
	res = bg.Post("/login/two-factor", url.Values{"code": {totpCode(t, secret, 1)}})
	signedInAs(t, bg, res, "Ana Admin")
}
