package models_test

import (
	"strconv"
	"testing"

	"outlay/models"
)

// A report claims what was spent in the days it covers: a line dated outside its period is
// refused beside the line's date, naming the period, and an end of the period typed so that
// it leaves lines out says, beside it, how many. Nothing is saved.
func TestExpenseLinesAreDatedWithinTheReportsPeriod(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	long := func(daysAgo int) string { return mustDay(w.day(daysAgo)).Format("2 Jan 2006") }
	// outside is a line's message in a period given in words: "1 Nov – 30 Nov 2026", the
	// year once when both ends share it.
	outside := func(from, to int) string {
		period := long(from) + " – " + long(to)
		if mustDay(w.day(from)).Year() == mustDay(w.day(to)).Year() {
			period = mustDay(w.day(from)).Format("2 Jan") + " – " + long(to)
		}
		return "The date is outside this report's period, " + period + ": change the date, or the period above."
	}

	// A new report: both ends are typed with the lines, so each end names what it leaves out.
	in := w.input(w.expense(w.day(15), w.meals, "Cafe", "5.00"), w.expense(w.day(5), w.meals, "Bistro", "6.00"),
		w.expense(w.day(3), w.taxi, "Cab", "7.00"), w.expense(w.day(25), w.meals, "Diner", "8.00"))
	in.PeriodFrom, in.PeriodTo = w.day(20), w.day(10)
	_, err := w.save(w.rita.ID, 0, in, false)
	errs := fieldErrors(t, err)
	for field, want := range map[string]string{
		models.ExpenseField(0, "date"): "",
		models.ExpenseField(1, "date"): outside(20, 10),
		models.ExpenseField(2, "date"): outside(20, 10),
		models.ExpenseField(3, "date"): outside(20, 10),
		"period_from":                  "1 line is dated before " + long(20) + ": start the period earlier, or change the line's date below.",
		"period_to":                    "2 lines are dated after " + long(10) + ": end the period later, or change their dates below.",
	} {
		if errs[field] != want {
			t.Errorf("new report, %s: %q, want %q", field, errs[field], want)
		}
	}
	var n int64
	w.db.Model(&models.ExpenseReport{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d reports saved from a refused form", n)
	}

	// A stored report whose lines all lie within its period.
	in.PeriodFrom, in.PeriodTo = w.day(30), w.day(0)
	r, err := w.save(w.rita.ID, 0, in, false)
	w.must(err)

	// Its end moved earlier: the end says how many lines it leaves out; the start, unchanged,
	// says nothing.
	narrowed := in
	narrowed.PeriodTo = w.day(10)
	errs = fieldErrors(t, func() error { _, err := w.save(w.rita.ID, r.ID, narrowed, false); return err }())
	wantEnd := "2 lines are dated after " + long(10) + ": end the period later, or change their dates below."
	if errs["period_to"] != wantEnd || errs.Has("period_from") || !errs.Has(models.ExpenseField(1, "date")) || !errs.Has(models.ExpenseField(2, "date")) {
		t.Errorf("narrowed period: %v, want period_to %q and lines 2 and 3", errs, wantEnd)
	}

	// A line moved out of the unchanged period: only the line is refused.
	moved := in
	moved.Lines = append([]models.ExpenseLineInput(nil), in.Lines...)
	moved.Lines[0].Date = w.day(31)
	errs = fieldErrors(t, func() error { _, err := w.save(w.rita.ID, r.ID, moved, false); return err }())
	wantLine := outside(30, 0)
	if errs[models.ExpenseField(0, "date")] != wantLine || errs.Has("period_from") || errs.Has("period_to") || len(errs) != 1 {
		t.Errorf("a line out of the period: %v, want only line 1's %q", errs, wantLine)
	}
	var stored models.ExpenseReport
	var first models.ExpenseLine
	w.must(w.db.First(&stored, r.ID).Error)
	w.must(w.db.Where("report_id = ?", r.ID).Order("position").First(&first).Error)
	if stored.PeriodTo == nil || stored.PeriodTo.Format(models.DateLayout) != w.day(0) || first.SpentOn.Format(models.DateLayout) != w.day(15) {
		t.Errorf("the refused edits changed the report: period to %v, first line %v", stored.PeriodTo, first.SpentOn)
	}

	// The period is optional, and each end counts only when set.
	open := in
	open.PeriodFrom, open.PeriodTo = "", ""
	if _, err := w.save(w.rita.ID, r.ID, open, false); err != nil {
		t.Errorf("no period: %v", err)
	}
	from := in
	from.PeriodFrom, from.PeriodTo = w.day(10), ""
	errs = fieldErrors(t, func() error { _, err := w.save(w.rita.ID, r.ID, from, false); return err }())
	if got, want := errs[models.ExpenseField(0, "date")], "The date is outside this report's period, from "+long(10)+": change the date, or the period above."; got != want {
		t.Errorf("a period with only a start: %q, want %q", got, want)
	}
	if errs.Has(models.ExpenseField(1, "date")) || errs.Has("period_to") {
		t.Errorf("a period with only a start refused more: %v", errs)
	}

	// A date after today is refused for that, not for the period.
	future := in
	future.Lines = append([]models.ExpenseLineInput(nil), in.Lines...)
	future.Lines[1].Date = w.day(-5)
	errs = fieldErrors(t, func() error { _, err := w.save(w.rita.ID, r.ID, future, false); return err }())
	if got := errs[models.ExpenseField(1, "date")]; got != "The date is after today; enter the day the money was spent." || errs.Has("period_to") {
		t.Errorf("a line after today: %v", errs)
	}
}

// A stored report with a line outside its period, as one saved before periods were checked
// would be, is refused when submitted as it stands: beside the line, and beside the end of
// the period the line lies beyond. It stays a draft.
func TestExpenseSubmitChecksTheStoredLinesAgainstThePeriod(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	w.must(w.db.Exec(`UPDATE org_settings SET receipt_threshold_minor = 100000`).Error) // no receipts in this test
	r, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(15), w.meals, "Cafe", "5.00"), w.expense(w.day(5), w.meals, "Bistro", "6.00")), false)
	w.must(err)
	w.must(w.db.Model(&models.ExpenseLine{}).Where("report_id = ? AND position = 2", r.ID).Update("spent_on", mustDay(w.day(31))).Error)

	_, err = models.SubmitExpense(as(w.rita), w.db, w.rita.ID, r.ID)
	errs := fieldErrors(t, err)
	long := func(daysAgo int) string { return mustDay(w.day(daysAgo)).Format("2 Jan 2006") }
	period := mustDay(w.day(30)).Format("2 Jan") + " – " + long(0)
	if mustDay(w.day(30)).Year() != mustDay(w.day(0)).Year() {
		period = long(30) + " – " + long(0)
	}
	for field, want := range map[string]string{
		models.ExpenseField(0, "date"): "",
		models.ExpenseField(1, "date"): "The date is outside this report's period, " + period + ": change the date, or the period above.",
		"period_from":                  "1 line is dated before " + long(30) + ": start the period earlier, or change the line's date below.",
		"period_to":                    "",
	} {
		if errs[field] != want {
			t.Errorf("%s: %q, want %q", field, errs[field], want)
		}
	}
	if st := w.reportStatus(r.ID); st != models.ExpenseDraft {
		t.Errorf("the refused submit left the report %s", st)
	}
}

