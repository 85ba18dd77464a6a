package models

import (
	"slices"
	"time"

	"outlay"
	"outlay/money"
)

// Approval step kinds: who a step waits for.
const (
	StepUser           = "user"            // a named person
	StepRole           = "role"            // anyone holding a role
	StepManager        = "manager"         // the requester's manager
	StepDepartmentHead = "department_head" // the head of the document's department
)

// Approval step statuses, as the vocabulary names them (package outlay).
const (
	StepWaiting   = outlay.StepWaiting
	StepPending   = outlay.StepPending
	StepApproved  = outlay.StepApproved
	StepRejected  = outlay.StepRejected
	StepSkipped   = outlay.StepSkipped
	StepCancelled = outlay.StepCancelled
)

// Budget check outcomes a rule asks for at the last approval.
const (
	BudgetCheckNone  = "none"
	BudgetCheckWarn  = "warn"
	BudgetCheckBlock = "block"
)

// ApprovalRule routes documents of one kind that meet its conditions through its steps.
type ApprovalRule struct {
	ID             int64
	DocType        string
	Name           string
	Priority       int
	DepartmentID   *int64
	GLAccountID    *int64 `gorm:"column:gl_account_id"`
	Currency       string
	MinAmountMinor *int64
	MaxAmountMinor *int64
	// Bill conditions: the vendor; whether the bill is held by its match (nil: either); the
	// least unit-price variance over the order, in basis points.
	VendorID      *int64
	Held          *bool
	MinVarianceBP *int `gorm:"column:min_variance_bp"`
	// PaymentMethod, on a payment rule, limits it to runs paid that way (nil: any).
	PaymentMethod *string
	BudgetCheck   string
	Active        bool
	ArchivedAt    *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Steps         []ApprovalRuleStep `gorm:"-"`
}

// ApprovalRuleStep is one step of a rule, in order.
type ApprovalRuleStep struct {
	ID       int64
	RuleID   int64
	Position int
	Kind     string
	UserID   *int64
	Role     *string
}

// ApprovalStep is one step of one submitted document's route.
type ApprovalStep struct {
	ID         int64
	DocType    string
	DocID      int64
	Round      int
	Position   int
	RuleID     *int64
	Kind       string
	ApproverID *int64
	Role       *string
	Status     string
	ActedBy    *int64
	OnBehalfOf *int64
	Comment    string
	ActedAt    *time.Time
	// DocTotalMinor is the document's total the route was built for, in its own currency's
	// minor units: the queue filters by amount on the step alone (migration 00110).
	DocTotalMinor int64
	// DocRequesterID and DocFilerID are who the document belongs to, its requester and
	// whoever filed it for them (nil when the requester did): the queue leaves out a
	// viewer's own documents by the step alone (migration 00112).
	DocRequesterID int64
	DocFilerID     *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ApprovalDelegation lets DelegateID act for UserID from StartsOn to EndsOn inclusive.
type ApprovalDelegation struct {
	ID         int64
	UserID     int64
	DelegateID int64
	StartsOn   time.Time
	EndsOn     time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ApprovalDocument is what the approval engine knows of a document: enough to route it and
// to check its budget.
type ApprovalDocument struct {
	Type        string
	ID          int64
	Number      string
	RequesterID int64
	// FiledBy is whoever filed the document for its requester (0 when the requester did):
	// like the requester, they never approve it.
	FiledBy int64
	// Authors are others who changed or submitted it (bills, payment runs); they never
	// approve it either. FiledBy is the last of them.
	Authors      []int64
	DepartmentID *int64
	Total        money.Money
	// Lines' GL accounts and amounts, for GL conditions and the budget check.
	Lines []ApprovalLine
	// VendorID, Held, Matched and VarianceBP are what vendor, match and variance conditions
	// read (bills): the counterparty, whether the match held the document, whether it was
	// matched to its order within tolerance (a bill without an order is neither), and its
	// largest unit-price variance over the order in basis points.
	VendorID   *int64
	Held       bool
	Matched    bool
	VarianceBP int
	// PaymentMethod is what a payment rule's method condition reads (payments).
	PaymentMethod string
	// requester is the requester as DecideStep read them with the step, so that telling them
	// of the decision reads nobody again; nil: read them when they are told.
	requester *docRequester
}

// own are the people the document is theirs (its requester, whoever filed it for them, its
// other authors): none of them may decide a step of it, nor is told one waits for them.
func (d ApprovalDocument) own() []int64 {
	own := append([]int64{d.RequesterID}, d.Authors...)
	if d.FiledBy != 0 {
		own = append(own, d.FiledBy)
	}
	return own
}

// Departments are the departments doc is charged to: its own, then its lines' own (a bill's
// lines each have one), each once, in the order of the lines. Department conditions and
// department-head steps read them.
func (doc ApprovalDocument) Departments() []int64 {
	var out []int64
	add := func(d *int64) {
		if d != nil && !slices.Contains(out, *d) {
			out = append(out, *d)
		}
	}
	add(doc.DepartmentID)
	for _, l := range doc.Lines {
		add(l.DepartmentID)
	}
	return out
}

// docRequester is a document's requester as a notification names and reaches them.
type docRequester struct {
	ID          int64
	Name, Email string
	// Active: they may still sign in (and so be told).
	Active bool
}

// ApprovalLine is one line's share of a document's spend.
type ApprovalLine struct {
	GLAccountID *int64
	// DepartmentID is the line's own department (a bill's lines each have one); nil: the
	// document's.
	DepartmentID *int64
	Amount       int64 // minor units, tax included
}
