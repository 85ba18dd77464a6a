// Package purchasing holds the purchase order pages: the list with its filters, an order's
// page with receiving, closing and emailing, and the clean printable order.
package purchasing

import (
	"fmt"
	"strconv"

	"outlay"
	"outlay/views"
	"outlay/views/documents"
)

// ListPath is the list of purchase orders.
const ListPath = outlay.PurchaseOrdersPath

// VendorLookupPath finds the vendors of the list's vendor filter as the person types.
const VendorLookupPath = "/lookup/vendors/purchase-orders"

// OrderPath is an order's page.
func OrderPath(id int64) string { return ListPath + "/" + strconv.FormatInt(id, 10) }

// PrintPath is an order's printable page.
func PrintPath(id int64) string { return OrderPath(id) + "/print" }

// ReceiptsPath records a receipt against an order.
func ReceiptsPath(id int64) string { return OrderPath(id) + "/receipts" }

// ClosePath closes an order by hand.
func ClosePath(id int64) string { return OrderPath(id) + "/close" }

// TermsPath changes an order's terms, bill-to address, delivery date and notes.
func TermsPath(id int64) string { return OrderPath(id) + "/terms" }

// EmailPath emails an order to its vendor.
func EmailPath(id int64) string { return OrderPath(id) + "/email" }

// CreatePath makes an order from an approved requisition.
func CreatePath(requisitionID int64) string {
	return "/requisitions/" + strconv.FormatInt(requisitionID, 10) + "/purchase-order"
}

// Element ids htmx requests name in HX-Target.
const (
	ResultsID = "po-results"
	ReceiveID = "receive-form"
	CloseID   = "close-form"
	TermsID   = "terms-form"
)

// PerPage is how many orders one page of the list shows.
const PerPage = 25

// StatusLabel is how people read an order status.
func StatusLabel(status string) string {
	switch status {
	case outlay.POOpen:
		return "Open"
	case outlay.POPartiallyReceived:
		return "Partly received"
	case outlay.POReceived:
		return "Received"
	case outlay.POClosed:
		return "Closed"
	case outlay.POCancelled:
		return "Cancelled"
	}
	return status
}

