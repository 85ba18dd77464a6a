package models

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"outlay/money"
)

// DashboardSummary is what the dashboard's cards show one person.
type DashboardSummary struct {
	// Open counts the viewer's own documents still in play, by kind and status (the kind's
	// OpenStatuses).
	Open map[string]map[string]int
	// OpenTotals adds up the viewer's own open documents of each kind by currency (minor
	// units), for the kinds whose queue names a total.
	OpenTotals map[string]map[string]int64
	// OpenByStatus counts the viewer's own requisitions still in play (draft, pending,
	// rejected, withdrawn, approved but not yet ordered), by status.
	OpenByStatus map[string]int
	OpenTotal    int
	// Waiting is how many approval steps wait for the viewer now.
	Waiting int
	// Spend is this month's ordered spend by department in the organisation's currency,
	// largest first; filled only when asked for (the viewer may see all spend).
	Spend    []DepartmentSpend
	Currency string
	// OtherCurrencies counts this month's orders in other currencies, left out of Spend.
	OtherCurrencies int
	// ToOrder is how many approved requisitions the viewer may see wait for their order;
	// counted only when asked for (the viewer may make orders).
	ToOrder int
	// BudgetIDs are the active budgets of today the viewer watches (see BudgetScope).
	BudgetIDs []int64
	// Payables is the accounts-payable work of the whole organisation; read only when asked
	// for (the viewer may see every bill).
	Payables Payables
}

// Payables counts the bills still to be dealt with: by status (drafts, in approval,
// returned, approved and partly paid), those in approval held at matching, and those approved
// or partly paid past their due date.
type Payables struct {
	ByStatus map[string]int
	Held     int
	Overdue  int
}

// payableStatuses are the bills the payables card counts: not yet paid in full nor void.
var payableStatuses = []string{BillDraft, BillSubmitted, BillRejected, BillApproved, BillPartiallyPaid}

// DashboardCards says which of the cards that not everyone sees the dashboard reads: the
// month's spend, the approved requisitions waiting for their orders, the organisation's
// payables, and whose budgets.
type DashboardCards struct {
	Spend, ToOrder, Payables bool
	Budgets                  BudgetScope
}

// BudgetScope is whose budgets the dashboard watches: none, the viewer's own department
// and the departments they head, or every department's.
type BudgetScope int

const (
	NoBudgets BudgetScope = iota
	OwnBudgets
	AllBudgets
)

// DepartmentSpend is one bar of the spend chart.
type DepartmentSpend struct {
	Department string
	Amount     money.Money
}

// openRequisitionStatuses are a requester's requisitions that have not yet become orders
// or been cancelled.
var openRequisitionStatuses = []string{RequisitionDraft, RequisitionPending, RequisitionRejected, RequisitionWithdrawn, RequisitionApproved}

// Dashboard reads every card's figures in one query. Spend covers purchase orders made in
// the calendar month (UTC) containing now, grouped by their requisition's department.
func Dashboard(ctx context.Context, db *gorm.DB, v Viewer, cards DashboardCards, now time.Time) (DashboardSummary, error) {
	sql, args, err := dashboardQuery(v, cards, now)
	if err != nil {
		return DashboardSummary{}, err
	}
	var row struct {
		Budgets         *string
		Open            *string
		OpenTotals      *string
		Waiting         int
		Spend           *string
		OtherCurrencies int
		Currency        string
		ToOrder         int
		Payables        *string
	}
	err = numberedStatement(db.WithContext(ctx), sql, args).Row().
		Scan(&row.Open, &row.OpenTotals, &row.Waiting, &row.Spend, &row.OtherCurrencies, &row.Currency, &row.ToOrder, &row.Budgets, &row.Payables)
	if err != nil {
		return DashboardSummary{}, err
	}
	out := DashboardSummary{Open: map[string]map[string]int{}, Waiting: row.Waiting, Currency: row.Currency, OtherCurrencies: row.OtherCurrencies,
		ToOrder: row.ToOrder}
	if row.Open != nil {
		if err := json.Unmarshal([]byte(*row.Open), &out.Open); err != nil {
			return DashboardSummary{}, err
		}
	}
	if row.OpenTotals != nil {
		if err := json.Unmarshal([]byte(*row.OpenTotals), &out.OpenTotals); err != nil {
			return DashboardSummary{}, err
		}
	}
	if row.Budgets != nil {
		if err := json.Unmarshal([]byte(*row.Budgets), &out.BudgetIDs); err != nil {
			return DashboardSummary{}, err
		}
	}
	if row.Payables != nil {
		var p struct {
			ByStatus map[string]int `json:"by_status"`
			Held     int            `json:"held"`
			Overdue  int            `json:"overdue"`
		}
		if err := json.Unmarshal([]byte(*row.Payables), &p); err != nil {
			return DashboardSummary{}, err
		}
		out.Payables = Payables{ByStatus: p.ByStatus, Held: p.Held, Overdue: p.Overdue}
	}
	if out.Payables.ByStatus == nil {
		out.Payables.ByStatus = map[string]int{}
	}
	out.OpenByStatus = out.Open[DocRequisition]
	if out.OpenByStatus == nil {
		out.OpenByStatus = map[string]int{}
	}
	for _, n := range out.OpenByStatus {
		out.OpenTotal += n
	}
	if row.Spend != nil {
		var bars []struct {
			Department string
			Amount     int64
		}
		if err := json.Unmarshal([]byte(*row.Spend), &bars); err != nil {
			return DashboardSummary{}, err
		}
		for _, b := range bars {
			out.Spend = append(out.Spend, DepartmentSpend{Department: b.Department, Amount: money.Money{Minor: b.Amount, Currency: row.Currency}})
		}
	}
	return out, nil
}

