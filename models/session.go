package models

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/auth"
)

// Session is a signed-in browser. Its id is kept only as a digest.
type Session struct {
	IDHash     []byte `gorm:"primaryKey"`
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	Number     int64 `gorm:"->"` // what the person's Security page names the session by
	// Method is how the session was signed in to (SessionMethodPassword, SessionMethodReset,
	// SessionMethodSSO); nil for a session made before it was kept.
	Method *string
}

// How a session was signed in to, as sessions.method keeps it: a session begun through
// single sign-on is exempt from the organisation's two-factor requirement (the identity
// provider owns the second factor), except the break-glass admin's.
const (
	SessionMethodPassword = "password"
	SessionMethodReset    = "password reset"
	SessionMethodSSO      = "sso"
)

// SessionPolicy sets how long sessions live.
type SessionPolicy struct {
	Idle time.Duration // unused this long, a session ends
	Max  time.Duration // and at the latest this long after sign-in
}

// touchEvery limits last-seen writes to one a minute per session: idle expiry needs only
// that precision, and most requests then cost no write. A session whose idle timeout is
// shorter than ten minutes is touched every tenth of it (touchInterval), so that one in
// steady use never reads as idle.
const touchEvery = time.Minute

// touchInterval is how stale a session's last-seen time may grow before a request writes it.
func (p SessionPolicy) touchInterval() time.Duration {
	if p.Idle > 0 && p.Idle/10 < touchEvery {
		return p.Idle / 10
	}
	return touchEvery
}

// CreateSession starts a session for user and returns the cookie value. A fresh id at every
// sign-in defeats session fixation.
func CreateSession(ctx context.Context, db *gorm.DB, userID int64, p SessionPolicy, ip, userAgent string) (string, error) {
	return createSession(ctx, db, userID, nil, p, SessionMethodPassword, ip, userAgent)
}

// createSession makes the session when, as it is made, the person is active and (when
// password is not nil) their password hash is still *password ("" for none), the one their sign-in was
// checked against; otherwise it makes none and answers ErrBadCredentials. The person's row is
// read FOR SHARE: a deactivation or a password change, which revoke the person's sessions,
// either commits first and is seen here, or waits for this session to be made and then
// revokes it too. No session made during a deactivation outlives it.
func createSession(ctx context.Context, db *gorm.DB, userID int64, password *string, p SessionPolicy, method, ip, userAgent string) (string, error) {
	token, digest := auth.NewToken()
	now := time.Now().UTC()
	if len(userAgent) > 500 {
		userAgent = userAgent[:500]
	}
	res := db.WithContext(ctx).Exec(`INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent, method)
		SELECT ?, id, ?, ?, ?, ?, ?, ? FROM users
		WHERE id = ? AND status = ? AND (?::text IS NULL OR coalesce(password_hash, '') = ?) FOR SHARE`,
		digest, now, now, now.Add(p.Max), ip, userAgent, method, userID, UserActive, password, password)
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected == 0 {
		return "", ErrBadCredentials
	}
	// The person's sessions that can no longer be used go now, so the table holds only live
	// sessions plus, at most, what expired since each person last signed in.
	if err := db.WithContext(ctx).Exec(`DELETE FROM sessions WHERE user_id = ? AND (expires_at <= now() OR last_seen_at <= now() - make_interval(secs => ?))`,
		userID, p.Idle.Seconds()).Error; err != nil {
		return "", err
	}
	return token, nil
}

// SessionUser is the signed-in person behind a request.
type SessionUser struct {
	SessionHash []byte
	UserID      int64
	Email       string
	Name        string
	Roles       []string // role names, sorted
	RoleLabels  []string // the same roles as people read them
	LastSeenAt  time.Time
	// PolicyVersion is the tenant's policy version as of this request, read in the same query.
	PolicyVersion int64
	// ReferenceVersion is the version of the organisation's settings and departments as of
	// this request (reference_state), read in the same query: what they may be remembered at.
	ReferenceVersion int64
	// TokenID is set when the request authenticated with an API token instead of a session.
	TokenID int64
	// Unread is how many of the person's notifications are unread as the request starts
	// (the bell's number), read in the same query.
	Unread int64
	// MustEnrol says that the organisation requires two factors of the person, who has none,
	// and that this session is not exempt (sessionMustEnrolSQL): it may do nothing until
	// they set one up. Read in the same query.
	MustEnrol bool
	// Method is how the session was signed in to (SessionMethodPassword, ...), "" when not
	// known.
	Method string
}

