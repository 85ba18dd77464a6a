package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/auth"
	"outlay/mail"
)

// Kinds of notification mail.
const (
	MailStepWaiting = "notify_step_waiting"
	MailDecided     = "notify_decided"
	MailOrdered     = "notify_ordered"
	MailReceived    = "notify_received"
	// MailApprovalReminder reminds an approver, once a day, of the steps that have waited for
	// them longer than the organisation allows (a daily mail, not an event).
	MailApprovalReminder = "notify_approval_reminder"
)

// Notifier carries what notifications need from the request that causes them, the
// organisation's name and the address its pages live at, and collects the mails they queue
// so that the caller has them delivered after the commit. Notifications are recorded in the
// outbox in the transaction of the change that causes them: a rolled-back change leaves none,
// and delivering the id of a rolled-back mail does nothing. Without a Notifier in the context
// (seeding sample data, for one) nothing is recorded.
type Notifier struct {
	OrgName string
	BaseURL string // the tenant's address, without a trailing slash
	// Slug and Signer make each mail's unsubscribe link; without a Signer mails carry none.
	Slug   string
	Signer *auth.Signer

	mu     sync.Mutex
	queued []int64
}

type notifierKey struct{}

// WithNotifier returns ctx carrying n.
func WithNotifier(ctx context.Context, n *Notifier) context.Context {
	return context.WithValue(ctx, notifierKey{}, n)
}

func notifierFrom(ctx context.Context) *Notifier {
	if ctx == nil {
		return nil
	}
	n, _ := ctx.Value(notifierKey{}).(*Notifier)
	return n
}

// TakeQueued returns the ids of the mails queued so far and forgets them.
func (n *Notifier) TakeQueued() []int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	ids := n.queued
	n.queued = nil
	return ids
}

// finish completes the notification mail of kind to person userID: a footer with the link
// that stops mail of this kind (also sent as List-Unsubscribe) and the way to the person's
// preferences, and the HTML version of the whole text.
func (n *Notifier) finish(m mail.Message, userID int64, kind string) mail.Message {
	var b strings.Builder
	b.WriteString(strings.TrimRight(m.Body, "\n"))
	b.WriteString("\n\n-- \n")
	if n.Signer != nil {
		m.Unsubscribe = n.link("/unsubscribe/" + UnsubscribeToken(n.Signer, n.Slug, userID, kind))
		what := "mail of this kind (" + strings.ToLower(kindLabel(kind)) + ")"
		if kind == MailDigest {
			what = "the daily digest"
		}
		fmt.Fprintf(&b, "Stop %s: %s\n", what, m.Unsubscribe)
	}
	fmt.Fprintf(&b, "Choose how you are told of each kind of event: %s\n", n.link("/settings/notifications"))
	m.Body = b.String()
	m.HTML = mail.TextToHTML(m.Subject, m.Body, n.BaseURL)
	return m
}

func (n *Notifier) link(path string) string { return strings.TrimRight(n.BaseURL, "/") + path }

// recipient is a person a notification goes to.
type recipient struct {
	ID    int64
	Name  string
	Email string
}

// notice is one notification as its recipient receives it: by mail, and in the app.
type notice struct {
	Mail    mail.Message
	Title   string // names the document, the person and the amount
	Summary string
}

// queue tells each person in to (skipping duplicates and anyone who may not open the
// document): it writes the notification mail to the outbox (when the person reads this kind
// instantly; in a daily digest, the notification waits for the digest; off, no mail) and the
// in-app notification, in the transaction of the change. Both are written only by record,
// so the mail and the bell always agree on who is told.
func (n *Notifier) queue(tx *gorm.DB, kind string, s docSummary, to []recipient, write func(r recipient) notice) error {
	seen := map[int64]bool{}
	for _, r := range to {
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		ok, delivery, err := mayOpenDelivered(tx, s, r.ID, kind)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := n.deliver(tx, kind, s, r, delivery, write(r)); err != nil {
			return err
		}
	}
	return nil
}

