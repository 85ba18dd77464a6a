package handlers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"outlay"
	"outlay/audit"
	"outlay/models"
	"outlay/tenancy"
	"outlay/views"
	authviews "outlay/views/auth"
	"outlay/views/dashboard"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID names every request, keeping one a trusted proxy already assigned, so a user's
// report and the logs of every hop can be matched.
func (s *Server) requestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if !stateOf(c).fromProxy || !validRequestID.MatchString(id) {
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
	s.metrics.observe(c, status, time.Since(start))
	path := s.loggedPath(c)
	level := slog.LevelInfo
	switch {
	case status == http.StatusServiceUnavailable && path == "/readyz":
		// Not ready is a state the balancer asks about (draining, the control plane away),
		// said by the server's own lines; each poll of it is not an error.
	case status >= 500:
		level = slog.LevelError
	case status >= 400 && status != http.StatusNotFound && status != http.StatusUnauthorized:
		level = slog.LevelWarn
	}
	h := s.logger.Handler()
	if !h.Enabled(context.Background(), level) {
		return nil
	}
	// A record made here, not through Logger.Info: no caller is looked up (the handler does
	// not print one) and the attributes are not boxed into a []any first.
	r := slog.NewRecord(time.Now(), level, "request", 0)
	r.AddAttrs(slog.String("request_id", requestIDOf(c)), slog.String("method", c.Method()), slog.String("path", path),
		slog.Int("status", status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.Int("bytes", bodySize(c.Response())), slog.String("ip", clientIP(c)))
	if t := tenantOf(c); t != nil {
		r.AddAttrs(slog.String("tenant", t.Slug))
	}
	if u := currentUser(c); u != nil {
		r.AddAttrs(slog.Int64("user_id", u.UserID))
	}
	_ = h.Handle(context.Background(), r)
	return nil
}

// loggedPath is what a log line may say of the request's path. A path may carry a secret (a
// password reset or invitation token, an unsubscribe link's signature), so it is told by the
// pattern of the route it names (/password/reset/:token): the route that took the request, or,
// when none did (a form refused for its CSRF token, a method the route does not take), a route
// the path names for any method. A path no route names keeps only its segments that are plainly
// words or numbers; any other segment is written as "*". The query string is never logged: a
// sign-in provider's callback carries its code there.
func (s *Server) loggedPath(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && len(r.Params) > 0 {
		return r.Path
	}
	path := c.Path()
	segments := strings.Split(path, "/")
	if !slices.ContainsFunc(segments, mayBeSecret) {
		return path
	}
	for _, r := range s.routes {
		if strings.HasPrefix(path, routePrefix(r.Path)) && fiber.RoutePatternMatch(path, r.Path, c.App().Config()) {
			return r.Path
		}
	}
	for i, seg := range segments {
		if mayBeSecret(seg) {
			segments[i] = "*"
		}
	}
	return strings.Join(segments, "/")
}

// mayBeSecret reports whether a path segment could be a token rather than a word or an id:
// tokens mix capitals or digits with letters; words (no-such-page, favicon.ico) and ids do not.
func mayBeSecret(segment string) bool {
	word, number := true, true
	for _, r := range segment {
		word = word && (r >= 'a' && r <= 'z' || r == '-' || r == '_' || r == '.')
		number = number && r >= '0' && r <= '9'
	}
	return !word && !number
}

// contentSecurityPolicy allows only our own scripts and styles: no inline script or style,
// no framing, forms post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// securityHeaders sets the headers every answer carries. An API answer, errors included (a
// refused token, an unknown route or organisation), is personal as every page is, so no cache
// may keep it: it is marked no-store here, before anything can answer it, as pages are where
// they are sent (sendHTML).
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	if isAPI(c) {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
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
// sendTenantRefusal answers a request to an organisation that serves nobody now (suspended,
// or gone): the error page, or, to htmx on a page opened before, a toast saying so, since
// htmx swaps no error response and the click would otherwise do nothing.
func sendTenantRefusal(c *fiber.Ctx, view views.ErrorView) error {
	c.Status(view.Status)
	if isHTMX(c) {
		c.Set("HX-Reswap", "none")
		c.Set("HX-Trigger", toastTrigger("error", view.Title+": "+view.Message))
		return c.SendString("")
	}
	return sendHTML(c, views.ErrorPage(view))
}

// resolveTenant finds the request's tenant by its host and takes a turn on its database for
// the request. A refusal here (no organisation at the address, a suspended one, a database
// out of reach) comes before any route takes the request, and is counted as such
// (routeTenantRefused).
func (s *Server) resolveTenant(c *fiber.Ctx) error {
	st := stateOf(c)
	st.tenantRefused = true
	t, ok := s.registry.Lookup(s.slugFromHost(requestHost(c)))
	if !ok || t.Status == tenancy.StatusProvisioning || t.Status == tenancy.StatusPurged {
		if isAPI(c) {
			return apiError(c, http.StatusNotFound, "there is no Outlay organisation at this address")
		}
		return sendTenantRefusal(c, views.ErrorView{
			Status: http.StatusNotFound, Title: "No organisation here",
			Message: "There is no Outlay organisation at this address. Check the address your administrator gave you.",
		})
	}
	if t.Status == tenancy.StatusSuspended {
		if isAPI(c) {
			return apiError(c, http.StatusForbidden, t.Name+" is suspended")
		}
		return sendTenantRefusal(c, views.ErrorView{
			Status: http.StatusForbidden, Title: t.Name + " is suspended",
			Message: "Sign-in to this organisation is paused. Your data is safe; your administrator can contact Outlay support to restore access.",
		})
	}
	// A request takes its turn among the tenant's (AcquireRequest), except an upload, which
	// streams its body from the client after the checks for as long as the client takes to
	// send it, and a request that waits on another server (an identity provider): a few of
	// those over slow links must not hold every other request back.
	acquire := s.pools.AcquireRequest
	if s.isUpload(c) || s.callingOut(c) {
		acquire = s.pools.Acquire
	}
	db, release, err := acquire(c.UserContext(), t)
	if err != nil {
		return err
	}
	defer release()
	st.tenant, st.db, st.tenantRefused = &t, db, false
	// Until a session or token says otherwise, changes are a signed-out visitor's.
	c.SetUserContext(audit.WithActor(c.UserContext(), audit.Actor{Type: audit.ActorUser, RequestID: st.requestID, IP: clientIP(c)}))
	return c.Next()
}

// bodySize is how many bytes the response's body holds, or -1 for a body streamed after the
// handler returns (an export), whose size is not known yet: asking fasthttp for a streamed
// body reads the whole stream into memory, there and then.
func bodySize(r *fasthttp.Response) int {
	if r.IsBodyStream() {
		return -1
	}
	return len(r.Body())
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
// session, and any that a browser says came from another site or origin (fromOtherOrigin).
func (s *Server) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if oneClickUnsubscribe(c) {
		// The signed link in its path is its authority; the handler checks it.
		return c.Next()
	}
	if s.fromOtherOrigin(c) {
		return errCSRF
	}
	// htmx sends the token as a header, plain forms as a field of the body; a token in the
	// address would leak through logs, history and Referer, so the query string never counts.
	sent := c.Get("X-Csrf-Token")
	if sent == "" {
		sent = s.bodyField(c, "_csrf")
	}
	seed := c.Cookies(s.cookies.csrf)
	slug := tenantOf(c).Slug
	if sent == "" || seed == "" || !s.signer.Verify(sent, "csrf", slug, seed, c.Cookies(s.cookies.session)) {
		if c.Get("HX-Request") == "true" && c.Cookies(s.cookies.session) == "" {
			// The page's token was made for a session this browser no longer has: it was
			// signed out in another tab, or its session cookie expired. The request is
			// refused all the same; htmx is sent to sign in and back to the page.
			return s.signInFirst(c)
		}
		if page := htmxPage(c); page != "" && c.Get("HX-Request") == "true" {
			// The browser has a session the page's token was not made for: it signed in
			// again in another tab after the page was loaded. htmx sends no such request
			// from another site (its header needs this site's own script), so this is the
			// person's own page, out of date: it is refused all the same and loaded again,
			// and app.js gives back what was typed when the same person is signed in.
			s.setFlash(c, "warning", staleTokenMessage)
			c.Set(notSavedHeader, "true")
			return redirect(c, page)
		}
		return errCSRF
	}
	return c.Next()
}

// fromOtherOrigin reports whether the browser says the request was sent from a page of
// another site or origin: Sec-Fetch-Site says cross-site, or the Origin header names neither
// the tenant's address (its public URL, as mail links it) nor the scheme and host the request
// was served at. Another tenant's page is same-site but not same-origin, so only Origin tells
// it apart; a valid token is not enough when the browser says where the post came from. A
// request without Origin (an old browser, curl) goes by its token alone.
func (s *Server) fromOtherOrigin(c *fiber.Ctx) bool {
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return false
	}
	sent, ok := canonicalOrigin(origin)
	if !ok {
		return true
	}
	public, _ := canonicalOrigin(s.cfg.TenantURL(tenantOf(c).Slug, ""))
	served, _ := canonicalOrigin(s.servedScheme(c) + "://" + requestHost(c))
	return sent != public && sent != served
}

// servedScheme is the scheme the browser used: https on a TLS connection; behind a trusted
// proxy what its X-Forwarded-Proto says, or else the public URL's; plain http otherwise.
func (s *Server) servedScheme(c *fiber.Ctx) string {
	if c.Context().IsTLS() {
		return "https"
	}
	if stateOf(c).fromProxy {
		if p := strings.ToLower(c.Get(fiber.HeaderXForwardedProto)); p == "http" || p == "https" {
			return p
		}
		return s.cfg.PublicURL.Scheme
	}
	return "http"
}

// canonicalOrigin is an origin as scheme://host:port, lower case and with the scheme's
// default port written out, so that equal origins compare equal; ok is false for anything
// that is not an http(s) origin ("null" included).
func canonicalOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + net.JoinHostPort(strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), port), true
}

