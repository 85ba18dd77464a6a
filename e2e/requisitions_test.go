package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outlay/internal/testutil"
	"outlay/models"
)

// A requisition typed in a real browser: lines are added and removed in place, the total
// follows the typing (computed by the server), the draft is saved and then submitted, and the
// pages fit a desktop and a phone.
func TestRequisitionInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	dept := models.Department{Name: "Engineering"}
	vendor := models.Vendor{Name: "Desk Depot", Currency: "USD", Status: models.VendorActive}
	gl := models.GLAccount{Code: "6100", Name: "Office furniture"}
	for _, v := range []any{&dept, &vendor, &gl} {
		if err := db.WithContext(ctx).Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Ana reports to Mo, so her submission waits for him.
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
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)

	b.do(chromedp.Navigate(s.URL("/requisitions")), chromedp.WaitVisible(chromedp.CSS(".empty-state")))
	b.screenshot("requisitions-empty")
	b.pressAndLoad(`.empty-state a[href="/requisitions/new"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("requisition-form")))

	setValue := func(id, value string) {
		b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () { var e = document.getElementById(%q); e.value = %q;
			e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, id, value)))
	}
	total := func() string { return b.text("#requisition-totals dd.req-total") }
	waitTotal := func(want string) {
		b.t.Helper()
		b.waitJS(fmt.Sprintf(`document.querySelector('#requisition-totals dd.req-total')?.textContent.trim() === %q`, want))
	}
	setValue("department", fmt.Sprint(dept.ID))
	b.pick("vendor", "desk", vendor.Name)
	setValue("needed_by", time.Now().AddDate(0, 0, 14).Format("2006-01-02"))
	b.do(chromedp.SendKeys(chromedp.ID("justification"), "Two new engineers start next month."))
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`))

	b.do(chromedp.SendKeys(chromedp.ID("line-0-description"), "Standing desk"),
		chromedp.SendKeys(chromedp.ID("line-0-quantity"), "2"),
		chromedp.SendKeys(chromedp.ID("line-0-unit_price"), "250"))
	waitTotal("$500.00")

	// Adding a line brings a blank row with the focus in it.
	b.do(b.press(`#requisition-lines button[value="add"]`), chromedp.WaitVisible(chromedp.ID("line-1-description")))
	b.waitJS(`document.activeElement && document.activeElement.id === 'line-1-description'`)
	b.do(chromedp.SendKeys(chromedp.ID("line-1-description"), "Monitor arm"),
		chromedp.SendKeys(chromedp.ID("line-1-quantity"), "3"),
		chromedp.SendKeys(chromedp.ID("line-1-unit_price"), "45.50"))
	waitTotal("$636.50")
	b.waitJS(`document.getElementById('line-1-amount').textContent.trim() === '$136.50'`)

	// Enter in a line's field does nothing: it used to press the form's first button, line 1's
	// Remove, and the line was gone.
	// A submit it set off would be in flight once the key is sent: settled waits it out.
	b.do(chromedp.SendKeys(chromedp.ID("line-1-quantity"), kb.Enter))
	b.waitJS(settled)
	if got := eval[string](b, `document.getElementById('line-0-description')?.value || ''`); got != "Standing desk" {
		t.Fatalf("after Enter in line 2's quantity, line 1 is %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('#requisition-lines [id$="-description"]').length`); n != 2 {
		t.Fatalf("after Enter, %d lines", n)
	}
	waitTotal("$636.50")

	// A third line, then removed again: the total goes up and comes back down.
	b.do(b.press(`#requisition-lines button[value="add"]`), chromedp.WaitVisible(chromedp.ID("line-2-description")))
	b.do(chromedp.SendKeys(chromedp.ID("line-2-description"), "Wrong item"),
		chromedp.SendKeys(chromedp.ID("line-2-quantity"), "1"),
		chromedp.SendKeys(chromedp.ID("line-2-unit_price"), "1000"))
	waitTotal("$1,636.50")
	b.screenshot("requisition-three-lines")
	b.do(b.press(`#line-2 button[name="remove_line"][value="2"]`))
	b.waitJS(`document.querySelectorAll('#requisition-lines fieldset.req-line').length === 2`)
	waitTotal("$636.50")
	if !eval[bool](b, `window.__marker === 1`) {
		t.Error("adding or removing a line reloaded the page")
	}
	// Submitting without a GL account on the second line is refused in place, beside it.
	setValue("line-0-gl_account", fmt.Sprint(gl.ID))
	b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`))
	b.do(b.press(`#requisition-form button[value="submit"]`), chromedp.WaitVisible(chromedp.ID("line-1-gl_account-error")))
	if got := b.text("#line-1-gl_account-error"); got != "Choose a GL account." {
		t.Errorf("GL account message %q", got)
	}
	if !eval[bool](b, `window.__marker === 1 && document.querySelectorAll('#requisition-form').length === 1`) {
		t.Error("the refused submit was not swapped in place")
	}
	// The form shown again keeps the vendor picked, by name.
	if got := eval[string](b, `document.getElementById('vendor').value`); got != vendor.Name || b.lookupValue("vendor") != fmt.Sprint(vendor.ID) {
		t.Errorf("after the refused submit the vendor field shows %q (id %q)", got, b.lookupValue("vendor"))
	}
	b.screenshot("requisition-refused")
	setValue("line-1-gl_account", fmt.Sprint(gl.ID))
	b.screenshot("requisition-form")

	b.pressAndLoad(`#requisition-form button[value="save"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); got != "Draft saved." {
		t.Errorf("after save the page says %q", got)
	}
	var r models.Requisition
	if err := db.Order("id DESC").First(&r).Error; err != nil {
		t.Fatal(err)
	}
	if r.TotalMinor != 63650 || r.Status != models.RequisitionDraft || r.VendorID == nil || *r.VendorID != vendor.ID {
		t.Errorf("stored total %d status %s", r.TotalMinor, r.Status)
	}
	if got := total(); got != "$636.50" {
		t.Errorf("the saved draft shows %q", got)
	}
	b.screenshot("requisition-draft")

	// Submitting asks first.
	b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { sessionStorage.setItem('asked', q); return true; }`))
	b.pressAndLoad(`#requisition-form button[value="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); got != "REQ-000001 is submitted for approval." {
		t.Errorf("after submit the page says %q", got)
	}
	if got := eval[string](b, `sessionStorage.getItem('asked') || ''`); !strings.HasPrefix(got, "Submit this requisition") {
		t.Errorf("submit asked %q", got)
	}
	if got := b.text(".req-step-pending .req-step-who"); got != "Mo Manager (manager)" {
		t.Errorf("the route waits for %q", got)
	}
	b.screenshot("requisition-submitted")

	// Mo rejects it; Ana sees why above the form, ready to resubmit.
	var step models.ApprovalStep
	if err := db.Where("doc_id = ? AND status = ?", r.ID, models.StepPending).First(&step).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := models.DecideStep(ctx, db, models.Viewer{UserID: mo.ID, Roles: []string{"approver"}}, step.ID,
		models.Decision{Comment: "One monitor arm per person: make it two."}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/requisitions/%d", r.ID))), chromedp.WaitVisible(chromedp.CSS(".req-rejection")))
	if got := b.text(".req-rejection blockquote"); got != "One monitor arm per person: make it two." {
		t.Errorf("rejection shown as %q", got)
	}
	b.screenshot("requisition-rejected")
	b.do(chromedp.Navigate(s.URL("/requisitions")), chromedp.WaitVisible(chromedp.CSS("#requisition-results table")))
	b.screenshot("requisitions-list")
	b.do(chromedp.Navigate(s.URL("/requisitions/all")), chromedp.WaitVisible(chromedp.CSS("#requisition-results table")))
	b.screenshot("requisitions-all")

	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	for _, p := range []string{"/requisitions", "/requisitions/all", fmt.Sprintf("/requisitions/%d", r.ID), "/requisitions/new"} {
		b.do(chromedp.Navigate(s.URL(p)), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
		assertNoHorizontalScroll(t, b)
		assertInsideCards(t, b)
		b.screenshot("phone-" + strings.ReplaceAll(strings.Trim(p, "/"), "/", "-"))
	}
}
