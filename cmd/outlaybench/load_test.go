package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// Turns measured apart are reported as one run: requests and time add up, and the
// percentiles are those of every latency, not an average of each turn's.
func TestMergedTurnsAreOneRun(t *testing.T) {
	t.Parallel()
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	a := Result{Name: "/x", N: 4, Errors: 1, FirstErr: "status 500", Elapsed: time.Second, Bytes: 100, lat: ms(1, 2, 3, 4)}
	b := Result{Name: "/x", N: 2, Elapsed: time.Second, Bytes: 400, lat: ms(10, 20)}
	r := merge(a, b)
	if r.N != 6 || r.Errors != 1 || r.FirstErr != "status 500" || r.Elapsed != 2*time.Second || r.PerSecond() != 3 {
		t.Errorf("merged %+v", r)
	}
	if r.P50 != 4*time.Millisecond || r.P99 != 20*time.Millisecond || r.Bytes != 200 {
		t.Errorf("merged p50 %v, p99 %v, mean size %d; want 4ms, 20ms, 200", r.P50, r.P99, r.Bytes)
	}
	// closedLoop keeps its latencies for the merge: 100 requests, then the work runs out.
	var n atomic.Int64
	one := closedLoop(context.Background(), "/y", 2, 0, time.Minute, func(context.Context, int) (int, bool, string, bool) {
		if n.Add(1) > 100 {
			return 0, false, "", true
		}
		return 10, true, "", false
	})
	if one.N != 100 || len(one.lat) != 100 || merge(one).N != 100 || one.Bytes != 10 {
		t.Errorf("closedLoop: %d requests, %d latencies, mean size %d; want 100, 100, 10", one.N, len(one.lat), one.Bytes)
	}
}
