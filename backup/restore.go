package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/migrations"
	"outlay/storage"
	"outlay/tenancy"
)

// RestoreOptions says where a backup goes.
type RestoreOptions struct {
	// Slug is the tenant the backup is of; without As, the tenant is switched to the restored
	// database (the one it used is kept, for the operator to drop).
	Slug string
	// As, when set, makes a new tenant with this slug from the backup.
	As string
	// Cluster is where the new database is made; empty: the tenant's own cluster (the
	// least-loaded one for a new tenant).
	Cluster string
}

// Restored is what a restore made.
type Restored struct {
	Tenant   tenancy.Tenant
	Manifest *Manifest
	// Previous is the database the tenant used before, when it had one; it is left as it is.
	Previous *tenancy.Tenant
	// MissingAttachments counts listed files the attachment store does not have.
	MissingAttachments int
}

// Restore loads backup name from store into a new database, checks it (every table's rows
// and checksum against the manifest, the audit chain and its head), and only then points the
// registry at it, in one transaction with the tenant's recorded audit head.
func (s *Service) Restore(ctx context.Context, store *Store, name string, o RestoreOptions) (*Restored, error) {
	m, err := ReadManifest(ctx, store, name)
	if err != nil {
		return nil, err
	}
	if m.Tenant != o.Slug {
		return nil, outlay.ValidationErrors{"from": fmt.Sprintf("backup %s is of tenant %s, not %s (restore it as tenant %s, with --as NEW-SLUG for a copy)", name, m.Tenant, o.Slug, m.Tenant)}
	}
	target := o.Slug
	var current *tenancy.Tenant
	if t, ok := s.Registry.Lookup(o.Slug); ok && t.Status != tenancy.StatusPurged {
		current = &t
	}
	if o.As != "" && o.As != o.Slug {
		target = o.As
		if err := tenancy.ValidateSlug(target); err != nil {
			return nil, outlay.ValidationErrors{"as": err.Error()}
		}
		// A purged tenant's slug stays its own, as tenant create keeps it: its purge record
		// names it, and its people's links and bookmarks still lead there. Only its own backup
		// may bring it back (a restore without --as).
		if t, ok := s.Registry.Lookup(target); ok && t.Status == tenancy.StatusPurged {
			return nil, outlay.Conflict(fmt.Sprintf("tenant %q was purged, and a purged tenant's slug is not used again (its purge record keeps it); nothing was changed. Choose another slug for --as", target))
		} else if ok {
			return nil, outlay.Conflict(fmt.Sprintf("tenant %q already exists; choose another slug for --as", target))
		}
		current = nil
	}
	if current != nil && current.Status == tenancy.StatusProvisioning {
		return nil, outlay.Conflict(fmt.Sprintf("tenant %s is being created; try again when it is", target))
	}
	if current != nil {
		if err := s.Registry.RefuseWhileMoving(ctx, target); err != nil {
			return nil, err
		}
	}
	clusterID := o.Cluster
	if clusterID == "" && current != nil {
		clusterID = current.ClusterID
	}
	if clusterID == "" {
		if clusterID, err = s.Registry.LeastLoadedCluster(ctx); err != nil {
			return nil, err
		}
	}
	cluster, err := s.Registry.Cluster(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	p, missing, err := s.load(ctx, store, m, target, cluster, nil)
	if err != nil {
		return nil, err
	}
	if err := s.Registry.Switch(ctx, p, current); err != nil {
		_ = cluster.DropDatabase(context.WithoutCancel(ctx), p.DatabaseName)
		return nil, err
	}
	t, _ := s.Registry.Lookup(target)
	return &Restored{Tenant: t, Manifest: m, Previous: current, MissingAttachments: missing}, nil
}

// load makes a new database for tenant target on cluster from the backup, checks it and
// brings it to the current schema. It returns where the tenant is to point; on any failure
// the new database is dropped.
func (s *Service) load(ctx context.Context, store *Store, m *Manifest, target string, cluster tenancy.Cluster, w *stopwatch) (p tenancy.Placement, missing int, err error) {
	tg, err := s.newTarget(ctx, cluster, target)
	if err != nil {
		return p, 0, err
	}
	defer func() {
		if err != nil {
			s.dropTarget(ctx, tg)
		}
	}()
	w.lap("create database")
	if err := s.pgRestore(ctx, store, m, tg.dsn); err != nil {
		return p, 0, fmt.Errorf("restore %s: %w", m.Name, err)
	}
	w.lap("pg_restore")
	return s.check(ctx, store, m, target, tg, w)
}

// target is a new database a backup is restored into.
type target struct {
	cluster tenancy.Cluster
	name    string
	dsn     string
}

// newTarget makes an empty database for tenant slug on cluster.
func (s *Service) newTarget(ctx context.Context, cluster tenancy.Cluster, slug string) (*target, error) {
	name, err := s.newDatabaseName(ctx, cluster, slug)
	if err != nil {
		return nil, err
	}
	dsn, err := cluster.DatabaseDSN(name)
	if err != nil {
		return nil, err
	}
	if err := cluster.CreateDatabase(ctx, name, ""); err != nil {
		return nil, err
	}
	return &target{cluster: cluster, name: name, dsn: dsn}, nil
}

// dropTarget drops the database of a restore that failed.
func (s *Service) dropTarget(ctx context.Context, tg *target) {
	if err := tg.cluster.DropDatabase(context.WithoutCancel(ctx), tg.name); err != nil {
		s.logger().Error("could not drop the database of a failed restore", "db", tg.name, "cluster", tg.cluster.ID, "err", err)
	}
}

// check checks a restored database against the manifest (every table's rows and checksum,
// and the audit chain up to the backup's head, read at the same time over two connections),
// re-homes it when it becomes another tenant's, and brings it to the current schema. It
// returns where the tenant is to point.
func (s *Service) check(ctx context.Context, store *Store, m *Manifest, target string, tg *target, w *stopwatch) (p tenancy.Placement, missing int, err error) {
	t := tenancy.Tenant{Slug: target, Name: m.TenantName, DatabaseName: tg.name, ClusterID: tg.cluster.ID, DSN: tg.dsn}
	db, closeDB, err := tenancy.OpenOne(ctx, t, s.Secret)
	if err != nil {
		return p, 0, err
	}
	defer closeDB()
	tables := make(chan error, 1)
	go func() { tables <- checkTables(ctx, tg.dsn, m) }()
	auditErr := s.checkAudit(ctx, db, m, m.Tenant)
	if err := <-tables; err != nil {
		return p, 0, fmt.Errorf("restore %s: the restored database does not match the backup: %w", m.Name, err)
	}
	if auditErr != nil {
		return p, 0, fmt.Errorf("restore %s: %w", m.Name, auditErr)
	}
	w.lap("check tables and audit chain")
	if target != m.Tenant {
		if missing, err = s.rehome(ctx, db, store, m, target); err != nil {
			return p, 0, fmt.Errorf("restore %s as %s: %w", m.Name, target, err)
		}
		if err := s.checkAudit(ctx, db, m, target); err != nil {
			return p, 0, fmt.Errorf("restore %s as %s: after re-keying: %w", m.Name, target, err)
		}
	}
	// A backup of an older schema is brought up to this deployment's.
	if _, err := tenancy.MigrateDatabase(ctx, tg.dsn, migrations.Tenant()); err != nil {
		return p, 0, fmt.Errorf("restore %s: migrate: %w", m.Name, err)
	}
	w.lap("migrate")
	h, err := audit.LatestHead(ctx, db, target)
	if err != nil {
		return p, 0, err
	}
	signed, err := h.Sign(s.Secret)
	if err != nil {
		return p, 0, err
	}
	w.lap("audit head")
	return tenancy.Placement{Slug: target, Name: m.TenantName, DatabaseName: tg.name, ClusterID: tg.cluster.ID,
		SignedHead: signed, HeadID: h.ID, HeadHash: h.Hash, HeadAt: h.At}, missing, nil
}

// newDatabaseName is the tenant's usual database name when the cluster has no database of
// that name, and otherwise that name with the time appended.
func (s *Service) newDatabaseName(ctx context.Context, cluster tenancy.Cluster, slug string) (string, error) {
	name := s.Registry.TenantDatabaseName(slug)
	taken, err := cluster.DatabaseExists(ctx, name)
	if err != nil {
		return "", err
	}
	if taken {
		name += "_" + s.now().Format("060102150405")
	}
	if len(name) > 63 {
		return "", fmt.Errorf("database name %s is longer than Postgres allows (63)", name)
	}
	return name, nil
}

// pgRestore streams the dump from the store into pg_restore, checking its size and checksum
// against the manifest.
func (s *Service) pgRestore(ctx context.Context, store *Store, m *Manifest, dsn string) error {
	want, ok := m.file(DumpFile)
	if !ok {
		return errors.New("the manifest lists no dump")
	}
	r, err := store.bucket.NewReader(ctx, key(m.Name, DumpFile), nil)
	if err != nil {
		return fmt.Errorf("backup store: %w", err)
	}
	defer r.Close()
	restore, err := startRestore(ctx, dsn)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, copyErr := io.Copy(io.MultiWriter(restore, h), r)
	if err := restore.Wait(); err != nil {
		return err
	}
	if copyErr != nil {
		return copyErr
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != want.Bytes || got != want.SHA256 {
		return fmt.Errorf("%w: the dump has %d bytes with SHA-256 %s; the manifest says %d bytes, %s", ErrDamaged, n, got, want.Bytes, want.SHA256)
	}
	return nil
}

// restoreProcess is a pg_restore reading an archive from what is written to it.
type restoreProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr strings.Builder
}

// startRestore starts pg_restore of the server's version (which reads archives of older
// pg_dumps too) into the empty database at dsn. It restores in one transaction: one commit,
// rather than one per schema object, each waiting for its WAL to be flushed; and a failed
// restore leaves nothing behind. args are more arguments for pg_restore (the sections to
// restore).
func startRestore(ctx context.Context, dsn string, args ...string) (*restoreProcess, error) {
	version, err := serverVersion(ctx, dsn)
	if err != nil {
		return nil, err
	}
	tool, err := Tool("pg_restore", version)
	if err != nil {
		return nil, err
	}
	target, env, err := commandConnection(dsn)
	if err != nil {
		return nil, err
	}
	args = append([]string{"--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--dbname=" + target}, args...)
	r := &restoreProcess{cmd: exec.CommandContext(ctx, tool, args...)}
	r.cmd.Env = env
	r.cmd.Stderr = &r.stderr
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", tool, err)
	}
	return r, nil
}

