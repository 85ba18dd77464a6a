package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"outlay/jobs"
	"outlay/tenancy"
)

// metrics are the server's Prometheus metrics. Each Server has its own registry, so several
// servers in one process (tests) do not collide.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(counter *tenancy.QueryCounter, pools *tenancy.Pools, queue *jobs.Queue) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outlay_http_requests_total", Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "outlay_http_request_duration_seconds", Help: "HTTP request latency by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	m.registry.MustRegister(m.requests, m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if counter != nil {
		m.registry.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "outlay_db_queries_total", Help: "SQL statements sent, by database kind.", ConstLabels: prometheus.Labels{"database": "control"}},
				func() float64 { return float64(counter.Control.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "outlay_db_queries_total", Help: "SQL statements sent, by database kind.", ConstLabels: prometheus.Labels{"database": "tenant"}},
				func() float64 { return float64(counter.Tenant.Load()) }),
		)
	}
	if pools != nil {
		m.registry.MustRegister(poolsCollector{pools})
	}
	if queue != nil {
		m.registry.MustRegister(jobsCollector{queue.Depth},
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "outlay_job_failures_total", Help: "Job attempts that failed on this server (each is retried, or given up as failed after its last attempt)."},
				func() float64 { return float64(queue.Failures()) }))
	}
	return m
}

// poolsCollector reports the tenant pools and each database server's connection budget.
type poolsCollector struct{ pools *tenancy.Pools }

var (
	poolHandlesDesc   = prometheus.NewDesc("outlay_tenant_pools_open", "Tenant database handles open.", nil, nil)
	poolWarmDesc      = prometheus.NewDesc("outlay_tenant_pools_warm", "Tenant database handles holding at least one connection.", nil, nil)
	dbConnsDesc       = prometheus.NewDesc("outlay_db_connections", "Tenant database connections open, by database server.", []string{"server"}, nil)
	dbConnLimitDesc   = prometheus.NewDesc("outlay_db_connections_limit", "Tenant database connections allowed, by database server (the budget less the control plane's and job queue's pools).", []string{"server"}, nil)
	dbConnBudgetDesc  = prometheus.NewDesc("outlay_db_connections_budget", "Database connections this process may hold, by database server.", []string{"server"}, nil)
	dbMaxConnsDesc    = prometheus.NewDesc("outlay_db_max_connections", "The database server's max_connections.", []string{"server"}, nil)
	dbDialledDesc     = prometheus.NewDesc("outlay_db_connections_opened_total", "Tenant database connections opened.", nil, nil)
	dbWaitingDesc     = prometheus.NewDesc("outlay_db_connection_waiters", "Requests waiting for a tenant database connection, served oldest first.", []string{"server"}, nil)
	dbBusyDesc        = prometheus.NewDesc("outlay_db_connection_waits_failed_total", "Requests that found every database connection busy, or waited for their turn among their tenant's requests, for too long (answered 503).", nil, nil)
	queuedDesc        = prometheus.NewDesc("outlay_tenant_requests_queued", "Requests waiting for their turn among their tenant's, served oldest first.", nil, nil)
	poolEvictionsDesc = prometheus.NewDesc("outlay_tenant_pool_evictions_total", "Idle tenants whose connections were closed to make room for another tenant.", nil, nil)
	poolRetiredDesc   = prometheus.NewDesc("outlay_tenant_pool_retired_total", "Tenant handles closed because the database ended one of their sessions (a restart or a move); the next request opens a fresh one.", nil, nil)
)

func (poolsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolHandlesDesc, poolWarmDesc, dbConnsDesc, dbConnLimitDesc, dbConnBudgetDesc, dbMaxConnsDesc, dbDialledDesc, dbWaitingDesc, dbBusyDesc, queuedDesc, poolEvictionsDesc, poolRetiredDesc} {
		ch <- d
	}
}

