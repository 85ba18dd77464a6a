// Package sso signs people in through OpenID Connect providers: a tenant's own (Okta, Auth0,
// Keycloak, …) and the deployment's Google and Microsoft Entra ID clients, all by one code
// path. The flow runs through goth's openidConnect provider (BeginAuth, Authorize,
// FetchUser), called directly: never through goth's global provider map or gothic, because
// every tenant needs provider values of its own.
//
// goth only decodes the ID token. This package also verifies what goth does not: the
// token's signature against the issuer's published keys, its issuer, audience and expiry
// (coreos/go-oidc), the nonce of this very sign-in, and PKCE. The state, nonce and PKCE
// verifier of a sign-in in progress are kept by the caller, server-side.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth/providers/openidConnect"
	"golang.org/x/oauth2"

	"outlay/outbound"
)

// Provider kinds.
const (
	KindOIDC      = "oidc"
	KindGoogle    = "google"
	KindMicrosoft = "microsoft"
)

// Config is everything one tenant's provider is built from.
type Config struct {
	Tenant       string // the tenant's slug: providers are never shared between tenants
	Name         string // the provider's key within the tenant, as in /auth/<name>
	Kind         string
	Issuer       string
	ClientID     string
	ClientSecret string
	CallbackURL  string // from the deployment's public URL, never from a request's Host
}

