// Package models holds the tenant database's records and the queries over them. Every
// function takes the tenant's *gorm.DB: isolation between tenants is by connection, so no
// query here ever names a tenant.
package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/auth"
)

// User statuses.
const (
	UserInvited     = "invited"
	UserActive      = "active"
	UserDeactivated = "deactivated"
)

// User is a person who signs in to one tenant.
type User struct {
	ID           int64
	Email        string
	Name         string
	Status       string
	PasswordHash string `gorm:"default:null"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Roles        []string `gorm:"-"`
}

// Role is a named set of permissions.
type Role struct {
	Name    string `gorm:"primaryKey" json:"name"`
	Label   string `json:"label"`
	Builtin bool   `json:"-"`
}

// UserRole grants a role to a user. Grants are written through this model, never raw SQL,
// so that every grant and revocation is audited.
type UserRole struct {
	UserID int64  `gorm:"primaryKey;autoIncrement:false"`
	Role   string `gorm:"primaryKey"`
}

// NewUser is what creating a user asks for.
type NewUser struct {
	Email    string
	Name     string
	Password string // empty: the user must set one through a link
	Roles    []string
}

// NormalizeEmail trims an email for storage; comparisons are case-insensitive in queries.
func NormalizeEmail(email string) string { return strings.TrimSpace(email) }

// ValidateEmail explains what is wrong with an email address, or returns nil.
func ValidateEmail(email string) error {
	if email == "" {
		return errors.New("Enter an email address.")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") && !strings.HasSuffix(email, "@localhost") || len(email) > 254 {
		return errors.New("Enter an email address like name@example.com.")
	}
	return nil
}

// CreateUser adds a user with roles, validating every field first. A duplicate email
// (in any case) is refused as a conflict.
func CreateUser(ctx context.Context, db *gorm.DB, in NewUser) (*User, error) {
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	verr := outlay.ValidationErrors{}
	if err := ValidateEmail(in.Email); err != nil {
		verr.Add("email", err.Error())
	}
	if in.Name == "" {
		verr.Add("name", "Enter a name.")
	} else if len(in.Name) > 200 {
		verr.Add("name", "Use at most 200 characters.")
	}
	if in.Password != "" {
		if err := auth.ValidatePassword(in.Password, in.Email); err != nil {
			verr.Add("password", err.Error())
		}
	}
	if len(in.Roles) == 0 {
		verr.Add("roles", "Choose at least one role.")
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	u := &User{Email: in.Email, Name: in.Name, Status: UserActive}
	if in.Password != "" {
		h, err := auth.HashPassword(in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	} else {
		u.Status = UserInvited
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var known []string
		if err := tx.Model(&Role{}).Where("name IN ?", in.Roles).Pluck("name", &known).Error; err != nil {
			return err
		}
		if len(known) != len(uniq(in.Roles)) {
			return outlay.ValidationErrors{"roles": fmt.Sprintf("Unknown role among %s.", strings.Join(in.Roles, ", "))}
		}
		if err := tx.Create(u).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return outlay.ValidationErrors{"email": "A user with this email already exists."}
			}
			return err
		}
		u.Roles = uniq(in.Roles)
		grants := make([]UserRole, len(u.Roles))
		for i, r := range u.Roles {
			grants[i] = UserRole{UserID: u.ID, Role: r}
		}
		if err := tx.Create(&grants).Error; err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// FindUserByEmail returns the user with this email, in any case.
func FindUserByEmail(ctx context.Context, db *gorm.DB, email string) (*User, error) {
	var u User
	err := db.WithContext(ctx).Where("lower(email) = lower(?)", NormalizeEmail(email)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.ErrNotFound
	}
	return &u, err
}

// SetPassword replaces a user's password and ends every session they have, so a reset
// throws out whoever else was signed in with the old one.
func SetPassword(ctx context.Context, db *gorm.DB, userID int64, password string) error {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{ID: userID}).Updates(map[string]any{"password_hash": hash, "updated_at": time.Now().UTC(),
			"status": gorm.Expr("CASE WHEN status = 'invited' THEN 'active' ELSE status END")})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return outlay.ErrNotFound
		}
		return RevokeSessions(ctx, tx, userID)
	})
}

// Roles lists the tenant's roles, built-in first.
func Roles(ctx context.Context, db *gorm.DB) ([]Role, error) {
	var roles []Role
	err := db.WithContext(ctx).Order("builtin DESC, name").Find(&roles).Error
	return roles, err
}
