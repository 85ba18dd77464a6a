package models_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"outlay"
	"outlay/models"
	"outlay/money"
)

// billWorld is the approval world with an AP clerk (Clara, reporting to Max) and helpers to
// make orders and key in bills.
type billWorld struct {
	*approvalWorld
	clara *models.User
}

func newBillWorld(t *testing.T) *billWorld {
	w := &billWorld{approvalWorld: newApprovalWorld(t)}
	w.clara = w.user("clara@acme.example", "Clara Clerk", &w.max.ID, "ap_clerk")
	return w
}

func (w *billWorld) clerk() models.Viewer {
	return models.Viewer{UserID: w.clara.ID, Roles: w.clara.Roles, SeeAllKinds: []string{models.DocBill}}
}

type orderSpec struct {
	qty, received string // "10"
	price         int64  // minor units
}

// order stores an order from w.vendor, made from an approved Engineering requisition, whose
// lines are booked to Software and received as given.
func (w *billWorld) order(currency string, lines ...orderSpec) (*models.PurchaseOrder, []models.PurchaseOrderLine) {
	w.t.Helper()
	r := w.requisition(w.rita, &w.eng, currency, reqLine{&w.software, 100})
	number := "REQ-B" + strconv.FormatInt(r.ID, 10)
	w.must(w.db.Model(r).Updates(map[string]any{"number": number, "status": models.RequisitionOrdered, "decided_at": time.Now()}).Error)
	po := &models.PurchaseOrder{Number: "PO-B" + strconv.FormatInt(r.ID, 10), RequisitionID: r.ID, VendorID: w.vendor.ID,
		Currency: currency, Status: models.POPartiallyReceived, CreatedBy: w.admin.ID}
	var rows []models.PurchaseOrderLine
	for i, l := range lines {
		q, _ := money.ParseQuantity(l.qty)
		rec := money.Quantity(0)
		if l.received != "0" {
			rec, _ = money.ParseQuantity(l.received)
		}
		amount, _ := money.LineAmount(q, l.price)
		po.SubtotalMinor += amount
		rows = append(rows, models.PurchaseOrderLine{Position: i + 1, Description: "Item " + strconv.Itoa(i+1), QuantityMilli: q,
			UnitPriceMinor: l.price, GLAccountID: &w.software.ID, AmountMinor: amount, ReceivedMilli: rec})
	}
	po.TotalMinor = po.SubtotalMinor
	w.must(w.db.Create(po).Error)
	for i := range rows {
		rows[i].PurchaseOrderID = po.ID
		w.must(w.db.Create(&rows[i]).Error)
	}
	return po, rows
}

// orderBill is what a clerk types for a bill of po: one line per order line billed, as
// (quantity, unit price) pairs.
func orderBill(po *models.PurchaseOrder, invoice string, lines []models.PurchaseOrderLine, typed ...[2]string) models.BillInput {
	in := models.BillInput{Vendor: strconv.FormatInt(po.VendorID, 10), PurchaseOrder: strconv.FormatInt(po.ID, 10),
		VendorInvoiceNumber: invoice, InvoiceDate: "2026-03-02"}
	for i, t := range typed {
		in.Lines = append(in.Lines, models.BillLineInput{OrderLine: strconv.FormatInt(lines[i].ID, 10),
			LineInput: models.LineInput{Quantity: t[0], UnitPrice: t[1]}})
	}
	return in
}

func (w *billWorld) setTolerance(priceBP int, priceMinor *int64, qtyBP int) {
	w.t.Helper()
	w.must(w.db.Model(&models.OrgSettings{ID: 1}).Updates(map[string]any{"bill_price_tolerance_bp": priceBP,
		"bill_price_tolerance_minor": priceMinor, "bill_quantity_tolerance_bp": qtyBP}).Error)
}

// plainBill is a one-line bill of Initech without an order, for amount.
func (w *billWorld) plainBill(invoice, date, amount string) models.BillInput {
	return models.BillInput{Vendor: strconv.FormatInt(w.vendor.ID, 10), VendorInvoiceNumber: invoice, InvoiceDate: date,
		Lines: []models.BillLineInput{{LineInput: models.LineInput{Description: "Support", Quantity: "1", UnitPrice: amount,
			GLAccount: strconv.FormatInt(w.software.ID, 10)}, Department: strconv.FormatInt(w.eng.ID, 10)}}}
}

// draft saves a bill as Clara.
func (w *billWorld) draft(in models.BillInput) *models.Bill {
	w.t.Helper()
	b, err := models.SaveBill(as(w.clara), w.db, w.clerk(), 0, in)
	w.must(err)
	return b
}

// enter saves and submits a bill as Clara.
func (w *billWorld) enter(in models.BillInput) *models.BillSubmission {
	w.t.Helper()
	b := w.draft(in)
	out, err := models.SubmitBill(as(w.clara), w.db, w.clerk(), b.ID)
	w.must(err)
	return out
}

