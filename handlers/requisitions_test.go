package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// reqSite is a tenant with reference data and people: Rita and Rob request, Ada audits.
type reqSite struct {
	app                *testutil.App
	acme               tenancy.Tenant
	rita, rob, ada     *models.User
	dept, vendor, euro int64
	onHold, gl, gl2    int64
}

func newReqSite(t *testing.T) *reqSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	s := &reqSite{acme: acme}
	s.rita = env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	s.rob = env.CreateUser(t, acme, "rob@acme.example", "Rob Requester", "requester")
	s.ada = env.CreateUser(t, acme, "ada@acme.example", "Ada Auditor", "auditor")
	s.app = testutil.NewApp(t, env)
	db := s.db(t)
	create := func(v any) {
		if err := db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	d := models.Department{Name: "Engineering", Code: "ENG"}
	create(&d)
	v := models.Vendor{Name: "Paper Co", Currency: "USD", Status: models.VendorActive}
	create(&v)
	e := models.Vendor{Name: "Euro Supplies", Currency: "EUR", Status: models.VendorActive}
	create(&e)
	h := models.Vendor{Name: "Held Ltd", Currency: "USD", Status: models.VendorOnHold}
	create(&h)
	g := models.GLAccount{Code: "6100", Name: "Office supplies"}
	create(&g)
	g2 := models.GLAccount{Code: "6200", Name: "Software"}
	create(&g2)
	s.dept, s.vendor, s.euro, s.onHold, s.gl, s.gl2 = d.ID, v.ID, e.ID, h.ID, g.ID, g2.ID
	return s
}

func (s *reqSite) db(t *testing.T) *gorm.DB { return s.app.DB(t, s.acme) }

func (s *reqSite) client(t *testing.T, u *models.User) *testutil.Client {
	t.Helper()
	c := s.app.Client(t, "acme")
	c.SignIn(u.Email, testutil.Password)
	c.Get("/dashboard")
	return c
}

// reqForm is a complete requisition form with lines, each {description, quantity, price, gl}.
func (s *reqSite) reqForm(lines ...[4]string) url.Values {
	f := url.Values{"department": {ids(s.dept)}, "vendor": {ids(s.vendor)}, "needed_by": {time.Now().AddDate(0, 0, 7).Format("2006-01-02")},
		"justification": {"New starters need desks"}, "intent": {"save"}}
	for _, l := range lines {
		f.Add("description", l[0])
		f.Add("quantity", l[1])
		f.Add("unit_price", l[2])
		f.Add("tax_rate", "")
		f.Add("gl_account", l[3])
	}
	return f
}

