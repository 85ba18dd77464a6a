package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
)

// A record may be open in two tabs, or before two people, at once: a draft (a requisition,
// travel request, expense report or bill that can still be changed), a record of reference
// data (a vendor, a department, a budget, ...), a person, an approval rule, an order's terms,
// the organisation's settings. Its edit form carries the version of the record it was read
// at, and a save (or a submit) from that form is refused when the record changed since,
// instead of silently undoing the other change, lines, steps and roles included. The version
// is the record's updated_at to the microsecond, as stored: every change of a record sets
// it, and what belongs to a record (a draft's lines, a rule's steps, a person's roles) is
// only written together with it (writeRequisition, writeTravel, writeExpense, writeBill,
// UpdateApprovalRule, UpdateUserWithMail; AttachReceipt sets its report's too). What is not
// a field of the form leaves it: a bill's invoice file, shown beside the form
// (AttachInvoice). A role deleted is taken from its holders without: a form still ticking
// it is refused all the same, as naming a role that does not exist. The check is made on the record locked for the save, inside the save's
// transaction, before anything else is checked, so two saves of forms read at the same
// version cannot both pass it.

// FormVersion is the version of a stored record its edit form was read at (VersionAt of its
// updated_at). A form without one, a new record's, an import's or one opened before forms
// carried it, is saved without the check, as before.
type FormVersion struct {
	Version string `form:"version"`
}

// NoVersion is the version a form carries of a record that did not exist when the form was
// read, but that the form makes when saved (a vendor's bank details not yet kept): a save
// from it is refused when someone else made the record meanwhile.
const NoVersion = "none"

// VersionAt is the version an edit form carries of a record last changed at updatedAt; the
// zero time, a record there is none of yet, is NoVersion.
func VersionAt(updatedAt time.Time) string {
	if updatedAt.IsZero() {
		return NoVersion
	}
	return updatedAt.UTC().Format(time.RFC3339Nano)
}

// StaleFormError refuses the save of a form read at an older version of its record. It is a
// validation error (its Refusal, a message above the form) so that the form comes back with
// everything typed; Current is the record's version now, for the form shown again to carry,
// so that saving it again is the person's own choice, made after the warning.
type StaleFormError struct {
	Current string
	Refusal outlay.ValidationErrors
}

func (e *StaleFormError) Error() string { return e.Refusal.Error() }

// Unwrap makes the refusal a validation error like any other (outlay.AsValidation).
func (e *StaleFormError) Unwrap() error { return e.Refusal }

// ChangedSince reports whether err refuses a save because the record changed since its form
// was read (StaleFormError).
func ChangedSince(err error) bool {
	var stale *StaleFormError
	return errors.As(err, &stale)
}

// DeletedDraftError refuses the save of a form whose draft was deleted since the form was
// read, in another tab or by someone else (DraftGone). Like StaleFormError it is a
// validation error (its Refusal, a message above the form), so that the form comes back with
// everything typed for the person to copy, rather than a page that no longer exists.
type DeletedDraftError struct {
	Refusal outlay.ValidationErrors
}

func (e *DeletedDraftError) Error() string { return e.Refusal.Error() }

// Unwrap makes the refusal a validation error like any other (outlay.AsValidation).
func (e *DeletedDraftError) Unwrap() error { return e.Refusal }

// DraftDeleted reports whether err refuses a save because its draft was deleted since its
// form was read (DeletedDraftError).
func DraftDeleted(err error) bool {
	var gone *DeletedDraftError
	return errors.As(err, &gone)
}

// TakeCurrentVersion makes a form refused because its record changed since it was read
// (StaleFormError) carry the record's current version when it is shown again; any other
// refusal leaves the version it was read at, so a change made meanwhile is still caught. A
// form whose draft was deleted (DeletedDraftError) carries none: there is no draft left to
// compare with.
func (v *FormVersion) TakeCurrentVersion(err error) {
	var stale *StaleFormError
	switch {
	case errors.As(err, &stale):
		v.Version = stale.Current
	case DraftDeleted(err):
		v.Version = ""
	}
}

