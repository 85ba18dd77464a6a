//go:build linux

package deploy_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/internal/poll"
	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/jobs"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestTwoServersBehindHAProxy runs two real `outlay serve` processes on one control database
// behind HAProxy, configured by deploy/haproxy.cfg itself (its addresses set through the
// environment, as the file allows). A person signs in through the balancer and is served by
// both servers alike; a policy edit on one server is enforced by the other on the very next
// request; each approval's mail is sent exactly once although both servers work the job
// queue; when one server is killed the session goes on, on the other; and a server told to
// stop fails /readyz, is taken out by HAProxy, and still serves until it exits.
func TestTwoServersBehindHAProxy(t *testing.T) {
	haproxy := findHAProxy(t)
	bin := buildOutlay(t)

	env, tn := testutil.NewTenant(t)
	db := env.DB(t, tn)
	smtp := smtptest.Start(t)
	env.CreateUser(t, tn, "ada@acme.example", "Ada Admin", "admin")
	max := env.CreateUser(t, tn, "max@acme.example", "Max Manager", "approver")
	rita := env.CreateUser(t, tn, "rita@acme.example", "Rita Requester", "requester")
	if err := db.Model(rita).Update("manager_id", max.ID).Error; err != nil {
		t.Fatal(err)
	}
	var steps []int64
	var numbers []string
	for i := range 4 {
		r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: rita.ID, Lines: []testutil.RequisitionLine{{Amount: int64(1000 + i)}}})
		steps = append(steps, testutil.SubmitRequisition(t, db, r).Steps[0].ID)
		numbers = append(numbers, *r.Number)
	}

	front, app1, app2 := freeAddr(t), freeAddr(t), freeAddr(t)
	_, frontPort, _ := net.SplitHostPort(front)
	settings := []string{
		"OUTLAY_DATABASE_URL=" + env.ControlDSN,
		// The deployment's key, as hex: the servers key the tenant's audit chain as the test did.
		"OUTLAY_SECRET_KEY=" + hex.EncodeToString(env.Config.SecretKey),
		"OUTLAY_PUBLIC_URL=http://localhost:" + frontPort,
		"OUTLAY_BLOB_URL=file://" + t.TempDir(),
		"OUTLAY_SMTP_URL=" + smtp.URL(),
		"OUTLAY_TRUSTED_PROXIES=127.0.0.1",
		"OUTLAY_JOB_WORKERS=4",
		"OUTLAY_DRAIN_TIME=8s",
	}
	servers := map[string]*server{
		"app1": startServer(t, bin, "app1", app1, settings),
		"app2": startServer(t, bin, "app2", app2, settings),
	}
	lb := startHAProxy(t, haproxy, front, app1, app2)
	lb.waitState(t, "app1", "UP")
	lb.waitState(t, "app2", "UP")
	host := "acme.localhost:" + frontPort

	// Max signs in through the balancer, and both servers serve him in turn: the sign-in
	// form's CSRF token, his session and its cookie are good on either.
	maxc := testutil.RemoteClient(t, host, front)
	maxc.SignIn("max@acme.example", testutil.Password)
	if servedBy := dashboardServers(t, maxc, 6); len(servedBy) != 2 {
		t.Fatalf("six dashboards in a row were served by %v; round robin should use both servers", servedBy)
	}

	// A policy edit made on app1 is enforced by app2 on the next request, though app2 had
	// the tenant's policy cached.
	ritac := testutil.RemoteClient(t, host, app2)
	ritac.SignIn("rita@acme.example", testutil.Password)
	if res := ritac.Get("/requisitions/new"); res.Status != http.StatusOK {
		t.Fatalf("Rita's new requisition form on app2: %d", res.Status)
	}
	adac := testutil.RemoteClient(t, host, app1)
	adac.SignIn("ada@acme.example", testutil.Password)
	setRequesterCreates := func(granted bool) {
		t.Helper()
		adac.Get("/admin/roles")
		form := url.Values{"object": {outlay.ObjRequisitions}, "action": {outlay.ActCreate}}
		if granted {
			form.Set("granted", "true")
		}
		if res := adac.Post("/admin/roles/requester/permissions", form); res.Status != http.StatusOK {
			t.Fatalf("set requester's requisitions:create to %v on %s: %d", granted, adac.Addr, res.Status)
		}
	}
	setRequesterCreates(false)
	if res := ritac.Get("/requisitions/new"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("after the requester role lost requisitions:create on app1, app2 answered %d → %q", res.Status, res.Location())
	}
	// And back the other way.
	adac.Addr, ritac.Addr = app2, app1
	setRequesterCreates(true)
	if res := ritac.Get("/requisitions/new"); res.Status != http.StatusOK {
		t.Fatalf("after the grant came back on app2, app1 answered %d → %q", res.Status, res.Location())
	}

	// Max approves through the balancer; both servers work the one queue, and Rita gets each
	// approval's mail exactly once.
	maxc.Get("/approvals")
	maxc.Header.Set("HX-Request", "true")
	for _, step := range steps {
		if res := maxc.Post(fmt.Sprintf("/approvals/%d/approve", step), nil); res.Status != http.StatusOK {
			t.Fatalf("approve step %d: %d", step, res.Status)
		}
	}
	maxc.Header.Del("HX-Request")
	// Each approval's mail is queued just after its response: the mails arrive first, then
	// the queue is drained.
	control := connect(t, env.ControlDSN)
	smtp.Wait(t, len(numbers), 30*time.Second)
	waitJobsDone(t, control)
	seen := map[string]int{}
	for _, m := range smtp.Messages() {
		seen[m.Subject]++
	}
	for _, n := range numbers {
		if subject := "Your requisition " + n + " was approved"; seen[subject] != 1 {
			t.Errorf("%q arrived %d times, want once (all mail: %v)", subject, seen[subject], seen)
		}
	}
	if len(seen) != len(numbers) {
		t.Errorf("%d distinct mails, want %d: %v", len(seen), len(numbers), seen)
	}
	var deliveries, retried int
	if err := control.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE attempt <> 1 OR state <> 'completed')
		FROM river_job WHERE kind = $1`, jobs.KindDeliverMail).Scan(&deliveries, &retried); err != nil {
		t.Fatal(err)
	}
	if deliveries != len(numbers) || retried != 0 {
		t.Errorf("%d mail jobs (%d not completed at the first attempt), want %d, each run once", deliveries, retried, len(numbers))
	}

	// app1 dies without warning: Max's session goes on, on app2, from the next request on.
	servers["app1"].kill(t)
	for i := range 6 {
		res := maxc.Get("/dashboard")
		if res.Status != http.StatusOK || res.Header.Get("X-Served-By") != "app2" {
			t.Fatalf("dashboard %d after app1 died: %d by %q → %q", i+1, res.Status, res.Header.Get("X-Served-By"), res.Location())
		}
	}
	lb.waitState(t, "app1", "DOWN")

	// app1 comes back; then app2 is told to stop. It fails /readyz at once and HAProxy takes
	// it out while it still serves what reaches it, before it exits cleanly.
	servers["app1"] = startServer(t, bin, "app1", app1, settings)
	lb.waitState(t, "app1", "UP")
	servers["app2"].signal(t, syscall.SIGTERM)
	dbtest.WaitFor(t, 10*time.Second, "app2 failed /readyz while draining", func() bool {
		return get(t, app2, "/readyz") == http.StatusServiceUnavailable
	})
	lb.waitState(t, "app2", "DOWN")
	if code := get(t, app2, "/healthz"); code != http.StatusOK || servers["app2"].exited() {
		t.Fatalf("app2 stopped serving before its drain time was over: /healthz %d", code)
	}
	if servedBy := dashboardServers(t, maxc, 4); len(servedBy) != 1 || !servedBy["app1"] {
		t.Errorf("while app2 drained, the balancer sent Max to %v; want app1 only", servedBy)
	}
	if err := servers["app2"].wait(30 * time.Second); err != nil {
		t.Errorf("app2 did not stop cleanly after SIGTERM: %v\n%s", err, servers["app2"].logTail())
	}

	// Both servers can schedule the periodic jobs (whichever leads the queue does, and the
	// lead moved when app1 died), yet each period's job was queued once.
	var twice int
	if err := control.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT 1 FROM river_job WHERE kind IN ($1, $2)
		GROUP BY kind, date_trunc('minute', created_at) HAVING count(*) > 1) dup`, jobs.KindSweepMail, jobs.KindDailyMail).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice != 0 {
		t.Errorf("a periodic job was queued twice in one period (%d times)", twice)
	}
}

