package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/views"
)

// billSite is a tenant where Cleo keys bills in (AP clerk, reporting to Mo), Audi audits,
// Rae requests, Asa administers, and an order of Rae's was received in part.
type billSite struct {
	app                      *testutil.App
	db                       *gorm.DB
	cleo, audi, rae, asa, mo *models.User
	order                    *models.PurchaseOrderDetail
	cleoC, audiC, raeC, asaC *testutil.Client
}

func newBillSite(t *testing.T) *billSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	s := &billSite{db: env.DB(t, acme)}
	s.mo = env.CreateUser(t, acme, "mo@acme.example", "Mo Manager", "approver")
	s.audi = env.CreateUser(t, acme, "audi@acme.example", "Audi Auditor", "auditor")
	s.rae = env.CreateUser(t, acme, "rae@acme.example", "Rae Requester", "requester")
	s.asa = env.CreateUser(t, acme, "asa@acme.example", "Asa Admin", "admin")
	cleo, err := models.CreateUser(context.Background(), s.db, models.NewUser{Email: "cleo@acme.example", Name: "Cleo Clerk",
		Password: testutil.Password, Roles: []string{"ap_clerk"}, ManagerID: &s.mo.ID})
	if err != nil {
		t.Fatal(err)
	}
	s.cleo = cleo
	_, s.order = dbtest.ReceivedOrder(t, s.db, s.rae.ID, s.asa.ID, []string{"10", "2"},
		dbtest.OrderLine{Description: "Toner", Quantity: "10", UnitPrice: 399}, dbtest.OrderLine{Description: "Paper", Quantity: "5", UnitPrice: 2000})
	s.app = testutil.NewApp(t, env)
	for _, p := range []struct {
		u *models.User
		c **testutil.Client
	}{{s.cleo, &s.cleoC}, {s.audi, &s.audiC}, {s.rae, &s.raeC}, {s.asa, &s.asaC}} {
		*p.c = s.app.Client(t, "acme")
		(*p.c).SignIn(p.u.Email, testutil.Password)
		(*p.c).Get("/dashboard") // for its CSRF token
	}
	return s
}

// orderForm is the bill form of the site's order as the new-bill page fills it, with the
// invoice number and date typed; lines sets (quantity, unit price) per order line.
func (s *billSite) orderForm(invoice string, lines ...[2]string) url.Values {
	f := url.Values{"vendor": {strconv.FormatInt(s.order.VendorID, 10)}, "purchase_order": {strconv.FormatInt(s.order.ID, 10)},
		"vendor_invoice_number": {invoice}, "invoice_date": {"2026-03-02"}, "currency": {"USD"}, "form_key": {"k-" + invoice}}
	for i, l := range s.order.Lines {
		q, p := "", ""
		if i < len(lines) {
			q, p = lines[i][0], lines[i][1]
		}
		for k, v := range map[string]string{"order_line": strconv.FormatInt(l.ID, 10), "description": l.Description, "quantity": q,
			"unit_price": p, "tax_rate": "", "gl_account": "", "department": ""} {
			f.Add(k, v)
		}
	}
	return f
}

// enter posts the clerk's bill of the site's order for invoice with intent (save or submit),
// billing toner of the first line at the ordered price, and gives the bill's page.
func (s *billSite) enter(t *testing.T, invoice, intent, toner string) string {
	t.Helper()
	f := s.orderForm(invoice, [2]string{toner, "3.99"})
	f.Set("intent", intent)
	res := s.cleoC.Post("/bills", f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("%s: %d %s", invoice, res.Status, res.Text(".field-error"))
	}
	return res.Location()
}

