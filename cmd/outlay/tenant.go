package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"outlay/mail"
	"strings"
	"text/tabwriter"

	"outlay"
	"outlay/audit"
	"outlay/config"
	"outlay/migrations"
	"outlay/models"
	"outlay/storage"
	"outlay/tenancy"
)

func openRegistry(ctx context.Context, cfg *config.Config, stderr io.Writer) (*tenancy.Registry, error) {
	if err := requireDatabase(cfg); err != nil {
		return nil, err
	}
	registry, err := tenancy.OpenRegistry(ctx, cfg.DatabaseURL, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
	if err != nil {
		return nil, err
	}
	// A command given a key writes under it (audit records, SSO secrets): it must be the
	// deployment's.
	if len(cfg.SecretKey) > 0 {
		if err := registry.CheckSecretKey(ctx, cfg.SecretKey, false); err != nil {
			registry.Close()
			return nil, err
		}
	}
	return registry, nil
}

// openRegistryAndBlobs opens the tenant registry and the blob store, for commands that create
// tenants with files in them; closeAll closes both.
func openRegistryAndBlobs(ctx context.Context, cfg *config.Config, stderr io.Writer) (*tenancy.Registry, *storage.Store, func(), error) {
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	blobs, err := storage.Open(ctx, cfg.BlobURL)
	if err != nil {
		registry.Close()
		return nil, nil, nil, err
	}
	return registry, blobs, func() { blobs.Close(); registry.Close() }, nil
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseConfig("migrate", args, stderr, nil)
	if err != nil {
		return err
	}
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer registry.Close()
	fmt.Fprintln(stdout, "control plane: migrated")
	failed := 0
	results := registry.MigrateAll(ctx, migrations.Tenant(), cfg.MigrateParallel, func(r tenancy.MigrationResult) {
		if r.Err != nil {
			fmt.Fprintf(stdout, "%s: FAILED: %v\n", r.Slug, r.Err)
			return
		}
		fmt.Fprintf(stdout, "%s: migrated (version %d)\n", r.Slug, r.Version)
	})
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "outlay migrate: %d of %d tenants failed; the others are migrated\n", failed, len(results))
		return errSilent
	}
	fmt.Fprintf(stdout, "%d tenants migrated\n", len(results))
	return nil
}

func cmdTenant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if groupHelp(args, "tenant", "create, list, export, import-archive, clone-sanitized, backup, backups, restore, move, suspend, lapse, reactivate, purge", stdout) {
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return errors.New("usage: outlay tenant create|list|export|import-archive|clone-sanitized|backup|backups|restore|move|suspend|lapse|reactivate|purge")
	}
	switch args[0] {
	case "create":
		return cmdTenantCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return cmdTenantList(ctx, args[1:], stdout, stderr)
	case "export":
		return cmdTenantExport(ctx, args[1:], stdout, stderr)
	case "import-archive":
		return cmdTenantImportArchive(ctx, args[1:], stdout, stderr)
	case "clone-sanitized":
		return cmdTenantCloneSanitized(ctx, args[1:], stdout, stderr)
	case "backup":
		return cmdTenantBackup(ctx, args[1:], stdout, stderr)
	case "backups":
		return cmdTenantBackups(ctx, args[1:], stdout, stderr)
	case "restore":
		return cmdTenantRestore(ctx, args[1:], stdout, stderr)
	case "move":
		return cmdTenantMove(ctx, args[1:], os.Stdin, stdout, stderr)
	case "suspend":
		return cmdTenantSuspend(ctx, args[1:], stdout, stderr)
	case "lapse":
		return cmdTenantLapse(ctx, args[1:], stdout, stderr)
	case "reactivate":
		return cmdTenantReactivate(ctx, args[1:], stdout, stderr)
	case "purge":
		return cmdTenantPurge(ctx, args[1:], os.Stdin, stdout, stderr)
	default:
		return fmt.Errorf("unknown tenant command %q (create, list, export, import-archive, clone-sanitized, backup, backups, restore, move, suspend, lapse, reactivate, purge)", args[0])
	}
}

