package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
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
		{"wrong method", clerk.Do(httpRequest(http.MethodPost, "/api/v1/me")), http.StatusMethodNotAllowed},
		{"two Authorization headers", clerk.Do(withHeader(httpRequest(http.MethodGet, "/api/v1/me"), "Authorization", "Bearer olt_bogus")), http.StatusBadRequest},
		{"unreadable", clerk.Get("/api/v1/me?q=%00"), http.StatusBadRequest},
	} {
		apiJSON(t, tc.name, tc.res, tc.status)
		if got := tc.res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", tc.name, got)
		}
		if tc.status == http.StatusMethodNotAllowed && tc.res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: Allow %q, want GET, HEAD", tc.name, tc.res.Header.Get("Allow"))
		}
	}
}

// stepClock is the time the API rate limit reads; the test moves it.
type stepClock struct{ at atomic.Int64 }

func (c *stepClock) Now() time.Time          { return time.Unix(0, c.at.Load()) }
func (c *stepClock) Advance(d time.Duration) { c.at.Add(int64(d)) }
func newStepClock() *stepClock {
	c := &stepClock{}
	c.at.Store(time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}

// newLimitedSite is acme with Casey Clerk, its API allowing perMinute requests a minute and
// burst at once, by a clock the test moves. The in-process peer (0.0.0.0) is a trusted proxy
// when proxied, so X-Forwarded-For names each client's address.
func newLimitedSite(t *testing.T, perMinute, burst int, proxied bool) (*tokenSite, *stepClock) {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	s := &tokenSite{acme: acme, clerk: env.CreateUser(t, acme, "cas@acme.example", "Casey Clerk", "ap_clerk")}
	env.Config.APIRateLimit, env.Config.APIBurst = perMinute, burst
	if proxied {
		env.Config.TrustedProxies = []string{"0.0.0.0"}
	}
	s.app = testutil.NewApp(t, env)
	clock := newStepClock()
	s.app.Server.SetAPIClock(clock.Now)
	return s, clock
}

// tooMany checks that res is the API's refusal of a request over the limit: 429 with a JSON
// error saying whose budget is spent, and Retry-After in whole seconds.
func tooMany(t *testing.T, what string, res *testutil.Response, who, retryAfter string) {
	t.Helper()
	body := apiJSON(t, what, res, http.StatusTooManyRequests)
	if msg, _ := body["error"].(string); !strings.HasPrefix(msg, "too many requests "+who) {
		t.Errorf("%s: error %q, want it to begin %q", what, msg, "too many requests "+who)
	}
	if got := res.Header.Get("Retry-After"); got != retryAfter {
		t.Errorf("%s: Retry-After %q, want %q", what, got, retryAfter)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, got)
	}
}

// Each API token has its own budget: within it every request is answered; past it the token
// is refused 429 with Retry-After, without touching its organisation's data, while another
// token of the same person goes on; once the budget refills, the token is served again.
func TestAPIRateLimitIsPerToken(t *testing.T) {
	t.Parallel()
	s, clock := newLimitedSite(t, 60, 3, false) // one request a second, three at once
	browser := s.signedIn(t, s.clerk.Email)
	script := s.bearer(t, "acme", createToken(t, browser, "ERP sync"))
	other := s.bearer(t, "acme", createToken(t, browser, "Bank feed"))
	for i := 1; i <= 3; i++ {
		apiJSON(t, fmt.Sprintf("request %d within the limit", i), script.Get("/api/v1/me"), http.StatusOK)
	}
	statements := s.app.Counter.Tenant.Load()
	tooMany(t, "request 4", script.Get("/api/v1/tokens"), "with this API token", "1")
	if n := s.app.Counter.Tenant.Load() - statements; n != 0 {
		t.Errorf("the refused request ran %d statements in the organisation's database, want none", n)
	}
	clock.Advance(500 * time.Millisecond)
	tooMany(t, "half a second later", script.Get("/api/v1/me"), "with this API token", "1")
	for i := 1; i <= 3; i++ {
		apiJSON(t, fmt.Sprintf("the other token's request %d", i), other.Get("/api/v1/me"), http.StatusOK)
	}
	clock.Advance(500 * time.Millisecond)
	body := apiJSON(t, "a second after the limit", script.Get("/api/v1/tokens"), http.StatusOK)
	if tokens, _ := body["tokens"].([]any); len(tokens) != 2 {
		t.Errorf("tokens listed once the budget refilled: %v", body)
	}
	tooMany(t, "the refilled request spent", script.Get("/api/v1/me"), "with this API token", "1")
	clock.Advance(time.Minute)
	for i := 1; i <= 3; i++ {
		apiJSON(t, fmt.Sprintf("request %d a minute later", i), script.Get("/api/v1/me"), http.StatusOK)
	}
}

