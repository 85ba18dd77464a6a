package handlers

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/views"
	"outlay/views/notifications"
)

// notificationPrefsPage is the person's own choice, kind by kind, of how they are told.
func (s *Server) notificationPrefsPage(c *fiber.Ctx) error {
	prefs, err := models.NotificationPreferences(c.UserContext(), tenantDB(c), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return s.renderNotificationPrefs(c, http.StatusOK, prefs, views.FieldErrors{})
}

func (s *Server) renderNotificationPrefs(c *fiber.Ctx, status int, prefs map[string]string, errs views.FieldErrors) error {
	p := notifications.Prefs{CSRFToken: s.csrfToken(c), Errors: errs, ReadOnly: readOnly(c)}
	for _, k := range models.NotificationKinds {
		p.Items = append(p.Items, notifications.Pref{Kind: k.Kind, Label: k.Label, Delivery: prefs[k.Kind]})
	}
	return s.render(c, status, page{Title: "Notification preferences", Nav: notifications.PrefsPath, Content: notifications.PrefsPage(p)})
}

// updateNotificationPrefs records the person's choices; a bad one is shown beside its kind,
// with every other choice as they made it.
func (s *Server) updateNotificationPrefs(c *fiber.Ctx) error {
	var post namedFields
	bindForm(c, &post)
	choices := map[string]string{}
	for _, k := range models.NotificationKinds {
		if v := post.Values[k.Kind]; v != "" {
			choices[k.Kind] = v
		}
	}
	err := models.SetNotificationPreferences(c.UserContext(), tenantDB(c), currentUser(c).UserID, choices)
	if v, ok := outlay.AsValidation(err); ok {
		prefs, err := models.NotificationPreferences(c.UserContext(), tenantDB(c), currentUser(c).UserID)
		if err != nil {
			return err
		}
		for k, d := range choices {
			prefs[k] = d
		}
		return s.renderNotificationPrefs(c, http.StatusUnprocessableEntity, prefs, v)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", "Your notification preferences are saved.")
	return redirect(c, notifications.PrefsPath)
}
