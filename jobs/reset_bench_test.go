package jobs_test

import (
	"net/url"
	"testing"
	"time"

	"outlay/internal/testutil"
)

// BenchmarkResetRequest times "forgot password" for an address with an account and for one
// without, alternating, so both see the same machine; both queue a job and answer, so their
// ratio (unknown/known) should be about 1:
//
//	go test -run '^$' -bench ResetRequest -benchtime 300x ./jobs/
func BenchmarkResetRequest(b *testing.B) {
	env, tn := testutil.NewTenant(b)
	app := testutil.NewApp(b, env)
	env.CreateUser(b, tn, "ana@acme.example", "Ana Admin", "admin")
	c := app.Client(b, "acme")
	c.Get("/password/forgot")
	known, unknown := url.Values{"email": {"ana@acme.example"}}, url.Values{"email": {"nobody@acme.example"}}
	var took [2]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, form := range []url.Values{known, unknown} {
			start := time.Now()
			if res := c.Post("/password/forgot", form); res.Status != 200 {
				b.Fatalf("status %d", res.Status)
			}
			took[j] += time.Since(start)
		}
	}
	b.StopTimer()
	app.WaitJobs(b)
	b.ReportMetric(float64(took[0].Nanoseconds())/float64(b.N), "known-ns/op")
	b.ReportMetric(float64(took[1].Nanoseconds())/float64(b.N), "unknown-ns/op")
	b.ReportMetric(float64(took[1])/float64(took[0]), "unknown/known")
}
