package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"sort"
	"strings"
	"time"

	"outlay/backup"
	"outlay/config"
	"outlay/models"
	"outlay/storage"
	"outlay/tenancy"
)

// operatorName names who runs a lifecycle command, for the purge record: the --by flag, or
// the account and machine the command runs on.
func operatorName(by string) string {
	if by = strings.TrimSpace(by); by != "" {
		return by
	}
	name := "operator"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		name += "@" + host
	}
	return name
}

// lifecycleCommand parses a lifecycle command's slug (before or after the flags) and
// settings, and opens the registry; the caller closes it.
func lifecycleCommand(ctx context.Context, name, usage string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (string, *config.Config, *tenancy.Registry, error) {
	slug, args := splitPositional(args)
	cfg, fs, err := parseConfig("tenant "+name, args, stderr, extra)
	if err != nil {
		return "", nil, nil, err
	}
	if slug == "" && fs.NArg() > 0 {
		slug = fs.Arg(0)
	}
	if slug == "" {
		return "", nil, nil, errors.New("usage: outlay tenant " + name + " <slug>" + usage)
	}
	registry, err := openRegistry(ctx, cfg, stderr)
	return slug, cfg, registry, err
}

func cmdTenantSuspend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, cfg, registry, err := lifecycleCommand(ctx, "suspend", "", args, stderr, nil)
	if err != nil {
		return err
	}
	defer registry.Close()
	var ended int64
	err = registry.Suspend(ctx, slug, func(ctx context.Context, t tenancy.Tenant) error {
		db, closeDB, err := tenancy.OpenOne(ctx, t, cfg.SecretKey)
		if err != nil {
			return err
		}
		defer closeDB()
		ended, err = models.EndAllSessions(ctx, db)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tenant %s suspended: sign-in is refused and %d sessions ended; outlay tenant reactivate %s restores it\n", slug, ended, slug)
	return nil
}

func cmdTenantLapse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var by string
	slug, cfg, registry, err := lifecycleCommand(ctx, "lapse", " [--by NAME]", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&by, "by", "", "who lapses it, for the purge record (default: this account@host)")
	})
	if err != nil {
		return err
	}
	defer registry.Close()
	if err := registry.Lapse(ctx, slug, operatorName(by), time.Now(), cfg.PurgeWindow); err != nil {
		return err
	}
	t, _ := registry.Lookup(slug)
	fmt.Fprintf(stdout, "tenant %s lapsed: read-only, its people may sign in and export until %s, when it is purged\n",
		slug, t.PurgeAfter.UTC().Format("2006-01-02 15:04 UTC"))
	return nil
}

func cmdTenantReactivate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, _, registry, err := lifecycleCommand(ctx, "reactivate", "", args, stderr, nil)
	if err != nil {
		return err
	}
	defer registry.Close()
	if err := registry.Reactivate(ctx, slug); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tenant %s reactivated\n", slug)
	return nil
}

// cmdTenantPurge purges a lapsed tenant whose export window has ended, or, with --force and
// the slug typed again on stdin, one whose window has not.
func cmdTenantPurge(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var force, forgetMissing bool
	var by string
	slug, cfg, registry, err := lifecycleCommand(ctx, "purge", " [--force] [--forget-missing-files]", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "purge before the export window ends (asks to type the slug)")
		fs.StringVar(&by, "by", "", "who purges, for the purge record (default: this account@host)")
		fs.BoolVar(&forgetMissing, "forget-missing-files", false, "purge although attachment or backup files the tenant's records name are not found (lost, or deleted by hand)")
	})
	if err != nil {
		return err
	}
	defer registry.Close()
	// The store is opened only if it is there: a relative folder read from another one is
	// not made empty there, and every file the records name is reported missing.
	var files tenancy.FileDeleter = tenancy.NoFiles{}
	blobs, err := storage.OpenIfThere(ctx, cfg.BlobURL)
	if err != nil {
		return err
	}
	if blobs != nil {
		defer blobs.Close()
		files = blobs
	}
	now := time.Now()
	t, err := registry.Find(slug, "purge")
	if err != nil {
		return err
	}
	early := t.Status == tenancy.StatusLapsed && t.PurgeAfter != nil && now.Before(*t.PurgeAfter)
	if early && !force {
		return fmt.Errorf("tenant %s may export until %s; nothing was purged. To purge it now, run outlay tenant purge %s --force",
			slug, t.PurgeAfter.UTC().Format("2006-01-02 15:04 UTC"), slug)
	}
	if early {
		fmt.Fprintf(stdout, "This deletes %s (%s) for good, %s before its export window ends: its database, every attachment and every backup.\nType the slug to confirm: ",
			t.Name, slug, models.TimeLeft(t.PurgeAfter.Sub(now)))
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if strings.TrimSpace(line) != slug {
			return errors.New("the slug typed does not match; nothing was purged")
		}
	}
	p, err := registry.Purge(ctx, slug, tenancy.PurgeRequest{By: operatorName(by), Now: now, Force: force, Files: files, ForgetMissing: forgetMissing,
		Backups: backup.Purger{Registry: registry, URLs: []string{cfg.BlobURL, cfg.BackupURL}, ForgetMissing: forgetMissing}})
	if errors.Is(err, tenancy.ErrFilesMissing) {
		return fmt.Errorf("%w.\nThe attachment store here is %s. Run the purge where the files are (as the server runs, with its OUTLAY_BLOB_URL and OUTLAY_BACKUP_URL), or, if they were lost or deleted by hand, run: outlay tenant purge %s --forget-missing-files",
			err, storage.CanonicalURL(cfg.BlobURL), slug)
	}
	if err != nil {
		return err
	}
	printPurge(stdout, p)
	return nil
}

// printPurge writes a purge record as the operator reads it.
func printPurge(w io.Writer, p tenancy.Purge) {
	lapsed := "never lapsed"
	if p.LapsedAt != nil {
		lapsed = "lapsed " + p.LapsedAt.UTC().Format("2006-01-02 15:04 UTC") + " by " + p.LapsedBy
	}
	forced := ""
	if p.Forced {
		forced = " (forced before its window ended)"
	}
	fmt.Fprintf(w, "tenant %s purged %s by %s%s; %s\n", p.Slug, p.PurgedAt.UTC().Format("2006-01-02 15:04 UTC"), p.PurgedBy, forced, lapsed)
	fmt.Fprintf(w, "deleted database %s (%d rows), %d attachment files and %d backups\n", p.DatabaseName, p.Rows, p.Attachments, p.Backups)
	tables := make([]string, 0, len(p.TableRows))
	for name, n := range p.TableRows {
		if n > 0 {
			tables = append(tables, fmt.Sprintf("%s %d", name, n))
		}
	}
	sort.Strings(tables)
	if len(tables) > 0 {
		fmt.Fprintf(w, "rows by table: %s\n", strings.Join(tables, ", "))
	}
}
