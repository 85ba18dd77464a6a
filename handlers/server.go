// Package handlers is Outlay's HTTP layer: the Fiber app, its middleware (tenant, session,
// CSRF, security headers), the route table with the access each route needs, and thin
// handlers that parse a request, call the models and render a view.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"

	"outlay"
	"outlay/auth"
	"outlay/auth/sso"
	"outlay/config"
	"outlay/jobs"
	"outlay/models"
	"outlay/outbound"
	"outlay/policy"
	"outlay/static"
	"outlay/storage"
	"outlay/tenancy"
	"outlay/views"
	"outlay/views/dashboard"
)

// Deps are what the HTTP layer is built from.
type Deps struct {
	Config   *config.Config
	Registry *tenancy.Registry
	Pools    *tenancy.Pools
	Logger   *slog.Logger
	Throttle models.Throttle
	// Policies caches each tenant's role policies; app servers each have their own.
	Policies *policy.Engine
	// Counter counts SQL statements, for /metrics; may be nil.
	Counter *tenancy.QueryCounter
	// SSOEvents also receives every SSO change and sign-in (tests); they are always logged.
	SSOEvents models.SSOEventSink
	// Blobs stores attachments.
	Blobs *storage.Store
	// Jobs queues background work: every mail is sent by a job.
	Jobs *jobs.Queue
}

// Server is the HTTP layer's state, shared by every request.
type Server struct {
	attempts attemptLocks
	cfg      *config.Config
	registry *tenancy.Registry
	pools    *tenancy.Pools
	logger   *slog.Logger
	signer   *auth.Signer
	throttle models.Throttle
	sessions models.SessionPolicy
	cookies  cookieNames
	routes   []Route
	// lookups are the search-as-you-type fields' sources, by their lookup's path: what a
	// form's typed text is chosen from (typedChoice).
	lookups   map[string]lookupSource
	navRoutes map[string]Route // the routes listed in the navigation, by path
	policies  *policy.Engine
	metrics   *metrics
	sso       *sso.Providers
	outbound  *http.Client    // every request made on a tenant admin's behalf (package outbound)
	secrets   *auth.SecretBox // nil without OUTLAY_SECRET_KEY: SSO secrets cannot be stored
	totp      *auth.SecretBox // nil without OUTLAY_SECRET_KEY: nobody can enrol a second factor
	bankBox   *auth.SecretBox // nil without OUTLAY_SECRET_KEY: vendors' bank details cannot be kept
	// personalBank seals people's and the organisation's IBANs; nil without OUTLAY_SECRET_KEY.
	personalBank *auth.SecretBox
	// newCodes seals new recovery codes on their way to the page that shows them once; nil
	// without OUTLAY_SECRET_KEY (nobody has two-factor sign-in then).
	newCodes *auth.SecretBox
	events   models.SSOEventSink
	blobs    *storage.Store
	proxies  proxies // whose forwarded headers are believed
	jobs     *jobs.Queue
	// uploadPaths are the routes that take files (Route.Upload).
	uploadPaths []string
	// callsOut are the routes that wait on another server (Route.CallsOut).
	callsOut []Route
	// apiLimit is the JSON API's rate limit (api_limit.go); nil when it is off.
	apiLimit *apiLimiter
	// draining is set once the server is asked to stop: /readyz then fails, so a load
	// balancer sends no new requests while those in flight finish.
	draining atomic.Bool
}

