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
)

// Login is the sign-in page: the tenant's single sign-on buttons and the password form.
type Login struct {
	CSRFToken string
	Email     string
	Next      string
	Errors    views.FieldErrors
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
