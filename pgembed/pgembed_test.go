package pgembed

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
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

// TestBusyPort checks that a port some other process listens on is refused
// up front: with PostgreSQL on it, the readiness check would otherwise reach
// that server instead of ours.
func TestBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := uint32(l.Addr().(*net.TCPAddr).Port)
	_, err = Start(t.Context(), Options{Dir: testDir(t), Port: port, Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "not available") {
		t.Fatalf("Start on a busy port: %v", err)
	}
}

func TestDSN(t *testing.T) {
	s := &Server{port: 5433}
	if got, want := s.DSN("app"), "postgres://postgres@127.0.0.1:5433/app?sslmode=disable"; got != want {
		t.Fatalf("DSN = %q, want %q", got, want)
	}
}
