package models

import (
	"cmp"
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
)

// TravelFiler is who saves a travel request: the person, and whether they may file trips for
// other people (travel.others create).
type TravelFiler struct {
	UserID    int64
	ForOthers bool
	// Sees is what the filer's roles let them see of other people's trips (its Roles and
	// SeeAllKinds; its UserID is UserID's): which trips an overlap warning can link to.
	Sees Viewer
}

// viewer is the filer as a Viewer.
func (f TravelFiler) viewer() Viewer {
	v := f.Sees
	v.UserID = f.UserID
	return v
}

// ErrTravelFormAlreadySaved refuses a new-request form posted a second time; SaveTravel
// returns the request its first post made with it.
var ErrTravelFormAlreadySaved = outlay.Conflict("This form was already saved.")

// SaveTravel stores a travel request as typed: a new draft filed by f when id is 0,
// otherwise the request id, which must be f's (as traveller or filer), still editable and,
// when in carries the version its form was read at, unchanged since then (StaleFormError).
// Blank legs are dropped. Every refusal comes back at once as outlay.ValidationErrors keyed
// by field, and nothing is stored. With submit, the same transaction then submits it, so a
// request refused for submission is not saved either, nor one whose days overlap another
// trip of its traveller's that in.OverlapsConfirmed does not name (TripOverlapWarning). A
// trip of someone else's is not found.
func SaveTravel(ctx context.Context, db *gorm.DB, f TravelFiler, id int64, in TravelInput, submit bool) (*TravelRequest, error) {
	var t TravelRequest
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id != 0 {
			if err := lockOwnTravel(tx, f.UserID, id, &t); err != nil {
				return in.DraftGone("travel request", err)
			}
			if !t.Editable() {
				return outlay.Conflict("This travel request is no longer editable: it is waiting for approval or was decided.")
			}
			if err := in.checkUnchanged("travel request", t.UpdatedAt); err != nil {
				return err
			}
		}
		p, verr, today, err := readTravel(tx, in)
		if err != nil {
			return err
		}
		if id == 0 && p.FormKey != nil {
			if saved, err := formAlreadySaved(tx, "travel", "filed_by_id", f.UserID, *p.FormKey, &t); saved || err != nil {
				return cmp.Or(err, ErrTravelFormAlreadySaved)
			}
		}
		traveller, err := checkTravelInput(tx, verr, f, &t, p)
		if err != nil {
			return err
		}
		if err := writeTravel(tx, f.UserID, traveller, &t, p); err != nil {
			return err
		}
		if !submit {
			return nil
		}
		return submitTravelLocked(tx, &t, travelSubmission{rows: p.LegRows, today: today, by: f.viewer(), overlapsConfirmed: in.OverlapsConfirmed})
	})
	if errors.Is(err, ErrTravelFormAlreadySaved) {
		return &t, err
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// readTravel parses in as of today (UTC), with verr holding what it refuses.
func readTravel(tx *gorm.DB, in TravelInput) (parsedTravel, outlay.ValidationErrors, time.Time, error) {
	verr := outlay.ValidationErrors{}
	currency, err := travelCurrency(tx, verr, in.Currency)
	if err != nil {
		return parsedTravel{}, nil, time.Time{}, err
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	return parseTravel(verr, in, currency, today), verr, today, nil
}

// checkTravelInput checks what p names (the traveller, for f, and the department and
// account) and returns the traveller, or verr with everything refused.
func checkTravelInput(tx *gorm.DB, verr outlay.ValidationErrors, f TravelFiler, t *TravelRequest, p parsedTravel) (int64, error) {
	traveller, err := checkTraveller(tx, verr, f, t, p.TravellerID)
	if err != nil {
		return 0, err
	}
	if err := checkTravelReferences(tx, verr, p); err != nil {
		return 0, err
	}
	return traveller, verr.Err()
}

// travelCurrency is the currency typed, or the organisation's default when none is.
func travelCurrency(tx *gorm.DB, verr outlay.ValidationErrors, typed string) (string, error) {
	if typed != "" {
		if money.ValidCurrency(typed) {
			return typed, nil
		}
		verr.Add("currency", "Choose a currency from the list.")
	}
	var s OrgSettings
	if err := tx.Select("default_currency").Take(&s, 1).Error; err != nil {
		return "", err
	}
	return s.DefaultCurrency, nil
}

// checkTraveller decides who travels: the person named, who must not be deactivated; naming
// anyone but oneself needs f.ForOthers. With nobody named, a new request is the filer's own
// trip and an existing one keeps its traveller.
func checkTraveller(tx *gorm.DB, verr outlay.ValidationErrors, f TravelFiler, t *TravelRequest, named *int64) (int64, error) {
	traveller := f.UserID
	if t.ID != 0 {
		traveller = t.TravellerID
	}
	if named == nil {
		return traveller, nil
	}
	if *named != f.UserID && !f.ForOthers {
		verr.Add("traveller", "You may file trips only for yourself.")
		return traveller, nil
	}
	var status string
	err := tx.Model(&User{}).Where("id = ?", *named).Pluck("status", &status).Error
	if err != nil {
		return 0, err
	}
	if status == "" || status == UserDeactivated {
		verr.Add("traveller", "Choose someone from the list.")
		return traveller, nil
	}
	return *named, nil
}

// checkTravelReferences refuses a department or GL account that does not exist. Whether
// they may still be used is checked at submit.
func checkTravelReferences(tx *gorm.DB, verr outlay.ValidationErrors, p parsedTravel) error {
	for _, ref := range []struct {
		field, table string
		id           *int64
	}{{"department", "departments", p.DepartmentID}, {"gl_account", "gl_accounts", p.GLAccountID}} {
		if ref.id == nil {
			continue
		}
		var n int64
		if err := tx.Table(ref.table).Where("id = ?", *ref.id).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			verr.Add(ref.field, "Choose from the list.")
		}
	}
	return nil
}

// lockOwnTravel loads request id into t and locks it until the transaction ends, when
// userID is its traveller or filer; anyone else's is not found.
func lockOwnTravel(tx *gorm.DB, userID, id int64, t *TravelRequest) error {
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("traveller_id = ? OR filed_by_id = ?", userID, userID).Take(t, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return outlay.NotFound("That travel request does not exist.")
	}
	return err
}

// fillTravel sets t's header to what p says (a new t, ID 0, is a draft filed by filer).
func fillTravel(t *TravelRequest, filer, traveller int64, p parsedTravel) {
	first, last := span(p.Legs)
	e := p.Estimates
	if t.ID == 0 {
		*t = TravelRequest{TravellerID: traveller, FiledByID: filer, Status: TravelDraft, FormKey: p.FormKey}
	}
	t.TravellerID, t.DepartmentID, t.GLAccountID, t.Purpose, t.Currency = traveller, p.DepartmentID, p.GLAccountID, p.Purpose, p.Currency
	t.Destinations, t.FirstDay, t.LastDay = destinations(p.Legs), first, last
	t.AirfareMinor, t.LodgingMinor, t.GroundMinor, t.MealsMinor, t.OtherMinor = e[CostAirfare], e[CostLodging], e[CostGround], e[CostMeals], e[CostOther]
	t.EstimateTotalMinor, t.AdvanceMinor = p.Total, p.Advance
}

// CheckTravelSubmission says whether in, as typed for trip id (0 for a new one), would be
// accepted for submission by f: the ValidationErrors SaveTravel with submit would refuse it
// with, the TripOverlapWarning it would hold it back with, or nil. It writes nothing, so the
// form asks "Submit?" only of a trip that will not be refused. A trip that is not f's, or no
// longer editable, is refused as the save would.
func CheckTravelSubmission(ctx context.Context, db *gorm.DB, f TravelFiler, id int64, in TravelInput) error {
	tx := db.WithContext(ctx)
	var t TravelRequest
	if id != 0 {
		if err := tx.Where("traveller_id = ? OR filed_by_id = ?", f.UserID, f.UserID).Take(&t, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return outlay.NotFound("That travel request does not exist.")
			}
			return err
		}
		if !t.Editable() {
			return outlay.Conflict("This travel request is no longer editable: it is waiting for approval or was decided.")
		}
	}
	p, verr, today, err := readTravel(tx, in)
	if err != nil {
		return err
	}
	traveller, err := checkTravelInput(tx, verr, f, &t, p)
	if err != nil {
		return err
	}
	fillTravel(&t, f.UserID, traveller, p)
	t.Legs = p.Legs
	return checkTravelSubmission(tx, &t, travelSubmission{rows: p.LegRows, today: today, by: f.viewer(), overlapsConfirmed: in.OverlapsConfirmed})
}

