package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"outlay/models"
	"outlay/money"
)

// A report's period moved so that it leaves a line out is refused beside the period, saying
// how many lines, and beside the line, naming the period; the form comes back as typed and
// the stored report is unchanged.
func TestExpensePeriodThatLeavesALineOutIsRefusedAsTyped(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	f := s.expenseForm("save", [4]string{day(5), ids(s.meals.ID), "Bistro", "16.00"}, [4]string{day(15), ids(s.meals.ID), "Cafe", "12.50"})
	if res := c.Post("/expenses", f); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Status, res.Text(".field-error"))
	}
	var r models.ExpenseReport
	s.db.Order("id DESC").First(&r)
	doc := fmt.Sprintf("/expenses/%d", r.ID)

	c.Get(doc)
	f.Set("period_to", day(10))
	f.Set("title", "Client visit, Lyon")
	res := c.Post(doc, f)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a period leaving a line out: %d", res.Status)
	}
	long := func(daysAgo int) time.Time { return time.Now().UTC().AddDate(0, 0, -daysAgo) }
	period := long(20).Format("2 Jan") + " – " + long(10).Format("2 Jan 2006")
	if long(20).Year() != long(10).Year() {
		period = long(20).Format("2 Jan 2006") + " – " + long(10).Format("2 Jan 2006")
	}
	for id, want := range map[string]string{
		"period_to-error":      "1 line is dated after " + long(10).Format("2 Jan 2006") + ": end the period later, or change the line's date below.",
		"expense-0-date-error": "The date is outside this report's period, " + period + ": change the date, or the period above.",
		"expense-1-date-error": "",
		"period_from-error":    "",
	} {
		if got := res.Text("#" + id); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	for id, want := range map[string]string{"title": "Client visit, Lyon", "period_from": day(20), "period_to": day(10),
		"expense-0-date": day(5), "expense-0-merchant": "Bistro", "expense-0-amount": "16.00", "expense-1-merchant": "Cafe"} {
		if got := res.Doc.Find("#"+id).AttrOr("value", ""); got != want {
			t.Errorf("%s shows %q, want %q as typed", id, got, want)
		}
	}
	s.db.First(&r, r.ID)
	if r.Title != "Client visit" || r.PeriodTo == nil || r.PeriodTo.Format(models.DateLayout) != day(0) {
		t.Errorf("the refused edit changed the report: %q, period to %v", r.Title, r.PeriodTo)
	}
}

// A report stored with a line outside its period, as one saved before periods were checked
// would be, is refused when submitted as it stands: beside the line, naming the period, and
// above the lines, saying how many fall outside; it stays a draft without a number.
func TestExpenseSubmitRefusesALineOutsideThePeriod(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	at := func(daysAgo int) *time.Time {
		d := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -daysAgo)
		return &d
	}
	r := models.ExpenseReport{OwnerID: s.rita.ID, DepartmentID: &s.eng.ID, Title: "Client visit", Purpose: "Meeting Initech",
		PeriodFrom: at(10), PeriodTo: at(0), Currency: "USD", TotalMinor: 2850, Status: models.ExpenseDraft}
	if err := s.db.Create(&r).Error; err != nil {
		t.Fatal(err)
	}
	for i, l := range []struct {
		daysAgo  int
		merchant string
		minor    int64
	}{{5, "Bistro", 1600}, {15, "Cafe", 1250}} {
		line := models.ExpenseLine{ReportID: r.ID, Position: i + 1, Kind: models.LineExpense, SpentOn: *at(l.daysAgo),
			CategoryID: s.meals.ID, Merchant: l.merchant, AmountMinor: l.minor, Currency: "USD", Rate: money.RateOf(1, 0), ReportMinor: l.minor}
		if err := s.db.Create(&line).Error; err != nil {
			t.Fatal(err)
		}
	}

	c := s.client(t, s.rita)
	doc := fmt.Sprintf("/expenses/%d", r.ID)
	f := formValues(t, c.Get(doc), "#expense-form")
	f.Set("intent", "submit")
	res := c.Post(doc, f)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("submitting a report with a line outside its period: %d %s", res.Status, res.Text(".flash"))
	}
	period := at(10).Format("2 Jan") + " – " + at(0).Format("2 Jan 2006")
	if at(10).Year() != at(0).Year() {
		period = at(10).Format("2 Jan 2006") + " – " + at(0).Format("2 Jan 2006")
	}
	for id, want := range map[string]string{
		"period_from-error":    "1 line is dated before " + at(10).Format("2 Jan 2006") + ": start the period earlier, or change the line's date below.",
		"expense-1-date-error": "The date is outside this report's period, " + period + ": change the date, or the period above.",
		"expense-0-date-error": "",
		"period_to-error":      "",
	} {
		if got := res.Text("#" + id); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if got := res.Doc.Find("#expense-1-merchant").AttrOr("value", ""); got != "Cafe" {
		t.Errorf("the refused form shows the line's merchant as %q", got)
	}
	s.db.First(&r, r.ID)
	if r.Status != models.ExpenseDraft || r.Number != nil {
		t.Errorf("the refused submit left the report %s, numbered %v", r.Status, r.Number)
	}
}

// perDiemLine adds to f a per diem line of days at rate from date, booked to cat.
func perDiemLine(f url.Values, date string, cat models.ExpenseCategory, rate models.PerDiemRate, days string) {
	for k, v := range map[string]string{"kind": models.LinePerDiem, "date": date, "category": ids(cat.ID), "days": days,
		"destination": ids(rate.ID), "merchant": "", "amount": "", "tax": "", "currency": "", "rate": "", "note": "",
		"justification": "", "receipt": "", "from": "", "to": "", "distance": "", "unit": ""} {
		f.Add(k, v)
	}
}

