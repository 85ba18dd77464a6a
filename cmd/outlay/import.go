package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"outlay"
	"outlay/audit"
	"outlay/mail"
	"outlay/models"
	"outlay/sheet"
)

const importUsage = "outlay import <slug> <kind> FILE [--dry-run]"

// cmdImport imports setup data into a tenant from a CSV or XLSX file, as /admin/import does:
// the same checks, the same all-or-nothing commit, recorded as the operator's import.
func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pos, args := leadingPositional(args)
	var dryRun bool
	cfg, fs, err := parseConfig("import", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&dryRun, "dry-run", false, "check every row and print what would change, writing nothing")
	})
	if err != nil {
		return err
	}
	pos = append(pos, fs.Args()...)
	if len(pos) != 3 {
		return fmt.Errorf("usage: %s\nkinds: %s", importUsage, models.ImportKindNames())
	}
	slug, kindName, path := pos[0], pos[1], pos[2]
	k, ok := models.FindImportKind(kindName)
	if !ok {
		return fmt.Errorf("unknown kind %q; kinds: %s", kindName, models.ImportKindNames())
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := sheet.Read(f, filepath.Base(path), sheet.DefaultLimits)
	if msg, ok := sheet.IsFileError(err); ok {
		return fmt.Errorf("%s: %s", path, msg)
	}
	if err != nil {
		return err
	}
	tenant, db, closeDB, err := openTenant(ctx, cfg, slug, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	// As on the web page: a lapsed or suspended organisation's data is not changed.
	if !dryRun && !tenant.Writable() {
		return fmt.Errorf("tenant %q is %s: its data is not changed until it is reactivated (outlay tenant reactivate %s); nothing was imported", slug, tenant.Status, slug)
	}
	ref := make([]byte, 6)
	rand.Read(ref)
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "outlay import"})
	ctx = models.ImportActor(ctx, "cli-"+hex.EncodeToString(ref))
	plan := k.DetectPlan(t.Rows)
	fmt.Fprintf(stdout, "%s: %s", path, t.Format.Label())
	if t.Format == sheet.CSV {
		fmt.Fprintf(stdout, " (%s, %s-separated)", t.Encoding, sheet.DelimiterName(t.Delimiter))
	}
	fmt.Fprintf(stdout, ", %s\n", outlay.Plural(len(t.Rows)-plan.HeaderRow-1, "row", "rows"))
	// New people are sent their invitations, and an invited person given more access than
	// their set-password link was made for a new one, as from the web page; the outbox sweep
	// of the running server sends them.
	invite := func(u *models.User, token string) mail.Message {
		return mail.Invitation(u.Email, u.Name, tenant.Name, "", cfg.TenantURL(slug, "/password/reset/"+token), models.InvitationTTL)
	}
	res, err := models.RunImport(ctx, db, k, t.Rows, t.Lines, plan, models.ImportOptions{DryRun: dryRun, Grantor: models.ByOperator(),
		Source: filepath.Base(path), Separator: t.Delimiter, Invite: invite})
	if res != nil {
		printImportErrors(stdout, k, res)
	}
	if err == nil {
		printReinvited(stdout, res, dryRun)
	}
	switch {
	case errors.Is(err, models.ErrImportRefused):
		fmt.Fprintf(stdout, "%s of %s refused; nothing was written\n", outlay.Count(res.Refused), outlay.Plural(res.Rows, "row", "rows"))
		return errSilent
	case err != nil:
		return explain(err)
	case dryRun:
		fmt.Fprintf(stdout, "dry run: would create %d, update %d, leave %d unchanged; nothing was written\n", res.Created, res.Updated, res.Unchanged)
	default:
		fmt.Fprintf(stdout, "%s imported into %s: %d created, %d updated, %d unchanged\n", k.Label, slug, res.Created, res.Updated, res.Unchanged)
	}
	switch {
	case res.Invited > 0 && dryRun:
		fmt.Fprintf(stdout, "each new person (%d) would be sent an invitation to set a password\n", res.Invited)
	case res.Invited > 0:
		fmt.Fprintf(stdout, "each new person (%d) is sent an invitation to set a password: it waits in the outbox, which a running outlay serve sends within a minute\n", res.Invited)
	}
	return nil
}

// printImportErrors prints each refused row's problems, a line each: "line 7: email: ...".
func printImportErrors(w io.Writer, k *models.ImportKind, res *models.ImportResult) {
	for _, r := range res.Sample {
		if r.Outcome != models.ImportRefused {
			continue
		}
		cols := make([]string, 0, len(r.Errors))
		for c := range r.Errors {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		for _, c := range cols {
			label := "row"
			if col, ok := k.Column(c); ok {
				label = col.Label
			}
			fmt.Fprintf(w, "line %d: %s: %s\n", r.Line, label, r.Errors[c])
		}
	}
}

// printReinvited prints, a line each, the invited people the import gave (dry: would give)
// more access than their set-password links were made for, and what became of their new
// invitations.
func printReinvited(w io.Writer, res *models.ImportResult, dry bool) {
	for _, r := range res.Reinvited {
		given, what := "was given", "their set-password link no longer works; a new invitation was sent"
		switch {
		case dry:
			given, what = "would be given", "their set-password link would stop working; a new invitation would be sent"
		case r.Refusal != "":
			what = "their set-password link no longer works. " + r.Refusal
		}
		fmt.Fprintf(w, "line %d: %s (%s) %s more access: %s\n", r.Line, r.Name, r.Email, given, what)
	}
}
