package models_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"outlay"
	"outlay/models"
)

// tripReportFixture is a trip fixture with expense categories mapped to the trip's estimate
// (Airfare, Hotel as lodging, Per diem as meals; Taxi left to the line's kind) and a per
// diem rate for Berlin.
type tripReportFixture struct {
	tripFixture
	airfare, hotel, perDiem, taxi models.ExpenseCategory
	berlin                        models.PerDiemRate
}

func newTripReportFixture(t *testing.T) tripReportFixture {
	t.Helper()
	f := tripReportFixture{tripFixture: newTripFixture(t)}
	cat := func(name, cost string) models.ExpenseCategory {
		c := models.ExpenseCategory{Name: name, GLAccountID: f.gl, Currency: "USD"}
		if cost != "" {
			c.TripCost = &cost
		}
		if err := f.db.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		return c
	}
	f.airfare, f.hotel = cat("Airfare", models.CostAirfare), cat("Hotel", models.CostLodging)
	f.perDiem, f.taxi = cat("Per diem", models.CostMeals), cat("Taxi", "")
	f.berlin = models.PerDiemRate{Destination: "Berlin", DailyMinor: 8000, Currency: "USD"}
	if err := f.db.Create(&f.berlin).Error; err != nil {
		t.Fatal(err)
	}
	return f
}

// approvedTrip is the fixture's trip (Boston → Paris → Berlin → Boston) leaving in `from`
// days for five days, filed by filer for the traveller and approved by the manager.
func (f tripReportFixture) approvedTrip(t *testing.T, from int, filer models.TravelFiler, lastStop string) *models.TravelRequest {
	t.Helper()
	ctx := context.Background()
	in := f.input()
	in.Traveller = strconv.FormatInt(f.traveller.ID, 10)
	in.Legs = []models.LegInput{
		{From: "Boston", To: "Paris", DepartOn: day(from), Mode: models.ModeAir},
		{From: "Paris", To: lastStop, DepartOn: day(from + 2), Mode: models.ModeRail},
		{From: lastStop, To: "Boston", DepartOn: day(from + 4), Mode: models.ModeAir},
	}
	trip, err := models.SaveTravel(ctx, f.db, filer, 0, in, true)
	if err != nil {
		t.Fatal(err)
	}
	f.approve(t, trip.ID)
	if err := f.db.Take(trip, trip.ID).Error; err != nil {
		t.Fatal(err)
	}
	return trip
}

