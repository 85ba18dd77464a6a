package tenancy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay/audit"
)

// AuditHead is the tenant's audit head recorded in the control plane, its signature checked;
// ok is false when none was recorded yet.
func (r *Registry) AuditHead(ctx context.Context, slug string, secret []byte) (h audit.Head, ok bool, err error) {
	var signed string
	err = r.pool.QueryRow(ctx, `SELECT signed FROM audit_heads WHERE slug = $1`, slug).Scan(&signed)
	if errors.Is(err, pgx.ErrNoRows) {
		return audit.Head{}, false, nil
	}
	if err != nil {
		return audit.Head{}, false, fmt.Errorf("read the recorded audit head of %s: %w", slug, err)
	}
	h, err = audit.ParseSignedHead(secret, signed)
	if err != nil {
		return audit.Head{}, false, fmt.Errorf("the recorded audit head of %s: %w", slug, err)
	}
	if h.Slug != slug {
		return audit.Head{}, false, fmt.Errorf("the recorded audit head of %s names tenant %s", slug, h.Slug)
	}
	return h, true, nil
}

// RecordAuditHead records the newest row of the tenant's audit log (read through db) as its
// head in the control plane, signed, and returns it with its signed line. A head only moves
// forward along the same chain: when the log no longer reaches the recorded head, or reaches
// a different row there, nothing is recorded and the error says what is wrong.
func (r *Registry) RecordAuditHead(ctx context.Context, db *gorm.DB, slug string, secret []byte) (audit.Head, string, error) {
	h, err := audit.LatestHead(ctx, db, slug)
	if err != nil {
		return audit.Head{}, "", err
	}
	signed, err := h.Sign(secret)
	if err != nil {
		return audit.Head{}, "", err
	}
	prev, ok, err := r.AuditHead(ctx, slug, secret)
	if err != nil {
		return audit.Head{}, "", err
	}
	if ok {
		if prev.ID == h.ID && bytes.Equal(prev.Hash, h.Hash) {
			return h, signed, nil
		}
		problem, err := audit.CheckHead(ctx, db, audit.Result{HeadID: h.ID}, prev)
		if err != nil {
			return audit.Head{}, "", err
		}
		if problem != "" {
			return audit.Head{}, "", fmt.Errorf("audit log of %s: %s; its recorded head was left as it is", slug, problem)
		}
	}
	_, err = r.pool.Exec(ctx, `INSERT INTO audit_heads (slug, head_id, head_hash, signed, recorded_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (slug) DO UPDATE SET head_id = $2, head_hash = $3, signed = $4, recorded_at = $5
		WHERE audit_heads.head_id <= $2`, slug, h.ID, h.Hash, signed, h.At)
	if err != nil {
		return audit.Head{}, "", fmt.Errorf("record the audit head of %s: %w", slug, err)
	}
	return h, signed, nil
}

// RecordAuditHeads records, every interval until ctx ends, the audit head of each tenant that
// has an open handle in pools and was used since the previous round (the tenants in use; the
// others' logs are not being written).
// A log that no longer reaches its recorded head is reported as an error each time.
func (r *Registry) RecordAuditHeads(ctx context.Context, pools *Pools, secret []byte, every time.Duration) {
	ctx = Background(ctx)
	tick := time.NewTicker(every)
	defer tick.Stop()
	// From the start, not from the beginning of time: a handle that only upkeep opened (the
	// jobs over every tenant write no audited row) has no use to record, and at a thousand
	// tenants the first round would otherwise open a connection to each.
	since := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Only tenants used since the last round can have new audit rows; acquiring the others
		// would spend connections, and acquiring keeps every tenant's place in the
		// least-recently-used order.
		now := time.Now()
		slugs := pools.UsedSince(since)
		since = now
		for _, slug := range slugs {
			t, ok := r.Lookup(slug)
			if !ok {
				continue
			}
			db, release, err := pools.AcquireKeepingOrder(ctx, t)
			if err == nil {
				_, _, err = r.RecordAuditHead(ctx, db, slug, secret)
				release()
			}
			if err != nil && ctx.Err() == nil {
				r.logger.Error("recording the audit head failed", "tenant", slug, "err", err)
			}
		}
	}
}
