package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/jobs"
	"outlay/models"
	"outlay/tenancy"
)

// twoServers is a deployment served by two app servers, as two `outlay serve` processes on
// one control database would be: each its own registry, tenant pools, job workers (River
// clients on the same queue) and web app, both mailing through one SMTP server. Rita's
// requisitions wait for Max, who is signed in on both.
type twoServers struct {
	srv      *smtptest.Server
	db       *gorm.DB
	control  string // the control database's DSN, where the job queue lives
	apps     [2]*testutil.App
	max      [2]*testutil.Client
	steps    []int64
	numbers  []string
	ritaMail string
}

func startTwoServers(t *testing.T, pending int) *twoServers {
	t.Helper()
	ts := &twoServers{srv: smtptest.Start(t), ritaMail: "rita@acme.example"}
	env, tn := testutil.NewTenant(t)
	// Retries come a tenth of a second apart (testutil.StartJobs): enough attempts that a
	// mail outlasts a few seconds of its server being down.
	env.Config.MailAttempts = 60
	mailer := smtpMailer(t, env, ts.srv)
	ts.apps[0] = testutil.NewAppMailer(t, env, mailer)
	ts.control = env.ControlDSN
	registry, err := tenancy.OpenRegistry(context.Background(), env.ControlDSN, env.Logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(registry.Close)
	counter := &tenancy.QueryCounter{}
	pools := tenancy.NewPools(20, 4, env.Config.SecretKey, counter, env.Logger)
	t.Cleanup(pools.Close)
	ts.apps[1] = testutil.NewAppMailer(t, &testutil.Env{ControlDSN: env.ControlDSN, Config: env.Config, Registry: registry,
		Pools: pools, Logger: env.Logger, Counter: counter}, mailer)

	ts.db = env.DB(t, tn)
	max := env.CreateUser(t, tn, "max@acme.example", "Max Manager", "approver")
	rita := env.CreateUser(t, tn, ts.ritaMail, "Rita Requester", "requester")
	if err := ts.db.Model(rita).Update("manager_id", max.ID).Error; err != nil {
		t.Fatal(err)
	}
	for i := range pending {
		r := testutil.CreateRequisition(t, ts.db, testutil.Requisition{RequesterID: rita.ID, Lines: []testutil.RequisitionLine{{Amount: int64(1000 + i)}}})
		ts.steps = append(ts.steps, testutil.SubmitRequisition(t, ts.db, r).Steps[0].ID)
		ts.numbers = append(ts.numbers, *r.Number)
	}
	for i, app := range ts.apps {
		c := app.Client(t, "acme")
		c.SignIn("max@acme.example", testutil.Password)
		c.Get("/approvals")
		c.Header.Set("HX-Request", "true")
		ts.max[i] = c
	}
	return ts
}

// approveAll has Max approve every pending step, each on the other server than the last;
// each approval mails Rita once.
func (ts *twoServers) approveAll(t *testing.T) {
	t.Helper()
	for i, step := range ts.steps {
		if res := ts.max[i%2].Post(fmt.Sprintf("/approvals/%d/approve", step), nil); res.Status != http.StatusOK {
			t.Fatalf("approve step %d on server %d: %d", step, i%2+1, res.Status)
		}
	}
}

// wantEachApprovalMailedOnce checks that Rita received exactly one "was approved" mail for
// each requisition and nothing else, and that the outbox has each one sent.
func (ts *twoServers) wantEachApprovalMailedOnce(t *testing.T) {
	t.Helper()
	ts.srv.Wait(t, len(ts.numbers), 30*time.Second)
	for _, app := range ts.apps {
		app.WaitJobs(t)
	}
	// A duplicate would come from a sweep after the sends: wait for two sweeps queued since
	// to have run.
	ts.waitSweeps(t, 2)
	for _, app := range ts.apps {
		app.WaitJobs(t)
	}
	seen := map[string]int{}
	for _, m := range ts.srv.Messages() {
		if len(m.To) != 1 || m.To[0] != ts.ritaMail {
			t.Errorf("a mail to %v: %q", m.To, m.Subject)
		}
		seen[m.Subject]++
	}
	for _, number := range ts.numbers {
		if subject := "Your requisition " + number + " was approved"; seen[subject] != 1 {
			t.Errorf("%q arrived %d times, want once", subject, seen[subject])
		}
	}
	if len(seen) != len(ts.numbers) {
		t.Errorf("%d distinct mails arrived, want %d: %v", len(seen), len(ts.numbers), seen)
	}
	var states []struct {
		Status string
		N      int
	}
	ts.db.Raw(`SELECT status, count(*) AS n FROM mail_outbox WHERE kind = ? GROUP BY status`, models.MailDecided).Scan(&states)
	if len(states) != 1 || states[0].Status != models.MailSent || states[0].N != len(ts.numbers) {
		t.Errorf("outbox %+v, want %d sent", states, len(ts.numbers))
	}
}

// waitSweeps waits until n outbox sweeps queued from now on have completed, on either server.
func (ts *twoServers) waitSweeps(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, ts.control)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var mark int64
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM river_job`).Scan(&mark); err != nil {
		t.Fatal(err)
	}
	dbtest.WaitFor(t, 30*time.Second, fmt.Sprintf("%d outbox sweeps ran", n), func() bool {
		var done int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed' AND id > $2`,
			jobs.KindSweepMail, mark).Scan(&done)
		if err != nil {
			t.Fatal(err)
		}
		return done >= n
	})
}

// Two app servers serve the approvals, alternately, while both work the one queue and sweep
// the outbox every second: each approval's mail arrives exactly once.
func TestTwoServersMailEachApprovalOnce(t *testing.T) {
	ts := startTwoServers(t, 24)
	ts.approveAll(t)
	ts.wantEachApprovalMailedOnce(t)
}

// With the SMTP server down (its port refusing connections) while two servers' approvals
// queue their mails, every mail is tried and refused, then arrives exactly once when the
// server comes back.
func TestMailQueuedWhileSMTPIsDownArrivesOnceWhenItReturns(t *testing.T) {
	ts := startTwoServers(t, 12)
	ts.srv.Stop()
	ts.approveAll(t)
	dbtest.WaitFor(t, 20*time.Second, "every mail refused twice", func() bool {
		var refused int
		ts.db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ? AND status = ? AND attempts >= 2 AND last_error LIKE '%connect to SMTP server%'`,
			models.MailDecided, models.MailQueued).Scan(&refused)
		return refused == len(ts.steps)
	})
	if n := len(ts.srv.Messages()); n != 0 {
		t.Fatalf("%d mails arrived while the server was down", n)
	}
	var sent int64
	ts.db.Raw(`SELECT count(*) FROM mail_outbox WHERE status <> ?`, models.MailQueued).Scan(&sent)
	if sent != 0 {
		t.Errorf("%d mails left the queue while the server was down", sent)
	}
	ts.srv.Restart(t)
	ts.wantEachApprovalMailedOnce(t)
	var failedAttempts int
	ts.db.Raw(`SELECT min(attempts) FROM mail_outbox`).Scan(&failedAttempts)
	if failedAttempts < 3 {
		t.Errorf("a mail was sent after %d attempts; each was refused at least twice first", failedAttempts)
	}
}