// A per diem line claims its days from its date on. A stored report whose per diem days run
// past its period (as one saved before per diem days were checked would) is refused when
// submitted as it stands: beside the line's days and beside the period's end, both naming
// its last day. It stays a draft.
func TestExpenseSubmitChecksStoredPerDiemDaysAgainstThePeriod(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	in := w.input(models.ExpenseLineInput{Kind: models.LinePerDiem, Date: w.day(2), Category: w.id(w.perDiem),
		Days: "3", Destination: strconv.FormatInt(w.berlin.ID, 10), Rate: "1.0853"})
	r, err := w.save(w.rita.ID, 0, in, false)
	w.must(err)
	w.must(w.db.Model(&models.ExpenseLine{}).Where("report_id = ?", r.ID).Update("days", 5).Error)

	_, err = models.SubmitExpense(as(w.rita), w.db, w.rita.ID, r.ID)
	errs := fieldErrors(t, err)
	end := mustDay(w.day(0)).Format("2 Jan 2006")
	for field, want := range map[string]string{
		models.ExpenseField(0, "days"): "The days run past this report's period, which ends on " + end + ": claim at most 3 days, or end the period later above.",
		models.ExpenseField(0, "date"): "",
		"period_to":                    "1 per diem line runs past " + end + ": end the period later, or shorten its days below.",
	} {
		if errs[field] != want {
			t.Errorf("%s: %q, want %q", field, errs[field], want)
		}
	}
	if st := w.reportStatus(r.ID); st != models.ExpenseDraft {
		t.Errorf("the refused submit left the report %s", st)
	}
}
