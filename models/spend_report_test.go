package models_test

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"testing"
	"time"

	"outlay"
	"outlay/models"
	"outlay/money"
)

// spendLine is a requisition line of the spend world: quantity, unit price, tax and GL account.
type spendLine struct {
	gl       *models.GLAccount
	quantity string
	price    int64
	taxBP    int
}

// spendWorld is the approval world with documents at every stage, in two currencies, made
// the way people make them: submitted, approved by the manager, ordered and received.
type spendWorld struct {
	*approvalWorld
	globex models.Vendor
	sam    *models.User // a Sales requester reporting to Max
	buyer  models.Viewer
	bills  int // how many bills were stored, for their numbers
}

func newSpendWorld(t *testing.T) *spendWorld {
	w := &spendWorld{approvalWorld: newApprovalWorld(t)}
	w.globex = models.Vendor{Name: "Globex", Currency: "USD", Status: models.VendorActive}
	w.must(w.db.Create(&w.globex).Error)
	w.sam = w.user("sam@acme.example", "Sam Sales", &w.max.ID, "requester")
	w.must(w.db.Model(w.sam).Update("department_id", w.sales.ID).Error)
	w.buyer = models.Viewer{UserID: w.admin.ID, Roles: w.admin.Roles, SeeAllKinds: []string{outlay.DocRequisition}}
	return w
}

// approved makes a requisition with lines, submits it and has Max approve it.
func (w *spendWorld) approved(requester *models.User, dept *models.Department, vendor *models.Vendor, currency string, lines ...spendLine) *models.Requisition {
	w.t.Helper()
	r := &models.Requisition{RequesterID: requester.ID, DepartmentID: &dept.ID, VendorID: &vendor.ID, Currency: currency,
		Justification: "Spend report test", Status: models.RequisitionDraft}
	w.must(w.db.Create(r).Error)
	for i, l := range lines {
		q, err := money.ParseQuantity(l.quantity)
		w.must(err)
		amount, err := money.LineAmount(q, l.price)
		w.must(err)
		tax, err := money.Tax(amount, l.taxBP)
		w.must(err)
		line := models.RequisitionLine{RequisitionID: r.ID, Position: i + 1, Description: "Item " + strconv.Itoa(i+1),
			QuantityMilli: q, UnitPriceMinor: l.price, TaxRateBP: l.taxBP, AmountMinor: amount, TaxMinor: tax}
		if l.gl != nil {
			line.GLAccountID = &l.gl.ID
		}
		w.must(w.db.Create(&line).Error)
		r.Lines = append(r.Lines, line)
		r.SubtotalMinor, r.TaxMinor = r.SubtotalMinor+amount, r.TaxMinor+tax
	}
	r.TotalMinor = r.SubtotalMinor + r.TaxMinor
	w.must(w.db.Model(r).Updates(map[string]any{"subtotal_minor": r.SubtotalMinor, "tax_minor": r.TaxMinor, "total_minor": r.TotalMinor}).Error)
	out := w.submit(r)
	if len(out.Steps) != 1 {
		w.t.Fatalf("route %+v", out)
	}
	if _, err := w.decide(w.max, out.Steps[0].ID, true, ""); err != nil {
		w.t.Fatal(err)
	}
	if st := w.status(r); st != models.RequisitionApproved {
		w.t.Fatalf("requisition %d is %s", r.ID, st)
	}
	return r
}

// order makes the purchase order of an approved requisition.
func (w *spendWorld) order(r *models.Requisition) *models.PurchaseOrder {
	w.t.Helper()
	po, err := models.CreatePurchaseOrder(context.Background(), w.db, w.buyer, r.ID)
	w.must(err)
	return po
}

// receive records a receipt of quantities by line position on day.
func (w *spendWorld) receive(po *models.PurchaseOrder, day time.Time, byPosition map[int]string) {
	w.t.Helper()
	var lines []models.PurchaseOrderLine
	w.must(w.db.Where("purchase_order_id = ?", po.ID).Find(&lines).Error)
	in := models.ReceiptInput{Quantities: map[int64]string{}, ReceivedOn: day.Format(time.DateOnly)}
	for _, l := range lines {
		in.Quantities[l.ID] = byPosition[l.Position]
	}
	_, err := models.RecordReceipt(context.Background(), w.db, w.admin.ID, po.ID, in)
	w.must(err)
}

