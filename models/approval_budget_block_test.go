package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"outlay/models"
)

// Two last approvals drawing on one blocking budget, each within it alone but together over
// it, are checked one after the other: exactly one goes through. The budgets' lock is held
// here first, so both decisions reach the check at once; without the lock both would pass.
func TestApprovalBudgetBlockSerialisesLastApprovals(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.budgetWorld() // $5,000 budget; $3,000 approved or ordered: $2,000 remains
	w.rule(models.ApprovalRule{Priority: 1, BudgetCheck: models.BudgetCheckBlock}, models.ApprovalRuleStep{Kind: models.StepManager})
	var steps []int64
	for range 2 {
		r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 150000})
		steps = append(steps, w.submit(r).Steps[0].ID)
	}
	holder := w.db.Begin()
	defer holder.Rollback()
	w.must(holder.Exec(`SELECT pg_advisory_xact_lock(hashtextextended('outlay.budgets:' || ?::bigint, 0))`, w.eng.ID).Error)
	results := make(chan error, len(steps))
	for _, id := range steps {
		go func() {
			_, err := w.decide(w.max, id, true, "")
			results <- err
		}()
	}
	select {
	case err := <-results:
		t.Fatalf("a last approval was decided while the budgets were locked: %v", err)
	case <-time.After(700 * time.Millisecond):
	}
	w.must(holder.Rollback().Error)
	approved, blocked := 0, 0
	for range steps {
		err := <-results
		var over *models.BudgetExceededError
		switch {
		case err == nil:
			approved++
		case errors.As(err, &over):
			blocked++
		default:
			t.Fatal(err)
		}
	}
	if approved != 1 || blocked != 1 {
		t.Fatalf("approved %d, blocked %d; want one of each", approved, blocked)
	}
}

// A department with no budget has nothing to check a last approval against, so its last
// approvals are not made to wait for one another: one goes through while the budgets' lock
// of its department is held elsewhere.
func TestApprovalWithoutBudgetsTakesNoBudgetLock(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.rule(models.ApprovalRule{Priority: 1, BudgetCheck: models.BudgetCheckBlock}, models.ApprovalRuleStep{Kind: models.StepManager})
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 150000})
	step := w.submit(r).Steps[0].ID
	holder := w.db.Begin()
	defer holder.Rollback()
	w.must(holder.Exec(`SELECT pg_advisory_xact_lock(hashtextextended('outlay.budgets:' || ?::bigint, 0))`, w.eng.ID).Error)
	// Waiting for the lock would run into the deadline instead.
	ctx, cancel := context.WithTimeout(as(w.max), 20*time.Second)
	defer cancel()
	res, err := models.DecideStep(ctx, w.db, viewer(w.max), step, models.Decision{Approve: true})
	if err != nil || res.DocStatus != models.StepApproved || len(res.Budget) != 0 {
		t.Fatalf("approve while the budgets are locked: %+v, %v", res, err)
	}
}
