package models_test

import (
	"context"
	"strings"
	"testing"

	"outlay/models"
)

// A step carries its document's total from the moment its route is built; the queue's
// amount filter reads it there. A total that changes while steps are open (no screen lets
// it, the database keeps it true anyway) reaches the open steps, not the decided ones.
func TestStepsCarryTheirDocumentsTotal(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepManager},
		models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.al.ID})
	small := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 40000})
	large := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 90000}, reqLine{&w.software, 30000})
	w.submit(small)
	w.submit(large)
	totals := map[int64]int64{}
	for _, r := range []*models.Requisition{small, large} {
		var total int64
		w.must(w.db.Raw(`SELECT total_minor FROM requisitions WHERE id = ?`, r.ID).Scan(&total).Error)
		totals[r.ID] = total
		for _, s := range w.steps(r, 1) {
			if s.DocTotalMinor != total {
				t.Errorf("requisition %d's step %d carries %d, its total is %d", r.ID, s.Position, s.DocTotalMinor, total)
			}
		}
	}

	queue := func(u *models.User, min int64) []int64 {
		t.Helper()
		q, err := models.ApprovalQueue(context.Background(), w.db, viewer(u), models.QueueFilter{MinAmountMinor: min})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, it := range q.Items {
			ids = append(ids, it.DocID)
		}
		if int64(len(ids)) != q.Total {
			t.Errorf("the queue shows %d items and counts %d", len(ids), q.Total)
		}
		return ids
	}
	if got := queue(w.max, 100000); len(got) != 1 || got[0] != large.ID {
		t.Errorf("Max's queue at 1,000.00 or more: %v, want only requisition %d", got, large.ID)
	}
	if got := queue(w.max, 40000); len(got) != 2 {
		t.Errorf("Max's queue at 400.00 or more: %v, want both (the bound is inclusive)", got)
	}

	// Max approves the large one's first step; then its total changes under the steps.
	first := w.steps(large, 1)[0]
	if _, err := w.decide(w.max, first.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	w.must(w.db.Exec(`UPDATE requisitions SET total_minor = 20000 WHERE id = ?`, large.ID).Error)
	steps := w.steps(large, 1)
	if steps[0].DocTotalMinor != totals[large.ID] || totals[large.ID] != 120000 {
		t.Errorf("the decided step now carries %d, want the %d it was decided on (120000)", steps[0].DocTotalMinor, totals[large.ID])
	}
	if steps[1].DocTotalMinor != 20000 {
		t.Errorf("the open step carries %d after the total changed to 20000", steps[1].DocTotalMinor)
	}
	if got := queue(w.al, 100000); len(got) != 0 {
		t.Errorf("Al's queue at 1,000.00 or more shows %v after the total fell to 200.00", got)
	}
	if got := queue(w.al, 20000); len(got) != 1 {
		t.Errorf("Al's queue at 200.00 or more: %v, want the large one", got)
	}
}

// Every kind that is approved has the trigger that carries its total to its open steps, on
// the column the queue shows as the total.
func TestEveryApprovedKindCarriesItsTotalToItsSteps(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	for _, k := range models.ApprovableKinds() {
		column := strings.TrimPrefix(k.Queue.Total, "d.")
		var args string
		err := w.db.Raw(`SELECT encode(tgargs, 'escape') FROM pg_trigger WHERE tgrelid = CAST(? AS regclass) AND tgname = ?`,
			k.Table, k.Table+"_step_totals").Scan(&args).Error
		if err != nil {
			t.Fatal(err)
		}
		if want := k.Type + `\000` + column + `\000`; args != want {
			t.Errorf("%s's trigger %s_step_totals has arguments %q, want %q", k.Type, k.Table, args, want)
		}
	}
}
