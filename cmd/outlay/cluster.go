package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"outlay/tenancy"
)

const clusterUsage = "usage: outlay cluster add NAME DSN | outlay cluster list"

// cmdCluster registers and lists the Postgres clusters tenant databases are placed on.
func cmdCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if groupHelp(args, "cluster", "add, list", stdout) {
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return errors.New(clusterUsage)
	}
	switch args[0] {
	case "add":
		return cmdClusterAdd(ctx, args[1:], stdout, stderr)
	case "list":
		return cmdClusterList(ctx, args[1:], stdout, stderr)
	default:
		return fmt.Errorf("unknown cluster command %q (add, list)", args[0])
	}
}

func cmdClusterAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name, args := splitPositional(args)
	dsn, args := splitPositional(args)
	cfg, fs, err := parseConfig("cluster add", args, stderr, nil)
	if err != nil {
		return err
	}
	rest := fs.Args()
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if dsn == "" && len(rest) > 0 {
		dsn = rest[0]
	}
	if name == "" || dsn == "" {
		return errors.New("usage: outlay cluster add NAME DSN (DSN: postgres://user:password@host:5432/postgres, a user who may create databases)")
	}
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer registry.Close()
	c, err := registry.AddCluster(ctx, name, dsn)
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(stdout, "cluster %s added: %s\n", c.ID, tenancy.RedactDSN(c.DSN))
	return nil
}

func cmdClusterList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseConfig("cluster list", args, stderr, nil)
	if err != nil {
		return err
	}
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer registry.Close()
	clusters, err := registry.Clusters(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CLUSTER\tTENANTS\tDSN")
	for _, c := range clusters {
		fmt.Fprintf(w, "%s\t%d\t%s\n", c.ID, c.Tenants, tenancy.RedactDSN(c.DSN))
	}
	return w.Flush()
}
