package expenses

import (
	"strconv"

	"outlay"
	"outlay/views"
)

// Addresses of the reimbursement pages and of a person's bank account.
const (
	ReimbursementsPath   = "/expenses/reimbursements"
	NewReimbursementPath = "/expenses/reimbursements/new"
	ReimbursementsID     = "reimbursement-results"
	NewBatchID           = "new-batch"
	BankAccountPath      = "/settings/bank-account"
	OrgBankAccountPath   = "/admin/settings/bank-account"
	BatchesPerPage       = 25
)

// BatchPath is a batch's page.
func BatchPath(id int64) string { return ReimbursementsPath + "/" + strconv.FormatInt(id, 10) }

// ReportField names a report's box on the new batch form, and its refusal (ReportField(id)
// in the form's errors, shown beside the box).
func ReportField(id int64) string { return "report-" + strconv.FormatInt(id, 10) }

// WithdrawPath withdraws a report from approval.
func WithdrawPath(id int64) string { return Path(id) + "/withdraw" }

// BatchStatusLabel is how a batch's status reads.
func BatchStatusLabel(status string) string {
	if status == outlay.BatchPaid {
		return "Paid"
	}
	return "Scheduled"
}

// BatchRow is one batch in the list.
type BatchRow struct {
	ID      int64
	Number  string
	Status  string
	Reports int
	Totals  []string // net amounts, one per currency
	Created string
	Paid    string // "4 Dec 2026 · bank transfer"; "" until paid
}

// BatchList is the list of batches.
type BatchList struct {
	Q         string
	Rows      []BatchRow
	Total     int
	Pager     views.Pagination
	CanCreate bool
	Ready     int    // approved reports waiting for a batch
	ExportURL string // the list with its search as a file
}

// BatchLine is one report of a batch, or one offered for a new batch.
type BatchLine struct {
	ID         int64
	Number     string
	Title      string
	Href       string
	Owner      string
	Email      string
	Total      string
	Advance    string // "" when no advance was netted
	Net        string
	Currency   string
	Approved   string
	NoAccount  bool // the owner keeps no bank account
	InFile     bool // the batch's SEPA file pays it (a euro report that pays something)
	CanRemove  bool
	IsSelected bool
	Refused    string // why a new batch cannot take it (the form refused), "" otherwise
}

// Batch is a batch's page: its reports, totals, files and, until it is paid, the form that
// marks it paid.
type Batch struct {
	ID        int64
	CSRF      string
	Number    string
	Status    string
	CreatedBy string
	Created   string
	Paid      []Fact // how it was paid, once it is
	Lines     []BatchLine
	Totals    []Fact // per currency: the currency and the amount to pay
	// Missing names the people with a euro report and no bank account: the payment file
	// cannot be made until they add one.
	Missing []string
	HasEuro bool
	// FileMade says when the SEPA file was first downloaded ("" when it was not): taking a
	// report out then asks the person to say the bank will not pay it from that file.
	FileMade  string
	CanUpdate bool
	CanExport bool
	Pay       PayForm
}

// Fact is a labelled value.
type Fact struct{ Label, Value string }

// PayForm marks a batch paid.
type PayForm struct {
	PaidOn    string
	Method    string
	Reference string
	Methods   []Option
	Errors    views.FieldErrors
}

// NewBatch offers the approved reports not yet in a batch, to tick. Refused, it shows
// every report that was ticked again, ticked, those that cannot go in first.
type NewBatch struct {
	CSRF   string
	Lines  []BatchLine
	More   int               // approved reports beyond those shown
	Errors views.FieldErrors // "": about the whole choice; "reports": nothing chosen
}

// BankAccount is a person's bank account page.
type BankAccount struct {
	CSRF    string
	Holder  string
	IBAN    string
	BIC     string
	Masked  string // the stored IBAN, masked; "" when none is kept
	StoredB string // the stored BIC
	StoredH string // the stored holder
	// PasswordSet and CodeSet are what the person proves who they are with before a change:
	// their password, a code from their app (security.ConfirmField).
	PasswordSet, CodeSet bool
	// ReadOnly shows the account without the forms that change it: the organisation is
	// read-only.
	ReadOnly bool
	Errors   views.FieldErrors
	// RemoveErrors is the refusal of a removal, beside its own confirmation field
	// (RemoveConfirmField), so that it is not shown on the change form.
	RemoveErrors views.FieldErrors
	// Unavailable says why accounts cannot be kept (no secret key); "" when they can.
	Unavailable string
}

// RemoveConfirmField names the removal form's confirmation field on the bank account page,
// and its message, apart from the change form's "confirm".
const RemoveConfirmField = "remove-confirm"

// Settlement is what a report's page says of its payment: its total, the advances netted,
// what is paid back, and the batch that pays it.
type Settlement struct {
	Total     string
	Advance   string   // "" without advances
	Trips     []string // the trips whose advances it nets
	Reimburse string
	Batch     string // "RB-000003, paid 4 Dec 2026 by bank transfer (ref …)"
	BatchHref string // the batch's page, for those who may open it
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
