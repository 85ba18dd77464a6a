package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/poll"
	"outlay/internal/testutil"
	"outlay/jobs"
	"outlay/mail"
)

// Requests queue their mail without waiting (QueueMail): the mails gathered meanwhile go in as
// one insert, every mail gets one delivery job (a mail queued twice too), and Stop inserts
// what is still gathering.
func TestQueuedMailGoesInBatchesAndStopInsertsTheRest(t *testing.T) {
	env := testutil.NewEnv(t)
	ctx := context.Background()
	q, err := jobs.Open(ctx, jobs.Options{Config: env.Config, Registry: env.Registry, Pools: env.Pools, Logger: env.Logger})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = q.Stop(ctx)
		}
	})
	control, err := pgx.Connect(ctx, env.ControlDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { control.Close(ctx) })
	// The tenant's delivery jobs, the mails they carry, and the inserts (transactions) that
	// made them.
	jobsOf := func(tenant string) (jobCount, mails, inserts int) {
		t.Helper()
		err := control.QueryRow(ctx, `SELECT count(*), count(DISTINCT args ->> 'mail_id'), count(DISTINCT xmin::text)
			FROM river_job WHERE kind = $1 AND args ->> 'tenant' = $2`, jobs.KindDeliverMail, tenant).Scan(&jobCount, &mails, &inserts)
		if err != nil {
			t.Fatal(err)
		}
		return jobCount, mails, inserts
	}
	ids := func(from, n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(from + i)
		}
		return out
	}

	// 1,200 mails at once: three inserts of at most 500.
	q.QueueMail("acme", ids(1, 1200)...)
	waitFor(t, "1,200 mail jobs", func() bool { _, n, _ := jobsOf("acme"); return n == 1200 })
	if jobCount, _, inserts := jobsOf("acme"); inserts != 3 || jobCount != 1200 {
		t.Errorf("1,200 mails queued at once went in as %d jobs with %d inserts, want 1,200 jobs in 3", jobCount, inserts)
	}

	// 40 requests at once, five mails each, one of them twice in its request: every mail gets
	// one job, and WaitJobs-style callers see nothing gathering once they are in.
	var wg sync.WaitGroup
	for r := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.QueueMail("globex", append(ids(r*5+1, 5), int64(r*5+1))...)
		}()
	}
	wg.Wait()
	waitFor(t, "200 mail jobs", func() bool { _, n, _ := jobsOf("globex"); return n == 200 && q.MailGathering() == 0 })
	if jobCount, _, inserts := jobsOf("globex"); jobCount != 200 || inserts > 40 {
		t.Errorf("40 requests' 200 mails went in as %d jobs with %d inserts; want a job each", jobCount, inserts)
	}

	// A batch gathers for its linger: on a queue whose linger outlasts the test, mails queued
	// one request after another, each once the queue holds the one before, all wait, none of
	// them inserted, and Stop inserts them in one go. Inserted as soon as they came, they went
	// in over several inserts, the first before the last mail was queued.
	lingering, err := jobs.Open(ctx, jobs.Options{Config: env.Config, Registry: env.Registry, Pools: env.Pools, Logger: env.Logger, MailLinger: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		lingering.QueueMail("hooli", int64(i+1))
		waitFor(t, "the mail gathering", func() bool {
			_, n, _ := jobsOf("hooli")
			return n+lingering.MailGathering() >= i+1
		})
	}
	if jobCount, _, _ := jobsOf("hooli"); jobCount != 0 {
		t.Errorf("%d of 40 mails went in while their batch was still gathering", jobCount)
	}
	if err := lingering.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if jobCount, _, inserts := jobsOf("hooli"); jobCount != 40 || inserts != 1 {
		t.Errorf("40 mails gathered went in as %d jobs with %d inserts; want 40 in one", jobCount, inserts)
	}

	// What is queued before the queue stops is inserted by Stop; mail queued after it waits
	// in the outbox for the sweep.
	q.QueueMail("initech", ids(1, 7)...)
	if err := q.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if _, n, _ := jobsOf("initech"); n != 7 {
		t.Errorf("after Stop, %d of the 7 mails queued just before it have a job", n)
	}
	q.QueueMail("initech", 8)
	if n := q.MailGathering(); n != 0 {
		t.Errorf("a stopped queue holds %d mails", n)
	}
}

// waitFor polls cond until it holds, for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, what, 10*time.Second, func() error {
		if !cond() {
			return errors.New("not yet")
		}
		return nil
	})
}

// A server without SMTP keeps the newest mails it logged, not every one.
func TestLogMailerKeepsTheNewestThousand(t *testing.T) {
	m := &mail.LogMailer{Logger: slog.New(slog.DiscardHandler)}
	for i := range 2500 {
		if err := m.Send(context.Background(), mail.Message{To: "a@example.com", Subject: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	sent := m.Sent()
	if len(sent) != 1000 || sent[0].Subject != "1500" || sent[999].Subject != "2499" {
		t.Fatalf("kept %d mails, from %q to %q; want the newest 1000, 1500 to 2499", len(sent), sent[0].Subject, sent[len(sent)-1].Subject)
	}
}
