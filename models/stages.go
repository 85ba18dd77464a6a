package models

import (
	"context"

	"gorm.io/gorm"

	"outlay/money"
)

// Where money stands: a requisition, an order or a budget's spend moves through the stages
// pending (in approval) → approved (not yet ordered) → purchased (ordered, not yet received)
// → received (not yet billed) → billed (not yet paid) → paid. Each figure is what stands in
// that stage now, and none counts what a later one does, so a document's figures add up to
// its value at every point of its life (a line billed beyond what was received counts as
// billed; an order closed or cancelled commits nothing it did not receive or bill). Values
// are tax included, in the document's (or budget's) currency.

// StageFigures is what stands in each stage, in minor units of Currency.
type StageFigures struct {
	Currency                                             string
	Pending, Approved, Purchased, Received, Billed, Paid int64
}

// Total is every stage together.
func (s StageFigures) Total() int64 {
	return s.Pending + s.Approved + s.Purchased + s.Received + s.Billed + s.Paid
}

// Stage is one stage's figure, for pages.
type Stage struct {
	Name   string
	Amount money.Money
}

// Stages lists the figures in order, with their names as people read them.
func (s StageFigures) Stages() []Stage {
	m := func(v int64) money.Money { return money.Money{Minor: v, Currency: s.Currency} }
	return []Stage{{"Pending", m(s.Pending)}, {"Approved", m(s.Approved)}, {"Purchased", m(s.Purchased)},
		{"Received", m(s.Received)}, {"Billed", m(s.Billed)}, {"Paid", m(s.Paid)}}
}

func (s *StageFigures) add(o StageFigures) {
	s.Pending += o.Pending
	s.Approved += o.Approved
	s.Purchased += o.Purchased
	s.Received += o.Received
	s.Billed += o.Billed
	s.Paid += o.Paid
}

// RequisitionStages is where requisition r's value stands: pending or approved while it is
// in approval or approved, its order's stages once ordered, nothing while a draft, returned,
// withdrawn or cancelled. r is the requisition as the caller has just read it, so that its
// page does not read it again.
func RequisitionStages(ctx context.Context, db *gorm.DB, r *Requisition) (StageFigures, error) {
	out := StageFigures{Currency: r.Currency}
	switch r.Status {
	case RequisitionPending:
		out.Pending = r.TotalMinor
	case RequisitionApproved:
		out.Approved = r.TotalMinor
	case RequisitionOrdered:
		lines, err := orderLineStages(db.WithContext(ctx), stagesOf{requisition: r.ID})
		return sumStages(lines), err
	}
	return out, nil
}

// OrderStages is where order id's value stands, line by line: what is paid and billed of
// each line (the lines of its bills approved or paid since, billSpentStatuses, paid in the
// share each bill is paid; a bill in approval is not yet billed), what was received
// beyond that, and what is still to come on an order that is open.
// It is one query, so that an order's page costs one more whatever the order's history; a
// cancelled order stands nowhere (no currency either).
func OrderStages(ctx context.Context, db *gorm.DB, id int64) (StageFigures, error) {
	lines, err := orderLineStages(db.WithContext(ctx), stagesOf{order: id})
	return sumStages(lines), err
}

// sumStages adds up an order's lines.
func sumStages(lines []lineStages) StageFigures {
	var out StageFigures
	for _, l := range lines {
		out.Currency = l.Currency
		out.add(l.StageFigures)
	}
	return out
}

// lineStages is one order line's stages, with the budget it falls in (budget queries).
type lineStages struct {
	StageFigures
	BudgetID int64
}

// stagesOf names the order lines orderLineStages reads: one order's, the order made from one
// requisition, or the lines falling in each of some budgets.
type stagesOf struct {
	order, requisition int64
	budgets            []int64
}

