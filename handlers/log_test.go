package handlers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/internal/testutil"
)

// loggedApp serves a tenant with one person of the role, writing its log as JSON to logs.
func loggedApp(t *testing.T, email, role string) (*testutil.App, *testutil.SyncBuffer) {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, email, "Pat Person", role)
	logs := &testutil.SyncBuffer{}
	env.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	return testutil.NewApp(t, env), logs
}

// The access log names every request but never the secrets some URLs carry.
func TestAccessLogKeepsResetTokensOut(t *testing.T) {
	t.Parallel()
	app, logs := loggedApp(t, "ana@acme.example", "admin")
	c := app.Client(t, "acme")
	path := requestReset(t, app, c, "ana@acme.example")
	c.Get(path)
	c.Post(path, url.Values{"password": {"x"}, "confirm": {"x"}})
	token := strings.TrimPrefix(path, "/password/reset/")
	out := logs.String()
	if !strings.Contains(out, `"path":"/password/reset/:token"`) {
		t.Errorf("reset requests not logged by route: %s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"msg":"request"`) && strings.Contains(line, token) {
			t.Errorf("token in access log: %s", line)
		}
	}
	if !strings.Contains(out, `"request_id"`) || !strings.Contains(out, `"tenant":"acme"`) {
		t.Errorf("access log lacks request id or tenant: %s", out)
	}
}

// A request that no route took (a form refused for its CSRF token, a method the route does not
// take) and one that failed (500) or found the database unavailable (503) never write a reset
// link's token to the log: every line names the route's pattern instead.
func TestRefusedAndFailedRequestsKeepResetTokensOutOfTheLog(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	logs := &testutil.SyncBuffer{}
	env.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	env.Pools.LockWait = 50 * time.Millisecond
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	path := requestReset(t, app, c, "ana@acme.example")
	token := strings.TrimPrefix(path, "/password/reset/")
	db := env.DB(t, acme)
	refusals := []struct {
		name   string
		status int
		send   func() *testutil.Response
	}{
		{"no CSRF token", http.StatusForbidden, func() *testutil.Response {
			return c.Post(path, url.Values{"_csrf": {""}, "password": {"x"}})
		}},
		{"a method the route does not take", http.StatusMethodNotAllowed, func() *testutil.Response {
			req := httptest.NewRequest(http.MethodPut, path+"?token="+token, nil)
			req.Header.Set("X-Csrf-Token", c.CSRF)
			return c.Do(req)
		}},
		{"a failure", http.StatusInternalServerError, func() *testutil.Response {
			if err := db.Exec(`ALTER TABLE password_resets RENAME TO password_resets_away`).Error; err != nil {
				t.Fatal(err)
			}
			defer db.Exec(`ALTER TABLE password_resets_away RENAME TO password_resets`)
			return c.Get(path)
		}},
		{"the database unavailable", http.StatusServiceUnavailable, func() *testutil.Response {
			// Even reads wait for this lock, and give up after the connections' lock wait.
			lock, _ := dbtest.HoldLock(t, acme.DSN, "password_resets")
			defer lock.Rollback(context.Background())
			if _, err := lock.Exec(context.Background(), `LOCK TABLE password_resets IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			return c.Get(path)
		}},
	}
	for _, r := range refusals {
		before := len(logs.String())
		if res := r.send(); res.Status != r.status {
			t.Fatalf("%s: status %d, want %d", r.name, res.Status, r.status)
		}
		out := logs.String()[before:]
		if strings.Contains(out, token) {
			t.Errorf("%s: the token is in the log: %s", r.name, out)
		}
		if !strings.Contains(out, `"path":"/password/reset/:token"`) {
			t.Errorf("%s: the log does not name the route: %s", r.name, out)
		}
	}
	// A path no route names keeps its words and loses what may be a token.
	before := len(logs.String())
	c.Get(path + "/more")
	if out := logs.String()[before:]; strings.Contains(out, token) || !strings.Contains(out, `"path":"/password/reset/*/more"`) {
		t.Errorf("an unknown path below a reset link is logged as: %s", out)
	}
}

// Every request is one JSON line with its request id, method, route, status, time, size,
// address, tenant and person, at the level its status calls for: a page INFO, a form refused
// WARN, a missing page INFO.
func TestAccessLogLines(t *testing.T) {
	t.Parallel()
	app, logs := loggedApp(t, "rita@acme.example", "requester")
	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	c.Get("/requisitions")
	refused := c.Post("/requisitions", url.Values{"intent": {"submit"}})
	c.Get("/no-such-page")
	lines := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if m["msg"] == "request" {
			lines[m["method"].(string)+" "+m["path"].(string)] = m
		}
	}
	page := lines["GET /requisitions"]
	if page == nil || page["level"] != "INFO" || page["status"] != 200.0 || page["tenant"] != "acme" || page["user_id"] == nil ||
		page["request_id"] == "" || page["ip"] == "" || page["bytes"].(float64) <= 0 || page["duration_ms"] == nil {
		t.Errorf("a page's line: %v", page)
	}
	if l := lines["POST /requisitions"]; refused.Status < 400 || l == nil || l["level"] != "WARN" || l["status"] != float64(refused.Status) {
		t.Errorf("a refused form (%d): %v", refused.Status, l)
	}
	if l := lines["GET /no-such-page"]; l == nil || l["level"] != "INFO" || l["status"] != 404.0 {
		t.Errorf("a missing page's line: %v", l)
	}
}

// A draining server's /readyz answers 503 for the balancer to see, and the access log writes
// each poll at INFO: it is the state asked about, not an error.
func TestDrainingReadinessIsNotLoggedAsAnError(t *testing.T) {
	t.Parallel()
	app, logs := loggedApp(t, "rita@acme.example", "requester")
	app.Server.Drain()
	c := app.Client(t, "acme")
	c.Host = "localhost:8080"
	if res := c.Get("/readyz"); res.Status != 503 {
		t.Fatalf("/readyz while draining: %d", res.Status)
	}
	seen := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if m["msg"] == "request" && m["path"] == "/readyz" {
			seen = true
			if m["level"] != "INFO" || m["status"] != 503.0 {
				t.Errorf("a draining /readyz logged at %v, status %v", m["level"], m["status"])
			}
		}
	}
	if !seen {
		t.Error("the draining /readyz is not logged")
	}
}
