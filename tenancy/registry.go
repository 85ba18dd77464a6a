// Package tenancy keeps the tenant registry of the control plane, creates and migrates tenant
// databases, and holds one small connection pool per tenant under a global cap.
package tenancy

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"outlay"
	"outlay/migrations"
)

// Tenant statuses, in lifecycle order.
const (
	StatusProvisioning = "provisioning"
	StatusActive       = "active"
	StatusSuspended    = "suspended"
	StatusLapsed       = "lapsed"
	StatusPurged       = "purged"
)

// Tenant is one customer organisation as the registry knows it.
type Tenant struct {
	Slug         string
	Name         string
	Status       string
	DatabaseName string
	ClusterID    string
	// DSN reaches the tenant's database; it is derived from its cluster, never stored.
	DSN       string
	CreatedAt time.Time
	// LapsedAt and PurgeAfter are set while the tenant is lapsed: its data may be exported
	// until PurgeAfter, when the purge job deletes it.
	LapsedAt, PurgeAfter *time.Time
	// PurgedAt is when a purged tenant was purged.
	PurgedAt *time.Time
	// MovingTo names the cluster a recorded move of the tenant goes to, running or
	// interrupted (see Registry.Moves); empty when none is.
	MovingTo string
}

// PurgedRefusal refuses what would need the data of t, a purged tenant, saying when it was
// purged and that there is nothing to act on ("back up", "export"): an outlay.Conflict.
func (t Tenant) PurgedRefusal(nothingTo string) error {
	when := ""
	if t.PurgedAt != nil {
		when = " on " + t.PurgedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return outlay.Conflict(fmt.Sprintf("tenant %q was purged%s: its data is gone, and there is nothing to %s", t.Slug, when, nothingTo))
}

// Moving reports whether a move of the tenant to another cluster is recorded: while it runs,
// and after it was interrupted until it is undone, its database may be read-only and its
// sessions are ended.
func (t Tenant) Moving() bool { return t.MovingTo != "" }

// Registry is the control plane's tenant registry with an in-memory copy, so that resolving a
// request's tenant costs no query. The copy is refreshed on every change this process makes
// and, through LISTEN/NOTIFY, on changes any other process makes.
type Registry struct {
	pool       *pgxpool.Pool
	controlDSN string
	controlDB  string
	logger     *slog.Logger

	mu     sync.RWMutex
	bySlug map[string]Tenant

	// OnChange, when set before Watch starts, is called whenever any app server announces a
	// change to a tenant's settings that servers keep in memory (what is a Change constant).
	OnChange func(what, slug string)
}

// Changes to a tenant that app servers hold in memory, announced to every server at once.
const (
	// ChangePolicy: the tenant's role policies changed; its cached policy set is stale.
	ChangePolicy = "policy"
	// ChangeSSO: the tenant's single sign-on providers were saved or deleted; providers built
	// from them (with their discovered endpoints) are stale.
	ChangeSSO = "sso"
)

// changeChannel carries, in the control database, "<what>:<slug>" of each announced change;
// one channel serves every tenant.
const changeChannel = "outlay_tenant_changes"

// Announce tells every app server, this one included, that what changed in a tenant.
func (r *Registry) Announce(ctx context.Context, what, slug string) error {
	_, err := r.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, changeChannel, what+":"+slug)
	return err
}