// deliver writes notice m of kind to person r, who reads that kind as delivery says: the mail
// to the outbox when it is sent at once (in a daily digest, the notification waits for the
// digest; off, no mail), and the in-app notification, in the transaction of the change. The
// caller has decided that r is to be told.
func (n *Notifier) deliver(tx *gorm.DB, kind string, s docSummary, r recipient, delivery string, m notice) error {
	instantly := delivery == DeliverInstantly
	if instantly {
		m.Mail = n.finish(m.Mail, r.ID, kind)
	}
	return n.record(tx, kind, s, r, m, instantly, delivery == DeliverDigest)
}

// record writes notice m to person r: its finished mail to the outbox when mailed, and the
// in-app notification, marked for the daily digest when digest.
func (n *Notifier) record(tx *gorm.DB, kind string, s docSummary, r recipient, m notice, mailed, digest bool) error {
	var mailIDs []int64
	err := tx.Raw(queueNoticeSQL, sql.Named("instantly", mailed), sql.Named("kind", kind), sql.Named("to", m.Mail.To),
		sql.Named("subject", m.Mail.Subject), sql.Named("body", m.Mail.Body), sql.Named("html", m.Mail.HTML),
		sql.Named("unsubscribe", m.Mail.Unsubscribe), sql.Named("recipient", r.ID), sql.Named("doc_type", s.DocType),
		sql.Named("doc_id", s.DocID), sql.Named("title", m.Title), sql.Named("summary", m.Summary), sql.Named("path", s.Path),
		sql.Named("at", time.Now().UTC()), sql.Named("digest", digest)).Scan(&mailIDs).Error
	if err != nil {
		return err
	}
	n.willSend(mailIDs...)
	return nil
}

// willSend adds mails written to the outbox in the request's transaction to those it sends
// once that commits (TakeQueued).
func (n *Notifier) willSend(ids ...int64) {
	n.mu.Lock()
	n.queued = append(n.queued, ids...)
	n.mu.Unlock()
}

// queueNoticeSQL writes one notice in one statement: its mail to the outbox when it is sent
// at once (@instantly), and its in-app notification. It returns the mail's id, if any. Both
// tables are written only here for notices, and neither is audited: the change that causes the
// notice is.
const queueNoticeSQL = `WITH mail AS (INSERT INTO mail_outbox (kind, recipient, subject, body, html, unsubscribe, secret)
		SELECT @kind, @to, @subject, @body, @html, @unsubscribe, false WHERE @instantly RETURNING id),
	notice AS (INSERT INTO notifications (recipient_id, kind, doc_type, doc_id, title, summary, link_path, created_at, digest_pending)
		VALUES (@recipient, @kind, @doc_type, @doc_id, @title, @summary, @path, @at, @digest))
	SELECT id FROM mail`

// activePeople returns the active people among ids.
func activePeople(tx *gorm.DB, where string, args ...any) ([]recipient, error) {
	var out []recipient
	err := tx.Raw(`SELECT u.id, u.name, u.email FROM users u WHERE u.status = 'active' AND (`+where+`) ORDER BY u.id`, args...).Scan(&out).Error
	return out, err
}

// docSummary names a document in a notification: its kind, number, requester and amount.
type docSummary struct {
	Label     string // "requisition"
	Number    string
	Requester recipient
	// RequesterActive: the requester may still sign in (and so be told).
	RequesterActive bool
	Total           string
	Path            string
	DocType         string
	DocID           int64
}

// notification is the request's notifier and the document's summary; the notifier is nil
// when the change is made without one, and nothing is to be recorded.
func notification(tx *gorm.DB, doc ApprovalDocument) (*Notifier, docSummary, error) {
	n := notifierFrom(tx.Statement.Context)
	if n == nil {
		return nil, docSummary{}, nil
	}
	s, err := summarize(tx, doc)
	return n, s, err
}

