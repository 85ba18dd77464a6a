package models

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
	"outlay/policy"
)

// DocPayment is the document type of payment runs.
const DocPayment = outlay.DocPayment

// NumberPayment is the kind of numbered document of payment runs (document_numbers).
const NumberPayment = "payment"

// Payment run statuses (outlay's).
const (
	PaymentDraft     = outlay.PaymentDraft
	PaymentSubmitted = outlay.PaymentSubmitted
	PaymentApproved  = outlay.PaymentApproved
	PaymentRejected  = outlay.PaymentRejected
	PaymentPaid      = outlay.PaymentPaid
	PaymentCancelled = outlay.PaymentCancelled
)

// Payment methods (outlay's).
const (
	MethodACH    = outlay.MethodACH
	MethodWire   = outlay.MethodWire
	MethodCheque = outlay.MethodCheque
	MethodCard   = outlay.MethodCard
)

// PaymentMethods are the methods, in the order forms offer them.
var PaymentMethods = outlay.PaymentMethods

// PaymentMethodLabel names a method as people read it.
func PaymentMethodLabel(m string) string {
	switch m {
	case MethodACH:
		return "ACH"
	case MethodWire:
		return "Wire transfer"
	case MethodCheque:
		return "Cheque"
	case MethodCard:
		return "Card"
	}
	return m
}

// PaymentStatusLabel names a run's status as people read it.
func PaymentStatusLabel(s string) string {
	switch s {
	case PaymentDraft:
		return "Draft"
	case PaymentSubmitted:
		return "Pending approval"
	case PaymentApproved:
		return "Approved"
	case PaymentRejected:
		return "Returned"
	case PaymentPaid:
		return "Paid"
	case PaymentCancelled:
		return "Cancelled"
	}
	return s
}

// reservingPaymentStatuses are the statuses of runs whose lines hold part of a bill's open
// amount: no other run may pay it twice. A paid run's lines are in the bill's paid amount.
var reservingPaymentStatuses = []string{PaymentDraft, PaymentSubmitted, PaymentApproved, PaymentRejected}

// payableBillStatuses are the statuses of bills a run may pay.
var payableBillStatuses = []string{BillApproved, BillPartiallyPaid}

// PaymentRun is a run of payments to vendors; Lines are loaded apart.
type PaymentRun struct {
	ID          int64
	Number      string
	Currency    string
	Method      string
	DueBy       time.Time
	PayOn       time.Time
	TotalMinor  int64
	Status      string
	Memo        string
	CreatedByID int64
	// Authors are the others who submitted the run: like its maker, they never approve it.
	Authors     IDList `gorm:"->"`
	SubmittedAt *time.Time
	DecidedAt   *time.Time
	PaidOn      *time.Time
	PaidMethod  *string
	Reference   string
	PaidByID    *int64
	FileMade
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Total is the run's total as money.
func (r PaymentRun) Total() money.Money {
	return money.Money{Minor: r.TotalMinor, Currency: r.Currency}
}

// Money is minor units of the run's currency.
func (r PaymentRun) Money(minor int64) money.Money {
	return money.Money{Minor: minor, Currency: r.Currency}
}

// Submittable reports whether the clerk may send the run to approval.
func (r PaymentRun) Submittable() bool {
	return r.Status == PaymentDraft || r.Status == PaymentRejected
}

// Cancellable reports whether the run may be cancelled, releasing its bills.
func (r PaymentRun) Cancellable() bool {
	return r.Status == PaymentDraft || r.Status == PaymentSubmitted || r.Status == PaymentRejected || r.Status == PaymentApproved
}

// PaymentLine is one bill a run pays, and how much of it.
type PaymentLine struct {
	ID           int64
	PaymentRunID int64
	BillID       int64
	VendorID     int64
	AmountMinor  int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// paymentKind is the registry's entry for payment runs.
var paymentKind = &DocumentKind{
	Kind:         mustKind(DocPayment),
	Table:        "payment_runs",
	Read:         policy.Permission{Object: outlay.ObjPayments, Action: outlay.ActRead},
	Visibility:   VisibleToOwnerAndRoute,
	SeeAll:       policy.Permission{Object: outlay.ObjPaymentsAll, Action: outlay.ActRead},
	OwnerColumn:  "created_by_id",
	DraftStatus:  PaymentDraft,
	OpenStatuses: []string{PaymentDraft, PaymentSubmitted, PaymentRejected, PaymentApproved},
	Approval:     paymentApproval{},
	Queue: QueueColumns{
		Number: "d.number", Requester: "d.created_by_id", Department: "NULL::bigint",
		Counterparty: "(SELECT string_agg(DISTINCT v.name, ', ') FROM payment_lines pl JOIN vendors v ON v.id = pl.vendor_id WHERE pl.payment_run_id = d.id)",
		Summary: "CASE d.method WHEN 'ach' THEN 'ACH' WHEN 'wire' THEN 'Wire transfer' WHEN 'cheque' THEN 'Cheque' ELSE 'Card' END" +
			" || ' on ' || to_char(d.pay_on, 'FMDD Mon YYYY') || ', bills due by ' || to_char(d.due_by, 'FMDD Mon YYYY')",
		Currency: "d.currency", Total: "d.total_minor", SubmittedAt: "d.submitted_at",
	},
	Details: paymentDetails,
	// A run's History shows, beside its lines, the bank accounts copied onto it: where its
	// approver saw the money go.
	History: DocumentHistory{LinesTable: "payment_lines", LinesKey: "payment_run_id", MoreRelated: []string{"payment_run_vendors"},
		LineLabel: "coalesce((SELECT number FROM bills WHERE id = bill_id), 'Bill')", LineDescription: "coalesce((SELECT name FROM vendors WHERE id = vendor_id), '')",
		NameSQL: "SELECT id, number AS name, currency FROM payment_runs WHERE id = ANY(?)"},
}

// paymentApproval lets the approval engine route payment runs: the clerk who put a run
// together is its requester (their manager approves by default, they never approve it), and
// payment rules read its total and method.
type paymentApproval struct{}

func (paymentApproval) approvalDocument(tx *gorm.DB, id int64) (ApprovalDocument, error) {
	var r PaymentRun
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&r, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ApprovalDocument{}, outlay.NotFound("That payment does not exist.")
		}
		return ApprovalDocument{}, err
	}
	return paymentApprovalDocument(r), nil
}

