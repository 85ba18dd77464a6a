package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/auth"
	"outlay/internal/oidctest"
	"outlay/internal/testutil"
	"outlay/mail"
	"outlay/models"
	"outlay/tenancy"
)

// ssoSite is acme with one admin, Ana, and an in-process OpenID Connect provider set up as
// acme's "okta".
type ssoSite struct {
	app  *testutil.App
	idp  *oidctest.Server
	acme tenancy.Tenant
	db   *gorm.DB
	ana  *models.User
}

const (
	acmeClient = "acme-client"
	acmeSecret = "acme-secret-5f1c"
	anaSubject = "00u-ana"
)

var ana = oidctest.User{Subject: anaSubject, Email: "ana@acme.example", EmailVerified: true, Name: "Ana Admin"}

func newSSOSite(t *testing.T) *ssoSite {
	t.Helper()
	env := testutil.NewEnv(t)
	s := &ssoSite{acme: env.NewTenant(t, "acme", "Acme Corporation")}
	s.ana = env.CreateUser(t, s.acme, "ana@acme.example", "Ana Admin", "admin")
	s.db = env.DB(t, s.acme)
	s.idp = oidctest.Start(t, oidctest.Options{})
	s.idp.AddClient(acmeClient, acmeSecret)
	s.idp.SetUser(ana)
	s.app = testutil.NewApp(t, env)
	s.addProvider(t, s.db, models.SSOProviderInput{Kind: models.SSOKindOIDC, Name: "okta", Label: "Okta", Issuer: s.idp.Issuer,
		ClientID: acmeClient, ClientSecret: acmeSecret, Enabled: true})
	return s
}

// rules are the rules the app saves providers under, without the discovery check.
func (s *ssoSite) rules(t *testing.T) models.SSORules {
	box, err := auth.NewSecretBox(s.app.Config.SecretKey, models.SSOSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	return models.SSORules{Box: box, AllowHTTPIssuers: true, Google: s.app.Config.GoogleSSO(), Microsoft: s.app.Config.MicrosoftSSO(), Grantor: models.ByOperator()}
}

func (s *ssoSite) addProvider(t *testing.T, db *gorm.DB, in models.SSOProviderInput) *models.SSOProvider {
	t.Helper()
	p, err := models.SaveSSOProvider(context.Background(), db, 0, in, s.rules(t))
	if err != nil {
		t.Fatalf("add provider %s: %v", in.Name, err)
	}
	return p
}

func (s *ssoSite) editProvider(t *testing.T, name string, edit func(in *models.SSOProviderInput)) {
	t.Helper()
	p, err := models.FindSSOProvider(context.Background(), s.db, name)
	if err != nil {
		t.Fatal(err)
	}
	in := models.SSOProviderInput{Label: p.Label, Issuer: p.Issuer, ClientID: p.ClientID, EntraTenantID: p.EntraTenantID,
		Domains: p.AllowedDomains.String(), JIT: p.JITEnabled, Enabled: p.Enabled}
	if p.JITRole != nil {
		in.JITRole = *p.JITRole
	}
	edit(&in)
	if _, err := models.SaveSSOProvider(context.Background(), s.db, p.ID, in, s.rules(t)); err != nil {
		t.Fatalf("edit provider %s: %v", name, err)
	}
}

// noRedirects is a client that, like a test of a browser's first hop, stops at a redirect.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// startSSO asks the app to begin signing in with provider and returns where it sends the
// browser: the provider's authorization URL.
func startSSO(t *testing.T, c *testutil.Client, path string) *url.URL {
	t.Helper()
	res := c.Get(path)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("GET %s: status %d, body %s", path, res.Status, res.Text(".flash, h1"))
	}
	u, err := url.Parse(res.Location())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// approve visits the provider's authorization URL as the browser would and returns the
// callback it redirects to, as a path with its query for the app's host.
func approve(t *testing.T, authorize *url.URL, wantHost string) string {
	t.Helper()
	res, err := noRedirects.Get(authorize.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d", res.StatusCode)
	}
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Host != wantHost {
		t.Fatalf("the provider sent the browser back to %s, want %s", back.Host, wantHost)
	}
	return back.RequestURI()
}

// ssoSignIn runs a whole sign-in with provider and returns the app's answer to the callback.
func ssoSignIn(t *testing.T, c *testutil.Client, provider string) *testutil.Response {
	t.Helper()
	return c.Get(approve(t, startSSO(t, c, "/auth/"+provider), c.Host))
}

// refusedWith checks that a callback answer sent the browser to the sign-in page with a
// message containing want, and that nobody was signed in.
func refusedWith(t *testing.T, c *testutil.Client, res *testutil.Response, want string) {
	t.Helper()
	if res.Status != http.StatusSeeOther || res.Location() != "/login" {
		t.Fatalf("callback: status %d location %q, want a 303 to /login", res.Status, res.Location())
	}
	if _, ok := c.Cookies["outlay_session"]; ok {
		t.Error("a session was started")
	}
	if msg := c.Get("/login").Text(".flash-error"); !strings.Contains(msg, want) {
		t.Errorf("message %q, want it to contain %q", msg, want)
	}
}

// signedInAs checks that a callback answer signed the person called name in. A first
// sign-in of a person who has a password is linked only once they confirm with it
// (TestSSOFirstSignInLinksAPersonWhoHasAPasswordOnlyWithIt): this confirms it with the test
// password when asked.
func signedInAs(t *testing.T, c *testutil.Client, res *testutil.Response, name string) {
	t.Helper()
	if res.Status == http.StatusSeeOther && res.Location() == "/login/link" {
		c.Get("/login/link")
		res = c.Post("/login/link", url.Values{"password": {testutil.Password}})
	}
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("callback: status %d location %q, want a 303 to /dashboard; flash: %q", res.Status, res.Location(), c.Get("/login").Text(".flash"))
	}
	if got := c.Get("/dashboard").Text("h1"); got != "Welcome, "+name {
		t.Errorf("dashboard h1 = %q, want Welcome, %s", got, name)
	}
}

