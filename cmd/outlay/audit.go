package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/config"
	"outlay/tenancy"
)

const (
	auditVerifyUsage = "usage: outlay audit verify <slug> [--head] [--signed-head LINE]"
	auditHeadUsage   = "usage: outlay audit head <slug>"
)

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if groupHelp(args, "audit", "verify, head", stdout) {
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return errors.New(auditVerifyUsage + "\n       " + auditHeadUsage)
	}
	switch args[0] {
	case "verify":
		return cmdAuditVerify(ctx, args[1:], stdout, stderr)
	case "head":
		return cmdAuditHead(ctx, args[1:], stdout, stderr)
	default:
		return fmt.Errorf("unknown audit command %q (verify, head)", args[0])
	}
}

// auditLog is one tenant's audit log opened for an operator command, with its chain key.
type auditLog struct {
	slug     string
	cfg      *config.Config
	registry *tenancy.Registry
	db       *gorm.DB
	key      []byte
	close    func()
}

func openAuditLog(ctx context.Context, name, usage string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*auditLog, error) {
	slug, args := splitPositional(args)
	cfg, fs, err := parseConfig(name, args, stderr, extra)
	if err != nil {
		return nil, err
	}
	if slug == "" && fs.NArg() > 0 {
		slug = fs.Arg(0)
	}
	if slug == "" {
		return nil, errors.New(usage)
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return nil, err
	}
	key, err := audit.TenantKey(cfg.SecretKey, slug)
	if err != nil {
		return nil, err
	}
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return nil, err
	}
	t, err := registry.Find(slug, "verify")
	if err != nil {
		registry.Close()
		return nil, err
	}
	db, closeDB, err := tenancy.OpenOne(ctx, t, cfg.SecretKey)
	if err != nil {
		registry.Close()
		return nil, err
	}
	return &auditLog{slug: slug, cfg: cfg, registry: registry, db: db, key: key, close: func() { closeDB(); registry.Close() }}, nil
}

// verify walks the chain; a broken one is reported on w and fails the command.
func (l *auditLog) verify(ctx context.Context, w io.Writer) (audit.Result, error) {
	res, err := audit.Verify(ctx, l.db, l.key)
	if err != nil {
		return res, err
	}
	if !res.Intact() {
		fmt.Fprintf(w, "audit log of %s: BROKEN: row %d %s: %s\n", l.slug, res.BadID, res.Problem, res.Detail)
		return res, errSilent
	}
	return res, nil
}

// cmdAuditVerify walks a tenant's audit log chain, checking every row's hash and keyed hash.
// It exits non-zero when a row was altered, removed or inserted out of order, naming the
// first; and, against the head the control plane recorded (unless --head=false) and a head
// printed earlier by `outlay audit head`, also when the newest rows were cut off or the log
// was rewritten up to that head: the chain alone cannot show rows cut off its end.
func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var withHead bool
	var signedHead string
	l, err := openAuditLog(ctx, "audit verify", auditVerifyUsage, args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&withHead, "head", true, "also compare with the head recorded in the control plane (--head=false checks the chain alone)")
		fs.StringVar(&signedHead, "signed-head", "", "also compare with a head printed by `outlay audit head` (the whole line)")
	})
	if err != nil {
		return err
	}
	defer l.close()
	res, err := l.verify(ctx, stdout)
	if err != nil {
		return err
	}
	keyed := "no row is keyed yet"
	if res.KeyedFrom > 0 {
		keyed = fmt.Sprintf("keyed from row %d", res.KeyedFrom)
	}
	fmt.Fprintf(stdout, "audit log of %s: %d rows, chain intact, %s\n", l.slug, res.Rows, keyed)
	fmt.Fprintf(stdout, "head: row %d, hash %x\n", res.HeadID, res.HeadHash)

	var heads []audit.Head
	var names []string
	if withHead {
		h, ok, err := l.registry.AuditHead(ctx, l.slug, l.cfg.SecretKey)
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "audit log of %s: BROKEN: %v\n", l.slug, err)
			return errSilent
		case !ok:
			fmt.Fprintf(stdout, "no head of %s is recorded in the control plane yet\n", l.slug)
		default:
			heads, names = append(heads, h), append(names, "the control plane's head")
		}
	}
	if signedHead != "" {
		h, err := audit.ParseSignedHead(l.cfg.SecretKey, signedHead)
		if err == nil && h.Slug != l.slug {
			err = fmt.Errorf("the head is of tenant %s", h.Slug)
		}
		if err != nil {
			fmt.Fprintf(stdout, "audit log of %s: the signed head is refused: %v\n", l.slug, err)
			return errSilent
		}
		heads, names = append(heads, h), append(names, "the signed head")
	}
	for i, h := range heads {
		problem, err := audit.CheckHead(ctx, l.db, res, h)
		if err != nil {
			return err
		}
		if problem != "" {
			fmt.Fprintf(stdout, "audit log of %s: BROKEN: %s\n", l.slug, problem)
			return errSilent
		}
		fmt.Fprintf(stdout, "%s matches: row %d at %s\n", names[i], h.ID, h.At.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return nil
}

// cmdAuditHead verifies a tenant's audit log, records its head in the control plane and
// prints it signed, as one line to keep outside the database.
func cmdAuditHead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	l, err := openAuditLog(ctx, "audit head", auditHeadUsage, args, stderr, nil)
	if err != nil {
		return err
	}
	defer l.close()
	if _, err := l.verify(ctx, stderr); err != nil {
		return err
	}
	_, signed, err := l.registry.RecordAuditHead(ctx, l.db, l.slug, l.cfg.SecretKey)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, signed)
	return nil
}
