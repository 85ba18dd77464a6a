package tenancy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay"
)

// Kinds of backup: taken by an operator, by the daily schedule (and pruned by its retention
// rules), or on the way to another cluster.
const (
	BackupManual    = "manual"
	BackupScheduled = "scheduled"
	BackupMove      = "move"
)

// BackupRecord is a backup of a tenant as the control plane lists it; the files are in the
// blob store at BlobURL, in the folder named by Name.
type BackupRecord struct {
	Name         string
	Slug         string
	BlobURL      string
	Kind         string
	DatabaseName string
	ClusterID    string
	DumpBytes    int64
	DumpSHA256   string
	Rows         int64
	Attachments  int
	AuditHead    int64
	CreatedAt    time.Time
}

const backupColumns = `name, slug, blob_url, kind, database_name, cluster_id, dump_bytes, dump_sha256, rows, attachments, audit_head, created_at`

func scanBackup(row pgx.Row) (BackupRecord, error) {
	var b BackupRecord
	err := row.Scan(&b.Name, &b.Slug, &b.BlobURL, &b.Kind, &b.DatabaseName, &b.ClusterID, &b.DumpBytes, &b.DumpSHA256,
		&b.Rows, &b.Attachments, &b.AuditHead, &b.CreatedAt)
	return b, err
}

// RecordBackup lists a backup whose files are all written.
func (r *Registry) RecordBackup(ctx context.Context, b BackupRecord) error {
	_, err := r.pool.Exec(ctx, `INSERT INTO tenant_backups (`+backupColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		b.Name, b.Slug, b.BlobURL, b.Kind, b.DatabaseName, b.ClusterID, b.DumpBytes, b.DumpSHA256, b.Rows, b.Attachments, b.AuditHead, b.CreatedAt)
	if err != nil {
		return fmt.Errorf("record backup %s: %w", b.Name, err)
	}
	return nil
}

// Backups lists a tenant's backups (every tenant's when slug is empty), newest first.
func (r *Registry) Backups(ctx context.Context, slug string) ([]BackupRecord, error) {
	rows, err := r.pool.Query(ctx, `SELECT `+backupColumns+` FROM tenant_backups WHERE $1 = '' OR slug = $1 ORDER BY created_at DESC, name DESC`, slug)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BackupRecord
	for rows.Next() {
		b, err := scanBackup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Backup returns the backup called name.
func (r *Registry) Backup(ctx context.Context, name string) (BackupRecord, error) {
	b, err := scanBackup(r.pool.QueryRow(ctx, `SELECT `+backupColumns+` FROM tenant_backups WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return b, outlay.NotFound(fmt.Sprintf("no backup %q (see `outlay tenant backups <slug>`)", name))
	}
	return b, err
}

// ForgetBackup removes a backup from the list (once its files are deleted).
func (r *Registry) ForgetBackup(ctx context.Context, name string) error {
	_, err := r.pool.Exec(ctx, `DELETE FROM tenant_backups WHERE name = $1`, name)
	return err
}