// documents makes the spend: in USD, Engineering's requisition approved and not ordered, an
// order from Globex received in two receipts on two days (fractions and tax that round), and
// Sales' order not yet received; in EUR, an order received in full and a requisition only
// approved. A requisition still pending counts nowhere.
func (w *spendWorld) documents() {
	w.approved(w.rita, &w.eng, &w.vendor, "USD", spendLine{&w.software, "2.5", 3333, 2000}, spendLine{&w.travel, "1", 50000, 0})
	r2 := w.approved(w.rita, &w.eng, &w.globex, "USD", spendLine{&w.software, "3", 10001, 725}, spendLine{nil, "1", 999, 0})
	po2 := w.order(r2)
	today := time.Now().UTC()
	// Goods arrive after they are ordered: this order was placed the day before its first receipt.
	w.must(w.db.Model(po2).Update("created_at", today.AddDate(0, 0, -1)).Error)
	w.receive(po2, today.AddDate(0, 0, -1), map[int]string{1: "1.5"})
	w.receive(po2, today, map[int]string{1: "0.5", 2: "1"})
	r3 := w.approved(w.sam, &w.sales, &w.vendor, "USD", spendLine{&w.travel, "4", 2500, 1000})
	w.order(r3)
	r4 := w.approved(w.rita, &w.eng, &w.vendor, "EUR", spendLine{&w.software, "1", 70000, 2000})
	w.receive(w.order(r4), today, map[int]string{1: "1"})
	w.approved(w.sam, &w.sales, &w.vendor, "EUR", spendLine{&w.software, "2", 1250, 0})
	pending := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 999999})
	w.submit(pending)
	// Expense reports paid back are spent; one approved and not paid is committed.
	cat := models.ExpenseCategory{Name: "Supplies", GLAccountID: w.software.ID, Currency: "USD"}
	w.must(w.db.Create(&cat).Error)
	report := func(owner *models.User, dept *models.Department, currency, status string, lines ...int64) {
		n := "EXP-" + strconv.Itoa(len(currency)+len(status)+int(owner.ID)*10+len(lines))
		r := models.ExpenseReport{Number: &n, OwnerID: owner.ID, DepartmentID: &dept.ID, Title: "Spend", Currency: currency, Status: status,
			DecidedAt: &today}
		if status == models.ExpensePaid {
			r.PaidAt = &today
		}
		for _, m := range lines {
			r.TotalMinor += m
		}
		w.must(w.db.Create(&r).Error)
		for i, m := range lines {
			w.must(w.db.Create(&models.ExpenseLine{ReportID: r.ID, Position: i + 1, Kind: "expense", SpentOn: today, CategoryID: cat.ID,
				GLAccountID: &w.software.ID, AmountMinor: m, Currency: currency, Rate: money.RateOf(1, 0), ReportMinor: m}).Error)
		}
	}
	report(w.rita, &w.eng, "USD", models.ExpensePaid, 4250, 1999)
	report(w.sam, &w.sales, "EUR", models.ExpensePaid, 7000)
	report(w.sam, &w.sales, "USD", models.ExpenseApproved, 1234)
	// Bills without an order: approved, partly paid and paid ones have spent their lines
	// (one split over two departments, one line coded to neither), one in approval commits
	// them; drafts, returned and void bills count nowhere, and a bill of an order is the
	// order's, not counted again.
	adatum := models.Vendor{Name: "Adatum Consulting", Currency: "USD", Status: models.VendorActive}
	w.must(w.db.Create(&adatum).Error)
	w.bill(adatum, "USD", models.BillApproved, nil, 0, billLine{&w.eng, &w.software, 480000, 0}, billLine{&w.sales, &w.travel, 1000, 101})
	w.bill(adatum, "USD", models.BillSubmitted, nil, 0, billLine{&w.eng, &w.travel, 7777, 0})
	w.bill(w.globex, "USD", models.BillPaid, nil, 2500, billLine{&w.sales, &w.software, 2500, 0})
	w.bill(adatum, "USD", models.BillPartiallyPaid, nil, 100, billLine{nil, nil, 333, 0})
	w.bill(adatum, "EUR", models.BillApproved, nil, 0, billLine{&w.eng, &w.software, 9900, 990})
	w.bill(adatum, "EUR", models.BillSubmitted, nil, 0, billLine{&w.sales, &w.travel, 4400, 0})
	w.bill(adatum, "USD", models.BillDraft, nil, 0, billLine{&w.eng, &w.software, 111, 0})
	w.bill(adatum, "USD", models.BillRejected, nil, 0, billLine{&w.eng, &w.software, 222, 0})
	w.bill(adatum, "USD", models.BillVoid, nil, 0, billLine{&w.eng, &w.software, 444, 0})
	w.bill(w.globex, "USD", models.BillApproved, po2, 0, billLine{&w.eng, &w.software, 20002, 0})
}

// billLine is a line of a bill of the spend world: department, GL account, amount and tax.
type billLine struct {
	dept        *models.Department
	gl          *models.GLAccount
	amount, tax int64
}

