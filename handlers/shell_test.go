package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"outlay/config"
	"outlay/internal/poll"
	"outlay/internal/testutil"
	"outlay/static"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	unknown := app.Client(t, "nosuch")
	for name, res := range map[string]*testutil.Response{
		"login":        c.Get("/login"),
		"unknown host": unknown.Get("/"),
		"not found":    c.Get("/no/such/page"),
		"static":       c.Get(static.Path("css/app.css")),
		"healthz":      c.Get("/healthz"),
	} {
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", name, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", name, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" || res.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: headers %v", name, res.Header)
		}
		if res.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS sent over plain HTTP", name)
		}
	}
	// Pages carry no inline script or style for the CSP to block.
	page := c.Get("/login")
	page.Doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src == "" {
			t.Errorf("inline script: %s", s.Text())
		}
	})
	if page.Doc.Find("style, [style]").Length() > 0 {
		t.Error("inline style on the login page")
	}
}

func TestHSTSAndSecureCookiesUnderHTTPS(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.Config.PublicURL.Scheme = "https"
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	res := c.Get("/login")
	if !strings.HasPrefix(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS under HTTPS")
	}
	set := strings.Join(res.Header.Values("Set-Cookie"), "\n")
	if !strings.Contains(set, "__Host-outlay_csrf=") || !strings.Contains(set, "secure") || strings.Contains(strings.ToLower(set), "domain=") {
		t.Errorf("cookies under HTTPS: %s", set)
	}
}

func TestStaticAssetsAreHashedAndCachedForever(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	for _, name := range []string{"css/app.css", "js/app.js", "vendor/htmx.min.js"} {
		res := c.Get(static.Path(name))
		if res.Status != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d %q", name, res.Status, res.Header.Get("Cache-Control"))
		}
	}
	if res := c.Get("/static/css/app.css"); res.Status != http.StatusNotFound {
		t.Errorf("unhashed asset URL: %d", res.Status)
	}
}

