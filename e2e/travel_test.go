package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// A trip from the form to approved in a real browser, on a 1280×900 desktop and on a 390×844
// phone: the traveller types it (legs added and removed in place) and submits it, her manager
// reads its legs, estimate and advance in the queue and approves it, and she finds it
// approved on its page and on her dashboard.
func TestTravelFromFormToApprovedInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	sales, gl, _ := travelSetup(t, s)
	// A report started from a trip prices its per diem days at Geneva's rate, and claims
	// flights and per diem against the trip's estimate.
	meals, air := models.CostMeals, models.CostAirfare
	perDiem := models.ExpenseCategory{Name: "Per diem", GLAccountID: gl.ID, Currency: "USD", TripCost: &meals}
	airfare := models.ExpenseCategory{Name: "Airfare", GLAccountID: gl.ID, Currency: "USD", TripCost: &air}
	geneva := models.PerDiemRate{Destination: "Geneva", DailyMinor: 9500, Currency: "USD"}
	for _, v := range []any{&perDiem, &airfare, &geneva} {
		if err := db.WithContext(ctx).Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t)
	b.allow(`status of 422`)
	signOut := func() {
		t.Helper()
		get(b, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[chromedp.Void](`document.querySelector('.logout-form').submit()`)))
		b.do(chromedp.WaitVisible(chromedp.ID("email")))
	}
	setValue := func(id, value string) {
		b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () { var e = document.getElementById(%q); e.value = %q;
			e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, id, value)))
	}
	day := func(n int) string { return time.Now().AddDate(0, 0, n).Format(time.DateOnly) }

	for i, vp := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"desktop", desktopWidth, 900, false}, {"phone", phoneWidth, phoneHeight, true}} {
		number := fmt.Sprintf("TRV-%06d", i+1)
		shot := func(name string) { b.screenshot(vp.name + "-" + name) }
		if vp.mobile {
			b.viewport(vp.w, vp.h, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
		} else {
			b.viewport(vp.w, vp.h)
		}
		b.signIn(s, s.User.Email, testutil.Password)

		// Ana types the trip.
		b.do(chromedp.Navigate(s.URL("/travel/new")), chromedp.WaitVisible(chromedp.ID("travel-form")))
		b.do(chromedp.SendKeys(chromedp.ID("purpose"), "Meet the Lyon distributor and the Geneva trade fair."))
		setValue("department", fmt.Sprint(sales.ID))
		setValue("gl_account", fmt.Sprint(gl.ID))
		b.do(chromedp.SendKeys(chromedp.ID("leg-0-from"), "London"), chromedp.SendKeys(chromedp.ID("leg-0-to"), "Lyon"))
		setValue("leg-0-depart_on", day(1))
		setValue("leg-0-mode", "rail")
		b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`))
		b.do(b.press(`#travel-legs button[value="add"]`), chromedp.WaitVisible(chromedp.ID("leg-1-from")))
		b.waitJS(`document.activeElement && document.activeElement.id === 'leg-1-from'`)
		if got := eval[string](b, `document.getElementById('leg-0-to').value`); got != "Lyon" {
			t.Errorf("%s: adding a leg lost the first one's destination: %q", vp.name, got)
		}
		b.do(chromedp.SendKeys(chromedp.ID("leg-1-from"), "Lyon"), chromedp.SendKeys(chromedp.ID("leg-1-to"), "Geneva"))
		setValue("leg-1-depart_on", day(2))
		setValue("leg-1-return_on", day(3))
		b.waitBound(`#travel-legs button[value="add"]`)
		b.do(b.press(`#travel-legs button[value="add"]`), chromedp.WaitVisible(chromedp.ID("leg-2-from")))
		b.waitBound(`#leg-2 button[name="remove_leg"]`)
		b.do(b.press(`#leg-2 button[name="remove_leg"]`))
		b.waitJS(`document.querySelectorAll('#travel-legs fieldset.trip-leg').length === 2`)
		if !eval[bool](b, `window.__marker === 1`) {
			t.Errorf("%s: adding or removing a leg reloaded the page", vp.name)
		}
		b.do(chromedp.SendKeys(chromedp.ID("estimate-airfare"), "180"), chromedp.SendKeys(chromedp.ID("estimate-lodging"), "420"),
			chromedp.SendKeys(chromedp.ID("estimate-meals"), "150"), chromedp.SendKeys(chromedp.ID("advance"), "100"))
		// The estimate's total follows the typing.
		b.waitJS(`document.getElementById('trip-estimate-total').textContent.trim() === '$750.00'`)
		assertNoHorizontalScroll(t, b)
		shot("form")

		// A trip the submission would refuse is sent without a question, to be refused with
		// its message beside the field, the form kept.
		b.do(chromedp.Evaluate[chromedp.Void](`sessionStorage.removeItem('asked');
			window.confirm = function (q) { sessionStorage.setItem('asked', q); return true; };`))
		setValue("leg-0-depart_on", day(-2))
		b.do(b.press(`#travel-form button[value="submit"]`))
		b.waitJS(`!!document.getElementById('leg-0-depart_on-error') && document.getElementById('leg-0-depart_on-error').textContent.trim() !== ''`)
		if asked := eval[string](b, `sessionStorage.getItem('asked') || ''`); asked != "" {
			t.Errorf("%s: a trip that was refused asked %q first", vp.name, asked)
		}
		if got := eval[string](b, `document.getElementById('estimate-lodging').value`); got != "420" {
			t.Errorf("%s: the refused form kept lodging %q", vp.name, got)
		}
		setValue("leg-0-depart_on", day(1))
		b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { sessionStorage.setItem('asked', q); return true; }`))
		if i > 0 {
			// The trip before, on the same days, is hers too: the form names it first, and
			// she ticks that both are meant.
			b.waitBound(`#travel-form button[value="submit"]`)
			b.do(b.press(`#travel-form button[value="submit"]`))
			b.waitJS(`!!document.getElementById('overlaps_confirmed')`)
			if got := b.text("#trip-overlaps"); !strings.Contains(got, fmt.Sprintf("TRV-%06d", i)) {
				t.Errorf("%s: the overlap warning reads %q", vp.name, got)
			}
			assertNoHorizontalScroll(t, b)
			shot("overlap")
			b.do(b.press(`#overlaps_confirmed`))
		}
		b.waitBound(`#travel-form button[value="submit"]`)
		b.pressAndLoad(`#travel-form button[value="submit"]`)
		b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
		if asked := eval[string](b, `sessionStorage.getItem('asked') || ''`); !strings.HasPrefix(asked, "Submit this trip") {
			t.Errorf("%s: a trip the submission accepts asked %q first", vp.name, asked)
		}
		if got := b.text(".flash"); got != number+" is submitted for approval." {
			t.Errorf("%s: after submit the page says %q", vp.name, got)
		}
		if got := b.text(".req-step-pending .req-step-who"); got != "Mo Manager (manager)" {
			t.Errorf("%s: the route waits for %q", vp.name, got)
		}
		assertNoHorizontalScroll(t, b)
		shot("submitted")
		var trip models.TravelRequest
		if err := db.Where("number = ?", number).First(&trip).Error; err != nil {
			t.Fatal(err)
		}
		if trip.EstimateTotalMinor != 75000 || trip.AdvanceMinor != 10000 || trip.Destinations != "Lyon, Geneva" {
			t.Errorf("%s: stored %+v", vp.name, trip)
		}
		var step models.ApprovalStep
		if err := db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocTravel, trip.ID, models.StepPending).First(&step).Error; err != nil {
			t.Fatal(err)
		}
		row := fmt.Sprintf("tbody#step-%d", step.ID)

		// Mo reads it in his queue and approves it.
		signOut()
		b.signIn(s, "mo@acme.example", testutil.Password)
		b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS(row)))
		b.do(b.press(row+" summary"), chromedp.WaitVisible(chromedp.CSS(row+" .trip-panel")))
		panel := b.text(row + " .details-grid")
		for _, want := range []string{"London → Lyon", "Lyon → Geneva", "Cash advance: $100.00", "Lodging", "$420.00"} {
			if !strings.Contains(panel, want) {
				t.Errorf("%s: the queue's details lack %q: %s", vp.name, want, panel)
			}
		}
		assertNoHorizontalScroll(t, b)
		shot("queue-details")
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('` + row + ` button[hx-post$="/approve"]').click()`))
		b.waitJS(`!!document.querySelector('` + row + `.approval-decided')`)
		shot("queue-approved")

		// Ana finds it approved.
		signOut()
		b.signIn(s, s.User.Email, testutil.Password)
		if got := b.text("[data-testid=my-trips]"); got != "1" && got != "2" {
			t.Errorf("%s: dashboard counts %q trips", vp.name, got)
		}
		shot("dashboard")
		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/travel/%d", trip.ID))), chromedp.WaitVisible(chromedp.ID("trip-legs")))
		if got := b.text(".page-header .badge"); got != "Approved" {
			t.Errorf("%s: the trip's status reads %q", vp.name, got)
		}
		if got := b.text("#trip-estimates tfoot"); !strings.Contains(got, "$750.00") {
			t.Errorf("%s: estimate total %q", vp.name, got)
		}
		assertNoHorizontalScroll(t, b)
		assertInsideCards(t, b)
		shot("approved")

		// She starts the trip's expense report: a draft with the trip's purpose, dates and
		// per diem days at Geneva's rate, compared with the estimate.
		b.pressAndLoad(`form[action$="/expense-report"] button`)
		b.do(chromedp.WaitVisible(chromedp.ID("expense-form")))
		if got := b.text(".flash"); !strings.HasPrefix(got, "Started the trip's expense report") {
			t.Errorf("%s: after starting the report the page says %q", vp.name, got)
		}
		for id, want := range map[string]string{"title": "Trip " + number + ": Lyon, Geneva", "purpose": "Meet the Lyon distributor and the Geneva trade fair.",
			"department": fmt.Sprint(sales.ID), "period_from": day(1), "period_to": day(3), "expense-0-days": "3",
			"expense-0-destination": fmt.Sprint(geneva.ID), "expense-0-category": fmt.Sprint(perDiem.ID)} {
			if got := eval[string](b, `document.getElementById('`+id+`').value`); got != want {
				t.Errorf("%s: the started report's %s is %q, want %q", vp.name, id, got, want)
			}
		}
		costs := b.text("#trip-costs")
		for _, want := range []string{"Meals and per diem", "$150.00", "$285.00", "$135.00 over", "Airfare", "$180.00 under"} {
			if !strings.Contains(costs, want) {
				t.Errorf("%s: actual against estimate lacks %q: %s", vp.name, want, costs)
			}
		}
		if got := b.text("#expense-totals .exp-total"); got != "$285.00" {
			t.Errorf("%s: the started report's total reads %q", vp.name, got)
		}
		assertNoHorizontalScroll(t, b)
		assertInsideCards(t, b)
		shot("report-started")
		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/travel/%d", trip.ID))), chromedp.WaitVisible(chromedp.CSS("a.trip-report-link")))
		if got := b.text("a.trip-report-link"); got != "Expense report: Draft" {
			t.Errorf("%s: the trip's link to its report reads %q", vp.name, got)
		}

		// Submitted as it is, Mo reads it against the estimate in his queue.
		b.pressAndLoad(`a.trip-report-link`)
		b.do(chromedp.WaitVisible(chromedp.ID("expense-form")))
		report := fmt.Sprintf("EXP-%06d", i+1)
		b.pressAndLoad(`#expense-form button[value="submit"]`)
		b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != report+" is submitted for approval." {
			t.Fatalf("%s: after submitting the trip's report the page says %q", vp.name, got)
		}
		var r models.ExpenseReport
		if err := db.Where("number = ?", report).First(&r).Error; err != nil {
			t.Fatal(err)
		}
		var reportStep models.ApprovalStep
		if err := db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).First(&reportStep).Error; err != nil {
			t.Fatal(err)
		}
		row = fmt.Sprintf("tbody#step-%d", reportStep.ID)
		signOut()
		b.signIn(s, "mo@acme.example", testutil.Password)
		b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS(row)))
		b.do(b.press(row+" summary"), chromedp.WaitVisible(chromedp.CSS(row+" #trip-costs")))
		if got := b.text(row + " #trip-costs"); !strings.Contains(got, "$135.00 over") || !strings.Contains(got, "$465.00 under") {
			t.Errorf("%s: the approver's comparison reads %q", vp.name, got)
		}
		assertNoHorizontalScroll(t, b)
		shot("queue-report-details")
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('` + row + ` button[hx-post$="/approve"]').click()`))
		b.waitJS(`!!document.querySelector('` + row + `.approval-decided')`)
		signOut()
		b.signIn(s, s.User.Email, testutil.Password)
		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/travel/%d", trip.ID))), chromedp.WaitVisible(chromedp.CSS("a.trip-report-link")))
		if got := b.text("a.trip-report-link"); got != "Expense report: "+report+" (Approved)" {
			t.Errorf("%s: the trip's link to its approved report reads %q", vp.name, got)
		}
		b.do(chromedp.Navigate(s.URL("/travel")), chromedp.WaitVisible(chromedp.CSS("#travel-results table")))
		assertNoHorizontalScroll(t, b)
		shot("list")
		signOut()
	}
}

// travelSetup gives the site's tenant what a trip needs: a Sales department and a Travel GL
// account to charge it to, and Mo Manager, whom Ana (the site's person) reports to, so that
// her trips wait for him. It returns them and Ana.
func travelSetup(t *testing.T, s *site) (models.Department, models.GLAccount, models.User) {
	t.Helper()
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	sales := models.Department{Name: "Sales"}
	gl := models.GLAccount{Code: "6500", Name: "Travel"}
	for _, v := range []any{&sales, &gl} {
		if err := db.WithContext(ctx).Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	mo, err := models.CreateUser(ctx, db, models.NewUser{Email: "mo@acme.example", Name: "Mo Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	var ana models.User
	if err := db.Where("email = ?", s.User.Email).First(&ana).Error; err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateUser(ctx, db, models.ByOperator(), ana.ID, models.UserChange{Name: ana.Name, Roles: []string{"admin"}, ManagerID: &mo.ID}); err != nil {
		t.Fatal(err)
	}
	return sales, gl, ana
}
