package models

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Notification is one thing a person is told in the app: the bell counts the unread ones.
// Notifications are written only by Notifier.queue, beside the mail of the same event.
type Notification struct {
	ID          int64
	RecipientID int64
	Kind        string
	DocType     string
	DocID       int64
	Title       string
	Summary     string
	LinkPath    string
	CreatedAt   time.Time
	ReadAt      *time.Time
	// DigestPending marks a notification its recipient reads in the daily digest, until the
	// digest (DigestID) lists it.
	DigestPending bool
	DigestID      *int64
}

// mayOpen reports whether person userID may open the document s names: their roles may read
// its kind, and the document is visible to them. Nobody is told about a document they may
// not see.
func mayOpen(tx *gorm.DB, s docSummary, userID int64) (bool, error) {
	ok, _, err := mayOpenDelivered(tx, s, userID, "")
	return ok, err
}

// mayOpenDelivered is mayOpen, with how the person asked to be told of notices of kind
// (DeliverInstantly when they did not say), read in the same statement as their roles.
func mayOpenDelivered(tx *gorm.DB, s docSummary, userID int64, kind string) (bool, string, error) {
	k, ok := FindDocumentKind(s.DocType)
	if !ok {
		return false, "", nil
	}
	// The person's roles, what they allow and their choice of delivery, in one statement;
	// with whether the document is their own, which they see whatever their roles (the
	// requester told of a decision), so that only someone else's sight of it needs a second.
	own := "false"
	if k.Visibility == VisibleToOwnerAndRoute {
		own = "EXISTS (SELECT 1 FROM " + k.Table + " WHERE " + k.Table + ".id = @doc AND " + k.ownedByMe() + ")"
	}
	var perms struct {
		Roles        string
		Read, SeeAll bool
		Delivery     string
		Own          bool
	}
	err := tx.Raw(`WITH mine AS (SELECT role FROM user_roles WHERE user_id = @user)
		SELECT (SELECT string_agg(role, ',' ORDER BY role) FROM mine) AS roles,
		(SELECT delivery FROM notification_preferences WHERE user_id = @user AND kind = @kind) AS delivery,
		EXISTS (SELECT 1 FROM casbin_rule WHERE ptype = 'p' AND (v0 = '' OR v0 IN (SELECT role FROM mine)) AND v1 = @read_obj AND v2 = @read_act) AS read,
		EXISTS (SELECT 1 FROM casbin_rule WHERE ptype = 'p' AND (v0 = '' OR v0 IN (SELECT role FROM mine)) AND v1 = @all_obj AND v2 = @all_act) AS see_all,
		`+own+` AS own`,
		sql.Named("user", userID), sql.Named("me", userID), sql.Named("doc", s.DocID), sql.Named("read_obj", k.Read.Object), sql.Named("read_act", k.Read.Action),
		sql.Named("all_obj", k.SeeAll.Object), sql.Named("all_act", k.SeeAll.Action), sql.Named("kind", kind)).Scan(&perms).Error
	if err != nil {
		return false, "", err
	}
	delivery := cmp.Or(perms.Delivery, DeliverInstantly)
	var roles []string
	if perms.Roles != "" {
		roles = strings.Split(perms.Roles, ",")
	}
	if !perms.Read && k.Visibility == VisibleToReadersAndOriginOwner {
		// The owner of the document it was made from opens it under that kind's permission
		// (a requester, the order made from their requisition); visibility keeps it theirs.
		if o, ok := FindDocumentKind(k.Origin.Type); ok {
			err = tx.Raw(`SELECT EXISTS (SELECT 1 FROM casbin_rule WHERE ptype = 'p' AND v0 IN ? AND v1 = ? AND v2 = ?)`,
				append(roles, ""), o.Read.Object, o.Read.Action).Scan(&perms.Read).Error
			if err != nil {
				return false, "", err
			}
		}
	}
	if !perms.Read || perms.Own {
		return perms.Read, delivery, nil
	}
	v := Viewer{UserID: userID, Roles: roles}
	if perms.SeeAll {
		v.SeeAllKinds = []string{k.Type}
	}
	var n int64
	err = tx.Table(k.Table).Scopes(k.visible(v)).Where(k.Table+".id = ?", s.DocID).Count(&n).Error
	return n > 0, delivery, err
}

// resolveWaiting marks read every unread "waits for your approval" notification of a
// document: once its step is decided (or the document leaves approval) it waits for nobody.
func resolveWaiting(tx *gorm.DB, docType string, docID int64) error {
	return tx.Exec(resolveWaitingSQL, sql.Named("doc_type", docType), sql.Named("doc_id", docID)).Error
}

// resolveWaitingSQL is resolveWaiting's statement; DecideStep sends it with the step it reads.
const resolveWaitingSQL = `UPDATE notifications SET read_at = now()
	WHERE doc_type = @doc_type AND doc_id = @doc_id AND kind = '` + MailStepWaiting + `' AND read_at IS NULL`

// NotificationPage is one page of a person's notifications, newest first.
type NotificationPage struct {
	Rows  []Notification
	Total int64
}

