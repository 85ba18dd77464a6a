package models_test

import (
	"context"
	"errors"
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

// A step carries who its document belongs to from the moment its route is built, and the
// queue leaves a viewer's own documents out by it. Should the requester change while steps
// are open (no screen lets it, the database keeps it true anyway), the open steps follow and
// the decided ones keep whom they were decided for.
func TestStepsCarryTheirDocumentsPeople(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepManager},
		models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.al.ID})
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 40000})
	w.submit(r)
	for _, s := range w.steps(r, 1) {
		if s.DocRequesterID != w.rita.ID || s.DocFilerID != nil {
			t.Errorf("step %d carries requester %d and filer %v, want %d and none", s.Position, s.DocRequesterID, s.DocFilerID, w.rita.ID)
		}
	}
	count := func(u *models.User) int64 {
		t.Helper()
		n, err := models.QueueCount(context.Background(), w.db, viewer(u))
		if err != nil {
			t.Fatal(err)
		}
		q, err := models.ApprovalQueue(context.Background(), w.db, viewer(u), models.QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if q.Total != n || int64(len(q.Items)) != n {
			t.Errorf("%s's queue shows %d items of %d, its badge counts %d", u.Name, len(q.Items), q.Total, n)
		}
		return n
	}
	if n := count(w.max); n != 1 {
		t.Fatalf("Max's queue counts %d, want Rita's requisition", n)
	}
	if _, err := w.decide(w.max, w.steps(r, 1)[0].ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if n := count(w.al); n != 1 {
		t.Fatalf("Al's queue counts %d after Max approved, want 1", n)
	}
	// The requisition becomes Al's own: his queue leaves it out, his decision is refused.
	w.must(w.db.Exec(`UPDATE requisitions SET requester_id = ? WHERE id = ?`, w.al.ID, r.ID).Error)
	steps := w.steps(r, 1)
	if steps[0].DocRequesterID != w.rita.ID {
		t.Errorf("the decided step now carries requester %d, want Rita (%d), whom it was decided for", steps[0].DocRequesterID, w.rita.ID)
	}
	if steps[1].DocRequesterID != w.al.ID {
		t.Errorf("the open step carries requester %d after the requester became Al (%d)", steps[1].DocRequesterID, w.al.ID)
	}
	if n := count(w.al); n != 0 {
		t.Errorf("Al's queue counts %d once the requisition is his own", n)
	}
	if _, err := w.decide(w.al, steps[1].ID, true, ""); !errors.Is(err, models.ErrOwnDocument) {
		t.Errorf("Al approves his own requisition: %v", err)
	}
}

// Every kind that is approved has the trigger that carries its people to its open steps, on
// the columns the queue reads as its requester and its filer.
func TestEveryApprovedKindCarriesItsPeopleToItsSteps(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	for _, k := range models.ApprovableKinds() {
		want := k.Type + `\000` + strings.TrimPrefix(k.Queue.Requester, "d.") + `\000`
		if k.FilerColumn != "" {
			want += k.FilerColumn + `\000`
		}
		var args string
		err := w.db.Raw(`SELECT encode(tgargs, 'escape') FROM pg_trigger WHERE tgrelid = CAST(? AS regclass) AND tgname = ?`,
			k.Table, k.Table+"_step_people").Scan(&args).Error
		if err != nil {
			t.Fatal(err)
		}
		if args != want {
			t.Errorf("%s's trigger %s_step_people has arguments %q, want %q", k.Type, k.Table, args, want)
		}
	}
}
