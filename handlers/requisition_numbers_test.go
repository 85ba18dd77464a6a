package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// A number that cannot be read is named beside its field while the form is typed (the live
// total's answer carries each number field's message out of band), the total says which
// line it leaves out, and a field left empty is not scolded until the form is saved.
func TestUnreadableNumbersAreNamedBesideTheirFieldsWhileTyping(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	c.Header.Set("HX-Request", "true")
	f := s.reqForm([4]string{"Desk", "2,5", "10", ""}, [4]string{"Chair", "1", "5", ""}, [4]string{"Pens", "", "", ""})
	f["tax_rate"] = []string{"", "twenty", ""}
	res := c.Post("/requisitions/totals", f)
	if res.Status != http.StatusOK {
		t.Fatalf("totals: %d", res.Status)
	}
	checks := map[string]string{
		"line-0-quantity": "Enter a number like 1,234.50.", "line-0-unit_price": "", "line-0-tax_rate": "",
		"line-1-quantity": "", "line-1-unit_price": "", "line-1-tax_rate": "Enter a number like 1,234.50.",
		"line-2-quantity": "", "line-2-unit_price": "", // nothing typed yet: asked for on saving
	}
	for key, want := range checks {
		box := res.Doc.Find("#" + key + "-check")
		if oob, _ := box.Attr("hx-swap-oob"); oob != "true" {
			t.Errorf("%s: no out-of-band message box (oob %q)", key, oob)
		}
		if got := strings.TrimSpace(box.Find("#" + key + "-error").Text()); got != want {
			t.Errorf("%s: message %q, want %q", key, got, want)
		}
	}
	if got := res.Text(".req-unpriced"); got != "Lines 1, 2 are not in the total: numbers on them cannot be read." {
		t.Errorf("the total says %q", got)
	}
	if got := res.Text("#requisition-totals dd.req-total"); got != "$0.00" {
		t.Errorf("total %q", got)
	}
	// Corrected, the messages go away and the lines count again.
	f["quantity"] = []string{"2.5", "1", ""}
	f["tax_rate"] = []string{"", "20", ""}
	res = c.Post("/requisitions/totals", f)
	if got := res.Doc.Find(".number-check .field-error").Length(); got != 0 {
		t.Errorf("%d messages left after correcting", got)
	}
	if res.Doc.Find(".req-unpriced").Length() != 0 || res.Text("#requisition-totals dd.req-total") != "$31.00" {
		t.Errorf("after correcting: %q, total %q", res.Text(".req-unpriced"), res.Text("#requisition-totals dd.req-total"))
	}
}

// Saved as typed, even as a draft, an unreadable number is refused beside its field, with
// everything typed kept and nothing stored.
func TestUnreadableNumbersAreRefusedOnSave(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	f := s.reqForm([4]string{"Desk", "2,5", "10", ids(s.gl)}, [4]string{"Chair", "1", "5 dollars", ids(s.gl)})
	res := c.Post("/requisitions", f)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.Status)
	}
	for key, want := range map[string]string{"line-0-quantity": "Enter a number like 1,234.50.", "line-1-unit_price": "Enter a number like 1,234.50."} {
		if got := res.Text("#" + key + "-check #" + key + "-error"); got != want {
			t.Errorf("%s: message %q, want %q", key, got, want)
		}
		if v, _ := res.Doc.Find("#" + key).Attr("aria-invalid"); v != "true" {
			t.Errorf("%s not marked invalid", key)
		}
	}
	for key, want := range map[string]string{"line-0-quantity": "2,5", "line-1-unit_price": "5 dollars", "line-1-description": "Chair", "justification": "New starters need desks"} {
		sel := res.Doc.Find("#" + key)
		v, _ := sel.Attr("value")
		if key == "justification" {
			v = sel.Text()
		}
		if v != want {
			t.Errorf("%s: typed %q, shown again %q", key, want, v)
		}
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d requisitions stored", n)
	}
}
