package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"outlay"
	"outlay/auth"
)

// SSO provider kinds: the tenant's own OpenID Connect provider, or the deployment's Google
// or Microsoft client enabled for the tenant.
const (
	SSOKindOIDC      = "oidc"
	SSOKindGoogle    = "google"
	SSOKindMicrosoft = "microsoft"
)

// SSOSecretPurpose derives the key that seals providers' client secrets from
// OUTLAY_SECRET_KEY (auth.NewSecretBox).
const SSOSecretPurpose = "sso provider client secrets"

// SSOProvider is one of the tenant's identity providers.
type SSOProvider struct {
	ID                 int64
	Name               string
	Kind               string
	Label              string
	Issuer             string
	ClientID           string `gorm:"column:client_id"`
	ClientSecretSealed []byte `gorm:"column:client_secret_sealed"`
	EntraTenantID      string `gorm:"column:entra_tenant_id"`
	AllowedDomains     Domains
	JITEnabled         bool    `gorm:"column:jit_enabled"`
	JITRole            *string `gorm:"column:jit_role"`
	Enabled            bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// TableName is the providers' table.
func (SSOProvider) TableName() string { return "sso_providers" }

// secretContext binds a sealed client secret to its provider, so it opens nowhere else.
func (p *SSOProvider) SecretContext() string { return "sso_providers.client_secret_sealed:" + p.Name }

// ClientSecret decrypts the provider's client secret.
func (p *SSOProvider) ClientSecret(box *auth.SecretBox) (string, error) {
	if len(p.ClientSecretSealed) == 0 {
		return "", nil
	}
	if box == nil {
		return "", auth.ErrUnsealable
	}
	return box.Open(p.ClientSecretSealed, p.SecretContext())
}

// HasSecret reports whether a client secret is stored.
func (p *SSOProvider) HasSecret() bool { return len(p.ClientSecretSealed) > 0 }

// AllowsDomainOf reports whether email's domain is among the allowed ones; with no list,
// every domain is.
func (p *SSOProvider) AllowsDomainOf(email string) bool {
	if len(p.AllowedDomains) == 0 {
		return true
	}
	return slices.Contains(p.AllowedDomains, emailDomain(email))
}

func emailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(email[at+1:])
}

// Domains are lower-case email domains, stored comma-separated.
type Domains []string

// Scan reads the stored form.
func (d *Domains) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return fmt.Errorf("domains: cannot scan %T", v)
	}
	*d = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*d = append(*d, p)
		}
	}
	return nil
}

// Value is the stored form.
func (d Domains) Value() (driver.Value, error) { return strings.Join(d, ","), nil }

// String lists the domains as people type them.
func (d Domains) String() string { return strings.Join(d, ", ") }

var domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// ParseDomains reads a list of domains typed with commas, spaces or new lines.
func ParseDomains(s string) (Domains, error) {
	var out Domains
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		d := strings.TrimPrefix(strings.ToLower(f), "@")
		if !domainPattern.MatchString(d) {
			return nil, fmt.Errorf("“%s” is not a domain such as example.com.", f)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) > 50 {
		return nil, errors.New("List at most 50 domains.")
	}
	return out, nil
}

// SSOProviderInput is a provider as the admin page and `outlay sso set` send it. The client
// secret is empty to keep the stored one.
type SSOProviderInput struct {
	Kind          string `form:"kind"`
	Name          string `form:"name"`
	Label         string `form:"label"`
	Issuer        string `form:"issuer"`
	ClientID      string `form:"client_id"`
	ClientSecret  string `form:"client_secret"`
	EntraTenantID string `form:"entra_tenant_id"`
	Domains       string `form:"domains"`
	JIT           bool   `form:"jit"`
	JITRole       string `form:"jit_role"`
	Enabled       bool   `form:"enabled"`
}

// SSORules are what validating and storing a provider depends on beyond its own fields.
type SSORules struct {
	Box *auth.SecretBox // seals client secrets
	// AllowHTTPIssuers accepts http:// issuers on loopback addresses (tests).
	AllowHTTPIssuers bool
	// Google and Microsoft report whether the deployment has those client credentials.
	Google, Microsoft bool
	// CheckIssuer, when set, reads an enabled provider's discovery document before saving.
	CheckIssuer func(ctx context.Context, issuer string) error
	// Grantor is who saves: the role new people get must lie within their reach. The zero
	// value reaches no role that carries any permission.
	Grantor Grantor
}