// bill stores a bill of vendor in status, dated today, paid as said; with an order, each of
// its lines bills the order's line at the same position.
func (w *spendWorld) bill(vendor models.Vendor, currency, status string, order *models.PurchaseOrder, paid int64, lines ...billLine) {
	w.t.Helper()
	w.bills++
	n := "BILL-S" + strconv.Itoa(w.bills)
	today := time.Now().UTC()
	b := models.Bill{Number: n, VendorID: vendor.ID, VendorInvoiceNumber: n, InvoiceDate: today, DueDate: today.AddDate(0, 0, 30),
		Currency: currency, Status: status, PaidMinor: paid, MatchStatus: models.MatchNone, EnteredByID: w.admin.ID}
	if order != nil {
		b.PurchaseOrderID, b.MatchStatus = &order.ID, models.MatchMatched
	}
	if status == models.BillVoid {
		b.VoidedByID, b.VoidedAt, b.VoidReason = &w.admin.ID, &today, "Sent twice"
	}
	for _, l := range lines {
		b.SubtotalMinor, b.TaxMinor = b.SubtotalMinor+l.amount, b.TaxMinor+l.tax
	}
	b.TotalMinor = b.SubtotalMinor + b.TaxMinor
	w.must(w.db.Create(&b).Error)
	for i, l := range lines {
		line := models.BillLine{BillID: b.ID, Position: i + 1, Description: "Service",
			QuantityMilli: 1000, UnitPriceMinor: l.amount, AmountMinor: l.amount, TaxMinor: l.tax, MatchStatus: models.MatchNone}
		if order != nil {
			var ol models.PurchaseOrderLine
			w.must(w.db.Where("purchase_order_id = ? AND position = ?", order.ID, i+1).First(&ol).Error)
			line.PurchaseOrderLineID = &ol.ID
		}
		if l.dept != nil {
			line.DepartmentID = &l.dept.ID
		}
		if l.gl != nil {
			line.GLAccountID = &l.gl.ID
		}
		w.must(w.db.Create(&line).Error)
	}
}

// figures are a report's amounts: currency → group key → committed, ordered, received.
type figures map[string]map[string][4]int64

func (f figures) add(currency, key string, stage int, amount int64) {
	if f[currency] == nil {
		f[currency] = map[string][4]int64{}
	}
	v := f[currency][key]
	v[stage] += amount
	f[currency][key] = v
}

