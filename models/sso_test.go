package models_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"outlay"
	"outlay/auth"
	"outlay/internal/dbtest"
	"outlay/models"
)

func ssoRules(t *testing.T, env *dbtest.Env) models.SSORules {
	t.Helper()
	box, err := auth.NewSecretBox(env.Config.SecretKey, models.SSOSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	return models.SSORules{Box: box, Google: true, Grantor: models.ByOperator()}
}

var okta = models.SSOProviderInput{Kind: models.SSOKindOIDC, Name: "okta", Label: "Okta", Issuer: "https://acme.okta.com",
	ClientID: "client-1", ClientSecret: "s3cret-value-123", Enabled: true}

func TestSSOProviderValidation(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	rules := ssoRules(t, env)
	with := func(edit func(in *models.SSOProviderInput)) models.SSOProviderInput {
		in := okta
		edit(&in)
		return in
	}
	for name, tc := range map[string]struct {
		in    models.SSOProviderInput
		field string
	}{
		"no name":                {with(func(in *models.SSOProviderInput) { in.Name = "" }), "name"},
		"name with a slash":      {with(func(in *models.SSOProviderInput) { in.Name = "ok/ta" }), "name"},
		"reserved name":          {with(func(in *models.SSOProviderInput) { in.Name = "google" }), "name"},
		"http issuer":            {with(func(in *models.SSOProviderInput) { in.Issuer = "http://acme.okta.com" }), "issuer"},
		"http loopback issuer":   {with(func(in *models.SSOProviderInput) { in.Issuer = "http://127.0.0.1:9999" }), "issuer"},
		"issuer with a query":    {with(func(in *models.SSOProviderInput) { in.Issuer = "https://acme.okta.com?x=1" }), "issuer"},
		"not a URL":              {with(func(in *models.SSOProviderInput) { in.Issuer = "acme.okta.com" }), "issuer"},
		"no client id":           {with(func(in *models.SSOProviderInput) { in.ClientID = " " }), "client_id"},
		"no client secret":       {with(func(in *models.SSOProviderInput) { in.ClientSecret = "" }), "client_secret"},
		"no label":               {with(func(in *models.SSOProviderInput) { in.Label = "" }), "label"},
		"bad domain":             {with(func(in *models.SSOProviderInput) { in.Domains = "acme.example, not a domain!" }), "domains"},
		"JIT without a role":     {with(func(in *models.SSOProviderInput) { in.JIT, in.Domains = true, "acme.example" }), "jit_role"},
		"JIT as admin":           {with(func(in *models.SSOProviderInput) { in.JIT, in.JITRole, in.Domains = true, "admin", "acme.example" }), "jit_role"},
		"JIT with unknown role":  {with(func(in *models.SSOProviderInput) { in.JIT, in.JITRole, in.Domains = true, "king", "acme.example" }), "jit_role"},
		"JIT without domains":    {with(func(in *models.SSOProviderInput) { in.JIT, in.JITRole = true, "requester" }), "domains"},
		"unknown kind":           {with(func(in *models.SSOProviderInput) { in.Kind = "saml" }), "kind"},
		"Microsoft without a id": {models.SSOProviderInput{Kind: models.SSOKindMicrosoft, Enabled: true}, "entra_tenant_id"},
		"Microsoft not set up":   {models.SSOProviderInput{Kind: models.SSOKindMicrosoft, EntraTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}, ""},
	} {
		_, err := models.SaveSSOProvider(ctx, db, 0, tc.in, rules)
		v, ok := outlay.AsValidation(err)
		if !ok || v[tc.field] == "" {
			t.Errorf("%s: %v, want a message for %q", name, err, tc.field)
		}
	}
	var n int64
	db.Model(&models.SSOProvider{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d providers stored by refused saves", n)
	}

	// Domains are normalised; a duplicate name is refused.
	p, err := models.SaveSSOProvider(ctx, db, 0, with(func(in *models.SSOProviderInput) { in.Domains = "@Acme.example; acme.co.uk acme.example" }), rules)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.AllowedDomains.String(); got != "acme.example, acme.co.uk" {
		t.Errorf("domains stored as %q", got)
	}
	if _, err := models.SaveSSOProvider(ctx, db, 0, okta, rules); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("duplicate name: %v", err)
	}
	// Google is added once, with the deployment's credentials and no secret of its own.
	g, err := models.SaveSSOProvider(ctx, db, 0, models.SSOProviderInput{Kind: models.SSOKindGoogle, ClientSecret: "ignored", Enabled: true}, rules)
	if err != nil || g.Name != "google" || g.Label != "Google" || g.HasSecret() {
		t.Errorf("google: %+v %v", g, err)
	}
	if _, err := models.SaveSSOProvider(ctx, db, 0, models.SSOProviderInput{Kind: models.SSOKindGoogle}, rules); err == nil {
		t.Error("a second Google provider was added")
	}
}

// The client secret is stored sealed, never in plain, opens only under the deployment's
// key, and an edit without a new secret keeps it.
func TestSSOClientSecretAtRest(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	rules := ssoRules(t, env)
	p, err := models.SaveSSOProvider(ctx, db, 0, okta, rules)
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	db.Raw(`SELECT client_secret_sealed FROM sso_providers WHERE id = ?`, p.ID).Scan(&raw)
	var dump string
	db.Raw(`SELECT row_to_json(p)::text FROM sso_providers p`).Scan(&dump)
	if len(raw) == 0 || bytes.Contains(raw, []byte(okta.ClientSecret)) || strings.Contains(dump, okta.ClientSecret) {
		t.Fatalf("the secret is stored in plain: %q", dump)
	}
	if got, err := p.ClientSecret(rules.Box); err != nil || got != okta.ClientSecret {
		t.Errorf("open: %q %v", got, err)
	}
	other, _ := auth.NewSecretBox(bytes.Repeat([]byte{1}, 32), models.SSOSecretPurpose)
	if _, err := p.ClientSecret(other); !errors.Is(err, auth.ErrUnsealable) {
		t.Errorf("opened under another OUTLAY_SECRET_KEY: %v", err)
	}
	in := okta
	in.ClientSecret, in.Label = "", "Okta SSO"
	p, err = models.SaveSSOProvider(ctx, db, p.ID, in, rules)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := p.ClientSecret(rules.Box); got != okta.ClientSecret || p.Label != "Okta SSO" {
		t.Errorf("after an edit without a secret: secret %q label %q", got, p.Label)
	}
	// A sealed secret copied onto another provider does not open there.
	in = okta
	in.Name, in.ClientSecret = "copy", "other secret value"
	copyP, err := models.SaveSSOProvider(ctx, db, 0, in, rules)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(`UPDATE sso_providers SET client_secret_sealed = ? WHERE id = ?`, raw, copyP.ID)
	copyP, _ = models.FindSSOProvider(ctx, db, "copy")
	if _, err := copyP.ClientSecret(rules.Box); !errors.Is(err, auth.ErrUnsealable) {
		t.Errorf("a secret moved to another provider opened: %v", err)
	}
}

func TestRequireSSOGuards(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	rules := ssoRules(t, env)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo", "requester")

	field := func(err error) string {
		v, ok := outlay.AsValidation(err)
		if !ok {
			return "not a validation error: " + errString(err)
		}
		for k := range v {
			return k
		}
		return ""
	}
	if f := field(models.UpdateSSOSettings(ctx, db, models.ByOperator(), true, ana.ID)); f != "require_sso" {
		t.Errorf("require SSO with no provider: %q", f)
	}
	p, err := models.SaveSSOProvider(ctx, db, 0, okta, rules)
	if err != nil {
		t.Fatal(err)
	}
	if f := field(models.UpdateSSOSettings(ctx, db, models.ByOperator(), true, 0)); f != "break_glass" {
		t.Errorf("require SSO without break-glass admin: %q", f)
	}
	if f := field(models.UpdateSSOSettings(ctx, db, models.ByOperator(), true, bo.ID)); f != "break_glass" {
		t.Errorf("a requester as break-glass admin: %q", f)
	}
	if err := models.UpdateSSOSettings(ctx, db, models.ByOperator(), true, ana.ID); err != nil {
		t.Fatal(err)
	}
	for email, want := range map[string]bool{"ana@acme.example": true, "ANA@acme.example": true, "bo@acme.example": false, "nobody@acme.example": false} {
		if got, err := models.PasswordSignInAllowed(ctx, db, email); err != nil || got != want {
			t.Errorf("password sign-in for %s: %v %v, want %v", email, got, err, want)
		}
	}
	// The last enabled provider can be neither turned off nor deleted while SSO is required.
	in := okta
	in.Enabled = false
	if _, err := models.SaveSSOProvider(ctx, db, p.ID, in, rules); errString(err) != models.SSORequiredNeedsProvider {
		t.Errorf("turning off the last provider: %v", err)
	}
	if _, err := models.DeleteSSOProvider(ctx, db, models.ByOperator(), p.ID); errString(err) != models.SSORequiredNeedsProvider {
		t.Errorf("deleting the last provider: %v", err)
	}
	if got, _ := models.FindSSOProvider(ctx, db, "okta"); got == nil || !got.Enabled {
		t.Error("the refused change was made anyway")
	}
	if err := models.UpdateSSOSettings(ctx, db, models.ByOperator(), false, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := models.DeleteSSOProvider(ctx, db, models.ByOperator(), p.ID); err != nil {
		t.Errorf("delete once SSO is optional: %v", err)
	}
	if ok, _ := models.PasswordSignInAllowed(ctx, db, "bo@acme.example"); !ok {
		t.Error("password sign-in still refused after SSO became optional")
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// Two first sign-ins of one person at once link one identity, and two of a new person with
// provisioning on create one account.
func TestSSOFirstSignInsAtOnce(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	// Ana has no other way in (invited for single sign-on), so her first sign-in links at once.
	db.Exec(`UPDATE users SET password_hash = NULL WHERE email = 'ana@acme.example'`)
	in := okta
	in.JIT, in.JITRole, in.Domains = true, "requester", "acme.example"
	p, err := models.SaveSSOProvider(ctx, db, 0, in, ssoRules(t, env))
	if err != nil {
		t.Fatal(err)
	}
	for _, claims := range []models.SSOClaims{
		{Subject: "sub-ana", Email: "ana@acme.example", EmailVerified: true},
		{Subject: "sub-new", Email: "new@acme.example", EmailVerified: true, Name: "New Person"},
	} {
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = models.SignInWithSSO(ctx, db, p, claims, nil)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Errorf("%s: %v", claims.Email, err)
			}
		}
		var ids, users int64
		db.Model(&models.SSOIdentity{}).Where("subject = ?", claims.Subject).Count(&ids)
		db.Model(&models.User{}).Where("lower(email) = ?", claims.Email).Count(&users)
		if ids != 1 || users != 1 {
			t.Errorf("%s: %d identities and %d users, want 1 and 1", claims.Email, ids, users)
		}
	}
}

// Every change to SSO settings goes through RecordSSOEvent, and the secret is never in it.
func TestSSOChangesAreRecorded(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	var events []models.SSOEvent
	ctx := models.WithSSOEventSink(context.Background(), func(_ context.Context, e models.SSOEvent) { events = append(events, e) })
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	rules := ssoRules(t, env)
	p, err := models.SaveSSOProvider(ctx, db, 0, okta, rules)
	if err != nil {
		t.Fatal(err)
	}
	in := okta
	in.ClientSecret, in.Domains = "a new secret value", "acme.example"
	if _, err := models.SaveSSOProvider(ctx, db, p.ID, in, rules); err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateSSOSettings(ctx, db, models.ByOperator(), true, ana.ID); err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateSSOSettings(ctx, db, models.ByOperator(), false, ana.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := models.DeleteSSOProvider(ctx, db, models.ByOperator(), p.ID); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range events {
		names = append(names, e.Name)
		if s := strings.Join([]string{e.Subject, stringify(e.Details)}, " "); strings.Contains(s, okta.ClientSecret) || strings.Contains(s, "a new secret value") {
			t.Errorf("%s records the secret: %s", e.Name, s)
		}
	}
	want := "sso.provider_created sso.provider_updated sso.settings_updated sso.settings_updated sso.provider_deleted"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if d := events[1].Details; d["client_secret"] != "changed" || d["allowed_domains"] == nil || d["label"] != nil {
		t.Errorf("update details %v: want the secret marked changed, the domains' change, and nothing about the unchanged label", d)
	}
}

func stringify(m map[string]any) string {
	var b strings.Builder
	for k, v := range m {
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " ")))
		b.WriteString(" ")
	}
	return b.String()
}

func fmtAny(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		return stringify(v)
	}
	return ""
}

// Removing the break-glass admin never fails; SSO stays required and nobody keeps a password.
func TestBreakGlassAdminRemoved(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	bg := env.CreateUser(t, acme, "bg@acme.example", "Break Glass", "admin")
	if _, err := models.SaveSSOProvider(ctx, db, 0, okta, ssoRules(t, env)); err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateSSOSettings(ctx, db, models.ByOperator(), true, bg.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`DELETE FROM users WHERE id = ?`, bg.ID).Error; err != nil {
		t.Fatalf("delete the break-glass admin: %v", err)
	}
	s, _ := models.GetSSOSettings(ctx, db)
	if !s.RequireSSO || s.BreakGlassUserID != nil {
		t.Errorf("settings after the removal: %+v", s)
	}
	if ok, _ := models.PasswordSignInAllowed(ctx, db, "bg@acme.example"); ok {
		t.Error("password sign-in allowed for a removed break-glass admin's email")
	}
}
