package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"outlay"
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
}

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
	return createSession(ctx, db, userID, nil, p, ip, userAgent)
}

// createSession makes the session when, as it is made, the person is active and (when
// password is not nil) their password hash is still *password ("" for none), the one their sign-in was
// checked against; otherwise it makes none and answers ErrBadCredentials. The person's row is
// read FOR SHARE: a deactivation or a password change, which revoke the person's sessions,
// either commits first and is seen here, or waits for this session to be made and then
// revokes it too. No session made during a deactivation outlives it.
func createSession(ctx context.Context, db *gorm.DB, userID int64, password *string, p SessionPolicy, ip, userAgent string) (string, error) {
	token, digest := auth.NewToken()
	now := time.Now().UTC()
	if len(userAgent) > 500 {
		userAgent = userAgent[:500]
	}
	res := db.WithContext(ctx).Exec(`INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
		SELECT ?, id, ?, ?, ?, ?, ? FROM users
		WHERE id = ? AND status = ? AND (?::text IS NULL OR coalesce(password_hash, '') = ?) FOR SHARE`,
		digest, now, now, now.Add(p.Max), ip, userAgent, userID, UserActive, password, password)
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
var sessionIdentitySQL = identitySQL("s.last_seen_at", "0", `FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)
		  AND u.status = 'active'`)

// identitySQL is the statement that reads, in one query, the active user a credential belongs
// to with their roles and the tenant's policy version. from is the query's FROM and WHERE,
// naming the user u, with numbered parameters; lastUsed and credID are the credential's
// last-use and id columns.
func identitySQL(lastUsed, credID, from string) string {
	return `
		SELECT u.id AS user_id, u.email, u.name, ` + lastUsed + ` AS last_seen_at,
		       (SELECT version FROM policy_state WHERE id = 1) AS policy_version,
		       (SELECT version FROM reference_state WHERE id = 1) AS reference_version,
		       COALESCE((SELECT json_agg(json_build_object('name', r.name, 'label', r.label) ORDER BY r.name)
		                 FROM user_roles ur JOIN roles r ON r.name = ur.role WHERE ur.user_id = u.id), '[]')::text AS roles_json,
		       (SELECT count(*) FROM notifications n WHERE n.recipient_id = u.id AND n.read_at IS NULL) AS unread,
		       ` + credID + ` AS credential_id
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
	}
	// Every signed-in request makes this read: its text is written once, and its columns are
	// scanned directly.
	q := numberedStatement(db.WithContext(ctx), query, args)
	err := scanEach(q, func(rows *sql.Rows) error {
		return rows.Scan(&row.UserID, &row.Email, &row.Name, &row.LastSeenAt, &row.PolicyVersion, &row.RefVersion, &row.RolesJSON, &row.Unread, &row.CredentialID)
	})
	if err != nil {
		return nil, err
	}
	if row.UserID == 0 {
		return nil, outlay.ErrNotFound
	}
	su := &SessionUser{UserID: row.UserID, Email: row.Email, Name: row.Name, PolicyVersion: row.PolicyVersion.Int64,
		ReferenceVersion: row.RefVersion.Int64, TokenID: row.CredentialID, Unread: row.Unread}
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