// stored reads requisition id with its lines, as the database has it.
func (s *reqSite) stored(t *testing.T, id int64) models.Requisition {
	t.Helper()
	var r models.Requisition
	if err := s.db(t).First(&r, id).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db(t).Where("requisition_id = ?", id).Order("position").Find(&r.Lines).Error; err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *reqSite) count(t *testing.T) int64 {
	var n int64
	if err := s.db(t).Model(&models.Requisition{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// draft saves a draft as u through the form and returns its id.
func (s *reqSite) draft(t *testing.T, c *testutil.Client, lines ...[4]string) int64 {
	t.Helper()
	c.Get("/requisitions/new")
	res := c.Post("/requisitions", s.reqForm(lines...))
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/requisitions/") {
		t.Fatalf("save draft: %d %q %s", res.Status, res.Location(), res.Text(".field-error, .flash"))
	}
	var r models.Requisition
	if err := s.db(t).Order("id DESC").First(&r).Error; err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func TestRequisitionDraftIsSavedWithServerTotals(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	empty := c.Get("/requisitions")
	if empty.Status != 200 || empty.Text(".empty-state h2") != "No requisitions yet" || empty.Doc.Find(`.empty-state a[href="/requisitions/new"]`).Length() != 1 {
		t.Fatalf("empty list: %d %q", empty.Status, empty.Text(".empty-state"))
	}
	form := c.Get("/requisitions/new")
	if form.Status != 200 || form.Doc.Find("#requisition-form fieldset.req-line").Length() != 1 {
		t.Fatalf("new form: %d, %d rows", form.Status, form.Doc.Find("fieldset.req-line").Length())
	}
	if v, _ := form.Doc.Find(`#requisition-form input[name="_csrf"]`).Attr("value"); v == "" {
		t.Error("the form carries no CSRF token")
	}
	// A blank row is dropped, not refused.
	res := c.Post("/requisitions", s.reqForm([4]string{"Desk", "2", "199.99", ids(s.gl)}, [4]string{"", "", "", ""}, [4]string{"Chair", "2.5", "80", ""}))
	if got := flashAfter(t, c, res); got != "Draft saved." {
		t.Errorf("flash %q", got)
	}
	s.draft(t, c, [4]string{"Lamp", "1", "10", ""})
	var first models.Requisition
	if err := s.db(t).Order("id").First(&first).Error; err != nil {
		t.Fatal(err)
	}
	r := s.stored(t, first.ID)
	if r.Status != models.RequisitionDraft || r.Number != nil || r.Currency != "USD" || r.RequesterID != s.rita.ID {
		t.Errorf("stored %+v", r)
	}
	if len(r.Lines) != 2 || r.Lines[1].Description != "Chair" || r.Lines[1].QuantityMilli != 2500 || r.Lines[1].AmountMinor != 20000 {
		t.Fatalf("lines %+v", r.Lines)
	}
	if r.SubtotalMinor != 39998+20000 || r.TotalMinor != 59998 {
		t.Errorf("totals %d %d", r.SubtotalMinor, r.TotalMinor)
	}
	// Its page is the form again, as stored, with the totals.
	page := c.Get(res.Location())
	if page.Status != 200 || page.Doc.Find("fieldset.req-line").Length() != 2 {
		t.Fatalf("edit page: %d rows %d", page.Status, page.Doc.Find("fieldset.req-line").Length())
	}
	if v, _ := page.Doc.Find("#line-1-quantity").Attr("value"); v != "2.5" {
		t.Errorf("quantity shown as %q", v)
	}
	if got := page.Text("#requisition-totals dd.req-total"); got != "$599.98" {
		t.Errorf("total shown %q", got)
	}
	// The list shows both drafts, with counts.
	list := c.Get("/requisitions")
	if got := list.Text(".page-header p"); got != "2 requisitions: 2 draft." {
		t.Errorf("summary %q", got)
	}
	if n := list.Doc.Find("#requisition-results tbody tr").Length(); n != 2 {
		t.Errorf("%d rows listed", n)
	}
	// Choosing a euro vendor prices in euros.
	f := s.reqForm([4]string{"Desk", "1", "1.234,5", ""})
	f.Set("vendor", ids(s.euro))
	res = c.Post("/requisitions/"+ids(first.ID), f)
	if res.Status != 422 || res.Text("#line-0-unit_price-error") == "" {
		t.Errorf("1.234,5 accepted: %d", res.Status)
	}
	f.Set("unit_price", "1234.5")
	res = c.Post("/requisitions/"+ids(first.ID), f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save in euros: %d %s", res.Status, res.Text(".field-error"))
	}
	if r := s.stored(t, first.ID); r.Currency != "EUR" || r.TotalMinor != 123450 || len(r.Lines) != 1 {
		t.Errorf("after edit %+v", r)
	}
}

func TestRequisitionRefusalShowsErrorsBesideFieldsAndStoresNothing(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "requisition-form")
	bad := s.reqForm([4]string{"Desk", "2", "10", ids(s.gl)}, [4]string{"Chair", "-1", "abc", ""}, [4]string{"", "3", "", ""})
	bad.Set("needed_by", "31/12/2026")
	res := c.Post("/requisitions", bad)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.Status)
	}
	if res.Doc.Find("form#requisition-form").Length() != 1 || res.Doc.Find(".sidebar").Length() != 0 {
		t.Error("htmx did not get the form alone")
	}
	for _, field := range []string{"line-1-quantity", "line-1-unit_price", "line-2-description", "line-2-unit_price", "needed_by"} {
		if res.Text("#"+field+"-error") == "" {
			t.Errorf("no message beside %s", field)
		}
		if v, _ := res.Doc.Find("#" + field).Attr("aria-invalid"); v != "true" {
			t.Errorf("%s not marked invalid", field)
		}
	}
	if v, _ := res.Doc.Find("#line-1-unit_price").Attr("value"); v != "abc" {
		t.Errorf("what was typed is lost: %q", v)
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d requisitions stored", n)
	}
	c.Header.Del("HX-Target")
	c.Header.Del("HX-Request")

	// A bad line leaves a stored draft exactly as it was.
	id := s.draft(t, c, [4]string{"Desk", "2", "10", ids(s.gl)})
	before := s.stored(t, id)
	bad = s.reqForm([4]string{"Desk renamed", "3", "10", ids(s.gl)}, [4]string{"Chair", "0", "5", ""})
	bad.Set("justification", "changed")
	if res := c.Post("/requisitions/"+ids(id), bad); res.Status != 422 || res.Text("#line-1-quantity-error") != "Enter a quantity above zero." {
		t.Fatalf("bad edit: %d %q", res.Status, res.Text("#line-1-quantity-error"))
	}
	after := s.stored(t, id)
	if after.Justification != before.Justification || after.TotalMinor != before.TotalMinor || len(after.Lines) != 1 || after.Lines[0].Description != "Desk" {
		t.Errorf("half-saved: %+v", after)
	}
	// Unknown references are refused beside their fields.
	bad = s.reqForm([4]string{"Desk", "1", "1", "999999"})
	bad.Set("department", "999999")
	res = c.Post("/requisitions/"+ids(id), bad)
	if res.Status != 422 || res.Text("#department-error") == "" || res.Text("#line-0-gl_account-error") == "" {
		t.Errorf("unknown ids: %d %q %q", res.Status, res.Text("#department-error"), res.Text("#line-0-gl_account-error"))
	}
}