// Each tolerance at its boundary: one minor unit (or one thousandth) inside is matched, on it
// is matched, one past it is held with the reason in the clerk's words.
func TestBillMatchAtToleranceBoundaries(t *testing.T) {
	t.Parallel()
	abs := int64(50)
	pct := models.BillTolerance{PriceBP: 500, QuantityBP: 1000}
	both := models.BillTolerance{PriceBP: 1000, PriceMinor: &abs, AbsoluteCurrency: "USD"}
	order := models.OrderLineFacts{OrderedMilli: 12000, ReceivedMilli: 10000, UnitPriceMinor: 10000}
	cases := []struct {
		name      string
		mode      string
		tol       models.BillTolerance
		currency  string
		qty       money.Quantity
		price     int64
		facts     models.OrderLineFacts
		held      bool
		note      string
		varianceB int
	}{
		{"price 5% just inside", models.MatchThreeWay, pct, "USD", 10000, 10499, order, false, "", 499},
		{"price 5% on it", models.MatchThreeWay, pct, "USD", 10000, 10500, order, false, "", 500},
		{"price 5% just outside", models.MatchThreeWay, pct, "USD", 10000, 10501, order, true, "unit price 105.01 vs 100.00 ordered, +5.0%", 501},
		{"price below ordered", models.MatchThreeWay, pct, "USD", 10000, 9000, order, false, "", 0},
		{"absolute just inside", models.MatchTwoWay, both, "USD", 10000, 10049, order, false, "", 49},
		{"absolute on it", models.MatchTwoWay, both, "USD", 10000, 10050, order, false, "", 50},
		{"absolute just outside", models.MatchTwoWay, both, "USD", 10000, 10051, order, true, "unit price 100.51 vs 100.00 ordered, +0.5%", 51},
		{"absolute only in its currency", models.MatchTwoWay, both, "EUR", 10000, 10900, order, false, "", 900},
		{"the issue's price", models.MatchThreeWay, pct, "USD", 1000, 420, models.OrderLineFacts{OrderedMilli: 1000, ReceivedMilli: 1000, UnitPriceMinor: 399},
			true, "unit price 4.20 vs 3.99 ordered, +5.3%", 526},
		{"three-way quantity just inside", models.MatchThreeWay, pct, "USD", 10999, 10000, order, false, "", 0},
		{"three-way quantity on it", models.MatchThreeWay, pct, "USD", 11000, 10000, order, false, "", 0},
		{"three-way quantity just outside", models.MatchThreeWay, pct, "USD", 11001, 10000, order, true, "billed 11.001, received 10", 0},
		{"three-way exact, no tolerance", models.MatchThreeWay, models.BillTolerance{}, "USD", 12000, 10000, order, true, "billed 12, received 10", 0},
		{"two-way bills what was ordered", models.MatchTwoWay, models.BillTolerance{}, "USD", 12000, 10000, order, false, "", 0},
		{"two-way quantity on it", models.MatchTwoWay, pct, "USD", 13200, 10000, order, false, "", 0},
		{"two-way quantity just outside", models.MatchTwoWay, pct, "USD", 13201, 10000, order, true, "billed 13.201, ordered 12", 0},
		{"earlier bills count", models.MatchThreeWay, models.BillTolerance{}, "USD", 3000, 10000,
			models.OrderLineFacts{OrderedMilli: 12000, ReceivedMilli: 10000, BilledMilli: 8000, UnitPriceMinor: 10000},
			true, "billed 11 with earlier bills, received 10", 0},
	}
	for _, c := range cases {
		got := models.MatchBillLine(c.mode, c.tol, c.currency, c.qty, c.price, c.facts.TaxRateBP, c.facts)
		if got.Held != c.held || got.Note != c.note || got.PriceVarianceBP != c.varianceB {
			t.Errorf("%s: got %+v, want held %v %q variance %d", c.name, got, c.held, c.note, c.varianceB)
		}
	}
	// The tax rate has no tolerance: one basis point above the ordered rate is held, a lower
	// one is not; the price tolerance does not cover it.
	taxed := models.OrderLineFacts{OrderedMilli: 1000, ReceivedMilli: 1000, UnitPriceMinor: 10000, TaxRateBP: 750}
	for _, c := range []struct {
		tax  int
		note string
	}{{750, ""}, {0, ""}, {751, "tax 7.51% vs 7.5% ordered"}, {10000, "tax 100% vs 7.5% ordered"}} {
		got := models.MatchBillLine(models.MatchThreeWay, pct, "USD", 1000, 10000, c.tax, taxed)
		if got.Held != (c.note != "") || got.Note != c.note {
			t.Errorf("tax %d bp against 750 ordered: %+v, want %q", c.tax, got, c.note)
		}
	}
	if got := models.MatchBillLine(models.MatchThreeWay, pct, "USD", 1101, 10501, 1000, models.OrderLineFacts{OrderedMilli: 1000, ReceivedMilli: 1000, UnitPriceMinor: 10000}); got.Note != "billed 1.101, received 1; unit price 105.01 vs 100.00 ordered, +5.0%; tax 10% vs 0% ordered" {
		t.Errorf("every reason at once: %q", got.Note)
	}
}

// Through the real submission: a bill within tolerance is matched (and, routed by no rule,
// approved at once); one past it is held with the reason on its line and waits for approval
// by Clara's manager; the vendor's two-way setting wins over the organisation's three-way.
func TestSubmitBillMatchesOrHolds(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	w.setTolerance(500, nil, 0)
	po, lines := w.order("USD", orderSpec{"10", "10", 399}, orderSpec{"5", "5", 2000})
	ok := w.enter(orderBill(po, "INV-OK", lines, [2]string{"4", "4.18"}, [2]string{"5", "20.00"}))
	if ok.Held || ok.Bill.Status != models.BillApproved || ok.Bill.MatchStatus != models.MatchMatched || *ok.Bill.MatchMode != models.MatchThreeWay {
		t.Fatalf("within tolerance: %+v %+v", ok, ok.Bill)
	}
	held := w.enter(orderBill(po, "INV-HELD", lines, [2]string{"6", "4.20"}, [2]string{"1", "20.00"}))
	b := held.Bill
	if !held.Held || b.Status != models.BillSubmitted || b.MatchStatus != models.MatchHeld || b.VarianceBP != 526 {
		t.Fatalf("held: %+v", b)
	}
	if b.Lines[0].MatchNote != "unit price 4.20 vs 3.99 ordered, +5.3%" || b.Lines[1].MatchNote != "billed 6 with earlier bills, received 5" {
		t.Errorf("notes %q / %q", b.Lines[0].MatchNote, b.Lines[1].MatchNote)
	}
	if len(held.Route.Steps) != 1 || held.Route.Steps[0].ApproverID == nil || *held.Route.Steps[0].ApproverID != w.max.ID {
		t.Errorf("held route %+v", held.Route)
	}

	// A tax rate above the order's is held, however small the price: the review's bill put
	// 100% tax on an untaxed line and was approved at once.
	po3, lines3 := w.order("USD", orderSpec{"1", "1", 7500})
	taxed := orderBill(po3, "INV-TAX", lines3, [2]string{"1", "75.00"})
	taxed.Lines[0].TaxRate = "100"
	tax := w.enter(taxed)
	if !tax.Held || tax.Bill.Status != models.BillSubmitted || tax.Bill.Lines[0].MatchNote != "tax 100% vs 0% ordered" {
		t.Errorf("a bill taxing an untaxed line: held %v, %s, note %q", tax.Held, tax.Bill.Status, tax.Bill.Lines[0].MatchNote)
	}

	w.must(w.db.Model(&w.vendor).Update("match_mode", models.MatchTwoWay).Error)
	po2, lines2 := w.order("USD", orderSpec{"12", "0", 1000})
	two := w.enter(orderBill(po2, "INV-2WAY", lines2, [2]string{"12", "10.00"}))
	if two.Held || *two.Bill.MatchMode != models.MatchTwoWay {
		t.Errorf("two-way: %+v", two.Bill)
	}
}

