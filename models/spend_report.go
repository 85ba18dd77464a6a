package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay/money"
)

// Stages of spend the spend report shows. They are the budgets' definitions, split by where
// the money stands:
//   - committed: what each kind of document commits before anything is ordered (its
//     Committed, as its Budget counts it): approved requisitions not yet ordered, their lines
//     with tax, approved trips' estimates and approved or scheduled expense reports' lines,
//     dated the day they were approved; and bills without an order waiting for approval,
//     their lines with tax, dated by their invoice date;
//   - ordered: purchase orders that are not cancelled, their lines with tax, dated the day
//     the order was made (closed orders count in full: they were ordered);
//   - received: goods receipts on those orders, each receipt line valued at its order line's
//     unit price plus tax, rounded as money.LineAmount and money.Tax round, dated the day the
//     goods came;
//   - spent: what each kind spends without an order (its Spent): expense reports paid back,
//     their lines, dated the day they were paid; and bills without an order approved or paid
//     since, their lines with tax, dated by their invoice date (billSpentStatuses: one rule
//     with the budgets). A bill paid counts here once, as it does approved: paying it moves
//     no money between stages.
//
// A bill of an order is not a stage of its own: its value is the order's, in the ordered and
// received stages, as a budget counts it (orderedValue counts what an order received, or
// billed, as spent, and the bill nowhere else). Adding the bill as well would count the same
// goods twice. So the report's received plus spent is a budget's spent, and its committed plus
// what open orders have still to receive is a budget's committed, for the budget's
// department, GL account, currency and period, when the organisation's budgets count what was
// received (its default); counting what was billed instead, a budget's spent on orders is
// their approved bills, which this report does not show apart.
const (
	StageCommitted = "committed"
	StageOrdered   = "ordered"
	StageReceived  = "received"
	StageSpent     = "spent"
)

// SpendStages are the stages in the order money moves through them.
var SpendStages = []string{StageCommitted, StageOrdered, StageReceived, StageSpent}

// Groupings of the spend report.
const (
	SpendByDepartment = "department"
	SpendByVendor     = "vendor"
	SpendByGLAccount  = "gl_account"
	SpendByMonth      = "month"
)

// SpendGroupings are the groupings in the order people are offered them.
var SpendGroupings = []string{SpendByDepartment, SpendByVendor, SpendByGLAccount, SpendByMonth}

// ownDepartmentsSQL is the departments a person (@me) belongs to or heads: the departments
// whose budgets and spend are theirs to watch.
const ownDepartmentsSQL = `SELECT department_id FROM users WHERE id = @me AND department_id IS NOT NULL
	UNION SELECT id FROM departments WHERE head_id = @me`

// ownLocationSQL is the location a person (@me) works at, if any: spend delivered there is
// theirs to watch too.
const ownLocationSQL = `SELECT location_id FROM users WHERE id = @me`

// scopeSQL is the condition that a document of department and location (an SQL expression,
// or "" for a kind delivered nowhere) is in a person's (@me) scope.
func scopeSQL(department, location string) string {
	in := department + " IN (" + ownDepartmentsSQL + ")"
	if location == "" {
		return in
	}
	return "(" + in + " OR " + location + " = (" + ownLocationSQL + "))"
}

// SpendFilter chooses what the spend report sums.
type SpendFilter struct {
	From, To time.Time // the first and last day, inclusive (only the date counts)
	Zone     *time.Location
	GroupBy  string
	Stage    string // one of SpendStages, or empty for all
	// DepartmentID limits the report to one department; nil for every one in scope.
	DepartmentID *int64
	// LocationID limits the report to documents delivered to one location; nil for all.
	LocationID *int64
	Currency   string // empty: every currency, each apart
	// DefaultCurrency is the organisation's, whose section comes first.
	DefaultCurrency string
	// AllDepartments: the viewer sees every department's spend; otherwise only that of the
	// departments they belong to or head (ViewerID), and that delivered to their location.
	AllDepartments bool
	ViewerID       int64
}

