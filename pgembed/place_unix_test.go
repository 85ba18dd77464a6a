//go:build unix

package pgembed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// As root, a server meant for a folder only root may enter (a root home, a mktemp -d) is
// kept where PostgreSQL's user can reach it, always the same place for the same folder, and
// the folder links to it; removing the link starts afresh.
func TestPlaceDirOutOfReach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs only as root: without root PostgreSQL runs as the current user, who can reach every folder it can name")
	}
	private := t.TempDir() // mode 0700, root's
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(private, "project", ".outlay", "postgres")
	dir, err := PlaceDir(want, testLogger(t))
	if err != nil {
		t.Fatalf("PlaceDir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if dir == want || strings.HasPrefix(dir, private) {
		t.Fatalf("PlaceDir(%s) = %s: still inside the private folder", want, dir)
	}
	if !strings.Contains(filepath.Base(dir), "project-") {
		t.Errorf("PlaceDir(%s) = %s: the name does not say which project it is for", want, dir)
	}
	if link, err := os.Readlink(want); err != nil || link != dir {
		t.Errorf("%s links to %q (%v), want %s", want, link, err, dir)
	}

	s := start(t, dir)
	conn := connect(t, s.DSN("postgres"))
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE kept"); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	again, err := PlaceDir(want, testLogger(t))
	if err != nil || again != dir {
		t.Fatalf("second PlaceDir = %s, %v; want %s", again, err, dir)
	}
	s = start(t, again)
	selectOne(t, s.DSN("kept"))
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	// Deleting the data folder, as the demo tells people to do, starts afresh.
	if err := os.RemoveAll(filepath.Dir(want)); err != nil {
		t.Fatal(err)
	}
	fresh, err := PlaceDir(want, testLogger(t))
	if err != nil || fresh != dir {
		t.Fatalf("PlaceDir after removal = %s, %v; want %s", fresh, err, dir)
	}
	if _, err := os.Stat(filepath.Join(fresh, "data")); !os.IsNotExist(err) {
		t.Errorf("the old databases are still in %s (stat: %v)", fresh, err)
	}
}

// A folder PostgreSQL's user can reach stays where it is.
func TestPlaceDirWithinReach(t *testing.T) {
	want := testDir(t)
	dir, err := PlaceDir(want, testLogger(t))
	if err != nil || dir != want {
		t.Fatalf("PlaceDir(%s) = %s, %v", want, dir, err)
	}
	if _, err := os.Lstat(want); !os.IsNotExist(err) {
		t.Errorf("PlaceDir made %s (%v); it should leave it to Start", want, err)
	}
}
