package audit_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

// Each way GORM can write a row is recorded, with the diff the database saw.
func TestEveryWritePathIsRecorded(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	newUser := func(email string) *models.User {
		u := &models.User{Email: email, Name: "Someone", Status: models.UserInvited}
		if err := db.Create(u).Error; err != nil {
			t.Fatal(err)
		}
		return u
	}
	id := func(u *models.User) string { return strconv.FormatInt(u.ID, 10) }

	t.Run("Save", func(t *testing.T) {
		u := newUser("save@acme.example")
		u.Name, u.Status = "Saved", models.UserActive
		mark := lastID(t, db)
		if err := db.Save(u).Error; err != nil {
			t.Fatal(err)
		}
		rec := expectOne(t, db, mark, "Save")
		// Save writes every column; those whose values differ are listed. That includes
		// password_hash: the model's empty PasswordHash replaces NULL with '' (redacted here).
		checkChange(t, rec, "update", "users", id(u), "name", "status", "password_hash", "updated_at")
	})
	t.Run("Updates(map)", func(t *testing.T) {
		u := newUser("map@acme.example")
		mark := lastID(t, db)
		if err := db.Model(u).Updates(map[string]any{"name": "Mapped", "status": models.UserActive}).Error; err != nil {
			t.Fatal(err)
		}
		checkChange(t, expectOne(t, db, mark, "Updates(map)"), "update", "users", id(u), "name", "status", "updated_at")
	})
	t.Run("Updates(struct)", func(t *testing.T) {
		u := newUser("struct@acme.example")
		mark := lastID(t, db)
		// Zero fields are skipped, as GORM documents: Status stays invited.
		if err := db.Model(u).Updates(models.User{Name: "Structured"}).Error; err != nil {
			t.Fatal(err)
		}
		checkChange(t, expectOne(t, db, mark, "Updates(struct)"), "update", "users", id(u), "name", "updated_at")
	})
	t.Run("Update", func(t *testing.T) {
		u := newUser("one@acme.example")
		mark := lastID(t, db)
		if err := db.Model(u).Update("name", "Single").Error; err != nil {
			t.Fatal(err)
		}
		checkChange(t, expectOne(t, db, mark, "Update"), "update", "users", id(u), "name", "updated_at")
	})
	t.Run("Update with an expression", func(t *testing.T) {
		u := newUser("expr@acme.example")
		mark := lastID(t, db)
		if err := db.Model(u).Update("name", gorm.Expr("upper(name)")).Error; err != nil {
			t.Fatal(err)
		}
		rec := expectOne(t, db, mark, "Update(expr)")
		checkChange(t, rec, "update", "users", id(u), "name", "updated_at")
		if value(t, rec, false, "name") != "SOMEONE" {
			t.Errorf("recorded %v", rec.New)
		}
	})
	t.Run("UpdateColumn and UpdateColumns skip hooks but not the audit", func(t *testing.T) {
		u := newUser("column@acme.example")
		mark := lastID(t, db)
		if err := db.Model(u).UpdateColumn("name", "Column").Error; err != nil {
			t.Fatal(err)
		}
		checkChange(t, expectOne(t, db, mark, "UpdateColumn"), "update", "users", id(u), "name")
		mark = lastID(t, db)
		if err := db.Model(u).UpdateColumns(map[string]any{"name": "Columns", "status": models.UserActive}).Error; err != nil {
			t.Fatal(err)
		}
		checkChange(t, expectOne(t, db, mark, "UpdateColumns"), "update", "users", id(u), "name", "status")
	})
	t.Run("batch update with WHERE", func(t *testing.T) {
		a, b := newUser("batch-a@acme.example"), newUser("batch-b@acme.example")
		newUser("other@acme.example")
		mark := lastID(t, db)
		res := db.Model(&models.User{}).Where("email LIKE ?", "batch-%").Updates(map[string]any{"status": models.UserDeactivated})
		if res.Error != nil || res.RowsAffected != 2 {
			t.Fatalf("batch update: %v, %d rows", res.Error, res.RowsAffected)
		}
		recs := since(t, db, mark)
		if len(recs) != 2 {
			t.Fatalf("%d records, want one per updated row: %+v", len(recs), recs)
		}
		// Records of one statement are in primary-key order.
		checkChange(t, recs[0], "update", "users", id(a), "status", "updated_at")
		checkChange(t, recs[1], "update", "users", id(b), "status", "updated_at")
		if value(t, recs[0], true, "status") != "invited" || value(t, recs[0], false, "status") != "deactivated" {
			t.Errorf("recorded old %v new %v", recs[0].Old, recs[0].New)
		}
	})
	t.Run("an update matching nothing records nothing", func(t *testing.T) {
		mark := lastID(t, db)
		res := db.Model(&models.User{}).Where("email = ?", "nobody@acme.example").Update("name", "X")
		if res.Error != nil || res.RowsAffected != 0 {
			t.Fatalf("%v, %d rows", res.Error, res.RowsAffected)
		}
		if recs := since(t, db, mark); len(recs) != 0 {
			t.Errorf("%d records", len(recs))
		}
	})
	t.Run("a batch update without WHERE is still refused", func(t *testing.T) {
		mark := lastID(t, db)
		err := db.Model(&models.User{}).Update("name", "Everyone").Error
		if !errors.Is(err, gorm.ErrMissingWhereClause) {
			t.Errorf("global update: %v, want ErrMissingWhereClause", err)
		}
		if recs := since(t, db, mark); len(recs) != 0 {
			t.Errorf("%d records", len(recs))
		}
	})
	t.Run("delete by primary key", func(t *testing.T) {
		u := newUser("pk@acme.example")
		mark := lastID(t, db)
		res := db.Delete(&models.User{}, u.ID)
		if res.Error != nil || res.RowsAffected != 1 {
			t.Fatalf("%v, %d rows", res.Error, res.RowsAffected)
		}
		rec := expectOne(t, db, mark, "Delete(pk)")
		checkChange(t, rec, "delete", "users", id(u), "id", "email", "name", "status", "created_at", "updated_at")
		if value(t, rec, true, "email") != "pk@acme.example" {
			t.Errorf("recorded %v", rec.Old)
		}
	})
	t.Run("batch delete", func(t *testing.T) {
		a, b := newUser("gone-a@acme.example"), newUser("gone-b@acme.example")
		mark := lastID(t, db)
		res := db.Where("email LIKE ?", "gone-%").Delete(&models.User{})
		if res.Error != nil || res.RowsAffected != 2 {
			t.Fatalf("%v, %d rows", res.Error, res.RowsAffected)
		}
		recs := since(t, db, mark)
		if len(recs) != 2 || recs[0].RecordID != id(a) || recs[1].RecordID != id(b) || recs[0].Action != "delete" {
			t.Fatalf("records %+v", recs)
		}
	})
	t.Run("delete of a slice", func(t *testing.T) {
		us := []models.User{*newUser("slice-a@acme.example"), *newUser("slice-b@acme.example")}
		mark := lastID(t, db)
		if err := db.Delete(&us).Error; err != nil {
			t.Fatal(err)
		}
		if recs := since(t, db, mark); len(recs) != 2 {
			t.Fatalf("%d records", len(recs))
		}
	})
	t.Run("batch create", func(t *testing.T) {
		us := []models.User{{Email: "many-a@acme.example", Name: "A", Status: "active"}, {Email: "many-b@acme.example", Name: "B", Status: "active"}}
		mark := lastID(t, db)
		if err := db.Create(&us).Error; err != nil {
			t.Fatal(err)
		}
		if us[0].ID == 0 || us[1].ID == 0 {
			t.Fatalf("ids not returned: %+v", us)
		}
		recs := since(t, db, mark)
		if len(recs) != 2 || recs[0].RecordID != id(&us[0]) || recs[1].RecordID != id(&us[1]) {
			t.Fatalf("records %+v", recs)
		}
	})
	t.Run("RETURNING still fills the model", func(t *testing.T) {
		u := newUser("returning@acme.example")
		var back models.User
		back.ID = u.ID
		mark := lastID(t, db)
		if err := db.Model(&back).Clauses(clause.Returning{}).Update("name", "Returned").Error; err != nil {
			t.Fatal(err)
		}
		if back.Email != "returning@acme.example" || back.Name != "Returned" {
			t.Errorf("model after RETURNING: %+v", back)
		}
		expectOne(t, db, mark, "update returning")
	})
}

