package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// httpClient keeps one connection per session alive and never follows redirects, as a
// browser's fetches of one page do.
func newHTTPClient(sessions int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        sessions * 2,
			MaxIdleConnsPerHost: sessions * 2,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       60 * time.Second,
	}
}

// Session is one signed-in browser: its cookies and CSRF token, on one tenant's host.
type Session struct {
	client  *http.Client
	addr    string // host:port the server listens on
	host    string // the tenant's Host header
	mu      sync.Mutex
	cookies map[string]string
	CSRF    string
}

func newSession(client *http.Client, addr, host string) *Session {
	return &Session{client: client, addr: addr, host: host, cookies: map[string]string{}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)
var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// Do sends one request and returns its status and body; htmx asks for the partial.
func (s *Session) Do(ctx context.Context, method, path string, form url.Values, htmx bool) (int, []byte, error) {
	var body io.Reader
	if form != nil {
		if _, ok := form["_csrf"]; !ok && !htmx {
			form.Set("_csrf", s.CSRF)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.addr+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Host = s.host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
		if method != http.MethodGet {
			req.Header.Set("X-Csrf-Token", s.CSRF)
		}
	}
	s.mu.Lock()
	for k, v := range s.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	s.mu.Unlock()
	res, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(s.cookies, c.Name)
		} else {
			s.cookies[c.Name] = c.Value
		}
	}
	s.mu.Unlock()
	return res.StatusCode, b, nil
}

// SignIn goes through the real sign-in form, then opens the dashboard for its CSRF token.
func (s *Session) SignIn(ctx context.Context, email, password string) error {
	st, b, err := s.Do(ctx, http.MethodGet, "/login", nil, false)
	if err != nil {
		return err
	}
	m := csrfInput.FindSubmatch(b)
	if m == nil {
		m = csrfMeta.FindSubmatch(b)
	}
	if st != http.StatusOK || m == nil {
		return fmt.Errorf("sign-in page: status %d, no CSRF token", st)
	}
	s.CSRF = string(m[1])
	st, _, err = s.Do(ctx, http.MethodPost, "/login", url.Values{"email": {email}, "password": {password}}, false)
	if err != nil {
		return err
	}
	if st != http.StatusSeeOther {
		return fmt.Errorf("sign in as %s: status %d, want 303", email, st)
	}
	st, b, err = s.Do(ctx, http.MethodGet, "/dashboard", nil, false)
	if err != nil {
		return err
	}
	if m = csrfMeta.FindSubmatch(b); st != http.StatusOK || m == nil {
		return fmt.Errorf("dashboard after sign-in as %s: status %d", email, st)
	}
	s.CSRF = string(m[1])
	return nil
}

// Result is one measured run: latencies of the successful requests and what failed.
type Result struct {
	Name     string
	N        int
	Errors   int
	FirstErr string
	Elapsed  time.Duration
	P50, P99 time.Duration
	Bytes    int64 // mean response size

	lat []time.Duration // every measured latency, sorted (for merge)
}

// merge is the result of measured runs taken as one: their requests, errors and time added
// up, the percentiles of all their latencies.
func merge(parts ...Result) Result {
	var r Result
	var bytes int64
	for _, p := range parts {
		if r.Name == "" {
			r.Name = p.Name
		}
		r.N += p.N
		r.Errors += p.Errors
		if r.FirstErr == "" {
			r.FirstErr = p.FirstErr
		}
		r.Elapsed += p.Elapsed
		bytes += p.Bytes * int64(p.N)
		r.lat = append(r.lat, p.lat...)
	}
	slices.Sort(r.lat)
	r.setPercentiles(bytes)
	return r
}

// setPercentiles sets N, P50, P99 and the mean size from the sorted latencies and the bytes
// of all the responses.
func (r *Result) setPercentiles(bytes int64) {
	r.N = len(r.lat)
	if r.N > 0 {
		r.P50 = r.lat[r.N/2]
		r.P99 = r.lat[min(r.N-1, r.N*99/100)]
		r.Bytes = bytes / int64(r.N)
	}
}

// PerSecond is the throughput of successful requests.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.N) / r.Elapsed.Seconds()
}

// op is one request of a measured run, made by worker w; ok=false counts as an error (with
// the reason in msg). stop=true ends the worker (its work ran out).
type op func(ctx context.Context, w int) (bytes int, ok bool, msg string, stop bool)

// closedLoop runs op on workers concurrent workers, each sending its next request as soon as
// the previous one is answered, for warmup (not measured) and then for d.
func closedLoop(ctx context.Context, name string, workers int, warmup, d time.Duration, f op) Result {
	type sample struct {
		lat   []time.Duration
		bytes int64
		errs  int
		first string
	}
	samples := make([]sample, workers)
	var measuring atomic.Bool
	warmEnd := time.Now().Add(warmup)
	end := warmEnd.Add(d)
	var wg sync.WaitGroup
	var stoppedAt atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sm := &samples[w]
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				n, ok, msg, stop := f(ctx, w)
				if stop {
					stoppedAt.CompareAndSwap(0, time.Now().UnixNano())
					return
				}
				if !t0.After(warmEnd) {
					continue
				}
				measuring.Store(true)
				if !ok {
					sm.errs++
					if sm.first == "" {
						sm.first = msg
					}
					continue
				}
				sm.lat = append(sm.lat, time.Since(t0))
				sm.bytes += int64(n)
			}
		}()
	}
	wg.Wait()
	finished := time.Now()
	if s := stoppedAt.Load(); s != 0 && time.Unix(0, s).Before(finished) {
		finished = time.Unix(0, s)
	}
	r := Result{Name: name, Elapsed: finished.Sub(warmEnd)}
	var all []time.Duration
	var bytes int64
	for _, sm := range samples {
		all = append(all, sm.lat...)
		bytes += sm.bytes
		r.Errors += sm.errs
		if r.FirstErr == "" {
			r.FirstErr = sm.first
		}
	}
	slices.Sort(all)
	r.lat = all
	r.setPercentiles(bytes)
	return r
}

// getOp fetches path as each worker's own session and expects 200.
func getOp(sessions []*Session, path string, htmx bool) op {
	return func(ctx context.Context, w int) (int, bool, string, bool) {
		st, b, err := sessions[w%len(sessions)].Do(ctx, http.MethodGet, path, nil, htmx)
		if err != nil {
			return 0, false, err.Error(), false
		}
		if st != http.StatusOK {
			return len(b), false, fmt.Sprintf("GET %s: status %d", path, st), false
		}
		return len(b), true, "", false
	}
}
