package main

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"outlay/internal/pgcluster"
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
