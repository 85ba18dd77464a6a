package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"outlay/audit"
	"outlay/handlers"
	"outlay/internal/testutil"
	"outlay/models"
)

// A CSRF token counts only from the form's body or the X-CSRF-Token header: the same valid
// token in the query string is refused, for a plain form and for a multipart one.
func TestCSRFTokenInTheQueryStringIsIgnored(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/locations/new")
	tok := c.CSRF
	q := "?_csrf=" + url.QueryEscape(tok)
	if res := c.Post("/admin/locations"+q, url.Values{"_csrf": {""}, "name": {"Depot"}, "address": {"1 Road"}}); res.Status != http.StatusForbidden {
		t.Errorf("form with the token in the query string: %d, want 403", res.Status)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("name", "Depot")
	_ = w.WriteField("address", "1 Road")
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, "/admin/locations"+q, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if res := c.Do(req); res.Status != http.StatusForbidden {
		t.Errorf("multipart form with the token in the query string: %d, want 403", res.Status)
	}
	var n int64
	app.DB(t, mustTenant(t, app, "acme")).Model(&models.Location{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d locations stored", n)
	}
	// The body and the header still work.
	if res := c.Post("/admin/locations", url.Values{"_csrf": {tok}, "name": {"Depot"}, "address": {"1 Road"}}); res.Status != http.StatusSeeOther {
		t.Errorf("form with the token in the body: %d", res.Status)
	}
	c.Header.Set("X-CSRF-Token", tok)
	if res := c.Post("/admin/locations", url.Values{"_csrf": {""}, "name": {"Store"}, "address": {"2 Road"}}); res.Status != http.StatusSeeOther {
		t.Errorf("form with the token in the header: %d", res.Status)
	}
}

// A query string that is not text (NUL, control characters, broken UTF-8), in a value or a
// name, is refused with a 400 that says why, on every route, before any handler runs.
func TestQueryStringsThatAreNotTextAreRefused(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/locations/new")
	bad := []string{"q=%00", "q=%FF", "q=a%0Ab", "q=%1B%5B31m", "q=%C2%85", "%FF=1", "page=1&q=%C3%28"}
	paths := []string{"/healthz", "/login", "/static/nothing.css"}
	for _, r := range app.Server.Routes() {
		if !r.API {
			paths = append(paths, r.Method+" "+concretePath(r.Path))
		}
	}
	for _, p := range paths {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = http.MethodGet, p
		}
		for _, q := range bad {
			var res *testutil.Response
			if method == http.MethodGet {
				res = c.Get(path + "?" + q)
			} else {
				res = c.Post(path+"?"+q, url.Values{"name": {"Depot"}, "address": {"1 Road"}})
			}
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "not text") {
				t.Errorf("%s %s?%s: %d, want 400 saying the address is not text", method, path, q, res.Status)
			}
		}
	}
	var n int64
	app.DB(t, mustTenant(t, app, "acme")).Model(&models.Location{}).Count(&n)
	if n != 0 {
		t.Errorf("%d locations stored", n)
	}
	// Text of any language, tabs aside, passes.
	if res := c.Get("/vendors?q=" + url.QueryEscape("Zürich – 東京")); res.Status != http.StatusOK {
		t.Errorf("a search in other scripts: %d", res.Status)
	}
	// The API says so in JSON.
	api := app.Client(t, "acme")
	api.Header.Set("Authorization", "Bearer nothing")
	if res := api.Get("/api/v1/me?q=%00"); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `"error"`) {
		t.Errorf("API with a NUL in the query: %d %s", res.Status, res.Body)
	}
}

// proxiedApp is the app over env, believing forwarded headers from 127.0.0.1 when proxied,
// served on a real listener so requests have a real peer and can be written byte for byte.
func proxiedApp(t *testing.T, env *testutil.Env, proxied bool) (*testutil.App, string) {
	t.Helper()
	cfg := *env.Config
	cfg.TrustedProxies = nil
	if proxied {
		cfg.TrustedProxies = []string{"127.0.0.1"}
	}
	e := *env
	e.Config = &cfg
	app := testutil.NewApp(t, &e)
	return app, app.Serve(t)
}