func TestRequisitionLinesAreAddedAndRemovedInline(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "requisition-lines")
	f := s.reqForm([4]string{"Desk", "2", "10", ""}, [4]string{"Chair", "1", "5", ""})
	f.Set("op", "add")
	res := c.Post("/requisitions/lines", f)
	if res.Status != 200 || res.Doc.Find("section#requisition-lines").Length() != 1 || res.Doc.Find("#requisition-form").Length() != 0 {
		t.Fatalf("add: %d %s", res.Status, res.Body)
	}
	rows := res.Doc.Find("fieldset.req-line")
	if rows.Length() != 3 {
		t.Fatalf("%d rows after add", rows.Length())
	}
	if _, ok := res.Doc.Find("#line-2-description").Attr("autofocus"); !ok {
		t.Error("the new row's description does not take the focus")
	}
	if v, _ := res.Doc.Find("#line-1-description").Attr("value"); v != "Chair" {
		t.Errorf("typed rows lost: %q", v)
	}
	if got := res.Text("#requisition-totals dd.req-total"); got != "$25.00" {
		t.Errorf("total after add %q", got)
	}
	f.Del("op")
	f.Set("remove_line", "0")
	res = c.Post("/requisitions/lines", f)
	if n := res.Doc.Find("fieldset.req-line").Length(); n != 1 {
		t.Fatalf("%d rows after removing one of two", n)
	}
	if v, _ := res.Doc.Find("#line-0-description").Attr("value"); v != "Chair" {
		t.Errorf("the wrong row was removed: %q left", v)
	}
	if got := res.Text("#requisition-totals dd.req-total"); got != "$5.00" {
		t.Errorf("total after remove %q", got)
	}
	// Without JavaScript the button posts the whole form and gets the whole page back.
	c.Header.Del("HX-Target")
	c.Header.Del("HX-Request")
	f.Del("remove_line")
	f.Set("op", "add")
	res = c.Post("/requisitions/lines", f)
	if res.Status != 200 || res.Doc.Find("form#requisition-form fieldset.req-line").Length() != 3 || res.Doc.Find(".sidebar").Length() != 1 {
		t.Errorf("add without JavaScript: %d, %d rows", res.Status, res.Doc.Find("fieldset.req-line").Length())
	}
	if n := s.count(t); n != 0 {
		t.Errorf("lines endpoint stored %d requisitions", n)
	}
}

