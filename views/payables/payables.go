// Package payables holds the accounts-payable pages beside bills: a vendor's bank details and
// what is owed to it, payment runs and their approval, the aging of open bills across
// vendors, and accounting export batches.
package payables

import (
	"strconv"

	"github.com/a-h/templ"

	"outlay"
	"outlay/views"
)

// VendorBank is a vendor's bank details as its page shows them: masked, never whole.
type VendorBank struct {
	VendorID  int64
	Has       bool
	Scheme    string // how it is paid, as read
	Holder    string
	Account   string // masked
	BIC       string
	Routing   string
	Type      string // checking or savings
	CanUpdate bool
	CSRF      string
}

// BankPath is the vendor's bank details form.
func BankPath(vendorID int64) string { return "/vendors/" + strconv.FormatInt(vendorID, 10) + "/bank" }

// BankRemovePath forgets the vendor's bank details.
func BankRemovePath(vendorID int64) string { return BankPath(vendorID) + "/remove" }

// Where payments live.
const (
	PaymentsPath        = outlay.PaymentsPath
	NewPaymentPath      = PaymentsPath + "/new"
	PaymentSettingsPath = PaymentsPath + "/settings"
	PaymentBillsID      = "payment-bills" // the new run's bills, replaced as its header changes
	PaymentFormID       = "payment-form"
	PaidFormID          = "paid-form"
)

// PaymentPath is a run's page; its actions are below it.
func PaymentPath(id int64) string { return PaymentsPath + "/" + strconv.FormatInt(id, 10) }

// PaymentRow is one run in the list.
type PaymentRow struct {
	ID      int64
	Number  string
	Vendors string
	Method  string
	PayOn   string
	Total   string
	Status  string
	Label   string
}

// PaymentList is the list of runs.
type PaymentList struct {
	Rows      []PaymentRow
	Total     int
	CanCreate bool
	Pager     views.Pagination
	ExportURL string // the list as a file
}

// PayableBill is a bill offered to a new run, with the amount to pay typed or proposed.
type PayableBill struct {
	ID        int64
	Number    string
	Invoice   string
	Due       string
	Overdue   bool
	Total     string
	Open      string // what may still be paid of it
	Amount    string // the amount field's value
	Chosen    bool
	AmountErr string
}

// PayableVendor groups the bills offered of one vendor.
type PayableVendor struct {
	Name  string
	Bills []PayableBill
}

// NewPayment is the new run's form.
type NewPayment struct {
	CSRF       string
	Currency   string `form:"currency"`
	Currencies []views.Option
	Method     string `form:"method"`
	Methods    []views.Option
	DueBy      string `form:"due_by"`
	PayOn      string `form:"pay_on"`
	Memo       string `form:"memo"`
	Vendors    []PayableVendor
	Looked     bool // the bills were looked up (currency and date given)
	Errors     views.FieldErrors
}

// VendorPayment is what a run pays one vendor.
type VendorPayment struct {
	Name  string
	Href  string
	Total string
	Lines []PaymentLine
	Payee *Payee // the account paid; nil for a run no bank file carries
}

// Payee is the bank account a run pays one vendor, masked, as the run's page and its
// approver read it.
type Payee struct {
	Vendor  string
	Account string // "Northwind Ltd · IBAN FR14 •••• 2606"; "" when the run pays none yet
	Note    string // how the account came to be the run's, or why it has none
	Warning string // the vendor's details changed since they were copied onto the run
}

// PaymentLine is one bill a run pays.
type PaymentLine struct {
	Bill     string
	BillHref string
	Invoice  string
	Due      string
	Amount   string
	Open     string // what was open on the bill before this run, for a part payment
	Part     bool
}

