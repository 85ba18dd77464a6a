package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// An exchange rate typed with a decimal comma (a German 1,085) is refused beside the rate,
// with what was typed kept, rather than read as 1085; one with more decimal places than a
// rate keeps (eighteen) is refused saying so. The
// live totals leave the line unpriced. A mileage rate is refused the same ways on the
// admin's form (it keeps three decimals of the currency's cent).
func TestARateTypedWrongIsRefusedBesideIt(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	if _, err := models.CreateUser(context.Background(), s.db, models.NewUser{Email: "ana@acme.example", Name: "Ana Admin",
		Password: testutil.Password, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	admin := s.app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	const comma = "Write the rate with a point for decimals and no thousands separators, such as "
	for _, r := range []struct{ exchange, exchangeWant, mileage, mileageWant string }{
		{"1,085", comma + "1.085 or 25450.", "0,30", comma + "0.585."},
		{"0.0061234567890123456789", "Use at most 18 decimal places.", "0.4212345", "Use at most 5 decimal places, such as 0.42123."},
	} {
		c.Get("/expenses/new")
		f := s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Café Einstein", "10.00"})
		f["currency"] = []string{"USD", "EUR"} // the report's, then the line's
		f.Set("rate", r.exchange)
		res := c.Post("/expenses", f)
		if res.Status != http.StatusUnprocessableEntity || res.Text("#expense-0-rate-error") != r.exchangeWant {
			t.Errorf("saved with rate %s: %d %q, want %q", r.exchange, res.Status, res.Text("#expense-0-rate-error"), r.exchangeWant)
		}
		if typed := res.Doc.Find("#expense-0-rate").AttrOr("value", ""); typed != r.exchange {
			t.Errorf("the rate shown again is %q, want %s", typed, r.exchange)
		}
		if n := s.count(t); n != 0 {
			t.Errorf("%d reports saved", n)
		}
		if got := c.Post("/expenses/totals", f).Text("#expense-0-priced"); got != "—" {
			t.Errorf("the live total prices the line at %q", got)
		}

		admin.Get("/admin/mileage-rates/new")
		res = admin.Post("/admin/mileage-rates", url.Values{"unit": {"km"}, "effective_from": {"2026-01-01"}, "rate": {r.mileage}, "currency": {"EUR"}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#rate-error") != r.mileageWant || res.Doc.Find("#rate").AttrOr("value", "") != r.mileage {
			t.Errorf("mileage rate %s: %d %q, kept %q", r.mileage, res.Status, res.Text("#rate-error"), res.Doc.Find("#rate").AttrOr("value", ""))
		}
	}
}

// The live totals empty a line's exchange-rate message, out of band, once the rate it was
// refused for on saving is good (or no longer needed); a rate still bad keeps the message of
// the save, which alone refuses it. The save itself is unchanged: it refuses the bad rate.
func TestLiveTotalsClearARateMessageOnceTheRateIsGood(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	f := s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Café Einstein", "10.00"}, [4]string{day(1), ids(s.meals.ID), "Dussmann", "20.00"},
		[4]string{day(1), ids(s.meals.ID), "Diner", "5.00"})
	f["currency"] = []string{"USD", "EUR", "EUR", "USD"} // the report's, then each line's
	f["rate"] = []string{"1,085", "", ""}
	res := c.Post("/expenses", f)
	if res.Status != http.StatusUnprocessableEntity || res.Text("#expense-0-rate-check #expense-0-rate-error") == "" ||
		res.Text("#expense-1-rate-check #expense-1-rate-error") == "" {
		t.Fatalf("saved with a bad rate and none: %d %q %q", res.Status, res.Text("#expense-0-rate-error"), res.Text("#expense-1-rate-error"))
	}

	c.Header.Set("HX-Request", "true")
	f["rate"] = []string{"1.085", "abc", ""}
	res = c.Post("/expenses/totals", f)
	if res.Status != http.StatusOK {
		t.Fatalf("totals: %d", res.Status)
	}
	for _, row := range []string{"0", "2"} { // a good rate; a line in the report's currency, which needs none
		box := res.Doc.Find("#expense-" + row + "-rate-check")
		if oob, _ := box.Attr("hx-swap-oob"); oob != "true" || box.Find(".field-error").Length() != 0 {
			t.Errorf("line %s: rate message box oob %q with %d messages, want it sent empty", row, oob, box.Find(".field-error").Length())
		}
	}
	if n := res.Doc.Find("#expense-1-rate-check").Length(); n != 0 {
		t.Errorf("line 1's rate, still bad, had its message replaced (%d boxes sent)", n)
	}
	if got := res.Text("#expense-0-priced"); got != "$10.85" {
		t.Errorf("line 0 priced at %q", got)
	}

	c.Header.Del("HX-Request")
	f["rate"] = []string{"1.085", "abc", ""}
	if res := c.Post("/expenses", f); res.Status != http.StatusUnprocessableEntity || res.Text("#expense-1-rate-error") == "" {
		t.Errorf("saved with rate abc: %d %q", res.Status, res.Text("#expense-1-rate-error"))
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d reports saved", n)
	}
}
