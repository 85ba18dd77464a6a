package audit_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

// Every model of the tenant schema: create, update and delete each leave exactly one record
// with the right actor, values and changed columns. tableCoverage (tables_test.go) lists the
// tables these tests cover.

func TestUsersCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())

	mark := lastID(t, db)
	u := models.User{Email: "bo@acme.example", Name: "Bo", Status: models.UserActive, PasswordHash: "hash-that-must-not-leak"}
	if err := db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(u.ID, 10)
	rec := expectOne(t, db, mark, "create")
	checkChange(t, rec, "create", "users", id, "id", "email", "name", "status", "password_hash", "created_at", "updated_at")
	checkActor(t, rec)
	if value(t, rec, false, "email") != "bo@acme.example" || value(t, rec, false, "password_hash") != audit.Redacted {
		t.Errorf("create recorded %v", rec.New)
	}

	mark = lastID(t, db)
	if err := db.Model(&u).Updates(map[string]any{"name": "Bob"}).Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "update")
	checkChange(t, rec, "update", "users", id, "name", "updated_at")
	if value(t, rec, true, "name") != "Bo" || value(t, rec, false, "name") != "Bob" || value(t, rec, false, "email") != "bo@acme.example" {
		t.Errorf("update recorded old %v new %v", rec.Old, rec.New)
	}

	mark = lastID(t, db)
	if err := db.Delete(&u).Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "delete")
	checkChange(t, rec, "delete", "users", id, "id", "email", "name", "status", "password_hash", "created_at", "updated_at")
	if rec.New != nil || value(t, rec, true, "name") != "Bob" || value(t, rec, true, "password_hash") != audit.Redacted {
		t.Errorf("delete recorded old %v new %v", rec.Old, rec.New)
	}
}

func TestRolesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())

	mark := lastID(t, db)
	r := models.Role{Name: "buyer", Label: "Buyer"}
	if err := db.Create(&r).Error; err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "create")
	// builtin is false: a non-null value, so it is listed; created_at comes from the database.
	checkChange(t, rec, "create", "roles", "buyer", "name", "label", "builtin", "created_at")
	checkActor(t, rec)

	mark = lastID(t, db)
	if err := db.Model(&r).Update("label", "Purchasing").Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "update")
	checkChange(t, rec, "update", "roles", "buyer", "label")
	if value(t, rec, true, "label") != "Buyer" || value(t, rec, false, "label") != "Purchasing" {
		t.Errorf("update recorded old %v new %v", rec.Old, rec.New)
	}

	// Renaming changes the primary key: the record is filed under the new name and shows both.
	mark = lastID(t, db)
	if err := db.Model(&models.Role{}).Where("name = ?", "buyer").Update("name", "purchaser").Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "rename")
	checkChange(t, rec, "update", "roles", "purchaser", "name")
	if value(t, rec, true, "name") != "buyer" || value(t, rec, false, "name") != "purchaser" {
		t.Errorf("rename recorded old %v new %v", rec.Old, rec.New)
	}

	mark = lastID(t, db)
	if err := db.Delete(&models.Role{Name: "purchaser"}).Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "delete")
	checkChange(t, rec, "delete", "roles", "purchaser", "name", "label", "builtin", "created_at")
}

func TestUserRolesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	u := env.CreateUser(t, acme, "cy@acme.example", "Cy", "requester")
	key := func(role string) string { return fmt.Sprintf(`{"role": "%s", "user_id": %d}`, role, u.ID) }

	mark := lastID(t, db)
	if err := db.Create(&models.UserRole{UserID: u.ID, Role: "approver"}).Error; err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "create")
	checkChange(t, rec, "create", "user_roles", key("approver"), "user_id", "role")
	checkActor(t, rec)

	mark = lastID(t, db)
	if err := db.Model(&models.UserRole{}).Where("user_id = ? AND role = ?", u.ID, "approver").Update("role", "auditor").Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "update")
	checkChange(t, rec, "update", "user_roles", key("auditor"), "role")

	mark = lastID(t, db)
	if err := db.Delete(&models.UserRole{UserID: u.ID, Role: "auditor"}).Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "delete")
	checkChange(t, rec, "delete", "user_roles", key("auditor"), "user_id", "role")
	var left int64
	db.Model(&models.UserRole{}).Where("user_id = ?", u.ID).Count(&left)
	if left != 1 {
		t.Errorf("%d grants left, want only the requester role", left)
	}
}

// CreateUser writes a user and its grants in one transaction: one record each, all committed
// together.
func TestCreateUserRecordsTheUserAndEachGrant(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	mark := lastID(t, db)
	u, err := models.CreateUser(asUser(), db, models.NewUser{Email: "di@acme.example", Name: "Di", Password: dbtest.Password, Roles: []string{"requester", "approver"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := since(t, db, mark)
	if len(recs) != 3 {
		t.Fatalf("%d records, want the user and two grants: %+v", len(recs), recs)
	}
	checkChange(t, recs[0], "create", "users", strconv.FormatInt(u.ID, 10), "id", "email", "name", "status", "password_hash", "created_at", "updated_at")
	for i, role := range []string{"approver", "requester"} {
		checkChange(t, recs[i+1], "create", "user_roles", fmt.Sprintf(`{"role": "%s", "user_id": %d}`, role, u.ID), "user_id", "role")
		checkActor(t, recs[i+1])
	}
}

// Without an actor in the context, a change is the system's.
func TestChangesWithoutAnActorAreTheSystems(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	mark := lastID(t, db)
	if err := db.WithContext(context.Background()).Create(&models.Role{Name: "clerk", Label: "Clerk"}).Error; err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "create")
	if rec.ActorType != "system" || rec.ActorID != 0 || rec.ActorLabel != "system" || rec.RequestID != "" {
		t.Errorf("actor %s %d %q %q, want the system", rec.ActorType, rec.ActorID, rec.ActorLabel, rec.RequestID)
	}
}
