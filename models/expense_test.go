package models_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"outlay"
	"outlay/migrations"
	"outlay/models"
	"outlay/money"
)

// expenseWorld is the approval world with expense reference data: categories booked to the
// Travel account (Meals $50 a day, Taxi $40 a line, Mileage and Per diem without limit), a
// mileage rate per km that changed, and a per diem rate for Berlin in euros.
type expenseWorld struct {
	*approvalWorld
	meals, taxi, mileage, perDiem models.ExpenseCategory
	berlin                        models.PerDiemRate
	day                           func(daysAgo int) string
}

func newExpenseWorld(t *testing.T) *expenseWorld {
	w := &expenseWorld{approvalWorld: newApprovalWorld(t)}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	w.day = func(daysAgo int) string { return today.AddDate(0, 0, -daysAgo).Format(models.DateLayout) }
	w.meals = w.category("Meals", ptr(int64(5000)), ptr(models.LimitPerDay))
	w.taxi = w.category("Taxi", ptr(int64(4000)), ptr(models.LimitPerLine))
	w.mileage = w.category("Mileage", nil, nil)
	w.perDiem = w.category("Per diem", nil, nil)
	w.berlin = models.PerDiemRate{Destination: "Berlin", DailyMinor: 8000, Currency: "EUR"}
	w.must(w.db.Create(&w.berlin).Error)
	return w
}

func (w *expenseWorld) category(name string, limit *int64, per *string) models.ExpenseCategory {
	c := models.ExpenseCategory{Name: name, GLAccountID: w.travel.ID, LimitMinor: limit, LimitPer: per, Currency: "USD"}
	w.must(w.db.Create(&c).Error)
	return c
}

func (w *expenseWorld) id(c models.ExpenseCategory) string { return strconv.FormatInt(c.ID, 10) }

// input is a report of Rita's for Engineering in USD with lines.
func (w *expenseWorld) input(lines ...models.ExpenseLineInput) models.ExpenseInput {
	return models.ExpenseInput{Title: "Client visit", Purpose: "Meeting Initech", Department: strconv.FormatInt(w.eng.ID, 10),
		PeriodFrom: w.day(30), PeriodTo: w.day(0), Currency: "USD", Lines: lines}
}

func (w *expenseWorld) expense(date string, cat models.ExpenseCategory, merchant, amount string) models.ExpenseLineInput {
	return models.ExpenseLineInput{Kind: models.LineExpense, Date: date, Category: w.id(cat), Merchant: merchant, Amount: amount}
}

func (w *expenseWorld) save(owner int64, id int64, in models.ExpenseInput, submit bool) (*models.ExpenseReport, error) {
	return models.SaveExpense(as(w.rita), w.db, owner, id, in, submit)
}

func fieldErrors(t *testing.T, err error) outlay.ValidationErrors {
	t.Helper()
	v, ok := outlay.AsValidation(err)
	if !ok {
		t.Fatalf("want validation errors, got %v", err)
	}
	return v
}

