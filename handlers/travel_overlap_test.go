package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// A trip whose days overlap another of the traveller's is not refused: the form comes back
// with everything typed, naming the other trip with a link and a box to submit it anyway,
// and nothing is stored until the box is ticked. Its approver then reads the overlap on the
// trip's page and in the queue.
func TestTravelOverlapIsWarnedOnTheFormAndNotedForTheApprover(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	first := s.tripForm()
	first.Set("intent", "submit")
	paris := s.save(t, s.tessC, first)
	parisPath := "/travel/" + ids(paris.ID)

	second := s.tripForm() // days 11 to 15: Paris is away from 9 to 13
	second.Set("purpose", "Supplier visit in Lyon")
	second["to"] = []string{"Lyon", "Boston"}
	second["from"] = []string{"Boston", "Lyon"}
	second["depart_on"] = []string{tripDay(11), tripDay(15)}
	second.Set("intent", "submit")
	if res := s.tessC.Post("/travel/check", second); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("the check before asking: %d, want 422 (the form is sent to show the overlap)", res.Status)
	}
	res := s.tessC.Post("/travel", second)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("an overlapping trip: %d", res.Status)
	}
	warning := res.Doc.Find("#travel-form #trip-overlaps")
	if got := warning.Text(); !strings.Contains(got, "You already have another trip on some of these days:") || !strings.Contains(got, "Paris, Boston") {
		t.Errorf("the warning reads %q", got)
	}
	if link := warning.Find(`a[href="` + parisPath + `"]`); link.Text() != "TRV-000001" {
		t.Errorf("the warning's link to the other trip: %q", link.Text())
	}
	box := warning.Find(`input[type="checkbox"][name="overlaps_confirmed"]`)
	if box.AttrOr("value", "") != ids(paris.ID) || box.AttrOr("checked", "no") != "no" {
		t.Errorf("the box that submits it anyway: value %q checked %v", box.AttrOr("value", ""), box.AttrOr("checked", "no") != "no")
	}
	if res.Doc.Find(".field-error").Length() != 0 || strings.Contains(res.Body, "Please correct the fields") {
		t.Errorf("the warning reads as a refusal: %q", res.Text(".field-error"))
	}
	if v := res.Doc.Find("#purpose").Text(); v != "Supplier visit in Lyon" {
		t.Errorf("the purpose typed: %q", v)
	}
	if v := res.Doc.Find("#leg-1-depart_on").AttrOr("value", ""); v != tripDay(15) {
		t.Errorf("the second leg's departure typed: %q", v)
	}
	if n := countRows(t, s.db(t), "travel_requests"); n != 1 {
		t.Errorf("%d trips stored before the overlap was confirmed", n)
	}

	// Ticked, it is submitted.
	second.Set("overlaps_confirmed", ids(paris.ID))
	if res := s.tessC.Post("/travel/check", second); res.Status != http.StatusNoContent {
		t.Errorf("the check of the confirmed trip: %d", res.Status)
	}
	lyon := s.save(t, s.tessC, second)
	lyonPath := "/travel/" + ids(lyon.ID)

	// Mo reads on its page and in his queue that Tess has another trip on those days.
	page := s.moC.Get(lyonPath)
	note := page.Doc.Find("#trip-overlaps")
	if !strings.Contains(note.Text(), "Tess Traveller has another trip on some of the same days:") ||
		note.Find(`a[href="`+parisPath+`"]`).Text() != "TRV-000001" || !strings.Contains(note.Text(), "Pending approval") {
		t.Errorf("the trip's page notes %q", note.Text())
	}
	details := approvalGet(s.moC, stepURL(s.pendingStep(t, lyon.ID).ID, ""))
	if got := details.Text(".trip-panel #trip-overlaps"); !strings.Contains(got, "TRV-000001") {
		t.Errorf("the queue's details note %q", got)
	}
	// Paris's page names Lyon in turn; once Lyon is withdrawn, neither names the other.
	if got := s.moC.Get(parisPath).Text("#trip-overlaps"); !strings.Contains(got, "TRV-000002") {
		t.Errorf("the other trip's page notes %q", got)
	}
	if res := s.tessC.Post(lyonPath+"/withdraw", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.Status)
	}
	if n := s.moC.Get(parisPath).Doc.Find("#trip-overlaps").Length(); n != 0 {
		t.Error("a withdrawn trip is still noted as overlapping")
	}
}
