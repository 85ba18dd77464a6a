package models_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"gorm.io/gorm"

	"outlay/models"
)

// liveCounts counts table's rows by status, row by row.
func liveCounts(t *testing.T, db *gorm.DB, table string) map[string]int {
	t.Helper()
	var rows []struct {
		Status string
		N      int
	}
	if err := db.Raw(`SELECT status, count(*) AS n FROM ` + table + ` GROUP BY status`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// checkTallies compares every tallied table's tallies with its rows.
func checkTallies(t *testing.T, db *gorm.DB, when string) {
	t.Helper()
	for _, table := range models.TalliedTables() {
		got, err := models.TalliedStatuses(context.Background(), db, table)
		if err != nil {
			t.Fatal(err)
		}
		if want := liveCounts(t, db, table); !maps.Equal(got, want) {
			t.Errorf("%s: %s tallied %v, has %v", when, table, got, want)
		}
	}
}

// The status tallies are every document table's counts by status: after documents are made,
// submitted, ordered, billed and deleted; and after concurrent changes of status, some rolled
// back, while reads fold the tallies. Every kind's table has the triggers that keep them.
func TestStatusTalliesAreTheCounts(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := context.Background()

	var triggered []string
	w.must(w.db.Raw(`SELECT DISTINCT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
		WHERE g.tgname LIKE '%\_tally\_%' AND NOT g.tgisinternal ORDER BY 1`).Scan(&triggered).Error)
	if want := slices.Sorted(slices.Values(models.TalliedTables())); !slices.Equal(triggered, want) {
		t.Fatalf("tables with tally triggers %v, document kinds' tables %v", triggered, want)
	}
	checkTallies(t, w.db, "new tenant")

	var reqs []*models.Requisition
	for i := range 12 {
		r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, int64(100 + i)})
		if i%4 != 0 {
			w.submit(r)
		}
		reqs = append(reqs, r)
	}
	w.order("USD", orderSpec{"1", "0", 500})
	w.order("USD", orderSpec{"2", "1", 700})
	w.enter(w.plainBill("INV-1", "2026-03-02", "120.00"))
	if _, err := models.SaveBill(as(w.clara), w.db, w.clerk(), 0, w.plainBill("INV-2", "2026-03-03", "80.00")); err != nil {
		t.Fatal(err)
	}
	w.must(w.db.Exec(`DELETE FROM requisitions WHERE id = ?`, reqs[0].ID).Error)
	checkTallies(t, w.db, "after documents were made")

	// Concurrent changes of status among the submitted requisitions, half rolled back, while
	// reads fold the tallies.
	var submitted []int64
	w.must(w.db.Raw(`SELECT id FROM requisitions WHERE status <> 'draft' ORDER BY id`).Scan(&submitted).Error)
	statuses := []string{models.RequisitionPending, models.RequisitionApproved, models.RequisitionRejected, models.RequisitionWithdrawn}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 6 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range 40 {
				err := w.db.Transaction(func(tx *gorm.DB) error {
					ids := make([]int64, 1+rnd.IntN(3))
					for k := range ids {
						ids[k] = submitted[rnd.IntN(len(submitted))]
					}
					slices.Sort(ids) // rows are locked in one order, so that writers wait rather than deadlock
					for _, id := range ids {
						st := statuses[rnd.IntN(len(statuses))]
						if err := tx.Exec(`UPDATE requisitions SET status = ? WHERE id = ?`, st, id).Error; err != nil {
							return err
						}
					}
					if i%2 == 1 {
						return errRollBack
					}
					return nil
				})
				if err != nil && err != errRollBack {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 60 {
			if _, err := models.TalliedStatuses(ctx, w.db, "requisitions"); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkTallies(t, w.db, "after concurrent changes")

	// A read folds many rows into one per status.
	for range models.FoldTalliesAbove {
		w.must(w.db.Exec(`UPDATE requisitions SET status = CASE status WHEN 'rejected' THEN 'withdrawn' ELSE 'rejected' END WHERE id = ?`, submitted[0]).Error)
	}
	checkTallies(t, w.db, "after a fold")
	var rows int
	w.must(w.db.Raw(`SELECT count(*) FROM status_tallies WHERE tbl = 'requisitions'`).Scan(&rows).Error)
	if n := len(liveCounts(t, w.db, "requisitions")); rows > n {
		t.Errorf("after a fold the requisitions' tallies have %d rows for %d statuses", rows, n)
	}

	// The lists' tabs: everyone's submitted requisitions from the tallies, the same as counted
	// with a filter that selects them all; a clerk who sees every bill counts her own drafts.
	all := models.Viewer{UserID: w.admin.ID, Roles: w.admin.Roles, SeeAllKinds: []string{models.DocRequisition}}
	tallied, err := models.CountRequisitionsByStatus(ctx, w.db, all, models.RequisitionFilter{})
	w.must(err)
	counted, err := models.CountRequisitionsByStatus(ctx, w.db, all, models.RequisitionFilter{RequesterID: w.rita.ID})
	w.must(err)
	if !maps.Equal(tallied, counted) || tallied[models.RequisitionDraft] != 0 || len(tallied) == 0 {
		t.Errorf("submitted requisitions by status: tallied %v, counted %v", tallied, counted)
	}
	bills, err := models.CountBillsByStatus(ctx, w.db, w.clerk(), models.BillFilter{})
	w.must(err)
	byVendor, err := models.CountBillsByStatus(ctx, w.db, w.clerk(), models.BillFilter{VendorID: w.vendor.ID})
	w.must(err)
	if !maps.Equal(bills, byVendor) || bills[models.BillDraft] != 1 {
		t.Errorf("bills by status: tallied %v, counted %v (one draft of the clerk's)", bills, byVendor)
	}
	other := models.Viewer{UserID: w.admin.ID, Roles: w.admin.Roles, SeeAllKinds: []string{models.DocBill}}
	if got, err := models.CountBillsByStatus(ctx, w.db, other, models.BillFilter{}); err != nil || got[models.BillDraft] != 0 {
		t.Errorf("another who sees every bill counts %v (%v), with the clerk's draft", got, err)
	}
}

var errRollBack = fmt.Errorf("roll back")
