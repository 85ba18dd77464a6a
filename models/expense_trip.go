package models

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
)

// An approved trip starts its expense report: a draft of the traveller's with the trip's
// purpose, department, currency and dates, and the per diem days of the trip at its
// destination's rate. The report keeps the trip, so that its page and its approver compare
// what was spent with what the trip estimated, category by category. A trip has one report
// at a time: another may be started only once the first is paid.

// OpenTripReportError refuses to start a second report for a trip: Report is the one it has.
type OpenTripReportError struct{ Report ExpenseReport }

func (e *OpenTripReportError) Error() string { return "this trip already has an expense report" }

// Unwrap makes the refusal a conflict for the error handler.
func (e *OpenTripReportError) Unwrap() error { return outlay.ErrConflict }

// Name is how the report is called: its number, or "a draft" before it has one.
func (e *OpenTripReportError) Name() string {
	if e.Report.Number != nil {
		return *e.Report.Number
	}
	return "a draft"
}

// TripReport is the report of trip id that is not yet paid, if it has one (nil otherwise).
func TripReport(ctx context.Context, db *gorm.DB, tripID int64) (*ExpenseReport, error) {
	return openTripReport(db.WithContext(ctx), tripID)
}

func openTripReport(tx *gorm.DB, tripID int64) (*ExpenseReport, error) {
	var r ExpenseReport
	err := tx.Where("travel_request_id = ? AND status <> ?", tripID, ExpensePaid).Limit(1).Find(&r).Error
	if err != nil || r.ID == 0 {
		return nil, err
	}
	return &r, nil
}

// TripPerDiem is the per diem line a trip's report starts with, as its form shows it.
type TripPerDiem struct {
	Line  ExpenseLineInput
	Place string // where the trip went
	Days  int
	// RateFound: a per diem rate matches Place (Line.Destination is set).
	RateFound bool
	// From is the trip's first day: a per diem can be claimed from that day on.
	From time.Time
}

// Claimable reports whether the per diem's days can be claimed on day (they are spent, so
// not before the trip starts; the same slack as any line's date).
func (p TripPerDiem) Claimable(day time.Time) bool {
	return !p.From.After(day.AddDate(0, 0, MaxFutureDays))
}

// ClaimableToday is Claimable on the current day.
func (p TripPerDiem) ClaimableToday() bool { return p.Claimable(today()) }

// tripPerDiem pre-fills the per diem of trip t (its legs loaded): its days, from its first
// day, at the rate of where it went, booked to the category counted as meals and per diem.
// Where it went is the last leg's destination, or the one before it when the last leg comes
// back to where the trip started. Destination or category stay empty when nothing matches,
// for the person to pick.
func tripPerDiem(tx *gorm.DB, t TravelRequest) (*TripPerDiem, error) {
	if len(t.Legs) == 0 || t.FirstDay == nil {
		return nil, nil
	}
	last := t.Legs[len(t.Legs)-1]
	place := last.ToPlace
	if len(t.Legs) > 1 && strings.EqualFold(strings.TrimSpace(last.ToPlace), strings.TrimSpace(t.Legs[0].FromPlace)) {
		place = t.Legs[len(t.Legs)-2].ToPlace
	}
	p := &TripPerDiem{Place: place, Days: t.Days(), From: *t.FirstDay,
		Line: ExpenseLineInput{Kind: LinePerDiem, Date: t.FirstDay.Format(DateLayout), Days: strconv.Itoa(t.Days())}}
	var rate PerDiemRate
	err := tx.Where("archived_at IS NULL AND position(lower(btrim(destination)) IN lower(btrim(?))) = 1", place).
		Order(clause.Expr{SQL: "lower(btrim(destination)) = lower(btrim(?)) DESC, length(destination) DESC, id", Vars: []any{place}}).
		Limit(1).Find(&rate).Error
	if err != nil {
		return nil, err
	}
	if rate.ID != 0 {
		p.RateFound, p.Line.Destination = true, strconv.FormatInt(rate.ID, 10)
	}
	var cat ExpenseCategory
	err = tx.Where("archived_at IS NULL AND (trip_cost = ? OR (trip_cost IS NULL AND name ILIKE '%per diem%'))", CostMeals).
		Order("trip_cost IS NULL, lower(name) LIKE '%per diem%' DESC, lower(name), id").Limit(1).Find(&cat).Error
	if err != nil {
		return nil, err
	}
	if cat.ID != 0 {
		p.Line.Category = strconv.FormatInt(cat.ID, 10)
	}
	return p, nil
}

