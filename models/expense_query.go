package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
)

// VisibleExpenses limits a query on expense reports to those the viewer may see: their own
// (drafts included), and submitted ones routed to them or, with "everyone's expenses",
// every submitted one.
func VisibleExpenses(v Viewer) func(*gorm.DB) *gorm.DB {
	k, _ := FindDocumentKind(DocExpense)
	return k.visible(v)
}

// ExpenseFilter narrows a list of expense reports; every list goes through VisibleExpenses
// first, so a filter only narrows what the viewer may see.
type ExpenseFilter struct {
	// Mine: only the viewer's own reports (drafts included); otherwise only submitted ones.
	Mine         bool
	Status       string
	Query        string // part of the number, title or purpose
	DepartmentID int64
	OwnerID      int64
	Offset       int
	Limit        int
	// ByStatus: the list also counts its matches in each status, whatever Status says (its
	// status tabs), on its page's statement, and its total is theirs.
	ByStatus bool
}

// ExpenseSummary is one report in a list.
type ExpenseSummary struct {
	ID             int64
	Number         *string
	Status         string
	Title          string
	DepartmentName string
	OwnerName      string
	Currency       string
	TotalMinor     int64
	LineCount      int
	PeriodFrom     *time.Time
	PeriodTo       *time.Time
	UpdatedAt      time.Time
}

// ExpenseList is one page of a list and how many match in all.
type ExpenseList struct {
	Rows  []ExpenseSummary
	Total int
	// ByStatus is how many match in each status, when the filter asks (ByStatus).
	ByStatus map[string]int
}

func (r *ExpenseSummary) fields() []any {
	return []any{&r.ID, &r.Number, &r.Status, &r.Title, &r.DepartmentName, &r.OwnerName, &r.Currency, &r.TotalMinor,
		&r.LineCount, &r.PeriodFrom, &r.PeriodTo, &r.UpdatedAt}
}

func (f ExpenseFilter) scope(db *gorm.DB, v Viewer, withStatus bool) *gorm.DB {
	k, _ := FindDocumentKind(DocExpense)
	q := db.Table("expense_reports").Scopes(k.listScope(v, f.Mine))
	if withStatus && f.Status != "" {
		q = q.Where("expense_reports.status = ?", f.Status)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		q = q.Where(holdsText(s, expenseSearchColumns...))
	}
	if f.DepartmentID != 0 {
		q = q.Where("expense_reports.department_id = ?", f.DepartmentID)
	}
	if f.OwnerID != 0 {
		q = q.Where("expense_reports.owner_id = ?", f.OwnerID)
	}
	return q
}

// ListExpenses returns one page of the reports v may see that match f, newest first.
func ListExpenses(ctx context.Context, db *gorm.DB, v Viewer, f ExpenseFilter) (ExpenseList, error) {
	db = db.WithContext(ctx)
	if f.ByStatus {
		rows, byStatus, total, err := statusPageOf[ExpenseSummary](db, f.scope(db, v, true), "expense_reports", expenseOrder, f.columns,
			expenseKind.statusCounts(db, v, f.shows(), f.scope(db, v, false)), f.Status, nil, f.Offset, max(f.Limit, 1))
		return ExpenseList{Rows: rows, Total: total, ByStatus: byStatus}, err
	}
	rows, total, err := pickedPageOf[ExpenseSummary](db, f.scope(db, v, true), "expense_reports", expenseOrder, f.columns, nil, f.Offset, max(f.Limit, 1))
	return ExpenseList{Rows: rows, Total: total}, err
}

// EachExpense calls fn with every report v may see that matches f, in the list's order,
// reading them one at a time from the database (an export of any size).
func EachExpense(ctx context.Context, db *gorm.DB, v Viewer, f ExpenseFilter, fn func(ExpenseSummary) error) (int, error) {
	db = db.WithContext(ctx)
	return eachRow(f.columns(f.scope(db, v, true)), fn)
}

const expenseOrder = "expense_reports.updated_at DESC, expense_reports.id DESC"

