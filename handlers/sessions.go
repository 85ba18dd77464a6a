package handlers

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	authviews "outlay/views/auth"
	"outlay/views/security"
	"outlay/views/users"
)

// Sessions are rows in the tenant's database, read at every request (models.LookupSession):
// no server keeps one in memory, so a session ended here is refused at its next request on
// every app server.

// liveSessions is where the signed-in person is signed in, as their Security page lists it.
func (s *Server) liveSessions(c *fiber.Ctx) ([]security.Session, error) {
	me := currentUser(c)
	list, err := models.LiveSessions(c.UserContext(), tenantDB(c), me.UserID, me.SessionHash, s.sessions)
	if err != nil {
		return nil, err
	}
	out := make([]security.Session, 0, len(list))
	for _, l := range list {
		out = append(out, security.Session{Number: l.Number, Browser: security.BrowserSummary(l.UserAgent), IP: l.IP,
			Started: formatMoment(&l.CreatedAt), LastActive: formatMoment(&l.LastSeenAt), Current: l.Current})
	}
	return out, nil
}

// signOutSession signs one of the person's other sessions out, from their Security page.
func (s *Server) signOutSession(c *fiber.Ctx) error {
	me := currentUser(c)
	number, err := pathID(c, "id")
	if err == nil {
		err = models.SignOutSession(c.UserContext(), tenantDB(c), me.UserID, me.Email, me.SessionHash, number)
	}
	switch {
	case errors.Is(err, outlay.ErrNotFound):
		s.setFlash(c, "info", "That session had already ended. The list shows where you are signed in now.")
	case err != nil:
		return err
	default:
		s.setFlash(c, "success", "That session is signed out: its next click goes to the sign-in page.")
	}
	return redirect(c, security.SettingsPath)
}

// signOutOtherSessions signs out every session of the person but this browser's.
func (s *Server) signOutOtherSessions(c *fiber.Ctx) error {
	me := currentUser(c)
	n, err := models.SignOutOtherSessions(c.UserContext(), tenantDB(c), me.UserID, me.Email, me.SessionHash, s.sessions)
	switch {
	case err != nil:
		return err
	case n == 0:
		s.setFlash(c, "info", "You were not signed in anywhere else.")
	case n == 1:
		s.setFlash(c, "success", "Your other session is signed out. You stay signed in here.")
	default:
		s.setFlash(c, "success", fmt.Sprintf("Your %d other sessions are signed out. You stay signed in here.", n))
	}
	return redirect(c, security.SettingsPath)
}

// signOutEverywhere is an admin's "Sign out everywhere" of a person (a lost laptop): every
// session of theirs ends; their password, second factor and API tokens stay. The admin
// confirms it's them first (the route is confirmed), and signs themselves out on their own
// Security page instead (models.SignOutEverywhere).
func (s *Server) signOutEverywhere(c *fiber.Ctx) error {
	d, err := userFromPath(c)
	if err != nil {
		return err
	}
	n, err := models.SignOutEverywhere(c.UserContext(), tenantDB(c), grantor(c), d.ID, s.sessions)
	if refused, answer := s.personRefused(c, err, "sessions", d.ID); refused {
		return answer
	}
	if err != nil {
		return err
	}
	switch n {
	case 0:
		s.setFlash(c, "info", d.Name+" was not signed in anywhere.")
	case 1:
		s.setFlash(c, "success", d.Name+" is signed out: their session ends at its next click. They can sign in again.")
	default:
		s.setFlash(c, "success", fmt.Sprintf("%s is signed out everywhere: each of their %d sessions ends at its next click. They can sign in again.", d.Name, n))
	}
	return redirect(c, users.UserPath(d.ID))
}

// enrolFirst answers the request of a session whose person the organisation now requires
// two factors of, who has none (models.SessionUser.MustEnrol): the requirement was turned on,
// or given to a role of theirs, while they were signed in. The session ends, and the browser
// goes on as a sign-in waiting for the enrolment, as if they had just given their password:
// it reaches nothing else until a second factor is set up, then goes back to the page asked
// for. Signing out is let through.
func (s *Server) enrolFirst(c *fiber.Ctx, token string, u *models.SessionUser) error {
	next := ""
	read := c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead
	if read && !isHTMX(c) {
		next = safeNext(c.OriginalURL())
	}
	challenge, err := models.SessionToEnrolment(c.UserContext(), tenantDB(c), token, u, next)
	if errors.Is(err, outlay.ErrNotFound) {
		return redirect(c, authviews.LoginPath) // another request of the session turned it already
	}
	if err != nil {
		return err
	}
	s.clearCookie(c, s.cookies.session)
	s.setCookie(c, s.cookies.twoFactor, challenge, models.TwoFactorChallengeTTL)
	if read {
		s.setFlash(c, "info", tenantOf(c).Name+" now requires two-factor sign-in. Set it up to go on.")
	} else {
		s.setFlash(c, "warning", tenantOf(c).Name+" now requires two-factor sign-in, so that was not saved. Set it up, then do it again.")
		c.Set(notSavedHeader, "true")
	}
	return redirect(c, security.EnrolPath)
}
