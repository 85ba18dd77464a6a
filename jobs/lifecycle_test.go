package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/backup"
	"outlay/internal/dbtest"
	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/jobs"
	"outlay/models"
	"outlay/storage"
	"outlay/tenancy"
)

const day = 24 * time.Hour

// runLifecycle runs the lifecycle job at the clock's time and waits for it and the mail it
// queues. Dropping a database waits for a checkpoint, which a busy server takes its time
// over: the wait is long.
func runLifecycle(t *testing.T, q *jobs.Queue) {
	t.Helper()
	if err := q.LifecycleNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	dbtest.WaitFor(t, 3*time.Minute, "finished the lifecycle job", func() bool {
		depth, err := q.Depth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return depth["available"]+depth["running"]+depth["retryable"]+depth["pending"] == 0
	})
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), testutil.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ok bool
	if err := conn.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// A tenant lapsed on 1 January with a 90-day window is left alone by the purge job until
// its window ends, even a second before; from then the job drops its database, deletes its
// attachments and its backups, and keeps a record naming who lapsed it and how much was deleted. Its jobs
// are dropped from then on.
func TestPurgeJobWaitsForTheWindowThenPurges(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	env.CreateUser(t, tn, "ana@acme.example", "Ana Admin", "admin")
	env.CreateUser(t, tn, "rob@acme.example", "Rob Requester", "requester")
	ctx := context.Background()
	blobs, err := storage.Open(ctx, env.Config.BlobURL)
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	receipt := storage.Key(tn.Slug, strings.Repeat("ab", 32))
	if err := blobs.Put(ctx, receipt, bytes.NewReader([]byte("%PDF-1.4 receipt")), "application/pdf"); err != nil {
		t.Fatal(err)
	}
	other := env.NewTenant(t, "globex", "Globex")
	otherFile := storage.Key(other.Slug, strings.Repeat("cd", 32))
	if err := blobs.Put(ctx, otherFile, bytes.NewReader([]byte("%PDF-1.4 other")), "application/pdf"); err != nil {
		t.Fatal(err)
	}

	// Backups: one of the tenant in the attachment store and one in the backup store (each
	// listed by the control plane), the files of a backup that failed before it was listed,
	// and one of the other tenant, which the purge leaves.
	backupDir := t.TempDir()
	env.Config.BackupURL = "file://" + backupDir
	service := &backup.Service{Registry: env.Registry, Secret: env.Config.SecretKey, Attachments: blobs, Logger: env.Logger}
	inAttachments, inBackups := openBackupStore(t, env.Config.BlobURL), openBackupStore(t, env.Config.BackupURL)
	takeBackup := func(slug string, store *backup.Store, at string) *backup.Manifest {
		t.Helper()
		service.Now = func() time.Time { return utc(at) }
		m, err := service.Backup(ctx, slug, store, tenancy.BackupManual)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ours := []*backup.Manifest{takeBackup(tn.Slug, inAttachments, "2025-12-01T02:00:00Z"), takeBackup(tn.Slug, inBackups, "2025-12-02T02:00:00Z")}
	theirs := takeBackup(other.Slug, inAttachments, "2025-12-01T02:00:00Z")
	stray := filepath.Join(backupDir, "backups", tn.Slug, "20251130T020000Z", backup.DumpFile)
	if err := os.MkdirAll(filepath.Dir(stray), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stray, []byte("part of a dump"), 0o644); err != nil {
		t.Fatal(err)
	}

	lapsedAt := utc("2026-01-01T09:00:00Z")
	if err := env.Registry.Lapse(ctx, tn.Slug, "olga@ops", lapsedAt, 90*day); err != nil {
		t.Fatal(err)
	}
	purgeAt := lapsedAt.Add(90 * day)
	clock := &testClock{}
	clock.Set(purgeAt.Add(-time.Second))
	q := dailyQueue(t, env, srv, clock)
	runLifecycle(t, q)
	if got, _ := env.Registry.Lookup(tn.Slug); got.Status != tenancy.StatusLapsed || !databaseExists(t, tn.DatabaseName) {
		t.Fatalf("a second before its window ends the tenant is %s (database there: %v)", got.Status, databaseExists(t, tn.DatabaseName))
	}
	if ok, _ := blobs.Exists(ctx, receipt); !ok {
		t.Fatal("the attachments were deleted before the window ended")
	}
	if list, err := env.Registry.Backups(ctx, tn.Slug); err != nil || len(list) != 2 {
		t.Fatalf("backups before the window ended: %v, %v; want 2", list, err)
	}
	if purges, err := env.Registry.Purges(ctx); err != nil || len(purges) != 0 {
		t.Fatalf("purge records before the window ended: %v %v", purges, err)
	}

	clock.Set(purgeAt)
	runLifecycle(t, q)
	if err := env.Registry.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := env.Registry.Lookup(tn.Slug); got.Status != tenancy.StatusPurged {
		t.Fatalf("when the window ends the tenant is %s, want purged", got.Status)
	}
	if databaseExists(t, tn.DatabaseName) {
		t.Error("the purged tenant's database is still there")
	}
	if ok, _ := blobs.Exists(ctx, receipt); ok {
		t.Error("the purged tenant's attachment is still there")
	}
	if ok, _ := blobs.Exists(ctx, otherFile); !ok {
		t.Error("another tenant's attachment went with the purge")
	}
	// Nor is an empty folder of the purged tenant's left in either store; the other
	// tenant's stay.
	blobDir := strings.TrimPrefix(env.Config.BlobURL, "file://")
	for _, gone := range []string{filepath.Join(blobDir, tn.Slug), filepath.Join(blobDir, "backups", tn.Slug), filepath.Join(backupDir, "backups", tn.Slug)} {
		if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the purged tenant's folder %s is still there: %v", gone, err)
		}
	}
	for _, kept := range []string{filepath.Join(blobDir, other.Slug), filepath.Join(blobDir, "backups", other.Slug)} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("another tenant's folder %s went with the purge: %v", kept, err)
		}
	}
	// The backups went with the data, listed or not, in both stores; the other tenant's stayed.
	if list, err := env.Registry.Backups(ctx, tn.Slug); err != nil || len(list) != 0 {
		t.Errorf("the control plane still lists backups of the purged tenant: %v, %v", list, err)
	}
	for i, store := range []*backup.Store{inAttachments, inBackups} {
		if _, err := backup.ReadManifest(ctx, store, ours[i].Name); err == nil {
			t.Errorf("backup %s of the purged tenant can still be read", ours[i].Name)
		}
	}
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file of a backup of the purged tenant is still there: %v", err)
	}
	if _, err := backup.ReadManifest(ctx, inAttachments, theirs.Name); err != nil {
		t.Errorf("another tenant's backup went with the purge: %v", err)
	}
	if list, err := env.Registry.Backups(ctx, other.Slug); err != nil || len(list) != 1 {
		t.Errorf("the other tenant's backups: %v, %v; want 1", list, err)
	}
	if got, _ := env.Registry.Lookup(other.Slug); got.Status != tenancy.StatusActive || !databaseExists(t, other.DatabaseName) {
		t.Errorf("another tenant was touched by the purge: %s", got.Status)
	}
	purges, err := env.Registry.Purges(ctx)
	if err != nil || len(purges) != 1 {
		t.Fatalf("purge records: %v %v", purges, err)
	}
	p := purges[0]
	if p.Slug != tn.Slug || p.LapsedBy != "olga@ops" || !p.LapsedAt.Equal(lapsedAt) || p.PurgedBy != jobs.PurgeJobActor || p.Forced ||
		p.Attachments != 1 || p.Backups != 2 || p.TableRows["users"] != 2 || p.Rows < 2 || p.DatabaseName != tn.DatabaseName {
		t.Errorf("purge record %+v", p)
	}

	// A job of the purged tenant is dropped, not retried: the notice the admin got a second
	// before the purge is the only mail.
	if err := q.DeliverMail(ctx, tn.Slug, 1); err != nil {
		t.Fatal(err)
	}
	testutil.WaitJobs(t, q)
	if got := srv.Messages(); len(got) != 1 || !strings.Contains(got[0].Subject, "will be deleted") {
		t.Errorf("mails sent: %+v", got)
	}
}

