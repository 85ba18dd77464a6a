package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"outlay/internal/testutil"
)

// History names the records its entries are about ("REQ-000006", "Step 1 of REQ-000006
// (Max Manager)") and reads statuses as the pages do ("Partly received"), never as stored.
func TestHistoryNamesRecordsAndLabelsStatuses(t *testing.T) {
	t.Parallel()
	f := newHistoryFixture(t)
	p, po := f.p, f.po
	env := f.env
	app := testutil.NewApp(t, env)
	ana := app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	number := *p.Requisition.Number

	page := ana.Get(fmt.Sprintf("/requisitions/%d/history", p.Requisition.ID))
	if page.Status != http.StatusOK {
		t.Fatalf("requisition history: %d", page.Status)
	}
	what := page.Doc.Find(".audit-what").Text()
	for _, want := range []string{number, "Step 1 of " + number + " (Max Manager)", "Line 1 of " + number + ": Standing desk"} {
		if !strings.Contains(what, want) {
			t.Errorf("the requisition's History does not name %q: %q", want, what)
		}
	}
	for _, raw := range []string{"Requisitions #", "Approval steps #", "Requisition lines #"} {
		if strings.Contains(what, raw) {
			t.Errorf("the requisition's History still reads %q: %q", raw, what)
		}
	}
	if body := page.Text("main"); !strings.Contains(body, "Ordered") || strings.Contains(body, "ordered →") {
		t.Errorf("the requisition's status is not labelled: %q", body)
	}

	page = ana.Get(fmt.Sprintf("/purchase-orders/%d/history", po.ID))
	body := page.Text("main")
	if !strings.Contains(body, "Partly received") || strings.Contains(body, "partially_received") {
		t.Errorf("the order's History does not label its status: %q", body)
	}
	if what := page.Doc.Find(".audit-what").Text(); !strings.Contains(what, po.Number) || strings.Contains(what, "Purchase orders #") {
		t.Errorf("the order's History does not name it: %q", what)
	}

	log := ana.Get("/audit")
	if what := log.Doc.Find(".audit-what").Text(); !strings.Contains(what, "Step 1 of "+number+" (Max Manager)") || !strings.Contains(log.Text("main"), "Partly received") {
		t.Errorf("the audit log does not read as sentences: %q", log.Text("main"))
	}
}
