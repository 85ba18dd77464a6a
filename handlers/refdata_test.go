package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// refSite is a tenant with its admin and its auditor signed in.
type refSite struct {
	env     *testutil.Env
	app     *testutil.App
	acme    tenancy.Tenant
	admin   *testutil.Client
	auditor *testutil.Client
}

func newRefSite(t *testing.T) *refSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.CreateUser(t, acme, "otto@acme.example", "Otto Auditor", "auditor")
	app := testutil.NewApp(t, env)
	s := &refSite{env: env, app: app, acme: acme, admin: app.Client(t, "acme"), auditor: app.Client(t, "acme")}
	s.admin.SignIn("ana@acme.example", testutil.Password)
	s.admin.Get("/dashboard")
	s.auditor.SignIn("otto@acme.example", testutil.Password)
	s.auditor.Get("/dashboard")
	return s
}

func (s *refSite) db(t *testing.T) *gorm.DB { return s.app.DB(t, s.acme) }

// refRows are the first cells of the list's rows, in order.
func refRows(res *testutil.Response) []string {
	var out []string
	res.Doc.Find("#ref-results tbody tr td:first-child").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Find("a").First().Text()))
	})
	return out
}

func htmxPost(c *testutil.Client, path, target string, form url.Values) *testutil.Response {
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", target)
	defer c.Header.Del("HX-Request")
	defer c.Header.Del("HX-Target")
	return c.Post(path, form)
}

func vendorForm(name string) url.Values {
	return url.Values{"name": {name}, "contact_name": {"Pat Doe"}, "email": {"ap@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"},
		"tax_id": {"DE123456789"}, "payment_terms": {"45"}, "currency": {"EUR"}, "status": {"active"}, "address": {"1 Main St"}}
}