// A lapsed tenant's admins are told 30, 7 and 1 day before the purge, in the app and by mail,
// each notice once however often the job runs; other people are not told.
func TestAdminsAreToldThirtySevenAndOneDayBeforeThePurge(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	ana := env.CreateUser(t, tn, "ana@acme.example", "Ana Admin", "admin")
	rob := env.CreateUser(t, tn, "rob@acme.example", "Rob Requester", "requester")
	ctx := context.Background()
	lapsedAt := utc("2026-01-01T09:00:00Z")
	if err := env.Registry.Lapse(ctx, tn.Slug, "olga@ops", lapsedAt, 90*day); err != nil {
		t.Fatal(err)
	}
	purgeAt := lapsedAt.Add(90 * day)
	clock := &testClock{}
	clock.Set(purgeAt.Add(-31 * day))
	q := dailyQueue(t, env, srv, clock)
	db := env.DB(t, tn)
	runLifecycle(t, q)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d notices 31 days ahead", n)
	}
	for i, at := range []time.Time{purgeAt.Add(-30 * day), purgeAt.Add(-7*day + time.Hour), purgeAt.Add(-1 * day)} {
		clock.Set(at)
		runLifecycle(t, q)
		runLifecycle(t, q)
		got := srv.Wait(t, i+1, 15*time.Second)
		if len(got) != i+1 {
			t.Fatalf("after notice %d: %d mails", i+1, len(got))
		}
		m := got[i]
		left := []string{"in 30 days", "in 6 days", "in 1 day"}[i]
		if m.To[0] != ana.Email || !strings.Contains(m.Subject, "will be deleted on 1 April 2026") || !strings.Contains(m.Body, left) ||
			!strings.Contains(m.Body, "http://acme.localhost:8080/admin/export") {
			t.Errorf("notice %d to %v: %q\n%s", i+1, m.To, m.Subject, m.Body)
		}
	}
	var notes []models.Notification
	db.Where("kind = ?", models.MailPurgeNotice).Order("id").Find(&notes)
	if len(notes) != 3 || notes[0].RecipientID != ana.ID || notes[2].LinkPath != "/admin/export" {
		t.Errorf("in-app notices %+v", notes)
	}
	var robs int64
	db.Model(&models.Notification{}).Where("recipient_id = ?", rob.ID).Count(&robs)
	if robs != 0 {
		t.Errorf("a requester got %d notices", robs)
	}
	clock.Set(purgeAt.Add(-time.Hour))
	runLifecycle(t, q)
	if n := len(srv.Messages()); n != 3 {
		t.Errorf("%d mails in all, want 3", n)
	}
}

