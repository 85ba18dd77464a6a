package handlers

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// While the control database is down the job queue cannot be read: the scrape still answers,
// saying so, rather than failing whole (a 500 that hid every other metric in an outage).
func TestJobsMetricsSayWhenTheQueueCannotBeRead(t *testing.T) {
	gather := func(depth func(context.Context) (map[string]int64, error)) map[string][]float64 {
		t.Helper()
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(jobsCollector{depth})
		families, err := reg.Gather()
		if err != nil {
			t.Fatalf("the scrape failed: %v", err)
		}
		out := map[string][]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				out[f.GetName()] = append(out[f.GetName()], m.GetGauge().GetValue())
			}
		}
		return out
	}
	down := gather(func(context.Context) (map[string]int64, error) {
		return nil, errors.New("FATAL: terminating connection due to administrator command")
	})
	if len(down["outlay_jobs_readable"]) != 1 || down["outlay_jobs_readable"][0] != 0 || len(down["outlay_jobs"]) != 0 {
		t.Errorf("with the control database down: %v", down)
	}
	up := gather(func(context.Context) (map[string]int64, error) { return map[string]int64{"available": 2}, nil })
	if len(up["outlay_jobs_readable"]) != 1 || up["outlay_jobs_readable"][0] != 1 || len(up["outlay_jobs"]) == 0 {
		t.Errorf("with the queue readable: %v", up)
	}
}
