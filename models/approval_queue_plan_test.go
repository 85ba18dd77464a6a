package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/models"
)

// TestApprovalQueuePlansUseIndexes reads the plans (EXPLAIN, no timing) of the queue, its
// filtered pages and its count for an approver with 2,000 open steps among 30,000 steps of
// 10,000 requisitions: none scans approval_steps whole, and the queue and its count start
// from indexes that hold only the open steps; requisitions are read only for the page.
func TestApprovalQueuePlansUseIndexes(t *testing.T) {
	t.Parallel()
	db, max := queueVolumeTenant(t)
	v := models.Viewer{UserID: max.ID, Roles: []string{"approver"}}

	countSQL, countArgs := models.QueueCountSQL(v)
	var n int64
	if err := models.NamedRaw(db, countSQL, countArgs).Scan(&n).Error; err != nil || n != 2000 {
		t.Fatalf("count %d, %v; want 2,000 (1,500 named, 500 for the role)", n, err)
	}
	plans := map[string]struct {
		sql  string
		args map[string]any
	}{"badge count": {countSQL, countArgs}}
	for name, f := range map[string]models.QueueFilter{
		"first page":    {},
		"one kind":      {DocType: models.DocRequisition},
		"search":        {Search: "REQ-0001"},
		"large amounts": {MinAmountMinor: 500000},
	} {
		page, count, pageCounted, args := models.QueueSQL(v, f)
		plans[name+" page"] = struct {
			sql  string
			args map[string]any
		}{page, args}
		plans[name+" counted page"] = struct {
			sql  string
			args map[string]any
		}{pageCounted, args}
		plans[name+" count"] = struct {
			sql  string
			args map[string]any
		}{count, args}
	}
	for name, q := range plans {
		var plan string
		if err := models.NamedRaw(db, "EXPLAIN (FORMAT JSON) "+q.sql, q.args).Row().Scan(&plan); err != nil {
			t.Fatalf("%s: explain: %v", name, err)
		}
		for _, root := range planRoots(t, plan) {
			if rel := seqScan(root, "approval_steps", "requisitions"); rel != "" {
				t.Errorf("%s scans %s whole:\n%s", name, rel, plan)
			}
		}
		// Every part of the queue starts from the steps, through the indexes that hold only
		// open steps: a page walks the approver's in the queue's order; a count may read the
		// one of every open step by age (the reminders' index) instead, which the planner may
		// find cheaper when a person's share of the open steps is large, or the index of steps by
		// state and approver, whose open part is the approver's open steps. No statement reads a
		// requisition but those of the page, or the viewer's own through their index.
		// A page filtered by amount, which the steps carry, may instead read the approver's
		// open steps by state and approver and sort those that match, when the planner
		// expects few to (it expects 18 here, of about 750): either way it reads no step but
		// the approver's open ones.
		uses := func(index string) bool { return strings.Contains(plan, `"Index Name": "`+index+`"`) }
		selective := strings.HasPrefix(name, "large amounts") && strings.HasSuffix(name, "page")
		if strings.HasSuffix(name, "page") && !uses("approval_steps_pending_queue_idx") && !(selective && uses("approval_steps_queue_idx")) {
			t.Errorf("%s does not walk the approver's open steps in order:\n%s", name, plan)
		}
		if !uses("approval_steps_pending_queue_idx") && !uses("approval_steps_pending_since") &&
			!((strings.HasSuffix(name, "count") || selective) && uses("approval_steps_queue_idx")) {
			t.Errorf("%s does not start from the open steps' indexes:\n%s", name, plan)
		}
	}
}

