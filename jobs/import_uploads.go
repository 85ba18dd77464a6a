package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"outlay/models"
	"outlay/tenancy"
)

// KindExpireImportUploads is the periodic job that deletes the files uploaded to
// /admin/import and never imported, once they are older than config.ImportUploadTTL.
const KindExpireImportUploads = "expire_import_uploads"

// ExpireImportUploadsArgs expires the uploads of one tenant (every active tenant when empty).
type ExpireImportUploadsArgs struct {
	Tenant string `json:"tenant,omitempty"`
}

// Kind is the job kind.
func (ExpireImportUploadsArgs) Kind() string { return KindExpireImportUploads }

// ExpireImportUploadsNow queues a run of the expiry of uploads (every tenant when slug is empty).
func (q *Queue) ExpireImportUploadsNow(ctx context.Context, slug string) error {
	_, err := q.client.Insert(ctx, ExpireImportUploadsArgs{Tenant: slug}, &river.InsertOpts{MaxAttempts: 3})
	return err
}

type expireImportUploadsWorker struct {
	river.WorkerDefaults[ExpireImportUploadsArgs]
	q *Queue
}

// Work deletes, in each tenant, the uploads older than the TTL by the queue's clock.
func (w *expireImportUploadsWorker) Work(ctx context.Context, job *river.Job[ExpireImportUploadsArgs]) error {
	ctx = tenancy.Background(ctx)
	q := w.q
	ttl := q.opts.Config.ImportUploadTTL
	if ttl <= 0 {
		return nil // uploads are kept
	}
	before := q.opts.Now().Add(-ttl)
	return q.eachTenant(ctx, job.Args.Tenant, nil, func(ctx context.Context, slug string) error {
		_, db, release, err := q.tenantDB(ctx, slug)
		if err != nil {
			return err
		}
		defer release()
		n, err := models.ExpireImportUploads(ctx, db, before)
		if n > 0 {
			q.opts.Logger.Info("expired import uploads deleted", "tenant", slug, "uploads", n, "uploaded_before", before)
		}
		return err
	})
}
