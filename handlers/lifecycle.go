package handlers

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"outlay/tenancy"
)

// errTenantReadOnly refuses a change to a lapsed organisation; handleError answers it with
// lapsedRefusal, which says until when the data can still be exported.
var errTenantReadOnly = errors.New("the organisation is read-only")

// MovingMessage is what a change gets while the organisation's database is read-only for a
// move to another cluster: the move takes seconds, so the person only has to retry.
const MovingMessage = "This organisation is being moved; try again in a moment."

// exportDateLayout writes the last day of exports in the banner and refusals.
const exportDateLayout = "2 January 2006"

// LapsedBanner is the notice on every page of a lapsed organisation.
func LapsedBanner(t tenancy.Tenant) string {
	if t.PurgeAfter == nil {
		return t.Name + "'s subscription has ended: Outlay is read-only. You can still sign in and export your data."
	}
	return t.Name + "'s subscription has ended: Outlay is read-only. You can export your data until " +
		t.PurgeAfter.UTC().Format(exportDateLayout) + "; after that it is deleted."
}

// LapsedRefusal is the message of a change refused because the organisation is lapsed.
func LapsedRefusal(t tenancy.Tenant) string {
	until := "until it is deleted"
	if t.PurgeAfter != nil {
		until = "until " + t.PurgeAfter.UTC().Format(exportDateLayout)
	}
	return "Nothing was changed: " + t.Name + "'s subscription has ended, so Outlay is read-only. You can export your data " + until + "."
}

// refuseWhileReadOnly stops a change to a lapsed organisation before it reaches its handler;
// reads, and the few changes route r allows while read-only (signing in and out, exports),
// go on.
func refuseWhileReadOnly(c *fiber.Ctx, r Route) error {
	t := tenantOf(c)
	if t == nil || !t.ReadOnly() || r.WhileReadOnly {
		return nil
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return nil
	}
	return errTenantReadOnly
}

// lifecycleRefusal maps the refusals of an organisation that cannot be changed right now to
// the status, title and message the person gets: never a 500.
func (s *Server) lifecycleRefusal(c *fiber.Ctx, err error) (status int, title, message string, ok bool) {
	switch {
	case errors.Is(err, errTenantReadOnly):
		msg := "Nothing was changed: this organisation is read-only."
		if t := tenantOf(c); t != nil {
			msg = LapsedRefusal(*t)
		}
		return http.StatusForbidden, "Read-only", msg, true
	case tenancy.IsReadOnlyTransaction(err), tenancy.Unavailable(err) && s.beingMoved(c):
		// Read-only for a move, or a session the move ended (as it makes the database
		// read-only, and as it drops the old one): retrying in a moment reaches the database
		// wherever it is then. A session ended when no move is under way (a restarting server
		// ends sessions the same way) gets the plain "try again shortly".
		c.Set(fiber.HeaderRetryAfter, retryAfterSeconds)
		return http.StatusServiceUnavailable, "Being moved", MovingMessage, true
	}
	return 0, "", "", false
}

// beingMoved reports whether a move of the request's organisation is under way now. The
// registry's current copy is read, not the one the request started with (the move may have
// begun while the request waited), for the organisation its host names (the request may have
// failed opening the organisation's database, before it had one). A move is recorded, and
// every server told, before it ends any session.
func (s *Server) beingMoved(c *fiber.Ctx) bool {
	t, ok := s.registry.Lookup(s.slugFromHost(requestHost(c)))
	return ok && t.Moving()
}
