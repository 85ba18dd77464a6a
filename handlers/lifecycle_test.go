package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"outlay/backup"
	"outlay/handlers"
	"outlay/internal/dbtest"
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

// A request whose session the database ends under it (SQLSTATE 57P01, as a move ends the
// sessions of the database it makes read-only, and of the old one it drops, and as a
// restarting server does) gets a clean 503 "try again shortly" with Retry-After, and the
// tenant's handle is retired: its other connections were ended too, and the next request
// opens a fresh one.
func TestRequestWhoseSessionIsEndedAsksToRetry(t *testing.T) {
	t.Parallel()
	env, acme, _, c := adminSignedIn(t)
	ctx := context.Background()
	retiredBefore := env.Pools.Stats().Retired
	w := postWaitingForLock(t, env, acme, c)
	var ended bool
	if err := w.admin.QueryRow(ctx, `SELECT coalesce(bool_or(pg_terminate_backend(pid, 5000)), false) FROM pg_stat_activity
		WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> $2`, acme.DatabaseName, w.blockerPID).Scan(&ended); err != nil || !ended {
		t.Fatalf("ended the session of the waiting insert: %v %v", ended, err)
	}
	res := <-w.answered
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(res.Text("main"), "try again") {
		t.Errorf("a write whose session was ended: %d %q, want 503 asking to try again", res.Status, res.Text("main"))
	}
	// No move is under way: the organisation is not said to be moving.
	if strings.Contains(res.Body, handlers.MovingMessage) {
		t.Errorf("a write whose session was ended with no move under way is told %q", handlers.MovingMessage)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Error("the 503 names no Retry-After")
	}
	// The handle was retired. (Whether one is open now is not the question: the audit heads'
	// upkeep may open a fresh one at any moment.)
	if got := env.Pools.Stats().Retired - retiredBefore; got != 1 {
		t.Errorf("handles retired after the session was ended: %d, want 1", got)
	}

	if err := w.lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	c.Get("/admin/departments/new")
	if res := c.Post("/admin/departments", url.Values{"name": {"Finance"}, "code": {"FIN"}}); res.Status != http.StatusSeeOther {
		t.Errorf("the retried write: %d %s", res.Status, res.Text("main"))
	}
}

