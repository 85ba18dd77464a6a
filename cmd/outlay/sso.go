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
	"text/tabwriter"

	"gorm.io/gorm"

	"outlay"
	"outlay/auth"
	"outlay/auth/sso"
	"outlay/config"
	"outlay/models"
	"outlay/outbound"
	"outlay/tenancy"
)

func cmdSSO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if groupHelp(args, "sso", "set, list", stdout) {
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return errors.New("usage: outlay sso set|list <slug> …")
	}
	switch args[0] {
	case "set":
		return cmdSSOSet(ctx, args[1:], stdout, stderr)
	case "list":
		return cmdSSOList(ctx, args[1:], stdout, stderr)
	default:
		return fmt.Errorf("unknown sso command %q (set, list)", args[0])
	}
}

// openTenantDB opens one tenant's database for an operator command.
func openTenantDB(ctx context.Context, cfg *config.Config, slug string, stderr io.Writer) (*gorm.DB, func(), error) {
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return nil, nil, err
	}
	t, err := registry.Find(slug, "read or change")
	registry.Close()
	if err != nil {
		return nil, nil, err
	}
	return tenancy.OpenOne(ctx, t, cfg.SecretKey)
}

const ssoSetUsage = "usage: outlay sso set <slug> <name> --issuer URL --client-id ID --client-secret S [--label L] [--domains a.com,b.com] [--jit-role ROLE | --no-jit] [--disabled]"

