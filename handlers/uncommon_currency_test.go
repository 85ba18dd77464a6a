package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"outlay/models"
	"outlay/views/bills"
	"outlay/views/expenses"
)

// A bill in a currency the forms do not list first (a vendor's won) shows in it when opened,
// and saved unchanged as the browser sends it stays in it: the form offers and selects the
// record's own currency, rather than showing the first one, which a save would then keep
// (₩55,000 becoming $55,000.00).
func TestABillInAnUncommonCurrencyStaysInItWhenSavedUnchanged(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	gl, dept := models.GLAccount{Code: "6100", Name: "Consulting"}, models.Department{Name: "Finance", Code: "FIN"}
	won := models.Vendor{Name: "Won Co", Currency: "KRW", Status: models.VendorActive, PaymentTermsDays: 30}
	for _, v := range []any{&gl, &dept, &won} {
		if err := s.db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	res := s.cleoC.Post("/bills", map[string][]string{"vendor": {strconv.FormatInt(won.ID, 10)}, "vendor_text": {won.Name},
		"purchase_order": {""}, "vendor_invoice_number": {"W-1"}, "invoice_date": {"2026-03-02"}, "currency": {"KRW"},
		"form_key": {"k-w1"}, "intent": {"save"}, "order_line": {""}, "description": {"Advice"}, "quantity": {"1"},
		"unit_price": {"50000"}, "tax_rate": {"10"}, "gl_account": {strconv.FormatInt(gl.ID, 10)}, "department": {strconv.FormatInt(dept.ID, 10)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save the draft: %d %s", res.Status, res.Text(".field-error"))
	}
	draft := res.Location()
	page := s.cleoC.Get(draft)
	f := formValues(t, page, "#"+bills.FormID)
	if got := f.Get("currency"); got != "KRW" {
		t.Fatalf("the bill's page shows currency %q, want KRW (options %q)", got, page.Text("#currency option"))
	}
	f.Set("intent", "save")
	if res := s.cleoC.Post(draft, f); res.Status != http.StatusSeeOther {
		t.Fatalf("save unchanged: %d %s", res.Status, res.Text(".field-error"))
	}
	var b models.Bill
	if err := s.db.Where("vendor_invoice_number = ?", "W-1").First(&b).Error; err != nil {
		t.Fatal(err)
	}
	if b.Currency != "KRW" || b.TotalMinor != 55000 {
		t.Errorf("saved unchanged, the bill is %s %d, want KRW 55000", b.Currency, b.TotalMinor)
	}
}

// An expense line in a currency the form does not list first (won, at the report's rate of
// it) keeps its currency, amount and rate when the report is opened and saved unchanged, and
// a line in dinars (three decimals) is not refused for decimals it was saved with.
func TestAnExpenseLineInAnUncommonCurrencyStaysInItWhenSavedUnchanged(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	f := s.expenseForm("save", [4]string{day(2), ids(s.meals.ID), "Seoul Grill", "20000"}, [4]string{day(1), ids(s.meals.ID), "Kuwait Cafe", "22.834"})
	f["currency"] = []string{"USD", "KRW", "KWD"} // the report's, then each line's
	f["rate"] = []string{"0.00075", "3.25"}
	res := c.Post("/expenses", f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Status, res.Text(".field-error, [data-form-error]"))
	}
	report := res.Location()
	lines := func() []models.ExpenseLine {
		var ls []models.ExpenseLine
		if err := s.db.Order("id").Find(&ls).Error; err != nil {
			t.Fatal(err)
		}
		return ls
	}
	before := lines()
	page := c.Get(report)
	g := formValues(t, page, "#"+expenses.FormID)
	if got := g["currency"]; len(got) != 3 || got[1] != "KRW" || got[2] != "KWD" {
		t.Fatalf("the report's page shows currencies %q, want USD, KRW, KWD", got)
	}
	g.Set("intent", "save")
	if res := c.Post(report, g); res.Status != http.StatusSeeOther {
		t.Fatalf("save unchanged: %d %s", res.Status, res.Text(".field-error, [data-form-error]"))
	}
	after := lines()
	if len(after) != 2 {
		t.Fatalf("%d lines after the save", len(after))
	}
	for i := range after {
		if after[i].Currency != before[i].Currency || after[i].AmountMinor != before[i].AmountMinor || after[i].Rate != before[i].Rate {
			t.Errorf("line %d saved unchanged went from %s %d at %s to %s %d at %s", i, before[i].Currency, before[i].AmountMinor,
				before[i].Rate, after[i].Currency, after[i].AmountMinor, after[i].Rate)
		}
	}
}

// An expense line in yen that converts to less than a cent (¥1 at 0.004 dollars a yen) is
// refused beside its amount, saying what it comes to, with what was typed kept and nothing
// stored, as a mileage line that pays nothing is; ¥2 at the same rate comes to a cent and is
// submitted.
func TestAnExpenseLineThatConvertsToNothingIsRefusedBesideItsAmount(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	form := func(amount string) url.Values {
		f := s.expenseForm("submit", [4]string{day(1), ids(s.meals.ID), "Kissaten", amount})
		f["currency"] = []string{"USD", "JPY"}
		f.Set("rate", "0.004")
		return f
	}
	c.Get("/expenses/new")
	res := c.Post("/expenses", form("1"))
	want := "¥1 at 0.004 USD per JPY comes to less than $0.01: check the amount and the rate."
	if got := res.Text("#expense-0-amount-error"); res.Status != http.StatusUnprocessableEntity || got != want {
		t.Errorf("¥1: %d %q, want %q", res.Status, got, want)
	}
	g := formValues(t, res, "#"+expenses.FormID)
	if g.Get("amount") != "1" || g.Get("rate") != "0.004" || g["currency"][1] != "JPY" {
		t.Errorf("shown again as amount %q, rate %q, currencies %q", g.Get("amount"), g.Get("rate"), g["currency"])
	}
	if n := s.count(t); n != 0 {
		t.Fatalf("¥1: %d reports stored", n)
	}
	c.Get("/expenses/new")
	if res := c.Post("/expenses", form("2")); res.Status != http.StatusSeeOther {
		t.Fatalf("¥2: %d %q", res.Status, res.Text(".field-error"))
	}
	var r models.ExpenseReport
	if err := s.db.First(&r).Error; err != nil || r.Status != models.ExpenseSubmitted || r.TotalMinor != 1 {
		t.Errorf("¥2 submitted as %s, total %d (%v); want submitted, $0.01", r.Status, r.TotalMinor, err)
	}
}

// A hotel of 25,000,000 dong on a dollar report, its rate written as a bank quotes it (25,450
// dong to the dollar), comes to $982.32, the exact quotient rounded once; the rate is kept as
// typed, the way round it was typed, and the report saved unchanged keeps it. Written the
// other way round, at 0.0000393 dollars a dong, it comes to $982.50 (in millionths, 39 of
// them, it came to $975.00), and at 0.0000392927308 to $982.32.
func TestAnExpenseLineInDongIsConvertedAtItsExactRate(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	for _, w := range []struct {
		rate, as string
		total    int64
	}{{"25450", models.RatePerReportUnit, 982_32}, {"0.0000393", "", 982_50}, {"0.0000392927308", "", 982_32}} {
		c.Get("/expenses/new")
		f := s.expenseForm("save", [4]string{day(2), ids(s.meals.ID), "Hanoi Hotel", "25000000"})
		f["currency"] = []string{"USD", "VND"}
		f.Set("rate", w.rate)
		f.Set("rate_as", w.as)
		res := c.Post("/expenses", f)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("%s: save: %d %s", w.rate, res.Status, res.Text(".field-error, [data-form-error]"))
		}
		report := res.Location()
		id, _ := strconv.ParseInt(report[strings.LastIndex(report, "/")+1:], 10, 64)
		var r models.ExpenseReport
		var l models.ExpenseLine
		if err := s.db.First(&r, id).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Where("report_id = ?", id).First(&l).Error; err != nil {
			t.Fatal(err)
		}
		if r.TotalMinor != w.total || l.ReportMinor != w.total || l.Rate.String() != w.rate || l.RateInverted != (w.as != "") {
			t.Errorf("%s %q: total %d, line %d at %s (inverted %v), want %d at the rate as typed", w.rate, w.as, r.TotalMinor, l.ReportMinor,
				l.Rate, l.RateInverted, w.total)
		}
		page := c.Get(report)
		g := formValues(t, page, "#"+expenses.FormID)
		if g.Get("rate") != w.rate || g.Get("rate_as") != w.as {
			t.Errorf("%s %q: the form shows rate %q as %q", w.rate, w.as, g.Get("rate"), g.Get("rate_as"))
		}
		g.Set("intent", "save")
		if res := c.Post(report, g); res.Status != http.StatusSeeOther {
			t.Fatalf("%s: save unchanged: %d %s", w.rate, res.Status, res.Text(".field-error, [data-form-error]"))
		}
		var again models.ExpenseLine
		if err := s.db.Where("report_id = ?", id).First(&again).Error; err != nil {
			t.Fatal(err)
		}
		if again.Rate != l.Rate || again.RateInverted != l.RateInverted || again.ReportMinor != w.total {
			t.Errorf("%s: saved unchanged, the line is %d at %s (inverted %v)", w.rate, again.ReportMinor, again.Rate, again.RateInverted)
		}
	}
}
