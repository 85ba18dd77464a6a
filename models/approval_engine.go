package models

import (
	"errors"
	"time"

	"gorm.io/gorm"
)

// The approval engine's entry points. Documents call them inside their own transactions.

// RouteOutcome is what submitting a document for approval led to.
type RouteOutcome struct {
	// Approved: no rule asked for any approval, so the document is approved at once.
	Approved bool
	Steps    []ApprovalStep
}

// SubmitForApproval builds the route of a new round for doc and opens its first step.
func SubmitForApproval(tx *gorm.DB, doc ApprovalDocument) (RouteOutcome, error) {
	return RouteOutcome{}, errors.New("approval engine: not built yet")
}

// CancelRoute cancels the open steps of a document's route, when its requester withdraws it.
func CancelRoute(tx *gorm.DB, docType string, docID int64) error {
	return errors.New("approval engine: not built yet")
}

// approvable is a kind of document the engine routes: it loads what routing needs and
// records the route's outcome on the document.
type approvable interface {
	// approvalDocument loads the document, locking its row until the transaction ends.
	approvalDocument(tx *gorm.DB, id int64) (ApprovalDocument, error)
	// finish records the outcome (StepApproved or StepRejected) on the document.
	finish(tx *gorm.DB, id int64, outcome string, at time.Time) error
}

// approvables are the kinds of documents the engine routes.
var approvables = map[string]approvable{
	DocRequisition: requisitionApproval{},
}