var (
	providerNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,30}$`)
	entraTenantPattern  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// SSOKindLabel is how people read a kind.
func SSOKindLabel(kind string) string {
	switch kind {
	case SSOKindGoogle:
		return "Google"
	case SSOKindMicrosoft:
		return "Microsoft Entra ID"
	}
	return "OpenID Connect"
}

func validIssuer(raw string, allowHTTP bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "Enter the issuer URL, such as https://example.okta.com or https://example.eu.auth0.com/."
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if allowHTTP && (host == "localhost" || ip != nil && ip.IsLoopback()) {
			return ""
		}
	}
	return "The issuer must be an https:// URL."
}

// normalise trims the input and fills what a kind fixes.
func (in *SSOProviderInput) normalise() {
	for _, s := range []*string{&in.Kind, &in.Name, &in.Label, &in.Issuer, &in.ClientID, &in.EntraTenantID, &in.JITRole} {
		*s = strings.TrimSpace(*s)
	}
	in.Name, in.Label = strings.ToLower(in.Name), oneSpaced(in.Label)
	switch in.Kind {
	case SSOKindGoogle:
		in.Name, in.Issuer, in.ClientID, in.ClientSecret = SSOKindGoogle, "", "", ""
		if in.Label == "" {
			in.Label = "Google"
		}
	case SSOKindMicrosoft:
		in.Name, in.Issuer, in.ClientID, in.ClientSecret = SSOKindMicrosoft, "", "", ""
		in.EntraTenantID = strings.ToLower(in.EntraTenantID)
		if in.Label == "" {
			in.Label = "Microsoft"
		}
	default:
		in.EntraTenantID = ""
	}
	if !in.JIT {
		in.JITRole = ""
	}
}

// validate checks the fields alone; existing is the stored provider on an update.
func (in *SSOProviderInput) validate(existing *SSOProvider, rules SSORules) (Domains, outlay.ValidationErrors) {
	verr := outlay.ValidationErrors{}
	switch in.Kind {
	case SSOKindOIDC:
	case SSOKindGoogle:
		if !rules.Google {
			verr.Add("", "Google sign-in is not set up on this deployment: the operator must set OUTLAY_GOOGLE_CLIENT_ID and OUTLAY_GOOGLE_CLIENT_SECRET.")
		}
	case SSOKindMicrosoft:
		if !rules.Microsoft {
			verr.Add("", "Microsoft sign-in is not set up on this deployment: the operator must set OUTLAY_MICROSOFT_CLIENT_ID and OUTLAY_MICROSOFT_CLIENT_SECRET.")
		}
		if !entraTenantPattern.MatchString(in.EntraTenantID) {
			verr.Add("entra_tenant_id", "Enter your Microsoft Entra tenant ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47 (Entra admin center → Overview).")
		}
	default:
		verr.Add("kind", "Choose OpenID Connect, Google or Microsoft.")
	}
	if in.Kind == SSOKindOIDC {
		switch {
		case !providerNamePattern.MatchString(in.Name):
			verr.Add("name", "Use 2–31 lower-case letters, digits or dashes, starting with a letter (it appears in the callback URL).")
		case in.Name == SSOKindGoogle || in.Name == SSOKindMicrosoft:
			verr.Add("name", "This name is kept for the built-in "+SSOKindLabel(in.Name)+" provider; choose another.")
		}
		if msg := validIssuer(in.Issuer, rules.AllowHTTPIssuers); msg != "" {
			verr.Add("issuer", msg)
		}
		switch n := utf8.RuneCountInString(in.ClientID); {
		case n == 0:
			verr.Add("client_id", "Enter the client ID the provider gave you.")
		case n > 300:
			verr.Add("client_id", tooLong("A client ID", 300, n))
		}
		switch n := utf8.RuneCountInString(in.ClientSecret); {
		case n == 0 && (existing == nil || !existing.HasSecret()):
			verr.Add("client_secret", "Enter the client secret the provider gave you.")
		case n > 1000:
			verr.Add("client_secret", tooLong("A client secret", 1000, n))
		}
	}
	switch n := utf8.RuneCountInString(in.Label); {
	case n == 0:
		verr.Add("label", "Enter the name people see on the sign-in button, such as “Okta”.")
	case n > 60:
		verr.Add("label", tooLong("The name on the sign-in button", 60, n))
	default:
		checkOneLine(verr, "label", in.Label)
	}
	domains, err := ParseDomains(in.Domains)
	if err != nil {
		verr.Add("domains", err.Error())
	}
	if in.JIT {
		switch {
		case in.JITRole == "":
			verr.Add("jit_role", "Choose the role new people get.")
		case in.JITRole == "admin":
			verr.Add("jit_role", "New people must not become admins automatically; choose another role.")
		}
		if err == nil && len(domains) == 0 {
			verr.Add("domains", "Automatic accounts need at least one allowed domain, so that only your organisation's people get one.")
		}
	}
	if len(verr) == 0 && rules.Box == nil && in.ClientSecret != "" {
		verr.Add("client_secret", "This server has no OUTLAY_SECRET_KEY, so it cannot store secrets.")
	}
	return domains, verr
}

// ssoButtonOrder orders providers as their buttons appear on the sign-in page.
const ssoButtonOrder = "array_position(ARRAY['google','microsoft'], kind) NULLS LAST, lower(label), id"

// SSOProviders lists the tenant's providers, in the order their buttons appear.
func SSOProviders(ctx context.Context, db *gorm.DB) ([]SSOProvider, error) {
	var out []SSOProvider
	err := db.WithContext(ctx).Order(ssoButtonOrder).Find(&out).Error
	return out, err
}

// FindSSOProvider returns the provider named name.
func FindSSOProvider(ctx context.Context, db *gorm.DB, name string) (*SSOProvider, error) {
	var p SSOProvider
	err := db.WithContext(ctx).Where("name = ?", name).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("no such sign-in provider")
	}
	return &p, err
}

// FindSSOProviderByID returns the provider with id.
func FindSSOProviderByID(ctx context.Context, db *gorm.DB, id int64) (*SSOProvider, error) {
	var p SSOProvider
	err := db.WithContext(ctx).Where("id = ?", id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("no such sign-in provider")
	}
	return &p, err
}

// SaveSSOProvider creates a provider (id 0) or updates one. A provider's kind and name never
// change. The change is recorded.
func SaveSSOProvider(ctx context.Context, db *gorm.DB, id int64, in SSOProviderInput, rules SSORules) (*SSOProvider, error) {
	var existing *SSOProvider
	if id != 0 {
		var err error
		if existing, err = FindSSOProviderByID(ctx, db, id); err != nil {
			return nil, err
		}
		in.Kind, in.Name = existing.Kind, existing.Name
	}
	in.normalise()
	domains, verr := in.validate(existing, rules)
	if len(verr) > 0 {
		return nil, verr
	}
	// Giving new people a role is granting it: a role chosen or switched on here must be
	// within the saver's reach.
	if in.JIT && (existing == nil || !existing.JITEnabled || existing.JITRole == nil || *existing.JITRole != in.JITRole) {
		if err := rules.Grantor.mayGive(ctx, db, "single sign-on role", in.Name, in.JITRole); err != nil {
			if r, ok := AsGrantRefused(err); ok {
				return nil, outlay.ValidationErrors{"jit_role": r.Message}
			}
			return nil, err
		}
	}
	// Whoever controls a provider can sign in as anyone it matches by address.
	if err := rules.Grantor.mayVouchForEveryone(ctx, db, "sso_provider:"+in.Name); err != nil {
		return nil, asFormError(err)
	}
	issuerChanged := existing == nil || existing.Issuer != in.Issuer || !existing.Enabled
	if in.Kind == SSOKindOIDC && in.Enabled && issuerChanged && rules.CheckIssuer != nil {
		if err := rules.CheckIssuer(ctx, in.Issuer); err != nil {
			return nil, outlay.ValidationErrors{"issuer": err.Error()}
		}
	}
	p := SSOProvider{Kind: in.Kind, Name: in.Name, CreatedAt: time.Now().UTC()}
	if existing != nil {
		p = *existing
	}
	before := p
	p.Label, p.Issuer, p.ClientID, p.EntraTenantID = in.Label, in.Issuer, in.ClientID, in.EntraTenantID
	p.AllowedDomains, p.JITEnabled, p.Enabled = domains, in.JIT, in.Enabled
	p.JITRole = nil
	if in.JIT {
		role := in.JITRole
		p.JITRole = &role
	}
	if in.ClientSecret != "" {
		p.ClientSecretSealed = rules.Box.Seal(in.ClientSecret, p.SecretContext())
	}
	if in.Kind != SSOKindOIDC {
		p.ClientSecretSealed = nil
	}
	p.UpdatedAt = time.Now().UTC()
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockSSO(tx); err != nil {
			return err
		}
		if p.JITRole != nil {
			if _, err := findRole(tx, *p.JITRole); err != nil {
				return outlay.ValidationErrors{"jit_role": "Choose a role from the list."}
			}
		}
		if existing == nil {
			var clash int64
			if err := tx.Model(&SSOProvider{}).Where("name = ?", p.Name).Count(&clash).Error; err != nil {
				return err
			}
			if clash > 0 {
				if p.Kind == SSOKindOIDC {
					return outlay.ValidationErrors{"name": "A provider with this name exists already."}
				}
				return outlay.ValidationErrors{"": SSOKindLabel(p.Kind) + " is set up already; edit it below."}
			}
			if err := tx.Create(&p).Error; err != nil {
				return err
			}
		} else {
			if err := tx.Save(&p).Error; err != nil {
				return err
			}
		}
		if err := ensureRequiredSSOUsable(tx); err != nil {
			return err
		}
		name := "sso.provider_updated"
		if existing == nil {
			name = "sso.provider_created"
		}
		return RecordSSOEvent(ctx, tx, name, "sso_provider:"+p.Name, providerChanges(before, p, existing == nil, in.ClientSecret != ""))
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// providerChanges describes an edit for the audit log; the secret is never written there.
func providerChanges(before, after SSOProvider, created, secretChanged bool) map[string]any {
	role := func(p SSOProvider) string {
		if p.JITRole == nil {
			return ""
		}
		return *p.JITRole
	}
	pairs := []struct {
		field     string
		old, new_ any
	}{
		{"label", before.Label, after.Label},
		{"issuer", before.Issuer, after.Issuer},
		{"client_id", before.ClientID, after.ClientID},
		{"entra_tenant_id", before.EntraTenantID, after.EntraTenantID},
		{"allowed_domains", before.AllowedDomains.String(), after.AllowedDomains.String()},
		{"jit_enabled", before.JITEnabled, after.JITEnabled},
		{"jit_role", role(before), role(after)},
		{"enabled", before.Enabled, after.Enabled},
	}
	out := map[string]any{"kind": after.Kind}
	for _, p := range pairs {
		if created || p.old != p.new_ {
			out[p.field] = map[string]any{"old": p.old, "new": p.new_}
		}
	}
	if secretChanged {
		out["client_secret"] = "changed"
	}
	return out
}

// DeleteSSOProvider removes a provider and the identities linked through it. g may delete
// one only if it could set one up (mayVouchForEveryone): deleting one can lock out everyone
// it signs in.
func DeleteSSOProvider(ctx context.Context, db *gorm.DB, g Grantor, id int64) (*SSOProvider, error) {
	var p *SSOProvider
	if err := g.mayVouchForEveryone(ctx, db, "sso_provider:"+strconv.FormatInt(id, 10)); err != nil {
		return nil, asFormError(err)
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockSSO(tx); err != nil {
			return err
		}
		var err error
		if p, err = FindSSOProviderByID(ctx, tx, id); err != nil {
			return err
		}
		var links int64
		if err := tx.Model(&SSOIdentity{}).Where("provider = ?", p.Name).Count(&links).Error; err != nil {
			return err
		}
		if err := tx.Delete(&SSOProvider{}, p.ID).Error; err != nil {
			return err
		}
		if err := ensureRequiredSSOUsable(tx); err != nil {
			return err
		}
		return RecordSSOEvent(ctx, tx, "sso.provider_deleted", "sso_provider:"+p.Name, map[string]any{"kind": p.Kind, "label": p.Label, "identities_unlinked": links})
	})
	return p, err
}

// ssoLockKey serialises changes to SSO settings and providers, so that "require SSO" can
// never be left with no provider by two concurrent edits.
const ssoLockKey = 72450003

func lockSSO(tx *gorm.DB) error {
	return tx.Exec(`SELECT pg_advisory_xact_lock(?)`, ssoLockKey).Error
}

// SSORequiredNeedsProvider is the message refusing a change that would leave "require SSO"
// on with no provider to sign in with.
const SSORequiredNeedsProvider = "Single sign-on is required, so at least one provider must stay enabled. Turn off “Require single sign-on” first."

func ensureRequiredSSOUsable(tx *gorm.DB) error {
	var ok bool
	err := tx.Raw(`SELECT NOT require_sso OR EXISTS (SELECT 1 FROM sso_providers WHERE enabled) FROM sso_settings WHERE id = 1`).Scan(&ok).Error
	if err != nil {
		return err
	}
	if !ok {
		return outlay.ValidationErrors{"": SSORequiredNeedsProvider}
	}
	return nil
}

// SSOSettings is the tenant's sign-in policy.
type SSOSettings struct {
	ID               int
	RequireSSO       bool   `gorm:"column:require_sso"`
	BreakGlassUserID *int64 `gorm:"column:break_glass_user_id"`
	UpdatedAt        time.Time
}

// TableName is the settings' one-row table.
func (SSOSettings) TableName() string { return "sso_settings" }

// GetSSOSettings reads the tenant's sign-in policy.
func GetSSOSettings(ctx context.Context, db *gorm.DB) (*SSOSettings, error) {
	var s SSOSettings
	err := db.WithContext(ctx).Where("id = 1").Take(&s).Error
	return &s, err
}

// BreakGlassCandidates are the people who may be named break-glass admin: active, and
// able to change SSO settings, so that they can repair them when the provider fails.
func BreakGlassCandidates(ctx context.Context, db *gorm.DB) ([]UserChoice, error) {
	var out []UserChoice
	err := db.WithContext(ctx).Raw(`
		SELECT u.id, u.name, u.email, '' AS roles FROM users u
		WHERE u.status = 'active' AND EXISTS (
			SELECT 1 FROM user_roles ur JOIN casbin_rule c ON c.ptype = 'p' AND c.v0 = ur.role AND c.v1 = ? AND c.v2 = 'update'
			WHERE ur.user_id = u.id)
		ORDER BY lower(u.name), u.id`, outlay.ObjSSO).Scan(&out).Error
	return out, err
}

// UpdateSSOSettings sets whether SSO is required and who the break-glass admin is (0: none).
// It decides how everyone signs in, so g may change it only if it could change everyone.
func UpdateSSOSettings(ctx context.Context, db *gorm.DB, g Grantor, require bool, breakGlass int64) error {
	if err := g.mayChangeEveryone(ctx, db, "change sign-in policy", "sso_settings", "The sign-in policy decides how everyone here signs in"); err != nil {
		return asFormError(err)
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockSSO(tx); err != nil {
			return err
		}
		before, err := GetSSOSettings(ctx, tx)
		if err != nil {
			return err
		}
		verr := outlay.ValidationErrors{}
		if breakGlass != 0 {
			candidates, err := BreakGlassCandidates(ctx, tx)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(candidates, func(u UserChoice) bool { return u.ID == breakGlass }) {
				verr.Add("break_glass", "Choose an active person who can change single sign-on settings.")
			}
		} else if require {
			verr.Add("break_glass", "Name a break-glass admin: the one person who can still sign in with a password if the provider fails.")
		}
		if require {
			var enabled int64
			if err := tx.Model(&SSOProvider{}).Where("enabled").Count(&enabled).Error; err != nil {
				return err
			}
			if enabled == 0 {
				verr.Add("require_sso", "Add and enable a provider before requiring single sign-on.")
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		var bg *int64
		if breakGlass != 0 {
			bg = &breakGlass
		}
		if err := tx.Model(&SSOSettings{}).Where("id = 1").Updates(map[string]any{
			"require_sso": require, "break_glass_user_id": bg, "updated_at": time.Now().UTC(),
		}).Error; err != nil {
			return err
		}
		details := map[string]any{}
		if before.RequireSSO != require {
			details["require_sso"] = map[string]any{"old": before.RequireSSO, "new": require}
		}
		old := int64(0)
		if before.BreakGlassUserID != nil {
			old = *before.BreakGlassUserID
		}
		if old != breakGlass {
			details["break_glass_user_id"] = map[string]any{"old": old, "new": breakGlass}
		}
		return RecordSSOEvent(ctx, tx, "sso.settings_updated", "sso_settings", details)
	})
}

// PasswordSignInAllowed reports whether email may sign in with a password: always, unless
// the tenant requires SSO, and then only for the break-glass admin.
func PasswordSignInAllowed(ctx context.Context, db *gorm.DB, email string) (bool, error) {
	var ok bool
	err := db.WithContext(ctx).Raw(`
		SELECT NOT s.require_sso OR EXISTS (
			SELECT 1 FROM users u WHERE u.id = s.break_glass_user_id AND lower(u.email) = lower(?))
		FROM sso_settings s WHERE s.id = 1`, NormalizeEmail(email)).Scan(&ok).Error
	return ok, err
}
