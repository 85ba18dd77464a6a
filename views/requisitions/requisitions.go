// Package requisitions holds the requisition pages: the requester's own list, everyone's
// submitted requisitions, the form with its inline lines and live total, and the read-only
// page with the approval route.
package requisitions

import (
	"fmt"
	"strconv"

	"github.com/a-h/templ"

	"outlay"
	"outlay/views"
)

// Paths of the requisition pages, spelled once for the handlers and the templates.
const (
	ListPath   = outlay.RequisitionsPath
	NewPath    = ListPath + "/new"
	AllPath    = ListPath + "/all"
	LinesPath  = ListPath + "/lines"  // adds or removes a line of the form being typed
	TotalsPath = ListPath + "/totals" // prices the form being typed
	CheckPath  = ListPath + "/check"  // says whether the form being typed may be submitted
	// VendorLookupPath finds the vendors a requisition may name as the requester types.
	VendorLookupPath = "/lookup/vendors/requisitions"
	// RequesterLookupPath finds the requester of everyone's list's filter.
	RequesterLookupPath = "/lookup/people/requisitions"
)

// Path is a requisition's page; its edit form posts to it.
func Path(id int64) string { return ListPath + "/" + strconv.FormatInt(id, 10) }

// WithdrawPath pulls a pending requisition back.
func WithdrawPath(id int64) string { return Path(id) + "/withdraw" }

// CopyPath starts a new draft from a requisition.
func CopyPath(id int64) string { return Path(id) + "/copy" }

// DeletePath removes a draft that was never submitted.
func DeletePath(id int64) string { return Path(id) + "/delete" }

// Element ids that htmx requests name in HX-Target, so handlers can answer with that part.
const (
	ResultsID = "requisition-results"
	FormID    = "requisition-form"
	LinesID   = "requisition-lines"
	TotalsID  = "requisition-totals"
	// DepartmentGLID holds the default GL account of the department chosen.
	DepartmentGLID = "department-gl"
)

// PerPage is how many requisitions one page of a list shows.
const PerPage = 25

// StatusLabel is how people read a requisition status, on every page that names one (the
// lists, a requisition's page, the dashboard). A rejected requisition is back with its
// requester to change, hence "Returned".
func StatusLabel(status string) string {
	switch status {
	case outlay.RequisitionDraft:
		return "Draft"
	case outlay.RequisitionPending:
		return "Pending approval"
	case outlay.RequisitionApproved:
		return "Approved"
	case outlay.RequisitionRejected:
		return "Returned"
	case outlay.RequisitionWithdrawn:
		return "Withdrawn"
	case outlay.RequisitionOrdered:
		return "Ordered"
	case outlay.RequisitionCancelled:
		return "Cancelled"
	}
	return status
}

func statusClass(status string) string {
	switch status {
	case outlay.RequisitionApproved, outlay.RequisitionOrdered:
		return "badge badge-success"
	case outlay.RequisitionPending:
		return "badge badge-warning"
	case outlay.RequisitionRejected:
		return "badge badge-revoked"
	}
	return "badge badge-muted"
}

// Option is one choice of a select.
type Option = views.Option

// Filter is a list's search, filters and page, as the query string carries them.
type Filter struct {
	// Unmatched says that the requester typed in the filter names no one, so none match.
	Unmatched  bool
	Base       string // ListPath or AllPath
	Q          string
	Status     string
	Department string
	Requester  string
	Page       int
}

// Active reports whether the filter narrows the list (the status tab aside).
func (f Filter) Active() bool {
	return f.Q != "" || f.Department != "" || f.Requester != "" || f.Unmatched
}

// URL is the list's address with this filter at page.
func (f Filter) URL(page int) string {
	return views.ListURL(f.Base, page, [2]string{"q", f.Q}, [2]string{"status", f.Status}, [2]string{"department", f.Department}, [2]string{"requester", f.Requester})
}

// WithStatus is the filter showing status ("" for all) from the first page.
func (f Filter) WithStatus(status string) Filter { f.Status, f.Page = status, 1; return f }

// Tab is one status tab with its count.
type Tab = views.StatusTab

// Row is one requisition in a list.
type Row struct {
	ID            int64
	Number        string // "" for a draft
	Status        string
	Justification string
	Requester     string
	Department    string
	Vendor        string
	Total         string
	Lines         int
	NeededBy      string
	Updated       string
}

// List is a list page: the requester's own (Everyone false) or everyone's submitted ones.
type List struct {
	// ExportURL downloads the whole list with its filters (every page); empty: no export.
	ExportURL   string
	Title       string
	Everyone    bool
	Summary     string
	Filter      Filter
	Tabs        []Tab
	Departments []Option
	// RequesterName is the name of the requester the filter chose.
	RequesterName string
	Rows          []Row
	Total         int
	CanCreate     bool
	Pager         views.Pagination
}

