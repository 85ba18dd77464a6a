package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/internal/poll"
	"outlay/tenancy"
)

// newTenants makes n tenants in env, slugged prefix-0 … prefix-(n-1).
func newTenants(t *testing.T, env *dbtest.Env, prefix string, n int) []tenancy.Tenant {
	t.Helper()
	var tenants []tenancy.Tenant
	for i := range n {
		tenants = append(tenants, env.NewTenant(t, fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s %d", prefix, i)))
	}
	return tenants
}

func TestConcurrentFirstRequestsOpenOneHandle(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 2, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	var opens atomic.Int32
	pools.OnOpen = func(string, *gorm.DB) error { opens.Add(1); return nil }
	_ = env
	var wg sync.WaitGroup
	handles := make([]*gorm.DB, 32)
	for i := range handles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, release, err := pools.Acquire(context.Background(), acme)
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			var one int
			if err := db.Raw("SELECT 1").Scan(&one).Error; err != nil || one != 1 {
				t.Errorf("query: %v", err)
			}
			handles[i] = db
		}()
	}
	wg.Wait()
	if n := opens.Load(); n != 1 {
		t.Errorf("opened %d handles for one tenant, want 1", n)
	}
	for _, h := range handles {
		if h != handles[0] {
			t.Fatal("requests got different handles")
		}
	}
}

