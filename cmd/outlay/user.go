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

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/config"
	"outlay/jobs"
	"outlay/mail"
	"outlay/models"
	"outlay/tenancy"
	authviews "outlay/views/auth"
)

// The user commands are the operator's break-glass into a tenant's people: the same models
// calls, validation and effects as the /admin/users pages, for when nobody can sign in to
// use them, or for scripts.

func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if groupHelp(args, "user", "add, deactivate, reset-2fa", stdout) {
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return errors.New("usage: outlay user add|deactivate|reset-2fa")
	}
	// The audit log records the change as the operator's command, not an anonymous job's.
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "outlay user " + args[0]})
	switch args[0] {
	case "add":
		return cmdUserAdd(ctx, args[1:], stdout, stderr)
	case "deactivate":
		return cmdUserDeactivate(ctx, args[1:], stdout, stderr)
	case "reset-2fa":
		return cmdUserResetTwoFactor(ctx, args[1:], stdout, stderr)
	default:
		return fmt.Errorf("unknown user command %q (add, deactivate, reset-2fa)", args[0])
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
	t, err := registry.Find(slug, "change")
	if err != nil {
		return tenancy.Tenant{}, nil, nil, err
	}
	db, closeDB, err := tenancy.OpenOne(ctx, t, cfg.SecretKey)
	if err != nil {
		return tenancy.Tenant{}, nil, nil, err
	}
	if !t.Writable() {
		fmt.Fprintf(stderr, "note: tenant %s is %s, and its own admins cannot change it; this change is made as break-glass\n", t.Slug, t.Status)
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
		config.SecretVar(fs, &password, "password", os.Getenv("OUTLAY_USER_PASSWORD"), "their password (OUTLAY_USER_PASSWORD); without it they are invited and a set-password link is mailed and printed")
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
	in := models.NewUser{Email: email, Name: name, Password: password, Organisation: t.Name, Roles: roles}
	if password != "" {
		u, err := models.CreateUser(ctx, db, in)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "user %s added to %s with roles %s; they sign in at %s\n", u.Email, t.Slug, strings.Join(u.Roles, ", "), cfg.TenantURL(t.Slug, "/login"))
		return nil
	}
	var compose models.ComposeLinkMail
	if cfg.SMTPURL != "" {
		compose = func(u *models.User, token string) mail.Message {
			return mail.Invitation(u.Email, u.Name, t.Name, "", cfg.TenantURL(t.Slug, "/password/reset/"+token), models.InvitationTTL)
		}
	}
	u, token, mailID, err := models.InviteUserWithMail(ctx, db, models.ByOperator(), in, models.InvitationTTL, compose)
	if err != nil {
		return explain(err)
	}
	link := cfg.TenantURL(t.Slug, "/password/reset/"+token)
	fmt.Fprintf(stdout, "user %s invited to %s with roles %s\n", u.Email, t.Slug, strings.Join(u.Roles, ", "))
	fmt.Fprintf(stdout, "they choose a password at (valid 72 hours): %s\n", link)
	if mailID == 0 {
		fmt.Fprintln(stdout, "no OUTLAY_SMTP_URL is set, so no email was sent: pass them the link")
		return nil
	}
	queueInvitation(ctx, cfg, stdout, stderr, t.Slug, u.Email, mailID)
	return nil
}

// queueInvitation queues the delivery of a committed invitation, which the app servers' job
// workers send. The link is printed either way, and the outbox sweep sends the mail even if
// queueing fails here, so a failure only warns.
func queueInvitation(ctx context.Context, cfg *config.Config, stdout, stderr io.Writer, slug, email string, mailID int64) {
	q, err := jobs.Open(ctx, jobs.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err == nil {
		err = q.DeliverMail(ctx, slug, mailID)
		_ = q.Stop(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "warning: the invitation email is waiting in the outbox and goes out within minutes (%v)\n", err)
		return
	}
	fmt.Fprintf(stdout, "invitation email to %s queued; the app servers send it\n", email)
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

const userDeactivateUsage = "outlay user deactivate <slug> <email>"

func cmdUserDeactivate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, t, db, u, closeDB, err := tenantUser(ctx, "user deactivate", userDeactivateUsage, args, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
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

// tenantUser reads the settings, opens the tenant and finds the person a user command names by slug and email.
func tenantUser(ctx context.Context, name, usage string, args []string, stderr io.Writer) (*config.Config, tenancy.Tenant, *gorm.DB, *models.User, func(), error) {
	pos, args := leadingPositional(args)
	cfg, fs, err := parseConfig(name, args, stderr, nil)
	if err != nil {
		return nil, tenancy.Tenant{}, nil, nil, nil, err
	}
	slug, email, err := slugAndEmail(pos, fs, usage)
	if err != nil {
		return nil, tenancy.Tenant{}, nil, nil, nil, err
	}
	t, db, closeDB, err := openTenant(ctx, cfg, slug, stderr)
	if err != nil {
		return nil, tenancy.Tenant{}, nil, nil, nil, err
	}
	u, err := models.FindUserByEmail(ctx, db, email)
	if errors.Is(err, outlay.ErrNotFound) {
		err = fmt.Errorf("no user %q in tenant %s", email, t.Slug)
	}
	if err != nil {
		closeDB()
		return nil, tenancy.Tenant{}, nil, nil, nil, err
	}
	return cfg, t, db, u, closeDB, nil
}

const userResetTwoFactorUsage = "outlay user reset-2fa <slug> <email>"

// cmdUserResetTwoFactor is the operator's recovery for a person who lost their second factor
// (the break-glass admin, say, when no other admin can reset it): the same reset as the
// admin's button, recorded as the operator's.
func cmdUserResetTwoFactor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, t, db, u, closeDB, err := tenantUser(ctx, "user reset-2fa", userResetTwoFactorUsage, args, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	// The person is told by mail, which the app servers send from the outbox.
	forgot := cfg.TenantURL(t.Slug, authviews.ForgotPath)
	err = models.ResetTwoFactor(ctx, db, models.ByOperator(), u.ID, &models.SecurityNotices{Compose: func(u *models.User, e mail.SecurityEvent) mail.Message {
		return mail.SecurityNotice(u.Email, u.Name, t.Name, forgot, e)
	}})
	if v, ok := outlay.AsValidation(err); ok {
		return fmt.Errorf("refused: %s", v["two_factor"])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "two-factor sign-in of %s in %s reset: their sessions are ended, and they set it up again at their next sign-in; an email waiting in the outbox tells them\n", u.Email, t.Slug)
	return nil
}
