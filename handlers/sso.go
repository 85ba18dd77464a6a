package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/auth/sso"
	"outlay/mail"
	"outlay/models"
	authviews "outlay/views/auth"
	"outlay/views/dashboard"
	"outlay/views/security"
)

// errSSOUnusable means a provider row exists but cannot be used now: the deployment lacks
// its credentials, or its secret does not open under this OUTLAY_SECRET_KEY.
var errSSOUnusable = errors.New("provider unusable")

// ssoConfig is what the tenant's provider p is built from. Google and Microsoft use the
// deployment's credentials; every callback URL comes from the public URL.
func (s *Server) ssoConfig(slug string, p *models.SSOProvider) (sso.Config, error) {
	c := sso.Config{Tenant: slug, Name: p.Name, Kind: p.Kind, CallbackURL: s.cfg.TenantURL(slug, authviews.SSOPath+"/"+p.Name+"/callback")}
	switch p.Kind {
	case models.SSOKindGoogle:
		if !s.cfg.GoogleSSO() {
			return c, fmt.Errorf("%w: no Google client credentials on this deployment", errSSOUnusable)
		}
		c.Issuer, c.ClientID, c.ClientSecret = s.cfg.GoogleIssuer, s.cfg.GoogleClientID, s.cfg.GoogleClientSecret
	case models.SSOKindMicrosoft:
		if !s.cfg.MicrosoftSSO() {
			return c, fmt.Errorf("%w: no Microsoft client credentials on this deployment", errSSOUnusable)
		}
		// The directory's own issuer: the "common" endpoint's issuer is a placeholder
		// that an exact issuer check must refuse.
		c.Issuer = strings.TrimSuffix(s.cfg.MicrosoftAuthority, "/") + "/" + p.EntraTenantID + "/v2.0"
		c.ClientID, c.ClientSecret = s.cfg.MicrosoftClientID, s.cfg.MicrosoftClientSecret
	default:
		secret, err := p.ClientSecret(s.secrets)
		if err != nil {
			return c, fmt.Errorf("%w: %v", errSSOUnusable, err)
		}
		c.Issuer, c.ClientID, c.ClientSecret = p.Issuer, p.ClientID, secret
	}
	return c, nil
}

// ssoProblem says why an enabled provider cannot be used, or "".
func (s *Server) ssoProblem(slug string, p *models.SSOProvider) string {
	_, err := s.ssoConfig(slug, p)
	switch {
	case err == nil:
		return ""
	case p.Kind == models.SSOKindGoogle || p.Kind == models.SSOKindMicrosoft:
		return "This deployment has no " + models.SSOKindLabel(p.Kind) + " credentials."
	default:
		return "The stored client secret cannot be decrypted (was OUTLAY_SECRET_KEY changed?). Enter it again."
	}
}

// ssoButtons are the providers the sign-in page offers.
func (s *Server) ssoButtons(c *fiber.Ctx, next string) ([]authviews.SSOButton, error) {
	providers, err := models.SSOProviders(c.UserContext(), tenantDB(c))
	if err != nil {
		return nil, err
	}
	var out []authviews.SSOButton
	for _, p := range providers {
		if !p.Enabled || s.ssoProblem(tenantOf(c).Slug, &p) != "" {
			continue
		}
		href := authviews.SSOPath + "/" + p.Name
		if next != "" {
			href += "?next=" + url.QueryEscape(next)
		}
		out = append(out, authviews.SSOButton{Label: p.Label, Href: href})
	}
	return out, nil
}

// ssoContext is the request's context with the sink that SSO events go to: the log, and
// the sink tests gave.
func (s *Server) ssoContext(c *fiber.Ctx) context.Context {
	attrs := []any{"tenant", tenantOf(c).Slug, "request_id", requestIDOf(c), "ip", clientIP(c)}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "actor_user_id", u.UserID)
	}
	logger, extra := s.logger, s.events
	return models.WithSSOEventSink(c.UserContext(), func(ctx context.Context, e models.SSOEvent) {
		logger.InfoContext(ctx, "sso event", append([]any{"event", e.Name, "subject", e.Subject, "details", e.Details}, attrs...)...)
		if extra != nil {
			extra(ctx, e)
		}
	})
}

// enabledProvider is the enabled provider the URL names, or a 404.
func enabledProvider(c *fiber.Ctx) (*models.SSOProvider, error) {
	p, err := models.FindSSOProvider(c.UserContext(), tenantDB(c), c.Params("provider"))
	if err != nil {
		return nil, err
	}
	if !p.Enabled {
		return nil, outlay.NotFound("provider turned off")
	}
	return p, nil
}

