// Package pgcluster starts a second, private Postgres cluster for a test (its own initdb, on
// a free port), for tests of what crosses clusters: placing tenants, restoring backups and
// moving tenants from one cluster to another.
package pgcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"outlay/pgembed"
)

// Cluster is a running Postgres cluster that belongs to one test.
type Cluster struct {
	srv *pgembed.Server
}

// Start initialises and starts a new cluster, stopped and removed when the test ends. As
// root, initdb and postgres run as the unprivileged postgres user (package pgembed), with the
// data in a folder that user can enter. Without an installed initdb the test is skipped,
// saying so; any other failure fails it.
func Start(t testing.TB) *Cluster {
	t.Helper()
	if !initdbInstalled() {
		t.Skip("a second Postgres cluster needs initdb, which is not installed (apt-get install postgresql)")
	}
	dir, err := os.MkdirTemp("", "outlay-pgcluster-")
	if err == nil {
		// The unprivileged user Postgres runs as must be able to enter it.
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatalf("second cluster: %v", err)
	}
	srv, err := pgembed.Start(context.Background(), pgembed.Options{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatalf("second cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Logf("stop second cluster: %v", err)
		}
		_ = os.RemoveAll(dir)
	})
	return &Cluster{srv: srv}
}

// DSN is a superuser URL of a database on the cluster ("postgres" is its maintenance database).
func (c *Cluster) DSN(database string) string { return c.srv.DSN(database) }

// initdbInstalled reports whether an initdb can be found where pgembed looks for one.
func initdbInstalled() bool {
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin/initdb", "/usr/pgsql-*/bin/initdb", "/usr/local/pgsql/bin/initdb"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return true
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(out)), "initdb")); err == nil {
			return true
		}
	}
	_, err := exec.LookPath("initdb")
	return err == nil
}
