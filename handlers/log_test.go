package handlers_test

import (
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"

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
