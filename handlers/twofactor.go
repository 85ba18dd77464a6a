package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/auth"
	"outlay/models"
	"outlay/views"
	authviews "outlay/views/auth"
	"outlay/views/dashboard"
	"outlay/views/security"
)

// First factors, as sign-in events and half-signed-in states name them.
const (
	methodPassword = models.SessionMethodPassword
	methodReset    = models.SessionMethodReset
	methodSSO      = models.SessionMethodSSO
)

// rememberFor is how long "remember this browser" skips the code.
const rememberFor = 30 * 24 * time.Hour

// twoFactorStep is where a sign-in whose first factor is proven (a password, a reset link, or
// SSO for the break-glass admin) turns to the second factor, before any session exists. It
// returns true when it answered the request: the browser is now half signed in and sent to the
// code form, or to enrolment when the organisation requires two factors of a person who has
// none (or an admin reset theirs). Otherwise the caller signs the person in as before.
//
// Single sign-on is exempt, since the identity provider owns the second factor, except for
// the break-glass admin, who is never exempt.
func (s *Server) twoFactorStep(c *fiber.Ctx, u *models.User, method, next string) (bool, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	if method == methodSSO {
		if bg, err := models.IsBreakGlassAdmin(ctx, db, u.ID); err != nil || !bg {
			return false, err
		}
	}
	tf, err := models.GetTwoFactor(ctx, db, u.ID)
	if err != nil {
		return false, err
	}
	kind := models.ChallengeCode
	switch {
	case tf.Enabled():
		if ok, err := s.rememberedBrowser(c, u.ID, tf); err != nil || ok {
			return false, err
		}
	case tf.MustEnrolAgain():
		kind = models.ChallengeEnrol
	default:
		required, err := models.TwoFactorRequired(ctx, db, u.ID)
		if err != nil || !required {
			return false, err
		}
		kind = models.ChallengeEnrol
	}
	token, err := models.CreateTwoFactorChallenge(ctx, db, u.ID, kind, method, next)
	if err != nil {
		return false, err
	}
	s.setCookie(c, s.cookies.twoFactor, token, models.TwoFactorChallengeTTL)
	if kind == models.ChallengeEnrol {
		return true, redirect(c, security.EnrolPath)
	}
	return true, redirect(c, security.CodePath)
}

// pendingSignIn is the half-signed-in state of this browser, which only the code form and
// sign-in enrolment read; every other route sees a signed-out visitor. When there is none
// (expired, used, or the person was deactivated meanwhile) the browser is sent to sign in.
func (s *Server) pendingSignIn(c *fiber.Ctx, kind string) (*models.TwoFactorChallenge, *models.User, string, error) {
	token := c.Cookies(s.cookies.twoFactor)
	ch, u, err := models.LookupTwoFactorChallenge(c.UserContext(), tenantDB(c), token)
	if errors.Is(err, outlay.ErrNotFound) {
		s.clearCookie(c, s.cookies.twoFactor)
		s.setFlash(c, "info", "Your sign-in took too long or was already finished. Sign in again.")
		return nil, nil, "", redirect(c, authviews.LoginPath)
	}
	if err != nil {
		return nil, nil, "", err
	}
	if ch.Kind != kind {
		if ch.Kind == models.ChallengeEnrol {
			return nil, nil, "", redirect(c, security.EnrolPath)
		}
		return nil, nil, "", redirect(c, security.CodePath)
	}
	return ch, u, token, nil
}

func (s *Server) allowRemember(c *fiber.Ctx) (bool, error) {
	st, err := models.GetTwoFactorSettings(c.UserContext(), tenantDB(c))
	if err != nil {
		return false, err
	}
	return st.AllowRemember, nil
}

// rememberedFor names what a remembered browser was remembered for: the tenant, the person
// and their authenticator (by its confirmation time), so that a reset or a new enrolment
// forgets every remembered browser.
func rememberedFor(c *fiber.Ctx, userID int64, tf *models.TwoFactor) string {
	return fmt.Sprintf("%s|%d|%d", tenantOf(c).Slug, userID, tf.ConfirmedAt.UnixMicro())
}

