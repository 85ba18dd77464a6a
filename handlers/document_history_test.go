package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// A requisition's History shows its own changes, its lines' and its comments', to those who
// may see it and to nobody else; a purchase order's shows its receipts.
func TestRequisitionAndOrderHistory(t *testing.T) {
	t.Parallel()
	f := newHistoryFixture(t)
	env, db, rita, p, po := f.env, f.db, f.rita, f.p, f.po
	env.CreateUser(t, f.acme, "ron@acme.example", "Ron Requester", "requester")
	ctx := context.Background()
	if _, err := models.AddComment(ctx, db, models.Viewer{UserID: rita.ID, Roles: []string{"requester"}}, models.DocRequisition, p.Requisition.ID, "Please hurry.", ""); err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)
	reqPath := fmt.Sprintf("/requisitions/%d", p.Requisition.ID)

	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	if link := c.Get(reqPath).Doc.Find(`a[href="` + reqPath + `/history"]`); link.Length() != 1 {
		t.Errorf("the requisition page has %d History links", link.Length())
	}
	page := c.Get(reqPath + "/history")
	if page.Status != http.StatusOK {
		t.Fatalf("history: %d", page.Status)
	}
	body := page.Text("main")
	for _, want := range []string{"Requisitions", "Requisition lines", "Standing desk", "$960.00", "Comments", "Please hurry."} {
		if !strings.Contains(body, want) {
			t.Errorf("the requisition's History lacks %q", want)
		}
	}

	// The approval step's copy of the requisition's total is bookkeeping: the requisition's
	// own entries show its total, in its currency.
	if strings.Contains(body, "Doc total") {
		t.Errorf("the requisition's History shows its step's copy of the total: %q", body)
	}

	ron := app.Client(t, "acme")
	ron.SignIn("ron@acme.example", testutil.Password)
	if res := ron.Get(reqPath + "/history"); res.Status != http.StatusNotFound {
		t.Errorf("another requester opens the History: %d", res.Status)
	}

	ana := app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	page = ana.Get(fmt.Sprintf("/purchase-orders/%d/history", po.ID))
	if page.Status != http.StatusOK || !strings.Contains(page.Text("main"), "First desk") || !strings.Contains(page.Text("main"), po.Number) {
		t.Errorf("the order's History (%d) lacks its receipt: %q", page.Status, page.Text("main"))
	}
}

// historyFixture is an ordered requisition of Rita's for two desks, one received, whose
// single approval step Max Manager took; Ana is an admin.
type historyFixture struct {
	env  *testutil.Env
	acme tenancy.Tenant
	db   *gorm.DB
	rita *models.User
	p    testutil.Purchase
	po   *models.PurchaseOrder
}

func newHistoryFixture(t *testing.T) historyFixture {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	f := historyFixture{env: env, acme: acme, db: env.DB(t, acme)}
	f.rita = env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	max := env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	f.p = testutil.ApprovedRequisition(t, f.db, f.rita.ID, "", testutil.OrderLine{Description: "Standing desk", Quantity: "2", UnitPrice: 48000})
	ctx := context.Background()
	step := models.ApprovalStep{DocType: models.DocRequisition, DocID: f.p.Requisition.ID, Round: 1, Position: 1, Kind: "user",
		ApproverID: &max.ID, Status: "approved"}
	if err := f.db.WithContext(ctx).Create(&step).Error; err != nil {
		t.Fatal(err)
	}
	var err error
	f.po, err = models.CreatePurchaseOrder(ctx, f.db, models.Viewer{UserID: f.rita.ID, Roles: []string{"admin"}, SeeAllKinds: []string{models.DocRequisition}}, f.p.Requisition.ID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := models.GetPurchaseOrder(ctx, f.db, f.po.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.RecordReceipt(ctx, f.db, f.rita.ID, f.po.ID, models.ReceiptInput{Quantities: map[int64]string{d.Lines[0].ID: "1"}, Note: "First desk"}); err != nil {
		t.Fatal(err)
	}
	return f
}