// A trip is priced at the rate in effect on its own date, so a report across a rate change
// prices each trip at its own; a rate added later leaves stored lines as they were.
func TestExpenseMileageAtTheRateOfItsDay(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	old := models.MileageRate{Unit: models.UnitKm, EffectiveFrom: mustDay(w.day(60)), RateMilli: 50000, Currency: "USD"} // $0.50
	raised := models.MileageRate{Unit: models.UnitKm, EffectiveFrom: mustDay(w.day(10)), RateMilli: 60000, Currency: "USD"}
	w.must(w.db.Create(&old).Error)
	w.must(w.db.Create(&raised).Error)
	trip := func(date, km string) models.ExpenseLineInput {
		return models.ExpenseLineInput{Kind: models.LineMileage, Date: date, Category: w.id(w.mileage), From: "Office", To: "Client",
			Distance: km, Unit: models.UnitKm}
	}
	r, err := w.save(w.rita.ID, 0, w.input(trip(w.day(11), "100"), trip(w.day(10), "100"), trip(w.day(2), "12.5")), false)
	w.must(err)
	want := []int64{5000, 6000, 750}
	for i, l := range r.Lines {
		if l.AmountMinor != want[i] || l.ReportMinor != want[i] {
			t.Errorf("line %d: %d, want %d", i+1, l.AmountMinor, want[i])
		}
	}
	if r.TotalMinor != 11750 {
		t.Errorf("total %d", r.TotalMinor)
	}
	// Before any rate: refused beside the distance.
	_, err = w.save(w.rita.ID, 0, w.input(trip(w.day(61), "10")), false)
	if msg := fieldErrors(t, err)[models.ExpenseField(0, "distance")]; msg == "" {
		t.Errorf("a trip before any rate: %v", err)
	}
	// A new rate effective before the stored trips does not reprice them.
	w.must(w.db.Create(&models.MileageRate{Unit: models.UnitKm, EffectiveFrom: mustDay(w.day(20)), RateMilli: 90000, Currency: "USD"}).Error)
	var stored []models.ExpenseLine
	w.must(w.db.Where("report_id = ?", r.ID).Order("position").Find(&stored).Error)
	if stored[0].AmountMinor != 5000 || stored[1].AmountMinor != 6000 || *stored[1].UnitRate != 60000 {
		t.Errorf("stored lines changed: %d %d", stored[0].AmountMinor, stored[1].AmountMinor)
	}
	// Saved again, the line of 11 days ago takes the rate in effect on its day now.
	r, err = w.save(w.rita.ID, r.ID, w.input(trip(w.day(11), "100")), false)
	w.must(err)
	if r.Lines[0].AmountMinor != 9000 {
		t.Errorf("re-priced: %d", r.Lines[0].AmountMinor)
	}
}

