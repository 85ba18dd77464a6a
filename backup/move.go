package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"

	"outlay"
	"outlay/storage"
	"outlay/tenancy"
)

// Moved is what a move did, with how long the tenant was read-only.
type Moved struct {
	From, To tenancy.Tenant
	Manifest *Manifest
	ReadOnly time.Duration
	// Phases are the steps of the move and how long each took, the read-only ones first.
	Phases []Phase
}

// Move moves a tenant to another cluster. While the tenant is still writable it makes the new
// database and copies the tables' definitions into it (the pre-data section: tables,
// sequences, functions and types). Then it makes the tenant's database read-only (ending the
// sessions connected to it, so nothing is written after the dump's snapshot), dumps it into
// the backup store and, from the same stream, into pg_restore on the target cluster (rows,
// then indexes, constraints and triggers), checks the restored database against the backup's
// manifest (every table's rows and checksum, read from the dump's snapshot, and the audit
// chain), switches the registry and drops the old database. If any step before the switch
// fails, the old database is made writable again and stays the tenant's; nothing written is
// lost either way, since every write committed before the tenant went read-only is in the
// dump, and no write commits after.
//
// The move is recorded in the control plane from before the new database is made until
// nothing of it is left to undo (by, the operator's account@host, names who started it). A
// move whose process is killed, or whose undoing fails, stays recorded: the tenant list shows
// it as interrupted, and Registry.AbandonMove undoes it.
func (s *Service) Move(ctx context.Context, slug, clusterID string, store *Store, by string) (res *Moved, err error) {
	t, err := s.Registry.Find(slug, "move")
	if err != nil {
		return nil, err
	}
	if t.ClusterID == clusterID {
		return nil, outlay.ValidationErrors{"cluster": fmt.Sprintf("tenant %s is already on cluster %s", slug, clusterID)}
	}
	cluster, err := s.Registry.Cluster(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	source, err := s.Registry.Cluster(ctx, t.ClusterID)
	if err != nil {
		return nil, err
	}
	w := newStopwatch()
	name, err := s.newDatabaseName(ctx, cluster, slug)
	if err != nil {
		return nil, err
	}
	mv, err := s.Registry.BeginMove(ctx, tenancy.Move{Slug: slug, FromCluster: t.ClusterID, FromDatabase: t.DatabaseName,
		ToCluster: cluster.ID, ToDatabase: name, StartedBy: by})
	if err != nil {
		return nil, err
	}
	var (
		created, readOnly, switched bool
		restore                     *restoreProcess
		oldLeft                     error // the old database, after the switch, could not be dropped
	)
	// However the move ends short of dropping the old database, what it did is undone here,
	// even when ctx was cancelled (Ctrl-C, SIGTERM, a hang-up). Its record goes only once
	// nothing of it is left; otherwise it stays, for `outlay tenant move --abandon`.
	defer func() {
		cleanup := context.WithoutCancel(ctx)
		var left []error
		if !switched {
			if restore != nil {
				restore.Abort()
			}
			if readOnly {
				if e := source.SetReadOnly(cleanup, t.DatabaseName, false); e != nil {
					left = append(left, fmt.Errorf("%s stays read-only (database %s on cluster %s): %w", slug, t.DatabaseName, source.ID, e))
				}
			}
			if created {
				// Never the tenant's database: a switch that reported a failure may have
				// taken all the same (its answer lost), and is then finished by --abandon.
				owner, e := s.Registry.DatabaseOwner(cleanup, cluster.ID, name)
				if e == nil && owner == "" {
					e = cluster.DropDatabase(cleanup, name)
				} else if e == nil {
					e = fmt.Errorf("it is tenant %s's", owner)
				}
				if e != nil {
					left = append(left, fmt.Errorf("the new database %s on cluster %s was not dropped: %w", name, cluster.ID, e))
				}
			}
		} else if oldLeft != nil {
			left = append(left, oldLeft)
		}
		if len(left) > 0 {
			mv.Release(cleanup)
			left = append(left, fmt.Errorf("the move stays recorded; %s finishes undoing it", tenancy.AbandonCommand(slug)))
			err = errors.Join(append([]error{err}, left...)...)
			return
		}
		err = errors.Join(err, mv.Finish(cleanup))
	}()
	if err := cluster.CreateDatabase(ctx, name, ""); err != nil {
		// A database of that name made meanwhile by someone else is not the move's to drop;
		// one whose creation was cut short may be there, and is.
		created = !errors.Is(err, outlay.ErrConflict)
		return nil, err
	}
	created = true
	dsn, err := cluster.DatabaseDSN(name)
	if err != nil {
		return nil, err
	}
	tg := &target{cluster: cluster, name: name, dsn: dsn}
	w.lap("create database")
	// The tables, sequences, functions and types (pg_dump's pre-data section) are copied now,
	// and the read-only dump restores only the rows, then the indexes, constraints and
	// triggers. Only migrations change those definitions: the dump's schema version must be
	// the one they were copied at.
	schema, err := copySchema(ctx, t.DSN, tg.dsn)
	if err != nil {
		return nil, fmt.Errorf("move %s: copy its tables: %w", slug, err)
	}
	if restore, err = startRestore(ctx, tg.dsn, "--section=data", "--section=post-data"); err != nil {
		return nil, err
	}
	w.lap("copy tables")

	began := time.Now()
	w.readOnly = true
	// Marked first: a setting that took while ending the sessions failed is undone too.
	readOnly = true
	if err := source.SetReadOnly(ctx, t.DatabaseName, true); err != nil {
		return nil, fmt.Errorf("make %s read-only: %w", slug, err)
	}
	w.lap("set read-only")
	m, err := s.backup(ctx, t, store, tenancy.BackupMove, restore, w)
	// pg_restore ends when the archive does; when it failed first, its message says why.
	err = errors.Join(err, restore.Wait())
	w.lap("pg_restore")
	if err == nil && m.Schema != schema {
		err = outlay.Conflict(fmt.Sprintf("tenant %s was migrated during the move (schema version %d, then %d); nothing was moved, move it again", slug, schema, m.Schema))
	}
	if err != nil {
		return nil, err
	}
	p, _, err := s.check(ctx, store, m, slug, tg, w)
	if err != nil {
		return nil, err
	}
	if err := s.Registry.Switch(ctx, p, &t); err != nil {
		return nil, err
	}
	switched = true
	readOnlyFor := time.Since(began)
	w.lap("switch")
	w.readOnly = false
	moved, _ := s.Registry.Lookup(slug)
	res = &Moved{From: t, To: moved, Manifest: m, ReadOnly: readOnlyFor}
	// The old database is no one's now: servers that still use it (until the registry's
	// notification reaches them) are ended, and read the new one when they reconnect.
	err = source.DropDatabase(ctx, t.DatabaseName)
	w.lap("drop old database")
	res.Phases = w.phases
	if err != nil {
		oldLeft = fmt.Errorf("tenant %s moved, but its old database %s on cluster %s could not be dropped: %w", slug, t.DatabaseName, source.ID, err)
	}
	return res, nil
}

// copySchema copies the pre-data section of the database at from (tables, sequences,
// functions, types: no rows, indexes, constraints or triggers) into the empty database at to,
// from one snapshot, and returns the schema version of that snapshot.
func copySchema(ctx context.Context, from, to string) (int64, error) {
	conn, err := pgx.Connect(ctx, from)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var snapshot string
	var schema int64
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return 0, err
	}
	if err := tx.QueryRow(ctx, selectSchemaVersion).Scan(&schema); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	err = copyDatabase(ctx, from, to, []string{"--section=pre-data", "--snapshot=" + snapshot}, []string{"--single-transaction"})
	return schema, err
}

