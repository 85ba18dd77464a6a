package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/auth"
	"outlay/mail"
)

// SSOAuthState is a sign-in in progress. The state itself travels through the browser and
// the provider; only its digest is stored, next to the nonce and PKCE verifier that must
// never leave the server.
type SSOAuthState struct {
	StateHash    []byte `gorm:"primaryKey"`
	Provider     string
	Nonce        string
	PKCEVerifier string `gorm:"column:pkce_verifier"`
	Next         string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	UsedAt       *time.Time
}

// TableName is the states' table.
func (SSOAuthState) TableName() string { return "sso_auth_states" }

// SaveSSOAuthState stores a new sign-in's secrets for ttl, and prunes finished ones.
func SaveSSOAuthState(ctx context.Context, db *gorm.DB, provider, state, nonce, verifier, next string, ttl time.Duration) error {
	now := time.Now().UTC()
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM sso_auth_states WHERE expires_at < now() - interval '1 hour'`).Error; err != nil {
			return err
		}
		return tx.Create(&SSOAuthState{StateHash: auth.Digest(state), Provider: provider, Nonce: nonce,
			PKCEVerifier: verifier, Next: next, CreatedAt: now, ExpiresAt: now.Add(ttl)}).Error
	})
}

// ConsumeSSOAuthState uses up the sign-in whose state the provider sent back. It is
// ErrNotFound unless the state is known, unused, unexpired and was issued for provider; a
// conditional UPDATE claims it, so one state can finish one sign-in only.
func ConsumeSSOAuthState(ctx context.Context, db *gorm.DB, provider, state string) (*SSOAuthState, error) {
	if state == "" || len(state) > 200 {
		return nil, outlay.ErrNotFound
	}
	var st SSOAuthState
	err := db.WithContext(ctx).Raw(`UPDATE sso_auth_states SET used_at = now()
		WHERE state_hash = ? AND used_at IS NULL AND expires_at > now()
		RETURNING *`, auth.Digest(state)).Scan(&st).Error
	if err != nil {
		return nil, err
	}
	if len(st.StateHash) == 0 || st.Provider != provider {
		return nil, outlay.ErrNotFound
	}
	return &st, nil
}

// SSOIdentity links a person to their account at one provider.
type SSOIdentity struct {
	ID           int64
	UserID       int64
	Provider     string
	Subject      string
	Email        string
	LinkedAt     time.Time
	LastSignedIn *time.Time `gorm:"column:last_signed_in"`
}

// TableName is the identities' table.
func (SSOIdentity) TableName() string { return "sso_identities" }

// SSOClaims is who a provider says signed in, after the ID token was verified.
type SSOClaims struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// Reasons an SSO sign-in is refused.
const (
	SSORefusedNoEmail       = "no_email"
	SSORefusedUnverified    = "unverified_email"
	SSORefusedDomain        = "domain_not_allowed"
	SSORefusedUnknown       = "unknown_user"
	SSORefusedDeactivated   = "deactivated"
	SSORefusedOtherIdentity = "linked_to_other_identity"
	// SSORefusedLinkedElsewhere: the email names a person who signs in only with another
	// provider's account, and so has nothing here to confirm a new link with.
	SSORefusedLinkedElsewhere = "signs_in_elsewhere"
)

// SSORefusal is a sign-in the tenant's rules refuse. The handler turns Reason into words.
type SSORefusal struct {
	Reason string
	Email  string
}

func (e *SSORefusal) Error() string { return "sso sign-in refused: " + e.Reason }

// SSOSignIn is a successful SSO sign-in, or one that waits for its person to confirm the
// link (MustConfirm).
type SSOSignIn struct {
	User        *User
	Linked      bool // the identity was linked to the person by email just now
	Provisioned bool // the person was created just now (just-in-time)
	// MustConfirm: the email names a person who can already sign in another way, so nothing
	// was linked and nobody is signed in: the person must first confirm with their own
	// password (Password) and, when they have one, their second factor (Code).
	MustConfirm    bool
	Password, Code bool
	// MailID is the mail that told the person of the link, in the outbox.
	MailID int64
}

// SSOLinkedMail writes the mail that tells a person a provider's account was linked to
// theirs: the provider's label, and the email the provider gave.
type SSOLinkedMail func(u *User, providerLabel, providerEmail string) mail.Message

// SignInWithSSO decides who a verified identity is in this tenant:
//
//  1. With allowed domains, the email must be verified and in one of them.
//  2. An identity linked before (provider and subject) names its person.
//  3. Otherwise a verified email names an active person, whose identity is linked now,
//     unless they already have another identity at this provider.
//  4. Otherwise, with just-in-time provisioning on, a person is created with its role.
//
// Deactivated people are refused; invited people are activated, since the provider has
// proved their email. Every outcome, including refusals, is recorded.
//
// A person who can already sign in another way (a password, a second factor, another
// linked identity) is not linked by email alone: the result asks them to confirm
// (MustConfirm), and ConfirmSSOLink links once they have. Whoever controls a provider the
// organisation trusts could otherwise sign in as anyone whose email it claims. A link is
// told to the person by mail (linkedMail; nil sends none). Events name the person as actor.
func SignInWithSSO(ctx context.Context, db *gorm.DB, p *SSOProvider, c SSOClaims, linkedMail SSOLinkedMail) (*SSOSignIn, error) {
	c.Email = NormalizeEmail(c.Email)
	var out *SSOSignIn
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		out, err = resolveSSO(ctx, tx, p, c)
		if err != nil {
			return err
		}
		if out.MustConfirm {
			// Whoever signed in only claims to be the person until they confirm.
			return RecordSSOEvent(audit.AsUser(ctx, 0, out.User.Email), tx, EventSSOLinkAsked, userSubject(out.User.ID),
				map[string]any{"provider": p.Name, "subject": c.Subject, "email": c.Email})
		}
		return recordSSOSignIn(ctx, tx, p, c, out, linkedMail)
	})
	var refusal *SSORefusal
	if errors.As(err, &refusal) {
		if rerr := RecordSSOEvent(ctx, db, "sso.sign_in_refused", "sso_provider:"+p.Name,
			map[string]any{"reason": refusal.Reason, "subject": c.Subject, "email": c.Email}); rerr != nil {
			return nil, rerr
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EventSSOLinkAsked records a first SSO sign-in that waits for its person to confirm the link.
const EventSSOLinkAsked = "sso.link_confirmation_asked"

// recordSSOSignIn records a sign-in that resolved to out, as the person, with the link and the
// creation it made, and queues the mail that tells the person of a link.
func recordSSOSignIn(ctx context.Context, tx *gorm.DB, p *SSOProvider, c SSOClaims, out *SSOSignIn, linkedMail SSOLinkedMail) error {
	ctx = audit.AsUser(ctx, out.User.ID, out.User.Email)
	details := map[string]any{"provider": p.Name, "subject": c.Subject, "email": c.Email}
	if out.Linked {
		if err := RecordSSOEvent(ctx, tx, "sso.identity_linked", userSubject(out.User.ID), details); err != nil {
			return err
		}
		if linkedMail != nil && !out.Provisioned {
			id, err := QueueMail(ctx, tx, MailSSOLinked, linkedMail(out.User, p.Label, c.Email), false)
			if err != nil {
				return err
			}
			out.MailID = id
		}
	}
	if out.Provisioned {
		if err := RecordSSOEvent(ctx, tx, "sso.user_provisioned", userSubject(out.User.ID), map[string]any{"provider": p.Name, "email": c.Email, "role": *p.JITRole}); err != nil {
			return err
		}
	}
	return RecordSSOEvent(ctx, tx, "sso.sign_in", userSubject(out.User.ID), details)
}

func userSubject(id int64) string { return fmt.Sprintf("user:%d", id) }

func resolveSSO(ctx context.Context, tx *gorm.DB, p *SSOProvider, c SSOClaims) (*SSOSignIn, error) {
	refuse := func(reason string) (*SSOSignIn, error) { return nil, &SSORefusal{Reason: reason, Email: c.Email} }
	if len(p.AllowedDomains) > 0 {
		switch {
		case c.Email == "":
			return refuse(SSORefusedNoEmail)
		case !c.EmailVerified:
			return refuse(SSORefusedUnverified)
		case !p.AllowsDomainOf(c.Email):
			return refuse(SSORefusedDomain)
		}
	}
	signInLinked := func() (*SSOSignIn, bool, error) {
		var linked SSOIdentity
		err := tx.Where("provider = ? AND subject = ?", p.Name, c.Subject).Take(&linked).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		u, err := ssoUser(tx, linked.UserID)
		if err != nil {
			return nil, false, err
		}
		if u.Status == UserDeactivated {
			_, err := refuse(SSORefusedDeactivated)
			return nil, false, err
		}
		return &SSOSignIn{User: u}, true, touchIdentity(asPerson(ctx, tx, u), linked.ID, u, c.Email)
	}
	if res, ok, err := signInLinked(); ok || err != nil {
		return res, err
	}
	switch {
	case c.Email == "":
		return refuse(SSORefusedNoEmail)
	case !c.EmailVerified:
		return refuse(SSORefusedUnverified)
	}
	// Linking and creating people are serialised, so that two first sign-ins at once
	// cannot both link or both create.
	if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, ssoLockKey+1).Error; err != nil {
		return nil, err
	}
	// Someone may have linked this identity while we waited.
	if res, ok, err := signInLinked(); ok || err != nil {
		return res, err
	}
	u, err := FindUserByEmail(ctx, tx, c.Email)
	switch {
	case err == nil:
		if u.Status == UserDeactivated {
			return refuse(SSORefusedDeactivated)
		}
		var other int64
		if err := tx.Model(&SSOIdentity{}).Where("user_id = ? AND provider = ? AND subject <> ?", u.ID, p.Name, c.Subject).Count(&other).Error; err != nil {
			return nil, err
		}
		if other > 0 {
			return refuse(SSORefusedOtherIdentity)
		}
		ways, err := otherWaysIn(tx, u)
		if err != nil {
			return nil, err
		}
		switch {
		case ways.Password || ways.Code:
			return &SSOSignIn{User: u, MustConfirm: true, Password: ways.Password, Code: ways.Code}, nil
		case ways.Identities:
			// Nothing to confirm with here but that other sign-in.
			return refuse(SSORefusedLinkedElsewhere)
		}
		return linkAndSignIn(ctx, tx, u, p.Name, c)
	case !errors.Is(err, outlay.ErrNotFound):
		return nil, err
	}
	if !p.JITEnabled || p.JITRole == nil || len(p.AllowedDomains) == 0 || !p.AllowsDomainOf(c.Email) || ValidateEmail(c.Email) != nil {
		return refuse(SSORefusedUnknown)
	}
	u, err = provisionUser(tx, c, *p.JITRole)
	if err != nil {
		return nil, err
	}
	res, err := linkAndSignIn(ctx, tx, u, p.Name, c)
	if err != nil {
		return nil, err
	}
	res.Provisioned = true
	return res, nil
}

// asPerson is tx with the person u as the actor its changes are recorded under.
func asPerson(ctx context.Context, tx *gorm.DB, u *User) *gorm.DB {
	return tx.WithContext(audit.AsUser(ctx, u.ID, u.Email))
}

// linkAndSignIn links the identity c to the person u and notes the sign-in, as the person.
func linkAndSignIn(ctx context.Context, tx *gorm.DB, u *User, provider string, c SSOClaims) (*SSOSignIn, error) {
	tx = asPerson(ctx, tx, u)
	id, err := linkIdentity(tx, u.ID, provider, c)
	if err != nil {
		return nil, err
	}
	return &SSOSignIn{User: u, Linked: true}, touchIdentity(tx, id, u, c.Email)
}

// WaysIn are the ways a person can sign in besides the provider asking to be linked.
type WaysIn struct{ Password, Code, Identities bool }

func otherWaysIn(tx *gorm.DB, u *User) (WaysIn, error) {
	var w struct {
		Code       bool
		Identities bool
	}
	err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM user_two_factor WHERE user_id = ? AND confirmed_at IS NOT NULL) AS code,
		EXISTS (SELECT 1 FROM sso_identities WHERE user_id = ?) AS identities`, u.ID, u.ID).Scan(&w).Error
	return WaysIn{Password: u.PasswordHash != "", Code: w.Code, Identities: w.Identities}, err
}