// rememberedBrowser reports whether this browser was remembered for the person within 30
// days, and the organisation still lets browsers be remembered.
func (s *Server) rememberedBrowser(c *fiber.Ctx, userID int64, tf *models.TwoFactor) (bool, error) {
	raw, ok := s.signer.Open("2fa-remember", c.Cookies(s.cookies.remember))
	what, when, found := strings.Cut(raw, "@")
	untilText, atText, _ := strings.Cut(when, "@")
	until, err := strconv.ParseInt(untilText, 10, 64)
	if !ok || !found || err != nil || time.Now().Unix() >= until || what != rememberedFor(c, userID, tf) {
		return false, nil
	}
	// When it was remembered, to the millisecond (a cookie made before this was kept says only
	// until when, in seconds).
	at := time.Unix(until, 0).Add(-rememberFor)
	if ms, err := strconv.ParseInt(atText, 10, 64); err == nil {
		at = time.UnixMilli(ms)
	}
	st, err := models.GetTwoFactorSettings(c.UserContext(), tenantDB(c))
	if err != nil {
		return false, err
	}
	return st.Remembers(at), nil
}

func (s *Server) rememberBrowser(c *fiber.Ctx, userID int64) error {
	tf, err := models.GetTwoFactor(c.UserContext(), tenantDB(c), userID)
	if err != nil || !tf.Enabled() {
		return err
	}
	now := time.Now()
	value := rememberedFor(c, userID, tf) + "@" + strconv.FormatInt(now.Add(rememberFor).Unix(), 10) + "@" + strconv.FormatInt(now.UnixMilli(), 10)
	s.setCookie(c, s.cookies.remember, s.signer.Seal("2fa-remember", value), rememberFor)
	return nil
}

// finishTwoFactorSignIn starts the session of a person who gave their second factor.
func (s *Server) finishTwoFactorSignIn(c *fiber.Ctx, u *models.User, ch *models.TwoFactorChallenge, second string) error {
	s.clearCookie(c, s.cookies.twoFactor)
	// Only now are the account's failed attempts forgotten (and the browser remembered as the
	// person's device): a right password alone must not reset the count of wrong codes.
	bypassed, _ := c.Locals(deviceThrottleScope{}).(string)
	res, err := models.FinishSignIn(c.UserContext(), tenantDB(c), s.signInPolicy(), u, s.browserOf(c), bypassed,
		map[string]any{"method": ch.Method, "second_factor": second})
	if errors.Is(err, models.ErrBadCredentials) { // deactivated, or the password changed, meanwhile
		return redirect(c, authviews.LoginPath)
	}
	if err != nil {
		return err
	}
	s.signedIn(c, res)
	return nil
}

// throttledCode refuses a code while the account or address is throttled, like a password.
func (s *Server) throttledCode(c *fiber.Ctx, email string, errs views.FieldErrors) (int, error) {
	var throttled *models.ErrThrottled
	err := s.checkSignInThrottle(c, email)
	if errors.As(err, &throttled) {
		errs[""] = throttleMessage(throttled)
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(throttled.RetryAfter.Seconds())))
		return http.StatusTooManyRequests, nil
	}
	return 0, err
}

// wrongCode counts a failed code in the sign-in throttle and records it.
func (s *Server) wrongCode(c *fiber.Ctx, userID int64, email, where string) error {
	if err := s.recordFailedSignIn(c, email); err != nil {
		return err
	}
	return s.recordAs(c, userID, email, models.EventTwoFactorCodeFailed, email, map[string]any{"during": where})
}

const wrongCodeMessage = "That code is not right, or was already used. Enter the code your app shows now, or a recovery code."

