package audit_test

import (
	"strconv"
	"testing"

	"gorm.io/gorm"

	"outlay/internal/dbtest"
)

// A record's changed columns are those whose values differ as JSON, whatever the column's
// type: another spelling of the same number, jsonb value or instant is no change, a value that
// becomes null or another JSON type is.
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

// updateGadget updates the gadget and fails unless the update's record lists exactly changed.
func updateGadget(t *testing.T, db *gorm.DB, id int64, what string, set map[string]any, changed []string) {
	t.Helper()
	mark := lastID(t, db)
	if err := db.Table("gadgets").Where("id = ?", id).Updates(set).Error; err != nil {
		t.Fatalf("%s: %v", what, err)
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
