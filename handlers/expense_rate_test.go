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
// with what was typed kept, rather than read as 1085; the live totals leave the line
// unpriced. A mileage rate is refused the same way on the admin's form.
func TestARateWithACommaIsRefusedBesideIt(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	const want = "Write the rate with a point for decimals and no thousands separators, such as 1.085 or 1385.2."
	f := s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Café Einstein", "10.00"})
	f["currency"] = []string{"USD", "EUR"} // the report's, then the line's
	f.Set("rate", "1,085")
	res := c.Post("/expenses", f)
	if res.Status != http.StatusUnprocessableEntity || res.Text("#expense-0-rate-error") != want {
		t.Errorf("saved with rate 1,085: %d %q, want %q", res.Status, res.Text("#expense-0-rate-error"), want)
	}
	if typed := res.Doc.Find("#expense-0-rate").AttrOr("value", ""); typed != "1,085" {
		t.Errorf("the rate shown again is %q, want 1,085", typed)
	}
	if n := s.count(t); n != 0 {
		t.Errorf("%d reports saved", n)
	}
	if got := c.Post("/expenses/totals", f).Text("#expense-0-priced"); got != "—" {
		t.Errorf("the live total prices the line at %q", got)
	}

	if _, err := models.CreateUser(context.Background(), s.db, models.NewUser{Email: "ana@acme.example", Name: "Ana Admin",
		Password: testutil.Password, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	admin := s.app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	admin.Get("/admin/mileage-rates/new")
	res = admin.Post("/admin/mileage-rates", url.Values{"unit": {"km"}, "effective_from": {"2026-01-01"}, "rate": {"0,30"}, "currency": {"EUR"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#rate-error") != "Write the rate with a point for decimals and no thousands separators, such as 0.585." ||
		res.Doc.Find("#rate").AttrOr("value", "") != "0,30" {
		t.Errorf("mileage rate 0,30: %d %q, kept %q", res.Status, res.Text("#rate-error"), res.Doc.Find("#rate").AttrOr("value", ""))
	}
}
