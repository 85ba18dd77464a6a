package handlers

import (
	"net/http"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// notTextQueryMessage answers an address whose query string is not text.
const notTextQueryMessage = "The address contains characters that are not text (such as a NUL byte, a control character or broken UTF-8). Check the link and try again."

// wellFormed refuses, before any handler runs, a query string whose names or values are not
// valid UTF-8 or hold control characters: no page asks for them, Postgres would refuse them,
// and a person never types them.
func (s *Server) wellFormed(c *fiber.Ctx) error {
	bad := false
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if !bad && (!isText(k) || !isText(v)) {
			bad = true
		}
	})
	if bad {
		return fiber.NewError(http.StatusBadRequest, notTextQueryMessage)
	}
	return c.Next()
}

// isText reports whether b is valid UTF-8 without control characters (C0, DEL or C1).
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return false
		}
	}
	return true
}
