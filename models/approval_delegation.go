package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
)

// approvesSQL is the condition "person @me holds the permission to approve", read from the
// tenant's policies at the moment of the query.
const approvesSQL = `(SELECT 1 FROM user_roles ur
	JOIN casbin_rule c ON c.ptype = 'p' AND c.v0 = ur.role AND c.v1 = 'approvals' AND c.v2 = 'approve'
	WHERE ur.user_id = @me)`

// delegatorsSQL is the set of people whose approvals @me may act on today: those who
// delegated to them for today, while @me holds the permission to approve. A delegate acts
// only on steps pending for the person away; callers add that condition.
const delegatorsSQL = `(SELECT dg.user_id FROM approval_delegations dg
	WHERE dg.delegate_id = @me AND current_date BETWEEN dg.starts_on AND dg.ends_on AND EXISTS ` + approvesSQL + `)`

// DelegationView is a delegation with the names of both people.
type DelegationView struct {
	ApprovalDelegation
	UserName     string
	DelegateName string
	// DelegateActive is false once the delegate was deactivated: they approve nothing since.
	DelegateActive bool
}

// Current reports whether the delegation is in force on day.
func (d DelegationView) Current(day time.Time) bool {
	date := day.Format(time.DateOnly)
	return d.StartsOn.Format(time.DateOnly) <= date && date <= d.EndsOn.Format(time.DateOnly)
}

// Delegations lists the delegations that have not ended: those userID made (Given) and those
// naming them as the delegate (Received), earliest first.
func Delegations(ctx context.Context, db *gorm.DB, userID int64) (given, received []DelegationView, err error) {
	q := `SELECT d.*, u.name AS user_name, du.name AS delegate_name, du.status = 'active' AS delegate_active FROM approval_delegations d
		JOIN users u ON u.id = d.user_id JOIN users du ON du.id = d.delegate_id
		WHERE d.ends_on >= current_date AND d.%s = ? ORDER BY d.starts_on, d.id`
	tx := db.WithContext(ctx)
	if err = tx.Raw(fmt.Sprintf(q, "user_id"), userID).Scan(&given).Error; err != nil {
		return nil, nil, err
	}
	err = tx.Raw(fmt.Sprintf(q, "delegate_id"), userID).Scan(&received).Error
	return given, received, err
}

// NewDelegation is what setting an out-of-office delegation asks for. Dates are days.
type NewDelegation struct {
	DelegateID int64
	StartsOn   time.Time
	EndsOn     time.Time
}

// SetDelegation lets the delegate act for userID on approvals from StartsOn to EndsOn
// inclusive. The delegate must hold the permission to approve (and must still hold it
// whenever they act: see delegatorsSQL). A period overlapping one already set is refused:
// clear that one first.
func SetDelegation(ctx context.Context, db *gorm.DB, userID int64, in NewDelegation, today time.Time) (*ApprovalDelegation, error) {
	verr := outlay.ValidationErrors{}
	if in.DelegateID == 0 {
		verr.Add("delegate", "Choose who approves for you.")
	} else if in.DelegateID == userID {
		verr.Add("delegate", "Choose someone other than yourself.")
	}
	if in.StartsOn.IsZero() {
		verr.Add("starts_on", "Enter the first day you are away.")
	}
	if in.EndsOn.IsZero() {
		verr.Add("ends_on", "Enter the last day you are away.")
	}
	if !in.StartsOn.IsZero() && !in.EndsOn.IsZero() {
		if in.EndsOn.Before(in.StartsOn) {
			verr.Add("ends_on", "The last day cannot be before the first.")
		} else if in.EndsOn.Format(time.DateOnly) < today.Format(time.DateOnly) {
			verr.Add("ends_on", "The last day has already passed.")
		} else if in.EndsOn.Format(time.DateOnly) > today.AddDate(2, 0, 0).Format(time.DateOnly) {
			// A delegation is for an absence: one without end would hand someone's approvals
			// to another for good, unseen.
			verr.Add("ends_on", "The last day can be at most two years ahead.")
		}
	}
	d := &ApprovalDelegation{UserID: userID, DelegateID: in.DelegateID, StartsOn: in.StartsOn, EndsOn: in.EndsOn}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, refused := verr["delegate"]; !refused {
			var delegate User
			err := tx.Select("id", "name", "status").First(&delegate, in.DelegateID).Error
			if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && delegate.Status == UserDeactivated) {
				verr.Add("delegate", "Choose an active person from the list.")
			} else if err != nil {
				return err
			}
			if _, refused := verr["delegate"]; !refused {
				var approves bool
				if err := tx.Raw(`SELECT EXISTS `+approvesSQL, sql.Named("me", delegate.ID)).Scan(&approves).Error; err != nil {
					return err
				}
				if !approves {
					verr.Add("delegate", delegate.Name+" cannot approve requests. Choose someone whose role lets them approve.")
				}
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		// One change of delegations at a time, so that two overlapping ones of a person, or
		// two people handing their approvals to each other, cannot both be set.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(7245014, 0)`).Error; err != nil {
			return err
		}
		var away bool
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM approval_delegations WHERE user_id = ?
			AND starts_on <= ?::date AND ends_on >= ?::date)`, in.DelegateID, in.EndsOn.Format(time.DateOnly), in.StartsOn.Format(time.DateOnly)).
			Scan(&away).Error; err != nil {
			return err
		}
		if away {
			var name string
			if err := tx.Model(&User{}).Where("id = ?", in.DelegateID).Pluck("name", &name).Error; err != nil {
				return err
			}
			return outlay.ValidationErrors{"delegate": name + " is away and hands their own approvals to someone else on some of these days. Choose someone who is here."}
		}
		// Nor may someone standing in for another those days hand their approvals on: a stand-in
		// acts for one person only, so that person's steps would wait for someone away.
		var covered []string
		if err := tx.Raw(`SELECT u.name FROM approval_delegations dg JOIN users u ON u.id = dg.user_id
			WHERE dg.delegate_id = ? AND dg.starts_on <= ?::date AND dg.ends_on >= ?::date ORDER BY u.name`,
			userID, in.EndsOn.Format(time.DateOnly), in.StartsOn.Format(time.DateOnly)).Scan(&covered).Error; err != nil {
			return err
		}
		if len(covered) > 0 {
			return outlay.ValidationErrors{"starts_on": "You stand in for " + strings.Join(covered, ", ") + " on some of these days. Ask them to choose someone else for those days first."}
		}
		var overlap bool
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM approval_delegations WHERE user_id = ?
			AND starts_on <= ?::date AND ends_on >= ?::date)`, userID, in.EndsOn.Format(time.DateOnly), in.StartsOn.Format(time.DateOnly)).
			Scan(&overlap).Error; err != nil {
			return err
		}
		if overlap {
			return outlay.ValidationErrors{"starts_on": "You already delegate for some of these days. Clear that delegation first."}
		}
		return tx.Create(d).Error
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ClearDelegation removes one of userID's delegations; anyone else's is not found.
func ClearDelegation(ctx context.Context, db *gorm.DB, userID, id int64) error {
	res := db.WithContext(ctx).Where("user_id = ?", userID).Delete(&ApprovalDelegation{ID: id})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return outlay.NotFound("That delegation does not exist.")
	}
	return nil
}
