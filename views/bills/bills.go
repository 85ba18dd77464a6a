// Package bills holds the accounts-payable bill pages: the list, the form an AP clerk keys an
// invoice into with the invoice file beside it, the bill's page with each line's match and
// the release of a held bill, and the organisation's matching settings.
package bills

import (
	"strconv"

	"github.com/a-h/templ"

	"outlay"
	"outlay/views"
	"outlay/views/requisitions"
)

// Paths of the bill pages, spelled once for the handlers and the templates.
const (
	ListPath     = "/bills"
	NewPath      = "/bills/new"
	SettingsPath = "/admin/bill-matching"
	// VendorLookupPath finds the vendors a bill may name as the clerk types.
	VendorLookupPath = "/lookup/vendors/bills"
	// OrderLookupPath finds the open order a new bill is for as the clerk types.
	OrderLookupPath = "/lookup/orders/bills"
)

// Path is a bill's page; its edit form posts to it.
func Path(id int64) string { return ListPath + "/" + strconv.FormatInt(id, 10) }

// VoidPath voids bill id.
func VoidPath(id int64) string { return Path(id) + "/void" }

// ReleasePath releases a held bill with a reason.
func ReleasePath(id int64) string { return Path(id) + "/release" }

// InvoicePath is the bill's invoice file, shown inline beside the form; uploading posts to it.
func InvoicePath(id int64) string { return Path(id) + "/invoice" }

// HistoryPath is a bill's History.
func HistoryPath(id int64) string { return Path(id) + "/history" }

// NewForOrderPath starts a bill of order id.
func NewForOrderPath(id int64) string { return NewPath + "?order=" + strconv.FormatInt(id, 10) }

// Element ids that htmx requests name in HX-Target.
const (
	ResultsID = "bill-results"
	FormID    = "bill-form"
)

// PerPage is how many bills one page of the list shows.
const PerPage = 25

// StatusLabel is how people read a bill's status.
func StatusLabel(status string) string {
	switch status {
	case outlay.BillDraft:
		return "Draft"
	case outlay.BillSubmitted:
		return "Pending approval"
	case outlay.BillApproved:
		return "Approved"
	case outlay.BillRejected:
		return "Returned"
	case outlay.BillPartiallyPaid:
		return "Partly paid"
	case outlay.BillPaid:
		return "Paid"
	case outlay.BillVoid:
		return "Void"
	}
	return status
}

func statusClass(status string) string {
	switch status {
	case outlay.BillApproved, outlay.BillPaid:
		return "badge badge-success"
	case outlay.BillSubmitted, outlay.BillPartiallyPaid:
		return "badge badge-warning"
	case outlay.BillRejected:
		return "badge badge-revoked"
	}
	return "badge badge-muted"
}

// MatchLabel is how people read a bill's (or a line's) match.
func MatchLabel(match string) string {
	switch match {
	case "matched":
		return "Matched"
	case "held":
		return "Held"
	case "released":
		return "Released"
	}
	return ""
}

func matchClass(match string) string {
	switch match {
	case "matched":
		return "badge badge-success"
	case "held":
		return "badge badge-revoked"
	case "released":
		return "badge badge-warning"
	}
	return "badge badge-muted"
}

// ModeLabel is how people read a match mode.
func ModeLabel(mode string) string {
	switch mode {
	case "two_way":
		return "Two-way (bill against order)"
	case "three_way":
		return "Three-way (bill against order and receipt)"
	}
	return ""
}

// Option is one choice of a select.
type Option = views.Option

// Tab is one status tab with its count.
type Tab = requisitions.Tab

// Filter is the list's search, status and page, as the query string carries them.
type Filter struct {
	Q      string
	Status string
	Match  string
	Page   int
}

// Active reports whether the filter narrows the list (the status tab aside).
func (f Filter) Active() bool { return f.Q != "" || f.Match != "" }

// URL is the list's address with this filter at page.
func (f Filter) URL(page int) string {
	return views.ListURL(ListPath, page, [2]string{"q", f.Q}, [2]string{"status", f.Status}, [2]string{"match", f.Match})
}

// WithStatus is the filter showing status ("" for all) from the first page.
func (f Filter) WithStatus(status string) Filter { f.Status, f.Page = status, 1; return f }

