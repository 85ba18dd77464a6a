package handlers_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"outlay/audit"
	"outlay/internal/testutil"
	"outlay/models"
)

// The dashboard's cards count the viewer's own open requisitions, the approval steps waiting
// for them (not those of their own documents), and chart this month's ordered spend by
// department for those who may see all spend.
func TestDashboardCards(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	admin := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "al@acme.example", "Al Approver", "approver")
	app := testutil.NewApp(t, env)
	db := env.DB(t, acme).WithContext(audit.WithActor(t.Context(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))

	eng, ops := models.Department{Name: "Engineering"}, models.Department{Name: "Operations"}
	vendor := models.Vendor{Name: "Paper Co", Currency: "USD", Status: models.VendorActive}
	for _, row := range []any{&eng, &ops, &vendor} {
		if err := db.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	requisition := func(requester int64, status string, dept *int64, total int64) models.Requisition {
		n++
		num := "REQ-" + strconv.Itoa(n)
		r := models.Requisition{RequesterID: requester, Status: status, Currency: "USD", DepartmentID: dept, TotalMinor: total, VendorID: &vendor.ID}
		if status != models.RequisitionDraft {
			r.Number = &num
		}
		if err := db.Create(&r).Error; err != nil {
			t.Fatal(err)
		}
		return r
	}
	requisition(rita.ID, models.RequisitionDraft, nil, 0)
	requisition(rita.ID, models.RequisitionRejected, nil, 0)
	pending := requisition(rita.ID, models.RequisitionPending, &eng.ID, 5000)
	requisition(rita.ID, models.RequisitionOrdered, &eng.ID, 0) // no longer open
	own := requisition(admin.ID, models.RequisitionPending, &ops.ID, 100)
	// One step for the admin role on Rita's requisition, one on the admin's own: only the
	// first waits for the admin.
	for _, doc := range []models.Requisition{pending, own} {
		role := "admin"
		if err := db.Create(&models.ApprovalStep{DocType: models.DocRequisition, DocID: doc.ID, DocRequesterID: doc.RequesterID, Round: 1, Position: 1, Kind: models.StepRole, Role: &role, Status: models.StepPending}).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Orders this month: Engineering 3 × larger than Operations; one from last month and one
	// in euros stay out of the chart.
	lastMonth := time.Now().UTC().AddDate(0, -1, -2)
	for i, o := range []struct {
		dept     int64
		total    int64
		currency string
		at       time.Time
	}{{eng.ID, 300000, "USD", time.Now()}, {ops.ID, 100000, "USD", time.Now()}, {ops.ID, 999999, "USD", lastMonth}, {eng.ID, 5000, "EUR", time.Now()}} {
		r := requisition(rita.ID, models.RequisitionOrdered, &o.dept, o.total)
		po := models.PurchaseOrder{Number: "PO-" + strconv.Itoa(i), RequisitionID: r.ID, VendorID: vendor.ID, Currency: o.currency, TotalMinor: o.total, Status: models.POOpen, CreatedBy: admin.ID, CreatedAt: o.at}
		if err := db.Create(&po).Error; err != nil {
			t.Fatal(err)
		}
	}

	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	page := c.Get("/dashboard")
	if got := page.Text("[data-testid=open-requests]"); got != "3" {
		t.Errorf("Rita's open requests = %q, want 3 (draft, returned, pending)", got)
	}
	if got := page.Text(".stat-breakdown"); !strings.Contains(got, "Returned") || !strings.Contains(got, "Draft") {
		t.Errorf("breakdown %q", got)
	}
	// Each status is named on the dashboard as on the list it links to.
	links := page.Doc.Find(".stat-breakdown a")
	if links.Length() != 3 {
		t.Errorf("breakdown has %d links, want 3", links.Length())
	}
	links.Each(func(_ int, a *goquery.Selection) {
		label := strings.TrimSpace(a.Text())
		list := c.Get(a.AttrOr("href", ""))
		tab := strings.TrimSpace(list.Doc.Find(".req-tabs a[aria-current=page]").Contents().First().Text())
		if tab != label {
			t.Errorf("the dashboard names a status %q, its list %q", label, tab)
		}
	})
	if page.Doc.Find("#card-spend").Length() != 0 || page.Doc.Find("#card-waiting").Length() != 0 {
		t.Error("a requester sees the spend chart or the approval card")
	}

	c = app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	page = c.Get("/dashboard")
	if got := page.Text("[data-testid=waiting-approval]"); got != "1" {
		t.Errorf("waiting for the admin = %q, want 1 (not their own requisition)", got)
	}
	bars := page.Doc.Find("svg.chart rect.chart-bar")
	labels := page.Doc.Find("svg.chart text.chart-label")
	if bars.Length() != 2 || labels.Length() != 2 {
		t.Fatalf("chart has %d bars, %d labels; want 2", bars.Length(), labels.Length())
	}
	w0, _ := strconv.Atoi(bars.Eq(0).AttrOr("width", ""))
	w1, _ := strconv.Atoi(bars.Eq(1).AttrOr("width", ""))
	if !strings.Contains(labels.Eq(0).Text(), "Engineering") || w0 != 330 || w1 != 110 {
		t.Errorf("bars: %q %d, %q %d; want Engineering at full width, Operations a third", labels.Eq(0).Text(), w0, labels.Eq(1).Text(), w1)
	}
	if got := page.Text("#spend-desc"); got != "Engineering: $3,000.00; Operations: $1,000.00" {
		t.Errorf("chart description %q", got)
	}
	if got := page.Text("section[aria-labelledby=card-spend]"); !strings.Contains(got, "$4,000.00") || !strings.Contains(got, "1 order in other currencies") {
		t.Errorf("spend card %q", got)
	}
}