// An approved trip starts a draft of its traveller's, asked by the traveller or by whoever
// filed it, with the trip's purpose, department, currency and dates and its per diem days at
// the rate of where it went (not the home the last leg returns to). Anyone else finds no trip;
// a trip not approved is refused; a second start names the report it has.
func TestTripStartsItsExpenseReport(t *testing.T) {
	t.Parallel()
	f := newTripReportFixture(t)
	ctx := context.Background()
	assistant := models.TravelFiler{UserID: f.assistant.ID, ForOthers: true}

	draft, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, f.input(), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.StartExpenseFromTrip(ctx, f.db, f.traveller.ID, draft.ID); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("a draft trip started a report: %v", err)
	}

	trip := f.approvedTrip(t, 1, assistant, "Berlin")
	if _, err := models.StartExpenseFromTrip(ctx, f.db, f.colleague.ID, trip.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("a colleague started the trip's report: %v", err)
	}
	r, err := models.StartExpenseFromTrip(ctx, f.db, f.assistant.ID, trip.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := models.GetExpense(ctx, f.db, models.Viewer{UserID: f.traveller.ID}, r.ID)
	if err != nil {
		t.Fatalf("the traveller cannot read the report the filer started: %v", err)
	}
	if got.OwnerID != f.traveller.ID || got.Status != models.ExpenseDraft || got.TravelRequestID == nil || *got.TravelRequestID != trip.ID {
		t.Errorf("report: owner %d status %s trip %v", got.OwnerID, got.Status, got.TravelRequestID)
	}
	if got.Title != "Trip "+*trip.Number+": Paris, Berlin, Boston" || got.Purpose != "Customer visits in Europe" ||
		got.DepartmentID == nil || *got.DepartmentID != f.dept || got.Currency != "USD" {
		t.Errorf("header: %q %q %v %s", got.Title, got.Purpose, got.DepartmentID, got.Currency)
	}
	if got.PeriodFrom == nil || got.PeriodFrom.Format(models.DateLayout) != day(1) || got.PeriodTo == nil || got.PeriodTo.Format(models.DateLayout) != day(5) {
		t.Errorf("period: %v – %v, want %s – %s", got.PeriodFrom, got.PeriodTo, day(1), day(5))
	}
	if len(got.Lines) != 1 {
		t.Fatalf("%d lines, want the per diem alone", len(got.Lines))
	}
	pd := got.Lines[0]
	if pd.Kind != models.LinePerDiem || pd.Days == nil || *pd.Days != 5 || pd.PerDiemRateID == nil || *pd.PerDiemRateID != f.berlin.ID ||
		pd.CategoryID != f.perDiem.ID || pd.ReportMinor != 40000 || pd.SpentOn.Format(models.DateLayout) != day(1) || got.TotalMinor != 40000 {
		t.Errorf("per diem line: %+v (total %d)", pd, got.TotalMinor)
	}

	_, err = models.StartExpenseFromTrip(ctx, f.db, f.traveller.ID, trip.ID)
	var open *models.OpenTripReportError
	if !errors.As(err, &open) || open.Report.ID != r.ID || !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("second start: %v", err)
	}
	if open, err := models.TripReport(ctx, f.db, trip.ID); err != nil || open == nil || open.ID != r.ID {
		t.Errorf("the trip's report: %+v %v", open, err)
	}
	var n int64
	f.db.Model(&models.ExpenseReport{}).Where("travel_request_id = ?", trip.ID).Count(&n)
	if n != 1 {
		t.Errorf("%d reports for the trip", n)
	}
}