func userName(tx *gorm.DB, id int64) (string, error) {
	var name string
	err := tx.Raw(`SELECT name FROM users WHERE id = ?`, id).Scan(&name).Error
	return name, err
}

func summarize(tx *gorm.DB, doc ApprovalDocument) (docSummary, error) {
	k, ok := outlay.KindOf(doc.Type)
	if !ok {
		return docSummary{}, fmt.Errorf("notify: unknown document type %q", doc.Type)
	}
	s := docSummary{Label: strings.ToLower(k.Label), Number: doc.Number, Total: doc.Total.String(),
		Path: k.Base + "/" + strconv.FormatInt(doc.ID, 10), DocType: doc.Type, DocID: doc.ID}
	who := doc.requester
	if who == nil {
		who = &docRequester{}
		if err := tx.Raw(`SELECT id, name, email, status = 'active' AS active FROM users WHERE id = ?`, doc.RequesterID).
			Scan(who).Error; err != nil {
			return s, err
		}
	}
	s.Requester, s.RequesterActive = recipient{ID: who.ID, Name: who.Name, Email: who.Email}, who.Active
	return s, nil
}

// notifyStepWaiting tells the people who may decide a step that it waits for them: its
// approver and whoever stands in for them today, or everyone holding its role. The requester
// is never told, since they cannot decide their own document.
func notifyStepWaiting(tx *gorm.DB, doc ApprovalDocument, step ApprovalStep) error {
	n, s, err := notification(tx, doc)
	if n == nil || err != nil {
		return err
	}
	to, err := stepDeciders(tx, doc.own(), step)
	if err != nil {
		return err
	}
	// The notice leads to the step's own page, where the document is read and decided in one
	// place (the document's page has no Approve or Reject); once decided, that page says by
	// whom.
	s.Path = StepPath(step.ID)
	if !(step.Kind == StepRole && step.Role != nil) && step.ApproverID != nil {
		if err := notifyDelegates(tx, n, s, doc, *step.ApproverID); err != nil {
			return err
		}
	}
	return n.queue(tx, MailStepWaiting, s, to, func(r recipient) notice { return stepWaiting(n, s, r, "") })
}

// stepDeciders are the people a step waits for, besides those standing in for its approver:
// everyone holding its role, or its approver; never the document's own people (own: its
// requester, whoever filed it for them, its other authors), who may not decide it.
func stepDeciders(tx *gorm.DB, own []int64, step ApprovalStep) ([]recipient, error) {
	switch {
	case step.Kind == StepRole && step.Role != nil:
		return activePeople(tx, `u.id IN (SELECT user_id FROM user_roles WHERE role = ?) AND u.id NOT IN ?`, *step.Role, own)
	case step.ApproverID != nil:
		return activePeople(tx, `u.id = ? AND u.id NOT IN ?`, *step.ApproverID, own)
	}
	return nil, nil
}

// stepDelegates are whoever stands in for approverID today while holding the permission to
// approve; never the document's own people.
func stepDelegates(tx *gorm.DB, own []int64, approverID int64) ([]recipient, error) {
	return activePeople(tx, `u.id NOT IN ? AND u.id IN (SELECT dg.delegate_id FROM approval_delegations dg
		WHERE dg.user_id = ? AND current_date BETWEEN dg.starts_on AND dg.ends_on AND EXISTS `+
		strings.ReplaceAll(approvesSQL, "@me", "dg.delegate_id")+`)`, own, approverID)
}

// notifyDelegates tells whoever stands in for approverID today, while holding the permission
// to approve, that a step of theirs waits.
func notifyDelegates(tx *gorm.DB, n *Notifier, s docSummary, doc ApprovalDocument, approverID int64) error {
	delegates, err := stepDelegates(tx, doc.own(), approverID)
	if err != nil || len(delegates) == 0 {
		return err
	}
	approver, err := userName(tx, approverID)
	if err != nil {
		return err
	}
	return n.queue(tx, MailStepWaiting, s, delegates, func(r recipient) notice { return stepWaiting(n, s, r, approver) })
}