func mustDay(s string) time.Time {
	d, err := time.Parse(models.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return d
}

// Per diem is days × the destination's rate, in the rate's currency, converted at the rate
// typed into the report's currency.
func TestExpensePerDiem(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	line := models.ExpenseLineInput{Kind: models.LinePerDiem, Date: w.day(5), Category: w.id(w.perDiem),
		Days: "3", Destination: strconv.FormatInt(w.berlin.ID, 10)}
	_, err := w.save(w.rita.ID, 0, w.input(line), false)
	if msg := fieldErrors(t, err)[models.ExpenseField(0, "rate")]; msg != "Enter the exchange rate: how many USD one EUR was worth." {
		t.Errorf("no rate: %q", msg)
	}
	line.Rate = "1.0853"
	r, err := w.save(w.rita.ID, 0, w.input(line), false)
	w.must(err)
	l := r.Lines[0]
	// €240.00 × 1.0853 = $260.472 → $260.47.
	if l.AmountMinor != 24000 || l.Currency != "EUR" || l.ReportMinor != 26047 || *l.Days != 3 || *l.UnitRate != 8000 || l.Merchant != "Berlin" {
		t.Errorf("per diem line: %+v", l)
	}
	for _, bad := range []string{"0", "-2", "1.5", "400"} {
		line.Days = bad
		_, err := w.save(w.rita.ID, 0, w.input(line), false)
		if fieldErrors(t, err)[models.ExpenseField(0, "days")] == "" {
			t.Errorf("days %q accepted", bad)
		}
	}
}

// A line over its category's limit (per line, or the day's lines of the category together)
// is marked, and cannot be submitted without a justification; one at the limit is not.
func TestExpenseLimitsAndJustifications(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	in := w.input(
		w.expense(w.day(3), w.meals, "Cafe Uno", "30.00"),
		w.expense(w.day(3), w.meals, "Bistro", "25.00"), // $55 that day: both over $50 a day
		w.expense(w.day(2), w.meals, "Bistro", "50.00"), // exactly the limit
		w.expense(w.day(2), w.taxi, "Cab Co", "40.00"),  // exactly the limit
		w.expense(w.day(1), w.taxi, "Cab Co", "40.01"),  // over
	)
	for i := range in.Lines {
		in.Lines[i].Receipt = ""
	}
	w.must(w.db.Exec(`UPDATE org_settings SET receipt_threshold_minor = 100000`).Error) // no receipts in this test
	r, err := w.save(w.rita.ID, 0, in, false)
	w.must(err)
	over := []bool{true, true, false, false, true}
	for i, l := range r.Lines {
		if l.OverLimit != over[i] {
			t.Errorf("line %d over=%v", i+1, l.OverLimit)
		}
	}
	_, err = models.SubmitExpense(as(w.rita), w.db, w.rita.ID, r.ID)
	errs := fieldErrors(t, err)
	for i, want := range over {
		if got := errs[models.ExpenseField(i, "justification")] != ""; got != want {
			t.Errorf("line %d justification asked=%v", i+1, got)
		}
	}
	if st := w.reportStatus(r.ID); st != models.ExpenseDraft {
		t.Errorf("refused submit left %s", st)
	}
	in.Lines[0].Justification, in.Lines[1].Justification, in.Lines[4].Justification = "Client dinner", "Client dinner", "Airport at night"
	r, err = w.save(w.rita.ID, r.ID, in, true)
	w.must(err)
	if r.Status != models.ExpenseSubmitted || r.Number == nil {
		t.Fatalf("submitted: %s", r.Status)
	}
	// The approver reads which lines are over, with the justification.
	d, err := models.GetExpense(context.Background(), w.db, viewer(w.rita), r.ID)
	w.must(err)
	if f := d.LineDetails[1].Flags(); len(f) != 1 || f[0] != "Over the category's limit ($50.00 a day): “Client dinner”" {
		t.Errorf("flags %q", f)
	}
}

// A receipt is needed above the organisation's threshold: not at it.
func TestExpenseReceiptThresholdBoundary(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	w.must(models.SetReceiptThreshold(as(w.admin), w.db, models.ReceiptThresholdInput{Amount: "25.00"}))
	in := w.input(w.expense(w.day(3), w.mileage, "Parking", "25.00"), w.expense(w.day(3), w.mileage, "Garage", "25.01"))
	_, err := w.save(w.rita.ID, 0, in, true)
	errs := fieldErrors(t, err)
	if errs[models.ExpenseField(0, "receipt")] != "" || errs[models.ExpenseField(1, "receipt")] != "Attach a receipt: lines above $25.00 need one." {
		t.Errorf("receipts asked: %v", errs)
	}
	var n int64
	w.db.Model(&models.ExpenseReport{}).Count(&n)
	if n != 0 {
		t.Errorf("a refused submit saved %d reports", n)
	}
	// With the receipt attached it goes.
	r, err := w.save(w.rita.ID, 0, in, false)
	w.must(err)
	a, err := models.AttachReceipt(as(w.rita), w.db, viewer(w.rita), r.ID, r.Lines[1].ID, models.NewAttachment{Filename: "garage.jpg",
		ContentType: "image/jpeg", SizeBytes: 10, SHA256: "0000000000000000000000000000000000000000000000000000000000000001", StorageKey: "acme/0001"})
	w.must(err)
	if _, err := models.AttachReceipt(as(w.rita), w.db, viewer(w.rita), r.ID, r.Lines[1].ID, models.NewAttachment{Filename: "notes.txt",
		ContentType: "text/plain; charset=utf-8", SizeBytes: 10, SHA256: "0000000000000000000000000000000000000000000000000000000000000002", StorageKey: "acme/0002"}); fieldErrors(t, err)["receipt"] == "" {
		t.Error("a text file taken as a receipt")
	}
	if _, err := models.SubmitExpense(as(w.rita), w.db, w.rita.ID, r.ID); err != nil {
		t.Fatalf("submit with receipt: %v", err)
	}
	var line models.ExpenseLine
	w.must(w.db.First(&line, r.Lines[1].ID).Error)
	if line.ReceiptID == nil || *line.ReceiptID != a.ID {
		t.Errorf("receipt %v", line.ReceiptID)
	}
	// Someone else's line is not found.
	if _, err := models.AttachReceipt(as(w.al), w.db, viewer(w.al), r.ID, r.Lines[0].ID, models.NewAttachment{ContentType: "image/png"}); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("another person's report: %v", err)
	}
}

