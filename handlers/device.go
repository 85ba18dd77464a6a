package handlers

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/auth"
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
	// eventSignInTrustedDevice records a sign-in that a device cookie let through a throttle.
	eventSignInTrustedDevice = "signin.trusted_device"
)

// deviceThrottleScope is the c.Locals key of the throttle ("account" or "ip") a remembered
// browser was let through on this request.
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

// checkSignInThrottle is models.CheckThrottle for a password sign-in as email, except that a
// browser remembered as that person's device passes a throttled account or address, unless
// the device has failed too often itself.
func (s *Server) checkSignInThrottle(c *fiber.Ctx, email string) error {
	ctx, db := c.UserContext(), tenantDB(c)
	err := models.CheckThrottle(ctx, db, s.throttle, email, clientIP(c))
	var throttled *models.ErrThrottled
	if !errors.As(err, &throttled) {
		return err
	}
	d, ok := s.deviceOf(c)
	if !ok {
		return err
	}
	u, ferr := models.FindUserByEmail(ctx, db, email)
	if errors.Is(ferr, outlay.ErrNotFound) || (ferr == nil && u.ID != d.userID) {
		return err
	}
	if ferr != nil {
		return ferr
	}
	if derr := models.CheckDeviceThrottle(ctx, db, s.throttle, d.id); derr != nil {
		return derr
	}
	c.Locals(deviceThrottleScope{}, throttled.Scope)
	return nil
}

// recordFailedSignIn counts a wrong password against the account, the address and, from a
// remembered browser, the device.
func (s *Server) recordFailedSignIn(c *fiber.Ctx, email string) error {
	d, _ := s.deviceOf(c)
	return models.RecordFailedDeviceSignIn(c.UserContext(), tenantDB(c), email, clientIP(c), d.id)
}

// rememberDevice follows a right password: it remembers this browser as u's device (keeping
// the device id it had, if it was already u's) and forgets the account's failed sign-ins,
// except when the device let the sign-in through a throttle: then the throttle stays for
// everyone else, and the sign-in is recorded as the device's.
func (s *Server) rememberDevice(c *fiber.Ctx, u *models.User) error {
	d, ok := s.deviceOf(c)
	if !ok || d.userID != u.ID {
		token, _ := auth.NewToken()
		d = device{id: token[:22], userID: u.ID}
	}
	if scope, bypassed := c.Locals(deviceThrottleScope{}).(string); bypassed {
		if err := s.recordAs(c, u.ID, u.Email, eventSignInTrustedDevice, u.Email, map[string]any{"throttled": scope, "device": d.id}); err != nil {
			return err
		}
	} else if err := models.ClearFailedSignIns(c.UserContext(), tenantDB(c), s.throttle, u.Email); err != nil {
		return err
	}
	expires := time.Now().Add(deviceCookieLife).Unix()
	value := strings.Join([]string{tenantOf(c).Slug, strconv.FormatInt(u.ID, 10), d.id, strconv.FormatInt(expires, 10)}, "|")
	s.setCookie(c, s.deviceCookieName(), s.signer.Seal(deviceCookiePurpose, value), deviceCookieLife)
	return nil
}