// New builds the Fiber app with every route.
func New(d Deps) (*fiber.App, *Server) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Policies == nil {
		d.Policies = policy.NewEngine()
	}
	if d.Throttle == (models.Throttle{}) {
		d.Throttle = models.DefaultThrottle
	}
	s := &Server{
		cfg:      d.Config,
		registry: d.Registry,
		pools:    d.Pools,
		logger:   d.Logger,
		signer:   auth.NewSigner(d.Config.SecretKey),
		throttle: d.Throttle,
		sessions: models.SessionPolicy{Idle: d.Config.SessionIdle, Max: d.Config.SessionMax},
		cookies:  newCookieNames(d.Config.Secure()),
		policies: d.Policies,
		metrics:  newMetrics(d.Counter, d.Pools, d.Jobs),
		outbound: outbound.ForConfig(d.Config),
		events:   d.SSOEvents,
		blobs:    d.Blobs,
		proxies:  parseProxies(d.Config.TrustedProxies),
		jobs:     d.Jobs,
		apiLimit: newAPILimiter(d.Config.APIRateLimit, d.Config.APIBurst, maxAPIBuckets),
	}
	s.sso = sso.NewProviders(s.outbound, 1000)
	if box, err := auth.NewSecretBox(d.Config.SecretKey, models.SSOSecretPurpose); err == nil {
		s.secrets = box
	} else {
		s.logger.Warn("single sign-on providers with client secrets cannot be used", "err", err)
	}
	if box, err := auth.NewSecretBox(d.Config.SecretKey, models.TwoFactorSecretPurpose); err == nil {
		s.totp = box
	}
	if box, err := auth.NewSecretBox(d.Config.SecretKey, models.VendorBankSecretPurpose); err == nil {
		s.bankBox = box
	}
	if box, err := auth.NewSecretBox(d.Config.SecretKey, models.BankAccountPurpose); err == nil {
		s.personalBank = box
	}
	if box, err := auth.NewSecretBox(d.Config.SecretKey, newCodesPurpose); err == nil {
		s.newCodes = box
	}
	app := fiber.New(fiber.Config{
		// Values from the request are copied, so handlers may keep them (fiber #2291).
		Immutable:             true,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		// A request's headers must arrive within ReadHeaderTimeout (fasthttp's ReadTimeout
		// runs from a request's first byte to its last header); its body then has
		// bodyReadTimeout (HeaderReceived below). Clients trickling bytes (slowloris) are cut off.
		ReadTimeout:  d.Config.ReadHeaderTimeout,
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  120 * time.Second,
		// fasthttp's write buffer stays at 4 KB: an open connection holds it while it idles.
		// One a list page fits in (64 KB) saved a system call a response, about 25 µs of the
		// 0.6 ms of CPU a /vendors view costs (a profile), for 60 KB more per idle connection,
		// of which a browser keeps several.
		// Bodies are read only when asked for (see bodies.go): limitBody holds every route but
		// an upload to smallBodyLimit, and an upload is read after its checks.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    smallBodyLimit,
		// Fiber believes no forwarded header: c.IP() is the peer and c.Hostname() ignores
		// X-Forwarded-Host. identifyRequest decides what a trusted proxy may tell us.
		EnableTrustedProxyCheck: true,
	})
	app.Server().ContinueHandler = s.expectContinue(app.Config())
	app.Server().ErrorHandler = apiAwareServerErrors(app.Server().ErrorHandler)
	app.Server().HeaderReceived = func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
		return fasthttp.RequestConfig{ReadTimeout: bodyReadTimeout}
	}
	app.Use(s.identifyRequest, s.requestID, s.accessLog, s.releaseAttempts, recover.New(), s.securityHeaders, s.wellFormed, s.limitBody)

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metricsHandler())
	app.Get("/static/*", s.staticAsset)
	app.Get("/favicon.ico", func(c *fiber.Ctx) error {
		return c.Redirect(static.Path("img/favicon.svg"), fiber.StatusMovedPermanently)
	})

	s.routes = s.routeTable()
	s.navRoutes = map[string]Route{}
	for _, r := range s.routes {
		if r.Upload {
			s.uploadPaths = append(s.uploadPaths, r.Path)
		}
		if r.CallsOut {
			s.callsOut = append(s.callsOut, r)
		}
		if r.NavLabel != "" {
			s.navRoutes[r.Path] = r
		}
	}
	// The JSON API authenticates by bearer token only: it ignores cookies, so it needs no
	// CSRF token and a browser session cannot be ridden into it. Its rate limit comes first, so
	// a request over it costs no database connection.
	// Every page and API read also answers HEAD, as HTTP asks of whatever answers GET (link
	// checkers and monitors send it): the same handler, whose body the server leaves out.
	// A GET that changes something as it answers (Route.GetOnly) does not.
	methods := func(r Route) []string {
		if r.Method == fiber.MethodGet && !r.GetOnly {
			return []string{fiber.MethodGet, fiber.MethodHead}
		}
		return []string{r.Method}
	}
	api := app.Group(apiPrefix, s.limitAPI, s.resolveTenant, s.notifications, s.loadBearer)
	for _, r := range s.routes {
		if r.API {
			for _, m := range methods(r) {
				api.Add(m, strings.TrimPrefix(r.Path, apiPrefix), s.guard(r), r.Handler)
			}
		}
	}
	api.Use(func(c *fiber.Ctx) error {
		// A route that answers other methods says which (405 with Allow), as the pages do.
		var allow []string
		for _, r := range s.routes {
			if r.API && fiber.RoutePatternMatch(c.Path(), r.Path, c.App().Config()) {
				allow = append(allow, methods(r)...)
			}
		}
		if len(allow) > 0 {
			c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
			return apiError(c, http.StatusMethodNotAllowed, "this API route does not take "+c.Method()+"; it takes "+strings.Join(allow, ", "))
		}
		return apiError(c, http.StatusNotFound, "no such API route")
	})
	web := app.Group("", s.resolveTenant, s.notifications, s.csrf, s.textOnly, s.loadSession)
	for _, r := range s.routes {
		if !r.API {
			for _, m := range methods(r) {
				if r.Confirmed {
					web.Add(m, r.Path, s.guard(r), s.requireConfirmation(r.ConfirmRefused), r.Handler)
					continue
				}
				web.Add(m, r.Path, s.guard(r), r.Handler)
			}
		}
	}
	return app, s
}

