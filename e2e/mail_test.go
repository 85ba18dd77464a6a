package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// Without a mail server, an admin who invites someone is told so and given the set-password
// link to pass on; the link works, and the message fits a phone.
func TestInvitationLinkIsShownWithoutAMailServer(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/admin/users/new")), chromedp.WaitVisible(chromedp.ID("user-form")),
		chromedp.SendKeys(chromedp.ID("email"), "ivy@acme.example"), chromedp.SendKeys(chromedp.ID("name"), "Ivy Invitee"),
		chromedp.Click(chromedp.CSS(`input[name=roles][value=requester]`)))
	b.pressAndLoad(`#user-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	flash := b.text(".flash")
	if !strings.HasPrefix(flash, "Ivy Invitee is invited, but this server has no mail server set up") {
		t.Fatalf("flash %q", flash)
	}
	link := regexp.MustCompile(`http://acme\.localhost:\d+/password/reset/[A-Za-z0-9_-]+`).FindString(flash)
	if link == "" {
		t.Fatalf("no link in %q", flash)
	}
	b.screenshot("invited-without-mail")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	assertNoHorizontalScroll(t, b)
	b.screenshot("invited-without-mail-phone")

	fresh := newBrowser(t)
	fresh.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := fresh.text("h1"); got != "Choose your password" {
		t.Errorf("the link opens %q", got)
	}
}
