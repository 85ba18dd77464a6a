package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
)

// RequisitionFilter narrows a list of requisitions. Every list goes through
// VisibleRequisitions first, so a filter can only narrow what the viewer may see.
type RequisitionFilter struct {
	// Mine: only the viewer's own requisitions (drafts included); otherwise only submitted
	// ones (everyone's, as far as the viewer may see them).
	Mine         bool
	Status       string
	Query        string // part of the number or of the justification
	DepartmentID int64
	RequesterID  int64
	OldestFirst  bool // least recently changed first (a queue), instead of newest first
	Offset       int
	Limit        int
	// ByStatus: the list also counts its matches in each status, whatever Status says (its
	// status tabs), on its page's statement, and its total is theirs.
	ByStatus bool
}

// RequisitionSummary is one requisition in a list.
type RequisitionSummary struct {
	ID             int64
	Number         *string
	Status         string
	Justification  string
	DepartmentName string
	VendorName     string
	RequesterName  string
	Currency       string
	TotalMinor     int64
	LineCount      int
	NeededBy       *time.Time
	SubmittedAt    *time.Time
	UpdatedAt      time.Time
}

// requisitionSummaryColumns are the columns of a RequisitionSummary, in the order fields
// reads them.
const requisitionSummaryColumns = `requisitions.id, requisitions.number, requisitions.status, requisitions.justification,
	COALESCE(d.name, '') AS department_name, u.name AS requester_name,
	COALESCE((SELECT vd.name FROM vendors vd WHERE vd.id = requisitions.vendor_id), '') AS vendor_name,
	requisitions.currency, requisitions.total_minor, requisitions.needed_by, requisitions.submitted_at, requisitions.updated_at,
	(SELECT count(*) FROM requisition_lines l WHERE l.requisition_id = requisitions.id) AS line_count`

func (r *RequisitionSummary) fields() []any {
	return []any{&r.ID, &r.Number, &r.Status, &r.Justification, &r.DepartmentName, &r.RequesterName, &r.VendorName,
		&r.Currency, &r.TotalMinor, &r.NeededBy, &r.SubmittedAt, &r.UpdatedAt, &r.LineCount}
}

// RequisitionList is one page of a list and how many match in all.
type RequisitionList struct {
	Rows  []RequisitionSummary
	Total int
	// ByStatus is how many match in each status, when the filter asks (ByStatus).
	ByStatus map[string]int
}

// scope applies the viewer's visibility and the filter's conditions, except the status
// when withStatus is false (the status tabs count every status).
func (f RequisitionFilter) scope(db *gorm.DB, v Viewer, withStatus bool) *gorm.DB {
	k, _ := FindDocumentKind(DocRequisition)
	q := db.Table("requisitions").Scopes(k.listScope(v, f.Mine))
	if withStatus && f.Status != "" {
		q = q.Where("requisitions.status = ?", f.Status)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		like := "%" + escapeLike(s) + "%"
		q = q.Where("(requisitions.number ILIKE ? OR requisitions.justification ILIKE ?)", like, like)
	}
	if f.DepartmentID != 0 {
		q = q.Where("requisitions.department_id = ?", f.DepartmentID)
	}
	if f.RequesterID != 0 {
		q = q.Where("requisitions.requester_id = ?", f.RequesterID)
	}
	return q
}

// ListRequisitions returns one page of the requisitions v may see that match f, newest
// first, with how many match.
func ListRequisitions(ctx context.Context, db *gorm.DB, v Viewer, f RequisitionFilter) (RequisitionList, error) {
	db = db.WithContext(ctx)
	if f.ByStatus {
		k, _ := FindDocumentKind(DocRequisition)
		counts := k.statusCounts(db, v, f.shows(), f.scope(db, v, false))
		rows, byStatus, total, err := statusPageOf[RequisitionSummary](db, f.scope(db, v, true), "requisitions", f.order(), f.columns,
			counts, f.Status, nil, f.Offset, f.Limit)
		return RequisitionList{Rows: rows, Total: total, ByStatus: byStatus}, err
	}
	rows, total, err := pickedPageOf[RequisitionSummary](db, f.scope(db, v, true), "requisitions", f.order(), f.columns, nil, f.Offset, f.Limit)
	return RequisitionList{Rows: rows, Total: total}, err
}

// EachRequisition calls fn with every requisition v may see that matches f, in the list's
// order, reading them one at a time from the database (an export of any size).
func EachRequisition(ctx context.Context, db *gorm.DB, v Viewer, f RequisitionFilter, fn func(RequisitionSummary) error) (int, error) {
	db = db.WithContext(ctx)
	return eachRow(f.columns(f.scope(db, v, true)), fn)
}

func (f RequisitionFilter) order() string {
	if f.OldestFirst {
		return "requisitions.updated_at, requisitions.id"
	}
	return "requisitions.updated_at DESC, requisitions.id DESC"
}