// dashboardServers fetches the dashboard n times and returns which servers answered; every
// answer must be the signed-in dashboard.
func dashboardServers(t *testing.T, c *testutil.Client, n int) map[string]bool {
	t.Helper()
	servedBy := map[string]bool{}
	for i := range n {
		res := c.Get("/dashboard")
		if res.Status != http.StatusOK {
			t.Fatalf("dashboard %d of %d through the balancer: %d → %q", i+1, n, res.Status, res.Location())
		}
		servedBy[res.Header.Get("X-Served-By")] = true
	}
	return servedBy
}

// findHAProxy returns the haproxy binary, or skips the test when it is not installed.
func findHAProxy(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	t.Skip("haproxy is not installed, so the load-balancer test cannot run (apt-get install -y haproxy; .ci/run installs it)")
	return ""
}

// buildOutlay builds the outlay binary once for this test.
func buildOutlay(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "outlay")
	cmd := exec.Command(goBin, "build", "-o", out, "./cmd/outlay")
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/outlay: %v\n%s", err, b)
	}
	return out
}

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// get requests path of the server at addr directly and returns the status, 0 when nothing
// answers.
func get(t *testing.T, addr, path string) int {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	res, err := c.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// server is a running `outlay serve` (or a program like it) whose output goes to a file.
type server struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func startProcess(t *testing.T, name, log string, cmd *exec.Cmd) *server {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// The process dies with the test, even a test killed by its timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	s := &server{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		f.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		if !s.exited() {
			_ = cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("%s's output ends:\n%s", name, s.logTail())
		}
	})
	return s
}