// Save upserts: a new row is a create, an existing one an update, both with the right values.
func TestUpsertsRecordCreatesAndUpdates(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())

	mark := lastID(t, db)
	if err := db.Save(&models.Role{Name: "buyer", Label: "Buyer"}).Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "Save of a new row"), "create", "roles", "buyer", "name", "label", "builtin", "created_at")

	mark = lastID(t, db)
	roles := []models.Role{{Name: "buyer", Label: "Purchasing"}, {Name: "seller", Label: "Seller"}}
	if err := db.Save(&roles).Error; err != nil {
		t.Fatal(err)
	}
	recs := since(t, db, mark)
	if len(recs) != 2 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	checkChange(t, recs[0], "update", "roles", "buyer", "label")
	if value(t, recs[0], true, "label") != "Buyer" || value(t, recs[0], false, "label") != "Purchasing" {
		t.Errorf("upsert recorded old %v new %v", recs[0].Old, recs[0].New)
	}
	checkChange(t, recs[1], "create", "roles", "seller", "name", "label", "builtin", "created_at")

	mark = lastID(t, db)
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.Role{Name: "seller", Label: "Ignored"})
	if res.Error != nil || res.RowsAffected != 0 {
		t.Fatalf("insert-or-ignore: %v, %d rows", res.Error, res.RowsAffected)
	}
	if recs := since(t, db, mark); len(recs) != 0 {
		t.Errorf("ignored insert left %d records", len(recs))
	}
}

