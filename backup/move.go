package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"outlay"
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

// Move moves a tenant to another cluster. It makes the new database first, while the tenant
// is still writable. Then it makes the tenant's database read-only (ending the sessions
// connected to it, so nothing is written after the dump's snapshot), dumps it into the backup
// store and, from the same stream, into pg_restore on the target cluster, checks the restored
// database against the backup's manifest (every table's rows and checksum, read from the
// dump's snapshot, and the audit chain), switches the registry and drops the old database. If
// any step before the switch fails, the old database is made writable again and stays the
// tenant's; nothing written is lost either way, since every write committed before the tenant
// went read-only is in the dump, and no write commits after.
func (s *Service) Move(ctx context.Context, slug, clusterID string, store *Store) (res *Moved, err error) {
	t, ok := s.Registry.Lookup(slug)
	if !ok || t.Status == tenancy.StatusPurged || t.Status == tenancy.StatusProvisioning {
		return nil, outlay.NotFound(fmt.Sprintf("no tenant %q", slug))
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
	tg, err := s.newTarget(ctx, cluster, slug)
	if err != nil {
		return nil, err
	}
	switched := false
	defer func() {
		if !switched {
			s.dropTarget(ctx, tg)
		}
	}()
	restore, err := startRestore(ctx, tg.dsn)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && !switched {
			restore.Abort()
		}
	}()
	w.lap("create database")

	began := time.Now()
	w.readOnly = true
	if err := source.SetReadOnly(ctx, t.DatabaseName, true); err != nil {
		return nil, writable(ctx, source, t, fmt.Errorf("make %s read-only: %w", slug, err))
	}
	w.lap("set read-only")
	m, err := s.backup(ctx, t, store, tenancy.BackupMove, restore, w)
	// pg_restore ends when the archive does; when it failed first, its message says why.
	err = errors.Join(err, restore.Wait())
	w.lap("pg_restore")
	if err != nil {
		return nil, writable(ctx, source, t, err)
	}
	p, _, err := s.check(ctx, store, m, slug, tg, w)
	if err != nil {
		return nil, writable(ctx, source, t, err)
	}
	if err := s.Registry.Switch(ctx, p, &t); err != nil {
		return nil, writable(ctx, source, t, err)
	}
	switched = true
	readOnly := time.Since(began)
	w.lap("switch")
	w.readOnly = false
	moved, _ := s.Registry.Lookup(slug)
	res = &Moved{From: t, To: moved, Manifest: m, ReadOnly: readOnly}
	// The old database is no one's now: servers that still use it (until the registry's
	// notification reaches them) are ended, and read the new one when they reconnect.
	err = source.DropDatabase(ctx, t.DatabaseName)
	w.lap("drop old database")
	res.Phases = w.phases
	if err != nil {
		return res, fmt.Errorf("tenant %s moved, but its old database %s on cluster %s could not be dropped: %w", slug, t.DatabaseName, source.ID, err)
	}
	return res, nil
}

// writable makes the tenant's old database writable again after a move failed, and returns
// the cause of the failure.
func writable(ctx context.Context, source tenancy.Cluster, t tenancy.Tenant, cause error) error {
	if err := source.SetReadOnly(context.WithoutCancel(ctx), t.DatabaseName, false); err != nil {
		return errors.Join(cause, fmt.Errorf("%s stays read-only, make it writable by hand (ALTER DATABASE %s RESET default_transaction_read_only): %w", t.Slug, t.DatabaseName, err))
	}
	return cause
}
