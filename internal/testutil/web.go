package testutil

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"outlay/handlers"
	"outlay/internal/poll"
	"outlay/jobs"
	"outlay/mail"
	"outlay/models"
	"outlay/storage"
)

// App is the real Fiber app over a test deployment.
type App struct {
	*Env
	Fiber  *fiber.App
	Server *handlers.Server
	Mail   *mail.LogMailer // nil when built with NewAppMailer
	Jobs   *jobs.Queue
	// Events are the SSO changes and sign-ins the app recorded.
	Events *EventLog
	// Blobs is the attachment store, a folder of the test's own.
	Blobs *storage.Store
}

// NewApp builds the app over env, with its job workers running and mail going to App.Mail.
func NewApp(t testing.TB, env *Env) *App {
	t.Helper()
	mailer := &mail.LogMailer{Logger: env.Logger}
	a := NewAppMailer(t, env, mailer)
	a.Mail = mailer
	return a
}

// NewAppMailer builds the app over env with its job workers sending through mailer.
func NewAppMailer(t testing.TB, env *Env, mailer mail.Mailer) *App {
	t.Helper()
	queue := StartJobs(t, env, mailer)
	events := &EventLog{}
	blobs, err := storage.Open(context.Background(), env.Config.BlobURL)
	if err != nil {
		t.Fatalf("open the blob store: %v", err)
	}
	t.Cleanup(func() { _ = blobs.Close() })
	app, srv := handlers.New(handlers.Deps{Config: env.Config, Registry: env.Registry, Pools: env.Pools, Jobs: queue,
		Logger: env.Logger, Counter: env.Counter, SSOEvents: events.Record, Blobs: blobs})
	return &App{Env: env, Fiber: app, Server: srv, Jobs: queue, Events: events, Blobs: blobs}
}

// StartJobs starts a job queue with workers over env, as an app server runs one, retrying
// failures after a tenth of a second; it stops when the test ends.
func StartJobs(t testing.TB, env *Env, mailer mail.Mailer) *jobs.Queue {
	t.Helper()
	return StartJobsWith(t, env, mailer, nil)
}

// StartJobsWith is StartJobs with the options changed by set first (a test's clock, say).
func StartJobsWith(t testing.TB, env *Env, mailer mail.Mailer, set func(*jobs.Options)) *jobs.Queue {
	t.Helper()
	o := jobs.Options{Config: env.Config, Registry: env.Registry, Pools: env.Pools,
		Mailer: mailer, Logger: env.Logger, Workers: 4, MailAttempts: env.Config.MailAttempts,
		RetryPolicy: jobs.FixedRetry(100 * time.Millisecond), PollInterval: 50 * time.Millisecond,
		SweepEvery: time.Second, SweepAfter: time.Second}
	if set != nil {
		set(&o)
	}
	q, err := jobs.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open the job queue: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		t.Fatalf("start the job queue: %v", err)
	}
	t.Cleanup(func() {
		stopCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = q.Stop(stopCtx)
		cancel()
	})
	return q
}

// WaitMail waits until the app's log mailer holds at least n messages and returns them; the
// test fails after 15 seconds.
func (a *App) WaitMail(t testing.TB, n int) []mail.Message {
	t.Helper()
	var sent []mail.Message
	poll.Until(t, fmt.Sprintf("%d mails", n), 15*time.Second, func() error {
		if sent = a.Mail.Sent(); len(sent) < n {
			return fmt.Errorf("%d sent", len(sent))
		}
		return nil
	})
	return sent
}

// EventLog collects recorded SSO events.
type EventLog struct {
	mu     sync.Mutex
	events []models.SSOEvent
}

