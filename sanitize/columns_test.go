package sanitize

import (
	"context"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
)

// Every text, JSON, array and binary column of the tenant schema has a rule, and every rule
// names a column that exists: a migration that adds a column fails here until its author
// decides whether it can hold personal data.
func TestEveryColumnIsClassified(t *testing.T) {
	_, tn := dbtest.NewTenant(t)
	conn, err := pgx.Connect(context.Background(), tn.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	cols, err := Columns(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if bad := Unclassified(cols); len(bad) > 0 {
		t.Errorf("columns without a rule in sanitize/columns.go (decide whether they can hold personal data):\n  %v", bad)
	}
	exists := map[string]bool{}
	tables := map[string]bool{}
	for _, c := range cols {
		exists[c.Table+"."+c.Name] = true
		tables[c.Table] = true
	}
	var stale []string
	for k := range columns {
		if !exists[k] {
			stale = append(stale, k)
		}
	}
	for k := range droppedTables {
		if !tables[k] {
			stale = append(stale, k+" (dropped table)")
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("rules for columns that do not exist: %v", stale)
	}
}
