package sso_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"outlay/auth/sso"
	"outlay/internal/oidctest"
	"outlay/internal/tlstest"
	"outlay/outbound"
)

// hc is the outbound client as in development: test providers serve http on 127.0.0.1.
var hc = outbound.New(outbound.Options{Timeout: 5 * time.Second, AllowLoopback: true})

var quiet = slog.New(slog.DiscardHandler)

func TestCheckIssuerExplains(t *testing.T) {
	idp := oidctest.Start(t, oidctest.Options{})
	ctx := context.Background()
	if err := sso.CheckIssuer(ctx, hc, quiet, idp.Issuer); err != nil {
		t.Fatalf("good issuer: %v", err)
	}
	const unread = "The issuer's discovery document could not be read. Check the issuer URL."
	for issuer, want := range map[string]string{
		idp.Issuer + "/":            "The provider names its issuer “" + idp.Issuer + "”",
		idp.Issuer + "/nowhere":     unread,
		"http://127.0.0.1:1":        unread,
		idp.Issuer + "/jwks#x":      "", // a fragment is the form's business; any error will do
		"::not a url::":             "Enter the issuer as a URL",
		idp.Issuer + "/authorize":   unread,
		"https://169.254.169.254":   unread,
		"https://10.0.0.1/":         unread,
		"https://[::ffff:10.0.0.1]": unread,
	} {
		err := sso.CheckIssuer(ctx, hc, quiet, issuer)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", issuer, err, want)
		}
	}
	// Nothing the server was told comes back: not the status, not the address.
	err := sso.CheckIssuer(ctx, hc, quiet, idp.Issuer+"/nowhere")
	for _, leak := range []string{"404", "127.0.0.1", "well-known"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the message %q repeats %s", err, leak)
		}
	}
}

// A provider whose discovery document names an internal token, userinfo or key endpoint is
// refused when it is checked and when it is built: nothing is sent to that endpoint, least
// of all the client secret.
func TestInternalEndpointsAreRefused(t *testing.T) {
	inside := tlstest.Start(t, "127.0.0.2:0", http.NotFoundHandler())
	ctx := context.Background()
	for _, field := range []string{"token_endpoint", "userinfo_endpoint", "jwks_uri"} {
		idp := oidctest.Start(t, oidctest.Options{TLS: true, Discovery: map[string]any{field: inside.URL + "/x"}})
		// The operator allows the provider's own address, and only that.
		hc := outbound.New(outbound.Options{RootCAs: idp.RootCAs(), AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
		err := sso.CheckIssuer(ctx, hc, quiet, idp.Issuer)
		if err == nil || err.Error() != "The provider's discovery document names an endpoint this server may not use. Check the issuer URL." {
			t.Errorf("%s: check: %v", field, err)
		}
		_, err = sso.NewProviders(hc, 10).Get(ctx, sso.Config{Tenant: "acme", Name: "okta", Kind: sso.KindOIDC,
			Issuer: idp.Issuer, ClientID: "a", ClientSecret: "s", CallbackURL: "http://acme.localhost/cb"})
		if !errors.Is(err, sso.ErrUnavailable) {
			t.Errorf("%s: build: %v", field, err)
		}
	}
	if n := inside.Conns(); n != 0 {
		t.Errorf("the internal endpoint was connected to %d times", n)
	}
	// The same provider with its own endpoints is accepted over https under the allow setting.
	idp := oidctest.Start(t, oidctest.Options{TLS: true})
	hc := outbound.New(outbound.Options{RootCAs: idp.RootCAs(), AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err := sso.CheckIssuer(ctx, hc, quiet, idp.Issuer); err != nil {
		t.Errorf("allowed provider: %v", err)
	}
	// Without the allow setting the provider itself is refused, before anything is sent.
	if err := sso.CheckIssuer(ctx, outbound.New(outbound.Options{RootCAs: idp.RootCAs()}), quiet, idp.Issuer); err == nil {
		t.Error("a loopback provider was read without the allow setting")
	}
	// Discovery needs the outbound client: a plain client is not used.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: idp.RootCAs()}}}
	if err := sso.CheckIssuer(ctx, plain, quiet, idp.Issuer); err == nil {
		t.Error("a plain client was accepted")
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
