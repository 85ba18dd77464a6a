package handlers_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"outlay/auth"
	"outlay/internal/oidctest"
	"outlay/internal/testutil"
	"outlay/internal/tlstest"
	"outlay/models"
)

const unreadDiscovery = "The issuer's discovery document could not be read. Check the issuer URL."

// An issuer inside the network is refused with a message that says only what the admin
// needs, never the status, body or address the server met; with the operator's allow
// setting the server reaches it, and still repeats nothing of what it answered.
func TestSSOAdminRefusesInternalIssuers(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	inside := tlstest.Start(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "internal-secret-body")
	}))
	env.Config.SSOAllowHTTPIssuers = false
	env.Config.OutboundRootCAs = inside.RootCAs()

	save := func(c *testutil.Client, issuer string) {
		c.Get("/admin/sso")
		res := c.Post("/admin/sso/providers", providerForm(issuer, acmeSecret))
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d, want 422", issuer, res.Status)
		}
		if got := res.Text("#provider-form .field-error"); got != unreadDiscovery {
			t.Errorf("%s: message %q, want %q", issuer, got, unreadDiscovery)
		}
		if strings.Contains(res.Body, "internal-secret-body") || strings.Contains(res.Text(".field-error"), "418") {
			t.Errorf("%s: the page repeats what the internal server answered", issuer)
		}
	}
	admin := func(app *testutil.App) *testutil.Client {
		c := app.Client(t, "acme")
		c.SignIn("ana@acme.example", testutil.Password)
		return c
	}
	app := testutil.NewApp(t, env)
	c := admin(app)
	for _, issuer := range []string{inside.URL, "https://localhost:" + inside.Port(),
		"https://169.254.169.254", "https://10.0.0.1/", "https://[::ffff:192.168.0.1]"} {
		save(c, issuer)
	}
	if n := inside.Conns(); n != 0 {
		t.Fatalf("the internal server was reached %d times", n)
	}
	// The operator allows the address: the request is made, its answer is still not shown.
	env.Config.OutboundAllowNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	save(admin(testutil.NewApp(t, env)), inside.URL)
	if inside.Conns() == 0 {
		t.Fatal("the allowed server was not reached")
	}
	var n int64
	app.DB(t, acme).Model(&models.SSOProvider{}).Count(&n)
	if n != 0 {
		t.Errorf("%d providers saved", n)
	}
}

// A discovery document that names a token endpoint inside the network is refused when the
// admin saves the provider and when someone signs in with it: the endpoint is never
// contacted, so the client secret is never posted there. The same provider with its own
// endpoints signs people in over https under the operator's allow setting.
func TestSSOInternalTokenEndpointGetsNothing(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	var received atomic.Int64
	token := tlstest.Start(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { received.Add(1) }))
	idp := oidctest.Start(t, oidctest.Options{TLS: true, Discovery: map[string]any{"token_endpoint": token.URL + "/token"}})
	idp.AddClient(acmeClient, acmeSecret)
	idp.SetUser(ana)
	env.Config.SSOAllowHTTPIssuers = false
	env.Config.OutboundRootCAs = idp.RootCAs()
	// The provider's own address is allowed; the token endpoint's is not.
	env.Config.OutboundAllowNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	app := testutil.NewApp(t, env)

	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/sso")
	res := c.Post("/admin/sso/providers", providerForm(idp.Issuer, acmeSecret))
	if want := "The provider's discovery document names an endpoint this server may not use. Check the issuer URL."; res.Status != http.StatusUnprocessableEntity || res.Text("#provider-form .field-error") != want {
		t.Fatalf("save: %d %q, want %q", res.Status, res.Text(".field-error"), want)
	}
	if strings.Contains(res.Text(".field-error"), "127.0.0.2") {
		t.Error("the message names the internal address")
	}

	// Stored anyway (the document may change after it was checked), the provider cannot be
	// used: sign-in stops before the token endpoint.
	box, err := auth.NewSecretBox(app.Config.SecretKey, models.SSOSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveSSOProvider(context.Background(), app.DB(t, acme), 0, models.SSOProviderInput{Kind: models.SSOKindOIDC, Name: "okta",
		Label: "Okta", Issuer: idp.Issuer, ClientID: acmeClient, ClientSecret: acmeSecret, Enabled: true}, models.SSORules{Box: box, Grantor: models.ByOperator()}); err != nil {
		t.Fatal(err)
	}
	b := app.Client(t, "acme")
	res = b.Get("/auth/okta")
	refusedWith(t, b, res, "Sign-in with Okta is unavailable right now")
	if received.Load() != 0 || token.Conns() != 0 {
		t.Fatalf("the internal token endpoint received %d requests on %d connections", received.Load(), token.Conns())
	}
	if idp.Issued() != 0 {
		t.Error("tokens were issued")
	}

	// The provider's own endpoints over https, allowed by the operator: sign-in works.
	good := oidctest.Start(t, oidctest.Options{TLS: true})
	good.AddClient(acmeClient, acmeSecret)
	good.SetUser(ana)
	c.Get("/admin/sso")
	p, _ := models.FindSSOProvider(context.Background(), app.DB(t, acme), "okta")
	if res := c.Post("/admin/sso/providers/"+itoa(p.ID), providerForm(good.Issuer, "")); res.Status != http.StatusSeeOther {
		t.Fatalf("save the good provider: %d %q", res.Status, res.Text(".field-error"))
	}
	d := app.Client(t, "acme")
	authorize := startSSO(t, d, "/auth/okta")
	browser := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: good.RootCAs()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	back, err := browser.Get(authorize.String())
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	callback, err := url.Parse(back.Header.Get("Location"))
	if err != nil || back.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %v", back.StatusCode, err)
	}
	signedInAs(t, d, d.Get(callback.RequestURI()), "Ana Admin")
	if received.Load() != 0 {
		t.Error("the internal token endpoint was contacted")
	}
}