// FormLine is one row of the form's lines as typed, with its amount when it can be priced.
type FormLine struct {
	Description string
	Quantity    string
	UnitPrice   string
	TaxRate     string
	GLAccount   string
	Amount      string // "" when the line cannot be priced yet
}

// Totals are the form's live totals.
type Totals struct {
	Currency string
	Note     string // where the currency comes from
	Subtotal string
	Tax      string
	Total    string
	// Amounts of each row, swapped out of band beside their lines ("" when unpriced).
	LineAmounts []string
	// Unpriced says which typed lines the total leaves out because a number on them cannot
	// be read ("" when none).
	Unpriced string
	// Checks are the messages beside every number field of the lines as typed ("" where the
	// number reads well or nothing is typed yet), swapped out of band.
	Checks []Check
}

// Check is the message beside one field, by its errors key.
type Check struct {
	Key     string
	Message string
}

// Decision is an approver's decision as the requester reads it.
type Decision struct {
	By      string
	At      string
	Comment string
}

// Form is the requisition form: a new one (ID 0) or the requester's editable one.
type Form struct {
	CSRF          string
	ID            int64
	Number        string
	Status        string
	Department    string
	Vendor        string
	Location      string
	NeededBy      string
	Justification string
	// FormKey is drawn when a new requisition's form is first shown and posted with it, so
	// that the form posted twice makes one requisition.
	FormKey string
	// Version is the version of the stored requisition the form was read at ("" when new).
	Version string
	// DepartmentGL is the default GL account of the department chosen ("" for none): when the
	// department changes, lines still on it move to the new department's default.
	DepartmentGL string
	Lines        []FormLine
	FocusRow     int // the row whose description gets the focus after an add; -1 for none
	// Removed is 1 + the row a removal took away (0: none): the focus goes to the row now in
	// its place, or to the Add button when it was the last.
	Removed     int
	Errors      views.FieldErrors
	Departments []Option
	VendorName  string // the chosen vendor's name
	Locations   []Option
	GLAccounts  []Option
	Totals      Totals
	Rejection   *Decision
	CanDelete   bool // a draft never submitted
	// Attach says what may be attached ("PDF, images…; up to 25 MB") when the requester may
	// attach files; "" when they may not. A new requisition offers to save the draft first.
	Attach string
}

// Action is where the form posts.
func (f Form) Action() string {
	if f.ID == 0 {
		return ListPath
	}
	return Path(f.ID)
}

// LineKey is the errors key of a row's field; models.LineField spells the same.
func LineKey(row int, field string) string { return fmt.Sprintf("line-%d-%s", row, field) }

// LineError is the message about a row's field, if any.
func (f Form) LineError(row int, field string) string { return f.Errors[LineKey(row, field)] }

// Step is one step of an approval route as the detail page shows it.
type Step struct {
	Round    int
	Position int
	Who      string // the approver, or the role any holder of which may act
	Status   string
	ActedBy  string
	At       string
	Comment  string
	Rule     string // the approval rule that put the step there; empty on the default route
}

// Line is a stored line, read-only.
type Line struct {
	Position    int
	Description string
	Quantity    string
	UnitPrice   string
	TaxRate     string
	GLAccount   string
	Amount      string
}

// Detail is a requisition's read-only page. Activity and Actions are slots other areas fill
// (comments and attachments; a "Create purchase order" button).
type Detail struct {
	CSRF          string
	ID            int64
	Title         string
	Number        string
	Status        string
	Requester     string
	Department    string
	Vendor        string
	Location      string
	NeededBy      string
	Submitted     string
	Decided       string
	Justification string
	Currency      string
	Lines         []Line
	Subtotal      string
	Tax           string
	Total         string
	Steps         []Step
	WaitingFor    string
	CanWithdraw   bool
	CanCopy       bool // the viewer may start a new draft from it
	Actions       templ.Component
	Activity      templ.Component
	HistoryURL    string // the requisition's History page
	// Stages says where its value stands once past draft ("Approved $40.00"), "" for none.
	Stages string
}

// Rounds groups the route's steps by submission round, the latest last.
func (d Detail) Rounds() [][]Step { return rounds(d.Steps) }

func rounds(steps []Step) [][]Step {
	var out [][]Step
	for _, s := range steps {
		if len(out) == 0 || out[len(out)-1][0].Round != s.Round {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], s)
	}
	return out
}

// stepClass colours a step's badge as a requisition's of the same name (approved, pending,
// rejected).
func stepClass(status string) string { return statusClass(status) }

func itoa(n int) string { return strconv.Itoa(n) }

func linesText(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}
