package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"outlay/mail"
)

// Kinds of the mails that tell a person of a change to how they sign in (mail.SecurityNotice).
const (
	// MailSecurityNotice tells of a password changed or reset, a second factor reset or
	// turned off, or a new API token.
	MailSecurityNotice = "security_notice"
	// MailSignInLocked tells that sign-in was paused after too many wrong passwords.
	MailSignInLocked = "sign_in_locked"
)

// SecurityNotices writes, in the transaction of a change to how a person signs in, the mail
// that tells them of it, and keeps the ids of the mails it queued, for the caller to deliver
// once the change is committed. Compose fills in the recipient, the organisation and where
// the request came from (the address and browser); the model the kind and the time. A nil
// *SecurityNotices, or one without Compose, queues none.
type SecurityNotices struct {
	Compose func(u *User, e mail.SecurityEvent) mail.Message
	Queued  []int64
}

// queue writes the mail that tells u of e, at the present time in the organisation's time
// zone, to the outbox through tx, with kind.
func (n *SecurityNotices) queue(ctx context.Context, tx *gorm.DB, kind string, u *User, e mail.SecurityEvent) error {
	if n == nil || n.Compose == nil {
		return nil
	}
	loc := time.UTC
	switch s, err := Settings(ctx, tx); {
	case err == nil:
		loc = s.Location()
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return err
	}
	e.At = time.Now().In(loc)
	if !e.Until.IsZero() {
		e.Until = e.Until.In(loc)
	}
	id, err := QueueMail(ctx, tx, kind, n.Compose(u, e), false)
	if err != nil {
		return err
	}
	n.Queued = append(n.Queued, id)
	return nil
}
