// Command outlay is the whole product in one binary: the web server, the demo, and the
// operator's commands for migrations, tenants, their people and audit logs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Outlay: self-hosted spend management.

Usage:
  outlay serve                    serve the web app (needs OUTLAY_DATABASE_URL, OUTLAY_SECRET_KEY)
  outlay demo                     run with an embedded database and sample tenants acme and globex
  outlay migrate                  migrate the control plane and every tenant database
  outlay tenant create <slug> --name NAME --admin-email EMAIL [--admin-name NAME] [--admin-password P] [--cluster NAME]
  outlay tenant list              list tenants, with any move of one running or interrupted
  outlay tenant export <slug> --to FILE|URL
                                  write the tenant's whole archive (every table, its attachments,
                                  a manifest of checksums and the audit head) to a file or bucket
  outlay tenant import-archive <slug> FILE
                                  create tenant slug from an archive, after checking every file
                                  against the manifest and the audit log against its head
  outlay cluster add NAME DSN     register a Postgres cluster for tenant databases
  outlay cluster list             list clusters with how many tenants each holds
  outlay tenant backup <slug> [--to URL]
                                  pg_dump the tenant, with its attachment list and a manifest, to the blob store
  outlay tenant backups <slug>    list a tenant's backups
  outlay tenant restore <slug> --from BACKUP [--cluster NAME] [--as NEW-SLUG]
                                  restore into a new database, check it, then switch the tenant (or make NEW-SLUG)
  outlay tenant move <slug> --cluster NAME
                                  move a tenant to another cluster (read-only meanwhile)
  outlay tenant move <slug> --abandon
                                  undo a move that was interrupted (killed, its machine gone): the
                                  tenant writable where it was, the database the move left dropped
  outlay tenant clone-sanitized <slug> --as NEW-SLUG [--cluster NAME]
                                  copy a tenant for staging with its personal data replaced by
                                  fakes (the same each time), files by placeholders, passwords
                                  and sessions dropped and the audit log re-chained; the copy is
                                  kept only if no original email, name or phone is left in it
  outlay tenant suspend <slug>    refuse every sign-in and end its sessions
  outlay tenant lapse <slug> [--by NAME]
                                  make it read-only: its people may sign in and export for
                                  OUTLAY_PURGE_AFTER_DAYS (90) days, then it is purged
  outlay tenant reactivate <slug> make a suspended or lapsed tenant active again
  outlay tenant purge <slug> [--force]
                                  delete a lapsed tenant's database, attachments and backups,
                                  keeping a purge record; before its window ends only with
                                  --force and the slug typed again
  outlay user add <slug> <email> --name NAME --role ROLE[,ROLE] [--password P]
                                  add a person to a tenant (without a password: invite them)
  outlay user deactivate <slug> <email>
                                  end a person's sessions and API tokens and stop their sign-in
  outlay user reset-2fa <slug> <email>
                                  remove a person's second factor and end their sessions; they
                                  enrol again at their next sign-in
  outlay import <slug> <kind> FILE [--dry-run]
                                  import setup data from CSV or XLSX (kinds: users, departments,
                                  locations, vendors, gl-accounts, budgets, expense-categories,
                                  approval-rules), all or nothing; --dry-run only checks
  outlay sso set <slug> <name> --issuer URL --client-id ID --client-secret S [--domains a.com,b.com] [--jit-role ROLE]
                                  add or change a tenant's OpenID Connect provider (as its /admin/sso page does)
  outlay sso list <slug>          list a tenant's SSO providers and sign-in policy
  outlay jobs list [--failed]     list background jobs (sending mail, ...), newest first; --failed
                                  shows those given up and those waiting to retry, with their error
  outlay audit verify <slug> [--head=false] [--signed-head LINE]
                                  check a tenant's audit log: exits 1 naming the first altered,
                                  removed or out-of-order row, or when the newest rows were cut
                                  off since the head the control plane recorded or a printed one
  outlay audit head <slug>        record a tenant's audit head and print it signed, to keep
                                  outside the database

Every command takes -h for its flags. Settings come from OUTLAY_* variables or flags.
`

func main() {
	// A hang-up (the operator's SSH session dropped) stops a command as Ctrl-C does, so that a
	// tenant move or restore cut off that way undoes its half-made change; started under nohup
	// (SIGHUP ignored), it stays ignored.
	signals := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		signals = append(signals, syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), signals...)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr)
	case "tenant":
		err = cmdTenant(ctx, args[1:], stdout, stderr)
	case "user":
		err = cmdUser(ctx, args[1:], stdout, stderr)
	case "cluster":
		err = cmdCluster(ctx, args[1:], stdout, stderr)
	case "import":
		err = cmdImport(ctx, args[1:], stdout, stderr)
	case "sso":
		err = cmdSSO(ctx, args[1:], stdout, stderr)
	case "audit":
		err = cmdAudit(ctx, args[1:], stdout, stderr)
	case "jobs":
		err = cmdJobs(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "outlay: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0 // -h: the flag set has printed the command's flags, as asked
	}
	if err != nil {
		if err != errSilent {
			fmt.Fprintf(stderr, "outlay %s: %v\n", args[0], err)
		}
		return 1
	}
	return 0
}

// errSilent fails a command whose output already said what went wrong.
var errSilent = fmt.Errorf("failed")

// groupHelp answers -h (or --help, or help) given to a group of commands, such as outlay
// tenant -h: the group's commands, each of which takes -h for its own flags.
func groupHelp(args []string, group, commands string, stdout io.Writer) bool {
	if len(args) == 0 || (args[0] != "-h" && args[0] != "--help" && args[0] != "help") {
		return false
	}
	fmt.Fprintf(stdout, "usage: outlay %s <command> [flags] [arguments]\ncommands: %s\nEach command takes -h for its own flags.\n", group, commands)
	return true
}
