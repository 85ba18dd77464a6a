package tenancy

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// ReadOnly reports whether the tenant's data may only be read: a lapsed organisation keeps
// its people's sign-in and every export until it is purged, and nothing else.
func (t Tenant) ReadOnly() bool { return t.Status == StatusLapsed }

// Writable reports whether the tenant's data may be changed, by a request or a job.
func (t Tenant) Writable() bool { return t.Status == StatusActive }

// sqlStateReadOnly is Postgres's read_only_sql_transaction: a write in a read-only transaction,
// as every transaction is in a database set read-only while it is moved to another cluster.
const sqlStateReadOnly = "25006"

// IsReadOnlyTransaction reports whether err is the database refusing a write because it is
// read-only (a tenant being moved), rather than anything wrong with the write itself.
func IsReadOnlyTransaction(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == sqlStateReadOnly
}