// checkUnchanged refuses the save of a form read at another version than the locked record's,
// last changed at updatedAt; noun names the record's kind ("requisition", "vendor"). A
// version that cannot be read (a tampered form) is refused the same way, and the form shown
// again carries the current one.
func (v FormVersion) checkUnchanged(noun string, updatedAt time.Time) error {
	return v.refuseChanged("This "+noun+" was", noun, updatedAt)
}

// checkSetUnchanged is checkUnchanged for a record named in the plural ("organisation
// settings", "bank details"), which a form edits as a set; their updatedAt is zero when there
// are none now.
func (v FormVersion) checkSetUnchanged(noun string, updatedAt time.Time) error {
	return v.refuseChanged("These "+noun+" were", noun, updatedAt)
}

// refuseChanged refuses a form read at another version than the record's now, last changed
// at updatedAt (zero: removed since); subject begins the refusal ("This vendor was").
func (v FormVersion) refuseChanged(subject, noun string, updatedAt time.Time) error {
	if v.Version == "" || v.Version == VersionAt(updatedAt) {
		return nil
	}
	if read, err := time.Parse(time.RFC3339Nano, v.Version); err == nil && read.Equal(updatedAt) {
		return nil
	}
	msg := fmt.Sprintf("%s changed in another tab or by someone else %s since you opened this form. "+
		"Your changes below are not saved yet: check them against the current %s and save again.", subject, changedWhen(updatedAt), noun)
	if updatedAt.IsZero() {
		msg = subject + " removed in another tab or by someone else since you opened this form. " +
			"Your changes below are not saved yet: check them and save again."
	}
	return &StaleFormError{Current: VersionAt(updatedAt), Refusal: outlay.ValidationErrors{"": msg}}
}

// changedWhen says when a record was changed: "at 14:05 UTC" today, with the day before.
func changedWhen(t time.Time) string {
	t = t.UTC()
	if t.Format(time.DateOnly) == time.Now().UTC().Format(time.DateOnly) {
		return "at " + t.Format("15:04 UTC")
	}
	return "on " + t.Format("2 Jan 2006 at 15:04 UTC")
}

// lockVersion locks the row id of table for the rest of tx and returns when it was last
// changed, or ErrNotFound. table is a constant of the caller, never input.
func lockVersion(tx *gorm.DB, table string, id int64) (time.Time, error) {
	var at []time.Time
	if err := tx.Table(table).Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Pluck("updated_at", &at).Error; err != nil {
		return time.Time{}, err
	}
	if len(at) == 0 {
		return time.Time{}, outlay.ErrNotFound
	}
	return at[0], nil
}

// lockUnchanged locks the row id of table for the rest of tx and refuses a form read at
// another version of it (checkUnchanged, the record named noun).
func (v FormVersion) lockUnchanged(tx *gorm.DB, table string, id int64, noun string) error {
	at, err := lockVersion(tx, table, id)
	if err != nil {
		return err
	}
	return v.checkUnchanged(noun, at)
}

// settingsNoun names the organisation's settings in a refusal: their forms (the settings,
// the receipt threshold, bill matching) share one row, and so one version.
const settingsNoun = "organisation settings"

// lockSettings locks the organisation's settings for the rest of tx and refuses a form of
// them read at another version.
func (v FormVersion) lockSettings(tx *gorm.DB) error {
	at, err := lockVersion(tx, "org_settings", 1)
	if err != nil {
		return err
	}
	return v.checkSetUnchanged(settingsNoun, at)
}

// DraftGone words a draft its edit form names but the save did not find (err, from locking
// it), for the kinds whose owner may delete a draft: a form read at a version of it finds it
// deleted since, in another tab or by someone else, and is refused with a DeletedDraftError
// saying so, rather than that the page does not exist. The answer does not depend on whether
// the record exists for someone else, so it tells nothing about other people's.
func (v FormVersion) DraftGone(noun string, err error) error {
	if v.Version == "" || !errors.Is(err, outlay.ErrNotFound) {
		return err
	}
	msg := fmt.Sprintf("This %s was deleted in another tab or by someone else since you opened this form, so it was not saved. "+
		"Copy what you need from the form below.", noun)
	return &DeletedDraftError{Refusal: outlay.ValidationErrors{"": msg}}
}