func TestVendorsCreateEditSearchArchive(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	c := s.admin

	empty := c.Get("/vendors")
	if empty.Status != 200 || empty.Text(".empty-state h2") != "No vendors yet" {
		t.Fatalf("empty list: %d %q", empty.Status, empty.Text(".empty-state h2"))
	}
	if got := empty.Text(`.nav a[aria-current="page"]`); got != "Vendors" {
		t.Errorf("current nav %q", got)
	}
	form := c.Get("/vendors/new")
	if v, _ := form.Doc.Find("#currency option[selected]").Attr("value"); v != "USD" {
		t.Errorf("new vendor currency defaults to %q, want the organisation's USD", v)
	}
	if form.Doc.Find(`#ref-form input[name="_csrf"]`).Length() != 1 {
		t.Error("the form has no CSRF field")
	}

	res := c.Post("/vendors", vendorForm("Initech"))
	if got := flashAfter(t, c, res); got != "Added the vendor Initech." {
		t.Errorf("flash %q", got)
	}
	list := c.Get("/vendors")
	if rows := refRows(list); len(rows) != 1 || rows[0] != "Initech" {
		t.Fatalf("rows %q", rows)
	}
	if got := list.Text("#ref-results tbody td:nth-child(3)"); got != "Net 45" {
		t.Errorf("terms shown as %q", got)
	}
	var id int64
	if err := s.db(t).Raw(`SELECT id FROM vendors WHERE name = 'Initech'`).Scan(&id).Error; err != nil || id == 0 {
		t.Fatal(err)
	}

	// A duplicate name (in any case), a bad email, terms out of range and a bad currency are
	// refused beside their fields, as a 422 partial for htmx, and nothing is written.
	bad := vendorForm("INITECH")
	bad.Set("email", "ap@")
	bad.Set("payment_terms", "400")
	bad.Set("currency", "EURO")
	r := htmxPost(c, "/vendors", "ref-form", bad)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.Status)
	}
	if r.Doc.Find("form#ref-form").Length() != 1 || r.Doc.Find(".page-header").Length() != 0 {
		t.Error("htmx got more than the form")
	}
	for field, want := range map[string]string{"name": "A vendor with this name already exists.", "email": "Enter an email address like name@example.com.",
		"payment_terms": "Enter a whole number of days from 0 to 365.", "currency": "Choose a currency: a three-letter ISO code such as USD."} {
		if got := r.Text("#" + field + "-error"); got != want {
			t.Errorf("%s error %q, want %q", field, got, want)
		}
		if v, _ := r.Doc.Find("#" + field).Attr("aria-invalid"); v != "true" {
			t.Errorf("%s not marked invalid", field)
		}
	}
	if v, _ := r.Doc.Find("#contact_name").Attr("value"); v != "Pat Doe" {
		t.Errorf("the form lost what was typed: %q", v)
	}
	var n int64
	s.db(t).Model(&models.Vendor{}).Count(&n)
	if n != 1 {
		t.Errorf("%d vendors after a refused create", n)
	}

	// Edit.
	edit := vendorForm("Initech Ltd")
	edit.Set("status", "on_hold")
	if got := flashAfter(t, c, c.Post(fmt.Sprintf("/vendors/%d", id), edit)); got != "Saved the changes to Initech Ltd." {
		t.Errorf("flash %q", got)
	}
	v, _ := models.GetVendor(context.Background(), s.db(t), id)
	if v.Name != "Initech Ltd" || v.Status != models.VendorOnHold || v.PaymentTermsDays != 45 {
		t.Errorf("stored %+v", v)
	}

	// Live search returns only the results, and the address to push.
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "ref-results")
	found := c.Get("/vendors?q=de1234&state=")
	none := c.Get("/vendors?q=zzz")
	c.Header.Del("HX-Request")
	c.Header.Del("HX-Target")
	if rows := refRows(found); len(rows) != 1 || found.Doc.Find("h1").Length() != 0 {
		t.Errorf("search by tax id: rows %q", rows)
	}
	if got := found.Header.Get("HX-Push-Url"); got != "/vendors?q=de1234" {
		t.Errorf("HX-Push-Url %q", got)
	}
	if got := none.Text(".empty-state h2"); got != "No vendors match" {
		t.Errorf("no match says %q", got)
	}
	// One or two characters, which no trigram index serves, still match anywhere in any
	// column searched; and no match spans two columns (the name's end, the contact's start).
	for q, want := range map[string]int{"te": 1, "89": 1, "zz": 0, "ltd pat": 0, "initech ltd": 1, "pat doe": 1} {
		if rows := refRows(c.Get("/vendors?q=" + url.QueryEscape(q))); len(rows) != want {
			t.Errorf("search %q: rows %q, want %d", q, rows, want)
		}
	}

	// Archive from the list: it leaves the active list and the choices for new documents.
	res = c.Post(fmt.Sprintf("/vendors/%d/archive", id), url.Values{"next": {"/vendors"}})
	if res.Location() != "/vendors" {
		t.Errorf("archive returned to %q", res.Location())
	}
	if got := c.Get("/vendors").Text(".flash"); !strings.HasPrefix(got, "Archived Initech Ltd.") {
		t.Errorf("flash %q", got)
	}
	if rows := refRows(c.Get("/vendors")); len(rows) != 0 {
		t.Errorf("archived vendor still listed: %q", rows)
	}
	if rows := refRows(c.Get("/vendors?state=archived")); len(rows) != 1 {
		t.Errorf("archived list %q", rows)
	}
	if got := flashAfter(t, c, c.Post(fmt.Sprintf("/vendors/%d/unarchive", id), nil)); got != "Initech Ltd is back in use." {
		t.Errorf("unarchive flash %q", got)
	}

	// History names the change.
	h := c.Get(fmt.Sprintf("/vendors/%d/history", id))
	if h.Status != 200 || !strings.Contains(h.Text("main"), "Initech Ltd") {
		t.Errorf("history %d", h.Status)
	}
}