// Where no per diem rate matches, or the trip has not started, the draft starts without the
// line; the line is offered to complete (its days filled, the destination to pick), and
// before the trip it cannot be claimed yet.
func TestTripPerDiemLeftToPick(t *testing.T) {
	t.Parallel()
	f := newTripReportFixture(t)
	ctx := context.Background()
	lisbon := f.approvedTrip(t, 1, f.self(f.traveller), "Lisbon")
	r, err := models.StartExpenseFromTrip(ctx, f.db, f.traveller.ID, lisbon.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines int64
	f.db.Model(&models.ExpenseLine{}).Where("report_id = ?", r.ID).Count(&lines)
	if lines != 0 {
		t.Errorf("%d lines stored without a rate", lines)
	}
	pd, err := models.TripPerDiemOf(ctx, f.db, lisbon.ID)
	if err != nil || pd == nil {
		t.Fatalf("per diem: %v", err)
	}
	if pd.Place != "Lisbon" || pd.RateFound || pd.Line.Destination != "" || pd.Line.Days != "5" || pd.Line.Kind != models.LinePerDiem ||
		pd.Line.Category != strconv.FormatInt(f.perDiem.ID, 10) || !pd.ClaimableToday() {
		t.Errorf("offered line: %+v", pd)
	}

	later := f.approvedTrip(t, 20, f.self(f.traveller), "Berlin")
	r, err = models.StartExpenseFromTrip(ctx, f.db, f.traveller.ID, later.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.db.Model(&models.ExpenseLine{}).Where("report_id = ?", r.ID).Count(&lines)
	pd, _ = models.TripPerDiemOf(ctx, f.db, later.ID)
	if lines != 0 || pd == nil || !pd.RateFound || pd.ClaimableToday() {
		t.Errorf("a trip in 20 days: %d lines, per diem %+v", lines, pd)
	}
}

// A report started from a trip compares its lines with the trip's estimate per category: a
// category counts where the admin mapped it, else by the line's kind (an expense as other);
// the difference is actual less estimate. In another currency nothing is compared.
func TestTripReportActualAgainstEstimate(t *testing.T) {
	t.Parallel()
	f := newTripReportFixture(t)
	ctx := context.Background()
	trip := f.approvedTrip(t, 1, f.self(f.traveller), "Berlin")
	r, err := models.StartExpenseFromTrip(ctx, f.db, f.traveller.ID, trip.ID)
	if err != nil {
		t.Fatal(err)
	}
	id := func(c models.ExpenseCategory) string { return strconv.FormatInt(c.ID, 10) }
	expense := func(c models.ExpenseCategory, merchant, amount string) models.ExpenseLineInput {
		return models.ExpenseLineInput{Kind: models.LineExpense, Date: day(0), Category: id(c), Merchant: merchant, Amount: amount}
	}
	in := models.ExpenseInput{Title: "Europe", Purpose: "Customer visits", Department: strconv.FormatInt(f.dept, 10), Currency: "USD",
		Lines: []models.ExpenseLineInput{
			{Kind: models.LinePerDiem, Date: day(1), Category: id(f.perDiem), Days: "5", Destination: strconv.FormatInt(f.berlin.ID, 10)},
			expense(f.airfare, "Lufthansa", "1,250.00"),
			expense(f.hotel, "Hotel Adlon", "540.00"),
			expense(f.taxi, "Taxi Berlin", "35.00"),
		}}
	if _, err := models.SaveExpense(ctx, f.db, f.traveller.ID, r.ID, in, false); err != nil {
		t.Fatal(err)
	}
	cmp, err := models.CompareWithTrip(ctx, f.db, r.ID)
	if err != nil || cmp == nil {
		t.Fatalf("compare: %v", err)
	}
	want := map[string][2]int64{ // estimate, actual
		models.CostAirfare: {120000, 125000},
		models.CostLodging: {60000, 54000},
		models.CostGround:  {0, 0},
		models.CostMeals:   {25050, 40000},
		models.CostOther:   {0, 3500},
	}
	if len(cmp.Costs) != len(want) || cmp.TripNumber != *trip.Number || !cmp.Comparable() {
		t.Fatalf("comparison: %+v", cmp)
	}
	for i, c := range cmp.Costs {
		if c.Category != models.TravelCostCategories[i] || c.Estimate != want[c.Category][0] || c.Actual != want[c.Category][1] ||
			c.Difference() != want[c.Category][1]-want[c.Category][0] {
			t.Errorf("%s: estimate %d actual %d difference %d, want %v", c.Category, c.Estimate, c.Actual, c.Difference(), want[c.Category])
		}
	}
	if cmp.Estimate != 205050 || cmp.Actual != 222500 || cmp.Difference() != 17450 {
		t.Errorf("totals: estimate %d actual %d difference %d", cmp.Estimate, cmp.Actual, cmp.Difference())
	}

	// Mapping the taxi to ground transport moves it there.
	ground := models.CostGround
	if err := f.db.Model(&f.taxi).Update("trip_cost", &ground).Error; err != nil {
		t.Fatal(err)
	}
	cmp, _ = models.CompareWithTrip(ctx, f.db, r.ID)
	if cmp.Costs[2].Actual != 3500 || cmp.Costs[4].Actual != 0 {
		t.Errorf("taxi as ground: ground %d other %d", cmp.Costs[2].Actual, cmp.Costs[4].Actual)
	}

	// In euros, nothing is compared.
	in.Currency, in.Lines = "EUR", nil
	if _, err := models.SaveExpense(ctx, f.db, f.traveller.ID, r.ID, in, false); err != nil {
		t.Fatal(err)
	}
	if cmp, _ = models.CompareWithTrip(ctx, f.db, r.ID); cmp == nil || cmp.Comparable() {
		t.Errorf("a report in EUR against a trip in USD is compared: %+v", cmp)
	}
	// A report not started from a trip has nothing to compare.
	other, err := models.SaveExpense(ctx, f.db, f.traveller.ID, 0, in, false)
	if err != nil {
		t.Fatal(err)
	}
	if cmp, err := models.CompareWithTrip(ctx, f.db, other.ID); cmp != nil || err != nil {
		t.Errorf("a report without a trip: %+v %v", cmp, err)
	}
}

// An approved trip commits its estimate to its budget until an expense report claiming it is
// approved: then the report's lines stand for what the trip cost, and the estimate is no
// longer committed beside them (the review found both committed for the same trip).
func TestATripsReportReplacesItsEstimateInTheBudget(t *testing.T) {
	t.Parallel()
	f := newTripReportFixture(t)
	ctx := context.Background()
	committed := func() int64 {
		t.Helper()
		totals, err := models.BudgetTotals(ctx, f.db, []int64{f.budget})
		if err != nil {
			t.Fatal(err)
		}
		return totals[f.budget].Committed
	}
	trip := f.approvedTrip(t, 1, f.self(f.traveller), "Berlin")
	if got := committed(); got != trip.EstimateTotalMinor || got == 0 {
		t.Fatalf("committed by the approved trip: %d, want its estimate %d", got, trip.EstimateTotalMinor)
	}
	r, err := models.StartExpenseFromTrip(ctx, f.db, f.traveller.ID, trip.ID)
	if err != nil {
		t.Fatal(err)
	}
	in := models.ExpenseInput{Title: "Europe", Purpose: "Customer visits", Department: strconv.FormatInt(f.dept, 10), Currency: "USD",
		PeriodFrom: day(0), PeriodTo: day(5),
		Lines: []models.ExpenseLineInput{{Kind: models.LineExpense, Date: day(0), Category: strconv.FormatInt(f.taxi.ID, 10), Merchant: "Taxi Berlin", Amount: "20.00"}}}
	if _, err := models.SaveExpense(ctx, f.db, f.traveller.ID, r.ID, in, true); err != nil {
		t.Fatal(err)
	}
	var step models.ApprovalStep
	if err := f.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).Take(&step).Error; err != nil {
		t.Fatal(err)
	}
	// While the report is checked, the trip's estimate is left out of the figures.
	details, err := models.ApprovalStepDetails(ctx, f.db, models.Viewer{UserID: f.manager.ID, Roles: []string{"approver"}}, step.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(details.Budget) != 1 || details.Budget[0].Committed.Minor != 0 || details.Budget[0].ThisDocument.Minor != 2000 {
		t.Errorf("the report's budget impact: %+v", details.Budget)
	}
	if _, err := models.DecideStep(ctx, f.db, models.Viewer{UserID: f.manager.ID, Roles: []string{"approver"}}, step.ID, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if got := committed(); got != 2000 {
		t.Errorf("committed once the report is approved: %d, want the report's 2000 alone", got)
	}
}

// A trip's per diem is claimed once: once its first report is paid, the next report of the
// trip starts without it, and a per diem typed again for days already claimed is flagged to
// the approver as a possible duplicate.
func TestATripsPerDiemIsClaimedOnce(t *testing.T) {
	t.Parallel()
	f := newTripReportFixture(t)
	ctx := context.Background()
	trip := f.approvedTrip(t, 1, models.TravelFiler{UserID: f.traveller.ID}, "Berlin")
	first, err := models.StartExpenseFromTrip(ctx, f.db, f.traveller.ID, trip.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.Model(&models.ExpenseReport{}).Where("id = ?", first.ID).Updates(map[string]any{"status": models.ExpensePaid, "number": "EXP-PAID"}).Error; err != nil {
		t.Fatal(err)
	}
	second, err := models.StartExpenseFromTrip(ctx, f.db, f.traveller.ID, trip.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := models.GetExpense(ctx, f.db, models.Viewer{UserID: f.traveller.ID}, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Lines) != 0 {
		t.Fatalf("the trip's second report starts with %d lines, want none (its per diem was claimed)", len(got.Lines))
	}
	// The per diem typed again, for the same days.
	var pd models.ExpenseLine
	if err := f.db.Where("report_id = ?", first.ID).Take(&pd).Error; err != nil {
		t.Fatal(err)
	}
	pd.ID, pd.ReportID = 0, second.ID
	if err := f.db.Create(&pd).Error; err != nil {
		t.Fatal(err)
	}
	dups, err := models.ExpenseDuplicates(ctx, f.db, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"EXP-PAID line 1 (per diem for the same days)"}; !slices.Equal(dups[pd.ID], want) {
		t.Errorf("the per diem claimed again: %q, want %q", dups[pd.ID], want)
	}
}
