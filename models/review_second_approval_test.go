package models_test

import (
	"errors"
	"testing"

	"outlay/models"
)

// A route of a manager's step and then a role's asks for two people: the manager, who also
// holds the role, cannot approve the role's step too, whoever they act for.
func TestApprovalOnePersonApprovesOneStepOfARound(t *testing.T) {
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
