// Package faults holds Outlay's fault tests: the real `outlay serve` binary under load while
// its Postgres restarts, a tenant's database is dropped or unreachable, it is sent SIGTERM, or
// slow clients hold connections open. Each test counts the answers by kind and checks that
// every write the server acknowledged is in the database afterwards.
//
// The tests run against a Postgres cluster of their own, started by TestMain, never the
// machine's shared server, since they stop and restart it.
package faults
