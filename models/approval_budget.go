package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/money"
)

// BudgetLine is one budget a document draws on (its department × one of its lines' GL
// accounts) and how the document would leave it.
type BudgetLine struct {
	BudgetID       int64
	DepartmentName string
	GLCode         string
	GLName         string
	PeriodStart    time.Time
	PeriodEnd      time.Time
	Budget         money.Money
	// Spent and Committed: what every kind of document (its Budget) takes from the budget.
	// Value received on purchase orders of the department and GL account in the period (or
	// billed, as the organisation chooses), bills without an order once approved and expense
	// reports paid back are spent; approved requisitions not yet ordered, ordered value not yet
	// spent (closed and cancelled orders commit nothing more), bills without an order in
	// approval, approved trips and expense reports not yet paid are committed.
	Spent     money.Money
	Committed money.Money
	// ThisDocument: the document's lines on the GL account, tax included.
	ThisDocument money.Money
	// Remaining: Budget − Spent − Committed − ThisDocument; below zero means over budget.
	Remaining money.Money
	// Unchecked: the budget is kept in another currency than the document's, so without
	// exchange rates the document cannot be checked against it (Spent, Committed and
	// Remaining are then zero).
	Unchecked bool
}

// Over reports whether the document takes the budget below zero.
func (b BudgetLine) Over() bool { return !b.Unchecked && b.Remaining.Minor < 0 }

// Flagged reports whether the budget check must warn or block over this line: the document
// takes it below zero, or cannot be checked against it at all.
func (b BudgetLine) Flagged() bool { return b.Over() || b.Unchecked }

// BudgetExceededError refuses the last approval of a document over a budget whose rule
// blocks. It is an outlay.ErrConflict whose message shows the figures.
type BudgetExceededError struct{ Lines []BudgetLine }

func (e *BudgetExceededError) Error() string {
	var parts []string
	for _, l := range e.Lines {
		if l.Unchecked {
			parts = append(parts, fmt.Sprintf("%s %s: the budget is kept in %s and this request is in %s, so it cannot be checked",
				l.DepartmentName, l.GLCode, l.Budget.Currency, l.ThisDocument.Currency))
		}
		if l.Over() {
			parts = append(parts, fmt.Sprintf("%s %s: budget %s, spent %s, committed %s, this request %s, remaining %s",
				l.DepartmentName, l.GLCode, l.Budget, l.Spent, l.Committed, l.ThisDocument, l.Remaining))
		}
	}
	return "Over budget or not checkable, so this approval is blocked. " + strings.Join(parts, "; ") + "."
}

// Is makes the error an outlay.ErrConflict.
func (e *BudgetExceededError) Is(target error) bool { return target == outlay.ErrConflict }

