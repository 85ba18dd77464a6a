package dbtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// HoldLock takes table's lock in SHARE ROW EXCLUSIVE mode (reads go on, writes wait) in a
// transaction of its own connection to the database dsn, as an operator's session or a
// migration would, and holds it until the test commits or rolls back tx, or ends. pid is the
// session's, to tell it from the ones that wait.
func HoldLock(t testing.TB, dsn, table string) (tx pgx.Tx, pid uint32) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	tx, err = conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	if _, err := tx.Exec(ctx, `LOCK TABLE `+pgx.Identifier{table}.Sanitize()+` IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	return tx, conn.PgConn().PID()
}
