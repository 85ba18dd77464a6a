package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/auth"
	"outlay/mail"
	"outlay/models"
	"outlay/policy"
	"outlay/views"
	authviews "outlay/views/auth"
	"outlay/views/security"
	"outlay/views/users"
)

var securityUpdate = policy.Permission{Object: outlay.ObjSecurity, Action: outlay.ActUpdate}

// securityPage is a person's own security page: enrolment when two-factor sign-in is off,
// recovery codes and turning it off when it is on, and, once, the recovery codes just made.
func (s *Server) securityPage(c *fiber.Ctx) error {
	p := security.Settings{Errors: views.FieldErrors{}}
	if codes := s.takeNewCodes(c); codes != nil {
		rc := recoveryCodes(codes, "")
		p.Codes = &rc
	}
	return s.renderSecurity(c, http.StatusOK, p)
}

func (s *Server) renderSecurity(c *fiber.Ctx, status int, p security.Settings) error {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c)
	tf, err := models.GetTwoFactor(ctx, db, me.UserID)
	if err != nil {
		return err
	}
	if p.Required, err = models.TwoFactorRequired(ctx, db, me.UserID); err != nil {
		return err
	}
	p.CSRFToken, p.Enabled = s.csrfToken(c), tf.Enabled()
	u, err := models.FindUserByEmail(ctx, db, me.Email)
	if err != nil {
		return err
	}
	p.PasswordSet = u.PasswordHash != ""
	if p.PasswordSet {
		if p.CanChangePassword, err = models.PasswordSignInAllowed(ctx, db, me.Email); err != nil {
			return err
		}
	}
	if p.PasswordErrors == nil {
		p.PasswordErrors = views.FieldErrors{}
	}
	if p.Sessions, err = s.liveSessions(c); err != nil {
		return err
	}
	if p.Enabled {
		if p.Remaining, err = models.RemainingRecoveryCodes(ctx, db, me.UserID); err != nil {
			return err
		}
	} else {
		if p.Enrol == nil {
			if p.Enrol, err = s.enrolForm(c, me.UserID, me.SessionHash, me.Email, security.SettingsPath+"/enrol", views.FieldErrors{}); err != nil {
				return err
			}
		}
		p.Enrol.AskPassword = p.PasswordSet
	}
	return s.render(c, status, page{Title: "Security", Nav: security.SettingsPath, Content: security.SettingsPage(p)})
}

// changePasswordPost is the form that changes a signed-in person's password.
type changePasswordPost struct {
	Current string `form:"current_password"`
	New     string `form:"new_password"`
	Repeat  string `form:"repeat_password"`
}