// A bill without an order is never approved by nobody, whatever its amount: no rule routes
// Clara's 95,000 bill of Initech, so it waits for her manager, Max, on the default route; a
// clerk without a manager sends it to the admins. A bill matched to its order that no rule
// routes is still approved at once.
func TestBillWithoutAnOrderGoesToApproval(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	stepsOf := func(id int64) []models.ApprovalStep {
		t.Helper()
		var steps []models.ApprovalStep
		w.must(w.db.Where("doc_type = ? AND doc_id = ?", models.DocBill, id).Order("position").Find(&steps).Error)
		return steps
	}
	out := w.enter(w.plainBill("NO-PO-1", "2026-03-02", "95000.00"))
	if b := out.Bill; b.Status != models.BillSubmitted || b.MatchStatus != models.MatchNone || out.Route.Approved || !out.Route.Default {
		t.Fatalf("a bill without an order submitted as %s/%s, route %+v", b.Status, b.MatchStatus, out.Route)
	}
	if steps := stepsOf(out.Bill.ID); len(steps) != 1 || steps[0].Status != models.StepPending ||
		steps[0].ApproverID == nil || *steps[0].ApproverID != w.max.ID {
		t.Errorf("the bill without an order waits on %+v, want one pending step for Max", steps)
	}

	nobody := w.user("noor@acme.example", "Noor Clerk", nil, "ap_clerk")
	noorView := models.Viewer{UserID: nobody.ID, Roles: nobody.Roles, SeeAllKinds: []string{models.DocBill}}
	b, err := models.SaveBill(as(nobody), w.db, noorView, 0, w.plainBill("NO-PO-2", "2026-03-03", "80.00"))
	w.must(err)
	alone, err := models.SubmitBill(as(nobody), w.db, noorView, b.ID)
	w.must(err)
	if steps := stepsOf(b.ID); alone.Bill.Status != models.BillSubmitted || len(steps) != 1 ||
		steps[0].Role == nil || *steps[0].Role != models.EscalationRole {
		t.Errorf("a clerk without a manager: %s, steps %+v, want one step for the admins", alone.Bill.Status, steps)
	}

	po, lines := w.order("USD", orderSpec{"10", "10", 1000})
	matched := w.enter(orderBill(po, "PO-1", lines, [2]string{"10", "10.00"}))
	if matched.Bill.Status != models.BillApproved || !matched.Route.Approved || len(stepsOf(matched.Bill.ID)) != 0 {
		t.Errorf("a matched bill no rule routes: %s, route %+v", matched.Bill.Status, matched.Route)
	}
}

// An order billed in three bills: each new bill offers what was received and not yet billed,
// the first two together bill it all and are matched, and a third is held as over-billing.
func TestPartialBillingAcrossBills(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := context.Background()
	po, lines := w.order("USD", orderSpec{"10", "10", 1000}, orderSpec{"4", "2", 500})
	billable := func() (money.Quantity, money.Quantity) {
		t.Helper()
		bl, err := models.BillableOrderLines(ctx, w.db, po.ID, 0)
		w.must(err)
		return bl[0].BillableMilli, bl[1].BillableMilli
	}
	if a, b := billable(); a != 10000 || b != 2000 {
		t.Fatalf("before any bill: %v %v", a, b)
	}
	first := w.enter(orderBill(po, "P-1", lines, [2]string{"4", "10.00"}, [2]string{"1", "5.00"}))
	if a, b := billable(); first.Held || a != 6000 || b != 1000 {
		t.Fatalf("after the first: held %v, %v %v", first.Held, a, b)
	}
	// A draft bills nothing yet.
	_, err := models.SaveBill(as(w.clara), w.db, w.clerk(), 0, orderBill(po, "P-DRAFT", lines, [2]string{"6", "10.00"}))
	w.must(err)
	if a, _ := billable(); a != 6000 {
		t.Fatalf("a draft counted: %v", a)
	}
	second := w.enter(orderBill(po, "P-2", lines, [2]string{"6", "10.00"}, [2]string{"1", "5.00"}))
	if a, b := billable(); second.Held || a != 0 || b != 0 {
		t.Fatalf("after the second: held %v, %v %v", second.Held, a, b)
	}
	third := w.enter(orderBill(po, "P-3", lines, [2]string{"1", "10.00"}))
	if !third.Held || third.Bill.Lines[0].MatchNote != "billed 11 with earlier bills, received 10" {
		t.Fatalf("over-billing: %+v", third.Bill.Lines)
	}
}