// OpenRegistry connects to the control plane, creating its database when missing and
// migrating it to the current schema, then loads the registry.
func OpenRegistry(ctx context.Context, controlDSN string, logger *slog.Logger, counter *QueryCounter) (*Registry, error) {
	if logger == nil {
		logger = slog.Default()
	}
	controlDB, err := DatabaseName(controlDSN)
	if err != nil {
		return nil, err
	}
	if err := EnsureDatabase(ctx, controlDSN); err != nil {
		return nil, fmt.Errorf("create control database: %w", err)
	}
	if err := MigrateControl(ctx, controlDSN); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(controlDSN)
	if err != nil {
		return nil, fmt.Errorf("control database URL: %w", err)
	}
	cfg.MaxConns = 4
	if counter != nil {
		cfg.ConnConfig.Tracer = countingTracer{&counter.Control, &counter.Background}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	r := &Registry{pool: pool, controlDSN: controlDSN, controlDB: controlDB, logger: logger}
	if err := r.Refresh(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return r, nil
}

// MaxConns is how many connections the registry's pool may open to the control database.
func (r *Registry) MaxConns() int { return int(r.pool.Config().MaxConns) }

// Close releases the control-plane connections.
func (r *Registry) Close() { r.pool.Close() }

// Ping checks that the control plane answers (readiness).
func (r *Registry) Ping(ctx context.Context) error { return r.pool.Ping(ctx) }

// ControlDatabase is the control plane's database name, the prefix of every tenant database.
func (r *Registry) ControlDatabase() string { return r.controlDB }

const selectTenants = `
SELECT t.slug, t.name, t.status, t.database_name, t.cluster_id, COALESCE(c.dsn, ''), t.created_at,
       t.lapsed_at, t.purge_after, t.purged_at, COALESCE(m.to_cluster, '')
FROM tenants t JOIN clusters c ON c.id = t.cluster_id LEFT JOIN tenant_moves m ON m.slug = t.slug`

func (r *Registry) scanTenants(ctx context.Context, where string, args ...any) ([]Tenant, error) {
	rows, err := r.pool.Query(ctx, selectTenants+" "+where+" ORDER BY t.slug", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		var t Tenant
		var clusterDSN string
		if err := rows.Scan(&t.Slug, &t.Name, &t.Status, &t.DatabaseName, &t.ClusterID, &clusterDSN, &t.CreatedAt, &t.LapsedAt, &t.PurgeAfter, &t.PurgedAt, &t.MovingTo); err != nil {
			return nil, err
		}
		if clusterDSN == "" {
			clusterDSN = r.controlDSN
		}
		if t.DSN, err = WithDatabase(clusterDSN, t.DatabaseName); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Refresh reloads the in-memory registry from the control plane.
func (r *Registry) Refresh(ctx context.Context) error {
	all, err := r.scanTenants(ctx, "")
	if err != nil {
		return fmt.Errorf("load tenant registry: %w", err)
	}
	m := make(map[string]Tenant, len(all))
	for _, t := range all {
		m[t.Slug] = t
	}
	r.mu.Lock()
	r.bySlug = m
	r.mu.Unlock()
	return nil
}

// Lookup returns the cached tenant with this slug.
func (r *Registry) Lookup(slug string) (Tenant, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.bySlug[slug]
	return t, ok
}

// Find is the tenant an operator command names by slug, to act on its data (nothingTo says
// how, for a purged tenant: "move", "verify"). Every such command looks the slug up here, so
// each says the same: a slug no tenant has, or one still being created, is outlay.NotFound,
// and a purged tenant is refused with when it was purged (PurgedRefusal), not called unknown.
func (r *Registry) Find(slug, nothingTo string) (Tenant, error) {
	t, ok := r.Lookup(slug)
	switch {
	case !ok || t.Status == StatusProvisioning:
		return Tenant{}, outlay.NotFound(fmt.Sprintf("no tenant %q (outlay tenant list shows them)", slug))
	case t.Status == StatusPurged:
		return Tenant{}, t.PurgedRefusal(nothingTo)
	}
	return t, nil
}

// List returns every tenant from the control plane (not the cache), ordered by slug.
func (r *Registry) List(ctx context.Context) ([]Tenant, error) {
	return r.scanTenants(ctx, "")
}

// Watch keeps the cache in step with the control plane until ctx ends: it LISTENs for the
// notifications the tenants table's trigger sends, and reconnects with backoff when the
// connection drops (reloading everything, since notifications sent meanwhile are lost).
func (r *Registry) Watch(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := r.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		r.logger.Warn("tenant registry watch interrupted; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (r *Registry) listen(ctx context.Context) error {
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The LISTEN state belongs to this connection; destroy it rather than return it.
	defer func() { _ = conn.Conn().Close(context.Background()); conn.Release() }()
	if _, err := conn.Exec(ctx, "LISTEN outlay_tenants; LISTEN "+changeChannel); err != nil {
		return err
	}
	if err := r.Refresh(ctx); err != nil {
		return err
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == changeChannel {
			if what, slug, ok := strings.Cut(n.Payload, ":"); ok && r.OnChange != nil {
				r.OnChange(what, slug)
			}
			continue
		}
		if err := r.Refresh(ctx); err != nil {
			return err
		}
	}
}

// CreateTenant is what `outlay tenant create` asks for.
type CreateTenant struct {
	Slug string
	Name string
	// Template, when set, names a database already at the current tenant schema to copy
	// (CREATE DATABASE ... TEMPLATE); tests use it to make tenants in milliseconds. The copy
	// is made on the default cluster unless Cluster says otherwise.
	Template string
	// Fill, when set, fills the new, empty database before it is migrated (a restore from a
	// dump, say); it gets the database's URL.
	Fill func(ctx context.Context, dsn string) error
	// Cluster names the cluster for the tenant's database; empty: the least-loaded one.
	Cluster string
}

// Create registers a tenant, creates and migrates its database, runs seed on it (the first
// admin, say) and marks it active. If any step fails, everything is undone: the slug stays
// free and no database is left behind.
func (r *Registry) Create(ctx context.Context, in CreateTenant, seed func(ctx context.Context, t Tenant) error) (Tenant, error) {
	verr := outlay.ValidationErrors{}
	if err := ValidateSlug(in.Slug); err != nil {
		verr.Add("slug", err.Error())
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		verr.Add("name", "a name is required (--name)")
	} else if n := utf8.RuneCountInString(in.Name); n > 200 {
		verr.Add("name", fmt.Sprintf("the name must be at most 200 characters; this one has %d", n))
	}
	dbName := r.controlDB + "_" + in.Slug
	if len(dbName) > 63 {
		verr.Add("slug", fmt.Sprintf("slug %q is too long for this deployment's database names (%s_<slug> must fit in 63 characters)", in.Slug, r.controlDB))
	}
	if err := verr.Err(); err != nil {
		return Tenant{}, err
	}
	clusterID := in.Cluster
	if clusterID == "" && in.Template != "" {
		clusterID = DefaultCluster
	}
	if clusterID == "" {
		var err error
		if clusterID, err = r.LeastLoadedCluster(ctx); err != nil {
			return Tenant{}, fmt.Errorf("choose a cluster: %w", err)
		}
	}
	cluster, err := r.Cluster(ctx, clusterID)
	if err != nil {
		return Tenant{}, err
	}

	tag, err := r.pool.Exec(ctx, `INSERT INTO tenants (slug, name, database_name, cluster_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, in.Slug, in.Name, dbName, cluster.ID)
	if err != nil {
		return Tenant{}, fmt.Errorf("register tenant: %w", err)
	}
	if tag.RowsAffected() == 0 {
		// A purged tenant keeps its row, and its slug, for the purge's record.
		var status string
		if err := r.pool.QueryRow(ctx, `SELECT status FROM tenants WHERE slug = $1`, in.Slug).Scan(&status); err == nil && status == StatusPurged {
			return Tenant{}, outlay.Conflict(fmt.Sprintf("tenant %q was purged, and a purged tenant's slug is not used again (its purge record keeps it); nothing was changed. Choose another slug", in.Slug))
		}
		return Tenant{}, outlay.Conflict(fmt.Sprintf("tenant %q already exists; nothing was changed", in.Slug))
	}
	created := false
	fail := func(err error) (Tenant, error) {
		cleanup := context.WithoutCancel(ctx)
		if created {
			if derr := cluster.DropDatabase(cleanup, dbName); derr != nil {
				r.logger.Error("could not drop the database of a failed tenant creation", "db", dbName, "err", derr)
			}
		}
		if _, derr := r.pool.Exec(cleanup, `DELETE FROM tenants WHERE slug = $1 AND status = 'provisioning'`, in.Slug); derr != nil {
			r.logger.Error("could not remove the registry row of a failed tenant creation", "slug", in.Slug, "err", derr)
		}
		_ = r.Refresh(cleanup)
		return Tenant{}, err
	}

	if err := cluster.CreateDatabase(ctx, dbName, in.Template); err != nil {
		return fail(err)
	}
	created = true
	dsn, err := cluster.DatabaseDSN(dbName)
	if err != nil {
		return fail(err)
	}
	if in.Fill != nil {
		if err := in.Fill(ctx, dsn); err != nil {
			return fail(err)
		}
	}
	if _, err := MigrateDatabase(ctx, dsn, migrations.Tenant()); err != nil {
		return fail(fmt.Errorf("migrate tenant database: %w", err))
	}
	t := Tenant{Slug: in.Slug, Name: in.Name, Status: StatusActive, DatabaseName: dbName, ClusterID: cluster.ID, DSN: dsn}
	if seed != nil {
		if err := seed(ctx, t); err != nil {
			return fail(err)
		}
	}
	if _, err := r.pool.Exec(ctx, `UPDATE tenants SET status = 'active', updated_at = now() WHERE slug = $1`, in.Slug); err != nil {
		return fail(err)
	}
	if err := r.Refresh(ctx); err != nil {
		return Tenant{}, err
	}
	t, _ = r.Lookup(in.Slug)
	return t, nil
}

// DropTenantDatabase drops a tenant's database on its own cluster.
func (r *Registry) DropTenantDatabase(ctx context.Context, t Tenant) error {
	c, err := r.Cluster(ctx, t.ClusterID)
	if err != nil {
		return err
	}
	return c.DropDatabase(ctx, t.DatabaseName)
}

// SetStatus moves a tenant to another lifecycle status.
func (r *Registry) SetStatus(ctx context.Context, slug, status string) error {
	tag, err := r.pool.Exec(ctx, `UPDATE tenants SET status = $2, updated_at = now(),
		suspended_at = CASE WHEN $2 = 'suspended' THEN now() ELSE suspended_at END
		WHERE slug = $1 AND status <> 'provisioning'`, slug, status)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return outlay.NotFound(fmt.Sprintf("no tenant %q", slug))
	}
	return r.Refresh(ctx)
}

// MigrationResult is the outcome of migrating one tenant.
type MigrationResult struct {
	Slug    string
	Version int64
	Err     error
}

// MigrateAll migrates every tenant that has a database with fsys, at most parallel at a
// time. A failing tenant does not stop the others; each outcome is handed to report as it
// completes, and the results come back sorted by slug.
func (r *Registry) MigrateAll(ctx context.Context, fsys fs.FS, parallel int, report func(MigrationResult)) []MigrationResult {
	tenants, err := r.List(ctx)
	if err != nil {
		res := []MigrationResult{{Slug: "(registry)", Err: err}}
		if report != nil {
			report(res[0])
		}
		return res
	}
	parallel = max(parallel, 1)
	sem := make(chan struct{}, parallel)
	var mu sync.Mutex
	var results []MigrationResult
	var wg sync.WaitGroup
	for _, t := range tenants {
		if t.Status == StatusPurged || t.Status == StatusProvisioning {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			v, err := MigrateDatabase(ctx, t.DSN, fsys)
			res := MigrationResult{Slug: t.Slug, Version: v, Err: err}
			mu.Lock()
			results = append(results, res)
			if report != nil {
				report(res)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].Slug < results[j].Slug })
	return results
}

// riverMigrationLock is the advisory lock (in the control database) held while River's
// migrations run, since River's migrator takes none itself.
const riverMigrationLock = 7245002

// MigrateControl brings the control database up to date: our own migrations, then the job
// queue's tables with River's migrator, under a lock so two processes never migrate at once.
func MigrateControl(ctx context.Context, controlDSN string) error {
	if _, err := MigrateDatabase(ctx, controlDSN, migrations.Control()); err != nil {
		return fmt.Errorf("migrate control database: %w", err)
	}
	pool, err := pgxpool.New(ctx, controlDSN)
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	defer pool.Close()
	// Some of River's migrations cannot run inside an outer transaction, so a session lock on
	// a connection of its own serialises them.
	lockConn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	defer lockConn.Release()
	if _, err := lockConn.Exec(ctx, `SELECT pg_advisory_lock($1)`, riverMigrationLock); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	defer lockConn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrationLock)
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// MigrateDatabase brings the database at dsn up to the newest migration in fsys and returns
// the version it is at. A Postgres advisory lock keeps two processes from migrating the same
// database at once.
func MigrateDatabase(ctx context.Context, dsn string, fsys fs.FS) (int64, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return 0, err
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	return migrate(ctx, db, fsys)
}

func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) (int64, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return 0, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, err
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}