func idKey(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// expectedSpend sums the stored documents in Go, one document and line at a time, as the
// report should: approved requisitions' lines, orders' lines and receipts' lines priced at
// their order line, expense reports' lines and the lines of bills without an order. keep says
// which requisitions (the origin of every order) count; a report or a bill line is kept as a
// requisition of its department delivered nowhere would be.
func (w *spendWorld) expectedSpend(grouping string, from, to time.Time, keep func(models.Requisition) bool) figures {
	w.t.Helper()
	inPeriod := func(at time.Time) bool {
		d := at.UTC().Format(time.DateOnly)
		return d >= from.Format(time.DateOnly) && d <= to.Format(time.DateOnly)
	}
	var reqs []models.Requisition
	w.must(w.db.Find(&reqs).Error)
	byID := map[int64]models.Requisition{}
	for _, r := range reqs {
		byID[r.ID] = r
	}
	out := figures{}
	key := func(r models.Requisition, vendor int64, gl *int64, at time.Time) string {
		switch grouping {
		case models.SpendByDepartment:
			return idKey(r.DepartmentID)
		case models.SpendByVendor:
			return idKey(&vendor)
		case models.SpendByGLAccount:
			return idKey(gl)
		}
		return at.UTC().Format("2006-01")
	}
	for _, r := range reqs {
		if r.Status != models.RequisitionApproved || !keep(r) || !inPeriod(*r.DecidedAt) {
			continue
		}
		var lines []models.RequisitionLine
		w.must(w.db.Where("requisition_id = ?", r.ID).Find(&lines).Error)
		for _, l := range lines {
			out.add(r.Currency, key(r, *r.VendorID, l.GLAccountID, *r.DecidedAt), 0, l.AmountMinor+l.TaxMinor)
		}
	}
	var orders []models.PurchaseOrder
	w.must(w.db.Where("status <> ?", models.POCancelled).Find(&orders).Error)
	for _, po := range orders {
		r := byID[po.RequisitionID]
		if !keep(r) {
			continue
		}
		var lines []models.PurchaseOrderLine
		w.must(w.db.Where("purchase_order_id = ?", po.ID).Find(&lines).Error)
		line := map[int64]models.PurchaseOrderLine{}
		for _, l := range lines {
			line[l.ID] = l
			if inPeriod(po.CreatedAt) {
				out.add(po.Currency, key(r, po.VendorID, l.GLAccountID, po.CreatedAt), 1, l.AmountMinor+l.TaxMinor)
			}
		}
		var receipts []models.Receipt
		w.must(w.db.Where("purchase_order_id = ?", po.ID).Find(&receipts).Error)
		for _, rc := range receipts {
			if !inPeriod(rc.ReceivedOn) {
				continue
			}
			var rls []models.ReceiptLine
			w.must(w.db.Where("receipt_id = ?", rc.ID).Find(&rls).Error)
			for _, rl := range rls {
				l := line[rl.PurchaseOrderLineID]
				amount, err := money.LineAmount(rl.QuantityMilli, l.UnitPriceMinor)
				w.must(err)
				tax, err := money.Tax(amount, l.TaxRateBP)
				w.must(err)
				out.add(po.Currency, key(r, po.VendorID, l.GLAccountID, rc.ReceivedOn), 2, amount+tax)
			}
		}
	}
	// Expense reports: approved or scheduled ones commit their lines (on the day decided),
	// paid ones have spent them (on the day paid); they have no vendor.
	var reports []models.ExpenseReport
	w.must(w.db.Where("status IN ?", []string{models.ExpenseApproved, models.ExpenseScheduled, models.ExpensePaid}).Find(&reports).Error)
	for _, er := range reports {
		stage, at := 0, *er.DecidedAt
		if er.Status == models.ExpensePaid {
			stage, at = 3, *er.PaidAt
		}
		// A report has a department and no location: scoped as a requisition of its
		// department delivered nowhere.
		if !inPeriod(at) || !keep(models.Requisition{DepartmentID: er.DepartmentID}) {
			continue
		}
		var lines []models.ExpenseLine
		w.must(w.db.Where("report_id = ?", er.ID).Find(&lines).Error)
		for _, l := range lines {
			k := at.UTC().Format("2006-01")
			switch grouping {
			case models.SpendByDepartment:
				k = idKey(er.DepartmentID)
			case models.SpendByVendor:
				k = ""
			case models.SpendByGLAccount:
				k = idKey(l.GLAccountID)
			}
			out.add(er.Currency, k, stage, l.ReportMinor)
		}
	}
	// Bills without an order: in approval they commit their lines, approved or paid since
	// they have spent them, on their invoice date, by each line's department and GL account.
	// Bills of an order are the order's; the rest count nowhere.
	var bills []models.Bill
	w.must(w.db.Where("purchase_order_id IS NULL").Find(&bills).Error)
	for _, b := range bills {
		stage := -1
		switch b.Status {
		case models.BillSubmitted:
			stage = 0
		case models.BillApproved, models.BillPartiallyPaid, models.BillPaid:
			stage = 3
		}
		if stage < 0 || !inPeriod(b.InvoiceDate) {
			continue
		}
		var lines []models.BillLine
		w.must(w.db.Where("bill_id = ?", b.ID).Find(&lines).Error)
		for _, l := range lines {
			if !keep(models.Requisition{DepartmentID: l.DepartmentID}) {
				continue
			}
			k := b.InvoiceDate.Format("2006-01")
			switch grouping {
			case models.SpendByDepartment:
				k = idKey(l.DepartmentID)
			case models.SpendByVendor:
				k = idKey(&b.VendorID)
			case models.SpendByGLAccount:
				k = idKey(l.GLAccountID)
			}
			out.add(b.Currency, k, stage, l.AmountMinor+l.TaxMinor)
		}
	}
	return out
}

// figuresOf reads a report back as figures, checking each section's total is its rows' sum.
func figuresOf(t *testing.T, rep models.SpendReport) figures {
	t.Helper()
	out := figures{}
	for _, s := range rep.Sections {
		var sum [4]int64
		for _, r := range s.Rows {
			if _, dup := out[s.Currency][r.Key]; dup {
				t.Errorf("%s: group %q listed twice", s.Currency, r.Key)
			}
			for i, st := range models.SpendStages {
				out.add(s.Currency, r.Key, i, r.Amount(st))
				sum[i] += r.Amount(st)
			}
		}
		if got := [4]int64{s.Total.Committed, s.Total.Ordered, s.Total.Received, s.Total.Spent}; got != sum {
			t.Errorf("%s total %v, rows sum to %v", s.Currency, got, sum)
		}
	}
	return out
}

func thisYear() (time.Time, time.Time) {
	y := time.Now().UTC().Year()
	return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)
}