// codeStep reads the half-signed-in state that waits for a code, and the form that asks for
// it. With no such state it has answered the request and returns a nil user.
func (s *Server) codeStep(c *fiber.Ctx) (*models.TwoFactorChallenge, *models.User, string, security.Code, error) {
	ch, u, token, err := s.pendingSignIn(c, models.ChallengeCode)
	if u == nil {
		return nil, nil, "", security.Code{}, err
	}
	remember, err := s.allowRemember(c)
	f := security.Code{Email: u.Email, AllowRemember: remember, Errors: views.FieldErrors{}}
	return ch, u, token, f, err
}

func (s *Server) twoFactorPage(c *fiber.Ctx) error {
	_, u, _, f, err := s.codeStep(c)
	if u == nil || err != nil {
		return err
	}
	return s.renderCodePage(c, http.StatusOK, f)
}

func (s *Server) renderCodePage(c *fiber.Ctx, status int, f security.Code) error {
	f.CSRFToken = s.csrfToken(c)
	return s.renderAuth(c, status, page{Title: "Two-factor sign-in", Content: security.CodePage(f)})
}

func (s *Server) twoFactorVerify(c *fiber.Ctx) error {
	ch, u, token, f, err := s.codeStep(c)
	if u == nil || err != nil {
		return err
	}
	var post struct {
		Remember bool   `form:"remember"`
		Code     string `form:"code,trim"`
	}
	bindForm(c, &post)
	f.Remember = post.Remember
	if status, err := s.throttledCode(c, u.Email, f.Errors); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return s.renderCodePage(c, status, f)
	}
	code := post.Code
	if code == "" {
		f.Errors["code"] = "Enter the code from your authenticator app."
		return s.renderCodePage(c, http.StatusUnprocessableEntity, f)
	}
	second, err := models.VerifySecondFactor(actingAs(c, u.ID, u.Email), tenantDB(c), s.totp, u.ID, u.Email, code, time.Now())
	if errors.Is(err, models.ErrBadSecondFactor) {
		if err := s.wrongCode(c, u.ID, u.Email, "sign-in"); err != nil {
			return err
		}
		f.Errors["code"] = wrongCodeMessage
		return s.renderCodePage(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	if ended, err := models.EndTwoFactorChallenge(c.UserContext(), tenantDB(c), token); err != nil || !ended {
		if err == nil {
			err = redirect(c, authviews.LoginPath)
		}
		return err
	}
	if f.Remember && f.AllowRemember {
		if err := s.rememberBrowser(c, u.ID); err != nil {
			return err
		}
	}
	if err := s.finishTwoFactorSignIn(c, u, ch, second); err != nil {
		return err
	}
	if second == models.MethodRecoveryCode {
		s.setFlash(c, "info", "You signed in with a recovery code, which now cannot be used again. If you lost your phone, make new recovery codes under Security.")
	}
	if ch.Next != "" {
		return redirect(c, ch.Next)
	}
	return redirect(c, dashboard.Path)
}

// enrolForm is the enrolment form with the secret of the person's enrolment in progress in
// holder (the session's, or the half-finished sign-in's, digest: models.BeginEnrolment).
func (s *Server) enrolForm(c *fiber.Ctx, userID int64, holder []byte, email, action string, errs views.FieldErrors) (*security.Enrol, error) {
	if s.totp == nil {
		return nil, errors.New("OUTLAY_SECRET_KEY is not set: two-factor secrets cannot be stored")
	}
	secret, err := models.BeginEnrolment(c.UserContext(), tenantDB(c), s.totp, userID, holder)
	if err != nil {
		return nil, err
	}
	qr, err := security.QRCode(auth.TOTPURI("Outlay "+tenantOf(c).Name, email, secret))
	if err != nil {
		return nil, err
	}
	return &security.Enrol{CSRFToken: s.csrfToken(c), Action: action, QR: qr, Secret: secret, Errors: errs, Tenant: tenantOf(c).Name}, nil
}

func (s *Server) renderSignInEnrol(c *fiber.Ctx, status int, u *models.User, ch *models.TwoFactorChallenge, errs views.FieldErrors) error {
	e, err := s.enrolForm(c, u.ID, ch.IDHash, u.Email, security.EnrolPath, errs)
	if errors.Is(err, models.ErrTwoFactorEnabled) {
		return s.enrolledMeanwhile(c)
	}
	if err != nil {
		return err
	}
	tf, err := models.GetTwoFactor(c.UserContext(), tenantDB(c), u.ID)
	if err != nil {
		return err
	}
	e.Required, e.Reset, e.ResetByAdmin = true, tf.MustEnrolAgain(), tf.MustEnrolAgain() && tf.ResetByAdmin
	return s.renderAuth(c, status, page{Title: "Set up two-factor sign-in", Content: security.EnrolPage(*e)})
}

// enrolledMeanwhile answers a sign-in enrolment of a person who turned two-factor sign-in on
// elsewhere in the meantime: the half-signed-in state ends, and they sign in with a code.
func (s *Server) enrolledMeanwhile(c *fiber.Ctx) error {
	if _, err := models.EndTwoFactorChallenge(c.UserContext(), tenantDB(c), c.Cookies(s.cookies.twoFactor)); err != nil {
		return err
	}
	s.clearCookie(c, s.cookies.twoFactor)
	s.setFlash(c, "info", "Two-factor sign-in is already on for your account. Sign in again, with a code from your app.")
	return redirect(c, authviews.LoginPath)
}

func (s *Server) twoFactorEnrolPage(c *fiber.Ctx) error {
	ch, u, _, err := s.pendingSignIn(c, models.ChallengeEnrol)
	if u == nil {
		return err
	}
	return s.renderSignInEnrol(c, http.StatusOK, u, ch, views.FieldErrors{})
}

func (s *Server) twoFactorEnrol(c *fiber.Ctx) error {
	ch, u, token, err := s.pendingSignIn(c, models.ChallengeEnrol)
	if u == nil {
		return err
	}
	errs := views.FieldErrors{}
	if status, err := s.throttledCode(c, u.Email, errs); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return s.renderSignInEnrol(c, status, u, ch, errs)
	}
	var post codePost
	bindForm(c, &post)
	codes, err := models.ConfirmEnrolment(actingAs(c, u.ID, u.Email), tenantDB(c), s.totp, u.ID, ch.IDHash, u.Email, post.Code, time.Now())
	if errors.Is(err, models.ErrTwoFactorEnabled) {
		return s.enrolledMeanwhile(c)
	}
	if v, ok := outlay.AsValidation(err); ok {
		if !models.EnrolmentReplaced(err) {
			if err := s.wrongCode(c, u.ID, u.Email, "enrolment"); err != nil {
				return err
			}
		}
		return s.renderSignInEnrol(c, http.StatusUnprocessableEntity, u, ch, v)
	}
	if err != nil {
		return err
	}
	if ended, err := models.EndTwoFactorChallenge(c.UserContext(), tenantDB(c), token); err != nil || !ended {
		if err == nil {
			err = redirect(c, authviews.LoginPath)
		}
		return err
	}
	if err := s.finishTwoFactorSignIn(c, u, ch, models.MethodAuthenticator); err != nil {
		return err
	}
	next := ch.Next
	if next == "" {
		next = dashboard.Path
	}
	return s.renderAuth(c, http.StatusOK, page{Title: "Two-factor sign-in is on", Content: security.SignedInCodes(recoveryCodes(codes, next))})
}

// recoveryCodes is the one-time display of codes, with a download of them as a text file
// made in the page itself: the codes are never stored, so they cannot be fetched again.
func recoveryCodes(codes []string, next string) security.RecoveryCodes {
	text := "Outlay recovery codes. Each signs you in once if you lose your phone.\n\n" + strings.Join(codes, "\n") + "\n"
	return security.RecoveryCodes{Codes: codes, Continue: next,
		Download: "data:text/plain;charset=utf-8," + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")}
}