// Write passes archive bytes on to pg_restore.
func (r *restoreProcess) Write(b []byte) (int, error) { return r.stdin.Write(b) }

// Wait ends the archive and waits for pg_restore to finish.
func (r *restoreProcess) Wait() error {
	_ = r.stdin.Close()
	if err := r.cmd.Wait(); err != nil {
		return fmt.Errorf("pg_restore failed: %w: %s", err, strings.TrimSpace(r.stderr.String()))
	}
	return nil
}

// Abort stops pg_restore; its transaction rolls back.
func (r *restoreProcess) Abort() {
	_ = r.cmd.Process.Kill()
	_ = r.stdin.Close()
	_ = r.cmd.Wait()
}

// checkTables compares every table of the database at dsn with the manifest.
func checkTables(ctx context.Context, dsn string, m *Manifest) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	got, head, err := tableSums(ctx, conn)
	if err != nil {
		return err
	}
	return compare(m, got, head)
}

// compare says how tables and head differ from the manifest's, or returns nil.
func compare(m *Manifest, got []TableSum, head Head) error {
	want := map[string]TableSum{}
	for _, t := range m.Tables {
		want[t.Name] = t
	}
	var problems []string
	for _, g := range got {
		w, ok := want[g.Name]
		delete(want, g.Name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("table %s is not in the backup", g.Name))
		case g.Rows != w.Rows:
			problems = append(problems, fmt.Sprintf("table %s has %d rows, the backup %d", g.Name, g.Rows, w.Rows))
		case g.SHA256 != w.SHA256:
			problems = append(problems, fmt.Sprintf("table %s's rows differ from the backup's (checksum)", g.Name))
		}
	}
	for name := range want {
		problems = append(problems, fmt.Sprintf("table %s is missing", name))
	}
	if head != m.AuditHead {
		problems = append(problems, fmt.Sprintf("the audit log ends at row %d (%s), the backup's at row %d (%s)", head.Row, head.Hash, m.AuditHead.Row, m.AuditHead.Hash))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// checkAudit walks the restored audit chain with slug's key and checks that it ends at the
// backup's head.
func (s *Service) checkAudit(ctx context.Context, db *gorm.DB, m *Manifest, slug string) error {
	key, err := audit.TenantKey(s.Secret, slug)
	if err != nil {
		return err
	}
	res, err := audit.Verify(ctx, db, key)
	if err != nil {
		return err
	}
	if !res.Intact() {
		return fmt.Errorf("the audit log is broken: %s", res)
	}
	if res.HeadID != m.AuditHead.Row || hex.EncodeToString(res.HeadHash) != m.AuditHead.Hash && m.AuditHead.Row != 0 {
		return fmt.Errorf("the audit log ends at row %d, the backup's at row %d", res.HeadID, m.AuditHead.Row)
	}
	return nil
}

// rehome makes a restored copy the database of another tenant: its audit chain is keyed
// again with that tenant's key (after the chain was verified with the old one, so every row
// it vouches for was checked, and it is verified with the new one afterwards), and its files
// are copied to the new tenant's prefix of the attachment store and the rows pointed at them.
// It returns how many listed files the store does not have.
//
// Re-keying changes audit_log rows, which its append-only trigger refuses: the restoring role
// owns the restored tables (pg_restore --no-owner makes them its own), so it turns that one
// trigger off for the transaction, as their owner may, and on again before the commit. No
// superuser is needed, nothing else is turned off (foreign keys and the chain trigger stay
// on), and nobody else sees the database yet: it is not registered until the restore ends.
func (s *Service) rehome(ctx context.Context, db *gorm.DB, store *Store, m *Manifest, slug string) (int, error) {
	var tables []string
	if err := db.WithContext(ctx).Raw(selectAttachmentTables).Scan(&tables).Error; err != nil {
		return 0, err
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only").Error; err != nil {
			return fmt.Errorf("restoring under another slug needs the restored tables' owner: %w", err)
		}
		// The connection carries the new tenant's key as the chain trigger reads it (the
		// padded HMAC keys), so the new keyed hashes are computed exactly as the trigger would.
		if err := tx.Exec(`UPDATE audit_log SET keyed_hash = sha256(substring(k.pads FROM 65 FOR 64) || sha256(substring(k.pads FROM 1 FOR 64) || hash))
			FROM (SELECT decode(current_setting('` + audit.KeyParameter + `'), 'hex') AS pads) k WHERE keyed_hash IS NOT NULL`).Error; err != nil {
			return fmt.Errorf("re-key the audit log: %w", err)
		}
		if err := tx.Exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only").Error; err != nil {
			return err
		}
		for _, t := range tables {
			if err := tx.Exec(`UPDATE public.`+pgx.Identifier{t}.Sanitize()+` SET storage_key = ? || '/' || sha256`, slug).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return s.copyAttachments(ctx, store, m, slug)
}

// copyAttachments copies the files a backup lists from its tenant's prefix to slug's.
func (s *Service) copyAttachments(ctx context.Context, store *Store, m *Manifest, slug string) (int, error) {
	if s.Attachments == nil || m.Attachments == 0 {
		return 0, nil
	}
	r, err := ReadAttachments(ctx, store, m)
	if err != nil {
		return 0, err
	}
	missing := 0
	for _, a := range r {
		rc, err := s.Attachments.Open(ctx, storage.Key(m.Tenant, a.SHA256))
		if errors.Is(err, storage.ErrNotFound) {
			missing++
			continue
		}
		if err != nil {
			return missing, err
		}
		err = s.Attachments.Put(ctx, storage.Key(slug, a.SHA256), rc, "application/octet-stream")
		rc.Close()
		if err != nil {
			return missing, err
		}
	}
	return missing, nil
}

// ErrDamaged means a backup's file does not match its manifest.
var ErrDamaged = errors.New("the backup is damaged")

// ReadAttachments reads a backup's attachment list, checking it against the manifest.
func ReadAttachments(ctx context.Context, store *Store, m *Manifest) ([]Attachment, error) {
	want, ok := m.file(AttachmentsFile)
	if !ok {
		return nil, fmt.Errorf("%w: the manifest lists no attachment list", ErrDamaged)
	}
	b, err := store.bucket.ReadAll(ctx, key(m.Name, AttachmentsFile))
	if err != nil {
		return nil, fmt.Errorf("backup store: %w", err)
	}
	if sum := sha256.Sum256(b); int64(len(b)) != want.Bytes || hex.EncodeToString(sum[:]) != want.SHA256 {
		return nil, fmt.Errorf("%w: %s does not match the manifest's checksum", ErrDamaged, AttachmentsFile)
	}
	var out []Attachment
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, AttachmentsFile, err)
	}
	return out, nil
}
