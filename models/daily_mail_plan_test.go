package models_test

import (
	"testing"
	"time"

	"outlay/models"
)

// TestDailyMailPlansUseIndexes reads the plans of the daily job's two searches, which run
// every quarter of an hour in every organisation, over 30,000 steps (3,000 open), 40,000
// notifications (400 waiting for a digest) and 20,000 daily mails sent, and of the lookup of
// one person's daily mail: none reads notifications, daily_mails or approval_steps whole.
func TestDailyMailPlansUseIndexes(t *testing.T) {
	t.Parallel()
	db, max := queueVolumeTenant(t)
	for _, q := range []string{
		`INSERT INTO notifications (recipient_id, kind, doc_type, doc_id, title, link_path, created_at, digest_pending)
			SELECT (SELECT min(id) FROM users WHERE email LIKE 'person%') + i % 200, 'notify_step_waiting', 'requisition', i % 10000 + 1,
				'Requisition ' || i, '/requisitions/' || (i % 10000 + 1), now() - make_interval(mins => i), i % 100 = 0
			FROM generate_series(1, 40000) i`,
		`INSERT INTO daily_mails (user_id, kind, local_day)
			SELECT (SELECT min(id) FROM users WHERE email LIKE 'person%') + i % 200, 'digest', current_date - i / 200
			FROM generate_series(0, 19999) i`,
		`ANALYZE`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	now := time.Now()
	round := models.DailyRoundAt(now, time.UTC)
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"people due a digest":       {models.DigestDueSQL, []any{round.Cutoff}},
		"steps waiting for 3 days+": {models.StaleStepsSQL, []any{map[string]any{"before": now.Add(-72 * time.Hour)}}},
		"had the day's mail":        {models.HadDailyMailSQL, []any{max.ID, models.DailyDigest, round.Day}},
	} {
		var plan string
		if err := db.Raw("EXPLAIN (FORMAT JSON) "+q.sql, q.args...).Row().Scan(&plan); err != nil {
			t.Fatalf("%s: explain: %v", name, err)
		}
		for _, root := range planRoots(t, plan) {
			if rel := seqScan(root, "notifications", "daily_mails", "approval_steps"); rel != "" {
				t.Errorf("%s scans %s whole:\n%s", name, rel, plan)
			}
		}
	}
}