// A request whose session a move of its organisation ends (the move makes the database
// read-only and ends every session of it) is told, as a write refused as read-only is, that
// the organisation is being moved and to try again in a moment; once the move is done, the
// same write goes to the new database.
func TestRequestWhoseSessionTheMoveEndsIsToldItIsBeingMoved(t *testing.T) {
	t.Parallel()
	env, acme, _, c := adminSignedIn(t)
	ctx := context.Background()
	// A second cluster on the same server: the move makes a new database and drops the old
	// one as it does between servers.
	if _, err := env.Registry.AddCluster(ctx, "other", testutil.ServerDSN(t)); err != nil {
		t.Fatal(err)
	}
	store, err := backup.OpenStore(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// Reads go on while the insert waits, so the move copies the tables meanwhile; it ends the
	// insert's session as it makes the database read-only.
	answered := postWaitingForLock(t, env, acme, c).answered
	service := &backup.Service{Registry: env.Registry, Secret: env.Config.SecretKey, Logger: env.Logger}
	moved := make(chan error, 1)
	go func() {
		_, err := service.Move(ctx, acme.Slug, "other", store, "test")
		moved <- err
	}()
	res := <-answered
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(res.Body, handlers.MovingMessage) {
		t.Errorf("a write whose session the move ended: %d %q, want 503 with %q", res.Status, res.Text("main"), handlers.MovingMessage)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Error("the 503 names no Retry-After")
	}
	if err := <-moved; err != nil {
		t.Fatalf("move: %v", err)
	}
	if now, _ := env.Registry.Lookup(acme.Slug); now.ClusterID != "other" || now.Moving() {
		t.Fatalf("after the move acme is %+v", now)
	}
	c.Get("/admin/departments/new")
	if res := c.Post("/admin/departments", url.Values{"name": {"Finance"}, "code": {"FIN"}}); res.Status != http.StatusSeeOther {
		t.Errorf("the retried write after the move: %d %s", res.Status, res.Text("main"))
	}
}

// waitingWrite is a request whose write waits for a lock another session holds.
type waitingWrite struct {
	answered   chan *testutil.Response
	lock       pgx.Tx // the lock's transaction
	blockerPID uint32 // its session
	admin      *pgx.Conn
}

// postWaitingForLock posts a new department while another session holds a lock its insert
// waits for (reads go on), for as long as the test holds it (OUTLAY_LOCK_WAIT 0), and returns
// once the insert is seen waiting, however busy the machine: the request's own session is the
// one found waiting. Its answer comes on answered.
func postWaitingForLock(t *testing.T, env *testutil.Env, acme tenancy.Tenant, c *testutil.Client) *waitingWrite {
	t.Helper()
	env.Pools.LockWait = -1
	env.Pools.Evict(acme.Slug)
	c.Get("/admin/departments/new")
	ctx := context.Background()
	w := &waitingWrite{answered: make(chan *testutil.Response, 1)}
	w.lock, w.blockerPID = dbtest.HoldLock(t, acme.DSN, "departments")
	go func() { w.answered <- c.Post("/admin/departments", url.Values{"name": {"Finance"}, "code": {"FIN"}}) }()
	var err error
	if w.admin, err = pgx.Connect(ctx, dbtest.ServerDSN(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.admin.Close(context.Background()) })
	dbtest.WaitFor(t, 15*time.Second, "the insert waiting for the lock", func() bool {
		var waiting bool
		err := w.admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> $2)`,
			acme.DatabaseName, w.blockerPID).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		return waiting
	})
	return w
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

// The route table walked in each lifecycle state: a lapsed organisation answers every read
// (but a form for a change, which says it is read-only instead) with its banner on the page and refuses every other change with the lapsed message; a
// suspended one refuses every route, sign-in included, with its message; a purged one is
// not found. No route answers 500 in any state.
func TestEveryRouteInEachLifecycleState(t *testing.T) {
	t.Parallel()
	env, acme, app, c := adminSignedIn(t)
	ctx := context.Background()
	c.Get("/dashboard")
	csrf := c.CSRF
	if err := env.Registry.Lapse(ctx, acme.Slug, "olga@ops", time.Now(), 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if dash := c.Get("/dashboard"); !strings.Contains(dash.Text(".standing-notice"), "read-only") || !strings.Contains(dash.Text(".standing-notice"), "export your data until") {
		t.Errorf("the lapsed dashboard's banner: %q", dash.Text(".standing-notice"))
	}
	if login := app.Client(t, "acme").Get("/login"); !strings.Contains(login.Text(".standing-notice"), "read-only") {
		t.Errorf("the lapsed sign-in page's banner: %q", login.Text(".standing-notice"))
	}
	walk := func(state string, check func(r handlers.Route, res *testutil.Response)) {
		for _, r := range app.Server.Routes() {
			path := concretePath(r.Path)
			var res *testutil.Response
			if r.Method == http.MethodGet {
				res = c.Get(path)
			} else {
				if r.WhileReadOnly {
					continue // signing in and out, exporting: shown by their own tests
				}
				res = c.Post(path, url.Values{"_csrf": {csrf}})
			}
			if res.Status >= 500 {
				t.Errorf("%s: %s %s answered %d", state, r.Method, path, res.Status)
				continue
			}
			check(r, res)
		}
	}
	walk("lapsed", func(r handlers.Route, res *testutil.Response) {
		if r.Method == http.MethodGet {
			if res.Status == http.StatusForbidden && !r.Form {
				t.Errorf("lapsed: GET %s is refused", r.Path)
			}
			return
		}
		if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "subscription has ended") {
			t.Errorf("lapsed: %s %s answered %d %q, want the lapsed refusal", r.Method, r.Path, res.Status, res.Text("main"))
		}
	})
	if err := env.Registry.SetStatus(ctx, acme.Slug, tenancy.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	walk("suspended", func(r handlers.Route, res *testutil.Response) {
		if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "is suspended") {
			t.Errorf("suspended: %s %s answered %d, want the suspended refusal", r.Method, r.Path, res.Status)
		}
	})
	// A page opened before the suspension gets a toast for its next click: htmx swaps no
	// error response, and the click would otherwise do nothing.
	c.Header.Set("HX-Request", "true")
	if res := c.Get("/requisitions"); res.Status != http.StatusForbidden || res.Header.Get("HX-Reswap") != "none" ||
		!strings.Contains(res.Header.Get("HX-Trigger"), "is suspended") {
		t.Errorf("suspended, from htmx: %d, reswap %q, trigger %q", res.Status, res.Header.Get("HX-Reswap"), res.Header.Get("HX-Trigger"))
	}
	c.Header.Del("HX-Request")
	if err := env.Registry.SetStatus(ctx, acme.Slug, tenancy.StatusPurged); err != nil {
		t.Fatal(err)
	}
	walk("purged", func(r handlers.Route, res *testutil.Response) {
		if res.Status != http.StatusNotFound || strings.Contains(res.Body, "Acme") {
			t.Errorf("purged: %s %s answered %d, want not found", r.Method, r.Path, res.Status)
		}
	})
}

// A lapsed organisation's pages offer no change: the dashboard, the lists and the reference
// data show no "New" buttons, while export stays offered. Active, the same pages offer them.
func TestLapsedPagesOfferNoChanges(t *testing.T) {
	t.Parallel()
	env, acme, _, c := adminSignedIn(t)
	offers := func(path, text string) bool {
		t.Helper()
		res := c.Get(path)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, res.Status)
		}
		return strings.Contains(res.Text("main"), text)
	}
	pages := []struct{ path, text string }{
		{"/dashboard", "Start a requisition"},
		{"/requisitions", "New requisition"},
		{"/admin/departments", "New department"},
	}
	for _, p := range pages {
		if !offers(p.path, p.text) {
			t.Errorf("active: %s does not offer %q", p.path, p.text)
		}
	}
	if err := env.Registry.SetStatus(context.Background(), acme.Slug, "lapsed"); err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if offers(p.path, p.text) {
			t.Errorf("lapsed: %s still offers %q", p.path, p.text)
		}
	}
	if !offers("/audit", "Export all") {
		t.Error("lapsed: /audit no longer offers its export")
	}
}

// routeOf is the route of the route table that a form's action (a path, its query left off)
// posts to, and whether there is one: a segment ":name" matches any one segment.
func routeOf(routes []handlers.Route, method, action string) (handlers.Route, bool) {
	action, _, _ = strings.Cut(action, "?")
	parts := strings.Split(strings.Trim(action, "/"), "/")
	for _, r := range routes {
		pattern := strings.Split(strings.Trim(r.Path, "/"), "/")
		if r.Method != method || len(pattern) != len(parts) {
			continue
		}
		match := true
		for i, p := range pattern {
			if !strings.HasPrefix(p, ":") && p != parts[i] {
				match = false
				break
			}
		}
		if match {
			return r, true
		}
	}
	return handlers.Route{}, false
}

// changesOffered lists the enabled forms and buttons of page (at path) that post to a route
// a lapsed organisation refuses: every one but signing out and exporting.
func changesOffered(routes []handlers.Route, path string, page *testutil.Response) []string {
	var out []string
	page.Doc.Find(`form, [hx-post], [hx-put], [hx-patch], [hx-delete]`).Each(func(_ int, el *goquery.Selection) {
		action, method := el.AttrOr("action", path), strings.ToUpper(el.AttrOr("method", "get"))
		for _, m := range []string{"post", "put", "patch", "delete"} {
			if a, ok := el.Attr("hx-" + m); ok {
				action, method = a, http.MethodPost
			}
		}
		if method != http.MethodPost || el.Is(`[disabled], fieldset[disabled] *`) {
			return
		}
		if el.Is("form") && el.Find(`button:not([type=button]):not([type=reset]):not([disabled]), input[type=submit]:not([disabled])`).
			FilterFunction(func(_ int, b *goquery.Selection) bool { return !b.Is("fieldset[disabled] *") }).Length() == 0 &&
			el.AttrOr("hx-trigger", "") == "" {
			return // a form nothing enabled sends
		}
		if r, ok := routeOf(routes, http.MethodPost, action); ok && r.WhileReadOnly {
			return
		}
		out = append(out, action)
	})
	return out
}

// A lapsed organisation's pages offer no change: no page shows an enabled form or button that
// posts to a change it would refuse (only signing out and exporting stay), and a page that is
// only a form for a change (a "New" form, a vendor's bank details, standing in) says instead
// that the organisation is read-only since when, until when its data can be exported, and
// whom to ask. Every page's banner says the same. Walked over the route table's pages, and
// the pages of a draft requisition and of records of the setup lists.
func TestLapsedPagesOfferNoFormForAChange(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	s.app.CreateUser(t, s.acme, "ana@acme.example", "Ana Admin", "admin")
	rita := s.client(t, s.rita)
	draft := s.draft(t, rita, [4]string{"Desk", "2", "150.00", ids(s.gl)})
	admin := s.app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	admin.Get("/dashboard")
	lapsedAt := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	if err := s.app.Registry.Lapse(context.Background(), s.acme.Slug, "olga@ops", lapsedAt, 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	routes := s.app.Server.Routes()
	pages := map[string]*testutil.Client{"/requisitions/" + ids(draft): rita, "/requisitions": rita, "/requisitions/new": rita,
		"/vendors/" + ids(s.vendor): admin, "/vendors/" + ids(s.vendor) + "/bank": admin, "/admin/departments/" + ids(s.dept): admin,
		"/admin/gl-accounts/" + ids(s.gl): admin}
	for _, r := range routes {
		if r.Method == http.MethodGet && !r.API && !r.Fragment && !r.GetOnly && !strings.Contains(r.Path, ":") {
			pages[r.Path] = admin
		}
	}
	forms := 0
	for path, c := range pages {
		res := c.Get(path)
		if r, _ := routeOf(routes, http.MethodGet, path); r.Form {
			forms++
			if msg := res.Text("#read-only-message"); res.Status != http.StatusForbidden || !strings.Contains(msg, "read-only since 2 November 2026") ||
				!strings.Contains(msg, "export your data until 31 January 2027") {
				t.Errorf("%s, a form for a change: %d %q; want it read-only", path, res.Status, res.Text("main"))
			}
		} else if res.Status != http.StatusOK {
			continue // a page that is not there (a list's export) or goes elsewhere
		}
		if got := changesOffered(routes, path, res); len(got) > 0 {
			t.Errorf("%s offers changes to a lapsed organisation, posting to %q", path, got)
		}
		if res.Doc.Find("main").Length() == 0 {
			continue // a part of a page (the bell's count), shown within one
		}
		banner := res.Text(".standing-notice")
		if !strings.Contains(banner, "read-only since 2 November 2026") || !strings.Contains(banner, "export your data until 31 January 2027") {
			t.Errorf("%s: the banner says %q", path, banner)
		}
		if c == rita && !strings.Contains(banner, "ask an administrator to renew the subscription: Ana Admin (ana@acme.example)") {
			t.Errorf("%s: the banner names no one to ask: %q", path, banner)
		}
	}
	if forms < 10 {
		t.Errorf("only %d forms for a change walked; the walk is not reaching them", forms)
	}
	// Active again, the draft's page offers its changes: the check above can see them.
	if err := s.app.Registry.Reactivate(context.Background(), s.acme.Slug); err != nil {
		t.Fatal(err)
	}
	if got := changesOffered(routes, "/requisitions/"+ids(draft), rita.Get("/requisitions/"+ids(draft))); len(got) == 0 {
		t.Error("an active organisation's draft offers no change: the check finds none")
	}
}
