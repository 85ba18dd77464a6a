package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/poll"
	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/jobs"
	"outlay/mail"
	"outlay/models"
	"outlay/tenancy"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// smtpMailer sends to srv as an app server configured with OUTLAY_SMTP_URL would.
func smtpMailer(t *testing.T, env *testutil.Env, srv *smtptest.Server) mail.Mailer {
	t.Helper()
	env.Config.SMTPURL = srv.URL()
	m, err := mail.New(srv.URL(), env.Config.MailFrom, env.Logger)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// queueMail commits one mail to the tenant's outbox, as a change would.
func queueMail(t *testing.T, db *gorm.DB, to, subject string) int64 {
	t.Helper()
	id, err := models.QueueMail(context.Background(), db, "test", mail.Message{To: to, Subject: subject, Body: "Hello " + to}, false)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitMailStatus waits until outbox mail id is in one of the states, and returns it.
func waitMailStatus(t *testing.T, db *gorm.DB, id int64, cond func(*models.OutboxMail) bool) *models.OutboxMail {
	t.Helper()
	var m *models.OutboxMail
	poll.Until(t, fmt.Sprintf("mail %d", id), 20*time.Second, func() error {
		var err error
		if m, err = models.GetMail(context.Background(), db, id); err != nil {
			return err
		}
		if !cond(m) {
			return fmt.Errorf("it stayed %s after %d attempts (%s)", m.Status, m.Attempts, m.LastError)
		}
		return nil
	})
	return m
}

// A reset is asked for a known and an unknown address through the same path: each request
// queues one job and answers at once with the same page; only the known address gets mail.
func TestResetRequestsTakeOnePathAndMailOnlyKnownAddresses(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	app := testutil.NewAppMailer(t, env, smtpMailer(t, env, srv))
	env.CreateUser(t, tn, "ana@acme.example", "Ana Admin", "admin")

	ask := func(email string) (int, string) {
		c := app.Client(t, "acme")
		c.Get("/password/forgot")
		res := c.Post("/password/forgot", url.Values{"email": {email}})
		return res.Status, strings.ReplaceAll(res.Text("main"), email, "<email>")
	}
	knownStatus, knownPage := ask("ana@acme.example")
	unknownStatus, unknownPage := ask("nobody@acme.example")
	if knownStatus != 200 || knownStatus != unknownStatus || knownPage != unknownPage || !strings.Contains(knownPage, "Check your email") {
		t.Errorf("the answers differ: %d %q / %d %q", knownStatus, knownPage, unknownStatus, unknownPage)
	}
	list, err := app.Jobs.List(context.Background(), false, 100)
	if err != nil {
		t.Fatal(err)
	}
	var resets []string
	for _, j := range list {
		if j.Kind == jobs.KindPasswordReset {
			resets = append(resets, fmt.Sprint(j.Args["email"]))
		}
	}
	if len(resets) != 2 {
		t.Errorf("reset jobs queued for %v, want one for each request", resets)
	}
	app.WaitJobs(t)
	got := srv.Wait(t, 1, 15*time.Second)
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "ana@acme.example" || !strings.Contains(got[0].Body, "/password/reset/") {
		t.Fatalf("mail sent: %+v", got)
	}
	db := env.DB(t, tn)
	var rows []models.OutboxMail
	db.Raw(`SELECT * FROM mail_outbox`).Scan(&rows)
	if len(rows) != 1 || rows[0].Status != models.MailSent || rows[0].Body != "" {
		t.Errorf("outbox %+v: want one sent mail whose link is erased", rows)
	}
}

// A mail whose SMTP server is down is retried, and arrives once the server is back.
func TestMailArrivesAfterTheSMTPServerReturns(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	q := testutil.StartJobs(t, env, smtpMailer(t, env, srv))
	db := env.DB(t, tn)
	srv.Stop()
	id := queueMail(t, db, "ivy@acme.example", "While the server was down")
	if err := q.DeliverMail(context.Background(), tn.Slug, id); err != nil {
		t.Fatal(err)
	}
	failing := waitMailStatus(t, db, id, func(m *models.OutboxMail) bool { return m.Attempts >= 3 })
	if failing.Status != models.MailQueued || !strings.Contains(failing.LastError, "connect to SMTP server") {
		t.Errorf("while down: %+v", failing)
	}
	srv.Restart(t)
	got := srv.Wait(t, 1, 15*time.Second)
	if got[0].Subject != "While the server was down" {
		t.Errorf("arrived %+v", got[0])
	}
	sent := waitMailStatus(t, db, id, func(m *models.OutboxMail) bool { return m.Status == models.MailSent })
	if sent.SentAt == nil || sent.LastError != "" {
		t.Errorf("sent mail %+v", sent)
	}
	testutil.WaitJobs(t, q)
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// Two app servers on one control database share the queue: every mail arrives exactly once,
// even when both also sweep the outboxes at the same time.
func TestTwoServersDeliverEachMailOnce(t *testing.T) {
	srv := smtptest.Start(t)
	env := testutil.NewEnv(t)
	acme, globex := env.NewTenant(t, "acme", "Acme"), env.NewTenant(t, "globex", "Globex")
	mailer := smtpMailer(t, env, srv)
	first := testutil.StartJobs(t, env, mailer)

	// The second server has its own registry and pools, as another process would.
	registry, err := tenancy.OpenRegistry(context.Background(), env.ControlDSN, env.Logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(registry.Close)
	pools := tenancy.NewPools(20, 4, env.Config.SecretKey, nil, env.Logger)
	t.Cleanup(pools.Close)
	second := testutil.StartJobs(t, &testutil.Env{ControlDSN: env.ControlDSN, Config: env.Config, Registry: registry, Pools: pools, Logger: env.Logger}, mailer)

	ctx := context.Background()
	const perTenant = 15
	want := map[string]bool{}
	for _, tn := range []tenancy.Tenant{acme, globex} {
		db := env.DB(t, tn)
		for i := 0; i < perTenant; i++ {
			subject := fmt.Sprintf("%s mail %d", tn.Slug, i)
			want[subject] = true
			id := queueMail(t, db, "someone@example.com", subject)
			q := first
			if i%2 == 1 {
				q = second
			}
			if err := q.DeliverMail(ctx, tn.Slug, id); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []*jobs.Queue{first, second} {
			if err := q.SweepNow(ctx, tn.Slug); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv.Wait(t, len(want), 20*time.Second)
	testutil.WaitJobs(t, first)
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		seen[m.Subject]++
	}
	for subject := range want {
		if seen[subject] != 1 {
			t.Errorf("%q arrived %d times", subject, seen[subject])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d distinct mails arrived, want %d", len(seen), len(want))
	}
}

// A change that rolls back queues no mail; one committed without its job being queued (the
// process stopped in between) is still sent, by the outbox sweep.
func TestRolledBackChangesMailNobodyAndCommittedOnesAlwaysMail(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	q := testutil.StartJobs(t, env, smtpMailer(t, env, srv))
	db := env.DB(t, tn)
	ctx := context.Background()
	compose := func(u *models.User, token string) mail.Message {
		return mail.Invitation(u.Email, u.Name, "Acme", "", "http://acme.localhost:8080/password/reset/"+token, models.InvitationTTL)
	}
	rollback := errors.New("the rest of the change failed")
	err := db.Transaction(func(tx *gorm.DB) error {
		if _, _, _, err := models.InviteUserWithMail(ctx, tx, models.ByOperator(), models.NewUser{Email: "ivy@acme.example", Name: "Ivy", Roles: []string{"requester"}}, models.InvitationTTL, compose); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("transaction: %v", err)
	}
	// Committed, but its delivery never queued.
	if _, _, _, err := models.InviteUserWithMail(ctx, db, models.ByOperator(), models.NewUser{Email: "bo@acme.example", Name: "Bo", Roles: []string{"requester"}}, models.InvitationTTL, compose); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 20*time.Second) // the sweep runs every second in tests
	if err := q.SweepNow(ctx, tn.Slug); err != nil {
		t.Fatal(err)
	}
	testutil.WaitJobs(t, q)
	got = srv.Messages()
	if len(got) != 1 || got[0].To[0] != "bo@acme.example" {
		t.Errorf("mail sent: %+v", got)
	}
	var rows int64
	db.Raw(`SELECT count(*) FROM mail_outbox WHERE recipient = 'ivy@acme.example'`).Scan(&rows)
	if rows != 0 {
		t.Errorf("a rolled-back invitation left %d outbox rows", rows)
	}
}

// A mail that keeps failing is given up after its attempts and listed as failed.
func TestAMailThatKeepsFailingIsListedAsFailed(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	env.Config.MailAttempts = 3
	app := testutil.NewAppMailer(t, env, smtpMailer(t, env, srv))
	q := app.Jobs
	srv.Stop()
	db := env.DB(t, tn)
	id := queueMail(t, db, "ivy@acme.example", "Never arrives")
	if err := q.DeliverMail(context.Background(), tn.Slug, id); err != nil {
		t.Fatal(err)
	}
	failed := waitMailStatus(t, db, id, func(m *models.OutboxMail) bool { return m.Status == models.MailFailed })
	if failed.Attempts != 3 || failed.FailedAt == nil || !strings.Contains(failed.LastError, "connect to SMTP server") {
		t.Errorf("failed mail %+v", failed)
	}
	testutil.WaitJobs(t, q)
	list, err := q.List(context.Background(), true, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Kind != jobs.KindDeliverMail || jobs.StateLabel(list[0].State) != "failed" || list[0].Tenant != "acme" ||
		list[0].Attempt != 3 || !strings.Contains(list[0].LastError, "connect to SMTP server") {
		t.Errorf("failed jobs %+v", list)
	}
	depth, err := q.Depth(context.Background())
	if err != nil || depth["discarded"] != 1 {
		t.Errorf("depth %v %v", depth, err)
	}
	if q.Failures() < 3 {
		t.Errorf("%d failures counted", q.Failures())
	}
	app.Config.MetricsToken = "scrape-me-scrape-me"
	scraper := app.Client(t, "acme")
	scraper.Header.Set("Authorization", "Bearer scrape-me-scrape-me")
	metrics := scraper.Get("/metrics").Body
	for _, want := range []string{`outlay_jobs{state="discarded"} 1`, `outlay_jobs{state="available"} 0`, `outlay_job_failures_total 3`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Once given up, the sweep leaves it alone.
	if err := q.SweepNow(context.Background(), tn.Slug); err != nil {
		t.Fatal(err)
	}
	testutil.WaitJobs(t, q)
	if again, _ := q.List(context.Background(), true, 10); len(again) != 1 {
		t.Errorf("a given-up mail was queued again: %+v", again)
	}
}

// Without a mail server the demo's terminal shows each mail's recipient, subject and links.
func TestLogMailerPrintsRecipientSubjectAndLinks(t *testing.T) {
	var out strings.Builder
	m := &mail.LogMailer{Logger: slog.New(slog.DiscardHandler), Out: &out}
	msg := mail.Invitation("ivy@acme.example", "Ivy", "Acme", "Ana", "http://acme.localhost:8080/password/reset/abc_123", models.InvitationTTL)
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"To:      ivy@acme.example", "Subject: You are invited to Acme on Outlay", "Link:    http://acme.localhost:8080/password/reset/abc_123\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed mail lacks %q:\n%s", want, out.String())
		}
	}
}
