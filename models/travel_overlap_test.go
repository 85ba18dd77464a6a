package models_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"outlay"
	"outlay/models"
)

// tripOn is the fixture's trip, out on day first and back on day last (from today).
func (f tripFixture) tripOn(first, last int, to string) models.TravelInput {
	in := f.input()
	in.Legs = []models.LegInput{{From: "Boston", To: to, DepartOn: day(first), ReturnOn: day(last), Mode: models.ModeAir}}
	return in
}

// A trip whose days overlap another trip of the traveller's that still stands is held back on
// submission, naming that trip, until the person submitting confirms it; nothing is stored
// meanwhile. Trips withdrawn, returned or cancelled overlap nothing, and nobody is told of
// another person's draft.
func TestTripOverlappingAnotherIsHeldBackUntilConfirmed(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	tess := f.self(f.traveller)
	paris, err := models.SaveTravel(ctx, f.db, tess, 0, f.tripOn(10, 14, "Paris"), true)
	if err != nil {
		t.Fatal(err)
	}
	f.approve(t, paris.ID)

	// Rome, on days 12 to 16, overlaps Paris.
	rome := f.tripOn(12, 16, "Rome")
	_, err = models.SaveTravel(ctx, f.db, tess, 0, rome, true)
	var w *models.TripOverlapWarning
	if !errors.As(err, &w) || len(w.Overlaps) != 1 {
		t.Fatalf("submitting an overlapping trip: %v", err)
	}
	if o := w.Overlaps[0]; o.ID != paris.ID || o.Number == nil || *o.Number != *paris.Number || o.Status != models.TravelApproved ||
		!o.Visible || o.Destinations != "Paris" {
		t.Errorf("the overlap named: %+v", o)
	}
	if !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("the warning is not a conflict to what does not show it: %v", err)
	}
	if n := f.count(t); n != 1 {
		t.Errorf("%d trips stored after the warning, want Paris alone", n)
	}
	if err := models.CheckTravelSubmission(ctx, f.db, tess, 0, rome); !errors.As(err, &w) {
		t.Errorf("the check before asking: %v, want the warning", err)
	}
	// Saved as a draft, it is not held back: only submitting asks.
	draft, err := models.SaveTravel(ctx, f.db, tess, 0, rome, false)
	if err != nil {
		t.Fatalf("saving the draft: %v", err)
	}
	if _, err := models.SubmitTravel(ctx, f.db, f.traveller.ID, draft.ID, ""); !errors.As(err, &w) {
		t.Errorf("submitting the stored draft: %v, want the warning", err)
	}
	// Confirmed, it goes through.
	rome.OverlapsConfirmed = w.Confirmation()
	if err := models.CheckTravelSubmission(ctx, f.db, tess, draft.ID, rome); err != nil {
		t.Errorf("the check of the confirmed trip: %v", err)
	}
	submitted, err := models.SaveTravel(ctx, f.db, tess, draft.ID, rome, true)
	if err != nil || submitted.Status != models.TravelSubmitted {
		t.Fatalf("the confirmed trip: %v", err)
	}

	// Its approver reads the overlap on its page, Paris linked: it was routed to him.
	mo := models.Viewer{UserID: f.manager.ID, Roles: []string{"approver"}}
	overlaps, err := models.TripOverlaps(ctx, f.db, mo, *submitted)
	if err != nil || len(overlaps) != 1 || overlaps[0].ID != paris.ID || !overlaps[0].Visible {
		t.Errorf("the approver's note: %+v %v", overlaps, err)
	}
	// Cole sees neither trip: Paris is named, not linked.
	cole := models.Viewer{UserID: f.colleague.ID, Roles: []string{"requester"}}
	if overlaps, err := models.TripOverlaps(ctx, f.db, cole, *submitted); err != nil || len(overlaps) != 1 || overlaps[0].Visible {
		t.Errorf("one who may not open Paris: %+v %v", overlaps, err)
	}

	// Rome withdrawn stands no more: Florence, on days 15 and 16, overlaps nothing (Paris
	// is back on day 14).
	if _, err := models.WithdrawTravel(ctx, f.db, f.traveller.ID, submitted.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveTravel(ctx, f.db, tess, 0, f.tripOn(15, 16, "Florence"), true); err != nil {
		t.Errorf("a trip overlapping only a withdrawn one: %v", err)
	}

	// A draft Asa filed for Tess is hers too: her trip on its days names it. Mo, who
	// approves, never reads of the draft.
	asa := models.TravelFiler{UserID: f.assistant.ID, ForOthers: true}
	berlin := f.tripOn(40, 42, "Berlin")
	berlin.Traveller = strconv.FormatInt(f.traveller.ID, 10)
	filed, err := models.SaveTravel(ctx, f.db, asa, 0, berlin, false)
	if err != nil {
		t.Fatal(err)
	}
	oslo := f.tripOn(41, 41, "Oslo")
	if _, err := models.SaveTravel(ctx, f.db, tess, 0, oslo, true); !errors.As(err, &w) || w.Overlaps[0].ID != filed.ID || w.Overlaps[0].Number != nil {
		t.Fatalf("a trip on the days of the traveller's draft: %v", err)
	}
	oslo.OverlapsConfirmed = w.Confirmation()
	osloTrip, err := models.SaveTravel(ctx, f.db, tess, 0, oslo, true)
	if err != nil {
		t.Fatal(err)
	}
	if overlaps, err := models.TripOverlaps(ctx, f.db, mo, *osloTrip); err != nil || len(overlaps) != 0 {
		t.Errorf("the approver reads of the traveller's draft: %+v %v", overlaps, err)
	}
	if overlaps, err := models.TripOverlaps(ctx, f.db, models.Viewer{UserID: f.traveller.ID}, *osloTrip); err != nil || len(overlaps) != 1 {
		t.Errorf("the traveller's own note: %+v %v", overlaps, err)
	}
}
