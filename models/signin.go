package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/auth"
	"outlay/mail"
)

// Throttle limits repeated failed sign-ins: per account, against guessing one person's
// password, and per client address, against trying many accounts.
type Throttle struct {
	Window     time.Duration
	PerAccount int
	PerIP      int
}

// DefaultThrottle allows 5 failures per account and 20 per address in 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, PerAccount: 5, PerIP: 20}

// ErrThrottled says sign-in is paused; Scope tells for whom, and RetryAfter for how long.
type ErrThrottled struct {
	Scope      string // "account" or "ip"
	RetryAfter time.Duration
}

func (e *ErrThrottled) Error() string { return "too many failed sign-in attempts (" + e.Scope + ")" }

// CheckThrottle returns *ErrThrottled when email or ip has failed too often recently.
func CheckThrottle(ctx context.Context, db *gorm.DB, t Throttle, email, ip string) error {
	ip = auth.ClientKey(ip) // as failures are recorded: an IPv6 address by its /64
	var row struct {
		ByAccount     int
		ByIP          int
		OldestAccount *time.Time
		OldestIP      *time.Time
	}
	err := db.WithContext(ctx).Raw(`
		SELECT count(*) FILTER (WHERE lower(email) = lower(?)) AS by_account,
		       count(*) FILTER (WHERE ip = ?) AS by_ip,
		       min(at) FILTER (WHERE lower(email) = lower(?)) AS oldest_account,
		       min(at) FILTER (WHERE ip = ?) AS oldest_ip
		FROM login_failures
		WHERE at > now() - make_interval(secs => ?) AND (lower(email) = lower(?) OR ip = ?)`,
		email, ip, email, ip, t.Window.Seconds(), email, ip).Scan(&row).Error
	if err != nil {
		return err
	}
	retry := func(oldest *time.Time) time.Duration {
		if oldest == nil {
			return t.Window
		}
		return max(time.Until(oldest.Add(t.Window)), time.Second)
	}
	if row.ByAccount >= t.PerAccount {
		return &ErrThrottled{Scope: "account", RetryAfter: retry(row.OldestAccount)}
	}
	if row.ByIP >= t.PerIP {
		return &ErrThrottled{Scope: "ip", RetryAfter: retry(row.OldestIP)}
	}
	return nil
}

// RecordFailedSignIn notes a failed attempt.
func RecordFailedSignIn(ctx context.Context, db *gorm.DB, email, ip string) error {
	return RecordFailedDeviceSignIn(ctx, db, email, ip, "")
}

// ClearFailedSignIns forgets an account's failures after it signs in, and prunes old rows.
func ClearFailedSignIns(ctx context.Context, db *gorm.DB, t Throttle, email string) error {
	return db.WithContext(ctx).Exec(`DELETE FROM login_failures WHERE lower(email) = lower(?) OR at <= now() - make_interval(secs => ?)`,
		email, t.Window.Seconds()).Error
}

// ErrBadCredentials is the one answer to a wrong email, a wrong password, or an account
// that may not sign in, so that the page reveals nothing about who has an account.
var ErrBadCredentials = errors.New("bad credentials")

// ErrDeactivated answers the right password of a deactivated person: they may be told that
// their account is deactivated, which a wrong password never reveals (ErrBadCredentials).
var ErrDeactivated = errors.New("account deactivated")

