package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outlay/internal/poll"
	"outlay/internal/testutil"
)

// Signing in through the htmx-enhanced form lands on the dashboard, which greets the user
// and shows the tenant and the user's role.
func TestSignInShowsDashboard(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)

	b.do(chromedp.Navigate(s.URL("/login")), chromedp.WaitVisible(chromedp.ID("email")))
	if got := eval[string](b, `typeof htmx`); got != "object" {
		t.Fatalf("htmx did not load on /login: typeof htmx = %q", got)
	}
	if got := b.text(".auth-card .brand-tenant"); got != s.Tenant.Name {
		t.Errorf("login page tenant = %q, want %q", got, s.Tenant.Name)
	}
	if got := eval[string](b, `document.activeElement && document.activeElement.id`); got != "email" {
		t.Errorf("focused element on /login = %q, want the email field", got)
	}
	b.screenshot("login-desktop")

	b.signIn(s, s.User.Email, testutil.Password)

	// The form was submitted by htmx, which answered with HX-Redirect rather than a 303.
	posts := b.requestsTo(http.MethodPost, "/login")
	if len(posts) != 1 || !posts[0].HXReq || posts[0].Status != http.StatusNoContent {
		t.Errorf("POST /login requests = %+v, want one htmx request answered 204 (HX-Redirect)", posts)
	}

	if got, want := b.text(".page-header h1"), "Welcome, "+s.User.Name; got != want {
		t.Errorf("h1 = %q, want %q", got, want)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS(".sidebar .brand-tenant")))
	if got := b.text(".sidebar .brand-tenant"); got != s.Tenant.Name {
		t.Errorf(".brand-tenant = %q, want %q", got, s.Tenant.Name)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS(".roles .badge")))
	if got := b.text(".roles .badge"); got != s.User.Role {
		t.Errorf("role badge = %q, want %q", got, s.User.Role)
	}
	if got := b.text(".user-menu .user-name"); got != s.User.Name {
		t.Errorf("user menu name = %q, want %q", got, s.User.Name)
	}
	if got := eval[string](b, `document.querySelector('.nav a[aria-current="page"]')?.getAttribute('href') ?? ''`); got != "/dashboard" {
		t.Errorf("current navigation entry = %q, want /dashboard", got)
	}
	// The drawer's menu button belongs to small screens only.
	b.do(chromedp.WaitNotVisible(chromedp.CSS(".menu-toggle")))
	b.screenshot("dashboard-desktop")
}

