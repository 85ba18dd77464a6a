package tenancy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/internal/poll"
	"outlay/tenancy"
)

// waitForHead waits until the control plane holds a head of slug at row id.
func waitForHead(t *testing.T, r *tenancy.Registry, slug string, secret []byte, id int64) audit.Head {
	t.Helper()
	var h audit.Head
	poll.Until(t, fmt.Sprintf("the head of %s to reach row %d", slug, id), 30*time.Second, func() error {
		var ok bool
		var err error
		if h, ok, err = r.AuditHead(context.Background(), slug, secret); err != nil {
			return err
		}
		if !ok || h.ID != id {
			return fmt.Errorf("last head %+v, recorded %v", h, ok)
		}
		return nil
	})
	return h
}

// A server records the audit head of every tenant in use, again and again as its log grows,
// and leaves alone the tenants nobody uses.
func TestServersRecordTheHeadsOfTenantsInUse(t *testing.T) {
	t.Parallel()
	env := dbtest.NewEnv(t)
	acme := env.NewTenant(t, "acme", "Acme")
	env.NewTenant(t, "globex", "Globex")
	secret := env.Config.SecretKey
	db := env.DB(t, acme)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { env.Registry.RecordAuditHeads(ctx, env.Pools, secret, 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	if err := audit.Event(ctx, db, audit.EventExport, "one.csv", nil); err != nil {
		t.Fatal(err)
	}
	first := waitForHead(t, env.Registry, "acme", secret, 1)
	if err := audit.Event(ctx, db, audit.EventExport, "two.csv", nil); err != nil {
		t.Fatal(err)
	}
	second := waitForHead(t, env.Registry, "acme", secret, 2)
	res, err := audit.Verify(ctx, db, env.AuditKey(t, acme))
	if err != nil || !res.Intact() || string(res.HeadHash) != string(second.Hash) || string(first.Hash) == string(second.Hash) {
		t.Errorf("recorded heads %x, %x; the log's head %+v %v", first.Hash, second.Hash, res, err)
	}
	if _, ok, err := env.Registry.AuditHead(ctx, "globex", secret); ok || err != nil {
		t.Errorf("a tenant not in use got a head recorded: %v %v", ok, err)
	}
}
