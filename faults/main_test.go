package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"outlay/internal/dbtest"
)

// cluster is the Postgres server of these tests; outlayBin the binary under test.
var (
	cluster   *dbtest.Cluster
	outlayBin string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "outlay-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	outlayBin = filepath.Join(dir, "outlay")
	build := exec.Command("go", "build", "-o", outlayBin, "outlay/cmd/outlay")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build outlay:", err)
		return 1
	}
	cluster, err = dbtest.StartCluster(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start a Postgres cluster:", err)
		return 1
	}
	defer cluster.Close()
	// Every helper of dbtest (deployments, tenants, templates) uses this cluster.
	os.Setenv("OUTLAY_TEST_DATABASE_URL", cluster.DSN("postgres"))
	return m.Run()
}
