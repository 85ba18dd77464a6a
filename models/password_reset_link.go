package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/mail"
)

// EventPasswordResetLinkSent records an admin sending a person a password reset link; its
// subject is the person's id.
const EventPasswordResetLinkSent = "password.reset_link_sent"

// EventInvitationResent records an admin sending an invited person a new set-password link:
// by resending their invitation, or by giving them more access than their earlier link was
// made for (the details then say so). Its subject is the person's id.
const EventInvitationResent = "invitation.resent"

// PasswordResetRefusal says why an admin may not send u a password reset link, or "" when
// they may: a link helps only an active person who signs in with a password. The person's
// page shows the same words in place of the button.
func PasswordResetRefusal(ctx context.Context, db *gorm.DB, u *User) (string, error) {
	switch {
	case u.Status == UserInvited:
		return fmt.Sprintf("%s has not chosen a password yet: resend their invitation instead.", u.Name), nil
	case u.Status != UserActive:
		return fmt.Sprintf("%s is deactivated and cannot sign in: reactivate them first.", u.Name), nil
	case u.PasswordHash == "":
		return fmt.Sprintf("%s signs in through single sign-on and has no password to reset.", u.Name), nil
	}
	allowed, err := PasswordSignInAllowed(ctx, db, u.Email)
	if err != nil || allowed {
		return "", err
	}
	return fmt.Sprintf("%s signs in through single sign-on, which the organisation requires, so their password is not used.", u.Name), nil
}

// ComposeSingleSignOnMail writes the mail that tells person u, who signs in with single
// sign-on and has no password, how they sign in; providers are the labels of the enabled
// providers their account is linked to, in the order of the sign-in page's buttons.
type ComposeSingleSignOnMail func(u *User, providers []string) mail.Message

// IssueForgotPasswordMail answers "Forgot password" for email, queueing the mail it sends in
// one transaction, and returns the mail's id. An active or invited person is sent a link to
// choose a password (the mail reset writes), except an active person with no password, or
// any active person but the break-glass admin while the organisation requires single sign-on:
// they sign in with single sign-on and have no password to reset (an admin may not send them a
// link either, see PasswordResetRefusal), so they are sent, in the mail sso writes, how they
// sign in instead. Either mail is capped at MaxResetsPerHour an hour (ErrTooManyResets).
// Anyone else is ErrNotFound, which the caller must not reveal to whoever asked.
func IssueForgotPasswordMail(ctx context.Context, db *gorm.DB, email string, ttl time.Duration, reset ComposeLinkMail, sso ComposeSingleSignOnMail) (mailID int64, err error) {
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockLinkRequests(tx, email); err != nil {
			return err
		}
		u, err := FindUserByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		// Under "require SSO" only the break-glass admin gets a link; everyone else is told
		// how they sign in, as is a person with no password.
		allowed, err := PasswordSignInAllowed(ctx, tx, email)
		if err != nil {
			return err
		}
		if u.Status == UserActive && (u.PasswordHash == "" || !allowed) {
			mailID, err = queueSingleSignOnMail(ctx, tx, u, sso)
			return err
		}
		if !allowed {
			return outlay.ErrNotFound
		}
		u, token, err := CreatePasswordReset(ctx, tx, email, ttl, false)
		if err != nil {
			return err
		}
		mailID, err = QueueMail(ctx, tx, MailPasswordReset, reset(u, token), true)
		return err
	})
	return mailID, err
}

// RecentSingleSignOnMailsSQL counts the single sign-on mails sent to an address in the last
// hour. The kind is written into the statement, so that Postgres reads the index of those
// mails alone (mail_outbox_single_sign_on) whatever plan it keeps for the statement.
const RecentSingleSignOnMailsSQL = `SELECT count(*) FROM mail_outbox
	WHERE kind = '` + MailSingleSignOn + `' AND lower(recipient) = lower(?) AND created_at > now() - interval '1 hour'`

// queueSingleSignOnMail queues the mail compose writes telling u how they sign in with single
// sign-on, unless u was sent MaxResetsPerHour of them in the last hour (ErrTooManyResets):
// anyone may ask for it, and more would let them flood the person's inbox.
func queueSingleSignOnMail(ctx context.Context, tx *gorm.DB, u *User, compose ComposeSingleSignOnMail) (int64, error) {
	var recent int64
	if err := tx.Raw(RecentSingleSignOnMailsSQL, u.Email).Scan(&recent).Error; err != nil {
		return 0, err
	}
	if recent >= MaxResetsPerHour {
		return 0, ErrTooManyResets
	}
	var providers []string
	err := tx.Raw(`SELECT label FROM sso_providers
		WHERE enabled AND name IN (SELECT provider FROM sso_identities WHERE user_id = ?)
		ORDER BY `+ssoButtonOrder, u.ID).Scan(&providers).Error
	if err != nil {
		return 0, err
	}
	return QueueMail(ctx, tx, MailSingleSignOn, compose(u, providers), false)
}

