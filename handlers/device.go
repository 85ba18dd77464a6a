package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay/models"
)

// A device cookie remembers a browser that a person signed in from with their password. The
// sign-in throttle locks an account after a few wrong guesses, which anyone who knows the
// address can do to its owner; the right password from a remembered browser still gets
// through, while guesses from anywhere else stay throttled (OWASP's "device cookies"). Wrong
// passwords from a remembered browser count against the account and the address as usual,
// and against the device itself, so a stolen cookie buys no more guesses than anyone has.
//
// The cookie is signed with the deployment's secret and names the tenant, the person and a
// random device id; it is HttpOnly, SameSite=Lax, Secure (and __Host-) under HTTPS, and lasts
// deviceCookieLife from the person's latest sign-in on that browser.
const (
	deviceCookieLife    = 365 * 24 * time.Hour
	deviceCookiePurpose = "device cookie"
)

// deviceThrottleScope is the c.Locals key of the throttle ("account" or "ip") a remembered
// browser was let through on this request (by a code form, which finishes the sign-in).
type deviceThrottleScope struct{}

type device struct {
	id     string
	userID int64
}

func (s *Server) deviceCookieName() string {
	if s.cfg.Secure() {
		return "__Host-outlay_device"
	}
	return "outlay_device"
}

// deviceOf is the browser's device cookie, if its signature is good and it was issued by this
// tenant and has not expired.
func (s *Server) deviceOf(c *fiber.Ctx) (device, bool) {
	raw := c.Cookies(s.deviceCookieName())
	if raw == "" {
		return device{}, false
	}
	v, ok := s.signer.Open(deviceCookiePurpose, raw)
	if !ok {
		return device{}, false
	}
	parts := strings.Split(v, "|")
	if len(parts) != 4 || parts[0] != tenantOf(c).Slug {
		return device{}, false
	}
	userID, err1 := strconv.ParseInt(parts[1], 10, 64)
	expires, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || parts[2] == "" || time.Now().Unix() >= expires {
		return device{}, false
	}
	return device{id: parts[2], userID: userID}, true
}

// browserOf is what a sign-in from this request knows of the browser (models.SignInBrowser).
func (s *Server) browserOf(c *fiber.Ctx) models.SignInBrowser {
	b := models.SignInBrowser{IP: clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent), Session: c.Cookies(s.cookies.session)}
	if d, ok := s.deviceOf(c); ok {
		b.DeviceID, b.DeviceUserID = d.id, d.userID
	}
	return b
}

func (s *Server) signInPolicy() models.SignInPolicy {
	return models.SignInPolicy{Throttle: s.throttle, Sessions: s.sessions}
}

// checkSignInThrottle is models.CheckSignInThrottle for this browser; the throttle a remembered
// browser passed is kept for finishing the sign-in in this request.
func (s *Server) checkSignInThrottle(c *fiber.Ctx, email string) error {
	s.holdAttempts(c, email) // until the request ends: its failure is recorded before another's count
	bypassed, err := models.CheckSignInThrottle(c.UserContext(), tenantDB(c), s.throttle, email, s.browserOf(c))
	if bypassed != "" {
		c.Locals(deviceThrottleScope{}, bypassed)
	}
	return err
}

// recordFailedSignIn counts a wrong password or code against the account, the address and,
// from a remembered browser, the device (models.RecordFailedBrowserSignIn: not against an
// account whose lock the browser was let through).
func (s *Server) recordFailedSignIn(c *fiber.Ctx, email string) error {
	bypassed, _ := c.Locals(deviceThrottleScope{}).(string)
	return models.RecordFailedBrowserSignIn(c.UserContext(), tenantDB(c), email, s.browserOf(c), bypassed)
}

// signedIn gives the browser what a finished sign-in made: its session (with a fresh CSRF
// cookie) and the device cookie that remembers it as the person's device.
func (s *Server) signedIn(c *fiber.Ctx, res *models.SignedIn) {
	expires := time.Now().Add(deviceCookieLife).Unix()
	value := strings.Join([]string{tenantOf(c).Slug, strconv.FormatInt(res.User.ID, 10), res.DeviceID, strconv.FormatInt(expires, 10)}, "|")
	s.setCookie(c, s.deviceCookieName(), s.signer.Seal(deviceCookiePurpose, value), deviceCookieLife)
	s.setSessionCookies(c, res.Session)
}