// A wrong password re-renders the form in place (htmx swap of a 422), keeps the email and
// names the problem without revealing whether the account exists.
func TestWrongPasswordSwapsFormInPlace(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	// Chromium logs every 4xx answer as a failed resource load; this one is the point.
	b.allow(`status of 422`)

	b.do(
		chromedp.Navigate(s.URL("/login")),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Evaluate[chromedp.Void](`window.__marker = 1`),
		chromedp.SendKeys(chromedp.ID("email"), s.User.Email),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.auth-card form .flash-error`)),
	)
	if got, want := b.text(".auth-card form .flash-error"), "Incorrect email or password."; got != want {
		t.Errorf("error message = %q, want %q", got, want)
	}
	b.screenshot("wrong-password")
	// No full page load: the marker set before submitting survives the swap.
	if !eval[bool](b, `window.__marker === 1`) {
		t.Errorf("window.__marker is gone after the failed sign-in: the page was reloaded instead of swapped")
	}
	posts := b.requestsTo(http.MethodPost, "/login")
	if len(posts) != 1 || !posts[0].HXReq || posts[0].Status != http.StatusUnprocessableEntity {
		t.Errorf("POST /login requests = %+v, want one htmx request answered 422", posts)
	}
	if p := b.path(); p != "/login" {
		t.Errorf("location = %s, want /login", p)
	}
	if n := eval[int](b, `document.querySelectorAll('form[action="/login"]').length`); n != 1 {
		t.Errorf("%d sign-in forms on the page after the swap, want 1 (outerHTML swap)", n)
	}
	if got := get(b, chromedp.Value(chromedp.ID("email"))); got != s.User.Email {
		t.Errorf("email field = %q after the error, want %q", got, s.User.Email)
	}
	if got := get(b, chromedp.Value(chromedp.ID("password"))); got != "" {
		t.Errorf("password field kept its value %q; it must be empty", got)
	}
	// The swapped form puts the cursor back in the password field (autofocus).
	if got := eval[string](b, `document.activeElement && document.activeElement.id`); got != "password" {
		t.Errorf("focused element after the error = %q, want password", got)
	}
	// The form still works after the swap: htmx processed the new content.
	b.do(chromedp.SendKeys(chromedp.ID("password"), testutil.Password))
	b.pressAndLoad(`form[action="/login"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	if posts := b.requestsTo(http.MethodPost, "/login"); len(posts) != 2 || !posts[1].HXReq || posts[1].Status != http.StatusNoContent {
		t.Errorf("POST /login requests = %+v, want the second one sent by htmx and answered 204", posts)
	}
	b.do(chromedp.Navigate(s.URL("/login")), chromedp.WaitVisible(chromedp.CSS("body.app")))
	if p := b.path(); p != "/dashboard" {
		t.Errorf("signed in, /login sent the browser to %s, want /dashboard", p)
	}
}

// On a phone the sidebar is a drawer behind the menu button.
func TestPhoneNavigationDrawer(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))

	b.do(chromedp.Navigate(s.URL("/login")), chromedp.WaitVisible(chromedp.ID("email")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("login-phone")

	b.signIn(s, s.User.Email, testutil.Password)
	if got, want := b.text(".page-header h1"), "Welcome, "+s.User.Name; got != want {
		t.Errorf("h1 = %q, want %q", got, want)
	}
	b.do(
		chromedp.WaitVisible(chromedp.CSS(".menu-toggle")),
		chromedp.WaitVisible(chromedp.CSS(".topbar-brand")),
		chromedp.WaitVisible(chromedp.CSS(".logout-form button")),
	)
	// chromedp's visibility test ignores CSS visibility and off-screen transforms, which is
	// how the closed drawer hides, so ask the page.
	b.waitJS(`!` + onScreen("#sidebar"))
	if box := eval[float64](b, `document.querySelector('.menu-toggle').getBoundingClientRect().height`); box < 40 {
		t.Errorf("menu button is %.0fpx tall, want a touch target of at least 40px", box)
	}
	b.screenshot("dashboard-phone")

	// Open the drawer.
	b.do(b.press(".menu-toggle"))
	b.waitJS(`document.body.classList.contains('nav-open')`)
	// Wait for the slide-in transition to end.
	b.waitJS(onScreen("#sidebar") + ` && document.getElementById('sidebar').getBoundingClientRect().left === 0`)
	if got := get(b, chromedp.AttributeValue(chromedp.CSS(".menu-toggle"), "aria-expanded")); got.Value != "true" {
		t.Errorf("menu button aria-expanded = %q with the drawer open, want true", got.Value)
	}
	if !eval[bool](b, `!!(document.activeElement && document.activeElement.closest('.sidebar'))`) {
		t.Errorf("focus did not move into the open drawer")
	}
	if got := b.text("#sidebar .brand-tenant"); got != s.Tenant.Name {
		t.Errorf("drawer tenant = %q, want %q", got, s.Tenant.Name)
	}
	if got := b.text(`#sidebar .nav a[aria-current="page"]`); got != "Dashboard" {
		t.Errorf("drawer current entry = %q, want Dashboard", got)
	}
	b.screenshot("drawer-open-phone")

	// A tap on the backdrop, right of the drawer, closes it.
	b.do(chromedp.TapXY(phoneWidth-20, phoneHeight/2))
	b.waitJS(`!document.body.classList.contains('nav-open')`)
	if got := get(b, chromedp.AttributeValue(chromedp.CSS(".menu-toggle"), "aria-expanded")); got.Value != "false" {
		t.Errorf("menu button aria-expanded = %q with the drawer closed, want false", got.Value)
	}
	b.waitJS(`!` + onScreen("#sidebar"))

	// Escape closes it too and gives focus back to the menu button.
	b.do(b.press(".menu-toggle"))
	b.waitJS(`document.body.classList.contains('nav-open')`)
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitJS(`!document.body.classList.contains('nav-open')`)
	if !eval[bool](b, `document.activeElement === document.querySelector('.menu-toggle')`) {
		t.Errorf("after Escape the focus is not on the menu button")
	}
}

// onScreen is a JavaScript expression that is true when the element matching sel is
// rendered, not hidden by CSS visibility, and at least partly inside the viewport.
func onScreen(sel string) string {
	return fmt.Sprintf(`(function (el) {
		if (!el) return false;
		var st = getComputedStyle(el), r = el.getBoundingClientRect();
		return st.display !== 'none' && st.visibility !== 'hidden' && r.width > 0 && r.height > 0 &&
			r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight;
	})(document.querySelector(%q))`, sel)
}

// The dashboard's content stays inside its cards and the page never scrolls sideways, on a
// desktop and on a phone.
func TestDashboardContentFits(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	t.Run("desktop", func(t *testing.T) {
		assertNoHorizontalScroll(t, b)
		assertInsideCards(t, b)
	})
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	t.Run("phone", func(t *testing.T) {
		assertNoHorizontalScroll(t, b)
		assertInsideCards(t, b)
	})
}

// assertNoHorizontalScroll fails when the page is wider than the viewport, naming the
// elements that stick out.
func assertNoHorizontalScroll(t *testing.T, b *browser) {
	t.Helper()
	sw := eval[int](b, `document.documentElement.scrollWidth`)
	cw := eval[int](b, `document.documentElement.clientWidth`)
	if sw > cw {
		wide := eval[[]string](b, `Array.from(document.querySelectorAll('body *'))
			.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5 && getComputedStyle(e).position !== 'fixed')
			.map(e => describe(e)).slice(0, 8)`)
		t.Errorf("page scrolls sideways on %s: scrollWidth %d > clientWidth %d; too wide: %q", b.path(), sw, cw, wide)
	}
}

// assertInsideCards fails when the content of a .card pokes out of the card, where it
// is painted over by the next card or off the screen.
func assertInsideCards(t *testing.T, b *browser) {
	t.Helper()
	out := eval[[]string](b, `Array.from(document.querySelectorAll('.card')).flatMap(card => {
		const c = card.getBoundingClientRect();
		return Array.from(card.querySelectorAll('*'))
			.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > c.right + 0.5 || r.left < c.left - 0.5); })
			.map(e => describe(e) + ' ends at x=' + Math.round(e.getBoundingClientRect().right) + ' but its card "' + (card.querySelector('h2, h3') || card).textContent.trim() + '" ends at x=' + Math.round(c.right));
	}).slice(0, 8)`)
	for _, o := range out {
		t.Errorf("overflowing card content on %s: %s", b.path(), o)
	}
}

// Signing out from the top bar lands on the sign-in page with a message, and the session
// is gone.
func TestSignOut(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)

	b.pressAndLoad(".topbar .logout-form button[type=submit]")
	b.do(chromedp.WaitVisible(chromedp.CSS("body.auth .flash")))
	if p := b.path(); p != "/login" {
		t.Errorf("after sign-out the browser is at %s, want /login", p)
	}
	if got := b.text("body.auth .flash"); got != "You have signed out." {
		t.Errorf("flash = %q, want %q", got, "You have signed out.")
	}
	if cls := get(b, chromedp.AttributeValue(chromedp.CSS("body.auth .flash"), "class")); !strings.Contains(cls.Value, "flash-success") {
		t.Errorf("flash class = %q, want flash-success", cls.Value)
	}
	b.screenshot("signed-out")

	// The flash is shown once.
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("email")))
	if n := eval[int](b, `document.querySelectorAll('.flash').length`); n != 0 {
		t.Errorf("the sign-out message is still shown after a reload")
	}
	// The session is gone: the dashboard asks to sign in again.
	b.do(chromedp.Navigate(s.URL("/dashboard")), chromedp.WaitVisible(chromedp.ID("email")))
	if p := b.path(); p != "/login?next=%2Fdashboard" {
		t.Errorf("signed out, /dashboard sent the browser to %s, want /login?next=%%2Fdashboard", p)
	}
}