// The receipt threshold ($25.00, in the organisation's USD) is compared with a line in its
// own currency: the line's amount when the line is in USD, its amount at its own rate when
// the report is in USD. A line that no rate known to the report brings into USD needs a
// receipt, and the message says it is for its currency, not its amount.
func TestExpenseReceiptThresholdAcrossCurrencies(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	w.must(models.SetReceiptThreshold(as(w.admin), w.db, models.ReceiptThresholdInput{Amount: "25.00"}))
	line := func(amount, currency, rate string) models.ExpenseLineInput {
		l := w.expense(w.day(3), w.taxi, "Cab Co", amount)
		l.Currency, l.Rate = currency, rate
		return l
	}
	const above = "Attach a receipt: lines above $25.00 need one."
	for _, tc := range []struct {
		name     string
		report   string
		line     models.ExpenseLineInput
		wantText string // "" when no receipt is needed
	}{
		{"USD report, $24 line", "USD", line("24.00", "", ""), ""},
		{"USD report, $25.01 line", "USD", line("25.01", "", ""), above},
		{"USD report, €20 line at 1.10 ($22.00)", "USD", line("20.00", "EUR", "1.10"), ""},
		{"USD report, €23 line at 1.10 ($25.30)", "USD", line("23.00", "EUR", "1.10"), above},
		{"USD report, ¥3000 line at 0.0067 ($20.10)", "USD", line("3000", "JPY", "0.0067"), ""},
		{"USD report, ¥4000 line at 0.0067 ($26.80)", "USD", line("4000", "JPY", "0.0067"), above},
		{"EUR report, €1 line", "EUR", line("1.00", "", ""), "Attach a receipt: lines in EUR need one, as the receipt threshold is set in USD."},
		{"EUR report, $24 line at 0.92", "EUR", line("24.00", "USD", "0.92"), ""},
		{"EUR report, $30 line at 0.92", "EUR", line("30.00", "USD", "0.92"), above},
		{"EUR report, £1 line at 1.17", "EUR", line("1.00", "GBP", "1.17"), "Attach a receipt: lines in GBP need one, as the receipt threshold is set in USD."},
		{"JPY report, ¥1000 line", "JPY", line("1000", "", ""), "Attach a receipt: lines in JPY need one, as the receipt threshold is set in USD."},
		{"JPY report, $10 line at 150", "JPY", line("10.00", "USD", "150"), ""},
		{"JPY report, $25.01 line at 150", "JPY", line("25.01", "USD", "150"), above},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := w.input(tc.line)
			in.Currency = tc.report
			_, err := w.save(w.rita.ID, 0, in, true)
			if tc.wantText == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := fieldErrors(t, err)[models.ExpenseField(0, "receipt")]; got != tc.wantText {
				t.Errorf("receipt message %q, want %q", got, tc.wantText)
			}
		})
	}
	// With no threshold every line needs a receipt, whatever its currency: nothing is below
	// nothing, so no rate is needed to say so.
	w.must(models.SetReceiptThreshold(as(w.admin), w.db, models.ReceiptThresholdInput{Amount: "0"}))
	in := w.input(line("1.00", "", ""))
	in.Currency = "EUR"
	_, err := w.save(w.rita.ID, 0, in, true)
	if got := fieldErrors(t, err)[models.ExpenseField(0, "receipt")]; got != "Attach a receipt: lines above $0.00 need one." {
		t.Errorf("no threshold, EUR line: %q", got)
	}
}

// The same person's lines of the same date, merchant and amount are flagged as possible
// duplicates, in any of their reports; another person's are not.
func TestExpenseDuplicatesAreFlagged(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	first, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(4), w.meals, "Cafe Uno", "12.50"), w.expense(w.day(4), w.meals, "Cafe Uno", "12.51")), false)
	w.must(err)
	second, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(4), w.meals, "  cafe uno ", "12.50")), false)
	w.must(err)
	other, err := models.SaveExpense(as(w.al), w.db, w.al.ID, 0, w.input(w.expense(w.day(4), w.meals, "Cafe Uno", "12.50")), false)
	w.must(err)
	dups, err := models.ExpenseDuplicates(context.Background(), w.db, first.ID)
	w.must(err)
	want := "Draft #" + strconv.FormatInt(second.ID, 10) + " line 1"
	if len(dups[first.Lines[0].ID]) != 1 || dups[first.Lines[0].ID][0] != want || len(dups[first.Lines[1].ID]) != 0 {
		t.Errorf("first report's duplicates: %v", dups)
	}
	dups, err = models.ExpenseDuplicates(context.Background(), w.db, second.ID)
	w.must(err)
	if len(dups[second.Lines[0].ID]) != 1 {
		t.Errorf("second report's duplicates: %v", dups)
	}
	dups, err = models.ExpenseDuplicates(context.Background(), w.db, other.ID)
	w.must(err)
	if len(dups) != 0 {
		t.Errorf("another person's line flagged: %v", dups)
	}
}

