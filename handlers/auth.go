package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/mail"
	"outlay/models"
	"outlay/views"
	authviews "outlay/views/auth"
)

func (s *Server) home(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return redirect(c, "/dashboard")
	}
	return redirect(c, "/login")
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return redirect(c, "/dashboard")
	}
	return s.renderLogin(c, http.StatusOK, authviews.Login{Next: safeNext(c.Query("next"))})
}

func (s *Server) renderLogin(c *fiber.Ctx, status int, f authviews.Login) error {
	f.CSRFToken = s.csrfToken(c)
	return s.renderAuth(c, status, page{Title: "Sign in", Content: authviews.LoginForm(f)})
}

// badCredentials is the one message for any failed sign-in, so the page does not reveal
// whether an email has an account.
const badCredentials = "Incorrect email or password."

func (s *Server) login(c *fiber.Ctx) error {
	f := authviews.Login{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next")), Errors: views.FieldErrors{}}
	password := c.FormValue("password")
	if f.Email == "" {
		f.Errors["email"] = "Enter your email address."
	}
	if password == "" {
		f.Errors["password"] = "Enter your password."
	}
	if len(f.Errors) > 0 {
		return s.renderLogin(c, http.StatusUnprocessableEntity, f)
	}
	ctx, db, ip := c.UserContext(), tenantDB(c), c.IP()
	var throttled *models.ErrThrottled
	if err := models.CheckThrottle(ctx, db, s.throttle, f.Email, ip); errors.As(err, &throttled) {
		f.Errors[""] = throttleMessage(throttled)
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(throttled.RetryAfter.Seconds())))
		return s.renderLogin(c, http.StatusTooManyRequests, f)
	} else if err != nil {
		return err
	}
	u, err := models.Authenticate(ctx, db, f.Email, password)
	if errors.Is(err, models.ErrBadCredentials) {
		if err := models.RecordFailedSignIn(ctx, db, f.Email, ip); err != nil {
			return err
		}
		// Recorded under the email that was tried, whether or not anyone has it.
		if err := audit.Event(actingAs(c, 0, f.Email), db, audit.EventSignInFailure, f.Email, nil); err != nil {
			return err
		}
		f.Errors[""] = badCredentials
		return s.renderLogin(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	if err := models.ClearFailedSignIns(ctx, db, s.throttle, f.Email); err != nil {
		return err
	}
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	if err := audit.Event(actingAs(c, u.ID, u.Email), db, audit.EventSignInSuccess, u.Email, nil); err != nil {
		return err
	}
	if f.Next != "" {
		return redirect(c, f.Next)
	}
	return redirect(c, "/dashboard")
}

func throttleMessage(t *models.ErrThrottled) string {
	minutes := int(math.Ceil(t.RetryAfter.Minutes()))
	wait := fmt.Sprintf("%d minutes", minutes)
	if minutes <= 1 {
		wait = "a minute"
	}
	if t.Scope == "ip" {
		return "Too many failed sign-in attempts from your network. Try again in " + wait + "."
	}
	return "Too many failed sign-in attempts for this account. Try again in " + wait + ", or reset your password."
}

// startSession signs the user in with a fresh session id and a fresh CSRF cookie.
func (s *Server) startSession(c *fiber.Ctx, userID int64) error {
	token, err := models.CreateSession(c.UserContext(), tenantDB(c), userID, s.sessions, c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	s.setCookie(c, s.cookies.session, token, s.cfg.SessionMax)
	s.clearCookie(c, s.cookies.csrf)
	return nil
}

func (s *Server) logout(c *fiber.Ctx) error {
	if token := c.Cookies(s.cookies.session); token != "" {
		err := tenantDB(c).Transaction(func(tx *gorm.DB) error {
			if err := models.DeleteSession(c.UserContext(), tx, token); err != nil {
				return err
			}
			if u := currentUser(c); u != nil {
				return audit.Event(c.UserContext(), tx, audit.EventSignOut, u.Email, nil)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	s.clearCookie(c, s.cookies.session)
	s.clearCookie(c, s.cookies.csrf)
	s.setFlash(c, "success", "You have signed out.")
	return redirect(c, "/login")
}

func (s *Server) forgotPage(c *fiber.Ctx) error {
	return s.renderAuth(c, http.StatusOK, page{Title: "Reset your password", Content: authviews.ForgotForm(authviews.Forgot{CSRFToken: s.csrfToken(c)})})
}

func (s *Server) forgot(c *fiber.Ctx) error {
	f := authviews.Forgot{CSRFToken: s.csrfToken(c), Email: strings.TrimSpace(c.FormValue("email")), Errors: views.FieldErrors{}}
	if err := models.ValidateEmail(f.Email); err != nil {
		f.Errors["email"] = err.Error()
		return s.renderAuth(c, http.StatusUnprocessableEntity, page{Title: "Reset your password", Content: authviews.ForgotForm(f)})
	}
	u, token, err := models.CreatePasswordReset(c.UserContext(), tenantDB(c), f.Email, s.cfg.PasswordResetTTL)
	switch {
	case errors.Is(err, outlay.ErrNotFound):
		// Say the same as for a real account: the page must not reveal who has one.
	case err != nil:
		return err
	default:
		s.sendResetMail(tenantOf(c).Slug, tenantOf(c).Name, u, token)
	}
	f.Sent = true
	return s.renderAuth(c, http.StatusOK, page{Title: "Check your email", Content: authviews.ForgotForm(f)})
}

// sendResetMail sends in the background, so the time the page takes does not reveal whether
// an account exists.
func (s *Server) sendResetMail(slug, tenantName string, u *models.User, token string) {
	link := s.cfg.TenantURL(slug, "/password/reset/"+token)
	msg := mail.Message{
		To:      u.Email,
		Subject: "Reset your Outlay password for " + tenantName,
		Body: fmt.Sprintf("Hello %s,\n\nSomeone (we hope you) asked to reset your Outlay password for %s.\n"+
			"Open this link within %s to choose a new one:\n\n%s\n\n"+
			"The link works once. If you did not ask for it, ignore this email: your password stays as it is.\n",
			u.Name, tenantName, s.cfg.PasswordResetTTL, link),
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.mailer.Send(ctx, msg); err != nil {
			s.logger.Error("sending password reset mail failed", "tenant", slug, "user_id", u.ID, "err", err)
		}
	}()
}

func (s *Server) resetPage(c *fiber.Ctx) error {
	u, err := models.FindPasswordReset(c.UserContext(), tenantDB(c), c.Params("token"))
	if errors.Is(err, outlay.ErrNotFound) {
		return s.renderAuth(c, http.StatusNotFound, page{Title: "Link expired", Content: authviews.ResetInvalid()})
	}
	if err != nil {
		return err
	}
	return s.renderAuth(c, http.StatusOK, page{Title: "Set a new password", Content: authviews.ResetForm(authviews.Reset{
		CSRFToken: s.csrfToken(c), Action: c.Path(), Email: u.Email,
	})})
}

func (s *Server) reset(c *fiber.Ctx) error {
	ctx, db, token := c.UserContext(), tenantDB(c), c.Params("token")
	u, err := models.FindPasswordReset(ctx, db, token)
	if errors.Is(err, outlay.ErrNotFound) {
		return s.renderAuth(c, http.StatusNotFound, page{Title: "Link expired", Content: authviews.ResetInvalid()})
	}
	if err != nil {
		return err
	}
	f := authviews.Reset{CSRFToken: s.csrfToken(c), Action: c.Path(), Email: u.Email, Errors: views.FieldErrors{}}
	password := c.FormValue("password")
	if password != c.FormValue("confirm") {
		f.Errors["confirm"] = "The two passwords do not match."
		return s.renderAuth(c, http.StatusUnprocessableEntity, page{Title: "Set a new password", Content: authviews.ResetForm(f)})
	}
	// The link proves who this is: the new password, and the reset, are theirs.
	u, err = models.ResetPassword(actingAs(c, u.ID, u.Email), db, token, password)
	if v, ok := outlay.AsValidation(err); ok {
		for k, msg := range v {
			f.Errors[k] = msg
		}
		return s.renderAuth(c, http.StatusUnprocessableEntity, page{Title: "Set a new password", Content: authviews.ResetForm(f)})
	}
	if errors.Is(err, outlay.ErrNotFound) {
		return s.renderAuth(c, http.StatusNotFound, page{Title: "Link expired", Content: authviews.ResetInvalid()})
	}
	if err != nil {
		return err
	}
	if err := models.ClearFailedSignIns(ctx, db, s.throttle, u.Email); err != nil {
		return err
	}
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	s.setFlash(c, "success", "Your password has been changed, and you are signed in.")
	return redirect(c, "/dashboard")
}