// A soft-deleted model's delete is an update of deleted_at, recorded as a delete; an unscoped
// delete removes the row. No model of the schema soft-deletes yet, so the test makes a table.
type Gadget struct {
	ID        int64
	Name      string
	DeletedAt gorm.DeletedAt
}

func TestSoftAndHardDeletes(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	mustExec(t, db, `CREATE TABLE gadgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, deleted_at timestamptz)`)
	g := Gadget{Name: "Stapler"}
	if err := db.Create(&g).Error; err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(g.ID, 10)

	mark := lastID(t, db)
	if err := db.Delete(&g).Error; err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "soft delete")
	checkChange(t, rec, "delete", "gadgets", id, "deleted_at")
	if rec.Old["deleted_at"] != nil || rec.New["deleted_at"] == nil {
		t.Errorf("soft delete recorded old %v new %v", rec.Old, rec.New)
	}

	// Deleting it again finds nothing (soft delete's condition) and records nothing.
	mark = lastID(t, db)
	if err := db.Delete(&Gadget{}, g.ID).Error; err != nil {
		t.Fatal(err)
	}
	if recs := since(t, db, mark); len(recs) != 0 {
		t.Errorf("second soft delete left %d records", len(recs))
	}

	mark = lastID(t, db)
	if err := db.Unscoped().Delete(&Gadget{}, g.ID).Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "hard delete")
	checkChange(t, rec, "delete", "gadgets", id, "id", "name", "deleted_at")
	if rec.New != nil {
		t.Errorf("hard delete recorded new values %v", rec.New)
	}
}

// Records ride in the transaction of their change: rolled back, neither is kept.
func TestARolledBackTransactionLeavesNoRecord(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	u := env.CreateUser(t, acme, "eve@acme.example", "Eve", "requester")
	mark := lastID(t, db)
	errUndo := errors.New("undo")
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&models.Role{Name: "temp", Label: "Temp"}).Error; err != nil {
			return err
		}
		if err := tx.Model(u).Update("name", "Changed").Error; err != nil {
			return err
		}
		if err := tx.Delete(&models.UserRole{UserID: u.ID, Role: "requester"}).Error; err != nil {
			return err
		}
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatal(err)
	}
	if recs := since(t, db, mark); len(recs) != 0 {
		t.Errorf("rolled-back transaction left %d records: %+v", len(recs), recs)
	}
	var pending int64
	db.Raw(`SELECT count(*) FROM audit_pending`).Scan(&pending)
	if pending != 0 {
		t.Errorf("%d pending records left", pending)
	}

	// A savepoint rolled back inside a committed transaction drops only its own records.
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(u).Update("name", "Kept").Error; err != nil {
			return err
		}
		_ = tx.Transaction(func(tx2 *gorm.DB) error {
			if err := tx2.Create(&models.Role{Name: "temp", Label: "Temp"}).Error; err != nil {
				return err
			}
			return errUndo
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "committed transaction with a rolled-back savepoint")
	checkChange(t, rec, "update", "users", strconv.FormatInt(u.ID, 10), "name", "updated_at")
}

