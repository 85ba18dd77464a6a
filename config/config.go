// Package config reads Outlay's settings from OUTLAY_* environment variables and command-line
// flags into one struct that is passed down at start-up.
package config

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of one Outlay process.
type Config struct {
	DatabaseURL string   // control-plane DSN (OUTLAY_DATABASE_URL)
	Listen      string   // address to serve on (OUTLAY_LISTEN)
	BaseDomain  string   // tenants live at <slug>.<BaseDomain> (OUTLAY_BASE_DOMAIN)
	PublicURL   *url.URL // how users reach the server (OUTLAY_PUBLIC_URL)
	BlobURL     string   // attachments store (OUTLAY_BLOB_URL)
	SecretKey   []byte   // signs CSRF tokens and flashes, encrypts SSO secrets (OUTLAY_SECRET_KEY)
	SMTPURL     string   // smtp://user:pass@host:port; empty writes mail to the log (OUTLAY_SMTP_URL)
	MailFrom    string   // From address of outgoing mail (OUTLAY_MAIL_FROM)

	GoogleClientID        string
	GoogleClientSecret    string
	MicrosoftClientID     string
	MicrosoftClientSecret string

	// GoogleIssuer and MicrosoftAuthority are where the deployment-wide Google and Microsoft
	// providers live. They are not settings: tests point them at an in-process provider.
	GoogleIssuer       string
	MicrosoftAuthority string // a tenant's issuer is <authority>/<Entra tenant id>/v2.0
	// SSOAllowHTTPIssuers accepts http:// issuers on loopback addresses, for development
	// against a local provider (Keycloak on localhost) and tests; otherwise issuers are https.
	SSOAllowHTTPIssuers bool          // OUTLAY_SSO_ALLOW_HTTP_ISSUERS
	SSOTimeout          time.Duration // each request to an identity provider
	SSOStateTTL         time.Duration // how long a user has to finish signing in at the provider

	// Requests made on a tenant admin's behalf (package outbound) never reach internal
	// addresses, except these host names and address ranges (OUTLAY_OUTBOUND_ALLOW), for an
	// identity provider inside the operator's own network.
	OutboundAllowHosts []string
	OutboundAllowNets  []netip.Prefix
	// OutboundRootCAs is not a setting: tests trust their own TLS servers with it. nil means
	// the system's certificate authorities.
	OutboundRootCAs *x509.CertPool

	TLSCert string // certificate file (OUTLAY_TLS_CERT); with TLSKey, serve HTTPS
	TLSKey  string // key file (OUTLAY_TLS_KEY)

	TrustedProxies []string // CIDRs or IPs whose X-Forwarded-For is believed (OUTLAY_TRUSTED_PROXIES)
	MetricsToken   string   // /metrics needs it as a bearer token; unset, there is no /metrics (OUTLAY_METRICS_TOKEN)

	// MaxDBConns caps the connections this process opens to each Postgres server, the control
	// plane's and the job queue's included (OUTLAY_MAX_DB_CONNS); 0 takes DBConnShare percent
	// of what the server's max_connections leaves after its reserved slots.
	MaxDBConns      int
	DBConnShare     int           // percent of a server's connections taken when MaxDBConns is 0 (OUTLAY_DB_CONN_SHARE)
	DBWait          time.Duration // how long a request waits for a free connection before a 503 (OUTLAY_DB_WAIT)
	LockWait        time.Duration // how long a statement waits for a lock before its request gets a 503; 0: no limit (OUTLAY_LOCK_WAIT)
	TenantPoolConns int           // connections per tenant pool (OUTLAY_TENANT_POOL_CONNS)
	// ReadHeaderTimeout is how long a client has to send a request's headers; slow clients
	// holding connections open are cut off after it (OUTLAY_READ_HEADER_TIMEOUT).
	ReadHeaderTimeout time.Duration
	// MemoryLimitMB is the memory the process aims to stay within, in megabytes
	// (OUTLAY_MEMORY_LIMIT_MB): under it the Go collector lets the heap grow to four times
	// what is live (GOGC=300), collecting a third as often; near it, it collects harder.
	// 0 keeps Go's defaults. GOGC and GOMEMLIMIT, when set, win.
	MemoryLimitMB int
	// MaxConnsPerIP caps the connections one client address holds at once; trusted proxies
	// are exempt (OUTLAY_MAX_CONNS_PER_IP).
	MaxConnsPerIP int
	// APIRateLimit is how many requests a minute one API token may make to the JSON API,
	// sustained, and as many requests without a valid token may come from one client address
	// (OUTLAY_API_RATE_LIMIT); 0 turns the limit off. APIBurst is how many of them may come at
	// once (OUTLAY_API_BURST). Each app server counts only the requests it serves.
	APIRateLimit     int
	APIBurst         int
	SessionIdle      time.Duration // a session ends after this long unused (OUTLAY_SESSION_IDLE)
	SessionMax       time.Duration // and at the latest this long after sign-in (OUTLAY_SESSION_MAX)
	ShutdownTimeout  time.Duration // how long in-flight requests may take at shutdown
	DrainTime        time.Duration // on SIGTERM, /readyz fails this long before the listener closes (OUTLAY_DRAIN_TIME)
	MigrateParallel  int           // tenants migrated at once by `outlay migrate`
	DemoDataDir      string        // where `outlay demo` keeps its embedded database
	PasswordResetTTL time.Duration // how long a reset link works
	MaxUploadBytes   int64         // largest attachment (OUTLAY_MAX_UPLOAD_MB, in megabytes)
	JobWorkers       int           // background jobs worked at once per app server (OUTLAY_JOB_WORKERS)
	MailAttempts     int           // tries of a mail before it is given up as failed (OUTLAY_MAIL_ATTEMPTS)
	// Daily backups of every tenant go to BackupURL (OUTLAY_BACKUP_URL; empty: the attachment
	// store), and the newest of the last BackupKeep days, weeks and months are kept
	// (OUTLAY_BACKUP_KEEP, "daily,weekly,monthly"; 0,0,0 turns the daily backups off).
	BackupURL  string
	BackupKeep [3]int
	// PurgeWindow is how long a lapsed tenant may still export before it is purged
	// (OUTLAY_PURGE_AFTER_DAYS, in days).
	PurgeWindow time.Duration
	// ImportUploadTTL is how long a file uploaded to /admin/import is kept for its preview
	// and mapping: one not imported by then is deleted (OUTLAY_IMPORT_UPLOAD_TTL).
	ImportUploadTTL time.Duration
	// ImportCheckTime is how long the check of an uploaded file (its preview) may run in the
	// request; the rows after are checked by the import itself (OUTLAY_IMPORT_CHECK_TIME).
	ImportCheckTime time.Duration
}

