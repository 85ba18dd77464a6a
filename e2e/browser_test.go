package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"outlay/internal/poll"
	"outlay/internal/testutil"
	"outlay/tenancy"
)

// actionTimeout bounds every step a test runs in the browser, so a missing element fails
// the test quickly instead of hanging it.
const actionTimeout = 20 * time.Second

// Viewports the tests use. The desktop one is wider than the 800px breakpoint of app.css.
const (
	desktopWidth, desktopHeight = 1280, 800
	phoneWidth, phoneHeight     = 390, 844
)

// chromiumPath finds a Chromium or Chrome binary, and skips the test when there is none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("OUTLAY_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium installed, and OUTLAY_REQUIRE_BROWSER is set: install the chromium package")
	}
	t.Skip("no Chromium installed: install the chromium package to run browser tests")
	return ""
}

// site is the app listening on a real TCP port over a fresh deployment with one tenant,
// acme, and one user in it.
type site struct {
	App    *testutil.App
	Tenant tenancy.Tenant
	Port   int
	User   testUser
}

type testUser struct{ Email, Name, Role string }

// startSite builds the deployment and serves the app on 127.0.0.1:0 until the test ends.
// It skips the test first when there is no browser to drive.
func startSite(t *testing.T) *site {
	t.Helper()
	chromiumPath(t)
	env := testutil.NewEnv(t)
	acme := env.NewTenant(t, "acme", "Acme Corporation")
	u := testUser{Email: "ana@acme.example", Name: "Ana Admin", Role: "Admin"}
	env.CreateUser(t, acme, u.Email, u.Name, "admin")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	// Links the app builds (mail, SSO callbacks) lead to this very server.
	env.Config.PublicURL, _ = url.Parse(fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port))
	app := testutil.NewApp(t, env)
	served := make(chan error, 1)
	go func() { served <- app.Fiber.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.Fiber.Shutdown(); err != nil {
			t.Errorf("shut down the server: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("the server did not stop within 10s of Shutdown")
		}
	})
	s := &site{App: app, Tenant: acme, Port: ln.Addr().(*net.TCPAddr).Port, User: u}
	// A Shutdown that comes before the server started serving leaves it serving for ever,
	// so wait until it answers.
	waitServing(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", s.Port))
	return s
}

func waitServing(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	poll.Until(t, "the server to answer "+url, 10*time.Second, func() error {
		res, err := client.Get(url)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	})
}

// URL is the address of path on the tenant's host. Chromium resolves *.localhost to the
// loopback address itself, and the app's base domain is "localhost".
func (s *site) URL(path string) string {
	return fmt.Sprintf("http://%s.localhost:%d%s", s.Tenant.Slug, s.Port, path)
}

// browser is one headless Chromium with one tab. It records what the page reports on its
// console, and fails the test at the end if the page broke the Content-Security-Policy,
// threw, logged an error, or a request failed unexpectedly.
type browser struct {
	t   *testing.T
	ctx context.Context

	touch bool // the viewport emulates a touch screen: tap instead of click

	mu       sync.Mutex
	problems []string // messages that fail the test
	notes    []string // warnings, logged only
	allowed  []*regexp.Regexp
	requests []request

	// Leaving a page with unsaved changes asks (beforeunload). The browser leaves, as a
	// person answering "Leave" would, unless stayOnLeave; each question is counted.
	stayOnLeave bool
	leaveAsked  int
}

// request is a request the page sent, with the status of its answer once known.
type request struct {
	ID     network.RequestID
	Method string
	URL    string
	HXReq  bool
	Status int64
}

// cspWatch runs in every document before the page's own scripts. It reports each
// violation of the Content-Security-Policy on the console, in case Chromium's own report is
// ever missed. DevTools scripts are exempt from the page's policy.
//
// It also defines describe(el), a short name of an element for the tests' messages.
// htmxWatch remembers the elements htmx has bound, from its public htmx:afterProcessNode
// event, so that a test can wait until a swapped-in control is live (waitBound).
const htmxWatch = `window.__htmxBound = new WeakSet();
document.addEventListener('htmx:afterProcessNode', function (e) { window.__htmxBound.add(e.target); });`

const cspWatch = `window.describe = function (e) {
  var s = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '');
  var text = (e.textContent || '').trim().replace(/\s+/g, ' ');
  return text ? s + ' "' + text.slice(0, 40) + '"' : s;
};
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('securitypolicyviolation: Content Security Policy directive ' + e.violatedDirective +
    ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
}, true);`

