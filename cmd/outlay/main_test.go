package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"outlay/auth"
	"outlay/config"
	"outlay/internal/dbtest"
	"outlay/tenancy"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// newControlDSN is a control database of its own for this test, dropped at the end.
func newControlDSN(t *testing.T) string {
	t.Helper()
	name := "outlaytest_cmd_" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	dsn, err := tenancy.WithDatabase(dbtest.ServerDSN(t), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbtest.DropDatabases(t, dbtest.ServerDSN(t), name) })
	// Commands that open a tenant's database need the secret that keys its audit log.
	t.Setenv("OUTLAY_SECRET_KEY", testSecretKey)
	return dsn
}

// testSecretKey is OUTLAY_SECRET_KEY in these tests.
const testSecretKey = "6f75746c61792074657374207365637265742c206e6f7420666f72207573652e"

// secretKey is the OUTLAY_SECRET_KEY the commands see now, decoded.
func secretKey(t *testing.T) []byte {
	t.Helper()
	key, err := config.DecodeSecretKey(os.Getenv("OUTLAY_SECRET_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTenantCommands(t *testing.T) {
	dsn := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", dsn)
	t.Setenv("OUTLAY_ADMIN_PASSWORD", "")

	code, out, errs := runCmd(t, "tenant", "list")
	if code != 0 || !strings.Contains(out, "no tenants yet") {
		t.Fatalf("empty list: %d %q %q", code, out, errs)
	}
	code, out, errs = runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-password", "a long enough password")
	if code != 0 || !strings.Contains(out, "tenant acme created: http://acme.localhost:8080/login") {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	// The password comes from the environment too; without one a set-password link is printed.
	t.Setenv("OUTLAY_ADMIN_PASSWORD", "another long password")
	if code, out, errs := runCmd(t, "tenant", "create", "--name", "Globex", "--admin-email", "gil@globex.example", "globex"); code != 0 {
		t.Fatalf("create globex: %d %q %q", code, out, errs)
	}
	t.Setenv("OUTLAY_ADMIN_PASSWORD", "")
	code, out, _ = runCmd(t, "tenant", "create", "initech", "--name", "Initech", "--admin-email", "bill@initech.example")
	if code != 0 || !strings.Contains(out, "http://initech.localhost:8080/password/reset/") || !strings.Contains(out, "no OUTLAY_SMTP_URL is set") {
		t.Errorf("create without password: %d %q", code, out)
	}
	// With a mail server, the first admin is invited by mail, as user add invites: the
	// invitation waits in the new tenant's outbox for the app servers.
	t.Setenv("OUTLAY_SMTP_URL", "smtp://127.0.0.1:1")
	code, out, _ = runCmd(t, "tenant", "create", "hooli", "--name", "Hooli", "--admin-email", "gavin@hooli.example")
	if code != 0 || !strings.Contains(out, "http://hooli.localhost:8080/password/reset/") {
		t.Errorf("create without password, with a mail server: %d %q", code, out)
	}
	var invitations int64
	tenantDB(t, dsn, "hooli").Raw(`SELECT count(*) FROM mail_outbox WHERE kind = 'invitation' AND recipient = 'gavin@hooli.example'`).Scan(&invitations)
	if invitations != 1 {
		t.Errorf("%d invitations of the first admin in the outbox, want 1", invitations)
	}
	t.Setenv("OUTLAY_SMTP_URL", "")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tenant", "create", "acme", "--name", "Again", "--admin-email", "x@acme.example"}, `tenant "acme" already exists; nothing was changed`},
		{[]string{"tenant", "create", "www", "--name", "W", "--admin-email", "x@w.example"}, `slug "www" is reserved`},
		{[]string{"tenant", "create", "Bad_Slug", "--name", "B", "--admin-email", "x@b.example"}, "lowercase letters"},
		{[]string{"tenant", "create", "noemail", "--name", "N"}, "--admin-email is required"},
		{[]string{"tenant", "create", "weakpw", "--name", "W", "--admin-email", "x@w.example", "--admin-password", "short"}, "password: Use at least 10 characters."},
		{[]string{"tenant", "create", "weakpw", "--name", "Wayne Works", "--admin-email", "x@w.example", "--admin-password", "password123"}, "password: " + auth.CommonPasswordMessage},
		{[]string{"tenant", "create", "weakpw", "--name", "Wayne Works", "--admin-email", "x@w.example", "--admin-password", "wayneworks2026"}, "password: Do not build your password on your organisation's name"},
		{[]string{"tenant", "create", "bademail", "--name", "B", "--admin-email", "not-an-email"}, "email:"},
	} {
		code, _, errs := runCmd(t, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errs, tc.want)
		}
	}

	code, out, _ = runCmd(t, "tenant", "list")
	if code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"acme", "Acme Corporation", "globex", "initech", "active"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	for _, refused := range []string{"www", "weakpw", "bademail", "noemail"} {
		if strings.Contains(out, refused) {
			t.Errorf("refused tenant %s is listed:\n%s", refused, out)
		}
	}

	code, out, _ = runCmd(t, "migrate")
	if code != 0 || !strings.Contains(out, "acme: migrated (version") || !strings.Contains(out, "4 tenants migrated") {
		t.Errorf("migrate: %d %q", code, out)
	}
}

func TestMalformedSettingsStopStartUp(t *testing.T) {
	for name, env := range map[string][2]string{
		"OUTLAY_MAX_DB_CONNS":           {"OUTLAY_MAX_DB_CONNS", "lots"},
		"OUTLAY_DB_CONN_SHARE":          {"OUTLAY_DB_CONN_SHARE", "150"},
		"OUTLAY_DB_WAIT":                {"OUTLAY_DB_WAIT", "a while"},
		"OUTLAY_READ_HEADER_TIMEOUT":    {"OUTLAY_READ_HEADER_TIMEOUT", "soon"},
		"OUTLAY_MAX_CONNS_PER_IP":       {"OUTLAY_MAX_CONNS_PER_IP", "none"},
		"OUTLAY_SESSION_IDLE":           {"OUTLAY_SESSION_IDLE", "forever"},
		"OUTLAY_PUBLIC_URL":             {"OUTLAY_PUBLIC_URL", "ftp://x"},
		"OUTLAY_SECRET_KEY":             {"OUTLAY_SECRET_KEY", "tooshort"},
		"OUTLAY_DATABASE_URL":           {"OUTLAY_DATABASE_URL", "mysql://x"},
		"OUTLAY_LISTEN":                 {"OUTLAY_LISTEN", "8080"},
		"OUTLAY_BASE_DOMAIN":            {"OUTLAY_BASE_DOMAIN", "Not A Domain"},
		"OUTLAY_SMTP_URL":               {"OUTLAY_SMTP_URL", "http://mail"},
		"OUTLAY_TRUSTED_PROXIES":        {"OUTLAY_TRUSTED_PROXIES", "somewhere"},
		"OUTLAY_GOOGLE_CLIENT_ID":       {"OUTLAY_GOOGLE_CLIENT_ID", "an-id-without-its-secret"},
		"OUTLAY_SSO_ALLOW_HTTP_ISSUERS": {"OUTLAY_SSO_ALLOW_HTTP_ISSUERS", "perhaps"},
		"OUTLAY_MAIL_FROM":              {"OUTLAY_MAIL_FROM", "not an email"},
		"OUTLAY_LOCK_WAIT":              {"OUTLAY_LOCK_WAIT", "-5s"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(env[0], env[1])
			code, _, errs := runCmd(t, "serve")
			if code == 0 || !strings.Contains(errs, name) {
				t.Errorf("exit %d, stderr %q: want a message naming %s", code, errs, name)
			}
		})
	}
	t.Run("missing database", func(t *testing.T) {
		t.Setenv("OUTLAY_DATABASE_URL", "")
		if code, _, errs := runCmd(t, "serve"); code == 0 || !strings.Contains(errs, "OUTLAY_DATABASE_URL: required") {
			t.Errorf("exit %d, %q", code, errs)
		}
	})
	if code, _, errs := runCmd(t, "nonsense"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
}

// A mistyped flag, or -h, prints every flag with its default, and the defaults are read from
// the environment: no secret there is printed, and a URL's password is not either.
func TestUsageNeverPrintsSecrets(t *testing.T) {
	secrets := map[string]string{
		"OUTLAY_SECRET_KEY":              strings.Repeat("5ec7e7", 8),
		"OUTLAY_SMTP_URL":                "smtp://mailer:smtp-pa55word@mail.example:587",
		"OUTLAY_GOOGLE_CLIENT_SECRET":    "google-s3cret-value",
		"OUTLAY_MICROSOFT_CLIENT_SECRET": "microsoft-s3cret-value",
		"OUTLAY_METRICS_TOKEN":           "metrics-t0ken-value-long",
		"OUTLAY_ADMIN_PASSWORD":          "admin-pa55word-value",
		"OUTLAY_USER_PASSWORD":           "user-pa55word-value",
		"OUTLAY_SSO_CLIENT_SECRET":       "sso-s3cret-value",
	}
	for name, v := range secrets {
		t.Setenv(name, v)
	}
	t.Setenv("OUTLAY_DATABASE_URL", "postgres://outlay:db-pa55word@db.example:5432/outlay?sslmode=require&password=db-pa55word")
	for _, args := range [][]string{
		{"serve", "--lsiten", ":1"}, {"serve", "-h"}, {"migrate", "--bogus"},
		{"tenant", "create", "x1x", "--name", "W", "--admin-email", "a@b.example", "--bogus"},
		{"user", "add", "acme", "a@b.example", "--bogus"}, {"sso", "set", "acme", "okta", "--bogus"},
	} {
		_, out, errs := runCmd(t, args...)
		for name, v := range secrets {
			if strings.Contains(out+errs, v) {
				t.Errorf("%q printed %s", args, name)
			}
		}
		if strings.Contains(out+errs, "db-pa55word") {
			t.Errorf("%q printed the database's password", args)
		}
	}
	// What is set still shows as set, and a URL without its password.
	_, _, errs := runCmd(t, "serve", "-h")
	if !strings.Contains(errs, "(default (set))") || !strings.Contains(errs, "(default postgres://outlay:xxxxx@db.example:5432/outlay)") {
		t.Errorf("serve -h:\n%s", errs)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The demo, pointed at a database server, creates acme and globex with a user per role,
// serves them, prints how to sign in, and on a second run reuses what it made.
func TestDemo(t *testing.T) {
	t.Setenv("OUTLAY_DATABASE_URL", newControlDSN(t))
	// No store named: the demo keeps its attachments in its data folder.
	t.Setenv("OUTLAY_BLOB_URL", "")
	os.Unsetenv("OUTLAY_BLOB_URL")
	dataDir := t.TempDir()
	for round := 1; round <= 2; round++ {
		port := freePort(t)
		printed, stop := startDemo(t, "--listen", "127.0.0.1:"+strconv.Itoa(port), "--data", dataDir)
		for _, want := range []string{"http://acme.localhost:" + strconv.Itoa(port) + "/login", "http://globex.localhost:", "admin@acme.example", "ap@globex.example", "ap_clerk", "auditor", DemoPassword} {
			if !strings.Contains(printed, want) {
				t.Errorf("round %d: output lacks %q:\n%s", round, want, printed)
			}
		}
		for _, who := range []string{"requester", "approver", "ap", "auditor", "admin"} {
			signInOverHTTP(t, port, "acme", who+"@acme.example")
		}
		signInOverHTTP(t, port, "globex", "admin@globex.example")
		stop()
	}
	var files int
	filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Errorf("the demo's attachments are not in its data folder %s", dataDir)
	}
}

// startDemo runs `outlay demo` with args until it says it is serving, and returns what it
// printed and a function that interrupts it and checks that it stops cleanly.
func startDemo(t *testing.T, args ...string) (printed string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs dbtest.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"demo"}, args...), &out, &errs) }()
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(out.String(), "Stop with Ctrl+C") {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("demo did not start:\n%s\n%s", out.String(), errs.String())
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("demo exited %d:\n%s\n%s", code, out.String(), errs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return out.String(), func() {
		t.Helper()
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("demo exited %d after interrupt: %s", code, errs.String())
			}
		case <-time.After(40 * time.Second):
			t.Fatalf("demo did not stop")
		}
	}
}

