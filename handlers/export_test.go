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
	// A byte-order mark first, so that Excel on Windows reads the file as UTF-8.
	body, bom := strings.CutPrefix(res.Body, "\ufeff")
	if !bom {
		t.Errorf("%s: the CSV file has no byte-order mark", path)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
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
	// In XLSX the cell is marked as text by its style (quotePrefix), not shown with an apostrophe.
	if len(sheetRows) != 2 || sheetRows[0][1] != "Name" || sheetRows[1][1] != formulaVendor {
		t.Errorf("xlsx rows %q", sheetRows)
	}
	if style, _ := f.GetCellStyle("Sheet1", "B2"); f.Styles.CellXfs.Xf[style].QuotePrefix == nil || !*f.Styles.CellXfs.Xf[style].QuotePrefix {
		t.Errorf("xlsx cell B2 is not marked as text")
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

// userID is the id of the site's person with this email.
func (s *exportSite) userID(t *testing.T, email string) int64 {
	t.Helper()
	var id int64
	if err := s.app.DB(t, s.acme).Raw(`SELECT id FROM users WHERE email = ?`, email).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("user %s: id %d, %v", email, id, err)
	}
	return id
}

// wantExportRefused checks that c may not export the list at path: sent back to the
// dashboard, as from the list's page.
func wantExportRefused(t *testing.T, c *testutil.Client, path string) {
	t.Helper()
	if res := c.Get(path); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("GET %s without the list's permission: %d %q, want a redirect to the dashboard", path, res.Status, res.Location())
	}
	c.Get("/dashboard") // consume the flash
}

// wantExportLink checks that the page at path offers the export at href.
func wantExportLink(t *testing.T, c *testutil.Client, path, href string) {
	t.Helper()
	if n := c.Get(path).Doc.Find(`.export-links[data-export="` + href + `"]`).Length(); n != 1 {
		t.Errorf("%s offers %d exports at %s, want 1", path, n, href)
	}
}

// The approval rules' export holds the rules the page lists, current or archived as it asks,
// with their conditions and steps in words; a name like a formula is text.
func TestApprovalRulesExport(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	s.admin.Get("/admin/approval-rules/new")
	for _, name := range []string{"=Big spend", "Old rule"} {
		f := ruleForm(name, [3]string{"manager", "", ""}, [3]string{"role", "", "admin"})
		f.Set("min_amount", "1000")
		if res := s.admin.Post("/admin/approval-rules", f); res.Status != http.StatusSeeOther {
			t.Fatalf("create the rule %s: %d %q", name, res.Status, res.Text(".field-error"))
		}
	}
	var old int64
	if err := s.app.DB(t, s.acme).Raw(`SELECT id FROM approval_rules WHERE name = 'Old rule'`).Scan(&old).Error; err != nil || old == 0 {
		t.Fatalf("the old rule: %d %v", old, err)
	}
	if res := s.admin.Post("/admin/approval-rules/"+itoa(old)+"/archive", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("archive: %d", res.Status)
	}

	head, rows := csvExport(t, s.admin, "/admin/approval-rules/export")
	if strings.Join(head, "|") != "ID|Document type|Priority|Name|Conditions|Steps|Budget check|Status" {
		t.Errorf("header %q", head)
	}
	if len(rows) != 1 || strings.Join(rows[0][1:], "|") != "Requisition|10|'=Big spend|When total $1,000.00 or more|The requester's manager; Anyone with the role Admin|Warn when over budget|Active" {
		t.Errorf("current rules: %q", rows)
	}
	_, rows = csvExport(t, s.admin, "/admin/approval-rules/export?archived=1")
	if len(rows) != 1 || rows[0][0] != itoa(old) || rows[0][3] != "Old rule" || rows[0][7] != "Archived" {
		t.Errorf("archived rules: %q", rows)
	}
	wantExportLink(t, s.admin, "/admin/approval-rules?archived=1", "/admin/approval-rules/export?archived=1")
	wantExportRefused(t, s.rita, "/admin/approval-rules/export")
}

