package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// A person signed in in two browsers sees both on their Security page, this one marked, and
// "Sign out of all other sessions" signs the other browser out: its next page is the sign-in
// page, while this one stays signed in.
func TestSignOutOfAllOtherSessions(t *testing.T) {
	s := startSite(t)
	here, there := newBrowser(t), newBrowser(t)
	here.signIn(s, s.User.Email, testutil.Password)
	there.signIn(s, s.User.Email, testutil.Password)
	// A phone, signed in too.
	phone := s.App.Client(t, s.Tenant.Slug)
	phone.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
	phone.SignIn(s.User.Email, testutil.Password)

	here.do(chromedp.Navigate(s.URL("/settings/security")), chromedp.WaitVisible(chromedp.CSS("table.session-list")))
	rows := eval[[]string](here, `Array.from(document.querySelectorAll('table.session-list tr.session th')).map(th => th.textContent.trim().replace(/\s+/g, ' '))`)
	if len(rows) != 3 || rows[0] != "Chrome on Linux This browser" || !slices.Contains(rows, "Safari on iPhone") {
		t.Fatalf("sessions listed: %q", rows)
	}
	if n := eval[int](here, `document.querySelectorAll('table.session-list tr.session form').length`); n != 2 {
		t.Errorf("%d sign-out buttons, want one for each other session", n)
	}
	here.screenshot("sessions")

	here.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { sessionStorage.setItem('asked', q); return true; }`))
	here.pressAndLoad("#sign-out-others")
	here.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := here.text(".flash"); !strings.Contains(got, "Your 2 other sessions are signed out") {
		t.Errorf("flash %q", got)
	}
	if asked := eval[string](here, `sessionStorage.getItem('asked') || ''`); !strings.Contains(asked, "Sign out of every other session?") {
		t.Errorf("asked %q", asked)
	}
	if n := eval[int](here, `document.querySelectorAll('table.session-list tr.session').length`); n != 1 {
		t.Errorf("%d sessions listed after signing out the others", n)
	}
	here.screenshot("sessions-after")

	there.do(chromedp.Navigate(s.URL("/settings/security")), chromedp.WaitVisible(chromedp.ID("email")))
	if p := there.path(); !strings.HasPrefix(p, "/login") {
		t.Errorf("the other browser is at %s, want the sign-in page", p)
	}
	if res := phone.Get("/dashboard"); res.Status != 303 || !strings.HasPrefix(res.Location(), "/login") {
		t.Errorf("the phone's session survived: %d %q", res.Status, res.Location())
	}
	here.do(chromedp.Navigate(s.URL("/dashboard")), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
}
