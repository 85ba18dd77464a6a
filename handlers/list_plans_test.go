package handlers_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"outlay/handlers"
	"outlay/internal/dbtest"
	"outlay/internal/testutil"
	"outlay/models"
)

// listCases are the addresses each page of the route table is fetched at by
// TestListPlansAtVolume, besides its bare path: its filters, search and status tabs. Every page
// in the navigation must have an entry (nil: the bare path is all there is), so that a new
// list cannot be added without its plans being checked.
var listCases = map[string][]string{
	"/dashboard":                   nil,
	"/requisitions":                {"?status=pending", "?q=REQ-001234", "?page=2"},
	"/requisitions/all":            {"?status=approved", "?status=pending", "?q=202cb962", "?department=3", "?requester=40", "?page=3", "?page=300"},
	"/travel":                      {"?status=submitted"},
	"/travel/all":                  {"?status=approved", "?q=TRV-001234", "?department=3", "?traveller=40", "?page=2", "?page=150"},
	"/expenses":                    {"?status=submitted"},
	"/expenses/all":                {"?status=approved", "?q=EXP-001234", "?department=3", "?page=2", "?page=150"},
	"/expenses/reimbursements":     nil,
	"/approvals":                   {"?type=requisition", "?q=REQ-005512", "?min=5000", "?department=3", "?page=2"},
	"/purchase-orders":             {"?status=open", "?q=PO-004321", "?vendor=12", "?page=2", "?page=150"},
	"/purchase-orders/to-order":    nil,
	"/bills":                       {"?status=approved", "?q=BILL-003456", "?match=held", "?page=2", "?page=150"},
	"/bills/aging":                 nil,
	"/payments":                    {"?page=2"},
	"/accounting/exports":          nil,
	"/vendors":                     {"?q=202cb962", "?q=V", "?state=archived", "?page=2"},
	"/reports/spend":               nil,
	"/admin/departments":           nil,
	"/admin/locations":             nil,
	"/admin/gl-accounts":           nil,
	"/admin/budgets":               nil,
	"/admin/approval-rules":        nil,
	"/admin/expense-categories":    nil,
	"/admin/mileage-rates":         nil,
	"/admin/per-diem-rates":        nil,
	"/admin/bill-matching":         nil,
	"/payments/settings":           nil,
	"/admin/settings":              nil,
	"/admin/settings/bank-account": nil,
	"/admin/users":                 {"?status=active", "?q=Person+12", "?role=requester", "?page=2"},
	"/admin/roles":                 nil,
	"/admin/sso":                   nil,
	"/admin/security":              nil,
	"/admin/tokens":                nil,
	"/audit":                       {"?object=requisitions", "?object=vendors", "?object=users", "?object=event", "?action=update", "?action=create", "?action=delete", "?action=event", "?object=vendors&action=delete", "?actor=40", "?q=approved", "?from=2020-01-01", "?before=50000", "?action=delete&before=50000"},
	"/admin/import":                nil,
	"/admin/export":                nil,
	"/settings/tokens":             nil,
	"/settings/security":           nil,
	"/settings/notifications":      nil,
	"/settings/bank-account":       nil,
	"/notifications":               {"?page=2"},
	// Search-as-you-type fields: what is typed (three letters or more match anywhere in a
	// name, fewer the start of names), as a field sends it, and nothing typed.
	"/lookup/vendors/purchase-orders": {"?q=202cb", "?q=V", "?field=vendor&text=vendor_text&vendor_text=vendor+3"},
	"/lookup/vendors/requisitions":    {"?q=202cb", "?q=V", "?q=zz", "?field=vendor&text=vendor_text&vendor_text=vendor+3"},
	"/lookup/vendors/bills":           {"?q=202cb", "?q=V"},
	"/lookup/vendors/approval-rules":  {"?q=202cb", "?q=V"},
	"/lookup/people/approval-rules":   {"?q=person+12", "?q=P", "?q=volume.example"},
	"/lookup/people/travel-form":      {"?q=person+12", "?q=P", "?q=volume.example"},
	"/lookup/people/departments":      {"?q=person+12", "?q=P", "?q=volume.example"},
	"/lookup/people/roles":            {"?q=person+12", "?q=P", "?q=volume.example"},
	"/lookup/orders/bills":            {"?q=PO-0043", "?q=202cb", "?q=P"},
}

