package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/audit"
	"outlay/auth"
	"outlay/mail"
)

// APIToken is a personal token for the JSON API. Only its digest is stored; the token itself
// is shown once, when it is made.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	TokenHash  []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TokenWithOwner is a token listed with the person it belongs to.
type TokenWithOwner struct {
	APIToken
	OwnerName  string
	OwnerEmail string
}

// TokenPrefix marks Outlay tokens, so that secret scanners can recognise a leaked one.
const TokenPrefix = "olt_"

// MaxWorkingTokens is how many tokens that still work one person may hold. The API's rate
// limit is per token, so without a cap one person could multiply it by making more.
const MaxWorkingTokens = 10

// TokenLifetimes are the lifetimes, in days, people may choose.
var TokenLifetimes = []int{7, 30, 90, 365}

// Token statuses, as Status reports them.
const (
	TokenActive  = "active"
	TokenExpired = "expired"
	TokenRevoked = "revoked"
)

// Active reports whether the token still works.
func (t *APIToken) Active() bool { return t.RevokedAt == nil && time.Now().Before(t.ExpiresAt) }

// Status says whether the token works and, if not, why: revocation wins over expiry, since
// it was someone's decision.
func (t *APIToken) Status() string {
	switch {
	case t.RevokedAt != nil:
		return TokenRevoked
	case !time.Now().Before(t.ExpiresAt):
		return TokenExpired
	}
	return TokenActive
}

// CreateToken makes a token for user, valid for days, and returns it with the token text. The
// person is told of it by mail (notices): a token made from a stolen session outlives it.
func CreateToken(ctx context.Context, db *gorm.DB, userID int64, name string, days int, notices *SecurityNotices) (*APIToken, string, error) {
	name = oneSpaced(name)
	verr := outlay.ValidationErrors{}
	if name == "" {
		verr.Add("name", "Name the token after what will use it, such as “ERP sync”.")
	} else if n := utf8.RuneCountInString(name); n > 100 {
		verr.Add("name", tooLong("A token's name", 100, n))
	} else {
		checkOneLine(verr, "name", name)
	}
	valid := false
	for _, d := range TokenLifetimes {
		valid = valid || d == days
	}
	if !valid {
		verr.Add("days", "Choose how long the token works.")
	}
	if err := verr.Err(); err != nil {
		return nil, "", err
	}
	raw, _ := auth.NewToken()
	token := TokenPrefix + raw
	now := time.Now().UTC()
	t := &APIToken{UserID: userID, Name: name, TokenHash: auth.Digest(token), CreatedAt: now, ExpiresAt: now.AddDate(0, 0, days)}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The person's row is locked so that two tokens made at once are counted one after
		// the other.
		var working int64
		if err := tx.Exec(`SELECT 1 FROM users WHERE id = ? FOR UPDATE`, userID).Error; err != nil {
			return err
		}
		if err := tx.Raw(`SELECT count(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL AND expires_at > now()`, userID).
			Scan(&working).Error; err != nil {
			return err
		}
		if working >= MaxWorkingTokens {
			return outlay.ValidationErrors{"": fmt.Sprintf("You have %d tokens that still work, as many as one person may hold. Revoke one that nothing uses any more, then make this one.", working)}
		}
		if err := tx.Create(t).Error; err != nil {
			return err
		}
		var u User
		if err := tx.Take(&u, userID).Error; err != nil {
			return err
		}
		if err := notices.queue(ctx, tx, MailSecurityNotice, &u, mail.SecurityEvent{Kind: mail.SecurityTokenCreated, Token: name}); err != nil {
			return err
		}
		return audit.Event(ctx, tx, audit.EventTokenCreated, name, map[string]any{"token_id": t.ID, "owner_id": userID, "expires_at": t.ExpiresAt})
	})
	if err != nil {
		return nil, "", err
	}
	return t, token, nil
}

// TokenFilter chooses which tokens FindTokens lists.
type TokenFilter struct {
	UserID     int64 // one person's tokens; 0 for everyone's
	ActiveOnly bool  // only tokens that still work
	Offset     int
	Limit      int // 0 for no limit
}

