package models_test

import (
	"testing"

	"outlay"
	"outlay/models"
)

// A custom role that an approval rule names, or that an open approval step waits for, is not
// deleted: the refusal says why, instead of failing on the rule's reference or leaving the
// step waiting for nobody.
func TestDeleteRoleRefusedWhileApprovalsRouteToIt(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	ctx := as(w.admin)
	if _, err := models.CreateRole(ctx, w.db, "Finance reviewer"); err != nil {
		t.Fatal(err)
	}
	rule := w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepRole, Role: ptr("finance_reviewer")})
	err := models.DeleteRole(ctx, w.db, models.ByOperator(), "finance_reviewer")
	if _, ok := outlay.AsValidation(err); !ok {
		t.Fatalf("delete a role a rule names: %v", err)
	}
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	if got := w.describe(w.submit(r).Steps); got != "role:finance_reviewer/pending" {
		t.Fatalf("route %s", got)
	}
	// The rule no longer names the role, but the submitted requisition still waits for it.
	w.must(w.db.Where("rule_id = ?", rule.ID).Delete(&models.ApprovalRuleStep{}).Error)
	err = models.DeleteRole(ctx, w.db, models.ByOperator(), "finance_reviewer")
	if _, ok := outlay.AsValidation(err); !ok {
		t.Fatalf("delete a role an open step waits for: %v", err)
	}
	if _, err := models.WithdrawRequisition(as(w.rita), w.db, w.rita.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := models.DeleteRole(ctx, w.db, models.ByOperator(), "finance_reviewer"); err != nil {
		t.Fatalf("delete a role nothing routes to: %v", err)
	}
}