// Authenticate checks an email and password. It spends the same time whether or not the
// email belongs to anyone. The right password of a deactivated person is ErrDeactivated.
func Authenticate(ctx context.Context, db *gorm.DB, email, password string) (*User, error) {
	u, err := FindUserByEmail(ctx, db, email)
	if errors.Is(err, outlay.ErrNotFound) {
		auth.CheckNoUser(password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !auth.CheckPassword(u.PasswordHash, password):
		return nil, ErrBadCredentials
	case u.Status == UserDeactivated:
		return nil, ErrDeactivated
	case u.Status != UserActive:
		return nil, ErrBadCredentials
	}
	return u, nil
}

// PasswordReset is a single-use link to set a new password.
type PasswordReset struct {
	TokenHash []byte `gorm:"primaryKey"`
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	// SentByAdmin: an admin sent the link (or an invitation), rather than anyone asking with
	// "Forgot password". Each kind has its own hourly cap.
	SentByAdmin bool
}

// MaxResetsPerHour caps the reset links one person can be sent in an hour.
const MaxResetsPerHour = 5

// ErrTooManyResets means a person was sent MaxResetsPerHour links in the last hour already.
var ErrTooManyResets = errors.New("too many password reset links requested")

// CreatePasswordReset issues a reset token for the active or invited user with this email.
// It returns ErrNotFound for anyone else; callers must not reveal that to the requester.
// byAdmin says an admin sends it: the links anyone may ask for are capped apart, so that
// someone asking for a person's links all hour does not stop an admin from sending one.
func CreatePasswordReset(ctx context.Context, db *gorm.DB, email string, ttl time.Duration, byAdmin bool) (*User, string, error) {
	u, err := FindUserByEmail(ctx, db, email)
	if err != nil {
		return nil, "", err
	}
	if u.Status == UserDeactivated {
		return nil, "", outlay.ErrNotFound
	}
	// A few links an hour are plenty; more would let anyone flood a person's inbox.
	var recent int64
	if err := db.WithContext(ctx).Model(&PasswordReset{}).Where("user_id = ? AND sent_by_admin = ? AND created_at > now() - interval '1 hour'", u.ID, byAdmin).Count(&recent).Error; err != nil {
		return nil, "", err
	}
	if recent >= MaxResetsPerHour {
		return nil, "", ErrTooManyResets
	}
	token, err := issueReset(ctx, db, u.ID, ttl, byAdmin)
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// issueReset writes a new reset token of user userID, valid for ttl, and returns it: for
// someone already found to be allowed one (a person just invited has no link to count).
// The person's earlier links end with it: only the link of the latest mail works (a resent
// invitation, a second "Forgot password"), so an older mail left in an inbox opens nothing.
func issueReset(ctx context.Context, db *gorm.DB, userID int64, ttl time.Duration, byAdmin bool) (string, error) {
	token, digest := auth.NewToken()
	now := time.Now().UTC()
	r := PasswordReset{TokenHash: digest, UserID: userID, CreatedAt: now, ExpiresAt: now.Add(ttl), SentByAdmin: byAdmin}
	return token, db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := endResetLinks(tx, userID); err != nil {
			return err
		}
		return tx.Create(&r).Error
	})
}

// endResetLinks ends the person's reset and invitation links not yet used.
func endResetLinks(tx *gorm.DB, userID int64) error {
	return tx.Exec(`UPDATE password_resets SET used_at = now() WHERE user_id = ? AND used_at IS NULL`, userID).Error
}

// FindPasswordReset returns the user a usable reset token belongs to, without using it up.
func FindPasswordReset(ctx context.Context, db *gorm.DB, token string) (*User, error) {
	var u User
	err := db.WithContext(ctx).Raw(`
		SELECT u.* FROM password_resets r JOIN users u ON u.id = r.user_id
		WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > now() AND u.status <> 'deactivated'`,
		auth.Digest(token)).Scan(&u).Error
	if err != nil {
		return nil, err
	}
	if u.ID == 0 {
		return nil, outlay.ErrNotFound
	}
	return &u, nil
}

