package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/auth"
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

// TokenLifetimes are the lifetimes, in days, people may choose.
var TokenLifetimes = []int{7, 30, 90, 365}

// Active reports whether the token still works.
func (t *APIToken) Active() bool { return t.RevokedAt == nil && time.Now().Before(t.ExpiresAt) }

// CreateToken makes a token for user, valid for days, and returns it with the token text.
func CreateToken(ctx context.Context, db *gorm.DB, userID int64, name string, days int) (*APIToken, string, error) {
	name = strings.TrimSpace(name)
	verr := outlay.ValidationErrors{}
	if name == "" {
		verr.Add("name", "Name the token after what will use it, such as “ERP sync”.")
	} else if len(name) > 100 {
		verr.Add("name", "Use at most 100 characters.")
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
	if err := db.WithContext(ctx).Create(t).Error; err != nil {
		return nil, "", err
	}
	return t, token, nil
}

// ListTokens lists tokens, newest first: one user's, or everyone's when userID is 0.
func ListTokens(ctx context.Context, db *gorm.DB, userID int64) ([]TokenWithOwner, error) {
	q := db.WithContext(ctx).Table("api_tokens t").
		Select("t.*, u.name AS owner_name, u.email AS owner_email").
		Joins("JOIN users u ON u.id = t.user_id").Order("t.created_at DESC, t.id DESC")
	if userID != 0 {
		q = q.Where("t.user_id = ?", userID)
	}
	var out []TokenWithOwner
	return out, q.Scan(&out).Error
}

// RevokeToken ends a token: one of ownerID's, or anyone's when ownerID is 0 (admins).
// Another person's token is ErrNotFound to a non-admin.
func RevokeToken(ctx context.Context, db *gorm.DB, id, ownerID int64) error {
	q := db.WithContext(ctx).Model(&APIToken{}).Where("id = ? AND revoked_at IS NULL", id)
	if ownerID != 0 {
		q = q.Where("user_id = ?", ownerID)
	}
	res := q.Update("revoked_at", time.Now().UTC())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return outlay.ErrNotFound
	}
	return nil
}

// LookupToken resolves a bearer token to its active user, like LookupSession.
func LookupToken(ctx context.Context, db *gorm.DB, token string) (*SessionUser, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return nil, outlay.ErrNotFound
	}
	su, err := lookupIdentity(ctx, db, "COALESCE(t.last_used_at, t.created_at)", "t.id", `FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > now() AND u.status = 'active'`, auth.Digest(token))
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