func (c poolsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pools.Stats()
	ch <- prometheus.MustNewConstMetric(poolHandlesDesc, prometheus.GaugeValue, float64(st.Handles))
	ch <- prometheus.MustNewConstMetric(poolWarmDesc, prometheus.GaugeValue, float64(st.Warm))
	ch <- prometheus.MustNewConstMetric(dbDialledDesc, prometheus.CounterValue, float64(st.Dialled))
	ch <- prometheus.MustNewConstMetric(dbBusyDesc, prometheus.CounterValue, float64(st.Busy))
	ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(st.Queued))
	ch <- prometheus.MustNewConstMetric(poolEvictionsDesc, prometheus.CounterValue, float64(st.Evictions))
	ch <- prometheus.MustNewConstMetric(poolRetiredDesc, prometheus.CounterValue, float64(st.Retired))
	for _, s := range st.Servers {
		ch <- prometheus.MustNewConstMetric(dbConnsDesc, prometheus.GaugeValue, float64(s.Open), s.Server)
		ch <- prometheus.MustNewConstMetric(dbConnLimitDesc, prometheus.GaugeValue, float64(s.Limit), s.Server)
		ch <- prometheus.MustNewConstMetric(dbConnBudgetDesc, prometheus.GaugeValue, float64(s.Budget), s.Server)
		ch <- prometheus.MustNewConstMetric(dbMaxConnsDesc, prometheus.GaugeValue, float64(s.MaxConnections), s.Server)
		ch <- prometheus.MustNewConstMetric(dbWaitingDesc, prometheus.GaugeValue, float64(s.Waiting), s.Server)
	}
}

// jobsCollector reports the job queue's depth by state, read from the control database at
// each scrape; state="discarded" are the jobs given up as failed. outlay_jobs_readable says
// whether it could be read: while the control database is down the scrape still answers,
// with every other metric, rather than failing whole when it is most wanted.
type jobsCollector struct {
	depth func(context.Context) (map[string]int64, error)
}

var (
	jobsDesc         = prometheus.NewDesc("outlay_jobs", "Background jobs by state (discarded: given up as failed).", []string{"state"}, nil)
	jobsReadableDesc = prometheus.NewDesc("outlay_jobs_readable", "1 when the job queue's depth could be read from the control database at this scrape, else 0.", nil, nil)
)

func (jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc; ch <- jobsReadableDesc }

func (c jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	depth, err := c.depth(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(jobsReadableDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(jobsReadableDesc, prometheus.GaugeValue, 1)
	for _, state := range jobs.States {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(depth[state]), state)
	}
}

// Route labels of requests no route pattern names.
const (
	// routeUnmatched: no route matched the request (it ended in a middleware on "/").
	routeUnmatched = "unmatched"
	// routeTenantRefused: the request was answered for its tenant before any route took it:
	// no organisation at the address (404), a suspended one (403), or one whose database
	// could not be reached or had no turn free (503).
	routeTenantRefused = "tenant_refused"
)

// observe records one finished request under its route pattern (never its raw path, which
// could carry ids or tokens and would make unbounded label values), or under one of the
// labels above.
func (m *metrics) observe(c *fiber.Ctx, status int, took time.Duration) {
	route := routeUnmatched
	switch r := c.Route(); {
	case stateOf(c).tenantRefused:
		route = routeTenantRefused
	case r != nil && (r.Path != "/" || c.Path() == "/"):
		route = r.Path
	}
	m.requests.WithLabelValues(c.Method(), route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(c.Method(), route).Observe(took.Seconds())
}

// metricsHandler serves /metrics only to a scraper that sends OUTLAY_METRICS_TOKEN as a
// bearer token. Without the setting there are no metrics to read: the page does not exist.
func (s *Server) metricsHandler() fiber.Handler {
	h := adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return func(c *fiber.Ctx) error {
		want := s.cfg.MetricsToken
		if want == "" {
			return fiber.ErrNotFound
		}
		scheme, got, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
		// Hashing both sides first makes the comparison take the same time whatever the
		// lengths, so timing says nothing of the token.
		gotSum, wantSum := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(want))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(gotSum[:], wantSum[:]) != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="outlay-metrics"`)
			return c.Status(fiber.StatusUnauthorized).SendString("metrics need Authorization: Bearer <OUTLAY_METRICS_TOKEN>")
		}
		return h(c)
	}
}
