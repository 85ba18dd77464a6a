package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/tenancy"
)

// seedLog makes a log of six rows: a user, two grants, a role and two events.
func seedLog(t *testing.T, env *dbtest.Env, tn tenancy.Tenant, db *gorm.DB) {
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
	if res, err := audit.Verify(context.Background(), db, env.AuditKey(t, tn)); err != nil || !res.Intact() || res.Rows != 6 || res.HeadID != 6 || res.KeyedFrom != 1 {
		t.Fatalf("seeded log: %+v %v", res, err)
	}
}

// Someone with the database's owner or superuser rights disables the triggers and changes
// the log behind the app's back; Verify names the first row that is wrong, and how.
func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	env := dbtest.NewEnv(t)
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
			audit.Altered, 3, "keyed hash does not match"},
		{"a row edited and every hash after it recomputed", []string{
			`UPDATE audit_log SET actor_label = 'mallory' WHERE id = 3`, rechainFrom(3)},
			audit.Altered, 3, "keyed hash does not match"},
		{"a row edited, every hash after it recomputed and the keyed hashes dropped", []string{
			`UPDATE audit_log SET actor_label = 'mallory' WHERE id = 3`, rechainFrom(3),
			`UPDATE audit_log SET keyed_hash = NULL WHERE id >= 3`},
			audit.Altered, 3, "no keyed hash though the rows from 1 on have one"},
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
			seedLog(t, env, tn, db)
			mustExec(t, db, `ALTER TABLE audit_log DISABLE TRIGGER USER`)
			for _, sql := range tc.tamper {
				mustExec(t, db, sql)
			}
			res, err := audit.Verify(context.Background(), db, env.AuditKey(t, tn))
			if err != nil {
				t.Fatal(err)
			}
			if res.Intact() || res.Problem != tc.problem || res.BadID != tc.badID || !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("Verify: %s (%+v); want row %d %s: ...%s...", res, res, tc.badID, tc.problem, tc.detail)
			}
		})
	}
}

// rechainFrom is SQL that recomputes, as someone without the secret key can, the plain hash
// of every row from id on, each chained to the one before.
func rechainFrom(id int) string {
	return fmt.Sprintf(`DO $$
	DECLARE r record; prev bytea;
	BEGIN
		SELECT hash INTO prev FROM audit_log WHERE id = %[1]d - 1;
		FOR r IN SELECT id FROM audit_log WHERE id >= %[1]d ORDER BY id LOOP
			UPDATE audit_log SET prev_hash = prev WHERE id = r.id;
			UPDATE audit_log SET hash = sha256(convert_to(audit_canonical(audit_log), 'UTF8')) WHERE id = r.id RETURNING hash INTO prev;
		END LOOP;
	END $$`, id)
}

// Rows written before the chain was keyed have no keyed hash and verify as before; the first
// keyed row vouches for them, so rewriting one of them shows there.
func TestRowsFromBeforeKeyingAreVouchedForByTheFirstKeyedRow(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	seedLog(t, env, acme, db)
	key := env.AuditKey(t, acme)
	mustExec(t, db, `ALTER TABLE audit_log DISABLE TRIGGER USER`)
	mustExec(t, db, `UPDATE audit_log SET keyed_hash = NULL WHERE id <= 3`)
	res, err := audit.Verify(context.Background(), db, key)
	if err != nil || !res.Intact() || res.KeyedFrom != 4 || res.Rows != 6 {
		t.Fatalf("older unkeyed rows: %s %+v %v", res, res, err)
	}
	mustExec(t, db, `UPDATE audit_log SET actor_label = 'mallory' WHERE id = 2`)
	mustExec(t, db, rechainFrom(2))
	res, err = audit.Verify(context.Background(), db, key)
	if err != nil || res.Problem != audit.Altered || res.BadID != 4 || !strings.Contains(res.Detail, "or a row before it") {
		t.Errorf("an unkeyed row rewritten: %s %v", res, err)
	}
}

// The log checks out only under the key it was written with: another deployment's secret,
// or another tenant's key, finds the first keyed row wrong.
func TestVerifyNeedsTheKeyTheLogWasWrittenWith(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	seedLog(t, env, acme, db)
	other, err := audit.TenantKey(env.Config.SecretKey, "globex")
	if err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(context.Background(), db, other)
	if err != nil || res.Problem != audit.Altered || res.BadID != 1 || !strings.Contains(res.Detail, "not the one the log was written with") {
		t.Errorf("Verify under another key: %s %v", res, err)
	}
}

// A connection opened without the tenant's key cannot add to the log: the database refuses.
func TestAConnectionWithoutTheKeyCannotWriteTheLog(t *testing.T) {
	t.Parallel()
	_, acme := dbtest.NewTenant(t)
	conn, err := pgx.Connect(context.Background(), acme.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), `INSERT INTO audit_log (actor_type, action, event, prev_hash, hash) VALUES ('system', 'event', 'export', '\x', '\x')`)
	if err == nil || !strings.Contains(err.Error(), "no audit key") {
		t.Errorf("insert without the key: %v, want a refusal naming the missing key", err)
	}
}

