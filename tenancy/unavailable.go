package tenancy

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unavailable reports whether err means a database could not be reached or used for a while
// (the server restarting or down, a tenant's database gone, every connection busy, a lock
// held elsewhere for longer than a request waits) rather than
// a fault of the request: such a request is answered 503 with Retry-After, and succeeds when
// tried again once the database is back.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrBusy) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "57P"), // shut down, crashed, starting up, database dropped
			pgErr.Code == "53300",                // too many connections
			pgErr.Code == "3D000",                // the database does not exist
			pgErr.Code == "55P03":                // a lock not had within lock_timeout
			return true
		}
		return false
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return true
	}
	// pgx reports a connection that died under a query as closed, without a typed error.
	return strings.Contains(err.Error(), "conn closed")
}
