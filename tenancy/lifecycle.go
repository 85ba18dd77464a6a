package tenancy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"outlay"
)

// ReadOnly reports whether the tenant's data may only be read: a lapsed organisation keeps
// its people's sign-in and every export until it is purged, and nothing else.
func (t Tenant) ReadOnly() bool { return t.Status == StatusLapsed }

// Writable reports whether the tenant's data may be changed, by a request or a job.
func (t Tenant) Writable() bool { return t.Status == StatusActive }

// sqlStateReadOnly is Postgres's read_only_sql_transaction: a write in a read-only transaction,
// as every transaction is in a database set read-only while it is moved to another cluster.
const sqlStateReadOnly = "25006"

// IsReadOnlyTransaction reports whether err is the database refusing a write because it is
// read-only (a tenant being moved), rather than anything wrong with the write itself.
func IsReadOnlyTransaction(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == sqlStateReadOnly
}

// sqlStateTerminated is Postgres's admin_shutdown: the session was ended from outside, as a
// move ends every session of the database it makes read-only and those of the old database it
// drops (or as a server shutting down does).
const sqlStateTerminated = "57P01"

// IsTerminated reports whether err is the database ending the session a query ran on: the
// connection is gone, and the tenant's database may be read-only or on another cluster now.
func IsTerminated(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == sqlStateTerminated
}

// Suspend stops every sign-in to an active tenant. Its people's sessions end (endSessions,
// given the tenant's database, deletes them) so that reactivating it signs nobody back in.
func (r *Registry) Suspend(ctx context.Context, slug string, endSessions func(context.Context, Tenant) error) error {
	if err := r.transition(ctx, slug, StatusSuspended, []string{StatusActive},
		`suspended_at = now()`); err != nil {
		return err
	}
	t, _ := r.Lookup(slug)
	if endSessions == nil {
		return nil
	}
	return endSessions(ctx, t)
}

// Lapse makes an active or suspended tenant read-only: its people may sign in and export
// everything until now+window, when the purge job deletes it. by names who lapsed it, for
// the purge record.
func (r *Registry) Lapse(ctx context.Context, slug, by string, now time.Time, window time.Duration) error {
	if window <= 0 {
		return fmt.Errorf("the purge window must be positive, got %s", window)
	}
	return r.transition(ctx, slug, StatusLapsed, []string{StatusActive, StatusSuspended},
		`lapsed_at = $3, lapsed_by = $4, purge_after = $5`, now, by, now.Add(window))
}

// Reactivate returns a suspended or lapsed tenant to active; a lapsed one's purge is called off.
func (r *Registry) Reactivate(ctx context.Context, slug string) error {
	return r.transition(ctx, slug, StatusActive, []string{StatusSuspended, StatusLapsed},
		`suspended_at = NULL, lapsed_at = NULL, lapsed_by = NULL, purge_after = NULL`)
}

// transition moves tenant slug to status to, from one of the statuses from, setting the
// columns set names ($3 on are args). Any other starting status is refused with what it is.
func (r *Registry) transition(ctx context.Context, slug, to string, from []string, set string, args ...any) error {
	tag, err := r.pool.Exec(ctx, `UPDATE tenants SET status = $2, updated_at = now(), `+set+`
		WHERE slug = $1 AND status = ANY($`+fmt.Sprint(len(args)+3)+`)`, append(append([]any{slug, to}, args...), from)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		var status string
		err := r.pool.QueryRow(ctx, `SELECT status FROM tenants WHERE slug = $1`, slug).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return outlay.NotFound(fmt.Sprintf("no tenant %q", slug))
		}
		if err != nil {
			return err
		}
		if status == to {
			return outlay.Conflict(fmt.Sprintf("tenant %q is already %s; nothing was changed", slug, to))
		}
		return outlay.Conflict(fmt.Sprintf("tenant %q is %s, and only a tenant that is %s can become %s; nothing was changed",
			slug, status, strings.Join(from, " or "), to))
	}
	return r.Refresh(ctx)
}

// FileDeleter deletes a tenant's attachments (the blob store's DeleteTenant), and lists the
// files it holds of a tenant (Keys).
type FileDeleter interface {
	DeleteTenant(ctx context.Context, slug string) (int, error)
	Keys(ctx context.Context, slug string) ([]string, error)
}

// NoFiles is the FileDeleter of a store whose folder does not exist: it holds none of the
// tenant's files, so a purge finds missing every file the tenant's records name, and deletes none.
type NoFiles struct{}

// DeleteTenant deletes nothing.
func (NoFiles) DeleteTenant(context.Context, string) (int, error) { return 0, nil }