func (s *billSite) count(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := s.db.Model(&models.Bill{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// The clerk starts a bill from the order: the form offers each line with what was received
// and not yet billed at the ordered price; saved and submitted within tolerance it is matched
// and approved; the invoice file attached to a draft shows beside its form, inline.
func TestBillFromOrderThroughTheForm(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	page := s.cleoC.Get(fmt.Sprintf("/bills/new?order=%d", s.order.ID))
	if page.Status != http.StatusOK {
		t.Fatalf("new bill: %d", page.Status)
	}
	if q := page.Doc.Find(`#line-0-quantity`).AttrOr("value", ""); q != "10" {
		t.Errorf("toner offered %q, want 10 (received, not billed)", q)
	}
	if q, p := page.Doc.Find(`#line-1-quantity`).AttrOr("value", ""), page.Doc.Find(`#line-1-unit_price`).AttrOr("value", ""); q != "2" || p != "20.00" {
		t.Errorf("paper offered %q at %q", q, p)
	}
	if hint := page.Text("#due_date-hint"); !strings.HasSuffix(hint, "'s terms: Due on receipt.") {
		t.Errorf("due hint %q", hint)
	}

	f := s.orderForm("INV-7", [2]string{"4", "3.99"}, [2]string{"2", "20.00"})
	f.Set("intent", "save")
	res := s.cleoC.Post("/bills", f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Status, res.Text(".field-error"))
	}
	draft := res.Location()
	// The same form posted again (a double click): it goes to the bill the first post made,
	// submitting or saving nothing more.
	f.Set("intent", "submit")
	if res := s.cleoC.Post("/bills", f); res.Status != http.StatusSeeOther || res.Location() != draft {
		t.Fatalf("the form posted twice: %d to %q, want %s", res.Status, res.Location(), draft)
	}
	if n := s.count(t); n != 1 {
		t.Fatalf("%d bills after the form was posted twice", n)
	}
	var status string
	if err := s.db.Table("bills").Select("status").Scan(&status).Error; err != nil || status != models.BillDraft {
		t.Errorf("after the second post the bill is %q (%v), want still a draft", status, err)
	}
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	if up := s.cleoC.Upload(draft+"/invoice", "file", "inv-7.pdf", "application/pdf", pdf); up.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d", up.Status)
	}
	edit := s.cleoC.Get(draft)
	if src := edit.Doc.Find(`iframe.bill-invoice-frame`).AttrOr("src", ""); src != draft+"/invoice" {
		t.Errorf("invoice frame %q", src)
	}
	inv := s.cleoC.Get(draft + "/invoice")
	if inv.Status != http.StatusOK || inv.Header.Get("Content-Type") != "application/pdf" || inv.Header.Get("Content-Disposition") != "inline" ||
		inv.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("invoice served %d %v", inv.Status, inv.Header)
	}
	if txt := s.cleoC.Upload(draft+"/invoice", "file", "notes.txt", "text/plain", []byte("hello")); txt.Status != http.StatusSeeOther ||
		!strings.Contains(s.cleoC.Get(draft).Text(".flash-error"), "An invoice must be a PDF or an image") {
		t.Errorf("a text file as invoice: %d", txt.Status)
	}

	f = s.orderForm("INV-7", [2]string{"4", "3.99"}, [2]string{"2", "20.00"})
	f.Set("intent", "submit")
	if res := s.cleoC.Post(draft, f); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	shown := s.cleoC.Get(draft)
	if got := shown.Text("#bill-match"); got != "Matched" {
		t.Errorf("match %q", got)
	}
	if st := shown.Text(".page-header .badge"); !strings.HasPrefix(st, "Approved") {
		t.Errorf("status %q", st)
	}
	// The order says where its value stands: $15.96 of toner and $40.00 of paper billed, six
	// cartridges received and not billed ($23.94), three boxes still to come ($60.00).
	if got := s.cleoC.Get(fmt.Sprintf("/purchase-orders/%d", s.order.ID)).Text("#order-stages"); got != "Purchased $60.00 · Received $23.94 · Billed $55.96" {
		t.Errorf("order stages %q", got)
	}
	// What is left to bill: 6 toner, no paper.
	again := s.cleoC.Get(fmt.Sprintf("/bills/new?order=%d", s.order.ID))
	if q0, q1 := again.Doc.Find(`#line-0-quantity`).AttrOr("value", ""), again.Doc.Find(`#line-1-quantity`).AttrOr("value", ""); q0 != "6" || q1 != "" {
		t.Errorf("after the bill: toner %q paper %q", q0, q1)
	}
}