// Defaults returns the settings of a development machine.
func Defaults() Config {
	return Config{
		Listen:            ":8080",
		BaseDomain:        "localhost",
		BlobURL:           "file://./.outlay/blobs",
		MaxUploadBytes:    25 << 20,
		MailFrom:          "Outlay <no-reply@localhost>",
		DBConnShare:       50,
		DBWait:            2 * time.Second,
		LockWait:          5 * time.Second,
		TenantPoolConns:   4,
		MemoryLimitMB:     256,
		ReadHeaderTimeout: 10 * time.Second,
		MaxConnsPerIP:     500,
		APIRateLimit:      600,
		APIBurst:          100,
		SessionIdle:       2 * time.Hour,
		SessionMax:        12 * time.Hour,
		ShutdownTimeout:   30 * time.Second,
		MigrateParallel:   4,
		DemoDataDir:       ".outlay",
		PasswordResetTTL:  time.Hour,
		JobWorkers:        10,
		BackupKeep:        [3]int{7, 4, 12},
		MailAttempts:      10,
		PurgeWindow:       90 * 24 * time.Hour,
		ImportUploadTTL:   24 * time.Hour,
		ImportCheckTime:   20 * time.Second,

		GoogleIssuer:       "https://accounts.google.com",
		MicrosoftAuthority: "https://login.microsoftonline.com",
		SSOTimeout:         10 * time.Second,
		SSOStateTTL:        10 * time.Minute,
	}
}

// TLS reports whether the process serves HTTPS itself.
func (c *Config) TLS() bool { return c.TLSCert != "" && c.TLSKey != "" }

// Secure reports whether users reach Outlay over HTTPS, directly or through a proxy; cookies
// are then marked Secure and HSTS is sent.
func (c *Config) Secure() bool {
	return c.TLS() || (c.PublicURL != nil && c.PublicURL.Scheme == "https")
}

