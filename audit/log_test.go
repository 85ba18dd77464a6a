package audit_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/tenancy"
)

// tableCoverage names the tenant tables whose auditing a test in this package proves.
var tableCoverage = map[string]string{
	"users":      "TestUsersCreateUpdateDelete",
	"roles":      "TestRolesCreateUpdateDelete",
	"user_roles": "TestUserRolesCreateUpdateDelete",
	// The tables that came with role policies, people, API tokens and single sign-on.
	"casbin_rule":    "TestMoreTablesCreateUpdateDelete",
	"departments":    "TestMoreTablesCreateUpdateDelete",
	"api_tokens":     "TestMoreTablesCreateUpdateDelete",
	"sso_providers":  "TestMoreTablesCreateUpdateDelete",
	"sso_settings":   "TestMoreTablesCreateUpdateDelete",
	"sso_identities": "TestMoreTablesCreateUpdateDelete",
	// Reference data and spend documents.
	"org_settings":         "TestSpendTablesCreateUpdateDelete",
	"locations":            "TestSpendTablesCreateUpdateDelete",
	"vendors":              "TestSpendTablesCreateUpdateDelete",
	"gl_accounts":          "TestSpendTablesCreateUpdateDelete",
	"budgets":              "TestSpendTablesCreateUpdateDelete",
	"requisitions":         "TestSpendTablesCreateUpdateDelete",
	"requisition_lines":    "TestSpendTablesCreateUpdateDelete",
	"approval_rules":       "TestSpendTablesCreateUpdateDelete",
	"approval_rule_steps":  "TestSpendTablesCreateUpdateDelete",
	"approval_steps":       "TestSpendTablesCreateUpdateDelete",
	"approval_delegations": "TestSpendTablesCreateUpdateDelete",
	"purchase_orders":      "TestSpendTablesCreateUpdateDelete",
	"purchase_order_lines": "TestSpendTablesCreateUpdateDelete",
	"receipts":             "TestSpendTablesCreateUpdateDelete",
	"receipt_lines":        "TestSpendTablesCreateUpdateDelete",
	"comments":             "TestSpendTablesCreateUpdateDelete",
	"attachments":          "TestSpendTablesCreateUpdateDelete",
	// Two-factor sign-in.
	"user_two_factor":           "TestTwoFactorTablesCreateUpdateDelete",
	"two_factor_settings":       "TestTwoFactorTablesCreateUpdateDelete",
	"two_factor_required_roles": "TestTwoFactorTablesCreateUpdateDelete",
	// Expense reports and their reference data.
	"expense_categories": "TestExpenseTablesCreateUpdateDelete",
	"mileage_rates":      "TestExpenseTablesCreateUpdateDelete",
	"per_diem_rates":     "TestExpenseTablesCreateUpdateDelete",
	"expense_reports":    "TestExpenseTablesCreateUpdateDelete",
	"expense_lines":      "TestExpenseTablesCreateUpdateDelete",
	// Notification preferences.
	"notification_preferences": "TestNotificationPreferencesCreateUpdateDelete",
	// Travel requests.
	"travel_requests": "TestTravelTablesCreateUpdateDelete",
	"travel_legs":     "TestTravelTablesCreateUpdateDelete",
	// Vendors' bank details.
	"vendor_bank_accounts": "TestVendorBankAccountsCreateUpdateDelete",
	// Payments.
	"payment_runs":     "TestPaymentTablesCreateUpdateDelete",
	"payment_lines":    "TestPaymentTablesCreateUpdateDelete",
	"payment_settings": "TestPaymentTablesCreateUpdateDelete",
	// The bank accounts copied onto payment runs.
	"payment_run_vendors": "TestPaymentTablesCreateUpdateDelete",
	// Accounting export batches.
	"export_batches":         "TestExportBatchTablesCreateUpdateDelete",
	"export_batch_documents": "TestExportBatchTablesCreateUpdateDelete",
	// Bills.
	"bills":      "TestBillTablesCreateUpdateDelete",
	"bill_lines": "TestBillTablesCreateUpdateDelete",
	// Reimbursements: bank accounts, batches and cash advances netted.
	"user_bank_accounts":         "TestReimbursementTablesCreateUpdateDelete",
	"reimbursement_batches":      "TestReimbursementTablesCreateUpdateDelete",
	"expense_advance_deductions": "TestReimbursementTablesCreateUpdateDelete",
}