// orderLineStages reads the stages of the lines of an order (by its id or its requisition's)
// or, with budgets, of the lines falling in each of those budgets (their department, GL
// account, currency and period).
func orderLineStages(tx *gorm.DB, of stagesOf) ([]lineStages, error) {
	var rows []struct {
		BudgetID       int64
		Currency       string
		Status         string
		ReceivedMilli  money.Quantity
		UnitPriceMinor int64
		TaxRateBP      int `gorm:"column:tax_rate_bp"`
		AmountMinor    int64
		TaxMinor       int64
		BilledMinor    int64
		PaidMinor      int64
	}
	budgetJoin, budgetID, where, arg := "", "0", "pol.purchase_order_id = ?", any(of.order)
	if of.requisition != 0 {
		where, arg = "po.requisition_id = ?", of.requisition
	}
	if budgets := of.budgets; budgets != nil {
		budgetJoin = `JOIN requisitions r ON r.id = po.requisition_id
			JOIN budgets b ON b.department_id = r.department_id AND b.gl_account_id = pol.gl_account_id AND b.currency = po.currency
				AND po.created_at::date BETWEEN b.period_start AND b.period_end`
		budgetID, where, arg = "b.id", "b.id IN ?", budgets
	}
	err := tx.Raw(`SELECT `+budgetID+` AS budget_id, po.currency, po.status, pol.received_milli, pol.unit_price_minor, pol.tax_rate_bp,
			pol.amount_minor, pol.tax_minor,
			COALESCE(bl.billed, 0) AS billed_minor, COALESCE(bl.paid, 0) AS paid_minor
		FROM purchase_order_lines pol JOIN purchase_orders po ON po.id = pol.purchase_order_id `+budgetJoin+`
		LEFT JOIN LATERAL (SELECT SUM(l.amount_minor + l.tax_minor) AS billed,
				SUM(CASE WHEN bi.total_minor = 0 THEN 0
					ELSE ROUND((l.amount_minor + l.tax_minor)::numeric * bi.paid_minor / bi.total_minor) END) AS paid
			FROM bill_lines l JOIN bills bi ON bi.id = l.bill_id
			WHERE l.purchase_order_line_id = pol.id AND bi.status IN ?) bl ON true
		WHERE `+where+` AND po.status <> ? ORDER BY pol.id`, billSpentStatuses, arg, POCancelled).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]lineStages, len(rows))
	for i, r := range rows {
		amount, err := money.LineAmount(r.ReceivedMilli, r.UnitPriceMinor)
		if err != nil {
			return nil, err
		}
		tax, err := money.Tax(amount, r.TaxRateBP)
		if err != nil {
			return nil, err
		}
		received, ordered := amount+tax, r.AmountMinor+r.TaxMinor
		s := StageFigures{Currency: r.Currency, Paid: r.PaidMinor, Billed: r.BilledMinor - r.PaidMinor}
		s.Received = max(received-r.BilledMinor, 0)
		if r.Status != POClosed {
			s.Purchased = max(ordered-max(received, r.BilledMinor), 0)
		}
		out[i] = lineStages{StageFigures: s, BudgetID: r.BudgetID}
	}
	return out, nil
}

// BudgetStages is where the spend on each of the budgets ids stands: requisitions of its
// department with lines on its GL account, pending or approved in its period; the lines of
// orders made from them in its period; and bills without an order coded to its department
// and GL account, dated in its period: pending while in approval, billed once approved, paid
// as paid (billSpentStatuses, billCommittedStatuses). Only documents in the budget's currency
// count.
func BudgetStages(ctx context.Context, db *gorm.DB, ids []int64) (map[int64]StageFigures, error) {
	tx := db.WithContext(ctx)
	out := map[int64]StageFigures{}
	if len(ids) == 0 {
		return out, nil
	}
	var budgets []Budget
	if err := tx.Where("id IN ?", ids).Find(&budgets).Error; err != nil {
		return nil, err
	}
	for _, b := range budgets {
		out[b.ID] = StageFigures{Currency: b.Currency}
	}
	var reqs []struct {
		BudgetID       int64
		Status         string
		Pending, Total int64
	}
	err := tx.Raw(`SELECT b.id AS budget_id, r.status, SUM(l.amount_minor + l.tax_minor) AS total
		FROM budgets b
		JOIN requisitions r ON r.department_id = b.department_id AND r.currency = b.currency
		JOIN requisition_lines l ON l.requisition_id = r.id AND l.gl_account_id = b.gl_account_id
		WHERE b.id IN ? AND r.status IN ? AND COALESCE(r.decided_at, r.submitted_at)::date BETWEEN b.period_start AND b.period_end
		GROUP BY b.id, r.status`, ids, []string{RequisitionPending, RequisitionApproved}).Scan(&reqs).Error
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		s := out[r.BudgetID]
		if r.Status == RequisitionPending {
			s.Pending += r.Total
		} else {
			s.Approved += r.Total
		}
		out[r.BudgetID] = s
	}
	lines, err := orderLineStages(tx, stagesOf{budgets: ids})
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		s := out[l.BudgetID]
		s.add(l.StageFigures)
		out[l.BudgetID] = s
	}
	var billed []struct {
		BudgetID              int64
		Pending, Billed, Paid int64
	}
	err = tx.Raw(`SELECT b.id AS budget_id,
			COALESCE(SUM(l.amount_minor + l.tax_minor) FILTER (WHERE bi.status IN @committed), 0) AS pending,
			COALESCE(SUM(l.amount_minor + l.tax_minor) FILTER (WHERE bi.status IN @spent), 0) AS billed,
			COALESCE(SUM(CASE WHEN bi.total_minor = 0 THEN 0
				ELSE ROUND((l.amount_minor + l.tax_minor)::numeric * bi.paid_minor / bi.total_minor) END) FILTER (WHERE bi.status IN @spent), 0) AS paid
		`+billsInBudgetsSQL+`
		GROUP BY b.id`, billsInBudgetsArgs(ids)).Scan(&billed).Error
	if err != nil {
		return nil, err
	}
	for _, b := range billed {
		s := out[b.BudgetID]
		s.Pending += b.Pending
		s.Billed += b.Billed - b.Paid
		s.Paid += b.Paid
		out[b.BudgetID] = s
	}
	return out, nil
}
