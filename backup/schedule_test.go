package backup_test

import (
	"context"
	"testing"
	"time"

	"outlay/backup"
	"outlay/tenancy"
)

func TestRetentionKeepsDailiesWeekliesAndMonthlies(t *testing.T) {
	t.Parallel()
	// A year and a month of daily backups at 01:00 UTC, pruned after each, as the schedule does.
	start := time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)
	var kept []time.Time
	for d := range 400 {
		kept = append(kept, start.AddDate(0, 0, d))
		keep := backup.DefaultRetention.Keep(kept)
		var next []time.Time
		for i, k := range keep {
			if k {
				next = append(next, kept[i])
			}
		}
		kept = next
	}
	last := start.AddDate(0, 0, 399) // 2026-02-04, a Wednesday
	has := map[string]bool{}
	for _, k := range kept {
		has[k.Format("2006-01-02")] = true
	}
	want := []string{
		// the last 7 days
		"2026-02-04", "2026-02-03", "2026-02-02", "2026-02-01", "2026-01-31", "2026-01-30", "2026-01-29",
		// the newest of the last 4 ISO weeks (weeks end on Sundays)
		"2026-01-25", "2026-01-18",
		// the newest of the last 12 months
		"2025-12-31", "2025-11-30", "2025-10-31", "2025-09-30", "2025-08-31", "2025-07-31", "2025-06-30", "2025-05-31", "2025-04-30", "2025-03-31",
	}
	for _, w := range want {
		if !has[w] {
			t.Errorf("the backup of %s was deleted", w)
		}
	}
	if len(kept) != len(want) {
		t.Errorf("%d backups kept on %s, want %d: %v", len(kept), last.Format("2006-01-02"), len(want), kept)
	}
}

// TestScheduleBacksUpDailyAndPrunes runs the schedule on a simulated clock: one backup a
// day however often it runs, and the retention applied as days pass, crossing a week and a
// month boundary. Manual backups are never pruned.
func TestScheduleBacksUpDailyAndPrunes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	now := time.Date(2026, 1, 26, 1, 0, 0, 0, time.UTC) // a Monday
	f.service.Now = func() time.Time { return now }
	s := &backup.Schedule{Service: f.service, Store: f.store, Retention: backup.Retention{Daily: 3, Weekly: 2, Monthly: 2}}

	if _, err := f.service.Backup(ctx, "acme", f.store, tenancy.BackupManual); err != nil {
		t.Fatal(err)
	}
	for day := range 10 { // to Wednesday 2026-02-04
		now = time.Date(2026, 1, 26+day, 2, 0, 0, 0, time.UTC)
		taken, _, err := s.Run(ctx)
		if err != nil || taken != 1 {
			t.Fatalf("%s: %d backups taken, %v; want 1", now.Format("2006-01-02"), taken, err)
		}
		now = now.Add(3 * time.Hour)
		if due, err := s.Due(ctx); err != nil || len(due) != 0 {
			t.Fatalf("%s, later: due %v, %v; want none", now.Format("2006-01-02"), due, err)
		}
		if taken, _, err := s.Run(ctx); err != nil || taken != 0 {
			t.Fatalf("%s, later: %d backups taken, %v; want none", now.Format("2006-01-02"), taken, err)
		}
	}
	list, err := f.env.Registry.Backups(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	manual := 0
	for _, b := range list {
		if b.Kind == tenancy.BackupManual {
			manual++
			continue
		}
		days = append(days, b.CreatedAt.UTC().Format("2006-01-02"))
		if _, err := backup.ReadManifest(ctx, f.store, b.Name); err != nil {
			t.Errorf("kept backup %s: %v", b.Name, err)
		}
	}
	// Dailies Feb 2-4; weeklies Feb 4 (week 6) and Feb 1 (week 5); monthlies Feb 4 and Jan 31.
	want := []string{"2026-02-04", "2026-02-03", "2026-02-02", "2026-02-01", "2026-01-31"}
	if len(days) != len(want) || manual != 1 {
		t.Fatalf("kept %v and %d manual backups; want %v and 1", days, manual, want)
	}
	for i := range want {
		if days[i] != want[i] {
			t.Errorf("kept %v, want %v", days, want)
			break
		}
	}
	// A pruned backup's files are gone from the store.
	if _, err := backup.ReadManifest(ctx, f.store, "acme/20260126T020000Z"); err == nil {
		t.Error("the pruned backup of 2026-01-26 can still be read")
	}
}