// The export of the requisitions to order holds the approved ones waiting for their order,
// longest waiting first, every page of them; nothing else.
func TestToOrderExport(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	db := s.app.DB(t, s.acme)
	var reqs []models.Requisition
	if err := db.Order("id").Find(&reqs).Error; err != nil || len(reqs) != 2 {
		t.Fatalf("requisitions: %d %v", len(reqs), err)
	}
	// The second goes back to waiting for approval: it is not to be ordered.
	if err := db.Model(&reqs[1]).Update("status", models.RequisitionPending).Error; err != nil {
		t.Fatal(err)
	}
	head, rows := csvExport(t, s.admin, "/purchase-orders/to-order/export?page=2")
	if strings.Join(head, "|") != "ID|Number|Justification|Requester|Department|Vendor|Currency|Total|Approved|Needed by" {
		t.Errorf("header %q", head)
	}
	if len(rows) != 1 || rows[0][0] != itoa(reqs[0].ID) || rows[0][1] != *reqs[0].Number || rows[0][3] != "Rita Requester" ||
		rows[0][6] != "USD" || rows[0][7] != "340.00" || rows[0][8] != reqs[0].UpdatedAt.UTC().Format(time.RFC3339Nano) {
		t.Errorf("to order: %q", rows)
	}
	wantExportLink(t, s.admin, "/purchase-orders/to-order?page=3", "/purchase-orders/to-order/export")
	wantExportRefused(t, s.rita, "/purchase-orders/to-order/export")
}

// The accounting batches' export lists every batch, newest first, with who made it, how many
// documents it carries and the batch it re-exports.
func TestAccountingBatchesExport(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	db := s.app.DB(t, s.acme)
	var vendor models.Vendor
	if err := db.Where("name = 'Paper Mill'").First(&vendor).Error; err != nil {
		t.Fatal(err)
	}
	approvedBill(t, db, vendor.ID, s.userID(t, "ana@acme.example"), "INV-1", 120_00)
	s.admin.Get("/accounting/exports")
	if res := s.admin.Post("/accounting/exports", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("export a batch: %d", res.Status)
	}
	var first int64
	if err := db.Raw(`SELECT max(id) FROM export_batches`).Scan(&first).Error; err != nil || first == 0 {
		t.Fatalf("the batch: %d %v", first, err)
	}
	if res := s.admin.Post("/accounting/exports/"+itoa(first)+"/reexport", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("re-export: %d", res.Status)
	}

	head, rows := csvExport(t, s.admin, "/accounting/exports/export")
	if strings.Join(head, "|") != "Batch|Made|By|Documents|Re-export of" {
		t.Errorf("header %q", head)
	}
	if len(rows) != 2 || strings.Join(rows[0][2:], "|") != "Ana Admin|1|"+itoa(first) || rows[1][0] != itoa(first) ||
		strings.Join(rows[1][2:], "|") != "Ana Admin|1|" {
		t.Errorf("batches: %q", rows)
	}
	if _, err := time.Parse(time.RFC3339Nano, rows[0][1]); err != nil {
		t.Errorf("made at %q: %v", rows[0][1], err)
	}
	wantExportLink(t, s.admin, "/accounting/exports", "/accounting/exports/export")
	wantExportRefused(t, s.rita, "/accounting/exports/export")
}

