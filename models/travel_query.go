package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
)

// VisibleTravel limits a query on travel_requests to those the viewer may see: the trips they
// travel on or filed (drafts included), and submitted ones routed to them or, with
// "Everyone's travel", every submitted one.
func VisibleTravel(v Viewer) func(*gorm.DB) *gorm.DB {
	k, _ := FindDocumentKind(DocTravel)
	return k.visible(v)
}

// TravelFilter narrows a list of travel requests; every list goes through VisibleTravel
// first, so a filter only narrows what the viewer may see.
type TravelFilter struct {
	// Mine: the trips the viewer travels on or filed, drafts included; otherwise every
	// submitted trip the viewer may see.
	Mine         bool
	Status       string
	Query        string // part of the number, purpose or destinations
	DepartmentID int64
	TravellerID  int64
	Offset       int
	Limit        int
	// ByStatus: the list also counts its matches in each status, whatever Status says (its
	// status tabs), on its page's statement, and its total is theirs.
	ByStatus bool
}

// TravelSummary is one trip in a list.
type TravelSummary struct {
	ID                 int64
	Number             *string
	Status             string
	Purpose            string
	Destinations       string
	DepartmentName     string
	TravellerName      string
	FiledByName        string
	TravellerID        int64
	FiledByID          int64
	Currency           string
	EstimateTotalMinor int64
	FirstDay           *time.Time
	LastDay            *time.Time
	UpdatedAt          time.Time
}

// TravelList is one page of a list and how many match in all.
type TravelList struct {
	Rows  []TravelSummary
	Total int
	// ByStatus is how many match in each status, when the filter asks (ByStatus).
	ByStatus map[string]int
}

func (r *TravelSummary) fields() []any {
	return []any{&r.ID, &r.Number, &r.Status, &r.Purpose, &r.Destinations, &r.DepartmentName, &r.TravellerName, &r.FiledByName,
		&r.TravellerID, &r.FiledByID, &r.Currency, &r.EstimateTotalMinor, &r.FirstDay, &r.LastDay, &r.UpdatedAt}
}

func (f TravelFilter) scope(db *gorm.DB, v Viewer, withStatus bool) *gorm.DB {
	k, _ := FindDocumentKind(DocTravel)
	q := db.Table("travel_requests").Scopes(k.listScope(v, f.Mine))
	if withStatus && f.Status != "" {
		q = q.Where("travel_requests.status = ?", f.Status)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		q = q.Where(holdsText(s, travelSearchColumns...))
	}
	if f.DepartmentID != 0 {
		q = q.Where("travel_requests.department_id = ?", f.DepartmentID)
	}
	if f.TravellerID != 0 {
		q = q.Where("travel_requests.traveller_id = ?", f.TravellerID)
	}
	return q
}

// ListTravel returns one page of the trips v may see that match f, most recently changed
// first, with how many match.
func ListTravel(ctx context.Context, db *gorm.DB, v Viewer, f TravelFilter) (TravelList, error) {
	db = db.WithContext(ctx)
	if f.ByStatus {
		rows, byStatus, total, err := statusPageOf[TravelSummary](db, f.scope(db, v, true), "travel_requests", travelOrder, f.columns,
			travelKind.statusCounts(db, v, f.shows(), f.scope(db, v, false)), f.Status, nil, f.Offset, f.Limit)
		return TravelList{Rows: rows, Total: total, ByStatus: byStatus}, err
	}
	rows, total, err := pickedPageOf[TravelSummary](db, f.scope(db, v, true), "travel_requests", travelOrder, f.columns, nil, f.Offset, f.Limit)
	return TravelList{Rows: rows, Total: total}, err
}

// EachTrip calls fn with every trip v may see that matches f, in the list's order, reading
// them one at a time from the database (an export of any size).
func EachTrip(ctx context.Context, db *gorm.DB, v Viewer, f TravelFilter, fn func(TravelSummary) error) (int, error) {
	db = db.WithContext(ctx)
	return eachRow(f.columns(f.scope(db, v, true)), fn)
}

const travelOrder = "travel_requests.updated_at DESC, travel_requests.id DESC"