// choicePages are pages that once listed every vendor or person as options, weighed at volume
// by TestListPlansAtVolume (the order list was 153 KB with 2,501 vendor options).
var choicePages = []string{"/purchase-orders", "/requisitions/all", "/travel/all", "/admin/users"}

// TestListPlansAtVolume proves that every page of the route table reads a tenant at volume
// through indexes: it stores 10,000 requisitions of three lines (1,500 waiting for one
// approver), 5,000 vendors, orders, expense reports, trips and bills, 20,000 notifications
// and 100,000 audit rows, fetches every page that takes no record id (each list with its
// filters, search and a later page) as a person who sees everything and as that approver,
// records every SELECT the handlers send, and asks Postgres for its plan (EXPLAIN, no
// timing): none may read a big table by a sequential scan.
func TestListPlansAtVolume(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a tenant at volume")
	}
	db, app, boss, max := volumeSite(t)
	big := bigTables(t, db)

	for _, r := range app.Server.Routes() {
		if r.NavLabel != "" {
			if _, ok := listCases[r.Path]; !ok {
				t.Errorf("%s is in the navigation but has no entry in listCases: add its filters there", r.Path)
			}
		}
	}

	// A lookup the person may not use is refused where the field fetches it (403).
	fragments := map[string]bool{}
	for _, r := range app.Server.Routes() {
		fragments[r.Path] = fragments[r.Path] || r.Fragment
	}

	log := &statementLog{}
	log.register(t, db)
	seen, planned := map[string]bool{}, 0
	for _, who := range []struct{ email, name string }{{boss.Email, "everyone's"}, {max.Email, "an approver's"}} {
		c := app.Client(t, "acme")
		c.SignIn(who.email, testutil.Password)
		for _, path := range pagesToPlan(app.Server.Routes()) {
			for _, query := range append([]string{""}, listCases[path]...) {
				var res *testutil.Response
				stmts := log.during(func() { res = c.Get(path + query) })
				if res.Status != http.StatusOK && res.Status != http.StatusSeeOther && !(fragments[path] && res.Status == http.StatusForbidden) {
					t.Errorf("%s as %s: status %d", path+query, who.name, res.Status)
				}
				if query == "" && who.email == boss.Email && slices.Contains(choicePages, path) {
					// Vendors and people are chosen by typing: no page carries an option each.
					options := res.Doc.Find("option").Length()
					t.Logf("%s at volume: %d bytes, %d options", path, len(res.Body), options)
					if options > 200 || len(res.Body) > 64<<10 {
						t.Errorf("%s at volume: %d bytes and %d options, want no option per vendor or person", path, len(res.Body), options)
					}
				}
				for _, s := range stmts {
					if !s.read() || seen[s.key()] {
						continue
					}
					seen[s.key()] = true
					planned++
					if rel, plan := seqScanOfBig(t, db, s, big, query == "" || strings.HasPrefix(query, "?page=")); rel != "" && !planExempt(path, query, rel) &&
						rel != deepPages[path+query] { // thousands of rows in, a sort may cost less than the index
						t.Errorf("%s (%s view) reads %s by a sequential scan:\n%s\n%s", path+query, who.name, rel, s.sql, plan)
					}
					if !strings.Contains(s.sql, " LIMIT ") {
						continue
					}
					if !strings.Contains(query, "q=") && plannedOnEveryRun(t, db, s) {
						t.Errorf("%s (%s view): Postgres plans the page anew on every view, never keeping a plan for any values:\n%s\n%v", path+query, who.name, s.sql, s.vars)
					}
					if own, deep := deepPages[path+query]; deep {
						// A later page walks past the rows before it in the list's own table;
						// what it reads of each row (joins, lookups) it reads for its own rows.
						reads, plan := readsOfBig(t, db, s, big)
						for rel, n := range reads {
							if rel != own && n > boundedListReads {
								t.Errorf("%s (%s view) reads %d rows of %s for a page of %s:\n%s\n%s", path+query, who.name, n, rel, own, s.sql, plan)
							}
						}
						continue
					}
					if !slices.Contains(boundedLists, path) {
						continue
					}
					if rel, n, plan := mostReadOfBig(t, db, s, big); n > boundedListReads && !planExempt(path, query, rel) {
						t.Errorf("%s (%s view) reads %d rows of %s for a page:\n%s\n%s", path+query, who.name, n, rel, s.sql, plan)
					}
				}
			}
		}
	}
	if planned == 0 {
		t.Fatal("no statement was recorded")
	}
	t.Logf("%d distinct statements planned over %d big tables", planned, len(big))
}

