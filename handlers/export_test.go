package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// exportSite is a tenant with an admin signed in, a requester, two requisitions (one
// approved, one a draft) and vendors, one of them named like a formula.
type exportSite struct {
	env   *testutil.Env
	app   *testutil.App
	acme  tenancy.Tenant
	admin *testutil.Client
	rita  *testutil.Client
}

const formulaVendor = `=HYPERLINK("http://evil.example","click")`

func newExportSite(t *testing.T) *exportSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	gone := env.CreateUser(t, acme, "gus@acme.example", "Gus Gone", "requester")
	if err := db.Model(gone).Update("status", models.UserDeactivated).Error; err != nil {
		t.Fatal(err)
	}
	testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	for _, v := range []models.Vendor{{Name: "Paper Mill", Currency: "USD", Status: models.VendorActive},
		{Name: formulaVendor, Currency: "USD", Status: models.VendorActive}, {Name: "Old Supplier", Currency: "USD", Status: models.VendorActive}} {
		if err := db.Create(&v).Error; err != nil {
			t.Fatal(err)
		}
		if v.Name == "Old Supplier" {
			if err := models.ArchiveVendor(t.Context(), db, v.ID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	app := testutil.NewApp(t, env)
	s := &exportSite{env: env, app: app, acme: acme, admin: app.Client(t, "acme"), rita: app.Client(t, "acme")}
	s.admin.SignIn("ana@acme.example", testutil.Password)
	s.rita.SignIn("rita@acme.example", testutil.Password)
	return s
}

// csvExport downloads a CSV export and returns its header and rows.
func csvExport(t *testing.T, c *testutil.Client, path string) (head []string, rows [][]string) {
	t.Helper()
	res := c.Get(path)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("%s: %d %v", path, res.Status, res.Header)
	}
	recs, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v %q", path, err, res.Body)
	}
	return recs[0], recs[1:]
}

// column is the values of the column titled title.
func column(head []string, rows [][]string, title string) []string {
	for i, h := range head {
		if h == title {
			out := make([]string, len(rows))
			for j, r := range rows {
				out[j] = r[i]
			}
			return out
		}
	}
	return nil
}

// Each list's export holds what its page shows with the same filters, every page of it.
func TestListExportsHonourTheirFilters(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	for _, tc := range []struct {
		path, col string
		want      []string // the column's values, in any order
	}{
		{"/vendors/export?q=paper", "Name", []string{"Paper Mill"}},
		{"/vendors/export?state=archived", "Name", []string{"Old Supplier"}},
		{"/admin/users/export?status=deactivated", "Email", []string{"gus@acme.example"}},
		{"/admin/users/export?q=rita", "Email", []string{"rita@acme.example"}},
		{"/requisitions/all/export?status=approved", "Status", []string{"Approved", "Approved"}},
		{"/requisitions/all/export?status=draft", "Status", []string{"Approved", "Approved"}}, // drafts are never in "all": the filter is ignored as on the page
		{"/requisitions/all/export?status=rejected", "Status", nil},
		{"/purchase-orders/export", "Number", nil},
		{"/admin/departments/export?q=nothing-matches", "Name", nil},
		{"/approvals/export?type=requisition", "Step ID", nil}, // nothing waits for Ana
	} {
		head, rows := csvExport(t, s.admin, tc.path)
		got := column(head, rows, tc.col)
		if head == nil || (got == nil && len(rows) > 0) {
			t.Errorf("%s: no column %q in %q", tc.path, tc.col, head)
			continue
		}
		if strings.Join(sorted(got), "|") != strings.Join(sorted(tc.want), "|") {
			t.Errorf("%s: %s = %q, want %q", tc.path, tc.col, got, tc.want)
		}
	}
	if res := s.admin.Get("/approvals/export?min=lots"); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a refused filter: %d", res.Status)
	}
	// A requester's own list holds their requisitions; everyone's is not theirs to read.
	if _, rows := csvExport(t, s.rita, "/requisitions/export"); len(rows) != 2 {
		t.Errorf("Rita's own requisitions: %d rows", len(rows))
	}
	// The audit log's filters: only vendors' rows.
	head, rows := csvExport(t, s.admin, "/audit/export?object=vendors")
	if objects := column(head, rows, "object"); len(objects) < 3 {
		t.Errorf("audit export of vendors: %d rows", len(objects))
	} else {
		for _, o := range objects {
			if o != "vendors" {
				t.Errorf("audit export of vendors holds a row of %q", o)
			}
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// A cell a spreadsheet would run as a formula is text in CSV and XLSX, and as it is in JSON.
func TestListExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	head, rows := csvExport(t, s.admin, "/vendors/export?q=HYPERLINK")
	if names := column(head, rows, "Name"); len(names) != 1 || names[0] != "'"+formulaVendor {
		t.Errorf("CSV names %q", names)
	}
	res := s.admin.Get("/vendors/export?q=HYPERLINK&format=xlsx")
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("xlsx: %d %v", res.Status, res.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(res.Body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheetRows, _ := f.GetRows("Sheet1")
	if len(sheetRows) != 2 || sheetRows[0][1] != "Name" || sheetRows[1][1] != "'"+formulaVendor {
		t.Errorf("xlsx rows %q", sheetRows)
	}
	if formula, _ := f.GetCellFormula("Sheet1", "B2"); formula != "" {
		t.Errorf("xlsx cell holds a formula %q", formula)
	}
	res = s.admin.Get("/vendors/export?format=jsonl")
	lines := strings.Split(strings.TrimSpace(res.Body), "\n")
	if res.Status != http.StatusOK || len(lines) != 4 { // the two active vendors and the requisitions' two
		t.Errorf("jsonl: %d %q", res.Status, res.Body)
	}
	found := false
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("jsonl line %q: %v", l, err)
		}
		found = found || v["name"] == formulaVendor
	}
	if !found {
		t.Errorf("the JSON Lines export lacks the vendor's name as typed: %q", res.Body)
	}
	if res := s.admin.Get("/vendors/export?format=xls"); res.Status != http.StatusBadRequest {
		t.Errorf("an unknown format: %d", res.Status)
	}
}

// Every export is in the audit log: who, which list, the filters, the format and how many rows.
func TestListExportsAreAudited(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	s.admin.Get("/vendors/export?q=paper&format=jsonl&page=3")
	db := s.app.DB(t, s.acme)
	var e struct {
		ActorLabel string
		Details    string
	}
	if err := db.Raw(`SELECT actor_label, details::text AS details FROM audit_log WHERE event = 'export' AND subject = 'vendors' ORDER BY id DESC LIMIT 1`).Scan(&e).Error; err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(e.Details), &d); err != nil {
		t.Fatalf("details %q: %v", e.Details, err)
	}
	if e.ActorLabel != "ana@acme.example" || d["list"] != "vendors" || d["format"] != "jsonl" || d["rows"] != 1.0 || d["filter"] != "q=paper" {
		t.Errorf("audit entry %s %v", e.ActorLabel, d)
	}
}