func TestSSOSignIn(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	c := s.app.Client(t, "acme")
	login := c.Get("/login")
	button := login.Doc.Find(`a.btn-sso[href="/auth/okta"]`)
	if button.Length() != 1 || strings.TrimSpace(button.Text()) != "Sign in with Okta" {
		t.Fatalf("login page SSO buttons: %q", login.Text(".sso-buttons"))
	}
	if login.Doc.Find(`form[action="/login"] input[name="password"]`).Length() != 1 {
		t.Error("without “require SSO” the password form is shown too")
	}

	authorize := startSSO(t, c, "/auth/okta")
	q := authorize.Query()
	if authorize.Host != strings.TrimPrefix(s.idp.Issuer, "http://") || authorize.Path != "/authorize" {
		t.Errorf("sent to %s, want the provider's authorization endpoint", authorize)
	}
	for param, want := range map[string]string{
		"client_id": acmeClient, "response_type": "code", "redirect_uri": "http://acme.localhost:8080/auth/okta/callback",
		"code_challenge_method": "S256",
	} {
		if q.Get(param) != want {
			t.Errorf("authorization %s = %q, want %q", param, q.Get(param), want)
		}
	}
	for _, param := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(param)) < 40 {
			t.Errorf("authorization %s = %q: want a long random value", param, q.Get(param))
		}
	}
	if scope := strings.Fields(q.Get("scope")); !slices.Contains(scope, "openid") || !slices.Contains(scope, "email") {
		t.Errorf("scope %q", q.Get("scope"))
	}
	// The state is kept server-side as a digest only, with the nonce and PKCE verifier.
	var st models.SSOAuthState
	if err := s.db.Take(&st).Error; err != nil {
		t.Fatal(err)
	}
	if string(st.StateHash) == q.Get("state") || string(st.StateHash) != string(auth.Digest(q.Get("state"))) {
		t.Error("the stored state is not the digest of the state sent")
	}
	if st.Nonce != q.Get("nonce") || st.PKCEVerifier == "" || st.Provider != "okta" {
		t.Errorf("stored state %+v", st)
	}

	res := c.Get(approve(t, authorize, c.Host))
	signedInAs(t, c, res, "Ana Admin")
	// The identity is linked, and the sign-in recorded.
	ids, err := models.UserSSOIdentities(context.Background(), s.db, s.ana.ID)
	if err != nil || len(ids) != 1 || ids[0].Subject != anaSubject || ids[0].Provider != "okta" || ids[0].LastSignedIn == nil {
		t.Fatalf("identities %+v %v", ids, err)
	}
	if e, ok := s.app.Events.Last("sso.sign_in"); !ok || e.Subject != "user:"+itoa(s.ana.ID) || e.Details["provider"] != "okta" {
		t.Errorf("sign-in event %+v", e)
	}
	if n := len(s.app.Events.Named("sso.identity_linked")); n != 1 {
		t.Errorf("%d identity_linked events, want 1", n)
	}

	// A second sign-in finds the linked identity, and honours a local next page.
	d := s.app.Client(t, "acme")
	res = d.Get(approve(t, startSSO(t, d, "/auth/okta?next=%2Fadmin%2Froles"), d.Host))
	if res.Status != http.StatusSeeOther || res.Location() != "/admin/roles" {
		t.Errorf("sign-in with next: %d %q", res.Status, res.Location())
	}
	if n := len(s.app.Events.Named("sso.identity_linked")); n != 1 {
		t.Errorf("%d identity_linked events after the second sign-in, want still 1", n)
	}
	res = d.Get(approve(t, startSSO(t, d, "/auth/okta?next=https%3A%2F%2Fevil.example%2F"), d.Host))
	if res.Location() != "/dashboard" {
		t.Errorf("an off-site next sent the browser to %q", res.Location())
	}
}