// columns is what the list reads of each requisition of from (requisitions, or a page of
// them picked under that name), in its order. The vendor's name is a lookup per row rather
// than a join, so that Postgres makes it only for the rows read (a join to every vendor would
// read them all).
func (f RequisitionFilter) columns(from *gorm.DB) *gorm.DB {
	return from.
		Select(requisitionSummaryColumns).
		Joins("LEFT JOIN departments d ON d.id = requisitions.department_id").
		Joins("JOIN users u ON u.id = requisitions.requester_id").
		Order(f.order())
}

// CountRequisitionsByStatus counts the requisitions v may see that match f in each status,
// whatever f.Status says: the numbers on the status tabs.
func CountRequisitionsByStatus(ctx context.Context, db *gorm.DB, v Viewer, f RequisitionFilter) (map[string]int, error) {
	k, _ := FindDocumentKind(DocRequisition)
	return k.countByStatus(ctx, db, v, f.shows(), f.scope(db.WithContext(ctx), v, false))
}

// shows is what the list shows before its status tabs.
func (f RequisitionFilter) shows() listShows {
	return showing(f.Mine || strings.TrimSpace(f.Query) != "" || f.DepartmentID != 0 || f.RequesterID != 0, submittedList)
}

// RequisitionDetail is a requisition with the names of what it points at, its lines and
// its approval route.
type RequisitionDetail struct {
	shown
	Requisition
	RequesterName  string
	RequesterEmail string
	DepartmentName string
	VendorName     string
	VendorStatus   string
	VendorArchived bool
	LocationName   string
	LineDetails    []RequisitionLineDetail `gorm:"-"`
	Steps          []ApprovalStepDetail    `gorm:"-"`
}

// RequisitionLineDetail is a line with its GL account's code and name.
type RequisitionLineDetail struct {
	RequisitionLine
	GLCode string
	GLName string
}

// requisitionDetailColumns are the columns of a RequisitionDetail's own row (its lines and
// steps are read apart), in the order fields reads them.
const requisitionDetailColumns = `requisitions.id, requisitions.number, requisitions.requester_id, requisitions.department_id,
	requisitions.vendor_id, requisitions.location_id, requisitions.needed_by, requisitions.justification, requisitions.currency,
	requisitions.subtotal_minor, requisitions.tax_minor, requisitions.total_minor, requisitions.status, requisitions.submitted_at,
	requisitions.decided_at, requisitions.created_at, requisitions.updated_at, requisitions.form_key,
	u.name AS requester_name, u.email AS requester_email, COALESCE(d.name, '') AS department_name,
	COALESCE(vd.name, '') AS vendor_name, COALESCE(vd.status, '') AS vendor_status, vd.archived_at IS NOT NULL AS vendor_archived,
	COALESCE(loc.name, '') AS location_name`

func (d *RequisitionDetail) fields() []any {
	r := &d.Requisition
	return []any{&r.ID, &r.Number, &r.RequesterID, &r.DepartmentID, &r.VendorID, &r.LocationID, &r.NeededBy, &r.Justification,
		&r.Currency, &r.SubtotalMinor, &r.TaxMinor, &r.TotalMinor, &r.Status, &r.SubmittedAt, &r.DecidedAt, &r.CreatedAt,
		&r.UpdatedAt, &r.FormKey,
		&d.RequesterName, &d.RequesterEmail, &d.DepartmentName, &d.VendorName, &d.VendorStatus, &d.VendorArchived, &d.LocationName}
}

// requisitionLineDetailColumns are the columns of a RequisitionLineDetail, in the order
// fields reads them.
const requisitionLineDetailColumns = `l.id, l.requisition_id, l.position, l.description, l.quantity_milli, l.unit_price_minor,
	l.tax_rate_bp, l.gl_account_id, l.amount_minor, l.tax_minor, l.created_at, l.updated_at,
	COALESCE(g.code, '') AS gl_code, COALESCE(g.name, '') AS gl_name`

func (l *RequisitionLineDetail) fields() []any {
	r := &l.RequisitionLine
	return []any{&r.ID, &r.RequisitionID, &r.Position, &r.Description, &r.QuantityMilli, &r.UnitPriceMinor,
		&r.TaxRateBP, &r.GLAccountID, &r.AmountMinor, &r.TaxMinor, &r.CreatedAt, &r.UpdatedAt, &l.GLCode, &l.GLName}
}

// ApprovalStepDetail is a step of an approval route with the names of the people on it.
type ApprovalStepDetail struct {
	ApprovalStep
	ApproverName   string
	ActedByName    string
	OnBehalfOfName string
	// RuleName names the approval rule that put the step on the route; empty on the default
	// route, which applies when no rule matches.
	RuleName string
	// RoleLabel is how people read the role a role's step is open to (its name, should the
	// role be gone); empty for other steps.
	RoleLabel string
}

