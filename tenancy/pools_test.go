package tenancy_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/tenancy"
)

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

func TestPoolsStayUnderTheConnectionCapAndEvictCleanly(t *testing.T) {
	ctx := context.Background()
	env := dbtest.NewEnv(t)
	var tenants []tenancy.Tenant
	for i := 0; i < 6; i++ {
		tenants = append(tenants, env.NewTenant(t, fmt.Sprintf("tenant-%d", i), fmt.Sprintf("Tenant %d", i)))
	}
	// Two connections in all, one per tenant: at most two tenants' handles are open.
	pools := tenancy.NewPools(2, 1, env.Config.SecretKey, nil, nil)
	defer pools.Close()

	// A long query on tenant 0 is in flight when its handle is evicted; it must finish.
	db0, release0, err := pools.Acquire(ctx, tenants[0])
	if err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() { slow <- db0.Exec("SELECT pg_sleep(0.5)").Error }()
	time.Sleep(100 * time.Millisecond)

	// Idle handles are evicted first; with tenants 1 and 2 busy too, the least recently
	// used busy handle (tenant 0's) has to go.
	_, release1, err := pools.Acquire(ctx, tenants[1])
	if err != nil {
		t.Fatal(err)
	}
	_, release2, err := pools.Acquire(ctx, tenants[2])
	if err != nil {
		t.Fatal(err)
	}
	release1()
	release2()

	for _, tn := range tenants[1:] {
		db, release, err := pools.Acquire(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		if err := db.Raw("SELECT current_database()").Scan(&name).Error; err != nil || name != tn.DatabaseName {
			t.Errorf("%s: connected to %q (%v)", tn.Slug, name, err)
		}
		release()
		if n := pools.Open(); n > 2 {
			t.Errorf("%d handles open, cap is 2", n)
		}
	}
	if err := <-slow; err != nil {
		t.Errorf("in-flight query on an evicted handle failed: %v", err)
	}
	release0()
	// Once released, the evicted handle is closed.
	sqlDB, _ := db0.DB()
	deadline := time.Now().Add(2 * time.Second)
	for sqlDB.Ping() == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := sqlDB.Ping(); err == nil {
		t.Error("evicted handle still open after its last user released it")
	}
	// Postgres agrees: no more than the cap of connections to these tenants' databases.
	var conns int
	admin := env.DB(t, tenants[5])
	if err := admin.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname LIKE ? || '\_%'`, env.Registry.ControlDatabase()).Scan(&conns).Error; err != nil {
		t.Fatal(err)
	}
	// env.DB's own pool adds one connection to the count.
	if conns > 3 {
		t.Errorf("%d connections to tenant databases, want at most 2 (+1 for the test)", conns)
	}
	// An evicted tenant opens again on demand.
	db, release, err := pools.Acquire(ctx, tenants[0])
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := db.Exec("SELECT 1").Error; err != nil {
		t.Errorf("reopen: %v", err)
	}
}

func TestFailedOpenIsRetried(t *testing.T) {
	env, acme := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 1, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	broken := acme
	broken.DSN = "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2"
	if _, _, err := pools.Acquire(context.Background(), broken); err == nil {
		t.Fatal("acquire of an unreachable database succeeded")
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