// A suspended or lapsed tenant's jobs change nothing: its waiting mail stays in the outbox
// (and goes out once it is active again). A reset request issues no link while it is
// suspended; while it is lapsed, it does, so that its people can sign in to export.
func TestJobsOfASuspendedOrLapsedTenantWriteNothing(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	env.CreateUser(t, tn, "ana@acme.example", "Ana Admin", "admin")
	ctx := context.Background()
	q := testutil.StartJobs(t, env, smtpMailer(t, env, srv))
	db := env.DB(t, tn)
	id := queueMail(t, db, "someone@example.com", "Waiting")
	for _, lapse := range []bool{false, true} {
		var err error
		if lapse {
			err = env.Registry.Lapse(ctx, tn.Slug, "olga@ops", time.Now(), 90*day)
		} else {
			err = env.Registry.Suspend(ctx, tn.Slug, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := q.DeliverMail(ctx, tn.Slug, id); err != nil {
			t.Fatal(err)
		}
		if err := q.RequestPasswordReset(ctx, tn.Slug, "ana@acme.example"); err != nil {
			t.Fatal(err)
		}
		testutil.WaitJobs(t, q)
		if m, err := models.GetMail(ctx, db, id); err != nil || m.Status != "queued" || m.Attempts != 0 {
			t.Errorf("lapsed %v: the mail is %+v (%v), want still queued", lapse, m, err)
		}
		// A lapsed tenant's people may still reset a password, to sign in and export before
		// the purge: the link is issued and mailed. A suspended tenant's are not.
		var resets int64
		db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ?`, models.MailPasswordReset).Scan(&resets)
		want := int64(0)
		if lapse {
			want = 1
			srv.Wait(t, 1, 30*time.Second)
		}
		if resets != want || int64(len(srv.Messages())) != want {
			t.Errorf("lapsed %v: %d reset links, %d mails sent; want %d", lapse, resets, len(srv.Messages()), want)
		}
		if err := env.Registry.Reactivate(ctx, tn.Slug); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.SweepNow(ctx, tn.Slug); err != nil {
		t.Fatal(err)
	}
	waitMailStatus(t, db, id, func(m *models.OutboxMail) bool { return m.Status == "sent" })
}

func openBackupStore(t *testing.T, url string) *backup.Store {
	t.Helper()
	store, err := backup.OpenStore(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}
