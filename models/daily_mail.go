package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay/mail"
)

// DailyMailHour is the hour of the organisation's local day from which its daily mails (the
// digest and the approvers' reminders) go out.
const DailyMailHour = 8

// Kinds of daily mail, as daily_mails records them, and the outbox kind of the digest.
const (
	DailyDigest   = "digest"
	DailyReminder = "reminder"
	MailDigest    = "notify_digest"
)

// DailyRound is the latest local day whose mail hour has come: its daily mails are due, and
// the digest lists what happened before its cutoff.
type DailyRound struct {
	Day    string    // the local date, 2006-01-02
	Cutoff time.Time // DailyMailHour on Day, in the organisation's zone
}

// DailyRoundAt is the daily round due at now in the zone loc.
func DailyRoundAt(now time.Time, loc *time.Location) DailyRound {
	l := now.In(loc)
	cut := time.Date(l.Year(), l.Month(), l.Day(), DailyMailHour, 0, 0, 0, loc)
	if l.Before(cut) {
		cut = time.Date(l.Year(), l.Month(), l.Day()-1, DailyMailHour, 0, 0, 0, loc)
	}
	return DailyRound{Day: cut.Format(time.DateOnly), Cutoff: cut}
}

// digestDueSQL finds the people with notifications waiting for a digest from before the
// cutoff, from the pending notifications' partial index. Once a person's digest of the day is
// queued they have none left before the cutoff, so later runs find nobody; whether a person
// had the day's digest is looked up person by person, by the daily mails' unique index.
const digestDueSQL = `SELECT DISTINCT recipient_id FROM notifications WHERE digest_pending AND created_at < ? ORDER BY 1`

// SendDigests queues, for each person with notifications waiting for their digest from
// before the cutoff of the round due at now, one mail listing them all, and remembers that
// the person had their digest that local day: a second run the same day (a retry, another
// server) finds the mark and sends nothing. Events after the cutoff wait for the next day's
// digest. A kind the person has since turned off is left out. Each person's digest is its own
// transaction; the ids of the queued mails are collected by n for delivery.
func SendDigests(ctx context.Context, db *gorm.DB, n *Notifier, now time.Time) (int, error) {
	db = db.WithContext(ctx)
	st, err := Settings(ctx, db)
	if err != nil {
		return 0, err
	}
	loc := st.Location()
	round := DailyRoundAt(now, loc)
	var due []int64
	if err := db.Raw(digestDueSQL, round.Cutoff).Scan(&due).Error; err != nil {
		return 0, err
	}
	sent := 0
	for _, userID := range due {
		err := db.Transaction(func(tx *gorm.DB) error {
			ok, err := sendDigest(tx, n, userID, round, loc)
			if ok {
				sent++
			}
			return err
		})
		if err != nil {
			return sent, fmt.Errorf("digest for person %d: %w", userID, err)
		}
	}
	return sent, nil
}

// markDailyMail records that person userID has their daily mail of kind on the round's day;
// id is 0 when they already had it (the unique index settles two servers racing).
func markDailyMail(tx *gorm.DB, userID int64, kind string, round DailyRound) (id int64, err error) {
	if had, err := hadDailyMail(tx, userID, kind, round); had || err != nil {
		return 0, err
	}
	err = tx.Raw(`INSERT INTO daily_mails (user_id, kind, local_day) VALUES (?, ?, ?)
		ON CONFLICT (user_id, kind, local_day) DO NOTHING RETURNING id`, userID, kind, round.Day).Scan(&id).Error
	return id, err
}

const hadDailyMailSQL = `SELECT EXISTS (SELECT 1 FROM daily_mails WHERE user_id = ? AND kind = ? AND local_day = ?)`

// hadDailyMail reports whether person userID had their daily mail of kind on the round's day.
func hadDailyMail(tx *gorm.DB, userID int64, kind string, round DailyRound) (bool, error) {
	var had bool
	err := tx.Raw(hadDailyMailSQL, userID, kind, round.Day).Scan(&had).Error
	return had, err
}

