package audit_test

import (
	"strconv"
	"testing"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

// The tables of two-factor sign-in: create, update and delete each leave one record with the
// record's id; a person's sealed TOTP secret never reaches the log.
func TestTwoFactorTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	owner := models.User{Email: "bo@acme.example", Name: "Bo", Status: models.UserActive}
	if err := db.Create(&owner).Error; err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(owner.ID, 10)

	mark := lastID(t, db)
	tf := models.TwoFactor{UserID: owner.ID, SecretSealed: []byte("sealed-totp-secret")}
	if err := db.Create(&tf).Error; err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "user_two_factor create")
	if rec.Action != "create" || rec.TableName != "user_two_factor" || rec.RecordID != id {
		t.Errorf("create recorded %s %s %q", rec.Action, rec.TableName, rec.RecordID)
	}
	if v := value(t, rec, false, "secret_sealed"); v != audit.Redacted {
		t.Errorf("the sealed secret was logged as %v", v)
	}
	checkActor(t, rec)
	mark = lastID(t, db)
	if err := db.Model(&tf).Update("secret_sealed", []byte("another-sealed-secret")).Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "user_two_factor update")
	checkChange(t, rec, "update", "user_two_factor", id, "secret_sealed", "updated_at")
	if value(t, rec, true, "secret_sealed") != audit.Redacted || value(t, rec, false, "secret_sealed") != audit.Redacted {
		t.Errorf("the sealed secret was logged: %v → %v", rec.Old, rec.New)
	}
	mark = lastID(t, db)
	if err := db.Delete(&tf).Error; err != nil {
		t.Fatal(err)
	}
	if rec := expectOne(t, db, mark, "user_two_factor delete"); rec.Action != "delete" || rec.RecordID != id {
		t.Errorf("delete recorded %s %q", rec.Action, rec.RecordID)
	}

	mark = lastID(t, db)
	if err := db.Model(&models.TwoFactorSettings{ID: 1}).Update("required", models.TwoFactorEveryone).Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "two_factor_settings update")
	checkChange(t, rec, "update", "two_factor_settings", "1", "required", "updated_at")
	if value(t, rec, true, "required") != "off" || value(t, rec, false, "required") != "everyone" {
		t.Errorf("settings update recorded %v → %v", rec.Old, rec.New)
	}

	mark = lastID(t, db)
	role := models.TwoFactorRequiredRole{Role: "approver"}
	if err := db.Create(&role).Error; err != nil {
		t.Fatal(err)
	}
	if rec := expectOne(t, db, mark, "two_factor_required_roles create"); rec.RecordID != "approver" {
		t.Errorf("role create recorded %q", rec.RecordID)
	}
	mark = lastID(t, db)
	if err := db.Model(&models.TwoFactorRequiredRole{}).Where("role = ?", "approver").Update("role", "admin").Error; err != nil {
		t.Fatal(err)
	}
	expectOne(t, db, mark, "two_factor_required_roles update")
	mark = lastID(t, db)
	if err := db.Delete(&models.TwoFactorRequiredRole{Role: "admin"}).Error; err != nil {
		t.Fatal(err)
	}
	if rec := expectOne(t, db, mark, "two_factor_required_roles delete"); rec.Action != "delete" || rec.RecordID != "admin" {
		t.Errorf("role delete recorded %s %q", rec.Action, rec.RecordID)
	}
}