// ssoBegin sends the browser to the provider. The state, nonce and PKCE verifier are kept
// server-side; the state also goes into a short-lived cookie, so that only the browser that
// started a sign-in can finish it.
func (s *Server) ssoBegin(c *fiber.Ctx) error {
	ctx := s.ssoContext(c)
	p, err := enabledProvider(c)
	if err != nil {
		return err
	}
	client, err := s.ssoClient(c, p)
	if err != nil {
		return s.refuseSSO(ctx, c, p, "unavailable", err)
	}
	req := sso.NewRequest()
	if err := models.SaveSSOAuthState(ctx, tenantDB(c), p.Name, req.State, req.Nonce, req.Verifier, safeNext(c.Query("next")), s.cfg.SSOStateTTL); err != nil {
		return err
	}
	authURL, err := client.AuthURL(req)
	if err != nil {
		return err
	}
	s.setCookie(c, s.cookies.ssoState, req.State, s.cfg.SSOStateTTL)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(authURL, fiber.StatusSeeOther)
}

func (s *Server) ssoClient(c *fiber.Ctx, p *models.SSOProvider) (*sso.Client, error) {
	cfg, err := s.ssoConfig(tenantOf(c).Slug, p)
	if err != nil {
		return nil, err
	}
	return s.sso.Get(c.UserContext(), cfg)
}

// ssoCallback finishes a sign-in: the state must be this browser's and known to the
// server, unused and fresh; the ID token must verify; and the tenant's rules decide who the
// identity is. Then a session starts exactly as after a password sign-in.
func (s *Server) ssoCallback(c *fiber.Ctx) error {
	ctx, db := s.ssoContext(c), tenantDB(c)
	p, err := enabledProvider(c)
	if err != nil {
		return err
	}
	state, cookie := c.Query("state"), c.Cookies(s.cookies.ssoState)
	s.clearCookie(c, s.cookies.ssoState)
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookie)) != 1 {
		return s.refuseSSO(ctx, c, p, "state", errors.New("the state is not this browser's"))
	}
	rec, err := models.ConsumeSSOAuthState(ctx, db, p.Name, state)
	if errors.Is(err, outlay.ErrNotFound) {
		return s.refuseSSO(ctx, c, p, "state", errors.New("the state is unknown, used or expired"))
	}
	if err != nil {
		return err
	}
	if e := c.Query("error"); e != "" || c.Query("code") == "" {
		return s.refuseSSO(ctx, c, p, "provider", fmt.Errorf("the provider answered error %q", e))
	}
	client, err := s.ssoClient(c, p)
	if err != nil {
		return s.refuseSSO(ctx, c, p, "unavailable", err)
	}
	id, err := client.Finish(ctx, c.Query("code"), sso.Request{State: state, Nonce: rec.Nonce, Verifier: rec.PKCEVerifier})
	if err != nil {
		return s.refuseSSO(ctx, c, p, "verify", err)
	}
	claims := models.SSOClaims{Subject: id.Subject, Email: id.Email, EmailVerified: id.EmailVerified, Name: id.Name}
	res, err := models.SignInWithSSO(ctx, db, p, claims, s.ssoLinkedMail(c))
	if refused, err := s.ssoRefused(c, p, err); refused || err != nil {
		return err
	}
	if res.MustConfirm {
		// Nothing is linked and nobody signed in until the person confirms with their own
		// password and code: whoever controls a provider must not become anyone it names.
		token, err := models.BeginSSOLink(ctx, db, res.User.ID, p.Name, claims, rec.Next)
		if err != nil {
			return err
		}
		s.setCookie(c, s.cookies.ssoLink, token, models.SSOLinkTTL)
		return redirect(c, authviews.SSOLinkPath)
	}
	return s.finishSSOSignIn(c, p, res, rec.Next, true)
}

// ssoRefused answers a sign-in the tenant's rules refused, with why.
func (s *Server) ssoRefused(c *fiber.Ctx, p *models.SSOProvider, err error) (bool, error) {
	var refusal *models.SSORefusal
	if errors.As(err, &refusal) {
		s.setFlash(c, "error", s.refusalMessage(c, p, refusal))
		return true, redirect(c, authviews.LoginPath)
	}
	return false, err
}

