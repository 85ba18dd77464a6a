package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/auth"
	"outlay/models"
	"outlay/views"
	authviews "outlay/views/auth"
)

// A first single sign-on whose email names a person who can already sign in another way links
// nothing by itself (models.SignInWithSSO): the browser that signed in is sent here, and the
// person confirms with their own Outlay password and, when they have one, a code. Only then is
// the provider's account linked, the person told by mail, and a session started.

// pendingSSOLink is this browser's sign-in waiting for its link to be confirmed. When there is
// none (expired, used, or the person was deactivated meanwhile) it has answered the request,
// sending the browser to sign in, and returns a nil user.
func (s *Server) pendingSSOLink(c *fiber.Ctx) (*models.SSOLinkConfirmation, *models.User, models.WaysIn, *models.SSOProvider, error) {
	l, u, ways, err := models.LookupSSOLink(c.UserContext(), tenantDB(c), c.Cookies(s.cookies.ssoLink))
	var p *models.SSOProvider
	if err == nil {
		p, err = models.FindSSOProvider(c.UserContext(), tenantDB(c), l.Provider)
		if err == nil && !p.Enabled {
			err = outlay.ErrNotFound
		}
	}
	if errors.Is(err, outlay.ErrNotFound) {
		s.clearCookie(c, s.cookies.ssoLink)
		s.setFlash(c, "info", "Your sign-in took too long or was already finished. Sign in again.")
		return nil, nil, ways, nil, redirect(c, authviews.LoginPath)
	}
	return l, u, ways, p, err
}

func (s *Server) renderSSOLink(c *fiber.Ctx, status int, l *models.SSOLinkConfirmation, u *models.User, ways models.WaysIn, p *models.SSOProvider, errs views.FieldErrors) error {
	f := authviews.SSOLink{CSRFToken: s.csrfToken(c), Tenant: tenantOf(c).Name, Email: u.Email, Provider: p.Label,
		ProviderEmail: l.Email, Password: ways.Password, Code: ways.Code, Errors: errs}
	return s.renderAuth(c, status, page{Title: "Link your account", Content: authviews.SSOLinkPage(f)})
}

func (s *Server) ssoLinkPage(c *fiber.Ctx) error {
	l, u, ways, p, err := s.pendingSSOLink(c)
	if u == nil {
		return err
	}
	return s.renderSSOLink(c, http.StatusOK, l, u, ways, p, views.FieldErrors{})
}

// ssoLinkConfirm links the provider's account once the person gave their password and code.
// Wrong answers count in the sign-in throttle as a wrong password or code would.
func (s *Server) ssoLinkConfirm(c *fiber.Ctx) error {
	l, u, ways, p, err := s.pendingSSOLink(c)
	if u == nil {
		return err
	}
	errs := views.FieldErrors{}
	if status, err := s.throttledCode(c, u.Email, errs); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return s.renderSSOLink(c, status, l, u, ways, p, errs)
	}
	var post struct {
		Password string `form:"password"`
		Code     string `form:"code,trim"`
	}
	bindForm(c, &post)
	switch {
	case !ways.Password:
	case post.Password == "":
		errs["password"] = "Enter your Outlay password."
	case !auth.CheckPassword(u.PasswordHash, post.Password):
		errs["password"] = "That is not your Outlay password. Try again."
		if err := s.recordFailedSignIn(c, u.Email); err != nil {
			return err
		}
	}
	switch {
	case !ways.Code || len(errs) > 0:
	case post.Code == "":
		errs["code"] = "Enter the code from your authenticator app."
	default:
		_, err := models.VerifySecondFactor(actingAs(c, u.ID, u.Email), tenantDB(c), s.totp, u.ID, u.Email, post.Code, time.Now())
		switch {
		case errors.Is(err, models.ErrBadSecondFactor):
			errs["code"] = wrongCodeMessage
			if err := s.wrongCode(c, u.ID, u.Email, "linking a sign-in account"); err != nil {
				return err
			}
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderSSOLink(c, http.StatusUnprocessableEntity, l, u, ways, p, errs)
	}
	res, err := models.ConfirmSSOLink(s.ssoContext(c), tenantDB(c), p, c.Cookies(s.cookies.ssoLink), s.ssoLinkedMail(c))
	s.clearCookie(c, s.cookies.ssoLink)
	if errors.Is(err, outlay.ErrNotFound) { // confirmed in another tab meanwhile
		return redirect(c, authviews.LoginPath)
	}
	if refused, err := s.ssoRefused(c, p, err); refused || err != nil {
		return err
	}
	// The code was just given; without one, the person goes through the step an SSO sign-in
	// takes (the break-glass admin enrols).
	return s.finishSSOSignIn(c, p, res, l.Next, !ways.Code)
}
