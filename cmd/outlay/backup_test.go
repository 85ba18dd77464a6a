package main

import (
	"bytes"
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/backup"
	"outlay/internal/dbtest"
	"outlay/internal/pgcluster"
	"outlay/storage"
)

// The operator's commands for clusters, backups, restores and moves, on a demo-seeded tenant
// and a second cluster.
func TestClusterBackupRestoreMoveCommands(t *testing.T) {
	s := newArchiveSite(t)
	second := pgcluster.Start(t)

	if code, out, errs := runCmd(t, "cluster", "add", "eu-2", second.DSN("postgres")); code != 0 || !strings.Contains(out, "cluster eu-2 added") {
		t.Fatalf("cluster add: %d %q %q", code, out, errs)
	}
	if code, _, errs := runCmd(t, "cluster", "add", "eu-2", second.DSN("postgres")); code == 0 || !strings.Contains(errs, "already exists") {
		t.Errorf("cluster add twice: %d %q", code, errs)
	}
	code, out, errs := runCmd(t, "cluster", "list")
	if code != 0 || !regexpLine(out, `default\s+1\s`) || !regexpLine(out, `eu-2\s+0\s`) {
		t.Errorf("cluster list: %d %q %q", code, out, errs)
	}

	code, out, errs = runCmd(t, "tenant", "backup", "acme")
	if code != 0 || !strings.Contains(out, "backup acme/") {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	_, name, _ := strings.Cut(out, "--from ")
	name = strings.TrimSpace(name)
	if code, out, errs := runCmd(t, "tenant", "backups", "acme"); code != 0 || !strings.Contains(out, name) || !strings.Contains(out, "manual") {
		t.Errorf("backups: %d %q %q", code, out, errs)
	}
	if code, _, errs := runCmd(t, "tenant", "restore", "acme", "--from", "acme/19990101T000000Z"); code == 0 || !strings.Contains(errs, "no backup") {
		t.Errorf("restore of a backup that does not exist: %d %q", code, errs)
	}

	code, out, errs = runCmd(t, "tenant", "restore", "acme", "--from", name, "--as", "acme-copy", "--cluster", "eu-2")
	if code != 0 || !strings.Contains(out, "on cluster eu-2") || !strings.Contains(out, "tenant acme-copy now uses it") {
		t.Fatalf("restore --as: %d %q %q", code, out, errs)
	}
	want, got := tableRows(t, tenantDB(t, s.dsn, "acme")), tableRows(t, tenantDB(t, s.dsn, "acme-copy"))
	// The copy's audit chain is keyed under its own slug; every other row is the same.
	delete(want, "audit_log")
	delete(got, "audit_log")
	if !reflect.DeepEqual(want, got) {
		for tb := range want {
			if !reflect.DeepEqual(want[tb], got[tb]) {
				t.Errorf("table %s differs in the copy: %d rows, want %d", tb, len(got[tb]), len(want[tb]))
			}
		}
	}
	if code, out, errs := runCmd(t, "audit", "verify", "acme-copy", "--head"); code != 0 || !strings.Contains(out, "chain intact") {
		t.Errorf("audit verify of the copy: %d %q %q", code, out, errs)
	}

	code, out, errs = runCmd(t, "tenant", "move", "acme", "--cluster", "eu-2")
	if code != 0 || !strings.Contains(out, "tenant acme moved from cluster default to eu-2") {
		t.Fatalf("move: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, "tenant", "list"); code != 0 || !regexpLine(out, `acme\s+Acme Corporation\s+active\s+eu-2\s`) {
		t.Errorf("tenant list after the move: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, "audit", "verify", "acme", "--head"); code != 0 || !strings.Contains(out, "the control plane's head matches") {
		t.Errorf("audit verify after the move: %d %q %q", code, out, errs)
	}
	if code, _, errs := runCmd(t, "tenant", "move", "acme", "--cluster", "eu-2"); code == 0 || !strings.Contains(errs, "already on cluster eu-2") {
		t.Errorf("moving to the cluster it is on: %d %q", code, errs)
	}

	// A sanitized copy of a tenant on one cluster can be put on another.
	code, out, errs = runCmd(t, "tenant", "clone-sanitized", "acme", "--as", "acme-stage", "--cluster", "default")
	if code != 0 || !strings.Contains(out, "from cluster eu-2 to cluster default") || !strings.Contains(out, "none found") {
		t.Fatalf("clone-sanitized to another cluster: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, "tenant", "list"); code != 0 || !regexpLine(out, `acme-stage\s.*\sactive\s+default\s`) {
		t.Errorf("tenant list after the copy: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, "audit", "verify", "acme-stage", "--head"); code != 0 || !strings.Contains(out, "chain intact") {
		t.Errorf("audit verify of the sanitized copy: %d %q %q", code, out, errs)
	}
	if code, _, errs := runCmd(t, "tenant", "clone-sanitized", "acme", "--as", "acme-stage2", "--cluster", "nowhere"); code == 0 || errs == "" {
		t.Errorf("clone-sanitized to a cluster that does not exist: %d %q", code, errs)
	}
}

// regexpLine reports whether some line of out matches pattern.
func regexpLine(out, pattern string) bool {
	re := regexp.MustCompile(pattern)
	for _, line := range strings.Split(out, "\n") {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

// Undoing a move killed while it wrote its dump deletes the files of its backup, which was
// never listed (a backup is listed once written whole), and says so; a listed backup, and
// files from before the move started, stay.
func TestAbandonDeletesTheMovesUnfinishedBackup(t *testing.T) {
	dsn := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", dsn)
	blobDir := t.TempDir()
	t.Setenv("OUTLAY_BLOB_URL", "file://"+blobDir)
	ctx := context.Background()
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-password", "a long enough password"); code != 0 {
		t.Fatalf("create: %q %q", out, errs)
	}
	if code, out, errs := runCmd(t, "cluster", "add", "eu-2", dbtest.ServerDSN(t)); code != 0 {
		t.Fatalf("cluster add: %q %q", out, errs)
	}
	code, out, errs := runCmd(t, "tenant", "backup", "acme")
	_, listed, _ := strings.Cut(out, "--from ")
	if listed = strings.TrimSpace(listed); code != 0 || listed == "" {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	ctl, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close(ctx)
	var started time.Time
	if err := ctl.QueryRow(ctx, `INSERT INTO tenant_moves (slug, from_cluster, from_database, to_cluster, to_database, started_by)
		SELECT slug, cluster_id, database_name, 'eu-2', database_name || '_moving', 'olga@ops' FROM tenants WHERE slug = 'acme'
		RETURNING started_at`).Scan(&started); err != nil {
		t.Fatal(err)
	}
	blobs, err := storage.OpenBucket(ctx, "file://"+blobDir)
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	stamp := func(at time.Time) string { return "acme/" + at.UTC().Format("20060102T150405Z") }
	partial, older := stamp(started.Add(time.Second)), stamp(started.Add(-time.Hour))
	for _, name := range []string{partial, older} {
		if err := blobs.WriteAll(ctx, "backups/"+name+"/"+backup.DumpFile, []byte("PGDMP, cut short"), nil); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	err = cmdTenantMove(ctx, []string{"acme", "--abandon"}, strings.NewReader("acme\n"), &stdout, &stderr)
	if want := "deleted the files of the move's unfinished backup " + partial; err != nil || !strings.Contains(stdout.String(), want) {
		t.Errorf("abandon: %v, output lacks %q:\n%s%s", err, want, stdout.String(), stderr.String())
	}
	for name, kept := range map[string]bool{partial: false, older: true, listed: true} {
		if ok, err := blobs.Exists(ctx, "backups/"+name+"/"+backup.DumpFile); err != nil || ok != kept {
			t.Errorf("the dump of %s is there: %v (%v), want %v", name, ok, err, kept)
		}
	}
}
