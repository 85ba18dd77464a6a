package faults

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
	"outlay/internal/poll"
	"outlay/tenancy"
)

// site is a deployment on the tests' cluster served by a real `outlay serve` process.
type site struct {
	env     *dbtest.Env
	tenants map[string]tenancy.Tenant
	addr    string // 127.0.0.1:port
	port    string
	proc    *exec.Cmd
	exited  chan error
	log     *dbtest.SyncBuffer
}

const adminEmail = "ana@example.com"

// startSite creates the tenants, each with an admin, and starts `outlay serve` over them with
// the extra OUTLAY_* settings given.
func startSite(t *testing.T, slugs []string, settings ...string) *site {
	t.Helper()
	env := dbtest.NewEnv(t)
	s := &site{env: env, tenants: map[string]tenancy.Tenant{}, exited: make(chan error, 1), log: &dbtest.SyncBuffer{}}
	for _, slug := range slugs {
		tn := env.NewTenant(t, slug, strings.ToUpper(slug[:1])+slug[1:]+" Ltd")
		env.CreateUser(t, tn, adminEmail, "Ana Admin", "admin")
		s.tenants[slug] = tn
	}
	// The test's own handles must not hold the tenants' databases (one test drops one).
	env.Pools.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	_, s.port, _ = net.SplitHostPort(s.addr)
	ln.Close()
	s.proc = exec.Command(outlayBin, "serve")
	s.proc.Env = append(os.Environ(),
		"OUTLAY_DATABASE_URL="+env.ControlDSN,
		"OUTLAY_SECRET_KEY="+hex.EncodeToString(env.Config.SecretKey),
		"OUTLAY_LISTEN="+s.addr,
		"OUTLAY_BLOB_URL=file://"+t.TempDir(),
		"OUTLAY_JOB_WORKERS=2",
	)
	s.proc.Env = append(s.proc.Env, settings...)
	s.proc.Stdout, s.proc.Stderr = s.log, s.log
	s.proc.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.proc.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.proc.Wait() }()
	t.Cleanup(func() {
		_ = s.proc.Process.Kill()
		<-s.exited
		if t.Failed() {
			name := filepath.Join(os.TempDir(), "outlay-faults-"+t.Name()+".log")
			_ = os.WriteFile(name, []byte(s.log.String()), 0o644)
			t.Logf("outlay serve's log (all of it in %s):\n%s", name, lastLines(s.log.String(), 40))
		}
	})
	err = poll.Wait(60*time.Second, func() error {
		select {
		case err := <-s.exited:
			t.Fatalf("outlay serve exited at start: %v\n%s", err, s.log.String())
		default:
		}
		res, err := http.Get("http://" + s.addr + "/healthz")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("/healthz answered %d", res.StatusCode)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("outlay serve did not answer: %v\n%s", err, s.log.String())
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// browser is one signed-in person on one tenant's host.
type browser struct {
	slug string
	base string // http://<slug>.localhost:<port>
	http *http.Client
	csrf string
}

// signIn signs the tenant's admin in through the real form.
func (s *site) signIn(t *testing.T, slug string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{}
	b := &browser{slug: slug, base: "http://" + slug + ".localhost:" + s.port, http: &http.Client{
		Jar:     jar,
		Timeout: 20 * time.Second,
		// Every tenant host is this server.
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, s.addr)
		}, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	if a := b.get("/login"); a.status != http.StatusOK {
		t.Fatalf("%s /login: %s", slug, a)
	}
	if a := b.post("/login", url.Values{"email": {adminEmail}, "password": {dbtest.Password}}); a.status != http.StatusSeeOther {
		t.Fatalf("%s sign in: %s", slug, a)
	}
	if a := b.get("/dashboard"); a.status != http.StatusOK {
		t.Fatalf("%s /dashboard: %s", slug, a)
	}
	return b
}

// answer is what one request got.
type answer struct {
	status     int
	title      string // the error page's heading
	retryAfter string
	location   string
	err        error // the request got no answer
}

func (a answer) String() string {
	if a.err != nil {
		return "no answer: " + a.err.Error()
	}
	return fmt.Sprintf("%d %s", a.status, a.title)
}

// kind names the answer for counting: "ok" for 2xx and 3xx, the status and page title for
// errors, "no answer" for a transport failure.
func (a answer) kind() string {
	switch {
	case a.err != nil:
		var op *net.OpError
		if errors.As(a.err, &op) && op.Op == "dial" {
			return "connection refused"
		}
		return "no answer"
	case a.status < 400:
		return "ok"
	case a.status == http.StatusServiceUnavailable && a.retryAfter == "":
		return "503 without Retry-After"
	default:
		return fmt.Sprintf("%d %s", a.status, a.title)
	}
}

func (b *browser) do(req *http.Request) answer {
	res, err := b.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	a := answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), location: res.Header.Get("Location")}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if doc, err := goquery.NewDocumentFromReader(res.Body); err == nil {
			if tok, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content"); tok != "" {
				b.csrf = tok
			}
			if res.StatusCode >= 400 {
				a.title = strings.TrimSpace(doc.Find("h1").First().Text())
			}
		}
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return a
}