// TripPerDiemOf is tripPerDiem for a stored trip, for the form of its report.
func TripPerDiemOf(ctx context.Context, db *gorm.DB, tripID int64) (*TripPerDiem, error) {
	db = db.WithContext(ctx)
	var t TravelRequest
	if err := db.Take(&t, tripID).Error; err != nil {
		return nil, err
	}
	if err := db.Where("travel_request_id = ?", tripID).Order("position").Find(&t.Legs).Error; err != nil {
		return nil, err
	}
	return tripPerDiem(db, t)
}

// StartExpenseFromTrip starts the expense report of approved trip tripID for its traveller,
// asked by userID, who must be the traveller or whoever filed the trip (anyone else: not
// found). The draft has the trip's purpose, department, currency and dates, and its per diem
// line when it can be priced now (a rate matches, a category counts as meals, and the trip
// has started); otherwise the report's form offers the line to complete. A trip that has a
// report not yet paid is refused with OpenTripReportError naming it.
func StartExpenseFromTrip(ctx context.Context, db *gorm.DB, userID, tripID int64) (*ExpenseReport, error) {
	var r ExpenseReport
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t TravelRequest
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&t, tripID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !t.BelongsTo(userID)) {
			return outlay.NotFound("That travel request does not exist.")
		}
		if err != nil {
			return err
		}
		if t.Status != TravelApproved {
			return outlay.Conflict("Only an approved trip can start an expense report.")
		}
		if open, err := openTripReport(tx, t.ID); err != nil {
			return err
		} else if open != nil {
			return &OpenTripReportError{Report: *open}
		}
		if err := tx.Where("travel_request_id = ?", t.ID).Order("position").Find(&t.Legs).Error; err != nil {
			return err
		}
		in := tripExpenseInput(t)
		day := today()
		// The trip's per diem is offered once: a report of the trip that claims one (paid,
		// say, and this one for what came later) has it.
		var claimed bool
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM expense_lines l JOIN expense_reports r ON r.id = l.report_id
			WHERE r.travel_request_id = ? AND l.kind = ?)`, t.ID, LinePerDiem).Scan(&claimed).Error; err != nil {
			return err
		}
		if pd, err := tripPerDiem(tx, t); err != nil {
			return err
		} else if pd != nil && pd.RateFound && pd.Line.Category != "" && pd.Claimable(day) && !claimed {
			in.Lines = []ExpenseLineInput{pd.Line}
		}
		p, verr, err := priceExpense(tx, t.TravellerID, 0, reportPeriod{}, in, day)
		if err != nil {
			return err
		}
		if len(verr) > 0 && len(in.Lines) > 0 {
			// The per diem cannot be priced as it is (its rate is in another currency, say):
			// the form offers it to complete instead.
			in.Lines = nil
			if p, verr, err = priceExpense(tx, t.TravellerID, 0, reportPeriod{}, in, day); err != nil {
				return err
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		r.TravelRequestID = &t.ID
		return writeExpense(tx, t.TravellerID, &r, p)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// tripExpenseInput is the header of the report of trip t.
func tripExpenseInput(t TravelRequest) ExpenseInput {
	title := "Trip"
	if t.Number != nil {
		title += " " + *t.Number
	}
	if t.Destinations != "" {
		title += ": " + t.Destinations
	}
	if utf8.RuneCountInString(title) > 200 {
		title = string([]rune(title)[:199]) + "…"
	}
	in := ExpenseInput{Title: title, Purpose: t.Purpose, Currency: t.Currency}
	if t.DepartmentID != nil {
		in.Department = strconv.FormatInt(*t.DepartmentID, 10)
	}
	if t.FirstDay != nil {
		in.PeriodFrom = t.FirstDay.Format(DateLayout)
	}
	if t.LastDay != nil {
		in.PeriodTo = t.LastDay.Format(DateLayout)
	}
	return in
}

// TripCost is one estimate category of a trip against what its report claims.
type TripCost struct {
	Category string // CostAirfare…
	Estimate int64
	Actual   int64
}

// Difference is what was claimed above the estimate (negative: below it).
func (c TripCost) Difference() int64 { return c.Actual - c.Estimate }

// TripComparison is a report's claims against its trip's estimate, per category.
type TripComparison struct {
	TripID     int64
	TripNumber string
	// Currency is the trip's; the comparison is only made when the report is in it.
	Currency       string
	ReportCurrency string
	Costs          []TripCost // in TravelCostCategories' order
	Estimate       int64
	Actual         int64
}

// Comparable reports whether report and trip are in one currency, so that their amounts can
// be compared (no rate service is reachable here).
func (c TripComparison) Comparable() bool { return c.Currency == c.ReportCurrency }

// Difference is the report's total above the trip's estimate (negative: below it).
func (c TripComparison) Difference() int64 { return c.Actual - c.Estimate }

// tripCostOf is the SQL of the estimate category a report line counts towards: its
// category's mapping, or else by kind (mileage is ground transport, per diem is meals and
// per diem, anything else is other).
const tripCostOf = `COALESCE(c.trip_cost, CASE l.kind WHEN '` + LineMileage + `' THEN '` + CostGround +
	`' WHEN '` + LinePerDiem + `' THEN '` + CostMeals + `' ELSE '` + CostOther + `' END)`

// CompareWithTrip compares report reportID's lines with the estimate of the trip it was
// started from, per category; nil when it was not started from a trip. The caller has found
// the report visible.
func CompareWithTrip(ctx context.Context, db *gorm.DB, reportID int64) (*TripComparison, error) {
	return compareWithTrip(db.WithContext(ctx), reportID)
}

func compareWithTrip(tx *gorm.DB, reportID int64) (*TripComparison, error) {
	var r ExpenseReport
	if err := tx.Select("id", "currency", "travel_request_id").Take(&r, reportID).Error; err != nil {
		return nil, err
	}
	if r.TravelRequestID == nil {
		return nil, nil
	}
	var t TravelRequest
	if err := tx.Take(&t, *r.TravelRequestID).Error; err != nil {
		return nil, err
	}
	var sums []struct {
		Category string
		Amount   int64
	}
	err := tx.Raw(`SELECT `+tripCostOf+` AS category, SUM(l.report_minor) AS amount
		FROM expense_lines l JOIN expense_categories c ON c.id = l.category_id
		WHERE l.report_id = ? GROUP BY 1`, reportID).Scan(&sums).Error
	if err != nil {
		return nil, err
	}
	out := &TripComparison{TripID: t.ID, Currency: t.Currency, ReportCurrency: r.Currency}
	if t.Number != nil {
		out.TripNumber = *t.Number
	}
	for _, cat := range TravelCostCategories {
		c := TripCost{Category: cat, Estimate: t.Estimate(cat)}
		for _, s := range sums {
			if s.Category == cat {
				c.Actual = s.Amount
			}
		}
		out.Costs = append(out.Costs, c)
		out.Estimate += c.Estimate
		out.Actual += c.Actual
	}
	return out, nil
}

// TripCostChoices are the estimate categories an expense category may count towards, for the
// admin's form: the value and how it reads.
func TripCostChoices() [][2]string {
	out := make([][2]string, 0, len(TravelCostCategories))
	for _, c := range TravelCostCategories {
		out = append(out, [2]string{c, TravelCostLabel(c)})
	}
	return out
}

// validTripCost reads an expense category's trip cost as typed: "" for none.
func validTripCost(verr outlay.ValidationErrors, s string) *string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, c := range TravelCostCategories {
		if c == s {
			return &s
		}
	}
	verr.Add("trip_cost", "Choose one of the trip's estimate categories, or none.")
	return nil
}