// Each line in another currency is converted at its own rate and rounded on its own (halves
// away from zero); the report's total adds the converted lines.
func TestExpenseCurrencyConversionRounding(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	a := w.expense(w.day(3), w.mileage, "Kiosk", "0.05")
	a.Currency, a.Rate = "EUR", "1.5" // 0.075 → 0.08
	b := a
	b.Merchant = "Kiosk 2"
	c := w.expense(w.day(3), w.mileage, "Ramen", "1234")
	c.Currency, c.Rate = "JPY", "0.006789" // 8.377626 → 8.38
	r, err := w.save(w.rita.ID, 0, w.input(a, b, c), false)
	w.must(err)
	if r.Lines[0].ReportMinor != 8 || r.Lines[1].ReportMinor != 8 || r.Lines[2].ReportMinor != 838 || r.TotalMinor != 854 {
		t.Errorf("converted %d %d %d total %d", r.Lines[0].ReportMinor, r.Lines[1].ReportMinor, r.Lines[2].ReportMinor, r.TotalMinor)
	}
	if r.Lines[2].AmountMinor != 1234 || r.Lines[2].Rate != money.RateOf(6789, 6) {
		t.Errorf("stored as typed: %+v", r.Lines[2])
	}
}

// Refusals beside their fields, and nothing saved: a negative amount, a date far in the
// future, an unknown category.
func TestExpenseInputRefusals(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	in := w.input(w.expense(w.day(1), w.meals, "Cafe", "-5.00"), w.expense("2031-01-01", w.meals, "Cafe", "5.00"),
		models.ExpenseLineInput{Kind: models.LineExpense, Date: w.day(1), Category: "999999", Merchant: "Cafe", Amount: "5"})
	_, err := w.save(w.rita.ID, 0, in, false)
	errs := fieldErrors(t, err)
	for field, want := range map[string]string{
		models.ExpenseField(0, "amount"):   "An amount cannot be negative.",
		models.ExpenseField(1, "date"):     "The date is after today; enter the day the money was spent.",
		models.ExpenseField(2, "category"): "Choose a category from the list.",
	} {
		if errs[field] != want {
			t.Errorf("%s: %q, want %q", field, errs[field], want)
		}
	}
	var n int64
	w.db.Model(&models.ExpenseReport{}).Count(&n)
	if n != 0 {
		t.Errorf("%d reports saved", n)
	}
}

func (w *expenseWorld) reportStatus(id int64) string {
	var r models.ExpenseReport
	w.must(w.db.First(&r, id).Error)
	return r.Status
}

// A submitted report goes through the approval engine like any document: to Rita's manager,
// who approves it (committed against the budget) or returns it to her.
func TestExpenseApprovalAndBudget(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	year := time.Now().Year()
	budget := models.Budget{DepartmentID: w.eng.ID, GLAccountID: w.travel.ID, AmountMinor: 100000, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}
	w.must(w.db.Create(&budget).Error)
	r, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(1), w.meals, "Cafe", "20.00")), true)
	w.must(err)
	steps := []models.ApprovalStep{}
	w.must(w.db.Where("doc_type = ? AND doc_id = ?", models.DocExpense, r.ID).Find(&steps).Error)
	if len(steps) != 1 || *steps[0].ApproverID != w.max.ID {
		t.Fatalf("route %+v", steps)
	}
	if _, err := w.decide(w.max, steps[0].ID, false, "Which client?"); err != nil {
		t.Fatal(err)
	}
	if st := w.reportStatus(r.ID); st != models.ExpenseReturned {
		t.Errorf("after return: %s", st)
	}
	r, err = w.save(w.rita.ID, r.ID, w.input(w.expense(w.day(1), w.meals, "Cafe", "20.00")), true)
	w.must(err)
	w.must(w.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).Find(&steps).Error)
	// The approver sees the report against the budget its lines' GL account draws on.
	details, err := models.ApprovalStepDetails(context.Background(), w.db, viewer(w.max), steps[0].ID)
	w.must(err)
	if len(details.Budget) != 1 || details.Budget[0].BudgetID != budget.ID || details.Budget[0].ThisDocument.Minor != 2000 {
		t.Errorf("the approver's budget impact: %+v", details.Budget)
	}
	if _, err := w.decide(w.max, steps[0].ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if st := w.reportStatus(r.ID); st != models.ExpenseApproved {
		t.Errorf("after approval: %s", st)
	}
	totals, err := models.BudgetTotals(context.Background(), w.db, []int64{budget.ID})
	w.must(err)
	if totals[budget.ID].Committed != 2000 || totals[budget.ID].Spent != 0 {
		t.Errorf("budget %+v", totals[budget.ID])
	}
	w.must(w.db.Model(&models.ExpenseReport{ID: r.ID}).Update("status", models.ExpensePaid).Error)
	totals, err = models.BudgetTotals(context.Background(), w.db, []int64{budget.ID})
	w.must(err)
	if totals[budget.ID].Committed != 0 || totals[budget.ID].Spent != 2000 {
		t.Errorf("budget once paid %+v", totals[budget.ID])
	}
}

