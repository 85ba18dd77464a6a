package models

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"outlay/auth"
)

// An unsubscribe link names a tenant, a person and a kind of notification mail, signed with
// the server's secret: whoever holds the mail may stop that kind without signing in, and
// nobody can make a link for another person, kind or organisation.
var (
	// ErrUnsubscribeInvalid is a link that was not made here, or was changed.
	ErrUnsubscribeInvalid = errors.New("unsubscribe link is not valid")
	// ErrUnsubscribeElsewhere is a genuine link of another organisation.
	ErrUnsubscribeElsewhere = errors.New("unsubscribe link belongs to another organisation")
)

const unsubscribePurpose = "unsubscribe"

// UnsubscribeToken is the signed part of the link that stops mail of kind for person userID
// of tenant slug. Kind is a notification kind, or MailDigest for the daily digest as a whole.
func UnsubscribeToken(signer *auth.Signer, slug string, userID int64, kind string) string {
	return signer.Seal(unsubscribePurpose, slug+"/"+strconv.FormatInt(userID, 10)+"/"+kind)
}

// Unsubscription is what a valid unsubscribe link names.
type Unsubscription struct {
	UserID int64
	Email  string
	Kind   string
	// Labels name the kinds of event it stops: the kind's own, or, for the digest, each kind
	// the person reads in it.
	Labels []string
	// Off is true when nothing it names is still mailed.
	Off bool
}

// ReadUnsubscribe checks an unsubscribe link of tenant slug and says what it stops:
// ErrUnsubscribeInvalid for a forged or changed one (or one naming nobody here),
// ErrUnsubscribeElsewhere for another organisation's.
func ReadUnsubscribe(ctx context.Context, db *gorm.DB, signer *auth.Signer, slug, token string) (Unsubscription, error) {
	value, ok := signer.Open(unsubscribePurpose, token)
	if !ok {
		return Unsubscription{}, ErrUnsubscribeInvalid
	}
	parts := strings.Split(value, "/")
	if len(parts) != 3 {
		return Unsubscription{}, ErrUnsubscribeInvalid
	}
	if parts[0] != slug {
		return Unsubscription{}, ErrUnsubscribeElsewhere
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || (parts[2] != MailDigest && !IsNotificationKind(parts[2])) {
		return Unsubscription{}, ErrUnsubscribeInvalid
	}
	u := Unsubscription{UserID: id, Kind: parts[2]}
	if err := db.WithContext(ctx).Raw(`SELECT email FROM users WHERE id = ?`, id).Scan(&u.Email).Error; err != nil {
		return u, err
	}
	if u.Email == "" {
		return Unsubscription{}, ErrUnsubscribeInvalid
	}
	prefs, err := NotificationPreferences(ctx, db, id)
	if err != nil {
		return u, err
	}
	for _, k := range u.kinds(prefs) {
		u.Labels = append(u.Labels, kindLabel(k))
	}
	u.Off = len(u.kinds(prefs)) == 0 || (u.Kind != MailDigest && prefs[u.Kind] == DeliverOff)
	return u, nil
}

// kinds are the kinds the link turns off: its own, or those read in the digest.
func (u Unsubscription) kinds(prefs map[string]string) []string {
	if u.Kind != MailDigest {
		return []string{u.Kind}
	}
	var out []string
	for _, k := range NotificationKinds {
		if prefs[k.Kind] == DeliverDigest {
			out = append(out, k.Kind)
		}
	}
	return out
}

func kindLabel(kind string) string {
	for _, k := range NotificationKinds {
		if k.Kind == kind {
			return k.Label
		}
	}
	return kind
}

// Unsubscribe turns off what a valid link names, as the person's own preference change (ctx
// carries them as the actor): recorded like any change of their preferences.
func Unsubscribe(ctx context.Context, db *gorm.DB, u Unsubscription) error {
	prefs, err := NotificationPreferences(ctx, db, u.UserID)
	if err != nil {
		return err
	}
	choices := map[string]string{}
	for _, k := range u.kinds(prefs) {
		choices[k] = DeliverOff
	}
	return SetNotificationPreferences(ctx, db, u.UserID, choices)
}