// GetRequisition reads requisition id as viewer v may see it; one they may not see is not
// found, exactly as one that does not exist.
func GetRequisition(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*RequisitionDetail, error) {
	db = db.WithContext(ctx)
	found, err := readRows[RequisitionDetail](db.Table("requisitions").Scopes(VisibleRequisitions(v)).Where("requisitions.id = ?", id).
		Select(requisitionDetailColumns).
		Joins("JOIN users u ON u.id = requisitions.requester_id").
		Joins("LEFT JOIN departments d ON d.id = requisitions.department_id").
		Joins("LEFT JOIN vendors vd ON vd.id = requisitions.vendor_id").
		Joins("LEFT JOIN locations loc ON loc.id = requisitions.location_id"), 1)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, outlay.NotFound("That requisition does not exist.")
	}
	d := found[0]
	d.LineDetails, err = readRows[RequisitionLineDetail](numberedStatement(db, requisitionLineDetailsSQL, []any{id}), 8)
	if err != nil {
		return nil, err
	}
	for _, l := range d.LineDetails {
		d.Lines = append(d.Lines, l.RequisitionLine)
	}
	if d.Steps, err = approvalStepDetails(db, DocRequisition, id); err != nil {
		return nil, err
	}
	d.shown = shown{Seen{outlay.DocRequisition, id}}
	return &d, nil
}

// approvalStepDetails lists every step of a document's route, every round, with the names of
// the people on it and of the rule that put it there. It checks no access: the caller has
// already found the document visible.
func approvalStepDetails(db *gorm.DB, docType string, id int64) ([]ApprovalStepDetail, error) {
	return readRows[ApprovalStepDetail](numberedStatement(db, approvalStepDetailsSQL, []any{docType, id}), 4)
}

// approvalStepDetailsSQL reads a document's route (its type, $1, and id, $2) for
// approvalStepDetails. It and requisitionLineDetailsSQL are written once rather than built from
// GORM's clauses on every read of a document (75 of a requisition page's allocations).
const approvalStepDetailsSQL = `SELECT ` + approvalStepDetailColumns + ` FROM approval_steps s
	LEFT JOIN users a ON a.id = s.approver_id
	LEFT JOIN approval_rules ru ON ru.id = s.rule_id
	LEFT JOIN users b ON b.id = s.acted_by
	LEFT JOIN users o ON o.id = s.on_behalf_of
	LEFT JOIN roles rl ON rl.name = s.role
	WHERE s.doc_type = $1 AND s.doc_id = $2 ORDER BY s.round, s.position`

// requisitionLineDetailsSQL reads a requisition's lines (its id, $1), with their GL accounts.
const requisitionLineDetailsSQL = `SELECT ` + requisitionLineDetailColumns + ` FROM requisition_lines l
	LEFT JOIN gl_accounts g ON g.id = l.gl_account_id WHERE l.requisition_id = $1 ORDER BY l.position`

// approvalStepDetailColumns are the columns of an ApprovalStepDetail, in the order fields
// reads them.
const approvalStepDetailColumns = `s.id, s.doc_type, s.doc_id, s.round, s.position, s.rule_id, s.kind, s.approver_id, s.role,
	s.status, s.acted_by, s.on_behalf_of, s.comment, s.acted_at, s.created_at, s.updated_at,
	COALESCE(a.name, '') AS approver_name, COALESCE(b.name, '') AS acted_by_name, COALESCE(o.name, '') AS on_behalf_of_name,
	COALESCE(ru.name, '') AS rule_name, COALESCE(rl.label, s.role, '') AS role_label`

func (d *ApprovalStepDetail) fields() []any {
	s := &d.ApprovalStep
	return []any{&s.ID, &s.DocType, &s.DocID, &s.Round, &s.Position, &s.RuleID, &s.Kind, &s.ApproverID, &s.Role,
		&s.Status, &s.ActedBy, &s.OnBehalfOf, &s.Comment, &s.ActedAt, &s.CreatedAt, &s.UpdatedAt,
		&d.ApproverName, &d.ActedByName, &d.OnBehalfOfName, &d.RuleName, &d.RoleLabel}
}

// Rejection is the step that rejected the requisition's latest round, if any: its comment
// is what the requester must address before resubmitting.
func (d *RequisitionDetail) Rejection() *ApprovalStepDetail {
	if d.Status != RequisitionRejected {
		return nil
	}
	return lastRejectedStep(d.Steps)
}

// lastRejectedStep is the latest rejected step of a route, if any.
func lastRejectedStep(steps []ApprovalStepDetail) *ApprovalStepDetail {
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Status == StepRejected {
			return &steps[i]
		}
	}
	return nil
}