// changeOwnPassword changes the signed-in person's password, given their current one: the
// browser asking stays signed in, in a new session, and every other session ends
// (models.ChangePassword), and so do their API tokens, which the message counts. A wrong
// current password counts as a failed sign-in, under the same limit.
func (s *Server) changeOwnPassword(c *fiber.Ctx) error {
	me := currentUser(c)
	errs := views.FieldErrors{}
	refuse := func(status int) error {
		return s.renderSecurity(c, status, security.Settings{PasswordErrors: errs})
	}
	if status, err := s.throttledCode(c, me.Email, errs); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return refuse(status)
	}
	var post changePasswordPost
	bindForm(c, &post)
	switch {
	case post.Current == "":
		errs["current_password"] = "Enter your current password."
	case post.New == "":
		errs["new_password"] = "Enter a new password."
	case post.Repeat != post.New:
		errs["repeat_password"] = "The two new passwords do not match."
	}
	if len(errs) > 0 {
		return refuse(http.StatusUnprocessableEntity)
	}
	if ok, err := models.PasswordSignInAllowed(c.UserContext(), tenantDB(c), me.Email); err != nil || !ok {
		if err == nil {
			// The page offers no password form then (single sign-on was required since it
			// was loaded): the flash says why.
			s.setFlash(c, "error", "Your organisation signs you in through single sign-on, so a password is not used: nothing was changed.")
			return redirect(c, security.SettingsPath)
		}
		return err
	}
	notices := s.securityNotices(c)
	revoked, err := models.ChangePassword(c.UserContext(), tenantDB(c), me.UserID, me.SessionHash, post.Current, post.New, tenantOf(c).Name, notices)
	if models.WrongPassword(err) {
		if err := s.recordFailedSignIn(c, me.Email); err != nil {
			return err
		}
	}
	if _, ok := outlay.AsValidation(err); ok {
		_ = errs.Absorb(err)
		return refuse(http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.deliverNotices(c, notices)
	// This browser goes on in a new session: a copy of the old session's cookie, the reason
	// some change a password, is no longer signed in either.
	if err := s.startSession(c, me.UserID, methodPassword); err != nil {
		return err
	}
	s.setFlash(c, "success", "Your password is changed. Anywhere else you were signed in, you are signed out. "+revokedTokensNote(revoked))
	return redirect(c, security.SettingsPath)
}

// securityNotices writes the mails that tell a person of a change to how they sign in made by
// this request (models.SecurityNotices): from its address and browser, with the way to a new
// password should it not have been them.
func (s *Server) securityNotices(c *fiber.Ctx) *models.SecurityNotices {
	t, ip, browser := tenantOf(c), clientIP(c), c.Get(fiber.HeaderUserAgent)
	forgot := s.cfg.TenantURL(t.Slug, authviews.ForgotPath)
	return &models.SecurityNotices{Compose: func(u *models.User, e mail.SecurityEvent) mail.Message {
		e.IP, e.Browser = ip, browser
		return mail.SecurityNotice(u.Email, u.Name, t.Name, forgot, e)
	}}
}

// deliverNotices queues the delivery of the notices the request committed.
func (s *Server) deliverNotices(c *fiber.Ctx, n *models.SecurityNotices) {
	for _, id := range n.Queued {
		s.deliverMail(c, id)
	}
}

// revokedTokensNote says what a password change did to the person's API tokens.
func revokedTokensNote(n int) string {
	switch n {
	case 0:
		return "You had no API tokens in use, so none needed revoking."
	case 1:
		return "Your API token was revoked too: make a new one on the API tokens page for whatever used it."
	}
	return fmt.Sprintf("Your %d API tokens were revoked too: make new ones on the API tokens page for whatever used them.", n)
}

// enrolOwn turns on two-factor sign-in from the person's settings. It asks for their password
// as well as the app's first code: with a session alone, someone else could bind their own
// authenticator and lock the person out.
func (s *Server) enrolOwn(c *fiber.Ctx) error {
	me := currentUser(c)
	var post codePost
	bindForm(c, &post)
	confirmErrs := views.FieldErrors{}
	if status, err := s.confirmPasswordOrCode(c, "enrol-confirm", "turning two-factor sign-in on", confirmErrs); status != 0 || err != nil {
		if err != nil {
			return err
		}
		e, err := s.enrolForm(c, me.UserID, me.SessionHash, me.Email, security.SettingsPath+"/enrol", confirmErrs)
		if err != nil {
			return err
		}
		if code := strings.TrimSpace(post.Code); len(code) <= 7 {
			e.Code = code // the code was not checked: it may still be current
		}
		return s.renderSecurity(c, status, security.Settings{Enrol: e})
	}
	codes, err := models.ConfirmEnrolment(c.UserContext(), tenantDB(c), s.totp, me.UserID, me.SessionHash, me.Email, post.Code, time.Now())
	if v, ok := outlay.AsValidation(err); ok {
		e, err := s.enrolForm(c, me.UserID, me.SessionHash, me.Email, security.SettingsPath+"/enrol", v)
		if err != nil {
			return err
		}
		return s.renderSecurity(c, http.StatusUnprocessableEntity, security.Settings{Enrol: e})
	}
	if errors.Is(err, models.ErrTwoFactorEnabled) {
		return redirect(c, security.SettingsPath)
	}
	if err != nil {
		return err
	}
	return s.showNewCodes(c, codes)
}

// regenerateRecoveryCodes replaces the person's recovery codes after they prove who they are
// again, with their password or a code, as turning two-factor sign-in off does: new codes
// are a way in, so a session left open must not be enough to make them.
func (s *Server) regenerateRecoveryCodes(c *fiber.Ctx) error {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c)
	if tf, err := models.GetTwoFactor(ctx, db, me.UserID); err != nil || !tf.Enabled() {
		if err != nil {
			return err
		}
		return redirect(c, security.SettingsPath)
	}
	p := security.Settings{RecoveryErrors: views.FieldErrors{}}
	if status, err := s.confirmPasswordOrCode(c, "recovery-confirm", "making new recovery codes", p.RecoveryErrors); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return s.renderSecurity(c, status, p)
	}
	codes, err := models.RegenerateRecoveryCodes(ctx, db, me.UserID, me.Email)
	if errors.Is(err, outlay.ErrNotFound) {
		return redirect(c, security.SettingsPath)
	}
	if err != nil {
		return err
	}
	return s.showNewCodes(c, codes)
}

