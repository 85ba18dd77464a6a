package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run measured.
type Report struct {
	Started   time.Time
	Took      time.Duration
	Machine   string
	Commit    string
	Volume    Volume
	SeedTook  time.Duration
	Healthz   Result
	Pages     []PageRow
	SingleRSS int64
	Audit     AuditCost
	// RoundRobin and Migrate are nil when not run.
	RoundRobin *RoundRobin
	Migrate    *MigrateTiming
}

// PageRow is one page through the server and, for reads, its SQL replayed raw.
type PageRow struct {
	Name, Path string
	Page       Result
	SQL        *Result
	Statements int   // statements recorded for one fetch of the page
	Counted    int64 // statements the connection counted (more: some bypassed GORM)
}

// RoundRobin is the many-tenants part.
type RoundRobin struct {
	Tenants   int
	Created   int           // databases created for this run (the others were kept from before)
	ReadyTook time.Duration // creating the missing tenants and readying the others
	Single    Result        // one tenant's dashboard, same server
	First     Result        // each tenant's dashboard once, opening its handle
	Floor     Result        // the dashboard's SQL on a new connection per request, round-robin
	Many      Result        // every tenant's dashboard, round-robin
	MaxConns  int           // most connections to the bench's databases seen (pg_stat_activity)
	MaxRSS    int64
}

// MigrateTiming is `outlay migrate` across many tenants.
type MigrateTiming struct {
	Tenants   int
	Newest    string
	Parallel  int
	ReadyTook time.Duration // readying the tenants beforehand (not part of the timing)
	Apply     time.Duration // applying the newest migration to each
	Noop      time.Duration // again, with nothing to apply
}

func ms(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
}

