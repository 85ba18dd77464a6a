package audit_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

// A record's changed columns are those whose values differ as JSON, whatever the column's
// type: another spelling of the same number, jsonb value or instant is no change (and, being
// no change, writes no record), a value that becomes null or another JSON type is.
func TestChangedColumnsAreThoseWhoseJSONValueDiffers(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	mustExec(t, db, `CREATE TYPE gadget_mood AS ENUM ('calm', 'busy')`)
	mustExec(t, db, `CREATE DOMAIN gadget_code AS text CHECK (VALUE <> '')`)
	mustExec(t, db, `CREATE TABLE gadgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		label text, code gadget_code, price numeric, weight float8, count int, seen timestamptz,
		tags text[], extra jsonb, mood gadget_mood, flag boolean)`)
	mustExec(t, db, `INSERT INTO gadgets (label, code, price, weight, count, seen, tags, extra, mood, flag)
		VALUES ('lamp', 'L1', 1.0, 0.5, 3, '2026-01-01 00:00:00+00', '{x}', '{"n": 1, "s": "a"}', 'calm', true)`)
	var id int64
	if err := db.Raw(`SELECT id FROM gadgets`).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what    string
		set     map[string]any
		changed []string
	}{
		{"the same number with more decimals", map[string]any{"price": gorm.Expr("1.00")}, nil},
		{"another number", map[string]any{"price": gorm.Expr("1.5")}, []string{"price"}},
		{"the same text", map[string]any{"label": "lamp"}, nil},
		{"other text", map[string]any{"label": "desk lamp"}, []string{"label"}},
		{"text that becomes null", map[string]any{"label": nil}, []string{"label"}},
		{"null that stays null", map[string]any{"label": nil}, nil},
		{"a domain's value", map[string]any{"code": "L2"}, []string{"code"}},
		{"the same float", map[string]any{"weight": gorm.Expr("0.50")}, nil},
		{"another float", map[string]any{"weight": gorm.Expr("0.25")}, []string{"weight"}},
		{"an integer", map[string]any{"count": 4}, []string{"count"}},
		{"the same instant in another zone", map[string]any{"seen": gorm.Expr("'2026-01-01 01:00:00+01'::timestamptz")}, nil},
		{"another instant", map[string]any{"seen": gorm.Expr("'2026-01-02 00:00:00+00'::timestamptz")}, []string{"seen"}},
		{"the same array", map[string]any{"tags": gorm.Expr("'{x}'::text[]")}, nil},
		{"another array", map[string]any{"tags": gorm.Expr("'{x,y}'::text[]")}, []string{"tags"}},
		{"the same jsonb, spelt otherwise", map[string]any{"extra": gorm.Expr(`'{"s": "a", "n": 1.0}'::jsonb`)}, nil},
		{"a jsonb number that becomes a string", map[string]any{"extra": gorm.Expr(`'{"s": "a", "n": "1"}'::jsonb`)}, []string{"extra"}},
		{"an enum", map[string]any{"mood": "busy"}, []string{"mood"}},
		{"the same boolean", map[string]any{"flag": true}, nil},
		{"several at once", map[string]any{"flag": false, "count": 4, "label": "lamp"}, []string{"flag", "label"}},
	} {
		updateGadget(t, db, id, c.what, c.set, c.changed)
	}
}

// updateGadget updates the gadget and fails unless the update's record lists exactly changed,
// or, when nothing changed, unless there is no record.
func updateGadget(t *testing.T, db *gorm.DB, id int64, what string, set map[string]any, changed []string) {
	t.Helper()
	mark := lastID(t, db)
	if err := db.Table("gadgets").Where("id = ?", id).Updates(set).Error; err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(changed) == 0 {
		if recs := since(t, db, mark); len(recs) != 0 {
			t.Errorf("%s: %d records of an update that changed nothing, want none: %+v", what, len(recs), recs)
		}
		return
	}
	rec := expectOne(t, db, mark, what)
	if len(rec.Changed) != len(changed) {
		t.Errorf("%s: changed %v, want %v", what, rec.Changed, changed)
		return
	}
	checkChange(t, rec, "update", "gadgets", rec.RecordID, changed...)
}

