package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"outlay/audit"
	"outlay/sanitize"
	"outlay/tenancy"
)

const cloneUsage = "usage: outlay tenant clone-sanitized <slug> --as NEW-SLUG [--cluster NAME]"

// cmdTenantCloneSanitized copies a tenant into a new one for staging, with its personal data
// replaced (see package sanitize). The copy is registered only when it is finished, its audit
// log verifies under its own key, and no original email, name or phone is left in it;
// otherwise it is dropped.
func cmdTenantCloneSanitized(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, args := splitPositional(args)
	var newSlug, cluster string
	cfg, fs, err := parseConfig("tenant clone-sanitized", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&newSlug, "as", "", "the new tenant's slug (required)")
		fs.StringVar(&cluster, "cluster", "", "the cluster to put the copy on (default: the default cluster)")
	})
	if err != nil {
		return err
	}
	if slug == "" && fs.NArg() > 0 {
		slug = fs.Arg(0)
	}
	if slug == "" || newSlug == "" {
		return errors.New(cloneUsage)
	}
	if cluster != "" && cluster != "default" {
		return fmt.Errorf("--cluster %s: copies go to the default cluster for now", cluster)
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	registry, blobs, closeAll, err := openRegistryAndBlobs(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	source, ok := registry.Lookup(slug)
	if !ok || source.Status == tenancy.StatusPurged || source.Status == tenancy.StatusProvisioning {
		return fmt.Errorf("no tenant %q to copy", slug)
	}

	in := tenancy.CreateTenant{Slug: newSlug, Name: source.Name + " (sanitized copy)"}
	// CREATE DATABASE … TEMPLATE copies in one step, but only from a database on the same
	// cluster that nobody is connected to; otherwise the copy is a dump and restore.
	busy, err := connectionsTo(ctx, cfg.DatabaseURL, source.DatabaseName)
	if err != nil {
		return err
	}
	if source.ClusterID == "default" && busy == 0 {
		in.Template = source.DatabaseName
	} else {
		fmt.Fprintf(stdout, "%s is in use (%d connections): copying it with pg_dump and pg_restore\n", slug, busy)
		in.Fill = func(ctx context.Context, dsn string) error { return dumpRestore(ctx, source.DSN, dsn) }
	}
	var rep *sanitize.Report
	t, err := registry.Create(ctx, in, func(ctx context.Context, t tenancy.Tenant) error {
		conn, err := sanitize.Connect(ctx, t.DSN, cfg.SecretKey, t.Slug)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		rep, err = sanitize.Sanitize(ctx, conn, sanitize.Options{SourceSlug: source.Slug, NewSlug: t.Slug, Secret: cfg.SecretKey, Blobs: blobs})
		if err != nil {
			return err
		}
		db, closeDB, err := tenancy.OpenOne(ctx, t, cfg.SecretKey)
		if err != nil {
			return err
		}
		defer closeDB()
		key, err := audit.TenantKey(cfg.SecretKey, t.Slug)
		if err != nil {
			return err
		}
		res, err := audit.Verify(ctx, db, key)
		if err != nil {
			return err
		}
		if !res.Intact() {
			return fmt.Errorf("the re-chained audit log does not verify: %s", res)
		}
		_, _, err = registry.RecordAuditHead(ctx, db, t.Slug, cfg.SecretKey)
		return err
	})
	if err != nil {
		// Placeholders stored for the copy go with it.
		if _, derr := blobs.DeleteTenant(context.WithoutCancel(ctx), newSlug); derr != nil && !errors.Is(err, errSilent) {
			fmt.Fprintf(stderr, "could not remove the copy's files: %v\n", derr)
		}
		return fmt.Errorf("the copy was not kept: %w", explain(err))
	}
	fmt.Fprintf(stdout, "tenant %s created as a sanitized copy of %s: %s\n", t.Slug, slug, cfg.TenantURL(t.Slug, "/login"))
	replaced := 0
	for _, n := range rep.Replaced {
		replaced += n
	}
	fmt.Fprintf(stdout, "replaced %d values in %d columns, %d attachments with placeholders; emptied %s\n",
		replaced, len(rep.Replaced), rep.Attachments, strings.Join(nonEmpty(rep.Dropped), ", "))
	fmt.Fprintf(stdout, "audit log: %d records re-chained under %s's key; outlay audit verify %s passes\n", rep.AuditRows, t.Slug, t.Slug)
	fmt.Fprintf(stdout, "searched %d columns and %d files for %d emails, %d names and %d phones of the original: none found\n",
		rep.SearchedCols, rep.SearchedBlob, len(rep.Originals.Emails), len(rep.Originals.Names), len(rep.Originals.Phones))
	fmt.Fprintln(stdout, "nobody can sign in with a password from the original: set passwords with outlay user add or a reset link")
	return nil
}

func nonEmpty(m map[string]int64) []string {
	var out []string
	for t, n := range m {
		if n > 0 {
			out = append(out, t+" ("+strconv.FormatInt(n, 10)+")")
		}
	}
	if len(out) == 0 {
		return []string{"nothing"}
	}
	sort.Strings(out)
	return out
}

// connectionsTo counts the sessions connected to a database of the control plane's cluster.
func connectionsTo(ctx context.Context, controlDSN, database string) (int, error) {
	conn, err := pgx.Connect(ctx, controlDSN)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, database).Scan(&n)
	return n, err
}

// dumpRestore copies a database into an empty one with pg_dump and pg_restore of the
// server's own major version (triggers are created after the data, so none fire).
func dumpRestore(ctx context.Context, from, to string) error {
	dump, restore, err := clientTools(ctx, from)
	if err != nil {
		return err
	}
	d := exec.CommandContext(ctx, dump, "--format=custom", "--no-owner", "--no-privileges", "--dbname="+from)
	r := exec.CommandContext(ctx, restore, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+to)
	var derr, rerr strings.Builder
	d.Stderr, r.Stderr = &derr, &rerr
	pipe, err := d.StdoutPipe()
	if err != nil {
		return err
	}
	r.Stdin = pipe
	if err := d.Start(); err != nil {
		return fmt.Errorf("pg_dump: %w", err)
	}
	if err := r.Run(); err != nil {
		_ = d.Process.Kill()
		_ = d.Wait()
		return fmt.Errorf("pg_restore: %w: %s", err, strings.TrimSpace(rerr.String()))
	}
	if err := d.Wait(); err != nil {
		return fmt.Errorf("pg_dump: %w: %s", err, strings.TrimSpace(derr.String()))
	}
	return nil
}

// clientTools finds pg_dump and pg_restore of the server's major version: Debian keeps each
// version's in /usr/lib/postgresql/<major>/bin; otherwise those on PATH are used.
func clientTools(ctx context.Context, dsn string) (dump, restore string, err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", "", err
	}
	var num int
	err = conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&num)
	conn.Close(ctx)
	if err != nil {
		return "", "", err
	}
	dir := filepath.Join("/usr/lib/postgresql", strconv.Itoa(num/10000), "bin")
	if _, err := os.Stat(filepath.Join(dir, "pg_dump")); err == nil {
		return filepath.Join(dir, "pg_dump"), filepath.Join(dir, "pg_restore"), nil
	}
	if dump, err = exec.LookPath("pg_dump"); err != nil {
		return "", "", fmt.Errorf("pg_dump is needed to copy a database in use; install the PostgreSQL %d client tools (apt-get install postgresql-client-%d)", num/10000, num/10000)
	}
	if restore, err = exec.LookPath("pg_restore"); err != nil {
		return "", "", fmt.Errorf("pg_restore is needed to copy a database in use: %w", err)
	}
	return dump, restore, nil
}