// A person who may not read a list may not export it; the list page offers its export only to
// those who may.
func TestListExportNeedsTheListsPermission(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	for _, path := range []string{"/admin/users/export", "/vendors/export?format=xlsx", "/requisitions/all/export", "/audit/export", "/purchase-orders/export"} {
		// A refused page sends the person back to the dashboard, with nothing of the list.
		if res := s.rita.Get(path); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" || strings.Contains(res.Body, "Paper Mill") {
			t.Errorf("requester GET %s: %d %q", path, res.Status, res.Location())
		}
	}
	page := s.admin.Get("/vendors?q=paper&page=2")
	href, ok := page.Doc.Find(`.export-links a[data-format="xlsx"]`).Attr("href")
	if !ok || href != "/vendors/export?q=paper&format=xlsx" {
		t.Errorf("the vendors page's export link %q", href)
	}
	if n := s.admin.Get("/requisitions/all?status=approved").Doc.Find(`.export-links a`).Length(); n != 3 {
		t.Errorf("%d export links on all requisitions", n)
	}
}

// An export is written after its handler returns, at the client's pace. Retiring the tenant's
// handle meanwhile, as the pools do with the least recently used of many tenants, neither cuts
// the file short nor loses the audit event that closes it.
func TestListExportOutlivesItsTenantsHandle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	env, acme := testutil.NewTenant(t)
	// Requests are logged, as in production: the access log must not read the file whole to
	// learn its size.
	env.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// The test lets go of the tenant's handle before the export, so that the export alone
	// holds it (Env.DB would hold it to the end of the test).
	db, release, err := env.Pools.Acquire(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreateUser(ctx, db, models.NewUser{Email: "ana@acme.example", Name: "Ana Admin", Password: testutil.Password,
		Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	// Enough vendors that the file cannot wait whole in the connection's buffers: the export
	// is still reading them when the handle is retired. Stored by SQL, without the triggers.
	const vendors = 30000
	if err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL session_replication_role = replica`).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO vendors (name, contact_name, email, currency)
			SELECT 'Bulk vendor ' || g || ' ' || repeat('x', 120), 'Contact ' || g, 'ap' || g || '@bulk.example', 'USD'
			FROM generate_series(1, ?) g`, vendors).Error
	}); err != nil {
		t.Fatal(err)
	}
	release()
	app := testutil.NewApp(t, env)
	admin := app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	addr := app.Serve(t)
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/vendors/export?format=csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = admin.Host
	for name, value := range admin.Cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body := bufio.NewReader(res.Body)
	head, err := body.ReadString('\n')
	if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(head, "Name,Contact") {
		t.Fatalf("export: status %d, first line %q, %v", res.StatusCode, head, err)
	}
	// The file is streamed as it is read from the database: with its first line here, the
	// export is still going (its audit event, written at its end, is not there yet).
	if n := exportEvents(t, acme); n != 0 {
		t.Fatalf("the export was written whole (%d audit event) before its first line was sent", n)
	}
	env.Pools.Evict(acme.Slug) // closes a handle nothing holds before it returns
	rows, err := csv.NewReader(body).ReadAll()
	if err != nil {
		t.Fatalf("the rest of the export: %v", err)
	}
	if len(rows) != vendors {
		t.Fatalf("the export has %d vendors, want %d", len(rows), vendors)
	}
	// The event is written once the file is; the client may have read it all a moment before.
	dbtest.WaitFor(t, 10*time.Second, "recorded the export", func() bool { return exportEvents(t, acme) > 0 })
	db = env.DB(t, acme) // a new handle
	var details string
	if err := db.Raw(`SELECT details::text FROM audit_log WHERE event = 'export' AND subject = 'vendors' ORDER BY id DESC LIMIT 1`).
		Scan(&details).Error; err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(details), &d); err != nil {
		t.Fatalf("no audit event for the export (details %q)", details)
	}
	if d["rows"] != float64(vendors) || d["incomplete"] != nil {
		t.Errorf("the export's audit event says %v", d)
	}
}

// exportEvents counts the tenant's export events, through a connection of its own (not the
// tenant's handle, which the test must not hold).
func exportEvents(t *testing.T, tn tenancy.Tenant) int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), tn.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var n int64
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE event = 'export'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
