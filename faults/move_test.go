package faults

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/pgcluster"
)

// `outlay tenant move` is killed with SIGKILL (as when its machine dies) at two points, held
// there by a lock the test takes: before it switches the tenant (acme, under load: its
// database read-only, the new cluster holding a full copy of it), and after it switched the
// tenant but before it dropped the old database (globex). Each time the tenant list shows the
// interrupted move, another move of the tenant is refused with what to do, and
// `outlay tenant move <slug> --abandon` (the slug typed to confirm) leaves the tenant writable
// on one cluster and drops the database the move left behind, saying so. Meanwhile every
// request acme's people make whose write is refused, or whose session the move ended, is told
// the organisation is being moved; no acknowledged write is lost.
func TestMoveKilledMidwayIsAbandoned(t *testing.T) {
	// The second cluster starts first: its start ends OS threads of this process (package
	// pgembed), and a thread that started `outlay serve` ending would kill it (Pdeathsig).
	second := pgcluster.Start(t)
	s := startSite(t, []string{"acme", "globex"})
	op := &operator{site: s, blobs: "file://" + t.TempDir()}
	if code, out := op.run(t, "", "cluster", "add", "eu-2", second.DSN("postgres")); code != 0 {
		t.Fatalf("cluster add: %d %s", code, out)
	}
	ctx := context.Background()
	control, err := pgx.Connect(ctx, s.env.ControlDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close(ctx)
	// Watched from a connection of its own: inside a transaction, pg_stat_activity stays the
	// snapshot of its first read.
	watch, err := pgx.Connect(ctx, s.env.ControlDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	onSecond := func(name string) bool {
		conn, err := pgx.Connect(ctx, second.DSN("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	onDefault := func(name string) bool {
		var ok bool
		if err := watch.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	// acme: killed before the switch. The test holds acme's registry row, so the move
	// blocks at the switch, with everything before it done.
	acme := s.signIn(t, "acme")
	tl, stopLoad := underLoad(t, []*browser{acme})
	acked := func() int {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		return len(tl.acked["acme"])
	}
	waitFor(t, "writes before the move", 30*time.Second, func() bool { return acked() >= 10 })
	hold, err := control.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `SELECT 1 FROM tenants WHERE slug = 'acme' FOR NO KEY UPDATE`); err != nil {
		t.Fatal(err)
	}
	op.killWhenWaiting(t, watch, "UPDATE tenants SET database_name%", "tenant", "move", "acme", "--cluster", "eu-2")
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var target string
	if err := control.QueryRow(ctx, `SELECT to_database FROM tenant_moves WHERE slug = 'acme'`).Scan(&target); err != nil {
		t.Fatalf("the killed move is not recorded: %v", err)
	}
	list := op.listOnceInterrupted(t, "acme")
	if !hasLine(list, `^acme\s.*\sactive\s+default\s.*INTERRUPTED move to eu-2`) ||
		!strings.Contains(list, "acme may be read-only, and database "+target+" on cluster eu-2 is the move's unfinished copy. Undo it with: outlay tenant move acme --abandon") {
		t.Errorf("tenant list after the kill:\n%s", list)
	}
	if !onSecond(target) {
		t.Fatalf("the move's copy %s is not on eu-2: the move was not killed where the test held it", target)
	}
	beingMoved := tl.count("acme", "503 Being moved")
	waitFor(t, "writes refused while acme stays read-only", 30*time.Second, func() bool { return tl.count("acme", "503 Being moved") >= beingMoved+5 })
	if code, out := op.run(t, "", "tenant", "move", "acme", "--cluster", "eu-2"); code == 0 ||
		!strings.Contains(out, "was interrupted") || !strings.Contains(out, "outlay tenant move acme --abandon") {
		t.Errorf("moving acme again: %d %s", code, out)
	}

	// The operator types the wrong slug: nothing changes.
	if code, out := op.run(t, "acne\n", "tenant", "move", "acme", "--abandon"); code == 0 ||
		!strings.Contains(out, "drops the move's unfinished copy, database "+target+" on cluster eu-2") || !strings.Contains(out, "nothing was changed") {
		t.Errorf("abandon with the wrong slug typed: %d %s", code, out)
	}
	if !onSecond(target) {
		t.Errorf("the move's copy %s was dropped though the slug typed did not match", target)
	}
	code, out := op.run(t, "acme\n", "tenant", "move", "acme", "--abandon")
	t.Logf("tenant list after the kill:\n%s\noutlay tenant move acme --abandon:\n%s", list, out)
	for _, want := range []string{"is undone: acme stays on cluster default (database " + s.tenants["acme"].DatabaseName + ")",
		"database " + s.tenants["acme"].DatabaseName + " on cluster default made writable again",
		"dropped database " + target + " on cluster eu-2", "the move's unfinished copy", "the move's backup acme/"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("abandon: %d, output lacks %q:\n%s", code, want, out)
		}
	}
	if onSecond(target) {
		t.Errorf("the move's copy %s is still on eu-2", target)
	}
	before := acked()
	waitFor(t, "writes acknowledged again after the abandon", 30*time.Second, func() bool { return acked() >= before+10 })
	stopLoad()
	t.Logf("acme's answers: %s", tl)
	// During the move, after it was killed and while it was undone, acme's people were only
	// ever told it is being moved (never "temporarily unavailable", never a 500).
	for kind, n := range tl.errorsOf("acme") {
		if kind != "503 Being moved" {
			t.Errorf("acme: %d answers %q; want only 503 Being moved", n, kind)
		}
	}
	s.checkAcknowledged(t, tl, "acme")
	if code, out := op.run(t, "", "tenant", "list"); code != 0 || !hasLine(out, `^acme\s.*\sactive\s+default\s.*\s-$`) || strings.Contains(out, "INTERRUPTED") {
		t.Errorf("tenant list after the abandon: %d\n%s", code, out)
	}
	if code, out := op.run(t, "", "audit", "verify", "acme"); code != 0 {
		t.Errorf("audit verify acme after the abandon: %d %s", code, out)
	}
	if code, out := op.run(t, "", "tenant", "move", "acme", "--abandon"); code == 0 || !strings.Contains(out, "no move of tenant \"acme\" is recorded") {
		t.Errorf("abandon with nothing to abandon: %d %s", code, out)
	}

	// globex: killed after the switch, before the old database is dropped. The test holds a
	// lock on the old database (an open COMMENT ON DATABASE), which DROP DATABASE waits for.
	old := s.tenants["globex"].DatabaseName
	maintenance, err := pgx.Connect(ctx, cluster.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer maintenance.Close(ctx)
	holdDB, err := maintenance.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holdDB.Rollback(ctx)
	if _, err := holdDB.Exec(ctx, `COMMENT ON DATABASE `+pgx.Identifier{old}.Sanitize()+` IS 'held by the test'`); err != nil {
		t.Fatal(err)
	}
	op.killWhenWaiting(t, watch, "DROP DATABASE IF EXISTS \""+old+"\"%", "tenant", "move", "globex", "--cluster", "eu-2")
	if err := holdDB.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	list = op.listOnceInterrupted(t, "globex")
	if !hasLine(list, `^globex\s.*\sactive\s+eu-2\s.*INTERRUPTED move to eu-2`) ||
		!strings.Contains(list, "was interrupted after it switched the tenant: its old database "+old+" on cluster default is left. Finish it with: outlay tenant move globex --abandon") {
		t.Errorf("tenant list after the kill:\n%s", list)
	}
	if !onDefault(old) {
		t.Fatalf("globex's old database %s is gone: the move was not killed where the test held it", old)
	}
	code, out = op.run(t, "globex\n", "tenant", "move", "globex", "--abandon")
	t.Logf("tenant list after the kill:\n%s\noutlay tenant move globex --abandon:\n%s", list, out)
	for _, want := range []string{"It had switched globex to cluster eu-2", "the move stands, and is finished",
		"dropped database " + old + " on cluster default", "the tenant's old database"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("abandon after the switch: %d, output lacks %q:\n%s", code, want, out)
		}
	}
	if onDefault(old) {
		t.Errorf("globex's old database %s is still there", old)
	}
	if code, out := op.run(t, "", "tenant", "list"); code != 0 || !hasLine(out, `^globex\s.*\sactive\s+eu-2\s.*\s-$`) || strings.Contains(out, "INTERRUPTED") {
		t.Errorf("tenant list after the abandon: %d\n%s", code, out)
	}
	if code, out := op.run(t, "", "audit", "verify", "globex", "--head"); code != 0 || !strings.Contains(out, "the control plane's head matches") {
		t.Errorf("audit verify globex after the abandon: %d %s", code, out)
	}
	// globex works on eu-2.
	globex := s.signIn(t, "globex")
	if a := globex.get("/vendors/new"); a.status != 200 {
		t.Fatalf("globex /vendors/new: %s", a)
	}
	if a := globex.addVendor("After the move"); a.status != 303 {
		t.Errorf("a write to globex after the abandon: %s", a)
	}
}

// operator runs the outlay binary's operator commands on a site's deployment.
type operator struct {
	site  *site
	blobs string
}

func (o *operator) command(args ...string) *exec.Cmd {
	cmd := exec.Command(outlayBin, args...)
	cmd.Env = append(os.Environ(),
		"OUTLAY_DATABASE_URL="+o.site.env.ControlDSN,
		"OUTLAY_SECRET_KEY="+hex.EncodeToString(o.site.env.Config.SecretKey),
		"OUTLAY_BLOB_URL="+o.blobs,
	)
	return cmd
}

// run runs a command with stdin as what the operator types, and returns its exit code and
// what it wrote (stdout, then stderr).
func (o *operator) run(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := o.command(args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("outlay %v: %v", args, err)
	} else if err != nil {
		code = exit.ExitCode()
	}
	return code, stdout.String() + stderr.String()
}

// killWhenWaiting starts the command and, once a session of the control plane's cluster
// waits for a lock with a statement like pattern (the test holds that lock), kills the
// process with SIGKILL and ends that session, as the process's machine dying would.
func (o *operator) killWhenWaiting(t *testing.T, watch *pgx.Conn, pattern string, args ...string) {
	t.Helper()
	ctx := context.Background()
	cmd := o.command(args...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var pid int32
	waitFor(t, "outlay "+strings.Join(args, " ")+" waiting for the test's lock", 120*time.Second, func() bool {
		select {
		case err := <-exited:
			t.Fatalf("outlay %v ended before it reached the test's lock: %v\n%s", args, err, output.String())
		default:
		}
		err := watch.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND ltrim(query) LIKE $1`, pattern).Scan(&pid)
		return err == nil
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("outlay %v after SIGKILL: %v", args, err)
	}
	if _, err := watch.Exec(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid); err != nil {
		t.Fatal(err)
	}
}

// listOnceInterrupted runs `outlay tenant list` until it shows slug's move as interrupted
// (the killed process's session, which held the move, ends a moment after it), and returns
// what it printed.
func (o *operator) listOnceInterrupted(t *testing.T, slug string) string {
	t.Helper()
	var out string
	waitFor(t, "tenant list showing "+slug+"'s move interrupted", 30*time.Second, func() bool {
		var code int
		code, out = o.run(t, "", "tenant", "list")
		return code == 0 && hasLine(out, `^`+slug+`\s.*INTERRUPTED move`)
	})
	return out
}

// hasLine reports whether some line of out matches pattern.
func hasLine(out, pattern string) bool { return regexp.MustCompile("(?m)" + pattern).MatchString(out) }