// dashboardQuery is the dashboard's statement for v and its arguments.
func dashboardQuery(v Viewer, cards DashboardCards, now time.Time) (string, []any, error) {
	shape := dashboardShape{spend: cards.Spend, toOrder: cards.ToOrder, payables: cards.Payables, budgets: cards.Budgets}
	if cards.ToOrder {
		k, _ := FindDocumentKind(DocRequisition)
		shape.toOrderVisible, _ = k.visibleCondition(v)
	}
	st := dashboardStatementOf(shape)
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	values := map[string]any{"me": v.UserID, "escalation": EscalationRole, "role_array": textArray(v.Roles),
		"from": monthStart, "to": monthStart.AddDate(0, 1, 0), "today": now.Format(time.DateOnly)}
	args := make([]any, len(st.params))
	for i, p := range st.params {
		val, ok := values[p]
		if !ok {
			return "", nil, fmt.Errorf("dashboard: no value for @%s", p)
		}
		args[i] = val
	}
	return st.sql, args, nil
}

// dashboardShape is what the text of the dashboard's statement depends on: the cards it reads
// and, for the to-order count, how the viewer's requisitions are limited (visibleCondition).
type dashboardShape struct {
	spend, toOrder, payables bool
	toOrderVisible           string
	budgets                  BudgetScope
}

// dashboardStatement is the statement of one shape, its parameters ($1, $2, ...) named in order.
type dashboardStatement struct {
	sql    string
	params []string
}

// dashboardStatements keeps each shape's statement (dashboardShape → dashboardStatement),
// written once: writing it, and planOnce's rewriting, cost more of a request's time than
// the rest of the dashboard's Go code. There are a handful of shapes.
var dashboardStatements sync.Map

func dashboardStatementOf(shape dashboardShape) dashboardStatement {
	if st, ok := dashboardStatements.Load(shape); ok {
		return st.(dashboardStatement)
	}
	st := planOnce(dashboardSQL(shape))
	dashboardStatements.Store(shape, st)
	return st
}

