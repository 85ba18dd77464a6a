package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"outlay/models"
)

// A route of a manager's step and then a role's asks for two people: the manager, who also
// holds the role, cannot approve the role's step too, whoever they act for.
func TestApprovalOnePersonApprovesOneStepOfARound(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepManager},
		models.ApprovalRuleStep{Kind: models.StepRole, Role: ptr("approver")})
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	out := w.submit(r)
	if got := w.describe(out.Steps); got != "user:Max Manager/pending, role:approver/waiting" {
		t.Fatalf("route %s", got)
	}
	if _, err := w.decide(w.max, out.Steps[0].ID, true, ""); err != nil {
		t.Fatal(err)
	}
	// The step his role would reach is not offered to him, on the queue or the dashboard.
	if n, err := models.QueueCount(context.Background(), w.db, viewer(w.max)); err != nil || n != 0 {
		t.Errorf("Max's queue counts %d (%v) after his approval of step 1, want 0", n, err)
	}
	if sum, err := models.Dashboard(context.Background(), w.db, viewer(w.max), models.DashboardCards{}, time.Now()); err != nil || sum.Waiting != 0 {
		t.Errorf("Max's dashboard waits for %d (%v), want 0", sum.Waiting, err)
	}
	if n, _ := models.QueueCount(context.Background(), w.db, viewer(w.al)); n != 1 {
		t.Errorf("Al's queue counts %d, want 1", n)
	}
	if _, err := w.decide(w.max, out.Steps[1].ID, true, ""); !errors.Is(err, models.ErrSecondApproval) {
		t.Fatalf("the manager approved the role's step too: %v", err)
	}
	if s := w.status(r); s != models.RequisitionPending {
		t.Fatalf("requisition is %s after one person's approvals", s)
	}
	if _, err := w.decide(w.al, out.Steps[1].ID, true, ""); err != nil {
		t.Fatalf("another holder of the role: %v", err)
	}
	if s := w.status(r); s != models.RequisitionApproved {
		t.Errorf("status %s", s)
	}
}
