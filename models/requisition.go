package models

import (
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/money"
)

// Requisition statuses, as the vocabulary names them (package outlay).
const (
	RequisitionDraft     = outlay.RequisitionDraft
	RequisitionPending   = outlay.RequisitionPending
	RequisitionApproved  = outlay.RequisitionApproved
	RequisitionRejected  = outlay.RequisitionRejected
	RequisitionWithdrawn = outlay.RequisitionWithdrawn
	RequisitionOrdered   = outlay.RequisitionOrdered
	RequisitionCancelled = outlay.RequisitionCancelled
)

// Requisition is a request to buy: a header and its lines.
type Requisition struct {
	ID            int64
	Number        *string // taken at first submit
	RequesterID   int64
	DepartmentID  *int64
	VendorID      *int64
	LocationID    *int64
	NeededBy      *time.Time
	Justification string
	Currency      string
	SubtotalMinor int64
	TaxMinor      int64
	TotalMinor    int64
	Status        string
	SubmittedAt   *time.Time
	DecidedAt     *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// FormKey is the key of the new-requisition form that created it: posted again, that
	// form finds this requisition instead of making another.
	FormKey *string
	Lines   []RequisitionLine `gorm:"-"`
}

// Total is the requisition's total as money.
func (r Requisition) Total() money.Money {
	return money.Money{Minor: r.TotalMinor, Currency: r.Currency}
}

// Editable reports whether the requester may still change the requisition.
func (r Requisition) Editable() bool {
	return r.Status == RequisitionDraft || r.Status == RequisitionRejected || r.Status == RequisitionWithdrawn
}

// RequisitionLine is one item asked for.
type RequisitionLine struct {
	ID             int64
	RequisitionID  int64
	Position       int
	Description    string
	QuantityMilli  money.Quantity
	UnitPriceMinor int64
	TaxRateBP      int    `gorm:"column:tax_rate_bp"`
	GLAccountID    *int64 `gorm:"column:gl_account_id"`
	AmountMinor    int64
	TaxMinor       int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Kinds of numbered documents (rows of document_numbers).
const (
	NumberRequisition   = "requisition"
	NumberPurchaseOrder = "purchase_order"
)

// NextNumber takes the next human number of a kind of document ("REQ-000123"). It must run in
// the transaction that stores the number: the counter row stays locked until that commits,
// and a rollback gives the number back, so numbers have no gaps and no duplicates.
// document_numbers is bookkeeping, not audited row by row; the number is audited where it
// lands on its document.
func NextNumber(tx *gorm.DB, kind string) (string, error) {
	var row struct {
		Prefix string
		Last   int64
	}
	err := tx.Raw(`UPDATE document_numbers SET last = last + 1 WHERE kind = ? RETURNING prefix, last`, kind).Scan(&row).Error
	if err != nil {
		return "", fmt.Errorf("take a %s number: %w", kind, err)
	}
	if row.Prefix == "" {
		return "", fmt.Errorf("take a %s number: no such kind", kind)
	}
	return fmt.Sprintf("%s-%06d", row.Prefix, row.Last), nil
}

// requisitionApproval lets the approval engine route requisitions.
type requisitionApproval struct{}

// approvalDocument reads the requisition, locked, with its lines' GL accounts and amounts in
// the same statement. The lines are read as they were when the statement began, before any
// wait for the lock: they change only while the requisition is a draft or rejected, and one
// that became either meanwhile has no step left to decide (its decision then fails on the
// step), or else is being submitted in this very transaction, which sees its own lines.
func (requisitionApproval) approvalDocument(tx *gorm.DB, id int64) (ApprovalDocument, error) {
	var rows []struct {
		Requisition
		ApprovalLines string
	}
	if err := tx.Raw(`SELECT r.*, COALESCE((SELECT json_agg(json_build_object('GLAccountID', l.gl_account_id,
			'Amount', l.amount_minor + l.tax_minor) ORDER BY l.position) FROM requisition_lines l WHERE l.requisition_id = r.id), '[]') AS approval_lines
		FROM requisitions r WHERE r.id = ? FOR UPDATE OF r`, id).Scan(&rows).Error; err != nil {
		return ApprovalDocument{}, err
	}
	if len(rows) == 0 {
		return ApprovalDocument{}, outlay.NotFound("That requisition does not exist.")
	}
	r := rows[0].Requisition
	doc := ApprovalDocument{Type: DocRequisition, ID: r.ID, RequesterID: r.RequesterID, DepartmentID: r.DepartmentID, Total: r.Total()}
	if r.Number != nil {
		doc.Number = *r.Number
	}
	if err := json.Unmarshal([]byte(rows[0].ApprovalLines), &doc.Lines); err != nil {
		return ApprovalDocument{}, fmt.Errorf("requisition %d lines: %w", id, err)
	}
	return doc, nil
}

func (requisitionApproval) finish(tx *gorm.DB, id int64, outcome string, at time.Time) error {
	status := RequisitionApproved
	if outcome == StepRejected {
		status = RequisitionRejected
	}
	res := tx.Model(&Requisition{ID: id}).Where("status = ?", RequisitionPending).
		Updates(map[string]any{"status": status, "decided_at": at, "updated_at": at})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return outlay.Conflict("That requisition is no longer waiting for approval.")
	}
	return nil
}