// splitPositional lets an operator write the slug before or after the flags.
func splitPositional(args []string) (first string, rest []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func cmdTenantCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, args := splitPositional(args)
	var name, adminEmail, adminName, adminPassword, cluster string
	cfg, fs, err := parseConfig("tenant create", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "the organisation's name (required)")
		fs.StringVar(&adminEmail, "admin-email", "", "email of the first admin (required)")
		fs.StringVar(&adminName, "admin-name", "", "name of the first admin (default: from the email)")
		config.SecretVar(fs, &adminPassword, "admin-password", os.Getenv("OUTLAY_ADMIN_PASSWORD"), "the first admin's password (OUTLAY_ADMIN_PASSWORD); without it a set-password link is printed")
		fs.StringVar(&cluster, "cluster", "", "the cluster for the tenant's database (default: the one with the fewest tenants; see `outlay cluster list`)")
	})
	if err != nil {
		return err
	}
	if slug == "" && fs.NArg() > 0 {
		slug = fs.Arg(0)
	}
	if slug == "" {
		return errors.New("usage: outlay tenant create <slug> --name NAME --admin-email EMAIL")
	}
	if adminEmail == "" {
		return errors.New("--admin-email is required")
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	if adminName == "" {
		adminName, _, _ = strings.Cut(adminEmail, "@")
	}
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer registry.Close()
	// A tenant made starts the deployment's data: its key is the deployment's from now on.
	if err := registry.CheckSecretKey(ctx, cfg.SecretKey, true); err != nil {
		return err
	}
	var inviteLink string
	var mailID int64
	t, err := registry.Create(ctx, tenancy.CreateTenant{Slug: slug, Name: name, Cluster: cluster}, func(ctx context.Context, t tenancy.Tenant) error {
		var err error
		inviteLink, mailID, err = seedAdmin(ctx, cfg, t, models.NewUser{Email: adminEmail, Name: adminName, Password: adminPassword, Organisation: t.Name, Roles: []string{"admin"}})
		return err
	})
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(stdout, "tenant %s created: %s (database on cluster %s)\n", t.Slug, cfg.TenantURL(t.Slug, "/login"), t.ClusterID)
	if inviteLink != "" {
		fmt.Fprintf(stdout, "the admin %s sets a password at (valid 72 hours): %s\n", adminEmail, inviteLink)
		if mailID == 0 {
			fmt.Fprintln(stdout, "no OUTLAY_SMTP_URL is set, so no email was sent: pass them the link")
		} else {
			queueInvitation(ctx, cfg, stdout, stderr, t.Slug, adminEmail, mailID)
		}
	}
	return nil
}

// seedAdmin creates a tenant's first user. Without a password they are invited, as user add
// invites: it returns the link to set one, and the invitation mail waiting in the tenant's
// outbox (0 without a mail server).
func seedAdmin(ctx context.Context, cfg *config.Config, t tenancy.Tenant, u models.NewUser) (string, int64, error) {
	db, closeDB, err := tenancy.OpenOne(ctx, t, cfg.SecretKey)
	if err != nil {
		return "", 0, err
	}
	defer closeDB()
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "outlay tenant create"})
	if u.Password != "" {
		_, err := models.CreateUser(ctx, db, u)
		return "", 0, err
	}
	var compose models.ComposeLinkMail
	if cfg.SMTPURL != "" {
		compose = func(u *models.User, token string) mail.Message {
			return mail.Invitation(u.Email, u.Name, t.Name, "", cfg.TenantURL(t.Slug, "/password/reset/"+token), models.InvitationTTL)
		}
	}
	_, token, mailID, err := models.InviteUserWithMail(ctx, db, models.ByOperator(), u, models.InvitationTTL, compose)
	if err != nil {
		return "", 0, err
	}
	return cfg.TenantURL(t.Slug, "/password/reset/"+token), mailID, nil
}

// explain turns validation errors into lines an operator can act on.
func explain(err error) error {
	if v, ok := outlay.AsValidation(err); ok {
		var lines []string
		for field, msg := range v {
			lines = append(lines, fmt.Sprintf("  %s: %s", field, msg))
		}
		return fmt.Errorf("refused:\n%s", strings.Join(lines, "\n"))
	}
	return err
}

func cmdTenantList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseConfig("tenant list", args, stderr, nil)
	if err != nil {
		return err
	}
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer registry.Close()
	tenants, err := registry.List(ctx)
	if err != nil {
		return err
	}
	if len(tenants) == 0 {
		fmt.Fprintln(stdout, "no tenants yet; create one with: outlay tenant create <slug> --name NAME --admin-email EMAIL")
		return nil
	}
	moves, err := registry.Moves(ctx)
	if err != nil {
		return err
	}
	moveOf := make(map[string]tenancy.Move, len(moves))
	for _, m := range moves {
		moveOf[m.Slug] = m
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tNAME\tSTATUS\tCLUSTER\tDATABASE\tCREATED\tMOVE")
	for _, t := range tenants {
		move := "-"
		if m, ok := moveOf[t.Slug]; ok && m.Running() {
			move = "moving to " + m.ToCluster
		} else if ok {
			move = "INTERRUPTED move to " + m.ToCluster
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Status, t.ClusterID, t.DatabaseName, t.CreatedAt.UTC().Format("2006-01-02 15:04"), move)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// What an interrupted move left is said in full: the tenant may be read-only, and a
	// database is no one's.
	for _, t := range tenants {
		m, ok := moveOf[t.Slug]
		switch {
		case !ok || m.Running():
		case t.ClusterID == m.ToCluster && t.DatabaseName == m.ToDatabase:
			fmt.Fprintf(stdout, "\n%s was interrupted after it switched the tenant: its old database %s on cluster %s is left. Finish it with: %s\n",
				m, m.FromDatabase, m.FromCluster, tenancy.AbandonCommand(m.Slug))
		default:
			fmt.Fprintf(stdout, "\n%s was interrupted: %s may be read-only, and database %s on cluster %s is the move's unfinished copy. Undo it with: %s\n",
				m, m.Slug, m.ToDatabase, m.ToCluster, tenancy.AbandonCommand(m.Slug))
		}
	}
	return nil
}
