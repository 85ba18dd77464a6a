package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// receiptPhoto writes a small photo of a receipt (a white slip with lines of "print").
func receiptPhoto(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 120, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 120; x++ {
			c := color.RGBA{250, 250, 245, 255}
			if y%14 < 3 && x > 10 && x < 110-(y%40) {
				c = color.RGBA{60, 60, 70, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "receipt.jpg")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// An expense report from the form to paid in a real browser, on a 1280×900 desktop and on
// a 390×844 phone: Ana types a line over its category's limit with a justification (its
// amount and the total follow the typing), saves, attaches the receipt photo from the line's
// camera input, submits; her manager reads the line's flag and receipt thumbnail in his queue
// and approves; she finds it approved and counted; the AP clerk schedules it in a
// reimbursement batch and marks the batch paid; she finds it paid.
func TestExpenseFromFormToPaidInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	sales := models.Department{Name: "Sales"}
	gl := models.GLAccount{Code: "6510", Name: "Meals"}
	for _, v := range []any{&sales, &gl} {
		if err := db.WithContext(ctx).Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	limit, per := int64(5000), models.LimitPerDay
	meals := models.ExpenseCategory{Name: "Meals", GLAccountID: gl.ID, LimitMinor: &limit, LimitPer: &per, Currency: "USD"}
	if err := db.Create(&meals).Error; err != nil {
		t.Fatal(err)
	}
	mo, err := models.CreateUser(ctx, db, models.NewUser{Email: "mo@acme.example", Name: "Mo Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	// Cas, an AP clerk, pays approved reports back.
	if _, err := models.CreateUser(ctx, db, models.NewUser{Email: "cas@acme.example", Name: "Cas Clerk", Password: testutil.Password, Roles: []string{"ap_clerk"}}); err != nil {
		t.Fatal(err)
	}
	var ana models.User
	if err := db.Where("email = ?", s.User.Email).First(&ana).Error; err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateUser(ctx, db, models.ByOperator(), ana.ID, models.UserChange{Name: ana.Name, Roles: []string{"admin"}, ManagerID: &mo.ID}); err != nil {
		t.Fatal(err)
	}
	photo := receiptPhoto(t)
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
		number := fmt.Sprintf("EXP-%06d", i+1)
		shot := func(name string) { b.screenshot(vp.name + "-" + name) }
		if vp.mobile {
			b.viewport(vp.w, vp.h, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
		} else {
			b.viewport(vp.w, vp.h)
		}
		b.signIn(s, s.User.Email, testutil.Password)

		// Ana types the report and saves it.
		b.do(chromedp.Navigate(s.URL("/expenses/new")), chromedp.WaitVisible(chromedp.ID("expense-form")))
		b.do(chromedp.SendKeys(chromedp.ID("title"), "Lyon distributor visit"),
			chromedp.SendKeys(chromedp.ID("purpose"), "Dinner with the Lyon distributor."))
		setValue("department", fmt.Sprint(sales.ID))
		setValue("period_from", day(-3))
		setValue("period_to", day(-1))
		setValue("expense-0-date", day(-2))
		setValue("expense-0-category", fmt.Sprint(meals.ID))
		b.do(chromedp.SendKeys(chromedp.ID("expense-0-merchant"), "Bouchon Lyonnais"),
			chromedp.SendKeys(chromedp.ID("expense-0-amount"), "64.50"),
			chromedp.SendKeys(chromedp.ID("expense-0-justification"), "Client dinner for two"))
		// The line's amount and the total follow the typing, priced on the server.
		b.waitJS(`document.querySelector('#expense-totals .exp-total').textContent === '$64.50' &&
			document.getElementById('expense-0-priced').textContent.trim() === '$64.50'`)
		assertNoHorizontalScroll(t, b)
		shot("form")
		b.pressAndLoad(`#expense-form button[value="save"]`)
		b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Draft saved." {
			t.Fatalf("%s: after save the page says %q", vp.name, got)
		}
		if got := b.text("#line-0 .notice"); !strings.Contains(got, "Over the category's limit ($50.00 a day)") {
			t.Errorf("%s: the line's flag reads %q", vp.name, got)
		}

		// The receipt, attached from the line (on the phone, the camera's photo).
		if got := eval[string](b, `document.getElementById('expense-0-file').getAttribute('capture')`); got != "environment" {
			t.Errorf("%s: receipt input capture %q", vp.name, got)
		}
		// Something typed and not saved yet survives attaching it: only the line's receipt
		// is answered, and the page is not loaded again.
		b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('purpose').setSelectionRange(1e6, 1e6)`),
			chromedp.SendKeys(chromedp.ID("purpose"), " Signed the renewal."))
		b.do(chromedp.ScrollIntoView(chromedp.ID("expense-0-file")))
		b.do(chromedp.SetUploadFiles(chromedp.ID("expense-0-file"), []string{photo}))
		shot("receipt-chosen")
		b.do(chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
		b.do(b.press(`button[form="receipt-0"]`))
		b.waitJS(`[...document.querySelectorAll('.toast-success')].some(e => e.textContent.includes('Receipt attached to line 1.'))`)
		if got := b.text("#line-0 .exp-receipt a"); got != "receipt.jpg" {
			t.Errorf("%s: the line's receipt reads %q", vp.name, got)
		}
		if !eval[bool](b, `window.__samePage === true`) {
			t.Errorf("%s: attaching the receipt loaded the page again", vp.name)
		}
		if got := eval[string](b, `document.getElementById('purpose').value`); got != "Dinner with the Lyon distributor. Signed the renewal." {
			t.Errorf("%s: after attaching the receipt the purpose reads %q", vp.name, got)
		}
		if got := eval[string](b, `document.querySelector('#line-0 input[name=receipt]').value`); got == "" {
			t.Errorf("%s: the form does not carry the line's new receipt", vp.name)
		}

		// Submitted.
		b.pressAndLoad(`#expense-form button[value="submit"]`)
		b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != number+" is submitted for approval." {
			t.Fatalf("%s: after submit the page says %q", vp.name, got)
		}
		if n := eval[int](b, `document.querySelectorAll('img.exp-thumb').length`); n != 1 {
			t.Errorf("%s: %d receipt thumbnails on the report", vp.name, n)
		}
		if got := b.text("body"); !strings.Contains(got, "Dinner with the Lyon distributor. Signed the renewal.") {
			t.Errorf("%s: the submitted report lost the purpose typed before the receipt", vp.name)
		}
		b.waitJS(`(function () { var i = document.querySelector('img.exp-thumb'); return i && i.complete && i.naturalWidth === 120; })()`)
		assertNoHorizontalScroll(t, b)
		shot("submitted")
		var r models.ExpenseReport
		if err := db.Where("number = ?", number).First(&r).Error; err != nil {
			t.Fatal(err)
		}
		var step models.ApprovalStep
		if err := db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).First(&step).Error; err != nil {
			t.Fatal(err)
		}
		row := fmt.Sprintf("tbody#step-%d", step.ID)

		// Mo reads it in his queue, with the flag and the receipt, and approves it.
		signOut()
		b.signIn(s, "mo@acme.example", testutil.Password)
		b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS(row)))
		b.do(b.press(row+" summary"), chromedp.WaitVisible(chromedp.CSS(row+" img.receipt-thumb")))
		panel := b.text(row + " .details-grid")
		for _, want := range []string{"Meals · Bouchon Lyonnais", "Over the category's limit ($50.00 a day): “Client dinner for two”", "$64.50"} {
			if !strings.Contains(panel, want) {
				t.Errorf("%s: the queue's details lack %q: %s", vp.name, want, panel)
			}
		}
		b.waitJS(`(function () { var i = document.querySelector('` + row + ` img.receipt-thumb'); return i && i.complete && i.naturalWidth === 120; })()`)
		assertNoHorizontalScroll(t, b)
		shot("queue-details")
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('` + row + ` button[hx-post$="/approve"]').click()`))
		b.waitJS(`!!document.querySelector('` + row + `.approval-decided')`)
		shot("queue-approved")

		// Ana finds it approved, and counted on her dashboard.
		signOut()
		b.signIn(s, s.User.Email, testutil.Password)
		// The report of the round before is paid by now: one report is open.
		if got := strings.Join(strings.Fields(b.text(".dash-expenses")), " "); !strings.HasPrefix(got, "1 · $") {
			t.Errorf("%s: dashboard card reads %q", vp.name, got)
		}
		shot("dashboard")
		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/expenses/%d", r.ID))), chromedp.WaitVisible(chromedp.CSS(".exp-lines-table")))
		if got := b.text(".page-header .badge"); got != "Approved" {
			t.Errorf("%s: the report's status reads %q", vp.name, got)
		}
		assertNoHorizontalScroll(t, b)
		shot("approved")
		b.do(chromedp.Navigate(s.URL("/expenses")), chromedp.WaitVisible(chromedp.CSS("#expense-results table")))
		assertNoHorizontalScroll(t, b)
		shot("list")

		// Cas schedules it for payment in a batch, and marks the batch paid.
		status := func() string {
			var got models.ExpenseReport
			if err := db.Select("status").Take(&got, r.ID).Error; err != nil {
				t.Fatal(err)
			}
			return got.Status
		}
		signOut()
		b.signIn(s, "cas@acme.example", testutil.Password)
		pick := fmt.Sprintf("report-%d", r.ID)
		b.do(chromedp.Navigate(s.URL("/expenses/reimbursements/new")), chromedp.WaitVisible(chromedp.ID(pick)))
		b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('` + pick + `').checked = true`))
		assertNoHorizontalScroll(t, b)
		shot("reimbursement-new")
		b.pressAndLoad(`form[action="/expenses/reimbursements"] button[type="submit"]`)
		b.do(chromedp.WaitVisible(chromedp.ID("batch-pay-form")))
		if got := status(); got != models.ExpenseScheduled {
			t.Errorf("%s: after scheduling the report is %s", vp.name, got)
		}
		assertNoHorizontalScroll(t, b)
		shot("scheduled")
		setValue("paid_on", day(0))
		b.do(chromedp.Evaluate[chromedp.Void](`(function () { var m = document.getElementById('method'); m.value = m.options[1].value;
			m.dispatchEvent(new Event('change', {bubbles: true})); })()`))
		b.do(chromedp.SendKeys(chromedp.ID("reference"), "BT-"+vp.name))
		b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`))
		b.pressAndLoad(`#batch-pay-form button[type="submit"]`)
		b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := status(); got != models.ExpensePaid {
			t.Fatalf("%s: after marking the batch paid the report is %s; the page says %q", vp.name, got, b.text(".flash"))
		}
		assertNoHorizontalScroll(t, b)
		shot("batch-paid")

		// Ana finds it paid.
		signOut()
		b.signIn(s, s.User.Email, testutil.Password)
		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/expenses/%d", r.ID))), chromedp.WaitVisible(chromedp.CSS(".exp-lines-table")))
		if got := b.text(".page-header .badge"); got != "Paid" {
			t.Errorf("%s: the paid report's status reads %q", vp.name, got)
		}
		assertNoHorizontalScroll(t, b)
		shot("paid")
		signOut()
	}
}