// disableOwnTwoFactor turns the person's second factor off after they prove who they are
// again, with their password or a code; failures count in the sign-in throttle. A person the
// organisation requires to use two factors cannot.
func (s *Server) disableOwnTwoFactor(c *fiber.Ctx) error {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c)
	p := security.Settings{Errors: views.FieldErrors{}}
	if required, err := models.TwoFactorRequired(ctx, db, me.UserID); err != nil {
		return err
	} else if required {
		s.setFlash(c, "error", "Your organisation requires two-factor sign-in, so it cannot be turned off.")
		return redirect(c, security.SettingsPath)
	}
	if status, err := s.confirmPasswordOrCode(c, "confirm", "turning two-factor sign-in off", p.Errors); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return s.renderSecurity(c, status, p)
	}
	notices := s.securityNotices(c)
	if err := models.DisableTwoFactor(ctx, db, me.UserID, me.Email, notices); err != nil && !errors.Is(err, outlay.ErrNotFound) {
		return err
	}
	s.deliverNotices(c, notices)
	s.setFlash(c, "success", "Two-factor sign-in is off. Sign-in now asks only for your password.")
	return redirect(c, security.SettingsPath)
}

// confirmPasswordOrCode asks a signed-in person to prove who they are again before a change a
// stolen session must not be enough for (their two-factor sign-in, their bank account): the
// form's "confirm" field holds their password, or, with two-factor sign-in on, a current code
// from their app or a recovery code. A refusal goes into errs under field, or under "" for
// the whole form while the account is throttled, and the status to answer it with is
// returned; 0 means confirmed. Wrong answers count in the sign-in throttle, and a wrong code
// is recorded as a failed code during where. A person with neither a password nor a second
// factor (who signs in only through single sign-on) has nothing to prove it with and is not
// asked.
func (s *Server) confirmPasswordOrCode(c *fiber.Ctx, field, where string, errs views.FieldErrors) (int, error) {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c)
	means, err := s.confirmationMeans(c)
	if err != nil || !means.any() {
		return 0, err
	}
	if status, err := s.throttledCode(c, me.Email, errs); status != 0 || err != nil {
		return status, err
	}
	var post struct {
		Confirm string `form:"confirm"` // the person's password or a current code, as typed
	}
	bindForm(c, &post)
	confirm := post.Confirm
	if strings.TrimSpace(confirm) == "" {
		errs[field] = means.ask()
		return http.StatusUnprocessableEntity, nil
	}
	ok := means.password && auth.CheckPassword(means.passwordHash, confirm)
	if !ok && means.code {
		_, err := models.VerifySecondFactor(ctx, db, s.totp, me.UserID, me.Email, confirm, time.Now())
		if err != nil && !errors.Is(err, models.ErrBadSecondFactor) {
			return 0, err
		}
		ok = err == nil
	}
	if !ok {
		if means.code {
			err = s.wrongCode(c, me.UserID, me.Email, where)
		} else {
			err = s.recordFailedSignIn(c, me.Email)
		}
		if err != nil {
			return 0, err
		}
		errs[field] = means.refuse()
		return http.StatusUnprocessableEntity, nil
	}
	// Proved now: the next minutes' changes that need it do not ask again (requireConfirmation).
	return 0, models.MarkSessionConfirmed(ctx, db, me.SessionHash)
}

// confirmation is what a signed-in person can prove who they are again with: their password
// (people who sign in only through single sign-on have none) and a code (with two-factor
// sign-in on).
type confirmation struct {
	password, code bool
	passwordHash   string
}

func (s *Server) confirmationMeans(c *fiber.Ctx) (confirmation, error) {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c)
	u, err := models.FindUserByEmail(ctx, db, me.Email)
	if err != nil {
		return confirmation{}, err
	}
	tf, err := models.GetTwoFactor(ctx, db, me.UserID)
	if err != nil {
		return confirmation{}, err
	}
	return confirmation{password: u.PasswordHash != "", code: tf.Enabled(), passwordHash: u.PasswordHash}, nil
}

func (m confirmation) any() bool { return m.password || m.code }

// ask is the message beside an empty confirmation field.
func (m confirmation) ask() string {
	switch {
	case m.password && m.code:
		return "Enter your password or a code from your app."
	case m.password:
		return "Enter your password."
	}
	return "Enter a code from your app."
}