// columns is what the list reads of each trip of from (travel_requests, or a page of them
// picked under that name), in its order. The people's names are lookups per row: joined,
// Postgres hashed every person of a tenant of 5,000 for a page of 25 trips.
func (f TravelFilter) columns(from *gorm.DB) *gorm.DB {
	return from.
		Select(`travel_requests.id, travel_requests.number, travel_requests.status, travel_requests.purpose, travel_requests.destinations,
			COALESCE(d.name, '') AS department_name, ` + personName("travel_requests.traveller_id") + ` AS traveller_name,
			` + personName("travel_requests.filed_by_id") + ` AS filed_by_name,
			travel_requests.traveller_id, travel_requests.filed_by_id, travel_requests.currency, travel_requests.estimate_total_minor,
			travel_requests.first_day, travel_requests.last_day, travel_requests.updated_at`).
		Joins("LEFT JOIN departments d ON d.id = travel_requests.department_id").
		Order(travelOrder)
}

// CountTravelByStatus counts the trips v may see that match f in each status, whatever
// f.Status says: the numbers on the status tabs.
func CountTravelByStatus(ctx context.Context, db *gorm.DB, v Viewer, f TravelFilter) (map[string]int, error) {
	return travelKind.countByStatus(ctx, db, v, f.shows(), f.scope(db.WithContext(ctx), v, false))
}

// shows is what the list shows before its status tabs.
func (f TravelFilter) shows() listShows {
	return showing(f.Mine || strings.TrimSpace(f.Query) != "" || f.DepartmentID != 0 || f.TravellerID != 0, submittedList)
}

// TravelDetail is a trip with the names of what it points at, its legs and its approval
// route.
type TravelDetail struct {
	shown
	TravelRequest
	TravellerName   string
	FiledByName     string
	DepartmentName  string
	GLCode          string
	GLName          string
	CancelledByName string
	Steps           []ApprovalStepDetail `gorm:"-"`
}

// GetTravel reads trip id as v may see it; one they may not see is not found, exactly as one
// that does not exist.
func GetTravel(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*TravelDetail, error) {
	db = db.WithContext(ctx)
	var d TravelDetail
	err := db.Table("travel_requests").Scopes(VisibleTravel(v)).Where("travel_requests.id = ?", id).
		Select(`travel_requests.*, tu.name AS traveller_name, fu.name AS filed_by_name, COALESCE(d.name, '') AS department_name,
			COALESCE(g.code, '') AS gl_code, COALESCE(g.name, '') AS gl_name, COALESCE(cu.name, '') AS cancelled_by_name`).
		Joins("JOIN users tu ON tu.id = travel_requests.traveller_id").
		Joins("LEFT JOIN users cu ON cu.id = travel_requests.cancelled_by_id").
		Joins("JOIN users fu ON fu.id = travel_requests.filed_by_id").
		Joins("LEFT JOIN departments d ON d.id = travel_requests.department_id").
		Joins("LEFT JOIN gl_accounts g ON g.id = travel_requests.gl_account_id").
		Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("That travel request does not exist.")
	}
	if err != nil {
		return nil, err
	}
	if err := db.Where("travel_request_id = ?", id).Order("position").Find(&d.Legs).Error; err != nil {
		return nil, err
	}
	if d.Steps, err = approvalStepDetails(db, DocTravel, id); err != nil {
		return nil, err
	}
	d.shown = shown{Seen{outlay.DocTravel, id}}
	return &d, nil
}

// Rejection is the step that returned the trip's latest round, if it was returned: its
// comment is what to address before submitting again.
func (d *TravelDetail) Rejection() *ApprovalStepDetail {
	if d.Status != TravelRejected {
		return nil
	}
	return lastRejectedStep(d.Steps)
}

// TravelLegs lists the legs of trip id for someone who may already see it (an approver's
// details).
func TravelLegs(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*TravelRequest, error) {
	var t TravelRequest
	err := db.WithContext(ctx).Table("travel_requests").Scopes(VisibleTravel(v)).Where("travel_requests.id = ?", id).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("That travel request does not exist.")
	}
	if err != nil {
		return nil, err
	}
	err = db.WithContext(ctx).Where("travel_request_id = ?", id).Order("position").Find(&t.Legs).Error
	return &t, err
}
