package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// The buyer's desk lists the approved requisitions waiting for an order, longest waiting
// first, a page at a time; each row links to its requisition and orders it; the dashboard
// counts them for those who may make orders, and no one else.
func TestBuyersDeskListsApprovedRequisitionsToOrder(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("carl@acme.example", testutil.Password)

	empty := c.Get("/purchase-orders/to-order")
	if empty.Status != 200 || !strings.Contains(empty.Text(".empty-state"), "Nothing waiting to be ordered") {
		t.Fatalf("empty list: %d %q", empty.Status, empty.Text(".empty-state"))
	}
	if got := c.Get("/dashboard").Text("[data-testid=to-order]"); got != "0" {
		t.Errorf("dashboard card with nothing waiting: %q", got)
	}

	// 27 approved requisitions, the first the longest waiting; one still pending.
	var first, last testutil.Purchase
	base := time.Now().Add(-30 * 24 * time.Hour)
	for i := range 27 {
		p := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
		db.Model(&models.Requisition{}).Where("id = ?", p.Requisition.ID).Update("updated_at", base.Add(time.Duration(i)*time.Hour))
		if i == 0 {
			first = p
		}
		last = p
	}
	pending := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	db.Model(&models.Requisition{}).Where("id = ?", pending.Requisition.ID).Update("status", models.RequisitionPending)

	page := c.Get("/purchase-orders/to-order")
	rows := page.Doc.Find(".to-order-table tbody tr")
	if rows.Length() != 25 || !strings.Contains(page.Text(".page-header"), "27 approved requisitions") {
		t.Fatalf("first page: %d rows, %q", rows.Length(), page.Text(".page-header"))
	}
	if href, _ := rows.First().Find("a").Attr("href"); href != "/requisitions/"+itoa(first.Requisition.ID) {
		t.Errorf("first row links to %q, want the longest waiting requisition", href)
	}
	if action, _ := rows.First().Find("form").Attr("action"); action != "/requisitions/"+itoa(first.Requisition.ID)+"/purchase-order" {
		t.Errorf("first row orders %q", action)
	}
	if !strings.Contains(rows.First().Text(), "$340.00") || !strings.Contains(rows.First().Text(), first.Vendor.Name) {
		t.Errorf("first row %q", rows.First().Text())
	}
	if strings.Contains(page.Body, "/requisitions/"+itoa(pending.Requisition.ID)+"\"") {
		t.Error("a pending requisition is listed")
	}
	second := c.Get("/purchase-orders/to-order?page=2")
	if n := second.Doc.Find(".to-order-table tbody tr").Length(); n != 2 || !strings.Contains(second.Body, "/requisitions/"+itoa(last.Requisition.ID)+"\"") {
		t.Errorf("second page: %d rows", n)
	}
	if got := c.Get("/dashboard").Text("[data-testid=to-order]"); got != "27" {
		t.Errorf("dashboard card: %q, want 27", got)
	}

	// Ordering from the list takes the requisition off it.
	res := c.Post("/requisitions/"+itoa(first.Requisition.ID)+"/purchase-order", nil)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/purchase-orders/") {
		t.Fatalf("create: %d %q", res.Status, res.Location())
	}
	if page := c.Get("/purchase-orders/to-order"); strings.Contains(page.Body, "/requisitions/"+itoa(first.Requisition.ID)+"\"") ||
		!strings.Contains(page.Text(".page-header"), "26 approved requisitions") {
		t.Errorf("after ordering: %q", page.Text(".page-header"))
	}

	// A requester has neither the list nor the card.
	rc := app.Client(t, "acme")
	rc.SignIn("rita@acme.example", testutil.Password)
	if rc.Get("/dashboard").Doc.Find("[data-testid=to-order]").Length() != 0 {
		t.Error("a requester sees the to-order card")
	}
	if res := rc.Get("/purchase-orders/to-order"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("requester opens the list: %d %q", res.Status, res.Location())
	}
}

// On an order just made, closing it stays out of the way: a secondary button folded away
// behind "Close this order…", which asks before it closes; after a refusal it stays open
// with the message.
func TestCloseOrderStaysOutOfTheWay(t *testing.T) {
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
	button := page.Doc.Find("#close-form button[type=submit]")
	if button.Length() != 1 || button.HasClass("btn-danger") || button.HasClass("btn-primary") || !button.HasClass("btn-secondary") {
		cls, _ := button.Attr("class")
		t.Errorf("close button class %q, want a secondary button", cls)
	}
	if q, _ := page.Doc.Find("#close-form").Attr("data-confirm"); !strings.Contains(q, "Close PO-000001?") {
		t.Errorf("close asks %q", q)
	}
	fold := page.Doc.Find("details.close-order")
	if _, open := fold.Attr("open"); fold.Length() != 1 || open || fold.Find("#close-form").Length() != 1 {
		t.Errorf("the close form is not folded away: %d details, open=%v", fold.Length(), open)
	}
	res := c.Post(poPath+"/close", nil)
	if _, open := res.Doc.Find("details.close-order").Attr("open"); res.Status != http.StatusUnprocessableEntity || !open || res.Text("#reason-error") == "" {
		t.Errorf("refused close: %d open=%v %q", res.Status, open, res.Text("#reason-error"))
	}
}