// Every table of the tenant schema is either proven audited by a test or deliberately not
// audited, with a reason. A new table fails here until it is one or the other.
func TestEveryTenantTableIsAuditedOrListedAsNot(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	var tables []string
	err := db.Raw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`).Scan(&tables).Error
	if err != nil {
		t.Fatal(err)
	}
	notAudited := audit.NotAudited()
	for _, table := range tables {
		test, covered := tableCoverage[table]
		reason, skipped := notAudited[table]
		switch {
		case covered && skipped:
			t.Errorf("table %s is covered by %s but also listed as not audited (%s)", table, test, reason)
		case !covered && !skipped:
			t.Errorf("table %s has no audit test: add one (create, update and delete each leave one record) "+
				"and list it in tableCoverage, or list it in audit's notAudited with the reason", table)
		}
	}
	for table := range tableCoverage {
		if !slices.Contains(tables, table) {
			t.Errorf("tableCoverage names %s, which the schema does not have", table)
		}
	}
}

// Secrets are recorded as changed, never stored: neither a password hash nor a detail that
// is named like a secret appears anywhere in the log.
func TestSecretsAreRecordedAsChangedButNeverStored(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := asUser()
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: "fay@acme.example", Name: "Fay", Password: dbtest.Password, Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	first := u.PasswordHash
	mark := lastID(t, db)
	if err := models.SetPassword(ctx, db, u.ID, "another long password"); err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "SetPassword")
	checkChange(t, rec, "update", "users", fmt.Sprint(u.ID), "password_hash", "updated_at")
	if value(t, rec, true, "password_hash") != audit.Redacted || value(t, rec, false, "password_hash") != audit.Redacted {
		t.Errorf("password change recorded as %v -> %v", rec.Old["password_hash"], rec.New["password_hash"])
	}
	var second string
	db.Raw(`SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&second)
	if err := audit.Event(ctx, db, audit.EventSSOChanged, "google", map[string]any{"client_id": "abc", "client_secret": "s3cr3t-value", "webhook_secret": "whs-value"}); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{first, second, "s3cr3t-value", "whs-value"} {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM audit_log a WHERE strpos(a::text, ?) > 0`, secret).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("a secret (%.12s...) is stored in %d audit rows", secret, n)
		}
	}
	for _, name := range []string{"password_hash", "token_hash", "client_secret", "id_hash", "webhook_secret", "smtp_password"} {
		if !audit.IsSecretColumn(name) {
			t.Errorf("%s is not treated as a secret", name)
		}
	}
	for _, name := range []string{"name", "email", "hash_algorithm", "secretary"} {
		if audit.IsSecretColumn(name) {
			t.Errorf("%s is treated as a secret", name)
		}
	}
}

func TestEventsAreRecordedWithTheActorAndRideInTransactions(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	mark := lastID(t, db)
	if err := audit.Event(asUser(), db, audit.EventExport, "requisitions.csv", map[string]any{"rows": 42}); err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "event")
	checkActor(t, rec)
	if rec.Action != "event" || rec.Event != "export" || rec.Subject != "requisitions.csv" || rec.Details["rows"] != float64(42) ||
		rec.TableName != "" || rec.Old != nil || rec.New != nil {
		t.Errorf("recorded %+v", rec)
	}

	mark = lastID(t, db)
	errUndo := errors.New("undo")
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := audit.Event(asUser(), tx, audit.EventImport, "vendors.csv", nil); err != nil {
			return err
		}
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatal(err)
	}
	if recs := since(t, db, mark); len(recs) != 0 {
		t.Errorf("rolled-back event recorded: %+v", recs)
	}
	if err := audit.Event(context.Background(), db, "Not An Event", "", nil); err == nil {
		t.Error("an event name with spaces was accepted")
	}
	bad := audit.WithActor(context.Background(), audit.Actor{Type: "robot"})
	if err := audit.Event(bad, db, audit.EventExport, "", nil); err == nil {
		t.Error("an unknown actor type was accepted")
	}
}

// The log is append-only for everyone, superusers included (the tests connect as one).
func TestTheLogRefusesUpdateDeleteAndTruncate(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	if err := audit.Event(asUser(), db, audit.EventExport, "x", nil); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE audit_log SET actor_label = 'mallory'`,
		`UPDATE audit_log SET actor_label = 'mallory' WHERE false`,
		`DELETE FROM audit_log`,
		`DELETE FROM audit_log WHERE id = 1`,
		`TRUNCATE audit_log`,
	} {
		err := db.Exec(sql).Error
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(pgErr.Message, "append-only") {
			t.Errorf("%s: %v, want the append-only refusal", sql, err)
		}
	}
	if res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme)); err != nil || !res.Intact() || res.Rows != 1 {
		t.Errorf("after refused changes: %+v %v", res, err)
	}
}