// The state must come back to the browser that started the sign-in, be known to the server,
// unused and fresh. Nothing a caller makes up is accepted.
func TestSSORefusesBadState(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	const msg = "That sign-in had expired or was already used"

	t.Run("state changed on the way", func(t *testing.T) {
		c := s.app.Client(t, "acme")
		back, _ := url.Parse(approve(t, startSSO(t, c, "/auth/okta"), c.Host))
		q := back.Query()
		q.Set("state", q.Get("state")+"x")
		back.RawQuery = q.Encode()
		refusedWith(t, c, c.Get(back.RequestURI()), msg)
	})
	t.Run("another browser finishes the sign-in", func(t *testing.T) {
		c := s.app.Client(t, "acme")
		callback := approve(t, startSSO(t, c, "/auth/okta"), c.Host)
		victim := s.app.Client(t, "acme")
		refusedWith(t, victim, victim.Get(callback), msg)
	})
	t.Run("state and cookie made up by the caller", func(t *testing.T) {
		c := s.app.Client(t, "acme")
		back, _ := url.Parse(approve(t, startSSO(t, c, "/auth/okta"), c.Host))
		q := back.Query()
		q.Set("state", "made-up-state-made-up-state-made-up-state")
		back.RawQuery = q.Encode()
		c.Cookies["outlay_sso"] = q.Get("state")
		refusedWith(t, c, c.Get(back.RequestURI()), msg)
	})
	t.Run("expired", func(t *testing.T) {
		c := s.app.Client(t, "acme")
		callback := approve(t, startSSO(t, c, "/auth/okta"), c.Host)
		if err := s.db.Exec(`UPDATE sso_auth_states SET expires_at = now() - interval '1 second'`).Error; err != nil {
			t.Fatal(err)
		}
		refusedWith(t, c, c.Get(callback), msg)
	})
	t.Run("issued for another provider", func(t *testing.T) {
		s.addProvider(t, s.db, models.SSOProviderInput{Kind: models.SSOKindOIDC, Name: "other", Label: "Other", Issuer: s.idp.Issuer,
			ClientID: acmeClient, ClientSecret: acmeSecret, Enabled: true})
		c := s.app.Client(t, "acme")
		callback := approve(t, startSSO(t, c, "/auth/okta"), c.Host)
		refusedWith(t, c, c.Get(strings.Replace(callback, "/auth/okta/", "/auth/other/", 1)), msg)
	})
	if n := s.idp.Issued(); n != 0 {
		t.Errorf("the provider issued %d tokens: a refused state must stop the sign-in before the code is used", n)
	}
	// Anyone can send a bad state: it is logged, not recorded in the audit log.
	if e := s.app.Events.Named("sso.sign_in_refused"); len(e) != 0 {
		t.Errorf("bad states were recorded: %+v", e)
	}
}

func TestSSORefusesReplayedCode(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	c := s.app.Client(t, "acme")
	callback := approve(t, startSSO(t, c, "/auth/okta"), c.Host)
	cookie := c.Cookies["outlay_sso"]
	signedInAs(t, c, c.Get(callback), "Ana Admin")

	// The same callback again, from the same browser (its state cookie restored): the state
	// is spent.
	again := s.app.Client(t, "acme")
	again.Cookies["outlay_sso"] = cookie
	refusedWith(t, again, again.Get(callback), "expired or was already used")

	// The old code with a fresh sign-in's state: the provider refuses the spent code.
	fresh, _ := url.Parse(approve(t, startSSO(t, again, "/auth/okta"), again.Host))
	old, _ := url.Parse(callback)
	q := fresh.Query()
	q.Set("code", old.Query().Get("code"))
	fresh.RawQuery = q.Encode()
	refusedWith(t, again, again.Get(fresh.RequestURI()), "could not be verified")
	if r := s.idp.Refusals(); len(r) == 0 || !strings.Contains(r[0], "already used") {
		t.Errorf("provider refusals %q", r)
	}
}

// A PKCE verifier that does not match the challenge sent is refused by the provider.
func TestSSOUsesPKCE(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	c := s.app.Client(t, "acme")
	callback := approve(t, startSSO(t, c, "/auth/okta"), c.Host)
	if err := s.db.Exec(`UPDATE sso_auth_states SET pkce_verifier = 'not-the-verifier-not-the-verifier-not-the-verifier'`).Error; err != nil {
		t.Fatal(err)
	}
	refusedWith(t, c, c.Get(callback), "could not be verified")
	// (golang.org/x/oauth2 retries a failed first exchange with the other client
	// authentication style, so the spent code may be refused a second time.)
	if r := s.idp.Refusals(); len(r) == 0 || !strings.Contains(r[0], "PKCE") {
		t.Errorf("provider refusals %q", r)
	}

	// A provider that does not offer PKCE gets none, and signing in still works.
	plain := oidctest.Start(t, oidctest.Options{NoPKCE: true})
	plain.AddClient(acmeClient, acmeSecret)
	plain.SetUser(ana)
	s.addProvider(t, s.db, models.SSOProviderInput{Kind: models.SSOKindOIDC, Name: "plain", Label: "Plain", Issuer: plain.Issuer,
		ClientID: acmeClient, ClientSecret: acmeSecret, Enabled: true})
	d := s.app.Client(t, "acme")
	authorize := startSSO(t, d, "/auth/plain")
	if authorize.Query().Has("code_challenge") {
		t.Error("a code_challenge was sent to a provider that does not support PKCE")
	}
	signedInAs(t, d, d.Get(approve(t, authorize, d.Host)), "Ana Admin")
}

