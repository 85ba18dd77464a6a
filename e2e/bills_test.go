package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/storage"
)

// From an order to approved bills, in a real browser: the admin orders an approved
// requisition and receives part of it; the AP clerk keys in two invoices against the order
// with each invoice file beside the form, one within tolerance (matched and approved at once)
// and one priced over it (held, the reason on its line, routed to the clerk's manager); the
// manager approves the held bill from the queue. At 1280×900, then the bill pages on a phone.
// Then both are paid: a payment run pays the first in full and the second in part, the
// manager approves it, the clerk marks it paid by cheque, reads the aging and exports the
// bills and the payment to accounting as a batch; the payment pages on a phone.
func TestBillsFromOrderToApprovalInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	mo, err := models.CreateUser(ctx, db, models.NewUser{Email: "mo@acme.example", Name: "Mo Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreateUser(ctx, db, models.NewUser{Email: "cleo@acme.example", Name: "Cleo Clerk", Password: testutil.Password,
		Roles: []string{"ap_clerk"}, ManagerID: &mo.ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.OrgSettings{ID: 1}).Update("bill_price_tolerance_bp", 500).Error; err != nil {
		t.Fatal(err)
	}
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "orders@northwind.example",
		testutil.OrderLine{Description: "Toner cartridge", Quantity: "10", UnitPrice: 399},
		testutil.OrderLine{Description: "Copier paper, box", Quantity: "5", UnitPrice: 2000})

	// The admin orders and receives ten cartridges and two boxes.
	ana := newBrowser(t)
	ana.signIn(s, s.User.Email, testutil.Password)
	ana.do(chromedp.Navigate(s.URL(fmt.Sprintf("/requisitions/%d", r.Requisition.ID))), chromedp.WaitVisible(chromedp.CSS(`form[action$="/purchase-order"] button`)),
		chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`))
	ana.pressAndLoad(`form[action$="/purchase-order"] button`)
	ana.do(chromedp.WaitVisible(chromedp.ID("receive-form")))
	po, err := models.PurchaseOrderOf(ctx, db, r.Requisition.ID)
	if err != nil || po == nil {
		t.Fatalf("no order: %v", err)
	}
	d, _ := models.GetPurchaseOrder(ctx, db, po.ID)
	ana.do(chromedp.SendKeys(chromedp.ID(models.ReceiptField(d.Lines[0].ID)), "10"),
		chromedp.SendKeys(chromedp.ID(models.ReceiptField(d.Lines[1].ID)), "2"))
	ana.pressAndLoad(`#receive-form button[type=submit]`)
	ana.do(chromedp.WaitVisible(chromedp.CSS(".receipt-list")))

	dir := t.TempDir()
	pdf, scan := filepath.Join(dir, "INV-1001.pdf"), filepath.Join(dir, "INV-1002.png")
	os.WriteFile(pdf, storage.TextPDF("INV-1001"), 0o644)
	os.WriteFile(scan, invoiceScan(t), 0o644)

	cleo := newBrowser(t)
	cleo.allow(`status of 422`)
	cleo.signIn(s, "cleo@acme.example", testutil.Password)
	cleo.do(chromedp.Navigate(s.URL("/bills")), chromedp.WaitVisible(chromedp.CSS(".empty-state")))
	cleo.screenshot("list-empty")
	cleo.do(chromedp.Navigate(s.URL(fmt.Sprintf("/bills/new?order=%d", po.ID))), chromedp.WaitVisible(chromedp.ID("bill-form")))
	if got := get(cleo, chromedp.Value(chromedp.ID("line-0-quantity"))); got != "10" {
		t.Errorf("toner offered %q, want the 10 received", got)
	}
	assertNoHorizontalScroll(t, cleo)
	cleo.screenshot("new-from-order")

	// First invoice: four cartridges at 4.18 (within 5% of 3.99) and both boxes.
	enter := func(invoice, qty, price, file string) string {
		t.Helper()
		cleo.do(chromedp.Navigate(s.URL(fmt.Sprintf("/bills/new?order=%d", po.ID))), chromedp.WaitVisible(chromedp.ID("bill-form")),
			chromedp.SendKeys(chromedp.ID("vendor_invoice_number"), invoice),
			chromedp.SetValue(chromedp.ID("invoice_date"), "2026-03-02"),
			chromedp.SetValue(chromedp.ID("line-0-quantity"), qty),
			chromedp.SetValue(chromedp.ID("line-0-unit_price"), price))
		cleo.pressAndLoad(`#bill-form button[value=save]`)
		cleo.do(chromedp.WaitVisible(chromedp.ID("invoice-file")))
		if got := cleo.text(".flash"); !strings.Contains(got, "is saved as a draft") {
			t.Errorf("%s saved: %q", invoice, got)
		}
		cleo.do(chromedp.SetUploadFiles(chromedp.ID("invoice-file"), []string{file}))
		cleo.pressAndLoad(`.bill-invoice-upload button[type=submit]`)
		cleo.do(chromedp.WaitVisible(chromedp.CSS(".bill-invoice-frame, .bill-invoice-image")))
		return cleo.path()
	}
	first := enter("INV-1001", "4", "4.18", pdf)
	if src := eval[string](cleo, `document.querySelector('.bill-invoice-frame').getAttribute('src')`); src != first+"/invoice" {
		t.Errorf("the PDF beside the form is %q", src)
	}
	// The frame and the form stand side by side on a desktop.
	if !eval[bool](cleo, `document.querySelector('.bill-invoice').getBoundingClientRect().left > document.getElementById('bill-form').getBoundingClientRect().right - 1`) {
		t.Error("the invoice is not beside the form")
	}
	cleo.screenshot("keying-with-pdf")
	cleo.pressAndLoad(`#bill-form button[value=submit]`)
	cleo.do(chromedp.WaitVisible(chromedp.ID("bill-match")))
	if got := cleo.text("#bill-match"); got != "Matched" {
		t.Errorf("first bill's match %q", got)
	}
	if got := cleo.text(".flash"); !strings.Contains(got, "matched and approved") {
		t.Errorf("first bill flash %q", got)
	}
	cleo.screenshot("matched")

	// Second invoice: the remaining six cartridges at 4.20, 5.3% over the order.
	second := enter("INV-1002", "6", "4.20", scan)
	if !eval[bool](cleo, `document.querySelector('.bill-invoice-image').naturalWidth > 0`) {
		t.Error("the scanned invoice does not show")
	}
	cleo.screenshot("keying-with-scan")
	cleo.pressAndLoad(`#bill-form button[value=submit]`)
	cleo.do(chromedp.WaitVisible(chromedp.ID("bill-match")))
	if got := cleo.text("#bill-match"); got != "Held" {
		t.Errorf("second bill's match %q", got)
	}
	if got := cleo.text("#bill-lines .line-note"); got != "unit price 4.20 vs 3.99 ordered, +5.3%" {
		t.Errorf("held line says %q", got)
	}
	if got := cleo.text(".page-header p"); !strings.Contains(got, "Waiting for Mo Manager") {
		t.Errorf("held bill waits for %q", got)
	}
	cleo.screenshot("held")
	cleo.do(chromedp.Navigate(s.URL("/bills")), chromedp.WaitVisible(chromedp.ID("bills-table")))
	cleo.screenshot("list")

	// The manager reads the held line in the queue and approves it.
	mob := newBrowser(t)
	mob.signIn(s, "mo@acme.example", testutil.Password)
	mob.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#approval-results table")))
	mob.do(mob.press(`#approval-results tbody summary`), chromedp.WaitVisible(chromedp.CSS(`#approval-results .line-note`)))
	if body := mob.text("#approval-results .line-note"); body != "Held: unit price 4.20 vs 3.99 ordered, +5.3%" {
		t.Errorf("the approver does not read why it is held: %q", body)
	}
	mob.screenshot("queue-held-bill")
	mob.do(mob.press(`#approval-results button[hx-post$="/approve"]`))
	mob.waitJS(`!!document.querySelector('#approval-results .approval-decided')`)
	mob.do(chromedp.Navigate(s.URL(second)), chromedp.WaitVisible(chromedp.ID("bill-match")))
	if got := mob.text(".page-header .badge"); got != "Approved" {
		t.Errorf("after approval the bill is %q", got)
	}
	mob.screenshot("approved")

	cleo.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	for _, p := range []string{"/bills", first, second, fmt.Sprintf("/bills/new?order=%d", po.ID)} {
		cleo.do(chromedp.Navigate(s.URL(p)), chromedp.WaitVisible(chromedp.CSS("h1")))
		assertNoHorizontalScroll(t, cleo)
	}
	cleo.screenshot("new-phone")
	cleo.do(chromedp.Navigate(s.URL(second)), chromedp.WaitVisible(chromedp.CSS("h1")))
	cleo.screenshot("held-phone")

	// Both bills are approved and due: the clerk pays the first in full and the second in
	// part, the manager approves the run, the clerk marks it paid and exports to accounting.
	cleo.viewport(1280, 900)
	cleo.do(chromedp.Navigate(s.URL("/payments/new?currency=USD&due_by=2099-12-31")), chromedp.WaitVisible(chromedp.CSS(".payable-bills")))
	if n := eval[int](cleo, `document.querySelectorAll('.payable-bills tbody tr').length`); n != 2 {
		t.Fatalf("%d bills offered for payment, want the two approved", n)
	}
	secondID := second[strings.LastIndex(second, "/")+1:]
	cleo.do(chromedp.SetValue(chromedp.CSS(`[id="amount.`+secondID+`"]`), "10.00"))
	cleo.screenshot("payment-new")
	cleo.pressAndLoad(`#create-payment`)
	cleo.do(chromedp.WaitVisible(chromedp.ID("payment-status")))
	run := cleo.path()
	if got := cleo.text(".payment-lines"); !strings.Contains(got, "of $25.20 open") {
		t.Errorf("the part payment does not say what was open: %q", got)
	}
	cleo.pressAndLoad(`#submit-payment`)
	cleo.do(chromedp.WaitVisible(chromedp.ID("payment-status")))
	if got := cleo.text("#payment-status"); got != "Pending approval" {
		t.Errorf("submitted run is %q", got)
	}
	cleo.screenshot("payment-submitted")

	mob.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#approval-results table")))
	mob.screenshot("queue-payment")
	mob.do(mob.press(`#approval-results button[hx-post$="/approve"]`))
	mob.waitJS(`!!document.querySelector('#approval-results .approval-decided')`)

	cleo.do(chromedp.Navigate(s.URL(run)), chromedp.WaitVisible(chromedp.ID("paid-form")),
		chromedp.SetValue(chromedp.ID("paid_method"), "cheque"), chromedp.SendKeys(chromedp.ID("reference"), "CHQ 1042"))
	cleo.screenshot("payment-approved")
	cleo.pressAndLoad(`#mark-paid`)
	cleo.do(chromedp.WaitVisible(chromedp.ID("payment-paid")))
	if got := cleo.text("#payment-status"); got != "Paid" {
		t.Errorf("run after marking paid is %q", got)
	}
	cleo.screenshot("payment-paid")
	cleo.do(chromedp.Navigate(s.URL("/bills/aging")), chromedp.WaitVisible(chromedp.CSS("h1")))
	cleo.screenshot("aging")
	cleo.do(chromedp.Navigate(s.URL("/accounting/exports")), chromedp.WaitVisible(chromedp.ID("export-new")))
	cleo.screenshot("export-new")
	cleo.pressAndLoad(`#export-batch`)
	cleo.do(chromedp.WaitVisible(chromedp.ID("export-batches")))
	if got := cleo.text("#export-new-title"); !strings.Contains(got, "(0)") {
		t.Errorf("after exporting, new since the last batch: %q", got)
	}
	cleo.screenshot("export-batch")
	cleo.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	for _, p := range []string{run, "/payments", "/accounting/exports", "/bills/aging"} {
		cleo.do(chromedp.Navigate(s.URL(p)), chromedp.WaitVisible(chromedp.CSS("h1")))
		assertNoHorizontalScroll(t, cleo)
	}
	cleo.do(chromedp.Navigate(s.URL(run)), chromedp.WaitVisible(chromedp.CSS("h1")))
	cleo.screenshot("payment-phone")
}

