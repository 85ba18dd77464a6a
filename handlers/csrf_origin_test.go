package handlers_test

import (
	"net/http"
	"testing"

	"outlay/internal/testutil"
)

// A signed-in browser's post that carries a valid token is still refused when the browser
// says it came from a page of another origin: another site, another organisation's address
// (same site, different origin), a sandboxed frame ("null") or the tenant's address over
// another scheme. A post from the tenant's own address, or with no Origin at all, goes by its
// token.
func TestCSRFRefusesForeignOrigin(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.NewTenant(t, "globex", "Globex Industries")
	// The in-process peer is a trusted proxy, so its X-Forwarded-Proto counts.
	env.Config.TrustedProxies = []string{"0.0.0.0"}
	app := testutil.NewApp(t, env)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		refused bool
	}{
		{"another site", map[string]string{"Origin": "https://evil.example"}, true},
		{"another organisation", map[string]string{"Origin": "http://globex.localhost:8080"}, true},
		{"a sandboxed frame", map[string]string{"Origin": "null"}, true},
		{"the tenant over https, not served so", map[string]string{"Origin": "https://acme.localhost:8080"}, true},
		{"another port", map[string]string{"Origin": "http://acme.localhost:9090"}, true},
		{"cross-site fetch metadata", map[string]string{"Origin": "http://acme.localhost:8080", "Sec-Fetch-Site": "cross-site"}, true},
		{"the tenant's own address", map[string]string{"Origin": "http://acme.localhost:8080", "Sec-Fetch-Site": "same-origin"}, false},
		{"the tenant's address in capitals", map[string]string{"Origin": "http://ACME.localhost:8080"}, false},
		{"no Origin", nil, false},
		{"https as the trusted proxy says", map[string]string{"Origin": "https://acme.localhost:8080", "X-Forwarded-Proto": "https"}, false},
		{"the proxy's scheme is not the origin's", map[string]string{"Origin": "https://acme.localhost:8080", "X-Forwarded-Proto": "http"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := app.Client(t, "acme")
			c.SignIn("ana@acme.example", testutil.Password)
			c.Get("/dashboard")
			for k, v := range tc.headers {
				c.Header.Set(k, v)
			}
			res := c.Post("/logout", nil)
			c.Header = http.Header{}
			if tc.refused {
				if res.Status != http.StatusForbidden || res.Text("h1") != "Request refused" {
					t.Fatalf("status %d, heading %q; want 403 Request refused", res.Status, res.Text("h1"))
				}
				if still := c.Get("/dashboard"); still.Status != http.StatusOK {
					t.Errorf("the refused sign-out signed the person out: %d", still.Status)
				}
				return
			}
			if res.Status != http.StatusSeeOther {
				t.Fatalf("status %d (%s), want the sign-out's 303", res.Status, res.Text("h1"))
			}
		})
	}
}

// htmx's posts carry Origin as every fetch does: one from another organisation's page is
// answered with the refusal's toast, not carried out.
func TestCSRFRefusesForeignOriginToHTMX(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/dashboard")
	c.Header.Set("HX-Request", "true")
	c.Header.Set("X-Csrf-Token", c.CSRF)
	c.Header.Set("Origin", "http://globex.localhost:8080")
	res := c.Post("/logout", nil)
	if res.Status != http.StatusForbidden || res.Header.Get("HX-Trigger") == "" {
		t.Fatalf("status %d, HX-Trigger %q; want 403 with a toast", res.Status, res.Header.Get("HX-Trigger"))
	}
	c.Header.Set("Origin", "http://acme.localhost:8080")
	if res := c.Post("/logout", nil); res.Status == http.StatusForbidden {
		t.Fatalf("same-origin htmx post refused")
	}
}
