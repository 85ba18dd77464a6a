package models

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/audit"
	"outlay/auth"
	"outlay/mail"
)

// Two-factor sign-in: a TOTP authenticator per person, confirmed with a code before it is
// used; ten single-use recovery codes; and the organisation's policy on who must have one.

// TwoFactorSecretPurpose derives the key that seals people's TOTP secrets from
// OUTLAY_SECRET_KEY (a key of its own, not the one of SSO client secrets).
const TwoFactorSecretPurpose = "two-factor totp secrets"

// RecoveryCodeCount is how many recovery codes a person gets at a time.
const RecoveryCodeCount = 10

// TwoFactorChallengeTTL is how long a half-signed-in browser may take to give its code or
// finish enrolling.
const TwoFactorChallengeTTL = 5 * time.Minute

// Security events of two-factor sign-in.
const (
	EventTwoFactorEnrolled      = "two_factor.enrolled"
	EventTwoFactorDisabled      = "two_factor.disabled"
	EventTwoFactorReset         = "two_factor.reset"
	EventTwoFactorCodeFailed    = "two_factor.code_failed"
	EventRecoveryCodeUsed       = "two_factor.recovery_code_used"
	EventRecoveryCodesGenerated = "two_factor.recovery_codes_regenerated"
	EventTwoFactorSettings      = "two_factor.settings_updated"
)

// TwoFactor is a person's authenticator.
type TwoFactor struct {
	UserID       int64 `gorm:"primaryKey;autoIncrement:false"`
	SecretSealed []byte
	ConfirmedAt  *time.Time
	MustEnrol    bool
	// ResetByAdmin: an admin of the organisation made the person enrol again (not the
	// operator's command line).
	ResetByAdmin bool
	LastUsedStep int64
	// EnrolmentHolderHash is the digest of the session, or half-finished sign-in, that was shown
	// the secret of an enrolment in progress: only it may see the secret and confirm it.
	EnrolmentHolderHash []byte
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// TableName is where authenticators are kept.
func (TwoFactor) TableName() string { return "user_two_factor" }

// Enabled reports whether sign-in asks this person for a code.
func (t *TwoFactor) Enabled() bool { return t != nil && t.ConfirmedAt != nil }

// MustEnrolAgain reports whether an admin reset the person's second factor and they have not
// enrolled since.
func (t *TwoFactor) MustEnrolAgain() bool { return t != nil && t.MustEnrol && t.ConfirmedAt == nil }

func twoFactorContext(userID int64) string {
	return "user_two_factor.secret_sealed:" + strconv.FormatInt(userID, 10)
}

// ErrTwoFactorEnabled means the person already has a confirmed authenticator.
var ErrTwoFactorEnabled = errors.New("two-factor sign-in is already on")

// ErrBadSecondFactor is the one answer to a wrong, used or expired code.
var ErrBadSecondFactor = errors.New("incorrect code")

// GetTwoFactor returns the person's authenticator, or nil when they have none.
func GetTwoFactor(ctx context.Context, db *gorm.DB, userID int64) (*TwoFactor, error) {
	var t TwoFactor
	err := db.WithContext(ctx).Where("user_id = ?", userID).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func lockTwoFactor(tx *gorm.DB, userID int64) (*TwoFactor, error) {
	var t TwoFactor
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("user_id = ?", userID).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &t, err
}

// lockEnrolment locks the person's authenticator row (nil if none) for enrolling, which only
// a person without a confirmed one may do.
func lockEnrolment(tx *gorm.DB, userID int64) (*TwoFactor, error) {
	t, err := lockTwoFactor(tx, userID)
	if err == nil && t.Enabled() {
		err = ErrTwoFactorEnabled
	}
	return t, err
}

// BeginEnrolment returns the secret of the person's enrolment in progress in holder (the
// digest of a session's id, or of a half-finished sign-in's token), making one the first
// time: reloading the page shows the same secret, so a code from an app that already scanned
// it still works. Another holder gets a new secret, and the one before is void: a secret
// read in a session that has ended (or someone else's, left open once) never becomes the
// person's second factor.
func BeginEnrolment(ctx context.Context, db *gorm.DB, box *auth.SecretBox, userID int64, holder []byte) (string, error) {
	if len(holder) == 0 {
		return "", errors.New("BeginEnrolment: no session holds the enrolment")
	}
	var secret string
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := lockEnrolment(tx, userID)
		if err != nil {
			return err
		}
		if t != nil && len(t.SecretSealed) > 0 && bytes.Equal(t.EnrolmentHolderHash, holder) {
			secret, err = box.Open(t.SecretSealed, twoFactorContext(userID))
			return err
		}
		secret = auth.NewTOTPSecret()
		sealed := box.Seal(secret, twoFactorContext(userID))
		if t == nil {
			return tx.Create(&TwoFactor{UserID: userID, SecretSealed: sealed, EnrolmentHolderHash: holder}).Error
		}
		return tx.Model(t).Updates(map[string]any{"secret_sealed": sealed, "enrolment_holder_hash": holder, "last_used_step": 0,
			"updated_at": time.Now().UTC()}).Error
	})
	return secret, err
}

