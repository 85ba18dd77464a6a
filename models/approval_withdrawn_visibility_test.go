package models_test

import (
	"context"
	"errors"
	"testing"

	"outlay"
	"outlay/models"
)

// Once a requisition is withdrawn, the approver whose step was cancelled no longer sees it:
// neither on its own page nor through the details of the cancelled step in the queue.
func TestApprovalCancelledStepShowsNothingMore(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	out := w.submit(r)
	step := out.Steps[0].ID
	if _, err := models.ApprovalStepDetails(context.Background(), w.db, viewer(w.max), step); err != nil {
		t.Fatalf("Max's details while routed: %v", err)
	}
	if _, err := models.WithdrawRequisition(as(w.rita), w.db, w.rita.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := models.GetRequisition(context.Background(), w.db, viewer(w.max), r.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Fatalf("withdrawn requisition on its page: %v", err)
	}
	if _, err := models.ApprovalStepDetails(context.Background(), w.db, viewer(w.max), step); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("details of a cancelled step: %v", err)
	}
}