func (b *browser) get(path string) answer {
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) answer {
	form.Set("_csrf", b.csrf)
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// addVendor is the write the tests make: a vendor with a unique name.
func (b *browser) addVendor(name string) answer {
	return b.post("/vendors", url.Values{"name": {name}, "contact_name": {"Pat Doe"}, "email": {"ap@vendor.example"},
		"tax_id": {"DE123456789"}, "payment_terms": {"30"}, "currency": {"EUR"}, "status": {"active"}, "address": {"1 Main St"}})
}

// tally counts answers by tenant and kind, and keeps the vendors whose creation was
// acknowledged (answered with a redirect).
type tally struct {
	mu    sync.Mutex
	kinds map[string]map[string]int // tenant → kind → count
	acked map[string][]string       // tenant → vendor names
}

func newTally() *tally {
	return &tally{kinds: map[string]map[string]int{}, acked: map[string][]string{}}
}

func (t *tally) record(slug string, a answer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.kinds[slug] == nil {
		t.kinds[slug] = map[string]int{}
	}
	t.kinds[slug][a.kind()]++
}

func (t *tally) ack(slug, vendor string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.acked[slug] = append(t.acked[slug], vendor)
}

func (t *tally) count(slug, kind string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.kinds[slug][kind]
}

// errorsOf returns the kinds other than "ok" a tenant got, with their counts.
func (t *tally) errorsOf(slug string) map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for k, n := range t.kinds[slug] {
		if k != "ok" {
			out[k] = n
		}
	}
	return out
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var slugs []string
	for s := range t.kinds {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	var b strings.Builder
	for _, s := range slugs {
		fmt.Fprintf(&b, "%s: %v, %d writes acknowledged; ", s, t.kinds[s], len(t.acked[s]))
	}
	return b.String()
}

// load runs workers browsers in a loop, each adding a vendor and reading the vendor list,
// until stop is closed.
func load(browsers []*browser, tl *tally, stop <-chan struct{}) (wait func()) {
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("Vendor %d-%d", i, n)
				a := b.addVendor(name)
				tl.record(b.slug, a)
				if a.status == http.StatusSeeOther {
					tl.ack(b.slug, name)
				}
				tl.record(b.slug, b.get("/vendors"))
			}
		}()
	}
	return wg.Wait
}

// underLoad starts load with browsers and returns its tally and a function that stops it and
// waits for its last requests; the load is also stopped when the test ends, if it still runs.
func underLoad(t *testing.T, browsers []*browser) (*tally, func()) {
	tl := newTally()
	stop := make(chan struct{})
	wait := load(browsers, tl, stop)
	var once sync.Once
	stopLoad := func() { once.Do(func() { close(stop); wait() }) }
	t.Cleanup(stopLoad)
	return tl, stopLoad
}

// waitFor polls cond until it holds; the test fails after timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	poll.Until(t, what, timeout, poll.True(cond))
}

// checkAcknowledged fails the test unless every vendor acknowledged for a tenant is in its
// database.
func (s *site) checkAcknowledged(t *testing.T, tl *tally, slug string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.tenants[slug].DSN)
	if err != nil {
		t.Fatalf("connect to %s: %v", slug, err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT name FROM vendors`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	tl.mu.Lock()
	acked := append([]string(nil), tl.acked[slug]...)
	tl.mu.Unlock()
	if len(acked) == 0 {
		t.Errorf("%s: no write was acknowledged", slug)
	}
	for _, n := range acked {
		if !have[n] {
			t.Errorf("%s: vendor %q was acknowledged but is not in the database", slug, n)
		}
	}
}