// bodyField is a field of a posted form's body (URL-encoded or multipart), never of the
// query string.
func (s *Server) bodyField(c *fiber.Ctx, name string) string {
	if isMultipart(c) {
		if v := s.multipartFields(c)[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	return string(c.Request().PostArgs().Peek(name))
}

// loadSession attaches the signed-in user, if the session cookie names a live session.
func (s *Server) loadSession(c *fiber.Ctx) error {
	token := c.Cookies(s.cookies.session)
	if token == "" {
		return c.Next()
	}
	u, err := models.LookupSession(c.UserContext(), tenantDB(c), token, s.sessions)
	switch {
	case errors.Is(err, outlay.ErrNotFound):
		// Forget the dead cookie for the rest of this request too, so the CSRF token of the
		// page we render matches what the browser will send next.
		s.clearCookie(c, s.cookies.session)
		c.Request().Header.DelCookie(s.cookies.session)
		// Someone whose session ran out is told why, if the request needs them to sign in again.
		if stateOf(c).sessionEnded, err = models.WhySessionEnded(c.UserContext(), tenantDB(c), token, s.sessions); err != nil {
			return err
		}
	case err != nil:
		return err
	case u.MustEnrol && !strings.EqualFold(c.Path(), authviews.LogoutPath):
		return s.enrolFirst(c, token, u)
	default:
		st := stateOf(c)
		st.user, st.sessionToken = u, token
		c.SetUserContext(audit.WithActor(c.UserContext(), audit.Actor{Type: audit.ActorUser, ID: u.UserID, Label: u.Email, RequestID: st.requestID, IP: clientIP(c)}))
		if st.policy, err = s.policies.For(c.UserContext(), st.tenant.Slug, st.db, u.PolicyVersion); err != nil {
			return err
		}
	}
	return c.Next()
}

// loadBearer authenticates an API request by its bearer token. Cookies are never consulted.
func (s *Server) loadBearer(c *fiber.Ctx) error {
	// Two Authorization headers are ambiguous: which one acts is not the server's to guess.
	if len(c.Request().Header.PeekAll(fiber.HeaderAuthorization)) > 1 {
		return apiError(c, http.StatusBadRequest, "send one Authorization header, not several")
	}
	token := bearerToken(c)
	if token == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="outlay"`)
		return apiError(c, http.StatusUnauthorized, "send an API token as Authorization: Bearer <token>")
	}
	u, err := models.LookupToken(c.UserContext(), tenantDB(c), token)
	if errors.Is(err, outlay.ErrNotFound) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="outlay", error="invalid_token"`)
		return apiError(c, http.StatusUnauthorized, "the API token is unknown, expired or revoked")
	}
	if err != nil {
		return err
	}
	st := stateOf(c)
	st.user = u
	c.SetUserContext(audit.WithActor(c.UserContext(), audit.Actor{Type: audit.ActorToken, ID: u.TokenID,
		Label: fmt.Sprintf("%s (API token %d)", u.Email, u.TokenID), RequestID: st.requestID, IP: clientIP(c)}))
	if st.policy, err = s.policies.For(c.UserContext(), st.tenant.Slug, st.db, u.PolicyVersion); err != nil {
		return err
	}
	return c.Next()
}

