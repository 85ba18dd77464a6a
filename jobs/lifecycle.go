package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"outlay/audit"
	"outlay/backup"
	"outlay/models"
	"outlay/storage"
	"outlay/tenancy"
)

// KindLifecycle is the periodic job that purges lapsed tenants whose export window has
// ended and tells the admins of the others, 30, 7 and 1 day ahead, that their data will go.
const KindLifecycle = "tenant_lifecycle"

// PurgeJobActor names the purge job in purge records.
const PurgeJobActor = "the purge job"

// LifecycleArgs runs the lifecycle job over every lapsed tenant.
type LifecycleArgs struct{}

// Kind is the job kind.
func (LifecycleArgs) Kind() string { return KindLifecycle }

// LifecycleNow queues a run of the lifecycle job.
func (q *Queue) LifecycleNow(ctx context.Context) error {
	_, err := q.client.Insert(ctx, LifecycleArgs{}, &river.InsertOpts{MaxAttempts: 3})
	return err
}

type lifecycleWorker struct {
	river.WorkerDefaults[LifecycleArgs]
	q *Queue
}

// Timeout allows the purge of a large tenant (its attachments are deleted one by one).
func (w *lifecycleWorker) Timeout(*river.Job[LifecycleArgs]) time.Duration { return time.Hour }

// Work purges every lapsed tenant whose window ended by the queue's clock, then sends the
// notices due in the others. One tenant's failure does not stop the rest.
func (w *lifecycleWorker) Work(ctx context.Context, _ *river.Job[LifecycleArgs]) error {
	ctx = tenancy.Background(ctx)
	q := w.q
	now := q.opts.Now()
	var errs []error
	due, err := q.opts.Registry.DuePurges(ctx, now)
	if err != nil {
		return q.failed(err)
	}
	if len(due) > 0 {
		errs = append(errs, q.purgeDue(ctx, due, now))
	}
	tenants, err := q.opts.Registry.List(ctx)
	if err != nil {
		return q.failed(errors.Join(append(errs, err)...))
	}
	for _, t := range tenants {
		if t.Status != tenancy.StatusLapsed || t.PurgeAfter == nil || !now.Before(*t.PurgeAfter) {
			continue
		}
		if err := q.purgeNotice(ctx, t, now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.Slug, err))
		}
	}
	return q.failed(errors.Join(errs...))
}

func (q *Queue) purgeDue(ctx context.Context, slugs []string, now time.Time) error {
	blobs, err := storage.Open(ctx, q.opts.Config.BlobURL)
	if err != nil {
		return err
	}
	defer blobs.Close()
	var errs []error
	for _, slug := range slugs {
		p, err := q.opts.Registry.Purge(ctx, slug, tenancy.PurgeRequest{By: PurgeJobActor, Now: now, Files: blobs,
			Backups: backup.Purger{Registry: q.opts.Registry, URLs: []string{q.opts.Config.BlobURL, q.opts.Config.BackupURL}}})
		if errors.Is(err, tenancy.ErrPurgeNotDue) {
			continue // reactivated or lapsed again meanwhile
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("purge %s: %w", slug, err))
			continue
		}
		q.opts.Pools.Evict(slug)
		q.opts.Logger.Info("tenant purged", "tenant", slug, "lapsed_by", p.LapsedBy, "rows", p.Rows, "attachments", p.Attachments, "backups", p.Backups)
	}
	return errors.Join(errs...)
}

// purgeNotice sends the notice due before t's purge, if one is due and was not sent.
func (q *Queue) purgeNotice(ctx context.Context, t tenancy.Tenant, now time.Time) error {
	days := models.DuePurgeNotice(*t.PurgeAfter, now)
	if days == 0 {
		return nil
	}
	db, release, err := q.opts.Pools.Acquire(ctx, t)
	if err != nil {
		return err
	}
	defer release()
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: PurgeJobActor})
	ids, err := models.SendPurgeNotice(ctx, db, models.PurgeNotice{OrgName: t.Name, PurgeAfter: *t.PurgeAfter, DaysBefore: days,
		Now: now, ExportURL: q.opts.Config.TenantURL(t.Slug, TenantExportPath), ExportPath: TenantExportPath})
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		q.opts.Logger.Info("purge notice queued", "tenant", t.Slug, "days_before", days, "admins", len(ids))
		_ = q.DeliverMail(ctx, t.Slug, ids...)
	}
	return nil
}

// jobMayRun says whether a job of tenant t runs. A purged tenant's jobs are dropped. Only an
// active tenant's data is changed by a job (write): a suspended or lapsed tenant's job is
// dropped, having written nothing; mail it would have sent stays in the outbox, and the sweep
// sends it once the tenant is active again. Jobs that only read (exports) run while the
// tenant is suspended or lapsed.
func jobMayRun(t tenancy.Tenant, write bool) error {
	switch {
	case t.Status == tenancy.StatusPurged:
		return river.JobCancel(fmt.Errorf("tenant %q is purged: its jobs are dropped", t.Slug))
	case write && !t.Writable():
		return river.JobCancel(fmt.Errorf("tenant %q is %s: its jobs change nothing until it is reactivated", t.Slug, t.Status))
	}
	return nil
}

// lapsedMail are the kinds of mail a lapsed tenant still sends: the notices of its coming
// purge, and what lets its people sign in to export before it (a password reset link, or how
// they sign in by single sign-on).
var lapsedMail = []string{models.MailPurgeNotice, models.MailPasswordReset, models.MailSingleSignOn, models.MailSecurityNotice, models.MailSignInLocked}

// mailMaySend says whether a mail of kind is sent for tenant t now: an active tenant's all
// are; a lapsed one's only the notices of its coming purge; a suspended one's none.
func mailMaySend(t tenancy.Tenant, kind string) error {
	if t.Writable() || (t.ReadOnly() && slices.Contains(lapsedMail, kind)) {
		return nil
	}
	return river.JobCancel(fmt.Errorf("tenant %q is %s: its %s mail waits in the outbox until it is reactivated", t.Slug, t.Status, kind))
}
