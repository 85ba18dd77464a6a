package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// What only a report's owner may do to it (change it, attach a receipt, withdraw or delete
// it) answers staff who see Rita's returned report (an AP clerk, an admin) as Rita's draft
// answers them: 404, neither telling it is there nor misstating its status. Nothing changes;
// Rita herself still changes it.
func TestOnlyTheOwnerEditsAReturnedReport(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	rita := s.client(t, s.rita)
	r := s.newReport(t, rita, "submit", "12.50")
	var line models.ExpenseLine
	s.db.Where("report_id = ?", r.ID).First(&line)
	var step models.ApprovalStep
	s.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).First(&step)
	maxC := s.client(t, s.max)
	maxC.Get("/approvals")
	if res := maxC.Post(fmt.Sprintf("/approvals/%d/reject", step.ID), url.Values{"comment": {"Add the receipt"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("return: %d", res.Status)
	}
	s.db.First(&r, r.ID)
	if r.Status != models.ExpenseReturned {
		t.Fatalf("the report is %s, want returned", r.Status)
	}
	doc := fmt.Sprintf("/expenses/%d", r.ID)
	before := s.expenseRows(t)

	for _, who := range []*models.User{s.person(t, "carl@acme.example", "Carl Clerk", "ap_clerk"), s.person(t, "ana@acme.example", "Ana Admin", "admin")} {
		c := s.client(t, who)
		if res := c.Get(doc); res.Status != http.StatusOK {
			t.Fatalf("%s cannot read the returned report: %d", who.Name, res.Status)
		}
		for _, tc := range []struct {
			name string
			post func() *testutil.Response
		}{
			{"save", func() *testutil.Response { return c.Post(doc, url.Values{"title": {"x"}, "intent": {"save"}}) }},
			{"submit", func() *testutil.Response {
				return c.Post(doc, s.expenseForm("submit", [4]string{day(1), ids(s.meals.ID), "Cafe", "1.00"}))
			}},
			{"receipt", func() *testutil.Response {
				return c.Upload(fmt.Sprintf("%s/lines/%d/receipt", doc, line.ID), "file", "r.png", "image/png", pngBytes(t))
			}},
			{"withdraw", func() *testutil.Response { return c.Post(doc+"/withdraw", url.Values{}) }},
			{"delete", func() *testutil.Response { return c.Post(doc+"/delete", url.Values{}) }},
		} {
			if res := tc.post(); res.Status != http.StatusNotFound {
				t.Errorf("%s, %s: %d %q, want 404", who.Name, tc.name, res.Status, res.Text("main"))
			}
		}
	}
	if after := s.expenseRows(t); after != before {
		t.Errorf("rows changed: %s, was %s", after, before)
	}
	if res := rita.Post(doc, s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Cafe", "14.00"})); res.Status != http.StatusSeeOther {
		t.Errorf("Rita saves her returned report: %d %s", res.Status, res.Text(".field-error, [data-form-error]"))
	}
}