// bearerToken is the token of the request's Authorization: Bearer header, or "".
func bearerToken(c *fiber.Ctx) string {
	scheme, token, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// isAPI reports whether the request is for the JSON API, whose answers, errors included,
// are always JSON. Routing ignores case, so this does too.
func isAPI(c *fiber.Ctx) bool { return isAPIPath(c.Path()) }

// isAPIPath reports whether path (a request's target, its query string ignored) is the JSON
// API's.
func isAPIPath(path string) bool {
	path, _, _ = strings.Cut(path, "?")
	p := strings.ToLower(path)
	return p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/")
}

// unreadTarget is the target of the request whose start head holds ("GET /api/v1/me
// HTTP/1.1\r\n..."), for a request answered before it was read: "" when its first line is
// not there.
func unreadTarget(head string) string {
	line, _, _ := strings.Cut(head, "\n")
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return ""
	}
	return fields[1]
}

// apiError answers an API request with a JSON error.
func apiError(c *fiber.Ctx, status int, message string) error {
	return c.Status(status).JSON(fiber.Map{"error": message})
}

// guard enforces a route's access rule before its handler runs.
func (s *Server) guard(r Route) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := refuseWhileReadOnly(c, r); err != nil {
			return err
		}
		if r.Access == Public {
			return c.Next()
		}
		u := currentUser(c)
		if r.API {
			if !s.allowed(c, r) {
				return apiError(c, http.StatusForbidden, ForbiddenMessage)
			}
			return c.Next()
		}
		if u == nil {
			return s.signInFirst(c)
		}
		if !s.allowed(c, r) {
			if r.Fragment {
				return c.SendStatus(http.StatusForbidden)
			}
			s.setFlash(c, "error", ForbiddenMessage)
			return redirect(c, dashboard.Path)
		}
		if r.Form && readOnly(c) {
			return s.readOnlyForm(c)
		}
		return c.Next()
	}
}