func sendDigest(tx *gorm.DB, n *Notifier, userID int64, round DailyRound, loc *time.Location) (bool, error) {
	markID, err := markDailyMail(tx, userID, DailyDigest, round)
	if err != nil || markID == 0 {
		return false, err
	}
	var items []Notification
	if err := tx.Raw(`SELECT * FROM notifications WHERE recipient_id = ? AND digest_pending AND created_at < ?
		ORDER BY created_at, id FOR UPDATE`, userID, round.Cutoff).Scan(&items).Error; err != nil {
		return false, err
	}
	var person struct {
		ID                  int64
		Name, Email, Status string
	}
	if err := tx.Raw(`SELECT id, name, email, status FROM users WHERE id = ?`, userID).Scan(&person).Error; err != nil {
		return false, err
	}
	prefs, err := NotificationPreferences(tx.Statement.Context, tx, userID)
	if err != nil {
		return false, err
	}
	ids := make([]int64, 0, len(items))
	var keep []Notification
	for _, it := range items {
		ids = append(ids, it.ID)
		if person.Status == UserActive && prefs[it.Kind] != DeliverOff {
			keep = append(keep, it)
		}
	}
	if len(ids) > 0 {
		if err := tx.Exec(`UPDATE notifications SET digest_pending = false, digest_id = ? WHERE id IN ?`, markID, ids).Error; err != nil {
			return false, err
		}
	}
	if len(keep) == 0 {
		return false, nil
	}
	mailID, err := QueueMail(tx.Statement.Context, tx, MailDigest,
		n.finish(digestMail(n, recipient{ID: person.ID, Name: person.Name, Email: person.Email}, keep, loc), person.ID, MailDigest), false)
	if err != nil {
		return false, err
	}
	if err := tx.Exec(`UPDATE daily_mails SET mail_id = ?, items = ? WHERE id = ?`, mailID, len(keep), markID).Error; err != nil {
		return false, err
	}
	n.willSend(mailID)
	return true, nil
}

// digestMail lists a person's notifications, grouped by kind in the order their preferences
// list the kinds, each with its time in the organisation's zone and its link.
func digestMail(n *Notifier, to recipient, items []Notification, loc *time.Location) mail.Message {
	groups := map[string][]Notification{}
	for _, it := range items {
		groups[it.Kind] = append(groups[it.Kind], it)
	}
	var order []NotificationKind
	seen := map[string]bool{}
	for _, k := range NotificationKinds {
		if len(groups[k.Kind]) > 0 {
			order, seen[k.Kind] = append(order, k), true
		}
	}
	for _, it := range items { // kinds without a label of their own come last
		if !seen[it.Kind] {
			order, seen[it.Kind] = append(order, NotificationKind{Kind: it.Kind, Label: "Other notifications"}), true
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\nHere is what happened in %s since your last digest (times in %s).\n", to.Name, n.OrgName, loc)
	for _, k := range order {
		fmt.Fprintf(&b, "\n%s (%d)\n", k.Label, len(groups[k.Kind]))
		for _, it := range groups[k.Kind] {
			fmt.Fprintf(&b, "\n- %s\n", it.Title)
			if it.Summary != "" {
				fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(it.Summary, "\n", "\n  "))
			}
			fmt.Fprintf(&b, "  %s, %s\n", it.CreatedAt.In(loc).Format("Mon 2 Jan 15:04"), n.link(it.LinkPath))
		}
	}
	b.WriteString("\nYou get this digest because you chose to read these notifications once a day.\n")
	what := "1 notification"
	if len(items) != 1 {
		what = fmt.Sprintf("%d notifications", len(items))
	}
	return mail.Message{To: to.Email, Subject: fmt.Sprintf("Your daily digest from %s: %s", n.OrgName, what), Body: b.String()}
}