// The same vendor's invoice number is refused (whatever its case), beside the field; a bill
// of the same vendor and total dated within three days of another waits for the clerk to
// tick that it is a different invoice; four days apart it does not.
func TestBillDuplicates(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := as(w.clara)
	plain := w.plainBill
	first, err := models.SaveBill(ctx, w.db, w.clerk(), 0, plain("INV-100", "2026-03-10", "1200.00"))
	w.must(err)
	_, err = models.SaveBill(ctx, w.db, w.clerk(), 0, plain(" inv-100 ", "2026-05-01", "50.00"))
	var verr outlay.ValidationErrors
	if !errors.As(err, &verr) || verr[models.BillInvoiceNumberField] != "Initech's invoice INV-100 is already entered as "+first.Number+"." {
		t.Fatalf("same invoice number: %v", err)
	}
	// Said with the form's other problems at once, not in a second round.
	_, err = models.SaveBill(ctx, w.db, w.clerk(), 0, plain("INV-100", "", "50.00"))
	if !errors.As(err, &verr) || verr[models.BillInvoiceNumberField] == "" || verr["invoice_date"] == "" {
		t.Fatalf("same invoice number and no date: %v", err)
	}
	for _, date := range []string{"2026-03-07", "2026-03-13"} {
		_, err = models.SaveBill(ctx, w.db, w.clerk(), 0, plain("INV-101-"+date, date, "1200.00"))
		if !errors.As(err, &verr) || !strings.HasPrefix(verr[models.BillDuplicateField], first.Number+" from Initech is also $1,200.00, dated 10 Mar 2026.") {
			t.Fatalf("%s: possible duplicate not flagged: %v", date, err)
		}
	}
	var n int64
	w.must(w.db.Model(&models.Bill{}).Count(&n).Error)
	if n != 1 {
		t.Fatalf("%d bills stored after refusals", n)
	}
	confirmed := plain("INV-102", "2026-03-13", "1200.00")
	confirmed.ConfirmDuplicate = true
	b, err := models.SaveBill(ctx, w.db, w.clerk(), 0, confirmed)
	w.must(err)
	if !b.DuplicateConfirmed {
		t.Error("confirmation not recorded")
	}
	if _, err := models.SaveBill(ctx, w.db, w.clerk(), 0, plain("INV-103", "2026-03-06", "1200.00")); err != nil {
		t.Errorf("four days apart: %v", err)
	}
}

// The possible-duplicate check runs again at submit: a bill saved while another of the same
// vendor, total and date was being saved (neither saw the other) is refused at submit until
// the clerk confirms it, and nothing is submitted; once confirmed against that bill it is not
// asked again, on saving or submitting; a bill changed since its confirmation, or one another
// bill has come to look like since, is asked again.
func TestBillDuplicateCheckedAgainAtSubmit(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := as(w.clara)
	plain := w.plainBill
	// Stored as another clerk's save would have, at the same moment.
	other := func(number, date string, total int64) *models.Bill {
		d, err := time.Parse(time.DateOnly, date)
		w.must(err)
		b := &models.Bill{Number: number, VendorID: w.vendor.ID, VendorInvoiceNumber: "X-" + number, InvoiceDate: d, DueDate: d,
			Currency: "USD", SubtotalMinor: total, TotalMinor: total, Status: models.BillDraft, MatchStatus: models.MatchNone, EnteredByID: w.clara.ID}
		w.must(w.db.Create(b).Error)
		return b
	}
	refused := func(err error, dup *models.Bill) {
		t.Helper()
		var verr outlay.ValidationErrors
		if !errors.As(err, &verr) || !strings.HasPrefix(verr[models.BillDuplicateField], dup.Number+" from Initech is also") {
			t.Fatalf("not asked about %s: %v", dup.Number, err)
		}
	}
	earlier, err := models.SaveBill(ctx, w.db, w.clerk(), 0, plain("INV-300", "2026-03-01", "700.00"))
	w.must(err)
	a, err := models.SaveBill(ctx, w.db, w.clerk(), 0, plain("INV-301", "2026-03-20", "1200.00"))
	w.must(err)
	b := other("BILL-X1", "2026-03-21", 1200_00)
	_, err = models.SubmitBill(ctx, w.db, w.clerk(), a.ID)
	refused(err, b)
	if got, _ := models.GetBill(ctx, w.db, a.ID); got.Status != models.BillDraft {
		t.Fatalf("a refused bill went on as %s", got.Status)
	}

	confirm := plain("INV-301", "2026-03-20", "1200.00")
	confirm.ConfirmDuplicate = true
	_, err = models.SaveBill(ctx, w.db, w.clerk(), a.ID, confirm)
	w.must(err)
	// Saved again without the tick (the memo changed): still confirmed against the same bill.
	again := plain("INV-301", "2026-03-20", "1200.00")
	again.Memo = "Annual support"
	_, err = models.SaveBill(ctx, w.db, w.clerk(), a.ID, again)
	w.must(err)
	// Changed to look like another bill: asked again.
	_, err = models.SaveBill(ctx, w.db, w.clerk(), a.ID, plain("INV-301", "2026-03-02", "700.00"))
	refused(err, earlier)
	// Another bill that looks like it came since it was confirmed: asked again at submit.
	c := other("BILL-X2", "2026-03-19", 1200_00)
	_, err = models.SubmitBill(ctx, w.db, w.clerk(), a.ID)
	refused(err, c)
	w.must(w.db.Model(c).Updates(map[string]any{"status": models.BillVoid, "voided_by_id": w.clerk().UserID, "voided_at": time.Now(), "void_reason": "Sent twice"}).Error)
	out, err := models.SubmitBill(ctx, w.db, w.clerk(), a.ID)
	w.must(err)
	if out.Bill.Status == models.BillDraft || !out.Bill.DuplicateConfirmed || *out.Bill.DuplicateConfirmedOfID != b.ID {
		t.Errorf("confirmed bill submitted as %s, confirmed %v of %v", out.Bill.Status, out.Bill.DuplicateConfirmed, out.Bill.DuplicateConfirmedOfID)
	}
}