func TestBudgetPagesFormatMoneyAndRefuseOverlap(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	c, ctx, db := s.admin, context.Background(), s.db(t)
	eng, _ := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: "Engineering"})
	ops, _ := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: "Operations"})
	gl, _ := models.SaveGLAccount(ctx, db, 0, models.GLAccountInput{Code: "6000", Name: "Software"})
	form := url.Values{"department": {ids(eng)}, "gl_account": {ids(gl)}, "period_start": {"2026-01-01"}, "period_end": {"2026-12-31"}, "amount": {"1234567.8"}, "currency": {"USD"}}
	if got := flashAfter(t, c, c.Post("/admin/budgets", form)); !strings.HasPrefix(got, "Added the budget Engineering · 6000 Software") {
		t.Errorf("flash %q", got)
	}
	list := c.Get("/admin/budgets")
	if got := list.Text("#ref-results tbody td.num"); !strings.HasPrefix(got, "$1,234,567.80") {
		t.Errorf("amount shown as %q", got)
	}
	// The same period again is refused beside the start date.
	r := htmxPost(c, "/admin/budgets", "ref-form", form)
	if r.Status != 422 || !strings.Contains(r.Text("#period_start-error"), "already has a budget for 6000 Software") {
		t.Errorf("overlap: %d %q", r.Status, r.Text("#period_start-error"))
	}
	form.Set("department", ids(ops))
	form.Set("period_start", "2025-01-01")
	form.Set("period_end", "2025-12-31")
	form.Set("amount", "500")
	c.Post("/admin/budgets", form)

	// Filters by department and by year.
	if rows := refRows(c.Get("/admin/budgets?department=" + ids(ops))); len(rows) != 1 || rows[0] != "Operations" {
		t.Errorf("department filter %q", rows)
	}
	if rows := refRows(c.Get("/admin/budgets?year=2026")); len(rows) != 1 || rows[0] != "Engineering" {
		t.Errorf("year filter %q", rows)
	}

	// Edit the amount: History shows it as money, old and new.
	var id int64
	db.Raw(`SELECT id FROM budgets WHERE department_id = ?`, eng).Scan(&id)
	form = url.Values{"department": {ids(eng)}, "gl_account": {ids(gl)}, "period_start": {"2026-01-01"}, "period_end": {"2026-12-31"}, "amount": {"2,000"}, "currency": {"USD"}}
	if res := c.Post(fmt.Sprintf("/admin/budgets/%d", id), form); res.Status != http.StatusSeeOther {
		t.Fatalf("edit %d: %s", res.Status, res.Text(".field-error"))
	}
	h := c.Get(fmt.Sprintf("/admin/budgets/%d/history", id))
	changes := h.Text(".changes")
	if !strings.Contains(changes, "$1,234,567.80") || !strings.Contains(changes, "$2,000.00") || strings.Contains(changes, "123456780") {
		t.Errorf("history shows %q", changes)
	}
}

