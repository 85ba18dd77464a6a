package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// Reference data in a real browser: a vendor is created through its form (a refused
// submission is swapped in place with the message beside the field), the live search
// narrows the list without a page load, a budget is created and its amount shown as money,
// and the pages fit a desktop and a phone.
func TestReferenceDataInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	if _, err := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: "Engineering", Code: "ENG"}); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveGLAccount(ctx, db, 0, models.GLAccountInput{Code: "6000", Name: "Software"}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: fmt.Sprintf("Supplier %d", i), ContactName: "Sam Seller",
			Email: fmt.Sprintf("sales%d@supplier.example", i), PaymentTerms: "30", Currency: "USD", Status: models.VendorActive}); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)

	// A new vendor: a bad email comes back beside the field without a page load.
	b.do(chromedp.Navigate(s.URL("/vendors")), chromedp.WaitVisible(chromedp.CSS("#ref-results table")))
	b.pressAndLoad(`.page-header a.btn-primary`)
	b.do(chromedp.WaitVisible(chromedp.ID("ref-form")))
	if p := b.path(); p != "/vendors/new" {
		t.Fatalf("New vendor led to %s", p)
	}
	b.do(
		chromedp.SendKeys(chromedp.ID("name"), "Initech"),
		chromedp.SendKeys(chromedp.ID("contact_name"), "Peter Gibbons"),
		chromedp.SendKeys(chromedp.ID("email"), "peter@initech"),
		chromedp.SendKeys(chromedp.ID("tax_id"), "US-12-3456789"),
		chromedp.Evaluate[chromedp.Void](`window.__marker = 1; document.getElementById('payment_terms').value = '45';
			document.getElementById('currency').value = 'EUR'`),
		chromedp.Click(chromedp.CSS(`#ref-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("email-error")),
	)
	if got := b.text("#email-error"); got != "Enter an email address like name@example.com." {
		t.Errorf("email error %q", got)
	}
	if !eval[bool](b, `window.__marker === 1 && document.getElementById('name').value === 'Initech'`) {
		t.Error("the refused form was not swapped in place with what was typed")
	}
	b.screenshot("vendor-refused")
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('email').value = 'peter@initech.example'`))
	b.pressAndLoad(`#ref-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); got != "Added the vendor Initech." {
		t.Errorf("flash %q", got)
	}
	v, err := models.ListVendors(ctx, db, models.RefFilter{Query: "initech", Limit: 5})
	if err != nil || v.Total != 1 || v.Rows[0].Currency != "EUR" || v.Rows[0].PaymentTermsDays != 45 {
		t.Fatalf("stored vendor: %+v %v", v, err)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("vendors-list")

	// Typing in the search narrows the list through htmx and keeps the address in step.
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 2`), chromedp.SendKeys(chromedp.ID("q"), "initech"))
	b.waitJS(`document.querySelector('#ref-results .pagination [role=status]')?.textContent.trim() === 'Showing 1 of 1'`)
	b.waitJS(`location.search === '?q=initech'`)
	if !eval[bool](b, `window.__marker === 2`) {
		t.Error("the search reloaded the page")
	}
	gets := b.requestsTo(http.MethodGet, "/vendors")
	if last := gets[len(gets)-1]; !last.HXReq {
		t.Errorf("last list request %+v, want an htmx request", last)
	}

	// A budget for this year, in the organisation's currency.
	b.do(chromedp.Navigate(s.URL("/admin/budgets/new")), chromedp.WaitVisible(chromedp.ID("ref-form")))
	b.do(
		chromedp.Evaluate[chromedp.Void](`
			const d = document.getElementById('department'); d.value = d.options[1].value;
			const g = document.getElementById('gl_account'); g.value = g.options[1].value;`),
		chromedp.SendKeys(chromedp.ID("amount"), "120,000.5"),
	)
	b.screenshot("budget-new")
	b.pressAndLoad(`#ref-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("#ref-results table")))
	if got := b.text("#ref-results tbody td.num"); !strings.HasPrefix(got, "$120,000.50") {
		t.Errorf("amount shown as %q", got)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("budgets-list")

	// The budget's page: edit the amount, and History shows old and new as money.
	b.pressAndLoad(`#ref-results tbody td a`)
	b.do(chromedp.WaitVisible(chromedp.ID("ref-form")), chromedp.SetValue(chromedp.ID("amount"), "95,000"))
	b.pressAndLoad(`#ref-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.screenshot("budget-detail")
	b.pressAndLoad(`.page-header a[href$="/history"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".changes")))
	if got := b.text(".changes"); !strings.Contains(got, "$120,000.50") || !strings.Contains(got, "$95,000.00") {
		t.Errorf("history shows %q", got)
	}
	b.screenshot("budget-history")
	b.do(chromedp.Navigate(s.URL("/admin/departments")), chromedp.WaitVisible(chromedp.CSS("#ref-results table")))
	b.screenshot("departments-list")
	b.do(chromedp.Navigate(s.URL("/admin/settings")), chromedp.WaitVisible(chromedp.ID("ref-form")))
	b.screenshot("settings")

	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	for _, p := range []string{"/vendors", "/vendors/new", "/admin/budgets", "/admin/budgets/new", "/admin/departments", "/admin/settings"} {
		b.do(chromedp.Navigate(s.URL(p)), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
		assertNoHorizontalScroll(t, b)
		assertInsideCards(t, b)
	}
	b.do(chromedp.Navigate(s.URL("/admin/budgets")), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	b.screenshot("budgets-phone")
	b.do(chromedp.Navigate(s.URL("/vendors/new")), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	b.screenshot("vendor-new-phone")
}