func TestRequisitionLiveTotalIsComputedOnTheServer(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	c.Header.Set("HX-Request", "true")
	f := s.reqForm([4]string{"Desk", "3", "19.99", ""}, [4]string{"Chair", "x", "5", ""}, [4]string{"Pens", "0.5", "3", ""})
	f.Set("tax_rate", "20") // the first row's
	res := c.Post("/requisitions/totals", f)
	if res.Status != 200 {
		t.Fatalf("totals: %d", res.Status)
	}
	// 3 × 19.99 = 59.97 taxed 11.99; 0.5 × 3 = 1.50; the unparsable row adds nothing.
	if got := res.Text("#requisition-totals dd.req-total"); got != "$73.46" {
		t.Errorf("total %q", got)
	}
	for i, want := range []string{"$59.97", "—", "$1.50"} {
		amt := res.Doc.Find("#line-" + itoa(int64(i)) + "-amount")
		if oob, _ := amt.Attr("hx-swap-oob"); oob != "true" || strings.TrimSpace(amt.Text()) != want {
			t.Errorf("row %d amount %q oob %q, want %q", i, amt.Text(), oob, want)
		}
	}
	f.Set("vendor", ids(s.euro))
	if got := c.Post("/requisitions/totals", f).Text("#requisition-totals dd.req-total"); got != "€73.46" {
		t.Errorf("euro total %q", got)
	}
}

// A requester cannot reach another requester's draft in any way: by URL, by form, or by list.
func TestRequisitionsOfOthersAreNotFound(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	rob := s.client(t, s.rob)
	id := s.draft(t, rob, [4]string{"Rob's secret desk", "1", "10", ids(s.gl)})
	rita := s.client(t, s.rita)
	path := "/requisitions/" + ids(id)
	if res := rita.Get(path); res.Status != 404 {
		t.Errorf("GET another's draft: %d", res.Status)
	}
	for _, p := range []string{path, path + "/withdraw", path + "/delete"} {
		if res := rita.Post(p, s.reqForm([4]string{"Mine now", "1", "1", ""})); res.Status != 404 {
			t.Errorf("POST %s: %d", p, res.Status)
		}
	}
	f := s.reqForm()
	f.Set("requisition", ids(id))
	f.Set("op", "add")
	if res := rita.Post("/requisitions/lines", f); res.Status != 404 {
		t.Errorf("lines of another's draft: %d", res.Status)
	}
	if strings.Contains(rita.Get("/requisitions").Body, "secret desk") {
		t.Error("another's draft is listed")
	}
	if r := s.stored(t, id); r.Lines[0].Description != "Rob's secret desk" {
		t.Errorf("changed by another: %+v", r.Lines)
	}
	// Even those who may read every requisition do not see drafts.
	ada := s.client(t, s.ada)
	if res := ada.Get(path); res.Status != 404 {
		t.Errorf("auditor GET draft: %d", res.Status)
	}
	if strings.Contains(ada.Get("/requisitions/all").Body, "secret desk") {
		t.Error("a draft is listed among everyone's")
	}
	// Its owner can delete it, once.
	if res := rob.Post(path+"/delete", nil); res.Status != http.StatusSeeOther {
		t.Errorf("delete own draft: %d", res.Status)
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d requisitions left", n)
	}
}

// withManager makes a requester who reports to a new approver, so that submissions are
// routed to the approver (the engine's default route).
func (s *reqSite) withManager(t *testing.T) (requester, manager *models.User) {
	t.Helper()
	ctx, db := context.Background(), s.db(t)
	mgr, err := models.CreateUser(ctx, db, models.NewUser{Email: "mia@acme.example", Name: "Mia Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := models.CreateUser(ctx, db, models.NewUser{Email: "ron@acme.example", Name: "Ron Reports", Password: testutil.Password,
		Roles: []string{"requester"}, ManagerID: &mgr.ID})
	if err != nil {
		t.Fatal(err)
	}
	return req, mgr
}

