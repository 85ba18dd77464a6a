package tenancy

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay"
)

// Statuses of a tenant export.
const (
	ExportQueued  = "queued"
	ExportRunning = "running"
	ExportReady   = "ready"
	ExportFailed  = "failed"
	// ExportExpired is an export whose archive was deleted once its link had expired.
	ExportExpired = "expired"
)

// ExportLinkLife is how long an export's download link works after its archive is ready;
// the archive is deleted once it has passed (ExpireExports).
const ExportLinkLife = 24 * time.Hour

// Export is one archive of a whole tenant, asked for by an admin, as the control plane keeps
// it: its progress, and once ready where its file is.
type Export struct {
	ID               int64
	Slug             string
	RequestedBy      int64
	RequestedByLabel string
	Status           string
	BlobKey          string
	SHA256           string
	SizeBytes        int64
	Tables           int
	Rows             int64
	Attachments      int
	Error            string
	CreatedAt        time.Time
	FinishedAt       *time.Time
}

// ExportResult is what a finished export wrote.
type ExportResult struct {
	BlobKey, SHA256     string
	SizeBytes, Rows     int64
	Tables, Attachments int
}

const exportColumns = `id, slug, requested_by, requested_by_label, status, coalesce(blob_key, ''), coalesce(sha256, ''),
	coalesce(size_bytes, 0), coalesce(tables, 0), coalesce(rows, 0), coalesce(attachments, 0), coalesce(error, ''), created_at, finished_at`

func scanExport(row pgx.Row) (Export, error) {
	var e Export
	err := row.Scan(&e.ID, &e.Slug, &e.RequestedBy, &e.RequestedByLabel, &e.Status, &e.BlobKey, &e.SHA256,
		&e.SizeBytes, &e.Tables, &e.Rows, &e.Attachments, &e.Error, &e.CreatedAt, &e.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, outlay.ErrNotFound
	}
	return e, err
}

// QueueExport records an export of tenant slug asked for by person userID (label, their
// email) and returns its id; the job that writes it is queued by the caller.
func (r *Registry) QueueExport(ctx context.Context, slug string, userID int64, label string) (int64, error) {
	var id int64
	err := r.pool.QueryRow(ctx, `INSERT INTO tenant_exports (slug, requested_by, requested_by_label) VALUES ($1, $2, $3) RETURNING id`,
		slug, userID, label).Scan(&id)
	return id, err
}

// StartExport marks an export running.
func (r *Registry) StartExport(ctx context.Context, id int64) error {
	_, err := r.pool.Exec(ctx, `UPDATE tenant_exports SET status = 'running', error = NULL WHERE id = $1`, id)
	return err
}

// FinishExport records an export's archive.
func (r *Registry) FinishExport(ctx context.Context, id int64, res ExportResult) error {
	_, err := r.pool.Exec(ctx, `UPDATE tenant_exports SET status = 'ready', blob_key = $2, sha256 = $3, size_bytes = $4,
		tables = $5, rows = $6, attachments = $7, finished_at = now() WHERE id = $1`,
		id, res.BlobKey, res.SHA256, res.SizeBytes, res.Tables, res.Rows, res.Attachments)
	return err
}

// FailExport records why an export failed.
func (r *Registry) FailExport(ctx context.Context, id int64, reason string) error {
	_, err := r.pool.Exec(ctx, `UPDATE tenant_exports SET status = 'failed', error = $2 WHERE id = $1`, id, reason)
	return err
}

// TenantExport returns export id of tenant slug, or ErrNotFound.
func (r *Registry) TenantExport(ctx context.Context, slug string, id int64) (Export, error) {
	return scanExport(r.pool.QueryRow(ctx, `SELECT `+exportColumns+` FROM tenant_exports WHERE slug = $1 AND id = $2`, slug, id))
}

// TenantExports lists tenant slug's newest exports.
func (r *Registry) TenantExports(ctx context.Context, slug string, limit int) ([]Export, error) {
	rows, err := r.pool.Query(ctx, `SELECT `+exportColumns+` FROM tenant_exports WHERE slug = $1 ORDER BY id DESC LIMIT $2`, slug, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Export
	for rows.Next() {
		e, err := scanExport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ExpireExports deletes the archives of the exports that were ready before before, whose
// download links have expired so that nobody can fetch them, and records each as expired; it
// returns how many it expired. An archive holds everything of its tenant, so it is not kept
// for no one. Archives are named by their checksum: one is deleted only when no export still
// ready names it. Each export is expired in a transaction of its own that commits only after
// its archive is deleted, so a blob store that fails leaves it ready for the next run.
func (r *Registry) ExpireExports(ctx context.Context, before time.Time, deleteBlob func(context.Context, string) error) (int, error) {
	rows, err := r.pool.Query(ctx, `SELECT id FROM tenant_exports WHERE status = 'ready' AND finished_at < $1 ORDER BY id`, before)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	expired := 0
	for _, id := range ids {
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			var key string
			var shared bool
			err := tx.QueryRow(ctx, `SELECT blob_key, EXISTS (SELECT 1 FROM tenant_exports o
				WHERE o.blob_key = e.blob_key AND o.id <> e.id AND o.status = 'ready')
				FROM tenant_exports e WHERE id = $1 AND status = 'ready' FOR UPDATE`, id).Scan(&key, &shared)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // expired, or its tenant purged, meanwhile
			}
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE tenant_exports SET status = 'expired', blob_key = NULL WHERE id = $1`, id); err != nil {
				return err
			}
			if !shared {
				if err := deleteBlob(ctx, key); err != nil {
					return err
				}
			}
			expired++
			return nil
		})
		if err != nil {
			return expired, err
		}
	}
	return expired, nil
}