// Requests without a valid token (none, an unknown one) share their address's budget, so
// guessing tokens is throttled: past it they are refused 429 before any token is looked up.
// They spend nothing of a real token's budget, nor of another address's.
func TestAPIRequestsWithoutAValidTokenAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	s, clock := newLimitedSite(t, 60, 3, true)
	from := func(c *testutil.Client, addr string) *testutil.Client {
		c.Header.Set("X-Forwarded-For", addr)
		return c
	}
	script := from(s.bearer(t, "acme", createToken(t, s.signedIn(t, s.clerk.Email), "ERP sync")), "203.0.113.5")
	apiJSON(t, "the script's first request", script.Get("/api/v1/me"), http.StatusOK)
	guesser := func(i int) *testutil.Client {
		return from(s.bearer(t, "acme", fmt.Sprintf("%sguess%d", models.TokenPrefix, i)), "203.0.113.5")
	}
	apiJSON(t, "guess 1", guesser(1).Get("/api/v1/me"), http.StatusUnauthorized)
	apiJSON(t, "guess 2", guesser(2).Get("/api/v1/me"), http.StatusUnauthorized)
	apiJSON(t, "no token", from(s.app.Client(t, "acme"), "203.0.113.5").Get("/api/v1/me"), http.StatusUnauthorized)
	tooMany(t, "guess 4", guesser(4).Get("/api/v1/me"), "from your network without a valid API token", "1")
	tooMany(t, "no token again", from(s.app.Client(t, "acme"), "203.0.113.5").Get("/api/v1/me"), "from your network without a valid API token", "1")
	apiJSON(t, "a guess from another address", from(s.bearer(t, "acme", models.TokenPrefix+"guess5"), "198.51.100.20").Get("/api/v1/me"), http.StatusUnauthorized)
	// The script's token has spent one request of three, whatever was guessed beside it.
	apiJSON(t, "the script's second request", script.Get("/api/v1/me"), http.StatusOK)
	apiJSON(t, "the script's third request", script.Get("/api/v1/me"), http.StatusOK)
	tooMany(t, "the script's fourth request", script.Get("/api/v1/me"), "with this API token", "1")
	clock.Advance(time.Second)
	apiJSON(t, "a guess a second later", guesser(6).Get("/api/v1/me"), http.StatusUnauthorized)
}

// An IPv6 client without a valid token is limited by its /64, not address by address.
func TestAPILimitCountsIPv6ByItsSlash64(t *testing.T) {
	t.Parallel()
	s, _ := newLimitedSite(t, 60, 3, true)
	guess := func(i int, addr string) *testutil.Response {
		c := s.bearer(t, "acme", fmt.Sprintf("%sguess%d", models.TokenPrefix, i))
		c.Header.Set("X-Forwarded-For", addr)
		return c.Get("/api/v1/me")
	}
	for i := 1; i <= 3; i++ {
		apiJSON(t, fmt.Sprintf("guess %d", i), guess(i, fmt.Sprintf("2001:db8:5:6::%d", i)), http.StatusUnauthorized)
	}
	tooMany(t, "a guess from a fourth address of the /64", guess(4, "2001:db8:5:6:aaaa::4"), "from your network without a valid API token", "1")
	apiJSON(t, "a guess from another /64", guess(5, "2001:db8:5:7::1"), http.StatusUnauthorized)
}

// Budgets are dropped once they have refilled, so the addresses and tokens the limit keeps
// are those seen lately, not all ever seen.
func TestAPIRateLimitForgetsIdleClients(t *testing.T) {
	t.Parallel()
	s, clock := newLimitedSite(t, 60, 3, true)
	script := s.bearer(t, "acme", createToken(t, s.signedIn(t, s.clerk.Email), "ERP sync"))
	apiJSON(t, "the script", script.Get("/api/v1/me"), http.StatusOK)
	const clients = 300
	for i := range clients {
		c := s.app.Client(t, "acme")
		c.Header.Set("X-Forwarded-For", fmt.Sprintf("10.7.%d.%d", i/250, i%250))
		if res := c.Get("/api/v1/me"); res.Status != http.StatusUnauthorized {
			t.Fatalf("client %d: %d", i, res.Status)
		}
	}
	if n := s.app.Server.APILimitKeys(); n != clients+1 {
		t.Errorf("the limit tracks %d tokens and addresses, want %d", n, clients+1)
	}
	clock.Advance(3 * time.Second) // every budget has refilled
	apiJSON(t, "the script later", script.Get("/api/v1/me"), http.StatusOK)
	if n := s.app.Server.APILimitKeys(); n != 1 {
		t.Errorf("after every budget refilled the limit tracks %d tokens and addresses, want only the script's token", n)
	}
}

// withHeader is req with one more value of header name.
func withHeader(req *http.Request, name, value string) *http.Request {
	req.Header.Add(name, value)
	return req
}

// A request the server cannot read (headers larger than it takes, an address of thousands of
// characters) is refused before any route sees it: one for the API is answered in JSON, as
// every other API error is, and a page's with the page that says what to do.
func TestUnreadableAPIRequestIsAnsweredInJSON(t *testing.T) {
	t.Parallel()
	env, _ := testutil.NewTenant(t)
	addr := testutil.NewApp(t, env).Serve(t)
	big := "X-Big: " + strings.Repeat("x", 6000)
	for _, tc := range []struct {
		name string
		head []string
		api  bool
	}{
		{"an API request with oversized headers", []string{"GET /api/v1/me HTTP/1.1", "Host: acme.localhost:8080", "Authorization: Bearer olt_x", big}, true},
		{"an API request with an overlong address", []string{"GET /API/v1/tokens?q=" + strings.Repeat("x", 6000) + " HTTP/1.1", "Host: acme.localhost:8080"}, true},
		{"a page with oversized headers", []string{"GET /requisitions HTTP/1.1", "Host: acme.localhost:8080", big}, false},
	} {
		res, err := streamed{head: tc.head}.send(t, addr, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !tc.api {
			if res.Status != http.StatusRequestHeaderFieldsTooLarge || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(res.Body, "<h1>Address too long</h1>") {
				t.Errorf("%s: %d %q %q, want the 431 page", tc.name, res.Status, res.Header.Get("Content-Type"), res.Body)
			}
			continue
		}
		if out := apiJSON(t, tc.name, res, http.StatusRequestHeaderFieldsTooLarge); out["error"] != "request header fields too large" || len(out) != 1 {
			t.Errorf("%s: %v, want the API's error shape", tc.name, out)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", tc.name, got)
		}
	}
}
