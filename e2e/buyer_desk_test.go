package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// A buyer opens the list of approved requisitions waiting for an order, orders one from its
// row, and lands on the new order, where closing it is folded away; on a desktop and a phone.
func TestBuyersDeskInTheBrowser(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	clerk := s.App.CreateUser(t, s.Tenant, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "orders@northwind.example",
		testutil.OrderLine{Description: "Ergonomic laptop stand", Quantity: "10", UnitPrice: 4250, TaxRateBP: 2000})
	testutil.ApprovedRequisition(t, db, rita.ID, "",
		testutil.OrderLine{Description: "Whiteboard markers", Quantity: "40", UnitPrice: 199})

	b := newBrowser(t)
	b.viewport(1280, 900)
	b.signIn(s, clerk.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/purchase-orders/to-order")), chromedp.WaitVisible(chromedp.CSS(".to-order-table")))
	if n := eval[int](b, `document.querySelectorAll('.to-order-table tbody tr').length`); n != 2 {
		t.Errorf("%d rows to order, want 2", n)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("list")

	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL("/purchase-orders/to-order")), chromedp.WaitVisible(chromedp.CSS(".to-order-table")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("list-phone")

	b.viewport(1280, 900)
	b.do(chromedp.Navigate(s.URL("/purchase-orders/to-order")), chromedp.WaitVisible(chromedp.CSS(".to-order-table")))
	b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { window.__asked = q; return true; }`))
	b.pressAndLoad(fmt.Sprintf(`form[action="/requisitions/%d/purchase-order"] button`, r.Requisition.ID))
	b.do(chromedp.WaitVisible(chromedp.CSS("details.close-order")))
	if got := b.text(".page-header h1"); !strings.HasPrefix(got, "PO-") {
		t.Errorf("order page heading %q", got)
	}
	if open := eval[bool](b, `document.querySelector('details.close-order').open`); open {
		t.Error("the close form is unfolded on a new order")
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("order")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("details.close-order")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("order-phone")
}
