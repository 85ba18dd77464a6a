// Package outlay holds the domain vocabulary every other package shares: the kinds of error a
// request can end in, so that one place maps each kind to what the user sees.
package outlay

import (
	"errors"
	"sort"
	"strings"
)

// ErrNotFound means the thing asked for does not exist for this caller. Record-level access
// rules answer with it too, so that a forbidden record is indistinguishable from a missing one.
var ErrNotFound = errors.New("not found")

// ErrConflict means the change clashes with the current state (a duplicate, a stale edit).
var ErrConflict = errors.New("conflict")

// ValidationErrors maps a form field to the message shown beside it. The empty key holds a
// message about the form as a whole.
type ValidationErrors map[string]string

func (v ValidationErrors) Error() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if k == "" {
			parts = append(parts, v[k])
		} else {
			parts = append(parts, k+": "+v[k])
		}
	}
	return strings.Join(parts, "; ")
}

// Has reports whether field has a message.
func (v ValidationErrors) Has(field string) bool { _, ok := v[field]; return ok }

// AriaInvalid is the aria-invalid value for field.
func (v ValidationErrors) AriaInvalid(field string) string {
	if v.Has(field) {
		return "true"
	}
	return "false"
}

// Absorb puts the messages of a refusal beside v's own and returns nil; any other error is
// returned as it is. A nil v takes nothing and returns the refusal.
func (v ValidationErrors) Absorb(err error) error {
	r, ok := AsValidation(err)
	if !ok || v == nil {
		return err
	}
	for k, msg := range r {
		v[k] = msg
	}
	return nil
}

// Add records a message for field unless one is already there, so the first problem found
// is the one shown.
func (v ValidationErrors) Add(field, message string) {
	if _, ok := v[field]; !ok {
		v[field] = message
	}
}

// Err returns v as an error, or nil when it holds no messages.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return v
}

// AsValidation extracts ValidationErrors from err's chain.
func AsValidation(err error) (ValidationErrors, bool) {
	var v ValidationErrors
	if errors.As(err, &v) {
		return v, true
	}
	return nil, false
}

// kindError is an error with its own message that still matches a kind with errors.Is.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// Message is the message written for people that err carries (Conflict's, NotFound's), if
// it carries one: a kind alone, or an error wrapped with detail, has none.
func Message(err error) (string, bool) {
	var k *kindError
	if errors.As(err, &k) {
		return k.msg, true
	}
	return "", false
}

// Conflict returns an ErrConflict whose message is msg.
func Conflict(msg string) error { return &kindError{kind: ErrConflict, msg: msg} }

// NotFound returns an ErrNotFound whose message is msg.
func NotFound(msg string) error { return &kindError{kind: ErrNotFound, msg: msg} }