// ResetPassword uses a reset token to set a new password, all in one transaction: the token is
// claimed with a conditional UPDATE, so two submissions of one link cannot both succeed; every
// other link of the user is spent too, all sessions end, and the reset is recorded in the
// audit log (with the actor in ctx). The password must pass auth.ValidatePassword for the
// person in the organisation named org. A person who had a password is told of the reset by
// mail (notices); one choosing their first, from an invitation, is not.
func ResetPassword(ctx context.Context, db *gorm.DB, token, password, org string, notices *SecurityNotices) (*User, error) {
	u, err := FindPasswordReset(ctx, db, token)
	if err != nil {
		return nil, err
	}
	if err := auth.ValidatePassword(password, u.passwordOwner(org)); err != nil {
		return nil, outlay.ValidationErrors{"password": err.Error()}
	}
	hash, err := auth.HashPassword(password) // before the transaction locks the links
	if err != nil {
		return nil, err
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE password_resets SET used_at = now()
			WHERE token_hash = ? AND used_at IS NULL AND expires_at > now()`, auth.Digest(token))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return outlay.ErrNotFound
		}
		if err := endOldPasswordsUses(tx, u.ID); err != nil {
			return err
		}
		// The failed tries at the old password are forgotten: the person proved they hold
		// the mailbox, and a second factor, if they have one, is still asked for.
		if err := tx.Exec(`DELETE FROM login_failures WHERE lower(email) = lower(?)`, u.Email).Error; err != nil {
			return err
		}
		if err := setPasswordHash(ctx, tx, u.ID, hash); err != nil {
			return err
		}
		// A reset link is the way back in for someone who lost their password, or whose
		// account someone else used: the tokens made before must not stay keys to it.
		if _, err := revokeUserTokens(ctx, tx, u.ID, "password reset"); err != nil {
			return err
		}
		if u.PasswordHash != "" {
			if err := notices.queue(ctx, tx, MailSecurityNotice, u, mail.SecurityEvent{Kind: mail.SecurityPasswordReset}); err != nil {
				return err
			}
		}
		return audit.Event(ctx, tx, audit.EventPasswordReset, u.Email, nil)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// endOldPasswordsUses ends, as a person's password changes, what the old one began or may
// still lead to: sign-ins half finished with it (waiting for a second factor) and reset
// links not yet used. Their sessions are the caller's to end (all, or all but one).
func endOldPasswordsUses(tx *gorm.DB, userID int64) error {
	if err := tx.Exec(`DELETE FROM two_factor_challenges WHERE user_id = ?`, userID).Error; err != nil {
		return err
	}
	return endResetLinks(tx, userID)
}

// wrongCurrentPassword is ChangePassword's refusal of the current password given.
const wrongCurrentPassword = "That is not your current password."

// WrongPassword says that ChangePassword refused the current password given (not the new
// one): the caller counts it as a failed sign-in.
func WrongPassword(err error) bool {
	v, ok := outlay.AsValidation(err)
	return ok && v["current_password"] == wrongCurrentPassword
}

// ChangePassword is a signed-in person's change of their own password: current must be the
// password they have, next a new one (auth.ValidatePassword for them in the organisation
// named org, and not the same). In one
// transaction the password is set, every other session of theirs ends (keep, the digest of
// the session asking, stays signed in), sign-ins half finished and reset links not yet used
// end too (endOldPasswordsUses), and the change is recorded in the audit log (with the actor
// in ctx). A wrong current password is refused under "current_password" (WrongPassword),
// what is wrong with next under "new_password". A person without a password (single sign-on
// alone) has none to change. The person's API tokens are revoked with it (how many is
// returned): a password is changed most often because someone else may know it, and a token
// made with the old password's session would otherwise keep working. The person is told of
// the change by mail (notices), in case it was not them.
func ChangePassword(ctx context.Context, db *gorm.DB, userID int64, keep []byte, current, next, org string, notices *SecurityNotices) (revokedTokens int, err error) {
	err = changePassword(ctx, db, userID, keep, current, next, org, notices, &revokedTokens)
	return revokedTokens, err
}

func changePassword(ctx context.Context, db *gorm.DB, userID int64, keep []byte, current, next, org string, notices *SecurityNotices, revokedTokens *int) error {
	var u User
	if err := db.WithContext(ctx).Take(&u, userID).Error; err != nil {
		return err
	}
	if u.PasswordHash == "" {
		return outlay.ValidationErrors{"current_password": "You sign in through single sign-on and have no password here to change."}
	}
	if !auth.CheckPassword(u.PasswordHash, current) {
		return outlay.ValidationErrors{"current_password": wrongCurrentPassword}
	}
	if err := auth.ValidatePassword(next, u.passwordOwner(org)); err != nil {
		return outlay.ValidationErrors{"new_password": err.Error()}
	}
	if auth.SamePassword(next, current) {
		return outlay.ValidationErrors{"new_password": "Choose a password other than the one you have."}
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Changed meanwhile (another browser, a reset link): this change was made against a
		// password that is no longer the person's.
		res := tx.Model(&User{}).Where("id = ? AND password_hash = ?", userID, u.PasswordHash).
			Updates(map[string]any{"password_hash": hash, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return outlay.Conflict("Your password was changed meanwhile, in another browser or with a reset link. Sign in again with the new one.")
		}
		if err := tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`, userID, keep).Error; err != nil {
			return err
		}
		if err := endOldPasswordsUses(tx, userID); err != nil {
			return err
		}
		n, err := revokeUserTokens(ctx, tx, userID, "password changed")
		if err != nil {
			return err
		}
		*revokedTokens = n
		if err := notices.queue(ctx, tx, MailSecurityNotice, &u, mail.SecurityEvent{Kind: mail.SecurityPasswordChanged}); err != nil {
			return err
		}
		return audit.Event(ctx, tx, audit.EventPasswordChanged, u.Email, nil)
	})
}