// newBrowser starts Chromium with its own profile and temporary directory, and closes it when
// the test ends. The directory has a short name of its own rather than t.TempDir's, which
// carries the test's name: Chromium puts a Unix socket in it, and socket paths are limited
// to 107 bytes.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)
	dir, err := os.MkdirTemp("", "oe2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	profile, tmp := filepath.Join(dir, "profile"), filepath.Join(dir, "tmp")
	for _, d := range []string{profile, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var output lockedBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+tmp, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache")),
		// This machine has no internet: keep Chromium from calling home.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.DisableGPU,
		chromedp.WindowSize(desktopWidth, desktopHeight),
		chromedp.CombinedOutput(&output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t}
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.onEvent))
	b.ctx = ctx
	t.Cleanup(func() {
		b.checkConsole()
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			t.Logf("Chromium output (tail):\n%s", output.Tail(4000))
		}
	})
	// The first action starts the browser; it must not run under a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v\n%s", exe, err, output.Tail(4000))
	}
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, script := range []string{cspWatch, htmxWatch} {
			if _, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
				return err
			}
		}
		return nil
	}))
	b.viewport(desktopWidth, desktopHeight)
	return b
}

// onEvent runs in the tab's message loop: it must return fast and run no command.
func (b *browser) onEvent(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		text := "console." + string(ev.Type) + ": " + argsText(ev.Args)
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			if ev.Type == runtime.ConsoleAPICalledTypeError && !isCSP(text) && b.isAllowed(text) {
				b.notes = append(b.notes, "expected: "+text)
				return
			}
			b.problems = append(b.problems, text)
		case runtime.ConsoleAPICalledTypeWarning:
			b.notes = append(b.notes, text)
		default:
			if isCSP(text) {
				b.problems = append(b.problems, text)
			}
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		if d.URL != "" {
			text += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
		b.problems = append(b.problems, text)
	case *log.EventEntryAdded:
		e := ev.Entry
		text := fmt.Sprintf("log %s/%s: %s", e.Source, e.Level, e.Text)
		if e.URL != "" {
			text += " (" + e.URL + ")"
		}
		switch {
		case isCSP(text):
			b.problems = append(b.problems, text)
		case e.Level == log.EntryLevelError && !b.isAllowed(text):
			b.problems = append(b.problems, text)
		case e.Level == log.EntryLevelError:
			b.notes = append(b.notes, "expected: "+text)
		case e.Level == log.EntryLevelWarning:
			b.notes = append(b.notes, text)
		}
	case *page.EventJavascriptDialogOpening:
		if ev.Type != page.DialogTypeBeforeunload {
			b.problems = append(b.problems, "unexpected dialog: "+string(ev.Type)+" "+ev.Message)
			return
		}
		b.leaveAsked++
		leave := !b.stayOnLeave
		// Commands cannot run in the message loop: answer from beside it.
		go chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: leave})
			return err
		}))
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		hx, _ := ev.Request.Headers["HX-Request"].(string)
		b.requests = append(b.requests, request{ID: ev.RequestID, Method: ev.Request.Method, URL: ev.Request.URL, HXReq: hx == "true"})
	case *network.EventResponseReceived:
		for i := range b.requests {
			if b.requests[i].ID == ev.RequestID && ev.Response != nil {
				b.requests[i].Status = ev.Response.Status
			}
		}
	}
}

func isCSP(text string) bool {
	l := strings.ToLower(text)
	return strings.Contains(l, "content security policy") || strings.Contains(l, "content-security-policy")
}

// allow declares an expected error entry of the browser log or console, such as the network
// error Chromium logs for a deliberate 422, or the error htmx logs for a refusal it answers
// with a toast (409).
func (b *browser) allow(pattern string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed = append(b.allowed, regexp.MustCompile(pattern))
}

func (b *browser) isAllowed(text string) bool {
	for _, re := range b.allowed {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}

// takeProblems returns the failing messages so far and forgets them.
func (b *browser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// checkConsole fails the test on any recorded problem, and logs the warnings.
func (b *browser) checkConsole() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.notes {
		b.t.Logf("browser warning: %s", n)
	}
	for _, p := range b.problems {
		b.t.Errorf("browser reported: %s", p)
	}
}

// requestsTo returns the recorded requests whose URL path is path.
func (b *browser) requestsTo(method, path string) []request {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []request
	for _, r := range b.requests {
		if r.Method == method && urlPath(r.URL) == path {
			out = append(out, r)
		}
	}
	return out
}

func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			u = "/"
		}
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a == nil:
		case a.Type == runtime.RemoteObjectTypeString:
			s := string(a.Value)
			if len(s) >= 2 && s[0] == '"' {
				s = strings.Trim(s, `"`)
			}
			parts = append(parts, s)
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}

