package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// A requester follows their ordered requisition to its order and reads what has arrived,
// with nothing to act on, on a desktop and on a phone.
func TestRequesterReadsTheirOrderInTheBrowser(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	ctx := context.Background()
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	clerk := s.App.CreateUser(t, s.Tenant, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "orders@northwind.example",
		testutil.OrderLine{Description: "Ergonomic laptop stand", Quantity: "10", UnitPrice: 4250, TaxRateBP: 2000},
		testutil.OrderLine{Description: "HDMI cable, 2 m", Quantity: "12", UnitPrice: 899})
	v := models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"}, SeeAllKinds: []string{models.DocRequisition, models.DocPurchaseOrder}}
	po, err := models.CreatePurchaseOrder(ctx, db, v, r.Requisition.ID)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := models.GetPurchaseOrder(ctx, db, po.ID)
	if _, err := models.RecordReceipt(ctx, db, clerk.ID, po.ID, models.ReceiptInput{Quantities: map[int64]string{d.Lines[0].ID: "4"}, Note: "First pallet"}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	b.viewport(1280, 900)
	b.signIn(s, rita.Email, testutil.Password)
	orderPath := fmt.Sprintf("/purchase-orders/%d", po.ID)
	link := fmt.Sprintf(`a[href="%s"]`, orderPath)
	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/requisitions/%d", r.Requisition.ID))), chromedp.WaitVisible(chromedp.CSS(link)))
	b.screenshot("requisition")
	b.pressAndLoad(link)
	b.do(chromedp.WaitVisible(chromedp.CSS(".receipt-list")))
	if got := b.text(".page-header h1"); !strings.HasPrefix(got, po.Number) {
		t.Errorf("order page heading %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('main form, main textarea, a[href$="/history"], a[href$="/print"]').length`); n != 0 {
		t.Errorf("the requester is offered %d forms or links to act", n)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("order")

	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL(orderPath)), chromedp.WaitVisible(chromedp.CSS(".receipt-list")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("order-phone")
	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/requisitions/%d", r.Requisition.ID))), chromedp.WaitVisible(chromedp.CSS(link)))
	assertNoHorizontalScroll(t, b)
	b.screenshot("requisition-phone")
}
