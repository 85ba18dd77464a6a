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

// Submitting a trip on the days of another of the traveller's, in a real browser: the form is
// sent without a question and comes back naming the other trip, with a link, and the focus on
// the warning; ticked, the submission asks as any does and goes through; a leg that leaves
// before the one above is back is refused beside its departure first.
func TestOverlappingTripIsConfirmedInTheBrowser(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	sales, gl, ana := travelSetup(t, s)
	number, now := "TRV-000042", time.Now().UTC()
	first, last := now.AddDate(0, 0, 10), now.AddDate(0, 0, 12)
	geneva := models.TravelRequest{Number: &number, TravellerID: ana.ID, FiledByID: ana.ID, Purpose: "Customer visit in Geneva",
		Currency: "USD", Destinations: "Geneva", FirstDay: &first, LastDay: &last, LodgingMinor: 60000, EstimateTotalMinor: 60000,
		Status: models.TravelApproved, SubmittedAt: &now, DecidedAt: &now}
	if err := db.Create(&geneva).Error; err != nil {
		t.Fatal(err)
	}
	day := func(n int) string { return time.Now().AddDate(0, 0, n).Format(time.DateOnly) }

	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, ana.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/travel/new")), chromedp.WaitVisible(chromedp.ID("travel-form")))
	setValue := func(id, value string) {
		b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () { var e = document.getElementById(%q); e.value = %q;
			e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, id, value)))
	}
	b.do(chromedp.SendKeys(chromedp.ID("purpose"), "Zurich partner meeting."))
	setValue("department", fmt.Sprint(sales.ID))
	setValue("gl_account", fmt.Sprint(gl.ID))
	b.do(chromedp.SendKeys(chromedp.ID("leg-0-from"), "London"), chromedp.SendKeys(chromedp.ID("leg-0-to"), "Zurich"))
	setValue("leg-0-depart_on", day(11))
	setValue("leg-0-return_on", day(14))
	b.do(b.press(`#travel-legs button[value="add"]`), chromedp.WaitVisible(chromedp.ID("leg-1-from")))
	b.do(chromedp.SendKeys(chromedp.ID("leg-1-from"), "London"), chromedp.SendKeys(chromedp.ID("leg-1-to"), "Basel"))
	setValue("leg-1-depart_on", day(13))
	b.do(chromedp.SendKeys(chromedp.ID("estimate-airfare"), "400"))
	b.do(chromedp.Evaluate[chromedp.Void](`sessionStorage.removeItem('asked');
		window.confirm = function (q) { sessionStorage.setItem('asked', q); return true; };`))

	// The second leg leaves while the first is still away: refused beside its departure.
	b.waitBound(`#travel-form button[value="submit"]`)
	b.do(b.press(`#travel-form button[value="submit"]`))
	b.waitJS(`!!document.getElementById('leg-1-depart_on-error')`)
	if got := b.text("#leg-1-depart_on-error"); !strings.Contains(got, "departs before the leg above it returns") {
		t.Errorf("beside the second leg's departure: %q", got)
	}
	if got := eval[string](b, `document.getElementById('leg-1-to').value`); got != "Basel" {
		t.Errorf("the refused form kept the second leg's destination %q", got)
	}
	b.screenshot("leg-refused")

	// Moved to the day the first is back, the trip overlaps Geneva: the form comes back with
	// the warning, asked nothing.
	setValue("leg-1-depart_on", day(14))
	b.waitBound(`#travel-form button[value="submit"]`)
	b.do(b.press(`#travel-form button[value="submit"]`))
	b.waitJS(`!!document.getElementById('trip-overlaps')`)
	if asked := eval[string](b, `sessionStorage.getItem('asked') || ''`); asked != "" {
		t.Errorf("the overlapping trip asked %q before showing the overlap", asked)
	}
	b.waitJS(`document.activeElement && document.activeElement.id === 'trip-overlaps'`)
	if got := b.text("#trip-overlaps"); !strings.Contains(got, "You already have another trip on some of these days:") || !strings.Contains(got, number) {
		t.Errorf("the warning reads %q", got)
	}
	if href := eval[string](b, `document.querySelector('#trip-overlaps a').getAttribute('href')`); href != fmt.Sprintf("/travel/%d", geneva.ID) {
		t.Errorf("the warning links to %q", href)
	}
	if got := eval[string](b, `document.getElementById('leg-1-depart_on').value`); got != day(14) {
		t.Errorf("the form kept the second leg's departure %q", got)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("overlap-warned")

	// Ticked, it asks as any submission does, and goes.
	b.do(chromedp.Click(chromedp.ID("overlaps_confirmed")))
	b.waitBound(`#travel-form button[value="submit"]`)
	b.pressAndLoad(`#travel-form button[value="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if asked := eval[string](b, `sessionStorage.getItem('asked') || ''`); !strings.HasPrefix(asked, "Submit this trip") {
		t.Errorf("the confirmed trip asked %q", asked)
	}
	if got := b.text(".flash"); got != "TRV-000001 is submitted for approval." {
		t.Errorf("after submit the page says %q", got)
	}
	if got := b.text("#trip-overlaps"); !strings.Contains(got, number) {
		t.Errorf("the submitted trip's page notes %q", got)
	}
	b.screenshot("overlap-submitted")
}