// An UPDATE records as changed only the columns it sets, unless the table changes others
// itself: a column a BEFORE UPDATE trigger changes is recorded too.
func TestChangedColumnsIncludeWhatATriggerChanges(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	mustExec(t, db, `CREATE TABLE widgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label text, edits int NOT NULL DEFAULT 0)`)
	mustExec(t, db, `CREATE FUNCTION widgets_count_edit() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN NEW.edits := OLD.edits + 1; RETURN NEW; END $$`)
	mustExec(t, db, `CREATE TRIGGER widgets_count_edit BEFORE UPDATE ON widgets FOR EACH ROW EXECUTE FUNCTION widgets_count_edit()`)
	mustExec(t, db, `INSERT INTO widgets (label) VALUES ('knob')`)
	var id int64
	if err := db.Raw(`SELECT id FROM widgets`).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	mark := lastID(t, db)
	if err := db.Table("widgets").Where("id = ?", id).Updates(map[string]any{"label": "dial"}).Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "widgets update"), "update", "widgets", strconv.FormatInt(id, 10), "edits", "label")

	// Without the trigger, the same update changes the label alone.
	mustExec(t, db, `CREATE TABLE gizmos (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label text, edits int NOT NULL DEFAULT 0)`)
	mustExec(t, db, `INSERT INTO gizmos (label) VALUES ('knob')`)
	if err := db.Raw(`SELECT id FROM gizmos`).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	mark = lastID(t, db)
	if err := db.Table("gizmos").Where("id = ?", id).Updates(map[string]any{"label": "dial", "edits": 0}).Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "gizmos update"), "update", "gizmos", strconv.FormatInt(id, 10), "label")
}

// An update whose values are the same before and after, but for its updated_at, is no change:
// it writes no record, however GORM made it, in or out of a transaction, while GORM still
// learns how many rows the statement matched (Save, seeing none, would insert the row again).
// A record is written for each row that did change, with its values, and the chain that
// follows verifies.
func TestAnUpdateThatChangesNothingIsNotRecorded(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	// A password hash, so that Save (which writes every column) does not turn its NULL into ''.
	u := &models.User{Email: "bo@acme.example", Name: "Bo", Status: models.UserActive, PasswordHash: "hash"}
	other := &models.User{Email: "cy@acme.example", Name: "Cy", Status: models.UserActive}
	for _, p := range []*models.User{u, other} {
		if err := db.Create(p).Error; err != nil {
			t.Fatal(err)
		}
	}
	id := strconv.FormatInt(u.ID, 10)
	nothing := func(what string, mark int64) {
		t.Helper()
		if recs := since(t, db, mark); len(recs) != 0 {
			t.Errorf("%s: %d records, want none: %+v", what, len(recs), recs)
		}
	}
	matched := func(what string, res *gorm.DB, want int64) {
		t.Helper()
		if res.Error != nil || res.RowsAffected != want {
			t.Fatalf("%s: %v, %d rows matched, want %d", what, res.Error, res.RowsAffected, want)
		}
	}

	mark := lastID(t, db)
	matched("Updates with the same values", db.Model(u).Updates(map[string]any{"name": "Bo", "status": models.UserActive, "updated_at": time.Now()}), 1)
	nothing("Updates with the same values", mark)

	mark = lastID(t, db)
	matched("Save of an untouched model", db.Save(u), 1)
	nothing("Save of an untouched model", mark)
	var people int64
	if err := db.Model(&models.User{}).Where("email = ?", u.Email).Count(&people).Error; err != nil || people != 1 {
		t.Errorf("Save of an untouched model: %d people with its email (%v), want 1", people, err)
	}

	mark = lastID(t, db)
	var back models.User
	back.ID = u.ID
	matched("Update RETURNING the same value", db.Model(&back).Clauses(clause.Returning{}).Update("name", "Bo"), 1)
	nothing("Update RETURNING the same value", mark)
	if back.Email != u.Email {
		t.Errorf("RETURNING filled %+v", back)
	}

	if err := db.Create(&models.Role{Name: "buyer", Label: "Buyer"}).Error; err != nil {
		t.Fatal(err)
	}
	mark = lastID(t, db)
	if err := db.Save(&[]models.Role{{Name: "buyer", Label: "Buyer"}}).Error; err != nil {
		t.Fatal(err)
	}
	nothing("an upsert that overwrites a row with its own values", mark)

	// A statement over two rows that changes one records that one, with its values.
	mark = lastID(t, db)
	matched("a batch update changing one of two rows", db.Model(&models.User{}).Where("id IN ?", []int64{u.ID, other.ID}).
		Updates(map[string]any{"name": gorm.Expr("CASE WHEN id = ? THEN 'Bob' ELSE name END", u.ID), "updated_at": time.Now()}), 2)
	rec := expectOne(t, db, mark, "a batch update changing one of two rows")
	checkChange(t, rec, "update", "users", id, "name", "updated_at")
	if value(t, rec, true, "name") != "Bo" || value(t, rec, false, "name") != "Bob" {
		t.Errorf("recorded old %v new %v", rec.Old, rec.New)
	}

	// In a transaction: nothing waits in audit_pending for an unchanged row, and a change
	// beside it is chained alone; a transaction that changes nothing leaves nothing behind.
	mark = lastID(t, db)
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(u).Updates(map[string]any{"name": "Bob", "updated_at": time.Now()}).Error; err != nil {
			return err
		}
		return tx.Model(other).Update("name", "Cyd").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "a transaction with one unchanged and one changed row"), "update", "users", strconv.FormatInt(other.ID, 10), "name", "updated_at")
	mark = lastID(t, db)
	if err := db.Transaction(func(tx *gorm.DB) error {
		return tx.Model(u).Updates(map[string]any{"name": "Bob", "updated_at": time.Now()}).Error
	}); err != nil {
		t.Fatal(err)
	}
	nothing("a transaction that changes nothing", mark)
	var left int64
	if err := db.Raw(`SELECT (SELECT count(*) FROM audit_pending) + (SELECT count(*) FROM audit_seal)`).Scan(&left).Error; err != nil || left != 0 {
		t.Errorf("%d rows left waiting after COMMIT (%v)", left, err)
	}

	head := lastID(t, db)
	if res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme)); err != nil || !res.Intact() || res.HeadID != head {
		t.Errorf("Verify: %s %v, want intact up to %d", res, err, head)
	}
}