// ID tokens that fail any check goth does not make are refused: audience, expiry, signature,
// nonce and issuer.
func TestSSORefusesBadIDTokens(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	for _, tc := range []struct {
		name   string
		tamper oidctest.Tamper
		cause  string // what the recorded refusal says went wrong
	}{
		{"wrong audience", oidctest.Tamper{Audience: "someone-elses-client"}, `expected audience "acme-client"`},
		{"expired", oidctest.Tamper{ExpiresIn: -time.Hour}, "token is expired"},
		{"forged signature", oidctest.Tamper{ForeignKey: true}, "failed to verify signature"},
		{"another sign-in's nonce", oidctest.Tamper{Nonce: "nonce-of-another-sign-in"}, "nonce is not this sign-in's"},
		{"another issuer", oidctest.Tamper{Issuer: "https://evil.example"}, "issued by a different provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.idp.SetTamper(tc.tamper)
			defer s.idp.SetTamper(oidctest.Tamper{})
			c := s.app.Client(t, "acme")
			refusedWith(t, c, ssoSignIn(t, c, "okta"), "Okta's answer could not be verified, so you were not signed in.")
			e, _ := s.app.Events.Last("sso.sign_in_refused")
			if e.Details["reason"] != "verify" || !strings.Contains(e.Details["error"].(string), tc.cause) {
				t.Errorf("refusal recorded as %v, want a verify error containing %q", e.Details, tc.cause)
			}
		})
	}
	var n int64
	s.db.Model(&models.SSOIdentity{}).Count(&n)
	if n != 0 {
		t.Errorf("%d identities linked by refused tokens", n)
	}
}

func TestSSOMatchingRules(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	ctx := context.Background()
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Requester", "requester")

	t.Run("unverified email", func(t *testing.T) {
		s.idp.SetUser(oidctest.User{Subject: "00u-bo", Email: "bo@acme.example", EmailVerified: false, Name: "Bo"})
		c := s.app.Client(t, "acme")
		refusedWith(t, c, ssoSignIn(t, c, "okta"), "Your email address at Okta is not verified.")
	})
	t.Run("unknown person, provisioning off", func(t *testing.T) {
		s.idp.SetUser(oidctest.User{Subject: "00u-cy", Email: "cy@acme.example", EmailVerified: true, Name: "Cy"})
		c := s.app.Client(t, "acme")
		refusedWith(t, c, ssoSignIn(t, c, "okta"), "There is no Acme Corporation account for cy@acme.example. Ask your administrator to invite you.")
		if _, err := models.FindUserByEmail(ctx, s.db, "cy@acme.example"); err == nil {
			t.Error("a user was created with provisioning off")
		}
	})
	t.Run("deactivated person", func(t *testing.T) {
		s.idp.SetUser(oidctest.User{Subject: "00u-bo", Email: "bo@acme.example", EmailVerified: true, Name: "Bo"})
		c := s.app.Client(t, "acme")
		signedInAs(t, c, ssoSignIn(t, c, "okta"), "Bo Requester")
		if err := models.DeactivateUser(ctx, s.db, models.ByOperator(), bo.ID); err != nil {
			t.Fatal(err)
		}
		d := s.app.Client(t, "acme")
		refusedWith(t, d, ssoSignIn(t, d, "okta"), "Your Acme Corporation account is deactivated.")
	})
	t.Run("email outside the allowed domains", func(t *testing.T) {
		s.editProvider(t, "okta", func(in *models.SSOProviderInput) { in.Domains = "acme.example" })
		s.idp.SetUser(oidctest.User{Subject: "00u-mallory", Email: "mallory@evil.example", EmailVerified: true, Name: "Mallory"})
		c := s.app.Client(t, "acme")
		refusedWith(t, c, ssoSignIn(t, c, "okta"), "Accounts at evil.example cannot sign in to Acme Corporation with Okta.")
	})
	t.Run("provisioning on", func(t *testing.T) {
		s.editProvider(t, "okta", func(in *models.SSOProviderInput) { in.JIT, in.JITRole = true, "approver" })
		s.idp.SetUser(oidctest.User{Subject: "00u-dee", Email: "Dee@Acme.example", EmailVerified: true, Name: "Dee Newcomer"})
		c := s.app.Client(t, "acme")
		res := ssoSignIn(t, c, "okta")
		if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
			t.Fatalf("provisioning sign-in: %d %q", res.Status, res.Location())
		}
		dash := c.Get("/dashboard")
		if dash.Text("h1") != "Welcome, Dee Newcomer" || dash.Text(".roles .badge") != "Approver" {
			t.Errorf("dashboard %q, roles %q", dash.Text("h1"), dash.Text(".roles .badge"))
		}
		if !strings.Contains(dash.Text(".flash-success"), "Your account was created from your Okta sign-in") {
			t.Errorf("welcome flash %q", dash.Text(".flash"))
		}
		u, err := models.FindUserByEmail(ctx, s.db, "dee@acme.example")
		if err != nil || u.Status != models.UserActive || u.PasswordHash != "" {
			t.Errorf("provisioned user %+v %v", u, err)
		}
		if e, ok := s.app.Events.Last("sso.user_provisioned"); !ok || e.Details["role"] != "approver" {
			t.Errorf("provisioning event %+v", e)
		}
		// Provisioning still honours the domains.
		s.idp.SetUser(oidctest.User{Subject: "00u-eve", Email: "eve@other.example", EmailVerified: true, Name: "Eve"})
		d := s.app.Client(t, "acme")
		refusedWith(t, d, ssoSignIn(t, d, "okta"), "Accounts at other.example cannot sign in")
	})
	if e, ok := s.app.Events.Last("sso.sign_in_refused"); !ok || e.Details["reason"] != models.SSORefusedDomain || e.Details["email"] != "eve@other.example" {
		t.Errorf("last refusal event %+v", e)
	}
}

