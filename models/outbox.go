package models

import (
	"context"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/mail"
)

// Kinds of outgoing mail.
const (
	MailInvitation    = "invitation"
	MailPasswordReset = "password_reset"
	MailPurchaseOrder = "purchase_order"
	// MailSingleSignOn answers "Forgot password" for a person who signs in with single
	// sign-on and has no password: how they sign in, with no link that signs them in.
	MailSingleSignOn = "single_sign_on"
	// MailSSOLinked tells a person that a sign-in provider's account was linked to theirs.
	MailSSOLinked = "sso_linked"
)

// Statuses of an outgoing mail.
const (
	MailQueued = "queued"
	MailSent   = "sent"
	MailFailed = "failed"
)

// OutboxMail is one email in the tenant's outbox.
type OutboxMail struct {
	ID        int64
	Kind      string
	Recipient string
	Subject   string
	Body      string
	// HTML is the HTML version of Body (empty: plain text only); Unsubscribe the address that
	// stops mail of this kind.
	HTML        string
	Unsubscribe string
	Secret      bool
	Status      string
	Attempts    int
	LastError   string
	CreatedAt   time.Time
	SentAt      *time.Time
	FailedAt    *time.Time
}

// TableName is the outbox table.
func (OutboxMail) TableName() string { return "mail_outbox" }

// Message is the mail as the mailer sends it.
func (m *OutboxMail) Message() mail.Message {
	return mail.Message{To: m.Recipient, Subject: m.Subject, Body: m.Body, HTML: m.HTML, Unsubscribe: m.Unsubscribe}
}

// QueueMail writes m to the outbox through tx, so it is sent if and only if tx commits; a job
// delivers it after the commit. secret marks a mail carrying a sign-in link. Models never send
// mail themselves.
func QueueMail(ctx context.Context, tx *gorm.DB, kind string, m mail.Message, secret bool) (int64, error) {
	var id int64
	err := tx.WithContext(ctx).Raw(`INSERT INTO mail_outbox (kind, recipient, subject, body, html, unsubscribe, secret)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, kind, m.To, m.Subject, m.Body, m.HTML, m.Unsubscribe, secret).Scan(&id).Error
	return id, err
}

// QueuedMail returns the ids of mails still waiting that were queued before the cutoff,
// oldest first, at most limit of them.
func QueuedMail(ctx context.Context, db *gorm.DB, before time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Raw(`SELECT id FROM mail_outbox WHERE status = 'queued' AND created_at < ?
		ORDER BY created_at LIMIT ?`, before, limit).Scan(&ids).Error
	return ids, err
}

// ClaimMail locks a waiting mail in tx for delivery; ok is false when it was sent or given up
// on already (another delivery got there first).
func ClaimMail(ctx context.Context, tx *gorm.DB, id int64) (m *OutboxMail, ok bool, err error) {
	var row OutboxMail
	res := tx.WithContext(ctx).Raw(ClaimMailSQL, id).Scan(&row)
	if res.Error != nil {
		return nil, false, res.Error
	}
	return &row, row.ID != 0 && row.Status == MailQueued, nil
}

// The statements that read or change one mail find it by its id alone and check that it still
// waits after the row is locked. With "AND status = 'queued'" in the WHERE clause the planner
// may read the mail through the index of waiting mails (mail_outbox_queued) instead of the
// primary key, filtering every waiting mail by id: it does so whenever the table's statistics
// were taken while few mails waited, which is most of the time. A backlog (the mail server
// down for an hour) then made every delivery, and every failed attempt, read the whole
// backlog. TestMailStatementsReadOneMailByItsKey checks the plans.
const (
	// ClaimMailSQL locks one mail for delivery.
	ClaimMailSQL = `SELECT * FROM mail_outbox WHERE id = ? FOR UPDATE`
	// MailAttemptFailedSQL records a failed attempt on a mail still waiting: id, reason.
	MailAttemptFailedSQL = `WITH m AS (SELECT id, status FROM mail_outbox WHERE id = ? FOR UPDATE)
		UPDATE mail_outbox o SET attempts = o.attempts + 1, last_error = ? FROM m WHERE o.id = m.id AND m.status = '` + MailQueued + `'`
	// MailGivenUpSQL gives a mail still waiting up as failed: id, reason.
	MailGivenUpSQL = `WITH m AS (SELECT id, status FROM mail_outbox WHERE id = ? FOR UPDATE)
		UPDATE mail_outbox o SET status = '` + MailFailed + `', failed_at = now(), attempts = o.attempts + 1, last_error = ?,
		body = CASE WHEN o.secret THEN '' ELSE o.body END, html = CASE WHEN o.secret THEN '' ELSE o.html END
		FROM m WHERE o.id = m.id AND m.status = '` + MailQueued + `'`
)

// MarkMailSent records a delivered mail, erasing a secret one's body.
func MarkMailSent(ctx context.Context, tx *gorm.DB, id int64) error {
	return tx.WithContext(ctx).Exec(`UPDATE mail_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1,
		last_error = '', body = CASE WHEN secret THEN '' ELSE body END, html = CASE WHEN secret THEN '' ELSE html END WHERE id = ?`, id).Error
}

// MarkMailAttemptFailed records a failed delivery; final gives the mail up as failed.
func MarkMailAttemptFailed(ctx context.Context, db *gorm.DB, id int64, reason string, final bool) error {
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	if final {
		return db.WithContext(ctx).Exec(MailGivenUpSQL, id, reason).Error
	}
	return db.WithContext(ctx).Exec(MailAttemptFailedSQL, id, reason).Error
}

// GetMail returns one outbox mail.
func GetMail(ctx context.Context, db *gorm.DB, id int64) (*OutboxMail, error) {
	var m OutboxMail
	if err := db.WithContext(ctx).Raw(`SELECT * FROM mail_outbox WHERE id = ?`, id).Scan(&m).Error; err != nil {
		return nil, err
	}
	if m.ID == 0 {
		return nil, outlay.ErrNotFound
	}
	return &m, nil
}

// ComposeLinkMail writes the mail carrying a person's set-password link.
type ComposeLinkMail func(u *User, token string) mail.Message

// IssueLinkMail issues a set-password link for the active or invited person with this email
// and queues the mail compose writes for it, in one transaction. It returns ErrNotFound for
// anyone else and ErrTooManyResets when the person was sent enough links for now.
func IssueLinkMail(ctx context.Context, db *gorm.DB, email string, ttl time.Duration, kind string, compose ComposeLinkMail) (u *User, token string, mailID int64, err error) {
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockLinkRequests(tx, email); err != nil {
			return err
		}
		if u, token, err = CreatePasswordReset(ctx, tx, email, ttl, true); err != nil {
			return err
		}
		mailID, err = QueueMail(ctx, tx, kind, compose(u, token), true)
		return err
	})
	if err != nil {
		return nil, "", 0, err
	}
	return u, token, mailID, nil
}

// lockLinkRequests makes the requests for mail to one address wait for each other until tx
// ends, so that the cap on mails an hour holds when several arrive at once.
func lockLinkRequests(tx *gorm.DB, email string) error {
	return tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('password_reset:' || lower(?)))`, email).Error
}
