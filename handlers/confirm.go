package handlers

import (
	"net/http"
	"net/url"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay/models"
	"outlay/views"
	"outlay/views/dashboard"
	"outlay/views/security"
)

// "Confirm it's you": changes a stolen session must not be enough for (adding or editing a
// sign-in provider, making an API token, resetting someone's second factor) need the person
// to have proved who they are, with their password or a current code, within the last
// models.ConfirmationWindow. Such routes are marked where they are registered
// (Route.confirmed); the proof is a timestamp on the session, so one confirmation covers
// every such change for a few minutes. A person with neither a password nor a second factor
// (who signs in only through single sign-on) has nothing to prove it with here and is not
// asked, as confirmPasswordOrCode does.

// requireConfirmation lets a marked route through when the session was confirmed recently,
// or when the form itself carries a right answer in its "confirm" field (the forms of such
// changes offer one while the session is not confirmed). Otherwise refused shows the route's
// form again as it was filled in, with the refusal beside its "confirm" field (confirmField
// reads it), so that nothing typed is lost; a route with no form of its own answers with the
// "Confirm it's you" page, which leads back to the page the form was on.
func (s *Server) requireConfirmation(refused confirmRefused) fiber.Handler {
	return func(c *fiber.Ctx) error {
		me := currentUser(c)
		if me == nil || len(me.SessionHash) == 0 {
			return c.Next() // the guard before this one answered signed-out requests
		}
		if ok, err := s.confirmedRecently(c); err != nil || ok {
			if err != nil {
				return err
			}
			return c.Next()
		}
		if c.Method() == fiber.MethodGet {
			return redirect(c, security.ConfirmPath+"?next="+url.QueryEscape(c.OriginalURL()))
		}
		errs := views.FieldErrors{}
		status := http.StatusForbidden
		// The form offered the field (even left empty), or the answer came some other way.
		if (formSource{c: c, used: map[string]int{}}).all("confirm") != nil {
			st, err := s.confirmPasswordOrCode(c, "confirm", "confirming it's them", errs)
			if err != nil {
				return err
			}
			if st == 0 {
				return c.Next()
			}
			status = st
		}
		msg := errs["confirm"]
		if msg == "" {
			msg = errs[""] // too many wrong answers: wait
		}
		if refused != nil {
			if msg == "" {
				// The form was shown while the session was confirmed, and the confirmation
				// ran out before it was sent: it comes back asking for it.
				msg = "Confirm it's you to make this change: enter your password or a code from your app, then send the form again."
				status = http.StatusUnprocessableEntity
			}
			stateOf(c).confirmRefusal = msg
			return refused(c, status)
		}
		if len(errs) == 0 {
			errs[""] = "Confirm it's you to make this change: enter your password or a code from your app, then make it again."
		}
		return s.renderConfirm(c, status, sameSiteReferer(c, dashboard.Path), errs)
	}
}

// confirmRefused shows a confirmed route's form again, with status, as the person filled it
// in (secrets aside, which they type again): its "confirm" field (confirmField) carries the
// refusal, and the form's own message says to correct the fields marked.
type confirmRefused func(c *fiber.Ctx, status int) error

// confirmedRecently reports whether the session may make a change that needs confirmation
// without asking: it was confirmed recently, or its person has nothing to confirm with.
func (s *Server) confirmedRecently(c *fiber.Ctx) (bool, error) {
	means, err := s.confirmationMeans(c)
	if err != nil || !means.any() {
		return true, err
	}
	return models.SessionConfirmedRecently(c.UserContext(), tenantDB(c), currentUser(c).SessionHash)
}

// confirmField is the "confirm" field a form of a change that needs confirmation shows while
// the session is not confirmed, or nil. id names it on the page; when requireConfirmation
// refused the form's answer, the refusal is beside it.
func (s *Server) confirmField(c *fiber.Ctx, id string) (templ.Component, error) {
	if ok, err := s.confirmedRecently(c); err != nil || ok {
		return nil, err
	}
	means, err := s.confirmationMeans(c)
	if err != nil {
		return nil, err
	}
	errs := views.FieldErrors{}
	if st := stateOf(c); st.confirmRefusal != "" && (st.confirmRefusedField == "" || st.confirmRefusedField == id) {
		errs[id] = st.confirmRefusal
	}
	return security.ConfirmField(id, "to make this change", means.password, means.code, errs), nil
}

func (s *Server) renderConfirm(c *fiber.Ctx, status int, next string, errs views.FieldErrors) error {
	means, err := s.confirmationMeans(c)
	if err != nil {
		return err
	}
	p := security.ConfirmIdentity{CSRFToken: s.csrfToken(c), Next: next, PasswordSet: means.password, CodeSet: means.code,
		Minutes: int(models.ConfirmationWindow.Minutes()), Errors: errs}
	return s.render(c, status, page{Title: "Confirm it's you", Nav: security.SettingsPath, Content: security.ConfirmPage(p)})
}

// confirmPage is the "Confirm it's you" page on its own.
func (s *Server) confirmPage(c *fiber.Ctx) error {
	return s.renderConfirm(c, http.StatusOK, safeNext(c.Query("next")), views.FieldErrors{})
}

// confirmIdentity checks the person's password or code, notes the confirmation on the
// session, and goes back to where the person was.
func (s *Server) confirmIdentity(c *fiber.Ctx) error {
	var post struct {
		Next string `form:"next"`
	}
	bindForm(c, &post)
	next := safeNext(post.Next)
	errs := views.FieldErrors{}
	if status, err := s.confirmPasswordOrCode(c, "confirm", "confirming it's them", errs); status != 0 || err != nil {
		if err != nil {
			return err
		}
		return s.renderConfirm(c, status, next, errs)
	}
	if next == "" {
		next = security.SettingsPath
	}
	return redirect(c, next)
}

// sameSiteReferer is the page of this organisation a request was sent from, or fallback.
func sameSiteReferer(c *fiber.Ctx, fallback string) string {
	if ref, err := url.Parse(c.Get(fiber.HeaderReferer)); err == nil && ref.Host == requestHost(c) {
		if p := safeNext(ref.RequestURI()); p != "" {
			return p
		}
	}
	return fallback
}