// In a transaction, records wait in audit_pending and are chained at COMMIT: the chain lock is
// not held while a transaction still works, so auditing adds no deadlock. Here the second
// transaction locks B; the first writes A, then waits for B; the second then writes B and
// commits, which needs the chain lock. Had the first taken the chain lock when it wrote A,
// each would wait for the other.
func TestATransactionWaitingForARowDoesNotHoldTheChainLock(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	a := env.CreateUser(t, acme, "a@acme.example", "A", "requester")
	b := env.CreateUser(t, acme, "b@acme.example", "B", "requester")

	second := db.Begin()
	defer second.Rollback()
	var locked models.User
	if err := second.Clauses(clause.Locking{Strength: "UPDATE"}).First(&locked, b.ID).Error; err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Model(a).Update("name", "A1").Error; err != nil {
				return err
			}
			return tx.Model(b).Update("name", "B1").Error // waits for the second transaction
		})
	}()
	// The first transaction is now waiting for B's row lock: pg_locks shows a lock not granted.
	probe := env.DB(t, acme)
	dbtest.WaitFor(t, 10*time.Second, "saw the first transaction wait for the row lock", func() bool {
		var waiting int64
		err := probe.Raw(`SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE NOT l.granted AND a.datname = current_database()`).Scan(&waiting).Error
		return err == nil && waiting > 0
	})
	committed := make(chan error, 1)
	go func() {
		if err := second.Model(b).Update("name", "B2").Error; err != nil {
			committed <- err
			return
		}
		committed <- second.Commit().Error
	}()
	select {
	case err := <-committed:
		if err != nil {
			t.Fatalf("second transaction: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second transaction could not commit while the first waited for its row")
	}
	if err := <-firstDone; err != nil {
		t.Fatalf("first transaction: %v", err)
	}
	var name string
	db.Raw(`SELECT name FROM users WHERE id = ?`, b.ID).Scan(&name)
	if name != "B1" {
		t.Errorf("B is %q, want the first transaction's B1 (it committed last)", name)
	}
}

// HookedGadget overrides its name in its BeforeSave hook: the record must show the value the
// hook wrote, which proves the audit builds the statement after GORM's hooks ran.
type HookedGadget struct {
	ID   int64
	Name string
}

func (HookedGadget) TableName() string { return "gadgets" }

func (g *HookedGadget) BeforeSave(tx *gorm.DB) error {
	tx.Statement.SetColumn("name", "set by hook")
	return nil
}

