package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/audit"
	"outlay/models"
	"outlay/views"
	authviews "outlay/views/auth"
	"outlay/views/dashboard"
)

func (s *Server) home(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return redirect(c, dashboard.Path)
	}
	return redirect(c, authviews.LoginPath)
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return redirect(c, dashboard.Path)
	}
	return s.renderLogin(c, http.StatusOK, authviews.Login{Next: safeNext(c.Query("next"))})
}

func (s *Server) renderLogin(c *fiber.Ctx, status int, f authviews.Login) error {
	f.CSRFToken = s.csrfToken(c)
	f.TenantName = tenantOf(c).Name
	settings, err := models.GetSSOSettings(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	if f.Providers, err = s.ssoButtons(c, f.Next); err != nil {
		return err
	}
	f.RequireSSO = settings.RequireSSO && len(f.Providers) > 0
	content := authviews.LoginPage(f)
	if isHTMX(c) {
		content = authviews.LoginForm(f)
	}
	return s.renderAuth(c, status, page{Title: "Sign in", Content: content})
}

// badCredentials is the one message for any failed sign-in, so the page does not reveal
// whether an email has an account.
const badCredentials = "Incorrect email or password."

// signInPost is the sign-in form.
type signInPost struct {
	Email    string `form:"email,trim"`
	Next     string `form:"next"`
	Password string `form:"password"`
}

// newPasswordPost is the form that sets a password from a link, typed twice.
type newPasswordPost struct {
	Password string `form:"password"`
	Confirm  string `form:"confirm"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var post signInPost
	bindForm(c, &post)
	f := authviews.Login{Email: post.Email, Next: safeNext(post.Next), Errors: views.FieldErrors{}}
	password := post.Password
	switch {
	case f.Email == "":
		f.Errors["email"] = "Enter your email address."
	case len(f.Email) > models.MaxEmail:
		// No one's address is this long (RFC 5321), and it is neither counted nor recorded.
		f.Errors["email"] = fmt.Sprintf("An email address has at most %d characters.", models.MaxEmail)
		f.Email = ""
	}
	if password == "" {
		f.Errors["password"] = "Enter your password."
	}
	if len(f.Errors) > 0 {
		return s.renderLogin(c, http.StatusUnprocessableEntity, f)
	}
	name := s.signInName(f.Email)
	s.holdAttempts(c, name) // the throttle's count and the failure recorded, one attempt at a time
	signIn := s.signInPolicy()
	signIn.Notices = s.securityNotices(c) // a lock this attempt begins is told to the person
	res, err := models.SignInWithPassword(c.UserContext(), tenantDB(c), signIn, name, password, s.browserOf(c),
		func(u *models.User) (bool, error) { return s.twoFactorStep(c, u, methodPassword, f.Next) })
	s.deliverNotices(c, signIn.Notices)
	var throttled *models.ErrThrottled
	switch {
	case errors.As(err, &throttled):
		f.Errors[""] = throttleMessage(throttled)
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(throttled.RetryAfter.Seconds())))
		return s.renderLogin(c, http.StatusTooManyRequests, f)
	case errors.Is(err, models.ErrBadCredentials):
		f.Errors[""], f.Refused = badCredentials, true
		return s.renderLogin(c, http.StatusUnprocessableEntity, f)
	case errors.Is(err, models.ErrDeactivated):
		// Said only after the right password: a wrong one reveals nothing of the account.
		f.Errors[""] = "Your account is deactivated. Contact an administrator of " + tenantOf(c).Name + " if you need access again."
		return s.renderLogin(c, http.StatusForbidden, f)
	case err != nil || res == nil: // res is nil when the second factor was asked for
		return err
	}
	s.signedIn(c, res)
	if f.Next != "" {
		return redirect(c, f.Next)
	}
	return redirect(c, dashboard.Path)
}

// signInName is what a sign-in goes by: the email typed, or, when the text is not an email
// address (often a password typed in the wrong box), a keyed hash of it, which no one's address
// matches and which the failed sign-ins count, so the throttle still holds it back, but which
// keeps the text itself out of the database. The audit log names it "(not an email address)".
func (s *Server) signInName(typed string) string {
	if models.ValidateEmail(typed) == nil {
		return typed
	}
	return signInKeyPrefix + s.signer.Sign(signInKeyPurpose, strings.ToLower(models.NormalizeEmail(typed)))
}

const (
	signInKeyPrefix  = "not-an-address:"
	signInKeyPurpose = "signin-name"
)

func throttleMessage(t *models.ErrThrottled) string {
	minutes := int(math.Ceil(t.RetryAfter.Minutes()))
	wait := fmt.Sprintf("%d minutes", minutes)
	if minutes <= 1 {
		wait = "a minute"
	}
	if t.Scope == "ip" {
		return "Too many failed sign-in attempts from your network. Try again in " + wait + "."
	}
	// Someone guessing can pause the account again and again; the owner's way in that no
	// guess touches is their mailbox (or their identity provider: a sign-in there lifts the
	// pause too).
	return "Too many failed sign-in attempts for this account. Try again in " + wait +
		", or reset your password: setting a new one from the emailed link signs you in at once and lifts the pause."
}

// startSession signs the user in with a fresh session id and a fresh CSRF cookie; method is
// how they proved who they are (methodPassword, methodReset, methodSSO).
func (s *Server) startSession(c *fiber.Ctx, userID int64, method string) error {
	token, err := models.StartSession(c.UserContext(), tenantDB(c), s.sessions, userID, method, s.browserOf(c))
	if err != nil {
		return err
	}
	s.setSessionCookies(c, token)
	return nil
}

// setSessionCookies gives the browser its new session, and a fresh CSRF cookie with it.
func (s *Server) setSessionCookies(c *fiber.Ctx, token string) {
	s.setCookie(c, s.cookies.session, token, s.cfg.SessionMax)
	s.clearCookie(c, s.cookies.csrf)
}

// logoutPage is /logout opened as a page: signed in, it asks to confirm (signing out is a
// POST with the CSRF token); signed out, there is nothing to do but sign in.
func (s *Server) logoutPage(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return redirect(c, authviews.LoginPath)
	}
	// "Stay signed in" goes back to the page the link was followed from, when it is one of
	// this organisation's.
	back := "/dashboard"
	if ref, err := url.Parse(c.Get(fiber.HeaderReferer)); err == nil && ref.Host == requestHost(c) {
		if p := safeNext(ref.RequestURI()); p != "" && !strings.HasPrefix(p, authviews.LogoutPath) {
			back = p
		}
	}
	return s.renderAuth(c, http.StatusOK, page{Title: "Sign out", Content: authviews.SignOut(u.Name+" ("+u.Email+")", s.csrfToken(c), back)})
}

func (s *Server) logout(c *fiber.Ctx) error {
	if token := c.Cookies(s.cookies.session); token != "" {
		if err := models.DeleteSession(c.UserContext(), tenantDB(c), token); err != nil {
			return err
		}
	}
	if u := currentUser(c); u != nil {
		if err := audit.Event(c.UserContext(), tenantDB(c), audit.EventSignOut, u.Email, nil); err != nil {
			return err
		}
	}
	s.clearCookie(c, s.cookies.session)
	s.clearCookie(c, s.cookies.csrf)
	s.setFlash(c, "success", "You have signed out.")
	return redirect(c, authviews.LoginPath)
}

func (s *Server) forgotPage(c *fiber.Ctx) error {
	return s.renderAuth(c, http.StatusOK, page{Title: "Reset your password", Content: authviews.ForgotForm(authviews.Forgot{CSRFToken: s.csrfToken(c)})})
}

func (s *Server) forgot(c *fiber.Ctx) error {
	f := authviews.Forgot{CSRFToken: s.csrfToken(c), Errors: views.FieldErrors{}}
	bindForm(c, &f)
	if err := models.ValidateEmail(f.Email); err != nil {
		f.Errors["email"] = err.Error()
		return s.renderAuth(c, http.StatusUnprocessableEntity, page{Title: "Reset your password", Content: authviews.ForgotForm(f)})
	}
	// Every address takes the same path: the request is queued and answered at once, and the
	// job decides whether anyone gets a link. The page must not reveal who has an account,
	// neither by what it says nor by how long it takes.
	if err := s.jobs.RequestPasswordReset(c.UserContext(), tenantOf(c).Slug, f.Email); err != nil {
		return err
	}
	f.Sent = true
	return s.renderAuth(c, http.StatusOK, page{Title: "Check your email", Content: authviews.ForgotForm(f)})
}

func (s *Server) resetPage(c *fiber.Ctx) error {
	u, err := models.FindPasswordReset(c.UserContext(), tenantDB(c), c.Params("token"))
	if errors.Is(err, outlay.ErrNotFound) {
		return s.renderAuth(c, http.StatusNotFound, page{Title: "Link expired", Content: authviews.ResetInvalid()})
	}
	if err != nil {
		return err
	}
	if refused, err := s.passwordsOff(c, u.Email); refused || err != nil {
		return err
	}
	return s.renderAuth(c, http.StatusOK, page{Title: "Set a new password", Content: authviews.ResetForm(authviews.Reset{
		CSRFToken: s.csrfToken(c), Action: c.Path(), Email: u.Email, Invited: u.Status == models.UserInvited,
	})})
}

// passwordsOff answers a reset link with "passwords are not used here" when the tenant
// requires SSO and email is not the break-glass admin's: a reset must not be a way around
// single sign-on (it signs the person in).
func (s *Server) passwordsOff(c *fiber.Ctx, email string) (bool, error) {
	ok, err := models.PasswordSignInAllowed(c.UserContext(), tenantDB(c), email)
	if err != nil || ok {
		return false, err
	}
	return true, s.renderAuth(c, http.StatusForbidden, page{Title: "Passwords are not used", Content: authviews.PasswordsOff(tenantOf(c).Name)})
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
	if refused, err := s.passwordsOff(c, u.Email); refused || err != nil {
		return err
	}
	f := authviews.Reset{CSRFToken: s.csrfToken(c), Action: c.Path(), Email: u.Email, Invited: u.Status == models.UserInvited, Errors: views.FieldErrors{}}
	var post newPasswordPost
	bindForm(c, &post)
	password := post.Password
	if password != post.Confirm {
		f.Errors["confirm"] = "The two passwords do not match."
		return s.renderAuth(c, http.StatusUnprocessableEntity, page{Title: "Set a new password", Content: authviews.ResetForm(f)})
	}
	// The new password is the person's own change, made by proving they hold the link.
	notices := s.securityNotices(c)
	u, err = models.ResetPassword(actingAs(c, u.ID, u.Email), db, token, password, tenantOf(c).Name, notices)
	if _, ok := outlay.AsValidation(err); ok {
		_ = f.Errors.Absorb(err)
		return s.renderAuth(c, http.StatusUnprocessableEntity, page{Title: "Set a new password", Content: authviews.ResetForm(f)})
	}
	if errors.Is(err, outlay.ErrNotFound) {
		return s.renderAuth(c, http.StatusNotFound, page{Title: "Link expired", Content: authviews.ResetInvalid()})
	}
	if err != nil {
		return err
	}
	s.deliverNotices(c, notices)
	if asked, err := s.twoFactorStep(c, u, methodReset, ""); asked || err != nil {
		return err
	}
	if err := models.ClearFailedSignIns(ctx, db, s.throttle, u.Email); err != nil {
		return err
	}
	if err := s.startSession(c, u.ID, methodReset); err != nil {
		return err
	}
	if f.Invited {
		s.setFlash(c, "success", "Welcome to "+tenantOf(c).Name+": your password is set, and you are signed in.")
	} else {
		s.setFlash(c, "success", "Your password has been changed, and you are signed in.")
	}
	return redirect(c, dashboard.Path)
}

// actingAs is the request's context with the actor changed to a person (audit.AsUser).
func actingAs(c *fiber.Ctx, userID int64, email string) context.Context {
	return audit.AsUser(c.UserContext(), userID, email)
}

// recordAs records a security event as the person it concerns.
func (s *Server) recordAs(c *fiber.Ctx, userID int64, email, name, subject string, details map[string]any) error {
	return audit.Event(actingAs(c, userID, email), tenantDB(c), name, subject, details)
}
