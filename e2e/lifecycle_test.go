package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// A lapsed organisation's banner stands at the top of the dashboard, on a laptop and on a
// phone, without pushing the page sideways: since when it is read-only, until when its data
// can be exported, and whom to ask. A "New" form's page says the organisation is read-only
// instead of showing a form nothing typed in could be saved from.
func TestLapsedBannerOnDesktopAndPhone(t *testing.T) {
	s := startSite(t)
	if err := s.App.Registry.Lapse(context.Background(), s.Tenant.Slug, "olga@ops", time.Now(), 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.WaitVisible(chromedp.CSS(".standing-notice")))
	if got := b.text(".standing-notice"); !strings.Contains(got, "read-only since") || !strings.Contains(got, "export your data until") ||
		!strings.Contains(got, "renew the subscription") {
		t.Errorf("banner %q", got)
	}
	b.screenshot("lapsed-banner-desktop")
	b.allow("403")
	b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("read-only-message")))
	if n := get(b, chromedp.Evaluate[int](`document.querySelectorAll("main form[method=post]").length`)); n != 0 {
		t.Errorf("the new requisition page shows %d forms", n)
	}
	if got := b.text("#read-only-message"); !strings.Contains(got, "nothing can be added or changed") {
		t.Errorf("the new requisition page says %q", got)
	}
	b.screenshot("lapsed-new-requisition")
	b.do(chromedp.Navigate(s.URL("/dashboard")), chromedp.WaitVisible(chromedp.CSS(".standing-notice")))
	b.viewport(390, 844)
	b.do(chromedp.WaitVisible(chromedp.CSS(".standing-notice")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("lapsed-banner-phone")
}
