// Command outlaybench measures Outlay at volume: it seeds a tenant by COPY (10,000
// requisitions, 5,000 vendors and orders, 100,000 audit rows and an approver with 1,500 pending
// steps at -scale 1), starts `outlay serve` on it and drives signed-in sessions over the
// dashboard, the list pages (filtered and not), a detail page, submit and inline approve. Each
// page's p50, p99 and throughput are printed beside two floors measured in the same run:
// /healthz, and the page's own SQL replayed raw over a pool of the server's tenant pool size.
// It then serves many small tenants round-robin (connections, memory, throughput) and measures
// the audit overhead of a write, as `go test -bench Write/interleaved ./audit/` does.
//
//	go run ./cmd/outlaybench                    # the default run (task bench)
//	go run ./cmd/outlaybench -scale 10          # ten times the volume
//	go run ./cmd/outlaybench -migrate-tenants 1000   # time `outlay migrate` across 1,000 tenants
//
// It works on its own databases of the Postgres server named by -dsn
// (OUTLAY_TEST_DATABASE_URL): outlaybench and outlaybench_*, dropped before and after the run,
// and the many tenants in outlaybenchrr and outlaybenchrr_*, kept for the next run (about
// 11 MB each; -drop-tenants drops them).
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// options are the bench's flags.
type options struct {
	dsn            string
	outlay         string
	scale          float64
	sessions       int
	warmup         time.Duration
	duration       time.Duration
	turns          int
	tenants        int
	tenantDuration time.Duration
	auditRounds    int
	migrateTenants int
	markdown       string
	keep           bool
	control        string
	verbose        bool
	save           string
	only           string
	dropTenants    bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "outlaybench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("outlaybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dsn, "dsn", os.Getenv("OUTLAY_TEST_DATABASE_URL"), "superuser URL of the Postgres server to use (OUTLAY_TEST_DATABASE_URL)")
	fs.StringVar(&o.outlay, "outlay", "", "the outlay binary to serve with (default: go build ./cmd/outlay)")
	fs.Float64Var(&o.scale, "scale", 1, "volume multiplier (1: 10,000 requisitions, 5,000 vendors and orders, 100,000 audit rows, 1,500 pending)")
	fs.IntVar(&o.sessions, "sessions", 64, "concurrent signed-in sessions")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each measurement")
	fs.DurationVar(&o.duration, "duration", 4*time.Second, "measured load per page (and per floor)")
	fs.IntVar(&o.turns, "turns", 2, "each page and its SQL floor alternate this many times, each turn measuring duration/turns after its own warmup")
	fs.IntVar(&o.tenants, "tenants", 1000, "tenants served round-robin (0 skips that part)")
	fs.DurationVar(&o.tenantDuration, "tenant-duration", 10*time.Second, "measured round-robin load")
	fs.IntVar(&o.auditRounds, "audit-rounds", 2000, "interleaved write pairs for the audit overhead (0 skips it)")
	fs.IntVar(&o.migrateTenants, "migrate-tenants", 0, "instead of the load: time `outlay migrate` across this many tenants one migration behind")
	fs.StringVar(&o.markdown, "md", "", "also write the results as Markdown to this file")
	fs.BoolVar(&o.keep, "keep", false, "keep the volume tenant's databases afterwards (they are dropped at the next run)")
	fs.BoolVar(&o.dropTenants, "drop-tenants", false, "drop the many tenants (<control>rr and its databases, kept between runs by default) at the end")
	fs.StringVar(&o.control, "control", "outlaybench", "name of the bench's control database; tenant databases are named after it, and the many tenants' control database is this plus rr")
	fs.StringVar(&o.save, "save", "", "write each page as the recording of its statements received it to this directory, to look at")
	fs.StringVar(&o.only, "pages", "", "measure only the pages whose path matches this regular expression (writes are named POST /requisitions and POST /approvals)")
	fs.BoolVar(&o.verbose, "v", false, "print each page's captured statements and the seeding's steps")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.dsn == "" {
		return fmt.Errorf("-dsn or OUTLAY_TEST_DATABASE_URL: required (a superuser URL, e.g. postgres://postgres@127.0.0.1:5432/postgres)")
	}
	if o.sessions < 1 || o.scale <= 0 || o.turns < 1 {
		return fmt.Errorf("-sessions, -scale and -turns must be positive")
	}
	work, err := os.MkdirTemp("", "outlaybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if o.outlay == "" {
		fmt.Fprintln(stderr, "building ./cmd/outlay …")
		if o.outlay, err = buildOutlay(ctx, work); err != nil {
			return err
		}
	}
	d, err := newDeployment(ctx, o.dsn, o.control)
	if err != nil {
		return err
	}
	defer d.admin.Close()
	if err := d.drop(ctx); err != nil {
		return fmt.Errorf("drop the previous run's databases: %w", err)
	}
	if !o.keep {
		defer func() {
			if err := d.drop(context.WithoutCancel(ctx)); err != nil {
				fmt.Fprintf(stderr, "outlaybench: dropping the bench databases: %v\n", err)
			}
		}()
	}
	if err := d.ensure(ctx); err != nil {
		return fmt.Errorf("control database: %w", err)
	}
	// One key for every run: the round-robin tenants are kept between runs, and a server
	// started with another key than theirs refuses to start (its audit records would never
	// verify). A benchmark's key guards nothing.
	sum := sha256.Sum256([]byte("outlaybench: the benchmarks' own secret key"))
	secret := sum[:]
	b := &bench{o: o, d: d, secret: secret, work: work, log: stderr,
		logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	b.report.Started = time.Now().UTC()
	b.report.Machine = describeMachine(ctx, d)
	defer func() {
		for i := len(b.closers) - 1; i >= 0; i-- {
			b.closers[i]()
		}
	}()
	if o.migrateTenants > 0 {
		if err := b.timeMigrate(ctx); err != nil {
			return err
		}
	} else if err := b.all(ctx); err != nil {
		return err
	}
	b.report.Took = time.Since(b.report.Started)
	b.report.Write(stdout)
	if o.markdown != "" {
		f, err := os.Create(filepath.Clean(o.markdown))
		if err != nil {
			return err
		}
		defer f.Close()
		return b.report.Markdown(f)
	}
	return nil
}