// HasRole reports whether the user holds role.
func (u *SessionUser) HasRole(role string) bool {
	for _, r := range u.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// LookupSession resolves a session cookie to its active user in one query, and refreshes the
// session's last-seen time at most once a minute (touchInterval). An expired, idle or unknown session, or one
// whose user is no longer active, is ErrNotFound.
func LookupSession(ctx context.Context, db *gorm.DB, token string, p SessionPolicy) (*SessionUser, error) {
	if token == "" || len(token) > 100 {
		return nil, outlay.ErrNotFound
	}
	digest := auth.Digest(token)
	su, err := lookupIdentity(ctx, db, sessionIdentitySQL, digest, p.Idle.Seconds())
	if err != nil {
		return nil, err
	}
	su.SessionHash = digest
	if time.Since(su.LastSeenAt) > p.touchInterval() {
		if err := db.WithContext(ctx).Exec(`UPDATE sessions SET last_seen_at = now() WHERE id_hash = ?`, digest).Error; err != nil {
			return nil, err
		}
	}
	return su, nil
}

// Why a session that no longer works ended, when time ended it (WhySessionEnded).
const (
	SessionEndedIdle = "idle" // unused for the idle timeout
	SessionEndedMax  = "max"  // older than the longest a session lives
)

// WhySessionEnded says whether the session of token, which LookupSession no longer finds,
// ended by time (SessionEndedIdle, SessionEndedMax), so that its person can be told why they
// were signed out; "" for a session that was ended (signed out, revoked), never was, or whose
// person is no longer active.
func WhySessionEnded(ctx context.Context, db *gorm.DB, token string, p SessionPolicy) (string, error) {
	if token == "" || len(token) > 100 {
		return "", nil
	}
	var row struct{ Expired, Idle bool }
	err := db.WithContext(ctx).Raw(`SELECT s.expires_at <= now() AS expired, s.last_seen_at <= now() - make_interval(secs => ?) AS idle
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND u.status = 'active'`,
		p.Idle.Seconds(), auth.Digest(token)).Scan(&row).Error
	switch {
	case err != nil:
		return "", err
	case row.Expired:
		return SessionEndedMax, nil
	case row.Idle:
		return SessionEndedIdle, nil
	}
	return "", nil
}

// sessionIdentitySQL reads a session's user: $1 is the digest of its token, $2 the idle
// timeout in seconds.
var sessionIdentitySQL = identitySQL("s.last_seen_at", "0", sessionMustEnrolSQL, "coalesce(s.method, '')", `FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)
		  AND u.status = 'active'`)

// sessionMustEnrolSQL is whether the session s of person u may do nothing until u sets up a
// second factor: the organisation requires one of u (twoFactorRequiredSQL), u has none, and
// the session was not begun through single sign-on, which the requirement exempts except for
// the break-glass admin. A session made before sessions kept their method counts as begun
// through single sign-on when the person has no password to begin one with.
//
// The requirement is read first: where the organisation requires none, as most do, every
// signed-in request's read stops at its one-row settings.
const sessionMustEnrolSQL = `(` + twoFactorRequiredSQL + `
		       AND NOT EXISTS (SELECT 1 FROM user_two_factor tf WHERE tf.user_id = u.id AND tf.confirmed_at IS NOT NULL)
		       AND (coalesce(s.method <> 'sso', coalesce(u.password_hash, '') <> '')
		            OR EXISTS (SELECT 1 FROM sso_settings WHERE break_glass_user_id = u.id)))`

// identitySQL is the statement that reads, in one query, the active user a credential belongs
// to with their roles and the tenant's policy version. from is the query's FROM and WHERE,
// naming the user u, with numbered parameters; lastUsed and credID are the credential's
// last-use and id columns, mustEnrol whether it may do nothing until its person sets up a
// second factor, and method how it was signed in to.
func identitySQL(lastUsed, credID, mustEnrol, method, from string) string {
	return `
		SELECT u.id AS user_id, u.email, u.name, ` + lastUsed + ` AS last_seen_at,
		       (SELECT version FROM policy_state WHERE id = 1) AS policy_version,
		       (SELECT version FROM reference_state WHERE id = 1) AS reference_version,
		       COALESCE((SELECT json_agg(json_build_object('name', r.name, 'label', r.label) ORDER BY r.name)
		                 FROM user_roles ur JOIN roles r ON r.name = ur.role WHERE ur.user_id = u.id), '[]')::text AS roles_json,
		       (SELECT count(*) FROM notifications n WHERE n.recipient_id = u.id AND n.read_at IS NULL) AS unread,
		       ` + credID + ` AS credential_id,
		       ` + mustEnrol + ` AS must_enrol, ` + method + ` AS method
		` + from
}

// lookupIdentity runs an identitySQL statement with its arguments.
func lookupIdentity(ctx context.Context, db *gorm.DB, query string, args ...any) (*SessionUser, error) {
	var row struct {
		UserID        int64
		Email         string
		Name          string
		RolesJSON     string
		LastSeenAt    *time.Time
		PolicyVersion sql.NullInt64
		RefVersion    sql.NullInt64
		CredentialID  int64
		Unread        int64
		MustEnrol     bool
		Method        string
	}
	// Every signed-in request makes this read: its text is written once, and its columns are
	// scanned directly.
	q := numberedStatement(db.WithContext(ctx), query, args)
	err := scanEach(q, func(rows *sql.Rows) error {
		return rows.Scan(&row.UserID, &row.Email, &row.Name, &row.LastSeenAt, &row.PolicyVersion, &row.RefVersion, &row.RolesJSON, &row.Unread, &row.CredentialID, &row.MustEnrol, &row.Method)
	})
	if err != nil {
		return nil, err
	}
	if row.UserID == 0 {
		return nil, outlay.ErrNotFound
	}
	su := &SessionUser{UserID: row.UserID, Email: row.Email, Name: row.Name, PolicyVersion: row.PolicyVersion.Int64,
		ReferenceVersion: row.RefVersion.Int64, TokenID: row.CredentialID, Unread: row.Unread,
		MustEnrol: row.MustEnrol, Method: row.Method}
	if row.LastSeenAt != nil {
		su.LastSeenAt = *row.LastSeenAt
	}
	var roles []Role
	if err := json.Unmarshal([]byte(row.RolesJSON), &roles); err != nil {
		return nil, fmt.Errorf("decode roles: %w", err)
	}
	for _, r := range roles {
		su.Roles = append(su.Roles, r.Name)
		su.RoleLabels = append(su.RoleLabels, r.Label)
	}
	return su, nil
}

// ConfirmationWindow is how long after a person proved who they are again ("Confirm it's
// you": their password or a current code) their session may make changes a stolen session
// must not be enough for.
const ConfirmationWindow = 10 * time.Minute

// MarkSessionConfirmed notes that the person behind the session proved who they are now.
func MarkSessionConfirmed(ctx context.Context, db *gorm.DB, sessionHash []byte) error {
	return db.WithContext(ctx).Exec(`UPDATE sessions SET reauthenticated_at = now() WHERE id_hash = ?`, sessionHash).Error
}

// SessionConfirmedRecently reports whether the person behind the session proved who they
// are within the ConfirmationWindow.
func SessionConfirmedRecently(ctx context.Context, db *gorm.DB, sessionHash []byte) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Raw(`SELECT count(*) FROM sessions WHERE id_hash = ?
		AND reauthenticated_at > now() - make_interval(secs => ?)`, sessionHash, ConfirmationWindow.Seconds()).Scan(&n).Error
	return n > 0, err
}

