package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"outlay/internal/dbtest"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/views/approvalrules"
	"outlay/views/bills"
	"outlay/views/purchasing"
	"outlay/views/requisitions"
)

// matchNames are the names a lookup's answer offers, in order, and its empty-state text.
func matchNames(t *testing.T, res *testutil.Response) ([]string, string) {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("lookup: status %d %q", res.Status, res.Body)
	}
	var names []string
	res.Doc.Find(`li[role="option"][data-value]`).Each(func(_ int, s *goquery.Selection) {
		names = append(names, strings.TrimSpace(s.Find(".lookup-name").Text()))
	})
	return names, res.Text(".lookup-empty")
}

// A vendor lookup offers the vendors the form may name whose name (or contact, email or tax
// id, as the vendor list searches) holds what was typed, those starting with it first, at
// most twenty; fewer than three letters match the start of names; archived vendors and those
// on hold are not offered to a new requisition.
func TestVendorLookupFindsActiveVendorsByName(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	db := env.DB(t, acme)
	now := time.Now()
	for _, v := range []models.Vendor{
		{Name: "Paperclip World", Status: models.VendorActive},
		{Name: "Copy Paper Ltd", Status: models.VendorActive},
		{Name: "Paper Co", Status: models.VendorActive},
		{Name: "Paper Archive", Status: models.VendorActive, ArchivedAt: &now},
		{Name: "Paper Held", Status: models.VendorOnHold},
		{Name: "Quill & Ink", Status: models.VendorActive, ContactName: "Ada Stone", Email: "orders@quill.example", TaxID: "GB987654321"},
	} {
		v.Currency = "USD"
		if err := db.Create(&v).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i := range 25 {
		if err := db.Create(&models.Vendor{Name: fmt.Sprintf("Bulk Supplier %02d", i), Currency: "EUR", Status: models.VendorActive}).Error; err != nil {
			t.Fatal(err)
		}
	}
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn(rita.Email, testutil.Password)
	find := func(q string) ([]string, string) {
		return matchNames(t, c.Get(requisitions.VendorLookupPath+"?q="+url.QueryEscape(q)))
	}

	if got, _ := find("paper"); strings.Join(got, "|") != "Paper Co|Paperclip World|Copy Paper Ltd" {
		t.Errorf("paper: %q, want the two starting with it, then the one holding it", got)
	}
	if got, _ := find("Pa"); strings.Join(got, "|") != "Paper Co|Paperclip World" {
		t.Errorf("Pa: %q, want the names starting with it", got)
	}
	if got, _ := find("bulk"); len(got) != 20 || got[0] != "Bulk Supplier 00" || got[19] != "Bulk Supplier 19" {
		t.Errorf("bulk: %d matches %q, want the first twenty by name", len(got), got)
	}
	for _, q := range []string{"7654", "ada st", "ORDERS@QUILL"} {
		if got, _ := find(q); strings.Join(got, "|") != "Quill & Ink" {
			t.Errorf("%s: %q, want the vendor whose tax id, contact or email holds it", q, got)
		}
	}
	if got, empty := find("100%_"); len(got) != 0 || empty != "No vendor matches “100%_”" {
		t.Errorf("no match: %q, empty state %q", got, empty)
	}
	// Text past the lookup's 200 characters is cut at a character, never inside one.
	if got, empty := find(strings.Repeat("a", 199) + "é"); len(got) != 0 || !strings.HasPrefix(empty, "No vendor matches") {
		t.Errorf("long text: %q, empty state %q", got, empty)
	}
	if got, _ := find(""); len(got) != 20 || got[0] != "Bulk Supplier 00" {
		t.Errorf("nothing typed: %d matches starting %q, want the first twenty by name", len(got), got)
	}

	// As a field asks: the typed text under the field's own name, options named after the field.
	res := c.Get(requisitions.VendorLookupPath + "?field=vendor&text=vendor_text&vendor_text=copy")
	opt := res.Doc.Find(`li[role="option"]`)
	if id, _ := opt.Attr("id"); opt.Length() != 1 || id != "vendor-match-0" || opt.AttrOr("data-label", "") != "Copy Paper Ltd" ||
		strings.TrimSpace(opt.Find(".lookup-detail").Text()) != "USD" {
		t.Errorf("field's lookup: %d options, first id %q label %q", opt.Length(), id, opt.AttrOr("data-label", ""))
	}
}

// The order list's vendor filter offers the vendors that have orders, archived or not, and no
// one who may not read orders may search it. No lookup reaches another tenant's vendors.
func TestVendorLookupPermissionsAndTenants(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	globex := env.NewTenant(t, "globex", "Globex Industries")
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	ada := env.CreateUser(t, acme, "ada@acme.example", "Ada Auditor", "auditor")
	buyer := env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "admin")
	db := env.DB(t, acme)
	p, _ := dbtest.ReceivedOrder(t, db, rita.ID, buyer.ID, nil, dbtest.OrderLine{Description: "Paper", Quantity: "1", UnitPrice: 500})
	if err := db.Model(&p.Vendor).Update("archived_at", time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&models.Vendor{Name: p.Vendor.Name + " without orders", Currency: "USD", Status: models.VendorActive}).Error; err != nil {
		t.Fatal(err)
	}
	gdb := env.DB(t, globex)
	gina := env.CreateUser(t, globex, "gina@globex.example", "Gina Globex", "admin")
	if err := gdb.Create(&models.Vendor{Name: "Globex Secret Vendor", Currency: "USD", Status: models.VendorActive}).Error; err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)

	auditor := app.Client(t, "acme")
	auditor.SignIn(ada.Email, testutil.Password)
	if got, _ := matchNames(t, auditor.Get(purchasing.VendorLookupPath+"?q=vendor")); len(got) != 1 || got[0] != p.Vendor.Name {
		t.Errorf("order filter's vendors: %q, want only %q (archived, with an order)", got, p.Vendor.Name)
	}
	// The auditor may read orders but not fill a requisition; the requester the reverse.
	if res := auditor.Get(requisitions.VendorLookupPath + "?q=vendor"); res.Status != http.StatusForbidden || strings.Contains(res.Body, p.Vendor.Name) {
		t.Errorf("auditor on the requisition form's lookup: %d %q, want 403", res.Status, res.Body)
	}
	requester := app.Client(t, "acme")
	requester.SignIn(rita.Email, testutil.Password)
	if res := requester.Get(purchasing.VendorLookupPath + "?q=vendor"); res.Status != http.StatusForbidden || strings.Contains(res.Body, p.Vendor.Name) {
		t.Errorf("requester on the order filter's lookup: %d, want 403", res.Status)
	}
	// Signed out, the lookup sends the visitor to sign in.
	if res := app.Client(t, "acme").Get(purchasing.VendorLookupPath + "?q=vendor"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
		t.Errorf("signed out: %d %q", res.Status, res.Location())
	}

	// acme's session on globex's host is no session there; globex's own admin sees only
	// globex's vendors.
	cross := app.Client(t, "globex")
	for k, v := range auditor.Cookies {
		cross.Cookies[k] = v
	}
	if res := cross.Get(requisitions.VendorLookupPath + "?q=vendor"); res.Status == http.StatusOK || strings.Contains(res.Body, "Globex Secret") {
		t.Errorf("acme's cookies on globex: %d", res.Status)
	}
	g := app.Client(t, "globex")
	g.SignIn(gina.Email, testutil.Password)
	if got, _ := matchNames(t, g.Get(requisitions.VendorLookupPath+"?q=vendor")); len(got) != 1 || got[0] != "Globex Secret Vendor" {
		t.Errorf("globex's lookup: %q", got)
	}
}

