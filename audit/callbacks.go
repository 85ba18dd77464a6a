package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/callbacks"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// Register installs the audit callbacks on a tenant's GORM handle (tenancy does this for every
// handle it opens). Calling it again on the same handle does nothing.
//
// How a write is recorded. The callbacks run just before GORM's own create, update and delete
// callbacks, prepare the statement the way GORM would (the same clauses, the same SET values,
// the same primary-key conditions), and build it into one SQL statement that also writes the
// audit records, which GORM then executes as it would its own:
//
//	WITH audit_before AS MATERIALIZED (
//	         SELECT <key>, to_jsonb(t.*) FROM t WHERE <where> FOR NO KEY UPDATE),
//	     audit_rows AS (
//	         UPDATE t SET <set> FROM audit_before WHERE t.<key> = audit_before.<key>
//	         RETURNING <values before>, <values after>)
//	     audit_records AS (
//	         INSERT INTO audit_log (...) SELECT <actor>, 'update', <record id>, <old>, <new>, <changed>
//	         FROM audit_rows WHERE <changed> holds more than updated_at)
//	SELECT FROM audit_rows
//
// (When GORM wants rows back, the statement ends by selecting them from audit_rows.) So the
// previous values are read, and the rows locked, before they change, with the statement's own
// WHERE; the update touches exactly the rows that were read; the new values come back from
// RETURNING; and a change and its records are one statement, atomic with or without a
// transaction, at the cost of no extra round trip. A row whose values are the same after the
// update as before, but for its updated_at, gets no record: saving a form nobody touched
// changes nothing anyone reads (see bookkeeping). Deletes return the deleted rows; creates
// return the created ones (an upsert first locks and reads the rows it may overwrite; an
// overwrite that changes nothing gets no record either). Old and new values are Postgres's
// own JSON of the row, so the recorded diff is the database's truth, not the Go model's;
// secret columns are redacted in SQL.
//
// Covered: Create (single and batch, ON CONFLICT DO NOTHING and DO UPDATE on columns it
// inserts), Save, Update, Updates (map and struct), UpdateColumn(s), batch updates and deletes
// with WHERE, delete by primary key, soft delete (gorm.DeletedAt) and hard delete. Not covered:
// raw SQL (db.Exec, db.Raw) — write audited tables through GORM model operations — and an
// update with a FROM join or through an aliased table, which are refused with an error.
func Register(db *gorm.DB) error {
	if db.Callback().Create().Get("audit:create") != nil {
		return nil
	}
	a := &auditor{tables: map[string]*tableInfo{}}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().Before("gorm:create").Register("audit:create", a.create),
		cb.Update().Before("gorm:update").Register("audit:update", a.update),
		cb.Update().After("gorm:update").Register("audit:update_done", a.updateDone),
		cb.Delete().Before("gorm:delete").Register("audit:delete", a.delete),
	} {
		if err != nil {
			return fmt.Errorf("audit: register callbacks: %w", err)
		}
	}
	return nil
}

// auditor is one handle's callbacks, with what they learnt about its tables.
type auditor struct {
	mu     sync.Mutex
	tables map[string]*tableInfo
}

// tableInfo is what the statements need to know about an audited table, read once from the
// catalog: its primary key and which columns hold secrets; and the parts of its statements that
// do not change from one write to the next, made once so that a write only puts them together.
type tableInfo struct {
	name    string
	columns []string
	pk      []string
	secrets []string
	// oneSpelling holds the columns whose values JSON writes one way only, so that two of
	// them are the same JSON value exactly when their texts are equal.
	oneSpelling map[string]bool
	// onlySetChanges says that an UPDATE changes no column but those it sets: the table has
	// no BEFORE UPDATE row trigger (which may change others) and no generated column. Like the
	// columns, it is read once per handle: such a trigger added while the app runs is seen
	// from the next start (the rows' old and new values are recorded whole either way).
	onlySetChanges bool

	quoted string // the table's name, quoted
	// The update's lock-and-read CTE up to its WHERE, what follows that WHERE up to the SET,
	// and the join of the UPDATE to the rows read.
	updateRead, updateLock, updateJoin string

	mu      sync.Mutex
	records map[recordKey]recordText
}

// ErrNotAuditable is returned for a write on an audited table that the callbacks cannot record;
// the write does not happen.
var ErrNotAuditable = errors.New("audit: this write cannot be audited")

