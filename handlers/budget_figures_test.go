package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"outlay/audit"
	"outlay/internal/testutil"
	"outlay/models"
)

// budgetSpend: Engineering's 6000 Software budget of $1,000.00 this year has a requisition
// of $300.00 approved but not ordered, an order of $500.00 of which $200.00 has arrived, and
// a requisition in euros that is kept apart. Spent $200.00, committed $600.00: 80 % used.
func budgetSpend(t *testing.T, s *refSite, requester int64) (budgetID, reqID, poID int64) {
	t.Helper()
	db := s.db(t).WithContext(audit.WithActor(t.Context(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	eng := models.Department{Name: "Engineering"}
	gl := models.GLAccount{Code: "6000", Name: "Software"}
	vendor := models.Vendor{Name: "Paper Co", Currency: "USD", Status: models.VendorActive}
	for _, row := range []any{&eng, &gl, &vendor} {
		must(db.Create(row).Error)
	}
	year := time.Now().Year()
	b := models.Budget{DepartmentID: eng.ID, GLAccountID: gl.ID, AmountMinor: 100000, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}
	must(db.Create(&b).Error)
	req := func(num, status, currency string, amount int64) int64 {
		r := models.Requisition{RequesterID: requester, Status: status, Currency: currency, DepartmentID: &eng.ID,
			TotalMinor: amount, VendorID: &vendor.ID, Number: &num}
		must(db.Create(&r).Error)
		must(db.Model(&r).Update("decided_at", time.Now()).Error)
		must(db.Create(&models.RequisitionLine{RequisitionID: r.ID, Position: 1, Description: "Seats", QuantityMilli: 1000,
			UnitPriceMinor: amount, GLAccountID: &gl.ID, AmountMinor: amount}).Error)
		return r.ID
	}
	approved := req("REQ-1", models.RequisitionApproved, "USD", 30000)
	ordered := req("REQ-2", models.RequisitionOrdered, "USD", 50000)
	req("REQ-3", models.RequisitionApproved, "EUR", 90000)
	po := models.PurchaseOrder{Number: "PO-1", RequisitionID: ordered, VendorID: vendor.ID, Currency: "USD",
		SubtotalMinor: 50000, TotalMinor: 50000, Status: models.POPartiallyReceived, CreatedBy: requester}
	must(db.Create(&po).Error)
	must(db.Create(&models.PurchaseOrderLine{PurchaseOrderID: po.ID, Position: 1, Description: "Seats", QuantityMilli: 5000,
		UnitPriceMinor: 10000, GLAccountID: &gl.ID, AmountMinor: 50000, ReceivedMilli: 2000}).Error)
	return b.ID, approved, po.ID
}

func cellTexts(sel *goquery.Selection) []string {
	var out []string
	sel.Each(func(_ int, s *goquery.Selection) { out = append(out, strings.Join(strings.Fields(s.Text()), " ")) })
	return out
}

func TestBudgetsShowSpentCommittedAndTheirDocuments(t *testing.T) {
	s := newRefSite(t)
	var ana models.User
	s.db(t).Where("email = ?", "ana@acme.example").First(&ana)
	id, reqID, poID := budgetSpend(t, s, ana.ID)

	list := s.admin.Get("/admin/budgets")
	got := cellTexts(list.Doc.Find("#ref-results tbody tr").First().Find("td"))
	want := []string{"$1,000.00 USD", "$200.00", "$600.00", "$200.00 80% used · near the limit"}
	if len(got) < 7 || fmt.Sprint(got[3:7]) != fmt.Sprint(want) {
		t.Errorf("list row %q, want %q", got, want)
	}
	if list.Doc.Find("#ref-results .budget-near").Length() != 1 {
		t.Error("the budget near its limit is not marked so")
	}

	page := s.admin.Get(fmt.Sprintf("/admin/budgets/%d", id))
	if page.Text("#budget-spent") != "$200.00" || page.Text("#budget-committed") != "$600.00" {
		t.Errorf("page figures %q %q", page.Text("#budget-spent"), page.Text("#budget-committed"))
	}
	var rows []string
	page.Doc.Find("#budget-documents tbody tr").Each(func(_ int, r *goquery.Selection) {
		rows = append(rows, strings.Join(cellTexts(r.Find("td")), " | "))
	})
	wantRows := []string{"REQ-1 Requisition | Approved | $0.00 | $300.00", "PO-1 Purchase order | Partly received | $200.00 | $300.00"}
	if fmt.Sprint(rows) != fmt.Sprint(wantRows) {
		t.Errorf("documents %q, want %q", rows, wantRows)
	}
	if foot := cellTexts(page.Doc.Find("#budget-documents tfoot tr").Children()); fmt.Sprint(foot) != "[Total $200.00 $600.00]" {
		t.Errorf("totals %q", foot)
	}
	for _, href := range []string{fmt.Sprintf("/requisitions/%d", reqID), fmt.Sprintf("/purchase-orders/%d", poID)} {
		if page.Doc.Find(`#budget-documents a[href="`+href+`"]`).Length() != 1 {
			t.Errorf("no link to %s", href)
		}
	}
	// The auditor reads budgets but not every document: numbers without links where not allowed.
	audited := s.auditor.Get(fmt.Sprintf("/admin/budgets/%d", id))
	if audited.Status != 200 || audited.Doc.Find("#budget-documents tbody tr").Length() != 2 {
		t.Fatalf("auditor %d", audited.Status)
	}
}

// The dashboard's budget card lists the budgets near or over their limit of the viewer's own
// department and of the departments they head; whoever reads budgets sees every one.
func TestDashboardBudgetsCardShowsOnlyTheViewersDepartments(t *testing.T) {
	s := newRefSite(t)
	rita := s.env.CreateUser(t, s.acme, "rita@acme.example", "Rita Requester", "requester")
	hugo := s.env.CreateUser(t, s.acme, "hugo@acme.example", "Hugo Head", "approver")
	s.env.CreateUser(t, s.acme, "nora@acme.example", "Nora Nobody", "requester")
	budgetSpend(t, s, rita.ID) // Engineering 6000 Software: 80 % used
	db := s.db(t).WithContext(audit.WithActor(t.Context(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))
	var eng models.Department
	db.Where("name = ?", "Engineering").First(&eng)
	var gl models.GLAccount
	db.Where("code = ?", "6000").First(&gl)
	db.Model(rita).Update("department_id", eng.ID)
	// Sales, headed by Hugo: its budget of $0.50 is over by the $1.00 approved on it;
	// Operations' budget is barely used and listed to nobody.
	sales, ops := models.Department{Name: "Sales", HeadID: &hugo.ID}, models.Department{Name: "Operations"}
	db.Create(&sales)
	db.Create(&ops)
	year := time.Now().Year()
	for _, b := range []models.Budget{{DepartmentID: sales.ID, AmountMinor: 50}, {DepartmentID: ops.ID, AmountMinor: 1000000}} {
		b.GLAccountID, b.Currency = gl.ID, "USD"
		b.PeriodStart, b.PeriodEnd = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
		if err := db.Create(&b).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, dept := range []int64{sales.ID, ops.ID} {
		num := fmt.Sprintf("REQ-D%d", dept)
		r := models.Requisition{RequesterID: rita.ID, Status: models.RequisitionApproved, Currency: "USD", DepartmentID: &dept, Number: &num, TotalMinor: 100}
		db.Create(&r)
		db.Model(&r).Update("decided_at", time.Now())
		db.Create(&models.RequisitionLine{RequisitionID: r.ID, Position: 1, Description: "Pens", QuantityMilli: 1000, UnitPriceMinor: 100, GLAccountID: &gl.ID, AmountMinor: 100})
	}
	card := func(email string) []string {
		c := s.app.Client(t, "acme")
		c.SignIn(email, testutil.Password)
		res := c.Get("/dashboard")
		if res.Status != 200 {
			t.Fatalf("%s: dashboard %d", email, res.Status)
		}
		if res.Doc.Find("#budgets-card").Length() == 0 {
			return nil
		}
		names := cellTexts(res.Doc.Find("#budgets-card li .budget-watch-name"))
		if n := res.Text("[data-testid=budgets-near]"); n != fmt.Sprint(len(names)) {
			t.Errorf("%s: the card counts %q budgets and lists %d", email, n, len(names))
		}
		return names
	}
	for email, want := range map[string]string{
		"rita@acme.example": "[Engineering · 6000 Software · P]",
		"hugo@acme.example": "[Sales · 6000 Software · P]",
		"nora@acme.example": "[]",
		"ana@acme.example":  "[Sales · 6000 Software · P Engineering · 6000 Software · P]",
	} {
		want = strings.ReplaceAll(want, " · P", fmt.Sprintf(" · 1 Jan %d–31 Dec %d", year, year))
		if got := fmt.Sprint(card(email)); got != want {
			t.Errorf("%s sees %s, want %s", email, got, want)
		}
	}
}