// dashboardSQL writes the dashboard's statement for shape, with named parameters.
func dashboardSQL(shape dashboardShape) string {
	spendSQL := `NULL::json, 0`
	if shape.spend {
		spendSQL = `(SELECT coalesce(json_agg(json_build_object('department', x.department, 'amount', x.amount) ORDER BY x.amount DESC, x.department), '[]')
			FROM (SELECT coalesce(d.name, 'No department') AS department, sum(po.total_minor) AS amount
				FROM purchase_orders po JOIN requisitions r ON r.id = po.requisition_id
				LEFT JOIN departments d ON d.id = r.department_id
				WHERE po.created_at >= @from AND po.created_at < @to AND po.status <> 'cancelled'
					AND po.currency = (SELECT default_currency FROM org_settings WHERE id = 1)
				GROUP BY 1) x),
			(SELECT count(*) FROM purchase_orders po WHERE po.created_at >= @from AND po.created_at < @to
				AND po.status <> 'cancelled' AND po.currency <> (SELECT default_currency FROM org_settings WHERE id = 1))`
	}
	openSQL, totalsSQL := `NULL::json`, `NULL::json`
	var open, totals []string
	for _, k := range documentKinds {
		if len(k.OpenStatuses) == 0 {
			continue
		}
		statuses := sqlList(k.OpenStatuses)
		cond := ``
		if k.OpenCondition != "" {
			cond = ` AND (` + k.OpenCondition + `)`
		}
		open = append(open, `'`+k.Type+`', (SELECT json_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM `+k.Table+`
			WHERE `+k.OwnerColumn+` = @me AND status IN `+statuses+cond+` GROUP BY status) o)`)
		if k.Queue.Total != "" {
			totals = append(totals, `'`+k.Type+`', (SELECT json_object_agg(currency, total) FROM (SELECT `+k.Queue.Currency+` AS currency,
				sum(`+k.Queue.Total+`) AS total FROM `+k.Table+` d WHERE d.`+k.OwnerColumn+` = @me AND d.status IN `+statuses+cond+` GROUP BY 1) t)`)
		}
	}
	if len(open) > 0 {
		openSQL = `json_build_object(` + strings.Join(open, ", ") + `)`
	}
	if len(totals) > 0 {
		totalsSQL = `json_build_object(` + strings.Join(totals, ", ") + `)`
	}
	toOrderSQL := `0`
	if shape.toOrder {
		toOrderSQL = `(SELECT count(*) FROM requisitions WHERE requisitions.status = '` + RequisitionApproved + `'`
		if shape.toOrderVisible != "" {
			toOrderSQL += ` AND (` + shape.toOrderVisible + `)`
		}
		toOrderSQL += `)`
	}
	budgetSQL := `NULL::json`
	if shape.budgets != NoBudgets {
		scope := ``
		if shape.budgets == OwnBudgets {
			scope = ` AND b.department_id IN (` + ownDepartmentsSQL + `)`
		}
		budgetSQL = `(SELECT json_agg(b.id ORDER BY b.id) FROM budgets b WHERE b.archived_at IS NULL
			AND b.period_start <= CAST(@today AS date) AND b.period_end >= CAST(@today AS date)` + scope + `)`
	}
	// The payables, in one reading of the unpaid bills (bills_status_idx leads with status).
	// Past due counts the bills the aging does (owedBillStatuses), the page its line opens.
	payablesSQL := `NULL::json`
	if shape.payables {
		payablesSQL = `(SELECT json_build_object('by_status', json_object_agg(g.status, g.n), 'held', sum(g.held), 'overdue', sum(g.overdue))
			FROM (SELECT status, count(*) AS n,
					count(*) FILTER (WHERE status = '` + BillSubmitted + `' AND match_status = '` + MatchHeld + `') AS held,
					count(*) FILTER (WHERE status IN ` + sqlList(owedBillStatuses) + ` AND due_date < CAST(@today AS date)) AS overdue
				FROM bills WHERE status IN ` + sqlList(payableStatuses) + ` GROUP BY status) g)`
	}
	return `SELECT
		` + openSQL + ` AS open,
		` + totalsSQL + ` AS open_totals,
		(` + queueCountSQL + `) AS waiting,
		` + spendSQL + `,
		(SELECT default_currency FROM org_settings WHERE id = 1) AS currency,
		` + toOrderSQL + ` AS to_order,
		` + budgetSQL + ` AS budgets,
		` + payablesSQL + ` AS payables`
}

// A prepared statement is planned again on every run with that run's values unless the plan
// made without them looks as cheap, and the dashboard's statement cost more to plan than to
// run: planOnce writes the viewer's values in it (the person, their roles, the month and the
// day) as scalar subqueries, which the planner never looks into, so that every viewer's
// plan is the same and Postgres keeps one per connection. Written in the statement, the
// lists it filters on (statuses) are constants. Each named parameter becomes a numbered one,
// the same number wherever the name appears.
func planOnce(sql string) dashboardStatement {
	sql = dashboardParam.ReplaceAllStringFunc(sql, func(p string) string {
		if strings.HasPrefix(p, "IN @") {
			return "= ANY (CAST((SELECT CAST(@role_array AS text[])) AS text[]))"
		}
		return "(SELECT CAST(" + p + " AS " + dashboardParamTypes[p] + "))"
	})
	var params []string
	sql = namedParam.ReplaceAllStringFunc(sql, func(p string) string {
		i := slices.Index(params, p[1:])
		if i < 0 {
			params = append(params, p[1:])
			i = len(params) - 1
		}
		return "$" + strconv.Itoa(i+1)
	})
	return dashboardStatement{sql: sql, params: params}
}

var (
	dashboardParam      = regexp.MustCompile(`IN @(roles|viewer_roles)\b|@(me|escalation|from|to|today)\b`)
	dashboardParamTypes = map[string]string{"@me": "bigint", "@escalation": "text", "@from": "timestamptz", "@to": "timestamptz", "@today": "date"}
	namedParam          = regexp.MustCompile(`@\w+`)
)

// textArray is a list of strings as a Postgres array literal, one value.
func textArray(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = `"` + arrayElementEscaper.Replace(s) + `"`
	}
	return "{" + strings.Join(quoted, ",") + "}"
}

// arrayElementEscaper escapes a quoted element of an array literal. It is made once: a
// Replacer builds its tables on first use, which per call was most of what the dashboard's
// handler allocated.
var arrayElementEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// sqlList is a list of constants as SQL literals, in parentheses.
func sqlList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}
