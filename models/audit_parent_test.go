package models_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// The tables and columns History reads by parent are those the database's audit_parent
// reads, and every document kind's lines are among them: a table missing from either would
// leave its rows out of the parent's History, or read them all.
func TestAuditParentsAreTheDatabases(t *testing.T) {
	t.Parallel()
	env, tn := dbtest.NewTenant(t)
	db := env.DB(t, tn)
	for _, k := range models.DocumentKinds() {
		for _, table := range append([]string{k.History.LinesTable}, k.History.MoreRelated...) {
			if models.AuditParents[table] != k.History.LinesKey {
				t.Errorf("%s's History reads %s by %s; auditParents says %q", k.Type, table, k.History.LinesKey, models.AuditParents[table])
			}
		}
	}
	for _, h := range []models.RecordHistory{models.UserHistory("5"), models.RoleHistory("5")} {
		if models.AuditParents[h.RelatedTable] != h.RelatedKey {
			t.Errorf("%s's History reads %s by %s; auditParents says %q", h.Table, h.RelatedTable, h.RelatedKey, models.AuditParents[h.RelatedTable])
		}
	}
	check := func(table, row, want string) {
		t.Helper()
		var got *string
		if err := db.Raw(`SELECT audit_parent(?, NULL, ?::jsonb)`, table, row).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got == nil || *got != want {
			t.Errorf("audit_parent(%s, %s) = %v, want %q", table, row, got, want)
		}
	}
	for table, key := range models.AuditParents {
		check(table, `{"id": 9, "`+key+`": 5, "doc_type": "x", "doc_id": 7}`, "5")
	}
	for _, table := range []string{"approval_steps", "comments", "attachments"} {
		check(table, `{"id": 9, "doc_type": "requisition", "doc_id": 5}`, "requisition:5")
	}
	// The index History reads through holds the rows of each of those tables: a table left
	// out of it has its rows found by their table alone, every parent's at once.
	var predicate string
	if err := db.Raw(`SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'audit_log_parent_idx'::regclass`).
		Scan(&predicate).Error; err != nil {
		t.Fatal(err)
	}
	for _, table := range append(slices.Sorted(maps.Keys(models.AuditParents)), "approval_steps", "comments", "attachments") {
		if !strings.Contains(predicate, "'"+table+"'") {
			t.Errorf("audit_log_parent_idx holds no rows of %s: %s", table, predicate)
		}
	}
	var unknown *string
	if err := db.Raw(`SELECT audit_parent('vendors', NULL, '{"id": 5}')`).Scan(&unknown).Error; err != nil || unknown != nil {
		t.Errorf("a table with no parent: %v, %v", unknown, err)
	}
	// A History naming a table audit_parent does not read is refused, not read without it.
	if _, err := models.History(t.Context(), db, models.RecordHistory{Table: "vendors", RecordID: "5", RelatedTable: "vendor_notes", RelatedKey: "vendor_id"}, 10); err == nil {
		t.Error("a History by a parent audit_parent does not name was read")
	}
}
