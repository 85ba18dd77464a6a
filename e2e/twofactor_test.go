package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"outlay/auth"
	"outlay/internal/testutil"
)

// A person turns two-factor sign-in on, typing the code of an authenticator that was given
// the secret shown on the page, then signs out and in again with a code, and makes new
// recovery codes with their password; on a desktop and on a phone, with nothing scrolling
// sideways.
func TestTwoFactorEnrolAndSignInDesktop(t *testing.T) { twoFactorJourney(t, false) }

func TestTwoFactorEnrolAndSignInPhone(t *testing.T) { twoFactorJourney(t, true) }

func twoFactorJourney(t *testing.T, phone bool) {
	s := startSite(t)
	b := newBrowser(t)
	b.allow(`status of 422`)
	suffix := "desktop"
	if phone {
		suffix = "phone"
		b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	code := func(secret string, steps int) string {
		c, err := auth.TOTPCode(secret, time.Now().Add(time.Duration(steps)*auth.TOTPPeriod*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/settings/security")), chromedp.WaitVisible(chromedp.ID("totp-secret")))
	if n := eval[int](b, `document.querySelectorAll('svg.qr path').length`); n != 1 {
		t.Fatalf("the QR code has %d paths", n)
	}
	if w := eval[float64](b, `document.querySelector('svg.qr').getBoundingClientRect().width`); w < 160 {
		t.Errorf("the QR code is %.0fpx wide, too small to scan", w)
	}
	secret := strings.ReplaceAll(b.text("#totp-secret"), " ", "")
	b.do(chromedp.SendKeys(chromedp.ID("code"), code(secret, 0)), chromedp.SendKeys(chromedp.ID("enrol-confirm"), testutil.Password))
	assertNoHorizontalScroll(t, b)
	b.screenshot("enrol-" + suffix)
	b.pressAndLoad(`form[action="/settings/security/enrol"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	if n := eval[int](b, `document.querySelectorAll('#recovery-codes code').length`); n != 10 {
		t.Errorf("%d recovery codes shown", n)
	}
	if href := eval[string](b, `document.getElementById('recovery-download').getAttribute('href')`); !strings.HasPrefix(href, "data:text/plain") {
		t.Errorf("download link %q", href)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("recovery-codes-" + suffix)

	b.pressAndLoad(".topbar .logout-form button[type=submit]")
	b.do(
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), s.User.Email),
		chromedp.SendKeys(chromedp.ID("password"), testutil.Password),
	)
	b.pressAndLoad(`form[action="/login"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("code")))
	if p := b.path(); p != "/login/two-factor" {
		t.Fatalf("after the password the browser is at %s", p)
	}
	if got := eval[string](b, `document.activeElement && document.activeElement.id`); got != "code" {
		t.Errorf("focused element = %q, want the code field", got)
	}
	// The code of the next step: the current one was used to enrol.
	b.do(chromedp.SendKeys(chromedp.ID("code"), code(secret, 1)))
	assertNoHorizontalScroll(t, b)
	b.screenshot("code-" + suffix)
	b.pressAndLoad(`form[action="/login/two-factor"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	if p := b.path(); p != "/dashboard" {
		t.Errorf("after the code the browser is at %s", p)
	}
	b.do(chromedp.Navigate(s.URL("/settings/security")), chromedp.WaitVisible(chromedp.CSS(".badge-success")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("security-on-" + suffix)
	// New recovery codes ask for the password again; a wrong one is refused with the focus
	// back in the field.
	b.do(chromedp.SendKeys(chromedp.ID("recovery-confirm"), "not my password"))
	b.pressAndLoad(`form[action="/settings/security/recovery-codes"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("recovery-confirm-error")))
	if got := b.text("#recovery-confirm-error"); got != "That is neither your password nor a current code. Try again." {
		t.Errorf("refused: %q", got)
	}
	if got := eval[string](b, `document.activeElement && document.activeElement.id`); got != "recovery-confirm" {
		t.Errorf("after the refusal the focus is on %q, want the field", got)
	}
	b.do(chromedp.SendKeys(chromedp.ID("recovery-confirm"), testutil.Password))
	b.pressAndLoad(`form[action="/settings/security/recovery-codes"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	if n := eval[int](b, `document.querySelectorAll('#recovery-codes code').length`); n != 10 {
		t.Errorf("%d new recovery codes shown", n)
	}
	// They are shown by a page of their own address, once: reloading it posts nothing again,
	// so the codes just saved stay the ones that work, and are not shown again.
	if p := b.path(); p != "/settings/security" {
		t.Errorf("the new codes are shown at %s", p)
	}
	b.screenshot("recovery-codes-new-" + suffix)
	posts := len(b.requestsTo("POST", "/settings/security/recovery-codes"))
	get(b, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[chromedp.Void](`location.reload()`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(".badge-success")))
	if n := eval[int](b, `document.querySelectorAll('#recovery-codes').length`); n != 0 {
		t.Error("the reloaded page shows the recovery codes again")
	}
	if n := len(b.requestsTo("POST", "/settings/security/recovery-codes")); n != posts {
		t.Errorf("the reload posted again: %d posts, were %d", n, posts)
	}
	// Its address asked for by itself (a link copied from the page) leads to the page.
	b.do(chromedp.Navigate(s.URL("/settings/security/recovery-codes")), chromedp.WaitVisible(chromedp.CSS(".badge-success")))
	if p := b.path(); p != "/settings/security" {
		t.Errorf("the form's address leads to %s", p)
	}
	b.do(chromedp.Navigate(s.URL("/admin/security")), chromedp.WaitVisible(chromedp.CSS(`input[name="required"]`)))
	assertNoHorizontalScroll(t, b)
	b.screenshot("policy-" + suffix)
}