// Approval rules route expense reports by their lines' category (through its GL account)
// and by department: a rule for the Travel account sends Rita's report to Al.
func TestExpenseRoutedByCategoryRule(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	for _, r := range []struct {
		rule models.ApprovalRule
		to   int64
	}{
		{models.ApprovalRule{Name: "Travel spend", GLAccountID: &w.travel.ID, DepartmentID: &w.eng.ID}, w.al.ID},
		{models.ApprovalRule{Name: "Sales only", DepartmentID: &w.sales.ID}, w.hana.ID},
		{models.ApprovalRule{Name: "Software", GLAccountID: &w.software.ID}, w.hana.ID},
	} {
		rule := r.rule
		rule.DocType, rule.Currency, rule.Active, rule.BudgetCheck = models.DocExpense, "USD", true, models.BudgetCheckNone
		w.must(w.db.Create(&rule).Error)
		to := r.to
		w.must(w.db.Create(&models.ApprovalRuleStep{RuleID: rule.ID, Position: 1, Kind: models.StepUser, UserID: &to}).Error)
	}
	r, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(1), w.meals, "Cafe", "20.00")), true)
	w.must(err)
	var steps []models.ApprovalStep
	w.must(w.db.Where("doc_type = ? AND doc_id = ?", models.DocExpense, r.ID).Order("position").Find(&steps).Error)
	if len(steps) != 1 || steps[0].ApproverID == nil || *steps[0].ApproverID != w.al.ID || steps[0].RuleID == nil {
		t.Errorf("route %+v", steps)
	}
}

// Filing a report in another currency is no way past the limits: a line that neither it nor
// its report is in the limit's currency cannot be compared, so it is marked as over it. It
// needs its reason, and the approver reads that it was not compared.
func TestExpenseLimitInAnotherCurrencyIsNotSkipped(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	w.must(w.db.Exec(`UPDATE org_settings SET receipt_threshold_minor = 100000000`).Error)
	in := w.input(w.expense(w.day(3), w.meals, "Brasserie", "500.00")) // meals: $50.00 a day
	in.Currency = "EUR"
	r, err := w.save(w.rita.ID, 0, in, false)
	w.must(err)
	if !r.Lines[0].OverLimit {
		t.Fatal("a €500.00 line of a $50.00-a-day category is not marked")
	}
	_, err = models.SubmitExpense(as(w.rita), w.db, w.rita.ID, r.ID)
	if msg := fieldErrors(t, err)[models.ExpenseField(0, "justification")]; !strings.Contains(msg, "cannot be compared") {
		t.Errorf("submit without a reason: %q", msg)
	}
	a, err := models.AttachReceipt(as(w.rita), w.db, viewer(w.rita), r.ID, r.Lines[0].ID, models.NewAttachment{Filename: "brasserie.jpg",
		ContentType: "image/jpeg", SizeBytes: 10, SHA256: "0000000000000000000000000000000000000000000000000000000000000003", StorageKey: "acme/0003"})
	w.must(err)
	in.Lines[0].Justification, in.Lines[0].Receipt = "Team dinner, eight people", strconv.FormatInt(a.ID, 10)
	r, err = w.save(w.rita.ID, r.ID, in, true)
	w.must(err)
	d, err := models.GetExpense(context.Background(), w.db, viewer(w.rita), r.ID)
	w.must(err)
	if f := d.LineDetails[0].Flags(); len(f) != 1 || f[0] != "Not compared with the category's limit ($50.00 a day): the report is in EUR. Why: “Team dinner, eight people”" {
		t.Errorf("flags %q", f)
	}
}

