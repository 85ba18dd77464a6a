package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"outlay/internal/testutil"
)

// TestHistoryPlansAtVolume proves that a record's History reads its own entries and those of
// the rows that belong to it, never every recorded row of those tables: over the volume of
// TestListPlansAtVolume it stores 300 more audit rows for every table of the tenant (rows of
// other parents, which such a read would reject one by one), fetches the History of every
// route that has one, and runs each statement that reads the log as a connection that has
// served the page a few times (mostReadOfBig): none may read more than a page of the log.
func TestHistoryPlansAtVolume(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a tenant at volume")
	}
	db, app, boss, _ := volumeSite(t)
	// Each table's rows carry every column of that table, each naming record -1 (no record's id): whatever key
	// a History looks for, these rows have it, with another parent's id.
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL session_replication_role = replica`).Error; err != nil {
			return err
		}
		// A payment run, whose History reads its lines and the bank accounts copied onto it.
		if err := tx.Exec(`INSERT INTO payment_runs (number, currency, method, due_by, pay_on, status, created_by_id, submitted_at)
			VALUES ('PAY-000001', 'USD', 'ach', current_date, current_date, 'submitted', ?, now())`, boss.ID).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO audit_log (id, at, actor_type, actor_id, actor_label, action, table_name, record_id, new, prev_hash, hash)
			SELECT h.head + row_number() OVER (), now(), 'user', 1, 'person@volume.example', 'create', t.relname, '-1', t.row,
				'\x00'::bytea, '\x00'::bytea
			FROM (SELECT coalesce(max(id), 0) AS head FROM audit_log) h,
				(SELECT c.relname, (SELECT jsonb_object_agg(a.attname, -1) FROM pg_attribute a
					WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS row
				FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND c.relname <> 'audit_log') t,
				generate_series(1, 300) g`).Error
	})
	if err == nil {
		err = db.Exec(`ANALYZE audit_log`).Error
	}
	if err != nil {
		t.Fatal(err)
	}
	big := bigTables(t, db)

	log := &statementLog{}
	log.register(t, db)
	c := app.Client(t, "acme")
	c.SignIn(boss.Email, testutil.Password)
	var shown []string
	for _, r := range app.Server.Routes() {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.Path, "/history") {
			continue
		}
		id := "1"
		for prefix, table := range map[string]string{"/expenses/": "expense_reports", "/travel/": "travel_requests", "/payments/": "payment_runs"} {
			if strings.HasPrefix(r.Path, prefix) {
				if err := db.Raw("SELECT min(id)::text FROM " + table + " WHERE status <> 'draft'").Scan(&id).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		path := strings.NewReplacer(":id", id, ":role", "requester").Replace(r.Path)
		var res *testutil.Response
		stmts := log.during(func() { res = c.Get(path) })
		if res.Status == http.StatusNotFound {
			t.Logf("%s: no such record at this volume", path)
			continue
		}
		if res.Status != http.StatusOK {
			t.Errorf("%s: status %d", path, res.Status)
			continue
		}
		shown = append(shown, r.Path)
		for _, s := range stmts {
			if !s.read() || !strings.Contains(s.sql, "audit_log") {
				continue
			}
			if rel, n, plan := mostReadOfBig(t, db, s, big); n > boundedListReads {
				t.Errorf("%s reads %d rows of %s:\n%s\n%s", path, n, rel, s.sql, plan)
			}
		}
	}
	// The Histories whose records have rows of their own must have been read.
	for _, want := range []string{"/requisitions/:id/history", "/purchase-orders/:id/history", "/expenses/:id/history",
		"/travel/:id/history", "/bills/:id/history", "/payments/:id/history", "/vendors/:id/history", "/admin/users/:id/history",
		"/admin/roles/:role/history"} {
		if !slices.Contains(shown, want) {
			t.Errorf("%s was not read at volume (shown: %v)", want, shown)
		}
	}
}