// The spend report's figures are the sums of the documents under them, for every grouping and
// every stage; money in EUR is kept in its own section, never added to the USD figures.
func TestSpendReportTotalsEqualTheDocuments(t *testing.T) {
	t.Parallel()
	w := newSpendWorld(t)
	w.documents()
	from, to := thisYear()
	all := func(models.Requisition) bool { return true }
	ctx := context.Background()
	for _, grouping := range models.SpendGroupings {
		t.Run(grouping, func(t *testing.T) {
			want := w.expectedSpend(grouping, from, to, all)
			for _, cur := range []string{"USD", "EUR"} {
				for i := range models.SpendStages {
					var n int64
					for _, v := range want[cur] {
						n += v[i]
					}
					if n == 0 {
						t.Fatalf("the documents have no %s %s spend: the test proves nothing", cur, models.SpendStages[i])
					}
				}
			}
			rep, err := models.SpendReportOf(ctx, w.db, models.SpendFilter{From: from, To: to, Zone: time.UTC, GroupBy: grouping,
				DefaultCurrency: "USD", AllDepartments: true})
			w.must(err)
			if got := figuresOf(t, rep); !maps.EqualFunc(got, want, maps.Equal) {
				t.Errorf("report %v\nwant   %v", got, want)
			}
			if len(rep.Sections) != 2 || rep.Sections[0].Currency != "USD" || rep.Sections[1].Currency != "EUR" {
				t.Errorf("sections %+v, want USD then EUR", rep.Sections)
			}
			// One stage: the others read zero, that one as before.
			for i, st := range models.SpendStages {
				one, err := models.SpendReportOf(ctx, w.db, models.SpendFilter{From: from, To: to, Zone: time.UTC, GroupBy: grouping,
					Stage: st, DefaultCurrency: "USD", AllDepartments: true, Currency: "EUR"})
				w.must(err)
				got := figuresOf(t, one)
				if len(got) != 1 || got["EUR"] == nil {
					t.Fatalf("EUR only, %s: %v", st, got)
				}
				for k, v := range got["EUR"] {
					wantV := [4]int64{}
					wantV[i] = want["EUR"][k][i]
					if v != wantV {
						t.Errorf("EUR %s, group %q: %v, want %v", st, k, v, wantV)
					}
				}
			}
		})
	}
	// Last year holds nothing of this.
	rep, err := models.SpendReportOf(ctx, w.db, models.SpendFilter{From: from.AddDate(-1, 0, 0), To: to.AddDate(-1, 0, 0), Zone: time.UTC,
		GroupBy: models.SpendByMonth, DefaultCurrency: "USD", AllDepartments: true})
	w.must(err)
	if len(rep.Sections) != 0 {
		t.Errorf("last year: %+v", rep.Sections)
	}
}

// A department head sees their own department's spend and no other; a member of Sales sees
// Sales'; choosing a department narrows the report to it.
func TestSpendReportScopeIsOwnDepartments(t *testing.T) {
	t.Parallel()
	w := newSpendWorld(t)
	w.documents()
	from, to := thisYear()
	ctx := context.Background()
	for _, tc := range []struct {
		who  *models.User
		dept models.Department
	}{{w.hana, w.eng}, {w.sam, w.sales}} {
		t.Run(tc.who.Name, func(t *testing.T) {
			own := func(r models.Requisition) bool { return r.DepartmentID != nil && *r.DepartmentID == tc.dept.ID }
			for _, grouping := range []string{models.SpendByDepartment, models.SpendByGLAccount} {
				rep, err := models.SpendReportOf(ctx, w.db, models.SpendFilter{From: from, To: to, Zone: time.UTC, GroupBy: grouping,
					DefaultCurrency: "USD", ViewerID: tc.who.ID})
				w.must(err)
				want := w.expectedSpend(grouping, from, to, own)
				if got := figuresOf(t, rep); !maps.EqualFunc(got, want, maps.Equal) {
					t.Errorf("%s by %s: %v\nwant %v", tc.who.Name, grouping, got, want)
				}
				if grouping == models.SpendByDepartment {
					for _, s := range rep.Sections {
						if len(s.Rows) != 1 || s.Rows[0].Label != tc.dept.Name {
							t.Errorf("%s sees %+v", tc.who.Name, s.Rows)
						}
					}
				}
			}
			depts, err := models.SpendDepartments(ctx, w.db, false, tc.who.ID)
			w.must(err)
			if len(depts) != 1 || depts[0].ID != tc.dept.ID {
				t.Errorf("%s may choose %+v", tc.who.Name, depts)
			}
		})
	}
	// Max belongs to no department and heads none: he sees nothing.
	rep, err := models.SpendReportOf(ctx, w.db, models.SpendFilter{From: from, To: to, Zone: time.UTC, GroupBy: models.SpendByDepartment,
		DefaultCurrency: "USD", ViewerID: w.max.ID})
	w.must(err)
	if len(rep.Sections) != 0 {
		t.Errorf("Max sees %+v", rep.Sections)
	}
	// Everyone's report narrowed to Sales is Sales' own.
	rep, err = models.SpendReportOf(ctx, w.db, models.SpendFilter{From: from, To: to, Zone: time.UTC, GroupBy: models.SpendByVendor,
		DefaultCurrency: "USD", AllDepartments: true, DepartmentID: &w.sales.ID})
	w.must(err)
	sales := func(r models.Requisition) bool { return r.DepartmentID != nil && *r.DepartmentID == w.sales.ID }
	if got, want := figuresOf(t, rep), w.expectedSpend(models.SpendByVendor, from, to, sales); !maps.EqualFunc(got, want, maps.Equal) {
		t.Errorf("Sales by vendor: %v, want %v", got, want)
	}
}