func TestDepartmentsShowHeadsAndMembers(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	c, ctx, db := s.admin, context.Background(), s.db(t)
	bo := s.env.CreateUser(t, s.acme, "bo@acme.example", "Bo Boss", "approver")
	res := c.Post("/admin/departments", url.Values{"name": {"Finance"}, "code": {"FIN"}, "head": {ids(bo.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text(".field-error"))
	}
	var id int64
	db.Raw(`SELECT id FROM departments WHERE name = 'Finance'`).Scan(&id)
	for _, email := range []string{"a@acme.example", "b@acme.example"} {
		if _, err := models.CreateUser(ctx, db, models.NewUser{Email: email, Name: email, Password: testutil.Password, Roles: []string{"requester"}, DepartmentID: &id}); err != nil {
			t.Fatal(err)
		}
	}
	list := c.Get("/admin/departments")
	row := list.Doc.Find("#ref-results tbody tr").First()
	if got := strings.TrimSpace(row.Find("td").Eq(2).Text()); got != "Bo Boss" {
		t.Errorf("head %q", got)
	}
	if got := strings.TrimSpace(row.Find("td").Eq(3).Text()); got != "2" {
		t.Errorf("members %q", got)
	}
	// Duplicate name and code are field errors, not a 500.
	r := c.Post("/admin/departments", url.Values{"name": {"finance"}, "code": {"fin"}})
	if r.Status != 422 || r.Text("#name-error") != "A department with this name already exists." || r.Text("#code-error") != "Another department has this code." {
		t.Errorf("duplicate: %d %q %q", r.Status, r.Text("#name-error"), r.Text("#code-error"))
	}
	// Only active people are offered as heads; a head who leaves stays shown on the edit form.
	_, err := models.CreateUser(ctx, db, models.NewUser{Email: "new@acme.example", Name: "Nell New", Roles: []string{"requester"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := matchNames(t, c.Get("/lookup/people/departments?q=nell")); len(got) != 0 {
		t.Errorf("an invited person is offered as head: %q", got)
	}
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), bo.ID); err != nil {
		t.Fatal(err)
	}
	if value, text, _, _ := lookupField(c.Get(fmt.Sprintf("/admin/departments/%d", id)), "head"); value != ids(bo.ID) || text != "Bo Boss (no longer active)" {
		t.Errorf("the departed head is shown as %q (%q)", text, value)
	}
	if res := c.Post(fmt.Sprintf("/admin/departments/%d", id), url.Values{"name": {"Finance & Control"}, "code": {"FIN"}, "head": {ids(bo.ID)}}); res.Status != http.StatusSeeOther {
		t.Errorf("renaming a department whose head left: %d %s", res.Status, res.Text(".field-error"))
	}
	// Archived, it is no longer offered on the people form.
	c.Post(fmt.Sprintf("/admin/departments/%d/archive", id), nil)
	if c.Get("/admin/users/new").Doc.Find(fmt.Sprintf(`#department option[value="%d"]`, id)).Length() != 0 {
		t.Error("an archived department is offered to new people")
	}
}

// The auditor reads every reference page but sees no controls, and every change they send
// is refused by the route table.
func TestAuditorReadsReferenceDataOnly(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	ctx, db := context.Background(), s.db(t)
	vid, _ := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: "Initech", PaymentTerms: "30", Currency: "USD", Status: "active"})
	did, _ := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: "Finance"})
	a := s.auditor
	for _, p := range []string{"/vendors", "/admin/departments", "/admin/locations", "/admin/gl-accounts", "/admin/budgets", "/admin/settings",
		fmt.Sprintf("/vendors/%d", vid), fmt.Sprintf("/admin/departments/%d", did)} {
		res := a.Get(p)
		if res.Status != 200 {
			t.Errorf("%s: %d", p, res.Status)
			continue
		}
		if n := res.Doc.Find(`form[method="post"]:not([action="/logout"]), a[href$="/new"]`).Length(); n != 0 {
			t.Errorf("%s shows the auditor %d controls", p, n)
		}
	}
	if got := a.Get(fmt.Sprintf("/vendors/%d", vid)).Text(".details"); !strings.Contains(got, "Net 30") {
		t.Errorf("vendor facts %q", got)
	}
	for _, p := range []string{"/vendors", fmt.Sprintf("/vendors/%d", vid), fmt.Sprintf("/vendors/%d/archive", vid), "/admin/departments", "/admin/settings"} {
		res := a.Post(p, vendorForm("Hacked"))
		if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
			t.Errorf("auditor POST %s: %d %q", p, res.Status, res.Location())
		}
	}
	v, _ := models.GetVendor(ctx, db, vid)
	if v.Name != "Initech" || v.ArchivedAt != nil {
		t.Errorf("the auditor changed the vendor: %+v", v)
	}
}

