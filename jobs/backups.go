package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"outlay/tenancy"
)

// Job kinds of the daily backups: a periodic look for tenants whose backup of the day is
// due, which queues one backup job per such tenant.
const (
	KindBackupsDue   = "tenant_backups_due"
	KindTenantBackup = "tenant_backup"
)

// Daily backups are worked in a queue of their own, one at a time per process: a backup holds
// backupConns connections to the tenant's database outside the tenant pools (its snapshot and
// pg_dump's), and a thousand tenants falling due at once would otherwise take every worker,
// the connections requests need and the database server's CPU together.
const (
	QueueBackups  = "backups"
	backupWorkers = 1
	backupConns   = 2
)

// BackupsDueArgs looks for the tenants whose daily backup is due.
type BackupsDueArgs struct{}

// Kind is the job kind.
func (BackupsDueArgs) Kind() string { return KindBackupsDue }

// BackupsNow queues a look for the tenants whose daily backup is due (the periodic job does
// so every BackupEvery).
func (q *Queue) BackupsNow(ctx context.Context) error {
	_, err := q.client.Insert(ctx, BackupsDueArgs{}, &river.InsertOpts{MaxAttempts: 3})
	return err
}

// TenantBackupArgs takes one tenant's daily backup and prunes its old ones.
type TenantBackupArgs struct {
	Tenant string `json:"tenant" river:"unique"`
	Day    string `json:"day" river:"unique"` // UTC date, so a tenant's backup is queued once a day
}

// Kind is the job kind.
func (TenantBackupArgs) Kind() string { return KindTenantBackup }

type backupsDueWorker struct {
	river.WorkerDefaults[BackupsDueArgs]
	q *Queue
}

// Work queues a backup job for every tenant without a scheduled backup today.
func (w *backupsDueWorker) Work(ctx context.Context, _ *river.Job[BackupsDueArgs]) error {
	ctx = tenancy.Background(ctx)
	due, err := w.q.opts.Backups.Due(ctx)
	if err != nil {
		return w.q.failed(err)
	}
	// The day the backups are dated by, so a tenant's job is queued once per backup day.
	day := w.q.opts.Backups.Today()
	for _, slug := range due {
		_, err := w.q.client.Insert(ctx, TenantBackupArgs{Tenant: slug, Day: day},
			&river.InsertOpts{Queue: QueueBackups, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		if err != nil {
			return w.q.failed(err)
		}
	}
	return nil
}

type tenantBackupWorker struct {
	river.WorkerDefaults[TenantBackupArgs]
	q *Queue
}

// Timeout allows a large tenant's dump to be written.
func (w *tenantBackupWorker) Timeout(*river.Job[TenantBackupArgs]) time.Duration {
	return 4 * time.Hour
}

// Work takes the tenant's backup of the day (unless one was taken meanwhile) and deletes its
// scheduled backups past retention.
func (w *tenantBackupWorker) Work(ctx context.Context, job *river.Job[TenantBackupArgs]) error {
	ctx = tenancy.Background(ctx)
	m, pruned, err := w.q.opts.Backups.BackUp(ctx, job.Args.Tenant)
	if err != nil {
		w.q.opts.Logger.Error("daily backup failed", "tenant", job.Args.Tenant, "err", err)
		return w.q.failed(err)
	}
	if m != nil {
		w.q.opts.Logger.Info("daily backup taken", "tenant", job.Args.Tenant, "backup", m.Name, "rows", m.Rows(), "pruned", pruned)
	}
	return nil
}
