package models_test

import (
	"strings"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// TestUnreadCountReadsOnlyThePersonsNotifications reads the plans of the bell's count, which
// every request makes with its session, over 40,000 notifications read and 5,000 unread that
// came after the table's statistics (taken while none was unread): each reads the person's
// unread notifications by recipient, never every unread notification of the organisation, as
// it did through the index of a document's notifications while that held only unread ones.
func TestUnreadCountReadsOnlyThePersonsNotifications(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ivy := env.CreateUser(t, acme, "ivy@acme.example", "Ivy Requester", "requester")
	for _, q := range []string{
		// Autovacuum would take the statistics again once enough rows changed.
		`ALTER TABLE notifications SET (autovacuum_enabled = false)`,
		`INSERT INTO users (email, name, password_hash, status)
			SELECT 'person' || i || '@acme.example', 'Person ' || i, 'x', 'active' FROM generate_series(1, 200) i`,
		`INSERT INTO notifications (recipient_id, kind, doc_type, doc_id, title, link_path, created_at, read_at)
			SELECT (SELECT min(id) FROM users WHERE email LIKE 'person%') + i % 200, 'notify_decided', 'requisition', i,
				'Requisition ' || i, '/requisitions/' || i, now() - make_interval(mins => i), now()
			FROM generate_series(1, 40000) i`,
		`ANALYZE notifications`,
		`INSERT INTO notifications (recipient_id, kind, doc_type, doc_id, title, link_path)
			SELECT (SELECT min(id) FROM users WHERE email LIKE 'person%') + i % 200, 'notify_decided', 'requisition', i,
				'Requisition ' || i, '/requisitions/' || i
			FROM generate_series(1, 5000) i`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"session": {models.SessionIdentitySQL, []any{[]byte("digest"), 7200}},
		"bell":    {`SELECT count(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL`, []any{ivy.ID}},
	} {
		var plan string
		if err := sqlDB.QueryRow("EXPLAIN (FORMAT JSON) "+q.sql, q.args...).Scan(&plan); err != nil {
			t.Fatalf("%s: explain: %v", name, err)
		}
		whole := false
		for _, root := range planRoots(t, plan) {
			whole = whole || seqScan(root, "notifications") != ""
		}
		if whole || strings.Contains(plan, `"Index Name": "notifications_document"`) {
			t.Errorf("%s reads every unread notification:\n%s", name, plan)
		}
	}
}
