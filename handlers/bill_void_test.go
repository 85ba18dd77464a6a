package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A void bill is owed no more: nothing is open on it in the bill list, its exports and the
// page of a cancelled payment run that was to pay part of it.
func TestAVoidBillHasNothingOpen(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	bill := s.enter(t, "V-1", "submit", "4")
	billID := bill[strings.LastIndexByte(bill, '/')+1:]
	today := time.Now().Format(time.DateOnly)
	res := s.cleoC.Post("/payments", url.Values{"currency": {"USD"}, "method": {"ach"}, "due_by": {today}, "pay_on": {today},
		"bill": {billID}, "amount." + billID: {"10.00"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("payment run: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	run := res.Location()
	if r := s.cleoC.Post(run+"/cancel", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel the run: %d %s", r.Status, r.Text(".flash, .field-error"))
	}
	if r := s.cleoC.Post(bill+"/void", url.Values{"void_reason": {"The vendor withdrew V-1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("void V-1: %d %s", r.Status, r.Text("#void_reason-error"))
	}

	if open := s.cleoC.Get("/bills?status=void").Text(`#bills-table tbody td[data-label="Open"]`); open != "$0.00" {
		t.Errorf("the void list shows %q open, want $0.00", open)
	}
	head, rows := csvExport(t, s.cleoC, "/bills/export?status=void")
	if open := column(head, rows, "Open"); len(open) != 1 || open[0] != "0.00" {
		t.Errorf("the export shows %q open, want 0.00 (total %q)", open, column(head, rows, "Total"))
	}
	if text := s.cleoC.Get(run).Text(".payment-lines"); strings.Contains(text, "open") {
		t.Errorf("the cancelled run still says what is open on the void bill: %q", text)
	}
}

// A bill voided because it was keyed wrongly no longer holds its invoice number: the bill
// entered instead, with the same number, is saved.
func TestAVoidBillsInvoiceNumberIsFreeAgain(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	wrong := s.enter(t, "NW-2301", "save", "1")
	if r := s.cleoC.Post(wrong+"/void", url.Values{"void_reason": {"Keyed with the wrong quantity"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("void: %d %s", r.Status, r.Text("#void_reason-error"))
	}
	f := s.orderForm("NW-2301", [2]string{"2", "3.99"})
	f.Set("form_key", "k-again")
	f.Set("intent", "save")
	if res := s.cleoC.Post("/bills", f); res.Status != http.StatusSeeOther {
		t.Errorf("NW-2301 entered again: %d %q", res.Status, res.Text("#vendor_invoice_number-error"))
	}
}
