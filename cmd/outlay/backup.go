package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"outlay/backup"
	"outlay/config"
	"outlay/storage"
	"outlay/tenancy"
)

// backupTools are what the backup commands work with; close releases them.
type backupTools struct {
	cfg      *config.Config
	registry *tenancy.Registry
	service  *backup.Service
	close    func()
}

func openBackupTools(ctx context.Context, cfg *config.Config, stderr io.Writer) (*backupTools, error) {
	if err := cfg.RequireSecretKey(); err != nil {
		return nil, err
	}
	registry, blobs, closeAll, err := openRegistryAndBlobs(ctx, cfg, stderr)
	if err != nil {
		return nil, err
	}
	return &backupTools{cfg: cfg, registry: registry, close: closeAll,
		service: &backup.Service{Registry: registry, Secret: cfg.SecretKey, Attachments: blobs}}, nil
}

// slugAndFlags reads "<slug> [flags]" or "[flags] <slug>".
func slugAndFlags(name, usage string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (string, *config.Config, error) {
	slug, args := splitPositional(args)
	cfg, fs, err := parseConfig(name, args, stderr, extra)
	if err != nil {
		return "", nil, err
	}
	if slug == "" && fs.NArg() > 0 {
		slug = fs.Arg(0)
	}
	if slug == "" {
		return "", nil, errors.New(usage)
	}
	return slug, cfg, nil
}

// cmdTenantBackup writes a backup of a tenant to the blob store (or the one --to names).
func cmdTenantBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var to string
	slug, cfg, err := slugAndFlags("tenant backup", "usage: outlay tenant backup <slug> [--to URL]", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "blob store to write the backup to, such as s3://bucket or file:///srv/backups (default: OUTLAY_BLOB_URL)")
	})
	if err != nil {
		return err
	}
	tools, err := openBackupTools(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer tools.close()
	if to == "" {
		to = cfg.BlobURL
	}
	store, err := backup.OpenStore(ctx, to)
	if err != nil {
		return err
	}
	defer store.Close()
	began := time.Now()
	m, err := tools.service.Backup(ctx, slug, store, tenancy.BackupManual)
	if err != nil {
		return explain(err)
	}
	dump, _ := backupDump(m)
	fmt.Fprintf(stdout, "backup %s written to %s in %s: %d tables, %d rows, %d attachments listed, audit head row %d, dump %s\n",
		m.Name, store.URL, time.Since(began).Round(time.Millisecond), len(m.Tables), m.Rows(), m.Attachments, m.AuditHead.Row, storage.FormatSize(dump.Bytes))
	fmt.Fprintf(stdout, "restore it with: outlay tenant restore %s --from %s\n", slug, m.Name)
	return nil
}

func backupDump(m *backup.Manifest) (backup.File, bool) {
	for _, f := range m.Files {
		if f.Path == backup.DumpFile {
			return f, true
		}
	}
	return backup.File{}, false
}

// cmdTenantBackups lists a tenant's backups, newest first.
func cmdTenantBackups(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, cfg, err := slugAndFlags("tenant backups", "usage: outlay tenant backups <slug>", args, stderr, nil)
	if err != nil {
		return err
	}
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer registry.Close()
	list, err := registry.Backups(ctx, slug)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		if t, ok := registry.Lookup(slug); ok && t.Status == tenancy.StatusPurged {
			// Its backups went with its data: there is none to list, nor one to take.
			fmt.Fprintf(stdout, "no backups of %s: %s\n", slug, t.PurgedRefusal("back up").Error())
			return nil
		}
		fmt.Fprintf(stdout, "no backups of %s yet; take one with: outlay tenant backup %s\n", slug, slug)
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "BACKUP\tKIND\tTAKEN\tROWS\tATTACHMENTS\tAUDIT HEAD\tDUMP\tSTORE")
	for _, b := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", b.Name, b.Kind, b.CreatedAt.UTC().Format("2006-01-02 15:04:05"), b.Rows,
			b.Attachments, b.AuditHead, storage.FormatSize(b.DumpBytes), b.BlobURL)
	}
	return w.Flush()
}

// openBackupStore finds where backup from is: "NAME" as the control plane lists it, or
// "URL#NAME" for a backup in a store the control plane does not know of.
func openBackupStore(ctx context.Context, registry *tenancy.Registry, from string) (*backup.Store, string, error) {
	if u, name, ok := strings.Cut(from, "#"); ok && strings.Contains(u, "://") {
		store, err := backup.OpenStore(ctx, u)
		return store, name, err
	}
	rec, err := registry.Backup(ctx, from)
	if err != nil {
		return nil, "", err
	}
	store, err := backup.OpenStore(ctx, rec.BlobURL)
	return store, rec.Name, err
}