// Every route, asked on globex's host with acme's session, CSRF token and API token, and with
// every way a client might try to name acme instead (X-Forwarded-Host and its kin, an
// absolute-URI request line, a second Host header) or hide its address (a rotating
// X-Forwarded-For), with and without a trusted proxy in front: the Host header alone picks the
// tenant, so globex answers and refuses acme's credentials; two Host headers are a 400.
func TestForwardedHeadersOnEveryRoute(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.NewTenant(t, "globex", "Globex Industries")
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	_, token, err := models.CreateToken(context.Background(), env.DB(t, acme), ana.ID, "forwarded headers test", 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	const acmeHost, globexHost = "acme.localhost:8080", "globex.localhost:8080"
	for _, proxied := range []bool{false, true} {
		t.Run(fmt.Sprintf("proxied=%v", proxied), func(t *testing.T) {
			app, addr := proxiedApp(t, env, proxied)
			a := app.Client(t, "acme")
			a.Addr = addr
			a.SignIn("ana@acme.example", testutil.Password)
			a.Get("/dashboard")
			var cookies []string
			for k, v := range a.Cookies {
				cookies = append(cookies, k+"="+v)
			}
			send := func(method, target string, hosts []string, extra ...string) *testutil.Response {
				lines := []string{method + " " + target + " HTTP/1.1"}
				for _, h := range hosts {
					lines = append(lines, "Host: "+h)
				}
				lines = append(lines, "Cookie: "+strings.Join(cookies, "; "), "Connection: close")
				lines = append(lines, extra...)
				body := ""
				if method == http.MethodPost {
					body = "_csrf=" + url.QueryEscape(a.CSRF)
					lines = append(lines, "Content-Type: application/x-www-form-urlencoded", fmt.Sprintf("Content-Length: %d", len(body)))
				}
				return testutil.Raw(t, addr, testutil.Lines(lines...)+body)
			}
			n := 0
			variants := []struct {
				name string
				send func(method, path string, extra ...string) *testutil.Response
			}{
				{"X-Forwarded-Host", func(m, p string, extra ...string) *testutil.Response {
					return send(m, p, []string{globexHost}, append(extra, "X-Forwarded-Host: "+acmeHost, "X-Forwarded-Server: "+acmeHost,
						"X-Host: "+acmeHost, "X-Original-Host: "+acmeHost, "Forwarded: for=192.0.2.1;host="+acmeHost+";proto=https", "X-Forwarded-Proto: https")...)
				}},
				{"absolute URI", func(m, p string, extra ...string) *testutil.Response {
					return send(m, "http://"+acmeHost+p, []string{globexHost}, extra...)
				}},
				{"rotating X-Forwarded-For", func(m, p string, extra ...string) *testutil.Response {
					n++
					return send(m, p, []string{globexHost}, append(extra, fmt.Sprintf("X-Forwarded-For: 10.9.%d.%d, <b>%d</b>", n/250, n%250, n))...)
				}},
			}
			for _, r := range app.Server.Routes() {
				path := concretePath(r.Path)
				var extra []string
				if r.API {
					extra = append(extra, "Authorization: Bearer "+token)
				}
				for _, v := range variants {
					res := v.send(r.Method, path, extra...)
					switch {
					case r.Access == handlers.Public:
						if res.Status >= 500 {
							t.Errorf("%s: %s %s: %d", v.name, r.Method, path, res.Status)
						}
					case r.API:
						if res.Status != http.StatusUnauthorized {
							t.Errorf("%s: %s %s with acme's API token on globex: %d, want 401", v.name, r.Method, path, res.Status)
						}
					case r.Method == http.MethodGet:
						if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
							t.Errorf("%s: %s %s with acme's session on globex: %d %q, want a redirect to sign in", v.name, r.Method, path, res.Status, res.Location())
						}
					default:
						if res.Status != http.StatusForbidden && !(res.Status == http.StatusSeeOther && strings.HasPrefix(res.Location(), "/login")) {
							t.Errorf("%s: %s %s with acme's session and CSRF token on globex: %d %q, want refused", v.name, r.Method, path, res.Status, res.Location())
						}
					}
					for _, leak := range []string{"Acme Corporation", "Ana Admin", "ana@acme.example"} {
						if strings.Contains(res.Body, leak) {
							t.Errorf("%s: %s %s on globex shows %q", v.name, r.Method, path, leak)
						}
					}
				}
				for _, hosts := range [][]string{{globexHost, acmeHost}, {acmeHost, globexHost}, {acmeHost, acmeHost}} {
					if res := send(r.Method, path, hosts, extra...); res.Status != http.StatusBadRequest {
						t.Errorf("%s %s with Host headers %v: %d, want 400", r.Method, path, hosts, res.Status)
					}
				}
			}
			// The sign-in page names the Host's tenant whatever else the request says.
			for _, v := range variants {
				if res := v.send(http.MethodGet, "/login"); res.Status != http.StatusOK || !strings.Contains(res.Body, "Globex Industries") {
					t.Errorf("%s: the sign-in page on globex's host: %d", v.name, res.Status)
				}
			}
			// And acme's own host still serves acme, whatever the forwarded headers say of globex.
			if res := send(http.MethodGet, "/dashboard", []string{acmeHost}, "X-Forwarded-Host: "+globexHost, "X-Forwarded-For: 10.0.0.1"); res.Status != http.StatusOK || !strings.Contains(res.Body, "Ana Admin") {
				t.Errorf("acme's dashboard with globex in X-Forwarded-Host: %d", res.Status)
			}
			if res := send(http.MethodGet, "http://"+globexHost+"/dashboard", []string{acmeHost}); res.Status != http.StatusOK || !strings.Contains(res.Body, "Ana Admin") {
				t.Errorf("acme's dashboard with globex in the request line: %d", res.Status)
			}
		})
	}
}

