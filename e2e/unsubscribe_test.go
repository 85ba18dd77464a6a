package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/auth"
	"outlay/models"
)

// A person who opens the unsubscribe link of a notification mail, signed out, is asked
// before anything changes, stops that kind with the button and is told so; the page fits a
// phone.
func TestUnsubscribeLinkInTheBrowser(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	var ana struct{ ID int64 }
	if err := db.Raw(`SELECT id FROM users WHERE email = ?`, s.User.Email).Scan(&ana).Error; err != nil {
		t.Fatal(err)
	}
	link := s.URL("/unsubscribe/" + models.UnsubscribeToken(auth.NewSigner(s.App.Config.SecretKey), s.Tenant.Slug, ana.ID, models.MailDecided))
	b := newBrowser(t)
	b.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := b.text("h1"); got != "Stop these mails?" {
		t.Fatalf("the link opens %q", got)
	}
	b.screenshot("ask")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	assertNoHorizontalScroll(t, b)
	b.screenshot("ask-phone")
	b.pressAndLoad(`form[method=post] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := b.text("h1"); got != "You will get no more of these mails" {
		t.Errorf("after the button: %q", got)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("done-phone")
	prefs, err := models.NotificationPreferences(context.Background(), db, ana.ID)
	if err != nil || prefs[models.MailDecided] != models.DeliverOff {
		t.Errorf("after the button: %v %v", prefs, err)
	}
}
