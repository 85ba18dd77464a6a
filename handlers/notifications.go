package handlers

import (
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/views"
	"outlay/views/notifications"
)

// Each person sees and marks only their own notifications: every query names the signed-in
// person as the recipient. Marking one read is not audited: it changes nothing of the
// organisation's, only what the person's own bell counts.

func notificationsPageURL(page int) string {
	if page <= 1 {
		return notifications.Path
	}
	return notifications.Path + "?page=" + strconv.Itoa(page)
}

// notificationsPage lists the person's notifications, newest first, a page at a time.
func (s *Server) notificationsPage(c *fiber.Ctx) error {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c)
	_, pg := listQuery(c)
	p, err := fetchPage(&pg, notifications.PerPage, func(offset int) (models.NotificationPage, error) {
		return models.ListNotifications(ctx, db, me.UserID, offset, notifications.PerPage)
	}, func(p models.NotificationPage) (int, int) { return len(p.Rows), int(p.Total) })
	if err != nil {
		return err
	}
	l := notifications.List{CSRFToken: s.csrfToken(c), Unread: me.Unread, ExportURL: exportURL(c, notifications.Path),
		Pager: views.Pagination{Page: pg, PerPage: notifications.PerPage, Total: int(p.Total), URL: notificationsPageURL, Target: notifications.ListID}}
	for _, n := range p.Rows {
		l.Items = append(l.Items, notificationItem(n))
	}
	return s.render(c, http.StatusOK, page{Title: "Notifications", Content: notifications.Page(l),
		Partials: partials{notifications.ListID: notifications.Results(l)}, PushURL: notificationsPageURL(pg)})
}

// notificationExport exports the person's own notifications, newest first.
var notificationExport = &listExport{name: "notifications",
	columns: cols("id", "ID", "title", "Title", "summary", "Summary", "created_at", "Received", "read_at", "Read"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c).UserID
		return func(emit func(...any) error) (int, error) {
			return models.EachNotification(ctx, db, me, func(n models.Notification) error {
				return emit(n.ID, n.Title, n.Summary, n.CreatedAt, n.ReadAt)
			})
		}, nil
	},
}

func notificationItem(n models.Notification) notifications.Item {
	return notifications.Item{ID: n.ID, Title: n.Title, Summary: n.Summary,
		When: n.CreatedAt.UTC().Format("2 Jan 2006, 15:04 UTC"), Read: n.ReadAt != nil}
}

// notificationsBell is the bell alone, which it asks for every 30 seconds.
func (s *Server) notificationsBell(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.renderBell(c, false)
}

// renderBell writes the person's bell with its unread count; oob to refresh it from the
// response to an action.
func (s *Server) renderBell(c *fiber.Ctx, oob bool) error {
	n, err := models.UnreadNotifications(c.UserContext(), tenantDB(c), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return sendHTML(c, views.Bell(n, oob))
}

// markNotificationRead marks one of the person's notifications read; htmx gets the row back
// with the bell. Someone else's is not found, exactly as one that does not exist.
func (s *Server) markNotificationRead(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.NotFound("That notification does not exist.")
	}
	n, err := models.MarkNotificationRead(c.UserContext(), tenantDB(c), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	if n == nil {
		return outlay.NotFound("That notification does not exist.")
	}
	if !isHTMX(c) {
		return redirect(c, notifications.Path)
	}
	it := notificationItem(*n)
	it.JustRead = true
	if err := sendHTML(c, notifications.Row(s.csrfToken(c), it)); err != nil {
		return err
	}
	return s.renderBell(c, true)
}

// followNotification is where a notification's link leads: it marks the notification read and
// goes on to its document. A document the person may no longer open (withdrawn while it
// waited for them, or out of their sight since) would answer "not found", so they come back
// to their notifications told why, in no more words than the notification itself said.
func (s *Server) followNotification(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.NotFound("That notification does not exist.")
	}
	f, err := models.FollowNotification(c.UserContext(), tenantDB(c), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	if f == nil {
		return outlay.NotFound("That notification does not exist.")
	}
	if f.Opens {
		return redirect(c, f.LinkPath)
	}
	s.setFlash(c, "info", notificationGone(f))
	return redirect(c, notifications.Path)
}

// notificationGone says why a notification's document no longer opens for its recipient.
func notificationGone(f *models.FollowedNotification) string {
	switch {
	case f.Name == "":
		return "You can no longer open that document."
	case f.Ended == models.RouteWithdrawn:
		return f.Name + " was withdrawn; nothing waits for you there."
	case f.Ended == models.RouteCancelled:
		return f.Name + " was cancelled; nothing waits for you there."
	}
	return "You can no longer open " + f.Name + "."
}

// markAllNotificationsRead marks every one of the person's notifications read.
func (s *Server) markAllNotificationsRead(c *fiber.Ctx) error {
	if err := models.MarkAllNotificationsRead(c.UserContext(), tenantDB(c), currentUser(c).UserID); err != nil {
		return err
	}
	s.setFlash(c, "success", "Every notification is marked read.")
	return redirect(c, notifications.Path)
}
