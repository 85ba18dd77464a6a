package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"outlay/models"
	"outlay/views/notifications"
)

// unsubscribeLink reads the request's unsubscribe link; a link that does not work here is
// answered (refused) and ok is false.
func (s *Server) unsubscribeLink(c *fiber.Ctx) (u models.Unsubscription, ok bool, err error) {
	u, err = models.ReadUnsubscribe(c.UserContext(), tenantDB(c), s.signer, tenantOf(c).Slug, c.Params("token"))
	var title, msg string
	switch {
	case errors.Is(err, models.ErrUnsubscribeInvalid):
		title, msg = "This link does not work", "This unsubscribe link was not sent by "+tenantOf(c).Name+", or it was changed on the way."
	case errors.Is(err, models.ErrUnsubscribeElsewhere):
		title, msg = "This link is for another organisation", "This unsubscribe link was sent by another organisation on Outlay, and does nothing at "+tenantOf(c).Name+"."
	case err != nil:
		return u, false, err
	default:
		return u, true, nil
	}
	if oneClickUnsubscribe(c) {
		return u, false, c.Status(http.StatusBadRequest).SendString(title + ". Nothing was changed.")
	}
	return u, false, s.renderAuth(c, http.StatusBadRequest, page{Title: title, Content: notifications.UnsubscribeRefused(title, msg)})
}

func (s *Server) unsubscribeView(c *fiber.Ctx, u models.Unsubscription) notifications.Unsubscribe {
	return notifications.Unsubscribe{CSRFToken: s.csrfToken(c), Action: c.Path(), Email: u.Email, Org: tenantOf(c).Name,
		Digest: u.Kind == models.MailDigest, Labels: u.Labels, Off: u.Off}
}

// unsubscribePage asks before stopping the mails a link names: mail scanners open links.
func (s *Server) unsubscribePage(c *fiber.Ctx) error {
	u, ok, err := s.unsubscribeLink(c)
	if !ok {
		return err
	}
	return s.renderAuth(c, http.StatusOK, page{Title: "Stop these mails", Content: notifications.UnsubscribePage(s.unsubscribeView(c, u))})
}

// unsubscribe stops the mails a link names, as the person's own change of their preferences:
// from the page's button, or in one click from the mail program (List-Unsubscribe-Post).
func (s *Server) unsubscribe(c *fiber.Ctx) error {
	u, ok, err := s.unsubscribeLink(c)
	if !ok {
		return err
	}
	if err := models.Unsubscribe(actingAs(c, u.UserID, u.Email), tenantDB(c), u); err != nil {
		return err
	}
	if oneClickUnsubscribe(c) {
		return c.SendString("Unsubscribed.")
	}
	v := s.unsubscribeView(c, u)
	v.Done = true
	return s.renderAuth(c, http.StatusOK, page{Title: "Mails stopped", Content: notifications.UnsubscribePage(v)})
}

// oneClickUnsubscribe reports whether the request is a mail program's one-click unsubscribe
// (RFC 8058): a POST to an unsubscribe link whose body is List-Unsubscribe=One-Click, sent
// as multipart/form-data (as the RFC asks) or URL-encoded. It comes from the mail provider
// with no cookie, so it can carry no CSRF token; the signed link is its authority, and it
// acts on no session.
func oneClickUnsubscribe(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost || !strings.HasPrefix(c.Path(), unsubscribePrefix) {
		return false
	}
	if string(c.Request().PostArgs().Peek("List-Unsubscribe")) == "One-Click" {
		return true
	}
	if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm) {
		form, err := c.MultipartForm()
		return err == nil && len(form.Value["List-Unsubscribe"]) > 0 && form.Value["List-Unsubscribe"][0] == "One-Click"
	}
	return false
}

const unsubscribePrefix = notifications.UnsubscribePath + "/"
