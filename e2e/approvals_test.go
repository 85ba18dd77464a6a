package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// The approver's queue in a real browser: a row's details open in place, one request is
// approved and another rejected inline (the rows swap, the badge counts down, a toast
// confirms), and the queue fits a desktop and a phone.
func TestApprovalsQueueInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	eng := models.Department{Name: "Engineering", Code: "ENG"}
	software := models.GLAccount{Code: "6000", Name: "Software"}
	vendor := models.Vendor{Name: "Initech", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	for _, rec := range []any{&eng, &software, &vendor} {
		if err := db.Create(rec).Error; err != nil {
			t.Fatal(err)
		}
	}
	year := time.Now().Year()
	if err := db.Create(&models.Budget{DepartmentID: eng.ID, GLAccountID: software.ID, AmountMinor: 1_000_000, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}).Error; err != nil {
		t.Fatal(err)
	}
	max, err := models.CreateUser(ctx, db, models.NewUser{Email: "max@acme.example", Name: "Max Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	rita, err := models.CreateUser(ctx, db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester", Password: testutil.Password,
		Roles: []string{"requester"}, ManagerID: &max.ID, DepartmentID: &eng.ID})
	if err != nil {
		t.Fatal(err)
	}
	var steps []int64
	for i, amount := range []int64{129900, 450000, 8_250} {
		r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: rita.ID, DepartmentID: &eng.ID, VendorID: &vendor.ID,
			Justification: fmt.Sprintf("Request %d: licences for the new starters", i+1),
			Lines:         []testutil.RequisitionLine{{GLAccountID: &software.ID, Amount: amount}}})
		steps = append(steps, testutil.SubmitRequisition(t, db, r).Steps[0].ID)
	}
	row := func(i int) string { return fmt.Sprintf("tbody#step-%d", steps[i]) }

	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, "max@acme.example", testutil.Password)
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#approval-results table")))
	if got := b.text("#approvals-count"); got != "3" {
		t.Errorf("badge %q, want 3", got)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("queue-desktop")

	// Filtered by amount (read on the steps themselves): the two of 1,000.00 or more; a bound
	// that is not an amount says so beside the field, and the queue stays unfiltered.
	b.do(chromedp.Navigate(s.URL("/approvals?min=1000")), chromedp.WaitVisible(chromedp.CSS(row(0))))
	listed := get(b, chromedp.Evaluate[string](`[...document.querySelectorAll('#approval-results tbody.approval-item')].map(e => e.id).join(' ')`))
	if want := fmt.Sprintf("step-%d step-%d", steps[0], steps[1]); listed != want {
		t.Errorf("at 1,000.00 or more the queue lists %q, want %q", listed, want)
	}
	b.screenshot("queue-min-amount")
	b.do(chromedp.Navigate(s.URL("/approvals?min=lots")), chromedp.WaitVisible(chromedp.CSS("#min-error")))
	if got := b.text("#min-error"); got == "" {
		t.Error("a bound that is not an amount shows no message")
	}
	b.screenshot("queue-min-error")
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#approval-results table")))

	// The details open in place: lines, budget impact.
	b.do(b.press(row(0)+" summary"), chromedp.WaitVisible(chromedp.CSS(row(0)+" .budget-impact table")))
	if got := b.text(row(0) + " .budget-impact tbody"); !strings.Contains(got, "$10,000.00") || !strings.Contains(got, "$1,299.00") {
		t.Errorf("budget impact %q", got)
	}
	b.screenshot("queue-details")

	// Approve the first inline.
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`), b.press(row(0)+` button[hx-post$="/approve"]`))
	b.waitJS(`!!document.querySelector('` + row(0) + `.approval-decided')`)
	b.waitJS(`document.getElementById('approvals-count').textContent.trim() === '2'`)
	b.waitJS(`!!document.querySelector('.toast-success')`)
	if got := b.text(row(0) + " .outcome"); !strings.Contains(got, "fully approved") {
		t.Errorf("approved row says %q", got)
	}
	// The focus is on the outcome, in place of the button that is gone, not back at the top.
	b.waitJS(`document.activeElement && document.activeElement.matches('` + row(0) + ` .outcome')`)
	// Reject the second: first without a reason (refused beside the field), then with one.
	b.do(b.press(row(1) + ` button[hx-post$="/reject"]`))
	b.waitJS(`!!document.querySelector('` + row(1) + ` .field-error')`)
	// The swapped-in row must be bound by htmx before its button is used, or it would post
	// natively (as no person could click that fast).
	b.waitBound(row(1) + ` button[hx-post$="/reject"]`)
	// The swapped-in row is queried afresh; a toast may cover the old button's place, so the
	// button is clicked through the DOM rather than at screen coordinates.
	b.do(chromedp.SendKeys(chromedp.CSS(row(1)+` input[name="comment"]`), "Use the site licence instead"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+row(1)+` button[hx-post$="/reject"]').click()`))
	b.waitJS(`!!document.querySelector('` + row(1) + `.approval-decided')`)
	b.waitJS(`document.getElementById('approvals-count').textContent.trim() === '1'`)
	if !eval[bool](b, `window.__marker === 1`) {
		t.Error("deciding reloaded the page")
	}
	b.screenshot("queue-decided")
	var got models.Requisition
	if err := db.Where("status = ?", models.RequisitionRejected).First(&got).Error; err != nil {
		t.Errorf("no rejected requisition: %v", err)
	}

	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	for _, p := range []string{"/approvals", "/approvals/delegation"} {
		b.do(chromedp.Navigate(s.URL(p)), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
		assertNoHorizontalScroll(t, b)
	}
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	b.screenshot("queue-phone")
	b.do(b.press(row(2)+" summary"), chromedp.WaitVisible(chromedp.CSS(row(2)+" .budget-impact table")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("queue-details-phone")
	b.do(chromedp.Navigate(s.URL("/approvals/delegation")), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	b.screenshot("delegation-phone")

	// Approving the ticked ones asks how many; with none ticked it asks nothing (the server
	// says to tick some).
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.ID("bulk-form")),
		chromedp.Evaluate[chromedp.Void](`window.__asked = ''; window.confirm = function (q) { window.__asked = q; return true; }`))
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#bulk-form button[type="submit"]').click()`))
	b.waitJS(`[...document.querySelectorAll('.toast-error')].some(e => e.textContent.includes('Tick the requests to approve first.'))`)
	if asked := eval[string](b, `window.__asked`); asked != "" {
		t.Errorf("with nothing ticked, asked %q", asked)
	}
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.ID("bulk-form")),
		chromedp.Evaluate[chromedp.Void](`window.__asked = ''; window.confirm = function (q) { window.__asked = q; return true; }`))
	b.do(chromedp.Click(chromedp.ID(fmt.Sprintf("tick-%d", steps[2]))),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#bulk-form button[type="submit"]').click()`))
	b.waitJS(`window.__asked !== ''`)
	if asked := eval[string](b, `window.__asked`); asked != "Approve 1 ticked request?" {
		t.Errorf("with one ticked, asked %q", asked)
	}
	b.waitJS(`[...document.querySelectorAll('.toast-success')].some(e => e.textContent.includes('1 approved'))`)
	var third models.ApprovalStep
	if err := db.First(&third, steps[2]).Error; err != nil || third.Status != models.StepApproved {
		t.Errorf("the ticked request's step is %q after approving the ticked (%v)", third.Status, err)
	}
}

// The approval rules admin in a real browser: the list, and the steps editor adding a step
// and showing the role choice once the kind asks for it, on a desktop and a phone.
func TestApprovalRulesInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	manager := models.RuleStepInput{Kind: models.StepManager}
	for _, r := range []models.RuleInput{
		{Name: "Under $1,000: the manager", Priority: "10", MaxAmount: "1000", Steps: []models.RuleStepInput{manager}},
		{Name: "$1,000 and over: manager, then head", Priority: "20", MinAmount: "1000",
			Steps: []models.RuleStepInput{manager, {Kind: models.StepDepartmentHead}}},
	} {
		r.DocType, r.Currency, r.BudgetCheck, r.Active = models.DocRequisition, "USD", models.BudgetCheckWarn, true
		if _, err := models.CreateApprovalRule(ctx, db, r); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/admin/approval-rules")), chromedp.WaitVisible(chromedp.CSS(".rule-group table")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("rules-desktop")
	b.pressAndLoad(`.rule-group a[href^="/admin/approval-rules/"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("rule-steps")))
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`), b.press(`#rule-steps > button`))
	b.waitJS(`document.querySelectorAll('#rule-steps select[name="step_kind"]').length === 2`)
	// The swapped-in select must be bound by htmx before it changes, as it is long before a
	// person could reach it.
	b.waitBound(`#step-1-kind`)
	b.do(chromedp.SetValue(chromedp.ID("step-1-kind"), "role"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('step-1-kind').dispatchEvent(new Event('change', {bubbles: true}))`))
	b.waitJS(`!!document.getElementById('step-1-role')`)
	if !eval[bool](b, `window.__marker === 1`) {
		t.Error("the steps editor reloaded the page")
	}
	b.screenshot("rule-edit-desktop")
	// A requisition rule has no bill or payment conditions; a new rule shows a kind's own
	// conditions once that kind is chosen.
	if n := eval[int](b, `document.querySelectorAll('.rule-for').length`); n != 0 {
		t.Errorf("a requisition rule shows %d other kinds' conditions", n)
	}
	editPath := b.path()
	b.do(chromedp.Navigate(s.URL("/admin/approval-rules/new")), chromedp.WaitVisible(chromedp.ID("doc_type")))
	shown := func(kind string) bool {
		return eval[bool](b, `getComputedStyle(document.querySelector('.rule-for[data-for="`+kind+`"]')).display !== 'none'`)
	}
	b.do(chromedp.SetValue(chromedp.ID("doc_type"), "requisition"))
	if shown("bill") || shown("payment") {
		t.Error("a new requisition rule shows the bill or payment conditions")
	}
	b.do(chromedp.SetValue(chromedp.ID("doc_type"), "bill"))
	if !shown("bill") || shown("payment") {
		t.Errorf("a new bill rule: bill conditions shown %v, payment %v", shown("bill"), shown("payment"))
	}
	b.screenshot("rule-new-bill")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL(editPath)), chromedp.WaitVisible(chromedp.ID("rule-steps")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("rule-edit-phone")
}