func paymentApprovalDocument(r PaymentRun) ApprovalDocument {
	return ApprovalDocument{Type: DocPayment, ID: r.ID, Number: r.Number, RequesterID: r.CreatedByID, Total: r.Total(),
		PaymentMethod: r.Method, Authors: r.Authors, FiledBy: r.Authors.Last()}
}

// finish records the outcome; an approved run also takes a copy of the bank details of each
// vendor that had none of its scheme when it was submitted, so that the copy is taken when the
// run is approved at the latest.
func (paymentApproval) finish(tx *gorm.DB, id int64, outcome string, at time.Time) error {
	if err := finishDecided(tx, &PaymentRun{ID: id}, outcome, at, PaymentSubmitted, PaymentApproved, PaymentRejected, "payment"); err != nil {
		return err
	}
	if outcome != StepApproved {
		return nil
	}
	var r PaymentRun
	if err := tx.First(&r, id).Error; err != nil {
		return err
	}
	return copyRunBankAccounts(tx, r, false)
}

// paymentDetails lists a run's bills for its approver: each bill with its vendor, invoice,
// due date and what is paid of it.
func paymentDetails(tx *gorm.DB, id int64) ([]DetailLine, error) {
	lines, err := paymentLineRows(tx, id)
	if err != nil {
		return nil, err
	}
	out := make([]DetailLine, len(lines))
	for i, l := range lines {
		out[i] = DetailLine{RequisitionLine: RequisitionLine{ID: l.ID, Position: i + 1,
			Description:   fmt.Sprintf("%s · %s · invoice %s, due %s", l.BillNumber, l.VendorName, l.InvoiceNumber, l.DueDate.Format("2 Jan 2006")),
			QuantityMilli: 1000, UnitPriceMinor: l.AmountMinor, AmountMinor: l.AmountMinor}}
		if open := l.BillOpenMinor(); l.AmountMinor < open {
			out[i].Notes = []string{fmt.Sprintf("Part payment: %s of %s open", money.Money{Minor: l.AmountMinor, Currency: l.Currency},
				money.Money{Minor: open, Currency: l.Currency})}
		}
	}
	return out, nil
}

// PaymentLineRow is a run's line with its bill and vendor, as pages and bank files read it.
type PaymentLineRow struct {
	PaymentLine
	BillNumber     string
	InvoiceNumber  string
	InvoiceDate    time.Time
	DueDate        time.Time
	Currency       string
	BillTotalMinor int64
	BillPaidMinor  int64
	BillStatus     string
	VendorName     string
}

// BillOpenMinor is what is open on the line's bill now (nothing once it is void), as Bill.Open.
func (l PaymentLineRow) BillOpenMinor() int64 {
	return Bill{TotalMinor: l.BillTotalMinor, PaidMinor: l.BillPaidMinor, Status: l.BillStatus}.Open().Minor
}

func paymentLineRows(tx *gorm.DB, runIDs ...int64) ([]PaymentLineRow, error) {
	var out []PaymentLineRow
	err := tx.Raw(`SELECT pl.*, b.number AS bill_number, b.vendor_invoice_number AS invoice_number, b.invoice_date, b.due_date,
			b.currency, b.total_minor AS bill_total_minor, b.paid_minor AS bill_paid_minor, b.status AS bill_status, v.name AS vendor_name
		FROM payment_lines pl JOIN bills b ON b.id = pl.bill_id JOIN vendors v ON v.id = pl.vendor_id
		WHERE pl.payment_run_id IN ? ORDER BY pl.payment_run_id, lower(v.name), v.id, b.due_date, b.id`, runIDs).Scan(&out).Error
	return out, err
}

// VendorPayment is what a run pays one vendor: its bills, together.
type VendorPayment struct {
	VendorID   int64
	VendorName string
	Lines      []PaymentLineRow
	Total      int64
}

// InvoiceNumbers lists the vendor's invoices the payment covers, for its remittance text.
func (p VendorPayment) InvoiceNumbers() string {
	nums := make([]string, len(p.Lines))
	for i, l := range p.Lines {
		nums[i] = l.InvoiceNumber
	}
	return strings.Join(nums, " ")
}

// groupByVendor groups a run's lines (ordered by vendor) per vendor.
func groupByVendor(lines []PaymentLineRow) []VendorPayment {
	var out []VendorPayment
	for _, l := range lines {
		if len(out) == 0 || out[len(out)-1].VendorID != l.VendorID {
			out = append(out, VendorPayment{VendorID: l.VendorID, VendorName: l.VendorName})
		}
		g := &out[len(out)-1]
		g.Lines = append(g.Lines, l)
		g.Total += l.AmountMinor
	}
	return out
}
