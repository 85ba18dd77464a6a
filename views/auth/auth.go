// Package auth holds the pages before sign-in: the sign-in form and password reset.
package auth

import "outlay/views"

// Paths of the pages before sign-in, spelled once for the routes and the templates.
const (
	LoginPath  = "/login"
	LogoutPath = "/logout"
	ForgotPath = "/password/forgot"
	ResetPath  = "/password/reset" // + "/" + the token the link carries
	// SSOPath + "/" + a provider's name starts signing in with it; its callback is below that.
	SSOPath = "/auth"
	// SSOLinkPath asks a person to confirm, with their own password and code, that the
	// provider's account they just signed in with is theirs, before it is linked.
	SSOLinkPath = "/login/link"
)

// SSOLink is the page "Link your account: confirm it's you".
type SSOLink struct {
	CSRFToken     string
	Tenant        string
	Email         string // the person's Outlay address
	Provider      string // the provider's label
	ProviderEmail string // the address the provider gave
	Password      bool   // the person has a password: it is asked
	Code          bool   // the person has a second factor: a code is asked
	Errors        views.FieldErrors
}

// Login is the sign-in page: the tenant's single sign-on buttons and the password form.
type Login struct {
	CSRFToken string
	Email     string
	Next      string
	Errors    views.FieldErrors
	// Refused says that the email and password together matched no account: the message
	// above the form (LoginErrorID) is about both fields, which are marked with it.
	Refused bool
	// Providers are the SSO buttons, in order; empty when the tenant has none enabled.
	Providers []SSOButton
	// RequireSSO puts the buttons first and the password form, for the break-glass admin,
	// behind a disclosure.
	RequireSSO bool
	TenantName string
}

// SSOButton is one "Sign in with …" button.
type SSOButton struct {
	Label string
	Href  string
}

// ShowPasswordForm reports whether the password form starts unfolded: always, unless SSO
// is required and nobody has typed into it yet.
func (f Login) ShowPasswordForm() bool {
	return !f.RequireSSO || f.Email != "" || len(f.Errors) > 0
}

// LoginErrorID is the id of the message above the sign-in form.
const LoginErrorID = "login-error"

// AriaInvalid is the aria-invalid value of the sign-in form's field: marked for its own
// message, or with the other field when the two together were refused.
func (f Login) AriaInvalid(field string) string {
	if f.Refused {
		return "true"
	}
	return f.Errors.AriaInvalid(field)
}

// DescribedBy is what the sign-in form's field is described by: its own message, and the
// one above the form when the two fields together were refused.
func (f Login) DescribedBy(field string) string {
	if f.Refused {
		return field + "-error " + LoginErrorID
	}
	return field + "-error"
}

// Forgot is the form that asks for a reset link.
type Forgot struct {
	CSRFToken string
	Email     string `form:"email,trim"`
	Sent      bool
	Errors    views.FieldErrors
}

// Reset is the form that sets a new password from a link.
type Reset struct {
	CSRFToken string
	Action    string
	Email     string
	Invited   bool // the link came with an invitation: the person chooses their first password
	Errors    views.FieldErrors
}
