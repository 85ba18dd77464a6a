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

// A travel request asks for a trip before it is taken. It belongs to its traveller; someone
// holding "File travel for others" (travel.others create) may file it for another person, and
// then both of them see it and may change it while it is editable. It goes through the same
// approval engine, rules, queue, comments, attachments and History as a requisition: saved as
// a draft, submitted (it takes its TRV- number), then approved, or rejected, which returns it
// to the traveller to change and submit again; while it waits it can be withdrawn. An
// approved trip's estimated total is committed against its department's budget for its GL
// account.

// DocTravel is the kind of document of travel requests.
const DocTravel = outlay.DocTravel

// Travel request statuses, as the vocabulary names them (package outlay).
const (
	TravelDraft     = outlay.TravelDraft
	TravelSubmitted = outlay.TravelSubmitted
	TravelApproved  = outlay.TravelApproved
	TravelRejected  = outlay.TravelRejected
	TravelWithdrawn = outlay.TravelWithdrawn
	TravelCancelled = outlay.TravelCancelled
)

// openTravelStatuses are the traveller's trips the dashboard counts (approved ones only until
// they are over: the kind's OpenCondition).
var openTravelStatuses = []string{TravelDraft, TravelSubmitted, TravelRejected, TravelWithdrawn, TravelApproved}

// NumberTravel is the kind of numbered document of travel requests (document_numbers).
const NumberTravel = "travel"

// Travel modes of a leg.
const (
	ModeAir   = "air"
	ModeRail  = "rail"
	ModeCar   = "car"
	ModeOther = "other"
)

// TravelModes in the order the form offers them.
var TravelModes = []string{ModeAir, ModeRail, ModeCar, ModeOther}

// Estimate categories of a trip, in the order pages show them.
const (
	CostAirfare = "airfare"
	CostLodging = "lodging"
	CostGround  = "ground"
	CostMeals   = "meals"
	CostOther   = "other"
)

// TravelCostCategories are the estimate's categories, in order.
var TravelCostCategories = []string{CostAirfare, CostLodging, CostGround, CostMeals, CostOther}

// TravelCostLabel is how people read an estimate category.
func TravelCostLabel(category string) string {
	switch category {
	case CostAirfare:
		return "Airfare"
	case CostLodging:
		return "Lodging"
	case CostGround:
		return "Ground transport"
	case CostMeals:
		return "Meals and per diem"
	case CostOther:
		return "Other"
	}
	return category
}

// TravelRequest is a trip asked for: its header, its estimate and its legs.
type TravelRequest struct {
	ID                 int64
	Number             *string
	TravellerID        int64
	FiledByID          int64
	DepartmentID       *int64
	GLAccountID        *int64 `gorm:"column:gl_account_id"`
	Purpose            string
	Currency           string
	Destinations       string
	FirstDay           *time.Time
	LastDay            *time.Time
	AirfareMinor       int64
	LodgingMinor       int64
	GroundMinor        int64
	MealsMinor         int64
	OtherMinor         int64
	EstimateTotalMinor int64
	AdvanceMinor       int64
	Status             string
	SubmittedAt        *time.Time
	DecidedAt          *time.Time
	CancelledByID      *int64
	CancelledAt        *time.Time
	CancelReason       string
	FormKey            *string
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Legs               []TravelLeg `gorm:"-"`
}

// Estimate is the trip's estimate of one category, in minor units.
func (t TravelRequest) Estimate(category string) int64 {
	switch category {
	case CostAirfare:
		return t.AirfareMinor
	case CostLodging:
		return t.LodgingMinor
	case CostGround:
		return t.GroundMinor
	case CostMeals:
		return t.MealsMinor
	case CostOther:
		return t.OtherMinor
	}
	return 0
}

// Total is the estimated total as money.
func (t TravelRequest) Total() money.Money {
	return money.Money{Minor: t.EstimateTotalMinor, Currency: t.Currency}
}

// Editable reports whether the trip may still be changed by its traveller or filer.
func (t TravelRequest) Editable() bool {
	return t.Status == TravelDraft || t.Status == TravelRejected || t.Status == TravelWithdrawn
}

// Days is how many days the trip spans, first departure and last day included: the per diem
// days. 0 while it has no legs.
func (t TravelRequest) Days() int {
	if t.FirstDay == nil || t.LastDay == nil {
		return 0
	}
	return int(t.LastDay.Sub(*t.FirstDay).Hours()/24) + 1
}

// BelongsTo reports whether userID is the trip's traveller or the person who filed it.
func (t TravelRequest) BelongsTo(userID int64) bool {
	return t.TravellerID == userID || t.FiledByID == userID
}

