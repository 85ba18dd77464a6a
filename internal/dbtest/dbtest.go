// Package dbtest gives tests a real Postgres and cheap tenants: each test gets its own
// control database, and each tenant is a copy of a migrated template database. It links no
// web layer: models, audit, policy and tenancy tests use it directly; web tests use testutil.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay/audit"
	"outlay/config"
	"outlay/migrations"
	"outlay/models"
	"outlay/pgembed"
	"outlay/tenancy"
)

// Password is the password of users made by CreateUser.
const Password = "correct horse battery staple"

var (
	serverOnce  sync.Once
	serverDSN   string
	serverErr   error
	embedded    *pgembed.Server
	embeddedDir string

	templateOnce sync.Once
	templateName string
	templateErr  error

	// localeTemplates are the tenant templates of other locales, by CREATE DATABASE options.
	localeTemplates = map[string]*localeTemplate{
		cLocale:     {prefix: "outlaytplc_"},
		icuLocale:   {prefix: "outlaytplicu_"},
		asciiLocale: {prefix: "outlaytplascii_"},
	}

	controlOnce     sync.Once
	controlTemplate string
	controlErr      error
)

// ServerDSN is a superuser URL of the test Postgres server's maintenance database:
// OUTLAY_TEST_DATABASE_URL when set, otherwise an embedded server started once per process.
func ServerDSN(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		if v := os.Getenv("OUTLAY_TEST_DATABASE_URL"); v != "" {
			serverDSN = v
			return
		}
		dir, err := os.MkdirTemp("", "outlay-test-pg-")
		if err == nil {
			// As root, Postgres runs as an unprivileged user who must be able to enter it.
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			serverErr = err
			return
		}
		embeddedDir = dir
		embedded, serverErr = pgembed.Start(context.Background(), pgembed.Options{Dir: filepath.Join(dir, "pg")})
		if serverErr == nil {
			serverDSN = embedded.DSN("postgres")
		}
	})
	if serverErr != nil {
		t.Fatalf("test Postgres: %v (set OUTLAY_TEST_DATABASE_URL to use a running server)", serverErr)
	}
	return serverDSN
}

// Main runs a package's tests and stops the embedded server, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	if embedded != nil {
		_ = embedded.Stop()
		_ = os.RemoveAll(embeddedDir)
	}
	os.Exit(code)
}

// TemplateDatabase returns the name of a database migrated to the current tenant schema. It
// is named after a hash of the migrations, made once per server and shared by every test
// process (an advisory lock serialises its creation), and marked as a template that accepts
// no connections, so cloning it never finds it busy.
func TemplateDatabase(t testing.TB) string {
	t.Helper()
	dsn := ServerDSN(t)
	templateOnce.Do(func() {
		templateName, templateErr = makeTemplate(dsn, "outlaytpl_", "", migrations.Tenant(), migrateTenant)
	})
	if templateErr != nil {
		t.Fatalf("tenant template database: %v", templateErr)
	}
	return templateName
}

// The locales of LocaleTemplate: plain C, whose lower() folds only ASCII letters, as on a
// cluster initialised with --locale=C (the embedded server's fallback where C.UTF-8 is
// missing); and ICU's root locale, whose lower() folds by the context of a letter (a Greek
// capital sigma ending a word becomes ς, which Go's strings.ToLower makes σ).
// And a database whose encoding is not UTF8 (SQL_ASCII, as a cluster initialised under
// LANG=C has by default), which has no Unicode normalisation.
const (
	cLocale     = " TEMPLATE template0 LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C'"
	icuLocale   = " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und'"
	asciiLocale = " TEMPLATE template0 ENCODING 'SQL_ASCII' LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C'"
)

type localeTemplate struct {
	prefix string
	once   sync.Once
	name   string
	err    error
}

// CLocaleTemplate is like TemplateDatabase, for a database whose locale is plain C.
func CLocaleTemplate(t testing.TB) string { return LocaleTemplate(t, cLocale) }

