package models

import (
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
	// Today: value received on purchase orders of the department and GL account in the
	// period is spent; approved requisitions not yet ordered, plus ordered value not yet
	// received, are committed (closed and cancelled orders commit nothing more).
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

// BudgetImpact shows, for each active budget covering day that doc draws on, what is spent,
// committed and would remain after doc; a budget kept in another currency is listed as
// Unchecked. A document without a
// department, or whose lines have no GL account with a budget, has none.
func BudgetImpact(tx *gorm.DB, doc ApprovalDocument, day time.Time) ([]BudgetLine, error) {
	if doc.DepartmentID == nil {
		return nil, nil
	}
	cur := doc.Total.Currency
	thisDoc := map[int64]int64{}
	var gls []int64
	for _, l := range doc.Lines {
		if l.GLAccountID == nil {
			continue
		}
		if _, ok := thisDoc[*l.GLAccountID]; !ok {
			gls = append(gls, *l.GLAccountID)
		}
		thisDoc[*l.GLAccountID] += l.Amount
	}
	if len(gls) == 0 {
		return nil, nil
	}
	date := day.Format(time.DateOnly)
	var budgets []struct {
		Budget
		DepartmentName string
		GLCode         string
		GLName         string
	}
	err := tx.Raw(`SELECT b.*, d.name AS department_name, g.code AS gl_code, g.name AS gl_name
		FROM budgets b JOIN departments d ON d.id = b.department_id JOIN gl_accounts g ON g.id = b.gl_account_id
		WHERE b.archived_at IS NULL AND b.department_id = ? AND b.gl_account_id IN ?
		AND b.period_start <= ?::date AND b.period_end >= ?::date
		ORDER BY g.code, b.id`, *doc.DepartmentID, gls, date, date).Scan(&budgets).Error
	if err != nil {
		return nil, err
	}
	out := make([]BudgetLine, 0, len(budgets))
	for _, b := range budgets {
		if b.Currency != cur {
			out = append(out, BudgetLine{
				BudgetID: b.ID, DepartmentName: b.DepartmentName, GLCode: b.GLCode, GLName: b.GLName,
				PeriodStart: b.PeriodStart, PeriodEnd: b.PeriodEnd, Budget: b.Amount(),
				ThisDocument: money.Money{Minor: thisDoc[b.GLAccountID], Currency: cur}, Unchecked: true,
			})
			continue
		}
		var spent, committed int64
		for _, k := range documentKinds {
			if k.Budget == nil {
				continue
			}
			sp, co, err := k.Budget(tx, b.Budget, doc)
			if err != nil {
				return nil, err
			}
			spent, committed = spent+sp, committed+co
		}
		m := func(minor int64) money.Money { return money.Money{Minor: minor, Currency: cur} }
		mine := thisDoc[b.GLAccountID]
		out = append(out, BudgetLine{
			BudgetID: b.ID, DepartmentName: b.DepartmentName, GLCode: b.GLCode, GLName: b.GLName,
			PeriodStart: b.PeriodStart, PeriodEnd: b.PeriodEnd,
			Budget: m(b.AmountMinor), Spent: m(spent), Committed: m(committed), ThisDocument: m(mine),
			Remaining: m(b.AmountMinor - spent - committed - mine),
		})
	}
	return out, nil
}

// orderedValue sums, over the purchase orders of the budget's department and GL account
// made in its period, the value received (spent) and the value ordered but not yet received
// on orders still open (committed). Received value is priced like the line: quantity ×
// unit price, plus tax, each rounded as money.LineAmount and money.Tax round.
func orderedValue(tx *gorm.DB, b Budget) (spent, committed int64, err error) {
	var lines []struct {
		ReceivedMilli  money.Quantity
		UnitPriceMinor int64
		TaxRateBP      int `gorm:"column:tax_rate_bp"`
		AmountMinor    int64
		TaxMinor       int64
		Status         string
	}
	err = tx.Raw(`SELECT pol.received_milli, pol.unit_price_minor, pol.tax_rate_bp, pol.amount_minor, pol.tax_minor, po.status
		FROM purchase_order_lines pol JOIN purchase_orders po ON po.id = pol.purchase_order_id
		JOIN requisitions r ON r.id = po.requisition_id
		WHERE r.department_id = ? AND pol.gl_account_id = ? AND po.currency = ? AND po.status <> ?
		AND po.created_at::date BETWEEN ?::date AND ?::date`,
		b.DepartmentID, b.GLAccountID, b.Currency, POCancelled, b.PeriodStart.Format(time.DateOnly), b.PeriodEnd.Format(time.DateOnly)).Scan(&lines).Error
	if err != nil {
		return 0, 0, err
	}
	for _, l := range lines {
		amount, err := money.LineAmount(l.ReceivedMilli, l.UnitPriceMinor)
		if err != nil {
			return 0, 0, err
		}
		tax, err := money.Tax(amount, l.TaxRateBP)
		if err != nil {
			return 0, 0, err
		}
		received := amount + tax
		spent += received
		if l.Status != POClosed {
			if open := l.AmountMinor + l.TaxMinor - received; open > 0 {
				committed += open
			}
		}
	}
	return spent, committed, nil
}
