package models

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay/money"
)

// Cash advances. An approved travel request's advance is paid out to the traveller before
// the trip; the expense reports that follow it pay it back by netting. When a report is
// approved it takes, in its own currency, what is still outstanding of its owner's approved
// advances (the trip it was started from first, then the oldest) up to its own total: the report then pays its owner only
// the difference, never less than nothing, and whatever it could not absorb stays
// outstanding for the owner's next report. Each deduction is a row, audited like any other.

// AdvanceDeduction is the part of one trip's advance that one report nets.
type AdvanceDeduction struct {
	ID              int64
	ReportID        int64
	TravelRequestID int64
	AmountMinor     int64
	CreatedAt       time.Time
}

// TableName is where deductions are kept.
func (AdvanceDeduction) TableName() string { return "expense_advance_deductions" }

// netAdvances nets the owner's outstanding advances against report id, which was just
// approved. The trips are locked, so two reports approved at once cannot both take the same
// advance.
func netAdvances(tx *gorm.DB, id int64) error {
	var r ExpenseReport
	if err := tx.Take(&r, id).Error; err != nil {
		return err
	}
	room := r.TotalMinor - r.AdvanceMinor
	if room <= 0 {
		return nil
	}
	var trips []TravelRequest
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("traveller_id = ? AND status = ? AND advance_minor > 0 AND currency = ?", r.OwnerID, TravelApproved, r.Currency).
		Order("decided_at, id").Find(&trips).Error
	if err != nil || len(trips) == 0 {
		return err
	}
	// The report's own trip first.
	slices.SortStableFunc(trips, func(a, b TravelRequest) int { return boolRank(linkedTo(r, b)) - boolRank(linkedTo(r, a)) })
	taken := r.AdvanceMinor
	for _, t := range trips {
		out, err := outstandingAdvance(tx, t)
		if err != nil {
			return err
		}
		take := min(out, room)
		if take <= 0 {
			continue
		}
		if err := tx.Create(&AdvanceDeduction{ReportID: r.ID, TravelRequestID: t.ID, AmountMinor: take}).Error; err != nil {
			return err
		}
		room -= take
		taken += take
		if room == 0 {
			break
		}
	}
	if taken == r.AdvanceMinor {
		return nil
	}
	return tx.Model(&r).Updates(map[string]any{"advance_minor": taken, "updated_at": time.Now()}).Error
}

func linkedTo(r ExpenseReport, t TravelRequest) bool {
	return r.TravelRequestID != nil && *r.TravelRequestID == t.ID
}

// outstandingAdvance is what of trip t's advance no report has netted yet.
func outstandingAdvance(tx *gorm.DB, t TravelRequest) (int64, error) {
	var netted int64
	err := tx.Raw(`SELECT COALESCE(SUM(amount_minor), 0) FROM expense_advance_deductions WHERE travel_request_id = ?`, t.ID).
		Scan(&netted).Error
	return t.AdvanceMinor - netted, err
}

// OutstandingAdvances is, per currency, what person userID still owes of the cash advances
// of their approved trips: what their next approved reports will net.
func OutstandingAdvances(ctx context.Context, db *gorm.DB, userID int64) ([]money.Money, error) {
	var rows []struct {
		Currency string
		Minor    int64
	}
	err := db.WithContext(ctx).Raw(`SELECT t.currency, SUM(t.advance_minor - COALESCE(d.netted, 0)) AS minor
		FROM travel_requests t
		LEFT JOIN (SELECT travel_request_id, SUM(amount_minor) AS netted FROM expense_advance_deductions GROUP BY 1) d
			ON d.travel_request_id = t.id
		WHERE t.traveller_id = ? AND t.status = ? AND t.advance_minor > 0
		GROUP BY t.currency HAVING SUM(t.advance_minor - COALESCE(d.netted, 0)) > 0 ORDER BY t.currency`, userID, TravelApproved).
		Scan(&rows).Error
	out := make([]money.Money, len(rows))
	for i, r := range rows {
		out[i] = money.Money{Minor: r.Minor, Currency: r.Currency}
	}
	return out, err
}

// AdvanceNetting names the trips whose advances report id nets, for its page.
type AdvanceNetting struct {
	TravelRequestID int64
	TripNumber      string
	AmountMinor     int64
}

// ExpenseAdvances lists the advances report id nets, in the order they were taken.
func ExpenseAdvances(ctx context.Context, db *gorm.DB, id int64) ([]AdvanceNetting, error) {
	var out []AdvanceNetting
	err := db.WithContext(ctx).Raw(`SELECT d.travel_request_id, COALESCE(t.number, '') AS trip_number, d.amount_minor
		FROM expense_advance_deductions d JOIN travel_requests t ON t.id = d.travel_request_id
		WHERE d.report_id = ? ORDER BY d.id`, id).Scan(&out).Error
	return out, err
}
