package backup

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
)

// serverVersion reads a server's server_version_num.
func serverVersion(ctx context.Context, dsn string) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v int
	err = conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&v)
	return v, err
}

// Copy copies the database at from into the empty database at to, on the same cluster or
// another: pg_dump of the source server's major version piped into pg_restore of the target's
// (triggers are created after the data, so none fire). Passwords travel in PGPASSWORD, never
// on a command line.
func Copy(ctx context.Context, from, to string) error {
	return copyDatabase(ctx, from, to, nil, nil)
}

// copyDatabase is Copy with more arguments for pg_dump and pg_restore.
func copyDatabase(ctx context.Context, from, to string, dumpArgs, restoreArgs []string) error {
	fromVersion, err := serverVersion(ctx, from)
	if err != nil {
		return err
	}
	toVersion, err := serverVersion(ctx, to)
	if err != nil {
		return err
	}
	pgDump, err := Tool("pg_dump", fromVersion)
	if err != nil {
		return err
	}
	pgRestore, err := Tool("pg_restore", toVersion)
	if err != nil {
		return err
	}
	src, srcEnv, err := commandConnection(from)
	if err != nil {
		return err
	}
	dst, dstEnv, err := commandConnection(to)
	if err != nil {
		return err
	}
	d := exec.CommandContext(ctx, pgDump, append([]string{"--format=custom", "--no-owner", "--no-privileges", "--dbname=" + src}, dumpArgs...)...)
	r := exec.CommandContext(ctx, pgRestore, append([]string{"--no-owner", "--no-privileges", "--exit-on-error", "--dbname=" + dst}, restoreArgs...)...)
	d.Env, r.Env = srcEnv, dstEnv
	var derr, rerr strings.Builder
	d.Stderr, r.Stderr = &derr, &rerr
	pipe, err := d.StdoutPipe()
	if err != nil {
		return err
	}
	r.Stdin = pipe
	if err := d.Start(); err != nil {
		return fmt.Errorf("run %s: %w", pgDump, err)
	}
	if err := r.Run(); err != nil {
		_ = d.Process.Kill()
		_ = d.Wait()
		return fmt.Errorf("pg_restore failed: %w: %s", err, strings.TrimSpace(rerr.String()))
	}
	if err := d.Wait(); err != nil {
		return fmt.Errorf("pg_dump failed: %w: %s", err, strings.TrimSpace(derr.String()))
	}
	return nil
}