// A linked identity names its person even when the email changes; a second account with the
// same email is refused until the first is unlinked.
func TestSSOLinkedIdentityTakesPrecedence(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	c := s.app.Client(t, "acme")
	signedInAs(t, c, ssoSignIn(t, c, "okta"), "Ana Admin")

	s.idp.SetUser(oidctest.User{Subject: anaSubject, Email: "ana.renamed@acme.example", EmailVerified: false, Name: "Ana"})
	d := s.app.Client(t, "acme")
	signedInAs(t, d, ssoSignIn(t, d, "okta"), "Ana Admin")

	s.idp.SetUser(oidctest.User{Subject: "00u-ana-new", Email: "ana@acme.example", EmailVerified: true, Name: "Ana"})
	e := s.app.Client(t, "acme")
	refusedWith(t, e, ssoSignIn(t, e, "okta"), "linked to a different Okta account")

	// The admin unlinks the old account; the new one then links at its first sign-in.
	ids, _ := models.UserSSOIdentities(context.Background(), s.db, s.ana.ID)
	c.Get("/admin/sso")
	res := c.Post("/admin/users/"+itoa(s.ana.ID)+"/identities/"+itoa(ids[0].ID)+"/unlink", nil)
	if res.Status != http.StatusSeeOther || res.Location() != "/admin/sso" {
		t.Fatalf("unlink: %d %q", res.Status, res.Location())
	}
	if _, ok := s.app.Events.Last("sso.identity_unlinked"); !ok {
		t.Error("unlinking was not recorded")
	}
	f := s.app.Client(t, "acme")
	signedInAs(t, f, ssoSignIn(t, f, "okta"), "Ana Admin")
	ids, _ = models.UserSSOIdentities(context.Background(), s.db, s.ana.ID)
	if len(ids) != 1 || ids[0].Subject != "00u-ana-new" {
		t.Errorf("identities after relinking: %+v", ids)
	}
	// Another person's identity cannot be unlinked through someone else's URL.
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo", "requester")
	c.Get("/admin/sso")
	if res := c.Post("/admin/users/"+itoa(bo.ID)+"/identities/"+itoa(ids[0].ID)+"/unlink", nil); res.Status != http.StatusNotFound {
		t.Errorf("unlink through another person's URL: %d", res.Status)
	}
}

// An invited person (no password yet) who proves their email through SSO becomes active.
func TestSSOActivatesInvitedPerson(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	if _, err := models.CreateUser(context.Background(), s.db, models.NewUser{Email: "ivy@acme.example", Name: "Ivy Invited", Roles: []string{"requester"}}); err != nil {
		t.Fatal(err)
	}
	s.idp.SetUser(oidctest.User{Subject: "00u-ivy", Email: "ivy@acme.example", EmailVerified: true, Name: "Ivy"})
	c := s.app.Client(t, "acme")
	signedInAs(t, c, ssoSignIn(t, c, "okta"), "Ivy Invited")
	u, _ := models.FindUserByEmail(context.Background(), s.db, "ivy@acme.example")
	if u.Status != models.UserActive {
		t.Errorf("status %q after SSO sign-in, want active", u.Status)
	}
}