// enrolmentElsewhere is shown beside the code when the secret this page showed was replaced
// by one shown to another session.
const enrolmentElsewhere = "Setting up began again in another browser or session, so the key this page showed no longer works. Add the new key below to your app, then enter the code it shows."

// EnrolmentReplaced says that ConfirmEnrolment refused a code because the secret was shown
// to another session since (not a wrong code, which counts against sign-in).
func EnrolmentReplaced(err error) bool {
	v, ok := outlay.AsValidation(err)
	return ok && v["code"] == enrolmentElsewhere
}

// wrongCode is shown beside the code field.
const wrongCode = "That code is not right. Enter the six digits your app shows now."

// ConfirmEnrolment turns two-factor sign-in on when code matches the enrolment's secret, and
// returns the person's new recovery codes, which are never shown again.
// Only holder, the session or sign-in shown the secret (BeginEnrolment), may confirm it.
func ConfirmEnrolment(ctx context.Context, db *gorm.DB, box *auth.SecretBox, userID int64, holder []byte, email, code string, now time.Time) ([]string, error) {
	var codes []string
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := lockEnrolment(tx, userID)
		if err != nil {
			return err
		}
		if t == nil || len(t.SecretSealed) == 0 || !bytes.Equal(t.EnrolmentHolderHash, holder) || len(holder) == 0 {
			return outlay.ValidationErrors{"code": enrolmentElsewhere}
		}
		secret, err := box.Open(t.SecretSealed, twoFactorContext(userID))
		if err != nil {
			return err
		}
		step, ok := auth.MatchTOTP(secret, code, now, t.LastUsedStep)
		if !ok {
			return outlay.ValidationErrors{"code": wrongCode}
		}
		if err := tx.Model(t).Updates(map[string]any{"confirmed_at": now.UTC(), "must_enrol": false, "reset_by_admin": false, "enrolment_holder_hash": nil,
			"last_used_step": step, "updated_at": now.UTC()}).Error; err != nil {
			return err
		}
		if codes, err = replaceRecoveryCodes(tx, userID); err != nil {
			return err
		}
		return audit.Event(ctx, tx, EventTwoFactorEnrolled, email, nil)
	})
	return codes, err
}