// The due date follows the vendor's payment terms unless the clerk types one; none before
// the invoice date is accepted.
func TestBillDueDateFromTerms(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := as(w.clara)
	for _, c := range []struct {
		terms         int
		invoice, want string
	}{{30, "2026-01-31", "2026-03-02"}, {0, "2026-02-28", "2026-02-28"}, {45, "2026-11-20", "2027-01-04"}} {
		w.must(w.db.Model(&w.vendor).Update("payment_terms_days", c.terms).Error)
		in := models.BillInput{Vendor: strconv.FormatInt(w.vendor.ID, 10), VendorInvoiceNumber: "T-" + c.invoice, InvoiceDate: c.invoice,
			Lines: []models.BillLineInput{{LineInput: models.LineInput{Description: "Rent", Quantity: "1", UnitPrice: "10",
				GLAccount: strconv.FormatInt(w.software.ID, 10)}, Department: strconv.FormatInt(w.eng.ID, 10)}}}
		b, err := models.SaveBill(ctx, w.db, w.clerk(), 0, in)
		w.must(err)
		if got := b.DueDate.Format(time.DateOnly); got != c.want {
			t.Errorf("net %d from %s: due %s, want %s", c.terms, c.invoice, got, c.want)
		}
	}
	over := models.BillInput{Vendor: strconv.FormatInt(w.vendor.ID, 10), VendorInvoiceNumber: "T-OVERRIDE", InvoiceDate: "2026-04-01",
		DueDate: "2026-04-10", Lines: []models.BillLineInput{{LineInput: models.LineInput{Description: "Rent", Quantity: "1", UnitPrice: "11",
			GLAccount: strconv.FormatInt(w.software.ID, 10)}, Department: strconv.FormatInt(w.eng.ID, 10)}}}
	b, err := models.SaveBill(ctx, w.db, w.clerk(), 0, over)
	w.must(err)
	if b.DueDate.Format(time.DateOnly) != "2026-04-10" {
		t.Errorf("override: %s", b.DueDate)
	}
}

// Bad input is refused beside its field and stores nothing: a closed or cancelled order, a
// negative quantity, a due date before the invoice date, another currency than the order's.
func TestBillBadInput(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := as(w.clara)
	po, lines := w.order("USD", orderSpec{"10", "10", 1000})
	closed, closedLines := w.order("USD", orderSpec{"1", "1", 1000})
	w.must(w.db.Model(closed).Update("status", models.POClosed).Error)
	cancelled, cancelledLines := w.order("USD", orderSpec{"1", "0", 1000})
	w.must(w.db.Model(cancelled).Update("status", models.POCancelled).Error)
	cases := []struct {
		name, field, message string
		in                   models.BillInput
	}{
		{"closed order", "purchase_order", closed.Number + " is closed, so it can no longer be billed.",
			orderBill(closed, "BAD-1", closedLines, [2]string{"1", "10"})},
		{"cancelled order", "purchase_order", cancelled.Number + " is cancelled, so it can no longer be billed.",
			orderBill(cancelled, "BAD-2", cancelledLines, [2]string{"1", "10"})},
		{"negative quantity", "line-0-quantity", "A quantity cannot be negative. Enter what the invoice bills, above zero.",
			orderBill(po, "BAD-3", lines, [2]string{"-2", "10"})},
		{"due before invoice", "due_date", "The due date cannot be before the invoice date (2026-03-02).",
			func() models.BillInput {
				in := orderBill(po, "BAD-4", lines, [2]string{"1", "10"})
				in.DueDate = "2026-03-01"
				return in
			}()},
		{"another currency", "currency", po.Number + " is in USD: a bill for it must be in USD too.",
			func() models.BillInput {
				in := orderBill(po, "BAD-5", lines, [2]string{"1", "10"})
				in.Currency = "EUR"
				return in
			}()},
	}
	for _, c := range cases {
		_, err := models.SaveBill(ctx, w.db, w.clerk(), 0, c.in)
		var verr outlay.ValidationErrors
		if !errors.As(err, &verr) || verr[c.field] != c.message {
			t.Errorf("%s: got %v, want %s: %q", c.name, err, c.field, c.message)
		}
	}
	var n int64
	w.must(w.db.Model(&models.Bill{}).Count(&n).Error)
	var numbered int64
	w.must(w.db.Raw(`SELECT last FROM document_numbers WHERE kind = 'bill'`).Scan(&numbered).Error)
	if n != 0 || numbered != 0 {
		t.Errorf("bad input stored %d bills and took %d numbers", n, numbered)
	}
}

