package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"outlay"
	"outlay/internal/testutil"
	"outlay/models"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"
)

// spendFixture is an organisation with spend at each stage: Engineering (headed by Hana) has
// a USD requisition approved and not ordered and one in EUR; Sales has a USD order from a
// vendor whose name looks like a spreadsheet formula, half of its stands received.
type spendFixture struct {
	env        *testutil.Env
	app        *testutil.App
	db         *gorm.DB
	hana       *models.User
	engUSD     testutil.Purchase
	engEUR     testutil.Purchase
	sold       testutil.Purchase
	eng, sales models.Department
	vendor     string
	year       int
}

func newSpendFixture(t *testing.T) *spendFixture {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	f := &spendFixture{env: env, year: time.Now().UTC().Year(), vendor: `=HYPERLINK("http://evil.example","Stands")`}
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	hana := env.CreateUser(t, acme, "hana@acme.example", "Hana Head", "approver")
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "aud@acme.example", "Audrey Auditor", "auditor")
	f.eng = models.Department{Name: "Engineering", Code: "ENG", HeadID: &hana.ID}
	f.sales = models.Department{Name: "Sales", Code: "SAL"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Create(&f.eng).Error)
	must(db.Create(&f.sales).Error)
	approved := func(dept models.Department, currency string) testutil.Purchase {
		p := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
		must(db.Model(&p.Requisition).Updates(map[string]any{"department_id": dept.ID, "currency": currency, "decided_at": time.Now()}).Error)
		return p
	}
	f.db, f.hana = db, hana
	f.engUSD = approved(f.eng, "USD")
	f.engEUR = approved(f.eng, "EUR")
	sold := approved(f.sales, "USD")
	f.sold = sold
	must(db.Model(&sold.Vendor).Update("name", f.vendor).Error)
	ctx := context.Background()
	po, err := models.CreatePurchaseOrder(ctx, db, models.Viewer{UserID: ana.ID, Roles: []string{"admin"}, SeeAllKinds: []string{outlay.DocRequisition}}, sold.Requisition.ID)
	must(err)
	var stand models.PurchaseOrderLine
	must(db.Where("purchase_order_id = ? AND position = 1", po.ID).First(&stand).Error)
	_, err = models.RecordReceipt(ctx, db, ana.ID, po.ID, models.ReceiptInput{Quantities: map[int64]string{stand.ID: "5"}})
	must(err)
	f.app = testutil.NewApp(t, env)
	return f
}

func (f *spendFixture) client(t *testing.T, email string) *testutil.Client {
	c := f.app.Client(t, "acme")
	c.SignIn(email, testutil.Password)
	return c
}

// spendTable reads a section's table: row label → its amounts.
func spendTable(res *testutil.Response, section string) map[string][]string {
	out := map[string][]string{}
	res.Doc.Find("#" + section + " table tr").Each(func(_ int, tr *goquerySelection) {
		label := strings.TrimSpace(tr.Find("th").First().Text())
		var amounts []string
		tr.Find("td").Each(func(_ int, td *goquerySelection) { amounts = append(amounts, strings.TrimSpace(td.Text())) })
		if len(amounts) > 0 {
			out[label] = amounts
		}
	})
	return out
}