func replaceRecoveryCodes(tx *gorm.DB, userID int64) ([]string, error) {
	if err := tx.Exec(`DELETE FROM two_factor_recovery_codes WHERE user_id = ?`, userID).Error; err != nil {
		return nil, err
	}
	codes := auth.NewRecoveryCodes(RecoveryCodeCount)
	for _, c := range codes {
		if err := tx.Exec(`INSERT INTO two_factor_recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, auth.Digest(c)).Error; err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// Second-factor methods, as sign-in events name them.
const (
	MethodAuthenticator = "authenticator"
	MethodRecoveryCode  = "recovery code"
)

// VerifySecondFactor checks a code from the person's authenticator, or one of their recovery
// codes, and uses it up: an authenticator code is accepted once (it and every earlier one are
// refused afterwards), a recovery code once ever. It returns the method, or ErrBadSecondFactor.
func VerifySecondFactor(ctx context.Context, db *gorm.DB, box *auth.SecretBox, userID int64, email, code string, now time.Time) (string, error) {
	t, err := GetTwoFactor(ctx, db, userID)
	if err != nil {
		return "", err
	}
	if !t.Enabled() {
		return "", ErrBadSecondFactor
	}
	if rc := auth.NormalizeRecoveryCode(code); rc != "" {
		var remaining int64
		err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			res := tx.Exec(`UPDATE two_factor_recovery_codes SET used_at = now()
				WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, userID, auth.Digest(rc))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrBadSecondFactor
			}
			if err := tx.Raw(`SELECT count(*) FROM two_factor_recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&remaining).Error; err != nil {
				return err
			}
			return audit.Event(ctx, tx, EventRecoveryCodeUsed, email, map[string]any{"remaining": remaining})
		})
		if err != nil {
			return "", err
		}
		return MethodRecoveryCode, nil
	}
	secret, err := box.Open(t.SecretSealed, twoFactorContext(userID))
	if err != nil {
		return "", err
	}
	step, ok := auth.MatchTOTP(secret, code, now, t.LastUsedStep)
	if !ok {
		return "", ErrBadSecondFactor
	}
	// The step is claimed only if no other request claimed it (or a later one) first.
	res := db.WithContext(ctx).Model(&TwoFactor{}).Where("user_id = ? AND last_used_step < ?", userID, step).
		Updates(map[string]any{"last_used_step": step, "updated_at": now.UTC()})
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected == 0 {
		return "", ErrBadSecondFactor
	}
	return MethodAuthenticator, nil
}

// RemainingRecoveryCodes counts the person's unused recovery codes.
func RemainingRecoveryCodes(ctx context.Context, db *gorm.DB, userID int64) (int, error) {
	var n int
	err := db.WithContext(ctx).Raw(`SELECT count(*) FROM two_factor_recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n).Error
	return n, err
}

// RegenerateRecoveryCodes replaces the person's recovery codes with new ones: the old ones,
// used or not, stop working.
func RegenerateRecoveryCodes(ctx context.Context, db *gorm.DB, userID int64, email string) ([]string, error) {
	var codes []string
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := lockTwoFactor(tx, userID)
		if err != nil {
			return err
		}
		if !t.Enabled() {
			return outlay.ErrNotFound
		}
		if codes, err = replaceRecoveryCodes(tx, userID); err != nil {
			return err
		}
		return audit.Event(ctx, tx, EventRecoveryCodesGenerated, email, nil)
	})
	return codes, err
}

// forgetSecondFactor removes the person's recovery codes and half-finished sign-ins.
func forgetSecondFactor(tx *gorm.DB, userID int64) error {
	if err := tx.Exec(`DELETE FROM two_factor_recovery_codes WHERE user_id = ?`, userID).Error; err != nil {
		return err
	}
	return tx.Exec(`DELETE FROM two_factor_challenges WHERE user_id = ?`, userID).Error
}

// DisableTwoFactor turns the person's own second factor off (the caller has checked their
// password or a code, and that the organisation does not require one of them).
func DisableTwoFactor(ctx context.Context, db *gorm.DB, userID int64, email string, notices *SecurityNotices) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := lockTwoFactor(tx, userID)
		if err != nil {
			return err
		}
		if !t.Enabled() {
			return outlay.ErrNotFound
		}
		if err := tx.Delete(t).Error; err != nil {
			return err
		}
		if err := forgetSecondFactor(tx, userID); err != nil {
			return err
		}
		var u User
		if err := tx.Take(&u, userID).Error; err != nil {
			return err
		}
		if err := notices.queue(ctx, tx, MailSecurityNotice, &u, mail.SecurityEvent{Kind: mail.SecurityTwoFactorOff}); err != nil {
			return err
		}
		return audit.Event(ctx, tx, EventTwoFactorDisabled, email, nil)
	})
}

