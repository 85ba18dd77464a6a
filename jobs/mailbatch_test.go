package jobs_test

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/testutil"
	"outlay/jobs"
	"outlay/mail"
)

// Requests queue their mail without waiting (QueueMail): the mails gathered meanwhile go in as
// one insert, every mail gets its one delivery job, and Stop inserts what is still gathering.
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
	jobsOf := func(tenant string) (mails, inserts int) {
		t.Helper()
		err := control.QueryRow(ctx, `SELECT count(DISTINCT args ->> 'mail_id'), count(DISTINCT xmin::text)
			FROM river_job WHERE kind = $1 AND args ->> 'tenant' = $2`, jobs.KindDeliverMail, tenant).Scan(&mails, &inserts)
		if err != nil {
			t.Fatal(err)
		}
		return mails, inserts
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
	waitFor(t, "1,200 mail jobs", func() bool { n, _ := jobsOf("acme"); return n == 1200 })
	if _, inserts := jobsOf("acme"); inserts != 3 {
		t.Errorf("1,200 mails queued at once went in with %d inserts, want 3", inserts)
	}

	// 40 requests at once, five mails each: every mail once, in fewer inserts than requests
	// whenever they overlap (at most one each).
	var wg sync.WaitGroup
	for r := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.QueueMail("globex", ids(r*5+1, 5)...)
		}()
	}
	wg.Wait()
	waitFor(t, "200 mail jobs", func() bool { n, _ := jobsOf("globex"); return n == 200 })
	if _, inserts := jobsOf("globex"); inserts > 40 {
		t.Errorf("40 requests' mail went in with %d inserts", inserts)
	}

	// What is queued just before the queue stops is inserted by Stop; mail queued after it is
	// inserted at once rather than dropped.
	q.QueueMail("initech", ids(1, 7)...)
	if err := q.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if n, _ := jobsOf("initech"); n != 7 {
		t.Errorf("after Stop, %d of the 7 mails queued just before it have a job", n)
	}
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited 10 s for %s", what)
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