// TestDashboardWaitingCountReadsNoStepsOfOthers runs the dashboard's statement under the one
// plan Postgres keeps for it (made without the viewer's values, as every connection ends up
// using) for an administrator with no step waiting, beside an approver named on every step:
// the count of what waits for the administrator passes over the open steps at most once.
// Before the delegates' part counted each delegator's steps on its own, it read them all a
// second time to find the steps of an empty list of delegators.
func TestDashboardWaitingCountReadsNoStepsOfOthers(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	max := env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	ada := env.CreateUser(t, acme, "ada@acme.example", "Ada Admin", "admin")
	seedQueueVolume(t, db, max.ID)
	// As in the benchmark's tenant, one busy approver is named on every step a person holds,
	// open or decided, so a plan made without the viewer's values finds nobody's steps by
	// their approver cheaper than by reading every open step.
	if err := db.Exec(`UPDATE approval_steps SET approver_id = ? WHERE kind = 'user'`, max.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`ANALYZE approval_steps`).Error; err != nil {
		t.Fatal(err)
	}
	v := models.Viewer{UserID: ada.ID, Roles: []string{"admin"}, SeeAllKinds: []string{models.DocRequisition}}
	sql, args, err := models.DashboardQuery(v, models.DashboardCards{Spend: true, ToOrder: true, Payables: true, Budgets: models.AllBudgets}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var plan string
	err = db.Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("SET plan_cache_mode = force_generic_plan").Error; err != nil {
			return err
		}
		if err := conn.Exec("PREPARE dashboard AS " + sql).Error; err != nil {
			return err
		}
		// EXECUTE takes its arguments as literals, not as parameters.
		literals := make([]string, len(args))
		for i, a := range args {
			if at, ok := a.(time.Time); ok {
				a = at.Format(time.RFC3339)
			}
			literals[i] = "'" + strings.ReplaceAll(fmt.Sprint(a), "'", "''") + "'"
		}
		return conn.Raw("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE dashboard(" + strings.Join(literals, ", ") + ")").Row().Scan(&plan)
	})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []map[string]any
	if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
		t.Fatal(err)
	}
	var open float64
	if err := db.Raw(`SELECT count(*) FROM approval_steps WHERE status = 'pending'`).Scan(&open).Error; err != nil {
		t.Fatal(err)
	}
	if n := rowsRead(nodes[0]["Plan"].(map[string]any), "approval_steps"); n > open {
		t.Errorf("the dashboard of someone with nothing waiting reads %v steps, more than the %v open ones:\n%s", n, open, plan)
	}
}

// rowsRead adds up the rows the plan node and its children read from table (kept or
// filtered out), over every loop, as EXPLAIN ANALYZE counted them.
func rowsRead(node map[string]any, table string) float64 {
	var n float64
	if node["Relation Name"] == table {
		removed, _ := node["Rows Removed by Filter"].(float64)
		n += (node["Actual Rows"].(float64) + removed) * node["Actual Loops"].(float64)
	}
	kids, _ := node["Plans"].([]any)
	for _, k := range kids {
		n += rowsRead(k.(map[string]any), table)
	}
	return n
}

// seqScan returns the first of tables that the plan node or its children read by a
// sequential scan.
// planRoots is the top node of each statement in an EXPLAIN (FORMAT JSON) output.
func planRoots(t *testing.T, plan string) []map[string]any {
	t.Helper()
	var stmts []struct{ Plan map[string]any }
	if err := json.Unmarshal([]byte(plan), &stmts); err != nil {
		t.Fatal(err)
	}
	roots := make([]map[string]any, len(stmts))
	for i, s := range stmts {
		roots[i] = s.Plan
	}
	return roots
}

func seqScan(node map[string]any, tables ...string) string {
	if node["Node Type"] == "Seq Scan" {
		for _, t := range tables {
			if node["Relation Name"] == t {
				return t
			}
		}
	}
	kids, _ := node["Plans"].([]any)
	for _, k := range kids {
		if rel := seqScan(k.(map[string]any), tables...); rel != "" {
			return rel
		}
	}
	return ""
}

// queueVolumeTenant is a new tenant with max, an approver, and seedQueueVolume's steps.
func queueVolumeTenant(t *testing.T) (*gorm.DB, *models.User) {
	t.Helper()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	max := env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	seedQueueVolume(t, db, max.ID)
	return db, max
}

