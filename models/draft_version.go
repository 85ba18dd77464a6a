package models

import (
	"errors"
	"fmt"
	"time"

	"outlay"
)

// A draft (a requisition, travel request, expense report or bill that can still be changed)
// may be open in two tabs, or before two clerks, at once. Its edit form carries the version
// of the draft it was read at, and a save (or a submit) from that form is refused when the
// draft changed since, instead of silently undoing the other change, lines included. The
// version is the draft's updated_at to the microsecond, as stored: every change of a draft
// or of its lines sets it, as its lines are only written together with it (writeRequisition,
// writeTravel, writeExpense, writeBill; AttachReceipt sets its report's too). What is not a
// field of the form leaves it: a bill's invoice file, shown beside the form (AttachInvoice).
// The check is made on the draft locked for the save, inside the save's transaction, so two
// saves of forms read at the same version cannot both pass it.

// FormVersion is the version of a stored draft its edit form was read at (DraftVersion of
// its updated_at). A form without one, a new document's or one opened before forms carried
// it, is saved without the check, as before.
type FormVersion struct {
	Version string `form:"version"`
}

// DraftVersion is the version an edit form carries of a draft last changed at updatedAt.
func DraftVersion(updatedAt time.Time) string { return updatedAt.UTC().Format(time.RFC3339Nano) }

// StaleDraftError refuses the save of a form read at an older version of its draft. It is a
// validation error (its Refusal, a message above the form) so that the form comes back with
// everything typed; Current is the draft's version now, for the form shown again to carry,
// so that saving it again is the person's own choice, made after the warning.
type StaleDraftError struct {
	Current string
	Refusal outlay.ValidationErrors
}

func (e *StaleDraftError) Error() string { return e.Refusal.Error() }

// Unwrap makes the refusal a validation error like any other (outlay.AsValidation).
func (e *StaleDraftError) Unwrap() error { return e.Refusal }

// DeletedDraftError refuses the save of a form whose draft was deleted since the form was
// read, in another tab or by someone else (DraftGone). Like StaleDraftError it is a
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

// TakeCurrentVersion makes a form refused because its draft changed since it was read
// (StaleDraftError) carry the draft's current version when it is shown again; any other
// refusal leaves the version it was read at, so a change made meanwhile is still caught. A
// form whose draft was deleted (DeletedDraftError) carries none: there is no draft left to
// compare with.
func (v *FormVersion) TakeCurrentVersion(err error) {
	var stale *StaleDraftError
	switch {
	case errors.As(err, &stale):
		v.Version = stale.Current
	case DraftDeleted(err):
		v.Version = ""
	}
}

// checkUnchanged refuses the save of a form read at another version than the locked draft's,
// last changed at updatedAt; noun names the draft's kind ("requisition"). A version that
// cannot be read (a tampered form) is refused the same way, and the form shown again carries
// the current one.
func (v FormVersion) checkUnchanged(noun string, updatedAt time.Time) error {
	if v.Version == "" {
		return nil
	}
	if read, err := time.Parse(time.RFC3339Nano, v.Version); err == nil && read.Equal(updatedAt) {
		return nil
	}
	msg := fmt.Sprintf("This %s was changed in another tab or by someone else %s since you opened this form. "+
		"Your changes below are not saved yet: check them against the current %s and save again.", noun, changedWhen(updatedAt), noun)
	return &StaleDraftError{Current: DraftVersion(updatedAt), Refusal: outlay.ValidationErrors{"": msg}}
}

// changedWhen says when a draft was changed: "at 14:05 UTC" today, with the day before.
func changedWhen(t time.Time) string {
	t = t.UTC()
	if t.Format(time.DateOnly) == time.Now().UTC().Format(time.DateOnly) {
		return "at " + t.Format("15:04 UTC")
	}
	return "on " + t.Format("2 Jan 2006 at 15:04 UTC")
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
