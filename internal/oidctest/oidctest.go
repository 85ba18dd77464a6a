// Package oidctest is an OpenID Connect provider for tests: a real HTTP server on
// 127.0.0.1 with discovery, JWKS, an authorization endpoint that approves a configured
// person at once, a token endpoint (single-use codes, PKCE S256, client authentication by
// HTTP Basic or form) and a userinfo endpoint. Its ID tokens are signed with an RSA key made
// at start; tests can make the next tokens wrong in one way (audience, expiry, nonce,
// signature, unverified email) to prove the app refuses them.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// User is the person the provider signs in.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// Claims are sent besides the standard ones, in the ID token and from userinfo.
	Claims map[string]any
}

func (u User) claims() map[string]any {
	c := map[string]any{"sub": u.Subject, "email": u.Email, "email_verified": u.EmailVerified, "name": u.Name}
	for k, v := range u.Claims {
		c[k] = v
	}
	return c
}

// Tamper makes the ID tokens issued from now on wrong in the ways set.
type Tamper struct {
	Audience   string        // replaces the client id in aud
	ExpiresIn  time.Duration // when non-zero, exp is now+ExpiresIn (negative: already expired)
	Nonce      string        // replaces the nonce the app sent
	Issuer     string        // replaces iss
	ForeignKey bool          // signs with a key the JWKS does not publish
}

// Options shape a provider.
type Options struct {
	// Path is the issuer's path, as in Microsoft's https://login.microsoftonline.com/<tenant>/v2.0.
	Path string
	// NoPKCE leaves S256 out of the discovery document.
	NoPKCE bool
	// TLS serves https, with a certificate for 127.0.0.1 that RootCAs trusts.
	TLS bool
	// Discovery replaces fields of the discovery document, such as "token_endpoint".
	Discovery map[string]any
}

// Server is a running provider.
type Server struct {
	// Issuer is the provider's issuer URL; its discovery document is under it.
	Issuer string

	t       testing.TB
	key     *rsa.PrivateKey
	foreign *rsa.PrivateKey
	kid     string
	opts    Options
	srv     *httptest.Server
	ln      net.Listener

	mu       sync.Mutex
	clients  map[string]string // id → secret
	user     User
	tamper   Tamper
	deny     string // error code the authorization endpoint answers with, if set
	codes    map[string]*grant
	tokens   map[string]User // access token → person
	refusals []string
	issued   int
}

type grant struct {
	clientID, redirectURI, nonce, challenge string
	user                                    User
	tamper                                  Tamper
}

// Start runs a provider until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{t: t, opts: opts, kid: "k1", clients: map[string]string{}, codes: map[string]*grant{}, tokens: map[string]User{}}
	var err error
	if s.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if s.foreign, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	scheme := "http://"
	if opts.TLS {
		scheme = "https://"
	}
	s.Issuer = scheme + s.ln.Addr().String() + strings.TrimSuffix(opts.Path, "/")
	mux := http.NewServeMux()
	p := strings.TrimSuffix(opts.Path, "/")
	mux.HandleFunc("GET "+p+"/.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET "+p+"/jwks", s.jwks)
	mux.HandleFunc("GET "+p+"/authorize", s.authorize)
	mux.HandleFunc("POST "+p+"/token", s.token)
	mux.HandleFunc("GET "+p+"/userinfo", s.userinfo)
	s.srv = httptest.NewUnstartedServer(mux)
	s.srv.Listener = s.ln
	s.srv.Config.ReadHeaderTimeout = 5 * time.Second
	if opts.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	return s
}

// RootCAs trusts the provider's certificate (with Options.TLS).
func (s *Server) RootCAs() *x509.CertPool {
	p := x509.NewCertPool()
	if c := s.srv.Certificate(); c != nil {
		p.AddCert(c)
	}
	return p
}

// AddClient registers a client the provider accepts.
func (s *Server) AddClient(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = secret
}

// SetUser chooses who signs in next.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// SetTamper spoils the ID tokens of sign-ins authorized from now on; Tamper{} stops it.
func (s *Server) SetTamper(t Tamper) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tamper = t
}

// Deny makes the authorization endpoint answer with an OAuth error code ("" to approve).
func (s *Server) Deny(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = code
}

