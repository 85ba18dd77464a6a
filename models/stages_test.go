package models_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"outlay/models"
)

// One requisition of $1,000.00 through its whole life: at every point its figures, its
// order's and its budget's, put all of it in exactly one place: pending, approved,
// purchased, partly received, partly billed, partly paid. The budget's spent follows the
// organisation's basis: what was received, or what was billed.
func TestStageFiguresAddUpAcrossADocumentsLife(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := context.Background()
	year := time.Now().Year()
	budget := models.Budget{DepartmentID: w.eng.ID, GLAccountID: w.software.ID, AmountMinor: 500000, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}
	w.must(w.db.Create(&budget).Error)
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 100000})
	var poID int64
	check := func(when string, want models.StageFigures) {
		t.Helper()
		want.Currency = "USD"
		var now models.Requisition
		w.must(w.db.First(&now, r.ID).Error)
		got, err := models.RequisitionStages(ctx, w.db, &now)
		w.must(err)
		if got != want || got.Total() != 100000 {
			t.Errorf("%s: requisition %+v, want %+v", when, got, want)
		}
		if poID != 0 {
			o, err := models.OrderStages(ctx, w.db, poID)
			w.must(err)
			if o != want {
				t.Errorf("%s: order %+v", when, o)
			}
		}
		b, err := models.BudgetStages(ctx, w.db, []int64{budget.ID})
		w.must(err)
		if b[budget.ID] != want {
			t.Errorf("%s: budget %+v", when, b[budget.ID])
		}
	}
	w.submit(r)
	check("submitted", models.StageFigures{Pending: 100000})
	steps := w.steps(r, 1)
	_, err := w.decide(w.max, steps[0].ID, true, "")
	w.must(err)
	check("approved", models.StageFigures{Approved: 100000})
	po, err := models.CreatePurchaseOrder(ctx, w.db, models.Viewer{UserID: w.admin.ID, SeeAllKinds: []string{models.DocRequisition}}, r.ID)
	w.must(err)
	poID = po.ID
	check("ordered", models.StageFigures{Purchased: 100000})
	var line models.PurchaseOrderLine
	w.must(w.db.Where("purchase_order_id = ?", po.ID).First(&line).Error)
	_, err = models.RecordReceipt(ctx, w.db, w.admin.ID, po.ID, models.ReceiptInput{Quantities: map[int64]string{line.ID: "0.6"}})
	w.must(err)
	check("received in part", models.StageFigures{Purchased: 40000, Received: 60000})

	spent := func(basis string) (int64, int64) {
		t.Helper()
		w.must(w.db.Model(&models.OrgSettings{ID: 1}).Update("budget_spent_basis", basis).Error)
		totals, err := models.BudgetTotals(ctx, w.db, []int64{budget.ID})
		w.must(err)
		return totals[budget.ID].Spent, totals[budget.ID].Committed
	}
	if s, c := spent(models.SpentBilled); s != 0 || c != 100000 {
		t.Errorf("billed basis before any bill: spent %d committed %d", s, c)
	}
	in := models.BillInput{Vendor: strconv.FormatInt(w.vendor.ID, 10), PurchaseOrder: strconv.FormatInt(po.ID, 10), VendorInvoiceNumber: "L-1",
		InvoiceDate: time.Now().Format(time.DateOnly), Lines: []models.BillLineInput{{OrderLine: strconv.FormatInt(line.ID, 10),
			LineInput: models.LineInput{Quantity: "0.6", UnitPrice: "1000.00"}}}}
	sub := w.enter(in)
	if sub.Held {
		t.Fatalf("bill held: %+v", sub.Bill.Lines)
	}
	check("billed in part", models.StageFigures{Purchased: 40000, Billed: 60000})
	if s, c := spent(models.SpentBilled); s != 60000 || c != 40000 {
		t.Errorf("billed basis: spent %d committed %d", s, c)
	}
	if s, c := spent(models.SpentReceived); s != 60000 || c != 40000 {
		t.Errorf("received basis: spent %d committed %d", s, c)
	}
	// Payments record what they paid on the bill.
	w.must(w.db.Model(&models.Bill{ID: sub.Bill.ID}).Updates(map[string]any{"paid_minor": 20000, "status": models.BillPartiallyPaid}).Error)
	check("paid in part", models.StageFigures{Purchased: 40000, Billed: 40000, Paid: 20000})
	w.must(w.db.Model(&models.Bill{ID: sub.Bill.ID}).Updates(map[string]any{"paid_minor": 60000, "status": models.BillPaid}).Error)
	check("paid", models.StageFigures{Purchased: 40000, Paid: 60000})
}

// A bill without an order is pending while in approval, billed once approved, and then
// paid, against the budget of each line's department and GL account; the budget's figures
// follow: committed while it waits, spent from its approval on.
func TestStageFiguresOfABillWithoutAnOrder(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := context.Background()
	year := time.Now().Year()
	budget := models.Budget{DepartmentID: w.eng.ID, GLAccountID: w.software.ID, AmountMinor: 500000, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}
	w.must(w.db.Create(&budget).Error)
	in := models.BillInput{Vendor: strconv.FormatInt(w.vendor.ID, 10), VendorInvoiceNumber: "S-1", InvoiceDate: time.Now().Format(time.DateOnly),
		Lines: []models.BillLineInput{{LineInput: models.LineInput{Description: "Support", Quantity: "1", UnitPrice: "250.00", TaxRate: "10",
			GLAccount: strconv.FormatInt(w.software.ID, 10)}, Department: strconv.FormatInt(w.eng.ID, 10)}}}
	sub := w.enter(in)
	check := func(when string, want models.StageFigures, spent, committed int64) {
		t.Helper()
		want.Currency = "USD"
		b, err := models.BudgetStages(ctx, w.db, []int64{budget.ID})
		w.must(err)
		if got := b[budget.ID]; got != want {
			t.Errorf("%s: stages %+v, want %+v", when, got, want)
		}
		totals, err := models.BudgetTotals(ctx, w.db, []int64{budget.ID})
		w.must(err)
		if got := totals[budget.ID]; got.Spent != spent || got.Committed != committed {
			t.Errorf("%s: budget %+v, want spent %d committed %d", when, got, spent, committed)
		}
	}
	check("in approval", models.StageFigures{Pending: 27500}, 0, 27500)
	var step models.ApprovalStep
	w.must(w.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocBill, sub.Bill.ID, models.StepPending).First(&step).Error)
	_, err := w.decide(w.max, step.ID, true, "")
	w.must(err)
	check("approved", models.StageFigures{Billed: 27500}, 27500, 0)
	w.must(w.db.Model(&models.Bill{ID: sub.Bill.ID}).Updates(map[string]any{"paid_minor": 27500, "status": models.BillPaid}).Error)
	check("paid", models.StageFigures{Paid: 27500}, 27500, 0)
}