// pct is a as a percentage of b (0 when b is 0).
func pct(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return 100 * a / b
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

func (r Result) errs() string {
	if r.Errors == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", r.Errors, r.FirstErr)
}

// rows is the table of pages: one row per page with its floors.
func (rep *Report) rows() [][]string {
	out := [][]string{{"page", "path", "req/s", "p50", "p99", "KB", "errors", "SQL req/s", "SQL p50", "SQL p99", "stmts", "page/SQL"}}
	hz := rep.Healthz
	out = append(out, []string{"floor: /healthz", "/healthz", fmt.Sprintf("%.0f", hz.PerSecond()), ms(hz.P50), ms(hz.P99), "", hz.errs(), "", "", "", "", ""})
	for _, p := range rep.Pages {
		row := []string{p.Name, p.Path, fmt.Sprintf("%.0f", p.Page.PerSecond()), ms(p.Page.P50), ms(p.Page.P99),
			fmt.Sprintf("%.1f", float64(p.Page.Bytes)/1024), p.Page.errs()}
		if p.SQL != nil {
			stmts := fmt.Sprint(p.Statements)
			if p.Counted > int64(p.Statements) {
				stmts += fmt.Sprintf(" (%d sent)", p.Counted)
			}
			ratio := "—"
			if p.SQL.PerSecond() > 0 {
				ratio = fmt.Sprintf("%.0f%%", 100*p.Page.PerSecond()/p.SQL.PerSecond())
			}
			row = append(row, fmt.Sprintf("%.0f", p.SQL.PerSecond()), ms(p.SQL.P50), ms(p.SQL.P99), stmts, ratio)
			if p.SQL.Errors > 0 {
				row[7] += " (" + p.SQL.errs() + ")"
			}
		} else {
			row = append(row, "—", "—", "—", "", "")
		}
		out = append(out, row)
	}
	return out
}

func (rep *Report) summary() []string {
	var lines []string
	if rep.Migrate == nil {
		v := rep.Volume
		lines = append(lines, fmt.Sprintf("Volume: %d requisitions × %d lines, %d vendors, %d orders, %d audit rows, %d pending for one approver; seeded in %s.",
			v.Requisitions, v.LinesPer, v.Vendors, v.Orders, v.AuditRows, v.Pending, rep.SeedTook.Round(10*time.Millisecond)))
		if rep.SingleRSS > 0 {
			lines = append(lines, fmt.Sprintf("Server RSS after the pages: %s.", mb(rep.SingleRSS)))
		}
		if a := rep.Audit; a.Rounds > 0 {
			lines = append(lines, fmt.Sprintf("Audit overhead (%d interleaved write pairs, median of ratios): %.2f× (audited %s, unaudited %s; ratio of totals %.2f×).",
				a.Rounds, a.Ratio, ms(a.Audited), ms(a.Plain), a.RatioOfTotals))
		}
	}
	if rr := rep.RoundRobin; rr != nil {
		ratio := pct(rr.Many.PerSecond(), rr.Single.PerSecond())
		lines = append(lines, fmt.Sprintf("%d tenants round-robin (/dashboard; %d created, all readied in %s): %.0f req/s (p50 %s, p99 %s, errors %s) against %.0f req/s for one tenant (%.0f%%); at most %d Postgres connections; server RSS at most %s.",
			rr.Tenants, rr.Created, rr.ReadyTook.Round(time.Second), rr.Many.PerSecond(), ms(rr.Many.P50), ms(rr.Many.P99), rr.Many.errs(), rr.Single.PerSecond(), ratio, rr.MaxConns, mb(rr.MaxRSS)))
		lines = append(lines, fmt.Sprintf("Its floor, the dashboard's own SQL on a new connection per request to the next tenant (as many at a time as the server held connections): %.0f req/s (p50 %s, p99 %s, errors %s); the server reached %.0f%% of it.",
			rr.Floor.PerSecond(), ms(rr.Floor.P50), ms(rr.Floor.P99), rr.Floor.errs(), pct(rr.Many.PerSecond(), rr.Floor.PerSecond())))
		lines = append(lines, fmt.Sprintf("Before it, each tenant's first visit (opening its handle): %d in %s, %.0f req/s (p50 %s, p99 %s, errors %s).",
			rr.First.N, rr.First.Elapsed.Round(10*time.Millisecond), rr.First.PerSecond(), ms(rr.First.P50), ms(rr.First.P99), rr.First.errs()))
	}
	if m := rep.Migrate; m != nil {
		lines = append(lines, fmt.Sprintf("`outlay migrate` across %d tenants, each with its newest migration (%s) rolled back, %d at a time: %s; again with nothing to apply: %s.",
			m.Tenants, m.Newest, m.Parallel, m.Apply.Round(10*time.Millisecond), m.Noop.Round(10*time.Millisecond)))
	}
	lines = append(lines, fmt.Sprintf("Run started %s, took %s (load average at the end %s). %s", rep.Started.Format(time.RFC3339), rep.Took.Round(time.Second), loadAverage(), rep.Machine))
	return lines
}

// Write prints the report as aligned text.
func (rep *Report) Write(w io.Writer) {
	fmt.Fprintln(w)
	if rep.Migrate == nil {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, r := range rep.rows() {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	for _, l := range rep.summary() {
		fmt.Fprintln(w, l)
	}
}

// Markdown writes the report as a Markdown table and notes.
func (rep *Report) Markdown(w io.Writer) error {
	if rep.Migrate == nil {
		for i, r := range rep.rows() {
			fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
			if i == 0 {
				fmt.Fprintf(w, "|%s\n", strings.Repeat(" --- |", len(r)))
			}
		}
		fmt.Fprintln(w)
	}
	for _, l := range rep.summary() {
		fmt.Fprintf(w, "- %s\n", l)
	}
	return nil
}

// describeMachine names the cores, memory, Postgres and Go versions and the commit.
func describeMachine(ctx context.Context, d *deployment) string {
	var pg string
	_ = d.admin.QueryRow(ctx, "SHOW server_version").Scan(&pg)
	var maxConns string
	_ = d.admin.QueryRow(ctx, "SHOW max_connections").Scan(&maxConns)
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.1f GB memory", float64(kb)/(1<<20))
		}
	}
	commit := ""
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = ", commit " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("Machine: %d cores%s, PostgreSQL %s (max_connections %s), %s%s; load average at the start %s.", runtime.NumCPU(), mem, pg, maxConns, runtime.Version(), commit, loadAverage())
}

// loadAverage is the machine's one-minute load average, which says how busy it was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}