// A vendor id posted without the lookup (one no field offers: of no vendor here, or on hold)
// is refused beside the field, and nothing is stored.
func TestRequisitionRefusesVendorIdsTheLookupWouldNotOffer(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	for name, tc := range map[string]struct{ vendor, intent string }{
		"no such vendor here": {"987654", "save"},
		"not a number":        {"1 OR 1=1", "save"},
		"on hold, submitted":  {ids(s.onHold), "submit"},
	} {
		f := s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)})
		f.Set("vendor", tc.vendor)
		f.Set("intent", tc.intent)
		res := c.Post("/requisitions", f)
		if res.Status != http.StatusUnprocessableEntity || res.Text("#vendor-error") == "" {
			t.Errorf("%s: %d, vendor message %q", name, res.Status, res.Text("#vendor-error"))
		}
	}
	var n int64
	if err := s.db(t).Model(&models.Requisition{}).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("%d requisitions stored (%v)", n, err)
	}
}

// lookupField is the lookup field id on a page: the id its hidden input carries, the name its
// text input shows, and where it fetches its matches; found is false when the page has none.
func lookupField(res *testutil.Response, id string) (value, text, path string, found bool) {
	in := res.Doc.Find(`input#` + id + `[role=combobox]`)
	if in.Length() != 1 {
		return "", "", "", false
	}
	hidden := in.Parent().Find(`input[type=hidden][data-lookup-value]`)
	path, _, _ = strings.Cut(in.AttrOr("hx-get", ""), "?")
	return hidden.AttrOr("value", ""), in.AttrOr("value", ""), path, true
}

