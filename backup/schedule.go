package backup

import (
	"context"
	"fmt"
	"sort"
	"time"

	"outlay/tenancy"
)

// Retention says which scheduled backups are kept: the newest backup of each of the last
// Daily days, of each of the last Weekly ISO weeks and of each of the last Monthly months
// that have one (UTC). A backup may count for several rules; the others are deleted.
type Retention struct {
	Daily, Weekly, Monthly int
}

// DefaultRetention keeps a week of dailies, a month of weeklies and a year of monthlies.
var DefaultRetention = Retention{Daily: 7, Weekly: 4, Monthly: 12}

// Keep returns, for backups taken at times, which of them the retention keeps (by index).
func (r Retention) Keep(times []time.Time) []bool {
	order := make([]int, len(times))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return times[order[a]].After(times[order[b]]) })
	keep := make([]bool, len(times))
	rules := []struct {
		n      int
		period func(time.Time) string
	}{
		{r.Daily, func(t time.Time) string { return t.UTC().Format("2006-01-02") }},
		{r.Weekly, func(t time.Time) string { y, w := t.UTC().ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) }},
		{r.Monthly, func(t time.Time) string { return t.UTC().Format("2006-01") }},
	}
	for _, rule := range rules {
		last, kept := "", 0
		for _, i := range order {
			if kept >= rule.n {
				break
			}
			// Newest first: the first backup seen in a period is the period's newest.
			if p := rule.period(times[i]); p != last {
				last = p
				keep[i] = true
				kept++
			}
		}
	}
	return keep
}

// Schedule takes each tenant's daily backup and prunes the scheduled backups its retention
// no longer keeps. The clock is the Service's (tests set the day).
type Schedule struct {
	Service   *Service
	Store     *Store
	Retention Retention
}

// Due lists the tenants (with a database) that have no scheduled backup on the current day.
func (s *Schedule) Due(ctx context.Context) ([]string, error) {
	tenants, err := s.Service.Registry.List(ctx)
	if err != nil {
		return nil, err
	}
	var due []string
	for _, t := range tenants {
		if t.Status == tenancy.StatusPurged || t.Status == tenancy.StatusProvisioning {
			continue
		}
		ok, err := s.takenToday(ctx, t.Slug)
		if err != nil {
			return nil, err
		}
		if !ok {
			due = append(due, t.Slug)
		}
	}
	return due, nil
}

// Today is the current UTC day by the schedule's clock, as the backups are dated.
func (s *Schedule) Today() string { return s.Service.now().Format("2006-01-02") }

func (s *Schedule) takenToday(ctx context.Context, slug string) (bool, error) {
	list, err := s.Service.Registry.Backups(ctx, slug)
	if err != nil {
		return false, err
	}
	today := s.Today()
	for _, b := range list {
		if b.Kind == tenancy.BackupScheduled && b.CreatedAt.UTC().Format("2006-01-02") == today {
			return true, nil
		}
	}
	return false, nil
}

// BackUp takes tenant slug's scheduled backup of the day, unless it was taken already (the
// job may run twice), then deletes its scheduled backups past retention. It returns the new
// backup (nil when none was due) and how many were deleted.
func (s *Schedule) BackUp(ctx context.Context, slug string) (*Manifest, int, error) {
	ok, err := s.takenToday(ctx, slug)
	if err != nil {
		return nil, 0, err
	}
	var m *Manifest
	if !ok {
		if m, err = s.Service.Backup(ctx, slug, s.Store, tenancy.BackupScheduled); err != nil {
			return nil, 0, err
		}
	}
	pruned, err := s.Prune(ctx, slug)
	return m, pruned, err
}

// Run takes every due tenant's backup, one after the other; it goes on past a failing
// tenant and returns the failures together.
func (s *Schedule) Run(ctx context.Context) (taken, pruned int, err error) {
	due, err := s.Due(ctx)
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, slug := range due {
		m, n, err := s.BackUp(ctx, slug)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", slug, err))
		}
		if m != nil {
			taken++
		}
		pruned += n
	}
	if len(errs) > 0 {
		return taken, pruned, fmt.Errorf("scheduled backups failed: %v", errs)
	}
	return taken, pruned, nil
}

// Prune deletes the tenant's scheduled backups the retention does not keep: their files,
// then their listing. Manual and move backups are left alone.
func (s *Schedule) Prune(ctx context.Context, slug string) (int, error) {
	list, err := s.Service.Registry.Backups(ctx, slug)
	if err != nil {
		return 0, err
	}
	var scheduled []tenancy.BackupRecord
	var times []time.Time
	for _, b := range list {
		if b.Kind == tenancy.BackupScheduled {
			scheduled = append(scheduled, b)
			times = append(times, b.CreatedAt)
		}
	}
	keep := s.Retention.Keep(times)
	pruned := 0
	for i, b := range scheduled {
		if keep[i] {
			continue
		}
		store := s.Store
		if b.BlobURL != s.Store.URL {
			if store, err = OpenStore(ctx, b.BlobURL); err != nil {
				return pruned, err
			}
		}
		deleteFiles(store, b.Name)
		if store != s.Store {
			_ = store.Close()
		}
		if err := s.Service.Registry.ForgetBackup(ctx, b.Name); err != nil {
			return pruned, err
		}
		pruned++
	}
	return pruned, nil
}
