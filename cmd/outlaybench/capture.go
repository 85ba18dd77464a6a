package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"

	"outlay/config"
	"outlay/handlers"
	"outlay/jobs"
	"outlay/mail"
	"outlay/policy"
	"outlay/storage"
	"outlay/tenancy"
)

// statement is one SQL statement a page sent, with its arguments.
type statement struct {
	SQL  string
	Args []any
}

// sqlRecorder keeps the statements tenant handles send while it is on. It hooks the end of
// every GORM callback chain (query, row, raw, create, update, delete), so it sees each
// statement as sent, audit additions included.
type sqlRecorder struct {
	mu    sync.Mutex
	on    bool
	stmts []statement
}

func (r *sqlRecorder) register(db *gorm.DB) error {
	rec := func(db *gorm.DB) {
		r.mu.Lock()
		defer r.mu.Unlock()
		// A dry run is a statement built, not sent: a subquery's, written into the statement
		// that holds it.
		if !r.on || db.Statement.SQL.Len() == 0 || db.DryRun {
			return
		}
		r.stmts = append(r.stmts, compact(db.Statement.SQL.String(), db.Statement.Vars))
	}
	cb := db.Callback()
	for name, p := range map[string]interface {
		Register(string, func(*gorm.DB)) error
	}{
		"query": cb.Query().After("*"), "row": cb.Row().After("*"), "raw": cb.Raw().After("*"),
		"create": cb.Create().After("*"), "update": cb.Update().After("*"), "delete": cb.Delete().After("*"),
	} {
		if err := p.Register("outlaybench:record_"+name, rec); err != nil {
			return err
		}
	}
	return nil
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// compact is the statement with only the arguments its SQL refers to. A GORM statement that
// was built on a reused Statement can still hold the arguments of the earlier build (the
// SQL then starts at $122, say), which Postgres cannot type when the statement is prepared
// again; the placeholders are renumbered from $1.
func compact(sql string, vars []any) statement {
	used := map[int]bool{}
	top := 0
	for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
		n, _ := strconv.Atoi(m[1])
		used[n] = true
		top = max(top, n)
	}
	if top > len(vars) || len(used) == len(vars) {
		return statement{SQL: sql, Args: append([]any(nil), vars...)}
	}
	renumber := map[int]int{}
	var args []any
	for n := 1; n <= top; n++ {
		if used[n] {
			args = append(args, vars[n-1])
			renumber[n] = len(args)
		}
	}
	sql = placeholder.ReplaceAllStringFunc(sql, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		return "$" + strconv.Itoa(renumber[n])
	})
	return statement{SQL: sql, Args: args}
}

func (r *sqlRecorder) start() {
	r.mu.Lock()
	r.on, r.stmts = true, nil
	r.mu.Unlock()
}

func (r *sqlRecorder) stop() []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.stmts
}

// captureApp is the real web app run inside the bench, over the same control database, only
// to record which statements each page sends; the load goes to the separate server.
type captureApp struct {
	Addr     string
	rec      *sqlRecorder
	counter  *tenancy.QueryCounter
	shutdown func()
}

func startCaptureApp(ctx context.Context, cfg *config.Config) (*captureApp, error) {
	logger := slog.New(slog.NewTextHandler(discard{}, nil))
	counter := &tenancy.QueryCounter{}
	registry, err := tenancy.OpenRegistry(ctx, cfg.DatabaseURL, logger, counter)
	if err != nil {
		return nil, err
	}
	rec := &sqlRecorder{}
	pools := tenancy.NewPools(cfg.MaxDBConns, cfg.TenantPoolConns, cfg.SecretKey, counter, logger)
	pools.OnOpen = func(_ string, db *gorm.DB) error { return rec.register(db) }
	blobs, err := storage.Open(ctx, cfg.BlobURL)
	if err != nil {
		registry.Close()
		return nil, err
	}
	queue, err := jobs.Open(ctx, jobs.Options{Config: cfg, Registry: registry, Pools: pools, Mailer: &mail.LogMailer{Logger: logger}, Logger: logger})
	if err != nil {
		blobs.Close()
		registry.Close()
		return nil, err
	}
	app, _ := handlers.New(handlers.Deps{Config: cfg, Registry: registry, Pools: pools, Jobs: queue, Logger: logger,
		Policies: policy.NewEngine(), Counter: counter, Blobs: blobs})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = app.Listener(ln) }()
	return &captureApp{Addr: ln.Addr().String(), rec: rec, counter: counter, shutdown: func() {
		_ = app.Shutdown()
		pools.Close()
		blobs.Close()
		registry.Close()
	}}, nil
}

func (a *captureApp) Host(slug string) string {
	_, port, _ := net.SplitHostPort(a.Addr)
	return slug + ".localhost:" + port
}

// capture fetches path as s and returns the statements the page sent, and how many the
// connection counted (more than recorded means some bypassed GORM's callbacks).
func (a *captureApp) capture(ctx context.Context, s *Session, path string, htmx bool) ([]statement, int64, []byte, error) {
	before := a.counter.Tenant.Load()
	a.rec.start()
	st, body, err := s.Do(ctx, http.MethodGet, path, nil, htmx)
	stmts := a.rec.stop()
	if err != nil {
		return nil, 0, nil, err
	}
	if st != http.StatusOK {
		return nil, 0, nil, fmt.Errorf("GET %s: status %d", path, st)
	}
	return stmts, a.counter.Tenant.Load() - before, body, nil
}

// replayPool is a pgx pool on the tenant as large as one tenant pool of the server, its
// connections carrying the audit key as the app's do.
func replayPool(ctx context.Context, t tenancy.Tenant, secret []byte, conns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(t.DSN)
	if err != nil {
		return nil, err
	}
	if cfg.ConnConfig, err = auditedConnConfig(t, secret); err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(conns)
	cfg.MinConns = int32(conns)
	return pgxpool.NewWithConfig(ctx, cfg)
}

// replayOp runs a page's statements one after another on the pool, reading every row, as
// the page's own database floor.
func replayOp(pool *pgxpool.Pool, stmts []statement) op {
	return func(ctx context.Context, _ int) (int, bool, string, bool) {
		return replay(ctx, pool, stmts)
	}
}

// replay runs stmts one after another on q, reading every row.
func replay(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, stmts []statement) (int, bool, string, bool) {
	for _, s := range stmts {
		rows, err := q.Query(ctx, s.SQL, s.Args...)
		if err != nil {
			return 0, false, err.Error(), false
		}
		for rows.Next() {
			_ = rows.RawValues()
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, false, fmt.Sprintf("%v (in %.80s)", err, s.SQL), false
		}
	}
	return 0, true, "", false
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// controlConfig is the configuration the bench's in-process app and tools use.
func controlConfig(controlDSN string, secret []byte, blobDir string, port int) *config.Config {
	cfg := config.Defaults()
	cfg.DatabaseURL = controlDSN
	cfg.SecretKey = secret
	cfg.BlobURL = "file://" + blobDir
	cfg.Listen = "127.0.0.1:" + strconv.Itoa(port)
	cfg.PublicURL, _ = url.Parse("http://localhost:" + strconv.Itoa(port))
	return &cfg
}
