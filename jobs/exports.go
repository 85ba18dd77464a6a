package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"outlay/archive"
	"outlay/audit"
	"outlay/models"
	"outlay/storage"
	"outlay/tenancy"
)

// KindTenantExport writes the archive of a whole tenant.
const KindTenantExport = "tenant_export"

// TenantExportPath is the page that lists a tenant's exports and their download links.
const TenantExportPath = "/admin/export"

// TenantExportArgs writes export ExportID of a tenant, for the admin who asked.
type TenantExportArgs struct {
	Tenant   string `json:"tenant"`
	ExportID int64  `json:"export_id"`
	UserID   int64  `json:"user_id"`
	Label    string `json:"label"`
	IP       string `json:"ip"`
}

// Kind is the job kind.
func (TenantExportArgs) Kind() string { return KindTenantExport }

// ExportTenant records and queues an export of everything of tenant slug, asked for by.
func (q *Queue) ExportTenant(ctx context.Context, slug string, by audit.Actor) (int64, error) {
	id, err := q.opts.Registry.QueueExport(ctx, slug, by.ID, by.Label)
	if err != nil {
		return 0, err
	}
	_, err = q.client.Insert(ctx, TenantExportArgs{Tenant: slug, ExportID: id, UserID: by.ID, Label: by.Label, IP: by.IP},
		&river.InsertOpts{MaxAttempts: 3})
	return id, err
}

type exportWorker struct {
	river.WorkerDefaults[TenantExportArgs]
	q *Queue
}

// Timeout allows a large tenant's archive to be written.
func (w *exportWorker) Timeout(*river.Job[TenantExportArgs]) time.Duration { return 2 * time.Hour }

// Work writes the archive to a temporary file, stores it in the blob store under the
// tenant's prefix and records it in the control plane. It only reads the tenant's database,
// so it works whatever the tenant's state; telling the admin in the app and the audit entry
// are written afterwards, and their failure (a tenant that cannot be written) leaves the
// export ready on its page.
func (w *exportWorker) Work(ctx context.Context, job *river.Job[TenantExportArgs]) error {
	ctx = tenancy.Background(ctx)
	q, a, reg := w.q, job.Args, w.q.opts.Registry
	// Until its last try the export is still being written, as its page says: River tries
	// it again (a blob store that was away a moment may be back). The last try's failure,
	// wherever it happens, marks it failed.
	fail := func(err error) error {
		q.opts.Logger.Error("tenant export failed", "tenant", a.Tenant, "export_id", a.ExportID, "attempt", job.Attempt, "of", job.MaxAttempts, "err", err)
		var cancel *river.JobCancelError
		if job.Attempt >= job.MaxAttempts || errors.As(err, &cancel) {
			if ferr := reg.FailExport(context.WithoutCancel(ctx), a.ExportID, "The archive could not be written; try again, or ask your operator."); ferr != nil {
				q.opts.Logger.Error("record a failed export", "err", ferr)
			}
		}
		return q.failed(err)
	}
	t, db, release, err := q.tenantHandle(ctx, a.Tenant, false)
	if err != nil {
		return fail(err)
	}
	defer release()
	if err := reg.StartExport(ctx, a.ExportID); err != nil {
		return fail(err)
	}
	res, err := writeTenantArchive(ctx, q, t, db)
	if err == nil {
		err = reg.FinishExport(ctx, a.ExportID, res)
	}
	if err != nil {
		return fail(err)
	}
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorUser, ID: a.UserID, Label: a.Label, IP: a.IP})
	summary := fmt.Sprintf("%d tables, %d rows, %d attachments, %.1f MB.", res.Tables, res.Rows, res.Attachments, float64(res.SizeBytes)/(1<<20))
	if err := models.NotifyTenantExportReady(ctx, db, a.UserID, a.ExportID, TenantExportPath, summary); err != nil {
		q.opts.Logger.Warn("tell the admin an export is ready", "tenant", a.Tenant, "err", err)
	}
	if err := audit.Event(ctx, db, "export", "everything", map[string]any{"export_id": a.ExportID, "rows": res.Rows,
		"tables": res.Tables, "attachments": res.Attachments, "bytes": res.SizeBytes, "sha256": res.SHA256}); err != nil {
		q.opts.Logger.Warn("audit a tenant export", "tenant", a.Tenant, "err", err)
	}
	return nil
}

// writeTenantArchive writes tenant t's archive and stores it as a blob named by its SHA-256.
func writeTenantArchive(ctx context.Context, q *Queue, t tenancy.Tenant, db *gorm.DB) (tenancy.ExportResult, error) {
	var res tenancy.ExportResult
	blobs, err := storage.Open(ctx, q.opts.Config.BlobURL)
	if err != nil {
		return res, err
	}
	defer blobs.Close()
	f, err := os.CreateTemp("", "outlay-export-*.zip")
	if err != nil {
		return res, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	m, err := archive.Write(ctx, archive.Source{Slug: t.Slug, Name: t.Name, DB: db, Blobs: blobs, Secret: q.opts.Config.SecretKey}, io.MultiWriter(f, h))
	if err != nil {
		return res, err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return res, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, err
	}
	res.SHA256, res.SizeBytes, res.Tables, res.Attachments = hex.EncodeToString(h.Sum(nil)), size, len(m.Tables), m.Blobs
	for _, tb := range m.Tables {
		res.Rows += tb.Rows
	}
	res.BlobKey = storage.Key(t.Slug, res.SHA256)
	return res, blobs.Put(ctx, res.BlobKey, f, "application/zip")
}

// KindExpireExports is the periodic job that deletes the archives whose download links have
// expired (tenancy.ExportLinkLife after they were ready).
const KindExpireExports = "expire_exports"

// ExpireExportsArgs expires every tenant's exports whose links have expired.
type ExpireExportsArgs struct{}

// Kind is the job kind.
func (ExpireExportsArgs) Kind() string { return KindExpireExports }

// ExpireExportsNow queues a run of the expiry of export archives.
func (q *Queue) ExpireExportsNow(ctx context.Context) error {
	_, err := q.client.Insert(ctx, ExpireExportsArgs{}, &river.InsertOpts{MaxAttempts: 3})
	return err
}

type expireExportsWorker struct {
	river.WorkerDefaults[ExpireExportsArgs]
	q *Queue
}

// Work deletes the archives that were ready longer ago than a link lives, by the queue's
// clock. It reads the control plane only: a purged tenant's archives went with its blobs.
func (w *expireExportsWorker) Work(ctx context.Context, job *river.Job[ExpireExportsArgs]) error {
	q := w.q
	blobs, err := storage.Open(ctx, q.opts.Config.BlobURL)
	if err != nil {
		return err
	}
	defer blobs.Close()
	before := q.opts.Now().Add(-tenancy.ExportLinkLife)
	n, err := q.opts.Registry.ExpireExports(ctx, before, blobs.Delete)
	if n > 0 {
		q.opts.Logger.Info("expired export archives deleted", "exports", n, "ready_before", before)
	}
	return err
}