func TestRequisitionSubmitWithdrawRejectAndResubmit(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	ron, mia := s.withManager(t)
	c := s.client(t, ron)
	c.Get("/requisitions/new")

	// Submission needs a GL account on every line and a vendor that takes orders: refused,
	// nothing is stored, not even the draft.
	f := s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)}, [4]string{"Chair", "1", "50", ""})
	f.Set("intent", "submit")
	f.Set("vendor", ids(s.onHold))
	f.Set("needed_by", time.Now().AddDate(0, 0, -3).Format("2006-01-02"))
	res := c.Post("/requisitions", f)
	if res.Status != 422 || res.Text("#line-1-gl_account-error") != "Choose a GL account." || res.Text("#vendor-error") == "" || res.Text("#needed_by-error") == "" {
		t.Fatalf("incomplete submit: %d gl %q vendor %q date %q", res.Status, res.Text("#line-1-gl_account-error"), res.Text("#vendor-error"), res.Text("#needed_by-error"))
	}
	if n := s.count(t); n != 0 {
		t.Fatalf("a refused submit stored %d requisitions", n)
	}

	f = s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)}, [4]string{"Chair", "1", "50", ids(s.gl2)})
	f.Set("intent", "submit")
	res = c.Post("/requisitions", f)
	if got := flashAfter(t, c, res); got != "REQ-000001 is submitted for approval." {
		t.Fatalf("submit: %q", got)
	}
	path := res.Location()
	var r models.Requisition
	if err := s.db(t).First(&r).Error; err != nil {
		t.Fatal(err)
	}
	if r.Status != models.RequisitionPending || r.Number == nil || *r.Number != "REQ-000001" || r.SubmittedAt == nil {
		t.Fatalf("after submit %+v", r)
	}
	page := c.Get(path)
	if page.Doc.Find("#requisition-form").Length() != 0 {
		t.Error("a pending requisition is still editable")
	}
	if got := page.Text(".page-header p"); !strings.Contains(got, "Waiting for Mia Manager (manager)") {
		t.Errorf("header says %q", got)
	}
	if got := page.Text(".req-step-pending .req-step-who"); got != "Mia Manager (manager)" {
		t.Errorf("route shows %q", got)
	}
	// Saving over a pending requisition is refused.
	if res := c.Post(path, s.reqForm([4]string{"Sneaky", "1", "1", ids(s.gl)})); res.Status != http.StatusConflict {
		t.Errorf("save while pending: %d", res.Status)
	}

	// Withdrawn, it is editable again and its step is cancelled.
	if got := flashAfter(t, c, c.Post(path+"/withdraw", nil)); !strings.HasPrefix(got, "REQ-000001 is withdrawn") {
		t.Errorf("withdraw: %q", got)
	}
	var steps []models.ApprovalStep
	s.db(t).Where("doc_id = ?", r.ID).Order("round, position").Find(&steps)
	if len(steps) != 1 || steps[0].Status != models.StepCancelled {
		t.Errorf("steps after withdraw %+v", steps)
	}
	if c.Get(path).Doc.Find("#requisition-form").Length() != 1 {
		t.Error("a withdrawn requisition is not editable")
	}
	// Withdrawn twice (a second tab, a double click): the page says what stands in the way,
	// not that someone else changed it.
	if res := c.Post(path+"/withdraw", nil); res.Status != http.StatusConflict ||
		!strings.Contains(res.Text("main"), "Only a requisition waiting for approval can be withdrawn.") || strings.Contains(res.Text("main"), "Someone else") {
		t.Errorf("withdraw twice: %d %q", res.Status, res.Text("main"))
	}

	// Resubmitted, it keeps its number; the manager rejects it with a reason.
	f.Set("justification", "Second try")
	if got := flashAfter(t, c, c.Post(path, f)); got != "REQ-000001 is submitted for approval." {
		t.Fatalf("resubmit: %q", got)
	}
	var pending models.ApprovalStep
	if err := s.db(t).Where("doc_id = ? AND status = ?", r.ID, models.StepPending).First(&pending).Error; err != nil {
		t.Fatal(err)
	}
	if pending.Round != 2 {
		t.Errorf("resubmission round %d", pending.Round)
	}
	_, err := models.DecideStep(context.Background(), s.db(t), models.Viewer{UserID: mia.ID, Roles: []string{"approver"}}, pending.ID,
		models.Decision{Comment: "Chairs come from facilities, drop that line."})
	if err != nil {
		t.Fatal(err)
	}
	edit := c.Get(path)
	if got := edit.Text(".req-rejection blockquote"); got != "Chairs come from facilities, drop that line." {
		t.Errorf("rejection comment shown as %q", got)
	}
	if !strings.HasPrefix(edit.Text(".req-rejection h2"), "Rejected by Mia Manager") {
		t.Errorf("rejection heading %q", edit.Text(".req-rejection h2"))
	}
	if got := edit.Text(`#requisition-form button[value="submit"]`); got != "Resubmit for approval" {
		t.Errorf("submit button says %q", got)
	}
	f = s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)})
	f.Set("intent", "submit")
	if got := flashAfter(t, c, c.Post(path, f)); got != "REQ-000001 is submitted for approval." {
		t.Fatalf("resubmit after rejection: %q", got)
	}
	if r := s.stored(t, r.ID); r.Status != models.RequisitionPending || *r.Number != "REQ-000001" || len(r.Lines) != 1 || r.TotalMinor != 10000 {
		t.Errorf("after resubmission %+v", r)
	}
	// The manager sees it, read-only, with the whole history.
	m := s.client(t, mia)
	view := m.Get(path)
	if view.Status != 200 || view.Doc.Find("#requisition-form").Length() != 0 || view.Doc.Find(`form[action$="/withdraw"]`).Length() != 0 {
		t.Fatalf("manager's view: %d", view.Status)
	}
	if n := view.Doc.Find("h3.req-round").Length(); n != 3 {
		t.Errorf("%d rounds shown", n)
	}
	if !strings.Contains(view.Text(".req-step-rejected"), "Chairs come from facilities") {
		t.Error("the rejection is not in the route's history")
	}
	// And cannot withdraw it.
	if res := m.Post(path+"/withdraw", nil); res.Status != 404 {
		t.Errorf("manager withdraws: %d", res.Status)
	}
}

