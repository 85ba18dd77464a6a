package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// States are River's job states, in the order they are reported.
var States = []string{"available", "scheduled", "pending", "running", "retryable", "completed", "discarded", "cancelled"}

// StateLabel is how a job state is shown: a job given up after its last attempt is "failed".
func StateLabel(state string) string {
	switch state {
	case "discarded":
		return "failed"
	case "retryable":
		return "retrying"
	}
	return state
}

// Job is one job as `outlay jobs list` shows it.
type Job struct {
	ID          int64
	Kind        string
	Tenant      string
	State       string
	Attempt     int
	MaxAttempts int
	LastError   string
	CreatedAt   time.Time
	// At is when it finished, or when it runs (next).
	At   time.Time
	Args map[string]any
}

// querier is a connection or pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// List returns the newest jobs first, at most limit; failed keeps only those that failed:
// given up, or failing and waiting for a retry.
func List(ctx context.Context, db querier, failed bool, limit int) ([]Job, error) {
	rows, err := db.Query(ctx, `
		SELECT id, kind, state::text, attempt, max_attempts, args,
		       COALESCE(errors[array_upper(errors, 1)]->>'error', ''), created_at,
		       COALESCE(finalized_at, scheduled_at)
		FROM river_job
		WHERE NOT $1 OR state IN ('discarded', 'retryable')
		ORDER BY id DESC LIMIT $2`, failed, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Job, error) {
		var j Job
		var args []byte
		err := r.Scan(&j.ID, &j.Kind, &j.State, &j.Attempt, &j.MaxAttempts, &args, &j.LastError, &j.CreatedAt, &j.At)
		if err == nil {
			_ = json.Unmarshal(args, &j.Args)
			j.Tenant, _ = j.Args["tenant"].(string)
		}
		return j, err
	})
}

// Depth counts the jobs in each state.
func Depth(ctx context.Context, db querier) (map[string]int64, error) {
	rows, err := db.Query(ctx, `SELECT state::text, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for _, s := range States {
		out[s] = 0
	}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Depth counts the jobs in each state.
func (q *Queue) Depth(ctx context.Context) (map[string]int64, error) { return Depth(ctx, q.pool) }

// List is List on the queue's database.
func (q *Queue) List(ctx context.Context, failed bool, limit int) ([]Job, error) {
	return List(ctx, q.pool, failed, limit)
}
