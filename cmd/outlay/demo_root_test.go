package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// `outlay demo` run as root from a clone in a folder only root may enter (a root home, a
// mktemp -d): PostgreSQL runs as user postgres, who cannot reach the clone's .outlay, so the
// embedded database is kept where it can, and the demo says where; everything else works.
func TestDemoAsRootInPrivateFolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs only as root: PostgreSQL runs as another user only when the demo runs as root")
	}
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(private, "outlay")
	if err := os.Mkdir(clone, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(clone)
	// The demo's own embedded database and defaults, nothing configured.
	for _, v := range []string{"OUTLAY_DATABASE_URL", "OUTLAY_SECRET_KEY", "OUTLAY_BLOB_URL", "OUTLAY_DEMO_DATA"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	link := filepath.Join(clone, ".outlay", "postgres")
	t.Cleanup(func() {
		if dir, err := os.Readlink(link); err == nil && !strings.HasPrefix(dir, private) {
			os.RemoveAll(dir)
		}
	})

	port := freePort(t)
	printed, stop := startDemo(t, "--listen", "127.0.0.1:"+strconv.Itoa(port))
	dir, err := os.Readlink(link)
	if err != nil {
		t.Fatalf("%s is not a link to the database folder: %v\n%s", link, err, printed)
	}
	if strings.HasPrefix(dir, private) {
		t.Fatalf("the database folder %s is inside the private folder", dir)
	}
	if !strings.Contains(printed, "the embedded database is kept in "+dir) || !strings.Contains(printed, "its database in "+dir) {
		t.Errorf("the demo does not say where the database is (%s):\n%s", dir, printed)
	}
	signInOverHTTP(t, port, "acme", "admin@acme.example")
	signInOverHTTP(t, port, "globex", "requester@globex.example")
	stop()

	// The next run finds the same database: the tenants are there already.
	port = freePort(t)
	printed, stop = startDemo(t, "--listen", "127.0.0.1:"+strconv.Itoa(port))
	if !strings.Contains(printed, "Starting the embedded Postgres in "+dir) {
		t.Errorf("second run did not use %s:\n%s", dir, printed)
	}
	signInOverHTTP(t, port, "acme", "approver@acme.example")
	stop()
}
