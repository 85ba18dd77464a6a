package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay"
	"outlay/audit"
	"outlay/backup"
	"outlay/internal/dbtest"
	"outlay/internal/pgcluster"
	"outlay/storage"
	"outlay/tenancy"
)

// fixture is a deployment with a second cluster, a tenant with people, an attachment and
// audit rows, and the backup service.
type fixture struct {
	env     *dbtest.Env
	tenant  tenancy.Tenant
	service *backup.Service
	store   *backup.Store
	blobs   *storage.Store
	blobKey string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	env := dbtest.NewEnv(t)
	tn := env.NewTenant(t, "acme", "Acme Corporation")
	second := pgcluster.Start(t)
	if _, err := env.Registry.AddCluster(ctx, "eu-2", second.DSN("postgres")); err != nil {
		t.Fatal(err)
	}
	owner := env.CreateUser(t, tn, "ann@acme.test", "Ann Admin", "admin")
	env.CreateUser(t, tn, "bob@acme.test", "Bob Buyer", "requester")
	blobs, err := storage.Open(ctx, env.Config.BlobURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	content := []byte("a receipt")
	sum := sha256.Sum256(content)
	h := hex.EncodeToString(sum[:])
	blobKey := storage.Key(tn.Slug, h)
	if err := blobs.Put(ctx, blobKey, bytes.NewReader(content), storage.TypeText); err != nil {
		t.Fatal(err)
	}
	db := env.DB(t, tn)
	if err := db.Exec(`INSERT INTO attachments (doc_type, doc_id, uploaded_by, filename, content_type, size_bytes, sha256, storage_key)
		VALUES ('requisition', 1, ?, 'receipt.txt', 'text/plain', ?, ?, ?)`, owner.ID, len(content), h, blobKey).Error; err != nil {
		t.Fatal(err)
	}
	store, err := backup.OpenStore(ctx, env.Config.BlobURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &fixture{env: env, tenant: tn, store: store, blobs: blobs, blobKey: blobKey,
		service: &backup.Service{Registry: env.Registry, Secret: env.Config.SecretKey, Attachments: blobs, Logger: env.Logger}}
}

// sums reads every table's rows and checksum and the audit head of a tenant's database, as
// the backup's manifest records them.
func sums(t *testing.T, tn tenancy.Tenant) backup.Manifest {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, tn.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	m, err := backup.Summarize(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	return *m
}

func sameData(t *testing.T, what string, got, want backup.Manifest) {
	t.Helper()
	if len(got.Tables) != len(want.Tables) || len(got.Tables) < 20 {
		t.Fatalf("%s: %d tables, want %d", what, len(got.Tables), len(want.Tables))
	}
	for i := range want.Tables {
		if got.Tables[i] != want.Tables[i] {
			t.Errorf("%s: table %+v, want %+v", what, got.Tables[i], want.Tables[i])
		}
	}
	if got.AuditHead != want.AuditHead || want.AuditHead.Row == 0 {
		t.Errorf("%s: audit head %+v, want %+v", what, got.AuditHead, want.AuditHead)
	}
}

func TestBackupRestoreOnSecondCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	before := sums(t, f.tenant)

	m, err := f.service.Backup(ctx, "acme", f.store, tenancy.BackupManual)
	if err != nil {
		t.Fatal(err)
	}
	sameData(t, "manifest", *m, before)
	if m.Attachments != 1 || m.Rows() == 0 {
		t.Errorf("manifest: %d attachments, %d rows", m.Attachments, m.Rows())
	}
	recs, err := f.env.Registry.Backups(ctx, "acme")
	if err != nil || len(recs) != 1 || recs[0].Name != m.Name || recs[0].Rows != m.Rows() {
		t.Fatalf("backups listed: %+v, %v", recs, err)
	}

	// Restored onto the second cluster: the registry now points there, and the data, the
	// checksums and the audit head are those of the backup.
	res, err := f.service.Restore(ctx, f.store, m.Name, backup.RestoreOptions{Slug: "acme", Cluster: "eu-2"})
	if err != nil {
		t.Fatal(err)
	}
	moved, _ := f.env.Registry.Lookup("acme")
	if moved.ClusterID != "eu-2" || moved.DSN == f.tenant.DSN || res.Previous == nil || res.Previous.DSN != f.tenant.DSN {
		t.Fatalf("after the restore acme is %+v (previous %+v)", moved, res.Previous)
	}
	sameData(t, "restored", sums(t, moved), before)

	db := f.env.DB(t, moved)
	key := f.env.AuditKey(t, moved)
	v, err := audit.Verify(ctx, db, key)
	if err != nil || !v.Intact() || v.HeadID != before.AuditHead.Row {
		t.Fatalf("audit verify of the restored tenant: %+v, %v", v, err)
	}
	recorded, ok, err := f.env.Registry.AuditHead(ctx, "acme", f.env.Config.SecretKey)
	if err != nil || !ok || recorded.ID != before.AuditHead.Row {
		t.Errorf("recorded audit head after the restore: %+v %v %v", recorded, ok, err)
	}
	// The restored tenant takes writes, chained with its own key.
	f.env.CreateUser(t, moved, "cy@acme.test", "Cy New", "requester")
	if v, err := audit.Verify(ctx, db, key); err != nil || !v.Intact() || v.HeadID <= before.AuditHead.Row {
		t.Errorf("audit verify after a write: %+v, %v", v, err)
	}
}

func TestRestoreAsNewTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	before := sums(t, f.tenant)
	m, err := f.service.Backup(ctx, "acme", f.store, tenancy.BackupManual)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := f.service.Restore(ctx, f.store, m.Name, backup.RestoreOptions{Slug: "globex"}); !isValidation(err) {
		t.Errorf("restoring acme's backup as tenant globex without --as: %v", err)
	}
	if _, err := f.service.Restore(ctx, f.store, m.Name, backup.RestoreOptions{Slug: "acme", As: "acme"}); err != nil {
		t.Fatalf("restore over itself: %v", err)
	}

	res, err := f.service.Restore(ctx, f.store, m.Name, backup.RestoreOptions{Slug: "acme", As: "acme-copy", Cluster: "eu-2"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tenant.Slug != "acme-copy" || res.Tenant.ClusterID != "eu-2" || res.Tenant.Status != tenancy.StatusActive || res.MissingAttachments != 0 {
		t.Fatalf("restored as %+v, %d attachments missing", res.Tenant, res.MissingAttachments)
	}
	copySums := sums(t, res.Tenant)
	for i := range before.Tables {
		if before.Tables[i].Rows != copySums.Tables[i].Rows {
			t.Errorf("copy: table %+v, want %+v", copySums.Tables[i], before.Tables[i])
		}
	}
	// The copy's chain is keyed with its own slug's key, and its file is under its own prefix.
	db := f.env.DB(t, res.Tenant)
	if v, err := audit.Verify(ctx, db, f.env.AuditKey(t, res.Tenant)); err != nil || !v.Intact() || v.HeadID != before.AuditHead.Row {
		t.Errorf("audit verify of the copy: %+v, %v", v, err)
	}
	var keyOf string
	if err := db.Raw(`SELECT storage_key FROM attachments`).Scan(&keyOf).Error; err != nil {
		t.Fatal(err)
	}
	if ok, err := f.blobs.Exists(ctx, keyOf); err != nil || !ok || keyOf == f.blobKey {
		t.Errorf("the copy's attachment is at %s (exists %v, %v)", keyOf, ok, err)
	}
	// The original is untouched.
	orig, _ := f.env.Registry.Lookup("acme")
	if v, err := audit.Verify(ctx, f.env.DB(t, orig), f.env.AuditKey(t, orig)); err != nil || !v.Intact() {
		t.Errorf("audit verify of the original: %+v, %v", v, err)
	}
	if _, err := f.service.Restore(ctx, f.store, m.Name, backup.RestoreOptions{Slug: "acme", As: "acme-copy"}); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("restoring as an existing tenant: %v, want a conflict", err)
	}
	// A purged tenant's slug is not used again: acme's data does not come back under it.
	f.env.NewTenant(t, "gone", "Gone Ltd")
	if err := f.env.Registry.Lapse(ctx, "gone", "test", time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Registry.Purge(ctx, "gone", tenancy.PurgeRequest{By: "test", Now: time.Now(), Force: true}); err != nil {
		t.Fatal(err)
	}
	_, err = f.service.Restore(ctx, f.store, m.Name, backup.RestoreOptions{Slug: "acme", As: "gone"})
	if !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "a purged tenant's slug is not used again") {
		t.Errorf("restoring acme as the purged gone: %v", err)
	}
	if g, _ := f.env.Registry.Lookup("gone"); g.Status != tenancy.StatusPurged {
		t.Errorf("gone after the refused restore: %+v", g)
	}
}

func isValidation(err error) bool {
	_, ok := outlay.AsValidation(err)
	return ok
}

// A restore over a tenant whose move was interrupted (its process killed: the move is
// recorded, and nothing holds it) is refused, naming the command that undoes the move, and
// the tenant stays where it is: the restore would switch it from under the move's undoing.
func TestRestoreRefusedWhileAMoveIsInterrupted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	m, err := f.service.Backup(ctx, "acme", f.store, tenancy.BackupManual)
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := pgx.Connect(ctx, f.env.ControlDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close(ctx)
	if _, err := ctl.Exec(ctx, `INSERT INTO tenant_moves (slug, from_cluster, from_database, to_cluster, to_database, started_by)
		VALUES ('acme', $1, $2, 'eu-2', 'acme_moving', 'olga@ops')`, f.tenant.ClusterID, f.tenant.DatabaseName); err != nil {
		t.Fatal(err)
	}
	_, err = f.service.Restore(ctx, f.store, m.Name, backup.RestoreOptions{Slug: "acme", Cluster: "eu-2"})
	if !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "was interrupted") || !strings.Contains(err.Error(), "outlay tenant move acme --abandon") {
		t.Errorf("restore while the move is interrupted: %v", err)
	}
	if err := f.env.Registry.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if now, _ := f.env.Registry.Lookup("acme"); now.ClusterID != f.tenant.ClusterID || now.DatabaseName != f.tenant.DatabaseName {
		t.Errorf("after the refused restore acme is on %s (%s)", now.ClusterID, now.DatabaseName)
	}
}