// The console watch that the other tests rely on does catch a Content-Security-Policy
// violation: an inline script the page's policy forbids.
func TestConsoleWatchCatchesCSPViolation(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.do(chromedp.Navigate(s.URL("/login")), chromedp.WaitVisible(chromedp.ID("email")))
	if p := b.takeProblems(); len(p) != 0 {
		t.Fatalf("clean page already reported problems: %q", p)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`(function () {
		var s = document.createElement('script');
		s.textContent = 'window.__inlineRan = true;';
		document.body.appendChild(s);
	})()`))
	var got, other []string
	classify := func() {
		for _, p := range b.takeProblems() {
			if isCSP(p) {
				got = append(got, p)
			} else {
				other = append(other, p)
			}
		}
	}
	if err := poll.Wait(5*time.Second, func() error {
		if classify(); len(got) == 0 {
			return poll.ErrNotYet
		}
		return nil
	}); err != nil {
		t.Fatal("an inline script ran into the CSP, but the console watch saw no report")
	}
	// Both Chromium's own report and the securitypolicyviolation event may follow. A console
	// error logged after them, once it has arrived, shows that they have arrived too.
	const marker = "outlay-test-marker"
	b.do(chromedp.Evaluate[chromedp.Void](`setTimeout(function () { console.error("` + marker + `"); }, 0)`))
	poll.Until(t, "the marker after the CSP reports", 5*time.Second, func() error {
		seen := false
		for _, p := range b.takeProblems() {
			switch {
			case strings.Contains(p, marker):
				seen = true
			case isCSP(p):
				got = append(got, p)
			default:
				other = append(other, p)
			}
		}
		if !seen {
			return poll.ErrNotYet
		}
		return nil
	})
	for _, p := range got {
		t.Logf("caught: %s", p)
	}
	if len(other) > 0 {
		t.Errorf("besides the CSP report, the page reported: %q", other)
	}
	if eval[bool](b, `window.__inlineRan === true`) {
		t.Error("the inline script ran: the Content-Security-Policy does not block inline scripts")
	}
}