// seedQueueVolume stores 200 people and 10,000 requisitions of three steps each: 3,000
// requisitions are in approval, 1,500 of them at a step waiting for approver and 500 at a
// role's step; the rest are decided.
func seedQueueVolume(t *testing.T, db *gorm.DB, approver int64) {
	t.Helper()
	const open = `r.status = 'pending' AND p = 2`
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{sql: `INSERT INTO users (email, name, password_hash, status)
			SELECT 'person' || i || '@acme.example', 'Person ' || i, 'x', 'active' FROM generate_series(1, 200) i`},
		{sql: `INSERT INTO requisitions (number, requester_id, justification, currency, total_minor, status, submitted_at)
			SELECT 'REQ-' || lpad(i::text, 6, '0'), (SELECT min(id) FROM users WHERE email LIKE 'person%') + i % 199,
				'Item ' || i, 'USD', (i * 137) % 1000000, CASE WHEN i % 10 < 3 THEN 'pending' ELSE 'approved' END,
				now() - make_interval(mins => i)
			FROM generate_series(1, 10000) i`},
		{sql: `INSERT INTO approval_steps (doc_type, doc_id, doc_total_minor, doc_requester_id, round, position, kind, approver_id, role, status, acted_by, acted_at)
			SELECT 'requisition', r.id, r.total_minor, r.requester_id, 1, p,
				CASE WHEN ` + open + ` AND r.id % 20 = 11 THEN 'role' ELSE 'user' END,
				CASE WHEN ` + open + ` AND r.id % 20 = 11 THEN NULL
					WHEN ` + open + ` AND (r.id % 10 = 0 OR r.id % 20 = 2) THEN ?
					ELSE r.requester_id + 1 END,
				CASE WHEN ` + open + ` AND r.id % 20 = 11 THEN 'approver' END,
				CASE WHEN r.status = 'approved' OR p = 1 THEN 'approved' WHEN p = 2 THEN 'pending' ELSE 'waiting' END,
				CASE WHEN r.status = 'approved' OR p = 1 THEN r.requester_id + 1 END,
				CASE WHEN r.status = 'approved' OR p = 1 THEN now() END
			FROM requisitions r, generate_series(1, 3) p`, args: []any{approver}},
		{sql: `ANALYZE`},
	} {
		if err := db.Exec(q.sql, q.args...).Error; err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// TestQueueStatementsReadAsGORMWritesThem reads the queue of each shape (every kind and one,
// each filter), for a viewer with no role, one and two, as the server reads it (its
// statements with numbered parameters, their rows read straight into QueueItems) and
// through GORM (Raw with named parameters, Scan): the pages, totals and single steps are the
// same.
func TestQueueStatementsReadAsGORMWritesThem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, max := queueVolumeTenant(t)
	// Half the waiting requisitions are in one department.
	var dept int64
	if err := db.Raw(`INSERT INTO departments (name) VALUES ('Field') RETURNING id`).Scan(&dept).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`UPDATE requisitions SET department_id = ? WHERE id % 2 = 0`, dept).Error; err != nil {
		t.Fatal(err)
	}
	filters := []models.QueueFilter{{}, {DepartmentID: dept}, {MinAmountMinor: 500000}, {Search: "REQ-0001"}, {DepartmentID: dept, Search: "a"}}
	for _, k := range models.ApprovableKinds() {
		filters = append(filters, models.QueueFilter{DocType: k.Type}, models.QueueFilter{DocType: k.Type, MinAmountMinor: 1})
	}
	read := 0
	for _, roles := range [][]string{nil, {"approver"}, {"approver", "admin"}} {
		v := models.Viewer{UserID: max.ID, Roles: roles}
		badge, badgeArgs := models.QueueCountSQL(v)
		var waiting int64
		if err := db.Raw(badge, badgeArgs).Scan(&waiting).Error; err != nil {
			t.Fatal(err)
		}
		for _, f := range filters {
			page, count, _, args := models.QueueSQL(v, f) // the first page of 25
			var counted struct{ Total, Whole int64 }
			var items []models.QueueItem
			if err := db.Raw(count, args).Scan(&counted).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Raw(page, args).Scan(&items).Error; err != nil {
				t.Fatal(err)
			}
			f.Page, f.PerPage = 1, 25
			q, err := models.ApprovalQueue(ctx, db, v, f)
			if err != nil {
				t.Fatalf("%v %+v: %v", roles, f, err)
			}
			if q.Total != counted.Total || q.Whole != counted.Whole || !reflect.DeepEqual(q.Items, items) {
				t.Errorf("%v %+v: %d of %d steps, %d on the page; through GORM %d of %d and %d", roles, f, q.Total, q.Whole, len(q.Items),
					counted.Total, counted.Whole, len(items))
			}
			if q.Whole != waiting {
				t.Errorf("%v %+v: the list counts %d waiting in all, the badge %d", roles, f, q.Whole, waiting)
			}
			read += len(items)
			if len(items) == 0 {
				continue
			}
			one, err := models.QueueStep(ctx, db, v, items[0].StepID)
			if err != nil || !reflect.DeepEqual(one, items[0]) {
				t.Errorf("%v: step %d alone: %+v, %v; want %+v", roles, items[0].StepID, one, err, items[0])
			}
			decided, err := models.QueueStepAfterDecision(ctx, db, v, items[0].StepID, items[0].DocType)
			if err != nil || !reflect.DeepEqual(decided.Item, items[0]) || decided.Count != waiting {
				t.Errorf("%v: step %d after a decision: %+v (%d waiting), %v; want %+v (%d)", roles, items[0].StepID, decided.Item, decided.Count, err, items[0], waiting)
			}
		}
	}
	if read == 0 {
		t.Fatal("no queue had a step: nothing was compared")
	}
}
