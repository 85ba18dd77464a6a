package pgembed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testDir returns a fresh folder for Options.Dir. As root, PostgreSQL runs as
// another user, who must be able to enter every ancestor; t.TempDir puts its
// folders in one created with mode 0700, so that is opened up here.
func testDir(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	if os.Geteuid() == 0 {
		if err := os.Chmod(filepath.Dir(base), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(base, "pg")
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// start starts a server and makes sure it is stopped when the test ends.
func start(t *testing.T, dir string) *Server {
	t.Helper()
	began := time.Now()
	s, err := Start(t.Context(), Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %v (port %d)", time.Since(began), s.Port())
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop in cleanup: %v", err)
		}
	})
	return s
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func selectOne(t *testing.T, dsn string) {
	t.Helper()
	var one int
	if err := connect(t, dsn).QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 on %s: %d, %v", dsn, one, err)
	}
}

func TestStartStopRestartKeepsData(t *testing.T) {
	dir := testDir(t)

	s := start(t, dir)
	if s.Port() == 0 {
		t.Fatal("Port() = 0")
	}
	selectOne(t, s.DSN("postgres"))
	conn := connect(t, s.DSN("postgres"))
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE kept"); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	initialized, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid after Stop: %v", err)
	}

	s = start(t, dir)
	selectOne(t, s.DSN("kept"))
	var n int
	if err := connect(t, s.DSN("postgres")).QueryRow(t.Context(),
		"SELECT count(*) FROM pg_database WHERE datname = 'kept'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("database kept after restart: count %d, %v", n, err)
	}
	again, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	if !again.ModTime().Equal(initialized.ModTime()) {
		t.Fatal("PG_VERSION was rewritten: the data folder was initialized again")
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

// TestLeftoverServerIsStopped forgets a server without Stop, as a crashed
// parent would, and starts another one on the same folder.
func TestLeftoverServerIsStopped(t *testing.T) {
	dir := testDir(t)
	dataDir := filepath.Join(dir, "data")

	first := start(t, dir)
	firstPID, err := postmasterPID(dataDir)
	if err != nil {
		t.Fatal(err)
	}

	second := start(t, dir)
	secondPID, err := postmasterPID(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if secondPID == firstPID {
		t.Fatalf("postmaster pid still %d", firstPID)
	}
	if s := inspect(firstPID, dataDir); s != procGone {
		t.Fatalf("leftover postmaster %d still there (state %d)", firstPID, s)
	}
	selectOne(t, second.DSN("postgres"))

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, first.DSN("postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("the leftover server still accepts connections")
	}

	// Stopping the forgotten server must not take the new one down.
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop of the replaced server: %v", err)
	}
	selectOne(t, second.DSN("postgres"))
	if err := second.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// TestKilledParent kills a process that started a server without stopping
// it. On Linux as root, the parent-death signal stops the server; otherwise
// the server outlives its parent. Either way, the next Start on the folder
// must work.
func TestKilledParent(t *testing.T) {
	dir := testDir(t)
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperServer$")
	helper.Env = append(os.Environ(), "PGEMBED_HELPER_DIR="+dir)
	helper.Stderr = t.Output()
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = helper.Process.Kill() }() // Only matters when the test fails early.
	lines := bufio.NewScanner(out)
	for lines.Scan() && lines.Text() != "ready" {
		t.Log("helper:", lines.Text())
	}
	pid, err := postmasterPID(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()

	if os.Geteuid() == 0 && runtime.GOOS == "linux" {
		if !waitGone(pid, filepath.Join(dir, "data"), 10*time.Second) {
			t.Fatalf("postgres %d still runs after its parent was killed", pid)
		}
	}
	s := start(t, dir)
	selectOne(t, s.DSN("postgres"))
	if st := inspect(pid, filepath.Join(dir, "data")); st != procGone {
		t.Fatalf("postgres of the killed parent still there (state %d)", st)
	}
}

// TestHelperServer is the process TestKilledParent kills; it does nothing
// in a normal test run.
func TestHelperServer(t *testing.T) {
	dir := os.Getenv("PGEMBED_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process for TestKilledParent")
	}
	if _, err := Start(t.Context(), Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	select {} // Until killed.
}

// TestRootNeedsTraversableAncestors checks that, as root, an ancestor the
// unprivileged user cannot enter gives an error that names it.
func TestRootNeedsTraversableAncestors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs PostgreSQL as another user")
	}
	base := t.TempDir()
	blocked := filepath.Dir(base) // t.TempDir creates it with mode 0700.
	_, err := Start(t.Context(), Options{Dir: filepath.Join(base, "pg"), Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "cannot enter "+blocked+" ") {
		t.Fatalf("Start under a 0700 folder: %v", err)
	}
}

func TestDSN(t *testing.T) {
	s := &Server{port: 5433}
	if got, want := s.DSN("app"), "postgres://postgres@127.0.0.1:5433/app?sslmode=disable"; got != want {
		t.Fatalf("DSN = %q, want %q", got, want)
	}
}