// DeleteSession ends one session (sign-out).
func DeleteSession(ctx context.Context, db *gorm.DB, token string) error {
	return db.WithContext(ctx).Exec(`DELETE FROM sessions WHERE id_hash = ?`, auth.Digest(token)).Error
}

// RevokeSessions ends every session of a user.
func RevokeSessions(ctx context.Context, db *gorm.DB, userID int64) error {
	return db.WithContext(ctx).Exec(`DELETE FROM sessions WHERE user_id = ?`, userID).Error
}

// Security events of sessions ended by their person or an admin.
const (
	EventSessionSignedOut       = "signout.session"             // a person signed one of their other sessions out
	EventOtherSessionsSignedOut = "signout.other_sessions"      // a person signed out of all their other sessions
	EventSignedOutEverywhere    = "signout.everywhere"          // an admin ended every session of a person
	EventSignedOutForTwoFactor  = "signout.two_factor_required" // a session ended to set up a required second factor
)

// LiveSession is one of a person's live sessions, as their Security page lists it.
type LiveSession struct {
	Number     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
	Current    bool // the session asking
}

// liveSession is the condition of a session that still works (not expired, not idle); its
// one parameter is the idle timeout in seconds.
const liveSession = `expires_at > now() AND last_seen_at > now() - make_interval(secs => ?)`

// LiveSessions lists the sessions of user that still work (liveSession), the session current
// first, then the most recently used.
func LiveSessions(ctx context.Context, db *gorm.DB, userID int64, current []byte, p SessionPolicy) ([]LiveSession, error) {
	var out []LiveSession
	err := db.WithContext(ctx).Raw(`SELECT number, created_at, last_seen_at, ip, user_agent, id_hash = ? AS current
		FROM sessions WHERE user_id = ? AND `+liveSession+`
		ORDER BY id_hash = ? DESC, last_seen_at DESC, number DESC`, current, userID, p.Idle.Seconds(), current).Scan(&out).Error
	return out, err
}

