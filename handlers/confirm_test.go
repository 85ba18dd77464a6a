package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/oidctest"
	"outlay/internal/testutil"
	"outlay/models"
)

// Adding or changing a sign-in provider needs the admin to have confirmed it's them (password
// or code) in the last minutes: a session alone is refused with the "Confirm it's you" page.
// One confirmation lasts ten minutes, then is asked again.
func TestChangingAProviderNeedsConfirmation(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	idp := oidctest.Start(t, oidctest.Options{})
	idp.AddClient(acmeClient, acmeSecret)
	app := testutil.NewApp(t, env)
	db := env.DB(t, acme)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	if c.Get("/admin/sso?add=oidc").Doc.Find(`#provider-confirm[name="confirm"]`).Length() != 1 {
		t.Error("the provider form offers no confirmation field")
	}
	form := providerForm(idp.Issuer, acmeSecret)
	form.Del("confirm")
	providers := func() int {
		var n int
		db.Raw(`SELECT count(*) FROM sso_providers`).Scan(&n)
		return n
	}
	res := c.Post("/admin/sso/providers", form)
	if res.Status != http.StatusForbidden || !strings.Contains(res.Text("h1"), "Confirm it") || providers() != 0 {
		t.Fatalf("with a session alone: %d %q, %d providers", res.Status, res.Text("h1"), providers())
	}
	form.Set("confirm", "not-her-password")
	if res := c.Post("/admin/sso/providers", form); res.Status != http.StatusUnprocessableEntity || providers() != 0 {
		t.Fatalf("with a wrong password: %d, %d providers", res.Status, providers())
	}
	form.Set("confirm", testutil.Password)
	if res := c.Post("/admin/sso/providers", form); res.Status != http.StatusSeeOther || providers() != 1 {
		t.Fatalf("with her password: %d %q, %d providers", res.Status, res.Text(".field-error, .flash"), providers())
	}
	var id int64
	db.Raw(`SELECT id FROM sso_providers`).Scan(&id)
	form.Del("confirm")
	form.Set("label", "Okta SSO")
	if res := c.Post("/admin/sso/providers/"+itoa(id), form); res.Status != http.StatusSeeOther {
		t.Fatalf("an edit within the confirmation: %d", res.Status)
	}
	if c.Get("/admin/sso?edit="+itoa(id)).Doc.Find(`input[name="confirm"]`).Length() != 0 {
		t.Error("the form asks again within the confirmation")
	}

	db.Exec(`UPDATE sessions SET reauthenticated_at = now() - interval '11 minutes'`)
	form.Set("label", "Evil")
	if res := c.Post("/admin/sso/providers/"+itoa(id), form); res.Status != http.StatusForbidden {
		t.Fatalf("an edit after the confirmation expired: %d", res.Status)
	}
	// The page on its own confirms, and goes back where it was asked from.
	page := c.Get("/settings/security/confirm?next=/admin/sso")
	if page.Status != http.StatusOK || page.Doc.Find(`input[name="confirm"]`).Length() != 1 {
		t.Fatalf("confirm page: %d", page.Status)
	}
	if res := c.Post("/settings/security/confirm", url.Values{"confirm": {testutil.Password}, "next": {"/admin/sso"}}); res.Status != http.StatusSeeOther || res.Location() != "/admin/sso" {
		t.Fatalf("confirming: %d %q", res.Status, res.Location())
	}
	if res := c.Post("/admin/sso/providers/"+itoa(id), form); res.Status != http.StatusSeeOther {
		t.Fatalf("an edit after confirming again: %d", res.Status)
	}
}