// A requester with no manager, where no rule applies, is never approved by nobody: the
// requisition waits for the admins.
func TestRequisitionWithoutAManagerWaitsForTheAdmins(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita) // Rita has no manager and no rule matches
	c.Get("/requisitions/new")
	f := s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)})
	f.Set("intent", "submit")
	res := c.Post("/requisitions", f)
	if got := flashAfter(t, c, res); got != "REQ-000001 is submitted for approval." {
		t.Fatalf("submit: %q", got)
	}
	var r models.Requisition
	s.db(t).First(&r)
	var step models.ApprovalStep
	s.db(t).Where("doc_id = ?", r.ID).First(&step)
	if r.Status != models.RequisitionPending || step.Status != models.StepPending || step.Role == nil || *step.Role != models.EscalationRole {
		t.Errorf("stored %+v with step %+v", r, step)
	}
}

// Auditors read every submitted requisition and change none.
func TestAuditorReadsRequisitionsButChangesNothing(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	ron, _ := s.withManager(t)
	c := s.client(t, ron)
	c.Get("/requisitions/new")
	f := s.reqForm([4]string{"Laptop", "1", "1500", ids(s.gl)})
	f.Set("intent", "submit")
	path := c.Post("/requisitions", f).Location()
	s.draft(t, c, [4]string{"Draft only", "1", "1", ""})

	ada := s.client(t, s.ada)
	all := ada.Get("/requisitions/all")
	if all.Status != 200 || all.Doc.Find("#requisition-results tbody tr").Length() != 1 || !strings.Contains(all.Text("tbody"), "REQ-000001") {
		t.Fatalf("everyone's list: %d %q", all.Status, all.Text("tbody"))
	}
	if got := all.Text(`.req-tabs a[aria-current="page"]`); got != "All 1" {
		t.Errorf("current tab %q", got)
	}
	filtered := ada.Get("/requisitions/all?status=approved")
	if filtered.Doc.Find("#requisition-results tbody tr").Length() != 0 || filtered.Text(".empty-state h2") != "No requisitions match" {
		t.Errorf("status filter: %q", filtered.Text("#requisition-results"))
	}
	byPerson := ada.Get("/requisitions/all?requester=" + ids(ron.ID) + "&q=000001")
	if byPerson.Doc.Find("#requisition-results tbody tr").Length() != 1 {
		t.Errorf("requester and search filters: %q", byPerson.Text("#requisition-results"))
	}
	view := ada.Get(path)
	if view.Status != 200 || view.Doc.Find("form").Length() != 1 { // only the sign-out form
		t.Errorf("auditor's view: %d, %d forms", view.Status, view.Doc.Find("form").Length())
	}
	if res := ada.Post(path, s.reqForm([4]string{"x", "1", "1", ""})); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("auditor saves: %d %q", res.Status, res.Location())
	}
	if res := ada.Post(path+"/withdraw", nil); res.Location() != "/dashboard" {
		t.Errorf("auditor withdraws: %d %q", res.Status, res.Location())
	}
	// A requester cannot open everyone's list.
	if res := s.client(t, s.rita).Get("/requisitions/all"); res.Location() != "/dashboard" {
		t.Errorf("requester opens everyone's list: %d", res.Status)
	}
}

