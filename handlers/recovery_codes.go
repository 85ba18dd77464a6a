package handlers

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay/views"
	"outlay/views/security"
)

// New recovery codes are shown once, by a page of their own: the post that makes them
// (turning two-factor sign-in on, making new codes) redirects to the security page, which
// shows them and forgets them. Reloading that page then shows it without them, where
// reloading the post's answer would post again and silently replace the codes just saved.
// On the way the codes travel in a cookie of their own: encrypted (the flash cookie is only
// signed), HttpOnly, opened only by the session that made them, and kept a few minutes at
// most; the page that shows them clears it.

// newCodesPurpose derives the key that seals new recovery codes on their way to the page.
const newCodesPurpose = "recovery codes on their way to be shown"

// newCodesTTL is how long new codes wait for the page that shows them: the redirect is
// followed at once.
const newCodesTTL = 5 * time.Minute

// newCodesContext binds sealed codes to the request's session.
func newCodesContext(c *fiber.Ctx) string {
	return "new recovery codes of session " + hex.EncodeToString(currentUser(c).SessionHash)
}

// showNewCodes answers a post that made the person's new recovery codes: to the security
// page, which shows them once. Without a key to seal them (no OUTLAY_SECRET_KEY) they are
// shown in the answer itself.
func (s *Server) showNewCodes(c *fiber.Ctx, codes []string) error {
	if s.newCodes == nil {
		rc := recoveryCodes(codes, "")
		return s.renderSecurity(c, http.StatusOK, security.Settings{Codes: &rc, Errors: views.FieldErrors{}})
	}
	sealed := s.newCodes.Seal(strings.Join(codes, " "), newCodesContext(c))
	s.setCookie(c, s.cookies.newCodes, base64.RawURLEncoding.EncodeToString(sealed), newCodesTTL)
	return redirect(c, security.SettingsPath)
}

// takeNewCodes returns the new recovery codes waiting to be shown to this session, if any,
// and forgets them.
func (s *Server) takeNewCodes(c *fiber.Ctx) []string {
	raw := c.Cookies(s.cookies.newCodes)
	if raw == "" {
		return nil
	}
	s.clearCookie(c, s.cookies.newCodes)
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || s.newCodes == nil {
		return nil
	}
	codes, err := s.newCodes.Open(sealed, newCodesContext(c))
	if err != nil {
		return nil
	}
	return strings.Fields(codes)
}
