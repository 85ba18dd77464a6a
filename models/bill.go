package models

import (
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
	"outlay/policy"
)

// A bill is a vendor's invoice, keyed in by an AP clerk: against a purchase order (its lines
// bill the order's lines and are matched to what was ordered and received) or coded straight
// to GL accounts and departments. It is saved as a draft (taking its BILL- number at once, so
// the invoice file can be attached to it), then submitted: the match decides whether it is
// matched or held, and bill approval rules route it. A bill matched to its order that no rule
// routes is approved at once; a held bill and a bill without an order always go to approval
// (their rules, else the clerk's manager, else the admins), though someone holding
// bills.release may release a held bill with a reason. Approved bills are paid
// (partially_paid, paid) by payments.

// DocBill is the kind of document of bills.
const DocBill = outlay.DocBill

// Bill statuses, as the vocabulary names them (package outlay).
const (
	BillDraft         = outlay.BillDraft
	BillSubmitted     = outlay.BillSubmitted
	BillApproved      = outlay.BillApproved
	BillRejected      = outlay.BillRejected
	BillPartiallyPaid = outlay.BillPartiallyPaid
	BillPaid          = outlay.BillPaid
	BillVoid          = outlay.BillVoid
)

// billedStatuses are the statuses of bills that take their order's quantities: a bill in
// approval already has, so that the same goods are not billed twice while it waits. Drafts,
// returned and void bills do not.
var billedStatuses = []string{BillSubmitted, BillApproved, BillPartiallyPaid, BillPaid}

// How a bill counts in budgets, in stage figures and in the spend report: one rule for all
// of them, as a finance team reads an invoice. A bill approved, or paid in part or in full
// since, has spent its lines (the organisation owes the vendor; it is in the ledger); a bill
// submitted and waiting for approval only commits them (invoiced, but nobody has agreed to
// pay it yet), as a requisition approved and not yet ordered does; drafts, returned
// (rejected) and void bills count nowhere. So a bill returned from approval gives back what
// it committed, and a bill voided after approval (never once paid) gives back what it spent,
// as a cancelled order does.
var (
	billSpentStatuses     = []string{BillApproved, BillPartiallyPaid, BillPaid}
	billCommittedStatuses = []string{BillSubmitted}
)

// billsWithoutOrder is how the spend report reads the lines of bills without an order in
// statuses (bi the bill, l its line): by the line's department and GL account and the bill's
// vendor, on the bill's invoice date (the day budgets count it by), tax included, in the
// bill's currency as stored. Bills of an order are never read here: their value is the
// order's (see SpendStages).
func billsWithoutOrder(statuses []string) *CommittedSpend {
	return &CommittedSpend{From: "bills bi JOIN bill_lines l ON l.bill_id = bi.id",
		Where: "bi.purchase_order_id IS NULL AND bi.status IN " + sqlList(statuses), Department: "l.department_id",
		Vendor: "bi.vendor_id", GLAccount: "l.gl_account_id", Day: "bi.invoice_date", Currency: "bi.currency",
		Amount: "l.amount_minor + l.tax_minor"}
}

// openBillStatuses are the clerk's bills the dashboard counts.
var openBillStatuses = []string{BillDraft, BillSubmitted, BillRejected}

// Match modes: how a bill's order lines are compared.
const (
	MatchTwoWay   = "two_way"   // bill against order
	MatchThreeWay = "three_way" // bill against order and what was received
)

// Match statuses of a bill (and, but for released, of its lines).
const (
	MatchNone     = "none"    // no order, or not yet matched
	MatchMatched  = "matched" // within tolerance
	MatchHeld     = "held"    // outside tolerance: the reason is on each held line
	MatchReleased = "released"
)

// What a budget counts as spent (org_settings.budget_spent_basis).
const (
	SpentReceived = "received"
	SpentBilled   = "billed"
)

// NumberBill is the kind of numbered document of bills (document_numbers).
const NumberBill = "bill"

// Bill is a vendor's invoice: its header; Lines are loaded apart.
type Bill struct {
	ID                  int64
	Number              string
	VendorID            int64
	PurchaseOrderID     *int64
	VendorInvoiceNumber string
	InvoiceDate         time.Time
	DueDate             time.Time
	Currency            string
	SubtotalMinor       int64
	TaxMinor            int64
	TotalMinor          int64
	PaidMinor           int64
	Status              string
	MatchMode           *string
	MatchStatus         string
	VarianceBP          int `gorm:"column:variance_bp"`
	DuplicateConfirmed  bool
	// DuplicateConfirmedOfID is the bill it was confirmed not to duplicate (nil for a
	// confirmation older than this column: whichever was found then).
	DuplicateConfirmedOfID *int64
	InvoiceAttachmentID    *int64
	Memo                   string
	EnteredByID            int64
	// Authors are the others who changed or submitted the bill (migration 00120): like its
	// clerk, they never approve it. Written only by addAuthor.
	Authors       IDList `gorm:"->"`
	SubmittedAt   *time.Time
	DecidedAt     *time.Time
	ReleasedByID  *int64
	ReleasedAt    *time.Time
	ReleaseReason string
	VoidedByID    *int64
	VoidedAt      *time.Time
	VoidReason    string
	FormKey       *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Lines         []BillLine `gorm:"-"`
}

