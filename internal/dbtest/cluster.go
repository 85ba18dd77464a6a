package dbtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"outlay/migrations"
	"outlay/pgembed"
)

// Cluster is a Postgres server of a test's own, for tests that must not touch the shared one:
// fault tests stop and restart it, connection-budget tests set its max_connections, and
// settings such as fsync=off make thousands of databases cheap. Its folder is removed when it
// is closed.
type Cluster struct {
	*pgembed.Server
	dir      string
	port     uint32
	settings map[string]string
}

// StartCluster starts a private cluster with the given server settings (postgres -c).
func StartCluster(settings map[string]string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "outlay-cluster-")
	if err == nil {
		// As root, Postgres runs as an unprivileged user who must be able to enter it.
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, settings: settings}
	if err := c.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	c.port = c.Server.Port()
	return c, nil
}

// OwnCluster is StartCluster for one test: the cluster is closed when the test ends.
func OwnCluster(t testing.TB, settings map[string]string) *Cluster {
	t.Helper()
	c, err := StartCluster(settings)
	if err != nil {
		t.Fatalf("start a Postgres cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// Start starts the cluster again after Stop, on the same port with the same data, as a
// restarted server would come back.
func (c *Cluster) Start() error {
	srv, err := pgembed.Start(context.Background(), pgembed.Options{Dir: filepath.Join(c.dir, "pg"), Port: c.port, Settings: c.settings})
	if err != nil {
		return err
	}
	c.Server = srv
	return nil
}

// Close stops the cluster and removes its folder.
func (c *Cluster) Close() {
	if c.Server != nil {
		_ = c.Server.Stop()
	}
	_ = os.RemoveAll(c.dir)
}

// TenantTemplate makes, once per cluster, a database migrated to the current tenant schema
// that tenant databases are copied from (CREATE DATABASE ... TEMPLATE), and returns its name.
func (c *Cluster) TenantTemplate() (string, error) {
	return makeTemplate(c.DSN("postgres"), "outlaytpl_", "", migrations.Tenant(), migrateTenant)
}
