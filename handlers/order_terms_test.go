package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// An order carries the vendor's payment terms and the organisation's bill-to address from the
// moment it is made; a clerk edits them with the expected delivery and notes until goods
// arrive, each edit in History with the value before and after, and the printed order shows
// them. A date that is not a date, or notes too long, come back beside the field with nothing
// lost; after a receipt the edit is refused beside the form.
func TestOrderTermsEditedUntilReceiptAudited(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	clerk := env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	if err := db.Exec("UPDATE org_settings SET bill_to_address = 'Accounts payable\n1 Main Street'").Error; err != nil {
		t.Fatal(err)
	}
	r := testutil.ApprovedRequisition(t, db, rita.ID, "orders@vendor.example", standAndCable...)
	po, err := models.CreatePurchaseOrder(context.Background(), db, models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"}, SeeAllKinds: []string{models.DocRequisition}}, r.Requisition.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := models.VendorTerms(r.Vendor.PaymentTermsDays); po.PaymentTerms != want || po.BillToAddress != "Accounts payable\n1 Main Street" {
		t.Errorf("a new order carries terms %q (want %q) and bill-to %q", po.PaymentTerms, want, po.BillToAddress)
	}
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)
	path := "/purchase-orders/" + itoa(po.ID)
	page := c.Get(path)
	if v, _ := page.Doc.Find("#payment_terms").Attr("value"); v != po.PaymentTerms {
		t.Errorf("the form shows terms %q", v)
	}

	// Bad input: beside the field, everything typed kept, nothing saved.
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "terms-form")
	res := c.Post(path+"/terms", url.Values{"payment_terms": {"Net 45 days"}, "bill_to_address": {"AP, 1 Main Street"},
		"expected_on": {"next week"}, "vendor_notes": {strings.Repeat("x", 2001)}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#expected_on-error"), "Enter a date like") || res.Text("#vendor_notes-error") == "" {
		t.Errorf("bad input: %d %q %q", res.Status, res.Text("#expected_on-error"), res.Text("#vendor_notes-error"))
	}
	if v, _ := res.Doc.Find("#payment_terms").Attr("value"); v != "Net 45 days" || res.Text("#bill_to_address") != "AP, 1 Main Street" {
		t.Errorf("typed input lost: %q %q", v, res.Text("#bill_to_address"))
	}
	if v, _ := res.Doc.Find("#expected_on").Attr("value"); v != "next week" {
		t.Errorf("typed date lost: %q", v)
	}
	c.Header.Del("HX-Target")
	c.Header.Del("HX-Request")
	var stored models.PurchaseOrder
	db.First(&stored, po.ID)
	if stored.PaymentTerms != po.PaymentTerms || stored.ExpectedOn != nil {
		t.Errorf("refused input was saved: %+v", stored)
	}

	res = c.Post(path+"/terms", url.Values{"payment_terms": {"Net 45 days"}, "bill_to_address": {"AP, 1 Main Street"},
		"expected_on": {"2026-12-24"}, "vendor_notes": {"Deliver to the loading bay before noon."}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %q", res.Status, res.Text(".flash-error"))
	}
	db.First(&stored, po.ID)
	if stored.PaymentTerms != "Net 45 days" || stored.ExpectedOn == nil || stored.ExpectedOn.Format("2006-01-02") != "2026-12-24" || stored.VendorNotes != "Deliver to the loading bay before noon." {
		t.Errorf("saved: %+v", stored)
	}

	// History shows the edit with the values before and after.
	hist := c.Get(path + "/history").Text("main")
	for _, want := range []string{po.PaymentTerms, "Net 45 days", "Deliver to the loading bay before noon."} {
		if !strings.Contains(hist, want) {
			t.Errorf("History lacks %q: %s", want, hist)
		}
	}

	// The printed order shows bill-to, ship-to, terms and notes.
	print := c.Get(path + "/print")
	for _, want := range []string{"Bill to", "AP, 1 Main Street", "Deliver to", r.Location.Name, "Net 45 days", "24 Dec 2026", "Deliver to the loading bay before noon."} {
		if !strings.Contains(print.Text("main"), want) {
			t.Errorf("print lacks %q", want)
		}
	}

	// Once goods are received the terms stay as they were sent, and the page says so.
	var line models.PurchaseOrderLine
	db.Where("purchase_order_id = ?", po.ID).Order("position").First(&line)
	if res := c.Post(path+"/receipts", url.Values{models.ReceiptField(line.ID): {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("receipt: %d", res.Status)
	}
	if c.Get(path).Doc.Find("#terms-form").Length() != 0 {
		t.Error("a partly received order still offers to edit its terms")
	}
	res = c.Post(path+"/terms", url.Values{"payment_terms": {"Net 10 days"}, "expected_on": {"2026-12-30"}})
	if res.Status != http.StatusConflict || !strings.Contains(res.Text("#terms-form .flash-error"), "stay as they were sent") {
		t.Errorf("edit after receipt: %d %q", res.Status, res.Text("#terms-form .flash-error"))
	}
	if v, _ := res.Doc.Find("#payment_terms").Attr("value"); v != "Net 10 days" {
		t.Errorf("the refused input was not kept: %q", v)
	}
	db.First(&stored, po.ID)
	if stored.PaymentTerms != "Net 45 days" {
		t.Errorf("edit after receipt saved: %q", stored.PaymentTerms)
	}
}

// The bill-to address is an organisation setting, saved with the others and in their History;
// one too long comes back beside the field with everything typed kept.
func TestBillToAddressIsAnOrganisationSetting(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	c := s.admin
	long := strings.Repeat("x", 501)
	r := htmxPost(c, "/admin/settings", "ref-form", url.Values{"default_currency": {"EUR"}, "time_zone": {"Europe/Berlin"}, "bill_to_address": {long}})
	if r.Status != http.StatusUnprocessableEntity || r.Text("#bill_to_address-error") == "" || r.Text("#bill_to_address") != long {
		t.Errorf("a long bill-to address: %d %q", r.Status, r.Text("#bill_to_address-error"))
	}
	if v, _ := r.Doc.Find("#time_zone option[selected]").Attr("value"); v != "Europe/Berlin" {
		t.Errorf("the typed time zone was lost: %q", v)
	}
	if got := flashAfter(t, c, c.Post("/admin/settings", url.Values{"default_currency": {"EUR"}, "time_zone": {"Europe/Berlin"},
		"bill_to_address": {"Accounts payable, 1 Main Street"}})); got != "Saved the settings." {
		t.Errorf("flash %q", got)
	}
	if got := c.Get("/admin/settings").Text("#bill_to_address"); got != "Accounts payable, 1 Main Street" {
		t.Errorf("the settings form shows %q", got)
	}
	if h := c.Get("/admin/settings/history").Text(".changes"); !strings.Contains(h, "Accounts payable, 1 Main Street") {
		t.Errorf("history %q", h)
	}
}
