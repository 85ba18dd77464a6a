package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/models"
)

// An approved trip that will not take place is cancelled by its traveller, with the reason
// and, while its cash advance is outstanding, the traveller's word that it was never paid out
// or has been returned. The cancelled trip holds nothing against the budget, owes no advance,
// names who cancelled it and why, and is listed under Cancelled. Nobody else may cancel it,
// a second cancellation is refused, and a trip an expense report was started from is not
// cancelled.
func TestCancelAnApprovedTrip(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	f := s.tripForm()
	f.Set("intent", "submit")
	trip := s.save(t, s.tessC, f)
	if res := approvalPost(s.moC, stepURL(s.pendingStep(t, trip.ID).ID, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve the trip: %d", res.Status)
	}
	path := "/travel/" + ids(trip.ID)
	cancel := path + "/cancel"
	page := s.tessC.Get(path)
	if page.Doc.Find(`#trip-cancel form[action="`+cancel+`"]`).Length() != 1 || !strings.Contains(page.Text(`#trip-cancel label.checkbox`), "$200.00") {
		t.Fatalf("the approved trip offers no cancellation with its advance: %q", page.Text("#trip-cancel"))
	}
	if n := s.asaC.Get(path).Doc.Find("#trip-cancel").Length(); n != 0 {
		t.Error("the admin, who sees everyone's travel, is offered to cancel Tess's trip")
	}
	if n := s.moC.Get(path).Doc.Find("#trip-cancel").Length(); n != 0 {
		t.Error("the approver is offered to cancel Tess's trip")
	}
	for name, c := range map[string]int{"colleague": s.coleC.Post(cancel, url.Values{"cancel_reason": {"Not mine"}, "advance_settled": {"1"}}).Status,
		"admin":    s.asaC.Post(cancel, url.Values{"cancel_reason": {"Not mine"}, "advance_settled": {"1"}}).Status,
		"approver": s.moC.Post(cancel, url.Values{"cancel_reason": {"Not mine"}, "advance_settled": {"1"}}).Status} {
		if c != http.StatusNotFound && c != http.StatusForbidden {
			t.Errorf("the %s cancelling Tess's trip: %d", name, c)
		}
	}
	budget := func() string { return s.asaC.Get("/admin/budgets/" + ids(s.budget)).Text("#budget-committed") }
	if c := budget(); c != "$1,470.50" {
		t.Fatalf("budget committed before %q", c)
	}

	res := s.tessC.Post(cancel, url.Values{"cancel_reason": {"   "}, "advance_settled": {"1"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Text("#cancel_reason-error"), "Say why the trip will not take place") ||
		res.Doc.Find("#cancel_reason").AttrOr("aria-invalid", "") != "true" {
		t.Errorf("no reason: %d %q", res.Status, res.Text("#cancel_reason-error"))
	}
	res = s.tessC.Post(cancel, url.Values{"cancel_reason": {"The fair was called off"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#advance_settled-error"), "$200.00 of the cash advance") ||
		strings.TrimSpace(res.Doc.Find("#cancel_reason").Text()) != "The fair was called off" {
		t.Errorf("advance not settled: %d %q, reason kept %q", res.Status, res.Text("#advance_settled-error"), res.Doc.Find("#cancel_reason").Text())
	}
	var got models.TravelRequest
	if err := s.db(t).Take(&got, trip.ID).Error; err != nil || got.Status != models.TravelApproved {
		t.Fatalf("after refusals the trip is %q (%v)", got.Status, err)
	}

	res = s.tessC.Post(cancel, url.Values{"cancel_reason": {"The fair was called off"}, "advance_settled": {"1"}})
	if res.Status != http.StatusSeeOther || res.Location() != path {
		t.Fatalf("cancel: %d %q %s", res.Status, res.Location(), res.Text(".field-error"))
	}
	page = s.tessC.Get(path)
	if msg := page.Text(".flash-success"); !strings.Contains(msg, "Trip TRV-000001 is cancelled.") {
		t.Errorf("flash %q", msg)
	}
	if st := page.Text(".page-header .badge"); st != "Cancelled" {
		t.Errorf("status %q", st)
	}
	if who := page.Text("#trip-cancelled"); !strings.HasPrefix(who, "By Tess Traveller on ") || !strings.HasSuffix(who, ": The fair was called off") {
		t.Errorf("cancelled %q", who)
	}
	if page.Doc.Find("#trip-cancel").Length() != 0 || page.Doc.Find(`form[action$="/expense-report"]`).Length() != 0 {
		t.Error("the cancelled trip still offers a cancellation or an expense report")
	}
	if c := budget(); c != "$0.00" {
		t.Errorf("budget committed after %q", c)
	}
	if owed, err := models.OutstandingAdvances(context.Background(), s.db(t), s.tess.ID); err != nil || len(owed) != 0 {
		t.Errorf("advances still owed after the cancellation: %v %v", owed, err)
	}
	// The approver, whose approval held the budget, is told, and given the reason; Tess, who
	// cancelled it, is not told of her own act.
	var told []models.Notification
	if err := s.db(t).Where("kind = ? AND doc_id = ?", models.MailCancelled, trip.ID).Order("recipient_id").Find(&told).Error; err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || told[0].RecipientID != s.mo.ID || told[0].Title != "The travel request TRV-000001 for $1,470.50 was cancelled by Tess Traveller" ||
		!strings.Contains(told[0].Summary, "The fair was called off") {
		t.Errorf("told of the cancellation: %+v", told)
	}
	if list := s.tessC.Get("/travel?status=cancelled"); !strings.Contains(list.Text("main table"), "TRV-000001") {
		t.Errorf("the Cancelled tab lacks the trip: %q", list.Text("main"))
	}
	if list := s.tessC.Get("/travel?status=approved"); strings.Contains(list.Text("main table"), "TRV-000001") {
		t.Error("the Approved tab still lists the cancelled trip")
	}
	if hist := s.tessC.Get(path + "/history").Text("main"); !strings.Contains(hist, "Cancelled by") || !strings.Contains(hist, "The fair was called off") {
		t.Errorf("history: %q", hist)
	}
	res = s.tessC.Post(cancel, url.Values{"cancel_reason": {"Again"}, "advance_settled": {"1"}})
	if res.Status != http.StatusSeeOther || !strings.Contains(s.tessC.Get(path).Text(".flash-error"), "This trip is cancelled already.") {
		t.Errorf("second cancellation: %d", res.Status)
	}

	// A trip without an advance asks for no word about it; one an expense report was
	// started from took place.
	f = s.tripForm()
	f.Set("intent", "submit")
	f.Set("advance", "")
	second := s.save(t, s.tessC, f)
	if res := approvalPost(s.moC, stepURL(s.pendingStep(t, second.ID).ID, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve the second trip: %d", res.Status)
	}
	secondPath := "/travel/" + ids(second.ID)
	if n := s.tessC.Get(secondPath).Doc.Find("#advance_settled").Length(); n != 0 {
		t.Error("a trip without an advance asks about it")
	}
	if res := s.tessC.Post(secondPath+"/expense-report", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("start the report: %d", res.Status)
	}
	if page := s.tessC.Get(secondPath); page.Doc.Find("#trip-cancel form").Length() != 0 ||
		!strings.Contains(page.Text("#trip-cannot-cancel"), "is still a draft: delete the draft first") {
		t.Errorf("a trip with a report offers the cancellation: %q", page.Text("#trip-cancel"))
	}
	res = s.tessC.Post(secondPath+"/cancel", url.Values{"cancel_reason": {"Called off"}})
	if res.Status != http.StatusConflict || !strings.Contains(res.Text("#trip-cannot-cancel"), "is still a draft: delete the draft first") {
		t.Errorf("a trip with a report: %d %q", res.Status, res.Text("#trip-cancel"))
	}
}
