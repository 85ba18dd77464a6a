package jobs_test

import (
	"context"
	"testing"

	"outlay/internal/smtptest"
	"outlay/internal/testutil"
)

// The hourly fold leaves one row per table and status in a tenant's status tallies, with the
// same sums: the tallies of a kind no list reads (payment runs) do not grow with every change.
func TestFoldTalliesJobFoldsEveryTable(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	db := env.DB(t, tn)
	// Changes of status as the triggers record them: a row each.
	for i := range 12 {
		n := 1
		if i%3 == 2 {
			n = -1
		}
		if err := db.Exec(`INSERT INTO status_tallies (tbl, status, n) VALUES ('payment_runs', 'draft', ?), ('bills', 'approved', 1)`, n).Error; err != nil {
			t.Fatal(err)
		}
	}
	type tally struct {
		Tbl, Status string
		N, Rows     int
	}
	read := func() []tally {
		t.Helper()
		var out []tally
		if err := db.Raw(`SELECT tbl, status, sum(n) AS n, count(*) AS rows FROM status_tallies GROUP BY 1, 2 ORDER BY 1, 2`).Scan(&out).Error; err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := read()
	q := testutil.StartJobsWith(t, env, smtpMailer(t, env, srv), nil)
	if err := q.FoldTalliesNow(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	testutil.WaitJobs(t, q)
	after := read()
	if len(after) != len(before) || len(after) == 0 {
		t.Fatalf("before the fold %v, after %v", before, after)
	}
	for i, a := range after {
		if b := before[i]; a.Tbl != b.Tbl || a.Status != b.Status || a.N != b.N || a.Rows != 1 {
			t.Errorf("%s %s: %d in %d rows before the fold, %d in %d after; want the same sum in one row", b.Tbl, b.Status, b.N, b.Rows, a.N, a.Rows)
		}
	}
}
