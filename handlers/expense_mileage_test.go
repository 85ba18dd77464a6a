package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"outlay/models"
)

// mileageLine adds to f a mileage line of distance km from date, booked to cat.
func mileageLine(f url.Values, date string, cat models.ExpenseCategory, distance string) {
	for k, v := range map[string]string{"kind": models.LineMileage, "date": date, "category": ids(cat.ID), "from": "Office", "to": "Car park",
		"distance": distance, "unit": models.UnitKm, "merchant": "", "amount": "", "tax": "", "currency": "", "rate": "", "note": "",
		"justification": "", "receipt": "", "days": "", "destination": ""} {
		f.Add(k, v)
	}
}

// A mileage line so short that it pays nothing (0.001 km at €0.42 a km) is refused beside
// its distance, saying what it comes to, with the distance typed kept and nothing stored;
// the shortest distance that comes to a cent (0.012 km) is submitted.
func TestAMileageLineThatPaysNothingIsRefusedBesideItsDistance(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	cat := models.ExpenseCategory{Name: "Mileage", GLAccountID: s.meals.GLAccountID, Currency: "EUR"}
	rate := models.MileageRate{Unit: models.UnitKm, EffectiveFrom: time.Now().UTC().AddDate(0, -1, 0), RateMilli: 42_000, Currency: "EUR"}
	for _, v := range []any{&cat, &rate} {
		if err := s.db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	c := s.client(t, s.rita)
	form := func(distance string) url.Values {
		f := s.expenseForm("submit")
		f.Set("currency", "EUR")
		mileageLine(f, day(1), cat, distance)
		return f
	}
	for distance, want := range map[string]string{
		"0.001": "0.001 km at €0.42 per km comes to less than €0.01: enter the distance travelled.",
		"0.011": "0.011 km at €0.42 per km comes to less than €0.01: enter the distance travelled.",
	} {
		c.Get("/expenses/new")
		res := c.Post("/expenses", form(distance))
		if got := res.Text("#expense-0-distance-error"); res.Status != http.StatusUnprocessableEntity || got != want {
			t.Errorf("%s km: %d %q, want %q", distance, res.Status, got, want)
		}
		if typed := res.Doc.Find("#expense-0-distance").AttrOr("value", ""); typed != distance {
			t.Errorf("%s km: the distance shown again is %q", distance, typed)
		}
		if n := s.count(t); n != 0 {
			t.Fatalf("%s km: %d reports stored", distance, n)
		}
	}
	c.Get("/expenses/new")
	if res := c.Post("/expenses", form("0.012")); res.Status != http.StatusSeeOther {
		t.Fatalf("0.012 km: %d %q", res.Status, res.Text(".field-error"))
	}
	var r models.ExpenseReport
	if err := s.db.First(&r).Error; err != nil || r.Status != models.ExpenseSubmitted || r.TotalMinor != 1 {
		t.Errorf("0.012 km submitted as %s, total %d (%v); want submitted, €0.01", r.Status, r.TotalMinor, err)
	}
}
