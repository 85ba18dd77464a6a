package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// From an approved requisition to goods on the shelf, in a real browser: the order is made,
// part of it received, a comment and a file added without a page load, a refused upload
// explained beside the field, and the printable order shown without the app around it.
func TestPurchasingInTheBrowser(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "orders@northwind.example",
		testutil.OrderLine{Description: "Ergonomic laptop stand", Quantity: "10", UnitPrice: 4250, TaxRateBP: 2000},
		testutil.OrderLine{Description: "USB-C docking station", Quantity: "4", UnitPrice: 18900, TaxRateBP: 2000},
		testutil.OrderLine{Description: "HDMI cable, 2 m", Quantity: "12", UnitPrice: 899})
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)

	b.do(chromedp.Navigate(s.URL("/purchase-orders")), chromedp.WaitVisible(chromedp.CSS(".empty-state")))
	b.screenshot("list-empty")
	// The approved requisition's page offers the order; the button asks first.
	reqPath := fmt.Sprintf("/requisitions/%d", r.Requisition.ID)
	b.do(chromedp.Navigate(s.URL(reqPath)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/purchase-order"] button`)))
	if got := b.text("#requisition-stages"); got != "Approved $1,525.08" {
		t.Errorf("approved requisition stands at %q", got)
	}
	b.screenshot("requisition-approved")
	b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { window.__asked = q; return true; }`))
	b.pressAndLoad(`form[action$="/purchase-order"] button`)
	b.do(chromedp.WaitVisible(chromedp.ID("receive-form")))
	if got := b.text(".flash"); !strings.HasPrefix(got, "Purchase order PO-000001 created") {
		t.Errorf("flash %q", got)
	}
	po, err := models.PurchaseOrderOf(context.Background(), db, r.Requisition.ID)
	if err != nil || po == nil {
		t.Fatalf("no order: %v", err)
	}
	d, _ := models.GetPurchaseOrder(context.Background(), db, po.ID)
	assertNoHorizontalScroll(t, b)
	b.screenshot("order-new")

	// A partial receipt: four stands, two docks.
	b.do(chromedp.SendKeys(chromedp.ID(models.ReceiptField(d.Lines[0].ID)), "4"),
		chromedp.SendKeys(chromedp.ID(models.ReceiptField(d.Lines[1].ID)), "2"),
		chromedp.SendKeys(chromedp.ID("receipt-note"), "First pallet, dock 3"))
	b.pressAndLoad(`#receive-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".receipt-list")))
	if got := b.text(".page-header h1"); !strings.Contains(got, "Partly received") {
		t.Errorf("status after a partial receipt: %q", got)
	}
	// Too many cables: refused beside the line, in place.
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`),
		chromedp.SendKeys(chromedp.ID(models.ReceiptField(d.Lines[2].ID)), "13"),
		b.press(`#receive-form button[type=submit]`),
		chromedp.WaitVisible(chromedp.ID(models.ReceiptField(d.Lines[2].ID)+"-error")))
	if got := b.text("#" + models.ReceiptField(d.Lines[2].ID) + "-error"); got != "Line 3 (HDMI cable, 2 m): only 12 remain to be received." {
		t.Errorf("over-receipt message %q", got)
	}
	if !eval[bool](b, `window.__marker === 1`) {
		t.Error("the refused receipt reloaded the page")
	}
	b.screenshot("order-partly-received")

	// A comment appends inline and the box empties.
	b.do(chromedp.SendKeys(chromedp.ID("comment-body"), "Vendor says the rest ships Friday."),
		b.press(`.comment-form button[type=submit]`))
	b.waitJS(`document.querySelectorAll('#comments .comment').length === 1`)
	if got := eval[string](b, `document.getElementById('comment-body').value`); got != "" {
		t.Errorf("comment box keeps %q", got)
	}
	// An upload that is not allowed is explained; a PDF is listed.
	dir := t.TempDir()
	bad, good := filepath.Join(dir, "notes.html"), filepath.Join(dir, "delivery-note.pdf")
	os.WriteFile(bad, []byte("<html><body>hi</body></html>"), 0o644)
	os.WriteFile(good, []byte("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"), 0o644)
	b.do(chromedp.SetUploadFiles(chromedp.ID("attachment-file"), []string{bad}), b.press(`.upload-form button[type=submit]`),
		chromedp.WaitVisible(chromedp.ID("file-error")))
	if got := b.text("#file-error"); !strings.HasPrefix(got, "Files of this kind cannot be attached.") {
		t.Errorf("refused upload says %q", got)
	}
	// The form swapped in must be bound by htmx before it is used, or it would post natively.
	b.waitBound(`.upload-form`)
	b.do(chromedp.SetUploadFiles(chromedp.ID("attachment-file"), []string{good}), b.press(`.upload-form button[type=submit]`))
	b.waitJS(`document.querySelectorAll('#attachments .attachment').length === 1`)
	if got := b.text("#attachments .attachment a"); got != "delivery-note.pdf" {
		t.Errorf("attachment listed as %q", got)
	}
	if !eval[bool](b, `window.__marker === 1`) {
		t.Error("the comment or upload reloaded the page")
	}
	b.screenshot("order-discussed")

	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/purchase-orders/%d/print", po.ID))), chromedp.WaitVisible(chromedp.CSS(".print-sheet")))
	if n := eval[int](b, `document.querySelectorAll('nav, .sidebar, .topbar').length`); n != 0 {
		t.Errorf("the print page has %d navigation elements", n)
	}
	if got := b.text(".print-org"); got != "Acme Corporation" {
		t.Errorf("print organisation %q", got)
	}
	b.screenshot("print")

	b.do(chromedp.Navigate(s.URL("/purchase-orders")), chromedp.WaitVisible(chromedp.CSS("#po-results table")))
	b.screenshot("list")
	// The requisition now links to its order.
	b.do(chromedp.Navigate(s.URL(reqPath)), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.page-header a[href="/purchase-orders/%d"]`, po.ID))))
	// and says where its value stands: six stands, two docks and the cables still to come.
	if got := b.text("#requisition-stages"); got != "Purchased $867.48 · Received $657.60" {
		t.Errorf("ordered requisition stands at %q", got)
	}
	b.screenshot("requisition-ordered")

	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	for _, p := range []string{"/purchase-orders", fmt.Sprintf("/purchase-orders/%d", po.ID), fmt.Sprintf("/purchase-orders/%d/print", po.ID)} {
		b.do(chromedp.Navigate(s.URL(p)), chromedp.WaitVisible(chromedp.CSS("h1")))
		assertNoHorizontalScroll(t, b)
	}
	b.screenshot("print-phone")
	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/purchase-orders/%d", po.ID))), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.screenshot("order-phone")
	b.do(chromedp.Navigate(s.URL(reqPath)), chromedp.WaitVisible(chromedp.ID("requisition-stages")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("requisition-ordered-phone")
}