// volumeSite is a tenant at the volume of dbtest.DefaultVolume, served by the app: a person
// who sees everything (boss) and the approver the volume's 1,500 waiting steps are for (max).
func volumeSite(t testing.TB) (*gorm.DB, *testutil.App, *models.User, *models.User) {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	boss := env.CreateUser(t, acme, "boss@acme.example", "Bea Boss", "requester", "approver", "ap_clerk", "auditor", "admin")
	max := env.CreateUser(t, acme, "max@acme.example", "Max Approver", "requester", "approver")
	dbtest.SeedVolume(t, db, dbtest.DefaultVolume(max.ID))
	return db, app, boss, max
}

// pagesToPlan are the GET pages of the route table that name no record: the lists and
// settings pages (exports read every row by design and are left out, as are API routes and
// the sign-in pages).
func pagesToPlan(routes []handlers.Route) []string {
	var out []string
	for _, r := range routes {
		if r.Method != http.MethodGet || r.API || r.Access == handlers.Public || strings.Contains(r.Path, ":") ||
			strings.HasSuffix(r.Path, "/export") || strings.HasSuffix(r.Path, "/new") || slices.Contains(out, r.Path) {
			continue
		}
		out = append(out, r.Path)
	}
	return out
}

// bigTables are the tenant's tables that hold more than a few pages of rows.
func bigTables(t *testing.T, db *gorm.DB) map[string]bool {
	t.Helper()
	var names []string
	if err := db.Raw(`SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND reltuples >= 2000`).
		Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	if !out["requisitions"] || !out["audit_log"] || !out["approval_steps"] {
		t.Fatalf("big tables %v: the volume was not stored", names)
	}
	return out
}

// seqScanOfBig asks for s's plan and returns the first big table it reads by a sequential
// scan, with the plan. unfiltered: the page is a list without a filter (any of its pages).
func seqScanOfBig(t *testing.T, db *gorm.DB, s recordedStatement, big map[string]bool, unfiltered bool) (string, string) {
	t.Helper()
	// The values are written into the statement as literals, as the log shows it, so that
	// the plan is the one made for these values (and a statement that carries more values
	// than it uses still plans); bytes are sent as values, which the log cannot write.
	sql, vars := postgres.Dialector{}.Explain(s.sql, s.vars...), []any(nil)
	if slices.ContainsFunc(s.vars, func(v any) bool { _, ok := v.([]byte); return ok }) {
		sql, vars = s.sql, s.vars
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := sqlDB.QueryRow("EXPLAIN (FORMAT JSON) "+sql, vars...).Scan(&plan); err != nil {
		t.Fatalf("explain %s: %v", sql, err)
	}
	var nodes []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		// The figures of an unfiltered page (a list's total and status tabs, the dashboard's
		// sums) count every row the person may see, which costs the same through an index or
		// not; they are the statements that return figures rather than rows, and the
		// figures a page's rows carry (see planNode.figures).
		if unfiltered && (n.Plan.NodeType == "Aggregate" || n.Plan.NodeType == "Result") && !strings.Contains(s.sql, " LIMIT ") {
			continue
		}
		if rel := n.Plan.seqScan(big, unfiltered); rel != "" {
			return rel, plan
		}
	}
	return "", ""
}

