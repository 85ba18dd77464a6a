//go:build unix

package pgembed

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

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
	// A fixed port, as the demo might use: a leftover server holds it.
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperServer$")
	helper.Env = append(os.Environ(), "PGEMBED_HELPER_DIR="+dir, fmt.Sprintf("PGEMBED_HELPER_PORT=%d", port))
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
	s, err := Start(t.Context(), Options{Dir: dir, Port: port, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start after the parent was killed: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
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
	port, err := strconv.ParseUint(os.Getenv("PGEMBED_HELPER_PORT"), 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(t.Context(), Options{Dir: dir, Port: uint32(port)}); err != nil {
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