// FindTokens lists the tokens f chooses, newest first, with their owners, and counts all the
// tokens f matches regardless of Offset and Limit, for paging.
func FindTokens(ctx context.Context, db *gorm.DB, f TokenFilter) ([]TokenWithOwner, int, error) {
	q := f.scope(db.WithContext(ctx))
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	q = q.Select(tokenListColumns).Order(tokenListOrder).Offset(f.Offset)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var out []TokenWithOwner
	if err := q.Scan(&out).Error; err != nil {
		return nil, 0, err
	}
	return out, int(total), nil
}

// EachToken calls fn with every token f chooses (Offset and Limit aside), in FindTokens'
// order, reading them one at a time from the database (an export).
func EachToken(ctx context.Context, db *gorm.DB, f TokenFilter, fn func(TokenWithOwner) error) (int, error) {
	return eachRow(f.scope(db.WithContext(ctx)).Select(tokenListColumns).Order(tokenListOrder), fn)
}

// tokenListColumns are what a token list reads of each token and its owner. The digest stays
// in the database: nothing that lists tokens needs it.
const tokenListColumns = `t.id, t.user_id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,
	u.name AS owner_name, u.email AS owner_email`

// tokenListOrder is the token lists' order, newest first.
const tokenListOrder = "t.created_at DESC, t.id DESC"

// scope is the tokens the filter chooses, with their owners joined.
func (f TokenFilter) scope(db *gorm.DB) *gorm.DB {
	q := db.Table("api_tokens t").Joins("JOIN users u ON u.id = t.user_id")
	if f.UserID != 0 {
		q = q.Where("t.user_id = ?", f.UserID)
	}
	if f.ActiveOnly {
		q = q.Where("t.revoked_at IS NULL AND t.expires_at > now()")
	}
	return q
}

// revokeUserTokens revokes, in tx, every token of the person that still works, recording
// each revocation with why, and returns how many there were: a token is a lasting key to the
// account, and must not outlive the credentials or the second factor it was made under.
func revokeUserTokens(ctx context.Context, tx *gorm.DB, userID int64, why string) (int, error) {
	var ids []int64
	if err := tx.WithContext(ctx).Raw(`UPDATE api_tokens SET revoked_at = now()
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > now() RETURNING id`, userID).Scan(&ids).Error; err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := audit.Event(ctx, tx, audit.EventTokenRevoked, strconv.FormatInt(id, 10), map[string]any{"token_id": id, "reason": why}); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// RevokeToken ends a token: one of ownerID's, or anyone's when ownerID is 0 (admins).
// Another person's token is ErrNotFound to a non-admin. Revoking a revoked token succeeds and
// keeps the first revocation's time, so a repeated click is not an error.
func RevokeToken(ctx context.Context, db *gorm.DB, id, ownerID int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&APIToken{}).Where("id = ?", id)
		if ownerID != 0 {
			q = q.Where("user_id = ?", ownerID)
		}
		var revoked *time.Time
		if err := q.Session(&gorm.Session{}).Select("revoked_at").Clauses(clause.Locking{Strength: "UPDATE"}).Row().Scan(&revoked); errors.Is(err, sql.ErrNoRows) {
			return outlay.ErrNotFound
		} else if err != nil {
			return err
		}
		if revoked != nil {
			return nil // revoked already: nothing changes, and nothing is recorded again
		}
		if err := q.Update("revoked_at", gorm.Expr("now()")).Error; err != nil {
			return err
		}
		return audit.Event(ctx, tx, audit.EventTokenRevoked, strconv.FormatInt(id, 10), map[string]any{"token_id": id})
	})
}

// tokenIdentitySQL reads an API token's user: $1 is the digest of the token. A token never
// used reads as used long ago, so its first use is always recorded.
var tokenIdentitySQL = identitySQL("COALESCE(t.last_used_at, 'epoch'::timestamptz)", "t.id", "false", "''", `FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.status = 'active'`)

// LookupToken resolves a bearer token to its active user, like LookupSession.
func LookupToken(ctx context.Context, db *gorm.DB, token string) (*SessionUser, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return nil, outlay.ErrNotFound
	}
	su, err := lookupIdentity(ctx, db, tokenIdentitySQL, auth.Digest(token))
	if err != nil {
		return nil, err
	}
	if time.Since(su.LastSeenAt) > touchEvery {
		if err := db.WithContext(ctx).Exec(`UPDATE api_tokens SET last_used_at = now() WHERE id = ?`, su.TokenID).Error; err != nil {
			return nil, err
		}
	}
	return su, nil
}