// Someone who files trips for others finds the traveller by typing: the form carries no
// option per person, the lookup offers current people by name or email (not the deactivated),
// no one else may search it, and a traveller id no lookup would offer is refused beside the
// field with nothing stored and what was typed kept.
func TestTravellerIsFoundByTyping(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	db := s.db(t)
	gone := models.User{Email: "tessa@acme.example", Name: "Tessa Gone", Status: models.UserDeactivated}
	if err := db.Create(&gone).Error; err != nil {
		t.Fatal(err)
	}

	form := s.asaC.Get("/travel/new")
	value, text, path, found := lookupField(form, "traveller")
	if !found || value != ids(s.asa.ID) || text != "Asa Admin" || path != "/lookup/people/travel-form" {
		t.Fatalf("traveller field: found %v, value %q text %q path %q", found, value, text, path)
	}
	if n := form.Doc.Find(`option[value="` + ids(s.tess.ID) + `"]`).Length(); n != 0 || strings.Contains(form.Body, "Tess Traveller") {
		t.Errorf("the form still offers every person (%d options of Tess)", n)
	}
	if got, _ := matchNames(t, s.asaC.Get(path+"?q=tess")); strings.Join(got, "|") != "Tess Traveller" {
		t.Errorf("tess: %q, want Tess (Tessa is deactivated)", got)
	}
	if got, _ := matchNames(t, s.asaC.Get(path+"?q=Mo")); strings.Join(got, "|") != "Mo Manager" {
		t.Errorf("Mo: %q, want the name starting with it", got)
	}
	if got, empty := matchNames(t, s.asaC.Get(path+"?q=nobody")); len(got) != 0 || empty != "No person matches “nobody”" {
		t.Errorf("no match: %q, empty state %q", got, empty)
	}
	// A requester files only their own trips: the people are not theirs to search.
	if res := s.coleC.Get(path + "?q=tess"); res.Status != http.StatusForbidden || strings.Contains(res.Body, "Tess") {
		t.Errorf("requester on the traveller lookup: %d", res.Status)
	}

	// A refusal elsewhere shows the chosen traveller again.
	f := s.tripForm()
	f.Set("traveller", ids(s.tess.ID))
	f.Set("estimate-airfare", "lots")
	res := s.asaC.Post("/travel", f)
	if value, text, _, _ := lookupField(res, "traveller"); res.Status != http.StatusUnprocessableEntity || value != ids(s.tess.ID) || text != "Tess Traveller" {
		t.Errorf("refused for the airfare: %d, traveller shown %q (%q)", res.Status, text, value)
	}
	for name, id := range map[string]string{"deactivated": ids(gone.ID), "of no one here": "987654", "not a number": "1 OR 1=1"} {
		f := s.tripForm()
		f.Set("traveller", id)
		res := s.asaC.Post("/travel", f)
		if res.Status != http.StatusUnprocessableEntity || res.Text("#traveller-error") == "" || res.Doc.Find("#purpose").Text() != "Trade fair in Paris" {
			t.Errorf("%s: %d, message %q, purpose %q", name, res.Status, res.Text("#traveller-error"), res.Doc.Find("#purpose").Text())
		}
	}
	if n := countRows(t, db, "travel_requests"); n != 0 {
		t.Errorf("%d trips stored", n)
	}
}

