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

// EventSignInTrustedDevice records a sign-in that a remembered browser let through a throttle.
const EventSignInTrustedDevice = "signin.trusted_device"

// NotAnEmailAddress is what the audit log says of a sign-in whose email box held something
// else (often a password typed in the wrong box): the log keeps what it is given for good.
const NotAnEmailAddress = "(not an email address)"

// SignInLabel is what the audit log may name a sign-in by: the email tried, when it is an
// address.
func SignInLabel(email string) string {
	if ValidateEmail(email) != nil {
		return NotAnEmailAddress
	}
	return email
}

// SignInPolicy is a deployment's sign-in settings: the throttle and how long sessions live;
// and, for one request, the notices that tell a person their sign-in was locked (nil: none).
type SignInPolicy struct {
	Throttle Throttle
	Sessions SessionPolicy
	Notices  *SecurityNotices
}

// SignInBrowser is what a sign-in knows of the browser it comes from: its address and user
// agent, the session it already had (ended by a new sign-in), and the device it was
// remembered as, from a good device cookie of this tenant (DeviceID "" when there is none).
type SignInBrowser struct {
	IP, UserAgent string
	Session       string
	DeviceID      string
	DeviceUserID  int64
}

// SignedIn is a finished sign-in: who, the new session's token, and the device id to remember
// the browser by.
type SignedIn struct {
	User     *User
	Session  string
	DeviceID string
}

