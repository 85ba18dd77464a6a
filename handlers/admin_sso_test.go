package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/handlers"
	"outlay/internal/oidctest"
	"outlay/internal/testutil"
	"outlay/models"
)

// providerForm is a filled-in add or edit form of an OpenID Connect provider.
func providerForm(issuer, secret string) url.Values {
	return url.Values{"kind": {"oidc"}, "name": {"okta"}, "label": {"Okta"}, "issuer": {issuer}, "client_id": {acmeClient},
		"client_secret": {secret}, "domains": {""}, "jit_role": {"requester"}, "enabled": {"true"}, "confirm": {testutil.Password}}
}

func TestSSOAdminProviders(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	idp := oidctest.Start(t, oidctest.Options{})
	idp.AddClient(acmeClient, acmeSecret)
	idp.SetUser(ana)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)

	page := c.Get("/admin/sso")
	if page.Status != 200 || page.Text(".page-header h1") != "Single sign-on" {
		t.Fatalf("SSO page: %d %q", page.Status, page.Text("h1"))
	}
	if page.Doc.Find(`nav.nav a[href="/admin/sso"][aria-current="page"]`).Length() != 1 {
		t.Error("the navigation does not mark Single sign-on")
	}
	if !strings.Contains(page.Text("#providers-title + .empty-state"), "No providers yet") {
		t.Errorf("empty state: %q", page.Text(".empty-state"))
	}
	if page.Doc.Find(`a[href="/admin/sso?add=oidc#provider-form"]`).Length() != 1 {
		t.Error("no link to add an OpenID Connect provider")
	}
	if !strings.Contains(page.Text(".hint"), "until the operator sets OUTLAY_GOOGLE_CLIENT_ID") {
		t.Error("the page does not say why Google cannot be added")
	}
	form := c.Get("/admin/sso?add=oidc")
	for _, field := range []string{"name", "label", "issuer", "client_id", "client_secret", "domains", "jit_role"} {
		if form.Doc.Find(`#provider-form [name="`+field+`"]`).Length() != 1 {
			t.Errorf("the add form has no %s field", field)
		}
	}
	if !strings.Contains(form.Text("#name-hint"), "http://acme.localhost:8080/auth/key/callback") {
		t.Errorf("the name hint does not show the callback URL: %q", form.Text("#name-hint"))
	}

	// A wrong issuer is explained beside the field; the typed secret is not sent back.
	res := c.Post("/admin/sso/providers", providerForm(idp.Issuer+"/", acmeSecret))
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#provider-form .field-error"), "The provider names its issuer") {
		t.Fatalf("wrong issuer: %d %q", res.Status, res.Text(".field-error"))
	}
	if v, ok := res.Doc.Find(`input[name="client_secret"]`).Attr("value"); ok || strings.Contains(res.Body, acmeSecret) {
		t.Errorf("the secret came back in the form (value %q)", v)
	}
	if v, _ := res.Doc.Find(`input[name="issuer"]`).Attr("value"); v != idp.Issuer+"/" {
		t.Errorf("the form lost the typed issuer: %q", v)
	}

	res = c.Post("/admin/sso/providers", providerForm(idp.Issuer, acmeSecret))
	if res.Status != http.StatusSeeOther || res.Location() != "/admin/sso" {
		t.Fatalf("add: %d %q %s", res.Status, res.Location(), res.Text(".field-error, .flash"))
	}
	page = c.Get("/admin/sso")
	if page.Text(".flash-success") != "Okta added." {
		t.Errorf("flash %q", page.Text(".flash"))
	}
	if got := page.Text("#provider-okta .callback-url"); got != "http://acme.localhost:8080/auth/okta/callback" {
		t.Errorf("callback URL shown %q", got)
	}
	if e, ok := app.Events.Last("sso.provider_created"); !ok || e.Subject != "sso_provider:okta" {
		t.Errorf("creation event %+v", e)
	}

	// The edit form shows that a secret is set, never the secret.
	p, _ := models.FindSSOProvider(context.Background(), app.DB(t, acme), "okta")
	edit := c.Get("/admin/sso?edit=" + itoa(p.ID))
	secret := edit.Doc.Find(`#provider-form input[name="client_secret"]`)
	if ph, _ := secret.Attr("placeholder"); ph != "••••• (set)" {
		t.Errorf("secret placeholder %q", ph)
	}
	if _, ok := secret.Attr("value"); ok || strings.Contains(edit.Body, acmeSecret) {
		t.Error("the edit page contains the secret")
	}
	// Saved without a secret, the old one stays, and sign-in works.
	upd := providerForm(idp.Issuer, "")
	upd.Set("label", "Okta Workforce")
	if res := c.Post("/admin/sso/providers/"+itoa(p.ID), upd); res.Status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	d := app.Client(t, "acme")
	if d.Get("/login").Text(".btn-sso") != "Sign in with Okta Workforce" {
		t.Error("the button does not show the new label")
	}
	signedInAs(t, d, ssoSignIn(t, d, "okta"), "Ana Admin")
	// A rotated secret is used at once (the cached provider is replaced).
	idp.AddClient(acmeClient, "rotated-secret-9d2")
	upd.Set("client_secret", "rotated-secret-9d2")
	c.Get("/admin/sso")
	if res := c.Post("/admin/sso/providers/"+itoa(p.ID), upd); res.Status != http.StatusSeeOther {
		t.Fatalf("rotate: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	e := app.Client(t, "acme")
	signedInAs(t, e, ssoSignIn(t, e, "okta"), "Ana Admin")
	if ev, _ := app.Events.Last("sso.provider_updated"); ev.Details["client_secret"] != "changed" {
		t.Errorf("rotation event %+v", ev)
	}

	// Turned off, the button goes and the flow is refused.
	upd.Del("enabled")
	upd.Set("client_secret", "")
	c.Get("/admin/sso")
	c.Post("/admin/sso/providers/"+itoa(p.ID), upd)
	f := app.Client(t, "acme")
	if f.Get("/login").Doc.Find(".btn-sso").Length() != 0 {
		t.Error("a provider turned off still has a button")
	}
	if res := f.Get("/auth/okta"); res.Status != http.StatusNotFound {
		t.Errorf("a provider turned off: /auth/okta %d", res.Status)
	}

	// Deleting removes it and its links.
	c.Get("/admin/sso")
	if res := c.Post("/admin/sso/providers/"+itoa(p.ID)+"/delete", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.Status)
	}
	if !strings.Contains(c.Get("/admin/sso").Text(".flash-success"), "deleted") {
		t.Error("no message after deleting")
	}
	if e, ok := app.Events.Last("sso.provider_deleted"); !ok || e.Details["identities_unlinked"] != int64(1) {
		t.Errorf("deletion event %+v", e)
	}
}