// An approved trip commits its estimate in the spend report as it does against its budget:
// the report's committed figure for the trip's department and GL account is the budget's.
func TestSpendReportCommitsApprovedTripsAsBudgetsDo(t *testing.T) {
	t.Parallel()
	f := newTripFixture(t)
	ctx := context.Background()
	trip, err := models.SaveTravel(ctx, f.db, f.self(f.traveller), 0, f.input(), true)
	if err != nil {
		t.Fatal(err)
	}
	f.approve(t, trip.ID)
	totals, err := models.BudgetTotals(ctx, f.db, []int64{f.budget})
	if err != nil {
		t.Fatal(err)
	}
	if totals[f.budget].Committed == 0 {
		t.Fatal("the approved trip commits nothing against its budget")
	}
	from, to := thisYear()
	for _, grouping := range []string{models.SpendByDepartment, models.SpendByGLAccount} {
		rep, err := models.SpendReportOf(ctx, f.db, models.SpendFilter{From: from, To: to, Zone: time.UTC, GroupBy: grouping,
			DefaultCurrency: "USD", AllDepartments: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Sections) != 1 || len(rep.Sections[0].Rows) != 1 || rep.Sections[0].Rows[0].Committed != totals[f.budget].Committed {
			t.Errorf("by %s: %+v, budget committed %d", grouping, rep.Sections, totals[f.budget].Committed)
		}
	}
}

// A person's location widens their scope: Sam of Sales, working at the warehouse, sees
// Sales' spend and Engineering's spend delivered to the warehouse (committed, ordered and
// received), and none of Engineering's delivered elsewhere. Max, of no department but at the
// head office, sees only what is delivered there. Choosing a location narrows to it.
func TestSpendReportScopeIncludesOwnLocation(t *testing.T) {
	t.Parallel()
	w := newSpendWorld(t)
	w.documents()
	ctx := context.Background()
	warehouse := models.Location{Name: "Warehouse"}
	office := models.Location{Name: "Head office"}
	w.must(w.db.Create(&warehouse).Error)
	w.must(w.db.Create(&office).Error)
	w.must(w.db.Exec(`UPDATE requisitions SET location_id = ? WHERE department_id = ? AND currency = 'USD'`, warehouse.ID, w.eng.ID).Error)
	w.must(w.db.Exec(`UPDATE requisitions SET location_id = ? WHERE department_id = ? AND currency = 'EUR'`, office.ID, w.eng.ID).Error)
	w.must(models.UpdateUser(ctx, w.db, models.ByOperator(), w.sam.ID, models.UserChange{Name: w.sam.Name, Roles: []string{"requester"},
		DepartmentID: &w.sales.ID, ManagerID: &w.max.ID, LocationID: &warehouse.ID}))
	w.must(models.UpdateUser(ctx, w.db, models.ByOperator(), w.max.ID, models.UserChange{Name: w.max.Name, Roles: []string{"approver"},
		LocationID: &office.ID}))
	from, to := thisYear()
	at := func(l models.Location) func(models.Requisition) bool {
		return func(r models.Requisition) bool { return r.LocationID != nil && *r.LocationID == l.ID }
	}
	report := func(f models.SpendFilter) figures {
		t.Helper()
		f.From, f.To, f.Zone, f.DefaultCurrency = from, to, time.UTC, "USD"
		rep, err := models.SpendReportOf(ctx, w.db, f)
		w.must(err)
		return figuresOf(t, rep)
	}
	for _, tc := range []struct {
		name   string
		filter models.SpendFilter
		keep   func(models.Requisition) bool
	}{
		{"Sam", models.SpendFilter{ViewerID: w.sam.ID}, func(r models.Requisition) bool {
			return (r.DepartmentID != nil && *r.DepartmentID == w.sales.ID) || at(warehouse)(r)
		}},
		{"Sam at the warehouse", models.SpendFilter{ViewerID: w.sam.ID, LocationID: &warehouse.ID}, at(warehouse)},
		{"Sam at the head office", models.SpendFilter{ViewerID: w.sam.ID, LocationID: &office.ID}, func(models.Requisition) bool { return false }},
		{"Max", models.SpendFilter{ViewerID: w.max.ID}, at(office)},
		{"everyone at the warehouse", models.SpendFilter{AllDepartments: true, LocationID: &warehouse.ID}, at(warehouse)},
	} {
		for _, grouping := range []string{models.SpendByDepartment, models.SpendByVendor} {
			tc.filter.GroupBy = grouping
			want := w.expectedSpend(grouping, from, to, tc.keep)
			if got := report(tc.filter); !maps.EqualFunc(got, want, maps.Equal) {
				t.Errorf("%s by %s: %v\nwant %v", tc.name, grouping, got, want)
			}
		}
	}
	// Sam's report shows Engineering's warehouse spend at every stage: the test proves something.
	eng := w.expectedSpend(models.SpendByDepartment, from, to, at(warehouse))["USD"][idKey(&w.eng.ID)]
	if eng[0] == 0 || eng[1] == 0 || eng[2] == 0 {
		t.Fatalf("Engineering's warehouse spend %v: some stage is empty", eng)
	}
	// Sam may narrow to the warehouse only; everyone, to any location.
	locs, err := models.SpendLocations(ctx, w.db, false, w.sam.ID)
	w.must(err)
	if len(locs) != 1 || locs[0].ID != warehouse.ID {
		t.Errorf("Sam may choose %+v", locs)
	}
	locs, err = models.SpendLocations(ctx, w.db, true, w.sam.ID)
	w.must(err)
	if len(locs) != 2 {
		t.Errorf("everyone may choose %+v", locs)
	}
	// Hana heads Engineering: its requisitions' locations are hers to choose, though she has none.
	locs, err = models.SpendLocations(ctx, w.db, false, w.hana.ID)
	w.must(err)
	if len(locs) != 2 {
		t.Errorf("Hana may choose %+v", locs)
	}
}

// A report paid back is spent on the day its batch says it was paid, in the organisation's
// zone: a batch paid on the last day of a month and marked paid later counts in that month,
// and one paid on the first of a month counts in it in New York too (read as UTC midnight, it
// would fall on the evening before).
func TestSpendReportDatesSpendByTheDayPaid(t *testing.T) {
	t.Parallel()
	w := newSpendWorld(t)
	ctx := context.Background()
	ny, err := time.LoadLocation("America/New_York")
	w.must(err)
	now := time.Now().In(ny)
	firstOfMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, ny)
	lastOfPrevious := firstOfMonth.AddDate(0, 0, -1)
	cat := models.ExpenseCategory{Name: "Supplies", GLAccountID: w.software.ID, Currency: "USD"}
	w.must(w.db.Create(&cat).Error)
	paid := func(number string, owner *models.User, amount int64, on time.Time) {
		n := number
		r := models.ExpenseReport{Number: &n, OwnerID: owner.ID, DepartmentID: &w.eng.ID, Title: "Spend", Currency: "USD",
			TotalMinor: amount, Status: models.ExpenseApproved}
		w.must(w.db.Create(&r).Error)
		w.must(w.db.Create(&models.ExpenseLine{ReportID: r.ID, Position: 1, Kind: "expense", SpentOn: on, CategoryID: cat.ID,
			GLAccountID: &w.software.ID, AmountMinor: amount, Currency: "USD", Rate: money.RateOf(1, 0), ReportMinor: amount}).Error)
		b, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, []int64{r.ID})
		w.must(err)
		_, err = models.MarkBatchPaid(ctx, w.db, w.admin.ID, b.ID, models.BatchPaymentInput{PaidOn: on.Format(time.DateOnly),
			Method: models.PayBankTransfer, Reference: number}, time.Now())
		w.must(err)
	}
	paid("EXP-LAST", w.rita, 100_00, lastOfPrevious)
	paid("EXP-FIRST", w.sam, 7_00, firstOfMonth)
	rep, err := models.SpendReportOf(ctx, w.db, models.SpendFilter{From: lastOfPrevious.AddDate(0, -1, 0), To: now, Zone: ny,
		GroupBy: models.SpendByMonth, Stage: models.StageSpent, DefaultCurrency: "USD", AllDepartments: true})
	w.must(err)
	got := map[string]int64{}
	for _, s := range rep.Sections {
		for _, r := range s.Rows {
			got[r.Key] += r.Spent
		}
	}
	want := map[string]int64{lastOfPrevious.Format("2006-01"): 100_00, firstOfMonth.Format("2006-01"): 7_00}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("spent by month %v, want %v", got, want)
	}
}

