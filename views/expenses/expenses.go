// Package expenses shows expense reports: the owner's list and everyone's, the form with its
// expense, mileage and per diem lines and a receipt per line, and the read-only page.
package expenses

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"outlay"
	"outlay/views"
	"outlay/views/documents"
)

// Addresses of the expense pages.
const (
	ListPath  = outlay.ExpensesPath
	AllPath   = ListPath + "/all"
	NewPath   = ListPath + "/new"
	FormID    = "expense-form"
	ResultsID = "expense-results"
	// TotalsPath prices the form being typed; TotalsID is the total it answers with.
	TotalsPath = ListPath + "/totals"
	TotalsID   = "expense-totals"
	PerPage    = 25
)

// Path is a report's page.
func Path(id int64) string { return ListPath + "/" + strconv.FormatInt(id, 10) }

// ReceiptPath is where a line's receipt is uploaded.
func ReceiptPath(id, line int64) string {
	return fmt.Sprintf("%s/lines/%d/receipt", Path(id), line)
}

// AttachmentPath downloads one of a report's files.
func AttachmentPath(id, attachment int64) string {
	return fmt.Sprintf("%s/attachments/%d", Path(id), attachment)
}

// StatusLabel is how a status reads.
func StatusLabel(status string) string {
	switch status {
	case outlay.ExpenseDraft:
		return "Draft"
	case outlay.ExpenseSubmitted:
		return "Pending approval"
	case outlay.ExpenseReturned:
		return "Returned"
	case outlay.ExpenseWithdrawn:
		return "Withdrawn"
	case outlay.ExpenseApproved:
		return "Approved"
	case outlay.ExpenseScheduled:
		return "Scheduled for payment"
	case outlay.ExpensePaid:
		return "Paid"
	}
	return status
}

func statusClass(status string) string {
	switch status {
	case outlay.ExpenseApproved, outlay.ExpenseScheduled, outlay.ExpensePaid:
		return "badge badge-success"
	case outlay.ExpenseSubmitted:
		return "badge badge-warning"
	case outlay.ExpenseReturned:
		return "badge badge-revoked"
	}
	return "badge badge-muted"
}

// Option is one choice of a select.
type Option = views.Option

// Filter is a list's search, filters and page, as the query string carries them.
type Filter struct {
	Base       string
	Q          string
	Status     string
	Department string
	Page       int
}

// Active reports whether the filter narrows the list (the status aside).
func (f Filter) Active() bool { return f.Q != "" || f.Department != "" }

// URL is the list's address with this filter at page.
func (f Filter) URL(page int) string {
	return views.ListURL(f.Base, page, [2]string{"q", f.Q}, [2]string{"status", f.Status}, [2]string{"department", f.Department})
}

// Row is one report in a list.
type Row struct {
	ID         int64
	Number     string
	Title      string
	Status     string
	Owner      string
	Department string
	Period     string
	Total      string
	Lines      int
	Updated    string
}

// List is a list page: the owner's own (Everyone false) or everyone's submitted ones.
type List struct {
	// ExportURL downloads the whole list with its filters (every page); empty: no export.
	ExportURL   string
	Title       string
	Everyone    bool
	Summary     string
	Filter      Filter
	Departments []Option
	Rows        []Row
	Total       int
	Pager       views.Pagination
	CanCreate   bool
}

// FormLine is one line of the form as typed, with its stored id (0 when new), its receipt
// and what the owner should know of it.
type FormLine struct {
	Kind, Date, Category, Merchant, Amount, Tax, Currency, Rate, Note, Justification string
	RateAs                                                                           string // models.RatePerReportUnit: the rate is the line's currency per unit of the report's
	From, To, Distance, Unit, Days, Destination, Receipt                             string
	LineID                                                                           int64
	ReceiptName                                                                      string
	ReceiptHref                                                                      string
	Priced                                                                           string // the stored line's amount in the report's currency
	Flags                                                                            []string
	ReceiptNeeded                                                                    bool
	Hint                                                                             string // what to complete on a line offered, not yet saved
}

// Form is the report form.
type Form struct {
	ID                                                         int64
	CSRF                                                       string
	Title, Purpose, Department, PeriodFrom, PeriodTo, Currency string
	Status                                                     string
	Number                                                     string
	Lines                                                      []FormLine
	// Added is 1 + the line just added, whose first field takes the focus (0: none).
	Added int
	// Removed is 1 + the line a removal took away (0: none): the focus goes to the line now
	// in its place, or to the first Add button when it was the last (autofocus: the form is
	// sent without htmx, and the page comes again).
	Removed                                           int
	Errors                                            views.FieldErrors
	Departments, Categories, Destinations, Currencies []Option
	Total                                             string
	Threshold                                         string
	CanDelete                                         bool
	Returned                                          *Decision
	Comments                                          *documents.Comments
	Attachments                                       *documents.Attachments
	Steps                                             []Step
	HistoryURL                                        string
	Trip                                              *TripCosts
	// FormKey is drawn when a new report's form is first shown and posted with it, so that
	// the same form posted twice makes one report.
	FormKey string
	// Unsaved: the form shows what was typed and is not saved (a line added or removed, or
	// the form refused), so leaving the page asks first.
	Unsaved bool
	// Version is the version of the stored report the form was read at ("" when new).
	Version string
}