// acme's provider is acme's alone: globex's host does not know it, and a sign-in begun on
// acme cannot be finished on globex, even where globex has a provider of the same name at
// the same issuer.
func TestSSOProviderOfOneTenantRefusedOnAnother(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	globex := s.app.NewTenant(t, "globex", "Globex Industries")
	gdb := s.app.DB(t, globex)
	s.app.CreateUser(t, globex, "ana@acme.example", "Globex Ana", "admin")

	g := s.app.Client(t, "globex")
	if res := g.Get("/auth/okta"); res.Status != http.StatusNotFound {
		t.Errorf("acme's provider on globex's host: status %d, want 404", res.Status)
	}
	if g.Get("/login").Doc.Find(".btn-sso").Length() != 0 {
		t.Error("globex's sign-in page shows acme's provider")
	}
	a := s.app.Client(t, "acme")
	callback := approve(t, startSSO(t, a, "/auth/okta"), a.Host)
	for k, v := range a.Cookies {
		g.Cookies[k] = v
	}
	if res := g.Get(callback); res.Status != http.StatusNotFound {
		t.Errorf("acme's callback on globex's host: status %d, want 404", res.Status)
	}

	s.idp.AddClient("globex-client", "globex-secret")
	s.addProvider(t, gdb, models.SSOProviderInput{Kind: models.SSOKindOIDC, Name: "okta", Label: "Okta", Issuer: s.idp.Issuer,
		ClientID: "globex-client", ClientSecret: "globex-secret", Enabled: true})
	refusedWith(t, g, g.Get(callback), "expired or was already used")
	if s.idp.Issued() != 0 {
		t.Error("acme's code was exchanged by globex")
	}
	// Each tenant's own sign-in works, with its own client, as its own person.
	signedInAs(t, g, ssoSignIn(t, g, "okta"), "Globex Ana")
	signedInAs(t, a, ssoSignIn(t, a, "okta"), "Ana Admin")
	if !strings.Contains(startSSO(t, g, "/auth/okta").Query().Get("redirect_uri"), "globex.localhost") {
		t.Error("globex's redirect_uri is not on globex's host")
	}
}

// With "require SSO", the password form refuses everyone but the break-glass admin, and a
// reset link is no way around it.
func TestRequireSSO(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	ctx := context.Background()
	s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Requester", "requester")
	if err := models.UpdateSSOSettings(ctx, s.db, models.ByOperator(), true, s.ana.ID); err != nil {
		t.Fatal(err)
	}
	c := s.app.Client(t, "acme")
	login := c.Get("/login")
	if login.Doc.Find(`.sso-buttons a.btn-primary[href="/auth/okta"]`).Length() != 1 {
		t.Error("the SSO button is not the primary action")
	}
	if d := login.Doc.Find("details.break-glass"); d.Length() != 1 || d.Find(`form[action="/login"]`).Length() != 1 {
		t.Error("the password form is not tucked into the break-glass disclosure")
	} else if _, open := d.Attr("open"); open {
		t.Error("the break-glass disclosure starts open")
	}
	res := c.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {testutil.Password}})
	if res.Status != http.StatusUnprocessableEntity || res.Text(".flash-error") != "Incorrect email or password." {
		t.Errorf("Bo's password sign-in: %d %q", res.Status, res.Text(".flash-error"))
	}
	c.SignIn("ana@acme.example", testutil.Password) // the break-glass admin

	// A reset link Bo got earlier does not let him in.
	_, token, err := models.CreatePasswordReset(ctx, s.db, "bo@acme.example", time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	b := s.app.Client(t, "acme")
	if res := b.Get("/password/reset/" + token); res.Status != http.StatusForbidden || res.Text("h1") != "Passwords are not used here" {
		t.Errorf("reset page: %d %q", res.Status, res.Text("h1"))
	}
	b.Get("/login")
	if res := b.Post("/password/reset/"+token, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}}); res.Status != http.StatusForbidden {
		t.Errorf("reset post: %d", res.Status)
	}
	if _, ok := b.Cookies["outlay_session"]; ok {
		t.Error("a reset signed Bo in")
	}
	// No new links are mailed to him either: he is told how he signs in, as the page says.
	before := len(s.app.Mail.Sent())
	b.Get("/password/forgot")
	if res := b.Post("/password/forgot", url.Values{"email": {"bo@acme.example"}}); res.Text("h1") != "Check your email" {
		t.Errorf("forgot page: %q", res.Text("h1"))
	}
	s.app.WaitJobs(t)
	if sent := s.app.Mail.Sent()[before:]; len(sent) != 1 || sent[0].To != "bo@acme.example" ||
		sent[0].Subject != "How you sign in to Acme Corporation on Outlay" || strings.Contains(sent[0].Body, "/password/reset/") {
		t.Errorf("mailed under “require SSO”: %+v, want how he signs in and no link", sent)
	}
	// Bo signs in with SSO.
	s.idp.SetUser(oidctest.User{Subject: "00u-bo", Email: "bo@acme.example", EmailVerified: true, Name: "Bo"})
	signedInAs(t, b, ssoSignIn(t, b, "okta"), "Bo Requester")
}

