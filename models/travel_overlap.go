package models

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
)

// A traveller may have two trips on the same days for good reasons (a plan changed and the
// old trip is still to be cancelled, a side trip from a longer one), so overlapping trips are
// never refused. Submitting one names the traveller's other trips it overlaps and waits for
// the person submitting to confirm (TripOverlapWarning), and the trip's page notes them for
// its approver. A trip that no longer stands (cancelled, withdrawn or returned) overlaps
// nothing, and nobody is told of another person's draft.

// TripOverlap is another trip of the same traveller whose days overlap a trip's.
type TripOverlap struct {
	ID           int64
	Number       *string
	Status       string
	Destinations string
	FirstDay     time.Time
	LastDay      time.Time
	// Visible: the viewer may open the trip (a link to it would find it).
	Visible bool
}

// MaxTripOverlaps is how many overlapping trips are named at most, the earliest first.
const MaxTripOverlaps = 5

// tripOverlapsSQL finds the traveller's trips other than @trip whose days share one with
// @first to @last: submitted or approved ones, and drafts of the viewer's own. It reads the
// traveller's trips ending from @first on by travel_requests_traveller_days_idx, so a
// traveller's past trips are never read. @visible is the viewer's visibility condition.
var tripOverlapsSQL = `SELECT travel_requests.id, travel_requests.number, travel_requests.status, travel_requests.destinations,
		travel_requests.first_day, travel_requests.last_day, (@visible) AS visible
	FROM travel_requests
	WHERE travel_requests.traveller_id = @traveller AND travel_requests.last_day >= CAST(@first AS date)
		AND travel_requests.first_day <= CAST(@last AS date)
		AND travel_requests.id <> @trip
		AND travel_requests.status IN ('` + TravelSubmitted + `', '` + TravelApproved + `', '` + TravelDraft + `')
		AND (travel_requests.status <> '` + TravelDraft + `' OR @mine)
	ORDER BY travel_requests.first_day, travel_requests.id
	LIMIT ` + strconv.Itoa(MaxTripOverlaps)

// tripOverlaps reads, as v sees them, the traveller's other trips whose days overlap t's, the
// earliest first (at most MaxTripOverlaps); none while t has no days.
func tripOverlaps(tx *gorm.DB, v Viewer, t TravelRequest) ([]TripOverlap, error) {
	if t.FirstDay == nil || t.LastDay == nil {
		return nil, nil
	}
	sql, args := tripOverlapsQuery(v, t)
	var out []TripOverlap
	return out, namedRaw(tx, sql, args).Scan(&out).Error
}

// tripOverlapsQuery is tripOverlapsSQL for trip t as v sees it, with its arguments.
func tripOverlapsQuery(v Viewer, t TravelRequest) (string, map[string]any) {
	cond, args := travelKind.visibleCondition(v)
	if cond == "" {
		cond, args = "true", map[string]any{}
	}
	args["me"], args["traveller"], args["trip"] = v.UserID, t.TravellerID, t.ID
	args["first"], args["last"] = t.FirstDay.Format(time.DateOnly), t.LastDay.Format(time.DateOnly)
	sql := strings.Replace(tripOverlapsSQL, "@visible", cond, 1)
	return strings.Replace(sql, "@mine", travelKind.ownedByMe(), 1), args
}

// TripOverlaps is what the page of trip t notes for v: the traveller's other trips on the same
// days that still stand.
func TripOverlaps(ctx context.Context, db *gorm.DB, v Viewer, t TravelRequest) ([]TripOverlap, error) {
	return tripOverlaps(db.WithContext(ctx), v, t)
}

// TripOverlapWarning holds a submission back until the person submitting it confirms that the
// trip is meant to overlap the traveller's other trips it names. It is not a refusal: the same
// submission with TravelInput.OverlapsConfirmed naming those trips goes through. It matches
// outlay.ErrConflict, so that whatever does not show it as a warning still refuses rightly.
type TripOverlapWarning struct {
	Overlaps []TripOverlap
}

func (w *TripOverlapWarning) Error() string {
	return "the trip's days overlap " + strconv.Itoa(len(w.Overlaps)) + " other trip(s) of the traveller"
}

// Is makes the warning an outlay.ErrConflict.
func (w *TripOverlapWarning) Is(target error) bool { return target == outlay.ErrConflict }

// Confirmation is what TravelInput.OverlapsConfirmed carries to confirm the warning: the
// trips' ids.
func (w *TripOverlapWarning) Confirmation() string { return OverlapConfirmation(w.Overlaps) }

// OverlapConfirmation is the value of TravelInput.OverlapsConfirmed that confirms overlaps.
func OverlapConfirmation(overlaps []TripOverlap) string {
	ids := make([]string, len(overlaps))
	for i, o := range overlaps {
		ids[i] = strconv.FormatInt(o.ID, 10)
	}
	return strings.Join(ids, ",")
}

// checkTripOverlaps warns (TripOverlapWarning) when t overlaps a trip of its traveller that
// confirmed does not name (OverlapConfirmation's form).
func checkTripOverlaps(tx *gorm.DB, v Viewer, t *TravelRequest, confirmed string) error {
	overlaps, err := tripOverlaps(tx, v, *t)
	if err != nil {
		return err
	}
	named := strings.Split(confirmed, ",")
	for _, o := range overlaps {
		if !slices.Contains(named, strconv.FormatInt(o.ID, 10)) {
			return &TripOverlapWarning{Overlaps: overlaps}
		}
	}
	return nil
}
