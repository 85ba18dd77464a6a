package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
	"outlay/storage"
	"outlay/tenancy"
)

// purgeWith runs `outlay tenant purge` with typed as what the operator types at the prompt.
func purgeWith(t *testing.T, typed string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := cmdTenantPurge(context.Background(), args, strings.NewReader(typed), &out, &errb)
	if err != nil {
		return 1, out.String(), errb.String() + err.Error()
	}
	return 0, out.String(), errb.String()
}

// The operator suspends, lapses, reactivates and purges a tenant from the command line; each
// command refuses what the tenant's state does not allow, with a reason, and changes nothing.
// Purging inside the export window needs --force and the slug typed again, and says how much
// of the window is left (all 90 days of it, just after the lapse). The purge leaves no folder
// of the tenant's files behind, and backing it up, moving, copying, verifying or changing it
// afterwards says when it was purged.
func TestTenantLifecycleCommands(t *testing.T) {
	dsn := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", dsn)
	blobDir := t.TempDir()
	t.Setenv("OUTLAY_BLOB_URL", "file://"+blobDir)
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-password", "a long enough password"); code != 0 {
		t.Fatalf("create: %q %q", out, errs)
	}
	blobs, err := storage.Open(context.Background(), "file://"+blobDir)
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	if err := blobs.Put(context.Background(), storage.Key("acme", strings.Repeat("ab", 32)), strings.NewReader("%PDF-1.4 receipt"), "application/pdf"); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		_, out, _ := runCmd(t, "tenant", "list")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 3 && f[0] == "acme" {
				return f[3]
			}
		}
		return "(not listed)"
	}
	steps := []struct {
		args       []string
		ok         bool
		want, then string
	}{
		{[]string{"purge", "acme"}, false, "tenant \"acme\" is active: lapse it first", "active"},
		{[]string{"reactivate", "acme"}, false, "already active", "active"},
		{[]string{"suspend", "acme"}, true, "tenant acme suspended", "suspended"},
		{[]string{"suspend", "acme"}, false, "already suspended", "suspended"},
		{[]string{"reactivate", "acme"}, true, "tenant acme reactivated", "active"},
		{[]string{"lapse", "acme", "--by", "olga@ops"}, true, "may sign in and export until", "lapsed"},
		{[]string{"suspend", "acme"}, false, "only a tenant that is active can become suspended", "lapsed"},
		{[]string{"purge", "acme"}, false, "run outlay tenant purge acme --force", "lapsed"},
		{[]string{"lapse", "nosuch"}, false, `no tenant "nosuch"`, "lapsed"},
	}
	for _, s := range steps {
		code, out, errs := runCmd(t, append([]string{"tenant"}, s.args...)...)
		if (code == 0) != s.ok || !strings.Contains(out+errs, s.want) {
			t.Errorf("%v: exit %d, %q %q; want ok=%v and %q", s.args, code, out, errs, s.ok, s.want)
		}
		if got := status(); got != s.then {
			t.Errorf("after %v the tenant is %s, want %s", s.args, got, s.then)
		}
	}

	// An export asked for by Ana, as the Export everything page records it.
	ctl, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close(context.Background())
	if _, err := ctl.Exec(context.Background(), `INSERT INTO tenant_exports (slug, requested_by, requested_by_label) VALUES ('acme', 1, 'ana@acme.example')`); err != nil {
		t.Fatal(err)
	}

	// A wrong slug at the prompt purges nothing.
	code, out, errs := purgeWith(t, "acne\n", "acme", "--force")
	if code == 0 || !strings.Contains(out, "Type the slug to confirm") || !strings.Contains(errs, "does not match; nothing was purged") || status() != "lapsed" {
		t.Fatalf("purge with the wrong slug typed: %d %q %q, tenant %s", code, out, errs, status())
	}
	if !strings.Contains(out, "for good, 90 days before its export window ends") {
		t.Errorf("the prompt just after the lapse: %q, want 90 days left", out)
	}
	code, out, errs = purgeWith(t, "acme\n", "acme", "--force", "--by", "pat@ops")
	if code != 0 || status() != "purged" {
		t.Fatalf("forced purge: %d %q %q, tenant %s", code, out, errs, status())
	}
	for _, want := range []string{"tenant acme purged", "by pat@ops (forced before its window ended)", "lapsed", "by olga@ops", "users 1", "1 attachment files"} {
		if !strings.Contains(out, want) {
			t.Errorf("the purge's report lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(blobDir, "acme")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the purged tenant's folder of files is still there: %v", err)
	}
	purgedOn := `tenant "acme" was purged on ` + time.Now().UTC().Format("2006-01-02")
	if code, _, errs := runCmd(t, "tenant", "backup", "acme"); code == 0 || !strings.Contains(errs, purgedOn) || !strings.Contains(errs, "there is nothing to back up") {
		t.Errorf("backing up a purged tenant: %d %q", code, errs)
	}
	if code, out, errs := runCmd(t, "tenant", "backups", "acme"); code != 0 || !strings.Contains(out, "no backups of acme: "+purgedOn) {
		t.Errorf("listing the backups of a purged tenant: %d %q %q", code, out, errs)
	}
	conn, err := pgx.Connect(context.Background(), dbtest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	control, err := tenancy.DatabaseName(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var left bool
	if err := conn.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, control+"_acme").Scan(&left); err != nil || left {
		t.Errorf("the purged database is still there (%v)", err)
	}
	if code, _, errs := runCmd(t, "tenant", "reactivate", "acme"); code == 0 || !strings.Contains(errs, "purged") {
		t.Errorf("reactivating a purged tenant: %d %q", code, errs)
	}
	// Who asked for its exports goes with it; exporting it says there is nothing left.
	var label string
	if err := ctl.QueryRow(context.Background(), `SELECT requested_by_label FROM tenant_exports WHERE slug = 'acme'`).Scan(&label); err != nil || label != "purged" {
		t.Errorf("the export record after the purge names %q (%v)", label, err)
	}
	if code, _, errs := runCmd(t, "tenant", "export", "acme", "--to", filepath.Join(t.TempDir(), "acme.zip")); code == 0 || !strings.Contains(errs, `tenant "acme" was purged`) {
		t.Errorf("exporting a purged tenant: %d %q", code, errs)
	}
	// Every command that acts on a tenant named by slug says it was purged, and when, rather
	// than that no such tenant exists.
	departments := filepath.Join(t.TempDir(), "departments.csv")
	if err := os.WriteFile(departments, []byte("name\nFinance\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"tenant", "move", "acme", "--cluster", "elsewhere"},
		{"tenant", "clone-sanitized", "acme", "--as", "acme-staging"},
		{"tenant", "purge", "acme", "--force"},
		{"audit", "verify", "acme"},
		{"audit", "head", "acme"},
		{"user", "add", "acme", "bo@acme.example", "--name", "Bo", "--role", "requester"},
		{"user", "deactivate", "acme", "ana@acme.example"},
		{"user", "reset-2fa", "acme", "ana@acme.example"},
		{"sso", "list", "acme"},
		{"sso", "set", "acme", "okta", "--issuer", "https://login.acme.example", "--client-id", "outlay", "--client-secret", "s3cret"},
		{"import", "acme", "departments", departments},
	} {
		if code, out, errs := runCmd(t, args...); code == 0 || !strings.Contains(errs, purgedOn) || strings.Contains(errs, "no tenant") {
			t.Errorf("%v on a purged tenant: exit %d, %q %q; want %q", args, code, out, errs, purgedOn)
		}
	}
	// Its slug stays with its purge record, and creating it again says so.
	if code, _, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme again", "--admin-email", "ana@acme.example"); code == 0 ||
		!strings.Contains(errs, `tenant "acme" was purged, and a purged tenant's slug is not used again`) {
		t.Errorf("creating a purged slug again: %d %q", code, errs)
	}
}

// acmeWithRelativeStore creates tenant acme in a new control plane, run from the folder home
// with the relative attachment store file://./blobs, and returns another empty folder too.
func acmeWithRelativeStore(t *testing.T) (dsn, home, elsewhere string) {
	t.Helper()
	dsn = newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", dsn)
	t.Setenv("OUTLAY_BLOB_URL", "file://./blobs")
	t.Setenv("OUTLAY_BACKUP_URL", "")
	home, elsewhere = t.TempDir(), t.TempDir()
	t.Chdir(home)
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-password", "a long enough password"); code != 0 {
		t.Fatalf("create: %q %q", out, errs)
	}
	return dsn, home, elsewhere
}

// A purge deletes the tenant's files where they were written, and never records as deleted
// what it did not find. With a relative attachment store (file://./blobs, the default's
// kind), a purge run from another folder finds neither the attachment its records name nor
// the backup the control plane lists (recorded relative, as before backups recorded their
// folder absolutely): each stops it, saying where it looked, and nothing is purged. From the
// folder the files are in, the purge deletes them all.
func TestPurgeFindsTheFilesWhereTheyWereWritten(t *testing.T) {
	dsn, home, elsewhere := acmeWithRelativeStore(t)
	ctx := context.Background()
	blobs, err := storage.Open(ctx, "file://./blobs")
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	sum := strings.Repeat("cd", 32)
	receipt := storage.Key("acme", sum)
	if err := blobs.Put(ctx, receipt, strings.NewReader("a receipt"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	db := tenantDB(t, dsn, "acme")
	if err := db.Exec(`INSERT INTO attachments (doc_type, doc_id, uploaded_by, filename, content_type, size_bytes, sha256, storage_key)
		VALUES ('requisition', 1, 1, 'receipt.txt', 'text/plain', 9, ?, ?)`, sum, receipt).Error; err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "tenant", "backup", "acme")
	if code != 0 {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	_, name, _ := strings.Cut(out, "--from ")
	name = strings.TrimSpace(name)
	if _, out, _ := runCmd(t, "tenant", "backups", "acme"); !strings.Contains(out, "file://"+filepath.ToSlash(home)+"/blobs") {
		t.Errorf("the backup's store is not recorded by its absolute folder:\n%s", out)
	}
	ctl, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close(ctx)
	if _, err := ctl.Exec(ctx, `UPDATE tenant_backups SET blob_url = 'file://./blobs' WHERE name = $1`, name); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, "tenant", "lapse", "acme"); code != 0 {
		t.Fatalf("lapse: %q", errs)
	}
	backupDir := filepath.Join(home, "blobs", "backups", filepath.FromSlash(name))
	stillThere := func(when string) {
		t.Helper()
		if _, err := os.Stat(filepath.Join(home, "blobs", filepath.FromSlash(receipt))); err != nil {
			t.Errorf("%s: the attachment is gone: %v", when, err)
		}
		if _, err := os.Stat(backupDir); err != nil {
			t.Errorf("%s: the backup is gone: %v", when, err)
		}
		if _, out, _ := runCmd(t, "tenant", "list"); !regexpLine(out, `acme\s.*\slapsed\s`) {
			t.Errorf("%s: the tenant is no longer lapsed:\n%s", when, out)
		}
	}

	t.Chdir(elsewhere)
	code, out, errs = purgeWith(t, "acme\n", "acme", "--force")
	if code == 0 || !strings.Contains(errs, "1 attachment files its records name are not in the attachment store; nothing was purged") ||
		!strings.Contains(errs, "--forget-missing-files") || !strings.Contains(errs, filepath.ToSlash(elsewhere)) {
		t.Errorf("a purge from another folder, with an attachment there: %d %q %q", code, out, errs)
	}
	stillThere("after the purge that missed the attachment")
	if _, err := os.Stat(filepath.Join(elsewhere, "blobs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the purge from another folder made an attachment folder there: %v", err)
	}
	// With the attachment's file in the store of the folder it runs in, the purge still
	// misses the backup, and deletes nothing.
	t.Setenv("OUTLAY_BLOB_URL", "file://"+filepath.ToSlash(home)+"/blobs")
	code, out, errs = purgeWith(t, "acme\n", "acme", "--force")
	if code == 0 || !strings.Contains(errs, "backup "+name+" is not in file://./blobs (a relative folder, looked for here as "+filepath.Join(elsewhere, "blobs")+"); nothing was purged") {
		t.Errorf("a purge from another folder, with a backup there: %d %q %q", code, out, errs)
	}
	stillThere("after the purge that missed the backup")
	t.Setenv("OUTLAY_BLOB_URL", "file://./blobs")

	t.Chdir(home)
	code, out, errs = purgeWith(t, "acme\n", "acme", "--force")
	if code != 0 || !strings.Contains(out, "1 attachment files and 1 backups") {
		t.Fatalf("the purge from the files' folder: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(backupDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the purged tenant's backup is still there: %v", err)
	}
}

// A purge run from a folder that holds no attachment store (a relative file:// store read from
// elsewhere) creates no folder there: a tenant without attachments is purged, and the folder
// it ran in is left as it was.
func TestPurgeFromAnotherFolderMakesNoFolder(t *testing.T) {
	_, _, elsewhere := acmeWithRelativeStore(t)
	if code, _, errs := runCmd(t, "tenant", "lapse", "acme"); code != 0 {
		t.Fatalf("lapse: %q", errs)
	}
	t.Chdir(elsewhere)
	code, out, errs := purgeWith(t, "acme\n", "acme", "--force")
	if code != 0 || !strings.Contains(out, "0 attachment files and 0 backups") {
		t.Fatalf("the purge from another folder: %d %q %q", code, out, errs)
	}
	if entries, err := os.ReadDir(elsewhere); err != nil || len(entries) != 0 {
		t.Errorf("the purge left %v in the folder it ran in (%v), want nothing", entries, err)
	}
}