// SendPasswordResetLink is an admin's help for an active person who forgot their password or
// is locked out: the person is sent the link and mail that "Forgot password" sends (compose
// writes it, as for that request), under a cap of its own on links an hour (the links anyone
// asks for do not use it up), and chooses a new password themselves. The link, the mail in the outbox and the audit row, with the admin in
// ctx as its actor, commit together; the caller queues the mail's delivery once this
// returns. A person the link would not help, or who was sent enough links for now, is
// refused with a ValidationErrors message under "password". g may help only a person within
// its reach; a refusal is a *GrantRefused, and is audited.
func SendPasswordResetLink(ctx context.Context, db *gorm.DB, g Grantor, userID int64, ttl time.Duration, compose ComposeLinkMail) (mailID int64, err error) {
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := g.personToChange(ctx, tx, "send a password reset link", userID)
		if err != nil {
			return err
		}
		refusal, err := PasswordResetRefusal(ctx, tx, u)
		if err != nil {
			return err
		}
		if refusal != "" {
			return outlay.ValidationErrors{"password": refusal}
		}
		_, _, mailID, err = IssueLinkMail(ctx, tx, u.Email, ttl, MailPasswordReset, compose)
		if errors.Is(err, ErrTooManyResets) {
			return outlay.ValidationErrors{"password": fmt.Sprintf(
				"%s was sent %d password reset links by admins in the last hour, as many as an hour allows: ask them to use the newest one, or send another later.",
				u.Name, MaxResetsPerHour)}
		}
		if err != nil {
			return err
		}
		return audit.Event(ctx, tx, EventPasswordResetLinkSent, strconv.FormatInt(u.ID, 10), nil)
	})
	if err != nil {
		return 0, auditRefusal(ctx, db, err)
	}
	return mailID, nil
}

// ResendInvitation sends person userID, who was invited and has not chosen a password yet,
// a new set-password link in the invitation compose writes. The link, the mail in the outbox
// and the audit row commit together; the caller queues the mail's delivery once this
// returns. Whoever holds the link signs in as the person, and without a mail server the link
// is shown to the admin who resends it, so g may resend only to a person within its reach: a
// refusal is a *GrantRefused, and is audited. The check and the link share a transaction
// that holds the access lock, so a role given to the person meanwhile is seen. A person who
// is not waiting for an invitation, or who was sent as many links as an hour allows, is
// refused with a ValidationErrors message under "invitation".
func ResendInvitation(ctx context.Context, db *gorm.DB, g Grantor, userID int64, ttl time.Duration, compose ComposeLinkMail) (token string, mailID int64, err error) {
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockAccess(tx); err != nil {
			return err
		}
		u, err := g.personToChange(ctx, tx, "resend invitation", userID)
		if err != nil {
			return err
		}
		if u.Status != UserInvited {
			return outlay.ValidationErrors{"invitation": fmt.Sprintf("%s is not waiting for an invitation.", u.Name)}
		}
		token, mailID, err = issueInvitation(ctx, tx, u, ttl, compose, nil)
		if errors.Is(err, ErrTooManyResets) {
			return outlay.ValidationErrors{"invitation": fmt.Sprintf(
				"%s was sent %d set-password links in the last hour, as many as an hour allows: ask them to use the newest one, or resend the invitation later.",
				u.Name, MaxResetsPerHour)}
		}
		return err
	})
	if err != nil {
		return "", 0, auditRefusal(ctx, db, err)
	}
	return token, mailID, nil
}

// issueInvitation sends invited person u a new set-password link in the invitation compose
// writes, and records it (with details, when given, saying why it was sent). It runs in the
// caller's transaction, which has checked that the person may be sent one. For a person sent
// as many links as an hour allows it returns ErrTooManyResets and writes nothing
// (IssueLinkMail's own transaction rolls back).
func issueInvitation(ctx context.Context, tx *gorm.DB, u *User, ttl time.Duration, compose ComposeLinkMail, details map[string]any) (token string, mailID int64, err error) {
	if _, token, mailID, err = IssueLinkMail(ctx, tx, u.Email, ttl, MailInvitation, compose); err != nil {
		return "", 0, err
	}
	return token, mailID, audit.Event(ctx, tx, EventInvitationResent, strconv.FormatInt(u.ID, 10), details)
}

// spendInvitationLinks spends the set-password links that still work among those of people
// userIDs, and returns whom they belonged to. It runs in the transaction that gives invited
// people more access than they had: their links were handed to whoever invited them (and,
// without a mail server, shown on that person's screen), who may hold less than the people
// now do, so those links must not sign anyone in with the access they have now.
func spendInvitationLinks(tx *gorm.DB, userIDs []int64) ([]int64, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	var held []int64
	err := tx.Raw(`WITH spent AS (UPDATE password_resets SET used_at = now()
			WHERE user_id IN ? AND used_at IS NULL AND expires_at > now() RETURNING user_id)
		SELECT DISTINCT user_id FROM spent ORDER BY user_id`, userIDs).Scan(&held).Error
	return held, err
}