// do runs actions under actionTimeout and fails the test on error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// get runs one action that returns a value, under actionTimeout.
func get[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	return get(b, chromedp.Evaluate[T](expr))
}

// text is the visible, trimmed text of the first element matching a CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, chromedp.Text(chromedp.CSS(sel))))
}

// path is the path of the current document.
func (b *browser) path() string {
	b.t.Helper()
	return eval[string](b, `location.pathname + location.search`)
}

func (b *browser) viewport(w, h int64, opts ...chromedp.EmulateViewportOption) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(w, h, opts...))
	var p1 emulation.SetDeviceMetricsOverrideParams
	var p2 emulation.SetTouchEmulationEnabledParams
	for _, o := range opts {
		o(&p1, &p2)
	}
	b.touch = p2.Enabled
}

// press clicks the first element matching a CSS selector, or taps it on a touch screen.
func (b *browser) press(sel string) chromedp.Action[chromedp.Void] {
	if b.touch {
		return chromedp.Tap(chromedp.CSS(sel))
	}
	return chromedp.Click(chromedp.CSS(sel))
}

// pressAndLoad presses the element and waits for the page load that follows, such as the
// one an HX-Redirect or a plain form post causes. A query that starts before the old
// document goes away can miss the new one, so waiting for the load comes first.
func (b *browser) pressAndLoad(sel string) {
	b.t.Helper()
	b.pressAndLoadWithin(sel, actionTimeout)
}

// pressAndLoadWithin is pressAndLoad for a page that takes longer than an action's bound,
// such as the check of a large file: it waits up to d.
func (b *browser) pressAndLoadWithin(sel string, d time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, b.press(sel))); err != nil {
		b.t.Fatalf("browser: pressing %s and waiting for the page: %v", sel, err)
	}
}

// signIn signs in through the real form and waits for the dashboard.
func (b *browser) signIn(s *site, email, password string) {
	b.t.Helper()
	b.do(
		chromedp.Navigate(s.URL("/login")),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	b.pressAndLoad(`form[action="/login"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	if p := b.path(); p != "/dashboard" {
		b.t.Fatalf("after sign-in the browser is at %s, want /dashboard", p)
	}
}

// screenshot saves a full-page PNG to OUTLAY_SCREENSHOT_DIR, or the test's temporary
// directory, and logs its path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	// Let swaps and transitions (drawer, toasts) finish so the picture shows the settled page.
	b.waitJS(settled)
	png := get(b, chromedp.FullScreenshot(100))
	dir := os.Getenv("OUTLAY_SCREENSHOT_DIR")
	if dir == "" {
		dir = b.t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	file := filepath.Join(dir, safeName(b.t.Name())+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", file)
	return file
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// lockedBuffer collects Chromium's output from its goroutines.
type lockedBuffer struct{ testutil.SyncBuffer }

// Tail is the last n bytes written, without the complaints of a machine that has no D-Bus.
func (l *lockedBuffer) Tail(n int) string {
	var keep []string
	for _, line := range strings.Split(l.String(), "\n") {
		if !strings.Contains(line, "dbus") && !strings.Contains(line, "D-Bus") {
			keep = append(keep, line)
		}
	}
	s := strings.Join(keep, "\n")
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// waitLong waits until the JavaScript expression is true, for up to d: for what the page
// does on a timer of its own.
func waitLong(b *browser, expr string, d time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d))); err != nil {
		b.t.Fatalf("browser: waiting for %s: %v", expr, err)
	}
}

// waitJS waits until the JavaScript expression is true.
func (b *browser) waitJS(expr string) {
	b.t.Helper()
	get(b, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(5*time.Second)))
}

// waitBound waits until the element sel names has been swapped in and settled and htmx has
// bound it: used before then, it would act natively (as no person could click that fast).
func (b *browser) waitBound(sel string) {
	b.t.Helper()
	b.waitJS(`!document.querySelector('.htmx-settling, .htmx-swapping') && window.__htmxBound.has(document.querySelector(` + strconv.Quote(sel) + `))`)
}

// settled is true when no htmx swap is under way and no finite animation or transition
// (a drawer, a toast) is still running: the page as a person would see it.
const settled = `!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping') && document.fonts.status === 'loaded' &&
	document.getAnimations().every(function (a) { return a.playState !== 'running' || a.effect.getComputedTiming().iterations === Infinity; })`