// startServer starts `outlay serve` on addr and waits until it is ready.
func startServer(t *testing.T, bin, name, addr string, settings []string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), append(settings, "OUTLAY_LISTEN="+addr)...)
	s := startProcess(t, name, filepath.Join(t.TempDir(), name+".log"), cmd)
	dbtest.WaitFor(t, 60*time.Second, name+" ready at "+addr, func() bool {
		if s.exited() {
			t.Fatalf("%s exited: %v\n%s", name, s.err, s.logTail())
		}
		return get(t, addr, "/readyz") == http.StatusOK
	})
	return s
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

func (s *server) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the process to exit and returns how it ended.
func (s *server) wait(timeout time.Duration) error {
	select {
	case <-s.done:
		return s.err
	case <-time.After(timeout):
		return fmt.Errorf("still running after %s", timeout)
	}
}

// logTail is the end of the process's output.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// balancer is HAProxy running deploy/haproxy.cfg.
type balancer struct {
	*server
	socket string
}

// startHAProxy runs haproxy.cfg in the foreground with its front end on front and its two
// servers at app1 and app2, checked every 200 ms.
func startHAProxy(t *testing.T, bin, front, app1, app2 string) *balancer {
	t.Helper()
	dir := t.TempDir()
	socket := filepath.Join(dir, "admin.sock")
	cmd := exec.Command(bin, "-db", "-f", "haproxy.cfg")
	cmd.Env = append(os.Environ(), "OUTLAY_HAPROXY_BIND="+front, "OUTLAY_APP1="+app1, "OUTLAY_APP2="+app2,
		"OUTLAY_HAPROXY_SOCKET="+socket, "OUTLAY_HAPROXY_CHECK_INTER=200ms")
	b := &balancer{server: startProcess(t, "haproxy", filepath.Join(dir, "haproxy.log"), cmd), socket: socket}
	dbtest.WaitFor(t, 20*time.Second, "HAProxy's runtime API answered", func() bool {
		if b.exited() {
			t.Fatalf("haproxy exited: %v\n%s", b.err, b.logTail())
		}
		_, err := b.states()
		return err == nil
	})
	return b
}

// states asks HAProxy's runtime API for each server's check state (UP, DOWN, …), by name.
func (b *balancer) states() (map[string]string, error) {
	conn, err := net.DialTimeout("unix", b.socket, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "show stat\n"); err != nil {
		return nil, err
	}
	r := csv.NewReader(bufio.NewReader(conn))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("empty answer")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[strings.TrimPrefix(name, "# ")] = i
	}
	status, ok := col["status"]
	if !ok {
		return nil, fmt.Errorf("no status column in %v", rows[0])
	}
	out := map[string]string{}
	for _, row := range rows[1:] {
		if len(row) > status && row[0] == "outlay_servers" {
			// "UP 1/2" while a server is on its way down: the first word is the state.
			out[row[1]] = strings.Fields(row[status] + " ")[0]
		}
	}
	return out, nil
}

// waitState waits until HAProxy sees server name in state (UP or DOWN).
func (b *balancer) waitState(t *testing.T, name, state string) {
	t.Helper()
	poll.Until(t, fmt.Sprintf("HAProxy to see %s %s", name, state), 20*time.Second, func() error {
		last, err := b.states()
		if err == nil && last[name] != state {
			err = fmt.Errorf("it says %v", last)
		}
		return err
	})
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitJobsDone waits until no job in the queue is waiting, running or due for a retry.
func waitJobsDone(t *testing.T, control *pgx.Conn) {
	t.Helper()
	dbtest.WaitFor(t, 30*time.Second, "the job queue drained", func() bool {
		var busy int
		err := control.QueryRow(context.Background(), `SELECT count(*) FROM river_job
			WHERE state IN ('available', 'running', 'retryable', 'pending')`).Scan(&busy)
		if err != nil {
			t.Fatal(err)
		}
		return busy == 0
	})
}
