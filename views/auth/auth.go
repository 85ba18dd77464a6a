// Package auth holds the pages before sign-in: the sign-in form and password reset.
package auth

import "outlay/views"

// Login is the sign-in form.
type Login struct {
	CSRFToken string
	Email     string
	Next      string
	Errors    views.FieldErrors
}

// Forgot is the form that asks for a reset link.
type Forgot struct {
	CSRFToken string
	Email     string
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