// SpendRow is one group's spend at each stage, in one currency.
type SpendRow struct {
	Key       string // the group: a department, vendor or GL account id ("" for none), or a month "2026-03"
	Label     string
	Committed int64
	Ordered   int64
	Received  int64
	Spent     int64
}

// Amount is the row's figure at stage.
func (r SpendRow) Amount(stage string) int64 {
	switch stage {
	case StageCommitted:
		return r.Committed
	case StageOrdered:
		return r.Ordered
	case StageReceived:
		return r.Received
	case StageSpent:
		return r.Spent
	}
	return 0
}

// SpendSection is the report's rows in one currency, with their total. Amounts in different
// currencies are never added together.
type SpendSection struct {
	Currency string
	Rows     []SpendRow
	Total    SpendRow
}

// Money is minor units of the section's currency as money.
func (s SpendSection) Money(minor int64) money.Money {
	return money.Money{Minor: minor, Currency: s.Currency}
}

// SpendReport is the spend of a period: the organisation's default currency first, then any
// other currency in which something was spent, each in its own section.
type SpendReport struct {
	DefaultCurrency string
	Sections        []SpendSection
}

// CommittedSpend is SQL over a kind's documents (aliased r in From) giving, for each row
// that commits money (Where), its department, vendor and GL account ids (NULL for none), when
// it was committed, its currency and the amount in minor units, and the location it is
// delivered to (empty for a kind delivered nowhere). Every part is a constant of this
// package, never input.
type CommittedSpend struct {
	From, Where                                         string
	Department, Vendor, GLAccount, At, Currency, Amount string
	Location                                            string
	// Day, when set, dates the row by a calendar day instead of At (a bill's invoice date):
	// it is compared with the period's days as it is stored, so an index on it serves.
	Day string
}

// inPeriod is the condition that the row falls in the report's period (@from to @until, or
// @from_day to @to_day for a kind dated by the day).
func (c CommittedSpend) inPeriod() string {
	if c.Day != "" {
		return c.Day + " BETWEEN CAST(@from_day AS date) AND CAST(@to_day AS date)"
	}
	return c.At + " >= @from AND " + c.At + " < @until"
}

// month is the month the row falls in, in the organisation's zone (@tz), as "2026-03".
func (c CommittedSpend) month() string {
	if c.Day != "" {
		return "to_char(" + c.Day + ", 'YYYY-MM')"
	}
	return "to_char(" + c.At + " AT TIME ZONE @tz, 'YYYY-MM')"
}

// spendGroup says how one grouping reads each stage's rows: the group expression of the
// committed documents, and over the order stages' aliases (r requisition, pol the order
// line, po the order, rc the receipt), and how the group is named.
type spendGroup struct {
	committed         func(CommittedSpend) string
	ordered, received string
	labelJoin, label  string
	groupBy, order    string
}

var spendGroups = map[string]spendGroup{
	SpendByDepartment: {func(c CommittedSpend) string { return c.Department }, "r.department_id", "r.department_id",
		"LEFT JOIN departments n ON n.id = s.grp", "coalesce(n.name, 'No department')", "n.id", "s.grp IS NULL, lower(n.name), s.grp"},
	SpendByVendor: {func(c CommittedSpend) string { return c.Vendor }, "po.vendor_id", "po.vendor_id",
		"LEFT JOIN vendors n ON n.id = s.grp", "coalesce(n.name, 'No vendor')", "n.id", "s.grp IS NULL, lower(n.name), s.grp"},
	SpendByGLAccount: {func(c CommittedSpend) string { return c.GLAccount }, "pol.gl_account_id", "pol.gl_account_id",
		"LEFT JOIN gl_accounts n ON n.id = s.grp", "coalesce(n.code || ' ' || n.name, 'No GL account')", "n.id", "s.grp IS NULL, lower(n.code), s.grp"},
	SpendByMonth: {CommittedSpend.month, "to_char(po.created_at AT TIME ZONE @tz, 'YYYY-MM')",
		"to_char(rc.received_on, 'YYYY-MM')", "", "s.grp", "s.grp", "s.grp"},
}

