package tenancy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"outlay"
)

// DefaultCluster is the cluster that holds the control plane itself; every deployment has it.
const DefaultCluster = "default"

// Cluster is a Postgres server (or cluster) that holds tenant databases.
type Cluster struct {
	ID string
	// DSN reaches the cluster's maintenance database as a user that may create databases.
	DSN string
	// Tenants counts the tenants placed on it that have a database (not purged).
	Tenants   int
	CreatedAt time.Time

	// via is the control plane's pool when the cluster is the control plane's own, so that
	// creating a database there costs no new connection.
	via *pgxpool.Pool
}

// querier is what a cluster's statements run on: a pool or a connection.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// connect returns a connection to the cluster's maintenance database and how to give it back.
func (c Cluster) connect(ctx context.Context) (querier, func(), error) {
	if c.via != nil {
		conn, err := c.via.Acquire(ctx)
		if err != nil {
			return nil, nil, err
		}
		return conn, conn.Release, nil
	}
	conn, err := pgx.Connect(ctx, c.DSN)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster %s: %w", c.ID, err)
	}
	return conn, func() { _ = conn.Close(context.Background()) }, nil
}

var clusterNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// AddCluster registers a Postgres cluster for tenant databases, after checking that dsn
// reaches it and that its user may create databases.
func (r *Registry) AddCluster(ctx context.Context, name, dsn string) (Cluster, error) {
	verr := outlay.ValidationErrors{}
	if !clusterNamePattern.MatchString(name) {
		verr.Add("name", fmt.Sprintf("cluster name %q must be 1 to 40 lowercase letters, digits or '-', not starting or ending with '-'", name))
	}
	if _, err := DatabaseName(dsn); err != nil {
		verr.Add("dsn", "the cluster's URL must be a postgres:// URL naming its maintenance database, such as postgres://postgres@db2:5432/postgres")
	}
	if err := verr.Err(); err != nil {
		return Cluster{}, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return Cluster{}, fmt.Errorf("cluster %s cannot be reached at %s: %w", name, redact(dsn), err)
	}
	var canCreate bool
	err = conn.QueryRow(ctx, `SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user`).Scan(&canCreate)
	_ = conn.Close(context.Background())
	if err != nil {
		return Cluster{}, fmt.Errorf("cluster %s: %w", name, err)
	}
	if !canCreate {
		return Cluster{}, outlay.ValidationErrors{"dsn": "the cluster's user may not create databases; connect as a superuser or a role with CREATEDB"}
	}
	tag, err := r.pool.Exec(ctx, `INSERT INTO clusters (id, dsn) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, dsn)
	if err != nil {
		return Cluster{}, fmt.Errorf("register cluster: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return Cluster{}, outlay.Conflict(fmt.Sprintf("cluster %q already exists; nothing was changed", name))
	}
	return r.Cluster(ctx, name)
}

const selectClusters = `
SELECT c.id, COALESCE(c.dsn, ''), c.created_at,
	(SELECT count(*) FROM tenants t WHERE t.cluster_id = c.id AND t.status <> 'purged')
FROM clusters c`

// Clusters lists the registered clusters with how many tenants each holds, by name.
func (r *Registry) Clusters(ctx context.Context) ([]Cluster, error) {
	rows, err := r.pool.Query(ctx, selectClusters+` ORDER BY c.id <> 'default', c.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Cluster
	for rows.Next() {
		var c Cluster
		if err := rows.Scan(&c.ID, &c.DSN, &c.CreatedAt, &c.Tenants); err != nil {
			return nil, err
		}
		if err := r.complete(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Cluster returns one registered cluster.
func (r *Registry) Cluster(ctx context.Context, name string) (Cluster, error) {
	var c Cluster
	err := r.pool.QueryRow(ctx, selectClusters+` WHERE c.id = $1`, name).Scan(&c.ID, &c.DSN, &c.CreatedAt, &c.Tenants)
	if errors.Is(err, pgx.ErrNoRows) {
		return Cluster{}, outlay.NotFound(fmt.Sprintf("no cluster %q (see `outlay cluster list`)", name))
	}
	if err != nil {
		return Cluster{}, err
	}
	return c, r.complete(&c)
}

// complete fills in what a cluster's row leaves implicit: a cluster without a DSN is the
// control plane's own, reached through its pool.
func (r *Registry) complete(c *Cluster) (err error) {
	if c.DSN != "" {
		return nil
	}
	c.via = r.pool
	c.DSN, err = WithDatabase(r.controlDSN, "postgres")
	return err
}

// LeastLoadedCluster is where a new tenant goes when none is named: the cluster with the
// fewest tenants (the default cluster on a tie, then by name).
func (r *Registry) LeastLoadedCluster(ctx context.Context) (string, error) {
	var id string
	err := r.pool.QueryRow(ctx, selectClusters+` ORDER BY 4, c.id <> 'default', c.id LIMIT 1`).Scan(&id, new(string), new(time.Time), new(int))
	return id, err
}

// DatabaseDSN is the DSN of database name on cluster c.
func (c Cluster) DatabaseDSN(name string) (string, error) { return WithDatabase(c.DSN, name) }

// Exec runs one statement on the cluster's maintenance database (creating or dropping a
// database, changing its settings).
func (c Cluster) Exec(ctx context.Context, sql string, args ...any) error {
	conn, done, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// DatabaseExists reports whether the cluster has a database called name.
func (c Cluster) DatabaseExists(ctx context.Context, name string) (bool, error) {
	conn, done, err := c.connect(ctx)
	if err != nil {
		return false, err
	}
	defer done()
	var ok bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok)
	return ok, err
}

// CreateDatabase creates an empty database (or a copy of template, on the same cluster).
func (c Cluster) CreateDatabase(ctx context.Context, name, template string) error {
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	err := c.Exec(ctx, q)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" {
		return outlay.Conflict(fmt.Sprintf("database %q already exists on cluster %s though no tenant owns it; remove it or choose another slug", name, c.ID))
	}
	if err != nil {
		return fmt.Errorf("create tenant database: %w", err)
	}
	return nil
}

// DropDatabase drops a database, ending the sessions still connected to it.
func (c Cluster) DropDatabase(ctx context.Context, name string) error {
	return c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// SetReadOnly makes every new transaction in database name read-only (or writable again)
// and ends the sessions connected to it. A session takes the database's setting when it
// starts and keeps it, so ending them is what makes the change reach every session: turning
// it on, from the moment it returns nothing can be written there (sessions open before were
// ended, their open transactions rolled back, unacknowledged, and sessions opened after start
// read-only; a write then fails with SQLSTATE 25006, read_only_sql_transaction); turning it
// off, the app servers' sessions opened while it was on (which would refuse every write until
// they close) are ended, and the servers open writable ones.
func (c Cluster) SetReadOnly(ctx context.Context, name string, on bool) error {
	conn, done, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	ident := pgx.Identifier{name}.Sanitize()
	set := "ALTER DATABASE " + ident + " SET default_transaction_read_only = on"
	if !on {
		set = "ALTER DATABASE " + ident + " RESET default_transaction_read_only"
	}
	if _, err = conn.Exec(ctx, set); err != nil {
		return err
	}
	// A session still starting while the setting changed may have read the old value; a
	// second sweep ends it too. Ending sessions waits until each is gone (pg_terminate_backend
	// with a timeout), so none writes after this returns. Every session is told to end first,
	// without waiting, so they end together rather than one after the other.
	for range 2 {
		for _, q := range []string{
			`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
			`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
		} {
			if _, err = conn.Exec(ctx, q, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// TenantDatabaseName is the name of a tenant's database in this deployment.
func (r *Registry) TenantDatabaseName(slug string) string { return r.controlDB + "_" + slug }

// Placement is where a tenant's data lives: what Switch points the registry at.
type Placement struct {
	Slug         string
	Name         string // the organisation's name, for a tenant that is new to the registry
	DatabaseName string
	ClusterID    string
	// SignedHead is the audit head of the database (audit.Head.Sign), recorded with the switch.
	SignedHead string
	HeadID     int64
	HeadHash   []byte
	HeadAt     time.Time
}

// Switch points a tenant at another database, in one transaction with its recorded audit
// head: every server then uses the new database, and the head it is checked against is the
// new database's. When from is non-nil the tenant must still be where from says (its
// database and cluster), or nothing changes; when it is nil the slug must be new or purged,
// and the tenant is registered (active) with the placement.
func (r *Registry) Switch(ctx context.Context, to Placement, from *Tenant) error {
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if from != nil {
			tag, err := tx.Exec(ctx, `UPDATE tenants SET database_name = $2, cluster_id = $3, updated_at = now()
				WHERE slug = $1 AND database_name = $4 AND cluster_id = $5`,
				to.Slug, to.DatabaseName, to.ClusterID, from.DatabaseName, from.ClusterID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return outlay.Conflict(fmt.Sprintf("tenant %s moved or changed meanwhile; nothing was switched", to.Slug))
			}
		} else {
			tag, err := tx.Exec(ctx, `INSERT INTO tenants (slug, name, status, database_name, cluster_id) VALUES ($1, $2, 'active', $3, $4)
				ON CONFLICT (slug) DO UPDATE SET status = 'active', database_name = $3, cluster_id = $4, updated_at = now(),
					suspended_at = NULL, lapsed_at = NULL, purge_after = NULL, purged_at = NULL
				WHERE tenants.status = 'purged'`, to.Slug, to.Name, to.DatabaseName, to.ClusterID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return outlay.Conflict(fmt.Sprintf("tenant %q already exists; restore into it without --as, or choose another slug", to.Slug))
			}
		}
		if to.SignedHead == "" {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_heads (slug, head_id, head_hash, signed, recorded_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (slug) DO UPDATE SET head_id = $2, head_hash = $3, signed = $4, recorded_at = $5`,
			to.Slug, to.HeadID, to.HeadHash, to.SignedHead, to.HeadAt)
		return err
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return outlay.Conflict(fmt.Sprintf("database %s is already a tenant's", to.DatabaseName))
		}
		return fmt.Errorf("switch tenant %s: %w", to.Slug, err)
	}
	// Switched: an error now would have the caller undo a switch that took (dropping the
	// database the tenant uses). This process's copy catches up with the next notification.
	if err := r.Refresh(ctx); err != nil {
		r.logger.Warn("tenant switched, but the registry could not be reloaded", "tenant", to.Slug, "err", err)
	}
	return nil
}

// ClusterOf returns the cluster a tenant is on.
func (r *Registry) ClusterOf(ctx context.Context, t Tenant) (Cluster, error) {
	return r.Cluster(ctx, t.ClusterID)
}

// RedactDSN hides a DSN's password for listings.
func RedactDSN(dsn string) string { return redact(dsn) }
