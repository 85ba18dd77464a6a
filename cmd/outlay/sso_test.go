package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"outlay/auth"
	"outlay/config"
	"outlay/internal/oidctest"
	"outlay/models"
	"outlay/tenancy"
)

func TestSSOCommands(t *testing.T) {
	key := config.NewSecretKey()
	t.Setenv("OUTLAY_DATABASE_URL", newControlDSN(t))
	t.Setenv("OUTLAY_SECRET_KEY", key)
	t.Setenv("OUTLAY_SSO_ALLOW_HTTP_ISSUERS", "true") // the test provider is http on 127.0.0.1
	t.Setenv("OUTLAY_SSO_CLIENT_SECRET", "")
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-password", "a long enough password"); code != 0 {
		t.Fatalf("create tenant: %d %q %q", code, out, errs)
	}
	idp := oidctest.Start(t, oidctest.Options{})
	const secret = "cli-secret-7a1e"

	code, out, _ := runCmd(t, "sso", "list", "acme")
	if code != 0 || !strings.Contains(out, "acme has no SSO providers") || !strings.Contains(out, "policy: password sign-in allowed") {
		t.Fatalf("empty list: %d %q", code, out)
	}
	code, out, errs := runCmd(t, "sso", "set", "acme", "okta", "--issuer", idp.Issuer, "--client-id", "cli-client", "--client-secret", secret,
		"--domains", "acme.example,Acme.co.uk", "--jit-role", "requester")
	if code != 0 || !strings.Contains(out, "acme: provider okta created (enabled)") || !strings.Contains(out, "http://acme.localhost:8080/auth/okta/callback") {
		t.Fatalf("set: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd(t, "sso", "list", "acme")
	t.Logf("outlay sso list acme:\n%s", out)
	for _, want := range []string{"okta", "oidc", "Okta", "enabled", idp.Issuer, "cli-client", "set", "acme.example, acme.co.uk", "created as requester"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Error("list prints the secret")
	}
	// Flags left out keep their values; the secret stored opens with the servers' key.
	if code, out, errs := runCmd(t, "sso", "set", "--label", "Okta Workforce", "acme", "okta", "--no-jit"); code != 0 || !strings.Contains(out, "provider okta updated") {
		t.Fatalf("update: %d %q %q", code, out, errs)
	}
	tn := lookupTenant(t, os.Getenv("OUTLAY_DATABASE_URL"), "acme")
	db, closeDB, err := tenancy.OpenOne(context.Background(), tn, secretKey(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	p, err := models.FindSSOProvider(context.Background(), db, "okta")
	if err != nil {
		t.Fatal(err)
	}
	keyBytes, _ := config.DecodeSecretKey(key)
	box, _ := auth.NewSecretBox(keyBytes, models.SSOSecretPurpose)
	if got, err := p.ClientSecret(box); err != nil || got != secret || p.Label != "Okta Workforce" || p.Issuer != idp.Issuer || p.JITEnabled || p.AllowedDomains.String() != "acme.example, acme.co.uk" {
		t.Errorf("after update: %+v secret %q %v", p, got, err)
	}

	// The page's validation applies.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sso", "set", "acme", "keycloak", "--issuer", idp.Issuer, "--client-id", "c"}, "client_secret: Enter the client secret"},
		{[]string{"sso", "set", "acme", "keycloak", "--issuer", idp.Issuer + "/", "--client-id", "c", "--client-secret", "s"}, "The provider names its issuer"},
		{[]string{"sso", "set", "acme", "keycloak", "--issuer", "http://idp.example.com", "--client-id", "c", "--client-secret", "s"}, "must be an https:// URL"},
		{[]string{"sso", "set", "acme", "keycloak", "--issuer", idp.Issuer, "--client-id", "c", "--client-secret", "s", "--jit-role", "admin"}, "must not become admins"},
		{[]string{"sso", "set", "acme", "keycloak", "--issuer", idp.Issuer, "--client-id", "c", "--client-secret", "s", "--jit-role", "requester"}, "at least one allowed domain"},
		{[]string{"sso", "set", "acme", "Bad_Name", "--issuer", idp.Issuer, "--client-id", "c", "--client-secret", "s"}, "name: Use 2–31"},
		{[]string{"sso", "set", "nosuch", "okta", "--issuer", idp.Issuer, "--client-id", "c", "--client-secret", "s"}, `no tenant "nosuch"`},
		{[]string{"sso", "set", "acme"}, "usage: outlay sso set"},
	} {
		code, _, errs := runCmd(t, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args[2:], code, errs, tc.want)
		}
	}
	t.Setenv("OUTLAY_SECRET_KEY", "")
	if code, _, errs := runCmd(t, "sso", "set", "acme", "okta", "--client-secret", "x"); code == 0 || !strings.Contains(errs, "OUTLAY_SECRET_KEY") {
		t.Errorf("without a secret key: %d %q", code, errs)
	}
}
