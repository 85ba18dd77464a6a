package handlers_test

import (
	"testing"

	"outlay/internal/testutil"
)

// A signed-in page must not pay for the platform's bookkeeping: the tenant comes from the
// in-memory registry, and the session, user and roles from one query.
func TestDashboardCostsAtMostTwoQueriesAndNoControlPlane(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/dashboard") // warm the tenant pool

	for i, wantMax := range []int64{2, 2} {
		control, tenant := app.Counter.Control.Load(), app.Counter.Tenant.Load()
		res := c.Get("/dashboard")
		if res.Status != 200 {
			t.Fatalf("dashboard: %d", res.Status)
		}
		dc, dt := app.Counter.Control.Load()-control, app.Counter.Tenant.Load()-tenant
		t.Logf("request %d: %d tenant queries, %d control-plane queries", i+1, dt, dc)
		if dc != 0 {
			t.Errorf("request %d: %d control-plane queries, want 0", i+1, dc)
		}
		if dt > wantMax || dt < 1 {
			t.Errorf("request %d: %d tenant queries, want 1..%d", i+1, dt, wantMax)
		}
	}
}
