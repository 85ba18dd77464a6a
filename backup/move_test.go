package backup_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"outlay/audit"
	"outlay/backup"
	"outlay/internal/dbtest"
	"outlay/tenancy"
)

// TestMoveUnderWriteLoadLosesNoAcknowledgedWrite moves a tenant to the second cluster while
// writers, going through another app server's registry and pools as requests do, keep
// adding rows. Every write that was acknowledged (committed without error) must be in the
// moved database; writes during the move are refused as read-only, and writes go on after it.
func TestMoveUnderWriteLoadLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFixture(t)
	var authorID int64
	if err := f.env.DB(t, f.tenant).Raw(`SELECT id FROM users WHERE email = 'ann@acme.test'`).Scan(&authorID).Error; err != nil {
		t.Fatal(err)
	}

	// Another app server: its own registry copy, kept current by the control plane's
	// notifications, and its own pools.
	server, err := tenancy.OpenRegistry(ctx, f.env.ControlDSN, f.env.Logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	// Watch holds a connection of the registry's pool until it stops, which Close waits for.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go server.Watch(watchCtx)
	pools := tenancy.NewPools(20, 4, f.env.Config.SecretKey, nil, f.env.Logger)
	defer pools.Close()

	var (
		mu           sync.Mutex
		acknowledged []string
		readOnly     atomic.Int64 // refused with SQLSTATE 25006
		otherErrors  atomic.Int64 // sessions ended, the old database gone
		stop         = make(chan struct{})
		wg           sync.WaitGroup
	)
	ackCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acknowledged) }
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A steady load: each writer writes at most every 5 ms.
			pace := time.NewTicker(5 * time.Millisecond)
			defer pace.Stop()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-pace.C:
				}
				body := fmt.Sprintf("write %d.%d", w, n)
				tn, _ := server.Lookup("acme")
				wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
				db, release, err := pools.Acquire(wctx, tn)
				if err == nil {
					err = db.WithContext(wctx).Exec(`INSERT INTO comments (doc_type, doc_id, author_id, body) VALUES ('requisition', 1, ?, ?)`, authorID, body).Error
					release()
				}
				wcancel()
				var pgErr *pgconn.PgError
				switch {
				case err == nil:
					mu.Lock()
					acknowledged = append(acknowledged, body)
					mu.Unlock()
				case errors.As(err, &pgErr) && pgErr.Code == "25006":
					readOnly.Add(1)
				default:
					otherErrors.Add(1)
				}
			}
		}()
	}
	dbtest.WaitFor(t, 30*time.Second, "acknowledged 50 writes before the move", func() bool { return ackCount() >= 50 })

	moved, err := f.service.Move(ctx, "acme", "eu-2", f.store, "test")
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	afterMove := ackCount()
	dbtest.WaitFor(t, 60*time.Second, "acknowledged 50 writes after the move", func() bool { return ackCount() >= afterMove+50 })
	close(stop)
	wg.Wait()
	t.Logf("moved in %s (read-only); %d writes acknowledged, %d refused as read-only, %d failed otherwise",
		moved.ReadOnly, len(acknowledged), readOnly.Load(), otherErrors.Load())
	t.Logf("phases: %s", backup.PhasesString(moved.Phases))
	// The new database is made while the tenant is still writable; the dump, its restore,
	// the checks and the switch happen while it is read-only.
	var readOnlySteps []string
	for _, p := range moved.Phases {
		if p.ReadOnly {
			readOnlySteps = append(readOnlySteps, p.Name)
		}
	}
	for _, want := range []string{"pg_dump", "pg_restore", "check tables and audit chain", "switch"} {
		if !slices.Contains(readOnlySteps, want) {
			t.Errorf("%q is not among the read-only steps %v", want, readOnlySteps)
		}
	}
	if slices.Contains(readOnlySteps, "create database") || slices.Contains(readOnlySteps, "drop old database") {
		t.Errorf("the read-only steps %v include making the new database or dropping the old one", readOnlySteps)
	}

	now, _ := f.env.Registry.Lookup("acme")
	if now.ClusterID != "eu-2" || moved.To.DSN != now.DSN {
		t.Fatalf("after the move acme is %+v", now)
	}
	if readOnly.Load() == 0 {
		t.Error("no write was refused as read-only during the move")
	}
	db := f.env.DB(t, now)
	var stored []string
	if err := db.Raw(`SELECT body FROM comments`).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	have := make(map[string]bool, len(stored))
	for _, b := range stored {
		have[b] = true
	}
	lost := 0
	for _, b := range acknowledged {
		if !have[b] {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged write %q is not in the moved database", b)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes were lost", lost, len(acknowledged))
	}
	// The old database is gone, and the moved tenant's audit chain is intact.
	exists, err := f.env.Registry.ClusterOf(ctx, moved.From)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := exists.DatabaseExists(ctx, moved.From.DatabaseName); err != nil || ok {
		t.Errorf("the old database %s still exists (%v)", moved.From.DatabaseName, err)
	}
	if v, err := audit.Verify(ctx, db, f.env.AuditKey(t, now)); err != nil || !v.Intact() {
		t.Errorf("audit verify after the move: %+v, %v", v, err)
	}
}