// cmdTenantRestore restores a backup into a new database and switches the tenant to it.
func cmdTenantRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var from, cluster, as string
	usage := "usage: outlay tenant restore <slug> --from BACKUP [--cluster NAME] [--as NEW-SLUG]"
	slug, cfg, err := slugAndFlags("tenant restore", usage, args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "the backup: its name as `outlay tenant backups` lists it, or URL#NAME (required)")
		fs.StringVar(&cluster, "cluster", "", "cluster to restore onto (default: the tenant's own)")
		fs.StringVar(&as, "as", "", "make a new tenant with this slug instead of switching the tenant")
	})
	if err != nil {
		return err
	}
	if from == "" {
		return errors.New(usage)
	}
	tools, err := openBackupTools(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer tools.close()
	store, name, err := openBackupStore(ctx, tools.registry, from)
	if err != nil {
		return explain(err)
	}
	defer store.Close()
	began := time.Now()
	res, err := tools.service.Restore(ctx, store, name, backup.RestoreOptions{Slug: slug, As: as, Cluster: cluster})
	if err != nil {
		return explain(err)
	}
	m := res.Manifest
	fmt.Fprintf(stdout, "backup %s restored in %s into database %s on cluster %s: %d tables and %d rows match the backup, audit chain intact to row %d\n",
		m.Name, time.Since(began).Round(time.Millisecond), res.Tenant.DatabaseName, res.Tenant.ClusterID, len(m.Tables), m.Rows(), m.AuditHead.Row)
	fmt.Fprintf(stdout, "tenant %s now uses it: %s\n", res.Tenant.Slug, cfg.TenantURL(res.Tenant.Slug, "/login"))
	if res.Previous != nil {
		fmt.Fprintf(stdout, "its previous database %s on cluster %s is kept; drop it when you no longer need it\n", res.Previous.DatabaseName, res.Previous.ClusterID)
	}
	if res.MissingAttachments > 0 {
		fmt.Fprintf(stdout, "warning: %d listed attachments are not in the attachment store and were not copied\n", res.MissingAttachments)
	}
	return nil
}

// cmdTenantMove moves a tenant to another cluster or, with --abandon, undoes a move of it that
// was interrupted.
func cmdTenantMove(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cluster string
	var abandon bool
	usage := "usage: outlay tenant move <slug> --cluster NAME, or outlay tenant move <slug> --abandon"
	slug, cfg, err := slugAndFlags("tenant move", usage, args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&cluster, "cluster", "", "the cluster to move to (required; see `outlay cluster list`)")
		fs.BoolVar(&abandon, "abandon", false, "undo a move of the tenant that was interrupted (its process killed, its machine gone), as `outlay tenant list` shows it; asks to type the slug before dropping a database")
	})
	if err != nil {
		return err
	}
	if abandon {
		if cluster != "" {
			return errors.New("--abandon undoes the move that was interrupted, wherever it went: give no --cluster")
		}
		return abandonMove(ctx, cfg, slug, stdin, stdout, stderr)
	}
	if cluster == "" {
		return errors.New(usage)
	}
	tools, err := openBackupTools(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer tools.close()
	store, err := backup.OpenStore(ctx, cfg.BlobURL)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := tools.service.Move(ctx, slug, cluster, store, operatorName(""))
	if res != nil {
		fmt.Fprintf(stdout, "tenant %s moved from cluster %s to %s (database %s), read-only for %s: %d rows checked, audit chain intact to row %d; backup %s kept\n",
			slug, res.From.ClusterID, res.To.ClusterID, res.To.DatabaseName, res.ReadOnly.Round(time.Millisecond), res.Manifest.Rows(), res.Manifest.AuditHead.Row, res.Manifest.Name)
		fmt.Fprintf(stdout, "steps: %s\n", backup.PhasesString(res.Phases))
	}
	return explain(err)
}

