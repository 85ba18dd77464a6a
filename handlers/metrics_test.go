package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/tenancy"
)

// A request its tenant refuses before any route takes it (no organisation at the address, a
// suspended one, a database with no turn free) is counted under route="tenant_refused" with
// its status, not as a path no route matched; a path no route matches still is one, and the
// label never carries the raw path.
func TestMetricsCountTenantRefusalsApart(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.Pools.Wait = 300 * time.Millisecond // before the app and its jobs use the pools
	app := testutil.NewApp(t, env)
	app.Config.MetricsToken = "scrape-me-scrape-me"
	ctx := context.Background()
	c := app.Client(t, "acme")
	if res := c.Get("/no/such/page"); res.Status != http.StatusNotFound {
		t.Fatalf("a page that does not exist: %d", res.Status)
	}
	nobody := app.Client(t, "x")
	nobody.Host = "nosuch.localhost:8080"
	if res := nobody.Get("/login"); res.Status != http.StatusNotFound {
		t.Fatalf("no organisation at the address: %d", res.Status)
	}

	if err := app.Registry.SetStatus(ctx, acme.Slug, tenancy.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if res := c.Get("/login"); res.Status != http.StatusForbidden {
		t.Fatalf("a suspended organisation's sign-in: %d", res.Status)
	}
	if res := c.Get("/api/v1/me"); res.Status != http.StatusForbidden {
		t.Fatalf("a suspended organisation's API: %d", res.Status)
	}
	if err := app.Registry.SetStatus(ctx, acme.Slug, tenancy.StatusActive); err != nil {
		t.Fatal(err)
	}

	// Every turn on the database taken: the page waits, and is answered 503.
	var held []func()
	for range 2 * env.Config.TenantPoolConns {
		_, release, err := env.Pools.AcquireRequest(ctx, acme)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	if res := c.Get("/password/reset/some-secret-token"); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("a page while the database has no turn free: %d", res.Status)
	}
	for _, release := range held {
		release()
	}

	c.Header.Set("Authorization", "Bearer scrape-me-scrape-me")
	res := c.Get("/metrics")
	if res.Status != http.StatusOK {
		t.Fatalf("metrics: %d", res.Status)
	}
	for _, want := range []string{
		`outlay_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`outlay_http_requests_total{method="GET",route="tenant_refused",status="404"} 1`,
		`outlay_http_requests_total{method="GET",route="tenant_refused",status="403"} 2`,
		`outlay_http_requests_total{method="GET",route="tenant_refused",status="503"} 1`,
		`outlay_http_request_duration_seconds_count{method="GET",route="tenant_refused"} 4`,
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, line := range strings.Split(res.Body, "\n") {
		if strings.Contains(line, `route="unmatched"`) && !strings.Contains(line, `status="404"`) && strings.HasPrefix(line, "outlay_http_requests_total") {
			t.Errorf("a refusal counted as unmatched: %s", line)
		}
	}
	if strings.Contains(res.Body, "some-secret-token") || strings.Contains(res.Body, "nosuch") {
		t.Error("metrics carry a raw path or host")
	}
}