// finishSSOSignIn signs in the person an SSO sign-in resolved to, after their second factor
// when they must give one (askSecond), and sends the mail that tells them of a new link.
func (s *Server) finishSSOSignIn(c *fiber.Ctx, p *models.SSOProvider, res *models.SSOSignIn, next string, askSecond bool) error {
	s.deliverMail(c, res.MailID)
	if askSecond {
		if asked, err := s.twoFactorStep(c, res.User, methodSSO, next); asked || err != nil {
			return err
		}
	}
	// The identity provider proved who this is, as a reset link does: the wrong passwords
	// tried for the account are forgotten, and its password sign-in is no longer paused.
	if err := models.ClearFailedSignIns(c.UserContext(), tenantDB(c), s.throttle, res.User.Email); err != nil {
		return err
	}
	if err := s.startSession(c, res.User.ID, methodSSO); err != nil {
		return err
	}
	switch {
	case res.Provisioned:
		s.setFlash(c, "success", "Welcome to "+tenantOf(c).Name+". Your account was created from your "+p.Label+" sign-in.")
	case res.Linked:
		s.setFlash(c, "success", "Your "+p.Label+" account is linked: from now on it signs you in. We emailed you about it.")
	}
	if next != "" {
		return redirect(c, next)
	}
	return redirect(c, dashboard.Path)
}

// ssoLinkedMail writes the mail that tells a person a provider's account was linked to them.
func (s *Server) ssoLinkedMail(c *fiber.Ctx) models.SSOLinkedMail {
	t := tenantOf(c)
	securityURL := s.cfg.TenantURL(t.Slug, security.SettingsPath)
	return func(u *models.User, providerLabel, providerEmail string) mail.Message {
		return mail.SSOLinked(u.Email, u.Name, t.Name, providerLabel, providerEmail, securityURL)
	}
}

// refuseSSO ends a sign-in that failed before the tenant's rules were asked. It is logged
// with its cause, and the person is told what to do, not why. Failures after a valid state
// (the provider refused, or its answer did not verify) are also recorded; a bad state or an
// unreachable provider is only logged, since anyone can cause those at will and they would
// flood the audit log.
func (s *Server) refuseSSO(ctx context.Context, c *fiber.Ctx, p *models.SSOProvider, reason string, cause error) error {
	s.logger.Warn("sso sign-in failed", "tenant", tenantOf(c).Slug, "provider", p.Name, "reason", reason, "err", cause, "request_id", requestIDOf(c))
	if reason == "provider" || reason == "verify" {
		if err := models.RecordSSOEvent(ctx, tenantDB(c), "sso.sign_in_refused", "sso_provider:"+p.Name, map[string]any{"reason": reason, "error": cause.Error()}); err != nil {
			return err
		}
	}
	var msg string
	switch reason {
	case "state":
		msg = "That sign-in had expired or was already used, so you were not signed in. Start again with the button below."
	case "provider":
		msg = "Sign-in with " + p.Label + " was cancelled or refused by " + p.Label + ". Try again, or ask your administrator."
	case "unavailable":
		msg = "Sign-in with " + p.Label + " is unavailable right now. Try again in a moment; if it keeps failing, tell your administrator."
	default:
		msg = p.Label + "'s answer could not be verified, so you were not signed in. Try again; if it keeps failing, tell your administrator."
	}
	s.setFlash(c, "error", msg)
	return redirect(c, authviews.LoginPath)
}

// refusalMessage tells a person why the tenant refused their verified identity.
func (s *Server) refusalMessage(c *fiber.Ctx, p *models.SSOProvider, r *models.SSORefusal) string {
	tenant := tenantOf(c).Name
	switch r.Reason {
	case models.SSORefusedNoEmail:
		return p.Label + " did not share your email address, so your " + tenant + " account cannot be found. Ask your administrator."
	case models.SSORefusedUnverified:
		return "Your email address at " + p.Label + " is not verified. Verify it with " + p.Label + ", then sign in again."
	case models.SSORefusedDomain:
		domain := r.Email[strings.LastIndexByte(r.Email, '@')+1:]
		return "Accounts at " + domain + " cannot sign in to " + tenant + " with " + p.Label + ". Use your work account."
	case models.SSORefusedDeactivated:
		return "Your " + tenant + " account is deactivated. Ask your administrator if you need access again."
	case models.SSORefusedLinkedElsewhere:
		return "Your " + tenant + " account signs in with another single sign-on account. Sign in with that one; to use " + p.Label + " instead, ask your administrator."
	case models.SSORefusedOtherIdentity:
		return "Your " + tenant + " account is linked to a different " + p.Label + " account. Ask your administrator to unlink it, then sign in again."
	default:
		return "There is no " + tenant + " account for " + r.Email + ". Ask your administrator to invite you."
	}
}
