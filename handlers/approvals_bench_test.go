package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// BenchmarkApprove measures the approve action as approvers use it: an htmx POST to
// /approvals/:step/approve through the real Fiber app (session, CSRF, policy, the engine's
// locked conditional update, the document's status, the audit rows, the re-rendered row and
// count), with 32 approvers each approving their own pending steps at once. It reports the
// latency of one request at the median and the 99th percentile, and approvals per second.
//
//	go test -run '^$' -bench Approve -benchtime 2000x ./handlers/
func BenchmarkApprove(b *testing.B) {
	const approvers = 32
	env, acme := testutil.NewTenant(b)
	db := env.DB(b, acme)
	app := testutil.NewApp(b, env)
	ctx := context.Background()
	clients := make([]*testutil.Client, approvers)
	requesters := make([]*models.User, approvers)
	for i := range approvers {
		boss := env.CreateUser(b, acme, fmt.Sprintf("approver%02d@acme.example", i), fmt.Sprintf("Approver %02d", i), "approver")
		r, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("requester%02d@acme.example", i), Name: fmt.Sprintf("Requester %02d", i),
			Password: testutil.Password, Roles: []string{"requester"}, ManagerID: &boss.ID})
		if err != nil {
			b.Fatal(err)
		}
		requesters[i] = r
		c := app.Client(b, "acme")
		c.SignIn(boss.Email, testutil.Password)
		c.Get("/approvals")
		c.Header.Set("HX-Request", "true")
		clients[i] = c
	}
	// Every requester's requisitions go to their own manager (no rule: the default route).
	queues := make([][]int64, approvers)
	for n := range b.N {
		i := n % approvers
		r := testutil.CreateRequisition(b, db, testutil.Requisition{RequesterID: requesters[i].ID,
			Lines: []testutil.RequisitionLine{{Amount: int64(1000 + n)}}})
		queues[i] = append(queues[i], testutil.SubmitRequisition(b, db, r).Steps[0].ID)
	}
	latencies := make([][]time.Duration, approvers)
	failures := make([]string, approvers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range approvers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for _, step := range queues[i] {
				t0 := time.Now()
				res := clients[i].Post(fmt.Sprintf("/approvals/%d/approve", step), nil)
				latencies[i] = append(latencies[i], time.Since(t0))
				if res.Status != http.StatusOK && failures[i] == "" {
					failures[i] = fmt.Sprintf("step %d: status %d", step, res.Status)
				}
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	for _, f := range failures {
		if f != "" {
			b.Fatal(f)
		}
	}
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	slices.Sort(all)
	var approved int64
	if err := db.Model(&models.ApprovalStep{}).Where("status = ?", models.StepApproved).Count(&approved).Error; err != nil {
		b.Fatal(err)
	}
	if approved != int64(b.N) {
		b.Fatalf("%d steps approved, want %d", approved, b.N)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
	b.ReportMetric(ms(all[min(len(all)-1, len(all)*99/100)]), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "approvals/s")
}