// ResetTwoFactor is the recovery for a person who lost their authenticator and recovery
// codes: their secret and codes are deleted, every session of theirs ends, and they enrol
// again at their next sign-in. The actor in ctx (an admin or the operator) is recorded. g may
// reset only a person within its reach; a refusal is a *GrantRefused, and is audited. The
// person is told of the reset by mail (notices), with the name of the admin who made it.
func ResetTwoFactor(ctx context.Context, db *gorm.DB, g Grantor, userID int64, notices *SecurityNotices) error {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if !g.operator && g.userID == userID {
			// The admin page's reset asks nothing of the person whose factor goes: an admin
			// turns their own off on their Security page, with their password or a code.
			return outlay.ValidationErrors{"two_factor": "You cannot reset your own second factor here. Change it on your Security page."}
		}
		u, err := g.personToChange(ctx, tx, "reset two-factor", userID)
		if err != nil {
			return err
		}
		t, err := lockTwoFactor(tx, userID)
		if err != nil {
			return err
		}
		// A secret shown but never confirmed is no second factor: resetting it would make the
		// person enrol at their next sign-in though nobody requires it of them.
		if t == nil || !t.Enabled() {
			return outlay.ValidationErrors{"two_factor": u.Name + " has no second factor to reset."}
		}
		if err := tx.Model(t).Updates(map[string]any{"secret_sealed": nil, "confirmed_at": nil, "must_enrol": true,
			"reset_by_admin": !g.operator, "last_used_step": 0, "updated_at": time.Now().UTC()}).Error; err != nil {
			return err
		}
		if err := forgetSecondFactor(tx, userID); err != nil {
			return err
		}
		if err := RevokeSessions(ctx, tx, userID); err != nil {
			return err
		}
		// A lost phone may be a stolen one: tokens made while it was the second factor go too.
		tokens, err := revokeUserTokens(ctx, tx, userID, "two-factor reset")
		if err != nil {
			return err
		}
		notice := mail.SecurityEvent{Kind: mail.SecurityTwoFactorReset}
		if !g.operator {
			if err := tx.Model(&User{}).Where("id = ?", g.userID).Select("name").Scan(&notice.By).Error; err != nil {
				return err
			}
		}
		if err := notices.queue(ctx, tx, MailSecurityNotice, u, notice); err != nil {
			return err
		}
		return audit.Event(ctx, tx, EventTwoFactorReset, u.Email, map[string]any{"sessions_ended": true, "tokens_revoked": tokens})
	})
	return auditRefusal(ctx, db, err)
}

// A person's two-factor status, as the users list shows it.
const (
	TwoFactorOn        = "on"
	TwoFactorMustEnrol = "reset" // reset by an admin: enrols again at the next sign-in
)

// twoFactorStatus is the status of the person u, whose user_two_factor row is joined as tf.
const twoFactorStatus = `CASE WHEN tf.confirmed_at IS NOT NULL THEN 'on' WHEN tf.must_enrol THEN 'reset' ELSE '' END`

// Status is the person's two-factor status.
func (t *TwoFactor) Status() string {
	switch {
	case t.Enabled():
		return TwoFactorOn
	case t.MustEnrolAgain():
		return TwoFactorMustEnrol
	}
	return ""
}

// Organisation policies for two factors.
const (
	TwoFactorOptional = "off"
	TwoFactorEveryone = "everyone"
	TwoFactorForRoles = "roles"
)

// TwoFactorSettings is the organisation's two-factor policy.
type TwoFactorSettings struct {
	ID            int
	Required      string
	AllowRemember bool
	// ForgotRememberedAt is when the organisation last stopped letting browsers be
	// remembered: a browser remembered before it is not remembered (RemembersSince).
	ForgotRememberedAt *time.Time
	UpdatedAt          time.Time
	Roles              []string `gorm:"-"` // with TwoFactorForRoles: the roles that must
}

// TableName is the settings' one-row table.
func (TwoFactorSettings) TableName() string { return "two_factor_settings" }

// Remembers reports whether a browser remembered at the time given is remembered now: the
// organisation lets browsers be remembered, and has not stopped since.
func (s *TwoFactorSettings) Remembers(rememberedAt time.Time) bool {
	return s.AllowRemember && (s.ForgotRememberedAt == nil || rememberedAt.After(*s.ForgotRememberedAt))
}