// perDiemRefData is a per diem category without a limit and a per diem rate for Lyon in
// the reports' currency.
func perDiemRefData(t *testing.T, s *expenseSite) (models.ExpenseCategory, models.PerDiemRate) {
	t.Helper()
	cat := models.ExpenseCategory{Name: "Per diem", GLAccountID: s.meals.GLAccountID, Currency: "USD"}
	lyon := models.PerDiemRate{Destination: "Lyon", DailyMinor: 6000, Currency: "USD"}
	for _, v := range []any{&cat, &lyon} {
		if err := s.db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	return cat, lyon
}

// A per diem line claims its days from its date on: days that run past the end of the
// report's period are refused beside them, naming the period's last day and how many days
// fit, and, while the end is being typed (a new report), beside the end too. The form comes
// back as typed and nothing is stored. Once stored, a line's days lengthened past the
// unchanged end are refused only beside the line.
func TestExpensePerDiemDaysPastThePeriodAreRefusedWhenSaved(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	cat, lyon := perDiemRefData(t, s)
	c := s.client(t, s.rita)
	long := func(daysAgo int) string { return time.Now().UTC().AddDate(0, 0, -daysAgo).Format("2 Jan 2006") }

	c.Get("/expenses/new")
	f := s.expenseForm("save")
	f.Set("period_to", day(10))
	perDiemLine(f, day(12), cat, lyon, "5")
	res := c.Post("/expenses", f)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("per diem days past the period: %d", res.Status)
	}
	for id, want := range map[string]string{
		"expense-0-days-error": "The days run past this report's period, which ends on " + long(10) + ": claim at most 3 days, or end the period later above.",
		"expense-0-date-error": "",
		"period_to-error":      "1 per diem line runs past " + long(10) + ": end the period later, or shorten its days below.",
	} {
		if got := res.Text("#" + id); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if got := res.Doc.Find("#expense-0-days").AttrOr("value", ""); got != "5" {
		t.Errorf("the refused form shows the days as %q, want 5 as typed", got)
	}
	if n := s.count(t); n != 0 {
		t.Fatalf("%d reports saved from a refused form", n)
	}

	f.Set("days", "3")
	if res := c.Post("/expenses", f); res.Status != http.StatusSeeOther {
		t.Fatalf("days that end on the period's last day: %d %s", res.Status, res.Text(".field-error"))
	}
	var r models.ExpenseReport
	s.db.Order("id DESC").First(&r)
	doc := fmt.Sprintf("/expenses/%d", r.ID)
	edit := formValues(t, c.Get(doc), "#expense-form")
	edit.Set("days", "4")
	res = c.Post(doc, edit)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("days lengthened past the period: %d", res.Status)
	}
	want := "The days run past this report's period, which ends on " + long(10) + ": claim at most 3 days, or end the period later above."
	if got := res.Text("#expense-0-days-error"); got != want || res.Text("#period_to-error") != "" {
		t.Errorf("lengthened days: line %q, period end %q; want only the line's %q", got, res.Text("#period_to-error"), want)
	}
	var line models.ExpenseLine
	s.db.Where("report_id = ?", r.ID).Take(&line)
	if line.Days == nil || *line.Days != 3 {
		t.Errorf("the refused edit changed the line's days to %v", line.Days)
	}
}

// A report stored with a per diem line whose days run past its period, as one saved before
// per diem days were checked would be, is refused when submitted as it stands: beside the
// line's days and beside the period's end, both naming its last day; it stays a draft
// without a number.
func TestExpenseSubmitRefusesPerDiemDaysPastThePeriod(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	cat, lyon := perDiemRefData(t, s)
	at := func(daysAgo int) *time.Time {
		d := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -daysAgo)
		return &d
	}
	days := 4
	r := models.ExpenseReport{OwnerID: s.rita.ID, DepartmentID: &s.eng.ID, Title: "Client visit", Purpose: "Meeting Initech",
		PeriodFrom: at(10), PeriodTo: at(5), Currency: "USD", TotalMinor: 24000, Status: models.ExpenseDraft}
	if err := s.db.Create(&r).Error; err != nil {
		t.Fatal(err)
	}
	line := models.ExpenseLine{ReportID: r.ID, Position: 1, Kind: models.LinePerDiem, SpentOn: *at(7), CategoryID: cat.ID,
		Merchant: "Lyon", AmountMinor: 24000, Currency: "USD", Rate: money.RateOf(1, 0), ReportMinor: 24000,
		Days: &days, PerDiemRateID: &lyon.ID, UnitRate: &lyon.DailyMinor}
	if err := s.db.Create(&line).Error; err != nil {
		t.Fatal(err)
	}

	c := s.client(t, s.rita)
	doc := fmt.Sprintf("/expenses/%d", r.ID)
	f := formValues(t, c.Get(doc), "#expense-form")
	f.Set("intent", "submit")
	res := c.Post(doc, f)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("submitting a per diem past the period: %d %s", res.Status, res.Text(".flash"))
	}
	end := at(5).Format("2 Jan 2006")
	for id, want := range map[string]string{
		"expense-0-days-error": "The days run past this report's period, which ends on " + end + ": claim at most 3 days, or end the period later above.",
		"expense-0-date-error": "",
		"period_to-error":      "1 per diem line runs past " + end + ": end the period later, or shorten its days below.",
	} {
		if got := res.Text("#" + id); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	s.db.First(&r, r.ID)
	if r.Status != models.ExpenseDraft || r.Number != nil {
		t.Errorf("the refused submit left the report %s, numbered %v", r.Status, r.Number)
	}
}
