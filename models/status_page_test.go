package models_test

import (
	"context"
	"maps"
	"reflect"
	"strconv"
	"testing"

	"gorm.io/gorm"

	"outlay/models"
)

// statementsOf counts the statements fn sends through db (sentStatements).
func statementsOf(t *testing.T, sent func() []string, fn func()) int {
	t.Helper()
	before := len(sent())
	fn()
	return len(sent()) - before
}

// A document list that asks for its counts by status reads them with its page, in one
// statement when the page has rows: the same counts as counted on their own, its total theirs
// (the same as the list counts without them), and the same rows. A page past the end, and a
// list with nothing in it, still read their counts. Requisitions (tallied for everyone's list,
// counted for a narrowed one and for one's own), purchase orders (every order's counts, a
// narrowed list's total counted beside them) and bills (tallied, with the clerk's own drafts).
func TestAListPageCarriesItsStatusCounts(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := context.Background()
	for i := range 5 {
		r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, int64(100 + i)})
		if i < 3 {
			w.submit(r)
		}
	}
	w.requisition(w.max, &w.eng, "USD", reqLine{&w.software, 900})
	w.order("USD", orderSpec{"1", "0", 500})
	w.order("USD", orderSpec{"2", "2", 700})
	w.must(w.db.Exec(`UPDATE purchase_orders SET status = ? WHERE id = (SELECT max(id) FROM purchase_orders)`, models.POReceived).Error)
	w.enter(w.plainBill("INV-1", "2026-03-02", "120.00"))
	if _, err := models.SaveBill(as(w.clara), w.db, w.clerk(), 0, w.plainBill("INV-2", "2026-03-03", "80.00")); err != nil {
		t.Fatal(err)
	}

	db := w.db.Session(&gorm.Session{NewDB: true})
	sent := sentStatements(t, db)
	everyone := models.Viewer{UserID: w.admin.ID, Roles: w.admin.Roles, SeeAllKinds: []string{models.DocRequisition}}
	checked := 0
	check := func(name string, rows, plainRows any, total, plainTotal int, counts, want map[string]int, stmts int, oneStatement bool) {
		t.Helper()
		checked++
		if !maps.Equal(counts, want) {
			t.Errorf("%s: counts %v with the page, %v on their own", name, counts, want)
		}
		if !reflect.DeepEqual(rows, plainRows) || total != plainTotal {
			t.Errorf("%s: %d rows of %d with the counts, %d rows of %d without", name, reflect.ValueOf(rows).Len(), total,
				reflect.ValueOf(plainRows).Len(), plainTotal)
		}
		empty := reflect.ValueOf(rows).Len() == 0
		if oneStatement && !empty && stmts != 1 || stmts > 2 {
			t.Errorf("%s: %d statements for the page and its counts", name, stmts)
		}
	}

	for name, c := range map[string]struct {
		v models.Viewer
		f models.RequisitionFilter
	}{
		"everyone's":         {everyone, models.RequisitionFilter{Limit: 2}},
		"everyone's pending": {everyone, models.RequisitionFilter{Status: models.RequisitionPending, Limit: 2}},
		"everyone's, page 2": {everyone, models.RequisitionFilter{Offset: 2, Limit: 2}},
		"past the end":       {everyone, models.RequisitionFilter{Offset: 50, Limit: 2}},
		"by requester":       {everyone, models.RequisitionFilter{RequesterID: w.rita.ID, Limit: 2}},
		"searched, nothing":  {everyone, models.RequisitionFilter{Query: "no such words", Limit: 2}},
		"rita's own":         {viewer(w.rita), models.RequisitionFilter{Mine: true, Limit: 10}},
		"rita's own drafts":  {viewer(w.rita), models.RequisitionFilter{Mine: true, Status: models.RequisitionDraft, Limit: 10}},
		"al's own, none":     {viewer(w.al), models.RequisitionFilter{Mine: true, Limit: 10}},
	} {
		want, err := models.CountRequisitionsByStatus(ctx, db, c.v, c.f)
		w.must(err)
		plain, err := models.ListRequisitions(ctx, db, c.v, c.f)
		w.must(err)
		f := c.f
		f.ByStatus = true
		var got models.RequisitionList
		stmts := statementsOf(t, sent, func() { got, err = models.ListRequisitions(ctx, db, c.v, f) })
		w.must(err)
		check("requisitions, "+name, got.Rows, plain.Rows, got.Total, plain.Total, got.ByStatus, want, stmts, true)
	}
	if l, err := models.ListRequisitions(ctx, db, everyone, models.RequisitionFilter{Limit: 10, ByStatus: true}); err != nil ||
		l.Total != 5 || l.ByStatus[models.RequisitionPending] != 3 || l.ByStatus[models.RequisitionOrdered] != 2 || l.ByStatus[models.RequisitionDraft] != 0 {
		t.Errorf("everyone's requisitions: %d, by status %v (%v); want 3 pending and the orders' 2, no drafts", l.Total, l.ByStatus, err)
	}

	allOrders, err := models.TalliedStatuses(ctx, db, "purchase_orders")
	w.must(err)
	for name, f := range map[string]models.PurchaseOrderFilter{
		"every order":  {Limit: 1},
		"received":     {Status: models.POReceived, Limit: 5},
		"page 2":       {Offset: 1, Limit: 1},
		"past the end": {Offset: 9, Limit: 1},
		"one vendor":   {VendorID: w.vendor.ID, Limit: 5},
		"searched":     {Query: "PO-B", Limit: 1},
		"no match":     {Query: "nothing like it", Limit: 5},
	} {
		plain, err := models.ListPurchaseOrders(ctx, db, f)
		w.must(err)
		f.ByStatus = true
		var got models.PurchaseOrderList
		stmts := statementsOf(t, sent, func() { got, err = models.ListPurchaseOrders(ctx, db, f) })
		w.must(err)
		check("orders, "+name, got.Rows, plain.Rows, got.Total, plain.Total, got.ByStatus, allOrders, stmts, true)
	}

	for name, c := range map[string]struct {
		v models.Viewer
		f models.BillFilter
	}{
		"the clerk's":            {w.clerk(), models.BillFilter{Limit: 5}},
		"the clerk's drafts":     {w.clerk(), models.BillFilter{Status: models.BillDraft, Limit: 5}},
		"one vendor's":           {w.clerk(), models.BillFilter{VendorID: w.vendor.ID, Limit: 5}},
		"another who sees every": {models.Viewer{UserID: w.admin.ID, Roles: w.admin.Roles, SeeAllKinds: []string{models.DocBill}}, models.BillFilter{Limit: 5}},
	} {
		want, err := models.CountBillsByStatus(ctx, db, c.v, c.f)
		w.must(err)
		plain, err := models.ListBills(ctx, db, c.v, c.f)
		w.must(err)
		f := c.f
		f.ByStatus = true
		var got models.BillList
		stmts := statementsOf(t, sent, func() { got, err = models.ListBills(ctx, db, c.v, f) })
		w.must(err)
		check("bills, "+name, got.Rows, plain.Rows, got.Total, plain.Total, got.ByStatus, want, stmts, false)
	}
	if checked != 20 {
		t.Fatalf("checked %d lists", checked)
	}
}