// A requisition's page says of each step who decided it, when, with their comment, and
// which rule put it on the route (or that none matched and the default route applied).
func TestRequisitionStepsShowDecisionAndRule(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	ron, mia := s.withManager(t)
	db := s.db(t)
	minimum := int64(5000)
	rule := models.ApprovalRule{DocType: models.DocRequisition, Name: "Desks over $50", Priority: 10, Currency: "USD", MinAmountMinor: &minimum,
		BudgetCheck: "none", Active: true}
	if err := db.Create(&rule).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&models.ApprovalRuleStep{RuleID: rule.ID, Position: 1, Kind: models.StepManager}).Error; err != nil {
		t.Fatal(err)
	}
	c := s.client(t, ron)
	submit := func(price string) string {
		c.Get("/requisitions/new")
		f := s.reqForm([4]string{"Desk", "1", price, ids(s.gl)})
		f.Set("intent", "submit")
		res := c.Post("/requisitions", f)
		if !strings.Contains(flashAfter(t, c, res), "is submitted for approval") {
			t.Fatalf("submit at %s: %s", price, res.Text(".field-error, .flash"))
		}
		return res.Location()
	}
	ruled, plain := submit("100"), submit("10")

	var step models.ApprovalStep
	if err := db.Where("status = ? AND rule_id = ?", models.StepPending, rule.ID).First(&step).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := models.DecideStep(context.Background(), db, models.Viewer{UserID: mia.ID, Roles: []string{"approver"}}, step.ID,
		models.Decision{Approve: true, Comment: "Fine for the new starters."}); err != nil {
		t.Fatal(err)
	}
	db.First(&step, step.ID)

	page := c.Get(ruled)
	done := page.Doc.Find(".req-step-approved")
	if done.Length() != 1 {
		t.Fatalf("%d approved steps shown", done.Length())
	}
	if got := strings.TrimSpace(done.Find(".req-step-rule").Text()); got != "Rule: Desks over $50" {
		t.Errorf("rule shown as %q", got)
	}
	if got := strings.TrimSpace(done.Find(".req-step-acted").Text()); got != "Mia Manager, "+step.ActedAt.UTC().Format("2 Jan 2006, 15:04 UTC") {
		t.Errorf("who and when shown as %q", got)
	}
	if got := strings.TrimSpace(done.Find(".req-step-comment").Text()); got != "Fine for the new starters." {
		t.Errorf("comment shown as %q", got)
	}
	page = c.Get(plain)
	if got := strings.TrimSpace(page.Text(".req-step-pending .req-step-rule")); got != "No rule matched: the default route" {
		t.Errorf("default route shown as %q", got)
	}
}

// Submitting a form with a number typed wrong and a vendor, date and GL account missing hears
// of all of them at once, not of the number first and of the rest on the next try; saving a
// draft still asks for nothing a draft may lack.
func TestRequisitionSubmitSaysEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	f := s.reqForm([4]string{"Chair", "two", "10", ""})
	f.Del("vendor")
	f.Del("needed_by")
	f.Set("intent", "submit")
	res := c.Post("/requisitions", f)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.Status)
	}
	for _, field := range []string{"line-0-quantity", "vendor", "needed_by"} {
		if res.Text("#"+field+"-error") == "" {
			t.Errorf("no message beside %s at the first try", field)
		}
	}
	f.Set("intent", "save")
	res = c.Post("/requisitions", f)
	if res.Status != http.StatusUnprocessableEntity || res.Text("#line-0-quantity-error") == "" || res.Text("#vendor-error") != "" {
		t.Errorf("saving the draft: %d, quantity %q, vendor %q", res.Status, res.Text("#line-0-quantity-error"), res.Text("#vendor-error"))
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d requisitions stored", n)
	}
}

// The only admin, without a manager, submitting their own requisition is told that nobody
// else could approve it, above the form with what they typed, and nothing is stored: it
// would have waited for ever for the admins, who are only them.
func TestTheOnlyAdminsOwnRequisitionIsRefusedWithAReason(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	solo, err := models.CreateUser(context.Background(), s.db(t), models.NewUser{Email: "solo@acme.example", Name: "Solo Admin",
		Password: testutil.Password, Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	c := s.client(t, solo)
	c.Get("/requisitions/new")
	f := s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)})
	f.Set("intent", "submit")
	res := c.Post("/requisitions", f)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(".form-error"), "Nobody else can approve this yet") {
		t.Fatalf("submit: %d %q", res.Status, res.Text(".form-error"))
	}
	if v := res.Doc.Find("#line-0-description").AttrOr("value", ""); v != "Desk" {
		t.Errorf("what was typed: %q", v)
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d requisitions stored", n)
	}
}
