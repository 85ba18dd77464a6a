package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// Budgets in a real browser: the list shows spent, committed and remaining with a bar
// coloured near and over the limit, a budget's page lists its documents, and the dashboard
// card lists the budgets near their limit; on a desktop and a phone, nothing scrolls sideways.
func TestBudgetsInTheBrowser(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var ana models.User
	must(db.Where("email = ?", s.User.Email).First(&ana).Error)
	software := models.GLAccount{Code: "6000", Name: "Software"}
	vendor := models.Vendor{Name: "Initech", Currency: "USD", Status: models.VendorActive}
	must(db.Create(&software).Error)
	must(db.Create(&vendor).Error)
	year := time.Now().Year()
	// Engineering has used 85 % of its budget, Sales 120 %, Operations 10 %.
	var engBudget int64
	for i, d := range []struct {
		name         string
		amount, used int64
	}{{"Engineering", 1_000_000, 850_000}, {"Sales", 500_000, 600_000}, {"Operations", 2_000_000, 200_000}} {
		dept := models.Department{Name: d.name}
		must(db.Create(&dept).Error)
		b := models.Budget{DepartmentID: dept.ID, GLAccountID: software.ID, AmountMinor: d.amount, Currency: "USD",
			PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}
		must(db.Create(&b).Error)
		if i == 0 {
			engBudget = b.ID
		}
		num := fmt.Sprintf("REQ-%d", 100+i)
		r := models.Requisition{RequesterID: ana.ID, Status: models.RequisitionApproved, Currency: "USD", DepartmentID: &dept.ID,
			TotalMinor: d.used, VendorID: &vendor.ID, Number: &num}
		must(db.Create(&r).Error)
		must(db.Model(&r).Update("decided_at", time.Now()).Error)
		must(db.Create(&models.RequisitionLine{RequisitionID: r.ID, Position: 1, Description: "Licences", QuantityMilli: 1000,
			UnitPriceMinor: d.used, GLAccountID: &software.ID, AmountMinor: d.used}).Error)
	}

	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	for _, size := range []string{"desktop", "phone"} {
		if size == "phone" {
			b.viewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
		} else {
			b.viewport(1280, 900)
		}
		b.do(chromedp.Navigate(s.URL("/admin/budgets")), chromedp.WaitVisible(chromedp.CSS("#ref-results table")))
		if n := eval[int](b, `document.querySelectorAll('#ref-results .budget-near').length`); n != 1 {
			t.Errorf("%s: %d budgets near the limit, want 1", size, n)
		}
		if n := eval[int](b, `document.querySelectorAll('#ref-results .budget-over').length`); n != 1 {
			t.Errorf("%s: %d budgets over, want 1", size, n)
		}
		if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
			t.Errorf("%s: the budgets list scrolls sideways", size)
		}
		// On a desktop the table itself fits too: its last column (Edit, Archive) is not
		// hidden behind a scroll.
		if size == "desktop" {
			if over := eval[int](b, `(w => w.scrollWidth - w.clientWidth)(document.querySelector('#ref-results .table-wrap'))`); over > 1 {
				t.Errorf("desktop: the budgets table is %d px wider than the page gives it, and scrolls sideways", over)
			}
		}
		b.screenshot(size + "-list")

		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/admin/budgets/%d", engBudget))), chromedp.WaitVisible(chromedp.ID("budget-documents")))
		if got := b.text("#budget-committed"); got != "$8,500.00" {
			t.Errorf("%s: committed %q", size, got)
		}
		if got := b.text("#budget-documents tbody"); !strings.Contains(got, "REQ-100") {
			t.Errorf("%s: documents %q", size, got)
		}
		if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
			t.Errorf("%s: the budget's page scrolls sideways", size)
		}
		b.screenshot(size + "-budget")

		b.do(chromedp.Navigate(s.URL("/dashboard")), chromedp.WaitVisible(chromedp.ID("budgets-card")))
		if got := b.text("#budgets-card ul"); !strings.Contains(got, "Sales") || !strings.Contains(got, "Engineering") || strings.Contains(got, "Operations") {
			t.Errorf("%s: card %q", size, got)
		}
		if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
			t.Errorf("%s: the dashboard scrolls sideways", size)
		}
		b.screenshot(size + "-dashboard")
	}
}