// PaymentDetail is a run's page.
type PaymentDetail struct {
	// FileMade says when the bank file was first downloaded ("" when it was not):
	// cancelling the run then asks the person to say the bank will not pay from that file.
	FileMade    string
	ID          int64
	Number      string
	Status      string
	Label       string
	Method      string
	Currency    string
	DueBy       string
	PayOn       string
	Total       string
	CreatedBy   string
	Memo        string
	Paid        string // "3 Dec 2026 by ACH, reference …, marked by …"
	BankFile    string // "pain.001" or "NACHA" when one can be downloaded
	Vendors     []VendorPayment
	CSRF        string
	CanSubmit   bool
	CanCancel   bool
	CanMarkPaid bool
	PaidForm    PaidForm
	HistoryPath string
	Route       templ.Component // the approval route, as every document shows it
	Activity    templ.Component // comments and attachments, as every document has them
}

// PaidForm marks an approved run paid.
type PaidForm struct {
	Action    string
	CSRF      string
	PaidOn    string `form:"paid_on"`
	Method    string `form:"paid_method"`
	Methods   []views.Option
	Reference string `form:"reference"`
	Errors    views.FieldErrors
}

// Page addresses of a run's actions.
func PaymentSubmitPath(id int64) string   { return PaymentPath(id) + "/submit" }
func PaymentCancelPath(id int64) string   { return PaymentPath(id) + "/cancel" }
func PaymentPaidPath(id int64) string     { return PaymentPath(id) + "/paid" }
func PaymentBankFilePath(id int64) string { return PaymentPath(id) + "/bank-file" }
func PaymentHistoryPath(id int64) string  { return PaymentPath(id) + "/history" }

// PaymentStatusClass is the badge of a run's status.
func PaymentStatusClass(status string) string {
	switch status {
	case outlay.PaymentPaid:
		return "badge badge-success"
	case outlay.PaymentApproved:
		return "badge badge-active"
	case outlay.PaymentSubmitted:
		return "badge badge-warning"
	case outlay.PaymentRejected:
		return "badge badge-off"
	}
	return "badge badge-muted"
}

// AgingPath is the aging of open bills across vendors.
const AgingPath = "/bills/aging"

// AgingRow is one vendor's open bills in one currency, by bucket.
type AgingRow struct {
	Vendor  string
	Href    string
	Buckets []string
	Total   string
}

// Aging is an aging table: its bucket headings and rows.
type Aging struct {
	AsOf      string
	Labels    []string
	Rows      []AgingRow
	Summary   string
	ExportURL string // the aging page's table as a file (not on a vendor's card)
}

// VendorAP is what a vendor's page shows of what is owed to it.
type VendorAP struct {
	OpenBills []OpenBill
	Payments  []VendorPaymentRow
	Aging     Aging
}

// OpenBill is an owed bill on the vendor's page.
type OpenBill struct {
	Number, Href, Invoice, Due, Total, Open string
	Overdue                                 bool
}

// VendorPaymentRow is a payment to the vendor on its page.
type VendorPaymentRow struct {
	Number, Href, Bill, BillHref, Amount, Status, Label, Paid string
}

// ExportsPath is the accounting export page.
const ExportsPath = "/accounting/exports"

// ExportBatchPath is a batch's address; its files and re-export are below it.
func ExportBatchPath(id int64) string { return ExportsPath + "/" + strconv.FormatInt(id, 10) }

// ExportDoc is a document waiting for the next batch.
type ExportDoc struct {
	Kind, Number, Href, Party, Date, Total string
}

// ExportFile is one of a batch's downloads.
type ExportFile struct {
	Label, Href string
}

// ExportBatch is a recorded batch.
type ExportBatch struct {
	ID        int64
	Name      string
	Created   string
	By        string
	Documents int
	Reexport  string // "Re-export of batch 3", when it is one
	Files     []ExportFile
}

// Exports is the accounting export page.
type Exports struct {
	CSRF        string
	New         []ExportDoc
	Documents   int // how many documents New lists: a reimbursement batch paid in two currencies is one
	Batches     []ExportBatch
	CanCreate   bool
	CanDownload bool
	ExportURL   string // the list of batches as a file
}
