package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views"
	"outlay/views/bills"
	"outlay/views/dashboard"
	"outlay/views/imports"
	"outlay/views/purchasing"
	"outlay/views/refdata"
	"outlay/views/requisitions"
	"outlay/views/tenantexport"
	"outlay/views/travel"
)

// The kinds of reference data, each served by the shared handlers of refdata.go.
var (
	departmentsRef = &refKind{object: outlay.ObjDepartments, path: "/admin/departments", table: "departments", noun: "department", title: "Departments",
		intro:  "Departments group people for approvals and reporting, and budgets are set per department.",
		fields: departmentFields, blank: noValues, load: loadDepartment, save: saveDepartment, archive: models.ArchiveDepartment}
	locationsRef = &refKind{object: outlay.ObjLocations, path: "/admin/locations", table: "locations", noun: "location", title: "Locations",
		intro:  "Places goods are delivered to. Purchase orders name one.",
		fields: locationFields, blank: noValues, load: loadLocation, save: saveLocation, archive: models.ArchiveLocation}
	vendorsRef = &refKind{object: outlay.ObjVendors, path: vendorsPath, table: "vendors", noun: "vendor", title: "Vendors",
		intro:  "A supplier your organisation buys from. Orders to it are in its currency and paid on its terms.",
		fields: vendorFields, blank: vendorBlank, load: loadVendor, save: saveVendor, archive: models.ArchiveVendor,
		extra: vendorExtra, relatedTable: "vendor_bank_accounts", relatedKey: "vendor_id"}
	glAccountsRef = &refKind{object: outlay.ObjGLAccounts, path: "/admin/gl-accounts", table: "gl_accounts", noun: "GL account", title: "GL accounts",
		intro:  "General-ledger accounts spend is booked to, as your chart of accounts names them.",
		fields: glAccountFields, blank: noValues, load: loadGLAccount, save: saveGLAccount, archive: models.ArchiveGLAccount}
	budgetsRef = &refKind{object: outlay.ObjBudgets, path: "/admin/budgets", table: "budgets", noun: "budget", title: "Budgets",
		intro:  "How much a department may spend on one GL account over a period. Periods of the same department and account may not overlap.",
		fields: budgetFields, blank: budgetBlank, load: loadBudget, save: saveBudget, archive: models.ArchiveBudget,
		extra: budgetUseCard}
)

// vendorsPath is where vendors live (a constant, so that pages about vendors link to them
// without reading vendorsRef).
const vendorsPath = "/vendors"

const settingsPath = "/admin/settings"

var settingsUpdate = policy.Permission{Object: outlay.ObjSettings, Action: outlay.ActUpdate}

func noValues(context.Context, *gorm.DB) (map[string]string, error) { return map[string]string{}, nil }

// idText writes an optional id as a select's value.
func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// selectedID reads a select's value: 0 for none or for anything that is not an id, which
// the models refuse as "choose from the list".
func selectedID(v string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func dayText(t time.Time) string { return t.Format("2 Jan 2006") }

func archivedText(archived bool) string {
	if archived {
		return "Archived"
	}
	return "Active"
}

// stateCell shows a record's status: archived, or label in the given badge class.
func stateCell(archived bool, label, class string) refdata.Cell {
	if archived {
		return refdata.Cell{Text: "Archived", Badge: "badge badge-muted"}
	}
	return refdata.Cell{Text: label, Badge: class}
}

func currencyOptions(have ...string) []refdata.Option {
	codes := money.Offered(have...)
	out := make([]refdata.Option, len(codes))
	for i, c := range codes {
		out[i] = refdata.Option{Value: c, Label: c}
	}
	return out
}

func currencyField(name, label string, cur string) refdata.Field {
	return refdata.Field{Name: name, Label: label, Type: "select", Required: true, Options: currencyOptions(cur)}
}

func nameField(hint string) refdata.Field {
	return refdata.Field{Name: "name", Label: "Name", Type: "text", Max: 200, Required: true, Hint: hint}
}

// ---------- Departments ----------

// departmentHeadLookupPath finds a department's head as the person types.
const departmentHeadLookupPath = "/lookup/people/departments"

func departmentFields(ctx context.Context, db *gorm.DB, cur *refRecord) ([]refdata.Field, error) {
	// Only active people may lead a department (invited ones have not signed in yet): the
	// lookup offers them, and a head since deactivated is shown as such.
	head := refdata.Field{Name: "head", Label: "Head", Type: "lookup", Lookup: departmentHeadLookupPath, Placeholder: "No head",
		Hint: "The person who leads it; approvals can be routed to them."}
	if cur != nil && cur.Values["head"] != "" {
		head.Value, head.Text = cur.Values["head"], cur.Values["head_name"]
		if cur.Values["head_status"] != models.UserActive {
			head.Text += " (no longer active)"
		}
	}
	accounts, err := models.ActiveGLAccounts(ctx, db)
	if err != nil {
		return nil, err
	}
	gls := []refdata.Option{{Value: "", Label: "None"}}
	for _, a := range accounts {
		gls = append(gls, refdata.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Code + " " + a.Name})
	}
	if cur != nil {
		gls = views.KeepOption(gls, cur.Values["default_gl_account"], cur.Values["default_gl_label"]+" (archived)")
	}
	return []refdata.Field{
		nameField(""),
		{Name: "code", Label: "Code", Type: "text", Max: 20, Hint: "Optional: how finance refers to it, such as ENG."},
		head,
		{Name: "default_gl_account", Label: "Default GL account", Type: "select", Options: gls,
			Hint: "Optional: the lines of a requisition for this department start on this account."},
	}, nil
}