func TestSSOAdminPolicy(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	aud := s.app.CreateUser(t, s.acme, "aud@acme.example", "Audrey Auditor", "auditor")
	c := s.app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	a := s.app.Client(t, "acme")
	a.SignIn("aud@acme.example", testutil.Password) // before SSO is required
	page := c.Get("/admin/sso")
	if page.Doc.Find(`select[name="break_glass"] option[value="`+itoa(s.ana.ID)+`"]`).Length() != 1 {
		t.Fatal("Ana is not offered as break-glass admin")
	}
	if page.Doc.Find(`select[name="break_glass"] option[value="`+itoa(aud.ID)+`"]`).Length() != 0 {
		t.Error("an auditor, who cannot edit SSO, is offered as break-glass admin")
	}
	res := c.Post("/admin/sso/settings", url.Values{"require_sso": {"true"}, "break_glass": {""}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#break_glass-error"), "Name a break-glass admin") {
		t.Fatalf("require without break-glass: %d %q", res.Status, res.Text(".field-error"))
	}
	if _, checked := res.Doc.Find(`input[name="require_sso"]`).Attr("checked"); !checked {
		t.Error("the re-shown form lost the ticked box")
	}
	res = c.Post("/admin/sso/settings", url.Values{"require_sso": {"true"}, "break_glass": {itoa(s.ana.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("require: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	if e, ok := s.app.Events.Last("sso.settings_updated"); !ok || e.Details["require_sso"] == nil {
		t.Errorf("settings event %+v", e)
	}
	// The last provider cannot go while SSO is required.
	p, _ := models.FindSSOProvider(context.Background(), s.db, "okta")
	c.Get("/admin/sso")
	c.Post("/admin/sso/providers/"+itoa(p.ID)+"/delete", nil)
	if msg := c.Get("/admin/sso").Text(".flash-error"); msg != models.SSORequiredNeedsProvider {
		t.Errorf("delete the last provider: flash %q", msg)
	}

	// The auditor reads the page but changes nothing.
	ro := a.Get("/admin/sso")
	if ro.Status != 200 {
		t.Fatalf("auditor: %d", ro.Status)
	}
	if ro.Doc.Find(`button[type="submit"]`).Not(".logout-form button").Length() != 0 || ro.Doc.Find(`a[href^="/admin/sso?"]`).Length() != 0 {
		t.Error("the auditor is offered buttons that change settings")
	}
	if _, disabled := ro.Doc.Find(`input[name="require_sso"]`).Attr("disabled"); !disabled {
		t.Error("the auditor's policy form is not read-only")
	}
	if res := a.Post("/admin/sso/settings", url.Values{"require_sso": {""}}); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("auditor changing settings: %d %q", res.Status, res.Location())
	}
	if msg := a.Get("/dashboard").Text(".flash-error"); msg != handlers.ForbiddenMessage {
		t.Errorf("refusal flash %q", msg)
	}
}

// The linked-accounts partial for the user pages: unlinking from it swaps it in place.
func TestSSOUnlinkPartial(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	c := s.app.Client(t, "acme")
	signedInAs(t, c, ssoSignIn(t, c, "okta"), "Ana Admin")
	page := c.Get("/admin/sso")
	row := page.Doc.Find("#linked-accounts tbody tr")
	if row.Length() != 1 || !strings.Contains(row.Text(), "ana@acme.example") || !strings.Contains(row.Text(), "Okta") {
		t.Fatalf("linked accounts: %q", page.Text("#linked-accounts"))
	}
	ids, _ := models.UserSSOIdentities(context.Background(), s.db, s.ana.ID)
	c.Header.Set("HX-Request", "true")
	res := c.Post("/admin/users/"+itoa(s.ana.ID)+"/identities/"+itoa(ids[0].ID)+"/unlink", nil)
	c.Header.Del("HX-Request")
	if res.Status != 200 || res.Doc.Find("#linked-accounts-"+itoa(s.ana.ID)).Length() != 1 || !strings.Contains(res.Text(".empty-state"), "No linked accounts") {
		t.Errorf("htmx unlink: %d %s", res.Status, res.Body)
	}
	if !strings.Contains(res.Header.Get("HX-Trigger"), "Account unlinked") {
		t.Errorf("toast %q", res.Header.Get("HX-Trigger"))
	}
}