// Bills count in the spend report exactly as in their budget, through a bill's life: a bill
// without an order commits its lines while in approval and has spent them once approved
// (paying it changes nothing more); returned or voided, it counts nowhere. A bill matched to
// an order is the order's: the report's received plus spent is the budget's spent, its
// committed plus what the order has still to receive the budget's committed, by department,
// by GL account and over every vendor, whether budgets count what was received or billed.
func TestSpendReportCountsBillsAsBudgetsDo(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := context.Background()
	from, to := thisYear()
	budget := models.Budget{DepartmentID: w.eng.ID, GLAccountID: w.software.ID, AmountMinor: 10_000_000, Currency: "USD",
		PeriodStart: from, PeriodEnd: to}
	w.must(w.db.Create(&budget).Error)
	check := func(when string, spent, committed int64) {
		t.Helper()
		totals, err := models.BudgetTotals(ctx, w.db, []int64{budget.ID})
		w.must(err)
		if got := totals[budget.ID]; got.Spent != spent || got.Committed != committed {
			t.Errorf("%s: budget %+v, want spent %d committed %d", when, got, spent, committed)
		}
		for grouping, key := range map[string]int64{models.SpendByDepartment: w.eng.ID, models.SpendByGLAccount: w.software.ID, models.SpendByVendor: 0} {
			rep, err := models.SpendReportOf(ctx, w.db, models.SpendFilter{From: from, To: to, Zone: time.UTC, GroupBy: grouping,
				DefaultCurrency: "USD", AllDepartments: true})
			w.must(err)
			if len(rep.Sections) != 1 {
				t.Fatalf("%s by %s: sections %+v", when, grouping, rep.Sections)
			}
			s := rep.Sections[0]
			if key != 0 && (len(s.Rows) != 1 || s.Rows[0].Key != strconv.FormatInt(key, 10)) {
				t.Errorf("%s by %s: rows %+v, want the budget's alone", when, grouping, s.Rows)
			}
			r := s.Total
			if r.Received+r.Spent != totals[budget.ID].Spent || r.Committed+r.Ordered-r.Received != totals[budget.ID].Committed {
				t.Errorf("%s by %s: report %+v, budget %+v", when, grouping, r, totals[budget.ID])
			}
		}
	}
	pending := func(billID int64) int64 {
		t.Helper()
		var s models.ApprovalStep
		w.must(w.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocBill, billID, models.StepPending).First(&s).Error)
		return s.ID
	}
	decide := func(billID int64, approve bool) {
		t.Helper()
		_, err := w.decide(w.max, pending(billID), approve, "Checked")
		w.must(err)
	}

	// An order of $1,000.00 received in full and billed: the bill, matched, is approved at once.
	po, lines := w.order("USD", orderSpec{"10", "0", 10000})
	_, err := models.RecordReceipt(ctx, w.db, w.admin.ID, po.ID, models.ReceiptInput{Quantities: map[int64]string{lines[0].ID: "10"}})
	w.must(err)
	check("received", 100000, 0)
	onOrder := w.enter(models.BillInput{Vendor: strconv.FormatInt(w.vendor.ID, 10), PurchaseOrder: strconv.FormatInt(po.ID, 10),
		VendorInvoiceNumber: "PO-BILL", InvoiceDate: time.Now().Format(time.DateOnly), Lines: []models.BillLineInput{{
			OrderLine: strconv.FormatInt(lines[0].ID, 10), LineInput: models.LineInput{Quantity: "10", UnitPrice: "100.00"}}}})
	if onOrder.Bill.Status != models.BillApproved {
		t.Fatalf("the order's bill is %s", onOrder.Bill.Status)
	}
	check("the order billed", 100000, 0)

	consulting := w.enter(w.plainBill("A-1", time.Now().Format(time.DateOnly), "4800.00"))
	check("a bill in approval", 100000, 480000)
	decide(consulting.Bill.ID, true)
	check("the bill approved", 580000, 0)
	w.must(w.db.Model(&models.Bill{ID: consulting.Bill.ID}).Updates(map[string]any{"paid_minor": 480000, "status": models.BillPaid}).Error)
	check("the bill paid", 580000, 0)

	returned := w.enter(w.plainBill("A-2", time.Now().Format(time.DateOnly), "75.00"))
	check("a second bill in approval", 580000, 7500)
	decide(returned.Bill.ID, false)
	check("the second bill returned", 580000, 0)

	voided := w.enter(w.plainBill("A-3", time.Now().Format(time.DateOnly), "90.00"))
	decide(voided.Bill.ID, true)
	check("a third bill approved", 589000, 0)
	w.must(models.VoidBill(as(w.clara), w.db, w.clerk(), voided.Bill.ID, "Sent twice"))
	check("the third bill void", 580000, 0)

	// Counting what was billed rather than received, the order's spend is its approved bill: the same.
	w.must(w.db.Model(&models.OrgSettings{ID: 1}).Update("budget_spent_basis", models.SpentBilled).Error)
	check("counting what was billed", 580000, 0)
}
