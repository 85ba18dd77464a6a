package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"outlay"
	"outlay/models"
)

// A trip whose cash advance a report not yet paid netted is not cancelled: sending that
// report back would give the part back to the trip, whose advance a cancelled trip never
// nets again. Once the report is paid, the trip is cancelled with the traveller's word on what
// is still outstanding of the advance (what the report did not take), and on nothing more.
func TestCancelledTripKeepsNoAdvanceAReportMayGiveBack(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	trip, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, f.input(), true)
	if err != nil {
		t.Fatal(err)
	}
	f.approve(t, trip.ID)
	// An unrelated report of Tess's, approved, took $120 of the trip's $300 advance.
	n := "EXP-000777"
	report := models.ExpenseReport{Number: &n, OwnerID: f.traveller.ID, Title: "Taxis", Currency: "USD", TotalMinor: 120_00,
		AdvanceMinor: 120_00, Status: models.ExpenseApproved}
	if err := f.db.Create(&report).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Create(&models.AdvanceDeduction{ReportID: report.ID, TravelRequestID: trip.ID, AmountMinor: 120_00}).Error; err != nil {
		t.Fatal(err)
	}
	cancel := models.CancelTrip{Reason: "Called off", AdvanceSettled: true}
	_, err = models.CancelTravel(ctx, f.db, f.traveller.ID, trip.ID, cancel)
	if msg, _ := outlay.Message(err); !errors.Is(err, outlay.ErrConflict) || !strings.Contains(msg, "EXP-000777 took part of this trip's cash advance") {
		t.Fatalf("cancelling while EXP-000777 may still be sent back: %v", err)
	}
	if out, err := models.TripCancellation(ctx, f.db, *trip); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("the page would offer the cancellation: %v %v", out, err)
	}
	if err := f.db.Model(&report).Update("status", models.ExpensePaid).Error; err != nil {
		t.Fatal(err)
	}
	out, err := models.TripCancellation(ctx, f.db, *trip)
	if err != nil || out.Minor != 180_00 {
		t.Fatalf("outstanding once the report is paid: %v %v", out, err)
	}
	var verr outlay.ValidationErrors
	if _, err := models.CancelTravel(ctx, f.db, f.traveller.ID, trip.ID, models.CancelTrip{Reason: "Called off"}); !errors.As(err, &verr) ||
		!strings.Contains(verr["advance_settled"], "$180.00") {
		t.Fatalf("without the word on the $180.00 left: %v", err)
	}
	// The reason's line breaks are kept as one character each.
	if _, err := models.CancelTravel(ctx, f.db, f.traveller.ID, trip.ID, models.CancelTrip{Reason: "Called off\r\nby the client", AdvanceSettled: true}); err != nil {
		t.Fatal(err)
	}
	var got models.TravelRequest
	if err := f.db.Take(&got, trip.ID).Error; err != nil || got.Status != models.TravelCancelled || got.CancelReason != "Called off\nby the client" {
		t.Errorf("cancelled trip %+v %v", got, err)
	}
	if owed, err := models.OutstandingAdvances(ctx, f.db, f.traveller.ID); err != nil || len(owed) != 0 {
		t.Errorf("still owed after the cancellation: %v %v", owed, err)
	}
}