// signInFirst answers a request that needs a session and came without a live one: never
// signed in, ended, or signed out in another tab. A page asked for sends the browser to sign
// in and then to the page. An htmx request (an inline approval, a comment, the bell's poll)
// goes to sign in and then back to the page it was sent from, which htmx names in
// HX-Current-URL, rather than failing on the page with nothing to do but reload. A plain
// form post cannot be sent again after signing in, so it goes to sign in with a flash
// saying why. A post of either kind (an approval, a comment) was not carried out, and what
// was typed in it is gone: the flash says so, so that nobody takes it as done.
func (s *Server) signInFirst(c *fiber.Ctx) error {
	read := c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead
	ended := s.sessionEndedMessage(c)
	if read && !isHTMX(c) {
		if ended != "" {
			s.setFlash(c, "info", ended)
		}
		return redirect(c, signInPath(c.OriginalURL()))
	}
	if read {
		s.setFlash(c, "info", cmp.Or(ended, "Your session has ended. Sign in again to continue."))
	} else {
		s.setFlash(c, "warning", "You were signed out, so that was not saved. Sign in again, then do it again.")
		c.Set(notSavedHeader, "true")
	}
	if c.Get("HX-Request") == "true" {
		return redirect(c, signInPath(htmxPage(c)))
	}
	return redirect(c, authviews.LoginPath)
}

