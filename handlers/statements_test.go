package handlers_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"outlay/audit"
)

// recordedStatement is one statement sent through a tenant's GORM handle, with its values.
type recordedStatement struct {
	sql  string
	vars []any
	// query is whether GORM sent it to read rows (its query and row callbacks).
	query bool
}

// read reports whether the statement only reads: a SELECT (or a WITH … SELECT) sent for rows.
func (s recordedStatement) read() bool {
	head := strings.ToUpper(strings.TrimSpace(s.sql))
	return s.query && (strings.HasPrefix(head, "SELECT") || strings.HasPrefix(head, "WITH"))
}

// key tells statements apart by their text and values.
func (s recordedStatement) key() string { return s.sql + fmt.Sprint(s.vars...) }

func (s recordedStatement) String() string { return strings.Join(strings.Fields(s.sql), " ") }

// statementLog keeps the statements HTTP requests send through a tenant's GORM handle while it
// is on: reads, writes, raw statements and savepoints alike. A statement whose context carries
// no request (a background job running on the same handle meanwhile) is not a page's, and is
// left out.
type statementLog struct {
	mu  sync.Mutex
	on  bool
	got []recordedStatement
}

func (l *statementLog) register(t *testing.T, db *gorm.DB) {
	t.Helper()
	record := func(query bool) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			// A dry run is a statement built, not sent (a subquery's, written into the statement
			// that holds it).
			if audit.ActorFrom(tx.Statement.Context).RequestID == "" || tx.DryRun {
				return
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.on {
				l.got = append(l.got, recordedStatement{sql: tx.Statement.SQL.String(), vars: slices.Clone(tx.Statement.Vars), query: query})
			}
		}
	}
	cb := db.Callback()
	for name, p := range map[string]interface {
		Register(string, func(*gorm.DB)) error
	}{
		"gorm:create": cb.Create().After("gorm:create"), "gorm:query": cb.Query().After("gorm:query"),
		"gorm:update": cb.Update().After("gorm:update"), "gorm:delete": cb.Delete().After("gorm:delete"),
		"gorm:row": cb.Row().After("gorm:row"), "gorm:raw": cb.Raw().After("gorm:raw"),
	} {
		if err := p.Register("statementlog:record", record(name == "gorm:query" || name == "gorm:row")); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	t.Cleanup(func() {
		_ = cb.Create().Remove("statementlog:record")
		_ = cb.Query().Remove("statementlog:record")
		_ = cb.Update().Remove("statementlog:record")
		_ = cb.Delete().Remove("statementlog:record")
		_ = cb.Row().Remove("statementlog:record")
		_ = cb.Raw().Remove("statementlog:record")
	})
}

// during returns the statements requests sent while fn ran.
func (l *statementLog) during(fn func()) []recordedStatement {
	l.mu.Lock()
	l.on, l.got = true, nil
	l.mu.Unlock()
	fn()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.got
}
