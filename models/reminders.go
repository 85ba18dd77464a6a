package models

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay/mail"
)

// staleSteps reads the pending steps that have waited since before @before (a step's
// updated_at is when it began to wait), with what the queue shows of their documents.
var staleSteps = func() string {
	var parts []string
	for _, k := range ApprovableKinds() {
		parts = append(parts, queueBranch(k, `s.status = 'pending' AND s.updated_at < @before`))
	}
	return `SELECT q.*, st.updated_at AS waiting_since FROM (` + strings.Join(parts, "\nUNION ALL\n") + `) q
	JOIN approval_steps st ON st.id = q.step_id ORDER BY st.updated_at, q.step_id`
}()

type staleStep struct {
	QueueItem
	WaitingSince time.Time
}

// reminderEntry is one waiting document in a person's reminder.
type reminderEntry struct {
	s          docSummary
	since      time.Time
	onBehalfOf string // the approver the person stands in for; empty for their own steps
}

// SendReminders queues, when the organisation reminds approvers and the day's mail hour has
// come in its time zone, one mail to each person who may decide a step that has waited longer
// than the organisation allows, listing every such step: its approver and whoever stands in
// for them today, or everyone holding its role, exactly as "waits for your approval" tells
// them; never the requester, nor anyone who may not open the document. Each person is
// reminded once a local day at most (daily_mails); a person who turned reminders off gets
// none. The ids of the queued mails are collected by n for delivery.
func SendReminders(ctx context.Context, db *gorm.DB, n *Notifier, now time.Time) (int, error) {
	db = db.WithContext(ctx)
	st, err := Settings(ctx, db)
	if err != nil || st.RemindApproversAfterDays <= 0 {
		return 0, err
	}
	loc := st.Location()
	round := DailyRoundAt(now, loc)
	var steps []staleStep
	before := now.Add(-time.Duration(st.RemindApproversAfterDays) * 24 * time.Hour)
	if err := db.Raw(staleSteps, map[string]any{"before": before}).Scan(&steps).Error; err != nil {
		return 0, err
	}
	people := map[int64]recipient{}
	entries := map[int64][]reminderEntry{}
	// Later runs the same day skip whoever was reminded already before checking anything else
	// of them.
	reminded := map[int64]bool{}
	due := func(userID int64) (bool, error) {
		done, seen := reminded[userID]
		if !seen {
			var err error
			if done, err = hadDailyMail(db, userID, DailyReminder, round); err != nil {
				return false, err
			}
			reminded[userID] = done
		}
		return !done, nil
	}
	for _, it := range steps {
		if err := remindFor(db, it, due, people, entries); err != nil {
			return 0, err
		}
	}
	ids := make([]int64, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	sent := 0
	for _, id := range ids {
		err := db.Transaction(func(tx *gorm.DB) error {
			markID, err := markDailyMail(tx, id, DailyReminder, round)
			if err != nil || markID == 0 {
				return err
			}
			if d, err := mailDelivery(tx, id, MailApprovalReminder); err != nil || d == DeliverOff {
				return err
			}
			// A reminder is itself once a day: read "in the digest", it still comes on its own.
			m := n.finish(reminderMail(n, people[id], entries[id], st.RemindApproversAfterDays, loc), id, MailApprovalReminder)
			mailID, err := QueueMail(ctx, tx, MailApprovalReminder, m, false)
			if err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE daily_mails SET mail_id = ?, items = ? WHERE id = ?`, mailID, len(entries[id]), markID).Error; err != nil {
				return err
			}
			n.willSend(mailID)
			sent++
			return nil
		})
		if err != nil {
			return sent, fmt.Errorf("reminder for person %d: %w", id, err)
		}
	}
	return sent, nil
}

// remindFor adds step it to the reminders of everyone it waits for who is due one.
func remindFor(tx *gorm.DB, it staleStep, due func(int64) (bool, error), people map[int64]recipient, entries map[int64][]reminderEntry) error {
	s, err := summarize(tx, ApprovalDocument{Type: it.DocType, ID: it.DocID, Number: it.Number, RequesterID: it.RequesterID, Total: it.Total()})
	if err != nil {
		return err
	}
	step := ApprovalStep{Kind: it.Kind, Role: it.Role, ApproverID: it.ApproverID}
	add := func(to []recipient, onBehalfOf string) error {
		for _, r := range to {
			ok, err := due(r.ID)
			if err == nil && ok {
				ok, err = mayOpen(tx, s, r.ID)
			}
			if err != nil {
				return err
			}
			if ok {
				people[r.ID] = r
				entries[r.ID] = append(entries[r.ID], reminderEntry{s: s, since: it.WaitingSince, onBehalfOf: onBehalfOf})
			}
		}
		return nil
	}
	// Whoever filed it for its requester (the step keeps them), and a bill's or payment run's
	// other authors, are never reminded either: they may not decide it.
	own := []int64{it.RequesterID}
	var filer *int64
	if err := tx.Raw(`SELECT doc_filer_id FROM approval_steps WHERE id = ?`, it.StepID).Scan(&filer).Error; err != nil {
		return err
	}
	if filer != nil {
		own = append(own, *filer)
	}
	if table, ok := map[string]string{DocBill: "bills", DocPayment: "payment_runs"}[it.DocType]; ok {
		var authors IDList
		if err := tx.Raw(`SELECT authors FROM `+table+` WHERE id = ?`, it.DocID).Row().Scan(&authors); err != nil {
			return err
		}
		own = append(own, authors...)
	}
	deciders, err := stepDeciders(tx, own, step)
	if err != nil {
		return err
	}
	if err := add(deciders, ""); err != nil {
		return err
	}
	if !(step.Kind == StepRole && step.Role != nil) && step.ApproverID != nil {
		delegates, err := stepDelegates(tx, own, *step.ApproverID)
		if err != nil || len(delegates) == 0 {
			return err
		}
		return add(delegates, it.ApproverName)
	}
	return nil
}

func reminderMail(n *Notifier, to recipient, list []reminderEntry, days int, loc *time.Location) mail.Message {
	var b strings.Builder
	waited := "1 day"
	if days != 1 {
		waited = fmt.Sprintf("%d days", days)
	}
	fmt.Fprintf(&b, "Hello %s,\n\nThese requests in %s have waited for your approval for more than %s:\n", to.Name, n.OrgName, waited)
	for _, e := range list {
		fmt.Fprintf(&b, "\n- %s %s from %s for %s, waiting since %s\n", UpperFirst(e.s.Label), e.s.Number, e.s.Requester.Name, e.s.Total,
			e.since.In(loc).Format("Mon 2 Jan"))
		if e.onBehalfOf != "" {
			fmt.Fprintf(&b, "  You stand in for %s, who has asked you to decide for them.\n", e.onBehalfOf)
		}
		fmt.Fprintf(&b, "  %s\n", n.link(e.s.Path))
	}
	fmt.Fprintf(&b, "\nOpen them to approve or reject them. All the requests waiting for you: %s\n", n.link("/approvals"))
	subject := "Reminder: 1 request waits for your approval"
	if len(list) != 1 {
		subject = fmt.Sprintf("Reminder: %d requests wait for your approval", len(list))
	}
	return mail.Message{To: to.Email, Subject: subject, Body: b.String()}
}
