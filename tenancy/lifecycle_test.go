package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
	"outlay/tenancy"
)

// A write in a read-only transaction (every transaction of a database set read-only for a
// move) is told apart from any other failure, however it is wrapped.
func TestIsReadOnlyTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET TRANSACTION READ ONLY`); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, `CREATE TEMP TABLE t (x int)`)
	if !tenancy.IsReadOnlyTransaction(fmt.Errorf("save: %w", err)) {
		t.Errorf("a write in a read-only transaction (%v) is not recognised", err)
	}
	if tenancy.IsReadOnlyTransaction(errors.New("cannot execute CREATE TABLE in a read-only transaction")) {
		t.Error("an error that only reads alike is taken for the database's refusal")
	}
	if tenancy.IsReadOnlyTransaction(nil) {
		t.Error("no error is taken for a refusal")
	}
}
