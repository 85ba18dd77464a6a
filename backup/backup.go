// Package backup copies a tenant's database out of Postgres and back: a backup is a pg_dump
// archive (custom format), the list of the tenant's attachments and a manifest (row counts
// and a checksum of every table, the audit log's head, the files' checksums) in the blob
// store. A restore loads it into a new database, on any cluster, checks it against the
// manifest and the audit chain, and only then points the registry at it. A move is a backup
// and a restore onto another cluster while the tenant is read-only. Daily backups are kept
// by retention rules (schedule.go).
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"outlay"
	"outlay/storage"
	"outlay/tenancy"
)

// Format names the backup layout; a backup of another format is refused.
const Format = "outlay-tenant-backup/1"

// Files of a backup, in its folder backups/<slug>/<time>/ of the blob store. The folder's
// first part cannot be a tenant slug's (attachments sit under <slug>/), since no slug
// contains '/' and "backups" holds folders, not content hashes.
const (
	DumpFile        = "dump.pgc"
	AttachmentsFile = "attachments.json"
	ManifestFile    = "manifest.json"
	folder          = "backups/"
)

// Manifest describes a backup: what it was taken from and what a faithful restore has.
type Manifest struct {
	Format     string    `json:"format"`
	Name       string    `json:"name"`
	Tenant     string    `json:"tenant"`
	TenantName string    `json:"tenant_name"`
	Database   string    `json:"database"`
	Cluster    string    `json:"cluster"`
	CreatedAt  time.Time `json:"created_at"`
	// ServerVersion is the source server's server_version_num; Schema its migration version.
	ServerVersion int        `json:"server_version_num"`
	Schema        int64      `json:"schema_version"`
	Tables        []TableSum `json:"tables"`
	AuditHead     Head       `json:"audit_head"`
	Attachments   int        `json:"attachments"`
	Files         []File     `json:"files"`
}

// TableSum is one table as the backup's snapshot saw it: its rows, and the SHA-256 of its
// rows' text in key order.
type TableSum struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// Head is the newest row of the audit log and its hash (hex); row 0 is an empty log.
type Head struct {
	Row  int64  `json:"row"`
	Hash string `json:"hash"`
}

// File is one file of the backup with its size and SHA-256 (hex).
type File struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Attachment is a stored file the tenant's rows name.
type Attachment struct {
	Table  string `json:"table"`
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
}

// Rows is the total of the tables' rows.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

func (m *Manifest) file(path string) (File, bool) {
	for _, f := range m.Files {
		if f.Path == path {
			return f, true
		}
	}
	return File{}, false
}

// Store is a blob store backups are written to: the deployment's own (OUTLAY_BLOB_URL) or
// another named by URL.
type Store struct {
	URL    string
	bucket *blob.Bucket
	dir    string // the folder of a local store (file://), "" for a bucket
}

// OpenStore opens the blob store at blobURL for backups. Its URL, which a backup written there
// records, names a local folder absolutely, so that a purge or a restore run from another
// folder finds the backup.
func OpenStore(ctx context.Context, blobURL string) (*Store, error) {
	b, err := storage.OpenBucket(ctx, blobURL)
	if err != nil {
		return nil, fmt.Errorf("backup store: %w", err)
	}
	dir, _, _ := storage.LocalFolder(blobURL) // OpenBucket read it already
	return &Store{URL: storage.CanonicalURL(blobURL), bucket: b, dir: dir}, nil
}

// openStoreIfThere opens the store at blobURL as OpenStore does, but finds nothing (nil)
// where a local store's folder does not exist, rather than making it: a purge reading a
// relative URL from another folder than the one it was written in.
func openStoreIfThere(ctx context.Context, blobURL string) (*Store, error) {
	if storage.FolderMissing(blobURL) {
		return nil, nil
	}
	return OpenStore(ctx, blobURL)
}

