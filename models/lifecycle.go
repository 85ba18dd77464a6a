package models

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"gorm.io/gorm"

	"outlay/mail"
)

// MailPurgeNotice is the kind of the notice telling an organisation's admins that its data
// will be deleted: a service notice, not an event a person can turn off.
const MailPurgeNotice = "purge_notice"

// PurgeNoticeDays are how many days before a lapsed organisation's purge its admins are told.
var PurgeNoticeDays = []int{30, 7, 1}

// PurgeNotice is what a notice before a purge says.
type PurgeNotice struct {
	OrgName    string
	PurgeAfter time.Time
	// DaysBefore is the notice it is (30, 7 or 1): each is sent once per purge date.
	DaysBefore int
	Now        time.Time
	ExportURL  string // the page where everything is exported
	ExportPath string
}

// DuePurgeNotice is the notice due at now before a purge at purgeAfter: the nearest of
// PurgeNoticeDays that has begun, or 0 when none has (or the purge is past). A notice passed
// over (the organisation lapsed with less time left) is not sent late.
func DuePurgeNotice(purgeAfter, now time.Time) int {
	due := 0
	for _, d := range PurgeNoticeDays {
		if !now.Before(purgeAfter.Add(-time.Duration(d)*24*time.Hour)) && now.Before(purgeAfter) && (due == 0 || d < due) {
			due = d
		}
	}
	return due
}

// SendPurgeNotice tells every active admin, in the app and by mail, that the organisation's
// data will be deleted, unless this notice was sent already. It returns the mails to deliver.
func SendPurgeNotice(ctx context.Context, db *gorm.DB, p PurgeNotice) (mailIDs []int64, err error) {
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		admins, err := activeAdmins(tx)
		if err != nil {
			return err
		}
		res := tx.Exec(`INSERT INTO purge_notices (purge_after, days_before, recipients) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			p.PurgeAfter, p.DaysBefore, len(admins))
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		day := p.PurgeAfter.UTC().Format("2 January 2006")
		left := purgeTimeLeft(p.PurgeAfter.Sub(p.Now))
		title := fmt.Sprintf("%s's data will be deleted on %s (%s)", p.OrgName, day, left)
		summary := "The subscription has ended. Export everything you want to keep before then."
		for _, a := range admins {
			id, err := QueueMail(ctx, tx, MailPurgeNotice, purgeNoticeMail(p, a, day, left), false)
			if err != nil {
				return err
			}
			mailIDs = append(mailIDs, id)
			if err := tx.Create(&Notification{RecipientID: a.ID, Kind: MailPurgeNotice, DocType: "tenant", DocID: 0,
				Title: title, Summary: summary, LinkPath: p.ExportPath}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return mailIDs, err
}

// activeAdmins are the organisation's active admins, first made first.
func activeAdmins(db *gorm.DB) ([]recipient, error) {
	var admins []recipient
	err := db.Raw(`SELECT u.id, u.name, u.email FROM users u WHERE u.status = 'active'
		AND u.id IN (SELECT user_id FROM user_roles WHERE role = 'admin') ORDER BY u.id`).Scan(&admins).Error
	return admins, err
}

// Contact is a person to turn to, as a page names them.
type Contact struct {
	ID          int64
	Name, Email string
}

// AdminContacts are the organisation's active admins, first made first: whom its people ask
// to renew a subscription that ended.
func AdminContacts(ctx context.Context, db *gorm.DB) ([]Contact, error) {
	admins, err := activeAdmins(db.WithContext(ctx))
	out := make([]Contact, len(admins))
	for i, a := range admins {
		out[i] = Contact(a)
	}
	return out, err
}

// origin is the scheme and host of address ("" when it has none).
func origin(address string) string {
	u, err := url.Parse(address)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func purgeNoticeMail(p PurgeNotice, to recipient, day, left string) mail.Message {
	m := mail.Message{
		To:      to.Email,
		Subject: fmt.Sprintf("%s's data in Outlay will be deleted on %s", p.OrgName, day),
		Body: fmt.Sprintf("Hello %s,\n\n%s's Outlay subscription has ended, and its data is read-only. On %s (%s) "+
			"everything in it is deleted for good: requests, orders, bills, expenses, their files and the audit log.\n\n"+
			"Export everything you want to keep before then:\n%s\n\nTo keep using Outlay, contact us to renew the subscription.\n",
			to.Name, p.OrgName, day, left, p.ExportURL),
	}
	m.HTML = mail.TextToHTML(m.Subject, m.Body, origin(p.ExportURL))
	return m
}

// purgeTimeLeft says how long is left before a purge: "in 30 days", "in 1 day", "in 5 hours".
func purgeTimeLeft(d time.Duration) string {
	if d < time.Hour {
		return "within the hour"
	}
	return "in " + TimeLeft(d)
}

// TimeLeft says a time still to run in words: "90 days", "2 days and 23 hours" (hours are said
// within the last week), "5 hours", "less than an hour". From a day on it is said to the
// nearest hour, and from a week on to the nearest day, so that a window of 90 days read a
// moment after it opened is "90 days", not "89 days"; within the last day it is never said as
// more than there is (whole hours, then "less than an hour"), since what runs out then is close.
func TimeLeft(d time.Duration) string {
	const day = 24 * time.Hour
	plural := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d < time.Hour:
		return "less than an hour"
	case d < day:
		return plural(int(d/time.Hour), "hour")
	}
	hours := int(d.Round(time.Hour) / time.Hour)
	if days := hours / 24; days < 7 && hours%24 > 0 {
		return plural(days, "day") + " and " + plural(hours%24, "hour")
	}
	return plural(int(d.Round(day)/day), "day")
}

// EndAllSessions signs everyone out of the organisation (it is suspended): every session is
// deleted, so reactivating the organisation signs nobody back in.
func EndAllSessions(ctx context.Context, db *gorm.DB) (int64, error) {
	res := db.WithContext(ctx).Exec(`DELETE FROM sessions`)
	return res.RowsAffected, res.Error
}