// StepPath is the page of one approval step: the document's details with Approve and Reject.
func StepPath(stepID int64) string { return fmt.Sprintf("/approvals/%d", stepID) }

func stepWaiting(n *Notifier, s docSummary, r recipient, onBehalfOf string) notice {
	whose, summary := "your approval", "Open it to approve or reject it."
	if onBehalfOf != "" {
		whose = "approval by " + onBehalfOf + ", who has asked you to stand in for them"
		summary = "You stand in for " + onBehalfOf + ". " + summary
	}
	title := fmt.Sprintf("%s %s from %s for %s waits for your approval", UpperFirst(s.Label), s.Number, s.Requester.Name, s.Total)
	return notice{Title: title, Summary: summary, Mail: mail.Message{
		To:      r.Email,
		Subject: fmt.Sprintf("%s %s from %s waits for your approval", UpperFirst(s.Label), s.Number, s.Requester.Name),
		Body: fmt.Sprintf("Hello %s,\n\n%s's %s %s for %s waits for %s in %s.\n\nOpen it to approve or reject it:\n%s\n\n"+
			"All the requests waiting for you: %s\n",
			r.Name, s.Requester.Name, s.Label, s.Number, s.Total, whose, n.OrgName, n.link(s.Path), n.link("/approvals")),
	}}
}

// outcomeSentBack is notifyDecided's outcome of an approved document sent back before it is
// paid (SendBackExpense).
const outcomeSentBack = "sent_back"

// notifyDecided tells the requester that their document was approved or rejected (returned
// to them to change), by whom (by, the deciding person's name) and with the approver's comment.
func notifyDecided(tx *gorm.DB, doc ApprovalDocument, outcome string, step ApprovalStep, by string) error {
	n, s, err := notification(tx, doc)
	if n == nil || err != nil {
		return err
	}
	var to []recipient
	if s.RequesterActive {
		to = append(to, s.Requester)
	}

	return n.queue(tx, MailDecided, s, to, func(r recipient) notice {
		var b strings.Builder
		subject := fmt.Sprintf("Your %s %s was approved", s.Label, s.Number)
		title := fmt.Sprintf("Your %s %s for %s was approved by %s", s.Label, s.Number, s.Total, by)
		fmt.Fprintf(&b, "Hello %s,\n\n", r.Name)
		switch outcome {
		case StepApproved:
			fmt.Fprintf(&b, "Your %s %s for %s is approved; %s gave the last approval.\n", s.Label, s.Number, s.Total, by)
		case outcomeSentBack:
			subject = fmt.Sprintf("Your %s %s was sent back to you before it was paid", s.Label, s.Number)
			title = fmt.Sprintf("Your %s %s for %s was sent back to you by %s before it was paid", s.Label, s.Number, s.Total, by)
			fmt.Fprintf(&b, "%s sent your approved %s %s for %s back to you before paying it. Correct it and submit it again; it is approved again.\n",
				by, s.Label, s.Number, s.Total)
		default:
			subject = fmt.Sprintf("Your %s %s was rejected and returned to you", s.Label, s.Number)
			title = fmt.Sprintf("Your %s %s for %s was rejected by %s and returned to you", s.Label, s.Number, s.Total, by)
			fmt.Fprintf(&b, "%s rejected your %s %s for %s. It is back with you to change and submit again.\n", by, s.Label, s.Number, s.Total)
		}
		var summary string
		if step.Comment != "" {
			fmt.Fprintf(&b, "\n%s's comment:\n%s\n", by, quote(step.Comment))
			summary = by + "'s comment: " + step.Comment
		}
		fmt.Fprintf(&b, "\nOpen it: %s\n", n.link(s.Path))
		return notice{Title: title, Summary: summary, Mail: mail.Message{To: r.Email, Subject: subject, Body: b.String()}}
	})
}