// Bill approval rules condition on the vendor and on the match: a rule for held bills of
// Initech routes them to Al; a held bill of another vendor takes the default route. A held
// bill is released with a reason by an admin (never by the clerk who entered it): its route
// is cancelled and it is approved.
func TestBillApprovalRulesAndRelease(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	rule := models.ApprovalRule{DocType: models.DocBill, Name: "Held Initech bills", Priority: 1, Currency: "USD",
		VendorID: &w.vendor.ID, Held: ptr(true), BudgetCheck: models.BudgetCheckNone, Active: true}
	w.must(w.db.Create(&rule).Error)
	w.must(w.db.Create(&models.ApprovalRuleStep{RuleID: rule.ID, Position: 1, Kind: models.StepUser, UserID: &w.al.ID}).Error)

	po, lines := w.order("USD", orderSpec{"10", "10", 1000})
	held := w.enter(orderBill(po, "R-1", lines, [2]string{"12", "10.00"}))
	if len(held.Route.Steps) != 1 || *held.Route.Steps[0].ApproverID != w.al.ID || held.Route.Steps[0].RuleID == nil {
		t.Fatalf("rule not applied: %+v", held.Route)
	}
	po2, lines2 := w.order("USD", orderSpec{"10", "10", 1000})
	matched := w.enter(orderBill(po2, "R-2", lines2, [2]string{"1", "10.00"}))
	if matched.Bill.Status != models.BillApproved {
		t.Errorf("a matched bill no rule routes: %s", matched.Bill.Status)
	}
	// Varying the variance condition: a rule for bills at least 5% over routes a bill 4% over
	// nowhere, so it is matched within a 5% tolerance and approved.
	// A rule for matched bills routes a bill matched to its order, never one without an order,
	// which nothing was matched against; a rule for held bills, only a held one.
	forMatched := models.ApprovalRule{DocType: models.DocBill, Active: true, Held: ptr(false)}
	if !forMatched.Matches(models.ApprovalDocument{Type: models.DocBill, Matched: true}) ||
		forMatched.Matches(models.ApprovalDocument{Type: models.DocBill}) || forMatched.Matches(models.ApprovalDocument{Type: models.DocBill, Held: true}) {
		t.Error("the matched condition")
	}
	if !(models.ApprovalRule{DocType: models.DocBill, Active: true, MinVarianceBP: ptr(500)}).Matches(models.ApprovalDocument{Type: models.DocBill, VarianceBP: 500}) ||
		(models.ApprovalRule{DocType: models.DocBill, Active: true, MinVarianceBP: ptr(500)}).Matches(models.ApprovalDocument{Type: models.DocBill, VarianceBP: 499}) {
		t.Error("variance condition")
	}

	ctx := context.Background()
	err := models.ReleaseBill(ctx, w.db, w.clerk(), held.Bill.ID, "Price rise agreed by phone")
	if !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("the clerk released their own bill: %v", err)
	}
	admin := models.Viewer{UserID: w.admin.ID, Roles: w.admin.Roles, SeeAllKinds: []string{models.DocBill}}
	var verr outlay.ValidationErrors
	if err := models.ReleaseBill(ctx, w.db, admin, held.Bill.ID, "  "); !errors.As(err, &verr) || verr["reason"] == "" {
		t.Errorf("release without a reason: %v", err)
	}
	w.must(models.ReleaseBill(as(w.admin), w.db, admin, held.Bill.ID, "Two extra delivered and kept"))
	b, err := models.GetBill(ctx, w.db, held.Bill.ID)
	w.must(err)
	if b.Status != models.BillApproved || b.MatchStatus != models.MatchReleased || b.ReleaseReason != "Two extra delivered and kept" {
		t.Errorf("released: %+v", b)
	}
	var open int64
	w.must(w.db.Model(&models.ApprovalStep{}).Where("doc_type = ? AND doc_id = ? AND status IN ?", models.DocBill, b.ID,
		[]string{models.StepPending, models.StepWaiting}).Count(&open).Error)
	if open != 0 {
		t.Errorf("%d steps still open after release", open)
	}
}

// Who sees bills: the clerk's role sees every one; a requester sees none (not found), unless
// a bill is routed to them.
func TestBillVisibility(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	po, lines := w.order("USD", orderSpec{"10", "10", 1000})
	b := w.enter(orderBill(po, "V-1", lines, [2]string{"1", "10.00"})).Bill
	ctx := context.Background()
	auditor := w.user("aud@acme.example", "Audrey Auditor", nil, "auditor")
	for _, v := range []models.Viewer{w.clerk(), {UserID: auditor.ID, Roles: auditor.Roles, SeeAllKinds: []string{models.DocBill}}} {
		if _, err := models.GetVisibleBill(ctx, w.db, v, b.ID); err != nil {
			t.Errorf("%d: %v", v.UserID, err)
		}
	}
	if _, err := models.GetVisibleBill(ctx, w.db, viewer(w.rita), b.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("requester: %v", err)
	}
	list, err := models.ListBills(ctx, w.db, viewer(w.rita), models.BillFilter{Limit: 10})
	w.must(err)
	if list.Total != 0 {
		t.Errorf("requester lists %d bills", list.Total)
	}
}

// Delegation works for bills as for requests: while Max is away, the held bill waiting for
// him is decided by the delegate he named, recorded on his behalf; the clerk who entered it
// cannot decide it, and a bill returned by its approver can be changed and submitted again.
func TestBillApprovalByDelegate(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	w.must(w.db.Create(&models.ApprovalDelegation{UserID: w.max.ID, DelegateID: w.al.ID, StartsOn: today.AddDate(0, 0, -1), EndsOn: today.AddDate(0, 0, 1)}).Error)
	po, lines := w.order("USD", orderSpec{"10", "10", 1000})
	held := w.enter(orderBill(po, "D-1", lines, [2]string{"11", "10.00"}))
	step := held.Route.Steps[0]
	if *step.ApproverID != w.max.ID {
		t.Fatalf("held bill waits for %d", *step.ApproverID)
	}
	if _, err := models.DecideStep(as(w.clara), w.db, w.clerk(), step.ID, models.Decision{Approve: true}); err == nil {
		t.Error("the clerk decided their own bill")
	}
	d, err := w.decide(w.al, step.ID, false, "Ask the vendor for a credit note for the extra unit.")
	w.must(err)
	if d.DocStatus != models.StepRejected || d.Step.OnBehalfOf == nil || *d.Step.OnBehalfOf != w.max.ID {
		t.Fatalf("delegate's decision %+v", d)
	}
	b, err := models.GetBill(context.Background(), w.db, held.Bill.ID)
	w.must(err)
	if b.Status != models.BillRejected || !b.Editable() {
		t.Fatalf("returned bill %s", b.Status)
	}
	again := w.enterAgain(b.ID, orderBill(po, "D-1", lines, [2]string{"10", "10.00"}))
	if again.Held || again.Bill.Status != models.BillApproved {
		t.Errorf("corrected bill: held %v, %s", again.Held, again.Bill.Status)
	}
}

// enterAgain changes bill id as Clara and submits it again.
func (w *billWorld) enterAgain(id int64, in models.BillInput) *models.BillSubmission {
	w.t.Helper()
	_, err := models.SaveBill(as(w.clara), w.db, w.clerk(), id, in)
	w.must(err)
	out, err := models.SubmitBill(as(w.clara), w.db, w.clerk(), id)
	w.must(err)
	return out
}

