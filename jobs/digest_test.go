package jobs_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/auth"
	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/jobs"
	"outlay/models"
	"outlay/tenancy"
)

// testClock is the clock the daily mails read in a test.
type testClock struct{ at atomic.Int64 }

func (c *testClock) Set(t time.Time) { c.at.Store(t.UnixNano()) }
func (c *testClock) Now() time.Time  { return time.Unix(0, c.at.Load()) }

// dailyQueue starts a job queue whose daily mails read clock.
func dailyQueue(t *testing.T, env *testutil.Env, srv *smtptest.Server, clock *testClock) *jobs.Queue {
	t.Helper()
	return testutil.StartJobsWith(t, env, smtpMailer(t, env, srv), func(o *jobs.Options) { o.Now = clock.Now })
}

// runDaily runs the daily mails of tn at the clock's time and waits for them to be delivered.
func runDaily(t *testing.T, q *jobs.Queue, tn tenancy.Tenant) {
	t.Helper()
	if err := q.DailyMailNow(context.Background(), tn.Slug); err != nil {
		t.Fatal(err)
	}
	testutil.WaitJobs(t, q)
}

func utc(s string) time.Time {
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return at
}

// A person who reads "waits for your approval" in the daily digest gets no mail when a step
// waits for them; from eight in the morning in the organisation's time zone, one mail lists
// every such event of the day before, and nothing of the kinds they read instantly. A second
// run the same local day sends nothing, and what happened since waits for the next day.
func TestDailyDigestGroupsTheDaysEventsOncePerLocalDay(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	clock := &testClock{}
	clock.Set(utc("2026-03-10T07:30:00Z")) // 07:30 in UTC, 08:30 in Berlin
	q := dailyQueue(t, env, srv, clock)
	db := env.DB(t, tn)
	ctx := context.Background()
	avery := env.CreateUser(t, tn, "avery@acme.example", "Avery Approver", "approver", "requester")
	riley := env.CreateUser(t, tn, "riley@acme.example", "Riley Requester", "requester")
	carl := env.CreateUser(t, tn, "carl@acme.example", "Carl Chief", "approver")
	for who, manager := range map[int64]int64{riley.ID: avery.ID, avery.ID: carl.ID} {
		if err := db.Exec(`UPDATE users SET manager_id = ? WHERE id = ?`, manager, who).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := models.SetNotificationPreferences(ctx, db, avery.ID, map[string]string{models.MailStepWaiting: models.DeliverDigest}); err != nil {
		t.Fatal(err)
	}

	n := &models.Notifier{OrgName: "Acme Corporation", BaseURL: "http://acme.localhost:8080"}
	nctx := models.WithNotifier(ctx, n)
	deliver := func() {
		t.Helper()
		if err := q.DeliverMail(ctx, tn.Slug, n.TakeQueued()...); err != nil {
			t.Fatal(err)
		}
		testutil.WaitJobs(t, q)
	}
	// Three requisitions wait for Avery, who reads that in the digest: no mail now.
	var numbers []string
	for _, amount := range []int64{12000, 34000, 56000} {
		r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: riley.ID, Lines: []testutil.RequisitionLine{{Amount: amount}}})
		testutil.SubmitRequisition(t, db.WithContext(nctx), r)
		numbers = append(numbers, *r.Number)
	}
	// Avery's own requisition waits for Carl (instantly), and its approval reaches Avery
	// instantly: that kind is not in the digest.
	own := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: avery.ID, Lines: []testutil.RequisitionLine{{Amount: 7800}}})
	out := testutil.SubmitRequisition(t, db.WithContext(nctx), own)
	if _, err := models.DecideStep(audit.WithActor(nctx, audit.Actor{Type: audit.ActorUser, ID: carl.ID}), db,
		models.Viewer{UserID: carl.ID, Roles: []string{"approver"}}, out.Steps[0].ID, models.Decision{Approve: true, Comment: "Fine"}); err != nil {
		t.Fatal(err)
	}
	deliver()
	got := srv.Wait(t, 2, 15*time.Second)
	wantTo(t, got, "carl@acme.example", "avery@acme.example")
	for _, m := range got {
		if m.To[0] == "avery@acme.example" && !strings.Contains(m.Subject, "was approved") {
			t.Errorf("Avery was mailed %q instantly; only the approval should be", m.Subject)
		}
	}
	var pending int64
	db.Model(&models.Notification{}).Where("recipient_id = ? AND digest_pending", avery.ID).Count(&pending)
	if pending != 3 {
		t.Fatalf("%d notifications wait for Avery's digest, want 3", pending)
	}
	// The events happened on 9 March (UTC).
	if err := db.Exec(`UPDATE notifications SET created_at = '2026-03-09T10:00:00Z'::timestamptz + id * interval '1 minute'
		WHERE recipient_id = ?`, avery.ID).Error; err != nil {
		t.Fatal(err)
	}

	// In UTC it is 07:30: the digest of 10 March is not due yet, and that of 9 March (cut off at
	// 08:00 on the 9th) has nothing from before its cutoff.
	runDaily(t, q, tn)
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("a digest went out before eight in the organisation's zone: %d messages", n)
	}
	// In Berlin it is 08:30: the digest is due.
	setZone(t, db, "Europe/Berlin")
	runDaily(t, q, tn)
	got = srv.Wait(t, 3, 15*time.Second)
	digest := got[2]
	wantTo(t, got[2:], "avery@acme.example")
	if digest.Subject != "Your daily digest from Acme Corporation: 3 notifications" {
		t.Errorf("digest subject %q", digest.Subject)
	}
	for _, num := range numbers {
		if strings.Count(digest.Body, "Requisition "+num+" from Riley Requester") != 1 {
			t.Errorf("the digest does not list %s once:\n%s", num, digest.Body)
		}
	}
	for _, want := range []string{"A request waits for your approval (3)", "$560.00", "Mon 9 Mar 11:", "(times in Europe/Berlin)",
		"http://acme.localhost:8080/approvals/", "http://acme.localhost:8080/settings/notifications"} {
		if !strings.Contains(digest.Body, want) {
			t.Errorf("the digest lacks %q:\n%s", want, digest.Body)
		}
	}
	if strings.Join(digest.Parts, " ") != "text/plain text/html" || strings.Count(digest.HTML, "<li") != 3 {
		t.Errorf("the digest: parts %v, HTML:\n%s", digest.Parts, digest.HTML)
	}
	if strings.Contains(digest.Body, *own.Number) || strings.Contains(digest.Body, "approved") {
		t.Errorf("the digest lists an event Avery reads instantly:\n%s", digest.Body)
	}
	// The digest's own unsubscribe link stops the kinds read in it, and only those.
	link := strings.Trim(digest.Header.Get("List-Unsubscribe"), "<>")
	if !strings.Contains(digest.Body, "Stop the daily digest: "+link) || !strings.HasPrefix(link, "http://acme.") || digest.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("the digest's unsubscribe link %q:\n%s", link, digest.Body)
	}
	_, token, _ := strings.Cut(link, "/unsubscribe/")
	u, err := models.ReadUnsubscribe(ctx, db, auth.NewSigner(env.Config.SecretKey), tn.Slug, token)
	if err != nil || u.UserID != avery.ID || u.Kind != models.MailDigest || strings.Join(u.Labels, ";") != "A request waits for your approval" {
		t.Errorf("the digest's link reads %+v, %v", u, err)
	}

	var day string
	db.Raw(`SELECT local_day::text FROM daily_mails WHERE user_id = ? AND kind = 'digest' AND mail_id IS NOT NULL`, avery.ID).Scan(&day)
	if day != "2026-03-10" {
		t.Errorf("the digest is marked for %q, want 2026-03-10", day)
	}

	// Another event before the cutoff, and runs later the same day (a retry, a second
	// server): nothing more is sent that day.
	late := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: riley.ID, Lines: []testutil.RequisitionLine{{Amount: 9900}}})
	testutil.SubmitRequisition(t, db.WithContext(nctx), late)
	if err := db.Exec(`UPDATE notifications SET created_at = '2026-03-10T06:00:00Z' WHERE recipient_id = ? AND digest_pending`, avery.ID).Error; err != nil {
		t.Fatal(err)
	}
	deliver()
	clock.Set(utc("2026-03-10T15:00:00Z"))
	runDaily(t, q, tn)
	runDaily(t, q, tn)
	if n := len(srv.Messages()); n != 3 {
		t.Fatalf("a second digest went out the same day: %d messages", n)
	}
	// The next morning it is in the next digest, alone.
	clock.Set(utc("2026-03-11T07:05:00Z"))
	runDaily(t, q, tn)
	got = srv.Wait(t, 4, 15*time.Second)
	if m := got[3]; m.To[0] != "avery@acme.example" || !strings.Contains(m.Subject, ": 1 notification") ||
		!strings.Contains(m.Body, *late.Number) || strings.Contains(m.Body, numbers[0]) {
		t.Errorf("next day's digest %q:\n%s", m.Subject, m.Body)
	}
	testutil.WaitJobs(t, q)
	if n := len(srv.Messages()); n != 4 {
		t.Errorf("%d messages, want 4", n)
	}
}

func setZone(t *testing.T, db *gorm.DB, zone string) {
	t.Helper()
	if err := db.Exec(`UPDATE org_settings SET time_zone = ?`, zone).Error; err != nil {
		t.Fatal(err)
	}
}