// Whoever may see every department's spend sees each department at each stage; the EUR
// requisition has a section of its own and is in no USD figure; the chart names its bars.
func TestSpendReportShowsEachStageAndKeepsCurrenciesApart(t *testing.T) {
	t.Parallel()
	f := newSpendFixture(t)
	c := f.client(t, "ana@acme.example")
	res := c.Get("/reports/spend")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	// Each requisition: 10 stands at $25 + 20% tax and 4 cables at $10 = $340.00; half the
	// stands received = $150.00.
	usd := spendTable(res, "spend-usd")
	want := map[string][]string{
		"Engineering": {"$340.00", "$0.00", "$0.00", "$0.00"},
		"Sales":       {"$0.00", "$340.00", "$150.00", "$0.00"},
		"Total":       {"$340.00", "$340.00", "$150.00", "$0.00"},
	}
	for label, amounts := range want {
		if strings.Join(usd[label], " ") != strings.Join(amounts, " ") {
			t.Errorf("USD %s: %v, want %v", label, usd[label], amounts)
		}
	}
	if len(usd) != len(want) {
		t.Errorf("USD rows %v", usd)
	}
	eur := spendTable(res, "spend-eur")
	if strings.Join(eur["Engineering"], " ") != "€340.00 €0.00 €0.00 €0.00" || strings.Join(eur["Total"], " ") != "€340.00 €0.00 €0.00 €0.00" {
		t.Errorf("EUR rows %v", eur)
	}
	if !strings.Contains(res.Text("#spend-eur .spend-note"), "not converted") {
		t.Errorf("EUR note %q", res.Text("#spend-eur .spend-note"))
	}
	if res.Doc.Find("#spend-usd").Index() > res.Doc.Find("#spend-eur").Index() {
		t.Error("the default currency does not come first")
	}
	svg := res.Doc.Find("#spend-usd svg[role=img]")
	if svg.Find("title").Text() != "Spend in USD by department" || !strings.Contains(svg.Find("desc").Text(), "Sales: committed $0.00, ordered $340.00, received $150.00") {
		t.Errorf("chart title %q desc %q", svg.Find("title").Text(), svg.Find("desc").Text())
	}
	if n := svg.Find("rect.spend-bar").Length(); n != 8 {
		t.Errorf("%d bars, want 2 departments × 4 stages", n)
	}
	// The roles page offers the permission that widens the report, though no route needs it alone.
	if roles := c.Get("/admin/roles"); roles.Doc.Find(`table.matrix th[scope="row"]:contains("See every department's spend")`).Length() != 1 {
		t.Error("the roles page does not offer every department's spend")
	}
	// The page is in the navigation, and the download keeps the filters.
	if c.Get("/dashboard").Doc.Find(`nav.nav a[href="/reports/spend"]`).Length() != 1 {
		t.Error("no navigation link")
	}
	res = c.Get("/reports/spend?group=month&stage=received&currency=usd")
	if res.Status != http.StatusOK || res.Text("h1") != "Spend by month" {
		t.Fatalf("by month: %d %q", res.Status, res.Text("h1"))
	}
	month := time.Now().UTC().Format("January 2006")
	if got := spendTable(res, "spend-usd"); strings.Join(got[month], " ") != "$150.00" || res.Doc.Find("#spend-eur").Length() != 0 {
		t.Errorf("received by month in USD: %v", got)
	}
	if href, _ := res.Doc.Find(`#spend-export a[data-format="csv"]`).Attr("href"); !strings.HasPrefix(href, "/reports/spend/export?") || !strings.Contains(href, "group=month") || !strings.Contains(href, "currency=USD") {
		t.Errorf("download link %q", href)
	}
}