func statusClass(status string) string {
	switch status {
	case outlay.POOpen:
		return "badge badge-active"
	case outlay.POPartiallyReceived:
		return "badge badge-warning"
	case outlay.POReceived:
		return "badge badge-success"
	}
	return "badge badge-muted"
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Filter is the list's search, filters and page, as the query string carries them.
type Filter struct {
	// Unmatched says that the vendor typed in the filter names no one, so none match.
	Unmatched bool
	Q         string
	Status    string
	Vendor    string // vendor id
	Page      int
}

// Active reports whether the filter narrows the list at all.
func (f Filter) Active() bool { return f.Q != "" || f.Status != "" || f.Vendor != "" || f.Unmatched }

// URL is the list's address with this filter at page.
func (f Filter) URL(page int) string {
	return views.ListURL(ListPath, page, [2]string{"q", f.Q}, [2]string{"status", f.Status}, [2]string{"vendor", f.Vendor})
}

// Row is one order in the list.
type Row struct {
	ID          int64
	Number      string
	Vendor      string
	Requisition string
	Requester   string
	Total       string
	Status      string
	Created     string
}

// List is the purchase orders page.
type List struct {
	// ExportURL downloads the whole list with its filters (every page); empty: no export.
	ExportURL string
	Filter    Filter
	Statuses  []Option
	// VendorName is the name of the vendor the filter chose.
	VendorName string
	Rows       []Row
	Total      int // orders matching the filter
	All        int // orders in all
	Open       int // open or partly received
}

// Summary says the counts in a sentence.
func (l List) Summary() string {
	switch {
	case l.All == 0:
		return "No purchase orders yet."
	case l.All == 1 && l.Open == 1:
		return "1 purchase order, waiting for goods."
	case l.All == 1:
		return "1 purchase order, none waiting for goods."
	case l.Open == 0:
		return outlay.Count(l.All) + " purchase orders, none waiting for goods."
	}
	return outlay.Count(l.All) + " purchase orders, " + outlay.Count(l.Open) + " waiting for goods."
}

// Pager is the list's pagination.
func (l List) Pager() views.Pagination {
	return views.Pagination{Page: l.Filter.Page, PerPage: PerPage, Total: l.Total, URL: l.Filter.URL, Target: ResultsID}
}

func matchText(n int) string {
	if n == 1 {
		return "1 order matches."
	}
	return outlay.Count(n) + " orders match."
}

// Line is one line of an order.
type Line struct {
	ID          int64
	Position    int
	Description string
	Ordered     string
	Received    string
	Remaining   string
	UnitPrice   string
	Amount      string
	Tax         string
	Complete    bool
}

// Receipt is one receipt in the order's history.
type Receipt struct {
	On    string
	By    string
	Note  string
	Lines []ReceiptLine
}

// ReceiptLine is what one receipt brought of one line.
type ReceiptLine struct {
	Position    int
	Description string
	Quantity    string
}

// ReceiveForm records goods received: a quantity per line still open.
type ReceiveForm struct {
	CSRF       string
	OrderID    int64
	Lines      []Line
	Quantities map[int64]string
	ReceivedOn string
	// FirstDay and LastDay bound the days the date picker offers (YYYY-MM-DD): the order's day
	// and today (models.ReceiptDays). The server refuses any other day all the same.
	FirstDay, LastDay string
	Note              string
	// Receipts is how many receipts the order had when the form was drawn, so that the same
	// form posted twice (a double click, a resent request) records one receipt.
	Receipts int
	Errors   views.FieldErrors
}

// Field is the name of a line's quantity input.
func (f ReceiveForm) Field(lineID int64) string { return "qty-" + strconv.FormatInt(lineID, 10) }

// CloseForm closes an order by hand, with a reason.
type CloseForm struct {
	CSRF    string
	OrderID int64
	Number  string
	Reason  string
	Errors  views.FieldErrors
	Open    bool // shown unfolded, after a refusal
}

// TermsForm edits what the order tells the vendor besides its lines.
type TermsForm struct {
	CSRF          string
	OrderID       int64
	PaymentTerms  string
	BillToAddress string
	ExpectedOn    string // YYYY-MM-DD as typed
	VendorNotes   string
	Errors        views.FieldErrors
	// RecordVersion is the version of the order the form was read at.
	views.RecordVersion
}

// Terms is the order's terms as the page shows them.
type Terms struct {
	PaymentTerms  string
	BillToAddress string
	Expected      string // "24 Dec 2026", or empty
	VendorNotes   string
}

// Detail is an order's page.
type Detail struct {
	HistoryURL      string // the order's History page
	CSRF            string
	ID              int64
	Number          string
	Status          string
	Vendor          string
	VendorHref      string // the vendor's page, for those who may read vendors
	VendorEmail     string
	VendorAddress   string
	Location        string
	LocationAddress string
	Requisition     string
	RequisitionHref string // the requisition's page, for those who may open it
	Requester       string
	CreatedBy       string
	Created         string
	Emailed         string
	EmailedVersion  string // names the last emailing, for the email button to send back
	Closed          string
	ClosedBy        string
	CloseReason     string
	Subtotal        string
	Tax             string
	Total           string
	Lines           []Line
	Receipts        []Receipt
	CanUpdate       bool
	Receivable      bool
	Closable        bool
	Receive         ReceiveForm
	Close           CloseForm
	Terms           Terms
	TermsEditable   bool // nothing received yet and the order not closed
	TermsForm       TermsForm
	Comments        documents.Comments
	Attachments     documents.Attachments
	// Stages says where the order's value stands ("Purchased $40.00 · Received $60.00");
	// BillURL starts a bill of the order, for those who enter bills.
	Stages  string
	BillURL string
}

// EmailQuestion is what the email button asks before sending.
func (d Detail) EmailQuestion() string {
	if d.Emailed != "" {
		return fmt.Sprintf("%s was already emailed on %s. Email it to %s again?", d.Number, d.Emailed, d.VendorEmail)
	}
	return fmt.Sprintf("Email %s to %s at %s?", d.Number, d.Vendor, d.VendorEmail)
}

// Print is the printable order.
type Print struct {
	Organisation    string
	Number          string
	Date            string
	Status          string
	Vendor          string
	VendorContact   string
	VendorEmail     string
	VendorAddress   string
	Location        string
	LocationAddress string
	Requisition     string
	Requester       string
	Lines           []Line
	Subtotal        string
	Tax             string
	Total           string
	Back            string
	Terms           Terms
}

func totalSpan(receiving bool) string {
	if receiving {
		return "7"
	}
	return "5"
}

// OrderActions is what a requisition's page offers about its purchase order.
type OrderActions struct {
	CSRF          string
	RequisitionID int64
	CanCreate     bool  // approved, and the person may create orders
	OrderID       int64 // the order made from it, when the person may see orders
	OrderNumber   string
}

// ToOrderPath is the list of approved requisitions waiting for their order.
const ToOrderPath = ListPath + "/to-order"

// ToOrderResultsID is the element of the waiting list that its pages replace.
const ToOrderResultsID = "to-order-results"

// ToOrderRow is one approved requisition waiting for its order.
type ToOrderRow struct {
	ID            int64
	Href          string
	Number        string
	Justification string
	Requester     string
	Department    string
	Vendor        string
	Total         string
	Approved      string
	NeededBy      string
}

// ToOrder is the page of approved requisitions waiting for their order.
type ToOrder struct {
	CSRF      string
	Page      int
	Rows      []ToOrderRow
	Total     int
	ExportURL string // the list as a file
}

// Summary says how many wait, in a sentence.
func (l ToOrder) Summary() string {
	switch l.Total {
	case 0:
		return "No approved requisition is waiting for an order."
	case 1:
		return "1 approved requisition is waiting for its order."
	}
	return outlay.Count(l.Total) + " approved requisitions are waiting for their orders, longest waiting first."
}

// Pager is the waiting list's pagination.
func (l ToOrder) Pager() views.Pagination {
	return views.Pagination{Page: l.Page, PerPage: PerPage, Total: l.Total, Target: ToOrderResultsID,
		URL: func(page int) string { return views.ListURL(ToOrderPath, page) }}
}

// orDash is a value, or a dash where there is none.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
