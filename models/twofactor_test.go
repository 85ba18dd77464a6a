package models_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"outlay"
	"outlay/auth"
	"outlay/internal/dbtest"
	"outlay/models"
)

func twoFactorBox(t *testing.T) *auth.SecretBox {
	box, err := auth.NewSecretBox(bytes.Repeat([]byte{9}, 32), models.TwoFactorSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// Someone who only opened the enrolment page has a secret shown but no second factor: a reset
// is refused and leaves them free to sign in as before, not made to enrol.
func TestResetRefusedForASecretNeverConfirmed(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx, box := context.Background(), twoFactorBox(t)
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo", "requester")
	if _, err := models.BeginEnrolment(ctx, db, box, bo.ID, []byte("bo's session")); err != nil {
		t.Fatal(err)
	}
	err := models.ResetTwoFactor(ctx, db, models.ByOperator(), bo.ID, nil)
	if v, ok := outlay.AsValidation(err); !ok || v["two_factor"] != "Bo has no second factor to reset." {
		t.Errorf("reset of a secret never confirmed: %v", err)
	}
	tf, err := models.GetTwoFactor(ctx, db, bo.ID)
	if err != nil || tf.MustEnrolAgain() {
		t.Errorf("after the refused reset: %+v %v", tf, err)
	}
}

// Enrolment is confirmed by a code; sign-in codes are accepted once within ±1 step; recovery
// codes work once and a new set invalidates the old; a reset ends every session.
func TestTwoFactorLifecycle(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx, box := context.Background(), twoFactorBox(t)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "requester")

	session, other := []byte("session digest"), []byte("another session's digest")
	read, err := models.BeginEnrolment(ctx, db, box, ana.ID, other)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := models.BeginEnrolment(ctx, db, box, ana.ID, session)
	if err != nil {
		t.Fatal(err)
	}
	if secret == read {
		t.Error("another session was shown the same secret")
	}
	if again, _ := models.BeginEnrolment(ctx, db, box, ana.ID, session); again != secret {
		t.Error("a second visit to enrolment showed another secret")
	}
	var sealed []byte
	db.Raw(`SELECT secret_sealed FROM user_two_factor WHERE user_id = ?`, ana.ID).Scan(&sealed)
	if bytes.Contains(sealed, []byte(secret)) {
		t.Error("the secret is stored in the clear")
	}
	now := time.Unix(1_900_000_000, 0)
	code := func(at time.Time) string { return readCode(t, secret, at) }
	wrong := code(now.Add(-2 * time.Minute))
	if _, err := models.ConfirmEnrolment(ctx, db, box, ana.ID, session, ana.Email, wrong, now); err == nil {
		t.Fatal("enrolment confirmed with a wrong code")
	}
	// The session that was shown a secret before, and any other, cannot confirm this one,
	// even with its code; nor can a code of the secret it was shown.
	for _, c := range []string{code(now), readCode(t, read, now)} {
		if _, err := models.ConfirmEnrolment(ctx, db, box, ana.ID, other, ana.Email, c, now); err == nil {
			t.Fatal("another session confirmed the enrolment")
		}
	}
	if tf, _ := models.GetTwoFactor(ctx, db, ana.ID); tf.Enabled() {
		t.Fatal("a wrong code turned two factors on")
	}
	codes, err := models.ConfirmEnrolment(ctx, db, box, ana.ID, session, ana.Email, code(now), now)
	if err != nil || len(codes) != models.RecoveryCodeCount {
		t.Fatalf("confirm: %v %d codes", err, len(codes))
	}
	if _, err := models.BeginEnrolment(ctx, db, box, ana.ID, session); !errors.Is(err, models.ErrTwoFactorEnabled) {
		t.Errorf("enrolling again while on: %v", err)
	}

	// The code that confirmed enrolment is used; the next step's works once; earlier ones never.
	verify := func(c string, at time.Time) error {
		_, err := models.VerifySecondFactor(ctx, db, box, ana.ID, ana.Email, c, at)
		return err
	}
	if err := verify(code(now), now); !errors.Is(err, models.ErrBadSecondFactor) {
		t.Errorf("the enrolment code was accepted again: %v", err)
	}
	later := now.Add(5 * time.Minute)
	if err := verify(code(later.Add(-30*time.Second)), later); err != nil {
		t.Errorf("the previous step's code refused: %v", err)
	}
	if err := verify(code(later.Add(-30*time.Second)), later); !errors.Is(err, models.ErrBadSecondFactor) {
		t.Error("a code was accepted twice")
	}
	if err := verify(code(later.Add(-60*time.Second)), later); !errors.Is(err, models.ErrBadSecondFactor) {
		t.Error("a code two steps old was accepted")
	}
	if err := verify(code(later.Add(30*time.Second)), later); err != nil {
		t.Errorf("the next step's code refused: %v", err)
	}
	if err := verify(code(later), later); !errors.Is(err, models.ErrBadSecondFactor) {
		t.Error("a code older than the last used was accepted")
	}

	// Recovery codes: once each, in any spelling; remaining count goes down.
	if m, err := models.VerifySecondFactor(ctx, db, box, ana.ID, ana.Email, codes[0], later); err != nil || m != models.MethodRecoveryCode {
		t.Fatalf("recovery code: %q %v", m, err)
	}
	if err := verify(codes[0], later); !errors.Is(err, models.ErrBadSecondFactor) {
		t.Error("a recovery code was accepted twice")
	}
	if n, _ := models.RemainingRecoveryCodes(ctx, db, ana.ID); n != models.RecoveryCodeCount-1 {
		t.Errorf("%d recovery codes left", n)
	}
	fresh, err := models.RegenerateRecoveryCodes(ctx, db, ana.ID, ana.Email)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(codes[1], later); !errors.Is(err, models.ErrBadSecondFactor) {
		t.Error("an old recovery code still works after regenerating")
	}
	if err := verify(fresh[1], later); err != nil {
		t.Errorf("a new recovery code refused: %v", err)
	}
	var events []string
	db.Raw(`SELECT event FROM audit_log WHERE event LIKE 'two_factor.%' ORDER BY id`).Scan(&events)
	want := []string{models.EventTwoFactorEnrolled, models.EventRecoveryCodeUsed, models.EventRecoveryCodesGenerated, models.EventRecoveryCodeUsed}
	if len(events) != len(want) {
		t.Errorf("events %v, want %v", events, want)
	}

	// An admin's reset ends every session and sends the person back to enrolment.
	for range 2 {
		if _, err := models.CreateSession(ctx, db, ana.ID, models.SessionPolicy{Idle: time.Hour, Max: time.Hour}, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := models.ResetTwoFactor(ctx, db, models.ByOperator(), ana.ID, nil); err != nil {
		t.Fatal(err)
	}
	var sessions int
	db.Raw(`SELECT count(*) FROM sessions WHERE user_id = ?`, ana.ID).Scan(&sessions)
	if sessions != 0 {
		t.Errorf("%d sessions survived the reset", sessions)
	}
	tf, _ := models.GetTwoFactor(ctx, db, ana.ID)
	if tf.Enabled() || !tf.MustEnrolAgain() {
		t.Errorf("after reset: enabled %v, must enrol %v", tf.Enabled(), tf.MustEnrolAgain())
	}
	if err := verify(fresh[2], later); !errors.Is(err, models.ErrBadSecondFactor) {
		t.Error("a recovery code works after the reset")
	}
	if err := models.ResetTwoFactor(ctx, db, models.ByOperator(), ana.ID, nil); err == nil {
		t.Error("a reset of nothing succeeded")
	}
	if _, err := models.BeginEnrolment(ctx, db, box, ana.ID, session); err != nil {
		t.Errorf("enrolling after a reset: %v", err)
	}
}

// Who must use two factors: everyone, holders of the chosen roles, and under any requirement
// the break-glass admin whatever their roles.
func TestTwoFactorRequirement(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo", "requester")
	required := func(u *models.User) bool {
		ok, err := models.TwoFactorRequired(ctx, db, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if required(ana) || required(bo) {
		t.Error("required by default")
	}
	if err := models.UpdateTwoFactorSettings(ctx, db, models.ByOperator(), models.TwoFactorForRoles, nil, true); err == nil {
		t.Error("a role requirement without roles was saved")
	} else if v, ok := outlay.AsValidation(err); !ok || v["roles"] == "" {
		t.Errorf("error %v", err)
	}
	if err := models.UpdateTwoFactorSettings(ctx, db, models.ByOperator(), models.TwoFactorForRoles, []string{"no_such"}, true); err == nil {
		t.Error("an unknown role was saved")
	}
	if err := models.UpdateTwoFactorSettings(ctx, db, models.ByOperator(), models.TwoFactorForRoles, []string{"requester"}, false); err != nil {
		t.Fatal(err)
	}
	if required(ana) || !required(bo) {
		t.Errorf("roles: ana %v bo %v", required(ana), required(bo))
	}
	if err := db.Exec(`UPDATE sso_settings SET break_glass_user_id = ?`, ana.ID).Error; err != nil {
		t.Fatal(err)
	}
	if !required(ana) {
		t.Error("the break-glass admin is exempt from a role requirement")
	}
	if err := models.UpdateTwoFactorSettings(ctx, db, models.ByOperator(), models.TwoFactorEveryone, []string{"requester"}, true); err != nil {
		t.Fatal(err)
	}
	s, _ := models.GetTwoFactorSettings(ctx, db)
	if s.Required != models.TwoFactorEveryone || len(s.Roles) != 0 || !s.AllowRemember {
		t.Errorf("settings %+v", s)
	}
	var details string
	db.Raw(`SELECT details::text FROM audit_log WHERE event = ? ORDER BY id DESC LIMIT 1`, models.EventTwoFactorSettings).Scan(&details)
	if details == "" || !bytes.Contains([]byte(details), []byte(`"old": "roles"`)) {
		t.Errorf("settings change recorded as %s", details)
	}
}

func readCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := auth.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
