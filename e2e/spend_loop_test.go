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

// The whole buying loop, each person in their own browser: a requester fills in and submits
// a requisition, her manager approves it inline from his queue, an admin turns it into a
// purchase order and records a partial receipt, and the dashboard charts the month's spend.
func TestRequisitionToPartialReceiptInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	eng := models.Department{Name: "Engineering"}
	vendor := models.Vendor{Name: "Desk Depot", Currency: "USD", Status: models.VendorActive, Email: "orders@deskdepot.example"}
	gl := models.GLAccount{Code: "6100", Name: "Office furniture"}
	for _, rec := range []any{&eng, &vendor, &gl} {
		if err := db.WithContext(ctx).Create(rec).Error; err != nil {
			t.Fatal(err)
		}
	}
	max, err := models.CreateUser(ctx, db, models.NewUser{Email: "max@acme.example", Name: "Max Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreateUser(ctx, db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester", Password: testutil.Password,
		Roles: []string{"requester"}, ManagerID: &max.ID, DepartmentID: &eng.ID}); err != nil {
		t.Fatal(err)
	}

	// Rita: a requisition with two lines, submitted.
	rita := newBrowser(t)
	rita.signIn(s, "rita@acme.example", testutil.Password)
	rita.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
	setValue := func(b *browser, id, value string) {
		b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () { var e = document.getElementById(%q); e.value = %q;
			e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, id, value)))
	}
	setValue(rita, "department", fmt.Sprint(eng.ID))
	rita.pick("vendor", "desk", vendor.Name)
	setValue(rita, "needed_by", time.Now().AddDate(0, 0, 10).Format("2006-01-02"))
	rita.do(chromedp.SendKeys(chromedp.ID("justification"), "Desks for the two engineers starting in January."),
		chromedp.SendKeys(chromedp.ID("line-0-description"), "Standing desk"),
		chromedp.SendKeys(chromedp.ID("line-0-quantity"), "2"),
		chromedp.SendKeys(chromedp.ID("line-0-unit_price"), "480"))
	setValue(rita, "line-0-gl_account", fmt.Sprint(gl.ID))
	rita.do(rita.press(`#requisition-lines button[value="add"]`), chromedp.WaitVisible(chromedp.ID("line-1-description")))
	rita.do(chromedp.SendKeys(chromedp.ID("line-1-description"), "Desk lamp"),
		chromedp.SendKeys(chromedp.ID("line-1-quantity"), "2"),
		chromedp.SendKeys(chromedp.ID("line-1-unit_price"), "35.25"))
	setValue(rita, "line-1-gl_account", fmt.Sprint(gl.ID))
	rita.waitJS(`document.querySelector('#requisition-totals dd.req-total')?.textContent.trim() === '$1,030.50'`)
	rita.screenshot("loop-1-requisition-filled")
	rita.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`))
	rita.pressAndLoad(`#requisition-form button[value="submit"]`)
	rita.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := rita.text(".flash"); got != "REQ-000001 is submitted for approval." {
		t.Fatalf("after submit Rita sees %q", got)
	}
	rita.screenshot("loop-2-requisition-submitted")
	var req models.Requisition
	if err := db.Where("number = ?", "REQ-000001").First(&req).Error; err != nil {
		t.Fatal(err)
	}

	// Max: approves it inline from his queue.
	maxB := newBrowser(t)
	maxB.signIn(s, "max@acme.example", testutil.Password)
	maxB.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#approval-results table")))
	if got := maxB.text("#approvals-count"); got != "1" {
		t.Errorf("Max's badge says %q, want 1", got)
	}
	maxB.screenshot("loop-3-queue")
	maxB.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`), maxB.press(`#approval-results button[hx-post$="/approve"]`))
	maxB.waitJS(`!!document.querySelector('#approval-results .approval-decided')`)
	maxB.waitJS(`document.getElementById('approvals-count').textContent.trim() === '0'`)
	maxB.waitJS(`!!document.querySelector('.toast-success')`)
	if !eval[bool](maxB, `window.__marker === 1`) {
		t.Error("approving reloaded the page")
	}
	maxB.screenshot("loop-4-approved-inline")
	if err := db.First(&req, req.ID).Error; err != nil || req.Status != models.RequisitionApproved {
		t.Fatalf("after Max's approval the requisition is %q (%v)", req.Status, err)
	}

	// Ana: makes the purchase order and receives one desk and both lamps.
	ana := newBrowser(t)
	ana.signIn(s, s.User.Email, testutil.Password)
	ana.do(chromedp.Navigate(s.URL(fmt.Sprintf("/requisitions/%d", req.ID))), chromedp.WaitVisible(chromedp.CSS(`form[action$="/purchase-order"] button`)))
	ana.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`))
	ana.pressAndLoad(`form[action$="/purchase-order"] button`)
	ana.do(chromedp.WaitVisible(chromedp.ID("receive-form")))
	if got := ana.text(".flash"); !strings.HasPrefix(got, "Purchase order PO-000001 created") {
		t.Errorf("after ordering Ana sees %q", got)
	}
	po, err := models.PurchaseOrderOf(ctx, db, req.ID)
	if err != nil || po == nil {
		t.Fatalf("no purchase order: %v", err)
	}
	d, err := models.GetPurchaseOrder(ctx, db, po.ID)
	if err != nil {
		t.Fatal(err)
	}
	ana.screenshot("loop-5-order")
	ana.do(chromedp.SendKeys(chromedp.ID(models.ReceiptField(d.Lines[0].ID)), "1"),
		chromedp.SendKeys(chromedp.ID(models.ReceiptField(d.Lines[1].ID)), "2"))
	ana.pressAndLoad(`#receive-form button[type=submit]`)
	ana.do(chromedp.WaitVisible(chromedp.CSS(".receipt-list")))
	if got := ana.text(".page-header h1"); !strings.Contains(got, "Partly received") {
		t.Errorf("after a partial receipt the order says %q", got)
	}
	ana.screenshot("loop-6-partly-received")
	d, err = models.GetPurchaseOrder(ctx, db, po.ID)
	if err != nil || d.Lines[0].ReceivedMilli != 1000 || d.Lines[1].ReceivedMilli != 2000 {
		t.Errorf("received %+v (%v)", d.Lines, err)
	}

	// The requisition's History tells the whole story, its route and lines included.
	ana.do(chromedp.Navigate(s.URL(fmt.Sprintf("/requisitions/%d/history", req.ID))), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if got := ana.text("main"); !strings.Contains(got, "Standing desk") || !strings.Contains(got, "Max Manager") {
		t.Errorf("the requisition's History lacks its lines or approver")
	}
	ana.screenshot("loop-7-history")

	// The month's spend shows on the admin's dashboard; Rita's open requests are done.
	ana.do(chromedp.Navigate(s.URL("/dashboard")), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if got := eval[string](ana, `document.getElementById('spend-desc').textContent.trim()`); got != "Engineering: $1,030.50" {
		t.Errorf("spend chart describes %q", got)
	}
	ana.screenshot("loop-8-dashboard")
	rita.do(chromedp.Navigate(s.URL("/dashboard")), chromedp.WaitVisible(chromedp.CSS("[data-testid=open-requests]")))
	if got := rita.text("[data-testid=open-requests]"); got != "0" {
		t.Errorf("Rita's open requests after ordering: %q", got)
	}
}
