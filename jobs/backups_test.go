package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"outlay/backup"
	"outlay/internal/dbtest"
	"outlay/internal/testutil"
	"outlay/jobs"
	"outlay/mail"
	"outlay/tenancy"
)

// backupQueue starts a job queue whose daily backups go into a store in folder dir, dated by
// clock and kept by retention.
func backupQueue(t *testing.T, env *testutil.Env, clock *testClock, retention backup.Retention, dir string) (*jobs.Queue, *backup.Store) {
	t.Helper()
	store, err := backup.OpenStore(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	schedule := &backup.Schedule{
		Service:   &backup.Service{Registry: env.Registry, Secret: env.Config.SecretKey, Logger: env.Logger, Now: clock.Now},
		Store:     store,
		Retention: retention,
	}
	q := testutil.StartJobsWith(t, env, &mail.LogMailer{Logger: env.Logger}, func(o *jobs.Options) {
		o.Backups = schedule
		o.Now = clock.Now
	})
	return q, store
}

// runBackups looks for the due backups at the clock's time and waits for every job that
// queues (backups retry after a tenth of a second, so a failing one is given up by then).
func runBackups(t *testing.T, q *jobs.Queue) {
	t.Helper()
	if err := q.BackupsNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, q)
}

// waitIdle waits until no job is waiting, running or due for a retry; backups of several
// tenants on a busy machine take a while.
func waitIdle(t *testing.T, q *jobs.Queue) {
	t.Helper()
	dbtest.WaitFor(t, 3*time.Minute, "finished the backup jobs", func() bool {
		depth, err := q.Depth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return depth["available"]+depth["running"]+depth["retryable"]+depth["pending"] == 0
	})
}

