package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/config"
	"outlay/mail"
	"outlay/models"
	"outlay/tenancy"
)

// The user commands are the operator's break-glass into a tenant's people: the same models
// calls, validation and effects as the /admin/users pages, for when nobody can sign in to
// use them, or for scripts.

func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: outlay user add|deactivate")
	}
	switch args[0] {
	case "add":
		return cmdUserAdd(ctx, args[1:], stdout, stderr)
	case "deactivate":
		return cmdUserDeactivate(ctx, args[1:], stdout, stderr)
	default:
		return fmt.Errorf("unknown user command %q (add, deactivate)", args[0])
	}
}

// leadingPositional takes the arguments before the first flag, so that an operator can
// write the slug and email before or after the flags.
func leadingPositional(args []string) (pos, rest []string) {
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	return pos, args
}

// slugAndEmail reads the two positional arguments of a user command.
func slugAndEmail(pos []string, fs *flag.FlagSet, usage string) (string, string, error) {
	pos = append(pos, fs.Args()...)
	if len(pos) != 2 {
		return "", "", errors.New("usage: " + usage)
	}
	return pos[0], pos[1], nil
}

// openTenant opens one tenant's database by slug. A suspended or lapsed tenant is still
// opened: break-glass is for exactly such days.
func openTenant(ctx context.Context, cfg *config.Config, slug string, stderr io.Writer) (tenancy.Tenant, *gorm.DB, func(), error) {
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return tenancy.Tenant{}, nil, nil, err
	}
	defer registry.Close()
	t, ok := registry.Lookup(slug)
	if !ok || t.Status == tenancy.StatusProvisioning || t.Status == tenancy.StatusPurged {
		return tenancy.Tenant{}, nil, nil, fmt.Errorf("no tenant %q (outlay tenant list shows them)", slug)
	}
	db, closeDB, err := tenancy.OpenOne(ctx, t)
	if err != nil {
		return tenancy.Tenant{}, nil, nil, err
	}
	return t, db, closeDB, nil
}

const userAddUsage = "outlay user add <slug> <email> --name NAME --role ROLE[,ROLE] [--password P]"

func cmdUserAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pos, args := leadingPositional(args)
	var name, roleList, password string
	cfg, fs, err := parseConfig("user add", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "the person's name (required)")
		fs.StringVar(&roleList, "role", "", "comma-separated role names, e.g. admin or requester,approver (required)")
		fs.StringVar(&password, "password", os.Getenv("OUTLAY_USER_PASSWORD"), "their password (OUTLAY_USER_PASSWORD); without it they are invited and a set-password link is mailed and printed")
	})
	if err != nil {
		return err
	}
	slug, email, err := slugAndEmail(pos, fs, userAddUsage)
	if err != nil {
		return err
	}
	var roles []string
	for _, r := range strings.Split(roleList, ",") {
		if r = strings.TrimSpace(r); r != "" {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return errors.New("--role is required (for example --role admin)")
	}
	t, db, closeDB, err := openTenant(ctx, cfg, slug, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := checkRoleNames(ctx, db, roles); err != nil {
		return err
	}
	in := models.NewUser{Email: email, Name: name, Password: password, Roles: roles}
	if password != "" {
		u, err := models.CreateUser(ctx, db, in)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "user %s added to %s with roles %s; they sign in at %s\n", u.Email, t.Slug, strings.Join(u.Roles, ", "), cfg.TenantURL(t.Slug, "/login"))
		return nil
	}
	u, token, err := models.InviteUser(ctx, db, models.ByOperator(), in, models.InvitationTTL)
	if err != nil {
		return explain(err)
	}
	link := cfg.TenantURL(t.Slug, "/password/reset/"+token)
	fmt.Fprintf(stdout, "user %s invited to %s with roles %s\n", u.Email, t.Slug, strings.Join(u.Roles, ", "))
	fmt.Fprintf(stdout, "they choose a password at (valid 72 hours): %s\n", link)
	sendInvitation(ctx, cfg, stdout, stderr, mail.Invitation(u.Email, u.Name, t.Name, "", link, models.InvitationTTL))
	return nil
}

// checkRoleNames refuses role names the tenant does not have, listing those it has.
func checkRoleNames(ctx context.Context, db *gorm.DB, names []string) error {
	roles, err := models.Roles(ctx, db)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	var all []string
	for _, r := range roles {
		known[r.Name] = true
		all = append(all, r.Name)
	}
	for _, n := range names {
		if !known[n] {
			return fmt.Errorf("unknown role %q; this tenant's roles are: %s", n, strings.Join(all, ", "))
		}
	}
	return nil
}

// sendInvitation mails the invitation when an SMTP server is configured. The link is printed
// either way, so a failed send only warns.
func sendInvitation(ctx context.Context, cfg *config.Config, stdout, stderr io.Writer, m mail.Message) {
	if cfg.SMTPURL == "" {
		fmt.Fprintln(stdout, "no OUTLAY_SMTP_URL is set, so no email was sent: pass them the link")
		return
	}
	mailer, err := mail.New(cfg.SMTPURL, cfg.MailFrom, slog.New(slog.NewTextHandler(stderr, nil)))
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err = mailer.Send(sendCtx, m)
	}
	if err != nil {
		fmt.Fprintf(stderr, "warning: the invitation email was not sent (%v); pass them the link\n", err)
		return
	}
	fmt.Fprintf(stdout, "invitation emailed to %s\n", m.To)
}

const userDeactivateUsage = "outlay user deactivate <slug> <email>"

func cmdUserDeactivate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pos, args := leadingPositional(args)
	cfg, fs, err := parseConfig("user deactivate", args, stderr, nil)
	if err != nil {
		return err
	}
	slug, email, err := slugAndEmail(pos, fs, userDeactivateUsage)
	if err != nil {
		return err
	}
	t, db, closeDB, err := openTenant(ctx, cfg, slug, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	u, err := models.FindUserByEmail(ctx, db, email)
	if errors.Is(err, outlay.ErrNotFound) {
		return fmt.Errorf("no user %q in tenant %s", email, t.Slug)
	}
	if err != nil {
		return err
	}
	if u.Status == models.UserDeactivated {
		fmt.Fprintf(stdout, "user %s of %s is already deactivated; nothing changed\n", u.Email, t.Slug)
		return nil
	}
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), u.ID); err != nil {
		if errors.Is(err, models.ErrLastRoleEditor) {
			return fmt.Errorf("refused: %s is the last active person who can edit roles. %w", u.Email, err)
		}
		return err
	}
	fmt.Fprintf(stdout, "user %s of %s deactivated: their sessions are ended, their API tokens revoked, and they can no longer sign in\n", u.Email, t.Slug)
	return nil
}