// cmdSSOSet creates or updates a tenant's OpenID Connect provider, with the validation of
// the admin page (including reading the issuer's discovery document). On an update, flags
// left out keep their stored values; the secret may come from OUTLAY_SSO_CLIENT_SECRET so
// that it stays out of the shell's history.
func cmdSSOSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, args := splitPositional(args)
	name, args := splitPositional(args)
	var issuer, clientID, secret, label, domains, jitRole string
	var disabled, noJIT bool
	cfg, fs, err := parseConfig("sso set", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&issuer, "issuer", "", "the provider's issuer URL (required for a new provider)")
		fs.StringVar(&clientID, "client-id", "", "the client ID the provider issued (required for a new provider)")
		config.SecretVar(fs, &secret, "client-secret", os.Getenv("OUTLAY_SSO_CLIENT_SECRET"), "the client secret (OUTLAY_SSO_CLIENT_SECRET); left out, the stored one is kept")
		fs.StringVar(&label, "label", "", "the sign-in button's label (default: the name)")
		fs.StringVar(&domains, "domains", "", "comma-separated allowed email domains (\"\" for any)")
		fs.StringVar(&jitRole, "jit-role", "", "create accounts for new people at allowed domains with this role")
		fs.BoolVar(&noJIT, "no-jit", false, "stop creating accounts for new people")
		fs.BoolVar(&disabled, "disabled", false, "keep the provider off the sign-in page (without it, set enables it)")
	})
	if err != nil {
		return err
	}
	for _, p := range []*string{&slug, &name} {
		if *p == "" && fs.NArg() > 0 {
			*p, args = fs.Arg(0), fs.Args()[1:]
			if err := fs.Parse(args); err != nil {
				return err
			}
		}
	}
	if slug == "" || name == "" {
		return errors.New(ssoSetUsage)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	rules, err := ssoRules(cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	db, closeDB, err := openTenantDB(ctx, cfg, slug, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	in := models.SSOProviderInput{Kind: models.SSOKindOIDC, Name: name, Label: strings.ToUpper(name[:1]) + name[1:], Issuer: issuer, ClientID: clientID,
		ClientSecret: secret, Domains: domains, JIT: jitRole != "", JITRole: jitRole, Enabled: !disabled}
	if given["label"] {
		in.Label = label
	}
	var id int64
	existing, err := models.FindSSOProvider(ctx, db, strings.ToLower(name))
	switch {
	case err == nil:
		if existing.Kind != models.SSOKindOIDC {
			return fmt.Errorf("%s is the built-in %s provider; change it on the tenant's /admin/sso page", existing.Name, models.SSOKindLabel(existing.Kind))
		}
		id = existing.ID
		keep := func(flagName string, dst *string, stored string) {
			if !given[flagName] {
				*dst = stored
			}
		}
		keep("issuer", &in.Issuer, existing.Issuer)
		keep("client-id", &in.ClientID, existing.ClientID)
		keep("label", &in.Label, existing.Label)
		keep("domains", &in.Domains, existing.AllowedDomains.String())
		if !given["jit-role"] && !noJIT && existing.JITEnabled && existing.JITRole != nil {
			in.JIT, in.JITRole = true, *existing.JITRole
		}
	case !errors.Is(err, outlay.ErrNotFound):
		return err
	}
	if noJIT {
		in.JIT, in.JITRole = false, ""
	}
	p, err := models.SaveSSOProvider(ctx, db, id, in, rules)
	if err != nil {
		return explain(err)
	}
	// Running servers drop the providers they built, as after an admin's save.
	registry, err := openRegistry(ctx, cfg, stderr)
	if err == nil {
		err = registry.Announce(ctx, tenancy.ChangeSSO, slug)
		registry.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "warning: running servers were not told of the change (%v); each still picks up changed settings at its next sign-in\n", err)
	}
	verb := "updated"
	if id == 0 {
		verb = "created"
	}
	fmt.Fprintf(stdout, "%s: provider %s %s (%s)\n", slug, p.Name, verb, enabledWord(p.Enabled))
	fmt.Fprintf(stdout, "register this redirect URI with the provider: %s\n", cfg.TenantURL(slug, "/auth/"+p.Name+"/callback"))
	return nil
}

// ssoRules are the rules the admin page saves providers under.
func ssoRules(cfg *config.Config, logger *slog.Logger) (models.SSORules, error) {
	if err := cfg.RequireSecretKey(); err != nil {
		return models.SSORules{}, fmt.Errorf("%w (client secrets are stored encrypted with it; use the servers' key)", err)
	}
	box, err := auth.NewSecretBox(cfg.SecretKey, models.SSOSecretPurpose)
	if err != nil {
		return models.SSORules{}, err
	}
	hc := outbound.ForConfig(cfg)
	return models.SSORules{Box: box, AllowHTTPIssuers: cfg.SSOAllowHTTPIssuers, Google: cfg.GoogleSSO(), Microsoft: cfg.MicrosoftSSO(),
		Grantor: models.ByOperator(), CheckIssuer: func(ctx context.Context, issuer string) error { return sso.CheckIssuer(ctx, hc, logger, issuer) }}, nil
}

func enabledWord(on bool) string {
	if on {
		return "enabled"
	}
	return "disabled"
}

// cmdSSOList prints a tenant's providers and sign-in policy. Secrets are never printed.
func cmdSSOList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, args := splitPositional(args)
	cfg, fs, err := parseConfig("sso list", args, stderr, nil)
	if err != nil {
		return err
	}
	if slug == "" && fs.NArg() > 0 {
		slug = fs.Arg(0)
	}
	if slug == "" {
		return errors.New("usage: outlay sso list <slug>")
	}
	db, closeDB, err := openTenantDB(ctx, cfg, slug, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	providers, err := models.SSOProviders(ctx, db)
	if err != nil {
		return err
	}
	var box *auth.SecretBox
	if len(cfg.SecretKey) > 0 {
		box, _ = auth.NewSecretBox(cfg.SecretKey, models.SSOSecretPurpose)
	}
	if len(providers) == 0 {
		fmt.Fprintf(stdout, "%s has no SSO providers; add one with: %s\n", slug, strings.TrimPrefix(ssoSetUsage, "usage: "))
	} else {
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tKIND\tLABEL\tSTATUS\tISSUER\tCLIENT ID\tSECRET\tDOMAINS\tNEW PEOPLE\tCALLBACK")
		for _, p := range providers {
			issuer, clientID, secret := p.Issuer, p.ClientID, "—"
			switch p.Kind {
			case models.SSOKindGoogle:
				issuer, clientID = cfg.GoogleIssuer, "(deployment)"
			case models.SSOKindMicrosoft:
				issuer, clientID = strings.TrimSuffix(cfg.MicrosoftAuthority, "/")+"/"+p.EntraTenantID+"/v2.0", "(deployment)"
			}
			if p.HasSecret() {
				secret = "set"
				if box == nil {
					secret = "set (no OUTLAY_SECRET_KEY to check it)"
				} else if _, err := p.ClientSecret(box); err != nil {
					secret = "UNREADABLE with this OUTLAY_SECRET_KEY"
				}
			}
			domains, newPeople := p.AllowedDomains.String(), "refused"
			if domains == "" {
				domains = "any"
			}
			if p.JITEnabled && p.JITRole != nil {
				newPeople = "created as " + *p.JITRole
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Kind, p.Label, enabledWord(p.Enabled), issuer, clientID,
				secret, domains, newPeople, cfg.TenantURL(slug, "/auth/"+p.Name+"/callback"))
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	settings, err := models.GetSSOSettings(ctx, db)
	if err != nil {
		return err
	}
	policy := "password sign-in allowed"
	if settings.RequireSSO {
		policy = "SSO required"
	}
	if settings.BreakGlassUserID != nil {
		var email string
		if err := db.WithContext(ctx).Model(&models.User{}).Where("id = ?", *settings.BreakGlassUserID).Pluck("email", &email).Error; err != nil {
			return err
		}
		policy += "; break-glass admin " + email
	}
	fmt.Fprintf(stdout, "policy: %s\n", policy)
	return nil
}
