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
}

// Move moves a tenant to another cluster: it makes the tenant's database read-only (ending
// the sessions connected to it, so nothing is written after the dump's snapshot), backs it up
// to store, restores and checks the backup on the target cluster, switches the registry and
// drops the old database. If any step before the switch fails, the old database is made
// writable again and stays the tenant's; nothing written is lost either way, since every
// write committed before the tenant went read-only is in the dump, and no write commits after.
func (s *Service) Move(ctx context.Context, slug, clusterID string, store *Store) (*Moved, error) {
	t, ok := s.Registry.Lookup(slug)
	if !ok || t.Status == tenancy.StatusPurged || t.Status == tenancy.StatusProvisioning {
		return nil, outlay.NotFound(fmt.Sprintf("no tenant %q", slug))
	}
	if t.ClusterID == clusterID {
		return nil, outlay.ValidationErrors{"cluster": fmt.Sprintf("tenant %s is already on cluster %s", slug, clusterID)}
	}
	target, err := s.Registry.Cluster(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	source, err := s.Registry.Cluster(ctx, t.ClusterID)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if err := source.SetReadOnly(ctx, t.DatabaseName, true); err != nil {
		return nil, fmt.Errorf("make %s read-only: %w", slug, err)
	}
	writable := func(cause error) error {
		if err := source.SetReadOnly(context.WithoutCancel(ctx), t.DatabaseName, false); err != nil {
			return errors.Join(cause, fmt.Errorf("%s stays read-only, make it writable by hand (ALTER DATABASE %s RESET default_transaction_read_only): %w", slug, t.DatabaseName, err))
		}
		return cause
	}
	m, err := s.backup(ctx, t, store, tenancy.BackupMove)
	if err != nil {
		return nil, writable(err)
	}
	p, _, err := s.load(ctx, store, m, slug, target)
	if err != nil {
		return nil, writable(err)
	}
	if err := s.Registry.Switch(ctx, p, &t); err != nil {
		_ = target.DropDatabase(context.WithoutCancel(ctx), p.DatabaseName)
		return nil, writable(err)
	}
	readOnly := time.Since(began)
	moved, _ := s.Registry.Lookup(slug)
	// The old database is no one's now: servers that still use it (until the registry's
	// notification reaches them) are ended, and read the new one when they reconnect.
	if err := source.DropDatabase(ctx, t.DatabaseName); err != nil {
		return &Moved{From: t, To: moved, Manifest: m, ReadOnly: readOnly},
			fmt.Errorf("tenant %s moved, but its old database %s on cluster %s could not be dropped: %w", slug, t.DatabaseName, source.ID, err)
	}
	return &Moved{From: t, To: moved, Manifest: m, ReadOnly: readOnly}, nil
}