// Saving a form nobody touched (a vendor, a department, a draft requisition with its line)
// records nothing: the save sets updated_at, and nothing else changes.
func TestSavingAnUntouchedFormRecordsNothing(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	ctx := asUser()
	db := env.DB(t, acme).WithContext(ctx)
	requester := env.CreateUser(t, acme, "eve@acme.example", "Eve", "requester")

	vendor := models.VendorInput{Name: "Paper Co", Email: "sales@paper.example", PaymentTerms: "30", Currency: "USD", Status: models.VendorActive}
	vendorID, err := models.SaveVendor(ctx, db, 0, vendor)
	if err != nil {
		t.Fatal(err)
	}
	dept := models.DepartmentInput{Name: "Engineering", Code: "ENG"}
	deptID, err := models.SaveDepartment(ctx, db, 0, dept)
	if err != nil {
		t.Fatal(err)
	}
	draft := models.RequisitionInput{Department: strconv.FormatInt(deptID, 10), Vendor: strconv.FormatInt(vendorID, 10), Justification: "Printer paper",
		Lines: []models.LineInput{{Description: "A4 paper", Quantity: "10", UnitPrice: "4.50"}}}
	req, err := models.SaveRequisition(ctx, db, requester.ID, 0, draft, false)
	if err != nil {
		t.Fatal(err)
	}

	mark := lastID(t, db)
	if _, err := models.SaveVendor(ctx, db, vendorID, vendor); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveDepartment(ctx, db, deptID, dept); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveRequisition(ctx, db, requester.ID, req.ID, draft, false); err != nil {
		t.Fatal(err)
	}
	if recs := since(t, db, mark); len(recs) != 0 {
		t.Errorf("saving untouched forms wrote %d records, want none: %+v", len(recs), recs)
	}

	// Touching one field of the line records the line alone, with that field.
	draft.Lines[0].Quantity = "12"
	mark = lastID(t, db)
	if _, err := models.SaveRequisition(ctx, db, requester.ID, req.ID, draft, false); err != nil {
		t.Fatal(err)
	}
	recs := since(t, db, mark)
	tables := make([]string, len(recs))
	for i, r := range recs {
		tables[i] = r.TableName
	}
	if want := []string{"requisitions", "requisition_lines"}; !slices.Equal(tables, want) {
		t.Fatalf("saving a changed quantity recorded %v, want %v: %+v", tables, want, recs)
	}
	if q := value(t, recs[1], false, "quantity_milli"); q != float64(12000) || value(t, recs[1], true, "quantity_milli") != float64(10000) {
		t.Errorf("line recorded old %v new %v", recs[1].Old, recs[1].New)
	}
	if res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme)); err != nil || !res.Intact() {
		t.Errorf("Verify: %s %v", res, err)
	}
}
