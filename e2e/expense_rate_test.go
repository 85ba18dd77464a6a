package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/models"
)

// A line's exchange rate refused on saving is marked until a good rate is typed: the live
// total that prices the line with it takes the message away and the field's mark with it,
// at 1280×900 and on a phone. Other refusals stay until the next save. The rate may be
// written either way round, and the live total prices the line by the way chosen.
func TestARefusedRateClearsOnceAGoodOneIsTyped(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	gl := models.GLAccount{Code: "6510", Name: "Meals"}
	if err := db.WithContext(ctx).Create(&gl).Error; err != nil {
		t.Fatal(err)
	}
	meals := models.ExpenseCategory{Name: "Meals", GLAccountID: gl.ID, Currency: "USD"}
	if err := db.Create(&meals).Error; err != nil {
		t.Fatal(err)
	}
	b := refusingBrowser(t, s)
	for _, sz := range sizes {
		b.size(sz.phone)
		b.do(chromedp.Navigate(s.URL("/expenses/new")), chromedp.WaitVisible(chromedp.ID("expense-form")))
		b.typeInto("currency", "USD")
		b.typeInto("expense-0-date", time.Now().AddDate(0, 0, -1).Format(time.DateOnly))
		b.typeInto("expense-0-category", fmt.Sprint(meals.ID))
		b.typeInto("expense-0-merchant", "Café Einstein")
		b.typeInto("expense-0-amount", "10.00")
		b.typeInto("expense-0-currency", "EUR")
		b.typeInto("expense-0-rate", "1,10")
		b.pressAndLoad(`#expense-form button[value="save"]`)
		b.do(chromedp.WaitVisible(chromedp.ID("expense-0-rate-error")))
		if eval[string](b, `document.getElementById('expense-0-rate').getAttribute('aria-invalid')`) != "true" {
			t.Errorf("%s: the refused rate is not marked", sz.name)
		}
		if eval[int](b, `document.querySelectorAll('#expense-form .field-error').length`) < 2 {
			t.Fatalf("%s: the save was refused for the rate alone; the test wants another refusal to stay", sz.name)
		}
		b.screenshot(sz.name + "-rate-refused")

		b.typeInto("expense-0-rate", "1.10")
		b.waitJS(`document.getElementById('expense-0-priced').textContent.trim() === '$11.00'`)
		b.waitJS(`!document.getElementById('expense-0-rate-error') &&
			document.getElementById('expense-0-rate').getAttribute('aria-invalid') === 'false'`)
		if eval[int](b, `document.querySelectorAll('#expense-form .field-error').length`) == 0 {
			t.Errorf("%s: the other refusals went with the rate's", sz.name)
		}
		b.screenshot(sz.name + "-rate-corrected")

		// The same rate written the other way round, 1.10 euros to the dollar, prices it at $9.09.
		b.typeInto("expense-0-rate_as", models.RatePerReportUnit)
		b.waitJS(`document.getElementById('expense-0-priced').textContent.trim() === '$9.09'`)
	}
}