// boundedLists are lists whose page of rows stops at its last row, whatever the filter: read
// along an index in the list's own order, or through an index that holds only the matches.
// A filter the index does not serve reads past every row it rejects (the audit log's
// sign-ins, 2% of it, read 2,500 rows for a page of 50), and a sort reads every row the
// filter selects before the first is shown. For them, TestListPlansAtVolume runs each
// statement of a page's rows as a connection that has served the page a few times does (a
// prepared statement, which Postgres may have come to plan once for any values: a vendor
// search then walked every vendor by name), counting rows without timing (EXPLAIN ANALYZE),
// and fails one that reads more than boundedListReads rows of a big table. The bills are not
// among them: a person who sees only the bills routed to them (an approver) has theirs found
// by reading the bills newest first and asking each whether it was routed to them.
var boundedLists = []string{"/audit", "/vendors", "/requisitions/all", "/expenses/all", "/travel/all", "/notifications", "/purchase-orders"}

// deepPages are later pages of lists (thousands of rows in), each with the list's own table.
// Read by OFFSET over the whole query, a list's joins and lookups per row were made for every
// row skipped (page 361 of everyone's requisitions read its lines' count 9,000 times); each
// page now picks its rows first, and TestListPlansAtVolume fails one that reads more than
// boundedListReads rows of any other big table.
var deepPages = map[string]string{
	"/requisitions/all?page=300": "requisitions",
	"/expenses/all?page=150":     "expense_reports",
	"/travel/all?page=150":       "travel_requests",
	"/purchase-orders?page=150":  "purchase_orders",
	"/bills?page=150":            "bills",
}

// boundedListReads is a few pages of the audit log (50 rows each).
const boundedListReads = 200

// mostReadOfBig runs s as a prepared statement, six times as a connection serving the page
// would (Postgres weighs a generic plan from the sixth), and returns the big table the last
// run read the most rows of (those returned and those rejected by a filter), how many, and
// its plan.
func mostReadOfBig(t *testing.T, db *gorm.DB, s recordedStatement, big map[string]bool) (string, int, string) {
	t.Helper()
	read, plan := readsOfBig(t, db, s, big)
	rel, most := "", 0
	for r, n := range read {
		if n > most {
			rel, most = r, n
		}
	}
	return rel, most, plan
}

// readsOfBig runs s as mostReadOfBig does and returns how many rows it read of each big table,
// with its plan.
func readsOfBig(t *testing.T, db *gorm.DB, s recordedStatement, big map[string]bool) (map[string]int, string) {
	t.Helper()
	var plan string
	asPrepared(t, db, s, 5, func(ctx context.Context, conn *sql.Conn, execute string) {
		if err := conn.QueryRowContext(ctx, "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) "+execute).Scan(&plan); err != nil {
			t.Fatalf("explain analyze %s: %v", s.sql, err)
		}
	})
	var nodes []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
		t.Fatal(err)
	}
	read := map[string]int{}
	for _, n := range nodes {
		n.Plan.countReads(big, read)
	}
	return read, plan
}

// asPrepared prepares s on one connection, executes it runs times with its values, as a
// connection serving the page does, then calls then with the connection and the statement
// that executes it.
func asPrepared(t *testing.T, db *gorm.DB, s recordedStatement, runs int, then func(ctx context.Context, conn *sql.Conn, execute string)) {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PREPARE page AS "+s.sql); err != nil {
		t.Fatalf("prepare %s: %v", s.sql, err)
	}
	defer conn.ExecContext(ctx, "DEALLOCATE page")
	params := make([]string, len(s.vars))
	for i := range params {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	execute := "EXECUTE page"
	if len(params) > 0 {
		execute = postgres.Dialector{}.Explain(execute+"("+strings.Join(params, ", ")+")", s.vars...)
	}
	for range runs {
		if _, err := conn.ExecContext(ctx, execute); err != nil {
			t.Fatalf("%s: %v", execute, err)
		}
	}
	then(ctx, conn, execute)
}