// Whoever changes or submits a bill someone else entered never approves it, as its clerk
// never does. The review's case: Max, who approves Clara's bills and may also see and correct
// them, rejected her bill, raised its amount a thousandfold, resubmitted it, and approved it.
// A second approver who only edited it (Clara resubmitting) is refused in the same way, and a
// run resubmitted by another clerk is refused to that clerk.
func TestWhoeverChangesABillNeverApprovesIt(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	// Bills go to anyone holding the approver role: Max, Hana and Al.
	rule := models.ApprovalRule{DocType: models.DocBill, Name: "Approvers", Priority: 1, Currency: "USD",
		BudgetCheck: models.BudgetCheckNone, Active: true}
	w.must(w.db.Create(&rule).Error)
	w.must(w.db.Create(&models.ApprovalRuleStep{RuleID: rule.ID, Position: 1, Kind: models.StepRole, Role: ptr("approver")}).Error)
	editor := func(u *models.User) models.Viewer {
		return models.Viewer{UserID: u.ID, Roles: u.Roles, SeeAllKinds: []string{models.DocBill}}
	}
	pending := func(billID int64) models.ApprovalStep {
		t.Helper()
		var s models.ApprovalStep
		w.must(w.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocBill, billID, models.StepPending).First(&s).Error)
		return s
	}

	first := w.enter(w.plainBill("AUTH-1", "2026-03-02", "65.00"))
	if _, err := w.decide(w.max, pending(first.Bill.ID).ID, false, "Wrong amount"); err != nil {
		t.Fatal(err)
	}
	in := w.plainBill("AUTH-1", "2026-03-02", "65000.00")
	b, err := models.GetBill(context.Background(), w.db, first.Bill.ID)
	w.must(err)
	if _, err := models.SaveBill(as(w.max), w.db, editor(w.max), b.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SubmitBill(as(w.max), w.db, editor(w.max), b.ID); err != nil {
		t.Fatal(err)
	}
	step := pending(b.ID)
	if step.DocFilerID == nil || *step.DocFilerID != w.max.ID {
		t.Errorf("the step's filer: %v, want Max", step.DocFilerID)
	}
	if _, err := w.decide(w.max, step.ID, true, ""); !errors.Is(err, models.ErrOwnDocument) {
		t.Fatalf("Max approving the bill he raised: %v, want ErrOwnDocument", err)
	}
	// Hana rejects; Al corrects it back and Clara resubmits: Al wrote it too.
	if _, err := w.decide(w.hana, step.ID, false, "Too much"); err != nil {
		t.Fatal(err)
	}
	b, err = models.GetBill(context.Background(), w.db, b.ID)
	w.must(err)
	in = w.plainBill("AUTH-1", "2026-03-02", "650.00")
	if _, err := models.SaveBill(as(w.al), w.db, editor(w.al), b.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SubmitBill(as(w.clara), w.db, w.clerk(), b.ID); err != nil {
		t.Fatal(err)
	}
	step = pending(b.ID)
	for _, u := range []*models.User{w.max, w.al} {
		if _, err := w.decide(u, step.ID, true, ""); !errors.Is(err, models.ErrOwnDocument) {
			t.Errorf("%s approving the bill they changed: %v, want ErrOwnDocument", u.Name, err)
		}
	}
	if _, err := w.decide(w.hana, step.ID, true, ""); err != nil {
		t.Fatalf("Hana, who never changed it: %v", err)
	}
	if b, _ := models.GetBill(context.Background(), w.db, b.ID); b.Status != models.BillApproved || b.TotalMinor != 65000 {
		t.Errorf("the bill: %s %d", b.Status, b.TotalMinor)
	}
	// Max, once an author, is still not the bill's default approver: Clara's manager is, so a
	// bill without a rule escalates past him.
	w.must(w.db.Model(&rule).Update("active", false).Error)
	second := w.enter(w.plainBill("AUTH-2", "2026-03-03", "80.00"))
	if _, err := w.decide(w.max, pending(second.Bill.ID).ID, false, "No"); err != nil {
		t.Fatal(err)
	}
	b, err = models.GetBill(context.Background(), w.db, second.Bill.ID)
	w.must(err)
	in = w.plainBill("AUTH-2", "2026-03-03", "8000.00")
	if _, err := models.SaveBill(as(w.max), w.db, editor(w.max), b.ID, in); err != nil {
		t.Fatal(err)
	}
	out, err := models.SubmitBill(as(w.max), w.db, editor(w.max), b.ID)
	w.must(err)
	for _, s := range out.Route.Steps {
		if s.ApproverID != nil && *s.ApproverID == w.max.ID {
			t.Errorf("the default route goes to Max, who raised the bill: %+v", out.Route)
		}
	}
}

// A bill's approver sees it against the budget of each line's own department and of its
// invoice date, and the figures leave the bill itself out. The review's bill put 10.00 of
// Engineering first and 6,000.00 of Sales second: only Engineering's budget was checked, and
// the bill, counted as spent as soon as it was submitted, was counted again as this request.
func TestABillIsCheckedAgainstEachLinesBudget(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	budget := func(dept int64, amount int64, year int) models.Budget {
		b := models.Budget{DepartmentID: dept, GLAccountID: w.software.ID, AmountMinor: amount, Currency: "USD",
			PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}
		w.must(w.db.Create(&b).Error)
		return b
	}
	eng, sales, old := budget(w.eng.ID, 15000_00, 2026), budget(w.sales.ID, 5000_00, 2026), budget(w.sales.ID, 100_00, 2025)
	in := w.plainBill("SPLIT-1", "2026-03-02", "10.00")
	in.Lines = append(in.Lines, models.BillLineInput{LineInput: models.LineInput{Description: "Licences", Quantity: "1", UnitPrice: "6000.00",
		GLAccount: strconv.FormatInt(w.software.ID, 10)}, Department: strconv.FormatInt(w.sales.ID, 10)})
	out := w.enter(in)
	if len(out.Route.Steps) == 0 {
		t.Fatalf("the bill was not routed: %+v", out.Route)
	}
	details, err := models.ApprovalStepDetails(context.Background(), w.db, viewer(w.max), out.Route.Steps[0].ID)
	w.must(err)
	got := map[int64]models.BudgetLine{}
	for _, l := range details.Budget {
		got[l.BudgetID] = l
	}
	if len(got) != 2 || got[eng.ID].ThisDocument.Minor != 10_00 || got[eng.ID].Spent.Minor != 0 ||
		got[sales.ID].ThisDocument.Minor != 6000_00 || got[sales.ID].Spent.Minor != 0 || got[sales.ID].Remaining.Minor != -1000_00 || !got[sales.ID].Over() {
		t.Errorf("the approver's budget impact: %+v", details.Budget)
	}

	// A bill dated last year is checked against last year's budget, where it is counted.
	last := w.enter(w.plainBill("OLD-1", "2025-12-20", "500.00"))
	details, err = models.ApprovalStepDetails(context.Background(), w.db, viewer(w.max), last.Route.Steps[0].ID)
	w.must(err)
	// plainBill books to Engineering: last year has no Engineering budget.
	if len(details.Budget) != 0 {
		t.Errorf("a bill of 2025 against this year's budget: %+v", details.Budget)
	}
	in = w.plainBill("OLD-2", "2025-12-21", "300.00")
	in.Lines[0].Department = strconv.FormatInt(w.sales.ID, 10)
	prev := w.enter(in)
	details, err = models.ApprovalStepDetails(context.Background(), w.db, viewer(w.max), prev.Route.Steps[0].ID)
	w.must(err)
	if len(details.Budget) != 1 || details.Budget[0].BudgetID != old.ID || details.Budget[0].Remaining.Minor != 100_00-300_00 {
		t.Errorf("a bill of 2025 of Sales: %+v, want last year's budget less this bill alone", details.Budget)
	}
}

// A bill split between departments is routed by every line's department, not its first
// line's: a rule for Sales matches a bill whose second line is Sales's, and a department
// head's step asks the head of each department charged, in the order of the lines (the head
// of the department a rule names, for that rule). A bill of one department asks only its head.
func TestBillRoutesByEveryLinesDepartment(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	sam := w.user("sam@acme.example", "Sam Sales", nil, "approver")
	w.must(w.db.Model(&w.sales).Update("head_id", sam.ID).Error)
	rule := func(priority int, dept *int64, step models.ApprovalRuleStep) {
		r := models.ApprovalRule{DocType: models.DocBill, Name: fmt.Sprintf("rule %d", priority), Priority: priority, Currency: "USD",
			DepartmentID: dept, BudgetCheck: models.BudgetCheckNone, Active: true}
		w.must(w.db.Create(&r).Error)
		step.RuleID, step.Position = r.ID, 1
		w.must(w.db.Create(&step).Error)
	}
	rule(1, &w.sales.ID, models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.al.ID})
	rule(2, nil, models.ApprovalRuleStep{Kind: models.StepDepartmentHead})
	rule(3, &w.sales.ID, models.ApprovalRuleStep{Kind: models.StepDepartmentHead})
	approvers := func(s *models.BillSubmission) []int64 {
		var out []int64
		for _, st := range s.Route.Steps {
			if st.ApproverID == nil {
				t.Fatalf("a step for a role: %+v", st)
			}
			out = append(out, *st.ApproverID)
		}
		return out
	}

	split := w.plainBill("SPLIT-1", "2026-03-02", "100.00")
	split.Lines = append(split.Lines, models.BillLineInput{LineInput: models.LineInput{Description: "Sales seats", Quantity: "1",
		UnitPrice: "50.00", GLAccount: strconv.FormatInt(w.software.ID, 10)}, Department: strconv.FormatInt(w.sales.ID, 10)})
	if got, want := approvers(w.enter(split)), []int64{w.al.ID, w.hana.ID, sam.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("split bill routed to %v, want Al, Hana, Sam %v", got, want)
	}
	if got, want := approvers(w.enter(w.plainBill("ENG-1", "2026-03-02", "100.00"))), []int64{w.hana.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Engineering's bill routed to %v, want Hana %v", got, want)
	}
}