// TravelLeg is one leg of a trip.
type TravelLeg struct {
	ID              int64
	TravelRequestID int64
	Position        int
	FromPlace       string
	ToPlace         string
	DepartOn        time.Time
	ReturnOn        *time.Time
	Mode            string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// travelKind is the registry's entry for travel requests (documentKinds).
var travelKind = &DocumentKind{
	Kind:         mustKind(DocTravel),
	Table:        "travel_requests",
	Read:         policy.Permission{Object: outlay.ObjTravel, Action: outlay.ActRead},
	Visibility:   VisibleToOwnerAndRoute,
	SeeAll:       policy.Permission{Object: outlay.ObjTravelAll, Action: outlay.ActRead},
	OwnerColumn:  "traveller_id",
	FilerColumn:  "filed_by_id",
	DraftStatus:  TravelDraft,
	OpenStatuses: openTravelStatuses,
	// An approved trip is counted until its last day has passed.
	OpenCondition: "status <> 'approved' OR last_day >= current_date",
	Approval:      travelApproval{},
	Queue: QueueColumns{
		Number: "COALESCE(d.number, '')", Requester: "d.traveller_id", Department: "d.department_id",
		Counterparty: "d.destinations", Summary: "d.purpose", Currency: "d.currency", Total: "d.estimate_total_minor",
		SubmittedAt: "d.submitted_at",
	},
	Details: travelDetails,
	Budget:  travelBudgetUse,
	Committed: &CommittedSpend{From: "travel_requests r", Where: "r.status = '" + TravelApproved + "' AND r.estimate_total_minor > 0 AND NOT " + tripClaimed("r.id"),
		Department: "r.department_id", Vendor: "NULL::bigint", GLAccount: "r.gl_account_id", At: "r.decided_at",
		Currency: "r.currency", Amount: "r.estimate_total_minor"},
	History: DocumentHistory{LinesTable: "travel_legs", LinesKey: "travel_request_id",
		LineLabel: `'Leg ' || position`, LineDescription: `from_place || ' → ' || to_place`,
		NameSQL: "SELECT id, coalesce(number, 'Draft trip #' || id) AS name, currency FROM travel_requests WHERE id = ANY(?)"},
}

// travelApproval lets the approval engine route travel requests. The traveller is the
// requester: their manager approves by default, and neither they nor whoever filed the trip
// for them ever approves it.
type travelApproval struct{}

func (travelApproval) approvalDocument(tx *gorm.DB, id int64) (ApprovalDocument, error) {
	var t TravelRequest
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&t, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ApprovalDocument{}, outlay.NotFound("That travel request does not exist.")
		}
		return ApprovalDocument{}, err
	}
	doc := ApprovalDocument{Type: DocTravel, ID: t.ID, RequesterID: t.TravellerID, DepartmentID: t.DepartmentID, Total: t.Total(),
		Lines: []ApprovalLine{{GLAccountID: t.GLAccountID, Amount: t.EstimateTotalMinor}}}
	if t.FiledByID != t.TravellerID {
		doc.FiledBy = t.FiledByID
	}
	if t.Number != nil {
		doc.Number = *t.Number
	}
	return doc, nil
}

func (travelApproval) finish(tx *gorm.DB, id int64, outcome string, at time.Time) error {
	return finishDecided(tx, &TravelRequest{ID: id}, outcome, at, TravelSubmitted, TravelApproved, TravelRejected, "travel request")
}

// travelDetails lists a trip's estimate for its approver: one line per category with an
// amount, on the trip's GL account (what its budget check counts).
func travelDetails(tx *gorm.DB, id int64) ([]DetailLine, error) {
	var t TravelRequest
	if err := tx.First(&t, id).Error; err != nil {
		return nil, err
	}
	var code string
	if t.GLAccountID != nil {
		if err := tx.Model(&GLAccount{}).Where("id = ?", *t.GLAccountID).Pluck("code", &code).Error; err != nil {
			return nil, err
		}
	}
	var out []DetailLine
	for i, c := range TravelCostCategories {
		amount := t.Estimate(c)
		if amount == 0 {
			continue
		}
		out = append(out, DetailLine{GLCode: code, RequisitionLine: RequisitionLine{Position: i + 1, Description: TravelCostLabel(c),
			QuantityMilli: 1000, UnitPriceMinor: amount, GLAccountID: t.GLAccountID, AmountMinor: amount}})
	}
	return out, nil
}

// tripClaimed is the condition that the trip whose id is the expression trip has an expense
// report claiming it that the budgets count (approved, scheduled or paid): what was spent
// then stands for what the trip estimated, which it no longer commits.
func tripClaimed(trip string) string {
	return `EXISTS (SELECT 1 FROM expense_reports c WHERE c.travel_request_id = ` + trip +
		` AND c.status IN ('` + ExpenseApproved + `', '` + ExpenseScheduled + `', '` + ExpensePaid + `'))`
}

// travelBudgetUse: approved trips commit their estimated total against the budget of their
// department and GL account, from the day they were approved, until an expense report
// claiming the trip is counted instead (or is itself being checked).
func travelBudgetUse(tx *gorm.DB, ids []int64, doc ApprovalDocument) ([]BudgetUse, error) {
	var self, report int64 // the trip being checked counts as itself, not as committed
	switch doc.Type {
	case DocTravel:
		self = doc.ID
	case DocExpense:
		report = doc.ID // a report claiming a trip replaces its estimate while it is checked
	}
	var out []BudgetUse
	err := tx.Raw(`SELECT b.id AS budget_id, t.id AS doc_id, COALESCE(t.number, '') AS number, t.status,
			t.estimate_total_minor AS committed
		FROM budgets b
		JOIN travel_requests t ON t.department_id = b.department_id AND t.gl_account_id = b.gl_account_id AND t.currency = b.currency
		WHERE b.id IN ? AND t.status = ? AND t.decided_at::date BETWEEN b.period_start AND b.period_end AND t.id <> ?
			AND t.estimate_total_minor > 0
			AND NOT `+tripClaimed("t.id")+`
			AND NOT EXISTS (SELECT 1 FROM expense_reports r WHERE r.travel_request_id = t.id AND r.id = ?)
		ORDER BY b.id, t.id`, ids, TravelApproved, self, report).Scan(&out).Error
	for i := range out {
		out[i].DocType = DocTravel
	}
	return out, err
}
