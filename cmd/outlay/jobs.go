package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5"

	"outlay/jobs"
)

const jobsUsage = "usage: outlay jobs list [--failed] [--limit N]"

func cmdJobs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return errors.New(jobsUsage)
	}
	var failed bool
	var limit int
	cfg, _, err := parseConfig("jobs list", args[1:], stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&failed, "failed", false, "only jobs that failed: given up, or waiting to retry")
		fs.IntVar(&limit, "limit", 50, "at most this many jobs, newest first")
	})
	if err != nil {
		return err
	}
	registry, err := openRegistry(ctx, cfg, stderr) // migrates the control plane, job tables included
	if err != nil {
		return err
	}
	registry.Close()
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	list, err := jobs.List(ctx, conn, failed, max(limit, 1))
	if err != nil {
		return err
	}
	if len(list) == 0 {
		if failed {
			fmt.Fprintln(stdout, "no failed jobs")
		} else {
			fmt.Fprintln(stdout, "no jobs")
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tTENANT\tSTATE\tATTEMPTS\tCREATED\tLAST ERROR")
	for _, j := range list {
		kind := j.Kind
		if id, ok := j.Args["mail_id"].(float64); ok {
			kind = fmt.Sprintf("%s (mail %d)", kind, int64(id))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, kind, j.Tenant, jobs.StateLabel(j.State), j.Attempt, j.MaxAttempts,
			j.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), oneLine(j.LastError, 100))
	}
	return tw.Flush()
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n-1] + "…"
	}
	return s
}
