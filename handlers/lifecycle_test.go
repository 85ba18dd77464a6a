package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"outlay/handlers"
	"outlay/internal/testutil"
	"outlay/tenancy"
)

// setDatabaseReadOnly makes a tenant's database refuse every write, as a move to another
// cluster does: new sessions start read-only, and the app's pooled connections are retired.
func setDatabaseReadOnly(t *testing.T, env *testutil.Env, dbName, slug string, on bool) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	value := "off"
	if on {
		value = "on"
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{dbName}.Sanitize()+" SET default_transaction_read_only = "+value); err != nil {
		t.Fatal(err)
	}
	env.Pools.Evict(slug)
}

// adminSignedIn is a deployment with tenant acme and its admin Ana signed in.
func adminSignedIn(t *testing.T) (*testutil.Env, tenancy.Tenant, *testutil.App, *testutil.Client) {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	return env, acme, app, c
}

// A write while the organisation's database is read-only for a move is answered with a 503
// asking to retry in a moment, as a page, a toast and JSON; reads go on. Never a 500.
func TestWriteDuringMoveAsksToRetry(t *testing.T) {
	t.Parallel()
	env, acme, _, c := adminSignedIn(t)
	c.Get("/admin/departments/new")

	setDatabaseReadOnly(t, env, acme.DatabaseName, acme.Slug, true)
	res := c.Post("/admin/departments", url.Values{"name": {"Finance"}, "code": {"FIN"}})
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(res.Body, handlers.MovingMessage) {
		t.Errorf("a write during the move: %d %q, want 503 with %q", res.Status, res.Text("main"), handlers.MovingMessage)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Error("the 503 names no Retry-After")
	}
	c.Header.Set("HX-Request", "true")
	res = c.Post("/admin/departments", url.Values{"name": {"Finance"}, "code": {"FIN"}})
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(res.Header.Get("HX-Trigger"), "being moved") {
		t.Errorf("an htmx write during the move: %d, HX-Trigger %q", res.Status, res.Header.Get("HX-Trigger"))
	}
	c.Header.Del("HX-Request")
	if res := c.Get("/admin/departments"); res.Status != http.StatusOK {
		t.Errorf("a read during the move: %d", res.Status)
	}

	setDatabaseReadOnly(t, env, acme.DatabaseName, acme.Slug, false)
	c.Get("/admin/departments/new")
	if res := c.Post("/admin/departments", url.Values{"name": {"Finance"}, "code": {"FIN"}}); res.Status != http.StatusSeeOther {
		t.Errorf("a write after the move: %d %s", res.Status, res.Text("main"))
	}
}

// A lapsed organisation's change is refused with a message that says why and that exports
// still work, and nothing is written.
func TestLapsedWriteIsRefusedWithItsReason(t *testing.T) {
	t.Parallel()
	env, acme, _, c := adminSignedIn(t)
	if err := env.Registry.SetStatus(context.Background(), acme.Slug, "lapsed"); err != nil {
		t.Fatal(err)
	}
	c.Get("/admin/departments/new")
	res := c.Post("/admin/departments", url.Values{"name": {"Finance"}, "code": {"FIN"}})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Text("main"), "subscription has ended") {
		t.Errorf("a lapsed organisation's write: %d %q", res.Status, res.Text("main"))
	}
	var n int64
	env.DB(t, acme).Raw(`SELECT count(*) FROM departments WHERE name = 'Finance'`).Scan(&n)
	if n != 0 {
		t.Error("the refused department was saved")
	}
}
