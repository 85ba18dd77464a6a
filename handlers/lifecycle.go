package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"outlay/models"
	"outlay/tenancy"
	"outlay/views"
	"outlay/views/tenantexport"
)

// errTenantReadOnly refuses a change to a lapsed organisation; handleError answers it with
// lapsedRefusal, which says until when the data can still be exported.
var errTenantReadOnly = errors.New("the organisation is read-only")

// MovingMessage is what a change gets while the organisation's database is read-only for a
// move to another cluster: the move takes seconds, so the person only has to retry.
const MovingMessage = "This organisation is being moved; try again in a moment."

// exportDateLayout writes the last day of exports in the banner and refusals.
const exportDateLayout = "2 January 2006"

// LapsedBanner is the notice on every page of a lapsed organisation: since when it is
// read-only, until when its data can be exported, and whom to ask to renew it (contact, from
// lapsedContact).
func LapsedBanner(t tenancy.Tenant, contact string) string {
	return t.Name + " is read-only" + lapsedSince(t) + ": its subscription has ended. " + exportUntil(t) + " " + contact
}

// lapsedSince is " since <the day it lapsed>", or "" when that is not known.
func lapsedSince(t tenancy.Tenant) string {
	if t.LapsedAt == nil {
		return ""
	}
	return " since " + t.LapsedAt.UTC().Format(exportDateLayout)
}

// exportUntil says until when a lapsed organisation's data can be exported.
func exportUntil(t tenancy.Tenant) string {
	if t.PurgeAfter == nil {
		return "You can still sign in and export your data."
	}
	return "You can export your data until " + t.PurgeAfter.UTC().Format(exportDateLayout) + "; after that it is deleted."
}

// mostContacts is how many admins the banner names.
const mostContacts = 3

// lapsedContact says whom the person asks to renew the subscription: the organisation's
// admins by name and address (the first few), for a signed-in person who is not one; an
// admin renews it with Outlay; a person not signed in is told to ask an administrator.
func lapsedContact(viewer *models.SessionUser, admins []models.Contact) string {
	others := slices.DeleteFunc(slices.Clone(admins), func(a models.Contact) bool { return viewer != nil && a.ID == viewer.UserID })
	switch {
	case viewer != nil && len(others) < len(admins):
		return "To keep using Outlay, contact Outlay to renew the subscription."
	case viewer == nil || len(others) == 0:
		return "To keep using Outlay, ask your organisation's administrator to renew the subscription."
	}
	names := make([]string, 0, mostContacts)
	for _, a := range others[:min(len(others), mostContacts)] {
		names = append(names, a.Name+" ("+a.Email+")")
	}
	if more := len(others) - len(names); more > 0 {
		names = append(names, fmt.Sprintf("%d more", more))
	}
	return "To keep using Outlay, ask an administrator to renew the subscription: " + strings.Join(names, ", ") + "."
}

// LapsedRefusal is the message of a change refused because the organisation is lapsed.
func LapsedRefusal(t tenancy.Tenant) string {
	until := "until it is deleted"
	if t.PurgeAfter != nil {
		until = "until " + t.PurgeAfter.UTC().Format(exportDateLayout)
	}
	return "Nothing was changed: " + t.Name + "'s subscription has ended, so Outlay is read-only. You can export your data " + until + "."
}

// LapsedFormMessage is what a page that is only a form for a change (Route.Form) says instead
// of its form while the organisation is lapsed: nothing typed there could be saved.
func LapsedFormMessage(t tenancy.Tenant) string {
	return t.Name + " is read-only" + lapsedSince(t) + ", as its subscription has ended: nothing can be added or changed, so this form is not shown. " +
		exportUntil(t) + " Everything already here can still be opened and exported."
}

// readOnlyForm answers a page that is only a form for a change (Route.Form) while the
// organisation is read-only: LapsedFormMessage, and the way to export, in place of a form
// whose post would be refused and lose what was typed. (403, as the post would be.)
func (s *Server) readOnlyForm(c *fiber.Ctx) error {
	exportHref := ""
	if s.mayOpen(c, tenantexport.Path) {
		exportHref = tenantexport.Path
	}
	return s.render(c, http.StatusForbidden, page{Title: "Read-only", Content: views.ReadOnlyForm(LapsedFormMessage(*tenantOf(c)), exportHref)})
}

// readOnly reports whether the request's organisation is read-only (lapsed): its pages
// offer no change, as every change would be refused.
func readOnly(c *fiber.Ctx) bool {
	t := tenantOf(c)
	return t != nil && t.ReadOnly()
}

// refuseWhileReadOnly stops a change to a lapsed organisation before it reaches its handler;
// reads, and the few changes route r allows while read-only (signing in and out, exports),
// go on.
func refuseWhileReadOnly(c *fiber.Ctx, r Route) error {
	if !readOnly(c) || r.WhileReadOnly {
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
