package models

import (
	"context"

	"gorm.io/gorm"

	"outlay/audit"
)

// SSOEvent is one SSO setting change or sign-in, as the audit log will record it.
type SSOEvent struct {
	Name    string // "sso.provider_created", "sso.sign_in", "sso.sign_in_refused", …
	Subject string // what it is about: "sso_provider:okta", "user:12", "sso_settings"
	Details map[string]any
}

// SSOEventSink receives SSO events.
type SSOEventSink func(ctx context.Context, e SSOEvent)

type ssoSinkKey struct{}

// WithSSOEventSink returns a context whose SSO events go to sink.
func WithSSOEventSink(ctx context.Context, sink SSOEventSink) context.Context {
	return context.WithValue(ctx, ssoSinkKey{}, sink)
}

// RecordSSOEvent is the one function every SSO setting change, identity link and sign-in
// (and refusal) goes through. Changes call it last inside their own transaction (db is that
// transaction), so that when the audit log lands this body becomes
//
//	return audit.Event(ctx, db, name, subject, details)
//
// and the record commits or rolls back with the change. Until then the event goes to the
// sink the context carries: the server logs it, tests collect it.
func RecordSSOEvent(ctx context.Context, db *gorm.DB, name, subject string, details map[string]any) error {
	if sink, ok := ctx.Value(ssoSinkKey{}).(SSOEventSink); ok && sink != nil {
		sink(ctx, SSOEvent{Name: name, Subject: subject, Details: details})
	}
	return audit.Event(ctx, db, name, subject, details)
}