// Records committed while the commit trigger was disabled never reach the chain.
func TestVerifyFindsRecordsThatWereNeverChained(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	seedLog(t, env, acme, db)
	mustExec(t, db, `ALTER TABLE audit_pending DISABLE TRIGGER USER`)
	err := db.Transaction(func(tx *gorm.DB) error { return audit.Event(asUser(), tx, audit.EventExport, "quiet.csv", nil) })
	if err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme))
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
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	seedLog(t, env, acme, db)
	before, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme))
	if err != nil {
		t.Fatal(err)
	}
	if problem, err := audit.CheckHead(context.Background(), db, before, audit.Head{Slug: acme.Slug, ID: before.HeadID, Hash: before.HeadHash}); err != nil || problem != "" {
		t.Errorf("the head against the log it was taken from: %q %v", problem, err)
	}
	mustExec(t, db, `ALTER TABLE audit_log DISABLE TRIGGER USER`)
	mustExec(t, db, `DELETE FROM audit_log WHERE id >= 5`)
	after, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme))
	if err != nil {
		t.Fatal(err)
	}
	if !after.Intact() || after.HeadID != 4 || before.HeadID != 6 {
		t.Errorf("before %+v, after %+v", before, after)
	}
	head := audit.Head{Slug: acme.Slug, ID: before.HeadID, Hash: before.HeadHash, At: time.Now()}
	if problem, err := audit.CheckHead(context.Background(), db, after, head); err != nil || !strings.Contains(problem, "the newest rows were cut off: the log ends at row 4, but row 6 was its head") {
		t.Errorf("the head after the newest rows were removed: %q %v", problem, err)
	}
}

// The canonical encoding in Go and in the database agree: every hash the trigger computed
// checks out, including for values that need escaping, unicode and large numbers.
func TestTheTriggerAndVerifyAgreeOnTheEncoding(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorToken, ID: 3, Label: "Zoë's \"CI\" token\n", RequestID: "r", IP: "2001:db8::1"})
	details := map[string]any{"a": 1e21, "b": 1.5, "c": "tab\there", "ü": []any{nil, true, "x"}, "n": map[string]any{"z": 0, "a": -0.0001}}
	if err := audit.Event(ctx, db, "policy.changed", "", details); err != nil {
		t.Fatal(err)
	}
	if err := db.WithContext(ctx).Create(&models.Role{Name: "emoji", Label: "🙂 ' \\ \u0001"}).Error; err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme))
	if err != nil || !res.Intact() || res.Rows != 2 {
		t.Errorf("Verify: %s %v", res, err)
	}
}

// The chain trigger writes the canonical text itself (rather than printing audit_canonical's
// jsonb, which costs more): for records of every shape, written in and out of transactions, the
// hash it stores is the hash of audit_canonical's text.
func TestTheTriggersTextIsAuditCanonical(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: 9, Label: "Zoë \"Q\" <q@acme.example>\t", RequestID: "r\u2028", IP: "192.0.2.7"})
	details := map[string]any{"long": strings.Repeat("é", 300), "nested": map[string]any{"b": []any{1, "2", nil, false}, "a": 1e-7}, "": "empty key"}
	if err := audit.Event(ctx, db, "test.encoding", "subject with \"quotes\", \\ and \u0007", details); err != nil {
		t.Fatal(err)
	}
	if err := audit.Event(context.Background(), db, "test.bare", "", nil); err != nil {
		t.Fatal(err)
	}
	role := models.Role{Name: "odd", Label: "🙂 \u2028 '\"\\"}
	if err := db.WithContext(ctx).Create(&role).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&role).Update("label", strings.Repeat("long label ", 40)).Error; err != nil {
			return err
		}
		return audit.Event(ctx, tx, "test.in_transaction", "s", map[string]any{"n": -0.5})
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.WithContext(ctx).Delete(&role).Error; err != nil {
		t.Fatal(err)
	}
	var rows, mismatched int64
	if err := db.Raw(`SELECT count(*), count(*) FILTER (WHERE hash <> sha256(convert_to(audit_canonical(audit_log), 'UTF8'))) FROM audit_log`).
		Row().Scan(&rows, &mismatched); err != nil {
		t.Fatal(err)
	}
	if rows != 6 || mismatched != 0 {
		t.Errorf("%d rows, %d of them hashed over another text than audit_canonical's", rows, mismatched)
	}
	if res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme)); err != nil || !res.Intact() || res.Rows != 6 {
		t.Errorf("Verify: %s %v", res, err)
	}
}