// signInOverHTTP signs in through the real sign-in form over TCP and checks the dashboard.
func signInOverHTTP(t *testing.T, port int, slug, email string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	base := "http://" + slug + ".localhost:" + strconv.Itoa(port)
	dial := &net.Dialer{}
	client := &http.Client{Jar: jar, Transport: &http.Transport{
		// Resolve every *.localhost to loopback, as browsers do.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dial.DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(port))
		},
	}}
	res, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(res.Body)
	res.Body.Close()
	token, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content")
	res, err = client.PostForm(base+"/login", url.Values{"_csrf": {token}, "email": {email}, "password": {DemoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/dashboard" || !strings.Contains(string(body), "Welcome,") {
		t.Errorf("%s on %s: ended at %s", email, slug, res.Request.URL)
	}
}

// lookupTenant reads a tenant from the registry the commands wrote, for checking what they did.
func lookupTenant(t *testing.T, controlDSN, slug string) tenancy.Tenant {
	t.Helper()
	registry, err := tenancy.OpenRegistry(context.Background(), controlDSN, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer registry.Close()
	tn, ok := registry.Lookup(slug)
	if !ok {
		t.Fatalf("no tenant %s", slug)
	}
	return tn
}

// The top-level usage names every command an operator has, and -h on a command prints its
// flags and succeeds: asking for help is not a failure.
func TestUsageNamesEveryCommandAndHelpSucceeds(t *testing.T) {
	for _, cmd := range []string{"tenant export", "tenant import-archive", "clone-sanitized <slug> --as NEW-SLUG [--cluster NAME]",
		"user reset-2fa", "tenant purge", "audit verify", "jobs list", "cluster add", "import <slug> <kind>"} {
		if !strings.Contains(usage, cmd) {
			t.Errorf("the usage does not name %q", cmd)
		}
	}
	for _, args := range [][]string{{"tenant", "lapse", "-h"}, {"user", "add", "-h"}, {"serve", "-h"}, {"audit", "verify", "-h"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Errorf("outlay %s: exit %d, want 0\n%s", strings.Join(args, " "), code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "Usage of outlay") || strings.Contains(stderr.String(), "help requested") {
			t.Errorf("outlay %s printed:\n%s", strings.Join(args, " "), stderr.String())
		}
	}
	// A command with settings of its own describes those, and only names the shared ones.
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"user", "add", "-h"}, &stdout, &stderr)
	own, shared, _ := strings.Cut(stderr.String(), "Settings every command shares")
	if !strings.Contains(own, "comma-separated role names") || strings.Contains(own, "-smtp-url") ||
		!strings.Contains(shared, "-database-url") || strings.Contains(shared, "OUTLAY_SMTP_URL") {
		t.Errorf("outlay user add -h printed:\n%s", stderr.String())
	}
}

// Every group of commands answers -h with its commands, and exits 0, as the README says every
// command does.
func TestGroupsOfCommandsAnswerHelp(t *testing.T) {
	for group, first := range map[string]string{"tenant": "create", "user": "add", "audit": "verify", "cluster": "add", "sso": "set"} {
		for _, h := range []string{"-h", "--help", "help"} {
			code, out, errs := runCmd(t, group, h)
			if code != 0 || !strings.Contains(out, "usage: outlay "+group+" <command>") || !strings.Contains(out, "commands: "+first) || errs != "" {
				t.Errorf("outlay %s %s: exit %d, %q %q", group, h, code, out, errs)
			}
		}
	}
}
