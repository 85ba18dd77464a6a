package dbtest

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/models"
)

// RequisitionLine is one line of a test requisition: one unit at Amount minor units.
type RequisitionLine struct {
	GLAccountID *int64
	Amount      int64
}

// Requisition describes a draft requisition for tests that need documents to route.
type Requisition struct {
	RequesterID   int64
	DepartmentID  *int64
	VendorID      *int64
	Currency      string // USD when empty
	Justification string
	Lines         []RequisitionLine
}

// CreateRequisition stores a draft requisition with its lines.
func CreateRequisition(t testing.TB, db *gorm.DB, spec Requisition) *models.Requisition {
	t.Helper()
	r := &models.Requisition{RequesterID: spec.RequesterID, DepartmentID: spec.DepartmentID, VendorID: spec.VendorID,
		Currency: spec.Currency, Justification: spec.Justification, Status: models.RequisitionDraft}
	if r.Currency == "" {
		r.Currency = "USD"
	}
	for _, l := range spec.Lines {
		r.SubtotalMinor += l.Amount
		r.TotalMinor += l.Amount
	}
	if err := db.Create(r).Error; err != nil {
		t.Fatal(err)
	}
	for i, l := range spec.Lines {
		line := models.RequisitionLine{RequisitionID: r.ID, Position: i + 1, Description: "Item", QuantityMilli: 1000,
			UnitPriceMinor: l.Amount, AmountMinor: l.Amount, GLAccountID: l.GLAccountID}
		if err := db.Create(&line).Error; err != nil {
			t.Fatal(err)
		}
		r.Lines = append(r.Lines, line)
	}
	return r
}

// SubmitRequisition does what submitting does, as its requester: it numbers the
// requisition, sets it pending and routes it, in one transaction.
func SubmitRequisition(t testing.TB, db *gorm.DB, r *models.Requisition) models.RouteOutcome {
	t.Helper()
	// The context db carries (a notifier, say) stays; the actor is the requester.
	base := db.Statement.Context
	if base == nil {
		base = t.Context()
	}
	ctx := audit.WithActor(base, audit.Actor{Type: audit.ActorUser, ID: r.RequesterID})
	var out models.RouteOutcome
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if r.Number == nil {
			n, err := models.NextNumber(tx, models.NumberRequisition)
			if err != nil {
				return err
			}
			r.Number = &n
		}
		if err := tx.Model(r).Updates(map[string]any{"number": *r.Number, "status": models.RequisitionPending, "submitted_at": time.Now()}).Error; err != nil {
			return err
		}
		doc := models.ApprovalDocument{Type: models.DocRequisition, ID: r.ID, Number: *r.Number, RequesterID: r.RequesterID,
			DepartmentID: r.DepartmentID, Total: r.Total()}
		for _, l := range r.Lines {
			doc.Lines = append(doc.Lines, models.ApprovalLine{GLAccountID: l.GLAccountID, Amount: l.AmountMinor + l.TaxMinor})
		}
		var err error
		out, err = models.SubmitForApproval(tx, doc)
		return err
	})
	if err != nil {
		t.Fatalf("submit requisition %d: %v", r.ID, err)
	}
	return out
}