// columns is what the list reads of each report of from (expense_reports, or a page of them
// picked under that name), in its order. The owner's name is a lookup per row (see
// TravelFilter.columns).
func (f ExpenseFilter) columns(from *gorm.DB) *gorm.DB {
	return from.
		Select(`expense_reports.id, expense_reports.number, expense_reports.status, expense_reports.title,
			COALESCE(d.name, '') AS department_name, ` + personName("expense_reports.owner_id") + ` AS owner_name,
			expense_reports.currency, expense_reports.total_minor,
			(SELECT count(*) FROM expense_lines l WHERE l.report_id = expense_reports.id) AS line_count,
			expense_reports.period_from, expense_reports.period_to, expense_reports.updated_at`).
		Joins("LEFT JOIN departments d ON d.id = expense_reports.department_id").
		Order(expenseOrder)
}

// CountExpensesByStatus counts the reports v may see that match f, by status.
func CountExpensesByStatus(ctx context.Context, db *gorm.DB, v Viewer, f ExpenseFilter) (map[string]int, error) {
	return expenseKind.countByStatus(ctx, db, v, f.shows(), f.scope(db.WithContext(ctx), v, false))
}

// shows is what the list shows before its status tabs.
func (f ExpenseFilter) shows() listShows {
	return showing(f.Mine || strings.TrimSpace(f.Query) != "" || f.DepartmentID != 0 || f.OwnerID != 0, submittedList)
}

// ExpenseDetail is a report as its pages show it.
type ExpenseDetail struct {
	shown
	ExpenseReport
	OwnerName      string
	DepartmentName string
	SentBackByName string
	LineDetails    []ExpenseLineDetail  `gorm:"-"`
	Steps          []ApprovalStepDetail `gorm:"-"`
}

// GetExpense reads report id as v may see it; one they may not see is not found, exactly as
// one that does not exist.
func GetExpense(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*ExpenseDetail, error) {
	db = db.WithContext(ctx)
	var d ExpenseDetail
	err := db.Table("expense_reports").Scopes(VisibleExpenses(v)).Where("expense_reports.id = ?", id).
		Select(`expense_reports.*, u.name AS owner_name, COALESCE(d.name, '') AS department_name, COALESCE(sb.name, '') AS sent_back_by_name`).
		Joins("JOIN users u ON u.id = expense_reports.owner_id").
		Joins("LEFT JOIN departments d ON d.id = expense_reports.department_id").
		Joins("LEFT JOIN users sb ON sb.id = expense_reports.sent_back_by_id").
		Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNoSuchExpense
	}
	if err != nil {
		return nil, err
	}
	if d.LineDetails, err = expenseLineDetails(db, id); err != nil {
		return nil, err
	}
	for _, l := range d.LineDetails {
		d.Lines = append(d.Lines, l.ExpenseLine)
	}
	if d.Steps, err = approvalStepDetails(db, DocExpense, id); err != nil {
		return nil, err
	}
	d.shown = shown{Seen{outlay.DocExpense, id}}
	return &d, nil
}

// Returned is the step that returned the report's latest round, if any: its comment is what
// the owner must address before submitting again.
func (d *ExpenseDetail) Returned() *ApprovalStepDetail {
	if d.Status != ExpenseReturned {
		return nil
	}
	var step *ApprovalStepDetail
	for i := len(d.Steps) - 1; i >= 0; i-- {
		if d.Steps[i].Status == StepRejected {
			step = &d.Steps[i]
			break
		}
	}
	// Sent back after its approval (SendBackExpense), later than any approver's return.
	if d.SentBackAt != nil && d.SentBackReason != nil && (step == nil || step.ActedAt == nil || step.ActedAt.Before(*d.SentBackAt)) {
		sent := ApprovalStepDetail{ActedByName: d.SentBackByName}
		sent.ActedAt, sent.Comment = d.SentBackAt, *d.SentBackReason
		return &sent
	}
	return step
}