// apiAwareServerErrors wraps Fiber's answer to a request the server could not read (headers
// larger than its buffer, a malformed header) so that one for the JSON API is answered in JSON
// as the API's other errors are, not with an HTML page: fasthttp forgets the request line of
// such a request, and only the start of the request quoted in its error says where it went.
func apiAwareServerErrors(fiberErrors func(*fasthttp.RequestCtx, error)) func(*fasthttp.RequestCtx, error) {
	return func(fctx *fasthttp.RequestCtx, err error) {
		if target := unreadTarget(quotedRequestStart(err)); isAPIPath(target) {
			fctx.Request.Header.SetRequestURI(target)
		}
		fiberErrors(fctx, err)
	}
}

// quotedRequestStart is the start of the request that a fasthttp header error quotes
// ("... contents: \"GET /api/v1/me HTTP/1.1\\r\\n...\"..."), or "".
func quotedRequestStart(err error) string {
	_, rest, ok := strings.Cut(err.Error(), "contents: ")
	if !ok {
		return ""
	}
	quoted, qerr := strconv.QuotedPrefix(rest)
	if qerr != nil {
		return ""
	}
	head, _ := strconv.Unquote(quoted)
	return head
}

// Drain makes /readyz answer 503 from now on, while every other route is served as before:
// a stopping server calls it, then waits for its load balancer to take it out.
func (s *Server) Drain() { s.draining.Store(true) }

// TenantChanged drops what this server keeps in memory of a tenant's changed settings (what
// is a tenancy.Change constant); the registry calls it for changes announced by any server.
func (s *Server) TenantChanged(what, slug string) {
	switch what {
	case tenancy.ChangePolicy:
		s.policies.Invalidate(slug)
	case tenancy.ChangeSSO:
		s.sso.Forget(slug)
	}
}

// announce applies a change of the request's tenant on this server at once, and tells every
// other server. One that misses the message still serves correct answers: each request reads
// the policy version with its session, and a provider whose settings changed is rebuilt.
func (s *Server) announce(c *fiber.Ctx, what string) {
	slug := tenantOf(c).Slug
	s.TenantChanged(what, slug)
	if err := s.registry.Announce(c.UserContext(), what, slug); err != nil {
		s.logger.Warn("could not announce a change to the other app servers", "what", what, "tenant", slug, "err", err)
	}
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if s.draining.Load() {
		return c.Status(http.StatusServiceUnavailable).SendString("shutting down")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.registry.Ping(ctx); err != nil {
		s.logger.Warn("readiness check failed", "err", err)
		return c.Status(http.StatusServiceUnavailable).SendString("control plane unreachable")
	}
	return c.SendString("ready")
}

func (s *Server) staticAsset(c *fiber.Ctx) error {
	body, contentType, ok := static.Lookup(c.Path())
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, contentType)
	// The URL names the content's hash, so the file can be cached for ever.
	c.Set(fiber.HeaderCacheControl, static.CacheControl)
	// Text goes compressed to a client that takes gzip (every browser): the stylesheet and
	// scripts a first visit loads are a quarter of their size. The compressed form is made
	// once; a cache in between keeps the two forms apart.
	if gz, ok := static.Gzipped(c.Path()); ok {
		c.Vary(fiber.HeaderAcceptEncoding)
		if c.Request().Header.HasAcceptEncoding("gzip") {
			c.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(gz)
		}
	}
	return c.Send(body)
}

// pageAbove is the page an address that only takes posts belongs to: the address without its
// last segment when that is a page (/requisitions/2 for /requisitions/2/comments), otherwise
// the dashboard.
func (s *Server) pageAbove(c *fiber.Ctx) string {
	p := strings.TrimSuffix(c.Path(), "/")
	if i := strings.LastIndexByte(p, '/'); i > 0 && !strings.HasPrefix(p, "//") {
		parent := p[:i]
		for _, r := range s.routes {
			if r.Method == get && !r.API && !r.Fragment && fiber.RoutePatternMatch(parent, r.Path, c.App().Config()) {
				return parent
			}
		}
	}
	return dashboard.Path
}

// bodyReadTimeout is how long a request's body may take to arrive once its headers have.
const bodyReadTimeout = 30 * time.Second

// retryAfterSeconds is the Retry-After of a 503: about how long a database restart takes.
const retryAfterSeconds = "5"

