package models_test

import (
	"context"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
)

// TestQueueCountIsTheQueuesTotal counts the queue of people it reaches every way (named,
// through a role, as a delegate, for the escalation role, several ways at once, among their
// own documents and rounds they already approved in) over 30,000 steps: the badge, the
// dashboard's card and the queue's own total agree for each.
func TestQueueCountIsTheQueuesTotal(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	max := env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	boss := env.CreateUser(t, acme, "boss@acme.example", "Bea Boss", "approver", "admin")
	admin := env.CreateUser(t, acme, "admin@acme.example", "Ada Admin", "admin")
	seedQueueVolume(t, db, max.ID)

	var requester, firstApprover, away int64
	for _, q := range []struct {
		sql string
		out *int64
	}{
		// Someone whose own requisition waits for Max.
		{`SELECT r.requester_id FROM requisitions r JOIN approval_steps s ON s.doc_type = 'requisition' AND s.doc_id = r.id
			WHERE s.status = 'pending' AND s.approver_id = ? ORDER BY r.id LIMIT 1`, &requester},
		// Someone who approved the first step of a requisition that now waits for Max.
		{`SELECT f.acted_by FROM approval_steps f JOIN approval_steps s ON s.doc_type = f.doc_type AND s.doc_id = f.doc_id AND s.round = f.round
			WHERE f.position = 1 AND f.status = 'approved' AND s.status = 'pending' AND s.approver_id = ? AND f.acted_by <> ?
			ORDER BY f.id LIMIT 1`, &firstApprover},
		// Someone else with open steps, deactivated below.
		{`SELECT approver_id FROM approval_steps WHERE status = 'pending' AND approver_id <> ? GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, &away},
	} {
		args := []any{max.ID}
		if q.out == &firstApprover {
			args = append(args, requester)
		}
		if err := db.Raw(q.sql, args...).Scan(q.out).Error; err != nil || *q.out == 0 {
			t.Fatalf("%s: %d, %v", q.sql, *q.out, err)
		}
	}
	today := time.Now().Format(time.DateOnly)
	for _, s := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO user_roles (user_id, role) VALUES (?, 'approver'), (?, 'approver') ON CONFLICT DO NOTHING`, []any{requester, firstApprover}},
		{`INSERT INTO approval_delegations (user_id, delegate_id, starts_on, ends_on) VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)`,
			[]any{max.ID, requester, today, today, max.ID, firstApprover, today, today, max.ID, boss.ID, today, today, away, boss.ID, today, today}},
		{`UPDATE users SET status = 'deactivated' WHERE id = ?`, []any{away}},
	} {
		if err := db.Exec(s.sql, s.args...).Error; err != nil {
			t.Fatal(err)
		}
	}

	for name, v := range map[string]models.Viewer{
		"named":                         {UserID: max.ID, Roles: []string{"approver"}},
		"delegate among own documents":  {UserID: requester, Roles: []string{"approver", "requester"}},
		"delegate who approved a round": {UserID: firstApprover, Roles: []string{"approver", "requester"}},
		"every way at once":             {UserID: boss.ID, Roles: []string{"admin", "approver"}},
		"escalation role":               {UserID: admin.ID, Roles: []string{"admin"}},
		"no role":                       {UserID: admin.ID},
	} {
		queue, err := models.ApprovalQueue(ctx, db, v, models.QueueFilter{})
		if err != nil {
			t.Fatalf("%s: queue: %v", name, err)
		}
		count, err := models.QueueCount(ctx, db, v)
		if err != nil {
			t.Fatalf("%s: count: %v", name, err)
		}
		sum, err := models.Dashboard(ctx, db, v, models.DashboardCards{Spend: true, ToOrder: true, Payables: true, Budgets: models.AllBudgets}, time.Now())
		if err != nil {
			t.Fatalf("%s: dashboard: %v", name, err)
		}
		if count != queue.Total || int64(sum.Waiting) != queue.Total {
			t.Errorf("%s: badge %d, dashboard %d, queue total %d", name, count, sum.Waiting, queue.Total)
		}
		t.Logf("%s: %d waiting", name, queue.Total)
	}
}
