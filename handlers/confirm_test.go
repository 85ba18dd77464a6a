package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/oidctest"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/views"
)

// Adding or changing a sign-in provider needs the admin to have confirmed it's them (password
// or code) in the last minutes: a session alone is refused, the form coming back asking for it.
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
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#provider-confirm-error"), "Confirm it's you") || providers() != 0 {
		t.Fatalf("with a session alone: %d %q, %d providers", res.Status, res.Text("#provider-confirm-error"), providers())
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
	if res := c.Post("/admin/sso/providers/"+itoa(id), form); res.Status != http.StatusUnprocessableEntity || res.Doc.Find("#provider-confirm").Length() != 1 {
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
	if res := admin.Post(reset, nil); res.Status != http.StatusUnprocessableEntity || countEvents(t, db, models.EventTwoFactorReset) != 0 {
		t.Fatalf("a reset with a session alone: %d", res.Status)
	} else if res.Doc.Find("#reset-confirm").AttrOr("aria-invalid", "") != "true" || res.Doc.Find("#sign-out-confirm").Length() != 1 ||
		res.Doc.Find("#sign-out-confirm").AttrOr("aria-invalid", "") == "true" {
		// The page's other confirmed form (signing Bo out everywhere) is shown without the refusal.
		t.Errorf("the refusal is not beside the reset's field alone: reset %q, sign-out %q (%d)",
			res.Doc.Find("#reset-confirm").AttrOr("aria-invalid", ""), res.Doc.Find("#sign-out-confirm").AttrOr("aria-invalid", ""),
			res.Doc.Find("#sign-out-confirm").Length())
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
	if err := models.ResetTwoFactor(t.Context(), db, models.ByOperator(), cy.ID, nil); err != nil {
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
	if res.Status != http.StatusUnprocessableEntity || res.Doc.Find("#new-token").Length() != 0 || res.Doc.Find("#token-confirm").Length() != 1 {
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

// A wrong password in the "Confirm it's you" field of a form sends the form back as it was
// filled in, the refusal beside that field and tied to it; only what is secret (the password
// itself, a client secret) is typed again, and the client secret's field says so.
func TestARefusedConfirmationKeepsTheForm(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "ap_clerk")
	idp := oidctest.Start(t, oidctest.Options{})
	idp.AddClient(acmeClient, acmeSecret)
	app := testutil.NewApp(t, env)
	db := env.DB(t, acme)
	b := app.Client(t, "acme")
	b.SignIn(bo.Email, testutil.Password)
	enrolThroughPage(t, b)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	db.Exec(`UPDATE sessions SET reauthenticated_at = NULL`)

	refusedBeside := func(t *testing.T, res *testutil.Response, id, want string) {
		t.Helper()
		field := res.Doc.Find("#" + id)
		if res.Status != http.StatusUnprocessableEntity || field.AttrOr("aria-invalid", "") != "true" ||
			field.AttrOr("aria-describedby", "") != id+"-error" || !strings.Contains(res.Text("#"+id+"-error"), want) {
			t.Fatalf("status %d, field %q described by %q, message %q", res.Status, field.AttrOr("aria-invalid", ""),
				field.AttrOr("aria-describedby", ""), res.Text("#"+id+"-error"))
		}
		if v := field.AttrOr("value", ""); v != "" {
			t.Errorf("the refused password is sent back: %q", v)
		}
	}

	t.Run("provider", func(t *testing.T) {
		form := providerForm(idp.Issuer, acmeSecret)
		form.Set("confirm", "not-her-password")
		form.Set("label", "Okta for staff")
		form.Set("domains", "acme.example")
		c.Get("/admin/sso?add=oidc")
		res := c.Post("/admin/sso/providers", form)
		refusedBeside(t, res, "provider-confirm", "That is not your password")
		for field, want := range map[string]string{"name": "okta", "label": "Okta for staff", "issuer": idp.Issuer, "client_id": acmeClient, "domains": "acme.example"} {
			if got := res.Doc.Find(`#provider-form input[name="`+field+`"]`).AttrOr("value", ""); got != want {
				t.Errorf("%s came back as %q, not %q", field, got, want)
			}
		}
		if res.Doc.Find(`#jit_role option[value="requester"][selected]`).Length() != 1 || res.Doc.Find(`#provider-form input[name="enabled"][checked]`).Length() != 1 {
			t.Error("the role or the choice to show the provider was lost")
		}
		secret := res.Doc.Find("#client_secret")
		if secret.AttrOr("value", "") != "" || !strings.Contains(res.Text("#client_secret-hint"), "Type the client secret again") {
			t.Errorf("client secret: value %q, hint %q", secret.AttrOr("value", ""), res.Text("#client_secret-hint"))
		}
		if res.Text("#provider-form .form-error") != views.FieldsMarked {
			t.Errorf("the form says %q above it", res.Text("#provider-form .form-error"))
		}
		var n int
		db.Raw(`SELECT count(*) FROM sso_providers`).Scan(&n)
		if n != 0 {
			t.Errorf("%d providers saved with a wrong password", n)
		}
	})
	t.Run("token", func(t *testing.T) {
		c.Get("/settings/tokens")
		res := c.Post("/settings/tokens", url.Values{"name": {"nightly ERP sync"}, "days": {"90"}, "confirm": {""}})
		refusedBeside(t, res, "token-confirm", "Enter your password")
		if got := res.Doc.Find("#token-name").AttrOr("value", ""); got != "nightly ERP sync" {
			t.Errorf("the token's name came back as %q", got)
		}
		if res.Doc.Find(`#token-days option[value="90"][selected]`).Length() != 1 {
			t.Error("the token's lifetime was lost")
		}
		if res.Doc.Find("#new-token").Length() != 0 {
			t.Error("a token was made with no confirmation")
		}
	})
	t.Run("second factor reset", func(t *testing.T) {
		c.Get("/admin/users/" + itoa(bo.ID))
		res := c.Post("/admin/users/"+itoa(bo.ID)+"/two-factor/reset", url.Values{"confirm": {"123456"}})
		refusedBeside(t, res, "reset-confirm", "That is not your password")
		if countEvents(t, db, models.EventTwoFactorReset) != 0 {
			t.Error("the second factor was reset with a wrong password")
		}
	})
}