// The last approval of a split bill checks the budget of every department it is charged to:
// a blocking Sales budget stops a bill whose Sales line overspends it, though its first line
// is Engineering's, which has no budget.
func TestSplitBillChecksEveryDepartmentsBudget(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	r := models.ApprovalRule{DocType: models.DocBill, Name: "Al approves", Priority: 1, Currency: "USD",
		BudgetCheck: models.BudgetCheckBlock, Active: true}
	w.must(w.db.Create(&r).Error)
	w.must(w.db.Create(&models.ApprovalRuleStep{RuleID: r.ID, Position: 1, Kind: models.StepUser, UserID: &w.al.ID}).Error)
	w.must(w.db.Create(&models.Budget{DepartmentID: w.sales.ID, GLAccountID: w.software.ID, Currency: "USD", AmountMinor: 100_00,
		PeriodStart: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}).Error)
	split := w.plainBill("SPLIT-B", "2026-03-02", "100.00")
	split.Lines = append(split.Lines, models.BillLineInput{LineInput: models.LineInput{Description: "Sales seats", Quantity: "1",
		UnitPrice: "500.00", GLAccount: strconv.FormatInt(w.software.ID, 10)}, Department: strconv.FormatInt(w.sales.ID, 10)})
	sub := w.enter(split)
	if len(sub.Route.Steps) != 1 {
		t.Fatalf("route %+v", sub.Route.Steps)
	}
	_, err := w.decide(w.al, sub.Route.Steps[0].ID, true, "")
	var over *models.BudgetExceededError
	if !errors.As(err, &over) {
		t.Fatalf("approving the split bill over Sales' budget: %v", err)
	}
	b, err := models.GetBill(context.Background(), w.db, sub.Bill.ID)
	w.must(err)
	if b.Status != models.BillSubmitted {
		t.Errorf("the blocked bill is %s", b.Status)
	}
}