// Wrong filter values are named beside their fields with a 422, never an error page: on the
// report, and on its download's address, which shows the report's filters as given and says
// that nothing was downloaded.
func TestSpendReportRefusesBadFiltersBesideTheField(t *testing.T) {
	t.Parallel()
	f := newSpendFixture(t)
	c := f.client(t, "ana@acme.example")
	for _, tc := range []struct{ query, field, msg string }{
		{"group=colour", "#group-error", "Choose a grouping"},
		{"stage=paid", "#stage-error", "Choose a stage"},
		{"from=2026-13-01&to=2026-12-31", "#from-error", "“2026-13-01” is not a date: choose the first day of the period."},
		{"from=2026-01-01&to=31/12/2026", "#to-error", "“31/12/2026” is not a date: choose the last day of the period."},
		{"from=2026-01-01", "#to-error", "Enter the last day"},
		{"from=2026-02-01&to=2026-01-01", "#to-error", "1 January 2026 is before the first day, 1 February 2026: choose a last day on or after it."},
		{"from=2000-01-01&to=2026-01-01", "#to-error", "at most 10 years"},
		{"currency=dollars", "#currency-error", "three-letter"},
		{"department=999999", "#department-error", "Choose one of the departments"},
		{"department=x'%3B--", "#department-error", "Choose one of the departments"},
		{"period=forever", ".flash-error", "no such period"},
	} {
		res := c.Get("/reports/spend?" + tc.query)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(tc.field), tc.msg) {
			t.Errorf("%s: %d %q", tc.query, res.Status, res.Text(tc.field))
		}
		if res.Doc.Find(".spend-section").Length() != 0 || res.Doc.Find("#spend-export").Length() != 0 {
			t.Errorf("%s: figures shown under a wrong filter", tc.query)
		}
		// The field refused is marked and points at its message.
		if id, ok := strings.CutSuffix(tc.field, "-error"); ok && strings.HasPrefix(id, "#") {
			field := res.Doc.Find("form.spend-filters " + id)
			if field.AttrOr("aria-invalid", "") != "true" || field.AttrOr("aria-describedby", "") != strings.TrimPrefix(tc.field, "#") {
				t.Errorf("%s: %s is marked %q and described by %q", tc.query, id, field.AttrOr("aria-invalid", ""), field.AttrOr("aria-describedby", ""))
			}
		}
		res = c.Get("/reports/spend/export?" + tc.query)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(tc.field), tc.msg) {
			t.Errorf("download %s: %d %q", tc.query, res.Status, res.Text(tc.field))
		}
		if res.Doc.Find("form.spend-filters").Length() != 1 || res.Doc.Find(".spend-section").Length() != 0 {
			t.Errorf("download %s: not the report's filters", tc.query)
		}
		if tc.field != ".flash-error" && !strings.HasPrefix(res.Text(".spend-filters .flash-error"), "Nothing was downloaded") {
			t.Errorf("download %s: the page says %q above the filters", tc.query, res.Text(".spend-filters .flash-error"))
		}
		// The days and the currency given stay in their fields.
		given, _ := url.ParseQuery(tc.query)
		for _, name := range []string{"from", "to", "currency"} {
			if got, _ := res.Doc.Find("form.spend-filters input#" + name).Attr("value"); given.Get(name) != "" && !strings.EqualFold(got, given.Get(name)) {
				t.Errorf("download %s: %s holds %q", tc.query, name, got)
			}
		}
	}
}

// A department head sees their own department's spend only: Sales is in no table, no chart
// and no choice, and asking for it is refused.
func TestSpendReportShowsADepartmentHeadOnlyTheirDepartment(t *testing.T) {
	t.Parallel()
	f := newSpendFixture(t)
	c := f.client(t, "hana@acme.example")
	res := c.Get("/reports/spend")
	if res.Status != http.StatusOK {
		t.Fatalf("head: %d", res.Status)
	}
	usd := spendTable(res, "spend-usd")
	if strings.Join(usd["Engineering"], " ") != "$340.00 $0.00 $0.00 $0.00" || len(usd) != 2 {
		t.Errorf("head's USD rows %v", usd)
	}
	if strings.Contains(res.Body, "Sales") || strings.Contains(res.Body, "HYPERLINK") {
		t.Error("the head sees Sales' spend")
	}
	if !strings.Contains(res.Text("#spend-scope"), "Engineering") {
		t.Errorf("scope note %q", res.Text("#spend-scope"))
	}
	for _, group := range []string{"vendor", "gl_account", "month"} {
		if body := c.Get("/reports/spend?group=" + group).Body; strings.Contains(body, "$340.00") && strings.Contains(body, "$150.00") {
			t.Errorf("by %s the head sees the Sales order", group)
		}
	}
	if res := c.Get("/reports/spend?department=" + strconv.FormatInt(f.sales.ID, 10)); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("head asking for Sales: %d", res.Status)
	}
	// The auditor reads every department's.
	if usd := spendTable(f.client(t, "aud@acme.example").Get("/reports/spend"), "spend-usd"); len(usd) != 3 {
		t.Errorf("auditor's USD rows %v", usd)
	}
}

