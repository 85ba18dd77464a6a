package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay"
	"outlay/internal/testutil"
	"outlay/models"
)

// The spend report in a real browser: per currency a chart of each department's stages above
// a table of the same figures, EUR apart; a preset and a grouping change the address; on a
// desktop and a phone nothing scrolls sideways, the chart's text keeps a readable size and
// the table reads as cards on the phone.
func TestSpendReportInTheBrowser(t *testing.T) {
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
	must(db.Create(&software).Error)
	buyer := models.Viewer{UserID: ana.ID, Roles: []string{"admin"}, SeeAllKinds: []string{outlay.DocRequisition}}
	ctx := context.Background()
	lines := []testutil.OrderLine{{Description: "Licences", Quantity: "12", UnitPrice: 4999, TaxRateBP: 2000}, {Description: "Support", Quantity: "1", UnitPrice: 150000}}
	for i, name := range []string{"Engineering", "Sales", "Customer Success and Professional Services", "Operations"} {
		dept := models.Department{Name: name}
		must(db.Create(&dept).Error)
		for j := 0; j <= i%3; j++ {
			currency := "USD"
			if i == 1 && j == 1 {
				currency = "EUR"
			}
			p := testutil.ApprovedRequisition(t, db, ana.ID, "", lines...)
			must(db.Model(&p.Requisition).Updates(map[string]any{"department_id": dept.ID, "currency": currency, "decided_at": time.Now()}).Error)
			must(db.Model(&models.RequisitionLine{}).Where("requisition_id = ?", p.Requisition.ID).Update("gl_account_id", software.ID).Error)
			if j == 0 {
				continue // approved, not yet ordered
			}
			po, err := models.CreatePurchaseOrder(ctx, db, buyer, p.Requisition.ID)
			must(err)
			var first models.PurchaseOrderLine
			must(db.Where("purchase_order_id = ? AND position = 1", po.ID).First(&first).Error)
			_, err = models.RecordReceipt(ctx, db, ana.ID, po.ID, models.ReceiptInput{Quantities: map[int64]string{first.ID: "5"}})
			must(err)
		}
	}

	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	for _, size := range []string{"desktop", "phone"} {
		if size == "phone" {
			b.viewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
		} else {
			b.viewport(1280, 900)
		}
		b.do(chromedp.Navigate(s.URL("/reports/spend")), chromedp.WaitVisible(chromedp.ID("spend-usd")))
		if n := eval[int](b, `document.querySelectorAll('#spend-usd rect.spend-bar').length`); n != 4*4 {
			t.Errorf("%s: %d USD bars, want 4 departments × 4 stages", size, n)
		}
		if n := eval[int](b, `document.querySelectorAll('#spend-usd tbody tr').length`); n != 4 {
			t.Errorf("%s: %d USD rows", size, n)
		}
		if got := b.text("#spend-eur"); !strings.Contains(got, "Sales") || !strings.Contains(got, "not converted") {
			t.Errorf("%s: EUR section %q", size, got)
		}
		// The chart's words are as large as the page's small print on any screen.
		if px := eval[float64](b, `parseFloat(getComputedStyle(document.querySelector('#spend-usd .spend-value')).fontSize) * document.querySelector('#spend-usd svg').getScreenCTM().a`); px < 11 {
			t.Errorf("%s: chart amounts drawn at %.1fpx", size, px)
		}
		// Every amount fits inside the card: none overlaps another or leaves the chart.
		if eval[bool](b, `[...document.querySelectorAll('#spend-usd .spend-value, #spend-usd .spend-label')].some(e => { const r = e.getBoundingClientRect(), c = e.closest('svg').getBoundingClientRect(); return r.left < c.left - 1 || r.right > c.right + 1 })`) {
			t.Errorf("%s: chart text leaves the chart", size)
		}
		if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
			t.Errorf("%s: the report scrolls sideways", size)
		}
		if size == "phone" {
			if eval[string](b, `getComputedStyle(document.querySelector('#spend-usd thead')).display`) != "none" {
				t.Error("phone: the table keeps its header row instead of reading as cards")
			}
			if got := eval[string](b, `getComputedStyle(document.querySelector('#spend-usd tbody td'), '::before').content`); got != `"Committed"` {
				t.Errorf("phone: a card's amount is labelled %s", got)
			}
		}
		b.screenshot(size + "-departments")

		b.pressAndLoad(`.spend-presets a[href*="this-month"]`)
		b.do(chromedp.WaitVisible(chromedp.CSS(`.spend-presets a[aria-current="true"][href*="this-month"]`)))
		b.do(chromedp.SetValue(chromedp.ID("group"), "vendor"))
		b.pressAndLoad(`.spend-filters button[type=submit]`)
		b.do(chromedp.WaitVisible(chromedp.ID("spend-usd")))
		if u := eval[string](b, `location.search`); !strings.Contains(u, "group=vendor") || !strings.Contains(u, "period=this-month") {
			t.Errorf("%s: address %q", size, u)
		}
		if h := b.text("h1"); h != "Spend by vendor" {
			t.Errorf("%s: heading %q", size, h)
		}
		if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
			t.Errorf("%s: by vendor, the report scrolls sideways", size)
		}
		b.screenshot(size + "-vendors")
	}
}
