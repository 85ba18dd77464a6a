package models_test

import (
	"context"
	"testing"
	"time"

	"outlay/models"
)

// Aging puts each open bill in its bucket by days past due, at every edge: 0 days is current,
// 1 and 30 are 1–30, 31 and 60 are 31–60, 61 and 90 are 61–90, 91 is over 90. The SQL that
// sums the aging table and the Go function agree at each edge; what is paid is not open, and
// paid, draft and void bills are not owed.
func TestAgingBucketsAtTheirEdges(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	asOf := time.Now().UTC().Truncate(24 * time.Hour)
	want := [5]int64{}
	for _, tc := range []struct {
		daysPastDue int
		bucket      int
	}{
		{-10, models.AgingCurrent}, {0, models.AgingCurrent},
		{1, models.Aging1To30}, {30, models.Aging1To30},
		{31, models.Aging31To60}, {60, models.Aging31To60},
		{61, models.Aging61To90}, {90, models.Aging61To90},
		{91, models.AgingOver90}, {400, models.AgingOver90},
	} {
		due := asOf.AddDate(0, 0, -tc.daysPastDue)
		if got := models.AgingBucket(due, asOf); got != tc.bucket {
			t.Errorf("%d days past due: bucket %d, want %d", tc.daysPastDue, got, tc.bucket)
		}
		// A bill of its own amount (1 cent per day past due, plus 1000) due that day.
		amount := int64(1000 + tc.daysPastDue + 10)
		w.bill(w.acme, "USD", amount, -tc.daysPastDue)
		want[tc.bucket] += amount
	}
	// Part of one bill is paid: only what is open counts.
	b := w.bill(w.acme, "USD", 500, -45)
	w.must(w.db.Model(b).Updates(map[string]any{"paid_minor": 200, "status": models.BillPartiallyPaid}).Error)
	want[models.Aging31To60] += 300
	for _, status := range []string{models.BillPaid, models.BillDraft, models.BillVoid} {
		x := w.bill(w.acme, "USD", 777, -5)
		change := map[string]any{"status": status}
		if status == models.BillVoid {
			change["voided_by_id"], change["voided_at"], change["void_reason"] = x.EnteredByID, time.Now(), "Sent twice"
		}
		w.must(w.db.Model(x).Updates(change).Error)
	}
	// Another vendor's and another currency's bills are rows of their own.
	w.bill(w.vendor, "USD", 50, 0)
	w.bill(w.acme, "EUR", 60, -100)

	rows, err := models.Aging(context.Background(), w.db, asOf, 0)
	w.must(err)
	if len(rows) != 3 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	acme := rows[0]
	if acme.VendorName != "Acme Supplies" || acme.Currency != "EUR" || acme.Buckets[models.AgingOver90] != 60 {
		t.Errorf("first row %+v", acme)
	}
	acme = rows[1]
	if acme.Currency != "USD" || acme.Buckets != want {
		t.Errorf("Acme's dollars by bucket %v, want %v", acme.Buckets, want)
	}
	var sum int64
	for _, v := range want {
		sum += v
	}
	if acme.Total != sum {
		t.Errorf("total %d, want %d", acme.Total, sum)
	}
	only, err := models.Aging(context.Background(), w.db, asOf, w.vendor.ID)
	w.must(err)
	if len(only) != 1 || only[0].VendorName != "Initech" || only[0].Buckets[models.AgingCurrent] != 50 {
		t.Errorf("one vendor's aging: %+v", only)
	}
}
