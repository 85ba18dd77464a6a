package tenancy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay"
)

// moveLockClass is the first key of the advisory lock (in the control database) that the
// process moving a tenant holds for as long as it runs; the second is the move's id.
const moveLockClass = 7245003

// Move is a tenant's move to another cluster as the control plane records it, from its start
// until nothing of it is left to undo.
type Move struct {
	ID           int32
	Slug         string
	FromCluster  string
	FromDatabase string
	ToCluster    string
	ToDatabase   string
	StartedAt    time.Time
	// StartedBy is who started it: the operator's account@host.
	StartedBy string
	// HolderPID is the control database's process of the session that holds the move while
	// its process runs; 0 when nothing holds it: the move was interrupted (its process killed,
	// its machine gone) and waits for `outlay tenant move <slug> --abandon`.
	HolderPID int32
}

// Running reports whether the process moving the tenant still runs.
func (m Move) Running() bool { return m.HolderPID != 0 }

// String names the move as the operator reads it.
func (m Move) String() string {
	by := ""
	if m.StartedBy != "" {
		by = " by " + m.StartedBy
	}
	return fmt.Sprintf("the move of %s from cluster %s to %s, started %s%s", m.Slug, m.FromCluster, m.ToCluster,
		m.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), by)
}

// AbandonCommand is the command that undoes an interrupted move of tenant slug.
func AbandonCommand(slug string) string { return "outlay tenant move " + slug + " --abandon" }

// refusal is why a move or its undoing cannot start while m is recorded.
func (m Move) refusal() error {
	if m.Running() {
		return outlay.Conflict(fmt.Sprintf("%s is still running (its control-plane session is process %d); nothing was changed. "+
			"Wait for it to end; if the machine running it is gone, end that session (SELECT pg_terminate_backend(%d) in the control database) and run this again",
			m, m.HolderPID, m.HolderPID))
	}
	return outlay.Conflict(fmt.Sprintf("%s was interrupted, and %s may be read-only until it is undone with: %s; nothing was changed",
		m, m.Slug, AbandonCommand(m.Slug)))
}

// selectMoves reads recorded moves with the process holding each, if any.
var selectMoves = `
SELECT m.id, m.slug, m.from_cluster, m.from_database, m.to_cluster, m.to_database, m.started_at, m.started_by,
	COALESCE((SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.classid = ` + strconv.Itoa(moveLockClass) + ` AND l.objid = m.id::oid AND l.objsubid = 2 LIMIT 1), 0)
FROM tenant_moves m`

func scanMove(row pgx.Row) (Move, error) {
	var m Move
	err := row.Scan(&m.ID, &m.Slug, &m.FromCluster, &m.FromDatabase, &m.ToCluster, &m.ToDatabase, &m.StartedAt, &m.StartedBy, &m.HolderPID)
	return m, err
}

// RefuseWhileMoving refuses what would switch tenant slug's database (a restore over it) while
// a move of it is recorded, running or interrupted, saying what to do (for an interrupted
// one, AbandonCommand); nil when none is.
func (r *Registry) RefuseWhileMoving(ctx context.Context, slug string) error {
	m, err := scanMove(r.pool.QueryRow(ctx, selectMoves+` WHERE m.slug = $1`, slug))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return m.refusal()
}

// Moves lists the recorded moves (running or interrupted), by slug.
func (r *Registry) Moves(ctx context.Context) ([]Move, error) {
	rows, err := r.pool.Query(ctx, selectMoves+` ORDER BY m.slug`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Move, error) { return scanMove(row) })
}