func loadDepartment(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error) {
	d, err := models.GetDepartment(ctx, db, id)
	if err != nil {
		return nil, err
	}
	return &refRecord{ID: d.ID, Name: d.Name, Archived: d.ArchivedAt != nil, Version: models.VersionAt(d.UpdatedAt),
		Values: map[string]string{"name": d.Name, "code": d.Code, "head": idText(d.HeadID), "head_name": d.HeadName, "head_status": d.HeadStatus,
			"default_gl_account": idText(d.DefaultGLAccountID), "default_gl_label": d.DefaultGLLabel},
		Facts: []refdata.Fact{{Label: "Code", Value: d.Code}, {Label: "Head", Value: d.HeadName}, {Label: "Members", Value: views.Plural(d.Members, "person", "people")},
			{Label: "Default GL account", Value: defaultGLText(d)},
			{Label: "Status", Value: archivedText(d.ArchivedAt != nil)}, {Label: "Added", Value: dayText(d.CreatedAt)}}}, nil
}

func defaultGLText(d *models.DepartmentRow) string {
	if d.DefaultGLArchived {
		return d.DefaultGLLabel + " (archived)"
	}
	return d.DefaultGLLabel
}

func saveDepartment(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, v map[string]string) (int64, error) {
	in := models.DepartmentInput{FormVersion: read, Name: v["name"], Code: v["code"]}
	if v["head"] != "" {
		head := selectedID(v["head"])
		in.HeadID = &head
	}
	if v["default_gl_account"] != "" {
		gl := selectedID(v["default_gl_account"])
		in.DefaultGLAccountID = &gl
	}
	return models.SaveDepartment(ctx, db, id, in)
}

func (s *Server) departmentsPage(c *fiber.Ctx) error {
	f, mf := refFilterOf(c, departmentsRef.path)
	res, err := models.ListDepartments(c.UserContext(), tenantDB(c), mf)
	if err != nil {
		return err
	}
	l := refdata.List{Filter: f, Total: res.Total, Plural: "departments", SearchHint: "Name, code or head",
		Summary: views.Plural(res.Total, "department", "departments") + " shown. People and budgets belong to departments.",
		Columns: []string{"Name", "Code", "Head", "Members", "Status"}, NumColumns: map[int]bool{3: true},
		EmptyText: "Add the departments of your organisation, then place people in them from the users page."}
	for _, d := range res.Rows {
		l.Rows = append(l.Rows, refdata.Row{ID: d.ID, Name: d.Name, Archived: d.ArchivedAt != nil, Cells: []refdata.Cell{
			{Text: d.Name, Href: refdata.ItemPath(f.Path, d.ID)}, {Text: d.Code}, {Text: d.HeadName},
			{Text: strconv.Itoa(d.Members), Num: true}, stateCell(d.ArchivedAt != nil, "Active", "badge badge-success")}})
	}
	return s.renderRefList(c, departmentsRef, l, res.Offset)
}

// ---------- Locations ----------

func locationFields(context.Context, *gorm.DB, *refRecord) ([]refdata.Field, error) {
	return []refdata.Field{
		nameField("Such as “Head office” or “Berlin warehouse”."),
		{Name: "address", Label: "Address", Type: "textarea", Max: 1000, Hint: "Printed on purchase orders as the delivery address."},
	}, nil
}