// Close releases the store.
func (s *Store) Close() error { return s.bucket.Close() }

func key(name, file string) string { return folder + name + "/" + file }

// Service takes, restores and moves backups of the tenants of one deployment.
type Service struct {
	Registry *tenancy.Registry
	// Secret is OUTLAY_SECRET_KEY: the audit chains are keyed with keys derived from it.
	Secret []byte
	// Attachments is the deployment's attachment store; a restore under another slug copies
	// the tenant's files to the new slug's prefix in it.
	Attachments *storage.Store
	// Now is the clock backups are named and dated by; nil is time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Backup writes a backup of tenant slug to store and lists it in the control plane. The
// dump and the manifest come from one snapshot of the database (exported to pg_dump), so
// the manifest's counts and checksums are those of the dump's rows.
func (s *Service) Backup(ctx context.Context, slug string, store *Store, kind string) (*Manifest, error) {
	t, err := s.Registry.Find(slug, "back up")
	if err != nil {
		return nil, err
	}
	return s.backup(ctx, t, store, kind, nil, nil)
}

// backup writes the backup; the dump is also written to also, when set, as it is made (a
// move restores it on the way).
func (s *Service) backup(ctx context.Context, t tenancy.Tenant, store *Store, kind string, also io.Writer, w *stopwatch) (*Manifest, error) {
	now := s.now().Truncate(time.Second)
	name, err := freeName(ctx, store, t.Slug, now)
	if err != nil {
		return nil, fmt.Errorf("back up %s: %w", t.Slug, err)
	}
	m := &Manifest{Format: Format, Name: name, Tenant: t.Slug, TenantName: t.Name, Database: t.DatabaseName, Cluster: t.ClusterID, CreatedAt: now}
	if err := s.write(ctx, t, store, m, also, w); err != nil {
		deleteFiles(store, name)
		return nil, fmt.Errorf("back up %s: %w", t.Slug, err)
	}
	rec := tenancy.BackupRecord{Name: name, Slug: t.Slug, BlobURL: store.URL, Kind: kind, DatabaseName: t.DatabaseName, ClusterID: t.ClusterID,
		Rows: m.Rows(), Attachments: m.Attachments, AuditHead: m.AuditHead.Row, CreatedAt: m.CreatedAt}
	if f, ok := m.file(DumpFile); ok {
		rec.DumpBytes, rec.DumpSHA256 = f.Bytes, f.SHA256
	}
	if err := s.Registry.RecordBackup(ctx, rec); err != nil {
		deleteFiles(store, name)
		return nil, err
	}
	w.lap("record backup")
	return m, nil
}

// write writes the dump, the attachment list and, last, the manifest.
func (s *Service) write(ctx context.Context, t tenancy.Tenant, store *Store, m *Manifest, also io.Writer, w *stopwatch) error {
	conn, err := pgx.Connect(ctx, t.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&m.ServerVersion); err != nil {
		return err
	}
	pgDump, err := Tool("pg_dump", m.ServerVersion)
	if err != nil {
		return err
	}
	// The snapshot stays open (and pg_dump can import it) as long as this transaction does.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	var snapshot string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return err
	}
	w.lap("snapshot")
	type result struct {
		f   File
		err error
	}
	dumped := make(chan result, 1)
	go func() {
		f, err := dump(ctx, pgDump, t.DSN, snapshot, store, key(m.Name, DumpFile), also)
		dumped <- result{f, err}
	}()
	// The manifest is read from the same snapshot while pg_dump writes.
	var attachments []Attachment
	err = summarize(ctx, tx, m)
	if err == nil {
		attachments, err = listAttachments(ctx, tx)
	}
	w.lap("checksums")
	d := <-dumped
	if err := errors.Join(err, d.err); err != nil {
		return err
	}
	w.lap("pg_dump")
	d.f.Path = DumpFile
	m.Files = append(m.Files, d.f)
	m.Attachments = len(attachments)
	if attachments == nil {
		attachments = []Attachment{}
	}
	f, err := writeJSON(ctx, store, key(m.Name, AttachmentsFile), attachments)
	if err != nil {
		return err
	}
	f.Path = AttachmentsFile
	m.Files = append(m.Files, f)
	_, err = writeJSON(ctx, store, key(m.Name, ManifestFile), m)
	w.lap("manifest")
	return err
}