// Record is a models.SSOEventSink.
func (l *EventLog) Record(_ context.Context, e models.SSOEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// Named returns the events called name, oldest first.
func (l *EventLog) Named(name string) []models.SSOEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []models.SSOEvent
	for _, e := range l.events {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// Last is the newest event called name; ok is false when there is none.
func (l *EventLog) Last(name string) (e models.SSOEvent, ok bool) {
	all := l.Named(name)
	if len(all) == 0 {
		return e, false
	}
	return all[len(all)-1], true
}

// Client is a browser-like client for one host: it keeps cookies and sends the page's CSRF
// token with forms.
type Client struct {
	t       testing.TB
	app     *App
	Host    string
	Cookies map[string]string
	// CSRF is the token of the last page that carried one.
	CSRF string
	// Header is sent with every request.
	Header http.Header
	// Addr, when set (App.Serve), sends requests over a real connection instead of in process.
	Addr string
}

// Client returns a fresh client for the tenant slug's host.
func (a *App) Client(t testing.TB, slug string) *Client {
	return &Client{t: t, app: a, Host: slug + "." + a.Config.BaseDomain + ":8080", Cookies: map[string]string{}, Header: http.Header{}}
}

// RemoteClient returns a fresh client for host (such as "acme.localhost:8080") that sends its
// requests over the network to addr: an `outlay serve` process, or a load balancer in front of
// several. Setting Addr later sends the same browser, cookies and all, elsewhere.
func RemoteClient(t testing.TB, host, addr string) *Client {
	return &Client{t: t, Host: host, Addr: addr, Cookies: map[string]string{}, Header: http.Header{}}
}

// Response is a finished request with its parsed HTML.
type Response struct {
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
}

// Location is where a redirect points, for a 3xx or an htmx redirect.
func (r *Response) Location() string {
	if l := r.Header.Get("HX-Redirect"); l != "" {
		return l
	}
	return r.Header.Get("Location")
}

// Text is the trimmed text of the elements matching sel.
func (r *Response) Text(sel string) string { return strings.TrimSpace(r.Doc.Find(sel).Text()) }

// Do sends req and records cookies and the CSRF token of the answer.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	res, err := c.send(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.Cookies, ck.Name)
		} else {
			c.Cookies[ck.Name] = ck.Value
		}
	}
	r := readResponse(c.t, res)
	if tok, _ := r.Doc.Find(`meta[name="csrf-token"]`).Attr("content"); tok != "" {
		c.CSRF = tok
	} else if tok, _ := r.Doc.Find(`input[name="_csrf"]`).Attr("value"); tok != "" {
		c.CSRF = tok
	}
	return r
}

// send sends req as this browser (its host, headers and cookies) and records nothing.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	req.Host = c.Host
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for name, value := range c.Cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	if c.Addr != "" {
		req.URL.Scheme, req.URL.Host, req.RequestURI = "http", c.Addr, ""
		return noRedirects.Do(req)
	}
	return c.app.Fiber.Test(req, -1)
}

// PostAtOnce submits the same form to path n times at once, as one browser (its cookies and
// the current CSRF token), as a double click or a resent request does, and returns the
// answers; it records no cookie or token from them.
func (c *Client) PostAtOnce(n int, path string, form url.Values) []*Response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.CSRF)
	}
	body := form.Encode()
	answers := make([]*http.Response, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i], errs[i] = c.send(req)
		}()
	}
	close(start)
	wg.Wait()
	out := make([]*Response, n)
	for i, res := range answers {
		if errs[i] != nil {
			c.t.Fatalf("POST %s: %v", path, errs[i])
		}
		out[i] = readResponse(c.t, res)
	}
	return out
}

// noRedirects sends requests over the network and hands back redirects unfollowed, as
// Fiber's in-process Test does.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Get fetches path.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	return c.Do(httptest.NewRequest(http.MethodGet, path, nil))
}

// Post submits a form to path with the current CSRF token (unless form sets _csrf).
func (c *Client) Post(path string, form url.Values) *Response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.CSRF)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// SignIn signs in through the real form and fails the test unless it lands on the dashboard.
func (c *Client) SignIn(email, password string) {
	c.t.Helper()
	c.Get("/login")
	res := c.Post("/login", url.Values{"email": {email}, "password": {password}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		c.t.Fatalf("sign in as %s: status %d, location %q, body %s", email, res.Status, res.Location(), res.Text(".flash, .field-error"))
	}
}

// WaitJobs waits until the app's job queue has nothing left to do now: no job waiting, running
// or due for a retry. The test fails after 15 seconds.
func (a *App) WaitJobs(t testing.TB) {
	t.Helper()
	WaitJobs(t, a.Jobs)
}

// WaitJobs waits until q has no job waiting, running or due for a retry, and no mail still to
// be queued (QueueMail).
func WaitJobs(t testing.TB, q *jobs.Queue) {
	t.Helper()
	poll.Until(t, "the job queue to be idle", 15*time.Second, func() error {
		// Mail a request queued goes in after its response: first wait for its insert.
		if n := q.MailGathering(); n > 0 {
			return fmt.Errorf("%d mails not yet queued", n)
		}
		depth, err := q.Depth(context.Background())
		if err != nil {
			t.Fatalf("job queue depth: %v", err)
		}
		if depth["available"]+depth["running"]+depth["retryable"]+depth["pending"] > 0 {
			return fmt.Errorf("still busy: %v", depth)
		}
		return nil
	})
}