// abandonMove undoes an interrupted move of tenant slug, asking the operator to type the slug
// before a database is dropped, and says what it found and did.
func abandonMove(ctx context.Context, cfg *config.Config, slug string, stdin io.Reader, stdout, stderr io.Writer) error {
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer registry.Close()
	rec, err := registry.AbandonMove(ctx, slug, func(rec tenancy.MoveRecovery) bool {
		fmt.Fprintf(stdout, "Found %s, which was interrupted.\n", rec.Move)
		if rec.Switched {
			fmt.Fprintf(stdout, "It had switched %s to cluster %s (database %s), so the move stands; this drops its old database %s on cluster %s (%s).\n",
				slug, rec.Tenant.ClusterID, rec.Tenant.DatabaseName, rec.Leftover, rec.LeftoverCluster, storage.FormatSize(rec.LeftoverBytes))
		} else {
			fmt.Fprintf(stdout, "It had not switched %s, which stays on cluster %s (database %s); this makes that database writable again and drops the move's unfinished copy, database %s on cluster %s (%s).\n",
				slug, rec.Tenant.ClusterID, rec.Tenant.DatabaseName, rec.Leftover, rec.LeftoverCluster, storage.FormatSize(rec.LeftoverBytes))
		}
		fmt.Fprint(stdout, "Type the slug to confirm: ")
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		return strings.TrimSpace(line) == slug
	})
	if errors.Is(err, tenancy.ErrNotConfirmed) {
		return errors.New("the slug typed does not match; nothing was changed")
	}
	if err != nil {
		return err
	}
	if rec.Switched {
		fmt.Fprintf(stdout, "%s had switched %s to cluster %s (database %s) before it stopped: the move stands, and is finished\n", rec.Move, slug, rec.Tenant.ClusterID, rec.Tenant.DatabaseName)
	} else {
		fmt.Fprintf(stdout, "%s is undone: %s stays on cluster %s (database %s)\n", rec.Move, slug, rec.Tenant.ClusterID, rec.Tenant.DatabaseName)
	}
	if rec.Writable != "" {
		fmt.Fprintf(stdout, "database %s on cluster %s made writable again (its sessions were ended, so app servers reconnect writable)\n", rec.Writable, rec.Move.FromCluster)
	}
	if rec.LeftoverExists {
		fmt.Fprintf(stdout, "dropped database %s on cluster %s (%s), %s\n", rec.Leftover, rec.LeftoverCluster, storage.FormatSize(rec.LeftoverBytes), leftoverWhat(rec))
	} else {
		fmt.Fprintf(stdout, "database %s on cluster %s, %s, is not there (never made, or dropped already): nothing to drop\n", rec.Leftover, rec.LeftoverCluster, leftoverWhat(rec))
	}
	for _, b := range rec.Backups {
		fmt.Fprintf(stdout, "the move's backup %s is kept (outlay tenant backups %s)\n", b.Name, slug)
	}
	// A move killed while it wrote its dump left the files of a backup never listed.
	store, err := backup.OpenStore(ctx, cfg.BlobURL)
	if err != nil {
		return err
	}
	defer store.Close()
	partial, err := (&backup.Service{Registry: registry}).DeleteUnlisted(ctx, store, slug, rec.Move.StartedAt)
	for _, name := range partial {
		fmt.Fprintf(stdout, "deleted the files of the move's unfinished backup %s (never listed, as it was not written whole)\n", name)
	}
	return err
}

// leftoverWhat says what the database an interrupted move left behind was.
func leftoverWhat(rec tenancy.MoveRecovery) string {
	if rec.Switched {
		return "the tenant's old database"
	}
	return "the move's unfinished copy"
}

// dailyBackups is the schedule of every tenant's daily backup (nil when OUTLAY_BACKUP_KEEP
// turns it off), writing to OUTLAY_BACKUP_URL or else the attachment store.
func dailyBackups(ctx context.Context, cfg *config.Config, registry *tenancy.Registry, blobs *storage.Store, logger *slog.Logger) (*backup.Schedule, func(), error) {
	if cfg.BackupKeep == ([3]int{}) {
		return nil, func() {}, nil
	}
	to := cfg.BackupURL
	if to == "" {
		to = cfg.BlobURL
	}
	store, err := backup.OpenStore(ctx, to)
	if err != nil {
		return nil, nil, fmt.Errorf("OUTLAY_BACKUP_URL: %w", err)
	}
	return &backup.Schedule{
		Service:   &backup.Service{Registry: registry, Secret: cfg.SecretKey, Attachments: blobs, Logger: logger},
		Store:     store,
		Retention: backup.Retention{Daily: cfg.BackupKeep[0], Weekly: cfg.BackupKeep[1], Monthly: cfg.BackupKeep[2]},
	}, func() { _ = store.Close() }, nil
}