// freeName names a backup of slug taken at now: "<slug>/<UTC time>", with "-2", "-3", ...
// when a backup of the same second is already in the store.
func freeName(ctx context.Context, store *Store, slug string, now time.Time) (string, error) {
	base := slug + "/" + now.UTC().Format("20060102T150405Z")
	for i := 1; i < 100; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		ok, err := store.bucket.Exists(ctx, key(name, ManifestFile))
		if err != nil {
			return "", fmt.Errorf("backup store: %w", err)
		}
		if !ok {
			return name, nil
		}
	}
	return "", outlay.Conflict("too many backups of " + slug + " in one second")
}

// dump runs pg_dump on the exported snapshot, streaming its archive into the store (and
// into also, when set) while hashing it.
func dump(ctx context.Context, pgDump, dsn, snapshot string, store *Store, blobKey string, also io.Writer) (File, error) {
	conn, env, err := commandConnection(dsn)
	if err != nil {
		return File{}, err
	}
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--no-owner", "--no-privileges", "--snapshot="+snapshot, "--dbname="+conn)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return File{}, err
	}
	w, err := store.bucket.NewWriter(ctx, blobKey, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return File{}, fmt.Errorf("backup store: %w", err)
	}
	if err := cmd.Start(); err != nil {
		_ = w.Close()
		return File{}, fmt.Errorf("run %s: %w", pgDump, err)
	}
	h := sha256.New()
	sinks := []io.Writer{w, h}
	if also != nil {
		sinks = append(sinks, also)
	}
	n, copyErr := io.Copy(io.MultiWriter(sinks...), out)
	if copyErr != nil {
		// Nobody reads the rest of the archive: pg_dump would wait forever to write it.
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	if waitErr != nil {
		waitErr = fmt.Errorf("pg_dump failed: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	closeErr := w.Close()
	if err := errors.Join(waitErr, copyErr, closeErr); err != nil {
		return File{}, err
	}
	return File{Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeJSON writes v as indented JSON under blobKey and returns its size and checksum.
func writeJSON(ctx context.Context, store *Store, blobKey string, v any) (File, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return File{}, err
	}
	b = append(b, '\n')
	if err := store.bucket.WriteAll(ctx, blobKey, b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return File{}, fmt.Errorf("backup store: %w", err)
	}
	sum := sha256.Sum256(b)
	return File{Bytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}, nil
}

// deleteFiles removes what a backup wrote (a failed one, or one pruned by retention).
func deleteFiles(store *Store, name string) {
	ctx := context.Background()
	for _, f := range []string{ManifestFile, AttachmentsFile, DumpFile} {
		if err := store.bucket.Delete(ctx, key(name, f)); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			slog.Default().Warn("could not delete a backup file", "backup", name, "file", f, "err", err)
		}
	}
}

// ReadManifest reads and checks the manifest of backup name in store.
func ReadManifest(ctx context.Context, store *Store, name string) (*Manifest, error) {
	b, err := store.bucket.ReadAll(ctx, key(name, ManifestFile))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, outlay.NotFound(fmt.Sprintf("no backup %q in %s", name, store.URL))
	}
	if err != nil {
		return nil, fmt.Errorf("backup store: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("backup %s: its manifest is damaged: %w", name, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("backup %s is of format %q; this Outlay reads %q", name, m.Format, Format)
	}
	if m.Name != name {
		return nil, fmt.Errorf("backup %s: its manifest names backup %s", name, m.Name)
	}
	return &m, nil
}

// Purger deletes every backup of a tenant being purged (tenancy.PurgeRequest's Backups): each
// backup the control plane lists, in the store it was written to, and any file left under
// the tenant's folder in the stores named (a backup that failed before it was listed).
type Purger struct {
	Registry *tenancy.Registry
	// URLs are the stores backups are written to: the attachment store and OUTLAY_BACKUP_URL.
	URLs []string
	// ForgetMissing forgets a listed backup whose files are not in its store (deleted by
	// hand); without it the purge stops there (tenancy.ErrFilesMissing).
	ForgetMissing bool
}

// DeleteBackups deletes slug's backups and returns how many the control plane listed. It
// stops at the first file it cannot delete, so that the purge fails and is run again.
func (p Purger) DeleteBackups(ctx context.Context, slug string) (int, error) {
	if slug == "" {
		return 0, errors.New("no tenant named")
	}
	stores := map[string]*Store{}
	defer func() {
		for _, s := range stores {
			_ = s.Close()
		}
	}()
	open := func(u string) (*Store, error) {
		if s, ok := stores[u]; ok {
			return s, nil
		}
		s, err := openStoreIfThere(ctx, u)
		if err == nil && s != nil {
			stores[u] = s
		}
		return s, err
	}
	list, err := p.Registry.Backups(ctx, slug)
	if err != nil {
		return 0, err
	}
	// Every backup is found before any is deleted, so that one missing deletes nothing.
	found := make([]*Store, len(list))
	for i, b := range list {
		s, err := open(b.BlobURL)
		if err != nil {
			return 0, fmt.Errorf("open the store of backup %s: %w", b.Name, err)
		}
		there := s != nil
		if there {
			if there, err = s.bucket.Exists(ctx, key(b.Name, ManifestFile)); err != nil {
				return 0, fmt.Errorf("find backup %s: %w", b.Name, err)
			}
		}
		if !there && !p.ForgetMissing {
			return 0, fmt.Errorf("%w: backup %s is not in %s%s; nothing was purged", tenancy.ErrFilesMissing, b.Name, b.BlobURL, relativeNote(b.BlobURL))
		}
		if there {
			found[i] = s
		}
	}
	n := 0
	for i, b := range list {
		if s := found[i]; s != nil {
			if err := s.deleteUnder(ctx, b.Name+"/"); err != nil {
				return n, fmt.Errorf("delete backup %s: %w", b.Name, err)
			}
		}
		if err := p.Registry.ForgetBackup(ctx, b.Name); err != nil {
			return n, err
		}
		n++
	}
	for _, u := range p.URLs {
		if u == "" {
			continue
		}
		s, err := open(u)
		if err != nil {
			return n, err
		}
		if s == nil {
			continue
		}
		if err := s.deleteUnder(ctx, slug+"/"); err != nil {
			return n, fmt.Errorf("delete the backup files of %s: %w", slug, err)
		}
	}
	// A local store keeps the folders of the files deleted: the tenant's goes too.
	for _, s := range stores {
		if s.dir == "" {
			continue
		}
		if err := storage.RemoveEmptyFolders(s.dir, folder+slug); err != nil {
			return n, err
		}
	}
	return n, nil
}

// relativeNote explains, for a store URL naming a relative folder, where it was looked for.
func relativeNote(blobURL string) string {
	dir, local, err := storage.LocalFolder(blobURL)
	if err != nil || !local || storage.CanonicalURL(blobURL) == blobURL {
		return ""
	}
	return " (a relative folder, looked for here as " + dir + ")"
}

// deleteUnder deletes every file in the backups folder whose name starts with prefix.
func (s *Store) deleteUnder(ctx context.Context, prefix string) error {
	it := s.bucket.List(&blob.ListOptions{Prefix: folder + prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if obj.IsDir {
			continue
		}
		if err := s.bucket.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return err
		}
	}
}