// Total is the bill's total as money.
func (b Bill) Total() money.Money { return money.Money{Minor: b.TotalMinor, Currency: b.Currency} }

// Open is what is still to be paid: nothing on a void bill, which is owed no more.
func (b Bill) Open() money.Money {
	if b.Status == BillVoid {
		return money.Money{Currency: b.Currency}
	}
	return money.Money{Minor: b.TotalMinor - b.PaidMinor, Currency: b.Currency}
}

// Money is minor units of the bill's currency.
func (b Bill) Money(minor int64) money.Money { return money.Money{Minor: minor, Currency: b.Currency} }

// Editable reports whether the clerk may still change the bill.
func (b Bill) Editable() bool { return b.Status == BillDraft || b.Status == BillRejected }

// Voidable reports whether the bill may still be voided as far as it alone says: not paid in
// any part and not void already. A payment run that pays it or an accounting export that
// carried it refuses the void too (VoidBill).
func (b Bill) Voidable() bool {
	return b.PaidMinor == 0 && (b.Status == BillDraft || b.Status == BillSubmitted || b.Status == BillRejected || b.Status == BillApproved)
}

// Releasable reports whether the bill waits in approval because its match held it.
func (b Bill) Releasable() bool { return b.Status == BillSubmitted && b.MatchStatus == MatchHeld }

// BillLine is one line of a bill.
type BillLine struct {
	ID                  int64
	BillID              int64
	Position            int
	PurchaseOrderLineID *int64
	Description         string
	QuantityMilli       money.Quantity
	UnitPriceMinor      int64
	TaxRateBP           int `gorm:"column:tax_rate_bp"`
	AmountMinor         int64
	TaxMinor            int64
	GLAccountID         *int64 `gorm:"column:gl_account_id"`
	DepartmentID        *int64
	MatchStatus         string
	MatchNote           string
	PriceVarianceBP     int `gorm:"column:price_variance_bp"`
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// billKind is the registry's entry for bills (documentKinds).
var billKind = &DocumentKind{
	Kind:         mustKind(DocBill),
	Table:        "bills",
	Read:         policy.Permission{Object: outlay.ObjBills, Action: outlay.ActRead},
	Visibility:   VisibleToOwnerAndRoute,
	SeeAll:       policy.Permission{Object: outlay.ObjBillsAll, Action: outlay.ActRead},
	OwnerColumn:  "entered_by_id",
	DraftStatus:  BillDraft,
	OpenStatuses: openBillStatuses,
	Approval:     billApproval{},
	Queue: QueueColumns{
		From:   "JOIN vendors vd ON vd.id = d.vendor_id",
		Number: "d.number", Requester: "d.entered_by_id",
		Department:   "(SELECT bl.department_id FROM bill_lines bl WHERE bl.bill_id = d.id AND bl.department_id IS NOT NULL ORDER BY bl.position LIMIT 1)",
		Counterparty: "vd.name",
		Summary:      "'Invoice ' || d.vendor_invoice_number || CASE d.match_status WHEN 'held' THEN ' · held by its match' WHEN 'matched' THEN ' · matched' ELSE '' END",
		Currency:     "d.currency", Total: "d.total_minor", SubmittedAt: "d.submitted_at",
	},
	Details:   billDetails,
	Budget:    billBudgetUse,
	Committed: billsWithoutOrder(billCommittedStatuses),
	Spent:     billsWithoutOrder(billSpentStatuses),
	// A bill is counted in the budget of its invoice date (billBudgetUse), so it is checked
	// against that one.
	BudgetDay: func(tx *gorm.DB, id int64) (time.Time, error) {
		var day time.Time
		err := tx.Raw(`SELECT invoice_date FROM bills WHERE id = ?`, id).Scan(&day).Error
		return day, err
	},
	History: DocumentHistory{LinesTable: "bill_lines", LinesKey: "bill_id",
		NameSQL: "SELECT id, number AS name, currency FROM bills WHERE id = ANY(?)"},
}

// billApproval lets the approval engine route bills. The clerk who entered a bill is its
// requester: their manager approves by default, and they never approve it themselves.
type billApproval struct{}

func (billApproval) approvalDocument(tx *gorm.DB, id int64) (ApprovalDocument, error) {
	var b Bill
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&b, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ApprovalDocument{}, outlay.NotFound("That bill does not exist.")
		}
		return ApprovalDocument{}, err
	}
	var lines []BillLine
	if err := tx.Where("bill_id = ?", id).Order("position").Find(&lines).Error; err != nil {
		return ApprovalDocument{}, err
	}
	return billApprovalDocument(b, lines), nil
}