// writeTravel creates t (when new) or updates it, then brings its stored legs in line with
// p's, matched by position so that History shows what changed on each.
func writeTravel(tx *gorm.DB, filer, traveller int64, t *TravelRequest, p parsedTravel) error {
	fillTravel(t, filer, traveller, p)
	if t.ID == 0 {
		if err := tx.Create(t).Error; err != nil {
			return err
		}
	} else {
		t.UpdatedAt = time.Now()
		err := tx.Model(t).Select("traveller_id", "department_id", "gl_account_id", "purpose", "currency", "destinations", "first_day", "last_day",
			"airfare_minor", "lodging_minor", "ground_minor", "meals_minor", "other_minor", "estimate_total_minor", "advance_minor", "updated_at").
			Updates(t).Error
		if err != nil {
			return err
		}
	}
	var old []TravelLeg
	if err := tx.Where("travel_request_id = ?", t.ID).Order("position").Find(&old).Error; err != nil {
		return err
	}
	if len(old) > len(p.Legs) {
		if err := tx.Where("travel_request_id = ? AND position > ?", t.ID, len(p.Legs)).Delete(&TravelLeg{}).Error; err != nil {
			return err
		}
	}
	t.Legs = make([]TravelLeg, len(p.Legs))
	for i, l := range p.Legs {
		l.TravelRequestID, l.Position = t.ID, i+1
		if i < len(old) {
			l.ID, l.CreatedAt, l.UpdatedAt = old[i].ID, old[i].CreatedAt, time.Now()
			err := tx.Model(&old[i]).Select("from_place", "to_place", "depart_on", "return_on", "mode", "updated_at").Updates(&l).Error
			if err != nil {
				return err
			}
		} else if err := tx.Create(&l).Error; err != nil {
			return err
		}
		t.Legs[i] = l
	}
	return nil
}

