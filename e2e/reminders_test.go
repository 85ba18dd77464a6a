package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// An admin sets "remind approvers after" beside the time zone, is refused a number out of
// range beside the field, and sees the setting on the settings page; it fits a phone.
func TestReminderSettingInTheBrowser(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.allow(`status of 422`) // the refused number
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/admin/settings")), chromedp.WaitVisible(chromedp.ID("remind_approvers_after")),
		chromedp.SetValue(chromedp.ID("remind_approvers_after"), "400"))
	b.do(b.press(`#ref-form button[type=submit]`))
	b.do(chromedp.WaitVisible(chromedp.ID("remind_approvers_after-error")))
	if got := b.text("#remind_approvers_after-error"); !strings.Contains(got, "from 0 to 365") {
		t.Errorf("error %q", got)
	}
	b.screenshot("refused")
	b.do(chromedp.SetValue(chromedp.ID("remind_approvers_after"), "3"))
	b.pressAndLoad(`#ref-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text("main"); !strings.Contains(got, "After 3 days of waiting") {
		t.Errorf("the settings page does not show the reminder setting: %q", got)
	}
	b.screenshot("saved")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL("/admin/settings")), chromedp.WaitVisible(chromedp.ID("remind_approvers_after")))
	assertNoHorizontalScroll(t, b)
	assertInsideCards(t, b)
	b.screenshot("phone")
}