// validate refuses a filter the page should never have built: the page checks what people
// type and says what is wrong.
func (f SpendFilter) validate() error {
	if _, ok := spendGroups[f.GroupBy]; !ok {
		return fmt.Errorf("spend report: no grouping %q", f.GroupBy)
	}
	if f.Stage != "" && !slices.Contains(SpendStages, f.Stage) {
		return fmt.Errorf("spend report: no stage %q", f.Stage)
	}
	if f.Zone == nil || f.To.Before(f.From) {
		return fmt.Errorf("spend report: period %s to %s in zone %v", f.From, f.To, f.Zone)
	}
	return nil
}

// SpendReportOf sums spend in the filter's period by its grouping, each stage apart and each
// currency apart, in one query that aggregates in the database.
func SpendReportOf(ctx context.Context, db *gorm.DB, f SpendFilter) (SpendReport, error) {
	if err := f.validate(); err != nil {
		return SpendReport{}, err
	}
	g := spendGroups[f.GroupBy]
	from := time.Date(f.From.Year(), f.From.Month(), f.From.Day(), 0, 0, 0, 0, f.Zone)
	until := time.Date(f.To.Year(), f.To.Month(), f.To.Day()+1, 0, 0, 0, 0, f.Zone)
	args := map[string]any{
		"from": from, "until": until, "tz": f.Zone.String(),
		"from_day": f.From.Format(time.DateOnly), "to_day": f.To.Format(time.DateOnly),
		"cancelled": POCancelled, "me": f.ViewerID,
	}
	// Which documents count: those in scope (of the viewer's departments or delivered to
	// their location), of the department and location chosen, in the chosen currency.
	scope := func(department, location, currency string) string {
		var where []string
		if !f.AllDepartments {
			where = append(where, scopeSQL(department, location))
		}
		if f.DepartmentID != nil {
			where = append(where, department+" = @department")
			args["department"] = *f.DepartmentID
		}
		if f.LocationID != nil {
			args["location"] = *f.LocationID
			if location == "" {
				location = "NULL::bigint"
			}
			where = append(where, location+" = @location")
		}
		if f.Currency != "" {
			where = append(where, currency+" = @currency")
			args["currency"] = f.Currency
		}
		if len(where) == 0 {
			return ""
		}
		return " AND " + strings.Join(where, " AND ")
	}
	var committed, spent []string
	for _, k := range documentKinds {
		for _, part := range []struct {
			stage string
			c     *CommittedSpend
			into  *[]string
		}{{StageCommitted, k.Committed, &committed}, {StageSpent, k.Spent, &spent}} {
			if c := part.c; c != nil {
				*part.into = append(*part.into, `SELECT '`+part.stage+`' AS stage, `+c.Currency+` AS currency, `+g.committed(*c)+` AS grp, sum(`+c.Amount+`) AS amount
			FROM `+c.From+`
			WHERE `+c.Where+` AND `+c.inPeriod()+scope(c.Department, c.Location, c.Currency)+`
			GROUP BY 2, 3`)
			}
		}
	}
	orders := scope("r.department_id", "r.location_id", "po.currency")
	stages := map[string]string{
		StageCommitted: strings.Join(committed, "\nUNION ALL\n"),
		StageSpent:     strings.Join(spent, "\nUNION ALL\n"),
		StageOrdered: `SELECT 'ordered' AS stage, po.currency, ` + g.ordered + ` AS grp, sum(pol.amount_minor + pol.tax_minor) AS amount
			FROM purchase_orders po JOIN requisitions r ON r.id = po.requisition_id
			JOIN purchase_order_lines pol ON pol.purchase_order_id = po.id
			WHERE po.status <> @cancelled AND po.created_at >= @from AND po.created_at < @until` + orders + `
			GROUP BY 2, 3`,
		// Rounded halves away from zero, as money.LineAmount and money.Tax round; numeric keeps
		// quantity × price from overflowing.
		StageReceived: `SELECT 'received' AS stage, po.currency, ` + g.received + ` AS grp,
				sum(v.amount + div(v.amount * pol.tax_rate_bp + 5000, 10000)) AS amount
			FROM receipts rc JOIN receipt_lines rl ON rl.receipt_id = rc.id
			JOIN purchase_order_lines pol ON pol.id = rl.purchase_order_line_id
			JOIN purchase_orders po ON po.id = rc.purchase_order_id JOIN requisitions r ON r.id = po.requisition_id
			CROSS JOIN LATERAL (SELECT div(rl.quantity_milli::numeric * pol.unit_price_minor + 500, 1000) AS amount) v
			WHERE po.status <> @cancelled AND rc.received_on BETWEEN CAST(@from_day AS date) AND CAST(@to_day AS date)` + orders + `
			GROUP BY 2, 3`,
	}
	var parts []string
	for _, st := range SpendStages {
		if f.Stage == "" || f.Stage == st {
			parts = append(parts, stages[st])
		}
	}
	sql := `WITH s AS (` + strings.Join(parts, "\nUNION ALL\n") + `)
		SELECT s.currency, coalesce(s.grp::text, '') AS key, ` + g.label + ` AS label,
			coalesce(sum(s.amount) FILTER (WHERE s.stage = 'committed'), 0)::bigint AS committed,
			coalesce(sum(s.amount) FILTER (WHERE s.stage = 'ordered'), 0)::bigint AS ordered,
			coalesce(sum(s.amount) FILTER (WHERE s.stage = 'received'), 0)::bigint AS received,
			coalesce(sum(s.amount) FILTER (WHERE s.stage = 'spent'), 0)::bigint AS spent
		FROM s ` + g.labelJoin + `
		GROUP BY s.currency, s.grp, ` + g.groupBy + `
		ORDER BY s.currency, ` + g.order
	var rows []struct {
		Currency string
		SpendRow
	}
	if err := db.WithContext(ctx).Raw(sql, args).Scan(&rows).Error; err != nil {
		return SpendReport{}, err
	}
	out := SpendReport{DefaultCurrency: f.DefaultCurrency}
	index := map[string]int{}
	for _, r := range rows {
		i, ok := index[r.Currency]
		if !ok {
			i = len(out.Sections)
			index[r.Currency] = i
			out.Sections = append(out.Sections, SpendSection{Currency: r.Currency, Total: SpendRow{Label: "Total"}})
		}
		s := &out.Sections[i]
		s.Rows = append(s.Rows, r.SpendRow)
		s.Total.Committed += r.Committed
		s.Total.Ordered += r.Ordered
		s.Total.Received += r.Received
		s.Total.Spent += r.Spent
	}
	// The default currency leads; the others follow in alphabetical order (the query's).
	slices.SortStableFunc(out.Sections, func(a, b SpendSection) int {
		return boolRank(a.Currency != out.DefaultCurrency) - boolRank(b.Currency != out.DefaultCurrency)
	})
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SpendDepartments are the departments whose spend a viewer may report on, archived ones
// included (their spend stays): every department with all, otherwise those viewer belongs to
// or heads.
func SpendDepartments(ctx context.Context, db *gorm.DB, all bool, viewer int64) ([]Department, error) {
	q := db.WithContext(ctx).Order("lower(name), id")
	if !all {
		q = q.Where("id IN ("+ownDepartmentsSQL+")", map[string]any{"me": viewer})
	}
	var out []Department
	return out, q.Find(&out).Error
}

// SpendLocations are the locations a viewer may narrow the spend report to, archived ones
// included: every location with all, otherwise the viewer's own and those their
// departments' requisitions are delivered to.
func SpendLocations(ctx context.Context, db *gorm.DB, all bool, viewer int64) ([]Location, error) {
	q := db.WithContext(ctx).Order("lower(name), id")
	if !all {
		q = q.Where("id IN ("+ownLocationSQL+" UNION SELECT location_id FROM requisitions WHERE department_id IN ("+ownDepartmentsSQL+"))",
			map[string]any{"me": viewer})
	}
	var out []Location
	return out, q.Find(&out).Error
}

// SpendLocationOf is the location whose deliveries a viewer sees beyond their departments' spend, or nil.
func SpendLocationOf(ctx context.Context, db *gorm.DB, viewer int64) (*Location, error) {
	var out []Location
	err := db.WithContext(ctx).Where("id IN ("+ownLocationSQL+")", map[string]any{"me": viewer}).Find(&out).Error
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}
