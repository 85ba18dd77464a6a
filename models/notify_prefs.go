package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
)

// How a person is told of a kind of event by mail. The in-app notification is written
// whatever the choice.
const (
	DeliverInstantly = "instantly"
	DeliverDigest    = "digest"
	DeliverOff       = "off"
)

// NotificationKind is one kind of event a person may be told of, as their preferences name it.
type NotificationKind struct {
	Kind  string
	Label string
}

// NotificationKinds are the kinds of event a person chooses how to be told of, in the order
// their preferences list them.
var NotificationKinds = []NotificationKind{
	{MailStepWaiting, "A request waits for your approval"},
	{MailDecided, "Your request is approved or rejected"},
	{MailOrdered, "Your request is ordered"},
	{MailReceived, "Goods are received against your request"},
	{MailReimbursed, "Your expense report is paid"},
	{MailCancelled, "An approved trip you take, filed or approved is cancelled"},
	{MailApprovalReminder, "Reminder of requests that have waited long for your approval (once a day at most)"},
	{MailComment, "Someone comments on a request or order you take part in"},
	{MailMention, "Someone mentions you in a comment"},
	{MailBudget, "A request you requested or approve is over budget at its last approval"},
}

// IsNotificationKind reports whether kind is one of NotificationKinds.
func IsNotificationKind(kind string) bool {
	for _, k := range NotificationKinds {
		if k.Kind == kind {
			return true
		}
	}
	return false
}

// NotificationPreference is a person's choice for one kind of event; a kind without one is
// delivered instantly.
type NotificationPreference struct {
	ID        int64
	UserID    int64
	Kind      string
	Delivery  string
	UpdatedAt time.Time
}

// NotificationPreferences returns person userID's choice for every kind, instantly where they
// made none.
func NotificationPreferences(ctx context.Context, db *gorm.DB, userID int64) (map[string]string, error) {
	var rows []NotificationPreference
	if err := db.WithContext(ctx).Where("user_id = ?", userID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]string, len(NotificationKinds))
	for _, k := range NotificationKinds {
		out[k.Kind] = DeliverInstantly
	}
	for _, r := range rows {
		out[r.Kind] = r.Delivery
	}
	return out, nil
}

// SetNotificationPreferences records person userID's choices, kind by kind; only the kinds
// whose choice changes are written (and so audited, with the previous and new choice). A
// choice that is not one of the three is refused beside its kind, and nothing is written.
func SetNotificationPreferences(ctx context.Context, db *gorm.DB, userID int64, choices map[string]string) error {
	v := outlay.ValidationErrors{}
	for kind, d := range choices {
		switch {
		case !IsNotificationKind(kind):
			v.Add("", "There is no kind of notification called "+kind+".")
		case d != DeliverInstantly && d != DeliverDigest && d != DeliverOff:
			v.Add(kind, "Choose instantly, daily digest or off.")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, k := range NotificationKinds {
			d, ok := choices[k.Kind]
			if !ok {
				continue
			}
			if err := setNotificationPreference(tx, userID, k.Kind, d); err != nil {
				return err
			}
		}
		return nil
	})
}

func setNotificationPreference(tx *gorm.DB, userID int64, kind, delivery string) error {
	var p NotificationPreference
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("user_id = ? AND kind = ?", userID, kind).Take(&p).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		if delivery == DeliverInstantly {
			return nil
		}
		return tx.Create(&NotificationPreference{UserID: userID, Kind: kind, Delivery: delivery}).Error
	case err != nil:
		return err
	case p.Delivery == delivery:
		return nil
	}
	return tx.Model(&p).Update("delivery", delivery).Error
}

// mailDelivery is how person userID reads mail of kind: instantly, in the daily digest or
// not at all. The in-app notification is written whichever it is.
func mailDelivery(tx *gorm.DB, userID int64, kind string) (string, error) {
	var d string
	err := tx.Raw(`SELECT delivery FROM notification_preferences WHERE user_id = ? AND kind = ?`, userID, kind).Scan(&d).Error
	if d == "" {
		d = DeliverInstantly
	}
	return d, err
}
