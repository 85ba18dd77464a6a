package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"outlay/models"
)

// A draft bill whose vendor was archived after it was saved is refused at submit beside the
// vendor, saying the vendor is archived (the field still shows its name), with what was
// typed kept; a vendor on hold still takes bills.
func TestADraftBillsArchivedVendorIsNamedAsArchived(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	gl, dept := models.GLAccount{Code: "6100", Name: "Consulting"}, models.Department{Name: "Finance", Code: "FIN"}
	adatum := models.Vendor{Name: "Adatum Consulting", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	for _, v := range []any{&gl, &dept, &adatum} {
		if err := s.db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	id := strconv.FormatInt(adatum.ID, 10)
	form := func(invoice, intent string) url.Values {
		return url.Values{"vendor": {id}, "vendor_text": {adatum.Name}, "purchase_order": {""}, "vendor_invoice_number": {invoice},
			"invoice_date": {"2026-03-02"}, "currency": {"USD"}, "form_key": {"k-" + invoice}, "intent": {intent},
			"order_line": {""}, "description": {"Advice on the audit"}, "quantity": {"1"}, "unit_price": {"500.00"}, "tax_rate": {""},
			"gl_account": {strconv.FormatInt(gl.ID, 10)}, "department": {strconv.FormatInt(dept.ID, 10)}}
	}
	res := s.cleoC.Post("/bills", form("AD-77", "save"))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save the draft: %d %s", res.Status, res.Text(".field-error"))
	}
	draft := res.Location()
	if err := models.ArchiveVendor(context.Background(), s.db, adatum.ID, true); err != nil {
		t.Fatal(err)
	}
	res = s.cleoC.Post(draft, form("AD-77", "submit"))
	if want := "Adatum Consulting is archived: restore it or choose another vendor."; res.Status != http.StatusUnprocessableEntity || res.Text("#vendor-error") != want {
		t.Errorf("submit with the vendor archived: %d %q, want %q", res.Status, res.Text("#vendor-error"), want)
	}
	if shown := res.Doc.Find("#vendor").AttrOr("value", ""); shown != adatum.Name {
		t.Errorf("the vendor field shows %q", shown)
	}
	// A new bill whose vendor is typed by the archived vendor's name is told the same, not
	// that the name is not one to choose.
	typed := form("AD-78", "save")
	typed.Set("vendor", "")
	typed.Set("vendor_text", "adatum consulting")
	if res := s.cleoC.Post("/bills", typed); res.Status != http.StatusUnprocessableEntity ||
		res.Text("#vendor-error") != "Adatum Consulting is archived: restore it or choose another vendor." {
		t.Errorf("a new bill typed with the archived vendor's name: %d %q", res.Status, res.Text("#vendor-error"))
	}
	if got := res.Doc.Find("#vendor_invoice_number").AttrOr("value", ""); got != "AD-77" {
		t.Errorf("the invoice number shown again is %q", got)
	}

	if err := models.ArchiveVendor(context.Background(), s.db, adatum.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Model(&adatum).Update("status", models.VendorOnHold).Error; err != nil {
		t.Fatal(err)
	}
	if res := s.cleoC.Post(draft, form("AD-77", "submit")); res.Status != http.StatusSeeOther {
		t.Errorf("submit with the vendor on hold: %d %q", res.Status, res.Text(".field-error"))
	}
}

// A bill form refused and shown again keeps its lines and two blank ones at most after
// them, not two more blank lines with each refusal.
func TestARefusedBillFormDoesNotGrowBlankLines(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	gl := models.GLAccount{Code: "6100", Name: "Consulting"}
	vendor := models.Vendor{Name: "Adatum Consulting", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	for _, v := range []any{&gl, &vendor} {
		if err := s.db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	form := url.Values{"vendor": {strconv.FormatInt(vendor.ID, 10)}, "vendor_text": {vendor.Name}, "purchase_order": {""},
		"vendor_invoice_number": {""}, "invoice_date": {"2026-03-02"}, "currency": {"USD"}, "form_key": {"k-lines"}, "intent": {"save"}}
	for i := range 4 {
		desc, qty, price := "", "", ""
		if i == 0 {
			desc, qty, price = "Advice", "1", "500.00"
		}
		for k, v := range map[string]string{"order_line": "", "description": desc, "quantity": qty, "unit_price": price, "tax_rate": "",
			"gl_account": strconv.FormatInt(gl.ID, 10), "department": ""} {
			if i > 0 && k == "gl_account" {
				v = ""
			}
			form.Add(k, v)
		}
	}
	for round := 1; round <= 2; round++ {
		res := s.cleoC.Post("/bills", form)
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("round %d: a bill without its invoice number: %d", round, res.Status)
		}
		if n := res.Doc.Find(`input[name="quantity"]`).Length(); n != 4 {
			t.Errorf("round %d: the form shown again has %d lines, want 4 (the typed one and three blank)", round, n)
		}
	}
}