// target returns the audited table a statement writes, or false when it is not to be audited
// (not an audited table, a dry run, or the statement already failed).
func (a *auditor) target(db *gorm.DB) (*tableInfo, bool) {
	stmt := db.Statement
	if db.Error != nil || db.DryRun || stmt.Table == "" {
		return nil, false
	}
	if _, skip := notAudited[stmt.Table]; skip {
		return nil, false
	}
	if err := ActorFrom(stmt.Context).validate(); err != nil {
		db.AddError(err)
		return nil, false
	}
	if stmt.TableExpr != nil && (stmt.TableExpr.SQL != stmt.Quote(stmt.Table) || len(stmt.TableExpr.Vars) > 0) {
		db.AddError(fmt.Errorf("%w: %s is written through the table expression %q; use the plain table", ErrNotAuditable, stmt.Table, stmt.TableExpr.SQL))
		return nil, false
	}
	info, err := a.table(stmt, stmt.Table)
	if err != nil {
		db.AddError(err)
		return nil, false
	}
	return info, true
}

func (a *auditor) table(stmt *gorm.Statement, name string) (*tableInfo, error) {
	a.mu.Lock()
	info, ok := a.tables[name]
	a.mu.Unlock()
	if ok {
		return info, nil
	}
	// A column's JSON has one spelling per value when it is a built-in scalar other than
	// numeric (whose JSON keeps the scale: 1.0 and 1.00 are the same JSON number) and json or
	// jsonb (containers), or an enum: strings, booleans, integers, floats (printed in their
	// shortest exact form), dates and times (printed in the session's time zone, one per
	// statement).
	rows, err := stmt.ConnPool.QueryContext(stmt.Context, `
		SELECT a.attname, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)),
		       (t.typnamespace = 'pg_catalog'::regnamespace AND t.typtype = 'b' AND t.typcategory <> 'A'
		        AND t.typname NOT IN ('numeric', 'json', 'jsonb')) OR t.typtype = 'e',
		       a.attgenerated <> '' OR EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = a.attrelid AND g.tgtype & 19 = 19)
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, name)
	if err != nil {
		return nil, fmt.Errorf("audit: read the columns of %s: %w", name, err)
	}
	defer rows.Close()
	info = &tableInfo{name: name, oneSpelling: map[string]bool{}, onlySetChanges: true}
	for rows.Next() {
		var column string
		var pk, oneSpelling, changesOthers bool
		if err := rows.Scan(&column, &pk, &oneSpelling, &changesOthers); err != nil {
			return nil, err
		}
		if changesOthers {
			info.onlySetChanges = false
		}
		info.columns = append(info.columns, column)
		info.oneSpelling[column] = oneSpelling
		if pk {
			info.pk = append(info.pk, column)
		}
		if IsSecretColumn(column) {
			info.secrets = append(info.secrets, column)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(info.columns) == 0 {
		return nil, fmt.Errorf("audit: table %s does not exist", name)
	}
	if len(info.pk) == 0 {
		return nil, fmt.Errorf("%w: table %s has no primary key", ErrNotAuditable, name)
	}
	info.prepare(stmt.Quote)
	a.mu.Lock()
	a.tables[name] = info
	a.mu.Unlock()
	return info, nil
}

// create prepares an INSERT as gorm:create would and builds it with its audit records.
func (a *auditor) create(db *gorm.DB) {
	info, ok := a.target(db)
	if !ok {
		return
	}
	stmt := db.Statement
	if stmt.SQL.Len() != 0 {
		db.AddError(fmt.Errorf("%w: the INSERT into %s was already built", ErrNotAuditable, info.name))
		return
	}
	// As gorm:create: the schema's create clauses, and RETURNING for columns the database fills.
	if stmt.Schema != nil {
		if !stmt.Unscoped {
			for _, c := range stmt.Schema.CreateClauses {
				stmt.AddClause(c)
			}
		}
		if _, ok := stmt.Clauses["RETURNING"]; !ok && len(stmt.Schema.FieldsWithDefaultDBValue) > 0 {
			var columns []clause.Column
			for _, f := range stmt.Schema.FieldsWithDefaultDBValue {
				if f.Readable {
					columns = append(columns, clause.Column{Name: f.DBName})
				}
			}
			if len(columns) > 0 {
				stmt.AddClause(clause.Returning{Columns: columns})
			}
		}
	}
	stmt.AddClauseIfNotExists(clause.Insert{})
	values := callbacks.ConvertToCreateValues(stmt)
	stmt.AddClause(values)
	if db.Error != nil {
		return
	}

	upsert, conflictColumns, err := conflictTarget(stmt, values)
	if err != nil {
		db.AddError(fmt.Errorf("%w: %s: %v", ErrNotAuditable, info.name, err))
		return
	}
	q := stmt.Quote(info.name)
	stmt.WriteString("WITH ")
	if upsert {
		// The rows an upsert may overwrite are locked and read first, like an update's.
		stmt.WriteString("audit_before AS MATERIALIZED (SELECT ")
		for i, c := range conflictColumns {
			writef(stmt, "%s.%s AS audit_k%d, ", q, stmt.Quote(c), i)
		}
		writef(stmt, "to_jsonb(%s.*) AS outlay_audit_old FROM %s WHERE ", q, q)
		stmt.AddVar(stmt, conflictValues(values, conflictColumns))
		stmt.WriteString(" FOR UPDATE), ")
	}
	stmt.WriteString("audit_rows AS (")
	if upsert {
		// Nothing else makes Postgres read audit_before before the INSERT overwrites a row
		// (and a row this statement already changed cannot be locked and read as it was), so
		// the conflict's WHERE depends on it: the first overwrite waits for the read.
		original := stmt.Clauses["ON CONFLICT"]
		c := original
		onConflict := c.Expression.(clause.OnConflict)
		onConflict.Where.Exprs = append(slices.Clone(onConflict.Where.Exprs), clause.Expr{SQL: "(SELECT count(*) FROM audit_before) >= 0"})
		c.Expression = onConflict
		stmt.Clauses["ON CONFLICT"] = c
		stmt.Build("INSERT", "VALUES", "ON CONFLICT")
		stmt.Clauses["ON CONFLICT"] = original
	} else {
		stmt.Build("INSERT", "VALUES", "ON CONFLICT")
	}
	writef(stmt, " RETURNING %sNULL::jsonb AS outlay_audit_old, to_jsonb(%s.*) AS outlay_audit_new", rowColumns(stmt, q, upsert), q)
	if upsert {
		writef(stmt, ", (%s.xmax = '0'::xid) AS outlay_audit_inserted", q)
	}
	stmt.WriteByte(')')

	rec := recordSource{
		action: "'create'",
		old:    "r.outlay_audit_old",
		new:    "r.outlay_audit_new",
		from:   "audit_rows r",
	}
	if upsert {
		// An inserted row is a create; a row the conflict clause updated is an update of the
		// row read above. A conflict with a row committed after that read has no previous
		// values: the action is then NULL, which the log refuses, failing the statement.
		rec.action = "CASE WHEN r.outlay_audit_inserted THEN 'create' WHEN b.outlay_audit_old IS NOT NULL THEN 'update' END"
		rec.old = "CASE WHEN r.outlay_audit_inserted THEN NULL ELSE b.outlay_audit_old END"
		var on []string
		for i, c := range conflictColumns {
			on = append(on, fmt.Sprintf("r.%s = b.audit_k%d", stmt.Quote(c), i))
		}
		rec.from = "audit_rows r LEFT JOIN audit_before b ON " + strings.Join(on, " AND ")
		rec.mayBeUnchanged = true
	}
	a.finish(stmt, info, recordKey{src: rec, singleRow: len(values.Values) == 1})
}

// conflictTarget reports whether an INSERT is an upsert (ON CONFLICT DO UPDATE) and on which
// columns. An upsert is auditable when its conflict columns are among the inserted columns, so
// the rows it may overwrite can be found before it runs.
func conflictTarget(stmt *gorm.Statement, values clause.Values) (bool, []string, error) {
	c, ok := stmt.Clauses["ON CONFLICT"]
	if !ok {
		return false, nil, nil
	}
	onConflict, ok := c.Expression.(clause.OnConflict)
	if !ok || onConflict.DoNothing || len(onConflict.DoUpdates) == 0 && !onConflict.UpdateAll {
		return false, nil, nil
	}
	if onConflict.OnConstraint != "" || len(onConflict.Columns) == 0 {
		return false, nil, errors.New("an upsert is audited only with ON CONFLICT on named columns")
	}
	var columns []string
	for _, col := range onConflict.Columns {
		found := false
		for _, vc := range values.Columns {
			found = found || vc.Name == col.Name
		}
		if !found {
			return false, nil, fmt.Errorf("the conflict column %s is not among the inserted columns", col.Name)
		}
		columns = append(columns, col.Name)
	}
	return true, columns, nil
}

// conflictValues is the condition that finds the rows an upsert may overwrite: its conflict
// columns equal to one of the inserted rows' values.
func conflictValues(values clause.Values, columns []string) clause.Expression {
	index := make([]int, len(columns))
	cols := make([]clause.Column, len(columns))
	for i, name := range columns {
		cols[i] = clause.Column{Name: name}
		for j, vc := range values.Columns {
			if vc.Name == name {
				index[i] = j
			}
		}
	}
	in := clause.IN{}
	for _, row := range values.Values {
		if len(columns) == 1 {
			in.Values = append(in.Values, row[index[0]])
			continue
		}
		tuple := make([]any, len(columns))
		for i := range columns {
			tuple[i] = row[index[i]]
		}
		in.Values = append(in.Values, tuple)
	}
	if len(columns) == 1 {
		in.Column = cols[0]
	} else {
		in.Column = cols
	}
	return in
}

// update prepares an UPDATE as gorm:update would and builds it with its audit records.
func (a *auditor) update(db *gorm.DB) {
	info, ok := a.target(db)
	if !ok {
		return
	}
	stmt := db.Statement
	if stmt.SQL.Len() != 0 {
		db.AddError(fmt.Errorf("%w: the UPDATE of %s was already built", ErrNotAuditable, info.name))
		return
	}
	// As gorm:update: the schema's update clauses (soft delete's condition), the SET values
	// (which also adds the model's primary key to the WHERE).
	if stmt.Schema != nil {
		for _, c := range stmt.Schema.UpdateClauses {
			stmt.AddClause(c)
		}
	}
	stmt.AddClauseIfNotExists(clause.Update{})
	if _, ok := stmt.Clauses["SET"]; !ok {
		set := callbacks.ConvertToAssignments(stmt)
		if len(set) == 0 || db.Error != nil {
			return // gorm:update finds nothing to set either, and does nothing.
		}
		stmt.AddClause(set)
		// gorm:update removes a SET it added once the statement ran; so do we (updateDone).
		stmt.Settings.Store(addedSet{stmt}, true)
	}
	if !hasConditions(db) {
		return // gorm:update refuses an update without conditions.
	}
	if _, ok := stmt.Clauses["FROM"]; ok {
		db.AddError(fmt.Errorf("%w: an UPDATE of %s with a FROM join", ErrNotAuditable, info.name))
		return
	}
	a.buildUpdate(stmt, info, "'update'")
}

func (a *auditor) updateDone(db *gorm.DB) {
	if _, ok := db.Statement.Settings.LoadAndDelete(addedSet{db.Statement}); ok {
		delete(db.Statement.Clauses, "SET")
	}
}

// addedSet marks a statement whose SET clause the update callback added (as InstanceSet
// would, keyed by the statement, without formatting its address into a string).
type addedSet struct{ stmt *gorm.Statement }

// delete prepares a DELETE as gorm:delete would and builds it with its audit records. A soft
// delete is the UPDATE that sets deleted_at, recorded as a delete.
func (a *auditor) delete(db *gorm.DB) {
	info, ok := a.target(db)
	if !ok {
		return
	}
	stmt := db.Statement
	if stmt.SQL.Len() != 0 {
		db.AddError(fmt.Errorf("%w: the DELETE from %s was already built", ErrNotAuditable, info.name))
		return
	}
	if stmt.Schema != nil {
		for _, c := range stmt.Schema.DeleteClauses {
			stmt.AddClause(c)
		}
	}
	if stmt.SQL.Len() != 0 {
		// A delete clause turned the statement into an UPDATE (soft delete); its SET and
		// WHERE are in the clauses, so build it again, with its records.
		if _, ok := stmt.Clauses["SET"]; !ok || !strings.HasPrefix(stmt.SQL.String(), "UPDATE") {
			db.AddError(fmt.Errorf("%w: the DELETE from %s was rewritten as %q", ErrNotAuditable, info.name, stmt.SQL.String()))
			return
		}
		if !hasConditions(db) {
			return // gorm:delete refuses it.
		}
		stmt.SQL.Reset()
		stmt.Vars = nil
		a.buildUpdate(stmt, info, "'delete'")
		return
	}
	// As gorm:delete: the primary keys of the value being deleted (and of the model) are
	// conditions.
	stmt.AddClauseIfNotExists(clause.Delete{})
	if stmt.Schema != nil {
		_, queryValues := schema.GetIdentityFieldValuesMap(stmt.Context, stmt.ReflectValue, stmt.Schema.PrimaryFields)
		column, values := schema.ToQueryValues(stmt.Table, stmt.Schema.PrimaryFieldDBNames, queryValues)
		if len(values) > 0 {
			stmt.AddClause(clause.Where{Exprs: []clause.Expression{clause.IN{Column: column, Values: values}}})
		}
		if stmt.ReflectValue.CanAddr() && stmt.Dest != stmt.Model && stmt.Model != nil {
			_, queryValues = schema.GetIdentityFieldValuesMap(stmt.Context, reflect.ValueOf(stmt.Model), stmt.Schema.PrimaryFields)
			column, values = schema.ToQueryValues(stmt.Table, stmt.Schema.PrimaryFieldDBNames, queryValues)
			if len(values) > 0 {
				stmt.AddClause(clause.Where{Exprs: []clause.Expression{clause.IN{Column: column, Values: values}}})
			}
		}
	}
	stmt.AddClauseIfNotExists(clause.From{})
	if !hasConditions(db) {
		return
	}
	q := stmt.Quote(info.name)
	writef(stmt, "WITH audit_rows AS (DELETE FROM %s ", q)
	stmt.Build("WHERE")
	writef(stmt, " RETURNING %sto_jsonb(%s.*) AS outlay_audit_old, NULL::jsonb AS outlay_audit_new)", rowColumns(stmt, q, false), q)
	a.finish(stmt, info, recordKey{src: recordSource{action: "'delete'", old: "r.outlay_audit_old", new: "r.outlay_audit_new", from: "audit_rows r"}, singleRow: atMostOneRow(stmt, info)})
}

// buildUpdate writes an UPDATE (or soft delete) that locks and reads the rows its WHERE
// matches, updates exactly those, and records each.
func (a *auditor) buildUpdate(stmt *gorm.Statement, info *tableInfo, action string) {
	stmt.WriteString(info.updateRead)
	if _, ok := stmt.Clauses["WHERE"]; ok {
		stmt.WriteByte(' ')
		stmt.Build("WHERE")
	}
	// FOR NO KEY UPDATE is the lock the UPDATE itself takes (unless it changes a key, when it
	// takes the stronger one): it stops other writers of these rows without blocking foreign
	// key checks against them, so reading first adds no lock waits the write would not have.
	stmt.WriteString(info.updateLock)
	stmt.Build("SET")
	stmt.WriteString(info.updateJoin)
	stmt.WriteString(" RETURNING ")
	stmt.WriteString(rowColumns(stmt, info.quoted, false))
	stmt.WriteString("audit_before.outlay_audit_old, to_jsonb(")
	stmt.WriteString(info.quoted)
	stmt.WriteString(".*) AS outlay_audit_new)")
	// A soft delete always changes deleted_at, and is recorded as the delete it is.
	src := recordSource{action: action, old: "r.outlay_audit_old", new: "r.outlay_audit_new", from: "audit_rows r", mayBeUnchanged: action == "'update'"}
	key := recordKey{src: src, singleRow: atMostOneRow(stmt, info), set: setColumns(stmt, info)}
	a.finish(stmt, info, key)
}

// setColumns returns the columns an UPDATE sets, sorted and comma-separated, when they are the
// only ones it can change: the table changes no other column itself (onlySetChanges), and each
// assignment names one of the table's known columns. Otherwise it returns "", and the record
// compares every column.
func setColumns(stmt *gorm.Statement, info *tableInfo) string {
	c, ok := stmt.Clauses["SET"]
	if !ok || !info.onlySetChanges {
		return ""
	}
	set, ok := c.Expression.(clause.Set)
	if !ok || len(set) == 0 {
		return ""
	}
	names := make([]string, 0, len(set))
	for _, a := range set {
		col := a.Column
		if col.Raw || col.Alias != "" || col.Table != "" && col.Table != clause.CurrentTable && col.Table != info.name ||
			!slices.Contains(info.columns, col.Name) || strings.Contains(col.Name, ",") {
			return ""
		}
		names = append(names, col.Name)
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ",")
}

// recordSource says, in SQL over the statement's returned rows, what each record holds.
type recordSource struct {
	action, old, new, from string
	// mayBeUnchanged says that a row may be an update whose values are what they were: such
	// a row gets no record (see bookkeeping).
	mayBeUnchanged bool
}

// bookkeeping are the columns that say when a row was last written rather than what it
// holds. An update that changes nothing else (a form saved as it was still sets updated_at)
// writes no record: History and the /audit page leave these columns out, so the record would
// read as a change of nothing. When something else changes, they are recorded with it.
var bookkeeping = []string{"updated_at"}

// recordKey names one form of a table's record INSERT: what the records hold, where they go,
// and whether they need ordering.
type recordKey struct {
	src       recordSource
	pending   bool
	singleRow bool
	// set lists, in byte order and comma-separated, the only columns an UPDATE may change
	// (see setColumns); empty when any column may change.
	set string
}

// recordText is a record INSERT's text around the actor's values, which are bind variables
// (so that the statement's text, and the prepared statement the driver caches for it, is the
// same whoever writes).
type recordText struct {
	head, tail string
}

// prepare makes the parts of the table's statements that are the same at every write.
func (info *tableInfo) prepare(quote func(any) string) {
	q := quote(info.name)
	info.quoted = q
	var b strings.Builder
	b.WriteString("WITH audit_before AS MATERIALIZED (SELECT ")
	for i, k := range info.pk {
		fmt.Fprintf(&b, "%s.%s AS audit_k%d, ", q, quote(k), i)
	}
	fmt.Fprintf(&b, "to_jsonb(%s.*) AS outlay_audit_old FROM %s", q, q)
	info.updateRead = b.String()
	info.updateLock = " FOR NO KEY UPDATE), audit_rows AS (UPDATE " + q + " "
	b.Reset()
	b.WriteString(" FROM audit_before WHERE ")
	for i, k := range info.pk {
		if i > 0 {
			b.WriteString(" AND ")
		}
		fmt.Fprintf(&b, "%s.%s = audit_before.audit_k%d", q, quote(k), i)
	}
	info.updateJoin = b.String()
	info.records = map[recordKey]recordText{}
}

// finish ends the statement with the INSERT of one audit record per returned row, then what
// GORM expects back: the RETURNING columns it asked for, or else nothing but a row count,
// which is the number of rows written (RowsAffected). That count is the INSERT's when every
// row gets a record. When an unchanged row may get none, the statement instead ends by
// selecting the rows it wrote, with no columns, from audit_rows: its count ("SELECT n") is
// still the rows the UPDATE matched, which callers read as "found" (and Save, seeing 0, would
// insert the row again).
func (a *auditor) finish(stmt *gorm.Statement, info *tableInfo, key recordKey) {
	actor := ActorFrom(stmt.Context)
	returning, wantsRows := stmt.Clauses["RETURNING"]
	recordsInCTE := wantsRows || key.src.mayBeUnchanged
	if recordsInCTE {
		stmt.WriteString(", audit_records AS (")
	} else {
		stmt.WriteByte(' ')
	}
	key.pending = recordTable(stmt.ConnPool) == "audit_pending"
	text := info.recordText(key)
	stmt.WriteString(text.head)
	stmt.AddVar(stmt, actor.Type)
	stmt.WriteString(", ")
	stmt.AddVar(stmt, actor.ID)
	stmt.WriteString(", ")
	stmt.AddVar(stmt, actor.Label)
	stmt.WriteString(", ")
	stmt.AddVar(stmt, actor.RequestID)
	stmt.WriteString(", ")
	stmt.AddVar(stmt, actor.IP)
	stmt.WriteString(text.tail)
	if !recordsInCTE {
		return
	}
	stmt.WriteString(") SELECT ")
	if !wantsRows {
		stmt.WriteString("FROM audit_rows")
		return
	}
	columns := returning.Expression.(clause.Returning).Columns
	if len(columns) == 0 || len(columns) == 1 && columns[0].Name == "*" {
		columns = nil
		for _, name := range info.columns {
			columns = append(columns, clause.Column{Name: name})
		}
	}
	for i, col := range columns {
		if i > 0 {
			stmt.WriteByte(',')
		}
		col.Table = ""
		stmt.WriteQuoted(col)
	}
	stmt.WriteString(" FROM audit_rows")
}

// maxRecordTexts bounds how many forms of a table's record INSERT are kept (an UPDATE's form
// depends on the columns it sets); past it, further forms are made at each write.
const maxRecordTexts = 256

// recordText returns the text of the table's record INSERT of one form, made on first use.
func (info *tableInfo) recordText(key recordKey) recordText {
	info.mu.Lock()
	defer info.mu.Unlock()
	text, ok := info.records[key]
	if !ok {
		text = info.makeRecordText(key)
		if len(info.records) < maxRecordTexts {
			info.records[key] = text
		}
	}
	return text
}

// makeRecordText writes the INSERT of one audit record per returned row.
//
// The records of a statement that may change several rows are written in primary-key order,
// which also makes Postgres finish every change before the first record: a statement writing
// straight into audit_log takes the chain lock only once it has no row lock left to wait for.
func (info *tableInfo) makeRecordText(key recordKey) recordText {
	src := key.src
	row := fmt.Sprintf("coalesce(%s, %s)", src.new, src.old)
	var recordID string
	if len(info.pk) == 1 {
		recordID = fmt.Sprintf("(%s ->> %s)", row, quoteLiteral(info.pk[0]))
	} else {
		var parts []string
		for _, k := range info.pk {
			parts = append(parts, fmt.Sprintf("%s, %s -> %s", quoteLiteral(k), row, quoteLiteral(k)))
		}
		recordID = "jsonb_build_object(" + strings.Join(parts, ", ") + ")::text"
	}
	redact := func(v string) string {
		// Each secret column that has a value gets the marker instead (->> reads a missing
		// key and JSON null alike as NULL).
		for _, k := range info.secrets {
			marker, _ := json.Marshal(map[string]string{k: Redacted})
			v = fmt.Sprintf("CASE WHEN %[1]s ->> %[2]s IS NULL THEN %[1]s ELSE %[1]s || %[3]s::jsonb END",
				v, quoteLiteral(k), quoteLiteral(string(marker)))
		}
		return v
	}
	table := "audit_log"
	if key.pending {
		table = "audit_pending"
	}
	var tail string
	if !src.mayBeUnchanged {
		tail = fmt.Sprintf(", %s, %s, %s, %s, %s, %s FROM %s", src.action, quoteLiteral(info.name), recordID,
			redact(src.old), redact(src.new), info.changed(src.old, src.new, key.set), src.from)
	} else {
		// The changed columns are worked out once per row, in a subquery that OFFSET 0 keeps
		// Postgres from folding into the query (which would work them out again for the
		// WHERE), and an update that changed only bookkeeping columns is left out. Any other
		// record is kept: a NULL action, the upsert's refusal, is still refused by the log.
		ignored := make([]string, len(bookkeeping))
		for i, c := range bookkeeping {
			ignored[i] = quoteLiteral(c)
		}
		tail = fmt.Sprintf(", %s, %s, %s, %s, %s, audit_diff.changed FROM %s CROSS JOIN LATERAL (SELECT %s AS changed OFFSET 0) audit_diff"+
			" WHERE %s IS DISTINCT FROM 'update' OR NOT audit_diff.changed <@ ARRAY[%s]::text[]",
			src.action, quoteLiteral(info.name), recordID, redact(src.old), redact(src.new), src.from,
			info.changed(src.old, src.new, key.set), src.action, strings.Join(ignored, ", "))
	}
	if !key.singleRow {
		tail += fmt.Sprintf(` ORDER BY %s COLLATE "C"`, recordID)
	}
	return recordText{
		head: "INSERT INTO " + table + " (actor_type, actor_id, actor_label, request_id, ip, action, table_name, record_id, old, new, changed) SELECT ",
		tail: tail,
	}
}

// changed is the SQL of the columns whose values differ between old and new (a missing key and
// JSON null are the same), in byte order: for a created or deleted row, its non-null columns.
//
// Each of the table's columns is compared on its own, in an array built in byte order, which
// costs Postgres less than listing the keys of the JSON (a set-returning subquery and a sort at
// every write). A column whose JSON has one spelling per value is compared as text (->>, which
// also reads a missing key and JSON null alike as NULL), far cheaper than comparing two jsonb
// values; the others (numeric, json, jsonb, arrays, composites, domains, types of extensions)
// as JSON values. An UPDATE that can change only the columns it sets (set, comma-separated:
// see setColumns) compares only those. Should the table have gained columns since its columns
// were read (a migration run beside the app), the row has keys beyond them, and
// audit_changed_columns lists the keys instead (migrations/tenant/00051_audit_cheaper_records.sql):
// the result is the same either way. Written into the statement rather than as a database
// function, which Postgres would run as a separate call at every write.
func (info *tableInfo) changed(old, new, set string) string {
	known := make([]string, len(info.columns))
	for i, c := range info.columns {
		known[i] = quoteLiteral(c)
	}
	compared := info.columns
	if set != "" {
		compared = strings.Split(set, ",")
	}
	compared = slices.Clone(compared)
	slices.Sort(compared) // Go orders strings by their bytes, as COLLATE "C" does
	each := make([]string, len(compared))
	for i, c := range compared {
		k := quoteLiteral(c)
		if info.oneSpelling[c] {
			each[i] = fmt.Sprintf("CASE WHEN %[1]s ->> %[3]s IS DISTINCT FROM %[2]s ->> %[3]s THEN %[3]s END", old, new, k)
		} else {
			each[i] = fmt.Sprintf("CASE WHEN nullif(%[1]s -> %[3]s, 'null') IS DISTINCT FROM nullif(%[2]s -> %[3]s, 'null') THEN %[3]s END", old, new, k)
		}
	}
	return fmt.Sprintf("CASE WHEN coalesce(%[1]s, %[2]s) - ARRAY[%[3]s]::text[] = '{}' THEN array_remove(ARRAY[%[4]s]::text[], NULL) ELSE audit_changed_columns(%[1]s, %[2]s) END",
		old, new, strings.Join(known, ", "), strings.Join(each, ", "))
}

// rowColumns is what audit_rows returns besides the values: the table's columns when GORM
// reads them back (RETURNING) or an upsert joins on them.
func rowColumns(stmt *gorm.Statement, q string, upsert bool) string {
	if _, ok := stmt.Clauses["RETURNING"]; ok || upsert {
		return q + ".*, "
	}
	return ""
}

// atMostOneRow reports whether a statement's conditions pin it to one row: among its
// top-level conditions (joined by AND) an equality, or a one-value IN, on a single-column
// primary key.
func atMostOneRow(stmt *gorm.Statement, info *tableInfo) bool {
	if len(info.pk) != 1 {
		return false
	}
	c, ok := stmt.Clauses["WHERE"]
	if !ok {
		return false
	}
	where, _ := c.Expression.(clause.Where)
	isPK := func(column any) bool {
		switch col := column.(type) {
		case string:
			return col == info.pk[0]
		case clause.Column:
			if col.Name == clause.PrimaryKey {
				return stmt.Schema != nil && stmt.Schema.PrioritizedPrimaryField != nil && stmt.Schema.PrioritizedPrimaryField.DBName == info.pk[0]
			}
			return col.Name == info.pk[0] && (col.Table == "" || col.Table == clause.CurrentTable || col.Table == info.name)
		}
		return false
	}
	pinned := false
	for _, e := range where.Exprs {
		switch e := e.(type) {
		case clause.OrConditions:
			return false // an OR among the top-level conditions: they are no longer all required
		case clause.Eq:
			if isPK(e.Column) {
				if v := reflect.ValueOf(e.Value); !v.IsValid() || v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
					pinned = true
				}
			}
		case clause.IN:
			pinned = pinned || isPK(e.Column) && len(e.Values) == 1
		}
	}
	return pinned
}

// hasConditions mirrors GORM's refusal of a global update or delete: without conditions
// (other than soft delete's), GORM refuses the statement unless AllowGlobalUpdate is set.
func hasConditions(db *gorm.DB) bool {
	if db.AllowGlobalUpdate {
		return true
	}
	c, ok := db.Statement.Clauses["WHERE"]
	if !ok {
		return false
	}
	where, _ := c.Expression.(clause.Where)
	if _, soft := db.Statement.Clauses["soft_delete_enabled"]; soft {
		return len(where.Exprs) > 1
	}
	return len(where.Exprs) > 0
}

func writef(stmt *gorm.Statement, format string, args ...any) {
	stmt.WriteString(fmt.Sprintf(format, args...))
}

// quoteLiteral quotes s as an SQL string literal (standard_conforming_strings is on).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
