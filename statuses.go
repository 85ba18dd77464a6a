package outlay

// Requisition statuses: a draft is its requester's alone; pending is in approval; an
// approver approves or rejects it; the requester may withdraw it while pending; an approved
// requisition is ordered (a purchase order is made from it) or cancelled.
const (
	RequisitionDraft     = "draft"
	RequisitionPending   = "pending"
	RequisitionApproved  = "approved"
	RequisitionRejected  = "rejected"
	RequisitionWithdrawn = "withdrawn"
	RequisitionOrdered   = "ordered"
	RequisitionCancelled = "cancelled"
)

// RequisitionStatuses are the requisition statuses in the order lists offer them.
var RequisitionStatuses = []string{RequisitionDraft, RequisitionPending, RequisitionApproved, RequisitionRejected, RequisitionWithdrawn, RequisitionOrdered, RequisitionCancelled}

// Purchase order statuses.
const (
	POOpen              = "open"
	POPartiallyReceived = "partially_received"
	POReceived          = "received"
	POClosed            = "closed"
	POCancelled         = "cancelled"
)

// PurchaseOrderStatuses are the purchase order statuses in the order lists offer them.
var PurchaseOrderStatuses = []string{POOpen, POPartiallyReceived, POReceived, POClosed, POCancelled}

// Travel request statuses: a draft is its traveller's (and filer's) alone; submitted is in
// approval; an approver approves it or rejects it (returning it to the traveller); the
// traveller may withdraw it while submitted, and cancel it once approved if it will not take
// place.
const (
	TravelDraft     = "draft"
	TravelSubmitted = "submitted"
	TravelApproved  = "approved"
	TravelRejected  = "rejected" // returned to the traveller by an approver
	TravelWithdrawn = "withdrawn"
	TravelCancelled = "cancelled" // an approved trip that will not take place
)

// TravelStatuses are the travel request statuses in the order lists offer them.
var TravelStatuses = []string{TravelDraft, TravelSubmitted, TravelApproved, TravelRejected, TravelWithdrawn, TravelCancelled}

// Expense report statuses: a draft is its owner's alone; submitted is in approval; an
// approver approves it or returns it (the owner changes it and submits again), or the owner
// withdraws it while it waits (and may change it and submit it again); approved reports are
// scheduled into a reimbursement batch and then paid.
const (
	ExpenseDraft     = "draft"
	ExpenseSubmitted = "submitted"
	ExpenseApproved  = "approved"
	ExpenseReturned  = "returned"
	ExpenseWithdrawn = "withdrawn"
	ExpenseScheduled = "scheduled"
	ExpensePaid      = "paid"
)

// ExpenseStatuses are the expense report statuses in the order lists offer them.
var ExpenseStatuses = []string{ExpenseDraft, ExpenseSubmitted, ExpenseReturned, ExpenseWithdrawn, ExpenseApproved, ExpenseScheduled, ExpensePaid}

// Reimbursement batch statuses: scheduled (its reports wait to be paid and may still be taken
// out), then paid.
const (
	BatchScheduled = "scheduled"
	BatchPaid      = "paid"
)

// How a reimbursement batch is paid.
const (
	ReimburseByBankTransfer = "bank_transfer"
	ReimburseByCheque       = "cheque"
	ReimburseByPayroll      = "payroll"
	ReimburseOtherwise      = "other"
)

// ReimbursementMethods are the ways a batch is paid, in the order forms offer them.
var ReimbursementMethods = []string{ReimburseByBankTransfer, ReimburseByCheque, ReimburseByPayroll, ReimburseOtherwise}

// Approval step statuses: a step waits for the ones before it, is pending while its
// approver may decide it, and ends approved, rejected, skipped or cancelled.
const (
	StepWaiting   = "waiting"
	StepPending   = "pending"
	StepApproved  = "approved"
	StepRejected  = "rejected"
	StepSkipped   = "skipped"
	StepCancelled = "cancelled"
)

// Bill statuses: a draft is the AP clerk's; submitted is in bill approval; an approver
// approves it or rejects it (back to the clerk, editable); approved bills are paid, in part
// or in full, by payments; a void bill counts for nothing.
const (
	BillDraft         = "draft"
	BillSubmitted     = "submitted" // in bill approval
	BillApproved      = "approved"
	BillRejected      = "rejected" // returned to the clerk by an approver, editable
	BillPartiallyPaid = "partially_paid"
	BillPaid          = "paid"
	BillVoid          = "void"
)

// BillStatuses are the bill statuses in the order lists offer them.
var BillStatuses = []string{BillDraft, BillSubmitted, BillApproved, BillRejected, BillPartiallyPaid, BillPaid, BillVoid}

// Payment run statuses: a draft is the AP clerk's; submitted is in payment approval; an
// approver approves it or rejects it (back to the clerk, who submits it again or cancels
// it); an approved run is marked paid, or cancelled, which frees the bills it held.
const (
	PaymentDraft     = "draft"
	PaymentSubmitted = "submitted" // in payment approval
	PaymentApproved  = "approved"
	PaymentRejected  = "rejected" // returned to the clerk by an approver
	PaymentPaid      = "paid"
	PaymentCancelled = "cancelled"
)

// PaymentStatuses are the payment run statuses in the order lists offer them.
var PaymentStatuses = []string{PaymentDraft, PaymentSubmitted, PaymentApproved, PaymentRejected, PaymentPaid, PaymentCancelled}

// Payment methods.
const (
	MethodACH    = "ach"
	MethodWire   = "wire"
	MethodCheque = "cheque"
	MethodCard   = "card"
)

// PaymentMethods are the methods, in the order forms offer them.
var PaymentMethods = []string{MethodACH, MethodWire, MethodCheque, MethodCard}
