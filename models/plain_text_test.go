package models_test

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// A comment, or an approver's comment, holding a NUL byte or bytes that are not UTF-8 is
// refused beside its field rather than failing in the database.
func TestCommentsRefuseWhatIsNotText(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	r := dbtest.ApprovedRequisition(t, p.db, p.requester.ID, "", twoLines...)
	for _, body := range []string{"before\x00after", "caf\xe9"} {
		if _, err := models.AddComment(context.Background(), p.db, p.requesterV, models.DocRequisition, r.Requisition.ID, body, ""); !isValidation(err, "body") {
			t.Errorf("comment %q: %v", body, err)
		}
	}
	w := newApprovalWorld(t)
	req := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	out := w.submit(req)
	if _, err := w.decide(w.max, out.Steps[0].ID, false, "no\x00"); !isValidation(err, "comment") {
		t.Errorf("decision comment with NUL: %v", err)
	}
}

// A receipt's note or an order's closing reason that is not plain text is refused beside its
// field rather than failing in the database.
func TestPurchaseOrderTextRefusesWhatIsNotText(t *testing.T) {
	t.Parallel()
	p := newPurchasing(t)
	ctx := context.Background()
	po, _ := p.order(t)
	d, _ := models.GetPurchaseOrder(ctx, p.db, po.ID)
	in := receive(d.Lines, "1")
	in.Note = "pallet\x00"
	if _, err := models.RecordReceipt(ctx, p.db, p.clerk.ID, po.ID, in); !isValidation(err, "note") {
		t.Errorf("receipt note with NUL: %v", err)
	}
	if err := models.ClosePurchaseOrder(ctx, p.db, p.clerk.ID, po.ID, "no more\xff"); !isValidation(err, "reason") {
		t.Errorf("closing reason not UTF-8: %v", err)
	}
}
