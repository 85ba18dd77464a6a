package handlers_test

import (
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
)

// The access log names every request but never the secrets some URLs carry.
func TestAccessLogKeepsResetTokensOut(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	var logs testutil.SyncBuffer
	env.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	app := testutil.NewApp(t, env)
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
