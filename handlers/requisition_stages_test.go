package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"outlay/internal/dbtest"
	"outlay/money"
)

// A requisition's page says where its value stands, as its order's page does: nothing while
// it is a draft, "Approved" once approved, and once ordered, part received and part billed,
// each stage's amount, adding up to the requisition's total.
func TestRequisitionPageShowsWhereItsValueStands(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)

	approved := dbtest.ApprovedRequisition(t, s.db, s.rae.ID, "", dbtest.OrderLine{Description: "Chairs", Quantity: "2", UnitPrice: 12500})
	if got := s.raeC.Get(fmt.Sprintf("/requisitions/%d", approved.Requisition.ID)).Text("#requisition-stages"); got != "Approved $250.00" {
		t.Errorf("approved requisition's stages %q", got)
	}
	draft := dbtest.CreateRequisition(t, s.db, dbtest.Requisition{RequesterID: s.rae.ID})
	if page := s.raeC.Get(fmt.Sprintf("/requisitions/%d", draft.ID)); page.Status != http.StatusOK || page.Doc.Find("#requisition-stages").Length() != 0 {
		t.Errorf("a draft shows stages: %d %q", page.Status, page.Text("#requisition-stages"))
	}

	// The site's order: 10 toner at $3.99 and 5 paper at $20.00, all the toner and 2 paper
	// received; the clerk bills 4 toner and 2 paper.
	f := s.orderForm("INV-S1", [2]string{"4", "3.99"}, [2]string{"2", "20.00"})
	f.Set("intent", "submit")
	if res := s.cleoC.Post("/bills", f); res.Status != http.StatusSeeOther {
		t.Fatalf("bill: %d %s", res.Status, res.Text(".field-error"))
	}
	path := fmt.Sprintf("/requisitions/%d", s.order.RequisitionID)
	for _, who := range []struct {
		name string
		get  func(string) string
	}{
		{"requester", func(sel string) string { return s.raeC.Get(path).Text(sel) }},
		{"auditor", func(sel string) string { return s.audiC.Get(path).Text(sel) }},
	} {
		got := who.get("#requisition-stages")
		if got != "Purchased $60.00 · Received $23.94 · Billed $55.96" {
			t.Errorf("%s sees stages %q", who.name, got)
		}
		var sum int64
		for _, part := range strings.Split(got, " · ") {
			_, amount, _ := strings.Cut(part, " ")
			m, err := money.Parse(amount, "USD")
			if err != nil {
				t.Fatalf("%s: stage %q: %v", who.name, part, err)
			}
			sum += m.Minor
		}
		total, err := money.Parse(who.get("dd.req-total"), "USD")
		if err != nil || sum != total.Minor || total.Minor != 13990 {
			t.Errorf("%s: stages add up to %d, total %d (%v)", who.name, sum, total.Minor, err)
		}
	}
}