// Action is where the form posts.
func (f Form) Action() string {
	if f.ID == 0 {
		return ListPath
	}
	return Path(f.ID)
}

// Decision is who returned the report and why.
type Decision struct{ By, At, Comment string }

// Step is one step of the approval route.
type Step struct {
	Round, Position      int
	Who, Status, ActedBy string
	At, Comment, Rule    string
}

// Line is one line on the read-only page.
type Line struct {
	Position    int
	Date        string
	Kind        string
	Description string
	Category    string
	GLAccount   string
	Amount      string // in its own currency
	Converted   string // in the report's, when the currencies differ
	Rate        string
	Tax         string
	Note        string
	Receipt     *Receipt
	Flags       []string
}

// Receipt is a line's receipt: an image shown as a thumbnail, or a file linked.
type Receipt struct {
	Href  string
	Name  string
	Image bool
}

// Detail is the read-only page.
type Detail struct {
	ID                                       int64
	CSRF                                     string
	Title, Number, Status, Owner, Department string
	Name                                     string // the report's own title, as its owner typed it
	Period, Purpose, Total, Currency         string
	Submitted, Decided, WaitingFor           string
	Lines                                    []Line
	Steps                                    []Step
	HistoryURL                               string
	Trip                                     *TripCosts
	Comments                                 documents.Comments
	Attachments                              documents.Attachments
	// CanWithdraw: the viewer owns the report and it waits for approval.
	CanWithdraw bool
	// CanSendBack: the report is approved and the viewer schedules reports for payment: they
	// may send it back to its owner, with a reason, before it is paid.
	CanSendBack bool
	SendBack    SendBackForm
	// Settlement is what the report pays back, once it is approved.
	Settlement *Settlement
}

// SendBackForm is the reason an approved report is sent back with, as typed.
type SendBackForm struct {
	Reason string
	Errors views.FieldErrors
	Open   bool // shown open: it was refused
}

// OpenCard is the dashboard's card of the person's open reports.
type OpenCard struct {
	Count  int
	Totals []string
	NewURL string
}

// TotalsText is what the open reports add up to, one total per currency, each after a
// separator: " · $3,716.85 · ¥1,500".
func (c OpenCard) TotalsText() string {
	var b strings.Builder
	for _, t := range c.Totals {
		b.WriteString(" · " + t)
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// ReceiptFieldID is the element of line i's receipt, which an upload through htmx replaces.
func ReceiptFieldID(i int) string { return "receipt-field-" + strconv.Itoa(i) }

func linesText(n int) string {
	if n == 1 {
		return "1 line"
	}
	return itoa(n) + " lines"
}

// KindLabel is how people read the kind of an expense line: an expense, mileage or per diem.
func KindLabel(kind string) string {
	switch kind {
	case "mileage":
		return "Mileage"
	case "per_diem":
		return "Per diem"
	}
	return "Expense"
}

func rowField(i int, name string) string { return fmt.Sprintf("expense-%d-%s", i, name) }

var _ templ.Component

// TripCosts is a report started from a trip: what it claims against the trip's estimate,
// per estimate category.
type TripCosts struct {
	TripNumber string
	TripHref   string // "" when the trip is not linked
	// Note replaces the table when the amounts cannot be compared (another currency).
	Note  string
	Rows  []TripCostRow
	Total TripCostRow
	// PerDiemNote says when the trip's per diem can be claimed, on a report started early.
	PerDiemNote string
}

// TripCostRow is one category: estimate, actual and the difference in words.
type TripCostRow struct {
	Label, Estimate, Actual, Difference string
	Over                                bool
}

// Totals is the report's total as typed, each line's amount in the report's currency by form
// row ("" for a line not yet complete), and a note on the lines left out.
type Totals struct {
	Total, Threshold, Note string
	Lines                  []string
	RatesGood              []bool // per line: its exchange rate is not needed, or reads
}

// RateAsOptions are the two ways round a line's exchange rate may be written, naming the
// report's currency and the line's (spent) when they are known: "USD per 1 VND" (the
// report's currency per unit spent, 0.0000393) or "VND per 1 USD" (25450), as a weak
// currency's rate is quoted. The second's value is models.RatePerReportUnit.
func RateAsOptions(report, spent string) []Option {
	if report == "" {
		report = "report's currency"
	}
	if spent == "" || spent == report {
		spent = "spent currency"
	}
	return []Option{{Value: "", Label: report + " per 1 " + spent}, {Value: "per_report", Label: spent + " per 1 " + report}}
}