// An admin resets someone's second factor only after confirming it's them; never their own
// from the admin page. The person's API tokens end with it, and their next sign-in says who
// reset it: their administrator, or (the operator's command line) nobody named.
func TestTwoFactorResetNeedsConfirmationAndRevokesTokens(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "ap_clerk")
	cy := env.CreateUser(t, acme, "cy@acme.example", "Cy Clerk", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	b := app.Client(t, "acme")
	b.SignIn(bo.Email, testutil.Password)
	enrolThroughPage(t, b)
	token := createToken(t, b, "bo's script")
	cc := app.Client(t, "acme")
	cc.SignIn(cy.Email, testutil.Password)
	enrolThroughPage(t, cc)
	admin := app.Client(t, "acme")
	admin.SignIn(ana.Email, testutil.Password)
	enrolThroughPage(t, admin)

	reset := "/admin/users/" + itoa(bo.ID) + "/two-factor/reset"
	db.Exec(`UPDATE sessions SET reauthenticated_at = NULL`)
	if admin.Get("/admin/users/"+itoa(bo.ID)).Doc.Find(`form[action="`+reset+`"] input[name="confirm"]`).Length() != 1 {
		t.Error("the reset form asks for no confirmation")
	}
	if res := admin.Post(reset, nil); res.Status != http.StatusForbidden || countEvents(t, db, models.EventTwoFactorReset) != 0 {
		t.Fatalf("a reset with a session alone: %d", res.Status)
	}
	if res := admin.Post(reset, url.Values{"confirm": {testutil.Password}}); res.Status != http.StatusSeeOther || countEvents(t, db, models.EventTwoFactorReset) != 1 {
		t.Fatalf("a reset with her password: %d", res.Status)
	}
	api := app.Client(t, "acme")
	api.Header.Set("Authorization", "Bearer "+token)
	if res := api.Get("/api/v1/me"); res.Status != http.StatusUnauthorized {
		t.Errorf("Bo's token after the reset: %d", res.Status)
	}
	passwordStep(t, b, bo.Email, "/login/two-factor/enrol")
	if text := b.Get("/login/two-factor/enrol").Text("main, body"); !strings.Contains(text, "Your administrator reset your second factor") {
		t.Error("Bo is not told his administrator reset his second factor")
	}

	// Her own, from the admin page: no button, and refused.
	self := "/admin/users/" + itoa(ana.ID) + "/two-factor/reset"
	if admin.Get("/admin/users/"+itoa(ana.ID)).Doc.Find(`form[action="`+self+`"]`).Length() != 0 {
		t.Error("Ana's own page offers to reset her own second factor")
	}
	admin.Post(self, url.Values{"confirm": {testutil.Password}})
	if tf, _ := models.GetTwoFactor(t.Context(), db, ana.ID); !tf.Enabled() {
		t.Error("Ana reset her own second factor from the admin page")
	}

	// The operator's reset is not the administrator's.
	if err := models.ResetTwoFactor(t.Context(), db, models.ByOperator(), cy.ID); err != nil {
		t.Fatal(err)
	}
	passwordStep(t, cc, cy.Email, "/login/two-factor/enrol")
	text := cc.Get("/login/two-factor/enrol").Text("main, body")
	if strings.Contains(text, "administrator") || !strings.Contains(text, "Your second factor was reset") {
		t.Errorf("after the operator's reset Cy reads %q", text)
	}
}

// Making an API token needs a confirmation, not a session alone; a reset link and a password
// change revoke the person's tokens, and the change says so.
func TestTokensNeedConfirmationAndEndWithThePassword(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	c := s.signedIn(t, s.clerk.Email)
	db := s.app.DB(t, s.acme)
	db.Exec(`UPDATE sessions SET reauthenticated_at = NULL`)
	if c.Get("/settings/tokens").Doc.Find(`#token-confirm`).Length() != 1 {
		t.Error("the token form asks for no confirmation")
	}
	res := c.Post("/settings/tokens", url.Values{"name": {"erp"}, "days": {"30"}})
	if res.Status != http.StatusForbidden || res.Doc.Find("#new-token").Length() != 0 {
		t.Fatalf("a token with a session alone: %d", res.Status)
	}
	first := createToken(t, c, "erp")
	second := createToken(t, c, "bi") // within the confirmation
	works := func(token string) bool {
		return s.bearer(t, "acme", token).Get("/api/v1/me").Status == http.StatusOK
	}
	if !works(first) || !works(second) {
		t.Fatal("new tokens do not work")
	}
	res = c.Post("/settings/security/password", url.Values{"current_password": {testutil.Password},
		"new_password": {"a-brand-new-passphrase"}, "repeat_password": {"a-brand-new-passphrase"}})
	if flash := flashAfter(t, c, res); !strings.Contains(flash, "Your 2 API tokens were revoked") {
		t.Errorf("after a password change: %q", flash)
	}
	if works(first) || works(second) {
		t.Error("tokens outlived a password change")
	}

	r := s.signedIn(t, s.clerk2.Email)
	token := createToken(t, r, "bo")
	link := requestReset(t, s.app, s.app.Client(t, "acme"), s.clerk2.Email)
	b := s.app.Client(t, "acme")
	b.Get(link)
	if res := b.Post(link, url.Values{"password": {"another-new-passphrase"}, "confirm": {"another-new-passphrase"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.Status)
	}
	if works(token) {
		t.Error("a token outlived a password reset by link")
	}
}
