package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"outlay/auth"
	"outlay/migrations"
	"outlay/tenancy"
)

// bench is one run's state.
type bench struct {
	o      options
	d      *deployment
	secret []byte
	work   string // a folder of the run's own (binary, logs, attachments)
	log    io.Writer
	logger *slog.Logger
	report Report
	// closers run when the run ends, last first.
	closers []func()
}

func (b *bench) step(format string, args ...any) {
	fmt.Fprintf(b.log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// page is one measured page: who fetches it, and whether as htmx.
type page struct {
	name string
	user string // email of the bench user whose sessions fetch it
	path string
}

func (b *bench) all(ctx context.Context) error {
	tpl := b.o.control + "_tpl"
	if err := b.d.makeTemplate(ctx, tpl, migrations.Tenant()); err != nil {
		return fmt.Errorf("template database: %w", err)
	}
	registry, err := tenancy.OpenRegistry(ctx, b.d.ControlDSN, b.logger, nil)
	if err != nil {
		return err
	}
	t, err := registry.Create(ctx, tenancy.CreateTenant{Slug: "bench", Name: "Bench Ltd", Template: tpl}, nil)
	registry.Close()
	if err != nil {
		return fmt.Errorf("create the tenant: %w", err)
	}
	vol := VolumeAt(b.o.scale)
	b.step("seeding %d requisitions of %d lines, %d vendors, %d orders, %d audit rows, %d pending …", vol.Requisitions, vol.LinesPer, vol.Vendors, vol.Orders, vol.AuditRows, vol.Pending)
	var logf func(string, ...any)
	if b.o.verbose {
		logf = b.step
	}
	seeded, err := seedTenant(ctx, t, b.secret, vol, logf)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	b.report.Volume, b.report.SeedTook = vol, seeded.Took
	b.step("seeded in %s", seeded.Took.Round(time.Millisecond))

	if b.o.auditRounds > 0 {
		b.step("audit overhead: %d interleaved write pairs …", b.o.auditRounds)
		if b.report.Audit, err = auditOverhead(ctx, t, b.secret, b.o.auditRounds); err != nil {
			return fmt.Errorf("audit overhead: %w", err)
		}
	}

	pages := []page{
		{"dashboard", financeEmail, "/dashboard"},
		{"all requisitions", financeEmail, "/requisitions/all"},
		{"all requisitions, pending", financeEmail, "/requisitions/all?status=pending"},
		{"my requisitions", requesterEmail, "/requisitions"},
		{"my requisitions, approved", requesterEmail, "/requisitions?status=approved"},
		{"approvals queue", approverEmail, "/approvals"},
		{"approvals queue, min 1000", approverEmail, "/approvals?min=1000"},
		{"purchase orders", financeEmail, "/purchase-orders"},
		{"purchase orders, open", financeEmail, "/purchase-orders?status=open"},
		{"vendors", financeEmail, "/vendors"},
		{"vendors, search", financeEmail, "/vendors?q=000123"},
		{"audit log", financeEmail, "/audit"},
		{"audit log, updates", financeEmail, "/audit?action=update"},
		{"requisition detail", requesterEmail, "/requisitions/" + strconv.FormatInt(seeded.DetailID, 10)},
	}
	measured := func(path string) bool { return true }
	if b.o.only != "" {
		re, err := regexp.Compile(b.o.only)
		if err != nil {
			return fmt.Errorf("-pages: %w", err)
		}
		measured = re.MatchString
		pages = slices.DeleteFunc(pages, func(p page) bool { return !measured(p.path) })
	}
	captured, err := b.capturePages(ctx, t, pages)
	if err != nil {
		return err
	}

	b.step("starting outlay serve …")
	srv, err := startServer(ctx, b.o.outlay, b.d.ControlDSN, b.secret, filepath.Join(b.work, "blobs"), filepath.Join(b.work, "serve.log"), nil)
	if err != nil {
		return err
	}
	defer srv.Stop()
	client := newHTTPClient(b.o.sessions)
	sessions := map[string][]*Session{}
	for _, email := range []string{financeEmail, approverEmail, requesterEmail} {
		b.step("signing in %d sessions as %s …", b.o.sessions, email)
		ss := make([]*Session, b.o.sessions)
		err := parallel(ctx, len(ss), 4, func(i int) error {
			ss[i] = newSession(client, srv.Addr, srv.Host(t.Slug))
			return ss[i].SignIn(ctx, email, benchPassword)
		})
		if err != nil {
			return err
		}
		sessions[email] = ss
	}
	pool, err := replayPool(ctx, t, b.secret, tenancyPoolConns())
	if err != nil {
		return err
	}
	// The sessions just made, counted as autovacuum would count them within a minute: the
	// statistics of the seeding knew the table empty, and every page then read its session
	// by a scan of all 193 rows rather than by the index (the floors, planned later, did not).
	if _, err := pool.Exec(ctx, "ANALYZE sessions"); err != nil {
		return err
	}
	defer pool.Close()
	if b.o.verbose {
		if err := b.planKinds(ctx, pool, pages, captured); err != nil {
			return err
		}
	}

	healthz := newSession(client, srv.Addr, srv.Host(t.Slug))
	b.step("floor: /healthz")
	hz := closedLoop(ctx, "/healthz", b.o.sessions, b.o.warmup, b.o.duration, getOp([]*Session{healthz}, "/healthz", false))
	b.report.Healthz = hz
	for _, p := range pages {
		b.step("page: %s", p.path)
		row := PageRow{Name: p.name, Path: p.path, Statements: len(captured[p.path].stmts), Counted: captured[p.path].counted}
		// The page and its floor take turns, so that both see the machine as it was during
		// the same seconds: one measured after the other, a change in what else the machine
		// was doing (a vacuum, a checkpoint) moved the ratio by ten points between runs.
		var pageParts, sqlParts []Result
		for range b.o.turns {
			pageParts = append(pageParts, closedLoop(ctx, p.path, b.o.sessions, b.o.warmup, b.o.duration/time.Duration(b.o.turns), getOp(sessions[p.user], p.path, false)))
			sqlParts = append(sqlParts, closedLoop(ctx, p.path+" (SQL)", b.o.sessions, b.o.warmup, b.o.duration/time.Duration(b.o.turns), replayOp(pool, captured[p.path].stmts)))
		}
		row.Page = merge(pageParts...)
		rp := merge(sqlParts...)
		row.SQL = &rp
		b.report.Pages = append(b.report.Pages, row)
	}

	if measured("POST /requisitions") {
		b.step("write: submit a requisition")
		b.report.Pages = append(b.report.Pages, PageRow{Name: "submit requisition", Path: "POST /requisitions",
			Page: closedLoop(ctx, "submit", b.o.sessions, b.o.warmup, b.o.duration, submitOp(sessions[requesterEmail], seeded))})
	}
	if measured("POST /approvals/:step/approve") {
		b.step("write: inline approve")
		b.report.Pages = append(b.report.Pages, PageRow{Name: "inline approve", Path: "POST /approvals/:step/approve",
			Page: closedLoop(ctx, "approve", b.o.sessions, b.o.warmup, b.o.duration, approveOp(sessions[approverEmail], seeded.PendingSteps))})
	}
	if rss, err := srv.RSS(); err == nil {
		b.report.SingleRSS = rss
	}
	srv.Stop()

	if b.o.tenants > 0 {
		if err := b.roundRobin(ctx); err != nil {
			return fmt.Errorf("round-robin: %w", err)
		}
	}
	return nil
}

// tenancyPoolConns is the connections per tenant pool the server runs with.
func tenancyPoolConns() int {
	if n, err := strconv.Atoi(os.Getenv("OUTLAY_TENANT_POOL_CONNS")); err == nil && n > 0 {
		return n
	}
	return controlConfig("", nil, "", 0).TenantPoolConns
}

type capturedPage struct {
	stmts   []statement
	counted int64
}

// capturePages records each page's statements through the in-process app.
func (b *bench) capturePages(ctx context.Context, t tenancy.Tenant, pages []page) (map[string]capturedPage, error) {
	b.step("capturing each page's SQL …")
	app, err := startCaptureApp(ctx, controlConfig(b.d.ControlDSN, b.secret, filepath.Join(b.work, "blobs"), 0))
	if err != nil {
		return nil, err
	}
	defer app.shutdown()
	client := newHTTPClient(4)
	sessions := map[string]*Session{}
	out := map[string]capturedPage{}
	for _, p := range pages {
		s := sessions[p.user]
		if s == nil {
			s = newSession(client, app.Addr, app.Host(t.Slug))
			if err := s.SignIn(ctx, p.user, benchPassword); err != nil {
				return nil, err
			}
			sessions[p.user] = s
		}
		// One unrecorded fetch first, so that what each process caches (policies, the pool)
		// is warm, as it is under load.
		if _, _, _, err := app.capture(ctx, s, p.path, false); err != nil {
			return nil, err
		}
		stmts, counted, body, err := app.capture(ctx, s, p.path, false)
		if err != nil {
			return nil, err
		}
		out[p.path] = capturedPage{stmts: stmts, counted: counted}
		if b.o.save != "" {
			name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(p.path, "-"), "-") + ".html"
			if err := os.MkdirAll(b.o.save, 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(b.o.save, name), body, 0o644); err != nil {
				return nil, err
			}
		}
		if b.o.verbose {
			for i, st := range stmts {
				fmt.Fprintf(b.log, "    %s [%d] %s\n        args %v\n", p.path, i+1, st.SQL, st.Args)
			}
		}
	}
	return out, nil
}

// planKinds runs each page's statements eight times on one connection of pool and says which
// of them Postgres still plans anew on every run (a custom plan each time, rather than the
// generic plan it keeps for a prepared statement once it costs no more): their planning is
// paid on every view of the page.
func (b *bench) planKinds(ctx context.Context, pool *pgxpool.Pool, pages []page, captured map[string]capturedPage) error {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	for _, p := range pages {
		for range 8 {
			if _, ok, msg, _ := replay(ctx, c, captured[p.path].stmts); !ok {
				return fmt.Errorf("%s: %s", p.path, msg)
			}
		}
		for i, st := range captured[p.path].stmts {
			var generic, custom int64
			err := c.QueryRow(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`, st.SQL).Scan(&generic, &custom)
			if err != nil {
				return fmt.Errorf("%s [%d]: its prepared statement: %w", p.path, i+1, err)
			}
			fmt.Fprintf(b.log, "    %s [%d] plans: %d generic, %d custom\n", p.path, i+1, generic, custom)
		}
	}
	return nil
}

// submitOp saves and submits a new three-line requisition through the form, as the requester.
func submitOp(sessions []*Session, s *Seeded) op {
	neededBy := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	gl := strconv.FormatInt(s.GLID, 10)
	return func(ctx context.Context, w int) (int, bool, string, bool) {
		f := url.Values{"department": {strconv.FormatInt(s.DepartmentID, 10)}, "vendor": {strconv.FormatInt(s.VendorID, 10)},
			"needed_by": {neededBy}, "justification": {"Bench submission"}, "intent": {"submit"}}
		for i := range 3 {
			f.Add("description", fmt.Sprintf("Bench item %d", i+1))
			f.Add("quantity", "2")
			f.Add("unit_price", "125.50")
			f.Add("tax_rate", "")
			f.Add("gl_account", gl)
		}
		st, body, err := sessions[w%len(sessions)].Do(ctx, http.MethodPost, "/requisitions", f, false)
		if err != nil {
			return 0, false, err.Error(), false
		}
		if st != http.StatusSeeOther {
			return len(body), false, fmt.Sprintf("submit: status %d", st), false
		}
		return len(body), true, "", false
	}
}

// approveOp approves the approver's pending steps inline (htmx), each step once; a worker
// stops when none are left.
func approveOp(sessions []*Session, steps []int64) op {
	var next atomic.Int64
	return func(ctx context.Context, w int) (int, bool, string, bool) {
		i := int(next.Add(1)) - 1
		if i >= len(steps) {
			return 0, false, "", true
		}
		st, body, err := sessions[w%len(sessions)].Do(ctx, http.MethodPost, fmt.Sprintf("/approvals/%d/approve", steps[i]), url.Values{"comment": {""}}, true)
		if err != nil {
			return 0, false, err.Error(), false
		}
		if st != http.StatusOK {
			return len(body), false, fmt.Sprintf("approve: status %d", st), false
		}
		return len(body), true, "", false
	}
}

// roundRobin serves many small tenants, each request going to the next tenant. The tenants
// live in a deployment of their own that is kept between runs (see manyTenants).
func (b *bench) roundRobin(ctx context.Context) error {
	rrd, slugs, token, err := b.manyTenants(ctx, b.o.tenants)
	if err != nil {
		return err
	}
	b.step("starting outlay serve over %d tenants …", len(slugs))
	srv, err := startServer(ctx, b.o.outlay, rrd.ControlDSN, b.secret, filepath.Join(b.work, "blobs"), filepath.Join(b.work, "serve-rr.log"), nil)
	if err != nil {
		return err
	}
	defer srv.Stop()
	rr := b.report.RoundRobin
	client := newHTTPClient(b.o.sessions)
	sessions := make([]*Session, len(slugs))
	for i, slug := range slugs {
		sessions[i] = newSession(client, srv.Addr, srv.Host(slug))
		sessions[i].cookies["outlay_session"] = token
	}
	b.step("one tenant: /dashboard")
	rr.Single = closedLoop(ctx, "one tenant", b.o.sessions, b.o.warmup, b.o.duration, getOp(sessions[:1], "/dashboard", false))
	// Each tenant's first request opens its handle (its GORM models, its audit callbacks'
	// table information, its policy), which later requests reuse however often the
	// connections under it are closed. A measured run of a few seconds over 1,000 tenants
	// would be made almost only of first requests; so every tenant is visited once first,
	// timed on its own, and the round-robin measures the steady state.
	b.step("first visits: /dashboard once on each of %d tenants …", len(slugs))
	var next atomic.Int64
	stop := rrd.sampleConnections(ctx, srv)
	rr.First = closedLoop(ctx, "first visits", b.o.sessions, 0, time.Hour, func(ctx context.Context, w int) (int, bool, string, bool) {
		i := int(next.Add(1) - 1)
		if i >= len(sessions) {
			return 0, false, "", true
		}
		return getOp([]*Session{sessions[i]}, "/dashboard", false)(ctx, w)
	})
	next.Store(0)
	b.step("%d tenants round-robin: /dashboard for %s …", len(slugs), b.o.tenantDuration)
	rr.Many = closedLoop(ctx, "round-robin", b.o.sessions, b.o.warmup, b.o.tenantDuration, func(ctx context.Context, w int) (int, bool, string, bool) {
		s := sessions[int(next.Add(1)-1)%len(sessions)]
		return getOp([]*Session{s}, "/dashboard", false)(ctx, w)
	})
	rr.MaxConns, rr.MaxRSS = stop()
	srv.Stop()

	// The floor of serving 1,000 tenants from at most that many connections: the dashboard's
	// own statements (captured from one of these tenants), each request on a new connection
	// to the next tenant, from as many workers as the server held connections.
	stmts, err := b.captureRoundRobinDashboard(ctx, rrd, slugs[0], token)
	if err != nil {
		return err
	}
	workers := max(min(rr.MaxConns, b.o.sessions), 1)
	b.step("floor: the dashboard's SQL on a new connection per request, %d at a time, round-robin …", workers)
	next.Store(0)
	rr.Floor = closedLoop(ctx, "round-robin SQL", workers, b.o.warmup, b.o.tenantDuration, func(ctx context.Context, w int) (int, bool, string, bool) {
		slug := slugs[int(next.Add(1)-1)%len(slugs)]
		dsn, err := tenancy.WithDatabase(b.o.dsn, rrd.control+"_"+slug)
		if err != nil {
			return 0, false, err.Error(), false
		}
		cfg, err := auditedConnConfig(tenancy.Tenant{Slug: slug, DSN: dsn}, b.secret)
		if err != nil {
			return 0, false, err.Error(), false
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return 0, false, err.Error(), false
		}
		defer conn.Close(context.WithoutCancel(ctx))
		return replay(ctx, conn, stmts)
	})
	return nil
}

// captureRoundRobinDashboard records the statements of /dashboard in one of the many tenants,
// signed in with the session they all share.
func (b *bench) captureRoundRobinDashboard(ctx context.Context, rrd *deployment, slug, token string) ([]statement, error) {
	app, err := startCaptureApp(ctx, controlConfig(rrd.ControlDSN, b.secret, filepath.Join(b.work, "blobs"), 0))
	if err != nil {
		return nil, err
	}
	defer app.shutdown()
	s := newSession(newHTTPClient(1), app.Addr, app.Host(slug))
	s.cookies["outlay_session"] = token
	if _, _, _, err := app.capture(ctx, s, "/dashboard", false); err != nil { // warm, as under load
		return nil, err
	}
	stmts, _, _, err := app.capture(ctx, s, "/dashboard", false)
	return stmts, err
}

// manyTenants readies n small tenants, each with one requester and a live session whose
// cookie is token, in the deployment <control>rr. Creating a thousand databases and dropping
// them again costs minutes and a checkpoint per drop on the whole server, so this deployment
// is kept after the run (-drop-tenants removes it): the next run only brings each tenant up to
// the current schema and gives it a fresh session.
func (b *bench) manyTenants(ctx context.Context, n int) (*deployment, []string, string, error) {
	rrd, err := newDeployment(ctx, b.o.dsn, b.o.control+"rr")
	if err != nil {
		return nil, nil, "", err
	}
	b.closers = append(b.closers, rrd.admin.Close)
	if b.o.dropTenants {
		b.closers = append(b.closers, func() {
			b.step("dropping the many-tenant deployment %s …", rrd.control)
			if err := rrd.drop(context.WithoutCancel(ctx)); err != nil {
				b.step("dropping %s: %v", rrd.control, err)
			}
		})
	}
	if err := rrd.ensure(ctx); err != nil {
		return nil, nil, "", err
	}
	tpl := rrd.control + "_rrtpl"
	if err := rrd.userTemplate(ctx, tpl); err != nil {
		return nil, nil, "", fmt.Errorf("template %s: %w", tpl, err)
	}
	b.step("readying %d tenants in %s (created from %s where missing, kept afterwards) …", n, rrd.control, tpl)
	token, _ := auth.NewToken()
	t0 := time.Now()
	slugs, created, err := rrd.prepareTenants(ctx, tpl, "rr", n, token)
	if err != nil {
		return nil, nil, "", err
	}
	b.report.RoundRobin = &RoundRobin{Tenants: len(slugs), Created: created, ReadyTook: time.Since(t0)}
	b.step("ready in %s (%d created)", b.report.RoundRobin.ReadyTook.Round(time.Millisecond), created)
	return rrd, slugs, token, nil
}

// timeMigrate times `outlay migrate` across the many tenants, with the newest tenant
// migration first rolled back in each so that migrate applies it, then again with nothing to
// apply.
func (b *bench) timeMigrate(ctx context.Context) error {
	rrd, slugs, _, err := b.manyTenants(ctx, b.o.migrateTenants)
	if err != nil {
		return err
	}
	m := &MigrateTiming{Tenants: len(slugs), Parallel: controlConfig("", nil, "", 0).MigrateParallel, ReadyTook: b.report.RoundRobin.ReadyTook}
	b.report.RoundRobin = nil
	if m.Newest, err = newestTenantMigration(); err != nil {
		return err
	}
	b.report.Migrate = m
	b.step("rolling back %s in each tenant …", m.Newest)
	if err := rrd.rollBackNewest(ctx, slugs); err != nil {
		return err
	}
	migrate := func() (time.Duration, error) {
		cmd := exec.CommandContext(ctx, b.o.outlay, "migrate")
		cmd.Env = append(os.Environ(), "OUTLAY_DATABASE_URL="+rrd.ControlDSN)
		out, err := os.Create(filepath.Join(b.work, "migrate.log"))
		if err != nil {
			return 0, err
		}
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("outlay migrate: %w (see %s)", err, out.Name())
		}
		took := time.Since(t0)
		// It says how many tenants it migrated: all of them, or the timing means nothing.
		log, err := os.ReadFile(out.Name())
		if err != nil {
			return 0, err
		}
		if want := fmt.Sprintf("\n%d tenants migrated", len(slugs)); !strings.Contains("\n"+string(log), want) {
			return 0, fmt.Errorf("outlay migrate did not report %q (see %s)", strings.TrimSpace(want), out.Name())
		}
		return took, nil
	}
	b.step("outlay migrate (applies %s to each) …", m.Newest)
	if m.Apply, err = migrate(); err != nil {
		return err
	}
	b.step("outlay migrate again (nothing to apply) …")
	m.Noop, err = migrate()
	return err
}

// newestTenantMigration is the file name of the newest tenant migration.
func newestTenantMigration() (string, error) {
	entries, err := fs.ReadDir(migrations.Tenant(), ".")
	if err != nil {
		return "", err
	}
	newest := ""
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") && e.Name() > newest {
			newest = e.Name()
		}
	}
	return newest, nil
}