// The expense and trip lists read their rows straight into their fields, as GORM reads the
// same rows (a draft without a number or a department included), with their counts by status
// on the page's one statement.
func TestExpenseAndTripListsReadTheirRowsAsGORMDoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("expense reports", func(t *testing.T) {
		t.Parallel()
		w := newExpenseWorld(t)
		submitted := w.input(w.expense(w.day(3), w.taxi, "Cab", "24.00"), w.expense(w.day(2), w.meals, "Lunch", "20.00"))
		if _, err := w.save(w.rita.ID, 0, submitted, true); err != nil {
			t.Fatal(err)
		}
		bare := w.input(w.expense(w.day(1), w.taxi, "Cab", "12.00"))
		bare.Department, bare.PeriodFrom, bare.PeriodTo = "", "", ""
		if _, err := w.save(w.rita.ID, 0, bare, false); err != nil {
			t.Fatal(err)
		}
		db := w.db.Session(&gorm.Session{NewDB: true})
		sent := sentStatements(t, db)
		f := models.ExpenseFilter{Mine: true, Limit: 25, ByStatus: true}
		var got models.ExpenseList
		var err error
		stmts := statementsOf(t, sent, func() { got, err = models.ListExpenses(ctx, db, viewer(w.rita), f) })
		w.must(err)
		want, err := models.ListExpensesByGORM(ctx, db, viewer(w.rita), f)
		w.must(err)
		if len(got.Rows) != 2 || !reflect.DeepEqual(got.Rows, want) {
			t.Fatalf("the list read its rows as\n%+v\nnot as GORM reads them:\n%+v", got.Rows, want)
		}
		counts, err := models.CountExpensesByStatus(ctx, db, viewer(w.rita), f)
		w.must(err)
		if stmts != 1 || got.Total != 2 || !maps.Equal(got.ByStatus, counts) || counts[models.ExpenseDraft] != 1 {
			t.Errorf("%d statements, total %d, counts %v with the page and %v alone", stmts, got.Total, got.ByStatus, counts)
		}
		for _, r := range got.Rows {
			if r.Status == models.ExpenseDraft && (r.Number != nil || r.DepartmentName != "" || r.PeriodFrom != nil || r.LineCount != 1) ||
				r.Status != models.ExpenseDraft && (r.Number == nil || r.DepartmentName == "" || r.LineCount != 2 || r.OwnerName != w.rita.Name) {
				t.Errorf("read as %+v", r)
			}
		}
	})
	t.Run("trips", func(t *testing.T) {
		t.Parallel()
		fx := newTripFixture(t)
		submitted, err := models.SaveTravel(ctx, fx.db, fx.self(fx.traveller), 0, fx.input(), true)
		if err != nil {
			t.Fatal(err)
		}
		filed := fx.input()
		filed.Department, filed.Traveller = "", strconv.FormatInt(fx.traveller.ID, 10)
		if _, err := models.SaveTravel(ctx, fx.db, models.TravelFiler{UserID: fx.assistant.ID, ForOthers: true}, 0, filed, false); err != nil {
			t.Fatal(err)
		}
		db := fx.db.Session(&gorm.Session{NewDB: true})
		sent := sentStatements(t, db)
		v := models.Viewer{UserID: fx.traveller.ID, Roles: fx.traveller.Roles}
		f := models.TravelFilter{Mine: true, Limit: 25, ByStatus: true}
		var got models.TravelList
		stmts := statementsOf(t, sent, func() { got, err = models.ListTravel(ctx, db, v, f) })
		if err != nil {
			t.Fatal(err)
		}
		want, err := models.ListTravelByGORM(ctx, db, v, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Rows) != 2 || !reflect.DeepEqual(got.Rows, want) {
			t.Fatalf("the list read its rows as\n%+v\nnot as GORM reads them:\n%+v", got.Rows, want)
		}
		counts, err := models.CountTravelByStatus(ctx, db, v, f)
		if err != nil {
			t.Fatal(err)
		}
		if stmts != 1 || got.Total != 2 || !maps.Equal(got.ByStatus, counts) || counts[submitted.Status] != 1 {
			t.Errorf("%d statements, total %d, counts %v with the page and %v alone", stmts, got.Total, got.ByStatus, counts)
		}
		for _, r := range got.Rows {
			if r.ID == submitted.ID && (r.Number == nil || r.DepartmentName == "" || r.FiledByID != r.TravellerID) ||
				r.ID != submitted.ID && (r.Number != nil || r.DepartmentName != "" || r.FiledByName != fx.assistant.Name ||
					r.TravellerName != fx.traveller.Name || r.FirstDay == nil || r.EstimateTotalMinor == 0) {
				t.Errorf("read as %+v", r)
			}
		}
	})
}
