// Package audit keeps each tenant's tamper-evident audit log. GORM callbacks (Register) record
// every create, update and delete of an audited table — who did it, when, the row before and
// after, and which columns changed — in the same SQL statement as the change itself, so the
// record commits or rolls back with it. Security events (Event) are recorded in the same log.
// The database chains the rows with SHA-256, keys the chain with an HMAC under a per-tenant key
// derived from OUTLAY_SECRET_KEY (key.go), and refuses to update or delete rows; Verify walks
// the chain and names the first row that was altered, removed or inserted out of order, and
// CheckHead compares it with a head recorded elsewhere.
//
// The schema, triggers and canonical encoding are in migrations/tenant/00010_audit.sql.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"
)

// Actor types.
const (
	ActorUser   = "user"   // a person; ID 0 means nobody is signed in (a sign-in page, a reset link)
	ActorToken  = "token"  // an API token, by its id
	ActorSystem = "system" // a job or an operator command
)

// Actor is who causes a change: recorded with every audit row.
type Actor struct {
	Type string // ActorUser, ActorToken or ActorSystem
	ID   int64  // the user's or token's id; 0 for system jobs and signed-out visitors
	// Label is how people read the actor (an email, a token's name, a job's name), kept in the
	// log even after the user or token is gone.
	Label string
	// RequestID and IP tie the change to the HTTP request that made it, when there was one.
	RequestID, IP string
}

type actorKey struct{}

// WithActor returns ctx carrying a. The HTTP layer puts the request's actor in the request
// context, and GORM hands it to the callbacks through db.WithContext(ctx).
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// AsUser returns ctx with its actor changed to a person, keeping the request's id and address:
// for the moments a signed-out request proves who it is (a correct password, a reset link) or
// names who it tried to be (the email of a failed sign-in, with userID 0).
func AsUser(ctx context.Context, userID int64, label string) context.Context {
	a := ActorFrom(ctx)
	a.Type, a.ID, a.Label = ActorUser, userID, label
	return WithActor(ctx, a)
}

// ActorFrom returns the actor ctx carries; without one, the change is the system's.
func ActorFrom(ctx context.Context) Actor {
	if ctx != nil {
		if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.Type != "" {
			return a
		}
	}
	return Actor{Type: ActorSystem, Label: "system"}
}

func (a Actor) validate() error {
	switch a.Type {
	case ActorUser, ActorToken, ActorSystem:
		return nil
	}
	return fmt.Errorf("audit: unknown actor type %q", a.Type)
}

// Security events. Names are dotted, lowercase; these are the ones the product records.
const (
	EventSignInSuccess   = "signin.success"
	EventSignInFailure   = "signin.failure"
	EventSignInLocked    = "signin.locked" // an account's failures reached the throttle: sign-in paused
	EventSignOut         = "signout"
	EventPasswordReset   = "password.reset"
	EventPasswordChanged = "password.changed"
	EventUserDeactivated = "user.deactivated"
	EventUserReactivated = "user.reactivated"
	EventTokenCreated    = "token.created"
	EventTokenRevoked    = "token.revoked"
	EventRoleChanged     = "role.changed"
	EventPolicyChanged   = "policy.changed"
	EventSSOChanged      = "sso.changed"
	EventImport          = "import"
	EventExport          = "export"
)

var validEventName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// Event records a security event by the actor in ctx: name is one of the Event constants (or
// another dotted name), subject says what it was about (an email, a role, a file), and details
// add anything else. Detail keys named like secrets (see IsSecretColumn) are redacted; do not
// put secrets in details under other names.
//
// When db is a transaction the event commits or rolls back with it.
func Event(ctx context.Context, db *gorm.DB, name, subject string, details map[string]any) error {
	if !validEventName.MatchString(name) {
		return fmt.Errorf("audit: invalid event name %q", name)
	}
	a := ActorFrom(ctx)
	if err := a.validate(); err != nil {
		return err
	}
	var detailsJSON, subjectValue any
	if len(details) > 0 {
		redacted := make(map[string]any, len(details))
		for k, v := range details {
			if IsSecretColumn(k) {
				v = Redacted
			}
			redacted[k] = v
		}
		b, err := json.Marshal(redacted)
		if err != nil {
			return fmt.Errorf("audit: event %s details: %w", name, err)
		}
		detailsJSON = string(b)
	}
	if subject != "" {
		subjectValue = subject
	}
	tx := db.WithContext(ctx)
	return tx.Exec(`INSERT INTO `+recordTable(tx.Statement.ConnPool)+
		` (actor_type, actor_id, actor_label, request_id, ip, action, event, subject, details)
		VALUES (?, ?, ?, ?, ?, 'event', ?, ?, ?::jsonb)`,
		a.Type, a.ID, a.Label, a.RequestID, a.IP, name, subjectValue, detailsJSON).Error
}