// A line's receipt is a photo or a PDF: another file of the report (notes, here) is refused
// as one, as attaching it on the line is. One receipt on two lines is flagged on both.
func TestExpenseReceiptIsAPhotoAndClaimedOnce(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	w.must(w.db.Exec(`UPDATE org_settings SET receipt_threshold_minor = 1000`).Error) // $10.00
	in := w.input(w.expense(w.day(3), w.mileage, "Hotel", "900.00"), w.expense(w.day(2), w.mileage, "Hotel", "800.00"))
	r, err := w.save(w.rita.ID, 0, in, false)
	w.must(err)
	notes, err := models.AddAttachment(as(w.rita), w.db, viewer(w.rita), models.DocExpense, r.ID, models.NewAttachment{Filename: "notes.txt",
		ContentType: "text/plain; charset=utf-8", SizeBytes: 10, SHA256: "0000000000000000000000000000000000000000000000000000000000000004", StorageKey: "acme/0004"})
	w.must(err)
	in.Lines[0].Receipt, in.Lines[1].Receipt = strconv.FormatInt(notes.ID, 10), strconv.FormatInt(notes.ID, 10)
	_, err = w.save(w.rita.ID, r.ID, in, true)
	if msg := fieldErrors(t, err)[models.ExpenseField(0, "receipt")]; !strings.Contains(msg, "photo (JPEG, PNG, WebP or GIF) or a PDF") {
		t.Fatalf("a text file as a receipt: %q", msg)
	}
	photo, err := models.AttachReceipt(as(w.rita), w.db, viewer(w.rita), r.ID, r.Lines[0].ID, models.NewAttachment{Filename: "hotel.jpg",
		ContentType: "image/jpeg", SizeBytes: 10, SHA256: "0000000000000000000000000000000000000000000000000000000000000005", StorageKey: "acme/0005"})
	w.must(err)
	in.Lines[0].Receipt, in.Lines[1].Receipt = strconv.FormatInt(photo.ID, 10), strconv.FormatInt(photo.ID, 10)
	d, err := models.GetExpense(context.Background(), w.db, viewer(w.rita), r.ID)
	w.must(err)
	in.Version = models.VersionAt(d.UpdatedAt)
	r, err = w.save(w.rita.ID, r.ID, in, true)
	w.must(err)
	d, err = models.GetExpense(context.Background(), w.db, viewer(w.rita), r.ID)
	w.must(err)
	for i, want := range []string{"Possible duplicate of line 2 (the same receipt)", "Possible duplicate of line 1 (the same receipt)"} {
		if f := d.LineDetails[i].Flags(); !slices.Contains(f, want) {
			t.Errorf("line %d flags %q", i+1, f)
		}
	}
}

// The exchange rate of a line in another currency is the person's own: the approver reads
// what was spent and at what rate, beside the converted amount.
func TestExpenseApproverReadsTheRateTyped(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	w.must(w.db.Exec(`UPDATE org_settings SET receipt_threshold_minor = 100000000`).Error)
	line := w.expense(w.day(3), w.mileage, "Taxi", "20.00")
	line.Currency, line.Rate, line.Tax = "EUR", "50", "4.00"
	yen := w.expense(w.day(3), w.mileage, "Ryokan", "16000")
	yen.Currency, yen.Rate, yen.RateAs, yen.Tax = "JPY", "160", models.RatePerReportUnit, "1600"
	r, err := w.save(w.rita.ID, 0, w.input(line, yen), true)
	w.must(err)
	var step models.ApprovalStep
	w.must(w.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).Take(&step).Error)
	d, err := models.ApprovalStepDetails(context.Background(), w.db, viewer(w.max), step.ID)
	w.must(err)
	// $1,000.00 of which the €4.00 tax is $200.00: $800.00 before a 25% tax.
	// ¥16,000 at 160 yen to the dollar, $100.00, of which the ¥1,600 tax is $10.00.
	if len(d.Lines) != 2 || d.Lines[0].AmountMinor != 80000 || d.Lines[0].TaxMinor != 20000 || d.Lines[0].TaxRateBP != 2500 ||
		!slices.Contains(d.Lines[0].Notes, "Spent €20.00, converted at 50 USD per EUR") ||
		d.Lines[1].AmountMinor != 9000 || d.Lines[1].TaxMinor != 1000 || !slices.Contains(d.Lines[1].Notes, "Spent ¥16,000, converted at 160 JPY per USD") {
		t.Errorf("the approver's lines: %+v", d.Lines)
	}
}