// BudgetImpact shows, for each active budget that doc draws on, what is spent, committed
// and would remain after doc; a budget kept in another currency is listed as Unchecked. A
// line draws on the budget of its department (its own, or else the document's) and GL
// account, covering day (or the day the kind counts the document by: a bill's invoice
// date). The figures leave doc itself out, which ThisDocument shows. A document none of
// whose lines has a department and a GL account with a budget has none.
func BudgetImpact(tx *gorm.DB, doc ApprovalDocument, day time.Time) ([]BudgetLine, error) {
	type place struct{ dept, gl int64 }
	cur := doc.Total.Currency
	thisDoc := map[place]int64{}
	var depts, gls []int64
	for _, l := range doc.Lines {
		dept := l.DepartmentID
		if dept == nil {
			dept = doc.DepartmentID
		}
		if l.GLAccountID == nil || dept == nil {
			continue
		}
		depts, gls = append(depts, *dept), append(gls, *l.GLAccountID)
		thisDoc[place{*dept, *l.GLAccountID}] += l.Amount
	}
	if len(thisDoc) == 0 {
		return nil, nil
	}
	if k, ok := FindDocumentKind(doc.Type); ok && k.BudgetDay != nil && doc.ID != 0 {
		d, err := k.BudgetDay(tx, doc.ID)
		if err != nil {
			return nil, err
		}
		if !d.IsZero() {
			day = d
		}
	}
	date := day.Format(time.DateOnly)
	var found []struct {
		Budget
		DepartmentName string
		GLCode         string
		GLName         string
	}
	err := tx.Raw(`SELECT b.*, d.name AS department_name, g.code AS gl_code, g.name AS gl_name
		FROM budgets b JOIN departments d ON d.id = b.department_id JOIN gl_accounts g ON g.id = b.gl_account_id
		WHERE b.archived_at IS NULL AND b.department_id IN ? AND b.gl_account_id IN ?
		AND b.period_start <= ?::date AND b.period_end >= ?::date
		ORDER BY d.name, g.code, b.id`, depts, gls, date, date).Scan(&found).Error
	if err != nil {
		return nil, err
	}
	// Departments and GL accounts were asked for apart: keep the pairs the lines make.
	budgets := found[:0]
	for _, b := range found {
		if _, ok := thisDoc[place{b.DepartmentID, b.GLAccountID}]; ok {
			budgets = append(budgets, b)
		}
	}
	var ids []int64
	for _, b := range budgets {
		if b.Currency == cur {
			ids = append(ids, b.ID)
		}
	}
	uses, err := budgetTotals(tx, ids, doc)
	if err != nil {
		return nil, err
	}
	out := make([]BudgetLine, 0, len(budgets))
	for _, b := range budgets {
		mine := thisDoc[place{b.DepartmentID, b.GLAccountID}]
		if b.Currency != cur {
			out = append(out, BudgetLine{
				BudgetID: b.ID, DepartmentName: b.DepartmentName, GLCode: b.GLCode, GLName: b.GLName,
				PeriodStart: b.PeriodStart, PeriodEnd: b.PeriodEnd, Budget: b.Amount(),
				ThisDocument: money.Money{Minor: mine, Currency: cur}, Unchecked: true,
			})
			continue
		}
		use := uses[b.ID]
		spent, committed := use.Spent, use.Committed
		m := func(minor int64) money.Money { return money.Money{Minor: minor, Currency: cur} }
		out = append(out, BudgetLine{
			BudgetID: b.ID, DepartmentName: b.DepartmentName, GLCode: b.GLCode, GLName: b.GLName,
			PeriodStart: b.PeriodStart, PeriodEnd: b.PeriodEnd,
			Budget: m(b.AmountMinor), Spent: m(spent), Committed: m(committed), ThisDocument: m(mine),
			Remaining: m(b.AmountMinor - spent - committed - mine),
		})
	}
	return out, nil
}

// BudgetUse is what one document takes from one budget, in the budget's currency.
type BudgetUse struct {
	BudgetID  int64
	DocType   string
	DocID     int64
	Number    string
	Status    string
	Spent     int64
	Committed int64
}

// BudgetTotal is what every document takes from one budget.
type BudgetTotal struct{ Spent, Committed int64 }

