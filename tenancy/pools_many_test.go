package tenancy_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/tenancy"
)

// A thousand tenants served round-robin by 16 workers, with a few hot tenants asked between
// every two of them, on a server of the test's own whose max_connections is 60: the
// connections open to the tenants' databases, sampled from pg_stat_activity throughout, never
// exceed the budget read from the server, and the hot tenants are never evicted.
//
// Each copy of the tenant schema is about 11 MB, so a thousand databases would write 11 GB;
// the tenants share 25 databases instead, 40 to a database. Each tenant still has a handle and
// connections of its own, which is all the pools see.
func TestThousandTenantsStayWithinTheServersConnectionBudget(t *testing.T) {
	const tenants, hot, databases, workers, rounds = 1000, 3, 25, 16, 1
	ctx := context.Background()
	cluster := dbtest.OwnCluster(t, map[string]string{
		"max_connections": "60", "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
	})
	template, err := cluster.TenantTemplate()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, cluster.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)

	began := time.Now()
	all := make([]tenancy.Tenant, tenants+hot)
	for i := range all {
		slug := fmt.Sprintf("t%04d", i)
		if i >= tenants {
			slug = fmt.Sprintf("hot%d", i-tenants)
		}
		dbName := fmt.Sprintf("many_%02d", i%databases)
		all[i] = tenancy.Tenant{Slug: slug, DatabaseName: dbName, DSN: cluster.DSN(dbName), Status: tenancy.StatusActive}
	}
	// Two connections create the databases; a file copy with fsync off is the fastest way.
	var create sync.WaitGroup
	createErr := make(chan error, 2)
	for w := 0; w < 2; w++ {
		create.Add(1)
		go func() {
			defer create.Done()
			conn, err := pgx.Connect(ctx, cluster.DSN("postgres"))
			if err != nil {
				createErr <- err
				return
			}
			defer conn.Close(ctx)
			for i := w; i < databases; i += 2 {
				q := "CREATE DATABASE " + pgx.Identifier{all[i].DatabaseName}.Sanitize() + " TEMPLATE " + pgx.Identifier{template}.Sanitize() + " STRATEGY FILE_COPY"
				if _, err := conn.Exec(ctx, q); err != nil {
					createErr <- err
					return
				}
			}
		}()
	}
	create.Wait()
	close(createErr)
	if err := <-createErr; err != nil {
		t.Fatalf("create tenant databases: %v", err)
	}
	t.Logf("created %d tenant databases in %v", databases, time.Since(began).Round(time.Millisecond))

	secret := []byte("0123456789abcdef0123456789abcdef")
	pools := tenancy.NewPools(0, 2, secret, nil, nil)
	pools.Wait = 10 * time.Second
	defer pools.Close()
	// As `outlay serve` does: the control plane's and job queue's pools are set aside first.
	if err := pools.Reserve(ctx, cluster.DSN("postgres"), 4); err != nil {
		t.Fatal(err)
	}
	st := pools.Stats().Servers[0]
	// 60 less 3 superuser slots, half of which is this process's, less the 4 set aside.
	if st.MaxConnections != 60 || st.Budget != 28 || st.Limit != 24 {
		t.Fatalf("budget %+v, want max_connections 60, budget 28, 24 for tenants", st)
	}
	var opens sync.Map
	pools.OnOpen = func(slug string, _ *gorm.DB) error {
		n, _ := opens.LoadOrStore(slug, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		return nil
	}

	// The sampler counts connections to the tenants' databases as Postgres sees them.
	var most atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan error, 1)
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var n int64
			if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'many\_%'`).Scan(&n); err != nil {
				sampled <- err
				return
			}
			if n > most.Load() {
				most.Store(n)
			}
			select {
			case <-stopSampling:
				sampled <- nil
				return
			case <-tick.C:
			}
		}
	}()

	use := func(tn tenancy.Tenant) error {
		db, release, err := pools.Acquire(ctx, tn)
		if err != nil {
			return err
		}
		defer release()
		var users int64
		return db.Raw("SELECT count(*) FROM users").Scan(&users).Error
	}
	began = time.Now()
	var next atomic.Int64
	var failures atomic.Int64
	var firstErr sync.Once
	var work sync.WaitGroup
	for w := 0; w < workers; w++ {
		work.Add(1)
		go func() {
			defer work.Done()
			for {
				i := next.Add(1) - 1
				if i >= tenants*rounds {
					return
				}
				for _, tn := range []tenancy.Tenant{all[i%tenants], all[tenants+int(i)%hot]} {
					if err := use(tn); err != nil {
						failures.Add(1)
						firstErr.Do(func() { t.Errorf("%s: %v", tn.Slug, err) })
					}
				}
			}
		}()
	}
	work.Wait()
	close(stopSampling)
	if err := <-sampled; err != nil {
		t.Fatalf("sample pg_stat_activity: %v", err)
	}
	elapsed := time.Since(began)
	stats := pools.Stats()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	t.Logf("%d requests in %v (%.0f/s); most connections seen %d of %d; %d connections opened, %d tenants evicted, %d handles, %d warm; heap %d MB",
		2*tenants*rounds, elapsed.Round(time.Millisecond), float64(2*tenants*rounds)/elapsed.Seconds(), most.Load(), st.Limit,
		stats.Dialled, stats.Evictions, stats.Handles, stats.Warm, mem.HeapInuse>>20)

	if n := failures.Load(); n > 0 {
		t.Errorf("%d requests failed", n)
	}
	// A connection counts against the budget until its socket is closed; Postgres lists its
	// backend for the moment the backend takes to exit after that, so a sample may catch a
	// closed connection's backend still on its way out. A few such are allowed: on a loaded
	// machine (a CI run beside other tests) five were caught at once, with about a thousand
	// connections opened and closed in four seconds. Pool handles counted instead of
	// connections went 50% over (36 of 24), which this still catches.
	const exiting = 8
	if n := most.Load(); n > int64(st.Limit)+exiting {
		t.Errorf("Postgres saw %d connections to the tenants' databases, over the budget of %d (and %d backends exiting)", n, st.Limit, exiting)
	}
	if n := most.Load(); n < int64(st.Limit)/2 {
		t.Errorf("Postgres saw at most %d connections: the %d allowed were not used", n, st.Limit)
	}
	for i := tenants; i < len(all); i++ {
		// Each hot tenant serves hundreds of requests; kept warm, it is opened once, or again
		// only when, at the moment a cold tenant needed a connection, every other warm
		// tenant had a request in flight and it was the one idle.
		if n, _ := opens.Load(all[i].Slug); n.(*atomic.Int32).Load() > 3 {
			t.Errorf("hot tenant %s was opened %d times in %d requests, want it kept warm", all[i].Slug, n.(*atomic.Int32).Load(), tenants*rounds/hot)
		}
	}
	if stats.Evictions == 0 {
		t.Error("no idle tenant was evicted, yet 1,000 tenants cannot all hold a connection")
	}
}