// SignInWithPassword is the whole of a sign-in with a password:
//
//   - under "require SSO" only the break-glass admin may use a password; everyone else is
//     answered, throttled and timed exactly like a wrong password, so that the answer does not
//     single out the break-glass admin's address;
//   - the throttle refuses an account or address that failed too often (*ErrThrottled), except
//     for a browser remembered as that person's device (CheckSignInThrottle);
//   - a wrong password (ErrBadCredentials) is counted against the account, the address and the
//     device, and recorded as a signin.failure event under the email tried;
//   - the right password of a deactivated person is ErrDeactivated, recorded as a
//     signin.failure event but not counted (it is no guess), so that they can be told why;
//   - the right one goes to the second factor: secondFactor reports whether it asked for one
//     (and then answered the request), in which case the sign-in stops there with a nil result
//     and the error secondFactor returned;
//   - otherwise FinishSignIn remembers the device, makes the session and records the sign-in.
func SignInWithPassword(ctx context.Context, db *gorm.DB, p SignInPolicy, email, password string, b SignInBrowser,
	secondFactor func(*User) (bool, error)) (*SignedIn, error) {
	allowed, err := PasswordSignInAllowed(ctx, db, email)
	if err != nil {
		return nil, err
	}
	bypassed, err := CheckSignInThrottle(ctx, db, p.Throttle, email, b)
	if err != nil {
		return nil, err
	}
	u, err := Authenticate(ctx, db, email, password)
	reason := "incorrect email or password"
	if (err == nil || errors.Is(err, ErrDeactivated)) && !allowed {
		u, err, reason = nil, ErrBadCredentials, "password sign-in while single sign-on is required"
	}
	if errors.Is(err, ErrDeactivated) {
		// The right password: no guess to count, but the attempt is recorded.
		as := audit.AsUser(ctx, 0, email)
		if err := audit.Event(as, db, audit.EventSignInFailure, email, map[string]any{"reason": "account deactivated"}); err != nil {
			return nil, err
		}
		return nil, ErrDeactivated
	}
	if errors.Is(err, ErrBadCredentials) {
		if err := RecordFailedBrowserSignIn(ctx, db, email, b, bypassed); err != nil {
			return nil, err
		}
		as := audit.AsUser(ctx, 0, SignInLabel(email))
		if err := audit.Event(as, db, audit.EventSignInFailure, SignInLabel(email), map[string]any{"reason": reason}); err != nil {
			return nil, err
		}
		if bypassed == "" {
			// The throttle let this attempt try, so it is the one that locks the account.
			if err := lockBegun(ctx, db, p, email, b.IP); err != nil {
				return nil, err
			}
		}
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if asked, err := secondFactor(u); asked || err != nil {
		return nil, err
	}
	return FinishSignIn(ctx, db, p, u, b, bypassed, map[string]any{"method": SessionMethodPassword})
}

// RecordFailedBrowserSignIn notes a wrong password or code from browser b (RecordFailedDeviceSignIn).
// One from a remembered browser that was let through the account's lock (bypassed "account",
// from CheckSignInThrottle) counts against the device and the address, not the account: no
// guess made while an account is locked lengthens its lock. (Guesses from anywhere else are
// refused while it is locked, before any password is checked, and are not counted either.)
func RecordFailedBrowserSignIn(ctx context.Context, db *gorm.DB, email string, b SignInBrowser, bypassed string) error {
	if bypassed == "account" {
		email = ""
	}
	return RecordFailedDeviceSignIn(ctx, db, email, b.IP, b.DeviceID)
}

// lockBegun records a signin.locked event when the failure just recorded for email has
// locked the account: once as the lock begins, not for each attempt it refuses. An active
// person is told by mail (p.Notices), at most once a day: whoever keeps guessing would
// otherwise fill their inbox, a mail for every lock.
func lockBegun(ctx context.Context, db *gorm.DB, p SignInPolicy, email, ip string) error {
	var locked *ErrThrottled
	switch err := CheckThrottle(ctx, db, p.Throttle, email, ip); {
	case errors.As(err, &locked):
		if locked.Scope != "account" {
			return nil
		}
		until := time.Now().Add(locked.RetryAfter)
		if err := audit.Event(audit.AsUser(ctx, 0, SignInLabel(email)), db, audit.EventSignInLocked, SignInLabel(email), map[string]any{
			"failures": p.Throttle.PerAccount, "until": until.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
		return mailLock(ctx, db, p.Notices, email, until)
	default:
		return err
	}
}

// mailLock tells the active person with this email that their sign-in is locked until then,
// unless they were told of a lock in the last day.
func mailLock(ctx context.Context, db *gorm.DB, notices *SecurityNotices, email string, until time.Time) error {
	if notices == nil {
		return nil
	}
	u, err := FindUserByEmail(ctx, db, email)
	if errors.Is(err, outlay.ErrNotFound) || err == nil && u.Status != UserActive {
		return nil
	}
	if err != nil {
		return err
	}
	var told bool
	if err := db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE kind = ? AND lower(recipient) = lower(?)
		AND created_at > now() - interval '1 day')`, MailSignInLocked, u.Email).Scan(&told).Error; err != nil || told {
		return err
	}
	return notices.queue(ctx, db, MailSignInLocked, u, mail.SecurityEvent{Kind: mail.SecuritySignInLocked, Until: until})
}

// CheckSignInThrottle is CheckThrottle for a sign-in as email, except that a browser
// remembered as that person's device passes a throttled account or address, unless the
// device has failed too often itself. It returns the throttle the device passed ("account"
// or "ip"), or "".
func CheckSignInThrottle(ctx context.Context, db *gorm.DB, t Throttle, email string, b SignInBrowser) (string, error) {
	err := CheckThrottle(ctx, db, t, email, b.IP)
	var throttled *ErrThrottled
	if !errors.As(err, &throttled) || b.DeviceID == "" {
		return "", err
	}
	u, ferr := FindUserByEmail(ctx, db, email)
	if errors.Is(ferr, outlay.ErrNotFound) || (ferr == nil && u.ID != b.DeviceUserID) {
		return "", err
	}
	if ferr != nil {
		return "", ferr
	}
	if derr := CheckDeviceThrottle(ctx, db, t, b.DeviceID); derr != nil {
		return "", derr
	}
	return throttled.Scope, nil
}

// FinishSignIn signs in a person who proved who they are with a password (and their second
// factor, where they have one). It remembers the browser as their device (keeping the device
// id it had, if it was already theirs) and forgets the account's failed sign-ins, except when
// the device let the sign-in through a throttle (bypassed, from CheckSignInThrottle): then the
// throttle stays for everyone else, and the sign-in is recorded as the device's. Then it makes
// the session and records the sign-in (signin.success, with details). When the person was
// deactivated, or their password changed, since u was read, it makes none and answers
// ErrBadCredentials.
func FinishSignIn(ctx context.Context, db *gorm.DB, p SignInPolicy, u *User, b SignInBrowser, bypassed string, details map[string]any) (*SignedIn, error) {
	as := audit.AsUser(ctx, u.ID, u.Email)
	device := b.DeviceID
	if device == "" || b.DeviceUserID != u.ID {
		token, _ := auth.NewToken()
		device = token[:22]
	}
	if bypassed != "" {
		if err := audit.Event(as, db, EventSignInTrustedDevice, u.Email, map[string]any{"throttled": bypassed, "device": device}); err != nil {
			return nil, err
		}
	} else if err := ClearFailedSignIns(ctx, db, p.Throttle, u.Email); err != nil {
		return nil, err
	}
	// The session is made only if the person is still active with the password checked.
	method, _ := details["method"].(string)
	session, err := startSession(ctx, db, p.Sessions, u.ID, &u.PasswordHash, method, b)
	if err != nil {
		return nil, err
	}
	if err := audit.Event(as, db, audit.EventSignInSuccess, u.Email, details); err != nil {
		return nil, err
	}
	return &SignedIn{User: u, Session: session, DeviceID: device}, nil
}

// StartSession ends the session the browser had (another account's, say) and starts one for
// userID with a fresh id, signed in to by method (SessionMethodPassword, ...).
func StartSession(ctx context.Context, db *gorm.DB, p SessionPolicy, userID int64, method string, b SignInBrowser) (string, error) {
	return startSession(ctx, db, p, userID, nil, method, b)
}

func startSession(ctx context.Context, db *gorm.DB, p SessionPolicy, userID int64, password *string, method string, b SignInBrowser) (string, error) {
	if b.Session != "" {
		if err := DeleteSession(ctx, db, b.Session); err != nil {
			return "", err
		}
	}
	return createSession(ctx, db, userID, password, p, method, b.IP, b.UserAgent)
}
