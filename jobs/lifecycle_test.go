package jobs_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
// attachments and keeps a record naming who lapsed it and how much was deleted. Its jobs
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
	if got, _ := env.Registry.Lookup(other.Slug); got.Status != tenancy.StatusActive || !databaseExists(t, other.DatabaseName) {
		t.Errorf("another tenant was touched by the purge: %s", got.Status)
	}
	purges, err := env.Registry.Purges(ctx)
	if err != nil || len(purges) != 1 {
		t.Fatalf("purge records: %v %v", purges, err)
	}
	p := purges[0]
	if p.Slug != tn.Slug || p.LapsedBy != "olga@ops" || !p.LapsedAt.Equal(lapsedAt) || p.PurgedBy != jobs.PurgeJobActor || p.Forced ||
		p.Attachments != 1 || p.TableRows["users"] != 2 || p.Rows < 2 || p.DatabaseName != tn.DatabaseName {
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
// (and goes out once it is active again) and a reset request issues no link.
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
		var resets int64
		db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ?`, models.MailPasswordReset).Scan(&resets)
		if resets != 0 || len(srv.Messages()) != 0 {
			t.Errorf("lapsed %v: %d reset links, %d mails sent", lapse, resets, len(srv.Messages()))
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
