// Package approvals holds the approver's pages: the queue of steps waiting for them, with
// inline approve and reject, bulk approval and each document's details expandable in place,
// and the out-of-office delegation page.
package approvals

import (
	"fmt"
	"strconv"

	"github.com/a-h/templ"

	"outlay"
	"outlay/views"
)

// Paths of the approval pages, spelled once for the handlers and the templates.
const (
	QueuePath      = "/approvals"
	BulkPath       = "/approvals/bulk"
	DelegationPath = "/approvals/delegation"
	// DelegateLookupPath finds who may approve for the person as they type.
	DelegateLookupPath = "/lookup/people/delegation"
)

// StepPath is one step's details (the expanded row).
func StepPath(id int64) string { return QueuePath + "/" + strconv.FormatInt(id, 10) }

// ApprovePath approves a step.
func ApprovePath(id int64) string { return StepPath(id) + "/approve" }

// RejectPath rejects a step.
func RejectPath(id int64) string { return StepPath(id) + "/reject" }

// ClearDelegationPath ends one of the signed-in person's delegations.
func ClearDelegationPath(id int64) string {
	return DelegationPath + "/" + strconv.FormatInt(id, 10) + "/delete"
}

// DocumentPath is a document's own page.
func DocumentPath(docType string, id int64) string { return outlay.DocumentPath(docType, id) }

// AttachmentPath downloads one attachment of a document.
func AttachmentPath(docType string, docID, id int64) string {
	return outlay.DocumentPath(docType, docID) + "/attachments/" + strconv.FormatInt(id, 10)
}

// DocTypeLabel is how people read a kind of document.
func DocTypeLabel(docType string) string { return outlay.KindLabel(docType) }

// SubjectLabel names what a queue item's "Vendor / purpose" cell holds for its kind: a
// trip's destinations, an expense report's purpose, or a vendor.
func SubjectLabel(docType string) string {
	switch docType {
	case outlay.DocTravel:
		return "Destinations"
	case outlay.DocExpense:
		return "Purpose"
	}
	return "Vendor"
}

// Element ids htmx requests name in HX-Target.
const (
	ResultsID   = "approval-results"
	CountID     = "approvals-count"
	CountTextID = "approvals-count-text"
	FormID      = "delegation-form"
)

// RowID is the id of one queue item's rows (a <tbody>), which a decision replaces.
func RowID(stepID int64) string { return "step-" + strconv.FormatInt(stepID, 10) }

// DetailsID is the id of the element an item's details load into.
func DetailsID(stepID int64) string { return "details-" + strconv.FormatInt(stepID, 10) }

// PerPage is how many items one page of the queue shows.
const PerPage = 25

// Option is one choice of a select.
type Option = views.Option

// Filter is the queue's filters and page, as the query string carries them.
type Filter struct {
	DocType    string
	Department string
	MinAmount  string
	Q          string
	Page       int
}

// Active reports whether the filter narrows the queue.
func (f Filter) Active() bool {
	return f.DocType != "" || f.Department != "" || f.MinAmount != "" || f.Q != ""
}

// URL is the queue's address with this filter at page.
func (f Filter) URL(page int) string {
	return views.ListURL(QueuePath, page, [2]string{"type", f.DocType}, [2]string{"department", f.Department}, [2]string{"min", f.MinAmount}, [2]string{"q", f.Q})
}

// Row is one step of one document in the queue, waiting or just decided.
type Row struct {
	StepID     int64
	DocType    string
	DocID      int64
	Number     string
	Requester  string
	Department string
	Vendor     string
	Total      string
	Submitted  string
	Step       string // "Step 1 of 2"
	OnBehalfOf string // the person the viewer acts for as a delegate
	Role       string // the label of the role a role step is open to
	// Decided rows say what happened instead of offering buttons.
	Decided bool
	Status  string // the step's status
	Outcome string // "Approved by you. Next: Hana Head.", "Ana Lopez already approved this."
	// Notice explains why an open step could not be decided (a budget that blocks).
	Notice string
	// Comment and CommentError: what was typed and what is wrong with it (a reject with no reason).
	Comment      string
	CommentError string
}

// Queue is the approvals page.
type Queue struct {
	// ExportURL downloads the whole queue with its filters (every page).
	ExportURL   string
	CSRF        string
	Filter      Filter
	FilterError string
	DocTypes    []Option
	Departments []Option
	Rows        []Row
	Total       int64 // items matching the filter
	Count       int64 // every item waiting for the viewer: the badge
	Pages       int
	CanApprove  bool
	CanDelegate bool
}

// Showing says which items this page shows.
func (q Queue) Showing() string {
	if q.Total == 0 {
		return "Showing 0 of 0"
	}
	from := (q.Filter.Page-1)*PerPage + 1
	to := min(int64(q.Filter.Page*PerPage), q.Total)
	return fmt.Sprintf("Showing %d–%d of %d", from, to, q.Total)
}

// CountText says how many items wait, for the page heading.
func CountText(n int64) string {
	switch n {
	case 0:
		return "Nothing waits for you."
	case 1:
		return "1 request waits for you."
	}
	return outlay.Count(int(n)) + " requests wait for you."
}

// Details is what an expanded row shows.
type Details struct {
	StepID        int64
	DocType       string
	DocID         int64
	Justification string
	// Extra is what a kind of document shows of its own before its lines (a trip's legs).
	Extra       templ.Component
	Lines       []Line
	Subtotal    string // the lines' amounts before tax
	Tax         string
	Total       string
	Attachments []Attachment
	Route       []RouteStep
	Budget      []BudgetRow
}

// Line is one line of the document.
type Line struct {
	Description string
	Quantity    string
	UnitPrice   string
	TaxRate     string
	GLCode      string
	Amount      string
	// Receipt is the line's receipt (an attachment of the document); ReceiptImage: shown as
	// a thumbnail.
	Receipt      int64
	ReceiptImage bool
	// Notes are what the approver should look at: over a limit, a possible duplicate.
	Notes []string
}

// Attachment is one file on the document.
type Attachment struct {
	ID   int64
	Name string
	Size string
}

// RouteStep is one step of the document's route in this round.
type RouteStep struct {
	Position int
	Who      string
	Status   string
	ActedBy  string
	Comment  string
	When     string
}

// BudgetRow is one budget the document draws on.
type BudgetRow struct {
	Label     string // "Engineering · 6000 Software"
	Period    string
	Budget    string
	Spent     string
	Committed string
	This      string
	Remaining string
	Over      bool
}

func statusClass(status string) string {
	switch status {
	case outlay.StepApproved:
		return "badge badge-success"
	case outlay.StepRejected:
		return "badge badge-delete"
	case outlay.StepPending:
		return "badge badge-warning"
	}
	return "badge badge-muted"
}

// Delegation is the out-of-office page.
type Delegation struct {
	CSRF     string
	Given    []DelegationRow
	Received []DelegationRow
	Form     DelegationForm
}

// DelegationRow is one delegation.
type DelegationRow struct {
	ID      int64
	Person  string // the delegate (given) or the person away (received)
	From    string
	To      string
	Current bool
}

// DelegationForm sets a delegation.
type DelegationForm struct {
	CSRF     string
	Delegate string `form:"delegate"`
	StartsOn string `form:"starts_on,trim"`
	EndsOn   string `form:"ends_on,trim"`
	// DelegateName is the chosen person's name.
	DelegateName string
	Errors       views.FieldErrors
}