func loadLocation(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error) {
	l, err := models.GetLocation(ctx, db, id)
	if err != nil {
		return nil, err
	}
	return &refRecord{ID: l.ID, Name: l.Name, Archived: l.ArchivedAt != nil, Version: models.VersionAt(l.UpdatedAt), Values: map[string]string{"name": l.Name, "address": l.Address},
		Facts: []refdata.Fact{{Label: "Address", Value: l.Address}, {Label: "Status", Value: archivedText(l.ArchivedAt != nil)}, {Label: "Added", Value: dayText(l.CreatedAt)}}}, nil
}

func saveLocation(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, v map[string]string) (int64, error) {
	return models.SaveLocation(ctx, db, id, models.LocationInput{FormVersion: read, Name: v["name"], Address: v["address"]})
}

func (s *Server) locationsPage(c *fiber.Ctx) error {
	f, mf := refFilterOf(c, locationsRef.path)
	res, err := models.ListLocations(c.UserContext(), tenantDB(c), mf)
	if err != nil {
		return err
	}
	l := refdata.List{Filter: f, Total: res.Total, Plural: "locations", SearchHint: "Name or address",
		Summary: views.Plural(res.Total, "location", "locations") + " shown. Goods are delivered to these places.",
		Columns: []string{"Name", "Address", "Status"}, EmptyText: "Add the places your organisation takes deliveries at."}
	for _, r := range res.Rows {
		l.Rows = append(l.Rows, refdata.Row{ID: r.ID, Name: r.Name, Archived: r.ArchivedAt != nil, Cells: []refdata.Cell{
			{Text: r.Name, Href: refdata.ItemPath(f.Path, r.ID)}, {Text: r.Address}, stateCell(r.ArchivedAt != nil, "Active", "badge badge-success")}})
	}
	return s.renderRefList(c, locationsRef, l, res.Offset)
}

// ---------- Vendors ----------

func vendorStatusLabel(status string) string {
	if status == models.VendorOnHold {
		return "On hold"
	}
	return "Active"
}

func termsText(days int) string {
	if days == 0 {
		return "Due on receipt"
	}
	return fmt.Sprintf("Net %d", days)
}

func vendorFields(_ context.Context, _ *gorm.DB, cur *refRecord) ([]refdata.Field, error) {
	currency := ""
	if cur != nil {
		currency = cur.Values["currency"]
	}
	return []refdata.Field{
		nameField(""),
		{Name: "contact_name", Label: "Contact", Type: "text", Max: 200},
		{Name: "email", Label: "Email", Type: "email", Max: 254, Hint: "Where purchase orders are sent."},
		{Name: "phone", Label: "Phone", Type: "text", Max: 50},
		{Name: "tax_id", Label: "Tax ID", Type: "text", Max: 50, Hint: "VAT number, EIN or similar."},
		{Name: "payment_terms", Label: "Payment terms (days)", Type: "number", Required: true, Hint: "Days after the invoice date that payment is due; 0 means on receipt."},
		currencyField("currency", "Currency", currency),
		{Name: "status", Label: "Status", Type: "select", Required: true, Options: []refdata.Option{{Value: models.VendorActive, Label: "Active"}, {Value: models.VendorOnHold, Label: "On hold: no new orders"}}},
		{Name: "address", Label: "Address", Type: "textarea", Max: 1000},
		{Name: "match_mode", Label: "Bill matching", Type: "select", Options: []refdata.Option{{Value: "", Label: "As the organisation matches"},
			{Value: models.MatchThreeWay, Label: "Three-way: bill against order and receipt"}, {Value: models.MatchTwoWay, Label: "Two-way: bill against order"}},
			Hint: "How this vendor's bills are compared with their orders (the organisation's way is set under Bill matching)."},
	}, nil
}

func vendorBlank(ctx context.Context, db *gorm.DB) (map[string]string, error) {
	st, err := models.Settings(ctx, db)
	return map[string]string{"payment_terms": "30", "currency": st.DefaultCurrency, "status": models.VendorActive}, err
}