// recordTable is where a record is written. Inside a transaction it goes to audit_pending,
// which the commit trigger chains into audit_log at COMMIT, so the chain lock is never held
// while the transaction still works (and waits for row locks). A single statement outside a
// transaction commits as soon as it ends, so its records go straight to audit_log.
func recordTable(pool gorm.ConnPool) string {
	if _, inTx := pool.(gorm.TxCommitter); inTx {
		return "audit_pending"
	}
	return "audit_log"
}

// Redacted replaces the value of a secret column in the log.
const Redacted = "[redacted]"

// IsSecretColumn reports whether a column's values must never be stored in the log: password
// and token hashes, client secrets, and by convention anything named *_hash, *_secret or
// *_password. A change to such a column is still recorded (it is listed in changed), with
// the values replaced by Redacted.
func IsSecretColumn(name string) bool {
	name = strings.ToLower(name)
	switch name {
	case "password", "secret", "password_hash", "token_hash", "client_secret":
		return true
	}
	return strings.HasSuffix(name, "_hash") || strings.HasSuffix(name, "_secret") || strings.HasSuffix(name, "_password") ||
		strings.HasSuffix(name, "_sealed") || strings.HasPrefix(name, "client_secret")
}

// notAudited are the tenant tables whose rows are deliberately not recorded one by one, and
// why. Every other table is audited: a new table is covered unless it is added here (and a
// test fails until it is either here or has its own audit test).
var notAudited = map[string]string{
	"sessions": "security bookkeeping: a row per signed-in browser, touched on use; " +
		"sign-in and sign-out are recorded as events",
	"login_failures": "security bookkeeping for the sign-in throttle; each failure is recorded as a signin.failure event",
	"password_resets": "single-use reset links (only digests are stored); " +
		"the reset itself is recorded as a password.reset event and the password change as a users update",
	"goose_db_version": "migration bookkeeping, written by goose outside the app",
	"audit_log":        "the log itself: append-only, chained by its own triggers",
	"audit_pending":    "records waiting for their transaction to commit; moved into audit_log at COMMIT",
	"audit_seal":       "a row per transaction with records waiting, for the deferred trigger that chains them at COMMIT",
	"policy_state": "a version counter that triggers bump on every policy or role change; " +
		"the changes themselves are recorded (casbin_rule, roles, user_roles) with policy.changed and role.changed events",
	"reference_state": "a version counter that triggers bump on every change of the organisation's settings or departments, " +
		"so that app servers may keep them in memory; the changes themselves are recorded (org_settings, departments)",
	"document_numbers": "a counter per kind of document, locked while a number is taken; " +
		"each number is recorded where it lands, on its requisition or purchase order",
	"sso_auth_states": "single-use, ten-minute sign-in states (state stored as a digest); " +
		"the sign-ins they lead to are recorded as SSO events",
	"sso_link_confirmations": "single-use, ten-minute first SSO sign-ins waiting for their person's password and code " +
		"(stored as digests); the links they lead to are recorded as SSO events",
	"two_factor_recovery_codes": "digests of single-use recovery codes; their creation, regeneration and each use " +
		"are recorded as two_factor events",
	"two_factor_challenges": "single-use, five-minute half-signed-in states (stored as digests); " +
		"the sign-ins and failed codes they lead to are recorded as events",
	"mail_outbox": "outgoing mail, written with the change that causes it (which is recorded); " +
		"a mail with a set-password link holds it only until it is sent",
	"notifications": "what a person is told in the app, written with the change that causes it (which is recorded); " +
		"marking one read changes only that person's own count",
	"imports": "an uploaded import file, its column mapping and its progress, bookkeeping of the import page; " +
		"every record the import writes is recorded row by row (request id import-<id>) with an import event",
	"daily_mails": "marks that a person's daily digest or reminder went to the outbox on a local day, written by the " +
		"daily job so it is sent once; the mail itself is in the outbox, and nobody changes the marks",
	"purge_notices": "marks that the admins were told a purge is 30, 7 or 1 day away, written by the purge job with the " +
		"notices so each is sent once; the notices themselves are in notifications and the outbox, and nobody changes the marks",
	"status_tallies": "how many documents of each kind are in each status, written by the document tables' own triggers " +
		"and folded by list reads; each document's changes of status are recorded on the document",
}

// NotAudited lists the tables not audited row by row, each with the reason.
func NotAudited() map[string]string {
	out := make(map[string]string, len(notAudited))
	for k, v := range notAudited {
		out[k] = v
	}
	return out
}