// "Forgot password" for a person added by single sign-on, who has no password, sends no
// link (they have no password to reset, as an admin is told on their page): the mail says
// how they sign in, naming the provider their account is linked to, and links to the sign-in
// page. The page answers as for any address, and such mails are capped as reset links are.
// Someone with a password and a linked provider still gets a link.
func TestForgotPasswordTellsSSOPeopleHowTheySignIn(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	ctx := context.Background()
	s.editProvider(t, "okta", func(in *models.SSOProviderInput) {
		in.Domains, in.JIT, in.JITRole = "acme.example", true, "requester"
	})
	s.idp.SetUser(oidctest.User{Subject: "00u-dee", Email: "dee@acme.example", EmailVerified: true, Name: "Dee Newcomer"})
	d := s.app.Client(t, "acme")
	signedInAs(t, d, ssoSignIn(t, d, "okta"), "Dee Newcomer")
	s.idp.SetUser(ana)
	a := s.app.Client(t, "acme")
	signedInAs(t, a, ssoSignIn(t, a, "okta"), "Ana Admin") // links Ana, who has a password

	ask := func(email string) (int, string) {
		t.Helper()
		c := s.app.Client(t, "acme")
		c.Get("/password/forgot")
		res := c.Post("/password/forgot", url.Values{"email": {email}})
		return res.Status, strings.ReplaceAll(res.Text("main"), email, "<email>")
	}
	deeStatus, deePage := ask("dee@acme.example")
	nobodyStatus, nobodyPage := ask("nobody@acme.example")
	if deeStatus != http.StatusOK || deeStatus != nobodyStatus || deePage != nobodyPage || !strings.Contains(deePage, "Check your email") {
		t.Errorf("the answers differ: %d %q / %d %q", deeStatus, deePage, nobodyStatus, nobodyPage)
	}
	s.app.WaitJobs(t)
	var sent []mail.Message // besides the mails that told of the links
	for _, m := range s.app.Mail.Sent() {
		if !strings.Contains(m.Subject, "now signs you in") {
			sent = append(sent, m)
		}
	}
	if len(sent) != 1 || sent[0].To != "dee@acme.example" {
		t.Fatalf("mail sent: %+v, want one to Dee", sent)
	}
	m := sent[0]
	for _, want := range []string{
		"Hello Dee Newcomer,",
		"There is no password to reset: you sign in with single sign-on, through Okta.",
		"Open the sign-in page and choose “Sign in with Okta”:\n\nhttp://acme.localhost:8080/login\n",
		"ask an admin of Acme Corporation for help",
	} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("Dee's mail lacks %q:\n%s", want, m.Body)
		}
	}
	if m.Subject != "How you sign in to Acme Corporation on Outlay" || strings.Contains(m.Body, "/password/reset/") {
		t.Errorf("Dee was sent a reset link, or the mail is not about signing in: %s\n%s", m.Subject, m.Body)
	}
	var links int64
	s.db.Raw(`SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = 'dee@acme.example'`).Scan(&links)
	if links != 0 {
		t.Errorf("%d reset links were made for Dee", links)
	}

	// Asking again and again sends her no more than a reset link's cap.
	for i := 0; i < models.MaxResetsPerHour+1; i++ {
		ask("dee@acme.example")
	}
	s.app.WaitJobs(t)
	toDee := 0
	for _, m := range s.app.Mail.Sent() {
		if m.To == "dee@acme.example" {
			toDee++
		}
	}
	if n := toDee; n != models.MaxResetsPerHour {
		t.Errorf("%d mails sent to Dee for %d requests in an hour, want %d", n, models.MaxResetsPerHour+2, models.MaxResetsPerHour)
	}

	// Ana signs in with Okta too, but has a password: she gets a link to set a new one.
	before := len(s.app.Mail.Sent())
	ask("ana@acme.example")
	got := s.app.WaitMail(t, before+1)
	if m := got[len(got)-1]; m.To != "ana@acme.example" || !strings.Contains(m.Body, "/password/reset/") {
		t.Errorf("Ana's mail: %s\n%s", m.Subject, m.Body)
	}
	if u, err := models.FindUserByEmail(ctx, s.db, "dee@acme.example"); err != nil || u.PasswordHash != "" {
		t.Errorf("Dee after asking: %+v %v", u, err)
	}
}