// Bad input comes back beside its field with a 422, and nothing is saved.
func TestBillBadInputThroughTheForm(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	cases := []struct {
		name, field string
		form        func() url.Values
	}{
		{"negative quantity", "line-0-quantity", func() url.Values { return s.orderForm("B-1", [2]string{"-3", "3.99"}) }},
		{"due before invoice", "due_date", func() url.Values {
			f := s.orderForm("B-2", [2]string{"1", "3.99"})
			f.Set("due_date", "2026-03-01")
			return f
		}},
		{"another currency", "currency", func() url.Values {
			f := s.orderForm("B-3", [2]string{"1", "3.99"})
			f.Set("currency", "EUR")
			return f
		}},
		{"no invoice number", "vendor_invoice_number", func() url.Values { return s.orderForm("", [2]string{"1", "3.99"}) }},
		{"invoice dated next month", "invoice_date", func() url.Values {
			f := s.orderForm("B-4", [2]string{"1", "3.99"})
			f.Set("invoice_date", time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly))
			return f
		}},
	}
	for _, c := range cases {
		f := c.form()
		f.Set("intent", "save")
		res := s.cleoC.Post("/bills", f)
		if res.Status != http.StatusUnprocessableEntity || res.Text(`[id="`+c.field+`-error"]`) == "" {
			t.Errorf("%s: %d, error beside %s %q", c.name, res.Status, c.field, res.Text(`[id="`+c.field+`-error"]`))
		}
	}
	if err := s.db.Model(&models.PurchaseOrder{ID: s.order.ID}).Update("status", models.POClosed).Error; err != nil {
		t.Fatal(err)
	}
	f := s.orderForm("B-5", [2]string{"1", "3.99"})
	f.Set("intent", "save")
	if res := s.cleoC.Post("/bills", f); res.Status != http.StatusUnprocessableEntity ||
		res.Text(`[id="purchase_order-error"]`) != s.order.Number+" is closed, so it can no longer be billed." {
		t.Errorf("closed order: %d %q", res.Status, res.Text(`[id="purchase_order-error"]`))
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d bills saved from bad input", n)
	}
}

