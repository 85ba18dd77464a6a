package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// One requisition with a taxed line and an untaxed one, followed from its requester's page
// to its approver's details and to the order made from it: every page shows each line's
// amount the same way (before tax) and the same total.
func TestLineAmountsReadTheSameOnEveryPage(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	max := env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	rita, err := models.CreateUser(ctx, db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester",
		Password: testutil.Password, Roles: []string{"requester"}, ManagerID: &max.ID})
	if err != nil {
		t.Fatal(err)
	}
	dept := models.Department{Name: "Engineering"}
	vendor := models.Vendor{Name: "Desk Depot", Currency: "USD", Status: models.VendorActive}
	gl := models.GLAccount{Code: "6100", Name: "Office furniture"}
	for _, v := range []any{&dept, &vendor, &gl} {
		if err := db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	app := testutil.NewApp(t, env)
	signIn := func(email string) *testutil.Client {
		c := app.Client(t, "acme")
		c.SignIn(email, testutil.Password)
		c.Get("/dashboard")
		return c
	}
	rc, mc, cc := signIn(rita.Email), signIn(max.Email), signIn("carl@acme.example")

	rc.Get("/requisitions/new")
	form := url.Values{"department": {ids(dept.ID)}, "vendor": {ids(vendor.ID)}, "needed_by": {time.Now().AddDate(0, 0, 7).Format("2006-01-02")},
		"justification": {"Stands for the new desks"}, "intent": {"submit"},
		"description": {"Laptop stand", "USB-C cable"}, "quantity": {"10", "4"}, "unit_price": {"25.00", "10"},
		"tax_rate": {"20", ""}, "gl_account": {ids(gl.ID), ids(gl.ID)}}
	res := rc.Post("/requisitions", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	reqPath := res.Location()
	want := []string{"$250.00", "$40.00"}
	const total = "$340.00" // 250 + 40 + 50 tax

	page := rc.Get(reqPath)
	if got := cellTexts(page.Doc.Find(".req-items-table tbody td[data-label=Amount]")); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("requisition page amounts %q, want %q", got, want)
	}
	if got := page.Text(".req-items-table tfoot .req-total"); got != total {
		t.Errorf("requisition page total %q", got)
	}

	var step models.ApprovalStep
	if err := db.Where("status = ?", models.StepPending).First(&step).Error; err != nil {
		t.Fatal(err)
	}
	details := approvalGet(mc, stepURL(step.ID, ""))
	if got := cellTexts(details.Doc.Find(".details-grid table tbody td[data-label=Amount]")); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("approver details amounts %q, want %q", got, want)
	}
	if got := details.Text(".details-grid .details-total"); got != total {
		t.Errorf("approver details total %q", got)
	}
	if res := approvalPost(mc, stepURL(step.ID, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}

	res = cc.Post(reqPath+"/purchase-order", nil)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/purchase-orders/") {
		t.Fatalf("order: %d %q", res.Status, res.Location())
	}
	order := cc.Get(res.Location())
	if got := cellTexts(order.Doc.Find("table.po-lines tbody td[data-label=Amount]")); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("order page amounts %q, want %q", got, want)
	}
	if got := order.Text("table.po-lines tfoot tr:last-child td:last-child"); got != total {
		t.Errorf("order page total %q", got)
	}
}