// Google and Microsoft Entra ID use the deployment's credentials and the same code path as
// any OpenID Connect provider; here their issuers point at test providers. Microsoft's
// issuer is its directory's own (<authority>/<tenant id>/v2.0), and it gets PKCE although
// its discovery document does not offer it.
func TestSSOGoogleAndMicrosoft(t *testing.T) {
	t.Parallel()
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	env := testutil.NewEnv(t)
	acme := env.NewTenant(t, "acme", "Acme Corporation")
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	google := oidctest.Start(t, oidctest.Options{})
	google.AddClient("deployment-google-id", "deployment-google-secret")
	google.SetUser(oidctest.User{Subject: "1097", Email: "ana@acme.example", EmailVerified: true, Name: "Ana"})
	microsoft := oidctest.Start(t, oidctest.Options{Path: "/" + tid + "/v2.0", NoPKCE: true})
	microsoft.AddClient("deployment-ms-id", "deployment-ms-secret")
	// Entra sends no email_verified; xms_edov says the directory owns the email's domain.
	microsoft.SetUser(oidctest.User{Subject: "AAAA-ms", Email: "ana@acme.example", Name: "Ana", Claims: map[string]any{"xms_edov": true}})
	cfg := env.Config
	cfg.GoogleIssuer, cfg.GoogleClientID, cfg.GoogleClientSecret = google.Issuer, "deployment-google-id", "deployment-google-secret"
	cfg.MicrosoftAuthority = strings.TrimSuffix(microsoft.Issuer, "/"+tid+"/v2.0")
	cfg.MicrosoftClientID, cfg.MicrosoftClientSecret = "deployment-ms-id", "deployment-ms-secret"
	app := testutil.NewApp(t, env)

	admin := app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	admin.Get("/admin/sso?add=google")
	if res := admin.Post("/admin/sso/providers", url.Values{"kind": {"google"}, "label": {"Google"}, "enabled": {"true"}, "confirm": {testutil.Password}}); res.Status != http.StatusSeeOther {
		t.Fatalf("add Google: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	admin.Get("/admin/sso?add=microsoft")
	res := admin.Post("/admin/sso/providers", url.Values{"kind": {"microsoft"}, "label": {"Microsoft"}, "entra_tenant_id": {"common"}, "enabled": {"true"}, "confirm": {testutil.Password}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#entra_tenant_id-error"), "GUID") {
		t.Errorf("Microsoft with the common endpoint: %d %q", res.Status, res.Text(".field-error"))
	}
	if res := admin.Post("/admin/sso/providers", url.Values{"kind": {"microsoft"}, "label": {"Microsoft"}, "entra_tenant_id": {tid}, "enabled": {"true"}, "confirm": {testutil.Password}}); res.Status != http.StatusSeeOther {
		t.Fatalf("add Microsoft: %d %s", res.Status, res.Text(".field-error, .flash"))
	}

	c := app.Client(t, "acme")
	if got := c.Get("/login").Text(".sso-buttons"); !strings.Contains(got, "Sign in with Google") || !strings.Contains(got, "Sign in with Microsoft") {
		t.Errorf("buttons %q", got)
	}
	authorize := startSSO(t, c, "/auth/google")
	if !strings.HasPrefix(authorize.String(), google.Issuer+"/authorize?") || authorize.Query().Get("client_id") != "deployment-google-id" ||
		authorize.Query().Get("redirect_uri") != "http://acme.localhost:8080/auth/google/callback" {
		t.Errorf("Google authorization URL %s", authorize)
	}
	signedInAs(t, c, c.Get(approve(t, authorize, c.Host)), "Ana Admin")

	d := app.Client(t, "acme")
	authorize = startSSO(t, d, "/auth/microsoft")
	if !strings.HasPrefix(authorize.String(), microsoft.Issuer+"/authorize?") || authorize.Query().Get("code_challenge") == "" {
		t.Errorf("Microsoft authorization URL %s", authorize)
	}
	signedInAs(t, d, d.Get(approve(t, authorize, d.Host)), "Ana Admin")

	// The same unverified email without xms_edov is refused.
	microsoft.SetUser(oidctest.User{Subject: "BBBB-ms", Email: "bo@acme.example", Name: "Bo"})
	app.CreateUser(t, acme, "bo@acme.example", "Bo", "requester")
	e := app.Client(t, "acme")
	refusedWith(t, e, ssoSignIn(t, e, "microsoft"), "Your email address at Microsoft is not verified.")

	// Without the deployment's credentials the provider is shown as unavailable and has no button.
	cfg.GoogleClientID, cfg.GoogleClientSecret = "", ""
	if got := app.Client(t, "acme").Get("/login").Text(".sso-buttons"); strings.Contains(got, "Google") {
		t.Errorf("Google button without credentials: %q", got)
	}
	if got := admin.Get("/admin/sso").Text("#provider-google"); !strings.Contains(got, "Unavailable") {
		t.Errorf("Google row without credentials: %q", got)
	}
}

// When the person declines at the provider, they are told so, and nothing is exchanged.
func TestSSOProviderDenies(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	s.idp.Deny("access_denied")
	c := s.app.Client(t, "acme")
	refusedWith(t, c, ssoSignIn(t, c, "okta"), "Sign-in with Okta was cancelled or refused by Okta.")
	if e, ok := s.app.Events.Last("sso.sign_in_refused"); !ok || e.Details["reason"] != "provider" {
		t.Errorf("refusal event %+v", e)
	}
	if s.idp.Issued() != 0 {
		t.Error("tokens were issued after a denial")
	}
	// An unreachable provider is a clear message too, at the first step.
	s.editProvider(t, "okta", func(in *models.SSOProviderInput) { in.Issuer = "http://127.0.0.1:1" })
	d := s.app.Client(t, "acme")
	refusedWith(t, d, d.Get("/auth/okta"), "Sign-in with Okta is unavailable right now.")
}
