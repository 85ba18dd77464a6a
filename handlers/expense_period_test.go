package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"outlay/models"
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
			CategoryID: s.meals.ID, Merchant: l.merchant, AmountMinor: l.minor, Currency: "USD", RateMicro: 1_000_000, ReportMinor: l.minor}
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
