package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
)

// Runs of the daily digest at the same moment (a retry racing, two servers) queue exactly one
// digest per person: each person's mark is taken in the transaction that queues the mail.
func TestConcurrentDigestRunsQueueOneDigestPerPerson(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	const people = 30
	for _, q := range []string{
		`INSERT INTO users (email, name, password_hash, status)
			SELECT 'person' || i || '@acme.example', 'Person ' || i, 'x', 'active' FROM generate_series(1, 30) i`,
		`INSERT INTO notifications (recipient_id, kind, doc_type, doc_id, title, link_path, created_at, digest_pending)
			SELECT u.id, 'notify_step_waiting', 'requisition', j, 'Requisition ' || j, '/requisitions/' || j,
				'2026-03-09T10:00:00Z'::timestamptz + make_interval(mins => j), true
			FROM users u, generate_series(1, 3) j WHERE u.email LIKE 'person%'`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	notifiers := make([]*models.Notifier, 6)
	errs := make([]error, len(notifiers))
	for i := range notifiers {
		notifiers[i] = &models.Notifier{OrgName: "Acme", BaseURL: "http://acme.localhost"}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = models.SendDigests(context.Background(), db, notifiers[i], now)
		}(i)
	}
	wg.Wait()
	queued := 0
	for i, n := range notifiers {
		if errs[i] != nil {
			t.Errorf("run %d: %v", i, errs[i])
		}
		queued += len(n.TakeQueued())
	}
	var mails, marks, pending int64
	db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ?`, models.MailDigest).Scan(&mails)
	db.Raw(`SELECT count(*) FROM daily_mails WHERE kind = 'digest' AND local_day = '2026-03-10' AND items = 3`).Scan(&marks)
	db.Raw(`SELECT count(*) FROM notifications WHERE digest_pending`).Scan(&pending)
	if queued != people || mails != people || marks != people || pending != 0 {
		t.Errorf("%d runs queued %d digests, the outbox holds %d, %d marked with 3 items, %d still pending; want %d, %d, %d, 0",
			len(notifiers), queued, mails, marks, pending, people, people, people)
	}
}
