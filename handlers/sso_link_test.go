package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/oidctest"
	"outlay/internal/testutil"
	"outlay/models"
)

// newSSOPerson adds a requester to the SSO site, with the test password unless noPassword.
func (s *ssoSite) newSSOPerson(t *testing.T, email, name string, noPassword bool) *models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), s.db, models.NewUser{Email: email, Name: name, Password: testutil.Password, Roles: []string{"requester"}})
	if err != nil {
		t.Fatal(err)
	}
	if noPassword {
		s.db.Exec(`UPDATE users SET password_hash = NULL WHERE id = ?`, u.ID)
	}
	return u
}

func (s *ssoSite) identities(t *testing.T, userID int64) int {
	var n int
	s.db.Raw(`SELECT count(*) FROM sso_identities WHERE user_id = ?`, userID).Scan(&n)
	return n
}

// mailTo waits for a mail to email whose subject contains want.
func mailTo(t *testing.T, app *testutil.App, email, want string) {
	t.Helper()
	for n := 1; ; n++ {
		sent := app.WaitMail(t, n)
		if m := sent[n-1]; m.To == email && strings.Contains(m.Subject, want) {
			return
		}
	}
}

// Whoever controls a provider the organisation trusts (an admin who added their own) cannot
// sign in as a person who has a password and two factors by claiming their email: the first
// sign-in links nothing until the person gives their own password and code, and then they are
// told by mail; the sign-in is recorded as theirs.
func TestSSOFirstSignInLinksAPersonWhoHasAPasswordOnlyWithIt(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	rita := s.newSSOPerson(t, "rita@acme.example", "Rita Requester", false)
	rc := s.app.Client(t, "acme")
	rc.SignIn(rita.Email, testutil.Password)
	secret, _ := enrolThroughPage(t, rc)

	s.idp.SetUser(oidctest.User{Subject: "evil-1", Email: rita.Email, EmailVerified: true})
	c := s.app.Client(t, "acme")
	res := ssoSignIn(t, c, "okta")
	if res.Status != http.StatusSeeOther || res.Location() != "/login/link" {
		t.Fatalf("callback: %d %q, want the link confirmation", res.Status, res.Location())
	}
	if _, ok := c.Cookies["outlay_session"]; ok || s.identities(t, rita.ID) != 0 {
		t.Fatal("signed in or linked before the person confirmed")
	}
	if res := c.Get("/dashboard"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
		t.Fatalf("the dashboard before confirming: %d %q", res.Status, res.Location())
	}
	page := c.Get("/login/link")
	if !strings.Contains(page.Text("h1"), "Link your account") || page.Doc.Find(`input[name="password"]`).Length() != 1 ||
		page.Doc.Find(`input[name="code"]`).Length() != 1 {
		t.Fatalf("link page: %d %q", page.Status, page.Text("h1"))
	}
	for _, f := range []url.Values{
		{"password": {"not-ritas-password"}, "code": {totpCode(t, secret, 1)}},
		{"password": {testutil.Password}, "code": {"000000"}},
		{"password": {testutil.Password}},
	} {
		if res := c.Post("/login/link", f); res.Status != http.StatusUnprocessableEntity || res.Text(".field-error") == "" {
			t.Errorf("%v: %d %q", f, res.Status, res.Text(".field-error"))
		}
	}
	if _, ok := c.Cookies["outlay_session"]; ok || s.identities(t, rita.ID) != 0 {
		t.Fatal("signed in or linked without the person's password and code")
	}
	res = c.Post("/login/link", url.Values{"password": {testutil.Password}, "code": {totpCode(t, secret, 1)}})
	signedInAs(t, c, res, "Rita Requester")
	if s.identities(t, rita.ID) != 1 {
		t.Error("the identity was not linked")
	}
	mailTo(t, s.app, rita.Email, "Okta now signs you in")

	// The sign-in, the link and the identity's row are Rita's, so the audit log finds them by her.
	var anonymous int
	s.db.Raw(`SELECT count(*) FROM audit_log WHERE (event IN ('sso.sign_in', 'sso.identity_linked') OR table_name = 'sso_identities')
		AND (actor_id <> ? OR actor_label <> ?)`, rita.ID, rita.Email).Scan(&anonymous)
	if anonymous != 0 || countEvents(t, s.db, "sso.sign_in") != 1 || countEvents(t, s.db, "sso.identity_linked") != 1 {
		t.Errorf("%d SSO records not by Rita", anonymous)
	}
	admin := s.app.Client(t, "acme")
	admin.SignIn(s.ana.Email, testutil.Password)
	if text := admin.Get("/audit?actor=" + url.QueryEscape(rita.Email)).Text("main"); !strings.Contains(text, "Signed in with single sign-on") {
		t.Error("/audit?actor=rita does not show her SSO sign-in")
	}

	// Linked, the account signs her in from then on.
	again := s.app.Client(t, "acme")
	signedInAs(t, again, ssoSignIn(t, again, "okta"), "Rita Requester")
}

// A person with no other way in (invited for single sign-on) is linked at their first sign-in
// as before, and told by mail.
func TestSSOFirstSignInLinksAPersonWithNoOtherWayInAtOnce(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	sam := s.newSSOPerson(t, "sam@acme.example", "Sam Sso", true)
	s.idp.SetUser(oidctest.User{Subject: "sam-1", Email: sam.Email, EmailVerified: true})
	c := s.app.Client(t, "acme")
	signedInAs(t, c, ssoSignIn(t, c, "okta"), "Sam Sso")
	if s.identities(t, sam.ID) != 1 {
		t.Error("not linked")
	}
	mailTo(t, s.app, sam.Email, "Okta now signs you in")
}
