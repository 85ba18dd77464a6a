package models

import (
	"fmt"

	"gorm.io/gorm"

	"outlay/mail"
)

// MailCancelled is the kind of notification telling people that an approved request they took
// part in was cancelled.
const MailCancelled = "notify_cancelled"

// notifyTripCancelled tells those approved trip t concerned that it was cancelled, and why:
// its traveller and whoever filed it, and the people who approved it (whose approval committed
// its estimate against the budget), a delegate and the person they approved for alike. Nobody is told of their own cancellation.
func notifyTripCancelled(tx *gorm.DB, t TravelRequest, actorID int64, reason string) error {
	doc := ApprovalDocument{Type: DocTravel, ID: t.ID, RequesterID: t.TravellerID, Total: t.Total()}
	if t.Number != nil {
		doc.Number = *t.Number
	}
	n, s, err := notification(tx, doc)
	if n == nil || err != nil {
		return err
	}
	to, err := activePeople(tx, `u.id <> ? AND (u.id IN (?, ?) OR u.id IN (SELECT unnest(ARRAY[acted_by, on_behalf_of]) FROM approval_steps
		WHERE doc_type = ? AND doc_id = ? AND status = ?))`, actorID, t.TravellerID, t.FiledByID, DocTravel, t.ID, StepApproved)
	if err != nil || len(to) == 0 {
		return err
	}
	by, err := userName(tx, actorID)
	if err != nil {
		return err
	}
	return n.queue(tx, MailCancelled, s, to, func(rc recipient) notice {
		title := fmt.Sprintf("The %s %s for %s was cancelled by %s", s.Label, s.Number, s.Total, by)
		return notice{Title: title, Summary: by + "'s reason: " + reason, Mail: mail.Message{
			To:      rc.Email,
			Subject: fmt.Sprintf("%s %s was cancelled", UpperFirst(s.Label), s.Number),
			Body: fmt.Sprintf("Hello %s,\n\n%s cancelled the %s %s for %s: it will not take place, and it no longer holds its estimate against the budget.\n\n%s's reason:\n%s\n\nOpen it: %s\n",
				rc.Name, by, s.Label, s.Number, s.Total, by, quote(reason), n.link(s.Path)),
		}}
	})
}
