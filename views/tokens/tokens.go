// Package tokens holds the API token pages: a person's own tokens, where they make and revoke
// them, and everyone's tokens, where admins oversee and revoke them.
package tokens

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"outlay/views"
)

// Paths of the token pages. The route table registers the same paths.
const (
	OwnPath   = "/settings/tokens"
	AdminPath = "/admin/tokens"
)

// Statuses of a token, as Token.Status holds them.
const (
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
)

// Token is one row of a token list. The token itself is never part of it.
type Token struct {
	ID         int64
	Name       string
	OwnerName  string // shown on the admin page only
	OwnerEmail string
	Created    time.Time
	Expires    time.Time
	LastUsed   *time.Time // nil: never used
	Status     string     // StatusActive, StatusExpired or StatusRevoked
}

// Active reports whether the token still works, and so can be revoked.
func (t Token) Active() bool { return t.Status == StatusActive }

// NewTokenForm is the create form as submitted, shown again with its errors.
type NewTokenForm struct {
	Name   string            `form:"name"`
	Days   string            `form:"days"`
	Errors views.FieldErrors `form:"-"`
}

// Created is a token just made: the only time its text is shown.
type Created struct {
	Name    string
	Secret  string
	Expires time.Time
}

// OwnPage is the page of the signed-in person's own tokens.
type OwnPage struct {
	CSRFToken string
	Tokens    []Token
	CanCreate bool
	CanRevoke bool
	Form      NewTokenForm
	Lifetimes []int // days a token may last, as the form offers them
	Created   *Created
	// Confirm is the "Confirm it's you" field (password or code) the form shows while the
	// session was not confirmed in the last minutes; nil otherwise. A token is a lasting key
	// to the account, so a session alone must not be enough to make one.
	Confirm templ.Component
	// MeURL is this organisation's /api/v1/me address, for the example request.
	MeURL     string
	ExportURL string // the list as a file
}

// AdminPage is the page of everyone's tokens.
type AdminPage struct {
	CSRFToken  string
	Tokens     []Token
	CanRevoke  bool
	ActiveOnly bool
	Page       int // from 1
	PerPage    int
	Total      int    // tokens the filter matches, on every page
	ExportURL  string // the list as a file, with its filter
}

// Pages is the number of pages of the list.
func (p AdminPage) Pages() int {
	if p.PerPage <= 0 || p.Total == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// Showing describes which rows the page shows, such as "51–100 of 123".
func (p AdminPage) Showing() string {
	from := (p.Page-1)*p.PerPage + 1
	return fmt.Sprintf("%d–%d of %d", from, from+len(p.Tokens)-1, p.Total)
}

// AdminURL is the address of one page of everyone's tokens, with its filter.
func AdminURL(activeOnly bool, page int) string {
	q := url.Values{}
	if !activeOnly {
		q.Set("status", "all")
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return AdminPath
	}
	return AdminPath + "?" + q.Encode()
}

func ownRevokeURL(id int64) templ.SafeURL {
	return templ.SafeURL(OwnPath + "/" + strconv.FormatInt(id, 10) + "/revoke")
}

func adminRevokeURL(id int64) templ.SafeURL {
	return templ.SafeURL(AdminPath + "/" + strconv.FormatInt(id, 10) + "/revoke")
}

func adminURL(activeOnly bool, page int) templ.SafeURL {
	return templ.SafeURL(AdminURL(activeOnly, page))
}

// lifetimeLabel reads a lifetime in days as people say it.
func lifetimeLabel(days int) string {
	switch {
	case days == 365:
		return "1 year"
	case days == 1:
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}

// StatusLabel is how people read a token's status.
func StatusLabel(status string) string {
	switch status {
	case StatusActive:
		return "Active"
	case StatusExpired:
		return "Expired"
	case StatusRevoked:
		return "Revoked"
	}
	return status
}

// Dates are shown in UTC, which the API's timestamps use too, and marked up with <time> so
// the exact moment is available to assistive technology and scripts.
func day(t time.Time) string     { return t.UTC().Format("2 Jan 2006") }
func moment(t time.Time) string  { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }
func machine(t time.Time) string { return t.UTC().Format(time.RFC3339) }
func revokeQuestion(t Token, admin bool) string {
	if admin {
		return fmt.Sprintf("Revoke %s’s token “%s”? Anything using it is refused from its next request.", t.OwnerName, t.Name)
	}
	return fmt.Sprintf("Revoke “%s”? Anything using it is refused from its next request.", t.Name)
}
