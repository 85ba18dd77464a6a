// Package sso holds the single sign-on admin page (providers, the sign-in policy, linked
// accounts) and the linked-accounts partial the user pages include.
package sso

import (
	"fmt"
	"strings"

	"github.com/a-h/templ"

	"outlay/views"
)

// Paths of the single sign-on admin page.
const (
	Path          = "/admin/sso"
	ProvidersPath = Path + "/providers"
	SettingsPath  = Path + "/settings"
)

// Page is /admin/sso.
type Page struct {
	CSRFToken  string
	CanEdit    bool
	Settings   Settings
	Providers  []ProviderRow
	AddKinds   []AddKind
	Form       *ProviderForm // the add or edit form, when one is open
	Identities UserIdentities
}

// Settings is the sign-in policy form.
type Settings struct {
	RequireSSO   bool
	BreakGlassID int64
	Candidates   []Person
	Errors       views.FieldErrors
}

// Person is someone to pick.
type Person struct {
	ID    int64
	Label string
}

// ProviderRow is one provider in the list.
type ProviderRow struct {
	ID          int64
	Name        string
	Label       string
	KindLabel   string
	CallbackURL string
	Domains     string // "" for any
	NewPeople   string // what happens to someone without an account
	Enabled     bool
	Problem     string // why the provider cannot be used now, if it cannot
}

// AddKind is a kind of provider the admin may add.
type AddKind struct {
	Kind  string
	Label string
	// Unavailable says why it cannot be added (the deployment lacks credentials, or it is
	// added already); empty when it can.
	Unavailable string
}

// Href opens the add form for the kind.
func (k AddKind) Href() string { return "/admin/sso?add=" + k.Kind + "#provider-form" }

// Option is a choice of a select.
type Option struct {
	Value string
	Label string
}

// ProviderForm adds or edits a provider. The client secret is never sent back to the
// browser: HasSecret only says one is stored.
type ProviderForm struct {
	ID            int64
	Kind          string
	KindLabel     string
	Name          string
	Label         string
	Issuer        string
	ClientID      string
	HasSecret     bool
	EntraTenantID string
	Domains       string
	JIT           bool
	JITRole       string
	Enabled       bool
	Roles         []Option
	CallbackURL   string // for an existing provider
	CallbackBase  string // the callback URL up to the name, for a new one
	Errors        views.FieldErrors
	// RetypeSecret: the refused form had a client secret typed, which is not sent back to
	// the page; the field says to type it again.
	RetypeSecret bool
	// Confirm is the "Confirm it's you" field the form shows while the session was not
	// confirmed in the last minutes; nil otherwise: a provider can sign in anyone here.
	Confirm templ.Component
}

// Action is where the form posts.
func (f ProviderForm) Action() string {
	if f.ID == 0 {
		return "/admin/sso/providers"
	}
	return fmt.Sprintf("/admin/sso/providers/%d", f.ID)
}

// Title heads the form.
func (f ProviderForm) Title() string {
	switch {
	case f.ID != 0:
		return "Edit " + f.Label
	case f.Kind == "oidc":
		return "Add an OpenID Connect provider"
	}
	return "Set up " + f.KindLabel + " sign-in"
}

// SecretPlaceholder shows that a secret is stored without showing it.
func (f ProviderForm) SecretPlaceholder() string {
	if f.HasSecret {
		return "••••• (set)"
	}
	return ""
}

// UserIdentities is the list of linked accounts: one person's on the user pages (UserID
// set), everyone's on the SSO page.
type UserIdentities struct {
	CSRFToken string
	UserID    int64
	CanEdit   bool
	Rows      []IdentityRow
}

// IdentityRow is one linked account.
type IdentityRow struct {
	ID          int64
	UserID      int64
	Person      string
	PersonEmail string
	Provider    string
	Email       string
	LinkedAt    string
	LastSignIn  string
}

// UnlinkAction is where the row's unlink button posts.
func (r IdentityRow) UnlinkAction() string {
	return fmt.Sprintf("/admin/users/%d/identities/%d/unlink", r.UserID, r.ID)
}

// ElementID names the partial, so htmx can swap it.
func (u UserIdentities) ElementID() string {
	if u.UserID == 0 {
		return "linked-accounts"
	}
	return fmt.Sprintf("linked-accounts-%d", u.UserID)
}

// urlParts splits a URL after each slash, where a long one may wrap.
func urlParts(u string) []string {
	parts := strings.SplitAfter(u, "/")
	if len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}
