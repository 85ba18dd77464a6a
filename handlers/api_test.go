package handlers_test

import (
	"net/http"
	"testing"

	"outlay/internal/testutil"
)

// No cache keeps an API answer, as none keeps a page: every answer says no-store, whether it
// tells the caller who they are or lists their tokens, or refuses them (no token, a revoked
// or unknown one, a token of another organisation, an unknown route, organisation or
// method, a request that cannot be read).
func TestEveryAPIAnswerIsNotStored(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	token := createToken(t, s.signedIn(t, s.clerk.Email), "clerk script")
	clerk := s.bearer(t, "acme", token)
	for _, tc := range []struct {
		name   string
		res    *testutil.Response
		status int
	}{
		{"me", clerk.Get("/api/v1/me"), http.StatusOK},
		{"tokens", clerk.Get("/api/v1/tokens"), http.StatusOK},
		{"no token", s.app.Client(t, "acme").Get("/api/v1/me"), http.StatusUnauthorized},
		{"an unknown token", s.bearer(t, "acme", "olt_nosuchtoken").Get("/api/v1/tokens"), http.StatusUnauthorized},
		{"another organisation's token", s.bearer(t, "globex", token).Get("/api/v1/me"), http.StatusUnauthorized},
		{"unknown route", clerk.Get("/api/v1/nope"), http.StatusNotFound},
		{"unknown organisation", s.bearer(t, "nosuch", token).Get("/api/v1/me"), http.StatusNotFound},
		{"wrong method", clerk.Do(httpRequest(http.MethodPost, "/api/v1/me")), http.StatusNotFound},
		{"unreadable", clerk.Get("/api/v1/me?q=%00"), http.StatusBadRequest},
	} {
		apiJSON(t, tc.name, tc.res, tc.status)
		if got := tc.res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", tc.name, got)
		}
	}
}
