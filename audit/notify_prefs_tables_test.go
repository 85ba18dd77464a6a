package audit_test

import (
	"strconv"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// A person's notification preferences: choosing a kind's delivery, changing it and deleting
// the row each leave one record, with the previous and new choice.
func TestNotificationPreferencesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	owner := models.User{Email: "bo@acme.example", Name: "Bo", Status: models.UserActive}
	if err := db.Create(&owner).Error; err != nil {
		t.Fatal(err)
	}
	ctx := asUser()
	mark := lastID(t, db)
	if err := models.SetNotificationPreferences(ctx, db, owner.ID, map[string]string{models.MailDecided: models.DeliverOff}); err != nil {
		t.Fatal(err)
	}
	var p models.NotificationPreference
	if err := db.Where("user_id = ?", owner.ID).Take(&p).Error; err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(p.ID, 10)
	rec := expectOne(t, db, mark, "notification_preferences create")
	if rec.Action != "create" || rec.TableName != "notification_preferences" || rec.RecordID != id || value(t, rec, false, "delivery") != "off" {
		t.Errorf("create recorded %s %s %q %v", rec.Action, rec.TableName, rec.RecordID, rec.New)
	}
	checkActor(t, rec)

	mark = lastID(t, db)
	if err := models.SetNotificationPreferences(ctx, db, owner.ID, map[string]string{models.MailDecided: models.DeliverDigest, models.MailOrdered: models.DeliverInstantly}); err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "notification_preferences update")
	checkChange(t, rec, "update", "notification_preferences", id, "delivery", "updated_at")
	if value(t, rec, true, "delivery") != "off" || value(t, rec, false, "delivery") != "digest" {
		t.Errorf("update recorded %v → %v", rec.Old, rec.New)
	}

	mark = lastID(t, db)
	if err := db.Delete(&p).Error; err != nil {
		t.Fatal(err)
	}
	if rec := expectOne(t, db, mark, "notification_preferences delete"); rec.Action != "delete" || rec.RecordID != id {
		t.Errorf("delete recorded %s %q", rec.Action, rec.RecordID)
	}
}
