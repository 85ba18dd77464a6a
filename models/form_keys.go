package models

import (
	"errors"
	"strings"

	"gorm.io/gorm"
)

// A form that makes something new (a requisition, an expense report, a travel request, a bill,
// a comment) carries a key drawn when the form was shown, kept on what its first post made, so
// that the same form posted again (a double click, a resent request) makes nothing more.

// MaxFormKey is the longest form key kept, in bytes.
const MaxFormKey = 64

// formKeyOf is the form key s carries; nil when there is none, or one too long or not plain
// text to store (such a form is still saved, only not guarded against a second post).
func formKeyOf(s string) *string {
	if k := strings.TrimSpace(s); k != "" && len(k) <= MaxFormKey && plainText(k) {
		return &k
	}
	return nil
}

// formAlreadySaved reports whether owner's form with key already made a record of its kind,
// reading that record into dest (a pointer to the kind's model, whose table has the columns
// ownerColumn and form_key). It first takes owner's lock on the kind's new forms (named lock,
// held until tx ends), so that posts of one form at once are taken one after the other: each
// after the first finds what the first made, rather than meeting it on the unique form key.
func formAlreadySaved(tx *gorm.DB, lock, ownerColumn string, owner int64, key string, dest any) (bool, error) {
	if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtextextended(?::text || ?::bigint, 0))`, "outlay."+lock+"_form:", owner).Error; err != nil {
		return false, err
	}
	err := tx.Where(ownerColumn+" = ? AND form_key = ?", owner, key).Take(dest).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return err == nil, err
}