// SQLASCIITemplate is like TemplateDatabase, for a database whose encoding is SQL_ASCII.
func SQLASCIITemplate(t testing.TB) string { return LocaleTemplate(t, asciiLocale) }

// ICUTemplate is like TemplateDatabase, for a database of ICU's root locale; the test skips
// where the server was built without ICU.
func ICUTemplate(t testing.TB) string { return LocaleTemplate(t, icuLocale) }

// LocaleTemplate is like TemplateDatabase, for a database of one of the locales above.
func LocaleTemplate(t testing.TB, locale string) string {
	t.Helper()
	dsn := ServerDSN(t)
	lt, ok := localeTemplates[locale]
	if !ok {
		t.Fatalf("no tenant template of locale %q", locale)
	}
	lt.once.Do(func() {
		lt.name, lt.err = makeTemplate(dsn, lt.prefix, locale, migrations.Tenant(), migrateTenant)
	})
	if lt.err != nil && locale == icuLocale && strings.Contains(lt.err.Error(), "ICU is not supported") {
		t.Skipf("this PostgreSQL server was built without ICU: %v", lt.err)
	}
	if lt.err != nil {
		t.Fatalf("tenant template database (%s): %v", strings.TrimSpace(locale), lt.err)
	}
	return lt.name
}

func migrateTenant(ctx context.Context, dsn string) error {
	_, err := tenancy.MigrateDatabase(ctx, dsn, migrations.Tenant())
	return err
}

// ControlTemplate is like TemplateDatabase for the control plane: a database with the control
// migrations and the job queue's tables, which every test's control database copies.
func ControlTemplate(t testing.TB) string {
	t.Helper()
	dsn := ServerDSN(t)
	controlOnce.Do(func() {
		controlTemplate, controlErr = makeTemplate(dsn, "outlayctl_", "", migrations.Control(), tenancy.MigrateControl)
	})
	if controlErr != nil {
		t.Fatalf("control template database: %v", controlErr)
	}
	return controlTemplate
}

// makeTemplate makes (once per server) a template database named prefix and a hash of the
// migrations in fsys and of the job queue's version, created with the options create
// appends to CREATE DATABASE and migrated by migrate.
func makeTemplate(dsn, prefix, create string, fsys fs.FS, migrate func(ctx context.Context, dsn string) error) (string, error) {
	ctx := context.Background()
	h := sha256.New()
	h.Write([]byte(riverVersion()))
	h.Write([]byte(create))
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	name := prefix + hex.EncodeToString(h.Sum(nil))[:16]
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(7245001)`); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, `SELECT pg_advisory_unlock(7245001)`)
	var ready bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ready); err != nil {
		return "", err
	}
	if ready {
		return name, nil
	}
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+create); err != nil {
		return "", err
	}
	tdsn, err := tenancy.WithDatabase(dsn, name)
	if err != nil {
		return "", err
	}
	if err := migrate(ctx, tdsn); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return "", err
	}
	return name, nil
}

// Env is one isolated deployment: its own control database, registry and pools.
type Env struct {
	ControlDSN string
	Config     *config.Config
	Registry   *tenancy.Registry
	Pools      *tenancy.Pools
	Counter    *tenancy.QueryCounter
	Logger     *slog.Logger
	template   string
}

// NewEnv makes a fresh deployment, dropped with all its tenants when the test ends.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	ctx := context.Background()
	dsn := ServerDSN(t)
	template := TemplateDatabase(t)
	control := "outlaytest_" + randomHex(5)
	controlDSN, err := tenancy.WithDatabase(dsn, control)
	if err != nil {
		t.Fatal(err)
	}
	if err := cloneDatabase(ctx, dsn, ControlTemplate(t), control); err != nil {
		t.Fatalf("control database: %v", err)
	}
	cfg := TestConfig(t, controlDSN)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	counter := &tenancy.QueryCounter{}
	registry, err := tenancy.OpenRegistry(ctx, controlDSN, logger, counter)
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	e := &Env{ControlDSN: controlDSN, Config: cfg, Registry: registry, Counter: counter, Logger: logger, template: template,
		Pools: tenancy.NewPools(cfg.MaxDBConns, cfg.TenantPoolConns, cfg.SecretKey, counter, logger)}
	e.Pools.Share, e.Pools.Wait = cfg.DBConnShare, cfg.DBWait
	t.Cleanup(func() {
		e.Pools.Close()
		e.Registry.Close()
		DropDatabases(t, dsn, control)
	})
	return e
}

// TestConfig is a configuration for tests against controlDSN.
func TestConfig(t testing.TB, controlDSN string) *config.Config {
	cfg := config.Defaults()
	cfg.DatabaseURL = controlDSN
	cfg.SecretKey = []byte(randomHex(32))
	cfg.Listen = "127.0.0.1:0"
	cfg.PublicURL, _ = url.Parse("http://localhost:8080")
	cfg.MaxDBConns = 40
	// Attachments go to a folder the test removes.
	cfg.BlobURL = "file://" + filepath.ToSlash(t.TempDir())
	// Test identity providers (internal/oidctest) serve plain HTTP on 127.0.0.1.
	cfg.SSOAllowHTTPIssuers = true
	return &cfg
}

// DropDatabases drops the control database and every tenant database named after it.
func DropDatabases(t testing.TB, serverDSN, control string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverDSN)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $1 || '\_%'`, control)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("cleanup: drop %s: %v", n, err)
		}
	}
}