// A department's head is found by typing: the form carries no option per person, the lookup
// offers active people by name or email to whoever sees departments, and a head no lookup
// would offer (invited, deactivated, of no one here) is refused beside the field, nothing
// stored and what was typed kept.
func TestDepartmentHeadIsFoundByTyping(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	ctx, db := context.Background(), s.db(t)
	bo := s.env.CreateUser(t, s.acme, "bo@acme.example", "Bo Boss", "approver")
	rita := s.env.CreateUser(t, s.acme, "rita@acme.example", "Rita Requester", "requester")
	invited, err := models.CreateUser(ctx, db, models.NewUser{Email: "bonnie@acme.example", Name: "Bonnie New", Roles: []string{"requester"}})
	if err != nil {
		t.Fatal(err)
	}
	gone := s.env.CreateUser(t, s.acme, "boris@acme.example", "Boris Gone", "approver")
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), gone.ID); err != nil {
		t.Fatal(err)
	}
	c := s.admin

	form := c.Get("/admin/departments/new")
	value, text, path, found := lookupField(form, "head")
	if !found || value != "" || text != "" || path != "/lookup/people/departments" {
		t.Fatalf("head field: found %v, value %q text %q path %q", found, value, text, path)
	}
	if strings.Contains(form.Body, "Bo Boss") || form.Doc.Find(`#head option`).Length() != 0 {
		t.Error("the form still offers every person")
	}
	if got, _ := matchNames(t, c.Get(path+"?q=bo")); strings.Join(got, "|") != "Bo Boss" {
		t.Errorf("bo: %q, want only the active Bo (Bonnie is invited, Boris deactivated)", got)
	}
	if got, _ := matchNames(t, c.Get(path+"?q=rita@acme")); strings.Join(got, "|") != "Rita Requester" {
		t.Errorf("by email: %q", got)
	}
	if got, empty := matchNames(t, c.Get(path+"?q=zed")); len(got) != 0 || empty != "No person matches “zed”" {
		t.Errorf("no match: %q, empty state %q", got, empty)
	}
	if got, _ := matchNames(t, s.auditor.Get(path+"?q=bo")); strings.Join(got, "|") != "Bo Boss" {
		t.Errorf("the auditor, who sees departments and their heads: %q", got)
	}
	requester := s.app.Client(t, "acme")
	requester.SignIn(rita.Email, testutil.Password)
	if res := requester.Get(path + "?q=bo"); res.Status != http.StatusForbidden || strings.Contains(res.Body, "Bo Boss") {
		t.Errorf("requester on the head lookup: %d", res.Status)
	}

	// Refused for its name, the form shows the chosen head again.
	if err := db.Create(&models.Department{Name: "Finance"}).Error; err != nil {
		t.Fatal(err)
	}
	res := c.Post("/admin/departments", url.Values{"name": {"finance"}, "head": {ids(bo.ID)}, "head_text": {"Bo"}})
	if value, text, _, _ := lookupField(res, "head"); res.Status != http.StatusUnprocessableEntity || value != ids(bo.ID) || text != "Bo Boss" {
		t.Errorf("refused for its name: %d, head shown %q (%q)", res.Status, text, value)
	}
	for name, id := range map[string]string{"invited": ids(invited.ID), "deactivated": ids(gone.ID), "of no one here": "987654"} {
		res := c.Post("/admin/departments", url.Values{"name": {"Research"}, "code": {"RES"}, "head": {id}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#head-error") != "Choose an active person as the head." ||
			res.Doc.Find("#name").AttrOr("value", "") != "Research" || res.Doc.Find("#code").AttrOr("value", "") != "RES" {
			t.Errorf("%s head: %d, message %q, name %q", name, res.Status, res.Text("#head-error"), res.Doc.Find("#name").AttrOr("value", ""))
		}
	}
	var n int64
	if err := db.Model(&models.Department{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("%d departments stored (%v)", n, err)
	}
	// Chosen from the lookup, the head is stored.
	if res := c.Post("/admin/departments", url.Values{"name": {"Research"}, "head": {ids(bo.ID)}}); res.Status != http.StatusSeeOther {
		t.Fatalf("create with Bo as head: %d %s", res.Status, res.Text(".field-error"))
	}
	var head int64
	if err := db.Raw(`SELECT head_id FROM departments WHERE name = 'Research'`).Scan(&head).Error; err != nil || head != bo.ID {
		t.Errorf("stored head %d (%v), want Bo %d", head, err, bo.ID)
	}
}

// The roles page's preview finds its person by typing: the page carries no option per
// person, the lookup offers current people to whoever may see roles, and a person no lookup
// would offer (deactivated, of no one here, not a number) is refused beside the field with
// the rest of the preview's choices kept.
func TestRolePreviewPersonIsFoundByTyping(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	aud := env.CreateUser(t, acme, "audrey@acme.example", "Audrey Auditor", "auditor")
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	gone := env.CreateUser(t, acme, "audra@acme.example", "Audra Gone", "auditor")
	if err := models.DeactivateUser(context.Background(), db, models.ByOperator(), gone.ID); err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)

	page := c.Get("/admin/roles/preview")
	value, text, path, found := lookupField(page, "user")
	if !found || value != "" || text != "" || path != "/lookup/people/roles" {
		t.Fatalf("person field: found %v, value %q text %q path %q", found, value, text, path)
	}
	if strings.Contains(page.Body, "Audrey Auditor") || page.Doc.Find(`#user option`).Length() != 0 {
		t.Error("the page still offers every person")
	}
	if got, _ := matchNames(t, c.Get(path+"?q=aud")); strings.Join(got, "|") != "Audrey Auditor" {
		t.Errorf("aud: %q, want Audrey (Audra is deactivated)", got)
	}
	if got, _ := matchNames(t, c.Get(path+"?q=Ri")); strings.Join(got, "|") != "Rita Requester" {
		t.Errorf("Ri: %q", got)
	}
	if got, empty := matchNames(t, c.Get(path+"?q=zed")); len(got) != 0 || empty != "No person matches “zed”" {
		t.Errorf("no match: %q, empty state %q", got, empty)
	}
	r := app.Client(t, "acme")
	r.SignIn(rita.Email, testutil.Password)
	if res := r.Get(path + "?q=aud"); res.Status != http.StatusForbidden || strings.Contains(res.Body, "Audrey") {
		t.Errorf("requester on the roles lookup: %d", res.Status)
	}

	// Chosen, the person is previewed and shown in the field again.
	res := c.Get("/admin/roles/preview?user=" + ids(aud.ID) + "&user_text=Aud&change=admin.roles:update&grant=1")
	if value, text, _, _ := lookupField(res, "user"); res.Status != http.StatusOK || value != ids(aud.ID) || text != "Audrey Auditor" ||
		!strings.Contains(res.Text("#preview-title"), "Audrey Auditor") {
		t.Errorf("preview of Audrey: %d, field %q (%q), title %q", res.Status, text, value, res.Text("#preview-title"))
	}
	for name, id := range map[string]string{"deactivated": ids(gone.ID), "of no one here": "987654", "not a number": "1 OR 1=1"} {
		res := c.Get("/admin/roles/preview?" + url.Values{"user": {id}, "user_text": {"Audra"}, "role": {"auditor"}, "change": {"admin.roles:update"}}.Encode())
		_, text, _, _ := lookupField(res, "user")
		if res.Status != http.StatusUnprocessableEntity || res.Text("#user-error") != "Choose a current person from the list." || text != "Audra" ||
			res.Doc.Find(`#change option[selected]`).AttrOr("value", "") != "admin.roles:update" || res.Doc.Find(`#role option[selected]`).AttrOr("value", "") != "auditor" ||
			res.Doc.Find("#preview-title").Length() != 0 ||
			strings.Contains(res.Body, "Audra Gone") {
			t.Errorf("%s person: %d, message %q, typed %q, change kept %q", name, res.Status, res.Text("#user-error"), text,
				res.Doc.Find(`#change option[selected]`).AttrOr("value", ""))
		}
	}
}

// A new bill's order is found by typing its number or vendor: the page carries no option per
// order, the lookup offers only orders still open to billing, newest first, to whoever may
// enter bills, and an order it would not offer (closed, of no order here, not a number) is
// refused beside the chooser, the bill starting without one; a posted one stores nothing.
func TestBillOrderIsFoundByTyping(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	_, closed := dbtest.ReceivedOrder(t, s.db, s.rae.ID, s.asa.ID, nil, dbtest.OrderLine{Description: "Chairs", Quantity: "1", UnitPrice: 500})
	if err := s.db.Model(&models.PurchaseOrder{}).Where("id = ?", closed.ID).Update("status", models.POClosed).Error; err != nil {
		t.Fatal(err)
	}
	c := s.cleoC
	open := s.order.Number

	form := c.Get("/bills/new")
	value, text, path, found := lookupField(form, "order")
	if !found || value != "" || text != "" || path != "/lookup/orders/bills" {
		t.Fatalf("order field: found %v, value %q text %q path %q", found, value, text, path)
	}
	if strings.Contains(form.Body, open) || form.Doc.Find(`#order option`).Length() != 0 {
		t.Error("the page still lists every open order")
	}
	if got, _ := matchNames(t, c.Get(path+"?q="+url.QueryEscape(open))); strings.Join(got, "|") != open {
		t.Errorf("by number %s: %q", open, got)
	}
	if got, _ := matchNames(t, c.Get(path+"?q="+url.QueryEscape(s.order.Vendor.Name))); strings.Join(got, "|") != open {
		t.Errorf("by vendor %q: %q, want only the open order", s.order.Vendor.Name, got)
	}
	if got, _ := matchNames(t, c.Get(path+"?q="+url.QueryEscape(open[:2]))); strings.Join(got, "|") != open {
		t.Errorf("two letters, the newest open orders: %q", got)
	}
	if got, empty := matchNames(t, c.Get(path+"?q="+url.QueryEscape(closed.Number))); len(got) != 0 || empty != "No open order matches “"+closed.Number+"”" {
		t.Errorf("closed order: %q, empty state %q", got, empty)
	}
	if res := s.raeC.Get(path + "?q=" + url.QueryEscape(open)); res.Status != http.StatusForbidden || strings.Contains(res.Body, open) {
		t.Errorf("requester on the order lookup: %d", res.Status)
	}

	// Chosen, the order's lines are offered and the chooser shows it again.
	res := c.Get(fmt.Sprintf("/bills/new?order=%d&order_text=PO", s.order.ID))
	if value, text, _, _ := lookupField(res, "order"); res.Status != http.StatusOK || value != ids(s.order.ID) || text != open ||
		res.Doc.Find(`input[name=order_line]`).Length() != len(s.order.Lines) {
		t.Errorf("order chosen: %d, chooser %q (%q), %d lines", res.Status, text, value, res.Doc.Find(`input[name=order_line]`).Length())
	}
	for name, id := range map[string]string{"closed": ids(closed.ID), "of no order here": "987654", "not a number": "1 OR 1=1"} {
		res := c.Get("/bills/new?" + url.Values{"order": {id}, "order_text": {"PO-9"}}.Encode())
		_, text, _, _ := lookupField(res, "order")
		if res.Status != http.StatusUnprocessableEntity || res.Text("#order-error") != "Choose an open order from the list." || text != "PO-9" ||
			res.Doc.Find(`input[name=purchase_order]`).Length() != 0 || res.Doc.Find(`#vendor[role=combobox]`).Length() != 1 {
			t.Errorf("%s order: %d, message %q, typed %q", name, res.Status, res.Text("#order-error"), text)
		}
	}
	// Posted without the chooser, an order of no order here is refused beside the form with
	// what was typed kept; a closed one as before.
	for name, id := range map[string]string{"closed": ids(closed.ID), "of no order here": "987654"} {
		f := s.orderForm("INV-"+name, [2]string{"2", "3.99"})
		f.Set("purchase_order", id)
		res := c.Post("/bills", f)
		if res.Status != http.StatusUnprocessableEntity || res.Text("#purchase_order-error") == "" ||
			res.Doc.Find("#vendor_invoice_number").AttrOr("value", "") != "INV-"+name {
			t.Errorf("%s order posted: %d, message %q", name, res.Status, res.Text("#purchase_order-error"))
		}
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d bills stored", n)
	}
}

// A bill's and an approval rule's vendor fields offer vendors on hold too (one on hold takes
// no new orders but still sends bills for those it has), saying so beside them; never an
// archived one.
func TestBillVendorLookupOffersVendorsOnHold(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	db := env.DB(t, acme)
	now := time.Now()
	for _, v := range []models.Vendor{
		{Name: "Toner Active", Status: models.VendorActive},
		{Name: "Toner Held", Status: models.VendorOnHold},
		{Name: "Toner Archived", Status: models.VendorActive, ArchivedAt: &now},
	} {
		v.Currency = "USD"
		if err := db.Create(&v).Error; err != nil {
			t.Fatal(err)
		}
	}
	c := testutil.NewApp(t, env).Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	for _, path := range []string{bills.VendorLookupPath, approvalrules.VendorLookupPath} {
		res := c.Get(path + "?q=toner")
		var got []string
		res.Doc.Find(`li[role="option"]`).Each(func(_ int, li *goquerySelection) {
			got = append(got, li.AttrOr("data-label", "")+" ("+strings.TrimSpace(li.Find(".lookup-detail").Text())+")")
		})
		if strings.Join(got, "|") != "Toner Active (USD)|Toner Held (USD · on hold)" {
			t.Errorf("%s: %q", path, got)
		}
	}
	if names, _ := matchNames(t, c.Get(requisitions.VendorLookupPath+"?q=toner")); strings.Join(names, "|") != "Toner Active" {
		t.Errorf("a requisition's vendor field offers %q; want the active vendor alone", names)
	}
}
