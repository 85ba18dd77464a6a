package models

import (
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"outlay"
)

// Kinds of documents (outlay's), named here too for the code of this package.
const (
	DocRequisition   = outlay.DocRequisition
	DocPurchaseOrder = outlay.DocPurchaseOrder
)

// totalTooLarge refuses a document whose total is more than an amount may be (money.Max),
// naming the document as the form it is shown on does: noun is "bill", "expense report",
// "trip" or "requisition".
func totalTooLarge(noun string) string {
	return fmt.Sprintf("The %s's total is too large. Split it into several %ss.", noun, noun)
}

// Viewer is who is looking at documents: record-level access is decided from it in queries,
// after the route's permission has let the person in at all.
type Viewer struct {
	UserID int64
	Roles  []string
	// SeeAllKinds are the kinds of documents of which the person's roles may read every
	// submitted one (the kind's SeeAll permission). Drafts stay their owner's alone.
	SeeAllKinds []string
}

// SeeAllOf reports whether the viewer may see every submitted document of the kind.
func (v Viewer) SeeAllOf(docType string) bool { return slices.Contains(v.SeeAllKinds, docType) }

// routedTo is the condition "a step of this document's route is, or was, the viewer's to
// act on": named as its approver, acted on by them, open to one of their roles, or pending
// for someone who has delegated to them today (see delegatorsSQL). docType and idColumn are
// constants of this package, never input.
func routedTo(v Viewer, docType, idColumn string) (string, map[string]any) {
	roles := v.Roles
	if len(roles) == 0 {
		roles = []string{""}
	}
	return `EXISTS (SELECT 1 FROM approval_steps s WHERE s.doc_type = '` + docType + `' AND s.doc_id = ` + idColumn + `
		AND s.status <> 'cancelled'
		AND (s.approver_id = @me OR s.acted_by = @me OR (s.kind = 'role' AND s.role IN @viewer_roles)
			OR (s.status = 'pending' AND s.approver_id IN ` + delegatorsSQL + `)))`,
		map[string]any{"me": v.UserID, "viewer_roles": roles}
}

// VisibleRequisitions limits a query on requisitions to those the viewer may see: their
// own (drafts included), and submitted ones routed to them or, with the kind's SeeAll, every
// submitted one.
func VisibleRequisitions(v Viewer) func(*gorm.DB) *gorm.DB {
	k, _ := FindDocumentKind(DocRequisition)
	return k.visible(v)
}

// Comment is a note on a document, appended and never edited.
type Comment struct {
	ID       int64
	DocType  string
	DocID    int64
	AuthorID int64
	Body     string
	// FormKey is the key of the comment form that posted it: posted again, that form makes no
	// second comment.
	FormKey   *string
	CreatedAt time.Time
}

// Attachment is a file on a document. Its bytes live in the blob store under StorageKey.
type Attachment struct {
	ID          int64
	DocType     string
	DocID       int64
	UploadedBy  int64
	Filename    string
	ContentType string
	SizeBytes   int64
	SHA256      string `gorm:"column:sha256"`
	StorageKey  string
	DeletedAt   *time.Time
	CreatedAt   time.Time
}