func loadVendor(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error) {
	v, err := models.GetVendor(ctx, db, id)
	if err != nil {
		return nil, err
	}
	status := vendorStatusLabel(v.Status)
	if v.ArchivedAt != nil {
		status = "Archived"
	}
	return &refRecord{ID: v.ID, Name: v.Name, Archived: v.ArchivedAt != nil, Version: models.VersionAt(v.UpdatedAt),
		Values: map[string]string{"name": v.Name, "contact_name": v.ContactName, "email": v.Email, "phone": v.Phone, "tax_id": v.TaxID,
			"payment_terms": strconv.Itoa(v.PaymentTermsDays), "currency": v.Currency, "status": v.Status, "address": v.Address,
			"match_mode": strOr(v.MatchMode)},
		Facts: []refdata.Fact{{Label: "Contact", Value: v.ContactName}, {Label: "Email", Value: v.Email}, {Label: "Phone", Value: v.Phone},
			{Label: "Tax ID", Value: v.TaxID}, {Label: "Payment terms", Value: termsText(v.PaymentTermsDays)}, {Label: "Currency", Value: v.Currency},
			{Label: "Status", Value: status}, {Label: "Address", Value: v.Address}, {Label: "Bill matching", Value: matchModeText(v.MatchMode)}}}, nil
}

func saveVendor(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, v map[string]string) (int64, error) {
	return models.SaveVendor(ctx, db, id, models.VendorInput{FormVersion: read, Name: v["name"], ContactName: v["contact_name"], Email: v["email"], Phone: v["phone"],
		TaxID: v["tax_id"], PaymentTerms: v["payment_terms"], Currency: v["currency"], Status: v["status"], Address: v["address"],
		MatchMode: ptrTo(v["match_mode"])})
}

// matchModeText says how a vendor's bills are matched.
func matchModeText(mode *string) string {
	if mode == nil {
		return "As the organisation matches"
	}
	return bills.ModeLabel(*mode)
}

func ptrTo(s string) *string { return &s }

func (s *Server) vendorsPage(c *fiber.Ctx) error {
	f, mf := refFilterOf(c, vendorsRef.path)
	res, err := models.ListVendors(c.UserContext(), tenantDB(c), mf)
	if err != nil {
		return err
	}
	l := refdata.List{Filter: f, Total: res.Total, Plural: "vendors", SearchHint: "Name, contact, email or tax ID",
		Summary:   views.Plural(res.Total, "vendor", "vendors") + " shown. Only active vendors can be ordered from.",
		Columns:   []string{"Vendor", "Tax ID", "Terms", "Currency", "Status"},
		EmptyText: "Add the suppliers you buy from, with their payment terms and currency."}
	for _, v := range res.Rows {
		hint := strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{v.ContactName, v.Email}, func(s string) bool { return s == "" }), " · "))
		class := "badge badge-success"
		if v.Status == models.VendorOnHold {
			class = "badge badge-warning"
		}
		l.Rows = append(l.Rows, refdata.Row{ID: v.ID, Name: v.Name, Archived: v.ArchivedAt != nil, Cells: []refdata.Cell{
			{Text: v.Name, Href: refdata.ItemPath(f.Path, v.ID), Hint: hint}, {Text: v.TaxID}, {Text: termsText(v.PaymentTermsDays)},
			{Text: v.Currency}, stateCell(v.ArchivedAt != nil, vendorStatusLabel(v.Status), class)}})
	}
	return s.renderRefList(c, vendorsRef, l, res.Offset)
}

// ---------- GL accounts ----------

func glAccountFields(context.Context, *gorm.DB, *refRecord) ([]refdata.Field, error) {
	return []refdata.Field{
		{Name: "code", Label: "Code", Type: "text", Max: 20, Required: true, Hint: "The account number in your ledger, such as 6000."},
		nameField("Such as “Software”."),
	}, nil
}

func loadGLAccount(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error) {
	g, err := models.GetGLAccount(ctx, db, id)
	if err != nil {
		return nil, err
	}
	return &refRecord{ID: g.ID, Name: g.Code + " " + g.Name, Archived: g.ArchivedAt != nil, Version: models.VersionAt(g.UpdatedAt), Values: map[string]string{"code": g.Code, "name": g.Name},
		Facts: []refdata.Fact{{Label: "Code", Value: g.Code}, {Label: "Name", Value: g.Name}, {Label: "Status", Value: archivedText(g.ArchivedAt != nil)}}}, nil
}

func saveGLAccount(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, v map[string]string) (int64, error) {
	return models.SaveGLAccount(ctx, db, id, models.GLAccountInput{FormVersion: read, Code: v["code"], Name: v["name"]})
}