// billApprovalDocument is what routing reads of a bill: its first line's department, every
// line's GL account, its vendor, whether the match held it and its largest price variance.
func billApprovalDocument(b Bill, lines []BillLine) ApprovalDocument {
	vendor := b.VendorID
	doc := ApprovalDocument{Type: DocBill, ID: b.ID, Number: b.Number, RequesterID: b.EnteredByID, Total: b.Total(),
		Authors: b.Authors, FiledBy: b.Authors.Last(),
		VendorID: &vendor, Held: b.MatchStatus == MatchHeld,
		Matched: b.PurchaseOrderID != nil && b.MatchStatus == MatchMatched, VarianceBP: b.VarianceBP}
	for _, l := range lines {
		if doc.DepartmentID == nil && l.DepartmentID != nil {
			d := *l.DepartmentID
			doc.DepartmentID = &d
		}
		doc.Lines = append(doc.Lines, ApprovalLine{GLAccountID: l.GLAccountID, DepartmentID: l.DepartmentID, Amount: l.AmountMinor + l.TaxMinor})
	}
	return doc
}

func (billApproval) finish(tx *gorm.DB, id int64, outcome string, at time.Time) error {
	return finishDecided(tx, &Bill{ID: id}, outcome, at, BillSubmitted, BillApproved, BillRejected, "bill")
}

// billDetails lists a bill's lines for its approver, each held line with its reason.
func billDetails(tx *gorm.DB, id int64) ([]DetailLine, error) {
	var lines []struct {
		BillLine
		GLCode string
	}
	if err := tx.Raw(`SELECT l.*, COALESCE(g.code, '') AS gl_code FROM bill_lines l
		LEFT JOIN gl_accounts g ON g.id = l.gl_account_id WHERE l.bill_id = ? ORDER BY l.position`, id).Scan(&lines).Error; err != nil {
		return nil, err
	}
	out := make([]DetailLine, len(lines))
	for i, l := range lines {
		out[i] = DetailLine{GLCode: l.GLCode, DepartmentID: l.DepartmentID, RequisitionLine: RequisitionLine{ID: l.ID, Position: l.Position, Description: l.Description,
			QuantityMilli: l.QuantityMilli, UnitPriceMinor: l.UnitPriceMinor, TaxRateBP: l.TaxRateBP, GLAccountID: l.GLAccountID,
			AmountMinor: l.AmountMinor, TaxMinor: l.TaxMinor}}
		if l.MatchStatus == MatchHeld && l.MatchNote != "" {
			out[i].Notes = []string{"Held: " + l.MatchNote}
		}
	}
	return out, nil
}

// billBudgetUse: bills without an order spend their lines, tax included, against the budget
// of each line's department and GL account, from their invoice date, once approved, and
// commit them while in approval (billSpentStatuses, billCommittedStatuses). Bills of an order
// are counted with the order (orderedValue), never twice.
func billBudgetUse(tx *gorm.DB, ids []int64, _ ApprovalDocument) ([]BudgetUse, error) {
	var out []BudgetUse
	err := tx.Raw(`SELECT b.id AS budget_id, bi.id AS doc_id, bi.number, bi.status,
			COALESCE(SUM(l.amount_minor + l.tax_minor) FILTER (WHERE bi.status IN @spent), 0) AS spent,
			COALESCE(SUM(l.amount_minor + l.tax_minor) FILTER (WHERE bi.status IN @committed), 0) AS committed
		`+billsInBudgetsSQL+`
		GROUP BY b.id, bi.id ORDER BY b.id, bi.id`, billsInBudgetsArgs(ids)).Scan(&out).Error
	for i := range out {
		out[i].DocType = DocBill
	}
	return out, err
}

// billsInBudgetsSQL reads, for each budget b of @ids, the lines l of the bills bi without an
// order that count in it: coded to its department and GL account, in its currency, dated in
// its period, spent (@spent) or committed (@committed) as billsInBudgetsArgs says.
const billsInBudgetsSQL = `FROM budgets b
		JOIN bill_lines l ON l.department_id = b.department_id AND l.gl_account_id = b.gl_account_id
		JOIN bills bi ON bi.id = l.bill_id AND bi.currency = b.currency
		WHERE b.id IN @ids AND bi.purchase_order_id IS NULL AND (bi.status IN @spent OR bi.status IN @committed)
			AND bi.invoice_date BETWEEN b.period_start AND b.period_end`

// billsInBudgetsArgs are billsInBudgetsSQL's arguments for the budgets ids.
func billsInBudgetsArgs(ids []int64) map[string]any {
	return map[string]any{"ids": ids, "spent": billSpentStatuses, "committed": billCommittedStatuses}
}
