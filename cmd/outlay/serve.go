package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay/config"
	"outlay/handlers"
	"outlay/jobs"
	"outlay/mail"
	"outlay/policy"
	"outlay/storage"
	"outlay/tenancy"
)

// parseConfig reads settings from the environment and flags for one command.
func parseConfig(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	cfg := config.Defaults()
	fs := flag.NewFlagSet("outlay "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	finish := config.Bind(fs, &cfg)
	if extra != nil {
		shared := map[string]bool{}
		fs.VisitAll(func(f *flag.Flag) { shared[f.Name] = true })
		extra(fs)
		fs.Usage = func() { commandUsage(fs, shared) }
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := finish(); err != nil {
		return nil, nil, fmt.Errorf("invalid settings:\n%w", err)
	}
	return &cfg, fs, nil
}

// commandUsage is the -h of a command with settings of its own: those first, in full, then
// the names of the settings every command shares with outlay serve, which describes them.
func commandUsage(fs *flag.FlagSet, shared map[string]bool) {
	own := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	own.SetOutput(fs.Output())
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if shared[f.Name] {
			names = append(names, "-"+f.Name)
		} else {
			own.Var(f.Value, f.Name, f.Usage)
		}
	})
	out := fs.Output()
	fmt.Fprintf(out, "Usage of %s:\n", fs.Name())
	own.PrintDefaults()
	fmt.Fprintf(out, "\nSettings every command shares, each also read from its OUTLAY_ variable (outlay serve -h describes them):\n")
	line := " "
	for _, n := range names {
		if len(line)+len(n)+1 > 96 {
			fmt.Fprintln(out, line)
			line = " "
		}
		line += " " + n
	}
	fmt.Fprintln(out, line)
}

func requireDatabase(cfg *config.Config) error {
	if cfg.DatabaseURL == "" {
		return errors.New("OUTLAY_DATABASE_URL: required (the control-plane database, e.g. postgres://user@host:5432/outlay)")
	}
	return nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseConfig("serve", args, stderr, nil)
	if err != nil {
		return err
	}
	if err := requireDatabase(cfg); err != nil {
		return err
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	return serve(ctx, cfg, logger, nil, nil)
}

// serve runs the web app and its job workers until ctx ends, then lets in-flight requests
// and jobs finish. Without an SMTP server, mail is printed to mailOut when it is set (the
// demo's terminal), otherwise logged. ready, when set, is called once the server accepts
// connections.
func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger, mailOut io.Writer, ready func()) error {
	tuneGC(cfg.MemoryLimitMB)
	counter := &tenancy.QueryCounter{}
	registry, err := tenancy.OpenRegistry(ctx, cfg.DatabaseURL, logger, counter)
	if err != nil {
		return err
	}
	defer registry.Close()
	if err := registry.CheckSecretKey(ctx, cfg.SecretKey, true); err != nil {
		return err
	}
	pools := tenancy.NewPools(cfg.MaxDBConns, cfg.TenantPoolConns, cfg.SecretKey, counter, logger)
	pools.Share, pools.Wait, pools.LockWait = cfg.DBConnShare, cfg.DBWait, lockWait(cfg.LockWait)
	defer pools.Close()
	mailer, err := mail.New(cfg.SMTPURL, cfg.MailFrom, logger)
	if err != nil {
		return err
	}
	if lm, ok := mailer.(*mail.LogMailer); ok && mailOut != nil {
		lm.Out = mailOut
	}
	policies := policy.NewEngine()
	blobs, err := storage.Open(ctx, cfg.BlobURL)
	if err != nil {
		return err
	}
	defer blobs.Close()
	schedule, closeBackups, err := dailyBackups(ctx, cfg, registry, blobs, logger)
	if err != nil {
		return err
	}
	defer closeBackups()
	queue, err := jobs.Open(ctx, jobs.Options{Config: cfg, Registry: registry, Pools: pools, Mailer: mailer, Logger: logger,
		Workers: cfg.JobWorkers, MailAttempts: cfg.MailAttempts, Backups: schedule})
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	// The control plane's and the job queue's pools share the control server's budget with
	// the tenants on it; reading each server's limits now reports them at start-up.
	if err := pools.Reserve(ctx, cfg.DatabaseURL, registry.MaxConns()+queue.MaxConns()); err != nil {
		return fmt.Errorf("read the database server's connection limits: %w", err)
	}
	if tenants, err := registry.List(ctx); err == nil {
		dsns := make([]string, len(tenants))
		for i, t := range tenants {
			dsns[i] = t.DSN
		}
		pools.Probe(ctx, dsns...)
	}
	for _, s := range pools.Stats().Servers {
		logger.Info("database connection budget", "server", s.Server, "max_connections", s.MaxConnections, "budget", s.Budget, "for_tenants", s.Limit)
	}
	// Workers stop after the web server, so that mail queued by the last requests still goes.
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	if err := queue.Start(jobsCtx); err != nil {
		return fmt.Errorf("job workers: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := queue.Stop(stopCtx); err != nil {
			logger.Warn("job workers did not stop in time; their jobs will run again elsewhere", "err", err)
		}
	}()
	app, srv := handlers.New(handlers.Deps{Config: cfg, Registry: registry, Pools: pools, Jobs: queue, Logger: logger, Policies: policies, Counter: counter, Blobs: blobs})
	// Another server's policy or SSO edit drops what this server keeps of it at once; requests
	// would notice a policy edit anyway, since each reads the policy version with its session.
	registry.OnChange = srv.TenantChanged

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go registry.Watch(watchCtx)
	// Each tenant's audit head goes to the control plane once a minute (tenancy.RecordAuditHeads).
	go registry.RecordAuditHeads(watchCtx, pools, cfg.SecretKey, time.Minute)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("OUTLAY_LISTEN %s: %w", cfg.Listen, err)
	}
	if cfg.TLS() {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("OUTLAY_TLS_CERT/OUTLAY_TLS_KEY: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	ln = handlers.LimitConnsPerIP(ln, cfg.MaxConnsPerIP, cfg.TrustedProxies)
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	logger.Info("serving", "listen", ln.Addr().String(), "public_url", cfg.PublicURL.String())
	if msg := cfg.PublicHostMismatch(); msg != "" {
		logger.Warn(msg)
	}
	if ready != nil {
		ready()
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// /readyz fails from now on, so a load balancer stops sending new requests here; with a
	// drain time, requests that still arrive meanwhile are served before the listener closes.
	srv.Drain()
	if cfg.DrainTime > 0 {
		logger.Info("draining: /readyz answers 503 until shutdown", "drain_time", cfg.DrainTime)
		time.Sleep(cfg.DrainTime)
	}
	logger.Info("shutting down; waiting for in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	if err := shutdown(app, cfg.ShutdownTimeout); err != nil {
		return err
	}
	return <-served
}

func shutdown(app *fiber.App, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return app.ShutdownWithContext(ctx)
}

// tuneGC sets the Go collector for a server's garbage, most of which lives for one request:
// within a memory budget of limitMB megabytes the heap may grow to four times what is live
// (GOGC=300), so the collector runs a third as often as Go's default, and near the budget it
// collects harder (the runtime's memory limit). 0 keeps Go's defaults; GOGC and GOMEMLIMIT,
// when the operator sets them, win.
func tuneGC(limitMB int) {
	if limitMB <= 0 {
		return
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(limitMB) << 20)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
}

// lockWait is OUTLAY_LOCK_WAIT as the tenant pools take it: 0 there means no limit.
func lockWait(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