func TestPoolsCapRealConnectionsEvictIdleTenantsAndAnswerBusy(t *testing.T) {
	ctx := context.Background()
	env := dbtest.NewEnv(t)
	tenants := newTenants(t, env, "tenant", 4)
	// Two connections in all, one per tenant.
	pools := tenancy.NewPools(2, 1, env.Config.SecretKey, nil, nil)
	pools.Wait = 300 * time.Millisecond
	defer pools.Close()
	var opens sync.Map
	pools.OnOpen = func(slug string, _ *gorm.DB) error {
		n, _ := opens.LoadOrStore(slug, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		return nil
	}
	query := func(db *gorm.DB, tn tenancy.Tenant) {
		t.Helper()
		var name string
		if err := db.Raw("SELECT current_database()").Scan(&name).Error; err != nil || name != tn.DatabaseName {
			t.Errorf("%s: connected to %q (%v)", tn.Slug, name, err)
		}
	}

	// A long query on tenant 0 is in flight throughout.
	db0, release0, err := pools.Acquire(ctx, tenants[0])
	if err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		slow <- db0.Exec("SELECT pg_sleep(1)").Error
	}()
	<-started

	// Tenant 1 takes the second connection and gives its handle back; tenant 2 then needs a
	// connection, and tenant 1's, idle, is closed to make room. Its handle is kept.
	db1, release1, err := pools.Acquire(ctx, tenants[1])
	if err != nil {
		t.Fatal(err)
	}
	query(db1, tenants[1])
	release1()
	db2, release2, err := pools.Acquire(ctx, tenants[2])
	if err != nil {
		t.Fatal(err)
	}
	query(db2, tenants[2])
	if got := pools.OpenSlugs(); len(got) != 3 || got[0] != "tenant-2" || got[1] != "tenant-1" || got[2] != "tenant-0" {
		t.Errorf("open handles %v, want tenant-2, tenant-1 and tenant-0", got)
	}
	if st := pools.Stats(); st.Warm != 2 || st.Evictions != 1 {
		t.Errorf("%d handles hold connections after %d evictions, want 2 after 1 (tenant-1's connection closed)", st.Warm, st.Evictions)
	}

	// Both connections are busy: tenant 3 waits, then is told the database is busy.
	_, _, err = pools.Acquire(ctx, tenants[3])
	if !errors.Is(err, tenancy.ErrBusy) || !tenancy.Unavailable(err) {
		t.Fatalf("acquire with every connection busy: %v, want ErrBusy", err)
	}
	// Once tenant 2 is given back, tenant 3 gets its connection.
	got3 := make(chan error, 1)
	pools.Wait = 10 * time.Second
	go func() {
		db3, release3, err := pools.Acquire(ctx, tenants[3])
		if err == nil {
			err = db3.Exec("SELECT 1").Error
			release3()
		}
		got3 <- err
	}()
	release2()
	if err := <-got3; err != nil {
		t.Errorf("tenant 3 after tenant 2 was released: %v", err)
	}

	if err := <-slow; err != nil {
		t.Errorf("in-flight query failed: %v", err)
	}
	release0()
	if st := pools.Stats(); len(st.Servers) != 1 || st.Servers[0].Open > 2 || st.Servers[0].Limit != 2 {
		t.Errorf("stats %+v, want one server with at most 2 of 2 connections open", st)
	}
	// Postgres agrees: never more than the cap of connections to these tenants' databases
	// (counted from the maintenance database, which the pattern leaves out).
	conn, err := pgx.Connect(ctx, dbtest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var conns int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname LIKE $1 || '\_tenant-%'`, env.Registry.ControlDatabase()).Scan(&conns); err != nil {
		t.Fatal(err)
	}
	if conns > 2 {
		t.Errorf("%d connections to the tenants' databases, cap is 2", conns)
	}
	// An evicted tenant dials again on demand, through the handle it kept.
	db, release, err := pools.Acquire(ctx, tenants[1])
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	query(db, tenants[1])
	if n, _ := opens.Load("tenant-1"); n.(*atomic.Int32).Load() != 1 {
		t.Errorf("tenant-1 opened %d times, want 1 (only its connection was closed)", n.(*atomic.Int32).Load())
	}
}

func TestFailedOpenIsRetried(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 1, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	broken := acme
	broken.DSN = "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2"
	if _, _, err := pools.Acquire(context.Background(), broken); !tenancy.Unavailable(err) {
		t.Fatalf("acquire of an unreachable database: %v, want an unavailable database", err)
	}
	// The tenant is reachable again (its DSN fixed): the next request opens it.
	db, release, err := pools.Acquire(context.Background(), acme)
	if err != nil {
		t.Fatalf("retry after failure: %v", err)
	}
	defer release()
	if err := db.Exec("SELECT 1").Error; err != nil {
		t.Error(err)
	}
}

// TestWaitersAreServedInTheOrderTheyCame fills a server's budget with one long query, queues
// several tenants behind it one after the other, and checks that they get the connection in
// that order as each gives it back: a dial that came later never overtakes one waiting
// longer (which, under overload, leaves the unlucky ones to time out).
func TestWaitersAreServedInTheOrderTheyCame(t *testing.T) {
	ctx := context.Background()
	env := dbtest.NewEnv(t)
	const waiters = 6
	tenants := newTenants(t, env, "fifo", waiters+1)
	pools := tenancy.NewPools(1, 1, env.Config.SecretKey, nil, nil)
	pools.Wait = 30 * time.Second
	defer pools.Close()

	db0, release0, err := pools.Acquire(ctx, tenants[0])
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var served []int
	var wg sync.WaitGroup
	for i := 1; i <= waiters; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, release, err := pools.Acquire(ctx, tenants[i])
			if err != nil {
				t.Errorf("tenant %d: %v", i, err)
				return
			}
			defer release()
			mu.Lock()
			served = append(served, i)
			mu.Unlock()
			if err := db.Exec("SELECT pg_sleep(0.02)").Error; err != nil {
				t.Errorf("tenant %d: %v", i, err)
			}
		}()
		// Each tenant's first dial is queued before the next one starts.
		dbtest.WaitFor(t, 5*time.Second, fmt.Sprintf("queued dial %d", i), func() bool { return waiting(pools) >= i })
		if got := waiting(pools); got != i {
			t.Fatalf("%d dials waiting, want %d", got, i)
		}
	}
	if err := db0.Exec("SELECT 1").Error; err != nil {
		t.Fatal(err)
	}
	release0()
	wg.Wait()
	for k, i := range served {
		if i != k+1 {
			t.Fatalf("tenants served in the order %v, want 1 to %d in turn", served, waiters)
		}
	}
	if len(served) != waiters {
		t.Errorf("%d of %d waiting tenants served", len(served), waiters)
	}
}

// waiting is how many dials wait for a connection, on all servers.
func waiting(p *tenancy.Pools) int {
	n := 0
	for _, s := range p.Stats().Servers {
		n += s.Waiting
	}
	return n
}

// TestRequestsOfATenantTakeTurns fills one tenant's share of requests (two for each
// connection of its pool), queues more behind them one after the other, and checks that
// each is admitted in the order it came as one of those served is done; that a cancelled
// request gives up its place; and that jobs and upkeep (Acquire) never wait for a request's
// turn.
func TestRequestsOfATenantTakeTurns(t *testing.T) {
	ctx := context.Background()
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 1, env.Config.SecretKey, nil, nil)
	pools.Wait = 30 * time.Second
	defer pools.Close()

	held := serveRequests(t, pools, acme, 2)
	// A job is not a request: it takes the handle at once.
	db, release, err := pools.Acquire(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := db.Raw("SELECT 1").Scan(&one).Error; err != nil || one != 1 {
		t.Fatalf("a job's query: %v", err)
	}
	release()

	const waiters = 5
	admitted := make(chan int, waiters)
	done := make([]chan struct{}, waiters+1)
	var wg sync.WaitGroup
	for i := 1; i <= waiters; i++ {
		done[i] = make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, release, err := pools.AcquireRequest(ctx, acme)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				admitted <- -i
				return
			}
			defer release()
			var one int
			if err := db.Raw("SELECT 1").Scan(&one).Error; err != nil {
				t.Errorf("request %d: %v", i, err)
			}
			admitted <- i
			<-done[i]
		}()
		waitFor(t, pools, i)
	}

	// A cancelled request leaves the queue.
	cctx, cancel := context.WithCancel(ctx)
	go func() { waitFor(t, pools, waiters+1); cancel() }()
	if _, _, err := pools.AcquireRequest(cctx, acme); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled request: %v, want context.Canceled", err)
	}
	if q := pools.Stats().Queued; q != waiters {
		t.Fatalf("%d requests queued after one gave up, want %d", q, waiters)
	}

	// Each request done admits the oldest waiting one, and only that one.
	var order []int
	for k := range waiters {
		held[0]()
		held = held[1:]
		i := <-admitted
		order = append(order, i)
		select {
		case j := <-admitted:
			t.Fatalf("request %d admitted too when only %d's turn came", j, i)
		case <-time.After(20 * time.Millisecond):
		}
		if i > 0 {
			held = append(held, func() { close(done[i]) })
		}
		if q := pools.Stats().Queued; q != waiters-k-1 {
			t.Fatalf("%d requests queued, want %d", q, waiters-k-1)
		}
	}
	for _, release := range held {
		release()
	}
	wg.Wait()
	for k, i := range order {
		if i != k+1 {
			t.Fatalf("requests admitted in the order %v, want 1 to %d in turn", order, waiters)
		}
	}
	// All are done: the next two are admitted at once.
	for range 2 {
		_, release, err := pools.AcquireRequest(ctx, acme)
		if err != nil {
			t.Fatalf("a request once all were done: %v", err)
		}
		defer release()
	}
	if q := pools.Stats().Queued; q != 0 {
		t.Fatalf("%d requests queued, want none", q)
	}
}

// TestARequestWaitsItsTurnUpToWait checks that a request finding its tenant's share served
// for longer than Wait is answered ErrBusy (a 503, "try again shortly"), gives up its place,
// and that the tenant serves the next request once one is done.
func TestARequestWaitsItsTurnUpToWait(t *testing.T) {
	ctx := context.Background()
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 1, env.Config.SecretKey, nil, nil)
	pools.Wait = 50 * time.Millisecond
	defer pools.Close()
	held := serveRequests(t, pools, acme, 2)
	busy := pools.Stats().Busy
	if _, _, err := pools.AcquireRequest(ctx, acme); !errors.Is(err, tenancy.ErrBusy) || !tenancy.Unavailable(err) {
		t.Fatalf("a request past its wait: %v, want ErrBusy", err)
	}
	if st := pools.Stats(); st.Queued != 0 || st.Busy != busy+1 {
		t.Fatalf("after a request gave up: %d queued, %d busy answers; want none and %d", st.Queued, st.Busy, busy+1)
	}
	held[0]()
	db, release, err := pools.AcquireRequest(ctx, acme)
	if err != nil {
		t.Fatalf("a request once one was done: %v", err)
	}
	var one int
	if err := db.Raw("SELECT 1").Scan(&one).Error; err != nil || one != 1 {
		t.Fatalf("query: %v", err)
	}
	release()
	held[1]()
}

// serveRequests admits n requests of tenant tn and returns their release functions.
func serveRequests(t *testing.T, p *tenancy.Pools, tn tenancy.Tenant, n int) []func() {
	t.Helper()
	var held []func()
	for range n {
		_, release, err := p.AcquireRequest(context.Background(), tn)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	return held
}

// waitFor waits until n requests are queued for their turn.
func waitFor(t *testing.T, p *tenancy.Pools, n int) {
	t.Helper()
	err := poll.Wait(5*time.Second, func() error {
		if got := p.Stats().Queued; got != n {
			return fmt.Errorf("%d requests queued, want %d", got, n)
		}
		return nil
	})
	if err != nil {
		t.Error(err) // not Fatal: one caller is a goroutine of its own
	}
}

// Evict closes a handle nothing holds before it returns, and one in use only when its holder
// lets go: a query under way finishes, and so does what its holder does after it.
func TestEvictClosesAHandleOnceNothingHoldsIt(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 2, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	ctx := context.Background()
	query := func(db *gorm.DB) error { var one int; return db.Raw("SELECT 1").Scan(&one).Error }

	idle, release, err := pools.Acquire(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	release()
	pools.Evict(acme.Slug)
	if err := query(idle); err == nil || !strings.Contains(err.Error(), "database is closed") {
		t.Errorf("a handle nothing held still answers after Evict: %v", err)
	}

	held, release, err := pools.Acquire(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	if held == idle {
		t.Fatal("Acquire gave back the retired handle")
	}
	pools.Evict(acme.Slug)
	if err := query(held); err != nil {
		t.Errorf("a held handle was closed under its holder: %v", err)
	}
	release()
	if err := query(held); err == nil {
		t.Error("a retired handle still answers after its last holder let go")
	}
}

// TestMemoLivesWithItsHandle checks that what a handle remembers is kept at its version, read
// again for a newer one, and gone with the handle: a retired handle has no memo, and the
// tenant's next handle starts with nothing remembered.
func TestMemoLivesWithItsHandle(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 2, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	db, release, err := pools.Acquire(context.Background(), acme)
	if err != nil {
		t.Fatal(err)
	}
	loads := 0
	load := func(v string) func() (string, error) {
		return func() (string, error) { loads++; return v, nil }
	}
	m := pools.Memo(acme.Slug, db)
	if m == nil {
		t.Fatal("the tenant's current handle has no memo")
	}
	for _, c := range []struct {
		version    int64
		load, want string
		loads      int
	}{
		{3, "a", "a", 1}, // nothing remembered: read
		{3, "b", "a", 1}, // the same version: remembered
		{2, "b", "a", 1}, // an older version: what is remembered is newer, and will do
		{4, "c", "c", 2}, // a newer version: read again
		{4, "d", "c", 2},
	} {
		got, err := tenancy.Remember(m, "k", c.version, load(c.load))
		if err != nil || got != c.want || loads != c.loads {
			t.Errorf("at version %d: %q, %d loads, %v; want %q after %d loads", c.version, got, loads, err, c.want, c.loads)
		}
	}
	if _, err := tenancy.Remember(m, "other", 4, func() (string, error) { return "", errors.New("down") }); err == nil {
		t.Error("a failed read was not reported")
	}
	if got, _ := tenancy.Remember(m, "other", 4, load("e")); got != "e" {
		t.Errorf("a failed read was remembered: got %q", got)
	}
	release()

	pools.Evict(acme.Slug)
	if pools.Memo(acme.Slug, db) != nil {
		t.Error("a retired handle still has a memo")
	}
	db2, release2, err := pools.Acquire(context.Background(), acme)
	if err != nil {
		t.Fatal(err)
	}
	defer release2()
	loads = 0
	if got, _ := tenancy.Remember(pools.Memo(acme.Slug, db2), "k", 4, load("f")); got != "f" || loads != 1 {
		t.Errorf("the tenant's next handle remembered %q (%d loads); want a fresh read", got, loads)
	}
	if got, _ := tenancy.Remember(pools.Memo(acme.Slug, db), "k", 4, load("g")); got != "g" {
		t.Errorf("the retired handle's caller got %q; want its own read", got)
	}
}

// The order in which idle tenants are evicted is the order of their use: a handle opened for
// upkeep (AcquireKeepingOrder) is not a use, so it comes last, behind every tenant in use; a
// tenant whose request ends becomes the most recently used, even if others began after it.
func TestUpkeepKeepsTheOrderOfUseAndARequestCountsUntilItEnds(t *testing.T) {
	ctx := context.Background()
	env := dbtest.NewEnv(t)
	tenants := newTenants(t, env, "order", 3)
	pools := tenancy.NewPools(10, 1, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	acquire := func(get func(context.Context, tenancy.Tenant) (*gorm.DB, func(), error), tn tenancy.Tenant) func() {
		t.Helper()
		_, release, err := get(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		return release
	}
	want := func(step string, slugs ...string) {
		t.Helper()
		if got := pools.OpenSlugs(); strings.Join(got, " ") != strings.Join(slugs, " ") {
			t.Errorf("%s: open handles, most recently used first: %v, want %v", step, got, slugs)
		}
	}

	long := acquire(pools.Acquire, tenants[0]) // a long request
	acquire(pools.Acquire, tenants[1])()
	want("two tenants in use", "order-1", "order-0")
	acquire(pools.AcquireKeepingOrder, tenants[2])()
	want("a third opened for upkeep", "order-1", "order-0", "order-2")
	long()
	want("the long request ended", "order-0", "order-1", "order-2")
	acquire(pools.AcquireKeepingOrder, tenants[1])()
	want("upkeep of a tenant in use", "order-0", "order-1", "order-2")
	if used := pools.UsedSince(time.Now().Add(-time.Minute)); strings.Join(used, " ") != "order-0 order-1" {
		t.Errorf("tenants used in the last minute: %v, want order-0 and order-1 (not the one only kept up)", used)
	}
}

// A tenant's connections run with JIT compilation off (SessionSettings): at ten times the
// bench's volume, compiling the dashboard's statement took 126 ms of its 130.
func TestTenantConnectionsRunWithoutJIT(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 2, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	db, release, err := pools.Acquire(context.Background(), acme)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var jit string
	if err := db.Raw("SHOW jit").Scan(&jit).Error; err != nil || jit != "off" {
		t.Errorf("jit on a tenant connection: %q (%v), want off", jit, err)
	}
}

// A lock held elsewhere (an operator's psql session) holds a request that needs it for
// lock_timeout at most, and the request is then answered as unavailable, "try again", rather
// than holding one of its tenant's few connections for as long as the lock lasts.
func TestARequestWaitsForALockForLockTimeoutAtMost(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 2, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	ctx := context.Background()
	holder := env.DB(t, acme)
	tx := holder.Begin()
	defer tx.Rollback()
	if err := tx.Exec(`LOCK TABLE users IN ACCESS EXCLUSIVE MODE`).Error; err != nil {
		t.Fatal(err)
	}
	db, release, err := pools.Acquire(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	wait := tenancy.DefaultLockWait
	var shown string
	if err := db.Raw(`SHOW lock_timeout`).Scan(&shown).Error; err != nil || shown != "5s" {
		t.Errorf("lock_timeout on a tenant connection: %q %v", shown, err)
	}
	began := time.Now()
	var n int64
	err = db.Raw(`SELECT count(*) FROM users`).Scan(&n).Error
	if took := time.Since(began); !tenancy.Unavailable(err) || took > wait+5*time.Second {
		t.Errorf("a read of a locked table: %v after %s; want unavailable after about %s", err, took, wait)
	}
}