// refuse is the message beside a wrong answer.
func (m confirmation) refuse() string {
	switch {
	case m.password && m.code:
		return "That is neither your password nor a current code. Try again."
	case m.password:
		return "That is not your password. Try again."
	}
	return "That is not a current code from your app. Try again."
}

// securityAdminPage is the organisation's two-factor policy.
func (s *Server) securityAdminPage(c *fiber.Ctx) error {
	st, err := models.GetTwoFactorSettings(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	return s.renderSecurityAdmin(c, http.StatusOK, security.Admin{Required: st.Required, AllowRemember: st.AllowRemember, Errors: views.FieldErrors{}}, st.Roles)
}

func (s *Server) renderSecurityAdmin(c *fiber.Ctx, status int, p security.Admin, chosen []string) error {
	ctx, db := c.UserContext(), tenantDB(c)
	roles, err := models.RoleSummaries(ctx, db)
	if err != nil {
		return err
	}
	for _, r := range roles {
		p.Roles = append(p.Roles, security.RoleChoice{Name: r.Name, Label: r.Label, Chosen: slices.Contains(chosen, r.Name)})
	}
	if p.Enrolled, p.Active, err = models.CountTwoFactor(ctx, db); err != nil {
		return err
	}
	p.CSRFToken, p.CanUpdate = s.csrfToken(c), s.can(c, securityUpdate)
	return s.render(c, status, page{Title: "Sign-in security", Nav: security.AdminPath, Content: security.AdminPage(p)})
}

func (s *Server) updateSecurityPolicy(c *fiber.Ctx) error {
	var post struct {
		Required      string   `form:"required"`
		Roles         []string `form:"roles"`
		AllowRemember bool     `form:"allow_remember"`
	}
	bindForm(c, &post)
	required, roles, remember := post.Required, post.Roles, post.AllowRemember
	err := models.UpdateTwoFactorSettings(c.UserContext(), tenantDB(c), grantor(c), required, roles, remember)
	if v, ok := outlay.AsValidation(err); ok {
		return s.renderSecurityAdmin(c, http.StatusUnprocessableEntity,
			security.Admin{Required: required, AllowRemember: remember, Errors: v}, roles)
	}
	if err != nil {
		return err
	}
	msg := "Two-factor policy saved."
	if required != models.TwoFactorOptional {
		msg += " Anyone it requires a second factor of who has none is taken to set one up at their next click."
	}
	s.setFlash(c, "success", msg)
	return redirect(c, security.AdminPath)
}

// resetUserTwoFactor is an admin's recovery for a person who lost their phone and recovery
// codes: their second factor is deleted, their sessions and API tokens end, and they enrol
// again at their next sign-in. The admin confirms it's them first (the route is confirmed),
// and cannot reset their own this way (models.ResetTwoFactor).
// twoFactorResetRefused shows the person's page again, its reset's confirmation refused
// (requireConfirmation) beside the reset form's field.
func (s *Server) twoFactorResetRefused(c *fiber.Ctx, status int) error {
	return s.userFormRefused(c, status, "reset-confirm")
}

// signOutEverywhereRefused shows the person's page again, the confirmation of signing them
// out everywhere refused beside that form's field.
func (s *Server) signOutEverywhereRefused(c *fiber.Ctx, status int) error {
	return s.userFormRefused(c, status, "sign-out-confirm")
}

// userFormRefused shows the person's admin page again, with the refused confirmation beside
// the field named field, not beside the page's other confirmed form.
func (s *Server) userFormRefused(c *fiber.Ctx, status int, field string) error {
	d, err := userFromPath(c)
	if err != nil {
		return err
	}
	stateOf(c).confirmRefusedField = field
	return s.renderUser(c, status, d, nil)
}

func (s *Server) resetUserTwoFactor(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	back := users.ListPath + "/" + strconv.FormatInt(id, 10)
	notices := s.securityNotices(c)
	err = models.ResetTwoFactor(c.UserContext(), tenantDB(c), grantor(c), id, notices)
	if refused, answer := s.personRefused(c, err, "two_factor", id); refused {
		return answer
	}
	if err != nil {
		return err
	}
	s.deliverNotices(c, notices)
	s.setFlash(c, "success", "Two-factor sign-in was reset: every session and API token of theirs has ended, and they set it up again at their next sign-in. They are told by email.")
	return redirect(c, back)
}
