package models_test

import (
	"context"
	"reflect"
	"testing"

	"gorm.io/gorm"

	"outlay/models"
)

// A later page of a list reads what it shows of each row (the lines' count, the vendor) for
// its own rows only, not for every row it skips, and holds the rows the whole list has there.
func TestAListPageReadsOnlyItsRows(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	ctx := context.Background()
	for i := range 30 {
		w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, int64(100 + i)}, reqLine{&w.travel, 5})
	}
	v := viewer(w.rita)
	whole, err := models.ListRequisitions(ctx, w.db, v, models.RequisitionFilter{Mine: true, Limit: 100})
	if err != nil || len(whole.Rows) != 30 {
		t.Fatalf("the whole list: %d rows, %v", len(whole.Rows), err)
	}
	// Every execution of the lines' count is a scan of requisition_lines, counted for the
	// transaction by Postgres.
	lineReads := func(tx *gorm.DB) int64 {
		var n int64
		w.must(tx.Raw(`SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_xact_user_tables
			WHERE relname = 'requisition_lines'`).Scan(&n).Error)
		return n
	}
	w.must(w.db.Transaction(func(tx *gorm.DB) error {
		before := lineReads(tx)
		page, err := models.ListRequisitions(ctx, tx, v, models.RequisitionFilter{Mine: true, Offset: 20, Limit: 5})
		if err != nil {
			return err
		}
		if read := lineReads(tx) - before; read > 5 {
			t.Errorf("the page of 5 rows after 20 counted lines %d times", read)
		}
		if !reflect.DeepEqual(page.Rows, whole.Rows[20:25]) || page.Total != 30 {
			t.Errorf("page after 20: %d of %d rows, not the whole list's rows 21-25", len(page.Rows), page.Total)
		}
		return nil
	}))
}