// Row is one bill in the list.
type Row struct {
	ID          int64
	Number      string
	Vendor      string
	Invoice     string
	Order       string
	InvoiceDate string
	DueDate     string
	Total       string
	Open        string
	Status      string
	Match       string
}

// List is the bills page.
type List struct {
	Summary   string
	Filter    Filter
	Tabs      []Tab
	Rows      []Row
	Total     int
	Pager     views.Pagination
	CanCreate bool
	ExportURL string // the list with its filters as a file
}

// Invoice is the invoice file shown beside the bill.
type Invoice struct {
	URL   string
	Name  string
	Image bool // an image (shown as <img>); otherwise a PDF (shown in an <iframe>)
}

// Upload is the form that attaches the invoice file, on a bill that can still change.
type Upload struct {
	CSRF   string
	Action string
	Error  string
}

// FormLine is one line of the form as typed. OrderLine is set on a bill of an order: the
// line's description is the order's and Ordered, Received and Billed tell the clerk what
// may be billed.
type FormLine struct {
	OrderLine   string
	Description string
	Quantity    string
	UnitPrice   string
	TaxRate     string
	GLAccount   string
	Department  string
	Ordered     string
	Received    string
	Billed      string
	Price       string // the ordered unit price
}

// Form is the bill form: new (ID 0) or an editable bill.
type Form struct {
	CSRF             string
	ID               int64
	Number           string
	Status           string
	FormKey          string
	Version          string // the version of the stored bill the form was read at ("" when new)
	Vendor           string
	VendorName       string // the chosen vendor's name; with an order, fixed by it
	Order            string
	OrderNumber      string
	InvoiceNumber    string
	InvoiceDate      string
	DueDate          string
	DueHint          string
	Currency         string
	Memo             string
	ConfirmDuplicate bool
	// OrderText is the chooser's text: the chosen order as it is shown, or what was typed.
	OrderText   string
	Currencies  []Option
	GLAccounts  []Option
	Departments []Option
	Lines       []FormLine
	Total       string
	Errors      views.FieldErrors
	Rejection   *Decision
}

// Action is where the form posts: the new bill's endpoint, or the bill's own page.
func (f Form) Action() string {
	if f.ID == 0 {
		return ListPath
	}
	return Path(f.ID)
}

// LineKey is the field key of line i's input (as models.LineField spells it).
func LineKey(i int, field string) string { return "line-" + strconv.Itoa(i) + "-" + field }

// Decision is an approver's decision shown on the form of a returned bill.
type Decision struct {
	By, At, Comment string
}

// Line is one line of a bill's page, with its match.
type Line struct {
	Position    int
	Description string
	Account     string // GL code and department
	Quantity    string
	UnitPrice   string
	Amount      string
	Tax         string
	Ordered     string // "10 at 3.99 · received 10", for a line of an order
	Match       string
	Note        string
}

// Detail is a bill's page.
type Detail struct {
	CSRF          string
	ID            int64
	Title         string
	Status        string
	Match         string
	MatchMode     string
	Vendor        string
	Invoice       string
	Order         string
	OrderURL      string
	InvoiceDate   string
	DueDate       string
	Currency      string
	Subtotal      string
	Tax           string
	Total         string
	Paid          string
	Open          string
	EnteredBy     string
	Submitted     string
	Decided       string
	Memo          string
	Duplicate     bool
	Released      string // "by Ada Admin on …: reason"
	Lines         []Line
	Steps         []requisitions.Step
	WaitingFor    string
	HistoryURL    string
	CanRelease    bool
	ReleaseError  string
	ReleaseReason string
	Voided        string // "By Cleo Clerk on …: reason"
	CanVoid       bool
	VoidErrors    views.FieldErrors // void_reason's refusal
	VoidReason    string
	File          *Invoice
	Upload        *Upload
	Activity      templ.Component
}

// Settings is the organisation's matching settings page.
type Settings struct {
	CSRF         string
	CanEdit      bool
	Mode         string
	PricePercent string
	PriceAmount  string
	Currency     string
	QtyPercent   string
	SpentBasis   string
	Errors       views.FieldErrors
	Saved        bool
	// RecordVersion is the version of the organisation's settings the form was read at.
	views.RecordVersion
}

func itoa(n int) string { return strconv.Itoa(n) }