// DeleteUnlisted deletes the files in store of backups of tenant slug named as taken at or
// after since that the control plane does not list: what a move (or a backup) killed while
// it wrote its dump left behind, since a backup is listed only once written whole. It
// returns the names of those it deleted; a listed backup, and files older than since, stay.
func (s *Service) DeleteUnlisted(ctx context.Context, store *Store, slug string, since time.Time) ([]string, error) {
	listed := map[string]bool{}
	all, err := s.Registry.Backups(ctx, slug)
	if err != nil {
		return nil, err
	}
	for _, b := range all {
		listed[b.Name] = true
	}
	first := slug + "/" + since.UTC().Truncate(time.Second).Format("20060102T150405Z")
	names := map[string]bool{}
	it := store.bucket.List(&blob.ListOptions{Prefix: folder + slug + "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rest := strings.TrimPrefix(obj.Key, folder+slug+"/")
		stamp, _, ok := strings.Cut(rest, "/")
		if name := slug + "/" + stamp; ok && !obj.IsDir && name >= first && !listed[name] {
			names[name] = true
		}
	}
	var deleted []string
	for name := range names {
		if err := store.deleteUnder(ctx, name+"/"); err != nil {
			return deleted, fmt.Errorf("delete the unlisted backup files %s: %w", name, err)
		}
		deleted = append(deleted, name)
	}
	if store.dir != "" && len(deleted) > 0 {
		if err := storage.RemoveEmptyFolders(store.dir, folder+slug); err != nil {
			return deleted, err
		}
	}
	slices.Sort(deleted)
	return deleted, nil
}
