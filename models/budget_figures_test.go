package models_test

import (
	"context"
	"testing"
	"time"

	"outlay"
	"outlay/models"
	"outlay/money"
)

// The budget pages' figures are the approver's budget check's to the cent: an approved
// requisition not ordered, an order partly received and one received in full and closed
// count; a requisition in another currency is kept apart, never added.
func TestBudgetTotalsEqualBudgetImpact(t *testing.T) {
	w := newApprovalWorld(t)
	w.budgetWorld()
	received := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 33333})
	w.must(w.db.Model(received).Updates(map[string]any{"number": "REQ-T4", "status": models.RequisitionOrdered, "decided_at": time.Now()}).Error)
	po := models.PurchaseOrder{Number: "PO-T2", RequisitionID: received.ID, VendorID: w.vendor.ID, Currency: "USD",
		SubtotalMinor: 33333, TotalMinor: 33333, Status: models.POClosed, CreatedBy: w.admin.ID}
	w.must(w.db.Create(&po).Error)
	w.must(w.db.Create(&models.PurchaseOrderLine{PurchaseOrderID: po.ID, Position: 1, Description: "Licence", QuantityMilli: 3000,
		UnitPriceMinor: 11111, GLAccountID: &w.software.ID, AmountMinor: 33333, ReceivedMilli: 3000}).Error)
	euro := w.requisition(w.rita, &w.eng, "EUR", reqLine{&w.software, 70000})
	w.must(w.db.Model(euro).Updates(map[string]any{"number": "REQ-T5", "status": models.RequisitionApproved, "decided_at": time.Now()}).Error)

	var id int64
	w.must(w.db.Raw(`SELECT id FROM budgets WHERE department_id = ?`, w.eng.ID).Scan(&id).Error)
	ctx := context.Background()
	totals, err := models.BudgetTotals(ctx, w.db, []int64{id})
	w.must(err)
	impact, err := models.BudgetImpact(w.db, models.ApprovalDocument{Type: outlay.DocRequisition, DepartmentID: &w.eng.ID,
		Total: money.Money{Currency: "USD"},
		Lines: []models.ApprovalLine{{GLAccountID: &w.software.ID}}}, time.Now())
	w.must(err)
	if len(impact) != 1 {
		t.Fatalf("impact %+v", impact)
	}
	got := totals[id]
	if got.Spent != impact[0].Spent.Minor || got.Committed != impact[0].Committed.Minor {
		t.Errorf("page %+v, approver %+v", got, impact[0])
	}
	// $400 + $333.33 received; $600 still to come on the open order, $2,000 approved not ordered.
	if got.Spent != 40000+33333 || got.Committed != 60000+200000 {
		t.Errorf("figures %+v", got)
	}
	docs, err := models.BudgetDocuments(ctx, w.db, id)
	w.must(err)
	var spent, committed int64
	names := map[string]bool{}
	for _, d := range docs {
		spent, committed = spent+d.Spent, committed+d.Committed
		names[d.Number] = true
	}
	if spent != got.Spent || committed != got.Committed {
		t.Errorf("documents sum to %d/%d, figures %+v", spent, committed, got)
	}
	if len(docs) != 3 || !names["REQ-T1"] || !names["PO-T1"] || !names["PO-T2"] || names["REQ-T5"] {
		t.Errorf("documents %+v", docs)
	}
}