// TwoFactorRequiredRole is one role whose holders must use two factors.
type TwoFactorRequiredRole struct {
	Role string `gorm:"primaryKey"`
}

// TableName is where the roles are listed.
func (TwoFactorRequiredRole) TableName() string { return "two_factor_required_roles" }

// GetTwoFactorSettings reads the organisation's policy.
func GetTwoFactorSettings(ctx context.Context, db *gorm.DB) (*TwoFactorSettings, error) {
	var s TwoFactorSettings
	if err := db.WithContext(ctx).Where("id = 1").Take(&s).Error; err != nil {
		return nil, err
	}
	err := db.WithContext(ctx).Model(&TwoFactorRequiredRole{}).Order("role").Pluck("role", &s.Roles).Error
	return &s, err
}

// UpdateTwoFactorSettings sets who must use two factors and whether browsers may be
// remembered, recording the previous and new values. It decides how everyone signs in, so g
// may change it only if it could change everyone.
func UpdateTwoFactorSettings(ctx context.Context, db *gorm.DB, g Grantor, required string, roles []string, allowRemember bool) error {
	if err := g.mayChangeEveryone(ctx, db, "change two-factor policy", "two_factor_settings", "The two-factor policy decides how everyone here signs in"); err != nil {
		return asFormError(err)
	}
	verr := outlay.ValidationErrors{}
	switch required {
	case TwoFactorOptional, TwoFactorEveryone, TwoFactorForRoles:
	default:
		verr.Add("required", "Choose who must sign in with two factors.")
	}
	if required != TwoFactorForRoles {
		roles = nil
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before TwoFactorSettings
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = 1").Take(&before).Error; err != nil {
			return err
		}
		if err := tx.Model(&TwoFactorRequiredRole{}).Order("role").Pluck("role", &before.Roles).Error; err != nil {
			return err
		}
		var known []string
		if err := tx.Model(&Role{}).Pluck("name", &known).Error; err != nil {
			return err
		}
		slices.Sort(roles)
		roles = slices.Compact(roles)
		for _, r := range roles {
			if !slices.Contains(known, r) {
				verr.Add("roles", "Choose roles from the list.")
			}
		}
		if required == TwoFactorForRoles && len(roles) == 0 {
			verr.Add("roles", "Choose at least one role, or require two factors of everyone.")
		}
		if err := verr.Err(); err != nil {
			return err
		}
		now := time.Now().UTC()
		change := map[string]any{"required": required, "allow_remember": allowRemember, "updated_at": now}
		if before.AllowRemember && !allowRemember {
			// Turning it on again later must not bring back the browsers remembered until now
			// (by the app servers' clock, which dates remembered browsers).
			change["forgot_remembered_at"] = now
		}
		if err := tx.Model(&TwoFactorSettings{}).Where("id = 1").Updates(change).Error; err != nil {
			return err
		}
		for _, r := range before.Roles {
			if !slices.Contains(roles, r) {
				if err := tx.Delete(&TwoFactorRequiredRole{Role: r}).Error; err != nil {
					return err
				}
			}
		}
		for _, r := range roles {
			if !slices.Contains(before.Roles, r) {
				if err := tx.Create(&TwoFactorRequiredRole{Role: r}).Error; err != nil {
					return err
				}
			}
		}
		details := map[string]any{}
		if before.Required != required {
			details["required"] = map[string]any{"old": before.Required, "new": required}
		}
		if !slices.Equal(before.Roles, roles) {
			details["roles"] = map[string]any{"old": before.Roles, "new": roles}
		}
		if before.AllowRemember != allowRemember {
			details["allow_remember"] = map[string]any{"old": before.AllowRemember, "new": allowRemember}
		}
		return audit.Event(ctx, tx, EventTwoFactorSettings, "two_factor_settings", details)
	})
}

// TwoFactorRequired reports whether the organisation requires two factors of the person:
// everyone, holders of a listed role, and under any requirement the break-glass admin.
func TwoFactorRequired(ctx context.Context, db *gorm.DB, userID int64) (bool, error) {
	var required bool
	err := db.WithContext(ctx).Raw(`SELECT `+twoFactorRequiredSQL+` FROM users u WHERE u.id = ?`, userID).Scan(&required).Error
	return required, err
}