// The rules on a record's shape hold for every insert, straight into audit_log (a write outside
// a transaction) or into audit_pending (inside one), whoever writes it: a malformed record is
// refused where it is written, and a well-formed one is chained.
func TestTheLogRefusesMalformedRecords(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	const columns = ` (actor_type, action, event, table_name, record_id) VALUES `
	malformed := map[string]string{
		"an unknown actor type":       `('robot', 'event', 'test.x', NULL, NULL)`,
		"an unknown action":           `('user', 'upsert', NULL, 'users', '1')`,
		"a change naming an event":    `('user', 'update', 'test.x', 'users', '1')`,
		"an event naming no event":    `('user', 'event', NULL, NULL, NULL)`,
		"a change without its table":  `('user', 'update', NULL, NULL, '1')`,
		"a change without its record": `('system', 'delete', NULL, 'users', NULL)`,
	}
	for what, values := range malformed {
		for _, table := range []string{"audit_log", "audit_pending"} {
			err := db.Transaction(func(tx *gorm.DB) error { return tx.Exec(`INSERT INTO ` + table + columns + values).Error })
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
				t.Errorf("%s, into %s: %v; want a check violation", what, table, err)
			}
		}
	}
	mustExec(t, db, `INSERT INTO audit_log`+columns+`('system', 'event', 'test.direct', NULL, NULL)`)
	if err := db.Transaction(func(tx *gorm.DB) error {
		return tx.Exec(`INSERT INTO audit_pending` + columns + `('user', 'update', NULL, 'users', '1')`).Error
	}); err != nil {
		t.Fatal(err)
	}
	if res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme)); err != nil || !res.Intact() || res.Rows != 2 {
		t.Errorf("after two well-formed records: %+v %v", res, err)
	}
}

// Many writers at once, in and out of transactions, leave one unbroken chain in which every
// record appears once.
func TestConcurrentWritersLeaveAnUnbrokenChain(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	// A pool of its own, wide enough that many writers are in the database at once.
	pools := tenancy.NewPools(16, 16, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	db, release, err := pools.Acquire(context.Background(), acme)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	shared := env.CreateUser(t, acme, "shared@acme.example", "Shared", "requester")
	mark := lastID(t, db)
	const writers = 50
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: int64(i + 1), Label: fmt.Sprintf("writer-%d", i)})
			tdb := db.WithContext(ctx)
			// One statement: a row everyone updates.
			if err := tdb.Model(&models.User{ID: shared.ID}).Update("name", fmt.Sprintf("Shared %d", i)).Error; err != nil {
				t.Errorf("writer %d: %v", i, err)
				return
			}
			// A transaction of three records: a user, a grant and an event.
			err := tdb.Transaction(func(tx *gorm.DB) error {
				u := models.User{Email: fmt.Sprintf("w%d@acme.example", i), Name: "W", Status: models.UserActive}
				if err := tx.Create(&u).Error; err != nil {
					return err
				}
				if err := tx.Create(&models.UserRole{UserID: u.ID, Role: "requester"}).Error; err != nil {
					return err
				}
				return audit.Event(ctx, tx, audit.EventImport, "batch", nil)
			})
			if err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	recs := since(t, db, mark)
	if len(recs) != writers*4 {
		t.Errorf("%d records, want %d", len(recs), writers*4)
	}
	res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Intact() {
		t.Fatalf("chain broken after concurrent writes: %s", res)
	}
	// Records of one transaction are consecutive: the chain follows commit order.
	pos := map[string][]int64{}
	for _, r := range recs {
		if r.Action != "update" {
			pos[r.ActorLabel] = append(pos[r.ActorLabel], r.ID)
		}
	}
	for label, ids := range pos {
		if len(ids) != 3 || ids[2]-ids[0] != 2 {
			t.Errorf("%s's transaction is recorded at %v, want three consecutive rows", label, ids)
		}
	}
}

