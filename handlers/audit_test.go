package handlers_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/money"
)

func TestAuditLogPageShowsChangesWithFilters(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	acme := mustTenant(t, app, "acme")
	db := app.DB(t, acme)
	bo := app.CreateUser(t, acme, "bo@acme.example", "Bo Before", "requester")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/users/" + itoa(bo.ID))
	res := c.Post("/admin/users/"+itoa(bo.ID), url.Values{"name": {"Bo After"}, "roles": {"requester"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("rename: %d %s", res.Status, res.Text(".field-error, .flash"))
	}

	page := c.Get("/audit?object=users&action=update")
	if page.Status != 200 {
		t.Fatalf("audit page: %d", page.Status)
	}
	// The object filter offers each kind of record the log holds, and keeps the chosen one.
	var objects []string
	page.Doc.Find("select#object option").Each(func(_ int, o *goquerySelection) {
		if v, _ := o.Attr("value"); v != "" {
			objects = append(objects, v)
		}
	})
	if !slices.Contains(objects, "users") || !slices.Contains(objects, "event") || !slices.IsSorted(objects[1:]) {
		t.Errorf("object filter offers %v", objects)
	}
	if sel, _ := page.Doc.Find("select#object option[selected]").Attr("value"); sel != "users" {
		t.Errorf("object filter shows %q chosen", sel)
	}
	row := page.Doc.Find("table.audit-table tbody tr").First()
	if got := row.Find(".audit-who").Text(); got != "ana@acme.example" {
		t.Errorf("who %q", got)
	}
	change := row.Find(".changes dt").FilterFunction(func(_ int, s *goquerySelection) bool { return s.Text() == "Name" })
	if change.Length() != 1 || change.Next().Find(".old").Text() != "Bo Before" || change.Next().Find(".new").Text() != "Bo After" {
		t.Errorf("name change not shown: %s", row.Text())
	}
	// The History tab of the person shows the same change.
	hist := c.Get("/admin/users/" + itoa(bo.ID) + "/history")
	if hist.Status != 200 || !strings.Contains(hist.Text("table"), "Bo After") || !strings.Contains(hist.Text("table"), "Created") {
		t.Errorf("history: %d %s", hist.Status, hist.Text("table"))
	}
	// Filters narrow; a bad date is refused beside its field. A filter that matches nothing,
	// and a refused one, still offer every kind of record the log holds.
	none := c.Get("/audit?actor=nobody-at-all")
	if n := none.Doc.Find("table.audit-table tbody tr").Length(); n != 0 {
		t.Errorf("actor filter kept %d rows", n)
	}
	offered := func(res *testutil.Response) []string {
		var out []string
		res.Doc.Find("select#object option").Each(func(_ int, o *goquerySelection) {
			if v, _ := o.Attr("value"); v != "" {
				out = append(out, v)
			}
		})
		return out
	}
	if got := offered(none); !slices.Equal(got, objects) {
		t.Errorf("with no row shown the object filter offers %v, not %v", got, objects)
	}
	if got := offered(c.Get("/audit?from=yesterday")); !slices.Equal(got, objects) {
		t.Errorf("with a refused filter the object filter offers %v, not %v", got, objects)
	}
	if n := c.Get("/audit?q=Bo+After").Doc.Find("table.audit-table tbody tr").Length(); n == 0 {
		t.Error("free text found nothing")
	}
	if n := c.Get("/audit?from=2000-01-01&to=2000-01-02").Doc.Find("table.audit-table tbody tr").Length(); n != 0 {
		t.Errorf("date filter kept %d rows", n)
	}
	bad := c.Get("/audit?from=yesterday")
	if bad.Status != http.StatusUnprocessableEntity || bad.Text("#from-error") == "" {
		t.Errorf("bad date: %d %q", bad.Status, bad.Text("#from-error"))
	}
	if res := c.Get("/audit?from=2026-02-02&to=2026-02-01"); res.Status != http.StatusUnprocessableEntity || res.Text("#to-error") == "" {
		t.Errorf("reversed dates: %d", res.Status)
	}
	_ = db
}

func TestAuditLogPagesByKeyset(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	acme := mustTenant(t, app, "acme")
	db := app.DB(t, acme)
	for i := 0; i < 60; i++ {
		if _, err := models.CreateRole(context.Background(), db, fmt.Sprintf("Role %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.SignIn("ana@acme.example", testutil.Password)
	first := c.Get("/audit?object=roles")
	rows := first.Doc.Find("table.audit-table tbody tr")
	if rows.Length() != 50 {
		t.Fatalf("first page has %d rows, want 50", rows.Length())
	}
	next, ok := first.Doc.Find(`a[rel="next"]`).Attr("href")
	if !ok || !strings.Contains(next, "before=") || !strings.Contains(next, "object=roles") {
		t.Fatalf("next link %q", next)
	}
	second := c.Get(next)
	if n := second.Doc.Find("table.audit-table tbody tr").Length(); n != 10 {
		t.Errorf("second page has %d rows, want 10", n)
	}
	seen := map[string]bool{}
	first.Doc.Find("table.audit-table tbody tr").Each(func(_ int, s *goquerySelection) { id, _ := s.Attr("id"); seen[id] = true })
	second.Doc.Find("table.audit-table tbody tr").Each(func(_ int, s *goquerySelection) {
		if id, _ := s.Attr("id"); seen[id] {
			t.Errorf("entry %s on both pages", id)
		}
	})
	if second.Doc.Find(`a[rel="next"]`).Length() != 0 {
		t.Error("a next link on the last page")
	}
}

func TestAuditExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	acme := mustTenant(t, app, "acme")
	app.CreateUser(t, acme, "eve@acme.example", `=HYPERLINK("http://evil.example","click")`, "requester")
	c.SignIn("ana@acme.example", testutil.Password)
	res := c.Get("/audit/export?object=users")
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", res.Status, res.Header)
	}
	if !strings.HasPrefix(res.Body, "\ufeff") {
		t.Errorf("the audit export has no byte-order mark")
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) < 2 || records[0][0] != "id" {
		t.Fatalf("export: %v", records)
	}
	for _, rec := range records[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell starts a formula: %q", cell)
			}
		}
	}
	if !strings.Contains(res.Body, `'{"`) && !strings.Contains(res.Body, "HYPERLINK") {
		t.Error("the user's record is missing from the export")
	}
	// The export itself is in the log.
	if n := c.Get("/audit?object=event&q=export").Doc.Find("table.audit-table tbody tr").Length(); n == 0 {
		t.Error("the export was not recorded")
	}
}

// An SSO provider's History page lists its changes, with the secret redacted.
func TestSSOProviderHistory(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	db := app.DB(t, mustTenant(t, app, "acme"))
	if err := db.Exec(`INSERT INTO sso_providers (name, kind, label, issuer, client_id, client_secret_sealed) VALUES ('okta', 'oidc', 'Okta', 'https://login.example', 'abc', 'first')`).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Table("sso_providers").Where("name = ?", "okta").Updates(map[string]any{"label": "Okta SSO", "client_secret_sealed": []byte("second-sealed")}).Error; err != nil {
		t.Fatal(err)
	}
	var id int64
	db.Raw(`SELECT id FROM sso_providers WHERE name = 'okta'`).Scan(&id)
	c.SignIn("ana@acme.example", testutil.Password)
	res := c.Get(fmt.Sprintf("/admin/sso/providers/%d/history", id))
	if res.Status != 200 || !strings.Contains(res.Text("h1"), "Okta SSO") {
		t.Fatalf("history: %d %q", res.Status, res.Text("h1"))
	}
	text := res.Text("table")
	if !strings.Contains(text, "Okta SSO") || !strings.Contains(text, "(secret)") || strings.Contains(res.Body, "second-sealed") {
		t.Errorf("history shows %q", text)
	}
	if res := c.Get("/admin/sso/providers/999999/history"); res.Status != http.StatusNotFound {
		t.Errorf("unknown provider: %d", res.Status)
	}
}

// The audit log names what its rows point at (people, departments, GL accounts, documents,
// their lines and approval steps) in one query, whatever mix of tables the page shows.
func TestAuditLogNamesItsReferencesInOneQuery(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	r, step := s.pending(t, 12000)
	var number string
	if err := s.db.Raw("SELECT number FROM requisitions WHERE id = ?", r.ID).Scan(&number).Error; err != nil {
		t.Fatal(err)
	}
	if res := approvalPost(s.maxC, fmt.Sprintf("/approvals/%d/approve", step), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}
	s.app.CreateUser(t, mustTenant(t, s.app, "acme"), "ana@acme.example", "Ana Admin", "admin")
	c := s.client(t, "ana@acme.example")
	c.Get("/audit")
	before := s.app.Counter.Tenant.Load()
	page := c.Get("/audit")
	n := s.app.Counter.Tenant.Load() - before
	if page.Status != http.StatusOK {
		t.Fatalf("audit: %d", page.Status)
	}
	if text := page.Text("main"); !strings.Contains(text, number) || !strings.Contains(text, "Engineering") || !strings.Contains(text, "Step 1 of "+number) {
		t.Errorf("the page does not name the requisition, its department and its step:\n%s", text)
	}
	// The session, the rows with the filter's tables, the names (10 when each table's names
	// were read apart, 5 when the filter's tables and the organisation's settings were read
	// apart too).
	t.Logf("%d tenant statements", n)
	if n > 3 {
		t.Errorf("the audit log page cost %d tenant statements, want at most 3", n)
	}
}

// An update's entry shows what changed, in its document's currency, although only the changed
// columns and the line's document are read from the recorded rows; the line's other
// references (its GL account) are not looked up for it.
func TestAuditLogShowsALineUpdateInItsDocumentsCurrency(t *testing.T) {
	t.Parallel()
	f := newHistoryFixture(t)
	ctx := context.Background()
	var line models.RequisitionLine
	if err := f.db.WithContext(ctx).Where("requisition_id = ?", f.p.Requisition.ID).First(&line).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.WithContext(ctx).Model(&line).Updates(map[string]any{"unit_price_minor": 51000, "amount_minor": 102000}).Error; err != nil {
		t.Fatal(err)
	}
	entries, _, err := models.AuditEntries(ctx, f.db, models.AuditFilter{Object: "requisition_lines", Action: "update"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("the line's update: %v entries, %v", len(entries), err)
	}
	for _, row := range []map[string]any{entries[0].Old, entries[0].New} {
		if _, ok := row["description"]; ok || row["requisition_id"] == nil || row["amount_minor"] == nil {
			t.Errorf("an update's entry keeps %v; want its changed columns and its document", row)
		}
	}
	app := testutil.NewApp(t, f.env)
	ana := app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	page := ana.Get("/audit?object=requisition_lines&action=update")
	if page.Status != http.StatusOK {
		t.Fatalf("audit: %d", page.Status)
	}
	text := page.Text("main")
	number := *f.p.Requisition.Number
	price := money.Money{Minor: 51000, Currency: f.p.Requisition.Currency}.String()
	if !strings.Contains(text, "Line 1 of "+number) || !strings.Contains(text, price) || strings.Contains(text, "102000") {
		t.Errorf("the line's update does not read as money in %s (%s):\n%s", f.p.Requisition.Currency, price, text)
	}
}
