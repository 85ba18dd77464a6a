package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/tenancy"
)

// tenantDB opens a tenant's database the way the commands do, for checking what they did.
func tenantDB(t *testing.T, controlDSN, slug string) *gorm.DB {
	t.Helper()
	db, closeDB, err := tenancy.OpenOne(context.Background(), lookupTenant(t, controlDSN, slug), secretKey(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeDB)
	return db
}

func TestUserCommands(t *testing.T) {
	dsn := newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", dsn)
	t.Setenv("OUTLAY_USER_PASSWORD", "")
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-name", "Ana Admin", "--admin-password", dbtest.Password); code != 0 {
		t.Fatalf("tenant create: %d %q %q", code, out, errs)
	}
	ctx, db := context.Background(), tenantDB(t, dsn, "acme")

	// With a password the person can sign in at once, with the roles given.
	code, out, errs := runCmd(t, "user", "add", "acme", "bob@acme.example", "--name", "Bob Approver", "--role", "requester, approver", "--password", "bob's long password")
	if code != 0 || !strings.Contains(out, "user bob@acme.example added to acme with roles requester, approver") {
		t.Fatalf("add with password: %d %q %q", code, out, errs)
	}
	bob, err := models.Authenticate(ctx, db, "bob@acme.example", "bob's long password")
	if err != nil || bob.Name != "Bob Approver" {
		t.Fatalf("Bob cannot sign in: %+v %v", bob, err)
	}
	// Without one the person is invited, and the link to choose a password is printed.
	code, out, errs = runCmd(t, "user", "add", "--name", "Ivy Invitee", "--role", "auditor", "acme", "ivy@acme.example")
	if code != 0 || !strings.Contains(out, "user ivy@acme.example invited to acme") || !strings.Contains(out, "http://acme.localhost:8080/password/reset/") {
		t.Fatalf("add without password: %d %q %q", code, out, errs)
	}
	token := out[strings.Index(out, "/password/reset/")+len("/password/reset/"):]
	token = strings.Fields(token)[0]
	if ivy, err := models.FindPasswordReset(ctx, db, token); err != nil || ivy.Email != "ivy@acme.example" || ivy.Status != models.UserInvited {
		t.Errorf("the printed link: %+v %v", ivy, err)
	}

	users := func() (n int64) { db.Model(&models.User{}).Count(&n); return }
	before := users()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "add", "nosuch", "x@acme.example", "--name", "X", "--role", "requester"}, `no tenant "nosuch"`},
		{[]string{"user", "add", "acme", "x@acme.example", "--name", "X", "--role", "emperor"}, `unknown role "emperor"; this tenant's roles are: admin, ap_clerk, approver, auditor, requester`},
		{[]string{"user", "add", "acme", "x@acme.example", "--name", "X"}, "--role is required"},
		{[]string{"user", "add", "acme", "not-an-email", "--name", "X", "--role", "requester"}, "email: Enter an email address like name@example.com."},
		{[]string{"user", "add", "acme", "BOB@acme.example", "--name", "Bob Again", "--role", "requester"}, "email: A user with this email already exists."},
		{[]string{"user", "add", "acme", "x@acme.example", "--role", "requester"}, "name: Enter a name."},
		{[]string{"user", "add", "acme", "x@acme.example", "--name", "X", "--role", "requester", "--password", "short"}, "password: Use at least 10 characters."},
		{[]string{"user", "add", "acme", "x@acme.example", "--name", "Xavier Ortiz", "--role", "requester", "--password", "xavier.ortiz.99"}, "password: Do not build your password on your name"},
		{[]string{"user", "add", "acme", "x@acme.example", "--name", "X", "--role", "requester", "--password", "Acme Corporation!"}, "password: Do not build your password on your organisation's name"},
		{[]string{"user", "add", "acme", "--name", "X", "--role", "requester"}, "usage: outlay user add <slug> <email>"},
		{[]string{"user", "deactivate", "acme"}, "usage: outlay user deactivate <slug> <email>"},
		{[]string{"user", "deactivate", "nosuch", "bob@acme.example"}, `no tenant "nosuch"`},
		{[]string{"user", "deactivate", "acme", "nobody@acme.example"}, `no user "nobody@acme.example" in tenant acme`},
		{[]string{"user", "deactivate", "acme", "ana@acme.example"}, "refused: ana@acme.example is the last active person who can edit roles."},
		{[]string{"user", "rename", "acme"}, `unknown user command "rename"`},
		{[]string{"user", "reset-2fa", "acme"}, "usage: outlay user reset-2fa <slug> <email>"},
		{[]string{"user", "reset-2fa", "acme", "nobody@acme.example"}, `no user "nobody@acme.example" in tenant acme`},
		{[]string{"user", "reset-2fa", "acme", "bob@acme.example"}, "refused: Bob Approver has no second factor to reset."},
	} {
		code, _, errs := runCmd(t, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errs, tc.want)
		}
	}
	if n := users(); n != before {
		t.Errorf("refused commands added %d users", n-before)
	}
	if ana, _ := models.FindUserByEmail(ctx, db, "ana@acme.example"); ana.Status != models.UserActive {
		t.Fatal("the last admin was deactivated")
	}

	// The operator resets a lost second factor: sessions end, the person enrols again, and the
	// reset is recorded as the operator's.
	now := time.Now()
	if err := db.Create(&models.TwoFactor{UserID: bob.ID, SecretSealed: []byte("sealed"), ConfirmedAt: &now}).Error; err != nil {
		t.Fatal(err)
	}
	before2FA, err := models.CreateSession(ctx, db, bob.ID, models.SessionPolicy{Idle: time.Hour, Max: time.Hour}, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd(t, "user", "reset-2fa", "acme", "bob@acme.example")
	if code != 0 || !strings.Contains(out, "two-factor sign-in of bob@acme.example in acme reset") {
		t.Fatalf("reset-2fa: %d %q %q", code, out, errs)
	}
	if _, err := models.LookupSession(ctx, db, before2FA, models.SessionPolicy{Idle: time.Hour, Max: time.Hour}); err == nil {
		t.Error("Bob's session survived the reset")
	}
	if tf, _ := models.GetTwoFactor(ctx, db, bob.ID); tf.Enabled() || !tf.MustEnrolAgain() {
		t.Errorf("after reset-2fa: %+v", tf)
	}
	var actor struct{ ActorType, ActorLabel string }
	db.Raw(`SELECT actor_type, actor_label FROM audit_log WHERE event = ?`, models.EventTwoFactorReset).Scan(&actor)
	if actor.ActorType != "system" || actor.ActorLabel != "outlay user reset-2fa" {
		t.Errorf("reset recorded as %+v", actor)
	}
	// Bob is told by mail, waiting in the outbox for the app servers.
	var notice models.OutboxMail
	db.Raw(`SELECT * FROM mail_outbox WHERE kind = ? AND recipient = 'bob@acme.example'`, models.MailSecurityNotice).Scan(&notice)
	if !strings.Contains(notice.Body, "An admin of Acme Corporation reset your second factor") || notice.Secret ||
		!strings.Contains(notice.Body, "http://acme.localhost:8080/password/forgot") {
		t.Errorf("the notice of the reset: %+v", notice)
	}

	// Deactivation ends sessions and tokens and stops sign-in, as the page does.
	session, err := models.CreateSession(ctx, db, bob.ID, models.SessionPolicy{Idle: time.Hour, Max: time.Hour}, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	_, apiToken, err := models.CreateToken(ctx, db, bob.ID, "script", 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd(t, "user", "deactivate", "acme", "BOB@acme.example")
	if code != 0 || !strings.Contains(out, "user bob@acme.example of acme deactivated") {
		t.Fatalf("deactivate: %d %q %q", code, out, errs)
	}
	if _, err := models.LookupSession(ctx, db, session, models.SessionPolicy{Idle: time.Hour, Max: time.Hour}); err == nil {
		t.Error("Bob's session survived")
	}
	if _, err := models.LookupToken(ctx, db, apiToken); err == nil {
		t.Error("Bob's API token survived")
	}
	if _, err := models.Authenticate(ctx, db, "bob@acme.example", "bob's long password"); err == nil {
		t.Error("Bob can still sign in")
	}
	if code, out, _ := runCmd(t, "user", "deactivate", "acme", "bob@acme.example"); code != 0 || !strings.Contains(out, "already deactivated; nothing changed") {
		t.Errorf("deactivate again: %d %q", code, out)
	}

	// With a second admin, the first can be deactivated.
	if code, _, errs := runCmd(t, "user", "add", "acme", "zed@acme.example", "--name", "Zed", "--role", "admin", "--password", "zed's long password"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCmd(t, "user", "deactivate", "acme", "ana@acme.example"); code != 0 {
		t.Errorf("deactivate Ana with Zed around: %d %q", code, errs)
	}

	// A lapsed tenant's admins cannot change it; the operator's break-glass still can, and
	// says so.
	if code, _, errs := runCmd(t, "tenant", "lapse", "acme"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs = runCmd(t, "user", "add", "acme", "eve@acme.example", "--name", "Eve Exporter", "--role", "admin", "--password", "eve's long password")
	if code != 0 || !strings.Contains(errs, "note: tenant acme is lapsed, and its own admins cannot change it; this change is made as break-glass") {
		t.Errorf("user add on a lapsed tenant: %d %q %q", code, out, errs)
	}
}
