package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// Mail committed by a web request is queued for delivery in batches, after the response: the
// request only adds its mails to the batch (QueueMail), and one goroutine inserts whatever has
// gathered as one InsertMany while the next batch gathers. Under load many requests' mails
// share one insert and one commit of the control database, and no response waits for either.
//
// Nothing is lost if the process stops before a batch is inserted: the mails are committed in
// the tenant's outbox, and the periodic sweep queues whatever has waited longer than
// SweepAfter. Stop inserts the batch still gathering before the queue closes.

// mailBatchMax caps the mails one insert carries, and maxWaitingMail the mails held while
// the control database does not answer (the sweep sends any left out).
const (
	mailBatchMax   = 500
	maxWaitingMail = 20000
)

// mailBatcher is the gathering batch and its goroutine.
type mailBatcher struct {
	mu      sync.Mutex
	waiting []MailArgs
	dropped int
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newMailBatcher() *mailBatcher {
	return &mailBatcher{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// QueueMail queues the delivery of outbox mails the tenant committed, without waiting: they
// are inserted with the next batch. Use it where nothing waits on the job (a web request);
// DeliverMail inserts at once.
func (q *Queue) QueueMail(slug string, ids ...int64) {
	if len(ids) == 0 {
		return
	}
	b := q.batch
	b.mu.Lock()
	select {
	case <-b.stop:
		// Closing: insert these now, with what is left.
		b.mu.Unlock()
		_ = q.DeliverMail(context.Background(), slug, ids...)
		return
	default:
	}
	for _, id := range ids {
		if len(b.waiting) >= maxWaitingMail {
			b.dropped++
			continue
		}
		b.waiting = append(b.waiting, MailArgs{Tenant: slug, MailID: id})
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// runMailBatches inserts the gathered mails until the batcher is stopped, then inserts what is
// left and returns.
func (q *Queue) runMailBatches() {
	b := q.batch
	defer close(b.done)
	for {
		select {
		case <-b.wake:
		case <-b.stop:
			q.insertMailBatches(context.Background())
			return
		}
		q.insertMailBatches(context.Background())
	}
}

// insertMailBatches inserts every mail gathered so far, mailBatchMax at a time.
func (q *Queue) insertMailBatches(ctx context.Context) {
	b := q.batch
	for {
		b.mu.Lock()
		n := min(len(b.waiting), mailBatchMax)
		batch := b.waiting[:n:n]
		b.waiting = b.waiting[n:]
		if len(b.waiting) == 0 {
			b.waiting = nil
		}
		dropped := b.dropped
		b.dropped = 0
		b.mu.Unlock()
		if dropped > 0 {
			q.opts.Logger.Warn("too much mail waiting to be queued; the outbox sweep will send the rest", "left_out", dropped)
		}
		if n == 0 {
			return
		}
		params := make([]river.InsertManyParams, n)
		for i, a := range batch {
			params[i] = river.InsertManyParams{Args: a, InsertOpts: q.mailOpts()}
		}
		ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := q.client.InsertMany(ictx, params)
		cancel()
		if err != nil {
			q.failures.Add(1)
			q.opts.Logger.Warn("queueing mail delivery failed; the outbox sweep will send it", "mails", n, "err", err)
		}
	}
}

// stopMailBatches inserts the last batch and stops the goroutine (until ctx ends).
func (q *Queue) stopMailBatches(ctx context.Context) error {
	b := q.batch
	b.once.Do(func() {
		b.mu.Lock()
		close(b.stop)
		b.mu.Unlock()
	})
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
