package faults

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres crashes and restarts while two tenants are under load: meanwhile pages answer a
// clean 503 with Retry-After (never a 500, never a hang or a dropped connection); once it is
// back the same server process serves again; every acknowledged write is in the database.
// The stop is an immediate shutdown, as a crash is: no checkpoint is written, so what was
// acknowledged must come back from the write-ahead log.
func TestPostgresRestartMidLoad(t *testing.T) {
	s := startSite(t, []string{"acme", "globex"})
	var browsers []*browser
	for _, slug := range []string{"acme", "globex"} {
		browsers = append(browsers, s.signIn(t, slug), s.signIn(t, slug))
	}
	tl := newTally()
	stop := make(chan struct{})
	wait := load(browsers, tl, stop)
	defer func() {
		close(stop)
		wait()
	}()
	okBoth := func(n int) func() bool {
		return func() bool { return tl.count("acme", "ok") >= n && tl.count("globex", "ok") >= n }
	}
	waitFor(t, "load before the restart", 30*time.Second, okBoth(20))

	if err := cluster.Crash(); err != nil {
		t.Fatalf("crash Postgres: %v", err)
	}
	unavailable := "503 Temporarily unavailable"
	waitFor(t, "503s while Postgres is down", 30*time.Second, func() bool {
		return tl.count("acme", unavailable) >= 5 && tl.count("globex", unavailable) >= 5
	})
	if err := cluster.Start(); err != nil {
		t.Fatalf("start Postgres again: %v", err)
	}
	okAfter := map[string]int{"acme": tl.count("acme", "ok"), "globex": tl.count("globex", "ok")}
	waitFor(t, "recovery after the restart", 60*time.Second, func() bool {
		return tl.count("acme", "ok") >= okAfter["acme"]+20 && tl.count("globex", "ok") >= okAfter["globex"]+20
	})
	close(stop)
	wait()
	stop, wait = make(chan struct{}), func() {}

	t.Logf("answers: %s", tl)
	for _, slug := range []string{"acme", "globex"} {
		for kind, n := range tl.errorsOf(slug) {
			if kind != unavailable {
				t.Errorf("%s: %d answers %q; only clean 503s are expected while Postgres restarts", slug, n, kind)
			}
		}
		s.checkAcknowledged(t, tl, slug)
	}
	// The server recovered by itself: the same process still answers and is ready.
	if res, err := http.Get("http://" + s.addr + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("readyz after the restart: %v %v", res, err)
	}
	select {
	case err := <-s.exited:
		t.Fatalf("outlay serve exited during the restart: %v", err)
	default:
	}
}

// One tenant's database is dropped and another's cluster becomes unreachable under load:
// those tenants get an error page (503), and the third sees no error at all.
func TestOneTenantsDatabaseDroppedOrUnreachable(t *testing.T) {
	s := startSite(t, []string{"acme", "globex", "initech"})
	browsers := []*browser{s.signIn(t, "acme"), s.signIn(t, "acme"), s.signIn(t, "globex"), s.signIn(t, "initech")}
	tl, stopLoad := underLoad(t, browsers)
	waitFor(t, "load before the fault", 30*time.Second, func() bool {
		return tl.count("acme", "ok") >= 20 && tl.count("globex", "ok") >= 10 && tl.count("initech", "ok") >= 10
	})

	ctx := context.Background()
	admin, err := pgx.Connect(ctx, cluster.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{s.tenants["globex"].DatabaseName}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	// initech moves to a cluster nothing listens on.
	s.moveToCluster(t, "initech", "gone", "127.0.0.1:1")
	unavailable := "503 Temporarily unavailable"
	okAcme := tl.count("acme", "ok")
	waitFor(t, "the broken tenants' error pages and more load on the others", 60*time.Second, func() bool {
		return tl.count("globex", unavailable) >= 10 && tl.count("initech", unavailable) >= 10 && tl.count("acme", "ok") >= okAcme+50
	})
	stopLoad()

	t.Logf("answers: %s", tl)
	if errs := tl.errorsOf("acme"); len(errs) > 0 {
		t.Errorf("acme, whose database is fine, got errors: %v", errs)
	}
	for _, slug := range []string{"globex", "initech"} {
		for kind, n := range tl.errorsOf(slug) {
			if kind != unavailable {
				t.Errorf("%s: %d answers %q, want only the 503 error page", slug, n, kind)
			}
		}
	}
	s.checkAcknowledged(t, tl, "acme")
}

// A tenant's cluster that accepts connections and never answers (a host gone silent behind a
// load balancer, a hung server): the tenant's requests get the 503 error page within the
// connection timeout, each of them, rather than hanging; another tenant sees no error at all.
func TestATenantsClusterThatNeverAnswers(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // read nothing, write nothing
			mu.Unlock()
		}
	}()
	defer func() {
		silent.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()

	s := startSite(t, []string{"acme", "initech"})
	browsers := []*browser{s.signIn(t, "acme"), s.signIn(t, "acme"), s.signIn(t, "initech"), s.signIn(t, "initech")}
	alone := s.signIn(t, "initech") // outside the load, for one request timed on its own
	tl, stopLoad := underLoad(t, browsers)
	waitFor(t, "load before the fault", 30*time.Second, func() bool {
		return tl.count("acme", "ok") >= 10 && tl.count("initech", "ok") >= 10
	})

	s.moveToCluster(t, "initech", "silent", silent.Addr().String())
	unavailable := "503 Temporarily unavailable"
	okAcme := tl.count("acme", "ok")
	waitFor(t, "the silent tenant's error pages and more load on the other", 90*time.Second, func() bool {
		return tl.count("initech", unavailable) >= 4 && tl.count("acme", "ok") >= okAcme+50
	})
	// One request on its own: answered within the connection timeout and a margin.
	began := time.Now()
	a := alone.get("/vendors")
	if took := time.Since(began); a.kind() != unavailable || took > 15*time.Second {
		t.Errorf("a request of the silent tenant: %s after %s, want the 503 page within the connection timeout", a, took.Round(time.Millisecond))
	}
	stopLoad()

	t.Logf("answers: %s", tl)
	if errs := tl.errorsOf("acme"); len(errs) > 0 {
		t.Errorf("acme, whose database is fine, got errors: %v", errs)
	}
	for kind, n := range tl.errorsOf("initech") {
		if kind != unavailable {
			t.Errorf("initech: %d answers %q, want only the 503 error page", n, kind)
		}
	}
	s.checkAcknowledged(t, tl, "acme")
}

// moveToCluster registers a cluster id at addr (host:port) and moves the tenant slug to it,
// in the control database; the server learns it from the registry.
func (s *site) moveToCluster(t *testing.T, slug, id, addr string) {
	t.Helper()
	ctx := context.Background()
	control, err := pgx.Connect(ctx, s.env.ControlDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close(ctx)
	if _, err := control.Exec(ctx, `INSERT INTO clusters (id, dsn) VALUES ($1, $2)`, id,
		"postgres://postgres@"+addr+"/postgres?sslmode=disable"); err != nil {
		t.Fatal(err)
	}
	if _, err := control.Exec(ctx, `UPDATE tenants SET cluster_id = $1 WHERE slug = $2`, id, slug); err != nil {
		t.Fatal(err)
	}
}
