package tenancy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"outlay/config"
)

// WithDatabase returns dsn (a postgres:// URL) pointing at another database on the same server.
func WithDatabase(dsn, database string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("database URL must be a postgres:// URL")
	}
	u.Path = "/" + database
	u.RawPath = ""
	return u.String(), nil
}

// DatabaseName is the database named in dsn.
func DatabaseName(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("database URL must be a postgres:// URL")
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", fmt.Errorf("database URL %q names no database", redact(dsn))
	}
	return name, nil
}

// redact hides the password of a DSN for messages, as settings print them.
func redact(dsn string) string { return config.RedactURL(dsn) }

// EnsureDatabase creates the database named by dsn when it does not exist, connecting to the
// server's maintenance database to do so.
func EnsureDatabase(ctx context.Context, dsn string) error {
	name, err := DatabaseName(dsn)
	if err != nil {
		return err
	}
	admin, err := WithDatabase(dsn, "postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // Another process created it first.
		return nil
	}
	return err
}

// QueryCounter counts the statements sent to Postgres, split by control plane and tenants.
// It is exported as metrics and lets tests prove how many round trips a page costs.
//
// Statements sent on a context marked by Background (jobs, the audit-head recorder) are counted
// apart, so that a request's own count is not disturbed by work that happens beside it.
type QueryCounter struct {
	Control    atomic.Int64
	Tenant     atomic.Int64
	Background atomic.Int64
}

type backgroundKey struct{}

// Background marks ctx as background work: its statements count in QueryCounter.Background.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

type countingTracer struct{ n, background *atomic.Int64 }

func (t countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	if bg, _ := ctx.Value(backgroundKey{}).(bool); bg {
		t.background.Add(1)
	} else {
		t.n.Add(1)
	}
	return ctx
}

func (countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
