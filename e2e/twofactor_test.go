package e2e

import (
	"strings"
	"testing"
	"time"

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
	b.do(chromedp.SendKeys(chromedp.ID("code"), code(secret, 0)))
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
	// New recovery codes ask for the password again.
	b.do(chromedp.SendKeys(chromedp.ID("recovery-confirm"), testutil.Password))
	b.pressAndLoad(`form[action="/settings/security/recovery-codes"] button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	if n := eval[int](b, `document.querySelectorAll('#recovery-codes code').length`); n != 10 {
		t.Errorf("%d new recovery codes shown", n)
	}
	b.do(chromedp.Navigate(s.URL("/admin/security")), chromedp.WaitVisible(chromedp.CSS(`input[name="required"]`)))
	assertNoHorizontalScroll(t, b)
	b.screenshot("policy-" + suffix)
}