// Keys lists nothing.
func (NoFiles) Keys(context.Context, string) ([]string, error) { return nil, nil }

// ErrFilesMissing refuses a purge that would record as deleted files it did not find where
// they were written (a store read from another folder than the one it was written in): the
// files would outlive the purge. The purge runs where they are, or, for files lost for good,
// with PurgeRequest.ForgetMissing.
var ErrFilesMissing = errors.New("files of the tenant are not where they were written")

// PurgeRequest is what purging a tenant needs.
type PurgeRequest struct {
	By    string    // who purges: "outlay tenant purge" or the purge job
	Now   time.Time // the time the window is compared with
	Force bool      // purge a lapsed tenant before its window ends
	Files FileDeleter
	// ForgetMissing purges although attachment files the tenant's records name are not in
	// Files (lost, or deleted by hand); without it such a purge is refused (ErrFilesMissing).
	ForgetMissing bool
	// Backups deletes the tenant's backups (backup.Purger): the data goes with the purge,
	// wherever a copy of it was kept.
	Backups BackupDeleter
}

// BackupDeleter deletes every backup of a tenant and says how many the control plane listed.
type BackupDeleter interface {
	DeleteBackups(ctx context.Context, slug string) (int, error)
}

// Purge is the record a purge leaves in the control plane.
type Purge struct {
	Slug, Name, DatabaseName string
	LapsedAt, PurgeAfter     *time.Time
	LapsedBy                 string
	PurgedAt                 time.Time
	PurgedBy                 string
	Forced                   bool
	TableRows                map[string]int64
	Rows                     int64
	Attachments              int
	Backups                  int
}

// ErrPurgeNotDue refuses to purge a tenant whose export window has not ended.
var ErrPurgeNotDue = errors.New("the tenant's export window has not ended")