// A transaction's records wait in audit_pending and are chained together at COMMIT, in the
// order they were written, however many (here more than the 10,000 the commit step chains at
// a time). SET CONSTRAINTS ... IMMEDIATE chains the records written so far; those written
// after it are chained at COMMIT.
func TestATransactionsRecordsAreChainedTogetherAtCommit(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	ctx := asUser()
	db := env.DB(t, acme).WithContext(ctx)
	mark := lastID(t, db)
	const many = 10_001
	chained := func(tx *gorm.DB) int64 {
		t.Helper()
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM audit_log WHERE id > ?`, mark).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&[]models.Role{{Name: "first", Label: "First"}, {Name: "second", Label: "Second"}}).Error; err != nil {
			return err
		}
		if n := chained(tx); n != 0 {
			t.Errorf("%d records chained before COMMIT, want none", n)
		}
		mustExec(t, tx, `SET CONSTRAINTS ALL IMMEDIATE`)
		if n := chained(tx); n != 2 {
			t.Errorf("%d records chained after SET CONSTRAINTS ALL IMMEDIATE, want the 2 written", n)
		}
		mustExec(t, tx, `SET CONSTRAINTS ALL DEFERRED`)
		mustExec(t, tx, `INSERT INTO audit_pending (actor_type, action, event, subject)
			SELECT 'system', 'event', 'test.bulk', g::text FROM generate_series(1, ?) g`, many)
		return audit.Event(ctx, tx, "test.last", "", nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := since(t, db, mark)
	if len(recs) != 2+many+1 {
		t.Fatalf("%d records, want %d", len(recs), 2+many+1)
	}
	for i, r := range recs {
		want := "test.bulk " + strconv.Itoa(i-1)
		switch {
		case i < 2:
			want = "create roles"
		case i == len(recs)-1:
			want = "test.last "
		}
		if got := r.Event + " " + r.Subject; i < 2 && r.Action+" "+r.TableName != want || i >= 2 && got != want || r.ID != mark+int64(i)+1 {
			t.Fatalf("record %d: %d %s %s %q %q, want %s numbered %d", i, r.ID, r.Action, r.TableName, r.Event, r.Subject, want, mark+int64(i)+1)
		}
	}
	var left int64
	if err := db.Raw(`SELECT (SELECT count(*) FROM audit_pending) + (SELECT count(*) FROM audit_seal)`).Scan(&left).Error; err != nil || left != 0 {
		t.Errorf("%d rows left waiting after COMMIT (%v)", left, err)
	}
	if res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme)); err != nil || !res.Intact() || res.HeadID != mark+2+many+1 {
		t.Errorf("Verify: %s %v", res, err)
	}
}

// TestACommitReadsItsOwnRecordsByIndex: COMMIT finds the transaction's waiting records by its
// transaction id, through audit_pending's index, never by reading the table whole (which
// keeps every earlier transaction's deleted records until it is vacuumed). A record written
// inside a savepoint carries the top-level transaction's id and is chained with the rest.
func TestACommitReadsItsOwnRecordsByIndex(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	ctx := asUser()
	db := env.DB(t, acme).WithContext(ctx)
	for i := range 20 { // earlier transactions, whose records are now deleted tuples
		if err := db.Transaction(func(tx *gorm.DB) error {
			return audit.Event(ctx, tx, "test.earlier", strconv.Itoa(i), nil)
		}); err != nil {
			t.Fatal(err)
		}
	}
	mark := lastID(t, db)
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := audit.Event(ctx, tx, "test.outer", "", nil); err != nil {
			return err
		}
		if err := tx.Transaction(func(sp *gorm.DB) error {
			return audit.Event(ctx, sp, "test.savepoint", "", nil)
		}); err != nil {
			return err
		}
		mustExec(t, tx, `SET CONSTRAINTS ALL IMMEDIATE`) // the commit step, run now
		var scans struct{ Seq, Idx int64 }
		if err := tx.Raw(`SELECT coalesce(seq_scan, 0) AS seq, coalesce(idx_scan, 0) AS idx
			FROM pg_stat_xact_user_tables WHERE relname = 'audit_pending'`).Scan(&scans).Error; err != nil {
			return err
		}
		if scans.Seq != 0 || scans.Idx == 0 {
			t.Errorf("the commit step read audit_pending with %d sequential and %d index scans, want index scans only", scans.Seq, scans.Idx)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := since(t, db, mark)
	if len(recs) != 2 || recs[0].Event != "test.outer" || recs[1].Event != "test.savepoint" {
		t.Fatalf("records after the transaction: %+v, want test.outer then test.savepoint", recs)
	}
	if res, err := audit.Verify(context.Background(), db, env.AuditKey(t, acme)); err != nil || !res.Intact() {
		t.Errorf("Verify: %s %v", res, err)
	}
}
