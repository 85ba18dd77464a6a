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
// phone, without pushing the page sideways.
func TestLapsedBannerOnDesktopAndPhone(t *testing.T) {
	s := startSite(t)
	if err := s.App.Registry.Lapse(context.Background(), s.Tenant.Slug, "olga@ops", time.Now(), 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.WaitVisible(chromedp.CSS(".standing-notice")))
	if got := b.text(".standing-notice"); !strings.Contains(got, "read-only") || !strings.Contains(got, "export your data until") {
		t.Errorf("banner %q", got)
	}
	b.screenshot("lapsed-banner-desktop")
	b.viewport(390, 844)
	b.do(chromedp.WaitVisible(chromedp.CSS(".standing-notice")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("lapsed-banner-phone")
}
