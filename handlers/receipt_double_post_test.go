package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/internal/testutil"
	"outlay/models"
)

// The receive form posted twice (a double click, a resent request) records one receipt: the
// second is refused with a message, and the goods are not received twice.
func TestReceiptFormPostedTwiceRecordsOnce(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)
	c.Get("/dashboard")
	poPath := c.Post("/requisitions/"+itoa(r.Requisition.ID)+"/purchase-order", nil).Location()
	page := c.Get(poPath)
	form := url.Values{}
	page.Doc.Find("#receive-form input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		form.Set(name, value)
	})
	var lines []models.PurchaseOrderLine
	db.Where("purchase_order_id = (SELECT id FROM purchase_orders WHERE number = 'PO-000001')").Order("position").Find(&lines)
	form.Set(models.ReceiptField(lines[0].ID), "4")
	for i := range 2 {
		if res := c.Post(poPath+"/receipts", form); res.Status != http.StatusSeeOther {
			t.Fatalf("post %d: %d", i+1, res.Status)
		}
	}
	if flash := c.Get(poPath).Text(".flash"); !strings.Contains(flash, "since this form was opened") {
		t.Errorf("second post's flash %q", flash)
	}
	var receipts int64
	db.Model(&models.Receipt{}).Count(&receipts)
	var line models.PurchaseOrderLine
	db.First(&line, lines[0].ID)
	if receipts != 1 || line.ReceivedMilli != 4000 {
		t.Errorf("%d receipts, %s received", receipts, line.ReceivedMilli)
	}
}