// CountLiveSessions is how many sessions of user still work.
func CountLiveSessions(ctx context.Context, db *gorm.DB, userID int64, p SessionPolicy) (int, error) {
	var n int
	err := db.WithContext(ctx).Raw(`SELECT count(*) FROM sessions WHERE user_id = ? AND `+liveSession, userID, p.Idle.Seconds()).Scan(&n).Error
	return n, err
}

// endSessions deletes the sessions of user but the one keep (nil: every one) and says how many
// of them still worked: the ones the Security page and the admin's page counted, not those
// that had run out and were only waiting to be cleared.
func endSessions(tx *gorm.DB, userID int64, keep []byte, p SessionPolicy) (int, error) {
	var n int
	err := tx.Raw(`WITH ended AS (DELETE FROM sessions WHERE user_id = ? AND id_hash IS DISTINCT FROM ? RETURNING expires_at, last_seen_at)
		SELECT count(*) FROM ended WHERE `+liveSession, userID, keep, p.Idle.Seconds()).Scan(&n).Error
	return n, err
}

// SignOutSession ends the session numbered number of the person user (email), other than
// the one asking (current), and records it as theirs. Its next request finds no session. A
// number that is not one of theirs, or is the asking one, is ErrNotFound.
func SignOutSession(ctx context.Context, db *gorm.DB, userID int64, email string, current []byte, number int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ended []struct{ IP, UserAgent string }
		if err := tx.Raw(`DELETE FROM sessions WHERE user_id = ? AND number = ? AND id_hash <> ? RETURNING ip, user_agent`,
			userID, number, current).Scan(&ended).Error; err != nil {
			return err
		}
		if len(ended) == 0 {
			return outlay.ErrNotFound
		}
		return audit.Event(ctx, tx, EventSessionSignedOut, email, map[string]any{"session": number, "ip": ended[0].IP, "user_agent": ended[0].UserAgent})
	})
}

// SignOutOtherSessions ends every session of the person user (email) but the one asking
// (current), records it as theirs, and says how many of them still worked (endSessions).
func SignOutOtherSessions(ctx context.Context, db *gorm.DB, userID int64, email string, current []byte, p SessionPolicy) (int, error) {
	var n int
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
		if n, err = endSessions(tx, userID, current, p); err != nil {
			return err
		}
		return audit.Event(ctx, tx, EventOtherSessionsSignedOut, email, map[string]any{"sessions": n})
	})
	return n, err
}

// SignOutEverywhere ends every session of person userID, as an admin's action recorded with
// the actor in ctx, and says how many of them still worked (endSessions). g may do it only to
// a person within its reach; a refusal is a *GrantRefused, and is audited.
func SignOutEverywhere(ctx context.Context, db *gorm.DB, g Grantor, userID int64, p SessionPolicy) (int, error) {
	var n int
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if !g.operator && g.userID == userID {
			return outlay.ValidationErrors{"sessions": "You cannot sign yourself out everywhere here. Sign out your other sessions on your Security page."}
		}
		u, err := g.personToChange(ctx, tx, "sign out everywhere", userID)
		if err != nil {
			return err
		}
		if n, err = endSessions(tx, userID, nil, p); err != nil {
			return err
		}
		return audit.Event(ctx, tx, EventSignedOutEverywhere, strconv.FormatInt(userID, 10), map[string]any{"email": u.Email, "sessions": n})
	})
	return n, auditRefusal(ctx, db, err)
}

// SessionToEnrolment ends the session of token, whose person su must set up a second factor
// before anything else (SessionUser.MustEnrol), and starts in its place the half-signed-in
// state of a sign-in that waits for the enrolment (ChallengeEnrol, then next), whose token it
// returns. The session proved the first factor as it began, by its method. Recorded as the
// person's.
func SessionToEnrolment(ctx context.Context, db *gorm.DB, token string, su *SessionUser, next string) (string, error) {
	method := cmp.Or(su.Method, SessionMethodPassword)
	var challenge string
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM sessions WHERE id_hash = ?`, auth.Digest(token))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return outlay.ErrNotFound // ended meanwhile, by another request of it
		}
		var err error
		if challenge, err = CreateTwoFactorChallenge(ctx, tx, su.UserID, ChallengeEnrol, method, next); err != nil {
			return err
		}
		return audit.Event(audit.AsUser(ctx, su.UserID, su.Email), tx, EventSignedOutForTwoFactor, su.Email, nil)
	})
	return challenge, err
}