// AP clerks and auditors see bills; a requester gets 404 for one and an empty list; a held
// bill is released by the admin with a reason from its page.
func TestBillAccessAndRelease(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	f := s.orderForm("H-1", [2]string{"12", "3.99"})
	f.Set("intent", "submit")
	res := s.cleoC.Post("/bills", f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	path := res.Location()
	held := s.cleoC.Get(path)
	if got := held.Text("#bill-lines .line-note"); got != "billed 12, received 10" {
		t.Errorf("held note %q", got)
	}
	if held.Doc.Find(`form[action="`+path+`/release"]`).Length() != 0 {
		t.Error("the clerk who entered it is offered the release")
	}
	for name, c := range map[string]*testutil.Client{"auditor": s.audiC, "admin": s.asaC} {
		if r := c.Get(path); r.Status != http.StatusOK {
			t.Errorf("%s: %d", name, r.Status)
		}
	}
	if r := s.raeC.Get(path); r.Status != http.StatusNotFound {
		t.Errorf("requester: %d", r.Status)
	}
	if r := s.raeC.Get(path + "/invoice"); r.Status != http.StatusNotFound {
		t.Errorf("requester's invoice: %d", r.Status)
	}
	if list := s.raeC.Get("/bills"); list.Status != http.StatusOK || strings.Contains(list.Body, "H-1") {
		t.Errorf("requester's list: %d", list.Status)
	}
	if list := s.audiC.Get("/bills"); !strings.Contains(list.Text("#bills-table"), "H-1") {
		t.Error("auditor's list misses the bill")
	}

	page := s.asaC.Get(path)
	if page.Doc.Find(`form[action="`+path+`/release"]`).Length() != 1 {
		t.Fatal("admin not offered the release")
	}
	if r := s.asaC.Post(path+"/release", url.Values{"reason": {" "}}); r.Status != http.StatusUnprocessableEntity || r.Text("#reason-error") == "" {
		t.Errorf("release without reason: %d", r.Status)
	}
	if r := s.asaC.Post(path+"/release", url.Values{"reason": {"Two extra kept, agreed with the vendor"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.Status)
	}
	after := s.audiC.Get(path)
	if after.Text("#bill-match") != "Released" || !strings.Contains(after.Body, "Two extra kept, agreed with the vendor") {
		t.Errorf("after release: %q", after.Text("#bill-match"))
	}
}

// The rule editor offers bills with their own conditions: a rule for held bills of a vendor
// over a price variance routes such a bill to the admins; the same conditions on a
// requisition rule are refused beside their fields.
func TestBillApprovalRuleFromTheEditor(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	s.asaC.Get("/admin/approval-rules/new")
	f := ruleForm("Held Toner bills", [3]string{"role", "", "admin"})
	f.Set("doc_type", "bill")
	f.Set("vendor", strconv.FormatInt(s.order.VendorID, 10))
	f.Set("match", "held")
	f.Set("min_variance", "5")
	if res := s.asaC.Post("/admin/approval-rules", f); res.Status != http.StatusSeeOther {
		t.Fatalf("bill rule: %d %s", res.Status, res.Text(".field-error"))
	}
	list := s.asaC.Get("/admin/approval-rules").Text("table")
	if !strings.Contains(list, "held by its match") || !strings.Contains(list, "a price 5% or more over the order") {
		t.Errorf("rule list %q", list)
	}
	req := ruleForm("Held requisitions", [3]string{"role", "", "admin"})
	req.Set("match", "held")
	if res := s.asaC.Post("/admin/approval-rules", req); res.Status != http.StatusUnprocessableEntity ||
		res.Text(`[id="match-error"]`) != "Only bill rules can have this condition." {
		t.Errorf("requisition rule with a match: %d %q", res.Status, res.Text(`[id="match-error"]`))
	}

	held := s.orderForm("RV-1", [2]string{"1", "4.20"})
	held.Set("intent", "submit")
	res := s.cleoC.Post("/bills", held)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", res.Status)
	}
	if got := s.cleoC.Get(res.Location()).Text(".page-header p"); !strings.Contains(got, "Waiting for anyone with the role Admin.") {
		t.Errorf("route %q", got)
	}
}

// A vendor's bills may be matched two-way though the organisation matches three-way: set on
// the vendor's form, said on its page, and used by the next bill, which may then bill what was
// ordered but not yet received.
func TestVendorMatchModeFromItsForm(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	path := fmt.Sprintf("/vendors/%d", s.order.VendorID)
	page := s.cleoC.Get(path)
	if page.Doc.Find(`select[name="match_mode"]`).Length() != 1 {
		t.Fatalf("no matching choice on the vendor's form: %d", page.Status)
	}
	v := s.order.Vendor
	form := url.Values{"name": {v.Name}, "contact_name": {v.ContactName}, "email": {v.Email}, "phone": {v.Phone}, "tax_id": {v.TaxID},
		"payment_terms": {"30"}, "currency": {v.Currency}, "status": {v.Status}, "address": {v.Address}, "match_mode": {models.MatchTwoWay}}
	if res := s.cleoC.Post(path, form); res.Status != http.StatusSeeOther {
		t.Fatalf("save vendor: %d %s", res.Status, res.Text(".field-error"))
	}
	if got := s.cleoC.Get(path).Body; !strings.Contains(got, "Two-way (bill against order)") {
		t.Error("the vendor's page does not say how its bills are matched")
	}
	// Three paper boxes were ordered beyond the two received: two-way, all five may be billed.
	f := s.orderForm("TW-1", [2]string{"", ""}, [2]string{"5", "20.00"})
	f.Set("intent", "submit")
	res := s.cleoC.Post("/bills", f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	if got := s.cleoC.Get(res.Location()).Text("#bill-match"); got != "Matched" {
		t.Errorf("two-way bill of what was ordered: %q", got)
	}
}

// The bill list's export holds what the page shows with its status tab, search and match
// filter, and only the bills the viewer may see: none of the clerk's for a requester.
func TestBillExportHonoursFiltersAndVisibility(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	held := s.orderForm("H-1", [2]string{"12", "3.99"})
	held.Set("intent", "submit")
	draft := s.orderForm("D-2", [2]string{"1", "3.99"})
	draft.Set("intent", "save")
	for _, f := range []url.Values{held, draft} {
		if res := s.cleoC.Post("/bills", f); res.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", f.Get("vendor_invoice_number"), res.Status, res.Text(".field-error"))
		}
	}
	if page := s.cleoC.Get("/bills?status=draft&q=D"); page.Doc.Find(`[data-export="/bills/export?q=D&status=draft"]`).Length() != 1 {
		t.Errorf("the list offers no export of its filters: %s", page.Text("#bill-results"))
	}
	// The tabs count the bills by status in one statement, which gives the list's total too.
	log := &statementLog{}
	log.register(t, s.db)
	for _, tc := range []struct {
		path, tabs string
		rows       int
	}{
		{"/bills", "All 2 | Draft 1 | Pending approval 1", 2},
		{"/bills?status=draft", "All 2 | Draft 1 | Pending approval 1", 1},
		{"/bills?q=H-1", "All 1 | Pending approval 1", 1},
		{"/bills?status=paid", "All 2 | Draft 1 | Pending approval 1 | Paid 0", 0},
	} {
		var page *testutil.Response
		stmts := log.during(func() { page = s.cleoC.Get(tc.path) })
		counted := 0
		for _, st := range stmts {
			if strings.Contains(st.sql, "count(") && strings.Contains(st.sql, "bills") {
				counted++
			}
		}
		var shown []string
		page.Doc.Find(".req-tabs a").Each(func(_ int, a *goquery.Selection) {
			shown = append(shown, strings.Join(strings.Fields(a.Text()), " "))
		})
		tabs := strings.Join(shown, " | ")
		if counted != 1 || tabs != tc.tabs || page.Doc.Find("#bills-table tbody tr").Length() != tc.rows {
			t.Errorf("%s: counted %d times, tabs %q, %d rows; want once, %q, %d rows", tc.path, counted, tabs, page.Doc.Find("#bills-table tbody tr").Length(), tc.tabs, tc.rows)
		}
	}
	for _, tc := range []struct {
		c    *testutil.Client
		path string
		want []string // the "Vendor invoice" column, in any order
	}{
		{s.cleoC, "/bills/export", []string{"D-2", "H-1"}},
		{s.cleoC, "/bills/export?match=held", []string{"H-1"}},
		{s.cleoC, "/bills/export?status=draft", []string{"D-2"}},
		{s.audiC, "/bills/export?q=H-1", []string{"H-1"}},
		{s.audiC, "/bills/export?status=paid", nil},
		{s.raeC, "/bills/export", nil}, // Rae sees no bill of the clerk's
		{s.raeC, "/bills/export?q=H-1", nil},
	} {
		head, rows := csvExport(t, tc.c, tc.path)
		got := column(head, rows, "Vendor invoice")
		if head == nil || (got == nil && len(rows) > 0) || len(head) < 10 {
			t.Errorf("%s: no column in %q", tc.path, head)
			continue
		}
		if strings.Join(sorted(got), "|") != strings.Join(sorted(tc.want), "|") {
			t.Errorf("%s: %q, want %q", tc.path, got, tc.want)
		}
	}
}

// A matching mode or spent basis the form does not offer is refused under its buttons, and
// the choice in force stays ticked; nothing changes.
func TestBillMatchingRefusesAChoiceItDoesNotOffer(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	s.asaC.Get("/admin/bill-matching")
	res := s.asaC.Post("/admin/bill-matching", url.Values{"mode": {"bogus"}, "spent_basis": {"sideways"}, "price_percent": {"5"}, "quantity_percent": {"0"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#mode-error") == "" || res.Text("#spent_basis-error") == "" {
		t.Fatalf("bogus choices: %d, mode %q, spent basis %q", res.Status, res.Text("#mode-error"), res.Text("#spent_basis-error"))
	}
	if res.Doc.Find(`input[name="mode"][checked]`).Length() != 1 || res.Doc.Find(`input[name="spent_basis"][checked]`).Length() != 1 {
		t.Error("the choices in force are not ticked on the refused form")
	}
}

// Someone who only sees the bills routed to them is not invited to key one in: the empty
// list says bills come to them for approval, and offers no New bill.
func TestEmptyBillListSaysWhatItHoldsForAnApprover(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk")
	for who, want := range map[string]string{"max@acme.example": "No bills for you", "cleo@acme.example": "No bills yet"} {
		c := app.Client(t, "acme")
		c.SignIn(who, testutil.Password)
		res := c.Get("/bills")
		if got := res.Text(".empty-state h2"); got != want {
			t.Errorf("%s's empty bills: %q, want %q", who, got, want)
		}
		if offers := res.Doc.Find(`.empty-state a[href="/bills/new"]`).Length() == 1; offers != (want == "No bills yet") {
			t.Errorf("%s is offered a new bill: %v", who, offers)
		}
	}
}

// The clerk's dashboard says what is left to do with the organisation's bills, each line a
// link to the list of those bills: drafts, bills in approval and those of them held at
// matching, approved bills to pay, and those past their due date. A requester, who sees
// only their own bills, is not shown the card.
func TestDashboardShowsTheBillsLeftToDo(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	card := func(c *testutil.Client) *goquery.Selection {
		t.Helper()
		return c.Get("/dashboard").Doc.Find(`section[aria-labelledby="card-bills"]`)
	}
	empty := card(s.cleoC)
	if n, note := empty.Find(`[data-testid="bills-open"]`).Text(), strings.Join(strings.Fields(empty.Find("p.muted").Text()), " "); n != "0" || note != "Every bill is paid. Enter a bill" {
		t.Errorf("no bill yet: %q, %q", n, note)
	}
	if href, _ := empty.Find("a").Attr("href"); href != "/bills/new" {
		t.Errorf("enter a bill links to %q", href)
	}

	for _, b := range []struct {
		invoice, intent string
		toner           [2]string
	}{{"OK-1", "submit", [2]string{"4", "3.99"}}, {"H-1", "submit", [2]string{"12", "3.99"}}, {"D-1", "save", [2]string{"1", "3.99"}}} {
		f := s.orderForm(b.invoice, b.toner)
		f.Set("intent", b.intent)
		if res := s.cleoC.Post("/bills", f); res.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", b.invoice, res.Status, res.Text(".field-error"))
		}
	}
	// Time passes: the approved bill and the one still in approval fall due. Both are owed,
	// and the aging the line links to counts both.
	if err := s.db.Exec(`UPDATE bills SET due_date = current_date - 3 WHERE vendor_invoice_number IN ('OK-1', 'H-1') AND status IN ('approved', 'submitted')`).Error; err != nil {
		t.Fatal(err)
	}
	c := card(s.cleoC)
	if got := c.Find(`[data-testid="bills-open"]`).Text(); got != "3" {
		t.Errorf("bills not yet paid: %q, want 3", got)
	}
	want := map[string]string{
		"Drafts to finish 1":    "/bills?status=draft",
		"Pending approval 1":    "/bills?status=submitted",
		"Held at matching 1":    "/bills?match=held&status=submitted",
		"Approved, to pay 1":    "/bills?status=approved",
		"Past their due date 2": "/bills/aging",
	}
	lines := c.Find(`[data-testid="bills-work"] li`)
	if lines.Length() != len(want) {
		t.Errorf("%d lines, want %d: %q", lines.Length(), len(want), strings.Join(strings.Fields(c.Text()), " "))
	}
	lines.Each(func(_ int, li *goquery.Selection) {
		text := strings.Join(strings.Fields(li.Text()), " ")
		href, _ := li.Find("a").Attr("href")
		if want[text] != href {
			t.Errorf("line %q links to %q, want %q", text, href, want[text])
		}
	})
	// The list's summary counts each status, so that a tab's list is not read against the
	// total of all of them.
	if got := s.cleoC.Get("/bills?status=draft").Text(".page-header p"); !strings.HasPrefix(got, "3 bills: 1 draft, ") {
		t.Errorf("the list's summary: %q", got)
	}
	// The held line's list is the held bill's alone.
	held := s.cleoC.Get("/bills?match=held&status=submitted").Text("#bills-table")
	if !strings.Contains(held, "H-1") || strings.Contains(held, "OK-1") || strings.Contains(held, "D-1") {
		t.Errorf("held bills: %q", held)
	}
	if card(s.raeC).Length() != 0 {
		t.Error("the requester is shown the organisation's bills")
	}
	if c := card(s.audiC); c.Find(`[data-testid="bills-open"]`).Text() != "3" || strings.Contains(c.Text(), "Enter a bill") {
		t.Errorf("the auditor's card: %q", strings.Join(strings.Fields(c.Text()), " "))
	}
}

// A bill entered in error is voided with the reason, from its form while a draft and from
// its page once submitted: it leaves approval, its quantities are billable again, and it is
// listed as void with who voided it and why. Without a reason, or while a payment run pays it,
// or once an accounting export carried it to the ledger, the void is refused beside the reason,
// which is kept. A requester may not void.
func TestVoidABillEnteredInError(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	ok, held, draft := s.enter(t, "OK-1", "submit", "4"), s.enter(t, "H-1", "submit", "12"), s.enter(t, "D-1", "save", "1")
	offered := func() string {
		return s.cleoC.Get(fmt.Sprintf("/bills/new?order=%d", s.order.ID)).Doc.Find(`#line-0-quantity`).AttrOr("value", "")
	}
	if q := offered(); q != "0" && q != "" {
		t.Errorf("toner offered %q with 16 of 10 billed", q)
	}

	// A draft, from its form: a reason first.
	if form := s.cleoC.Get(draft); form.Doc.Find(`#bill-void form[action="`+draft+`/void"]`).Length() != 1 {
		t.Fatal("the draft's form does not offer the void")
	}
	res := s.cleoC.Post(draft+"/void", url.Values{"void_reason": {"  "}})
	if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Text("#void_reason-error"), "Say why the bill is void") ||
		res.Doc.Find("#bill-form").Length() != 1 {
		t.Errorf("no reason: %d %q", res.Status, res.Text("#void_reason-error"))
	}
	if res := s.cleoC.Post(draft+"/void", url.Values{"void_reason": {"Keyed twice"}}); res.Status != http.StatusSeeOther || res.Location() != draft {
		t.Fatalf("void the draft: %d %q", res.Status, res.Location())
	}

	// A bill in approval, from its page: it leaves its approvers' queues.
	heldID, _ := strconv.ParseInt(held[strings.LastIndexByte(held, '/')+1:], 10, 64)
	statusOf := func(id int64) (st string) {
		s.db.Table("bills").Where("id = ?", id).Select("status").Scan(&st)
		return st
	}
	s.raeC.Post(held+"/void", url.Values{"void_reason": {"Not mine to void"}})
	if st := statusOf(heldID); st != models.BillSubmitted {
		t.Errorf("after the requester's post the bill is %q", st)
	}
	if res := s.cleoC.Post(held+"/void", url.Values{"void_reason": {"The vendor withdrew invoice H-1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("void the held bill: %d %s", res.Status, res.Text("#void_reason-error"))
	}
	var open int64
	s.db.Model(&models.ApprovalStep{}).Where("doc_type = 'bill' AND doc_id = ? AND status IN ('waiting', 'pending')", heldID).Count(&open)
	if open != 0 {
		t.Errorf("%d approval steps still open on the void bill", open)
	}
	page := s.cleoC.Get(held)
	if !strings.Contains(page.Text("#bill-voided"), "By Cleo Clerk on") || !strings.HasSuffix(page.Text("#bill-voided"), ": The vendor withdrew invoice H-1") ||
		page.Doc.Find("#bill-void").Length() != 0 || !strings.Contains(page.Text(".page-header"), "Void") || page.Doc.Find("#bill-match").Length() != 0 {
		t.Errorf("the void bill's page: %q, still offered %d", page.Text("#bill-voided"), page.Doc.Find("#bill-void").Length())
	}
	if q := offered(); q != "6" {
		t.Errorf("toner offered %q once H-1 is void, want 6 (10 received, 4 billed)", q)
	}
	if list := s.cleoC.Get("/bills?status=void").Text("#bills-table"); !strings.Contains(list, "H-1") || !strings.Contains(list, "D-1") || strings.Contains(list, "OK-1") {
		t.Errorf("void bills listed: %q", list)
	}

	// An approved bill a payment run pays, then one an export carried.
	okID := ok[strings.LastIndexByte(ok, '/')+1:]
	today := time.Now().Format(time.DateOnly)
	res = s.cleoC.Post("/payments", url.Values{"currency": {"USD"}, "method": {"ach"}, "due_by": {today}, "pay_on": {today},
		"bill": {okID}, "amount." + okID: {"15.96"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("payment run: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	run := res.Location()
	res = s.cleoC.Post(ok+"/void", url.Values{"void_reason": {"Duplicate of INV-7"}})
	if res.Status != http.StatusConflict || !strings.HasPrefix(res.Text("#void_reason-error"), "Payment run PAY-") || res.Doc.Find("#void_reason").Text() != "Duplicate of INV-7" {
		t.Errorf("paid by a run: %d %q, reason kept %q", res.Status, res.Text("#void_reason-error"), res.Doc.Find("#void_reason").Text())
	}
	if r := s.cleoC.Post(run+"/cancel", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel the run: %d %s", r.Status, r.Text(".flash, .field-error"))
	}
	if _, err := models.CreateExportBatch(context.Background(), s.db, s.asa.ID); err != nil {
		t.Fatal(err)
	}
	res = s.cleoC.Post(ok+"/void", url.Values{"void_reason": {"Duplicate of INV-7"}})
	if res.Status != http.StatusConflict || !strings.Contains(res.Text("#void_reason-error"), "carried this bill to the ledger") {
		t.Errorf("exported: %d %q", res.Status, res.Text("#void_reason-error"))
	}
	okNum, _ := strconv.ParseInt(okID, 10, 64)
	if st := statusOf(okNum); st != models.BillApproved {
		t.Errorf("the refused bill is %q", st)
	}
}

// A bill that comes to nothing (a coded line priced at zero, an order's line billed at a
// price of zero) is refused with a 422 saying so beside the lines, what was typed kept,
// and nothing stored: there are no credit notes, so a zero bill is a mistake. A cent is a bill.
func TestABillThatComesToNothingIsRefused(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	gl, dept := models.GLAccount{Code: "6100", Name: "Consulting"}, models.Department{Name: "Finance", Code: "FIN"}
	for _, v := range []any{&gl, &dept} {
		if err := s.db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	coded := func(invoice, price string) url.Values {
		return url.Values{"vendor": {strconv.FormatInt(s.order.VendorID, 10)}, "vendor_text": {"Vendor"}, "purchase_order": {""},
			"vendor_invoice_number": {invoice}, "invoice_date": {"2026-03-02"}, "currency": {"USD"}, "form_key": {"k-" + invoice},
			"intent": {"submit"}, "order_line": {""}, "description": {"Advice"}, "quantity": {"1"}, "unit_price": {price}, "tax_rate": {"10"},
			"gl_account": {strconv.FormatInt(gl.ID, 10)}, "department": {strconv.FormatInt(dept.ID, 10)}}
	}
	ofOrder := s.orderForm("Z-2", [2]string{"2", "0"})
	ofOrder.Set("intent", "submit")
	want := "This bill's total is zero: enter the quantities and prices the invoice bills. An invoice that asks for nothing needs no bill."
	for name, c := range map[string]struct {
		form       url.Values
		field, typ string
	}{
		"a coded line at zero":    {coded("Z-1", "0.00"), "#line-0-unit_price", "0.00"},
		"an order's line at zero": {ofOrder, "#line-0-unit_price", "0"},
	} {
		res := s.cleoC.Post("/bills", c.form)
		if got := res.Text("#lines-error"); res.Status != http.StatusUnprocessableEntity || got != want {
			t.Errorf("%s: %d %q, want %q", name, res.Status, got, want)
		}
		if typed := res.Doc.Find(c.field).AttrOr("value", ""); typed != c.typ {
			t.Errorf("%s: %s shown again as %q, want %q", name, c.field, typed, c.typ)
		}
	}
	if n := s.count(t); n != 0 {
		t.Fatalf("%d bills stored that come to nothing", n)
	}
	if res := s.cleoC.Post("/bills", coded("Z-3", "0.01")); res.Status != http.StatusSeeOther {
		t.Fatalf("a bill of a cent: %d %q", res.Status, res.Text(".field-error"))
	}
}

// A bill from an order refused for the order itself (closed meanwhile, or another currency
// posted than the order's) says so beside the order it names, which points at the message
// and is marked invalid as a field would be, and keeps what was typed.
func TestABillFromAnOrderRefusedForItsOrderSaysSoBesideIt(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	f := s.orderForm("INV-77", [2]string{"2", "3.99"})
	f.Set("intent", "save")
	f.Set("currency", "EUR")
	f.Set("memo", "Toner for the second floor")
	res := s.cleoC.Post("/bills", f)
	group := res.Doc.Find(".bill-order")
	if res.Status != http.StatusUnprocessableEntity || group.AttrOr("aria-invalid", "") != "true" ||
		!strings.Contains(group.AttrOr("aria-describedby", ""), "currency-error") || !strings.Contains(group.Find("#currency-error").Text(), "must be in USD") {
		t.Fatalf("another currency: %d, group %q described by %q, %q", res.Status, group.AttrOr("aria-invalid", ""),
			group.AttrOr("aria-describedby", ""), group.Find("#currency-error").Text())
	}
	if err := s.db.Model(&models.PurchaseOrder{ID: s.order.ID}).Update("status", models.POClosed).Error; err != nil {
		t.Fatal(err)
	}
	f.Set("currency", "USD")
	res = s.cleoC.Post("/bills", f)
	group = res.Doc.Find(".bill-order")
	if res.Status != http.StatusUnprocessableEntity || group.AttrOr("aria-invalid", "") != "true" ||
		group.Find("#purchase_order-error").Text() != s.order.Number+" is closed, so it can no longer be billed." {
		t.Fatalf("closed order: %d, group %q, %q", res.Status, group.AttrOr("aria-invalid", ""), group.Find("#purchase_order-error").Text())
	}
	if got := res.Doc.Find("#vendor_invoice_number").AttrOr("value", ""); got != "INV-77" {
		t.Errorf("invoice number came back as %q", got)
	}
	if got := res.Text("#memo"); got != "Toner for the second floor" {
		t.Errorf("memo came back as %q", got)
	}
	if got := res.Doc.Find("#line-0-quantity").AttrOr("value", ""); got != "2" {
		t.Errorf("first line's quantity came back as %q", got)
	}
	if res.Text(".form-error") != views.FieldsMarked {
		t.Errorf("above the form: %q", res.Text(".form-error"))
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d bills saved", n)
	}
}
