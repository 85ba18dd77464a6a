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

// The same requisition read on its page, in its approver's details and on the order made
// from it, at 1280×900 and on a 390×844 phone: each line's amount reads the same everywhere.
func TestLineAmountsReadTheSameInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	dept := models.Department{Name: "Engineering"}
	vendor := models.Vendor{Name: "Desk Depot", Currency: "USD", Status: models.VendorActive}
	gl := models.GLAccount{Code: "6100", Name: "Office furniture"}
	for _, v := range []any{&dept, &vendor, &gl} {
		if err := db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	var ana models.User
	if err := db.Where("email = ?", s.User.Email).First(&ana).Error; err != nil {
		t.Fatal(err)
	}
	// Rita reports to Ana, who approves her requisition and reads everything.
	rita, err := models.CreateUser(ctx, db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester", Password: testutil.Password,
		Roles: []string{"requester"}, ManagerID: &ana.ID})
	if err != nil {
		t.Fatal(err)
	}
	r, err := models.SaveRequisition(ctx, db, rita.ID, 0, models.RequisitionInput{Department: fmt.Sprint(dept.ID), Vendor: fmt.Sprint(vendor.ID),
		NeededBy: time.Now().AddDate(0, 0, 7).Format("2006-01-02"), Justification: "Stands for the new desks",
		Lines: []models.LineInput{{Description: "Laptop stand", Quantity: "10", UnitPrice: "25", TaxRate: "20", GLAccount: fmt.Sprint(gl.ID)},
			{Description: "USB-C cable", Quantity: "4", UnitPrice: "10", GLAccount: fmt.Sprint(gl.ID)}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	var step models.ApprovalStep
	if err := db.Where("doc_id = ? AND status = ?", r.ID, models.StepPending).First(&step).Error; err != nil {
		t.Fatal(err)
	}
	const want = "$250.00|$40.00"

	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	amounts := func(sel string) string {
		return eval[string](b, `Array.from(document.querySelectorAll(`+jsString(sel)+`)).map(function (e) { return e.textContent.trim(); }).join('|')`)
	}
	for _, phone := range []bool{false, true} {
		name := "desktop"
		if phone {
			name = "phone"
			b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
		} else {
			b.viewport(1280, 900)
		}
		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/requisitions/%d", r.ID))), chromedp.WaitVisible(chromedp.CSS(".req-items-table")))
		if got := amounts(".req-items-table tbody td[data-label=Amount]"); got != want {
			t.Errorf("%s: requisition page amounts %q, want %q", name, got, want)
		}
		assertNoHorizontalScroll(t, b)
		b.screenshot(name + "-requisition")

		row := fmt.Sprintf("tbody#step-%d", step.ID)
		if !phone {
			b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS(row+" summary")))
			b.do(b.press(row+" summary"), chromedp.WaitVisible(chromedp.CSS(row+" .details-grid table")))
		} else {
			// Decided on the desktop: its details are still the approver's to read.
			b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/approvals/%d", step.ID))), chromedp.WaitVisible(chromedp.CSS(".details-grid table")))
			row = "main"
		}
		if got := amounts(row + " .details-grid table tbody td[data-label=Amount]"); got != want {
			t.Errorf("%s: approver details amounts %q, want %q", name, got, want)
		}
		if got := b.text(row + " .details-grid .details-total"); got != "$340.00" {
			t.Errorf("%s: approver details total %q", name, got)
		}
		assertNoHorizontalScroll(t, b)
		b.screenshot(name + "-approver-details")

		if !phone {
			if _, err := models.DecideStep(ctx, db, models.Viewer{UserID: ana.ID, Roles: []string{"admin"}}, step.ID, models.Decision{Approve: true}); err != nil {
				t.Fatal(err)
			}
			v := models.Viewer{UserID: ana.ID, Roles: []string{"admin"}, SeeAllKinds: []string{models.DocRequisition, models.DocPurchaseOrder}}
			if _, err := models.CreatePurchaseOrder(ctx, db, v, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		var po models.PurchaseOrder
		if err := db.Where("requisition_id = ?", r.ID).First(&po).Error; err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/purchase-orders/%d", po.ID))), chromedp.WaitVisible(chromedp.CSS("table.po-lines")))
		if got := amounts("table.po-lines tbody td[data-label=Amount]"); got != want {
			t.Errorf("%s: order page amounts %q, want %q", name, got, want)
		}
		if got := b.text("table.po-lines tfoot tr:last-child td:last-child"); !strings.Contains(got, "$340.00") {
			t.Errorf("%s: order total %q", name, got)
		}
		assertNoHorizontalScroll(t, b)
		b.screenshot(name + "-order")
	}
}
