package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// Mail committed by a web request is queued for delivery in batches, after the response: the
// request only adds its mails to the batch (QueueMail), and one goroutine inserts whatever has
// gathered as one InsertMany while the next batch gathers. A batch gathers for Options.MailLinger
// after its first mail, so that under load many requests' mails share one insert and one
// commit of the control database (each insert is a transaction, and each commit a disk sync),
// and no response waits for either.
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

// DefaultMailLinger is how long a batch gathers before it is inserted, from its first mail
// (or, for mail that came during an insert, from that insert's end). A mail is sent that much
// later; at 300 approvals a second it takes about 15 mails to an insert where, inserted as soon
// as the last insert ended, it took one or two.
const DefaultMailLinger = 50 * time.Millisecond

// mailBatcher is the gathering batch and its goroutine.
type mailBatcher struct {
	linger   time.Duration // Options.MailLinger
	mu       sync.Mutex
	waiting  []MailArgs
	inFlight int // mails taken from waiting whose insert has not finished
	dropped  int
	stopped  bool
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	// ctx bounds the inserts; Stop cancels it when its own deadline passes.
	ctx    context.Context
	cancel context.CancelFunc
}

func newMailBatcher(linger time.Duration) *mailBatcher {
	ctx, cancel := context.WithCancel(context.Background())
	return &mailBatcher{linger: linger, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), ctx: ctx, cancel: cancel}
}

// QueueMail queues the delivery of outbox mails the tenant committed, without waiting: they
// are inserted with the next batch. Use it where nothing waits on the job (a web request);
// DeliverMail inserts at once. Once the queue is stopped, the mails wait for the sweep.
func (q *Queue) QueueMail(slug string, ids ...int64) {
	if len(ids) == 0 {
		return
	}
	b := q.batch
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		q.opts.Logger.Warn("the job queue is stopped; the outbox sweep will send this mail", "tenant", slug, "mail_ids", ids)
		return
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

// MailGathering is how many mails QueueMail took whose delivery jobs are not inserted yet
// (waiting for their batch, or in its insert).
func (q *Queue) MailGathering() int {
	b := q.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiting) + b.inFlight
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
			q.insertMailBatches()
			return
		}
		if !b.gather() {
			q.insertMailBatches()
			return
		}
		q.insertMailBatches()
	}
}

// gather lets the batch gather for its linger, or until it is full; it reports false when the
// batcher was stopped meanwhile.
func (b *mailBatcher) gather() bool {
	t := time.NewTimer(b.linger)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-b.stop:
			return false
		case <-b.wake:
			b.mu.Lock()
			full := len(b.waiting) >= mailBatchMax
			b.mu.Unlock()
			if full {
				return true
			}
		}
	}
}

// insertMailBatches inserts every mail gathered so far, mailBatchMax at a time.
func (q *Queue) insertMailBatches() {
	b := q.batch
	for {
		b.mu.Lock()
		n := min(len(b.waiting), mailBatchMax)
		batch := b.waiting[:n:n]
		b.waiting = b.waiting[n:]
		if len(b.waiting) == 0 {
			b.waiting = nil
		}
		b.inFlight = n
		dropped := b.dropped
		b.dropped = 0
		b.mu.Unlock()
		if dropped > 0 {
			q.opts.Logger.Warn("too much mail waiting to be queued; the outbox sweep will send the rest", "left_out", dropped)
		}
		if n == 0 {
			return
		}
		// A mail queued twice in one batch would make the unique insert touch its row twice,
		// which fails the whole statement.
		seen := make(map[MailArgs]bool, n)
		params := make([]river.InsertManyParams, 0, n)
		for _, a := range batch {
			if !seen[a] {
				seen[a] = true
				params = append(params, river.InsertManyParams{Args: a, InsertOpts: q.mailOpts()})
			}
		}
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		_, err := q.client.InsertMany(ctx, params)
		cancel()
		if err != nil {
			q.opts.Logger.Warn("queueing mail delivery failed; the outbox sweep will send it", "mails", n, "err", err)
		}
		b.mu.Lock()
		b.inFlight = 0
		b.mu.Unlock()
	}
}

// stopMailBatches inserts the last batch and stops the goroutine; when ctx ends first, the
// insert is abandoned (the sweep sends its mails).
func (q *Queue) stopMailBatches(ctx context.Context) error {
	b := q.batch
	b.mu.Lock()
	if !b.stopped {
		b.stopped = true
		close(b.stop)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		b.cancel()
		<-b.done
		return ctx.Err()
	}
}