// invoiceScan is a small picture standing for a scanned invoice: a page with ruled lines.
func invoiceScan(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 520))
	for y := 0; y < 520; y++ {
		for x := 0; x < 400; x++ {
			c := color.RGBA{250, 250, 245, 255}
			if (y > 40 && y < 70 && x > 30 && x < 200) || (y%40 == 0 && y > 120 && x > 30 && x < 370) {
				c = color.RGBA{60, 60, 70, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A bill entered in error is voided from its page in the browser: the clerk says why, is
// asked to confirm, and the page then says the bill is void, by whom and why, and offers
// the void no more.
func TestVoidABillInTheBrowser(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	cleo := s.App.CreateUser(t, s.Tenant, "cleo@acme.example", "Cleo Clerk", "ap_clerk")
	vendor := models.Vendor{Name: "Northwind", Currency: "USD", Status: models.VendorActive}
	if err := db.Create(&vendor).Error; err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	bill := models.Bill{Number: "BILL-000042", VendorID: vendor.ID, VendorInvoiceNumber: "NW-7", InvoiceDate: day.AddDate(0, 0, -3),
		DueDate: day.AddDate(0, 0, 27), Currency: "USD", SubtotalMinor: 12000, TotalMinor: 12000, Status: models.BillApproved,
		MatchStatus: models.MatchNone, EnteredByID: cleo.ID}
	if err := db.Create(&bill).Error; err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(s, cleo.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/bills/%d", bill.ID))), chromedp.WaitVisible(chromedp.ID("bill-void")),
		// The question is kept where the page after the post can read it.
		chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { sessionStorage.setItem('asked', q); return true; }`),
		chromedp.SendKeys(chromedp.ID("void_reason"), "Northwind sent NW-7 twice"))
	b.screenshot("void-asked")
	b.pressAndLoad(`#bill-void button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("bill-voided")))
	if asked := eval[string](b, `sessionStorage.getItem('asked') || ''`); asked != "Void this bill? A void bill cannot be brought back." {
		t.Errorf("asked %q before voiding", asked)
	}
	if got := b.text("#bill-voided"); !strings.HasPrefix(got, "By Cleo Clerk on") || !strings.HasSuffix(got, ": Northwind sent NW-7 twice") {
		t.Errorf("voided: %q", got)
	}
	if got := b.text(".page-header"); !strings.Contains(got, "Void") {
		t.Errorf("page header: %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('#bill-void').length`); n != 0 {
		t.Error("a void bill is still offered the void")
	}
	b.screenshot("void-done")
}