// Purge deletes a lapsed tenant for good: it counts the rows of its database, deletes its
// attachments and its backups, drops the database and records all of it in tenant_purges, while holding
// the tenant's registry row so that two purges never run at once. Only a lapsed tenant is
// purged, and only once its window has ended unless Force is set. A purge that fails part way
// leaves the tenant lapsed, and running it again finishes it.
func (r *Registry) Purge(ctx context.Context, slug string, req PurgeRequest) (Purge, error) {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return Purge{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	p := Purge{Slug: slug, PurgedBy: req.By, Forced: req.Force}
	var status string
	var lapsedBy *string
	err = tx.QueryRow(ctx, `SELECT name, status, database_name, lapsed_at, lapsed_by, purge_after FROM tenants
		WHERE slug = $1 FOR UPDATE`, slug).Scan(&p.Name, &status, &p.DatabaseName, &p.LapsedAt, &lapsedBy, &p.PurgeAfter)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, outlay.NotFound(fmt.Sprintf("no tenant %q", slug))
	}
	if err != nil {
		return p, err
	}
	if lapsedBy != nil {
		p.LapsedBy = *lapsedBy
	}
	switch {
	case status == StatusPurged:
		return p, outlay.Conflict(fmt.Sprintf("tenant %q is already purged", slug))
	case status != StatusLapsed:
		return p, outlay.Conflict(fmt.Sprintf("tenant %q is %s: lapse it first (outlay tenant lapse %s); nothing was changed", slug, status, slug))
	case !req.Force && (p.PurgeAfter == nil || req.Now.Before(*p.PurgeAfter)):
		return p, fmt.Errorf("%w (%s)", ErrPurgeNotDue, p.PurgeAfter)
	}
	// A move holds a copy of the tenant on another cluster, which a purge would leave behind;
	// it is finished or undone first. (A move starting now waits for this row.)
	if m, err := scanMove(tx.QueryRow(ctx, selectMoves+` WHERE m.slug = $1`, slug)); err == nil {
		return p, outlay.Conflict(fmt.Sprintf("%s is recorded, and a purge would leave its copy of the tenant behind: purge it once the move is done or undone (%s); nothing was changed",
			m, AbandonCommand(slug)))
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return p, err
	}
	t, ok := r.Lookup(slug)
	if !ok {
		return p, outlay.NotFound(fmt.Sprintf("no tenant %q", slug))
	}
	if p.TableRows, err = countRows(ctx, t.DSN); err != nil {
		return p, fmt.Errorf("count the rows of %s: %w", p.DatabaseName, err)
	}
	for _, n := range p.TableRows {
		p.Rows += n
	}
	// The attachments are checked before the backups are deleted, which find each backup
	// before deleting any: a file missing stops the purge before anything is deleted.
	if req.Files != nil && !req.ForgetMissing {
		if err := filesAllThere(ctx, t.DSN, slug, req.Files); err != nil {
			return p, err
		}
	}
	if req.Backups != nil {
		if p.Backups, err = req.Backups.DeleteBackups(ctx, slug); err != nil {
			return p, fmt.Errorf("delete the backups of %s: %w", slug, err)
		}
	}
	if req.Files != nil {
		if p.Attachments, err = req.Files.DeleteTenant(ctx, slug); err != nil {
			return p, fmt.Errorf("delete the attachments of %s: %w", slug, err)
		}
	}
	if err := r.dropTenantDatabase(ctx, t); err != nil {
		return p, fmt.Errorf("drop database %s: %w", p.DatabaseName, err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO tenant_purges (slug, name, database_name, lapsed_at, lapsed_by, purge_after,
		purged_by, forced, table_rows, rows, attachments, backups) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING purged_at`, slug, p.Name, p.DatabaseName, p.LapsedAt, lapsedBy, p.PurgeAfter, req.By, req.Force,
		p.TableRows, p.Rows, p.Attachments, p.Backups).Scan(&p.PurgedAt)
	if err != nil {
		return p, err
	}
	if _, err := tx.Exec(ctx, `UPDATE tenants SET status = 'purged', purged_at = $2, updated_at = now() WHERE slug = $1`, slug, p.PurgedAt); err != nil {
		return p, err
	}
	// The export records outlive the purge only as counts: who asked for each (an email) goes
	// with the rest of the tenant's personal data.
	if _, err := tx.Exec(ctx, `UPDATE tenant_exports SET requested_by_label = 'purged' WHERE slug = $1`, slug); err != nil {
		return p, err
	}
	if err := tx.Commit(ctx); err != nil {
		return p, err
	}
	return p, r.Refresh(ctx)
}

// countRows counts the rows of every table of the database at dsn, by table name.
func countRows(ctx context.Context, dsn string) (map[string]int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
			return map[string]int64{}, nil // Already dropped by a purge that stopped part way.
		}
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename), tablename
		FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	type table struct{ qualified, name string }
	var tables []table
	for rows.Next() {
		var tb table
		if err := rows.Scan(&tb.qualified, &tb.name); err != nil {
			return nil, err
		}
		tables = append(tables, tb)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(tables))
	for _, tb := range tables {
		var n int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+tb.qualified).Scan(&n); err != nil {
			return nil, err
		}
		out[tb.name] += n
	}
	return out, nil
}

// filesAllThere checks that files holds every attachment file the records of the tenant's
// database name (in every table with a storage_key column); a database a purge already
// dropped names none.
func filesAllThere(ctx context.Context, dsn, slug string, files FileDeleter) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
			return nil
		}
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.columns
		WHERE column_name = 'storage_key' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, tb := range tables {
		rows, err := conn.Query(ctx, `SELECT DISTINCT storage_key FROM `+tb+` WHERE storage_key IS NOT NULL`)
		if err != nil {
			return err
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, k := range keys {
			named[k] = true
		}
	}
	if len(named) == 0 {
		return nil
	}
	held, err := files.Keys(ctx, slug)
	if err != nil {
		return err
	}
	for _, k := range held {
		delete(named, k)
	}
	if len(named) > 0 {
		return fmt.Errorf("%w: %d attachment files its records name are not in the attachment store; nothing was purged", ErrFilesMissing, len(named))
	}
	return nil
}

// dropTenantDatabase drops a tenant's database on its own cluster, ending its connections.
func (r *Registry) dropTenantDatabase(ctx context.Context, t Tenant) error {
	c, err := r.ClusterOf(ctx, t)
	if err != nil {
		return err
	}
	return c.DropDatabase(ctx, t.DatabaseName)
}

// Purges lists the purge records of the control plane, newest first.
func (r *Registry) Purges(ctx context.Context) ([]Purge, error) {
	rows, err := r.pool.Query(ctx, `SELECT slug, name, database_name, lapsed_at, coalesce(lapsed_by, ''), purge_after,
		purged_at, purged_by, forced, table_rows, rows, attachments, backups FROM tenant_purges ORDER BY purged_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Purge
	for rows.Next() {
		var p Purge
		if err := rows.Scan(&p.Slug, &p.Name, &p.DatabaseName, &p.LapsedAt, &p.LapsedBy, &p.PurgeAfter,
			&p.PurgedAt, &p.PurgedBy, &p.Forced, &p.TableRows, &p.Rows, &p.Attachments, &p.Backups); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DuePurges lists the lapsed tenants whose export window ended by now.
func (r *Registry) DuePurges(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := r.pool.Query(ctx, `SELECT slug FROM tenants WHERE status = 'lapsed' AND purge_after <= $1 ORDER BY purge_after, slug`, now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
