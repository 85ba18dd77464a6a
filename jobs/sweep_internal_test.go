package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/tenancy"
)

// The outbox sweep visits the tenants this server used lately on every run, and each other
// tenant on two runs of every sweepSlices in a row: every outbox is swept within
// sweepSlices runs, even when a run comes a little late or early, and a run opens a
// connection to a small share of the idle tenants, not to all of them.
func TestSweepVisitsRecentTenantsAlwaysAndEveryOtherInItsSlices(t *testing.T) {
	env, used := dbtest.NewTenant(t)
	pools := tenancy.NewPools(10, 1, env.Config.SecretKey, nil, nil)
	defer pools.Close()
	_, release, err := pools.Acquire(context.Background(), used)
	if err != nil {
		t.Fatal(err)
	}
	release()
	q := &Queue{opts: Options{Pools: pools, SweepEvery: time.Minute, SweepAfter: time.Minute}}

	const idle = 1000
	visits := map[string]int{}
	start := time.Now().Truncate(time.Minute)
	for run := 0; run < sweepSlices; run++ {
		// Each run a little late or early, as a scheduler's are.
		at := start.Add(time.Duration(run)*time.Minute + time.Duration(run%7-3)*time.Second)
		due := q.sweepDue(at)
		n := 0
		for i := 0; i < idle; i++ {
			slug := fmt.Sprintf("tenant-%04d", i)
			if due(tenancy.Tenant{Slug: slug}) {
				visits[slug]++
				n++
			}
		}
		if n > idle/5 {
			t.Errorf("run %d visits %d of %d idle tenants", run, n, idle)
		}
		if run < 2 && !due(used) {
			t.Errorf("run %d skips the tenant used a moment ago", run)
		}
	}
	for i := 0; i < idle; i++ {
		if slug := fmt.Sprintf("tenant-%04d", i); visits[slug] == 0 {
			t.Errorf("%s was not visited in an hour of runs", slug)
		}
	}
	// An hour on, the tenant used then is one of the idle ones: visited only in its slices.
	for run := 0; run < sweepSlices; run++ {
		at := start.Add(time.Hour + time.Duration(run)*time.Minute)
		period := at.UnixNano() / int64(time.Minute)
		s := sweepSlice(used.Slug)
		inSlice := s == uint32(period%sweepSlices) || s == uint32((period+sweepSlices-1)%sweepSlices)
		if got := q.sweepDue(at)(used); got != inSlice {
			t.Errorf("an hour on, run %d: visited %v, want %v (its slice only)", run, got, inSlice)
		}
	}
}