// ListNotifications returns one page of userID's own notifications, newest first, read along
// the index of a person's notifications by age, with how many they have in all on the same
// statement. (The bell's unread count comes with the session.)
func ListNotifications(ctx context.Context, db *gorm.DB, userID int64, offset, limit int) (NotificationPage, error) {
	db = db.WithContext(ctx)
	me := opaqueID("?")
	var rows []struct {
		Notification
		ListTotal int64
	}
	err := db.Table("notifications").
		Select("notifications.*, (SELECT count(*) FROM notifications t WHERE t.recipient_id = "+me+") AS list_total", userID).
		Where("recipient_id = "+me, userID).Order("created_at DESC, id DESC").Offset(offset).Limit(limit).Find(&rows).Error
	if err != nil {
		return NotificationPage{}, err
	}
	var p NotificationPage
	for _, r := range rows {
		p.Rows, p.Total = append(p.Rows, r.Notification), r.ListTotal
	}
	if len(rows) == 0 && offset > 0 {
		// Past the last page: the total says where that is.
		err = db.Model(&Notification{}).Where("recipient_id = ?", userID).Count(&p.Total).Error
	}
	return p, err
}

// EachNotification calls fn with every one of userID's own notifications, newest first as
// their page lists them, reading them one at a time from the database (an export).
func EachNotification(ctx context.Context, db *gorm.DB, userID int64, fn func(Notification) error) (int, error) {
	return eachRow(db.WithContext(ctx).Model(&Notification{}).Where("recipient_id = ?", userID).Order("created_at DESC, id DESC"), fn)
}

// UnreadNotifications counts userID's unread notifications: the bell's number.
func UnreadNotifications(ctx context.Context, db *gorm.DB, userID int64) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Notification{}).Where("recipient_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return n, err
}

// MarkNotificationRead marks one of userID's notifications read; another person's is left
// alone, exactly as one that does not exist. It returns the notification (nil if not theirs).
func MarkNotificationRead(ctx context.Context, db *gorm.DB, userID, id int64) (*Notification, error) {
	var n Notification
	res := db.WithContext(ctx).Raw(`UPDATE notifications SET read_at = COALESCE(read_at, now())
		WHERE id = ? AND recipient_id = ? RETURNING *`, id, userID).Scan(&n)
	if res.Error != nil || n.ID == 0 {
		return nil, res.Error
	}
	return &n, nil
}

// Why a document's route ended before anyone decided it, as a person it waited for is told
// when they follow their notification (FollowedNotification.Ended).
const (
	RouteWithdrawn = "withdrawn" // its requester (or owner) took it back
	RouteCancelled = "cancelled" // it was cancelled
)

// routeEnding is why a document in status ended its route, or "" when its status does not
// say (decided, or back in approval). The kinds' statuses share these words, which a switch
// could not list twice.
func routeEnding(status string) string {
	switch {
	case slices.Contains([]string{RequisitionWithdrawn, TravelWithdrawn, ExpenseWithdrawn}, status):
		return RouteWithdrawn
	case slices.Contains([]string{RequisitionCancelled, PaymentCancelled}, status):
		return RouteCancelled
	}
	return ""
}

// FollowedNotification is where following a notification leads: the document, when its
// recipient may still open it, and otherwise only what the notification already told them
// (the document's name) with, for one that said the document waited for them, why it no
// longer does.
type FollowedNotification struct {
	Notification
	// Opens: the recipient may open the document now; LinkPath leads there.
	Opens bool
	// Name names the document ("REQ-000012") when it does not open; "" when it is gone.
	Name string
	// Ended is RouteWithdrawn or RouteCancelled when the notification said the document
	// waited for the recipient and it was since withdrawn or cancelled; otherwise "".
	Ended string
}

// FollowNotification marks one of userID's notifications read, since following it reads it,
// and says whether its document still opens for them (see FollowedNotification). Another
// person's notification is nil, exactly as one that does not exist.
func FollowNotification(ctx context.Context, db *gorm.DB, userID, id int64) (*FollowedNotification, error) {
	n, err := MarkNotificationRead(ctx, db, userID, id)
	if err != nil || n == nil {
		return nil, err
	}
	tx := db.WithContext(ctx)
	f := &FollowedNotification{Notification: *n}
	if _, ok := FindDocumentKind(n.DocType); !ok {
		// A notice about something other than a document (a vendor's bank details, a purge)
		// leads to a page that checks its own access.
		f.Opens = true
		return f, nil
	}
	f.Opens, err = mayOpen(tx, docSummary{DocType: n.DocType, DocID: n.DocID}, userID)
	if err != nil || f.Opens {
		return f, err
	}
	k, ok := FindDocumentKind(n.DocType)
	if !ok {
		return f, nil
	}
	// The name was in the notification's title, so it tells them nothing new. The status is
	// read only to say why a document that waited for them no longer does: they were on its
	// route, and being taken off it is theirs to know; of anything else, nothing is said.
	var doc struct{ Name, Status string }
	err = tx.Raw(`SELECT x.name, d.status FROM (`+k.History.NameSQL+`) x JOIN `+k.Table+` d ON d.id = x.id`,
		idList{n.DocID}).Scan(&doc).Error
	if err != nil {
		return nil, err
	}
	f.Name = doc.Name
	if n.Kind == MailStepWaiting {
		f.Ended = routeEnding(doc.Status)
	}
	return f, nil
}

// MarkAllNotificationsRead marks every one of userID's notifications read.
func MarkAllNotificationsRead(ctx context.Context, db *gorm.DB, userID int64) error {
	return db.WithContext(ctx).Exec(`UPDATE notifications SET read_at = now() WHERE recipient_id = ? AND read_at IS NULL`, userID).Error
}
