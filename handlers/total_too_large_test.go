package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// Each form whose lines add up to more than an amount may be (a trillion) says so naming its
// own document: a bill's form speaks of bills, a requisition's of requisitions, and so on.
func TestATotalTooLargeNamesItsDocument(t *testing.T) {
	t.Parallel()
	const half = "600000000000" // two of these are more than a trillion
	t.Run("bill", func(t *testing.T) {
		t.Parallel()
		s := newBillSite(t)
		f := s.orderForm("B-BIG", [2]string{"1", half}, [2]string{"1", half})
		f.Set("intent", "save")
		refusedBeside(t, s.cleoC.Post("/bills", f), "lines", "The bill's total is too large. Split it into several bills.")
	})
	t.Run("trip", func(t *testing.T) {
		t.Parallel()
		s := newTripSite(t)
		f := s.tripForm()
		f.Set("estimate-airfare", half)
		f.Set("estimate-lodging", half)
		refusedBeside(t, s.tessC.Post("/travel", f), "estimates", "The trip's total is too large. Split it into several trips.")
	})
	t.Run("expense report and requisition", func(t *testing.T) {
		t.Parallel()
		s := newExpenseSite(t)
		c := s.client(t, s.rita)
		c.Get("/expenses/new")
		res := c.Post("/expenses", s.expenseForm("save", [4]string{day(1), ids(s.meals.ID), "Café", half}, [4]string{day(2), ids(s.meals.ID), "Bar", half}))
		refusedBeside(t, res, "lines", "The expense report's total is too large. Split it into several expense reports.")

		vendor := models.Vendor{Name: "Desk Depot", Currency: "USD", Status: models.VendorActive}
		if err := s.db.Create(&vendor).Error; err != nil {
			t.Fatal(err)
		}
		c.Get("/requisitions/new")
		res = c.Post("/requisitions", url.Values{"department": {ids(s.eng.ID)}, "vendor": {ids(vendor.ID)}, "needed_by": {time.Now().AddDate(0, 0, 7).Format("2006-01-02")},
			"justification": {"Desks"}, "intent": {"save"}, "description": {"Desk", "Chair"}, "quantity": {"1", "1"}, "unit_price": {half, half},
			"tax_rate": {"", ""}, "gl_account": {"", ""}})
		refusedBeside(t, res, "lines", "The requisition's total is too large. Split it into several requisitions.")
	})
}

// refusedBeside checks that res is a form refused with want beside its field.
func refusedBeside(t *testing.T, res *testutil.Response, field, want string) {
	t.Helper()
	if got := res.Text("#" + field + "-error"); res.Status != http.StatusUnprocessableEntity || got != want {
		t.Errorf("%d %q beside %s, want 422 %q", res.Status, got, field, want)
	}
}