// A person's notifications export holds their own notifications, newest first, and when each
// was read; nobody else's. Signed out, it asks to sign in.
func TestNotificationsExport(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	db := s.app.DB(t, s.acme)
	ana, rita := s.userID(t, "ana@acme.example"), s.userID(t, "rita@acme.example")
	read := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	for _, n := range []models.Notification{
		{RecipientID: ana, Title: "REQ-1 waits for your approval", Summary: "Rita Requester, $340.00", CreatedAt: read.Add(-time.Hour), ReadAt: &read},
		{RecipientID: ana, Title: "REQ-2 waits for your approval", CreatedAt: read.Add(time.Hour)},
		{RecipientID: rita, Title: "REQ-1 was approved by Ana Admin", CreatedAt: read},
	} {
		n.Kind, n.DocType, n.DocID, n.LinkPath = "notify_step_waiting", models.DocRequisition, 1, "/requisitions/1"
		if err := db.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
	}
	head, rows := csvExport(t, s.admin, "/notifications/export?page=2")
	if strings.Join(head, "|") != "ID|Title|Summary|Received|Read" {
		t.Errorf("header %q", head)
	}
	if len(rows) != 2 || strings.Join(rows[0][1:], "|") != "REQ-2 waits for your approval||2026-03-02T10:30:00Z|" ||
		strings.Join(rows[1][1:], "|") != "REQ-1 waits for your approval|Rita Requester, $340.00|2026-03-02T08:30:00Z|2026-03-02T09:30:00Z" {
		t.Errorf("Ana's notifications: %q", rows)
	}
	if _, rows := csvExport(t, s.rita, "/notifications/export"); len(rows) != 1 || rows[0][1] != "REQ-1 was approved by Ana Admin" {
		t.Errorf("Rita's notifications: %q", rows)
	}
	wantExportLink(t, s.admin, "/notifications", "/notifications/export")
	if res := s.app.Client(t, "acme").Get("/notifications/export"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
		t.Errorf("signed out: %d %q, want a redirect to sign in", res.Status, res.Location())
	}
}

// The API tokens' exports hold what their pages show: everyone's (active ones, or all as the
// page asks) for an admin, and a person's own; never a token's text or digest.
func TestAPITokensExport(t *testing.T) {
	t.Parallel()
	s := newExportSite(t)
	ctx, db := t.Context(), s.app.DB(t, s.acme)
	ana, rita := s.userID(t, "ana@acme.example"), s.userID(t, "rita@acme.example")
	var secrets []string
	for _, tk := range []struct {
		owner int64
		name  string
	}{{ana, "Old sync"}, {rita, "Rita's script"}, {ana, "=Deploy bot"}} {
		made, secret, err := models.CreateToken(ctx, db, tk.owner, tk.name, 30, nil)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, secret, string(made.TokenHash))
		if tk.name == "Old sync" {
			if err := models.RevokeToken(ctx, db, made.ID, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	exported := func(path string) (head []string, rows [][]string) {
		t.Helper()
		res := s.admin.Get(path)
		for _, secret := range append(secrets, models.TokenPrefix) {
			if strings.Contains(res.Body, secret) {
				t.Errorf("%s holds a token's text or digest", path)
			}
		}
		return csvExport(t, s.admin, path)
	}
	head, rows := exported("/admin/tokens/export?page=4")
	if strings.Join(head, "|") != "Owner|Owner email|Name|Created|Expires|Last used|Status" {
		t.Errorf("header %q", head)
	}
	if got := column(head, rows, "Name"); strings.Join(got, "|") != "'=Deploy bot|Rita's script" || strings.Join(column(head, rows, "Status"), "|") != "Active|Active" ||
		rows[1][1] != "rita@acme.example" || rows[1][5] != "" {
		t.Errorf("active tokens: %q", rows)
	}
	_, rows = exported("/admin/tokens/export?status=all")
	if len(rows) != 3 || rows[2][2] != "Old sync" || rows[2][6] != "Revoked" {
		t.Errorf("all tokens: %q", rows)
	}
	head, rows = exported("/settings/tokens/export")
	if strings.Join(head, "|") != "Name|Created|Expires|Last used|Status" {
		t.Errorf("own header %q", head)
	}
	if got := column(head, rows, "Name"); strings.Join(got, "|") != "'=Deploy bot|Old sync" {
		t.Errorf("Ana's own tokens: %q", rows)
	}
	wantExportLink(t, s.admin, "/admin/tokens?status=all&page=1", "/admin/tokens/export?status=all")
	wantExportLink(t, s.admin, "/settings/tokens", "/settings/tokens/export")
	wantExportRefused(t, s.rita, "/admin/tokens/export")
	wantExportRefused(t, s.rita, "/settings/tokens/export")
}