// The download is the table: same rows and totals per currency, plain amounts, a safe file
// name, and a cell that starts like a formula is escaped.
func TestSpendReportCSVExport(t *testing.T) {
	t.Parallel()
	f := newSpendFixture(t)
	c := f.client(t, "ana@acme.example")
	res := c.Get("/reports/spend/export?group=vendor&period=this-year")
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %q", res.Status, res.Header.Get("Content-Type"))
	}
	wantName := `attachment; filename="spend-by-vendor-` + strconv.Itoa(f.year) + `-01-01-to-` + strconv.Itoa(f.year) + `-12-31.csv"`
	if got := res.Header.Get("Content-Disposition"); got != wantName {
		t.Errorf("disposition %q, want %q", got, wantName)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "Currency,Vendor,Committed,Ordered,Received,Spent" {
		t.Errorf("header %v", rows[0])
	}
	byVendor := map[string]string{}
	for _, r := range rows[1:] {
		byVendor[r[0]+" "+r[1]] = strings.Join(r[2:], " ")
		if strings.ContainsAny(r[1][:1], "=+-@") {
			t.Errorf("cell %q runs as a formula", r[1])
		}
	}
	if byVendor["USD '"+f.vendor] != "0.00 340.00 150.00 0.00" || byVendor["USD Total"] != "340.00 340.00 150.00 0.00" || byVendor["EUR Total"] != "340.00 0.00 0.00 0.00" {
		t.Errorf("rows %v", byVendor)
	}
	if len(rows) != 1+3+2 { // USD: two vendors and the total; EUR: one vendor and the total
		t.Errorf("%d rows: %v", len(rows), rows)
	}
	// The page's table says the same.
	page := spendTable(c.Get("/reports/spend?group=vendor&period=this-year"), "spend-usd")
	if strings.Join(page[f.vendor], " ") != "$0.00 $340.00 $150.00 $0.00" {
		t.Errorf("page row %v", page[f.vendor])
	}
	// The same table as a workbook and as JSON Lines, amounts as numbers.
	res = c.Get("/reports/spend/export?group=vendor&period=this-year&format=xlsx")
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") ||
		!strings.HasSuffix(res.Header.Get("Content-Disposition"), `.xlsx"`) {
		t.Fatalf("xlsx: %d %v", res.Status, res.Header)
	}
	book, err := excelize.OpenReader(strings.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	if sheetRows, _ := book.GetRows("Sheet1"); len(sheetRows) != len(rows) || strings.Join(sheetRows[len(sheetRows)-1], " ") != "EUR Total 340 0 0 0" {
		t.Errorf("xlsx rows %q, csv rows %q", sheetRows, rows)
	}
	res = c.Get("/reports/spend/export?group=vendor&period=this-year&format=jsonl")
	lines := strings.Split(strings.TrimSpace(res.Body), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || len(lines) != len(rows)-1 {
		t.Fatalf("jsonl %d lines: %v %q", len(lines), err, res.Body)
	}
	if last["currency"] != "EUR" || last["group"] != "Total" || last["committed"] != 340.0 {
		t.Errorf("jsonl total %v", last)
	}
	if res := c.Get("/reports/spend/export?format=pdf"); res.Status != http.StatusBadRequest {
		t.Errorf("unknown format: %d", res.Status)
	}
	// One stage: one amount column.
	res = c.Get("/reports/spend/export?stage=ordered&currency=USD")
	rows, _ = csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	if len(rows) == 0 || strings.Join(rows[0], ",") != "Currency,Department,Ordered" || strings.Join(rows[len(rows)-1], ",") != "USD,Total,340.00" {
		t.Errorf("ordered only: %v", rows)
	}
}

// A department head whose location is the warehouse also sees the Sales order delivered
// there. The location filter narrows the report to one location's deliveries; a location
// outside what the person may see is refused beside the field.
func TestSpendReportLocationScopeAndFilter(t *testing.T) {
	t.Parallel()
	f := newSpendFixture(t)
	warehouse, office, depot := models.Location{Name: "Warehouse"}, models.Location{Name: "Head office"}, models.Location{Name: "Depot"}
	for _, l := range []*models.Location{&warehouse, &office, &depot} {
		if err := f.db.Create(l).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct {
		model any
		loc   int64
	}{{&f.sold.Requisition, warehouse.ID}, {&f.engUSD.Requisition, office.ID}, {f.hana, warehouse.ID}} {
		if err := f.db.Model(u.model).Update("location_id", u.loc).Error; err != nil {
			t.Fatal(err)
		}
	}
	c := f.client(t, "hana@acme.example")
	res := c.Get("/reports/spend")
	usd := spendTable(res, "spend-usd")
	if res.Status != http.StatusOK || strings.Join(usd["Engineering"], " ") != "$340.00 $0.00 $0.00 $0.00" ||
		strings.Join(usd["Sales"], " ") != "$0.00 $340.00 $150.00 $0.00" || len(usd) != 3 {
		t.Errorf("head at the warehouse: %d %v", res.Status, usd)
	}
	if got := res.Text("#spend-scope"); !strings.Contains(got, "Engineering") || !strings.Contains(got, "Warehouse") {
		t.Errorf("scope note %q", got)
	}
	var choices []string
	res.Doc.Find("#location option").Each(func(_ int, o *goquerySelection) { choices = append(choices, strings.TrimSpace(o.Text())) })
	// Hana's own, and those of Engineering's requisitions (the EUR one's is still its own).
	if strings.Join(choices, ",") != "Every location,Head office,Warehouse,"+f.engEUR.Location.Name {
		t.Errorf("location choices %v", choices)
	}
	for loc, want := range map[int64]map[string]string{
		warehouse.ID: {"Sales": "$0.00 $340.00 $150.00 $0.00", "Total": "$0.00 $340.00 $150.00 $0.00"},
		office.ID:    {"Engineering": "$340.00 $0.00 $0.00 $0.00", "Total": "$340.00 $0.00 $0.00 $0.00"},
	} {
		res := c.Get("/reports/spend?location=" + strconv.FormatInt(loc, 10))
		got := map[string]string{}
		for k, v := range spendTable(res, "spend-usd") {
			got[k] = strings.Join(v, " ")
		}
		if res.Status != http.StatusOK || len(got) != len(want) || res.Doc.Find("#spend-eur").Length() != 0 {
			t.Errorf("location %d: %d %v, want %v", loc, res.Status, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("location %d, %s: %q, want %q", loc, k, got[k], v)
			}
		}
		if v, _ := res.Doc.Find("#location option[selected]").Attr("value"); v != strconv.FormatInt(loc, 10) {
			t.Errorf("location %d: the filter shows %q", loc, v)
		}
		if href, _ := res.Doc.Find(`#spend-export a[data-format="csv"]`).Attr("href"); !strings.Contains(href, "location="+strconv.FormatInt(loc, 10)) {
			t.Errorf("location %d: CSV link %q", loc, href)
		}
	}
	for _, q := range []string{"location=" + strconv.FormatInt(depot.ID, 10), "location=999999", "location=x'%3B--"} {
		res := c.Get("/reports/spend?" + q)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#location-error"), "Choose one of the locations") {
			t.Errorf("%s: %d %q", q, res.Status, res.Text("#location-error"))
		}
	}
	// Whoever sees all spend may choose any location, one with no deliveries included.
	res = f.client(t, "ana@acme.example").Get("/reports/spend?location=" + strconv.FormatInt(depot.ID, 10))
	if res.Status != http.StatusOK || res.Doc.Find(".spend-section").Length() != 0 {
		t.Errorf("admin at the depot: %d, %d sections", res.Status, res.Doc.Find(".spend-section").Length())
	}
}

// The outside tester's case: an approved bill without an order for Engineering on GL 6400 is
// in the report by vendor, by department and by GL account, on the page and in its
// downloads, as spent; a bill still in approval is committed; a void bill is nowhere. The
// report's figures for Engineering / 6400 are its budget's.
func TestSpendReportCountsBillsWithoutAnOrderAsTheBudgetDoes(t *testing.T) {
	t.Parallel()
	f := newSpendFixture(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var ana models.User
	must(f.db.Where("email = ?", "ana@acme.example").First(&ana).Error)
	adatum := models.Vendor{Name: "Adatum Consulting", Currency: "USD", Status: models.VendorActive}
	consulting := models.GLAccount{Code: "6400", Name: "Consulting"}
	must(f.db.Create(&adatum).Error)
	must(f.db.Create(&consulting).Error)
	today := time.Now().UTC()
	budget := models.Budget{DepartmentID: f.eng.ID, GLAccountID: consulting.ID, AmountMinor: 10_000_00, Currency: "USD",
		PeriodStart: time.Date(f.year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(f.year, 12, 31, 0, 0, 0, 0, time.UTC)}
	must(f.db.Create(&budget).Error)
	for i, b := range []struct {
		status string
		amount int64
	}{{models.BillApproved, 4800_00}, {models.BillSubmitted, 75_00}, {models.BillVoid, 999_00}} {
		n := "BILL-00000" + strconv.Itoa(i+3)
		bill := models.Bill{Number: n, VendorID: adatum.ID, VendorInvoiceNumber: n, InvoiceDate: today, DueDate: today.AddDate(0, 0, 30),
			Currency: "USD", SubtotalMinor: b.amount, TotalMinor: b.amount, Status: b.status, MatchStatus: models.MatchNone, EnteredByID: ana.ID}
		if b.status == models.BillVoid {
			bill.VoidedByID, bill.VoidedAt, bill.VoidReason = &ana.ID, &today, "Sent twice"
		}
		must(f.db.Create(&bill).Error)
		must(f.db.Create(&models.BillLine{BillID: bill.ID, Position: 1, Description: "Architecture review", QuantityMilli: 1000,
			UnitPriceMinor: b.amount, AmountMinor: b.amount, GLAccountID: &consulting.ID, DepartmentID: &f.eng.ID, MatchStatus: models.MatchNone}).Error)
	}
	c := f.client(t, "ana@acme.example")
	for _, tc := range []struct{ group, row, want string }{
		{"vendor", "Adatum Consulting", "$75.00 $0.00 $0.00 $4,800.00"},
		{"department", "Engineering", "$415.00 $0.00 $0.00 $4,800.00"},
		{"gl_account", "6400 Consulting", "$75.00 $0.00 $0.00 $4,800.00"},
		{"month", today.Format("January 2006"), "$415.00 $340.00 $150.00 $4,800.00"},
	} {
		if got := spendTable(c.Get("/reports/spend?group="+tc.group), "spend-usd"); strings.Join(got[tc.row], " ") != tc.want {
			t.Errorf("by %s: %s %v, want %s", tc.group, tc.row, got[tc.row], tc.want)
		}
	}
	page := c.Get("/admin/budgets/" + strconv.FormatInt(budget.ID, 10))
	if page.Text("#budget-spent") != "$4,800.00" || page.Text("#budget-committed") != "$75.00" {
		t.Errorf("budget spent %q committed %q, the report's $4,800.00 and $75.00", page.Text("#budget-spent"), page.Text("#budget-committed"))
	}
	res := c.Get("/reports/spend/export?group=vendor&period=this-year")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	must(err)
	byVendor := map[string]string{}
	for _, r := range rows[1:] {
		byVendor[r[0]+" "+r[1]] = strings.Join(r[2:], " ")
	}
	if byVendor["USD Adatum Consulting"] != "75.00 0.00 0.00 4800.00" || byVendor["USD Total"] != "415.00 340.00 150.00 4800.00" {
		t.Errorf("csv rows %v", byVendor)
	}
	res = c.Get("/reports/spend/export?group=vendor&period=this-year&format=xlsx")
	book, err := excelize.OpenReader(strings.NewReader(res.Body))
	must(err)
	defer book.Close()
	sheet, err := book.GetRows("Sheet1")
	must(err)
	var found bool
	for _, r := range sheet {
		found = found || strings.Join(r, " ") == "USD Adatum Consulting 75 0 0 4800"
	}
	if !found {
		t.Errorf("xlsx rows %q", sheet)
	}
}
