package faults

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
	"outlay/internal/poll"
)

// SIGTERM arrives while requests are in flight: they are held inside the database (a lock
// the test holds on the vendors table), so they are certainly in flight when the signal
// comes. The server stops accepting connections, the held requests complete with their
// answers once the lock goes, the process exits cleanly, and every acknowledged write is there.
func TestSIGTERMLetsRequestsInFlightFinish(t *testing.T) {
	const inFlight = 6
	// Each request holds a connection of the tenant's pool while it waits.
	// They wait on a lock for as long as the test holds it.
	s := startSite(t, []string{"acme"}, "OUTLAY_TENANT_POOL_CONNS=8", "OUTLAY_LOCK_WAIT=0")
	browsers := make([]*browser, inFlight)
	for i := range browsers {
		browsers[i] = s.signIn(t, "acme")
	}
	ctx := context.Background()
	// Reads go on; inserts wait for the lock.
	tx, _ := dbtest.HoldLock(t, s.tenants["acme"].DSN, "vendors")

	tl := newTally()
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("In flight %d", i)
			a := b.addVendor(name)
			tl.record("acme", a)
			if a.status == http.StatusSeeOther {
				tl.ack("acme", name)
			}
		}()
	}
	// Watched from a connection of its own: inside the lock's transaction, pg_stat_activity
	// would stay the snapshot taken at its first read.
	watch, err := pgx.Connect(ctx, s.tenants["acme"].DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	err = poll.Wait(30*time.Second, func() error {
		var waiting int
		err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err == nil && waiting < inFlight {
			err = fmt.Errorf("%d waiting", waiting)
		}
		return err
	})
	if err != nil {
		// The server's goroutines show where the requests are.
		_ = s.proc.Process.Signal(syscall.SIGQUIT)
		<-s.exited
		s.exited <- nil
		t.Fatalf("timed out waiting for the writes to wait on the lock: %v", err)
	}

	if err := s.proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Shutdown has begun once the listener is closed.
	waitFor(t, "the server to stop accepting connections", 30*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	select {
	case err := <-s.exited:
		t.Fatalf("outlay serve exited with requests in flight: %v", err)
	default:
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("outlay serve exited with %v after SIGTERM, want a clean exit", err)
		}
		s.exited <- err // for the cleanup
	case <-time.After(30 * time.Second):
		t.Fatal("outlay serve did not exit within 30 s of SIGTERM")
	}

	t.Logf("answers: %s", tl)
	if n := tl.count("acme", "ok"); n != inFlight {
		t.Errorf("%d of %d requests in flight completed; others got %v", n, inFlight, tl.errorsOf("acme"))
	}
	s.checkAcknowledged(t, tl, "acme")
}