// requisitionNotice is what telling requisition r's requester what became of it needs: the
// notifier, the summary, the requester and the name of the person acting. The notifier is nil
// when nothing is to be recorded, or when the requester is the one acting (nobody is told
// what they did themselves).
type requisitionNotice struct {
	n  *Notifier
	s  docSummary
	to []recipient
	by string
}

func noticeToRequester(tx *gorm.DB, r Requisition, actorID int64) (requisitionNotice, error) {
	if r.RequesterID == actorID {
		return requisitionNotice{}, nil
	}
	doc := ApprovalDocument{Type: DocRequisition, ID: r.ID, RequesterID: r.RequesterID, Total: r.Total()}
	if r.Number != nil {
		doc.Number = *r.Number
	}
	var rn requisitionNotice
	var err error
	if rn.n, rn.s, err = notification(tx, doc); rn.n == nil || err != nil {
		return requisitionNotice{}, err
	}
	if rn.to, err = activePeople(tx, `u.id = ?`, r.RequesterID); err != nil {
		return rn, err
	}
	rn.by, err = userName(tx, actorID)
	return rn, err
}

// notifyOrdered tells a requisition's requester that an order was made from it.
func notifyOrdered(tx *gorm.DB, r Requisition, po *PurchaseOrder, vendor string, byID int64) error {
	rn, err := noticeToRequester(tx, r, byID)
	if rn.n == nil || err != nil {
		return err
	}
	n, s, to, by := rn.n, rn.s, rn.to, rn.by
	return n.queue(tx, MailOrdered, s, to, func(rc recipient) notice {
		title := fmt.Sprintf("Your %s %s for %s was ordered from %s as %s by %s", s.Label, s.Number, s.Total, vendor, po.Number, by)
		return notice{Title: title, Summary: "The goods are on their way; you are told when they are received.", Mail: mail.Message{
			To:      rc.Email,
			Subject: fmt.Sprintf("Your %s %s was ordered as %s", s.Label, s.Number, po.Number),
			Body: fmt.Sprintf("Hello %s,\n\n%s ordered your %s %s for %s from %s as purchase order %s.\n\nOpen it: %s\n",
				rc.Name, by, s.Label, s.Number, s.Total, vendor, po.Number, n.link(s.Path)),
		}}
	})
}

// notifyReceived tells a requisition's requester that goods were received against the order
// made from it: what came, and whether everything has.
func notifyReceived(tx *gorm.DB, po *PurchaseOrder, byID int64, received []string, complete bool) error {
	var r Requisition
	if err := tx.First(&r, po.RequisitionID).Error; err != nil {
		return err
	}
	rn, err := noticeToRequester(tx, r, byID)
	if rn.n == nil || err != nil {
		return err
	}
	n, s, to, by := rn.n, rn.s, rn.to, rn.by
	state := "Part of the order is received; the rest is still to come."
	if complete {
		state = "Everything ordered is now received."
	}
	what := strings.Join(received, "; ")
	return n.queue(tx, MailReceived, s, to, func(rc recipient) notice {
		title := fmt.Sprintf("Goods received against your %s %s for %s (%s), recorded by %s", s.Label, s.Number, s.Total, po.Number, by)
		return notice{Title: title, Summary: what + ". " + state, Mail: mail.Message{
			To:      rc.Email,
			Subject: fmt.Sprintf("Goods received against your %s %s", s.Label, s.Number),
			Body: fmt.Sprintf("Hello %s,\n\n%s recorded goods received against purchase order %s, made from your %s %s for %s:\n\n%s\n\n%s\n\nOpen it: %s\n",
				rc.Name, by, po.Number, s.Label, s.Number, s.Total, "- "+strings.Join(received, "\n- "), state, n.link(s.Path)),
		}}
	})
}

func quote(s string) string { return "> " + strings.ReplaceAll(s, "\n", "\n> ") }

// UpperFirst gives s with its first letter in upper case, for a label that starts a sentence.
func UpperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