// A per-day limit holds across the person's reports: a day's meals split over two reports are
// the day's meals. A draft saved before the other report was submitted is checked again when
// it is submitted itself.
func TestExpensePerDayLimitSpansReports(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	w.must(w.db.Exec(`UPDATE org_settings SET receipt_threshold_minor = 100000`).Error) // no receipts in this test
	// The second report's draft, saved first: alone, $30.00 is within $50.00 a day.
	second, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(3), w.meals, "Cafe Due", "30.00")), false)
	w.must(err)
	if second.Lines[0].OverLimit {
		t.Fatal("$30.00 alone is marked over $50.00 a day")
	}
	first, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(3), w.meals, "Cafe Uno", "30.00")), true)
	w.must(err)
	if first.Status != models.ExpenseSubmitted || first.Lines[0].OverLimit {
		t.Fatalf("the first report: %s, over %v", first.Status, first.Lines[0].OverLimit)
	}
	// Submitted now, the draft's day holds $60.00: it needs its reason.
	_, err = models.SubmitExpense(as(w.rita), w.db, w.rita.ID, second.ID)
	if msg := fieldErrors(t, err)[models.ExpenseField(0, "justification")]; msg == "" {
		t.Fatalf("the second report's $30.00 on a day with $30.00 already claimed went without a reason: %v", err)
	}
	// Saved again, it is marked over at once.
	d, err := models.GetExpense(context.Background(), w.db, viewer(w.rita), second.ID)
	w.must(err)
	in := w.input(w.expense(w.day(3), w.meals, "Cafe Due", "30.00"))
	in.Version = models.VersionAt(d.UpdatedAt)
	second, err = w.save(w.rita.ID, second.ID, in, false)
	w.must(err)
	if !second.Lines[0].OverLimit {
		t.Error("saved again, the line of a day over its limit is not marked")
	}
	// Another day, or another person's meals, do not count.
	other, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(4), w.meals, "Cafe Tre", "30.00")), false)
	w.must(err)
	if other.Lines[0].OverLimit {
		t.Error("another day's line is marked over")
	}
}

// Migration 00138 keeps every stored rate exactly: a line's rate in millionths (39, a dong
// in dollars) reads as 0.000039 after it, with the millionths kept and its amounts as they
// were; rolled back, a line saved since (at 25450 dong to the dollar) has its rate in
// millionths again.
func TestExactRateMigrationKeepsEveryRate(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	line := w.expense(w.day(3), w.meals, "Pho", "250000")
	line.Currency, line.Rate, line.RateAs = "VND", "25450", models.RatePerReportUnit
	r, err := w.save(w.rita.ID, 0, w.input(line), false)
	w.must(err)
	sqlDB, err := w.db.DB()
	w.must(err)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.Tenant(), goose.WithDisableGlobalRegistry(true))
	w.must(err)
	_, err = p.DownTo(context.Background(), 137)
	w.must(err)
	var micro int64
	w.must(w.db.Raw(`SELECT rate_micro FROM expense_lines WHERE report_id = ?`, r.ID).Scan(&micro).Error)
	if micro != 39 {
		t.Errorf("rolled back, the rate is %d millionths, want 39", micro)
	}
	w.must(w.db.Exec(`UPDATE expense_lines SET rate_micro = 39 WHERE report_id = ?`, r.ID).Error)
	_, err = p.Up(context.Background())
	w.must(err)
	var l models.ExpenseLine
	w.must(w.db.Where("report_id = ?", r.ID).Take(&l).Error)
	w.must(w.db.Raw(`SELECT rate_micro FROM expense_lines WHERE id = ?`, l.ID).Scan(&micro).Error)
	if l.Rate != money.RateOf(39, 6) || l.RateInverted || micro != 39 || l.ReportMinor != 982 || l.AmountMinor != 250000 {
		t.Errorf("migrated, the line is %d at %s (inverted %v, %d millionths kept), want 982 at 0.000039", l.ReportMinor, l.Rate, l.RateInverted, micro)
	}
}