// sessionEndedMessage says why the request's session ended when time ended it: idle, or at
// the longest a session lives; "" otherwise.
func (s *Server) sessionEndedMessage(c *fiber.Ctx) string {
	switch stateOf(c).sessionEnded {
	case models.SessionEndedIdle:
		return "You were signed out after " + outlay.Hours(s.sessions.Idle) + " without activity. Sign in to go on."
	case models.SessionEndedMax:
		return "You were signed out: a session lasts at most " + outlay.Hours(s.sessions.Max) + ". Sign in to go on."
	}
	return ""
}

// signInPath is the sign-in page, and after it next when that is a path on this site.
func signInPath(next string) string {
	if next = safeNext(next); next == "" {
		return authviews.LoginPath
	}
	return authviews.LoginPath + "?next=" + url.QueryEscape(next)
}

// htmxPage is the path of the page an htmx request was sent from, when htmx named a page of
// this host; "" otherwise.
func htmxPage(c *fiber.Ctx) string {
	u, err := url.Parse(c.Get("HX-Current-URL"))
	if err != nil || u.Host != string(c.Request().Host()) {
		return ""
	}
	return u.RequestURI()
}

// staleTokenMessage is the flash of a page loaded again because its form was sent with the
// token of a session the browser no longer has (it signed in again in another tab).
const staleTokenMessage = "This page was opened before you signed in again, so that was not saved. It has been loaded again: send it again."

// notSavedHeader marks an htmx answer that sends the browser elsewhere without doing what the
// request asked: app.js keeps the text fields of the form that sent it, to give them back.
const notSavedHeader = "Outlay-Not-Saved"

// ForbiddenMessage is the flash shown after a refused page.
const ForbiddenMessage = "You do not have the proper permissions to access that page."

// notTextMessage answers a form whose fields are not text.
const notTextMessage = "The form contains characters that are not text (such as a NUL byte or broken UTF-8). Remove them and try again."

// textOnly refuses, before any handler sees them, posted form fields that are not valid
// UTF-8 or hold a NUL byte: Postgres would refuse to store them, and a person never types
// them. Uploaded files are not form fields and pass untouched.
func (s *Server) textOnly(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodPost {
		return c.Next()
	}
	bad := false
	check := func(k, v []byte) {
		if !utf8.Valid(k) || !utf8.Valid(v) || bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0 {
			bad = true
		}
	}
	if isMultipart(c) {
		for k, vs := range s.multipartFields(c) {
			for _, v := range vs {
				check([]byte(k), []byte(v))
			}
		}
	} else {
		c.Request().PostArgs().VisitAll(check)
	}
	if bad {
		return fiber.NewError(http.StatusUnprocessableEntity, notTextMessage)
	}
	return c.Next()
}

// callingOut reports whether the request is for a route that waits on another server
// (Route.CallsOut), matched as the router matches routes.
func (s *Server) callingOut(c *fiber.Ctx) bool {
	for _, r := range s.callsOut {
		if c.Method() == r.Method && strings.HasPrefix(c.Path(), routePrefix(r.Path)) && fiber.RoutePatternMatch(c.Path(), r.Path, c.App().Config()) {
			return true
		}
	}
	return false
}

// routePrefix is the part of a route's pattern before its first parameter: a path the route
// matches starts with it (a cheap test before RoutePatternMatch, which parses the pattern).
func routePrefix(pattern string) string {
	if i := strings.IndexAny(pattern, ":*+"); i >= 0 {
		return pattern[:i]
	}
	return pattern
}
