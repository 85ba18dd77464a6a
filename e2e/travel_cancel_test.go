package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// The traveller cancels an approved trip with a cash advance in a real browser: the form will
// not go without the word that the advance was never paid out or has been returned, asks
// before it cancels, and the page then names who cancelled the trip and why.
func TestCancelATripInTheBrowser(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	var ana models.User
	if err := db.Where("email = ?", s.User.Email).First(&ana).Error; err != nil {
		t.Fatal(err)
	}
	number, now := "TRV-000042", time.Now().UTC()
	first, last := now.AddDate(0, 0, 10), now.AddDate(0, 0, 12)
	trip := models.TravelRequest{Number: &number, TravellerID: ana.ID, FiledByID: ana.ID, Purpose: "Customer visit in Geneva",
		Currency: "USD", Destinations: "Geneva", FirstDay: &first, LastDay: &last, LodgingMinor: 60000, EstimateTotalMinor: 60000,
		AdvanceMinor: 15000, Status: models.TravelApproved, SubmittedAt: &now, DecidedAt: &now}
	if err := db.Create(&trip).Error; err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(s, ana.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/travel/%d", trip.ID))), chromedp.WaitVisible(chromedp.ID("trip-cancel")),
		chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { sessionStorage.setItem('asked', q); return true; }`),
		chromedp.SendKeys(chromedp.ID("cancel_reason"), "The customer moved the meeting online"))
	if got := b.text("#trip-cancel label.checkbox"); !strings.Contains(got, "$150.00") {
		t.Errorf("the advance's word: %q", got)
	}
	// Unticked, the browser keeps the form back and says so beside the box.
	if eval[bool](b, `document.querySelector('#trip-cancel form').checkValidity()`) {
		t.Error("the form would go without the advance's word")
	}
	b.screenshot("cancel-asked")
	b.do(chromedp.Click(chromedp.ID("advance_settled")))
	b.pressAndLoad(`#trip-cancel button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("trip-cancelled")))
	if asked := eval[string](b, `sessionStorage.getItem('asked') || ''`); asked != "Cancel this trip? A cancelled trip cannot be approved again." {
		t.Errorf("asked %q before cancelling", asked)
	}
	if got := b.text("#trip-cancelled"); !strings.HasPrefix(got, "By "+ana.Name+" on") || !strings.HasSuffix(got, ": The customer moved the meeting online") {
		t.Errorf("cancelled: %q", got)
	}
	if got := b.text(".page-header .badge"); got != "Cancelled" {
		t.Errorf("status %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('#trip-cancel').length`); n != 0 {
		t.Error("a cancelled trip is still offered the cancellation")
	}
	b.screenshot("cancel-done")
}