// TenantURL is the address of a tenant's page, built from the public URL and never from a
// request's Host header (which a client controls).
func (c *Config) TenantURL(slug, path string) string {
	u := *c.PublicURL
	u.Host = slug + "." + u.Host
	u.Path = path
	u.RawQuery = ""
	return u.String()
}

// PublicHostMismatch says, when OUTLAY_PUBLIC_URL's host is not OUTLAY_BASE_DOMAIN, that the
// links in mail lead to addresses this server does not serve (it finds a tenant by
// <slug>.<base domain>); "" when they agree. Not refused: a proxy in front may rewrite Host.
func (c *Config) PublicHostMismatch() string {
	if c.PublicURL == nil || strings.EqualFold(c.PublicURL.Hostname(), c.BaseDomain) {
		return ""
	}
	return fmt.Sprintf("OUTLAY_PUBLIC_URL's host %q is not OUTLAY_BASE_DOMAIN %q: links in mail lead to <slug>.%s, while this server serves <slug>.%s; "+
		"set them to the same name unless a proxy in front rewrites the Host header", c.PublicURL.Hostname(), c.BaseDomain, c.PublicURL.Hostname(), c.BaseDomain)
}

// GoogleSSO reports whether the deployment has Google client credentials.
func (c *Config) GoogleSSO() bool { return c.GoogleClientID != "" && c.GoogleClientSecret != "" }

// MicrosoftSSO reports whether the deployment has Microsoft client credentials.
func (c *Config) MicrosoftSSO() bool {
	return c.MicrosoftClientID != "" && c.MicrosoftClientSecret != ""
}