// The sign-in throttle counts the address the nearest untrusted hop saw: a client that writes
// a new X-Forwarded-For on every guess is throttled all the same, with or without a trusted
// proxy, and what it wrote never becomes the address audited.
func TestForwardedForCannotDodgeTheSignInThrottle(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	for _, proxied := range []bool{false, true} {
		t.Run(fmt.Sprintf("proxied=%v", proxied), func(t *testing.T) {
			db := env.DB(t, acme)
			db.Exec(`DELETE FROM login_failures`)
			var lastAudit int64
			db.Raw(`SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&lastAudit)
			app, addr := proxiedApp(t, env, proxied)
			c := app.Client(t, "acme")
			c.Addr = addr
			c.Get("/login")
			// What the proxy saw is the right-most entry; with no trusted proxy it is the peer.
			want := "127.0.0.1"
			if proxied {
				want = "198.51.100.7"
			}
			throttledAt := 0
			for i := 1; i <= models.DefaultThrottle.PerIP+3 && throttledAt == 0; i++ {
				forged := fmt.Sprintf("10.1.%d.%d", i/250, i%250)
				if i%3 == 0 {
					forged = fmt.Sprintf("<script>alert(%d)</script>", i)
				}
				xff := forged
				if proxied {
					xff += ", 198.51.100.7"
				}
				c.Header.Set("X-Forwarded-For", xff)
				res := c.Post("/login", url.Values{"email": {fmt.Sprintf("nobody%d@acme.example", i)}, "password": {"guess"}})
				if res.Status == http.StatusTooManyRequests {
					throttledAt = i
				} else if res.Status != http.StatusUnprocessableEntity {
					t.Fatalf("guess %d: %d", i, res.Status)
				}
			}
			if throttledAt != models.DefaultThrottle.PerIP+1 {
				t.Errorf("throttled at guess %d, want %d", throttledAt, models.DefaultThrottle.PerIP+1)
			}
			var ips []string
			db.Raw(`SELECT DISTINCT ip FROM login_failures`).Scan(&ips)
			if len(ips) != 1 || ips[0] != want {
				t.Errorf("failures recorded from %v, want only %s", ips, want)
			}
			db.Raw(`SELECT DISTINCT ip FROM audit_log WHERE event = ? AND id > ?`, audit.EventSignInFailure, lastAudit).Scan(&ips)
			if len(ips) != 1 || ips[0] != want {
				t.Errorf("audited sign-in failures from %v, want only %s", ips, want)
			}
		})
	}
}

// A proxy's request id is kept only when the proxy is trusted; otherwise the server names the
// request itself.
func TestRequestIDKeptOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	env, _ := testutil.NewTenant(t)
	const sent = "proxy-request-0001"
	for _, proxied := range []bool{false, true} {
		app, addr := proxiedApp(t, env, proxied)
		c := app.Client(t, "acme")
		c.Addr = addr
		c.Header.Set("X-Request-Id", sent)
		got := c.Get("/login").Header.Get("X-Request-Id")
		if (got == sent) != proxied || got == "" {
			t.Errorf("proxied=%v: request id %q", proxied, got)
		}
	}
}