// Refusals lists why the token endpoint refused requests, in order.
func (s *Server) Refusals() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refusals...)
}

// Issued counts the token responses given.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	doc := map[string]any{
		"issuer":                                s.Issuer,
		"authorization_endpoint":                s.Issuer + "/authorize",
		"token_endpoint":                        s.Issuer + "/token",
		"userinfo_endpoint":                     s.Issuer + "/userinfo",
		"jwks_uri":                              s.Issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"claims_supported":                      []string{"sub", "email", "email_verified", "name"},
	}
	if !s.opts.NoPKCE {
		doc["code_challenge_methods_supported"] = []string{"S256"}
	}
	for k, v := range s.opts.Discovery {
		doc[k] = v
	}
	writeJSON(w, http.StatusOK, doc)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	pub := s.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if _, ok := s.clients[q.Get("client_id")]; !ok || err != nil || !redirect.IsAbs() {
		http.Error(w, "unknown client or bad redirect_uri", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	switch {
	case s.deny != "":
		back.Set("error", s.deny)
	case q.Get("response_type") != "code" || !strings.Contains(" "+q.Get("scope")+" ", " openid "):
		back.Set("error", "invalid_request")
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		back.Set("error", "invalid_request")
	default:
		code := random()
		s.codes[code] = &grant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"),
			challenge: q.Get("code_challenge"), user: s.user, tamper: s.tamper}
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.refuse(w, "invalid_request", "bad form")
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if basic {
		clientID, _ = url.QueryUnescape(clientID)
		secret, _ = url.QueryUnescape(secret)
	} else {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want, known := s.clients[clientID]
	if !known || subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 {
		s.refuse(w, "invalid_client", "client authentication failed")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		s.refuse(w, "unsupported_grant_type", "only authorization_code")
		return
	}
	code := r.PostForm.Get("code")
	g, ok := s.codes[code]
	delete(s.codes, code) // a code works once, whatever happens next
	switch {
	case !ok:
		s.refuse(w, "invalid_grant", "unknown or already used code")
		return
	case g.clientID != clientID:
		s.refuse(w, "invalid_grant", "code issued to another client")
		return
	case g.redirectURI != r.PostForm.Get("redirect_uri"):
		s.refuse(w, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case g.challenge != "" && b64sha(r.PostForm.Get("code_verifier")) != g.challenge:
		s.refuse(w, "invalid_grant", "PKCE verification failed")
		return
	}
	access := random()
	s.tokens[access] = g.user
	s.issued++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 3600,
		"id_token": s.idToken(clientID, access, g),
	})
}

func b64sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return b64(sum[:])
}

// atHash is the ID token's hash of its access token: the left half of its SHA-256.
func atHash(access string) string {
	sum := sha256.Sum256([]byte(access))
	return b64(sum[:16])
}

func (s *Server) refuse(w http.ResponseWriter, code, why string) {
	s.refusals = append(s.refusals, code+": "+why)
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": why})
}

func (s *Server) idToken(clientID, access string, g *grant) string {
	now := time.Now()
	claims := g.user.claims()
	for k, v := range map[string]any{
		"iss": s.Issuer, "aud": clientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": g.nonce, "at_hash": atHash(access),
	} {
		claims[k] = v
	}
	t := g.tamper
	if t.Audience != "" {
		claims["aud"] = t.Audience
	}
	if t.ExpiresIn != 0 {
		claims["exp"] = now.Add(t.ExpiresIn).Unix()
	}
	if t.Nonce != "" {
		claims["nonce"] = t.Nonce
	}
	if t.Issuer != "" {
		claims["iss"] = t.Issuer
	}
	key := s.key
	if t.ForeignKey {
		key = s.foreign
	}
	return sign(key, s.kid, claims)
}

// sign makes an RS256 JSON Web Token.
func sign(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	payload, _ := json.Marshal(claims)
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return input + "." + b64(sig)
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	u, known := s.tokens[token]
	s.mu.Unlock()
	if !ok || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, u.claims())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func random() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b64(b)
}

// String names the provider in test logs.
func (s *Server) String() string { return fmt.Sprintf("oidctest(%s)", s.Issuer) }
