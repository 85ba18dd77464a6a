package models_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"outlay/models"
)

// TestDecidingAStepReadsItByItsKey decides one of 2,000 open steps whose table's statistics
// were taken while none was open, as they are after a quiet spell: the planner then expects the
// indexes of open steps to hold one row, and a statement that found the step by its id and
// "status = 'pending'" read it through one of them, filtering every open step by id (6 ms a
// decision at 3,000 open steps, growing with the backlog). Every statement the decision sends
// must read approval_steps by key: its primary key, or a document's steps.
func TestDecidingAStepReadsItByItsKey(t *testing.T) {
	t.Parallel()
	db, max := queueVolumeTenant(t)
	for _, q := range []string{
		// Autovacuum would take the statistics again once enough rows changed.
		`ALTER TABLE approval_steps SET (autovacuum_enabled = false)`,
		`CREATE TABLE was_open AS SELECT id FROM approval_steps WHERE status = 'pending'`,
		`UPDATE approval_steps SET status = 'approved' WHERE id IN (SELECT id FROM was_open)`,
		`ANALYZE approval_steps`,
		`UPDATE approval_steps SET status = 'pending' WHERE id IN (SELECT id FROM was_open)`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	var step int64
	if err := db.Raw(`SELECT min(id) FROM approval_steps WHERE status = 'pending' AND approver_id = ?`, max.ID).Scan(&step).Error; err != nil || step == 0 {
		t.Fatalf("no open step of max: %v", err)
	}

	type sent struct {
		sql  string
		vars []any
	}
	var mu sync.Mutex
	var log []sent
	record := func(tx *gorm.DB) {
		if tx.DryRun {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		log = append(log, sent{tx.Statement.SQL.String(), slices.Clone(tx.Statement.Vars)})
	}
	cb := db.Callback()
	for _, p := range []interface {
		Register(string, func(*gorm.DB)) error
	}{cb.Query().After("gorm:query"), cb.Update().After("gorm:update"), cb.Create().After("gorm:create"), cb.Row().After("gorm:row"), cb.Raw().After("gorm:raw")} {
		if err := p.Register("decideplan:record", record); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := models.DecideStep(context.Background(), db, models.Viewer{UserID: max.ID, Roles: []string{"approver"}}, step, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	_ = cb.Query().Remove("decideplan:record")
	_ = cb.Update().Remove("decideplan:record")
	_ = cb.Create().Remove("decideplan:record")
	_ = cb.Row().Remove("decideplan:record")
	_ = cb.Raw().Remove("decideplan:record")

	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range log {
		if !strings.Contains(s.sql, "approval_steps") {
			continue
		}
		var plan string
		if err := sqlDB.QueryRow("EXPLAIN (FORMAT JSON) "+s.sql, s.vars...).Scan(&plan); err != nil {
			t.Fatalf("explain %s: %v", s.sql, err)
		}
		checked++
		for _, root := range planRoots(t, plan) {
			if idx := openStepsIndex(root); idx != "" {
				t.Errorf("reads approval_steps through %s, every open step:\n%s\n%s", idx, strings.Join(strings.Fields(s.sql), " "), plan)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("checked %d statements on approval_steps; the decision sends more", checked)
	}
}

// openStepsIndex names an index of open steps (by age, approver or role) that a plan node
// under node reads approval_steps through.
func openStepsIndex(node map[string]any) string {
	if node["Relation Name"] == "approval_steps" {
		switch idx, _ := node["Index Name"].(string); idx {
		case "approval_steps_pending_since", "approval_steps_queue_idx", "approval_steps_pending_queue_idx", "approval_steps_pending_role_queue_idx":
			return idx
		}
	}
	kids, _ := node["Plans"].([]any)
	for _, k := range kids {
		if idx := openStepsIndex(k.(map[string]any)); idx != "" {
			return idx
		}
	}
	return ""
}