// NewTenant creates a tenant from the template database.
func (e *Env) NewTenant(t testing.TB, slug, name string) tenancy.Tenant {
	t.Helper()
	return e.NewTenantFrom(t, slug, name, e.template)
}

// NewTenantFrom creates a tenant from template, a migrated template database (CLocaleTemplate).
func (e *Env) NewTenantFrom(t testing.TB, slug, name, template string) tenancy.Tenant {
	t.Helper()
	tn, err := e.Registry.Create(context.Background(), tenancy.CreateTenant{Slug: slug, Name: name, Template: template}, nil)
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

// DB borrows the tenant's handle for the rest of the test.
func (e *Env) DB(t testing.TB, tn tenancy.Tenant) *gorm.DB {
	t.Helper()
	db, release, err := e.Pools.Acquire(context.Background(), tn)
	if err != nil {
		t.Fatalf("acquire %s: %v", tn.Slug, err)
	}
	t.Cleanup(release)
	return db
}

// AuditKey is the key of a tenant's audit chain in this deployment, for audit.Verify.
func (e *Env) AuditKey(t testing.TB, tn tenancy.Tenant) []byte {
	t.Helper()
	key, err := audit.TenantKey(e.Config.SecretKey, tn.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// CreateUser adds an active user with Password and the given roles.
func (e *Env) CreateUser(t testing.TB, tn tenancy.Tenant, email, name string, roles ...string) *models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), e.DB(t, tn), models.NewUser{Email: email, Name: name, Password: Password, Roles: roles})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// NewTenant is the one call most tests need: a fresh deployment with one tenant.
func NewTenant(t testing.TB) (*Env, tenancy.Tenant) {
	e := NewEnv(t)
	return e, e.NewTenant(t, "acme", "Acme Corporation")
}

// cloneDatabase creates database name as a copy of template.
func cloneDatabase(ctx context.Context, serverDSN, template, name string) error {
	conn, err := pgx.Connect(ctx, serverDSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
	return err
}

// riverVersion is the job queue library's module version, which decides its schema.
func riverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/riverqueue/river" {
				return d.Version
			}
		}
	}
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ControlExec runs a statement on the control plane at dsn as its owner would, for a test to
// set a state (an export's age, a broken audit head) that no command sets.
func ControlExec(t testing.TB, dsn, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