// twoFactorRequiredSQL is whether the organisation requires two factors of the person u:
// everyone, holders of a listed role, and under any requirement the break-glass admin.
const twoFactorRequiredSQL = `EXISTS (SELECT 1 FROM two_factor_settings tfs WHERE tfs.id = 1 AND (tfs.required = 'everyone'
		    OR (tfs.required = 'roles' AND EXISTS (
		        SELECT 1 FROM user_roles ur JOIN two_factor_required_roles r ON r.role = ur.role WHERE ur.user_id = u.id))
		    OR (tfs.required <> 'off' AND EXISTS (SELECT 1 FROM sso_settings WHERE break_glass_user_id = u.id))))`

// IsBreakGlassAdmin reports whether the person is the organisation's break-glass admin.
func IsBreakGlassAdmin(ctx context.Context, db *gorm.DB, userID int64) (bool, error) {
	var ok bool
	err := db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM sso_settings WHERE break_glass_user_id = ?)`, userID).Scan(&ok).Error
	return ok, err
}

// Kinds of half-signed-in state.
const (
	ChallengeCode  = "code"  // give a code from the authenticator or a recovery code
	ChallengeEnrol = "enrol" // set up an authenticator first
)

// TwoFactorChallenge is a browser between a proven first factor and a session.
type TwoFactorChallenge struct {
	IDHash    []byte `gorm:"primaryKey"`
	UserID    int64
	Kind      string
	Method    string // how the first factor was proven: "password", "password reset", "sso"
	Next      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TableName is where half-signed-in browsers are kept.
func (TwoFactorChallenge) TableName() string { return "two_factor_challenges" }

// CreateTwoFactorChallenge starts a half-signed-in state and returns its cookie value.
func CreateTwoFactorChallenge(ctx context.Context, db *gorm.DB, userID int64, kind, method, next string) (string, error) {
	token, digest := auth.NewToken()
	now := time.Now().UTC()
	ch := TwoFactorChallenge{IDHash: digest, UserID: userID, Kind: kind, Method: method, Next: next, CreatedAt: now, ExpiresAt: now.Add(TwoFactorChallengeTTL)}
	if err := db.WithContext(ctx).Exec(`DELETE FROM two_factor_challenges WHERE expires_at <= now()`).Error; err != nil {
		return "", err
	}
	if err := db.WithContext(ctx).Create(&ch).Error; err != nil {
		return "", err
	}
	return token, nil
}

// LookupTwoFactorChallenge returns a live half-signed-in state and its person, who must still
// be active; anything else is ErrNotFound.
func LookupTwoFactorChallenge(ctx context.Context, db *gorm.DB, token string) (*TwoFactorChallenge, *User, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, outlay.ErrNotFound
	}
	var ch TwoFactorChallenge
	err := db.WithContext(ctx).Where("id_hash = ? AND expires_at > now()", auth.Digest(token)).Take(&ch).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, outlay.ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	var u User
	err = db.WithContext(ctx).Where("id = ? AND status = ?", ch.UserID, UserActive).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, outlay.ErrNotFound
	}
	return &ch, &u, err
}

// EndTwoFactorChallenge uses up a half-signed-in state. It reports false when it was already
// used (two submissions of one form: only the first signs in).
func EndTwoFactorChallenge(ctx context.Context, db *gorm.DB, token string) (bool, error) {
	res := db.WithContext(ctx).Exec(`DELETE FROM two_factor_challenges WHERE id_hash = ?`, auth.Digest(token))
	return res.RowsAffected == 1, res.Error
}

// CountTwoFactor counts the active people with two-factor sign-in on, and all active people.
func CountTwoFactor(ctx context.Context, db *gorm.DB) (enrolled, active int, err error) {
	var row struct{ Enrolled, Active int }
	err = db.WithContext(ctx).Raw(`SELECT count(t.confirmed_at) AS enrolled, count(*) AS active
		FROM users u LEFT JOIN user_two_factor t ON t.user_id = u.id WHERE u.status = 'active'`).Scan(&row).Error
	return row.Enrolled, row.Active, err
}
