package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/audit"
	"outlay/models"
	"outlay/tenancy"
	"outlay/views"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID names every request, keeping one a proxy already assigned, so a user's report
// and the logs of every hop can be matched.
func (s *Server) requestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if !validRequestID.MatchString(id) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	stateOf(c).requestID = id
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

// accessLog writes one structured line per request. Errors are rendered here, before the
// line is written, so the logged status is the one the client got.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	// A path with parameters may carry a secret (a reset token): log the route's pattern.
	path := c.Path()
	if r := c.Route(); r != nil && len(r.Params) > 0 {
		path = r.Path
	}
	attrs := []any{
		"request_id", requestIDOf(c), "method", c.Method(), "path", path, "status", status,
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "bytes", len(c.Response().Body()),
		"ip", c.IP(),
	}
	if t := tenantOf(c); t != nil {
		attrs = append(attrs, "tenant", t.Slug)
	}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "user_id", u.UserID)
	}
	switch {
	case status >= 500:
		s.logger.Error("request", attrs...)
	case status >= 400 && status != http.StatusNotFound && status != http.StatusUnauthorized:
		s.logger.Warn("request", attrs...)
	default:
		s.logger.Info("request", attrs...)
	}
	return nil
}

// contentSecurityPolicy allows only our own scripts and styles: no inline script or style,
// no framing, forms post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if s.cfg.Secure() {
		c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return c.Next()
}

// slugFromHost returns the tenant slug of a host <slug>.<base domain>, or "".
func (s *Server) slugFromHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	slug, ok := strings.CutSuffix(host, "."+s.cfg.BaseDomain)
	if !ok || slug == "" || strings.Contains(slug, ".") {
		return ""
	}
	return slug
}

// resolveTenant finds the request's tenant from its host and borrows the tenant's database
// handle for the length of the request. An unknown host is a plain 404: never another
// tenant, never a hint of which tenants exist.
func (s *Server) resolveTenant(c *fiber.Ctx) error {
	t, ok := s.registry.Lookup(s.slugFromHost(c.Hostname()))
	if !ok || t.Status == tenancy.StatusProvisioning || t.Status == tenancy.StatusPurged {
		c.Status(http.StatusNotFound)
		return renderComponent(c, views.ErrorPage(views.ErrorView{
			Status: http.StatusNotFound, Title: "No organisation here",
			Message: "There is no Outlay organisation at this address. Check the address your administrator gave you.",
		}))
	}
	if t.Status == tenancy.StatusSuspended {
		c.Status(http.StatusForbidden)
		return renderComponent(c, views.ErrorPage(views.ErrorView{
			Status: http.StatusForbidden, Title: t.Name + " is suspended",
			Message: "Sign-in to this organisation is paused. Your data is safe; your administrator can contact Outlay support to restore access.",
		}))
	}
	db, release, err := s.pools.Acquire(c.UserContext(), t)
	if err != nil {
		return err
	}
	defer release()
	st := stateOf(c)
	st.tenant, st.db = &t, db
	return c.Next()
}

// csrfToken is the token forms and htmx send back: an HMAC of the browser's CSRF cookie, its
// session cookie and the tenant, so a token is useless on any other browser, session or
// tenant. The CSRF cookie is set on first sight.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	st := stateOf(c)
	if st.csrfToken != "" {
		return st.csrfToken
	}
	seed := c.Cookies(s.cookies.csrf)
	if len(seed) < 20 {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		seed = hex.EncodeToString(b)
		s.setCookie(c, s.cookies.csrf, seed, 0)
		c.Request().Header.SetCookie(s.cookies.csrf, seed)
	}
	slug := ""
	if st.tenant != nil {
		slug = st.tenant.Slug
	}
	st.csrfToken = s.signer.Sign("csrf", slug, seed, st.sessionTokenForCSRF(c, s))
	return st.csrfToken
}

func (st *requestState) sessionTokenForCSRF(c *fiber.Ctx, s *Server) string {
	if st.sessionToken != "" {
		return st.sessionToken
	}
	return c.Cookies(s.cookies.session)
}

// errCSRF is what a state-changing request without a valid token gets.
var errCSRF = fiber.NewError(http.StatusForbidden, "invalid CSRF token")

// csrf refuses state-changing requests that do not carry the token of this browser and
// session, and any that a browser says came from another site.
func (s *Server) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return errCSRF
	}
	sent := c.Get("X-Csrf-Token")
	if sent == "" {
		sent = c.FormValue("_csrf")
	}
	seed := c.Cookies(s.cookies.csrf)
	slug := tenantOf(c).Slug
	if sent == "" || seed == "" || !s.signer.Verify(sent, "csrf", slug, seed, c.Cookies(s.cookies.session)) {
		return errCSRF
	}
	return c.Next()
}

// anonymous labels the actor of a request nobody is signed in to (a sign-in page, a reset
// link): an audit.ActorUser with ID 0, still with the request's id and address.
const anonymous = "anonymous"

// loadSession attaches the signed-in user, if the session cookie names a live session, and
// puts the request's actor in the request context, so that every change the request makes
// through tenantDB(c) is recorded as theirs.
func (s *Server) loadSession(c *fiber.Ctx) error {
	actor := audit.Actor{Type: audit.ActorUser, Label: anonymous, RequestID: requestIDOf(c), IP: c.IP()}
	if token := c.Cookies(s.cookies.session); token != "" {
		u, err := models.LookupSession(c.UserContext(), tenantDB(c), token, s.sessions)
		switch {
		case errors.Is(err, outlay.ErrNotFound):
			// Forget the dead cookie for the rest of this request too, so the CSRF token of
			// the page we render matches what the browser will send next.
			s.clearCookie(c, s.cookies.session)
			c.Request().Header.DelCookie(s.cookies.session)
		case err != nil:
			return err
		default:
			st := stateOf(c)
			st.user, st.sessionToken = u, token
			actor.ID, actor.Label = u.UserID, u.Email
		}
	}
	c.SetUserContext(audit.WithActor(c.UserContext(), actor))
	return c.Next()
}

// actingAs is the request's context with the actor changed to user: for the moments a
// signed-out request proves who it is (a correct password, a reset link).
func actingAs(c *fiber.Ctx, id int64, label string) context.Context {
	a := audit.ActorFrom(c.UserContext())
	a.Type, a.ID, a.Label = audit.ActorUser, id, label
	return audit.WithActor(c.UserContext(), a)
}

// guard enforces a route's access rule before its handler runs.
func (s *Server) guard(r Route) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if r.Access == Public {
			return c.Next()
		}
		u := currentUser(c)
		if u == nil {
			if c.Method() == fiber.MethodGet && !isHTMX(c) {
				return redirect(c, "/login?next="+urlQueryEscape(c.OriginalURL()))
			}
			s.setFlash(c, "info", "Your session has ended. Sign in again to continue.")
			return redirect(c, "/login")
		}
		if !s.allowed(u, r) {
			s.setFlash(c, "error", ForbiddenMessage)
			return redirect(c, "/dashboard")
		}
		return c.Next()
	}
}

// ForbiddenMessage is the flash shown after a refused page.
const ForbiddenMessage = "You do not have the proper permissions to access that page."
