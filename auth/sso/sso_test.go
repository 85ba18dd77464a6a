package sso_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"outlay/auth/sso"
	"outlay/internal/oidctest"
)

var hc = &http.Client{Timeout: 5 * time.Second}

func TestCheckIssuerExplains(t *testing.T) {
	idp := oidctest.Start(t, oidctest.Options{})
	ctx := context.Background()
	if err := sso.CheckIssuer(ctx, hc, idp.Issuer); err != nil {
		t.Fatalf("good issuer: %v", err)
	}
	for issuer, want := range map[string]string{
		idp.Issuer + "/":          "The provider names its issuer “" + idp.Issuer + "”",
		idp.Issuer + "/nowhere":   "answered 404",
		"http://127.0.0.1:1":      "Could not reach",
		idp.Issuer + "/jwks#x":    "", // a fragment is the form's business; any error will do
		"::not a url::":           "Enter the issuer as a URL",
		idp.Issuer + "/authorize": "answered",
	} {
		err := sso.CheckIssuer(ctx, hc, issuer)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", issuer, err, want)
		}
	}
}

// Providers are cached per tenant and name, rebuilt when their configuration changes and
// dropped by Forget; a failed discovery is not cached.
func TestProvidersCache(t *testing.T) {
	idp := oidctest.Start(t, oidctest.Options{})
	ctx := context.Background()
	cache := sso.NewProviders(hc, 2)
	acme := sso.Config{Tenant: "acme", Name: "okta", Kind: sso.KindOIDC, Issuer: idp.Issuer, ClientID: "a", ClientSecret: "s", CallbackURL: "http://acme.localhost/auth/okta/callback"}
	globex := acme
	globex.Tenant, globex.CallbackURL = "globex", "http://globex.localhost/auth/okta/callback"

	a1, err := cache.Get(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	if a2, _ := cache.Get(ctx, acme); a2 != a1 {
		t.Error("the same configuration built a second provider")
	}
	if g, _ := cache.Get(ctx, globex); g == a1 {
		t.Error("two tenants share one provider value")
	}
	changed := acme
	changed.ClientSecret = "rotated"
	if a3, _ := cache.Get(ctx, changed); a3 == a1 {
		t.Error("a changed secret did not rebuild the provider")
	}
	cache.Forget("acme")
	if cache.Cached("acme", "okta") || !cache.Cached("globex", "okta") {
		t.Error("Forget(acme) did not drop exactly acme's providers")
	}
	broken := acme
	broken.Name, broken.Issuer = "broken", "http://127.0.0.1:1"
	if _, err := cache.Get(ctx, broken); !errors.Is(err, sso.ErrUnavailable) {
		t.Errorf("unreachable issuer: %v", err)
	}
	if cache.Cached("acme", "broken") {
		t.Error("a failed discovery was cached")
	}
	// The cache holds at most its size.
	other := acme
	other.Name = "other"
	cache.Get(ctx, acme)
	cache.Get(ctx, other)
	n := 0
	for _, k := range [][2]string{{"acme", "okta"}, {"acme", "other"}, {"globex", "okta"}} {
		if cache.Cached(k[0], k[1]) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d providers cached, want at most 2", n)
	}
}

func TestAuthURLCarriesNonceAndPKCE(t *testing.T) {
	idp := oidctest.Start(t, oidctest.Options{})
	c, err := sso.NewProviders(hc, 10).Get(context.Background(), sso.Config{Tenant: "acme", Name: "okta", Kind: sso.KindOIDC,
		Issuer: idp.Issuer, ClientID: "a", ClientSecret: "s", CallbackURL: "http://acme.localhost/cb"})
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := sso.NewRequest(), sso.NewRequest()
	if r1.State == r2.State || r1.Nonce == r2.Nonce || r1.Verifier == r2.Verifier || r1.State == r1.Nonce {
		t.Fatal("sign-in secrets repeat")
	}
	u, err := c.AuthURL(r1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"state=" + r1.State, "nonce=" + r1.Nonce, "code_challenge_method=S256", "redirect_uri=http%3A%2F%2Facme.localhost%2Fcb"} {
		if !strings.Contains(u, want) {
			t.Errorf("auth URL %s lacks %s", u, want)
		}
	}
	if strings.Contains(u, r1.Verifier) {
		t.Error("the PKCE verifier itself is in the URL")
	}
	// Microsoft gets PKCE even though its discovery document does not offer it.
	quiet := oidctest.Start(t, oidctest.Options{NoPKCE: true})
	ms, err := sso.NewProviders(hc, 10).Get(context.Background(), sso.Config{Tenant: "acme", Name: "microsoft", Kind: sso.KindMicrosoft,
		Issuer: quiet.Issuer, ClientID: "a", ClientSecret: "s", CallbackURL: "http://acme.localhost/cb"})
	if err != nil || !ms.PKCE() {
		t.Errorf("microsoft PKCE: %v %v", ms.PKCE(), err)
	}
}