// SubmitTravel sends a stored, editable request of the user's into approval, as SaveTravel
// does with submit; overlapsConfirmed is TravelInput.OverlapsConfirmed.
func SubmitTravel(ctx context.Context, db *gorm.DB, userID, id int64, overlapsConfirmed string) (*TravelRequest, error) {
	var t TravelRequest
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockOwnTravel(tx, userID, id, &t); err != nil {
			return err
		}
		if !t.Editable() {
			return outlay.Conflict("This travel request was already submitted.")
		}
		if err := tx.Where("travel_request_id = ?", id).Order("position").Find(&t.Legs).Error; err != nil {
			return err
		}
		rows := make([]int, len(t.Legs))
		for i := range rows {
			rows[i] = i
		}
		return submitTravelLocked(tx, &t, travelSubmission{rows: rows, today: time.Now().UTC().Truncate(24 * time.Hour),
			by: Viewer{UserID: userID}, overlapsConfirmed: overlapsConfirmed})
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// travelSubmission is a trip's submission: who submits it, what they confirmed, as of when.
type travelSubmission struct {
	rows              []int // the form rows of the trip's legs, for messages beside them
	today             time.Time
	by                Viewer // who submits it, as they see other trips
	overlapsConfirmed string // TravelInput.OverlapsConfirmed
}

// checkTravelSubmission is what submitting t needs: what checkTravelSubmittable refuses, then,
// when nothing is, the other trips of its traveller it overlaps that sub has not confirmed.
func checkTravelSubmission(tx *gorm.DB, t *TravelRequest, sub travelSubmission) error {
	if err := checkTravelSubmittable(tx, t, sub.rows, sub.today); err != nil {
		return err
	}
	return checkTripOverlaps(tx, sub.by, t, sub.overlapsConfirmed)
}

// submitTravelLocked checks that the locked, stored request t may be submitted as sub says,
// numbers it if it has no number yet, marks it submitted and hands it to the approval engine.
func submitTravelLocked(tx *gorm.DB, t *TravelRequest, sub travelSubmission) error {
	// One traveller's submissions are taken one after the other, whoever files them, so that
	// of two trips on the same days submitted at once the second sees the first and warns.
	if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtextextended('outlay.traveller:' || ?::bigint, 0))`, t.TravellerID).Error; err != nil {
		return err
	}
	if err := checkTravelSubmission(tx, t, sub); err != nil {
		return err
	}
	now := time.Now()
	changes := map[string]any{"status": TravelSubmitted, "submitted_at": now, "decided_at": nil, "updated_at": now}
	if t.Number == nil {
		n, err := NextNumber(tx, NumberTravel)
		if err != nil {
			return err
		}
		t.Number = &n
		changes["number"] = n
	}
	if err := tx.Model(t).Updates(changes).Error; err != nil {
		return err
	}
	t.Status, t.SubmittedAt, t.DecidedAt = TravelSubmitted, &now, nil
	doc, err := travelApproval{}.approvalDocument(tx, t.ID)
	if err != nil {
		return err
	}
	outcome, err := SubmitForApproval(tx, doc)
	if err != nil {
		return err
	}
	if outcome.Approved {
		return tx.Take(t, t.ID).Error
	}
	return nil
}

// checkTravelSubmittable is what a trip needs before anyone is asked to approve it.
func checkTravelSubmittable(tx *gorm.DB, t *TravelRequest, rows []int, today time.Time) error {
	verr := outlay.ValidationErrors{}
	if !hasVisible(t.Purpose) {
		verr.Add("purpose", "Say what the trip is for.")
	}
	if t.DepartmentID == nil {
		verr.Add("department", "Choose the department paying for the trip.")
	} else if archived, err := isArchived(tx, "departments", *t.DepartmentID); err != nil {
		return err
	} else if archived {
		verr.Add("department", "This department is archived: choose another.")
	}
	if t.GLAccountID == nil {
		verr.Add("gl_account", "Choose the GL account the trip is charged to.")
	} else if archived, err := isArchived(tx, "gl_accounts", *t.GLAccountID); err != nil {
		return err
	} else if archived {
		verr.Add("gl_account", "This account is archived: choose another.")
	}
	if len(t.Legs) == 0 {
		verr.Add("legs", "Add at least one leg: where the trip starts, where it goes and when.")
	}
	for i, l := range t.Legs {
		if l.DepartOn.Before(today) {
			verr.Add(LegField(rows[i], "depart_on"), "This departure is in the past: choose a date from today on.")
		}
	}
	if t.EstimateTotalMinor == 0 {
		verr.Add("estimates", "Estimate what the trip costs, in at least one category.")
	}
	var status string
	if err := tx.Model(&User{}).Where("id = ?", t.TravellerID).Pluck("status", &status).Error; err != nil {
		return err
	}
	if status == UserDeactivated {
		verr.Add("traveller", "This person is deactivated: choose someone else.")
	}
	return verr.Err()
}

// WithdrawTravel pulls the user's submitted request back out of approval: its open steps are
// cancelled and it can be changed and submitted again.
func WithdrawTravel(ctx context.Context, db *gorm.DB, userID, id int64) (*TravelRequest, error) {
	var t TravelRequest
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockOwnTravel(tx, userID, id, &t); err != nil {
			return err
		}
		if t.Status != TravelSubmitted {
			return outlay.Conflict("Only a travel request waiting for approval can be withdrawn.")
		}
		if err := tx.Model(&t).Updates(map[string]any{"status": TravelWithdrawn, "updated_at": time.Now()}).Error; err != nil {
			return err
		}
		return CancelRoute(tx, DocTravel, id)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// CancelTrip is what cancelling an approved trip needs: why, and, when part of its cash
// advance is still outstanding, the canceller's word that the advance was never paid out or
// has been returned.
type CancelTrip struct {
	Reason         string
	AdvanceSettled bool
}

// CancelTravel cancels the user's approved trip, which will not take place, with the reason:
// it stops committing its estimate against the budget, and its advance stops being netted
// against the traveller's reports; those it concerned are told (notifyTripCancelled). What
// refuses it is tripCancelCheck's; an advance still outstanding needs c.AdvanceSettled.
func CancelTravel(ctx context.Context, db *gorm.DB, userID, id int64, c CancelTrip) (*TravelRequest, error) {
	reason, err := statedReason(c.Reason, "cancel_reason", "Say why the trip will not take place.")
	if err != nil {
		return nil, err
	}
	var t TravelRequest
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockOwnTravel(tx, userID, id, &t); err != nil {
			return err
		}
		switch t.Status {
		case TravelApproved:
		case TravelCancelled:
			return outlay.Conflict("This trip is cancelled already.")
		case TravelSubmitted:
			return outlay.Conflict("This trip is waiting for approval: withdraw it instead.")
		default:
			return outlay.Conflict("Only an approved trip can be cancelled.")
		}
		out, err := tripCancelCheck(tx, t, true)
		if err != nil {
			return err
		}
		if out > 0 && !c.AdvanceSettled {
			return outlay.ValidationErrors{"advance_settled": "Tick this once the " + money.Money{Minor: out, Currency: t.Currency}.String() +
				" of the cash advance still outstanding has been returned, or if it was never paid out: a cancelled trip's advance is no longer taken off the traveller's expense reports."}
		}
		now := time.Now()
		if err := tx.Model(&t).Updates(map[string]any{"status": TravelCancelled, "cancelled_by_id": userID, "cancelled_at": now,
			"cancel_reason": reason, "updated_at": now}).Error; err != nil {
			return err
		}
		return notifyTripCancelled(tx, t, userID, reason)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// TripCancellation is what cancelling approved trip t would ask for now: what of its cash
// advance is outstanding (the canceller's word on it), or why it cannot be cancelled (a
// Conflict, whose message the trip's page shows instead of the form).
func TripCancellation(ctx context.Context, db *gorm.DB, t TravelRequest) (money.Money, error) {
	out, err := tripCancelCheck(db.WithContext(ctx), t, false)
	return money.Money{Minor: out, Currency: t.Currency}, err
}

// tripCancelCheck refuses the cancellation of approved trip t (a Conflict) when an expense
// report was started from it (it took place), or when a report not yet paid netted part of
// its advance: sending that report back would give the part back to the trip to be netted
// again, which a cancelled trip's advance never is. Otherwise it is what of the advance is
// outstanding. lock keeps those reports from being sent back until the transaction ends.
func tripCancelCheck(tx *gorm.DB, t TravelRequest, lock bool) (int64, error) {
	var reports []ExpenseReport
	if err := tx.Where("travel_request_id = ?", t.ID).Order("id").Limit(1).Find(&reports).Error; err != nil {
		return 0, err
	}
	if len(reports) > 0 {
		if r := reports[0]; r.Number != nil {
			return 0, outlay.Conflict("Expense report " + *r.Number + " was started from this trip, so the trip took place and cannot be cancelled.")
		}
		return 0, outlay.Conflict("An expense report was started from this trip and is still a draft: delete the draft first if the trip will not take place.")
	}
	if t.AdvanceMinor == 0 {
		return 0, nil
	}
	forShare := ""
	if lock {
		forShare = " FOR SHARE OF r"
	}
	var netting []string
	if err := tx.Raw(`SELECT COALESCE(r.number, '') FROM expense_reports r JOIN expense_advance_deductions d ON d.report_id = r.id
		WHERE d.travel_request_id = ? AND r.status IN ? ORDER BY r.id LIMIT 1`+forShare, t.ID, []string{ExpenseApproved, ExpenseScheduled}).
		Scan(&netting).Error; err != nil {
		return 0, err
	}
	if len(netting) > 0 {
		return 0, outlay.Conflict("Expense report " + netting[0] + " took part of this trip's cash advance and is not paid yet: cancel the trip once it is paid.")
	}
	return outstandingAdvance(tx, t)
}

// DeleteTravelDraft removes the user's draft that was never submitted, with its legs. A
// request that has a number stays, for the record.
func DeleteTravelDraft(ctx context.Context, db *gorm.DB, userID, id int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t TravelRequest
		if err := lockOwnTravel(tx, userID, id, &t); err != nil {
			return err
		}
		if t.Status != TravelDraft || t.Number != nil {
			return outlay.Conflict("Only a draft that was never submitted can be deleted.")
		}
		if err := tx.Where("travel_request_id = ?", id).Delete(&TravelLeg{}).Error; err != nil {
			return err
		}
		return tx.Delete(&t).Error
	})
}