// Bind registers a flag for every setting on fs, each defaulting to the environment variable
// of the same name (or the built-in default), and returns a function that validates and
// finishes the Config once the flags are parsed.
func Bind(fs *flag.FlagSet, c *Config) func() error {
	env := func(name, def string) string {
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return def
	}
	URLVar(fs, &c.DatabaseURL, "database-url", env("OUTLAY_DATABASE_URL", c.DatabaseURL), "control-plane Postgres URL (OUTLAY_DATABASE_URL)")
	fs.StringVar(&c.Listen, "listen", env("OUTLAY_LISTEN", c.Listen), "address to listen on (OUTLAY_LISTEN)")
	fs.StringVar(&c.BaseDomain, "base-domain", env("OUTLAY_BASE_DOMAIN", c.BaseDomain), "tenants are served at <slug>.<base domain> (OUTLAY_BASE_DOMAIN)")
	publicURL := fs.String("public-url", env("OUTLAY_PUBLIC_URL", ""), "how users reach the server (OUTLAY_PUBLIC_URL)")
	URLVar(fs, &c.BlobURL, "blob-url", env("OUTLAY_BLOB_URL", c.BlobURL), "attachment store URL (OUTLAY_BLOB_URL)")
	maxUpload := fs.String("max-upload-mb", env("OUTLAY_MAX_UPLOAD_MB", strconv.FormatInt(c.MaxUploadBytes>>20, 10)), "largest attachment in MB (OUTLAY_MAX_UPLOAD_MB)")
	secret := new(string)
	SecretVar(fs, secret, "secret-key", env("OUTLAY_SECRET_KEY", ""), "secret key, 32+ bytes as hex or base64 (OUTLAY_SECRET_KEY)")
	URLVar(fs, &c.SMTPURL, "smtp-url", env("OUTLAY_SMTP_URL", c.SMTPURL), "smtp://user:pass@host:port (OUTLAY_SMTP_URL)")
	fs.StringVar(&c.MailFrom, "mail-from", env("OUTLAY_MAIL_FROM", c.MailFrom), "From address (OUTLAY_MAIL_FROM)")
	fs.StringVar(&c.GoogleClientID, "google-client-id", env("OUTLAY_GOOGLE_CLIENT_ID", c.GoogleClientID), "Google OAuth client id (OUTLAY_GOOGLE_CLIENT_ID)")
	SecretVar(fs, &c.GoogleClientSecret, "google-client-secret", env("OUTLAY_GOOGLE_CLIENT_SECRET", c.GoogleClientSecret), "Google OAuth client secret (OUTLAY_GOOGLE_CLIENT_SECRET)")
	fs.StringVar(&c.MicrosoftClientID, "microsoft-client-id", env("OUTLAY_MICROSOFT_CLIENT_ID", c.MicrosoftClientID), "Microsoft client id (OUTLAY_MICROSOFT_CLIENT_ID)")
	SecretVar(fs, &c.MicrosoftClientSecret, "microsoft-client-secret", env("OUTLAY_MICROSOFT_CLIENT_SECRET", c.MicrosoftClientSecret), "Microsoft client secret (OUTLAY_MICROSOFT_CLIENT_SECRET)")
	fs.StringVar(&c.TLSCert, "tls-cert", env("OUTLAY_TLS_CERT", c.TLSCert), "TLS certificate file (OUTLAY_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("OUTLAY_TLS_KEY", c.TLSKey), "TLS key file (OUTLAY_TLS_KEY)")
	SecretVar(fs, &c.MetricsToken, "metrics-token", env("OUTLAY_METRICS_TOKEN", c.MetricsToken), "bearer token /metrics requires, 16+ characters; unset, /metrics is not served (OUTLAY_METRICS_TOKEN)")
	allowHTTP := fs.String("sso-allow-http-issuers", env("OUTLAY_SSO_ALLOW_HTTP_ISSUERS", strconv.FormatBool(c.SSOAllowHTTPIssuers)),
		"development only: accept http:// SSO issuers on loopback addresses, true or false (OUTLAY_SSO_ALLOW_HTTP_ISSUERS)")
	outboundAllow := fs.String("outbound-allow", env("OUTLAY_OUTBOUND_ALLOW", ""), "comma-separated host names, IPs and CIDRs inside your network that requests for tenant admins (their SSO provider) may reach (OUTLAY_OUTBOUND_ALLOW)")
	proxies := fs.String("trusted-proxies", env("OUTLAY_TRUSTED_PROXIES", ""), "comma-separated proxy IPs/CIDRs whose X-Forwarded-For is trusted (OUTLAY_TRUSTED_PROXIES)")
	maxConns := fs.String("max-db-conns", env("OUTLAY_MAX_DB_CONNS", strconv.Itoa(c.MaxDBConns)), "cap on the connections this process opens to each Postgres server; 0: OUTLAY_DB_CONN_SHARE percent of what the server allows (OUTLAY_MAX_DB_CONNS)")
	connShare := fs.String("db-conn-share", env("OUTLAY_DB_CONN_SHARE", strconv.Itoa(c.DBConnShare)), "percent of a Postgres server's connections this process takes when OUTLAY_MAX_DB_CONNS is 0 (OUTLAY_DB_CONN_SHARE)")
	lockWait := fs.String("lock-wait", env("OUTLAY_LOCK_WAIT", c.LockWait.String()), "how long a statement waits for a lock held elsewhere (an operator's session, a migration) before its request is answered 503; 0 waits as long as it takes (OUTLAY_LOCK_WAIT)")
	dbWait := fs.String("db-wait", env("OUTLAY_DB_WAIT", c.DBWait.String()), "how long a request waits for a free database connection before it is answered 503 (OUTLAY_DB_WAIT)")
	headerTimeout := fs.String("read-header-timeout", env("OUTLAY_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout.String()), "how long a client has to send a request's headers (OUTLAY_READ_HEADER_TIMEOUT)")
	perIP := fs.String("max-conns-per-ip", env("OUTLAY_MAX_CONNS_PER_IP", strconv.Itoa(c.MaxConnsPerIP)), "connections one client address may hold at once; trusted proxies are exempt (OUTLAY_MAX_CONNS_PER_IP)")
	apiRate := fs.String("api-rate-limit", env("OUTLAY_API_RATE_LIMIT", strconv.Itoa(c.APIRateLimit)), "requests a minute one API token may make, and as many without a valid token from one client address; 0 turns the limit off (OUTLAY_API_RATE_LIMIT)")
	apiBurst := fs.String("api-burst", env("OUTLAY_API_BURST", strconv.Itoa(c.APIBurst)), "API requests one token, or one client address without a valid token, may make at once (OUTLAY_API_BURST)")
	poolConns := fs.String("tenant-pool-conns", env("OUTLAY_TENANT_POOL_CONNS", strconv.Itoa(c.TenantPoolConns)), "connections per tenant pool (OUTLAY_TENANT_POOL_CONNS)")
	memLimit := fs.String("memory-limit-mb", env("OUTLAY_MEMORY_LIMIT_MB", strconv.Itoa(c.MemoryLimitMB)), "memory the process aims to stay within, in MB; under it the collector runs a third as often as Go's default, 0 keeps Go's defaults (OUTLAY_MEMORY_LIMIT_MB)")
	idle := fs.String("session-idle", env("OUTLAY_SESSION_IDLE", c.SessionIdle.String()), "idle session timeout (OUTLAY_SESSION_IDLE)")
	maxAge := fs.String("session-max", env("OUTLAY_SESSION_MAX", c.SessionMax.String()), "absolute session lifetime (OUTLAY_SESSION_MAX)")
	URLVar(fs, &c.BackupURL, "backup-url", env("OUTLAY_BACKUP_URL", c.BackupURL), "blob store for the daily tenant backups (OUTLAY_BACKUP_URL; default: the attachment store)")
	backupKeep := fs.String("backup-keep", env("OUTLAY_BACKUP_KEEP", fmt.Sprintf("%d,%d,%d", c.BackupKeep[0], c.BackupKeep[1], c.BackupKeep[2])),
		"daily backups kept: the newest of the last N days, weeks and months, as daily,weekly,monthly; 0,0,0 turns them off (OUTLAY_BACKUP_KEEP)")
	jobWorkers := fs.String("job-workers", env("OUTLAY_JOB_WORKERS", strconv.Itoa(c.JobWorkers)), "background jobs worked at once by this process (OUTLAY_JOB_WORKERS)")
	importTTL := fs.String("import-upload-ttl", env("OUTLAY_IMPORT_UPLOAD_TTL", c.ImportUploadTTL.String()), "how long an uploaded import file waits to be imported before it is deleted (OUTLAY_IMPORT_UPLOAD_TTL)")
	checkTime := fs.String("import-check-time", env("OUTLAY_IMPORT_CHECK_TIME", c.ImportCheckTime.String()), "how long the check of an uploaded import file may take before its page shows the rows checked so far (OUTLAY_IMPORT_CHECK_TIME)")
	drain := fs.String("drain-time", env("OUTLAY_DRAIN_TIME", c.DrainTime.String()), "on SIGTERM, serve this long with /readyz failing before closing the listener, so a load balancer takes the server out first (OUTLAY_DRAIN_TIME)")
	mailAttempts := fs.String("mail-attempts", env("OUTLAY_MAIL_ATTEMPTS", strconv.Itoa(c.MailAttempts)), "tries of a mail before it is given up as failed (OUTLAY_MAIL_ATTEMPTS)")
	purgeDays := fs.String("purge-after-days", env("OUTLAY_PURGE_AFTER_DAYS", strconv.Itoa(int(c.PurgeWindow.Hours()/24))), "days a lapsed tenant may still export before it is purged (OUTLAY_PURGE_AFTER_DAYS)")
	fs.StringVar(&c.DemoDataDir, "data", env("OUTLAY_DEMO_DATA", c.DemoDataDir), "demo: folder for the embedded database (OUTLAY_DEMO_DATA)")

	return func() error {
		var errs []error
		bad := func(name, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
		}
		if c.DatabaseURL != "" {
			if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
				bad("OUTLAY_DATABASE_URL", "must be a postgres:// URL")
			}
		}
		host, port, err := net.SplitHostPort(c.Listen)
		if err != nil {
			bad("OUTLAY_LISTEN", "must be host:port or :port, got %q", c.Listen)
		}
		_ = host
		if !validDomain(c.BaseDomain) {
			bad("OUTLAY_BASE_DOMAIN", "must be a domain name such as example.com, got %q", c.BaseDomain)
		}
		if *publicURL == "" {
			scheme := "http"
			if c.TLS() {
				scheme = "https"
			}
			*publicURL = fmt.Sprintf("%s://%s:%s", scheme, c.BaseDomain, port)
		}
		if u, err := url.Parse(*publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad("OUTLAY_PUBLIC_URL", "must be an http(s) URL with no path, such as https://example.com, got %q", *publicURL)
		} else {
			u.Path = ""
			c.PublicURL = u
		}
		if *secret != "" {
			key, err := DecodeSecretKey(*secret)
			if err != nil {
				bad("OUTLAY_SECRET_KEY", "%v", err)
			}
			c.SecretKey = key
		}
		if (c.TLSCert == "") != (c.TLSKey == "") {
			bad("OUTLAY_TLS_CERT", "OUTLAY_TLS_CERT and OUTLAY_TLS_KEY must be set together")
		}
		if *proxies != "" {
			for _, p := range strings.Split(*proxies, ",") {
				p = strings.TrimSpace(p)
				if net.ParseIP(p) == nil {
					if _, _, err := net.ParseCIDR(p); err != nil {
						bad("OUTLAY_TRUSTED_PROXIES", "%q is neither an IP nor a CIDR", p)
						continue
					}
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
		if *outboundAllow != "" {
			for _, a := range strings.Split(*outboundAllow, ",") {
				a = strings.TrimSpace(a)
				if p, err := netip.ParsePrefix(a); err == nil {
					if p.Addr().Is4In6() && p.Bits() >= 96 { // addresses are checked unmapped
						p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
					}
					c.OutboundAllowNets = append(c.OutboundAllowNets, p.Masked())
				} else if ip, err := netip.ParseAddr(a); err == nil {
					c.OutboundAllowNets = append(c.OutboundAllowNets, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				} else if h := strings.TrimSuffix(strings.ToLower(a), "."); validDomain(h) {
					c.OutboundAllowHosts = append(c.OutboundAllowHosts, h)
				} else {
					bad("OUTLAY_OUTBOUND_ALLOW", "%q is neither a host name, an IP nor a CIDR", a)
				}
			}
		}
		// positive reads a whole number from 1 to most: a number past what makes sense is a
		// typo, and one past what the arithmetic holds would wrap round (days to a duration).
		positive := func(name, v string, most int, dst *int) bool {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > most {
				bad(name, "must be a whole number from 1 to %d, got %q", most, v)
				return false
			}
			*dst = n
			return true
		}
		if n, err := strconv.Atoi(*maxConns); err != nil || n < 0 {
			bad("OUTLAY_MAX_DB_CONNS", "must be a whole number, 0 for a share of what the server allows, got %q", *maxConns)
		} else {
			c.MaxDBConns = n
		}
		positive("OUTLAY_DB_CONN_SHARE", *connShare, 100, &c.DBConnShare)
		positive("OUTLAY_MAX_CONNS_PER_IP", *perIP, 1_000_000, &c.MaxConnsPerIP)
		if n, err := strconv.Atoi(*apiRate); err != nil || n < 0 {
			bad("OUTLAY_API_RATE_LIMIT", "must be a whole number of requests a minute, or 0 for no limit, got %q", *apiRate)
		} else {
			c.APIRateLimit = n
		}
		positive("OUTLAY_API_BURST", *apiBurst, 1_000_000, &c.APIBurst)
		var uploadMB int
		if positive("OUTLAY_MAX_UPLOAD_MB", *maxUpload, 1024, &uploadMB) {
			c.MaxUploadBytes = int64(uploadMB) << 20
		}
		positive("OUTLAY_TENANT_POOL_CONNS", *poolConns, 100, &c.TenantPoolConns)
		if n, err := strconv.Atoi(*memLimit); err != nil || n < 0 || (n > 0 && n < 64) {
			bad("OUTLAY_MEMORY_LIMIT_MB", "must be a whole number of megabytes, at least 64, or 0 for Go's defaults, got %q", *memLimit)
		} else {
			c.MemoryLimitMB = n
		}
		positive("OUTLAY_JOB_WORKERS", *jobWorkers, 1000, &c.JobWorkers)
		positive("OUTLAY_MAIL_ATTEMPTS", *mailAttempts, 100, &c.MailAttempts)
		if parts := strings.Split(*backupKeep, ","); len(parts) != 3 {
			bad("OUTLAY_BACKUP_KEEP", "must be three whole numbers, daily,weekly,monthly (such as 7,4,12), got %q", *backupKeep)
		} else {
			for i, p := range parts {
				n, err := strconv.Atoi(strings.TrimSpace(p))
				if err != nil || n < 0 || n > 1000 {
					bad("OUTLAY_BACKUP_KEEP", "must be three whole numbers from 0 to 1000, daily,weekly,monthly (such as 7,4,12), got %q", *backupKeep)
					break
				}
				c.BackupKeep[i] = n
			}
		}
		var days int
		if positive("OUTLAY_PURGE_AFTER_DAYS", *purgeDays, 3650, &days) {
			c.PurgeWindow = time.Duration(days) * 24 * time.Hour
		}
		duration := func(name, v string, dst *time.Duration) {
			d, err := time.ParseDuration(v)
			if err != nil {
				bad(name, "must be a duration such as 30m or 12h, got %q", v)
				return
			}
			if d <= 0 {
				bad(name, "must be longer than 0, such as 30m or 12h, got %q", v)
				return
			}
			*dst = d
		}
		duration("OUTLAY_SESSION_IDLE", *idle, &c.SessionIdle)
		duration("OUTLAY_SESSION_MAX", *maxAge, &c.SessionMax)
		if d, err := time.ParseDuration(*drain); err != nil || d < 0 || d > 10*time.Minute {
			bad("OUTLAY_DRAIN_TIME", "must be a duration from 0s to 10m, such as 5s, got %q", *drain)
		} else {
			c.DrainTime = d
		}
		duration("OUTLAY_DB_WAIT", *dbWait, &c.DBWait)
		if d, err := time.ParseDuration(*lockWait); err != nil || d < 0 || d > time.Hour {
			bad("OUTLAY_LOCK_WAIT", "must be a duration from 0s (no limit) to 1h, such as 5s, got %q", *lockWait)
		} else {
			c.LockWait = d
		}
		duration("OUTLAY_IMPORT_UPLOAD_TTL", *importTTL, &c.ImportUploadTTL)
		// Under the server's 60 s write timeout, with room for the page.
		if d, err := time.ParseDuration(*checkTime); err != nil || d < time.Second || d > 45*time.Second {
			bad("OUTLAY_IMPORT_CHECK_TIME", "must be a duration from 1s to 45s, such as 20s, got %q", *checkTime)
		} else {
			c.ImportCheckTime = d
		}
		duration("OUTLAY_READ_HEADER_TIMEOUT", *headerTimeout, &c.ReadHeaderTimeout)
		if c.MaxDBConns > 0 && c.TenantPoolConns > c.MaxDBConns {
			bad("OUTLAY_TENANT_POOL_CONNS", "must not exceed OUTLAY_MAX_DB_CONNS (%d)", c.MaxDBConns)
		}
		if v, err := strconv.ParseBool(*allowHTTP); err != nil {
			bad("OUTLAY_SSO_ALLOW_HTTP_ISSUERS", "must be true or false, got %q", *allowHTTP)
		} else {
			c.SSOAllowHTTPIssuers = v
		}
		if (c.GoogleClientID == "") != (c.GoogleClientSecret == "") {
			bad("OUTLAY_GOOGLE_CLIENT_ID", "OUTLAY_GOOGLE_CLIENT_ID and OUTLAY_GOOGLE_CLIENT_SECRET must be set together")
		}
		if (c.MicrosoftClientID == "") != (c.MicrosoftClientSecret == "") {
			bad("OUTLAY_MICROSOFT_CLIENT_ID", "OUTLAY_MICROSOFT_CLIENT_ID and OUTLAY_MICROSOFT_CLIENT_SECRET must be set together")
		}
		if c.MetricsToken != "" && len(c.MetricsToken) < MinMetricsTokenLen {
			bad("OUTLAY_METRICS_TOKEN", "must be at least %d characters; generate one with `openssl rand -hex 16`", MinMetricsTokenLen)
		}
		if c.SMTPURL != "" {
			if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
				bad("OUTLAY_SMTP_URL", "must look like smtp://user:pass@host:port")
			}
		}
		// Checked even while mail only goes to the log, so that setting OUTLAY_SMTP_URL later
		// is not when a typo here stops the server.
		if _, err := netmail.ParseAddress(c.MailFrom); err != nil {
			bad("OUTLAY_MAIL_FROM", "must be an email address, such as Outlay <no-reply@example.com>")
		}
		return errors.Join(errs...)
	}
}

// MinMetricsTokenLen is the shortest OUTLAY_METRICS_TOKEN accepted.
const MinMetricsTokenLen = 16

// RequireSecretKey fails when no secret key was configured; `serve` needs a stable one so that
// tokens survive restarts and agree across app servers.
func (c *Config) RequireSecretKey() error {
	if len(c.SecretKey) == 0 {
		return errors.New("OUTLAY_SECRET_KEY: required; generate one with `openssl rand -hex 32`")
	}
	return nil
}

// NewSecretKey returns a fresh random key in the hex form OUTLAY_SECRET_KEY accepts.
func NewSecretKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// DecodeSecretKey reads a secret key written as hex or base64.
func DecodeSecretKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) >= 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) >= 32 {
			return b, nil
		}
	}
	return nil, errors.New("must be at least 32 random bytes, written as hex (64 characters) or base64")
}

func validDomain(d string) bool {
	if d == "" || len(d) > 200 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