// Another tenant's record ids are unknown here: 404, never the other tenant's data.
func TestReferenceRecordsOfAnotherTenantAreNotFound(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	globex := s.env.NewTenant(t, "globex", "Globex")
	gdb := s.app.DB(t, globex)
	ctx := context.Background()
	// Use up acme's first ids so globex's records have ids acme does not.
	for i := 0; i < 3; i++ {
		models.SaveVendor(ctx, gdb, 0, models.VendorInput{Name: fmt.Sprintf("Filler %d", i), PaymentTerms: "1", Currency: "USD", Status: "active"})
		models.SaveDepartment(ctx, gdb, 0, models.DepartmentInput{Name: fmt.Sprintf("Filler %d", i)})
		models.SaveGLAccount(ctx, gdb, 0, models.GLAccountInput{Code: fmt.Sprintf("F%d", i), Name: "Filler"})
		models.SaveLocation(ctx, gdb, 0, models.LocationInput{Name: fmt.Sprintf("Filler %d", i)})
	}
	vid, _ := models.SaveVendor(ctx, gdb, 0, models.VendorInput{Name: "Globex Secret Supplier", PaymentTerms: "1", Currency: "USD", Status: "active"})
	did, _ := models.SaveDepartment(ctx, gdb, 0, models.DepartmentInput{Name: "Globex Secret"})
	gid, _ := models.SaveGLAccount(ctx, gdb, 0, models.GLAccountInput{Code: "9999", Name: "Secret"})
	lid, _ := models.SaveLocation(ctx, gdb, 0, models.LocationInput{Name: "Secret base"})
	bid, err := models.SaveBudget(ctx, gdb, 0, models.BudgetInput{DepartmentID: did, GLAccountID: gid, PeriodStart: "2026-01-01", PeriodEnd: "2026-12-31", Amount: "1"})
	if err != nil {
		t.Fatal(err)
	}
	c := s.admin
	for _, p := range []string{fmt.Sprintf("/vendors/%d", vid), fmt.Sprintf("/admin/departments/%d", did), fmt.Sprintf("/admin/gl-accounts/%d", gid),
		fmt.Sprintf("/admin/locations/%d", lid), fmt.Sprintf("/admin/budgets/%d", bid), fmt.Sprintf("/vendors/%d/history", vid), "/vendors/abc"} {
		if res := c.Get(p); res.Status != http.StatusNotFound || strings.Contains(res.Body, "Secret") {
			t.Errorf("GET %s: %d", p, res.Status)
		}
	}
	for _, p := range []string{fmt.Sprintf("/vendors/%d", vid), fmt.Sprintf("/vendors/%d/archive", vid), fmt.Sprintf("/admin/budgets/%d/archive", bid)} {
		if res := c.Post(p, vendorForm("Mine now")); res.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, res.Status)
		}
	}
	if v, _ := models.GetVendor(ctx, gdb, vid); v.Name != "Globex Secret Supplier" || v.ArchivedAt != nil {
		t.Errorf("globex's vendor changed: %+v", v)
	}
}

func TestSettingsChangeTheDefaultCurrency(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	c := s.admin
	r := htmxPost(c, "/admin/settings", "ref-form", url.Values{"default_currency": {"E"}, "time_zone": {"UTC"}})
	if r.Status != 422 || r.Text("#default_currency-error") == "" {
		t.Errorf("bad currency: %d", r.Status)
	}
	if got := flashAfter(t, c, c.Post("/admin/settings", url.Values{"default_currency": {"EUR"}, "time_zone": {"UTC"}})); got != "Saved the settings." {
		t.Errorf("flash %q", got)
	}
	if v, _ := c.Get("/vendors/new").Doc.Find("#currency option[selected]").Attr("value"); v != "EUR" {
		t.Errorf("new vendors start in %q", v)
	}
	h := c.Get("/admin/settings/history")
	if !strings.Contains(h.Text(".changes"), "EUR") {
		t.Errorf("history %q", h.Text(".changes"))
	}
}