func TestLessCommonWritesAreRecordedOrRefused(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	mustExec(t, db, `CREATE TABLE gadgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, deleted_at timestamptz)`)

	t.Run("through Table() without a model", func(t *testing.T) {
		mark := lastID(t, db)
		if err := db.Table("roles").Create(map[string]any{"name": "tabled", "label": "Tabled"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Table("roles").Where("name = ?", "tabled").Update("label", "Relabelled").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Table("roles").Where("name = ?", "tabled").Delete(nil).Error; err != nil {
			t.Fatal(err)
		}
		recs := since(t, db, mark)
		if len(recs) != 3 || recs[0].Action != "create" || recs[1].Action != "update" || recs[2].Action != "delete" {
			t.Fatalf("records %+v", recs)
		}
		checkChange(t, recs[1], "update", "roles", "tabled", "label")
	})
	t.Run("a map through a model", func(t *testing.T) {
		mark := lastID(t, db)
		if err := db.Model(&models.Role{}).Create(map[string]any{"Name": "mapped", "Label": "Mapped"}).Error; err != nil {
			t.Fatal(err)
		}
		checkChange(t, expectOne(t, db, mark, "map create"), "create", "roles", "mapped", "name", "label", "builtin", "created_at")
	})
	t.Run("in batches", func(t *testing.T) {
		mark := lastID(t, db)
		roles := []models.Role{{Name: "b_one", Label: "1"}, {Name: "b_two", Label: "2"}, {Name: "b_three", Label: "3"}}
		if err := db.CreateInBatches(&roles, 2).Error; err != nil {
			t.Fatal(err)
		}
		if recs := since(t, db, mark); len(recs) != 3 {
			t.Fatalf("%d records", len(recs))
		}
	})
	t.Run("values a hook sets are the values recorded", func(t *testing.T) {
		g := HookedGadget{Name: "lamp"}
		if err := db.Create(&g).Error; err != nil {
			t.Fatal(err)
		}
		// The create went through the hook too; the name is put back behind GORM's back, so
		// that the hooked update changes it (an update that changes nothing is not recorded).
		mustExec(t, db, `UPDATE gadgets SET name = 'lamp' WHERE id = ?`, g.ID)
		mark := lastID(t, db)
		if err := db.Model(&g).Update("name", "desk lamp").Error; err != nil {
			t.Fatal(err)
		}
		rec := expectOne(t, db, mark, "hooked update")
		var stored string
		db.Raw(`SELECT name FROM gadgets WHERE id = ?`, g.ID).Scan(&stored)
		if stored != "set by hook" || value(t, rec, false, "name") != stored {
			t.Errorf("stored %q, recorded %v", stored, rec.New["name"])
		}
	})
	t.Run("a column added after the handle read the table's columns", func(t *testing.T) {
		// As when a migration runs beside the app: the handle's writes still list the new
		// column among the changed ones.
		if err := db.Table("gadgets").Create(map[string]any{"name": "chair"}).Error; err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, `ALTER TABLE gadgets ADD COLUMN colour text NOT NULL DEFAULT 'grey'`)
		mark := lastID(t, db)
		if err := db.Table("gadgets").Create(map[string]any{"name": "stool"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Table("gadgets").Where("name = ?", "stool").Updates(map[string]any{"colour": "red"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Table("gadgets").Where("name = ?", "stool").Updates(map[string]any{"name": "tall stool"}).Error; err != nil {
			t.Fatal(err)
		}
		recs := since(t, db, mark)
		if len(recs) != 3 {
			t.Fatalf("%d records: %+v", len(recs), recs)
		}
		id := recs[0].RecordID
		checkChange(t, recs[0], "create", "gadgets", id, "colour", "id", "name")
		checkChange(t, recs[1], "update", "gadgets", id, "colour")
		checkChange(t, recs[2], "update", "gadgets", id, "name")
		if value(t, recs[1], true, "colour") != "grey" || value(t, recs[1], false, "colour") != "red" {
			t.Errorf("colour recorded as %v -> %v", recs[1].Old["colour"], recs[1].New["colour"])
		}
	})
	t.Run("refused", func(t *testing.T) {
		mustExec(t, db, `CREATE TABLE keyless (label text)`)
		mark := lastID(t, db)
		if err := db.Table("keyless").Create(map[string]any{"label": "x"}).Error; !errors.Is(err, audit.ErrNotAuditable) {
			t.Errorf("write to a table without a primary key: %v", err)
		}
		if err := db.Table("users u").Where("u.id = ?", 1).Update("name", "X").Error; !errors.Is(err, audit.ErrNotAuditable) {
			t.Errorf("write through an alias: %v", err)
		}
		robot := audit.WithActor(context.Background(), audit.Actor{Type: "robot"})
		if err := db.WithContext(robot).Create(&models.Role{Name: "robotic", Label: "R"}).Error; err == nil {
			t.Error("write by an unknown actor type was accepted")
		}
		var n int64
		db.Raw(`SELECT count(*) FROM keyless`).Scan(&n)
		if recs := since(t, db, mark); len(recs) != 0 || n != 0 {
			t.Errorf("refused writes left %d records and %d rows", len(recs), n)
		}
		var robotic int64
		db.Model(&models.Role{}).Where("name = ?", "robotic").Count(&robotic)
		if robotic != 0 {
			t.Error("the write by an unknown actor type happened without its record")
		}
	})
}