// scheduledDays lists the days of a tenant's scheduled backups, newest first, after checking
// that each one's files are in the store and are of that tenant.
func scheduledDays(t *testing.T, env *testutil.Env, store *backup.Store, slug string) []string {
	t.Helper()
	ctx := context.Background()
	list, err := env.Registry.Backups(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, b := range list {
		if b.Kind != tenancy.BackupScheduled {
			continue
		}
		days = append(days, b.CreatedAt.UTC().Format("2006-01-02"))
		m, err := backup.ReadManifest(ctx, store, b.Name)
		if err != nil {
			t.Errorf("backup %s of %s: %v", b.Name, slug, err)
			continue
		}
		if m.Tenant != slug || b.DumpBytes == 0 || b.DumpSHA256 == "" || m.Rows() != b.Rows {
			t.Errorf("backup %s of %s: manifest of %s with %d rows, record %+v", b.Name, slug, m.Tenant, m.Rows(), b)
		}
	}
	return days
}

// backupJobs lists the tenant_backup jobs by tenant: the day each was queued for, and its state.
func backupJobs(t *testing.T, q *jobs.Queue) map[string][]string {
	t.Helper()
	list, err := q.List(context.Background(), false, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, j := range list {
		if j.Kind == jobs.KindTenantBackup {
			day, _ := j.Args["day"].(string)
			out[j.Tenant] = append(out[j.Tenant], day+" "+j.State)
		}
	}
	return out
}

// The backup jobs take one backup a day of every tenant that has a database (active,
// suspended or lapsed: their data is kept, and may be reactivated or exported), and none of a
// purged tenant. Looking again the same day queues nothing; the next day each gets its second.
func TestDailyBackupJobsBackUpEachTenantWithADatabaseOnceADay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	for _, tn := range []struct{ slug, status string }{
		{"globex", tenancy.StatusActive}, {"initech", tenancy.StatusSuspended},
		{"umbrella", tenancy.StatusLapsed}, {"hooli", tenancy.StatusPurged},
	} {
		env.NewTenant(t, tn.slug, strings.ToUpper(tn.slug[:1])+tn.slug[1:])
		if err := env.Registry.SetStatus(ctx, tn.slug, tn.status); err != nil {
			t.Fatal(err)
		}
	}
	clock := &testClock{}
	clock.Set(utc("2026-03-02T01:00:00Z"))
	// The queue's periodic look runs as it starts; runBackups looks once more.
	q, store := backupQueue(t, env, clock, backup.DefaultRetention, t.TempDir())
	runBackups(t, q)

	withDatabase := []string{"acme", "globex", "initech", "umbrella"}
	for _, slug := range withDatabase {
		if days := scheduledDays(t, env, store, slug); !slices.Equal(days, []string{"2026-03-02"}) {
			t.Errorf("%s's scheduled backups on the first day: %v, want one of 2026-03-02", slug, days)
		}
	}
	if days := scheduledDays(t, env, store, "hooli"); len(days) != 0 {
		t.Errorf("the purged tenant was backed up: %v", days)
	}
	queued := backupJobs(t, q)
	for _, slug := range withDatabase {
		if got := queued[slug]; !slices.Equal(got, []string{"2026-03-02 completed"}) {
			t.Errorf("%s's backup jobs on the first day: %v, want one completed", slug, got)
		}
	}
	if len(queued) != len(withDatabase) {
		t.Errorf("backup jobs were queued for %v", queued)
	}

	// Three hours later the same day: nothing is due, nothing is queued or taken.
	clock.Set(utc("2026-03-02T04:00:00Z"))
	runBackups(t, q)
	if again := backupJobs(t, q); len(again["acme"]) != 1 || len(again) != len(withDatabase) {
		t.Errorf("looking again the same day queued backups: %v", again)
	}

	clock.Set(utc("2026-03-03T01:00:00Z"))
	runBackups(t, q)
	for _, slug := range withDatabase {
		if days := scheduledDays(t, env, store, slug); !slices.Equal(days, []string{"2026-03-03", "2026-03-02"}) {
			t.Errorf("%s's scheduled backups on the second day: %v", slug, days)
		}
	}
	if q.Failures() != 0 {
		t.Errorf("%d job attempts failed", q.Failures())
	}
}

// Run by the jobs day after day on an injected clock, crossing a week's and a month's end,
// the retention keeps exactly the newest backup of each of the last 3 days, 2 ISO weeks and 2
// months, and the files of the others are deleted.
func TestDailyBackupJobsKeepWhatTheRetentionSays(t *testing.T) {
	t.Parallel()
	env, _ := testutil.NewTenant(t)
	clock := &testClock{}
	clock.Set(utc("2026-01-26T02:00:00Z")) // a Monday
	q, store := backupQueue(t, env, clock, backup.Retention{Daily: 3, Weekly: 2, Monthly: 2}, t.TempDir())
	want := map[string][]string{
		// Dailies Jan 29-31; weekly and monthly Jan 31 (week 5, January).
		"2026-01-31": {"2026-01-31", "2026-01-30", "2026-01-29"},
		// Dailies Feb 2-4; weeklies Feb 4 (week 6) and Feb 1 (week 5); monthlies Feb 4 and Jan 31.
		"2026-02-04": {"2026-02-04", "2026-02-03", "2026-02-02", "2026-02-01", "2026-01-31"},
	}
	for d := range 10 { // Monday 26 January to Wednesday 4 February
		day := utc("2026-01-26T02:00:00Z").AddDate(0, 0, d)
		clock.Set(day)
		runBackups(t, q)
		days := scheduledDays(t, env, store, "acme")
		if len(days) == 0 || days[0] != day.Format("2006-01-02") {
			t.Fatalf("on %s the newest scheduled backup is of %v", day.Format("2006-01-02"), days)
		}
		if w, ok := want[days[0]]; ok && !slices.Equal(days, w) {
			t.Errorf("on %s the scheduled backups kept are of %v, want %v", days[0], days, w)
		}
	}
	list, err := env.Registry.Backups(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, b := range list {
		listed = append(listed, b.Name)
	}
	// A pruned backup's files are gone from the store.
	for _, name := range []string{"acme/20260126T020000Z", "acme/20260128T020000Z", "acme/20260130T020000Z"} {
		if slices.Contains(listed, name) {
			t.Errorf("backup %s is still listed", name)
		}
		if _, err := backup.ReadManifest(context.Background(), store, name); err == nil {
			t.Errorf("the pruned backup %s can still be read", name)
		}
	}
}

// A backup that fails (here the store refuses the tenant's folder) is retried, listed among
// the failed jobs with its error once given up, and taken when the store works again: the
// next look for due backups queues it again the same day. Other tenants' backups are taken
// meanwhile.
func TestFailingDailyBackupIsRetriedAndNotLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env, _ := testutil.NewTenant(t)
	env.NewTenant(t, "globex", "Globex")
	clock := &testClock{}
	clock.Set(utc("2026-03-02T01:00:00Z"))
	// A file where acme's backups folder would be: no backup of acme can be written.
	dir := t.TempDir()
	blocked := filepath.Join(dir, "backups", "acme")
	if err := os.MkdirAll(filepath.Dir(blocked), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocked, []byte("not a folder"), 0o640); err != nil {
		t.Fatal(err)
	}
	q, store := backupQueue(t, env, clock, backup.DefaultRetention, dir)
	runBackups(t, q)

	if days := scheduledDays(t, env, store, "acme"); len(days) != 0 {
		t.Fatalf("acme was backed up into a store that refuses it: %v", days)
	}
	if days := scheduledDays(t, env, store, "globex"); !slices.Equal(days, []string{"2026-03-02"}) {
		t.Errorf("globex's backups while acme's fail: %v", days)
	}
	failed, err := q.List(ctx, true, 100)
	if err != nil {
		t.Fatal(err)
	}
	var given *jobs.Job
	for i, j := range failed {
		if j.Kind == jobs.KindTenantBackup && j.Tenant == "acme" {
			given = &failed[i]
		}
	}
	if given == nil {
		t.Fatalf("acme's failed backup is not listed among the failed jobs: %+v", failed)
	}
	if given.State != "discarded" || given.Attempt != given.MaxAttempts || given.MaxAttempts < 2 || !strings.Contains(given.LastError, "back up acme") {
		t.Errorf("acme's failed backup job: state %s, attempt %d of %d, error %q", given.State, given.Attempt, given.MaxAttempts, given.LastError)
	}
	if q.Failures() < int64(given.MaxAttempts) {
		t.Errorf("%d failed attempts counted, want at least %d", q.Failures(), given.MaxAttempts)
	}
	if entries, err := os.ReadDir(filepath.Join(dir, "backups")); err != nil || len(entries) != 2 {
		t.Errorf("the store holds %v (%v); want acme's blocking file and globex's folder, nothing half-written", entries, err)
	}

	// The store works again: the next look, the same day, takes acme's backup.
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	clock.Set(utc("2026-03-02T02:00:00Z"))
	runBackups(t, q)
	if days := scheduledDays(t, env, store, "acme"); !slices.Equal(days, []string{"2026-03-02"}) {
		t.Errorf("acme's backups once the store works again: %v, want one of 2026-03-02", days)
	}
	if days := scheduledDays(t, env, store, "globex"); len(days) != 1 {
		t.Errorf("globex was backed up again the same day: %v", days)
	}
}
