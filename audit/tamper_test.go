package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/internal/testutil"
	"outlay/models"
)

// seedLog makes a log of six rows: a user, two grants, a role and two events.
func seedLog(t *testing.T, env *testutil.Env, db *gorm.DB) {
	t.Helper()
	ctx := asUser()
	if _, err := models.CreateUser(ctx, db, models.NewUser{Email: "gil@acme.example", Name: "Gil", Roles: []string{"requester", "approver"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.WithContext(ctx).Create(&models.Role{Name: "buyer", Label: "Buyer"}).Error; err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{audit.EventExport, audit.EventImport} {
		if err := audit.Event(ctx, db, name, "file.csv", nil); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := audit.Verify(context.Background(), db); err != nil || !res.Intact() || res.Rows != 6 || res.HeadID != 6 {
		t.Fatalf("seeded log: %+v %v", res, err)
	}
}

// Someone with the database's owner or superuser rights disables the triggers and changes
// the log behind the app's back; Verify names the first row that is wrong, and how.
func TestVerifyFindsTampering(t *testing.T) {
	env := testutil.NewEnv(t)
	for i, tc := range []struct {
		name    string
		tamper  []string
		problem audit.Problem
		badID   int64
		detail  string
	}{
		{"a row edited", []string{`UPDATE audit_log SET actor_label = 'mallory' WHERE id = 3`},
			audit.Altered, 3, "contents do not match its hash"},
		{"a row's old values edited", []string{`UPDATE audit_log SET new = new || '{"name": "Gilbert"}' WHERE id = 1`},
			audit.Altered, 1, "contents do not match its hash"},
		{"a row edited and its hash recomputed", []string{
			`UPDATE audit_log SET actor_label = 'mallory' WHERE id = 3`,
			`UPDATE audit_log SET hash = sha256(convert_to(audit_canonical(audit_log), 'UTF8')) WHERE id = 3`},
			audit.Altered, 3, "replaced and its hash recomputed"},
		{"a row removed", []string{`DELETE FROM audit_log WHERE id = 3`},
			audit.Removed, 3, "row 3 is missing"},
		{"rows removed", []string{`DELETE FROM audit_log WHERE id IN (2, 3, 4)`},
			audit.Removed, 2, "rows 2 to 4 are missing"},
		{"the first row removed", []string{`DELETE FROM audit_log WHERE id = 1`},
			audit.Removed, 1, "row 1 is missing"},
		{"an old row replayed at the end", []string{`INSERT INTO audit_log
			SELECT 7, at, actor_type, actor_id, actor_label, action, event, subject, details, table_name, record_id,
			       old, new, changed, request_id, ip, prev_hash, hash FROM audit_log WHERE id = 2`},
			audit.InsertedOutOfOrder, 7, "chained after row 1 but follows row 6"},
		{"a forged row appended", []string{`INSERT INTO audit_log (id, actor_type, action, event, prev_hash, hash)
			VALUES (7, 'system', 'event', 'signin.success', '\xdead', '\xbeef')`},
			audit.InsertedOutOfOrder, 7, "not chained to row 6"},
		{"a row inserted with a number skipped", []string{`INSERT INTO audit_log (id, actor_type, action, event, prev_hash, hash)
			SELECT 9, 'system', 'event', 'signin.success', hash, '\x00' FROM audit_log WHERE id = 6`},
			audit.InsertedOutOfOrder, 9, "chained directly after row 6 but numbered 9"},
		{"a forged first row", []string{`DELETE FROM audit_log WHERE id = 1`, `INSERT INTO audit_log (id, actor_type, action, event, prev_hash, hash)
			VALUES (1, 'system', 'event', 'signin.success', '\x0000000000000000000000000000000000000000000000000000000000000000', '\x00')`},
			audit.Altered, 1, "contents do not match its hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := env.NewTenant(t, fmt.Sprintf("tamper-%d", i), "Tampered")
			db := env.DB(t, tn)
			seedLog(t, env, db)
			mustExec(t, db, `ALTER TABLE audit_log DISABLE TRIGGER USER`)
			for _, sql := range tc.tamper {
				mustExec(t, db, sql)
			}
			res, err := audit.Verify(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			if res.Intact() || res.Problem != tc.problem || res.BadID != tc.badID || !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("Verify: %s (%+v); want row %d %s: ...%s...", res, res, tc.badID, tc.problem, tc.detail)
			}
		})
	}
}

// Records committed while the commit trigger was disabled never reach the chain.
func TestVerifyFindsRecordsThatWereNeverChained(t *testing.T) {
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	seedLog(t, env, db)
	mustExec(t, db, `ALTER TABLE audit_pending DISABLE TRIGGER USER`)
	err := db.Transaction(func(tx *gorm.DB) error { return audit.Event(asUser(), tx, audit.EventExport, "quiet.csv", nil) })
	if err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if res.Problem != audit.Unchained || res.BadID != 7 || !strings.Contains(res.Detail, "1 committed records") {
		t.Errorf("Verify: %s", res)
	}
}

// What the chain alone cannot show: the newest rows removed together leave a shorter valid
// chain. The head Verify reports, recorded outside the database, is what shows it.
func TestRemovingTheNewestRowsShowsOnlyInTheHead(t *testing.T) {
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	seedLog(t, env, db)
	before, err := audit.Verify(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `ALTER TABLE audit_log DISABLE TRIGGER USER`)
	mustExec(t, db, `DELETE FROM audit_log WHERE id >= 5`)
	after, err := audit.Verify(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Intact() || after.HeadID != 4 || before.HeadID != 6 {
		t.Errorf("before %+v, after %+v", before, after)
	}
}

// The canonical encoding in Go and in the database agree: every hash the trigger computed
// checks out, including for values that need escaping, unicode and large numbers.
func TestTheTriggerAndVerifyAgreeOnTheEncoding(t *testing.T) {
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorToken, ID: 3, Label: "Zoë's \"CI\" token\n", RequestID: "r", IP: "2001:db8::1"})
	details := map[string]any{"a": 1e21, "b": 1.5, "c": "tab\there", "ü": []any{nil, true, "x"}, "n": map[string]any{"z": 0, "a": -0.0001}}
	if err := audit.Event(ctx, db, "policy.changed", "", details); err != nil {
		t.Fatal(err)
	}
	if err := db.WithContext(ctx).Create(&models.Role{Name: "emoji", Label: "🙂 ' \\ \u0001"}).Error; err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(context.Background(), db)
	if err != nil || !res.Intact() || res.Rows != 2 {
		t.Errorf("Verify: %s %v", res, err)
	}
}
