package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
)

// queueWorld is Max Manager's queue of approvals: requisitions of Rita's (he is her
// manager) for Initech's software, in Engineering, within its budget.
type queueWorld struct {
	s        *site
	db       *gorm.DB
	rita     *models.User
	eng      models.Department
	software models.GLAccount
	vendor   models.Vendor
}

func newQueueWorld(t *testing.T) *queueWorld {
	t.Helper()
	s := startSite(t)
	w := &queueWorld{s: s, db: s.App.DB(t, s.Tenant), eng: models.Department{Name: "Engineering", Code: "ENG"},
		software: models.GLAccount{Code: "6000", Name: "Software"},
		vendor:   models.Vendor{Name: "Initech", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}}
	for _, rec := range []any{&w.eng, &w.software, &w.vendor} {
		if err := w.db.Create(rec).Error; err != nil {
			t.Fatal(err)
		}
	}
	year := time.Now().Year()
	if err := w.db.Create(&models.Budget{DepartmentID: w.eng.ID, GLAccountID: w.software.ID, AmountMinor: 1_000_000, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}).Error; err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	max, err := models.CreateUser(ctx, w.db, models.NewUser{Email: "max@acme.example", Name: "Max Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	w.rita, err = models.CreateUser(ctx, w.db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester", Password: testutil.Password,
		Roles: []string{"requester"}, ManagerID: &max.ID, DepartmentID: &w.eng.ID})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// submit submits a requisition of Rita's for each amount and gives the steps that wait for Max.
func (w *queueWorld) submit(t *testing.T, amounts ...int64) []int64 {
	t.Helper()
	var steps []int64
	for i, amount := range amounts {
		r := testutil.CreateRequisition(t, w.db, testutil.Requisition{RequesterID: w.rita.ID, DepartmentID: &w.eng.ID, VendorID: &w.vendor.ID,
			Justification: fmt.Sprintf("Request %d: licences for the new starters", i+1),
			Lines:         []testutil.RequisitionLine{{GLAccountID: &w.software.ID, Amount: amount}}})
		steps = append(steps, testutil.SubmitRequisition(t, w.db, r).Steps[0].ID)
	}
	return steps
}

// The approver's queue in a real browser: a row's details open in place, one request is
// approved and another rejected inline (the rows swap, the badge counts down, a toast
// confirms), and the queue fits a desktop and a phone.
func TestApprovalsQueueInTheBrowser(t *testing.T) {
	w := newQueueWorld(t)
	s, db := w.s, w.db
	steps := w.submit(t, 129900, 450000, 8_250)
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

	// Approving the ticked ones asks how many.
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

// "Approve ticked" waits for a tick: disabled, seen so and said so, until a request is
// ticked, and again once the last tick goes, whether a box is unticked, "Tick all on this
// page" unticks them all, or the ticked request leaves the list (decided on its own row);
// pressed while disabled it sends nothing. On a desktop and on a phone.
func TestBulkApproveWaitsForATick(t *testing.T) {
	w := newQueueWorld(t)
	const button = `#bulk-form button[type="submit"]`
	for _, width := range []int64{1280, 390} {
		steps := w.submit(t, 12_000, 34_000, 56_000)
		tick := func(i int) string { return fmt.Sprintf("#tick-%d", steps[i]) }
		b := newBrowser(t)
		if width == 390 {
			b.viewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
		} else {
			b.viewport(1280, 900)
		}
		b.signIn(w.s, "max@acme.example", testutil.Password)
		b.do(chromedp.Navigate(w.s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS(tick(2))))
		// The button, the hint and "Tick all on this page", as one line.
		const stateJS = `(function () {
			var btn = document.querySelector('` + button + `'), all = document.querySelector('#bulk-form [data-tick-all]');
			return (btn.disabled ? 'disabled' : 'enabled') + ' | ' + document.getElementById('bulk-hint').textContent.trim() + ' | ' +
				(all.checked ? 'all' : all.indeterminate ? 'some' : 'none');
		})()`
		want := func(step, expect string) {
			t.Helper()
			ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
			defer cancel()
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](stateJS+` === `+strconv.Quote(expect), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
				t.Errorf("%dpx, %s: %q, want %q", width, step, eval[string](b, stateJS), expect)
			}
		}
		want("nothing ticked", "disabled | Tick requests in the list, then approve them together. | none")
		// Seen disabled (dimmed, no pointer), and said so: a disabled button, described by the hint.
		if got := eval[string](b, `(function () { var s = getComputedStyle(document.querySelector('`+button+`')); return s.opacity + ' ' + s.cursor; })()`); got != "0.5 not-allowed" {
			t.Errorf("%dpx: the disabled button looks %q", width, got)
		}
		if got := eval[string](b, `document.querySelector('`+button+`').getAttribute('aria-describedby')`); got != "bulk-hint" {
			t.Errorf("%dpx: the button is described by %q", width, got)
		}
		if !eval[bool](b, `!!document.querySelector('#bulk-form [data-tick-all]').closest('label').offsetParent`) {
			t.Errorf("%dpx: no 'Tick all on this page' box", width)
		}
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('` + button + `').click()`))
		assertNoHorizontalScroll(t, b)
		b.screenshot(fmt.Sprintf("nothing-ticked-%d", width))

		b.do(b.press(tick(0)))
		want("one ticked", "enabled | 1 request ticked. | some")
		b.screenshot(fmt.Sprintf("one-ticked-%d", width))
		b.do(b.press(tick(0)))
		want("unticked again", "disabled | Tick requests in the list, then approve them together. | none")
		b.do(b.press(`#bulk-form [data-tick-all]`))
		want("all ticked", "enabled | 3 requests ticked. | all")
		if n := eval[int](b, `document.querySelectorAll('input[name="step"]:checked').length`); n != 3 {
			t.Errorf("%dpx: 'Tick all' ticked %d of 3", width, n)
		}
		b.screenshot(fmt.Sprintf("all-ticked-%d", width))
		b.do(b.press(`#bulk-form [data-tick-all]`))
		want("all unticked", "disabled | Tick requests in the list, then approve them together. | none")

		// The only ticked request is approved on its own row: it leaves the list of boxes, and
		// the button waits for a tick again.
		row := fmt.Sprintf("tbody#step-%d", steps[1])
		b.do(b.press(tick(1)))
		want("the second ticked", "enabled | 1 request ticked. | some")
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('` + row + ` button[hx-post$="/approve"]').click()`))
		b.waitJS(`!!document.querySelector('` + row + `.approval-decided')`)
		want("its row decided", "disabled | Tick requests in the list, then approve them together. | none")
		if n := len(b.requestsTo("POST", "/approvals/bulk")); n != 0 {
			t.Errorf("%dpx: the disabled button sent %d bulk approvals", width, n)
		}
		// The two left, ticked all together and approved together.
		b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`), b.press(`#bulk-form [data-tick-all]`))
		want("the two left ticked", "enabled | 2 requests ticked. | all")
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('` + button + `').click()`))
		b.waitJS(`[...document.querySelectorAll('.toast-success')].some(e => e.textContent.includes('2 approved'))`)
		b.waitJS(`!document.querySelector('input[name="step"]')`)
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