// fingerprint changes whenever anything a built provider depends on changes, so an edit
// made on any app server replaces the provider cached on every other.
func (c Config) fingerprint() string {
	h := sha256.New()
	for _, s := range []string{c.Tenant, c.Name, c.Kind, c.Issuer, c.ClientID, c.ClientSecret, c.CallbackURL} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Client is one tenant's built provider: goth's openidConnect provider for the flow, and
// go-oidc's view of the same issuer for verifying ID tokens.
type Client struct {
	cfg      Config
	goth     *openidConnect.Provider
	verifier *oidc.IDTokenVerifier
	pkce     bool
}

// PKCE reports whether sign-ins with this provider use PKCE.
func (c *Client) PKCE() bool { return c.pkce }

// ErrUnavailable means the provider's discovery document could not be read.
var ErrUnavailable = errors.New("the identity provider is unavailable")

// build discovers the issuer and builds the provider. go-oidc does the discovery (it checks
// that the document names the issuer exactly), and goth's provider is built from the
// endpoints it found, so the issuer is fetched once and with our timeout. hc is the outbound
// client (package outbound): every request, discovery included, goes through it, and the
// endpoints the document names are checked against its rules before any is used.
func build(ctx context.Context, hc *http.Client, cfg Config) (*Client, error) {
	ctx = oidc.ClientContext(ctx, hc)
	op, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, cfg.Issuer, err)
	}
	var meta struct {
		UserInfo   string   `json:"userinfo_endpoint"`
		EndSession string   `json:"end_session_endpoint"`
		JWKS       string   `json:"jwks_uri"`
		Challenges []string `json:"code_challenge_methods_supported"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, cfg.Issuer, err)
	}
	ep := op.Endpoint()
	if err := checkEndpoints(ctx, hc, cfg.Issuer, ep.AuthURL, ep.TokenURL, meta.UserInfo, meta.JWKS); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, cfg.Issuer, err)
	}
	gp, err := openidConnect.NewCustomisedURL(cfg.ClientID, cfg.ClientSecret, cfg.CallbackURL,
		ep.AuthURL, ep.TokenURL, cfg.Issuer, meta.UserInfo, meta.EndSession, "openid", "email", "profile")
	if err != nil {
		return nil, err
	}
	gp.SetName(cfg.Name)
	gp.HTTPClient = hc
	return &Client{
		cfg:      cfg,
		goth:     gp,
		verifier: op.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		// Microsoft supports PKCE without saying so in its discovery document.
		pkce: slices.Contains(meta.Challenges, "S256") || cfg.Kind == KindMicrosoft,
	}, nil
}

// Request is the secrets of one sign-in attempt: the state that travels through the
// browser, the nonce the ID token must carry back, and the PKCE verifier.
type Request struct {
	State    string
	Nonce    string
	Verifier string
}

// NewRequest makes fresh random secrets for a sign-in.
func NewRequest() Request {
	return Request{State: random(32), Nonce: random(32), Verifier: oauth2.GenerateVerifier()}
}

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms.
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthURL is where the browser goes to sign in at the provider. goth's BeginAuth builds it;
// the nonce and the PKCE challenge are added here, because goth's options are per provider
// value, not per sign-in.
func (c *Client) AuthURL(r Request) (string, error) {
	sess, err := c.goth.BeginAuth(r.State)
	if err != nil {
		return "", err
	}
	raw, err := sess.GetAuthURL()
	if err != nil {
		return "", err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("nonce", r.Nonce)
	if c.pkce {
		q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(r.Verifier))
		q.Set("code_challenge_method", "S256")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Identity is who the provider says signed in.
type Identity struct {
	Subject       string // the provider's stable id of the person ("sub")
	Email         string
	EmailVerified bool
	Name          string
}

// FlowError says which step of finishing a sign-in failed. Its text is for the log only.
type FlowError struct {
	Step string // "exchange", "verify" or "userinfo"
	Err  error
}

func (e *FlowError) Error() string { return "sso " + e.Step + ": " + e.Err.Error() }
func (e *FlowError) Unwrap() error { return e.Err }

// Finish exchanges the code the provider sent back for tokens (goth's Authorize), verifies
// the ID token's signature, issuer, audience, expiry and nonce, and reads the person's
// claims (goth's FetchUser, which merges in the userinfo endpoint's answer).
func (c *Client) Finish(ctx context.Context, code string, r Request) (Identity, error) {
	sess := &openidConnect.Session{}
	params := url.Values{"code": {code}}
	if c.pkce {
		params.Set("code_verifier", r.Verifier)
	}
	if _, err := sess.Authorize(c.goth, params); err != nil {
		return Identity{}, &FlowError{"exchange", err}
	}
	if sess.IDToken == "" {
		return Identity{}, &FlowError{"exchange", errors.New("the token response has no id_token")}
	}
	tok, err := c.verifier.Verify(ctx, sess.IDToken)
	if err != nil {
		return Identity{}, &FlowError{"verify", err}
	}
	if tok.Subject == "" || len(tok.Subject) > 255 {
		return Identity{}, &FlowError{"verify", errors.New("the ID token has no usable subject")}
	}
	if r.Nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(r.Nonce)) != 1 {
		return Identity{}, &FlowError{"verify", errors.New("the ID token's nonce is not this sign-in's")}
	}
	if len(tok.Audience) > 1 {
		var azp struct {
			AuthorizedParty string `json:"azp"`
		}
		if err := tok.Claims(&azp); err != nil || azp.AuthorizedParty != c.cfg.ClientID {
			return Identity{}, &FlowError{"verify", errors.New("the ID token has several audiences and was not issued to us (azp)")}
		}
	}
	if tok.AccessTokenHash != "" {
		if err := tok.VerifyAccessToken(sess.AccessToken); err != nil {
			return Identity{}, &FlowError{"verify", err}
		}
	}
	user, err := c.goth.FetchUser(sess)
	if err != nil {
		return Identity{}, &FlowError{"userinfo", err}
	}
	if user.UserID != tok.Subject {
		return Identity{}, &FlowError{"userinfo", errors.New("the subject changed between the ID token and the user's claims")}
	}
	id := Identity{Subject: tok.Subject, Email: strings.TrimSpace(user.Email), Name: strings.TrimSpace(user.Name)}
	if id.Name == "" {
		id.Name = strings.TrimSpace(user.FirstName + " " + user.LastName)
	}
	id.EmailVerified = truthy(user.RawData["email_verified"])
	if c.cfg.Kind == KindMicrosoft {
		// Entra ID sends no email_verified; xms_edov (an optional claim the app registration
		// must request) says the email's domain is verified by the directory's owner.
		id.EmailVerified = id.EmailVerified || truthy(user.RawData["xms_edov"])
	}
	return id, nil
}

// truthy reads a boolean claim; some providers send "true" as a string.
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// Providers caches built providers per tenant and provider name. A provider is rebuilt when
// its configuration changes (its fingerprint), and dropped when Forget is called after an
// admin's edit; a failed discovery is not cached, so the next sign-in tries again.
type Providers struct {
	http *http.Client
	max  int

	mu      sync.Mutex
	entries map[string]*cached
}

type cached struct {
	fingerprint string
	client      *Client
	used        time.Time
}

// NewProviders returns an empty cache whose providers talk to identity providers through
// hc, the outbound client (package outbound), keeping at most max providers.
func NewProviders(hc *http.Client, max int) *Providers {
	return &Providers{http: hc, max: max, entries: map[string]*cached{}}
}

func cacheKey(tenant, name string) string { return tenant + "\x00" + name }

// Get returns the tenant's provider for cfg, discovering the issuer on first use.
func (p *Providers) Get(ctx context.Context, cfg Config) (*Client, error) {
	key, fp := cacheKey(cfg.Tenant, cfg.Name), cfg.fingerprint()
	p.mu.Lock()
	if e, ok := p.entries[key]; ok && e.fingerprint == fp {
		e.used = time.Now()
		p.mu.Unlock()
		return e.client, nil
	}
	p.mu.Unlock()
	c, err := build(ctx, p.http, cfg)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, replacing := p.entries[key]; !replacing && len(p.entries) >= p.max {
		p.evictOldest()
	}
	p.entries[key] = &cached{fingerprint: fp, client: c, used: time.Now()}
	return c, nil
}

func (p *Providers) evictOldest() {
	var oldest string
	var at time.Time
	for k, e := range p.entries {
		if oldest == "" || e.used.Before(at) {
			oldest, at = k, e.used
		}
	}
	delete(p.entries, oldest)
}

// Forget drops a tenant's cached providers, after its admin changed them.
func (p *Providers) Forget(tenant string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.entries {
		if strings.HasPrefix(k, tenant+"\x00") {
			delete(p.entries, k)
		}
	}
}

// Cached reports whether a provider for tenant and name is cached (for tests).
func (p *Providers) Cached(tenant, name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.entries[cacheKey(tenant, name)]
	return ok
}

// errEndpoint means a discovery document names an endpoint the outbound rules refuse.
var errEndpoint = errors.New("the discovery document names an endpoint the outbound rules refuse")

// checkEndpoints applies the outbound rules to the endpoints a discovery document names,
// before any of them is used: the server posts the client secret to the token endpoint and
// reads the userinfo and key endpoints. The authorization endpoint is only where the browser
// is sent; it must be https, or http like a development issuer.
func checkEndpoints(ctx context.Context, hc *http.Client, issuer, auth, token, userinfo, jwks string) error {
	au, err := url.Parse(auth)
	iu, _ := url.Parse(issuer)
	if err != nil || !(au.Scheme == "https" || au.Scheme == "http" && iu != nil && iu.Scheme == "http") || au.Host == "" {
		return fmt.Errorf("%w: authorization endpoint %q", errEndpoint, auth)
	}
	endpoints := []string{token, jwks}
	if userinfo != "" { // the only optional one
		endpoints = append(endpoints, userinfo)
	}
	for _, e := range endpoints {
		if err := outbound.Check(ctx, hc, e); err != nil {
			return fmt.Errorf("%w: %v", errEndpoint, err)
		}
	}
	return nil
}

// Messages for the admin who typed an issuer. They never repeat what the server was told
// (a status, a body, an address): the issuer could be inside the network.
const (
	msgIssuerURL       = "Enter the issuer as a URL, such as https://example.okta.com."
	msgDiscovery       = "The issuer's discovery document could not be read. Check the issuer URL."
	msgEndpoints       = "The provider's discovery document lacks its authorization, token or key endpoints."
	msgRefusedEndpoint = "The provider's discovery document names an endpoint this server may not use. Check the issuer URL."
)

// CheckIssuer reads an issuer's discovery document through the outbound client hc and
// explains, in words for the admin who typed the issuer, what is wrong with it, if anything.
// Why a request failed goes to logger, not to the admin.
func CheckIssuer(ctx context.Context, hc *http.Client, logger *slog.Logger, issuer string) error {
	wellKnown := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
	if err != nil {
		return errors.New(msgIssuerURL)
	}
	res, err := hc.Do(req)
	if err != nil {
		logger.WarnContext(ctx, "sso discovery failed", "issuer", issuer, "err", err)
		return errors.New(msgDiscovery)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		logger.WarnContext(ctx, "sso discovery failed", "issuer", issuer, "status", res.StatusCode)
		return errors.New(msgDiscovery)
	}
	var doc struct {
		Issuer   string `json:"issuer"`
		Auth     string `json:"authorization_endpoint"`
		Token    string `json:"token_endpoint"`
		UserInfo string `json:"userinfo_endpoint"`
		JWKS     string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		logger.WarnContext(ctx, "sso discovery failed", "issuer", issuer, "err", err)
		return errors.New(msgDiscovery)
	}
	if doc.Issuer != issuer {
		if len(doc.Issuer) > 200 || !strings.HasPrefix(doc.Issuer, "https://") && !strings.HasPrefix(doc.Issuer, "http://") {
			return errors.New(msgDiscovery)
		}
		return fmt.Errorf("The provider names its issuer “%s”. Enter exactly that, including any trailing slash.", doc.Issuer)
	}
	if doc.Auth == "" || doc.Token == "" || doc.JWKS == "" {
		return errors.New(msgEndpoints)
	}
	if err := checkEndpoints(ctx, hc, issuer, doc.Auth, doc.Token, doc.UserInfo, doc.JWKS); err != nil {
		logger.WarnContext(ctx, "sso discovery refused", "issuer", issuer, "err", err)
		return errors.New(msgRefusedEndpoint)
	}
	return nil
}