func (s *Server) glAccountsPage(c *fiber.Ctx) error {
	f, mf := refFilterOf(c, glAccountsRef.path)
	res, err := models.ListGLAccounts(c.UserContext(), tenantDB(c), mf)
	if err != nil {
		return err
	}
	l := refdata.List{Filter: f, Total: res.Total, Plural: "GL accounts", SearchHint: "Code or name",
		Summary: views.Plural(res.Total, "account", "accounts") + " shown. Requisition lines and budgets are booked to these.",
		Columns: []string{"Code", "Name", "Status"}, EmptyText: "Add the expense accounts of your chart of accounts that spend is booked to."}
	for _, g := range res.Rows {
		l.Rows = append(l.Rows, refdata.Row{ID: g.ID, Name: g.Code + " " + g.Name, Archived: g.ArchivedAt != nil, Cells: []refdata.Cell{
			{Text: g.Code, Href: refdata.ItemPath(f.Path, g.ID)}, {Text: g.Name}, stateCell(g.ArchivedAt != nil, "Active", "badge badge-success")}})
	}
	return s.renderRefList(c, glAccountsRef, l, res.Offset)
}

// ---------- Budgets ----------

func budgetFields(ctx context.Context, db *gorm.DB, cur *refRecord) ([]refdata.Field, error) {
	depts, err := models.Departments(ctx, db)
	if err != nil {
		return nil, err
	}
	accounts, err := models.ActiveGLAccounts(ctx, db)
	if err != nil {
		return nil, err
	}
	deptOpts := []refdata.Option{{Value: "", Label: "Choose a department"}}
	for _, d := range depts {
		deptOpts = append(deptOpts, refdata.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	glOpts := []refdata.Option{{Value: "", Label: "Choose a GL account"}}
	for _, g := range accounts {
		glOpts = append(glOpts, refdata.Option{Value: strconv.FormatInt(g.ID, 10), Label: g.Code + " " + g.Name})
	}
	currency := ""
	if cur != nil {
		// An edited budget keeps its department and account even if they were archived since.
		deptOpts = views.KeepOption(deptOpts, cur.Values["department"], cur.Values["department_label"]+" (archived)")
		glOpts = views.KeepOption(glOpts, cur.Values["gl_account"], cur.Values["gl_account_label"]+" (archived)")
		currency = cur.Values["currency"]
	}
	return []refdata.Field{
		{Name: "department", Label: "Department", Type: "select", Required: true, Options: deptOpts},
		{Name: "gl_account", Label: "GL account", Type: "select", Required: true, Options: glOpts},
		{Name: "period_start", Label: "Period starts", Type: "date", Required: true},
		{Name: "period_end", Label: "Period ends", Type: "date", Required: true, Hint: "The last day the budget covers."},
		{Name: "amount", Label: "Amount", Type: "text", Required: true, InputMode: "decimal", Max: 30, Hint: "In the budget's currency, such as 12,500.00."},
		currencyField("currency", "Currency", currency),
	}, nil
}

func budgetBlank(ctx context.Context, db *gorm.DB) (map[string]string, error) {
	st, err := models.Settings(ctx, db)
	y := time.Now().Year()
	return map[string]string{"currency": st.DefaultCurrency,
		"period_start": fmt.Sprintf("%d-01-01", y), "period_end": fmt.Sprintf("%d-12-31", y)}, err
}

func budgetName(b *models.BudgetRow) string {
	return fmt.Sprintf("%s · %s · %s–%s", b.DepartmentName, b.GLLabel(), dayText(b.PeriodStart), dayText(b.PeriodEnd))
}

func loadBudget(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error) {
	b, err := models.GetBudget(ctx, db, id)
	if err != nil {
		return nil, err
	}
	return &refRecord{ID: b.ID, Name: budgetName(b), Archived: b.ArchivedAt != nil, Version: models.VersionAt(b.UpdatedAt),
		Values: map[string]string{"department": strconv.FormatInt(b.DepartmentID, 10), "department_label": b.DepartmentName,
			"gl_account": strconv.FormatInt(b.GLAccountID, 10), "gl_account_label": b.GLLabel(),
			"period_start": b.PeriodStart.Format(models.DateLayout), "period_end": b.PeriodEnd.Format(models.DateLayout),
			"amount": b.Amount().Plain(), "currency": b.Currency},
		Facts: []refdata.Fact{{Label: "Department", Value: b.DepartmentName}, {Label: "GL account", Value: b.GLLabel()},
			{Label: "Period", Value: dayText(b.PeriodStart) + " – " + dayText(b.PeriodEnd)}, {Label: "Amount", Value: b.Amount().String() + " " + b.Currency},
			{Label: "Status", Value: archivedText(b.ArchivedAt != nil)}}}, nil
}

func saveBudget(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, v map[string]string) (int64, error) {
	return models.SaveBudget(ctx, db, id, models.BudgetInput{FormVersion: read, DepartmentID: selectedID(v["department"]), GLAccountID: selectedID(v["gl_account"]),
		PeriodStart: v["period_start"], PeriodEnd: v["period_end"], Amount: v["amount"], Currency: v["currency"]})
}

// budgetFilters adds the department and year filters to the budgets list.
func budgetFilters(c *fiber.Ctx, f *refdata.Filter, mf *models.BudgetFilter) error {
	depts, err := models.AllDepartments(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	dept := refdata.Select{Name: "department", Label: "Department", Any: "All departments"}
	for _, d := range depts {
		v := strconv.FormatInt(d.ID, 10)
		dept.Options = append(dept.Options, refdata.Option{Value: v, Label: d.Name})
		if v == c.Query("department") {
			dept.Value, mf.DepartmentID = v, d.ID
		}
	}
	year := refdata.Select{Name: "year", Label: "Period", Any: "Any period"}
	now := time.Now().Year()
	for y := now + 1; y >= now-4; y-- {
		v := strconv.Itoa(y)
		year.Options = append(year.Options, refdata.Option{Value: v, Label: v})
		if v == c.Query("year") {
			year.Value, mf.Year = v, y
		}
	}
	f.Extra = []refdata.Select{dept, year}
	return nil
}

func (s *Server) budgetsPage(c *fiber.Ctx) error {
	f, rf := refFilterOf(c, budgetsRef.path)
	mf := models.BudgetFilter{RefFilter: rf}
	if err := budgetFilters(c, &f, &mf); err != nil {
		return err
	}
	res, err := models.ListBudgets(c.UserContext(), tenantDB(c), mf)
	if err != nil {
		return err
	}
	ids := make([]int64, len(res.Rows))
	for i := range res.Rows {
		ids[i] = res.Rows[i].ID
	}
	totals, err := models.BudgetTotals(c.UserContext(), tenantDB(c), ids)
	if err != nil {
		return err
	}
	l := refdata.List{Filter: f, Total: res.Total, Plural: "budgets", SearchHint: "Department or GL account",
		Summary: views.Plural(res.Total, "budget", "budgets") + " shown. Each caps one department's spend on one GL account over a period. " +
			"Spent is what has been received, billed without an order and approved, or paid back; committed is approved, ordered or in bill approval but not yet spent.",
		Columns:    []string{"Department", "GL account", "Period", "Amount", "Spent", "Committed", "Remaining", "Status"},
		NumColumns: map[int]bool{3: true, 4: true, 5: true, 6: true},
		EmptyText:  "Set how much each department may spend on each GL account this year."}
	for i := range res.Rows {
		b := &res.Rows[i]
		fig := budgetFiguresOf(b.Budget, totals[b.ID])
		l.Rows = append(l.Rows, refdata.Row{ID: b.ID, Name: budgetName(b), Archived: b.ArchivedAt != nil, Cells: []refdata.Cell{
			{Text: b.DepartmentName, Href: refdata.ItemPath(f.Path, b.ID)}, {Text: b.GLLabel()},
			{Text: dayText(b.PeriodStart) + " – " + dayText(b.PeriodEnd)}, {Text: b.Amount().String(), Hint: b.Currency, Num: true},
			{Text: fig.Spent.String(), Num: true}, {Text: fig.Committed.String(), Num: true},
			{Text: fig.Remaining.String(), Num: true, Meter: &fig.Meter},
			stateCell(b.ArchivedAt != nil, "Active", "badge badge-success")}})
	}
	return s.renderRefList(c, budgetsRef, l, res.Offset)
}

// budgetFigures is a budget's figures as its pages show them.
type budgetFigures struct {
	Spent, Committed, Remaining money.Money
	Meter                       views.BudgetMeter
}

func budgetFiguresOf(b models.Budget, t models.BudgetTotal) budgetFigures {
	m := func(minor int64) money.Money { return money.Money{Minor: minor, Currency: b.Currency} }
	return budgetFigures{Spent: m(t.Spent), Committed: m(t.Committed), Remaining: m(b.AmountMinor - t.Used()),
		Meter: views.BudgetMeter{Percent: t.Percent(b.AmountMinor), Level: t.Level(b.AmountMinor)}}
}

// budgetUseCard shows a budget's figures and the documents that make them up; a document's
// number links to it where the viewer may open it.
func budgetUseCard(s *Server, c *fiber.Ctx, rec *refRecord) (templ.Component, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	b, err := models.GetBudget(ctx, db, rec.ID)
	if err != nil {
		return nil, err
	}
	docs, err := models.BudgetDocuments(ctx, db, rec.ID)
	if err != nil {
		return nil, err
	}
	var t models.BudgetTotal
	ids := map[string][]int64{}
	for _, d := range docs {
		t.Spent, t.Committed = t.Spent+d.Spent, t.Committed+d.Committed
		ids[d.DocType] = append(ids[d.DocType], d.DocID)
	}
	v, visible := s.viewer(c), map[string]map[int64]bool{}
	for docType, list := range ids {
		if k, ok := models.FindDocumentKind(docType); ok && s.can(c, k.Read) {
			if visible[docType], err = models.VisibleDocuments(ctx, db, v, docType, list); err != nil {
				return nil, err
			}
		}
	}
	fig := budgetFiguresOf(b.Budget, t)
	u := views.BudgetUse{Amount: b.Amount().String(), Spent: fig.Spent.String(), Committed: fig.Committed.String(),
		Remaining: fig.Remaining.String(), Meter: fig.Meter}
	stages, err := models.BudgetStages(ctx, db, []int64{rec.ID})
	if err != nil {
		return nil, err
	}
	for _, st := range stages[rec.ID].Stages() {
		u.Stages = append(u.Stages, views.BudgetStage{Name: st.Name, Amount: st.Amount.String()})
	}
	m := func(minor int64) string { return money.Money{Minor: minor, Currency: b.Currency}.String() }
	for _, d := range docs {
		row := views.BudgetDocument{Number: d.Number, Spent: m(d.Spent), Committed: m(d.Committed), StatusClass: "badge badge-muted"}
		switch d.DocType {
		case models.DocRequisition:
			row.Kind, row.Status = "Requisition", requisitions.StatusLabel(d.Status)
		case models.DocPurchaseOrder:
			row.Kind, row.Status = "Purchase order", purchasing.StatusLabel(d.Status)
		case models.DocTravel:
			row.Kind, row.Status = outlay.KindLabel(d.DocType), travel.StatusLabel(d.Status)
		case models.DocBill:
			row.Kind, row.Status = outlay.KindLabel(d.DocType), bills.StatusLabel(d.Status)
		}
		if visible[d.DocType][d.DocID] {
			row.Href = outlay.DocumentPath(d.DocType, d.DocID)
		}
		u.Documents = append(u.Documents, row)
	}
	return views.BudgetUseCard(u), nil
}

// ---------- Organisation settings ----------

func (s *Server) settingsPage(c *fiber.Ctx) error {
	st, err := models.Settings(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	return s.renderSettings(c, http.StatusOK, st, models.SettingsInput{DefaultCurrency: st.DefaultCurrency, TimeZone: st.TimeZone,
		BillToAddress: st.BillToAddress, RemindApproversAfter: strconv.Itoa(st.RemindApproversAfterDays)}, settingsVersion(st), nil)
}

// settingsVersion is the version the forms of the organisation's settings carry when read
// (the settings, the receipt threshold, bill matching): they share one row, st.
func settingsVersion(st models.OrgSettings) views.RecordVersion {
	return views.RecordVersion{Version: models.VersionAt(st.UpdatedAt)}
}

// timeZoneOptions are the time zones the settings offer, with chosen first when it is not
// among them (a zone the tz database knows by another name, or one refused, kept as sent).
func timeZoneOptions(chosen string) []views.Option {
	out := make([]views.Option, 0, len(models.TimeZones)+1)
	if chosen != "" && !slices.Contains(models.TimeZones, chosen) {
		out = append(out, views.Option{Value: chosen, Label: chosen})
	}
	for _, z := range models.TimeZones {
		out = append(out, views.Option{Value: z, Label: z})
	}
	return out
}

// renderSettings shows the settings, st, and their form as in holds them, at version ver.
func (s *Server) renderSettings(c *fiber.Ctx, status int, st models.OrgSettings, in models.SettingsInput, ver views.RecordVersion, errs views.FieldErrors) error {
	csrf := s.csrfToken(c)
	f := refdata.Form{Action: settingsPath, CSRF: csrf, Submit: "Save settings", Errors: views.FieldErrors{}, RecordVersion: ver, Fields: []refdata.Field{
		currencyField("default_currency", "Default currency", st.DefaultCurrency),
		{Name: "time_zone", Label: "Time zone", Type: "select", Value: in.TimeZone, Options: timeZoneOptions(in.TimeZone), Required: true,
			Hint: "History, the audit log and notification digests show times in this zone."},
		{Name: "remind_approvers_after", Label: "Remind approvers after (days)", Type: "number", Value: in.RemindApproversAfter,
			Hint: "An approver whose request has waited longer than this many days is reminded by mail once a day, from 8:00 in the time zone above. 0 or empty: no reminders."},
		{Name: "bill_to_address", Label: "Bill-to address", Type: "textarea", Value: in.BillToAddress, Max: 500,
			Hint: "Where vendors send invoices. New purchase orders carry it; each order's copy can be changed on its page."}}}
	f.Fields[0].Value = in.DefaultCurrency
	f.Fields[0].Hint = "New vendors, budgets and documents start in this currency. Amounts already recorded keep theirs."
	if errs != nil {
		f.Errors = errs
	}
	d := refdata.Detail{Title: "Organisation settings", Subtitle: "Defaults for the whole organisation.", ListPath: dashboard.Path, ListLabel: "Dashboard",
		HistoryPath: settingsPath + "/history", CSRF: csrf, CanUpdate: s.can(c, settingsUpdate), FormTitle: "Money", Form: f,
		Facts: []refdata.Fact{{Label: "Default currency", Value: st.DefaultCurrency}, {Label: "Time zone", Value: st.TimeZone},
			{Label: "Approver reminders", Value: reminderText(st.RemindApproversAfterDays)},
			{Label: "Bill-to address", Value: st.BillToAddress},
			{Label: "Last changed", Value: dayText(st.UpdatedAt)}}, Extra: s.dataLinks(c)}
	p := page{Title: d.Title, Nav: settingsPath, Content: refdata.DetailPage(d),
		Partials: partials{refdata.FormID: refdata.RecordForm(f)}}
	return s.render(c, status, p)
}

// dataLinks leads from the settings to the organisation's data as a whole, its import and
// its export, each shown to whoever may open it and named as the navigation names it; nil
// when they may open neither.
func (s *Server) dataLinks(c *fiber.Ctx) templ.Component {
	var links []views.Link
	if s.mayOpen(c, imports.Path) {
		links = append(links, views.Link{Label: s.navRoutes[imports.Path].NavLabel, Href: imports.Path,
			Hint: "Bring in departments, locations, GL accounts, vendors, people, budgets and more from spreadsheets."})
	}
	if s.mayOpen(c, tenantexport.Path) {
		links = append(links, views.Link{Label: s.navRoutes[tenantexport.Path].NavLabel, Href: tenantexport.Path,
			Hint: "Download one archive of everything your organisation keeps here: every table, every attached file and the audit log."})
	}
	if len(links) == 0 {
		return nil
	}
	return views.LinksCard("data-title", "Your organisation's data", links)
}

func (s *Server) updateSettings(c *fiber.Ctx) error {
	var in models.SettingsInput
	bindForm(c, &in)
	saveErr := models.UpdateSettings(c.UserContext(), tenantDB(c), in)
	errs, err := refErrors(saveErr)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		st, err := models.Settings(c.UserContext(), tenantDB(c))
		if err != nil {
			return err
		}
		return s.renderSettings(c, http.StatusUnprocessableEntity, st, in, shownVersion(in.Version, saveErr, settingsPath), errs)
	}
	s.setFlash(c, "success", "Saved the settings.")
	return redirect(c, settingsPath)
}

// reminderText says when approvers are reminded.
func reminderText(days int) string {
	switch days {
	case 0:
		return "Off"
	case 1:
		return "After 1 day of waiting"
	}
	return "After " + strconv.Itoa(days) + " days of waiting"
}

func (s *Server) settingsHistory(c *fiber.Ctx) error {
	return s.history(c, settingsPath, "History of the organisation settings", settingsPath, "Back to settings",
		models.RecordHistory{Table: "org_settings", RecordID: "1"})
}
