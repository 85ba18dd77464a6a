package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"outlay/audit"
	"outlay/backup"
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
		fs.StringVar(&cluster, "cluster", "", "the cluster to put the copy on (default: the least-loaded cluster)")
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
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	registry, blobs, closeAll, err := openRegistryAndBlobs(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	source, err := registry.Find(slug, "copy")
	if err != nil {
		return err
	}
	// The copy's slug is checked before anything is made: a tenant that has it keeps its
	// database and its files.
	if err := tenancy.ValidateSlug(newSlug); err != nil {
		return fmt.Errorf("--as: %w", err)
	}
	if _, taken := registry.Lookup(newSlug); taken {
		return fmt.Errorf("tenant %q already exists; nothing was changed. Name the copy with a slug of its own", newSlug)
	}

	// The copy goes where --cluster says, otherwise where tenant create would put a new tenant.
	if cluster == "" {
		if cluster, err = registry.LeastLoadedCluster(ctx); err != nil {
			return err
		}
	}
	target, err := registry.Cluster(ctx, cluster)
	if err != nil {
		return err
	}
	home, err := registry.ClusterOf(ctx, source)
	if err != nil {
		return err
	}
	in := tenancy.CreateTenant{Slug: newSlug, Name: source.Name + " (sanitized copy)", Cluster: target.ID}
	// CREATE DATABASE … TEMPLATE copies in one step, but only from a database on the same
	// cluster that nobody is connected to; otherwise the copy is a dump and restore.
	busy, err := connectionsTo(ctx, home.DSN, source.DatabaseName)
	if err != nil {
		return err
	}
	switch {
	case target.ID == home.ID && busy == 0:
		in.Template = source.DatabaseName
	case target.ID != home.ID:
		fmt.Fprintf(stdout, "copying %s from cluster %s to cluster %s with pg_dump and pg_restore\n", slug, home.ID, target.ID)
		in.Fill = func(ctx context.Context, dsn string) error { return backup.Copy(ctx, source.DSN, dsn) }
	default:
		fmt.Fprintf(stdout, "%s is in use (%d connections): copying it with pg_dump and pg_restore\n", slug, busy)
		in.Fill = func(ctx context.Context, dsn string) error { return backup.Copy(ctx, source.DSN, dsn) }
	}
	var rep *sanitize.Report
	// made: the registry made the copy's database for this run, so the files stored under
	// its slug are the copy's own. Until then they may be another tenant's.
	made := false
	t, err := registry.Create(ctx, in, func(ctx context.Context, t tenancy.Tenant) error {
		made = true
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
		// Placeholders stored for the copy go with it; a slug the registry refused (one
		// taken meanwhile) is another tenant's, and so are its files.
		if made {
			if _, derr := blobs.DeleteTenant(context.WithoutCancel(ctx), newSlug); derr != nil && !errors.Is(err, errSilent) {
				fmt.Fprintf(stderr, "could not remove the copy's files: %v\n", derr)
			}
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

// connectionsTo counts the sessions connected to a database of a cluster.
func connectionsTo(ctx context.Context, clusterDSN, database string) (int, error) {
	conn, err := pgx.Connect(ctx, clusterDSN)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, database).Scan(&n)
	return n, err
}