// A browser (which takes gzip) gets the stylesheet and scripts compressed, and a client that
// does not gets them as they are; both are told the answer varies with what they accept.
func TestStaticAssetsGoCompressedToWhoTakesIt(t *testing.T) {
	t.Parallel()
	_, plain := newApp(t)
	_, browser := newApp(t)
	browser.Header.Set("Accept-Encoding", "gzip, deflate, br")
	for _, name := range []string{"css/app.css", "js/app.js", "vendor/htmx.min.js"} {
		want, _, _ := static.Lookup(static.Path(name))
		res := plain.Get(static.Path(name))
		if res.Status != 200 || res.Header.Get("Content-Encoding") != "" || res.Body != string(want) || res.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s without gzip: %d, encoding %q, vary %q, %d bytes (want %d)", name, res.Status,
				res.Header.Get("Content-Encoding"), res.Header.Get("Vary"), len(res.Body), len(want))
		}
		res = browser.Get(static.Path(name))
		if res.Status != 200 || res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s with gzip: %d, encoding %q, vary %q", name, res.Status, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
			continue
		}
		if len(res.Body) > len(want)/2 {
			t.Errorf("%s: %d bytes compressed of %d", name, len(res.Body), len(want))
		}
		zr, err := gzip.NewReader(strings.NewReader(res.Body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: decompressed to %d bytes (%v), want the asset's %d", name, len(got), err, len(want))
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	if res := c.Get("/healthz"); res.Status != 200 {
		t.Errorf("healthz %d", res.Status)
	}
	if res := c.Get("/readyz"); res.Status != 200 || res.Body != "ready" {
		t.Errorf("readyz %d %q", res.Status, res.Body)
	}
	// A stopping server is no longer ready, so its load balancer takes it out, but it still
	// serves what arrives meanwhile.
	app, c := newApp(t)
	app.Server.Drain()
	if res := c.Get("/readyz"); res.Status != http.StatusServiceUnavailable || res.Body != "shutting down" {
		t.Errorf("readyz while draining: %d %q", res.Status, res.Body)
	}
	if res := c.Get("/healthz"); res.Status != 200 {
		t.Errorf("healthz while draining: %d", res.Status)
	}
	if res := c.Get("/login"); res.Status != 200 {
		t.Errorf("sign-in page while draining: %d", res.Status)
	}
	app, c2 := newApp(t)
	app.Registry.Close() // the control plane is now out of reach
	if res := c2.Get("/readyz"); res.Status != http.StatusServiceUnavailable {
		t.Errorf("readyz without control plane: %d", res.Status)
	}
}

func TestErrorsLeakNothing(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	app.Fiber.Get("/boom", func(c *fiber.Ctx) error {
		return errors.New(`pq: relation "secret_table" does not exist at SELECT * FROM users`)
	})
	app.Fiber.Get("/panic", func(c *fiber.Ctx) error { panic("runtime detail") })
	for _, path := range []string{"/boom", "/panic"} {
		res := c.Get(path)
		if res.Status != 500 {
			t.Errorf("%s: %d", path, res.Status)
		}
		for _, leak := range []string{"secret_table", "SELECT", "runtime detail", "goroutine", ".go:"} {
			if strings.Contains(res.Body, leak) {
				t.Errorf("%s: response leaks %q", path, leak)
			}
		}
		if !strings.Contains(res.Text(".request-id"), res.Header.Get("X-Request-Id")) {
			t.Errorf("%s: error page does not show the request id", path)
		}
	}
	if res := c.Get("/no/such/page"); res.Status != 404 || res.Text("h1") != "Page not found" {
		t.Errorf("404 page: %d %q", res.Status, res.Text("h1"))
	}
}

func TestSuspendedTenantSaysSo(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	if err := app.Registry.SetStatus(context.Background(), "acme", "suspended"); err != nil {
		t.Fatal(err)
	}
	res := c.Get("/dashboard")
	if res.Status != http.StatusForbidden || !strings.Contains(res.Text("h1"), "suspended") {
		t.Errorf("suspended tenant: %d %q", res.Status, res.Text("h1"))
	}
	if res := c.Get("/login"); res.Status != http.StatusForbidden {
		t.Errorf("suspended tenant login page: %d", res.Status)
	}
}

// A SIGTERM-style shutdown lets a request that is already running finish.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t)
	started, release := make(chan struct{}), make(chan struct{})
	app.Fiber.Get("/slow", func(c *fiber.Ctx) error {
		close(started)
		<-release
		return c.SendString("finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Fiber.Listener(ln) }()
	got := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/slow", nil)
		req.Host = "acme.localhost"
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		got <- string(b)
	}()
	select {
	case <-started:
	case body := <-got:
		t.Fatalf("the slow request never started: %s", body)
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request never started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- app.Fiber.ShutdownWithContext(ctx) }()
	// Shutdown has begun once the listener refuses new connections; it must still wait for
	// the request in flight.
	poll.Until(t, "the listener to close", 10*time.Second, func() error {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err == nil {
			c.Close()
			return poll.ErrNotYet
		}
		return nil
	})
	select {
	case err := <-shutdown:
		t.Fatalf("shutdown returned (%v) while a request was still running", err)
	default:
	}
	close(release)
	if err := <-shutdown; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if body := <-got; body != "finished" {
		t.Errorf("in-flight request got %q", body)
	}
	if err := <-served; err != nil {
		t.Errorf("listener: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}

// Header values are Latin-1 on the wire: a toast with typographic quotes must arrive intact.
func TestToastHeaderIsASCII(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/roles")
	c.Header.Set("HX-Request", "true")
	res := c.Post("/admin/roles/approver/permissions", url.Values{"object": {"admin.roles"}, "action": {"read"}, "granted": {"true"}})
	_ = app
	h := res.Header.Get("HX-Trigger")
	for _, r := range h {
		if r > 127 {
			t.Fatalf("non-ASCII in HX-Trigger: %q", h)
		}
	}
	var trig map[string]map[string]string
	if err := json.Unmarshal([]byte(h), &trig); err != nil || !strings.Contains(trig["toast"]["message"], "“See roles and permissions”") {
		t.Errorf("toast %q decodes to %v (%v)", h, trig, err)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	app.Config.MetricsToken = "scrape-me-scrape-me"
	c.Get("/login")
	c.Get("/password/reset/some-secret-token")
	c.Header.Set("Authorization", "Bearer scrape-me-scrape-me")
	res := c.Get("/metrics")
	if res.Status != 200 {
		t.Fatalf("metrics: %d", res.Status)
	}
	for _, want := range []string{`outlay_http_requests_total{method="GET",route="/login",status="200"} 1`, `route="/password/reset/:token"`, `outlay_db_queries_total{database="tenant"}`, "outlay_tenant_pools_open", "outlay_tenant_pools_warm", "outlay_db_connections_limit{server="} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(res.Body, "some-secret-token") {
		t.Error("metrics carry a raw path")
	}
}

// /metrics does not exist until OUTLAY_METRICS_TOKEN is set, and then answers only the
// bearer of that exact token.
func TestMetricsNeedTheToken(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	if res := c.Get("/metrics"); res.Status != http.StatusNotFound || strings.Contains(res.Body, "outlay_http_requests_total") {
		t.Errorf("metrics with no token configured: %d", res.Status)
	}
	const token = "0123456789abcdef0123"
	app.Config.MetricsToken = token
	for _, auth := range []string{"", "Bearer", "Bearer " + token[:19], "Bearer " + token + "x", "Basic " + token, token} {
		c.Header.Set("Authorization", auth)
		if res := c.Get("/metrics"); res.Status != http.StatusUnauthorized || strings.Contains(res.Body, "outlay_http_requests_total") {
			t.Errorf("metrics with Authorization %q: %d", auth, res.Status)
		}
	}
	c.Header.Set("Authorization", "Bearer "+token)
	if res := c.Get("/metrics"); res.Status != http.StatusOK || !strings.Contains(res.Body, "outlay_http_requests_total") {
		t.Errorf("metrics with the token: %d", res.Status)
	}
}

// A metrics token shorter than 16 characters is refused at start-up.
func TestShortMetricsTokenIsRefused(t *testing.T) {
	t.Parallel()
	for token, ok := range map[string]bool{"short": false, "0123456789abcde": false, "0123456789abcdef": true} {
		cfg := config.Defaults()
		fs := flag.NewFlagSet("outlay", flag.ContinueOnError)
		finish := config.Bind(fs, &cfg)
		if err := fs.Parse([]string{"--metrics-token", token}); err != nil {
			t.Fatal(err)
		}
		err := finish()
		if got := err == nil || !strings.Contains(err.Error(), "OUTLAY_METRICS_TOKEN"); got != ok {
			t.Errorf("metrics token %q: %v", token, err)
		}
	}
}

// Whatever answers GET answers HEAD, as HTTP asks (link checkers and monitors send it): the
// same status and headers, no body; a page that needs a session sends HEAD to sign in too,
// and the API takes it with a token.
func TestPagesAnswerHead(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	c.Addr = app.Serve(t)
	head := func(path string) *testutil.Response {
		t.Helper()
		return c.Do(httptest.NewRequest(http.MethodHead, path, nil))
	}
	if res := head("/login"); res.Status != http.StatusOK || res.Body != "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HEAD /login: %d %q %q", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	if res := head("/dashboard"); res.Status != http.StatusSeeOther || res.Location() != "/login?next=%2Fdashboard" {
		t.Errorf("HEAD /dashboard signed out: %d %q", res.Status, res.Location())
	}
	c.SignIn("ana@acme.example", testutil.Password)
	for _, path := range []string{"/dashboard", "/admin/users", "/requisitions"} {
		if res := head(path); res.Status != http.StatusOK || res.Body != "" {
			t.Errorf("HEAD %s signed in: %d, %d bytes", path, res.Status, len(res.Body))
		}
	}
	if res := head("/api/v1/me"); res.Status != http.StatusUnauthorized {
		t.Errorf("HEAD /api/v1/me without a token: %d", res.Status)
	}
	// A GET that changes something as it answers (records an export, makes an authenticator
	// secret) does not answer HEAD.
	for _, path := range []string{"/requisitions/export?format=csv", "/settings/security", "/login/two-factor/enrol"} {
		if res := head(path); res.Status == http.StatusOK {
			t.Errorf("HEAD %s: %d", path, res.Status)
		}
	}
	var exports int64
	acme, _ := app.Registry.Lookup("acme")
	app.DB(t, acme).Raw(`SELECT count(*) FROM audit_log WHERE event = 'export'`).Scan(&exports)
	if exports != 0 {
		t.Errorf("HEAD requests recorded %d exports", exports)
	}
	// Signing out still takes a POST: HEAD /logout answers its page and leaves her signed in.
	head("/logout")
	if res := c.Get("/dashboard"); res.Status != http.StatusOK {
		t.Errorf("after HEAD /logout, the dashboard: %d", res.Status)
	}
	var twoFactor int64
	app.DB(t, acme).Raw(`SELECT count(*) FROM user_two_factor`).Scan(&twoFactor)
	if twoFactor != 0 {
		t.Error("HEAD /settings/security made an authenticator secret")
	}
}
