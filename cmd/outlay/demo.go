package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/config"
	"outlay/migrations"
	"outlay/models"
	"outlay/pgembed"
	"outlay/storage"
	"outlay/tenancy"
)

// DemoPassword is every demo user's password; the demo prints it.
const DemoPassword = "outlay-demo-password"

type demoTenant struct {
	slug, name string
}

var demoTenants = []demoTenant{{"acme", "Acme Corporation"}, {"globex", "Globex Industries"}}

// demoPeople are one user per built-in role.
var demoPeople = []struct{ local, name, role string }{
	{"requester", "Riley Requester", "requester"},
	{"approver", "Avery Approver", "approver"},
	{"ap", "Casey Clerk", "ap_clerk"},
	{"auditor", "Jordan Auditor", "auditor"},
	{"admin", "Morgan Admin", "admin"},
}

func demoEmail(local, slug string) string { return local + "@" + slug + ".example" }

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseConfig("demo", args, stderr, nil)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := os.MkdirAll(cfg.DemoDataDir, 0o755); err != nil {
		return fmt.Errorf("demo data folder: %w", err)
	}
	// The attachments live with the rest of the demo's data, so that deleting the folder
	// starts afresh, unless a store of their own was named.
	if cfg.BlobURL == config.Defaults().BlobURL {
		dir, err := filepath.Abs(filepath.Join(cfg.DemoDataDir, "blobs"))
		if err != nil {
			return err
		}
		cfg.BlobURL = "file://" + filepath.ToSlash(dir)
	}
	movedDB := "" // where the embedded database lives when not in the data folder
	if cfg.DatabaseURL == "" {
		// As root, Postgres runs as user postgres, who may not be able to enter the data
		// folder (a clone under /root, a mktemp -d); the database then lives where it can.
		want, err := filepath.Abs(filepath.Join(cfg.DemoDataDir, "postgres"))
		if err != nil {
			return err
		}
		dir, err := pgembed.PlaceDir(want, logger)
		if err != nil {
			return fmt.Errorf("embedded Postgres: %w", err)
		}
		if dir != want {
			movedDB = dir
			fmt.Fprintf(stdout, "PostgreSQL does not run as root, and the user it runs as cannot reach %s: "+
				"the embedded database is kept in %s instead (%s links to it).\n", cfg.DemoDataDir, dir, want)
		}
		fmt.Fprintf(stdout, "Starting the embedded Postgres in %s ...\n", dir)
		pg, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Logger: logger})
		if err != nil {
			return fmt.Errorf("embedded Postgres: %w", err)
		}
		defer pg.Stop()
		cfg.DatabaseURL = pg.DSN("outlay")
	}
	if len(cfg.SecretKey) == 0 {
		if cfg.SecretKey, err = demoSecret(cfg.DemoDataDir); err != nil {
			return err
		}
	}
	if err := ensureDemoTenants(ctx, cfg, stderr); err != nil {
		return err
	}
	// The demo's sample tenants are made again at will: no daily backups of them.
	cfg.BackupKeep = [3]int{}
	return serve(ctx, cfg, logger, stdout, func() { printDemo(stdout, cfg, movedDB) })
}

// demoSecret keeps one secret key in the data folder, so sessions survive a restart.
func demoSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "secret-key")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b = []byte(config.NewSecretKey())
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	key, err := config.DecodeSecretKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// seedDemoTenant fills a new tenant's database with the demo's people (one per role, with the
// demo password), reference data, approval rules and documents in every state.
func seedDemoTenant(ctx context.Context, db *gorm.DB, blobs *storage.Store, slug string) error {
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "outlay demo"})
	for _, p := range demoPeople {
		if _, err := models.CreateUser(ctx, db, models.NewUser{Email: demoEmail(p.local, slug), Name: p.name, Password: DemoPassword, Roles: []string{p.role}}); err != nil {
			return err
		}
	}
	if err := seedDemoReference(ctx, db, slug); err != nil {
		return err
	}
	if err := seedDemoApprovals(ctx, db); err != nil {
		return err
	}
	if err := seedDemoDocuments(ctx, db, slug); err != nil {
		return err
	}
	if err := seedDemoTravel(ctx, db, slug); err != nil {
		return err
	}
	if err := seedDemoExpenses(ctx, db, blobs, slug); err != nil {
		return err
	}
	return seedDemoBills(ctx, db, slug)
}

func ensureDemoTenants(ctx context.Context, cfg *config.Config, stderr io.Writer) error {
	registry, blobs, closeAll, err := openRegistryAndBlobs(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	for _, dt := range demoTenants {
		if _, ok := registry.Lookup(dt.slug); ok {
			continue
		}
		_, err := registry.Create(ctx, tenancy.CreateTenant{Slug: dt.slug, Name: dt.name}, func(ctx context.Context, t tenancy.Tenant) error {
			db, closeDB, err := tenancy.OpenOne(ctx, t, cfg.SecretKey)
			if err != nil {
				return err
			}
			defer closeDB()
			return seedDemoTenant(ctx, db, blobs, dt.slug)
		})
		if err != nil {
			return fmt.Errorf("create demo tenant %s: %w", dt.slug, explain(err))
		}
	}
	// Databases made by an older build catch up with the current schema.
	for _, r := range registry.MigrateAll(ctx, migrations.Tenant(), cfg.MigrateParallel, nil) {
		if r.Err != nil {
			return fmt.Errorf("migrate demo tenant %s: %w", r.Slug, r.Err)
		}
	}
	return nil
}

func printDemo(w io.Writer, cfg *config.Config, movedDB string) {
	fmt.Fprintln(w, "\nOutlay demo is running.")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, dt := range demoTenants {
		fmt.Fprintf(tw, "\n%s\t%s\n", dt.name, cfg.TenantURL(dt.slug, "/login"))
		for _, p := range demoPeople {
			fmt.Fprintf(tw, "  %s\t%s\n", demoEmail(p.local, dt.slug), p.role)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "\nPassword for every demo user: %s\n", DemoPassword)
	if movedDB != "" {
		fmt.Fprintf(w, "Data is kept in %s, its database in %s (delete %s to start afresh). Stop with Ctrl+C.\n", cfg.DemoDataDir, movedDB, cfg.DemoDataDir)
	} else {
		fmt.Fprintf(w, "Data is kept in %s (delete it to start afresh). Stop with Ctrl+C.\n", cfg.DemoDataDir)
	}
	if cfg.SMTPURL == "" {
		fmt.Fprintln(w, "No mail server is set (OUTLAY_SMTP_URL): every mail is printed here instead, with its links.")
	}
}