// SSOLinkTTL is how long a first SSO sign-in waits for its person to confirm the link.
const SSOLinkTTL = 10 * time.Minute

// SSOLinkConfirmation is a first SSO sign-in waiting for its person to confirm the link.
type SSOLinkConfirmation struct {
	IDHash    []byte `gorm:"primaryKey"`
	UserID    int64
	Provider  string
	Subject   string
	Email     string
	Next      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TableName is where the waiting sign-ins are kept.
func (SSOLinkConfirmation) TableName() string { return "sso_link_confirmations" }

// BeginSSOLink keeps a sign-in that must be confirmed (SSOSignIn.MustConfirm) for SSOLinkTTL
// and returns the token that finds it, which only the browser that signed in gets.
func BeginSSOLink(ctx context.Context, db *gorm.DB, userID int64, provider string, c SSOClaims, next string) (string, error) {
	token, digest := auth.NewToken()
	now := time.Now().UTC()
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM sso_link_confirmations WHERE expires_at <= now()`).Error; err != nil {
			return err
		}
		return tx.Create(&SSOLinkConfirmation{IDHash: digest, UserID: userID, Provider: provider, Subject: c.Subject,
			Email: NormalizeEmail(c.Email), Next: next, CreatedAt: now, ExpiresAt: now.Add(SSOLinkTTL)}).Error
	})
	return token, err
}

// LookupSSOLink returns a waiting sign-in, its person (still active) and what they confirm
// with; anything else is ErrNotFound.
func LookupSSOLink(ctx context.Context, db *gorm.DB, token string) (*SSOLinkConfirmation, *User, WaysIn, error) {
	var l SSOLinkConfirmation
	if token == "" || len(token) > 100 {
		return nil, nil, WaysIn{}, outlay.ErrNotFound
	}
	err := db.WithContext(ctx).Where("id_hash = ? AND expires_at > now()", auth.Digest(token)).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, WaysIn{}, outlay.ErrNotFound
	}
	if err != nil {
		return nil, nil, WaysIn{}, err
	}
	u, err := ssoUser(db.WithContext(ctx), l.UserID)
	if errors.Is(err, gorm.ErrRecordNotFound) || err == nil && u.Status != UserActive {
		return nil, nil, WaysIn{}, outlay.ErrNotFound
	}
	if err != nil {
		return nil, nil, WaysIn{}, err
	}
	ways, err := otherWaysIn(db.WithContext(ctx), u)
	return &l, u, ways, err
}

// ConfirmSSOLink links the waiting sign-in token names to its person, who has just proved who
// they are (the caller checked their password and code), and records the sign-in as
// SignInWithSSO does. A used or expired token is ErrNotFound; an identity linked meanwhile to
// someone else, or another of the person's at the provider, is refused.
func ConfirmSSOLink(ctx context.Context, db *gorm.DB, p *SSOProvider, token string, linkedMail SSOLinkedMail) (*SSOSignIn, error) {
	var out *SSOSignIn
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var l SSOLinkConfirmation
		err := tx.Raw(`DELETE FROM sso_link_confirmations WHERE id_hash = ? AND expires_at > now() RETURNING *`, auth.Digest(token)).Scan(&l).Error
		if err != nil {
			return err
		}
		if l.UserID == 0 || l.Provider != p.Name {
			return outlay.ErrNotFound
		}
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, ssoLockKey+1).Error; err != nil {
			return err
		}
		u, err := ssoUser(tx, l.UserID)
		if err != nil {
			return err
		}
		if u.Status != UserActive {
			return &SSORefusal{Reason: SSORefusedDeactivated, Email: l.Email}
		}
		c := SSOClaims{Subject: l.Subject, Email: l.Email, EmailVerified: true}
		var taken int64
		if err := tx.Model(&SSOIdentity{}).Where("provider = ? AND (subject = ? OR user_id = ?)", p.Name, c.Subject, u.ID).Count(&taken).Error; err != nil {
			return err
		}
		if taken > 0 {
			return &SSORefusal{Reason: SSORefusedOtherIdentity, Email: l.Email}
		}
		if out, err = linkAndSignIn(ctx, tx, u, p.Name, c); err != nil {
			return err
		}
		return recordSSOSignIn(ctx, tx, p, c, out, linkedMail)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func ssoUser(tx *gorm.DB, id int64) (*User, error) {
	var u User
	if err := tx.Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, err
	}
	return &u, nil
}

func linkIdentity(tx *gorm.DB, userID int64, provider string, c SSOClaims) (int64, error) {
	id := SSOIdentity{UserID: userID, Provider: provider, Subject: c.Subject, Email: c.Email, LinkedAt: time.Now().UTC()}
	if err := tx.Create(&id).Error; err != nil {
		return 0, err
	}
	return id.ID, nil
}

// touchIdentity notes the sign-in, and activates an invited person: the provider has proved
// the email their invitation went to.
func touchIdentity(tx *gorm.DB, identityID int64, u *User, email string) error {
	changes := map[string]any{"last_signed_in": time.Now().UTC()}
	if email != "" {
		changes["email"] = email
	}
	if err := tx.Table("sso_identities").Where("id = ?", identityID).Updates(changes).Error; err != nil {
		return err
	}
	if u.Status == UserInvited {
		u.Status = UserActive
		return tx.Model(&User{}).Where("id = ? AND status = 'invited'", u.ID).Updates(map[string]any{"status": UserActive, "updated_at": time.Now().UTC()}).Error
	}
	return nil
}

// provisionUser creates an active person with no password, who signs in through SSO.
func provisionUser(tx *gorm.DB, c SSOClaims, role string) (*User, error) {
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name, _, _ = strings.Cut(c.Email, "@")
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	if _, err := findRole(tx, role); err != nil {
		return nil, err
	}
	u := &User{Email: c.Email, Name: name, Status: UserActive}
	if err := tx.Create(u).Error; err != nil {
		return nil, err
	}
	if err := tx.Create(&UserRole{UserID: u.ID, Role: role}).Error; err != nil {
		return nil, err
	}
	u.Roles = []string{role}
	return u, touchPolicy(tx)
}

// LinkedIdentity is an identity as the admin pages list it.
type LinkedIdentity struct {
	SSOIdentity
	ProviderLabel string
	UserName      string
	UserEmail     string
}

// UserSSOIdentities lists one person's linked identities; userID 0 lists everyone's.
func UserSSOIdentities(ctx context.Context, db *gorm.DB, userID int64) ([]LinkedIdentity, error) {
	q := db.WithContext(ctx).Table("sso_identities i").
		Select("i.*, p.label AS provider_label, u.name AS user_name, u.email AS user_email").
		Joins("JOIN sso_providers p ON p.name = i.provider").
		Joins("JOIN users u ON u.id = i.user_id").
		Order("lower(u.name), i.user_id, p.label, i.id")
	if userID != 0 {
		q = q.Where("i.user_id = ?", userID)
	}
	var out []LinkedIdentity
	return out, q.Limit(500).Scan(&out).Error
}

// UnlinkSSOIdentity removes one of a person's identities, so that their next sign-in with
// that provider links whichever account proves their email then (after their account at
// the provider was replaced, say). Another person's identity is ErrNotFound. g may unlink
// only the identities of a person within its reach; a refusal is a *GrantRefused, and is
// audited.
func UnlinkSSOIdentity(ctx context.Context, db *gorm.DB, g Grantor, userID, identityID int64) (*SSOIdentity, error) {
	var id SSOIdentity
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := g.mayChange(ctx, tx, "unlink sign-in account", userID); err != nil {
			return err
		}
		err := tx.Where("id = ? AND user_id = ?", identityID, userID).Take(&id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return outlay.NotFound("no such linked account")
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(&SSOIdentity{}, id.ID).Error; err != nil {
			return err
		}
		return RecordSSOEvent(ctx, tx, "sso.identity_unlinked", userSubject(userID),
			map[string]any{"provider": id.Provider, "subject": id.Subject, "email": id.Email})
	})
	if err != nil {
		return nil, auditRefusal(ctx, db, err)
	}
	return &id, nil
}