// handleError turns any error into the page or partial the user sees. Only unexpected errors
// are logged as errors, and their details never reach the response.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status := http.StatusInternalServerError
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		status = fe.Code
	case errors.Is(err, outlay.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, outlay.ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, context.Canceled):
		status = 499 // The client went away; nobody reads this response.
	case tenancy.Unavailable(err):
		// The database is restarting, gone or saturated: a clean "try again shortly", which
		// clients and proxies understand, rather than a failure of the request.
		status = http.StatusServiceUnavailable
		c.Set(fiber.HeaderRetryAfter, retryAfterSeconds)
	}
	if _, ok := outlay.AsValidation(err); ok {
		status = http.StatusUnprocessableEntity
	}
	if t := tenantOf(c); t != nil && tenancy.IsTerminated(err) {
		// Its session was ended (a move, a restart): the handle's other connections are dead
		// too, and the next request opens a fresh handle on the database the registry names
		// by then.
		s.pools.Retire(*t)
	}
	if status == http.StatusMethodNotAllowed && c.Method() == fiber.MethodGet && !isAPI(c) {
		// A browser asking for an address that only takes a form's post (the page a post
		// answered, reloaded or bookmarked; a link copied from it) goes to the form's page.
		return redirect(c, s.pageAbove(c))
	}
	view := views.ErrorView{Status: status, RequestID: requestIDOf(c)}
	refused := false
	toast := "" // the toast of an htmx request, when the message alone says it all
	if st, title, msg, ok := s.lifecycleRefusal(c, err); ok {
		refused, status = true, st
		view.Status, view.Title, view.Message = st, title, msg
	}
	switch {
	case refused:
		// The organisation cannot be changed now; the message says why and until when.
	case status == http.StatusNotFound:
		view.Title, view.Message = "Page not found", "There is nothing at this address. Check the link, or start again from the dashboard."
	case status == http.StatusForbidden:
		view.Title, view.Message = "Request refused", "This form had expired or did not come from this site. Go back, reload the page and try again."
	case status == http.StatusConflict:
		view.Title, view.Message = "Changed in the meantime", "Someone else changed this first. Reload the page to see the current state."
		if msg, ok := outlay.Message(err); ok {
			// The refusal says what stands in the way (it was withdrawn already, it was
			// approved): often the person's own earlier click, not someone else. It is a full
			// sentence, so a toast needs no title before it.
			view.Title, view.Message = "Not possible now", msg+" Reload the page to see where it stands."
			toast = view.Message
		}
	case status == http.StatusBadRequest:
		view.Title, view.Message = "Request not understood", "This request could not be read."
		if fe != nil {
			view.Message = fe.Message
		}
	case status == http.StatusRequestEntityTooLarge:
		view.Title, view.Message = "Too large", "What you sent is larger than we accept."
	case status == http.StatusRequestHeaderFieldsTooLarge:
		// Most often a search of thousands of characters, which travels in the address.
		view.Title, view.Message = "Address too long", "The address of this request is longer than we accept, usually because of a very long search. Shorten the search and try again."
	case status == http.StatusUnprocessableEntity:
		view.Title, view.Message = "Please check your input", err.Error()
	case status == http.StatusServiceUnavailable:
		s.logger.Warn("database unavailable", "request_id", view.RequestID, "method", c.Method(), "path", s.loggedPath(c), "err", err)
		view.Title, view.Message = "Temporarily unavailable", "We cannot reach this organisation's data at the moment. Please try again in a few seconds; if it keeps happening, contact support with the request ID below."
	default:
		if status >= 500 {
			s.logger.Error("request failed", "request_id", view.RequestID, "method", c.Method(), "path", s.loggedPath(c), "err", err)
			view.Title, view.Message = "Something went wrong", "We could not complete this request. It has been logged; try again in a moment. If it keeps happening, contact support with the request ID below."
		} else {
			view.Title, view.Message = http.StatusText(status), "This request could not be completed."
		}
	}
	if isAPI(c) {
		// Scripts get the kind of failure, and a validation message, which is written for
		// people; never the error's detail.
		msg := strings.ToLower(http.StatusText(status))
		if refused || status == http.StatusUnprocessableEntity || status == http.StatusBadRequest {
			msg = view.Message
		} else if m, ok := outlay.Message(err); ok && status == http.StatusConflict {
			msg = m
		}
		// An error the server answers before any route (a request it could not read) has not
		// been through securityHeaders.
		c.Set(fiber.HeaderCacheControl, "no-store")
		return apiError(c, status, msg)
	}
	if tenantOf(c) != nil {
		view.Home = dashboard.Path
	}
	c.Status(status)
	if isHTMX(c) {
		c.Set("HX-Reswap", "none")
		if toast == "" {
			toast = view.Title + ": " + view.Message
		}
		c.Set("HX-Trigger", toastTrigger("error", toast))
		return c.SendString("")
	}
	return sendHTML(c, views.ErrorPage(view))
}
