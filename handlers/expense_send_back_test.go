package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/models"
)

// An AP clerk finds an approved report wrong before paying it and sends it back with the
// reason: the owner is told, reads the reason above the form, corrects it and submits it
// again for a new round of approval. Without a reason nothing happens and what was typed
// stays; a scheduled report must leave its batch first; a requester may not send back.
func TestAnApprovedReportIsSentBackBeforeItIsPaid(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	clerk := s.person(t, "carl@acme.example", "Carl Clerk", "ap_clerk")
	rita := s.client(t, s.rita)
	r := s.newReport(t, rita, "submit", "12.50")
	doc := fmt.Sprintf("/expenses/%d", r.ID)
	var step models.ApprovalStep
	s.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).First(&step)
	maxC := s.client(t, s.max)
	maxC.Get("/approvals")
	if res := maxC.Post(fmt.Sprintf("/approvals/%d/approve", step.ID), url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.Status)
	}

	c := s.client(t, clerk)
	page := c.Get(doc)
	if page.Doc.Find(`form[action="`+doc+`/send-back"]`).Length() != 1 {
		t.Fatal("the approved report offers the clerk no way to send it back")
	}
	if rita.Get(doc).Doc.Find(`form[action="`+doc+`/send-back"]`).Length() != 0 {
		t.Error("the owner is offered to send back their own report")
	}
	res := c.Post(doc+"/send-back", url.Values{"reason": {"   "}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#reason-error") == "" {
		t.Fatalf("no reason: %d %q", res.Status, res.Text("#reason-error"))
	}
	s.db.First(&r, r.ID)
	if r.Status != models.ExpenseApproved {
		t.Fatalf("a refused send-back left it %s", r.Status)
	}
	if res := s.client(t, s.rob).Post(doc+"/send-back", url.Values{"reason": {"no"}}); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("a requester sends back: %d %q", res.Status, res.Location())
	}
	reason := "The cafe receipt shows 21.50, not 12.50: correct the amount."
	if flash := flashAfter(t, c, c.Post(doc+"/send-back", url.Values{"reason": {reason}})); !strings.Contains(flash, "is sent back to Rita Requester") {
		t.Errorf("send back: %q", flash)
	}
	s.db.First(&r, r.ID)
	if r.Status != models.ExpenseReturned || r.SentBackReason == nil || *r.SentBackReason != reason {
		t.Fatalf("after the send-back: %s %v", r.Status, r.SentBackReason)
	}
	var notes []models.Notification
	s.db.Where("recipient_id = ?", s.rita.ID).Order("id").Find(&notes)
	if len(notes) == 0 || !strings.Contains(notes[len(notes)-1].Title, "was sent back to you by Carl Clerk before it was paid") {
		t.Errorf("Rita's notifications: %+v", notes)
	}
	// Rita reads the reason above her form, corrects the amount and submits again.
	form := rita.Get(doc)
	if got := form.Text(".req-rejection"); !strings.Contains(got, "Returned by Carl Clerk") || !strings.Contains(got, reason) {
		t.Errorf("the owner's form reads %q", got)
	}
	f := s.expenseForm("submit", [4]string{day(1), ids(s.meals.ID), "Cafe", "21.50"})
	f.Set("version", form.Doc.Find("#draft-version").AttrOr("value", ""))
	if res := rita.Post(doc, f); res.Status != http.StatusSeeOther {
		t.Fatalf("resubmit: %d %s", res.Status, res.Text(".field-error, [data-form-error]"))
	}
	s.db.First(&r, r.ID)
	var pending int64
	s.db.Model(&models.ApprovalStep{}).Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).Count(&pending)
	if r.Status != models.ExpenseSubmitted || r.TotalMinor != 2150 || pending != 1 {
		t.Errorf("resubmitted: %s, total %d, %d steps pending", r.Status, r.TotalMinor, pending)
	}
	// Exported to the accounting system, it is owed there: it stays.
	exported := s.approvedReport(t, s.rob, "EXP-000778", "USD", 2000)
	if _, err := models.CreateExportBatch(context.Background(), s.db, clerk.ID); err != nil {
		t.Fatal(err)
	}
	if flash := flashAfter(t, c, c.Post(fmt.Sprintf("/expenses/%d/send-back", exported.ID), url.Values{"reason": {"wrong"}})); !strings.Contains(flash, "went to the accounting system") {
		t.Errorf("an exported report: %q", flash)
	}
	// Scheduled in a batch, it must leave the batch first.
	scheduled := s.approvedReport(t, s.rob, "EXP-000777", "USD", 1000)
	c.Get("/expenses/reimbursements/new")
	c.Post("/expenses/reimbursements", url.Values{"report": {ids(scheduled.ID)}})
	if flash := flashAfter(t, c, c.Post(fmt.Sprintf("/expenses/%d/send-back", scheduled.ID), url.Values{"reason": {"wrong"}})); !strings.Contains(flash, "take it out of the batch first") {
		t.Errorf("a scheduled report: %q", flash)
	}
}
