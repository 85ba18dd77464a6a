package models

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// eachRow runs q and calls fn with each row scanned into a T, one at a time: however many
// rows match, one is held in memory (exports stream this way). It returns how many rows fn
// took.
func eachRow[T any](q *gorm.DB, fn func(T) error) (int, error) {
	rows, err := q.Rows()
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	_, direct := any(new(T)).(fieldsOfRow)
	for rows.Next() {
		var r T
		if direct {
			err = rows.Scan(any(&r).(fieldsOfRow).fields()...)
		} else {
			err = q.ScanRows(rows, &r)
		}
		if err != nil {
			return n, err
		}
		if err := fn(r); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// pickedPageOf reads one page of a list over table: how many rows scope matches in all
// (counted, unless the caller counted them already), and those from offset, at most limit,
// picked first (pickedPage); columns says what the list reads of each row of a FROM named
// table, in the list's order.
func pickedPageOf[T any](db, scope *gorm.DB, table, order string, columns func(*gorm.DB) *gorm.DB, counted *int, offset, limit int) ([]T, int, error) {
	total, err := countOf(scope, counted)
	if err != nil {
		return nil, 0, err
	}
	out, err := readRows[T](columns(pickedPage(db, scope, table, order, offset, limit)), limit)
	return out, total, err
}

// readRows reads what q matches (at most about capacity rows): straight into each row's
// fields when T is a fieldsOfRow, by GORM's reflection otherwise. No rows read as nil.
func readRows[T any](q *gorm.DB, capacity int) ([]T, error) {
	if _, ok := any(new(T)).(fieldsOfRow); !ok {
		var out []T
		return out, q.Scan(&out).Error
	}
	return readFields[T](q, capacity)
}

// readRowsCounted reads what q matches as readRows does, where q selects after the row's
// columns one more: how many rows the list matches in all (the same on every row). T is a
// fieldsOfRow. No rows read as nil and a total of 0.
func readRowsCounted[T any](q *gorm.DB, capacity int) ([]T, int, error) {
	var total int64
	out, err := readFields[T](q, capacity, &total)
	return out, int(total), err
}

// readFields reads what q matches (at most about capacity rows) straight into each row's
// fields (T is a fieldsOfRow), and the columns after them into after, which hold the last
// row's. No rows read as nil.
func readFields[T any](q *gorm.DB, capacity int, after ...any) ([]T, error) {
	var out []T
	err := scanEach(q, func(rows *sql.Rows) error {
		if out == nil {
			out = make([]T, 0, max(capacity, 1))
		}
		var r T
		if err := rows.Scan(append(any(&r).(fieldsOfRow).fields(), after...)...); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// fieldsOfRow is a list's row type that reads its rows straight into its fields, in the
// order of the columns its list selects, rather than through GORM's reflection per row and
// field: a sixth of the Go time of a page of 25 vendors, and of 25 requisitions.
type fieldsOfRow interface{ fields() []any }

// countOf is how many rows scope matches: counted, when the caller counted them already.
func countOf(scope *gorm.DB, counted *int) (int, error) {
	if counted != nil {
		return *counted, nil
	}
	var total int64
	err := scope.Session(&gorm.Session{}).Count(&total).Error
	return int(total), err
}

// pickedPage is one page of a list over table, as a FROM that names it table: the page's rows
// picked from scope (the list's matches) in the list's order before anything else is read of
// them, so that what the list reads of each row (lookups per row, joins) is read for the
// page's rows only. Read by OFFSET over the whole query, Postgres reads it for every row a
// later page skips too: page 361 of everyone's requisitions took 28 ms, against 1.4 ms picked
// first (pgbench at bench volume).
//
// The page's LIMIT and OFFSET are written into the statement as numbers, as every statement's
// are (tenancy's literalLimit): a plan made once for any values would not know the page is 25
// rows.
func pickedPage(db, scope *gorm.DB, table, order string, offset, limit int) *gorm.DB {
	return db.Table("(?) AS "+table, scope.Select(table+".*").Order(order).Limit(max(limit, 0)).Offset(max(offset, 0)))
}

// scanEach runs q, a query built on the tenant's handle (so its callbacks and statement log
// see it as any other), and hands each row to scan, which reads it straight into its
// destinations. The reads every request or a busy page makes use it instead of Scan, whose
// reflection per row and field costs more Go time than the query's own round trip.
func scanEach(q *gorm.DB, scan func(*sql.Rows) error) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// orEmpty reads a text column into a string, NULL as "".
type orEmpty struct{ s *string }

func (o orEmpty) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*o.s = ""
	case string:
		*o.s = v
	case []byte:
		*o.s = string(v)
	default:
		return fmt.Errorf("read %T as text", src)
	}
	return nil
}

// orZero reads an integer column into an int64, NULL as 0.
type orZero struct{ n *int64 }

func (o orZero) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*o.n = 0
	case int64:
		*o.n = v
	default:
		return fmt.Errorf("read %T as an integer", src)
	}
	return nil
}

// statusPageOf reads one page of a list of the documents of table, as pickedPageOf does, with
// the list's numbers by status (counts, a query of one row and one text column: talliesOf,
// DocumentKind.statusCounts) on each of its rows, a subquery Postgres runs once for the
// statement (an InitPlan): the page and its status tabs in one round trip. Its total is the
// counts' (of status, or of every status), or total's, a query of one count, when a filter
// other than the status narrows the list past what the counts count. A page with no rows
// reads its figures alone. A T that is not a fieldsOfRow reads them apart.
func statusPageOf[T any](db, scope *gorm.DB, table, order string, columns func(*gorm.DB) *gorm.DB, counts *gorm.DB, status string, total *gorm.DB, offset, limit int) ([]T, map[string]int, int, error) {
	figures, args := "(?) AS list_counts", []any{counts}
	if total != nil {
		figures, args = figures+", (?) AS list_total", append(args, total)
	}
	var text string
	var n int64
	into := []any{&text, &n}[:len(args)]
	var out []T
	var err error
	if _, ok := any(new(T)).(fieldsOfRow); ok {
		page := columns(pickedPage(db, scope, table, order, offset, limit))
		if len(page.Statement.Selects) == 0 {
			return nil, nil, 0, errors.New("statusPageOf: a list's columns are one Select of its columns' text")
		}
		out, err = readFields[T](page.Select(strings.Join(page.Statement.Selects, ", ")+", "+figures, args...), limit, into...)
	}
	if err == nil && out == nil {
		err = db.Raw("SELECT "+figures, args...).Row().Scan(into...)
	}
	if err != nil {
		return nil, nil, 0, err
	}
	byStatus, err := statusCountsOf(db.Statement.Context, db, table, text)
	if err != nil {
		return nil, nil, 0, err
	}
	if total == nil {
		n = int64(statusTotal(byStatus, status))
	}
	if _, ok := any(new(T)).(fieldsOfRow); !ok {
		c := int(n)
		out, _, err = pickedPageOf[T](db, scope, table, order, columns, &c, offset, limit)
	}
	return out, byStatus, int(n), err
}

// statusTotal is how many documents a list's numbers by status count in status, or in every
// status when status is "".
func statusTotal(counts map[string]int, status string) int {
	n := counts[status]
	if status == "" {
		for _, c := range counts {
			n += c
		}
	}
	return n
}

// nameEquals is the condition "column holds value" for a filter whose value is one of a
// closed set of names (a table, an action, a match status), with the value written into the
// statement when it is shaped as such a name: each choice is then a statement of its own,
// which Postgres plans for its value once per connection. Sent as a parameter, a choice much
// rarer or commoner than the rest (the log's records of one table, the bills held by their
// match) was planned anew on every view, or read by a plan made for any value (a page of the
// log's deletions of vendors read a thousand rows). Any other value is sent as a parameter:
// it names nothing, and matches nothing.
func nameEquals(column, value string) clause.Expr {
	if nameShaped.MatchString(value) {
		return clause.Expr{SQL: column + " = '" + value + "'"}
	}
	return clause.Expr{SQL: column + " = ?", Vars: []any{value}}
}

// namesIn is nameEquals for a choice of several names (roles): "column holds one of values",
// written in when every value is shaped as a name, else sent as a parameter. An empty choice
// matches nothing.
func namesIn(column string, values []string) clause.Expr {
	if len(values) == 0 {
		return clause.Expr{SQL: "false"}
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		if !nameShaped.MatchString(v) {
			return clause.Expr{SQL: column + " IN ?", Vars: []any{values}}
		}
		quoted[i] = "'" + v + "'"
	}
	return clause.Expr{SQL: column + " IN (" + strings.Join(quoted, ", ") + ")"}
}

// nameShaped is a name as Postgres writes an unquoted identifier, in lower case: it holds no
// quote, so it is written between quotes as it is.
var nameShaped = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// opaqueID is a person's id, the parameter param, as a scalar subquery, which the planner does
// not look into, for a list of that person's own rows. With the id bound as a value, the plan
// for someone with a tenth of the rows (their own requisitions, their notifications) looked
// cheaper than the plan Postgres keeps for anyone, so their list was planned anew on every
// view (0.6 ms of planning for 0.5 ms of work); now everyone's list has the one plan, which
// reads it along the same index.
func opaqueID(param string) string { return "(SELECT CAST(" + param + " AS bigint))" }

// personName is the name of the person whose id column holds, looked up for each row: a
// list's page of 25 rows reads 25 people by their key, where a join to users may read them
// all.
func personName(column string) string {
	return "COALESCE((SELECT pn.name FROM users pn WHERE pn.id = " + column + "), '')"
}