// budgetUses lists, for the budgets ids, what each document of every kind takes from them,
// leaving out doc: one query per kind, whatever the number of budgets.
func budgetUses(tx *gorm.DB, ids []int64, doc ApprovalDocument) ([]BudgetUse, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []BudgetUse
	for _, k := range documentKinds {
		if k.Budget == nil {
			continue
		}
		uses, err := k.Budget(tx, ids, doc)
		if err != nil {
			return nil, err
		}
		// The document checked is shown as ThisDocument, never in the figures as well (a
		// submitted bill without an order is counted as committed).
		for _, u := range uses {
			if doc.ID == 0 || u.DocType != doc.Type || u.DocID != doc.ID {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// budgetTotals sums budgetUses per budget.
func budgetTotals(tx *gorm.DB, ids []int64, doc ApprovalDocument) (map[int64]BudgetTotal, error) {
	uses, err := budgetUses(tx, ids, doc)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]BudgetTotal, len(ids))
	for _, u := range uses {
		t := out[u.BudgetID]
		t.Spent += u.Spent
		t.Committed += u.Committed
		out[u.BudgetID] = t
	}
	return out, nil
}

// BudgetTotals is what is spent and committed against each of the budgets ids, as the
// approver's budget check counts it.
func BudgetTotals(ctx context.Context, db *gorm.DB, ids []int64) (map[int64]BudgetTotal, error) {
	return budgetTotals(db.WithContext(ctx), ids, ApprovalDocument{})
}

// BudgetDocuments lists the documents that make up the budget id's spent and committed
// figures, as the approver's budget check counts them.
func BudgetDocuments(ctx context.Context, db *gorm.DB, id int64) ([]BudgetUse, error) {
	return budgetUses(db.WithContext(ctx), []int64{id}, ApprovalDocument{})
}

// orderedValue sums, over the purchase orders of each budget's department and GL account
// made in its period, the value spent and the value ordered but not yet spent on orders
// still open (committed). What is spent follows the organisation's budget_spent_basis: the
// value received, priced like the line (quantity × unit price, plus tax, each rounded as
// money.LineAmount and money.Tax round), or the value billed (the lines on the order line of
// bills approved or paid since, tax included: billSpentStatuses, the rule bills without an
// order follow; a bill still in approval leaves its value committed).
func orderedValue(tx *gorm.DB, ids []int64) ([]BudgetUse, error) {
	var lines []struct {
		BudgetID       int64
		DocID          int64
		Number         string
		ReceivedMilli  money.Quantity
		UnitPriceMinor int64
		TaxRateBP      int `gorm:"column:tax_rate_bp"`
		AmountMinor    int64
		TaxMinor       int64
		Status         string
		BilledMinor    int64
	}
	var basis string
	if err := tx.Raw(`SELECT budget_spent_basis FROM org_settings WHERE id = 1`).Scan(&basis).Error; err != nil {
		return nil, err
	}
	err := tx.Raw(`SELECT b.id AS budget_id, po.id AS doc_id, po.number, pol.received_milli, pol.unit_price_minor,
			pol.tax_rate_bp, pol.amount_minor, pol.tax_minor, po.status,
			COALESCE((SELECT SUM(bl.amount_minor + bl.tax_minor) FROM bill_lines bl JOIN bills bi ON bi.id = bl.bill_id
				WHERE bl.purchase_order_line_id = pol.id AND bi.status IN ?), 0) AS billed_minor
		FROM budgets b
		JOIN requisitions r ON r.department_id = b.department_id
		JOIN purchase_orders po ON po.requisition_id = r.id AND po.currency = b.currency
		JOIN purchase_order_lines pol ON pol.purchase_order_id = po.id AND pol.gl_account_id = b.gl_account_id
		WHERE b.id IN ? AND po.status <> ? AND po.created_at::date BETWEEN b.period_start AND b.period_end
		ORDER BY b.id, po.id, pol.id`, billSpentStatuses, ids, POCancelled).Scan(&lines).Error
	if err != nil {
		return nil, err
	}
	var out []BudgetUse
	for _, l := range lines {
		amount, err := money.LineAmount(l.ReceivedMilli, l.UnitPriceMinor)
		if err != nil {
			return nil, err
		}
		tax, err := money.Tax(amount, l.TaxRateBP)
		if err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].BudgetID != l.BudgetID || out[n-1].DocID != l.DocID {
			out = append(out, BudgetUse{BudgetID: l.BudgetID, DocType: outlay.DocPurchaseOrder, DocID: l.DocID, Number: l.Number, Status: l.Status})
		}
		u := &out[len(out)-1]
		spent := amount + tax
		if basis == SpentBilled {
			spent = l.BilledMinor
		}
		u.Spent += spent
		if l.Status != POClosed {
			if open := l.AmountMinor + l.TaxMinor - spent; open > 0 {
				u.Committed += open
			}
		}
	}
	return out, nil
}

// BudgetNearPercent is the share of a budget, spent and committed together, from which it
// is near its limit.
const BudgetNearPercent = 80

// Budget use levels.
const (
	BudgetUnder = "under"
	BudgetNear  = "near"
	BudgetOver  = "over"
)

// Used is what is spent and committed together.
func (t BudgetTotal) Used() int64 { return t.Spent + t.Committed }

// Percent is Used as a whole percentage of amount, rounded down (100 for a budget of zero
// that something uses).
func (t BudgetTotal) Percent(amount int64) int {
	if amount <= 0 {
		if t.Used() > 0 {
			return 100
		}
		return 0
	}
	return int(t.Used() * 100 / amount)
}

// Level says whether the budget amount is over (more used than it holds), near (at least
// BudgetNearPercent used) or under its limit.
func (t BudgetTotal) Level(amount int64) string {
	switch {
	case t.Used() > amount:
		return BudgetOver
	case t.Used()*100 >= amount*BudgetNearPercent && t.Used() > 0:
		return BudgetNear
	}
	return BudgetUnder
}

// VisibleDocuments reports which of the documents ids of kind docType the viewer may open.
func VisibleDocuments(ctx context.Context, db *gorm.DB, v Viewer, docType string, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	k, ok := FindDocumentKind(docType)
	if !ok || len(ids) == 0 {
		return out, nil
	}
	var seen []int64
	err := db.WithContext(ctx).Table(k.Table).Scopes(k.visible(v)).Where(k.Table+".id IN ?", ids).Pluck(k.Table+".id", &seen).Error
	for _, id := range seen {
		out[id] = true
	}
	return out, err
}