// moveSession is a connection of its own to the control database, whose session holds a move's
// lock: the lock goes when the session does, so it is freed when the process moving the tenant
// ends, however it ends. A killed process's socket is closed by its kernel at once; the
// keepalives end the session within half a minute of the machine running it becoming
// unreachable.
func (r *Registry) moveSession(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(r.controlDSN)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["tcp_keepalives_idle"] = "10"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "5"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "outlay tenant move"
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// MoveInProgress is a move while its process runs: its record in the control plane, and the
// session holding the lock that says it runs.
type MoveInProgress struct {
	Move
	r    *Registry
	conn *pgx.Conn
}

// BeginMove records that m starts (its ID and StartedAt are filled in) and holds it until
// Finish or Release. The tenant must be where m says it moves from; a move of the tenant
// already recorded, running or interrupted, is refused with what to do about it.
func (r *Registry) BeginMove(ctx context.Context, m Move) (*MoveInProgress, error) {
	conn, err := r.moveSession(ctx)
	if err != nil {
		return nil, fmt.Errorf("control database: %w", err)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// A purge holds the row while it drops the database; a move waits for it, and then
		// sees the tenant purged.
		var status, database, cluster string
		err := tx.QueryRow(ctx, `SELECT status, database_name, cluster_id FROM tenants WHERE slug = $1 FOR KEY SHARE`, m.Slug).Scan(&status, &database, &cluster)
		if errors.Is(err, pgx.ErrNoRows) || status == StatusPurged || status == StatusProvisioning {
			return outlay.NotFound(fmt.Sprintf("no tenant %q", m.Slug))
		}
		if err != nil {
			return err
		}
		if database != m.FromDatabase || cluster != m.FromCluster {
			return outlay.Conflict(fmt.Sprintf("tenant %s moved or changed meanwhile; nothing was changed", m.Slug))
		}
		err = tx.QueryRow(ctx, `INSERT INTO tenant_moves (slug, from_cluster, from_database, to_cluster, to_database, started_by)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug) DO NOTHING RETURNING id, started_at`,
			m.Slug, m.FromCluster, m.FromDatabase, m.ToCluster, m.ToDatabase, m.StartedBy).Scan(&m.ID, &m.StartedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			earlier, err := scanMove(tx.QueryRow(ctx, selectMoves+` WHERE m.slug = $1`, m.Slug))
			if err != nil {
				return err
			}
			return earlier.refusal()
		}
		if err != nil {
			return err
		}
		// A session lock: it outlives this transaction, and goes with the session.
		_, err = tx.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, moveLockClass, m.ID)
		return err
	})
	if err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := r.Refresh(ctx); err != nil {
		r.logger.Warn("could not reload the tenant registry", "err", err)
	}
	return &MoveInProgress{Move: m, r: r, conn: conn}, nil
}

// Finish removes the move's record, once nothing of it is left to undo (it moved the tenant
// and dropped the old database, or it was undone), and frees it.
func (mv *MoveInProgress) Finish(ctx context.Context) error {
	defer mv.conn.Close(ctx)
	// Through the registry's pool rather than the move's own session, which may have been
	// lost meanwhile (the control database restarting).
	if _, err := mv.r.pool.Exec(ctx, `DELETE FROM tenant_moves WHERE id = $1`, mv.ID); err != nil {
		return fmt.Errorf("%s is done, but its record could not be removed (%s removes it): %w", mv.Move, AbandonCommand(mv.Slug), err)
	}
	return mv.r.Refresh(ctx)
}