// plannedOnEveryRun runs s as a prepared statement eight times on one connection, as a
// connection serving the page does, and reports whether Postgres made a plan for the run's
// values every time: it keeps a plan made for any values only once that plan looks as cheap
// (a person's own list, keyed by their id, planned anew on every view: 0.6 ms of planning for
// 0.5 ms of work).
func plannedOnEveryRun(t *testing.T, db *gorm.DB, s recordedStatement) bool {
	t.Helper()
	var generic int
	asPrepared(t, db, s, 8, func(ctx context.Context, conn *sql.Conn, _ string) {
		if err := conn.QueryRowContext(ctx, `SELECT generic_plans FROM pg_prepared_statements WHERE name = 'page'`).Scan(&generic); err != nil {
			t.Fatal(err)
		}
	})
	return generic == 0
}

// planExceptions are the reads of a big table by a sequential scan that are accepted, each
// with why. Each names a page, the start of its query ("" for the bare page, "*" for any) and
// the table.
var planExceptions = []struct {
	path, query string
	tables      []string
	why         string
}{
	{"/accounting/exports", "", []string{"bills", "expense_reports"}, "the page lists every document awaiting export, without pages"},
	{"/reports/spend", "", []string{"requisitions", "requisition_lines", "purchase_order_lines"}, "a report sums a period; it is not a list"},
	{"/bills/aging", "", []string{"vendors"}, "a report of every open bill by vendor; it is not a list"},
	{"/audit", "?actor=", []string{"audit_log"}, "the actor is matched as text anywhere in its label"},
	{"/audit", "?q=", []string{"audit_log"}, "free text is matched anywhere in a row's values"},
	{"/bills", "?q=", []string{"bills", "vendors"}, "the search matches the vendor's name too, across the join"},
	{"/vendors", "?q=V", []string{"vendors"}, "one or two letters have no trigram and match most vendors: they are counted as the bare list counts them"},
	{"/admin/users", "", []string{"users"}, "the role filter's choices say how many people hold each role: counts of everyone"},
	{"/admin/users", "?role=requester", []string{"users"}, "the total of a role nearly everyone holds counts nearly everyone"},
	{"/lookup/people/roles", "?q=volume.example", []string{"users"}, "the text is in every person's address: it matches them all"},
	{"/lookup/people/departments", "?q=volume.example", []string{"users"}, "the text is in every person's address: it matches them all"},
}

// planExempt says whether reading table whole is accepted on the page at path?query.
func planExempt(path, query, table string) bool {
	for _, e := range planExceptions {
		if e.path == path && slices.Contains(e.tables, table) && (e.query == "*" || e.query == query ||
			(e.query != "" && strings.HasPrefix(query, e.query))) {
			return true
		}
	}
	return false
}

type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Parent   string     `json:"Parent Relationship"`
	Plans    []planNode `json:"Plans"`
	// Of EXPLAIN ANALYZE, each per loop: rows returned, and rows read and rejected.
	Rows      float64 `json:"Actual Rows"`
	Loops     float64 `json:"Actual Loops"`
	Filtered  float64 `json:"Rows Removed by Filter"`
	Rechecked float64 `json:"Rows Removed by Index Recheck"`
}

// figures says whether the node is a figure a page's rows carry, counted once for the
// statement (an InitPlan aggregate): a list's total read with its page. It reads every row the
// list matches, as the count it replaces did on its own.
func (n planNode) figures() bool { return n.Parent == "InitPlan" && n.NodeType == "Aggregate" }

// countReads adds to read the rows each scan of a big table in the plan read: those it
// returned and those it rejected, in all its loops. The figures the rows carry are not a
// page's reads.
func (n planNode) countReads(big map[string]bool, read map[string]int) {
	if n.figures() {
		return
	}
	if big[n.Relation] {
		read[n.Relation] += int((n.Rows + n.Filtered + n.Rechecked) * n.Loops)
	}
	for _, k := range n.Plans {
		k.countReads(big, read)
	}
}

// seqScan names a big table the plan reads by a sequential scan, if any; the figures of an
// unfiltered list count every row, through an index or not, and are left out.
func (n planNode) seqScan(big map[string]bool, unfiltered bool) string {
	if unfiltered && n.figures() {
		return ""
	}
	if n.NodeType == "Seq Scan" && big[n.Relation] {
		return n.Relation
	}
	for _, k := range n.Plans {
		if rel := k.seqScan(big, unfiltered); rel != "" {
			return rel
		}
	}
	return ""
}