// Release frees the move and keeps its record: something of it is left, for
// `outlay tenant move <slug> --abandon` to undo, and the tenant list shows it as interrupted.
func (mv *MoveInProgress) Release(ctx context.Context) {
	// Unlocked before the connection closes: Postgres ends a closed connection's backend, and
	// frees its locks, only a moment after the close returns, and until then the move would
	// still read as running.
	_, _ = mv.conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`)
	_ = mv.conn.Close(ctx)
}

// ErrNotConfirmed is returned when the operator did not confirm dropping a database.
var ErrNotConfirmed = errors.New("not confirmed")

// MoveRecovery is what undoing an interrupted move finds, and then does.
type MoveRecovery struct {
	Move Move
	// Switched reports that the move had switched the tenant to the new cluster before it
	// stopped: the move stands, and only dropping the old database was left to do.
	Switched bool
	// Tenant is the tenant as the registry has it.
	Tenant Tenant
	// Writable names the database made writable again (where the tenant was before the move);
	// empty when the move had switched the tenant, or when that database is gone.
	Writable string
	// LeftoverCluster and Leftover name the database the move left behind: its unfinished
	// copy of the tenant on the new cluster, or, when it had switched the tenant, the old
	// database. LeftoverBytes is its size; LeftoverExists is false when it is not there (never
	// made, or dropped already), and then nothing is dropped.
	LeftoverCluster, Leftover string
	LeftoverExists            bool
	LeftoverBytes             int64
	// Backups are the backups the move wrote (its dump); they are kept.
	Backups []BackupRecord
}

// AbandonMove undoes an interrupted move of tenant slug. A move that had not switched the
// tenant is undone: the tenant's database, where it was, is made writable again (its sessions
// ended, so that app servers reconnect writable), and the new cluster's unfinished copy is
// dropped. A move that had switched it stands: only the old database is dropped. confirm is
// asked, with what was found, before a database is dropped; when it says no, nothing is
// changed and ErrNotConfirmed is returned. A move whose process still runs is refused.
func (r *Registry) AbandonMove(ctx context.Context, slug string, confirm func(MoveRecovery) bool) (MoveRecovery, error) {
	var rec MoveRecovery
	conn, err := r.moveSession(ctx)
	if err != nil {
		return rec, fmt.Errorf("control database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rec.Move, err = scanMove(conn.QueryRow(ctx, selectMoves+` WHERE m.slug = $1`, slug))
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, outlay.NotFound(fmt.Sprintf("no move of tenant %q is recorded; nothing was changed", slug))
	}
	if err != nil {
		return rec, err
	}
	// Held until this session ends: a second undoing waits its turn, and sees it done.
	var free bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, moveLockClass, rec.Move.ID).Scan(&free); err != nil {
		return rec, err
	}
	if !free {
		if m, err := scanMove(conn.QueryRow(ctx, selectMoves+` WHERE m.slug = $1`, slug)); err == nil && m.Running() {
			return rec, m.refusal()
		}
		return rec, outlay.Conflict(fmt.Sprintf("%s was held by another process until just now; nothing was changed. Run this again", rec.Move))
	}
	m := rec.Move
	all, err := r.scanTenants(ctx, "WHERE t.slug = $1", slug)
	if err != nil {
		return rec, err
	}
	if len(all) == 0 {
		return rec, outlay.NotFound(fmt.Sprintf("no tenant %q", slug))
	}
	rec.Tenant = all[0]
	rec.Switched = rec.Tenant.ClusterID == m.ToCluster && rec.Tenant.DatabaseName == m.ToDatabase
	rec.LeftoverCluster, rec.Leftover = m.ToCluster, m.ToDatabase
	if rec.Switched {
		rec.LeftoverCluster, rec.Leftover = m.FromCluster, m.FromDatabase
	}
	if owner, err := r.DatabaseOwner(ctx, rec.LeftoverCluster, rec.Leftover); err != nil {
		return rec, err
	} else if owner != "" {
		return rec, outlay.Conflict(fmt.Sprintf("database %s on cluster %s, which %s made, is tenant %s's now: it is not dropped; nothing was changed",
			rec.Leftover, rec.LeftoverCluster, m, owner))
	}
	leftoverCluster, err := r.Cluster(ctx, rec.LeftoverCluster)
	if err != nil {
		return rec, err
	}
	if rec.LeftoverExists, rec.LeftoverBytes, err = leftoverCluster.DatabaseSize(ctx, rec.Leftover); err != nil {
		return rec, fmt.Errorf("cluster %s: %w; nothing was changed", rec.LeftoverCluster, err)
	}
	var source Cluster
	if !rec.Switched {
		if source, err = r.Cluster(ctx, m.FromCluster); err != nil {
			return rec, err
		}
		exists, _, err := source.DatabaseSize(ctx, m.FromDatabase)
		if err != nil {
			return rec, fmt.Errorf("cluster %s: %w; nothing was changed", m.FromCluster, err)
		}
		if exists {
			rec.Writable = m.FromDatabase
		}
	}
	if all, err := r.Backups(ctx, slug); err == nil {
		for _, b := range all {
			if b.Kind == BackupMove && !b.CreatedAt.Before(m.StartedAt.Truncate(time.Second)) {
				rec.Backups = append(rec.Backups, b)
			}
		}
	}
	if rec.LeftoverExists && confirm != nil && !confirm(rec) {
		return rec, ErrNotConfirmed
	}
	// The tenant is writable again first, so that its people can work while the rest is
	// cleared away; the record stays until all of it is done, and the tenant list shows it.
	if rec.Writable != "" {
		if err := source.SetReadOnly(ctx, rec.Writable, false); err != nil {
			return rec, fmt.Errorf("make database %s on cluster %s writable: %w", rec.Writable, m.FromCluster, err)
		}
	}
	if rec.LeftoverExists {
		if err := leftoverCluster.DropDatabase(ctx, rec.Leftover); err != nil {
			return rec, fmt.Errorf("drop database %s on cluster %s: %w", rec.Leftover, rec.LeftoverCluster, err)
		}
	}
	if _, err := conn.Exec(ctx, `DELETE FROM tenant_moves WHERE id = $1`, m.ID); err != nil {
		return rec, err
	}
	return rec, r.Refresh(ctx)
}

// DatabaseOwner is the tenant (not purged) whose database is name on the cluster, as the
// control plane has it now; empty when it is no tenant's.
func (r *Registry) DatabaseOwner(ctx context.Context, clusterID, name string) (string, error) {
	var owner string
	err := r.pool.QueryRow(ctx, `SELECT slug FROM tenants WHERE cluster_id = $1 AND database_name = $2 AND status <> 'purged'`,
		clusterID, name).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return owner, err
}

// DatabaseSize reports whether the cluster has a database called name, and its size.
func (c Cluster) DatabaseSize(ctx context.Context, name string) (exists bool, bytes int64, err error) {
	conn, done, err := c.connect(ctx)
	if err != nil {
		return false, 0, err
	}
	defer done()
	err = conn.QueryRow(ctx, `SELECT pg_database_size(oid) FROM pg_database WHERE datname = $1`, name).Scan(&bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, 0, nil
	}
	return err == nil, bytes, err
}
