package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AuditEntry is one row of the audit log as people read it.
type AuditEntry struct {
	ID         int64
	At         time.Time
	ActorType  string
	ActorID    int64
	ActorLabel string
	Action     string // create, update, delete or event
	Event      string // for action "event": signin.success, policy.changed, ...
	Subject    string
	TableName  string
	RecordID   string
	// Old and New are the row before and after. An update's keep only the columns that
	// changed and contextColumns (what the log shows); the export reads whole rows.
	Old       map[string]any
	New       map[string]any
	Changed   []string
	Details   map[string]any
	RequestID string
	IP        string
}

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	Actor  string    // part of the actor's label (an email, a token's name)
	Object string    // a table name, or "event" for security events
	Action string    // create, update, delete, event
	From   time.Time // on or after
	To     time.Time // before
	Text   string    // free text in the event, subject, record id or values
	Before int64     // keyset cursor: entries with a smaller id
	Limit  int
}

// RecordHistory selects one record's history.
type RecordHistory struct {
	Table    string
	RecordID string
	// Also takes the rows of another table that point at the record, such as a role's
	// policy rules: a JSON key of old/new that holds the record id.
	RelatedTable string
	RelatedKey   string
	// MoreRelated are further tables whose rows point at the record by the same key (a
	// purchase order's lines and its receipts).
	MoreRelated []string
	// DocType also takes the approval steps, comments and attachments of the document of
	// this kind with the record's id.
	DocType string
}

type auditRow struct {
	ID          int64
	At          time.Time
	ActorType   string
	ActorID     int64
	ActorLabel  string
	Action      string
	Event       *string
	Subject     *string
	TableName   *string
	RecordID    *string
	OldJSON     *string
	NewJSON     *string
	ChangedJSON *string
	DetailsJSON *string
	RequestID   string
	IP          string
}

const auditColumns = `id, at, actor_type, actor_id, actor_label, action, event, subject, table_name, record_id,
	old::text AS old_json, new::text AS new_json, array_to_json(changed)::text AS changed_json, details::text AS details_json,
	request_id, ip`

// entry is the row as people read it. An update's recorded rows keep only what it shows: the
// columns that changed, and those that say how they read (contextColumns: what currency its
// amounts are in, what its rate is per); a recorded row holds every column, most of which an
// update leaves alone.
func (r auditRow) entry() AuditEntry {
	e := AuditEntry{ID: r.ID, At: r.At, ActorType: r.ActorType, ActorID: r.ActorID, ActorLabel: r.ActorLabel, Action: r.Action,
		Event: deref(r.Event), Subject: deref(r.Subject), TableName: deref(r.TableName), RecordID: deref(r.RecordID), RequestID: r.RequestID, IP: r.IP}
	if r.ChangedJSON != nil {
		e.Changed, _ = decodeNames(*r.ChangedJSON)
	}
	var keep func(string) bool
	if e.Action == "update" && len(e.Changed) > 0 {
		keep = func(col string) bool { return contextColumns[col] || slices.Contains(e.Changed, col) }
	}
	decode := func(s *string, keep func(string) bool) map[string]any {
		if s == nil {
			return nil
		}
		m, _ := decodeRecord(*s, keep)
		return m
	}
	e.Old = decode(r.OldJSON, keep)
	e.New = decode(r.NewJSON, keep)
	e.Details = decode(r.DetailsJSON, nil)
	return e
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// likeEscaper escapes LIKE's wildcards and its escape character. A Replacer is built on its
// first use; one shared by every search costs nothing after that.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// escapeLike makes s match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return likeEscaper.Replace(s)
}

func (f AuditFilter) apply(q *gorm.DB) *gorm.DB {
	if f.Actor != "" {
		q = q.Where("actor_label ILIKE ?", "%"+escapeLike(f.Actor)+"%")
	}
	switch f.Object {
	case "":
	case "event":
		q = q.Where("action = 'event'")
	default:
		q = q.Where(nameEquals("table_name", f.Object))
	}
	if f.Action != "" {
		q = q.Where(nameEquals("action", f.Action))
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To)
	}
	if f.Text != "" {
		like := "%" + escapeLike(f.Text) + "%"
		q = q.Where(`(event ILIKE ? OR subject ILIKE ? OR record_id = ? OR actor_label ILIKE ? OR old::text ILIKE ? OR new::text ILIKE ? OR details::text ILIKE ?)`,
			like, like, f.Text, like, like, like, like)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	return q
}

// AuditEntries returns one page of entries, newest first, and the cursor of the next page
// (0 when there is none). Paging is by id (keyset), so page 10,000 costs what page 1 does.
func AuditEntries(ctx context.Context, db *gorm.DB, f AuditFilter) ([]AuditEntry, int64, error) {
	page, err := auditPage(ctx, db, f, false)
	return page.Entries, page.Next, err
}

// AuditLogPage is a page of the audit log (see AuditEntries) with the object types present
// in the whole log, which its filter offers (see AuditObjects).
type AuditLogPage struct {
	Entries []AuditEntry
	Next    int64
	Objects []string
}

// AuditLog reads a page of the log and the object types present in it in one statement: each
// row carries the types, an uncorrelated subquery Postgres runs once. When no entry matches,
// the types are read on their own.
func AuditLog(ctx context.Context, db *gorm.DB, f AuditFilter) (AuditLogPage, error) {
	page, err := auditPage(ctx, db, f, true)
	if err == nil && len(page.Entries) == 0 {
		page.Objects, err = AuditObjects(ctx, db)
	}
	return page, err
}

func auditPage(ctx context.Context, db *gorm.DB, f AuditFilter, objects bool) (AuditLogPage, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows := make([]auditRow, 0, f.Limit+1)
	sel := auditColumns
	if objects {
		sel += `, (SELECT string_agg(name, ',' ORDER BY name) FROM (` + auditObjectsSQL + `) o) AS objects`
	}
	var present sql.NullString
	q := f.apply(db.WithContext(ctx).Table("audit_log").Select(sel)).Order("id DESC").Limit(f.Limit + 1)
	err := scanEach(q, func(sr *sql.Rows) error {
		var r auditRow
		dest := []any{&r.ID, &r.At, &r.ActorType, &r.ActorID, &r.ActorLabel, &r.Action, &r.Event, &r.Subject, &r.TableName, &r.RecordID,
			&r.OldJSON, &r.NewJSON, &r.ChangedJSON, &r.DetailsJSON, &r.RequestID, &r.IP}
		if objects {
			dest = append(dest, &present)
		}
		err := sr.Scan(dest...)
		rows = append(rows, r)
		return err
	})
	if err != nil {
		return AuditLogPage{}, err
	}
	var out AuditLogPage
	if present.String != "" { // table names hold no comma
		out.Objects = strings.Split(present.String, ",")
	}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		out.Next = rows[len(rows)-1].ID
	}
	out.Entries = make([]AuditEntry, len(rows))
	for i, r := range rows {
		out.Entries[i] = r.entry()
	}
	return out, nil
}

// auditParents are the tables whose recorded rows the database's audit_parent names the parent
// of, by the column it reads (migrations 00106 and 00119); a document's parts (approval_steps,
// comments, attachments) are named by doc_type and doc_id. TestAuditParentsAreTheDatabases
// holds the two to each other; a History of a table not here is refused, not read without
// its rows.
var auditParents = map[string]string{
	"requisition_lines": "requisition_id", "purchase_order_lines": "purchase_order_id", "receipts": "purchase_order_id",
	"expense_lines": "report_id", "travel_legs": "travel_request_id", "bill_lines": "bill_id", "payment_lines": "payment_run_id",
	"payment_run_vendors": "payment_run_id", "user_roles": "user_id", "casbin_rule": "v0", "approval_rule_steps": "rule_id",
	"vendor_bank_accounts": "vendor_id",
}

// History returns a record's audit entries, newest first: its own, and those of the rows
// that belong to it, read through the log's index of rows by parent (audit_parent, migration
// 00106). The tables are written into the statement as text, never sent as values: the
// index holds only the rows of some tables, and a plan made once for any values (a prepared
// statement's generic plan) could not know that a value is one of them. A row that belongs
// to the record is found by the parent it has now (new), or had when it was deleted (old).
func History(ctx context.Context, db *gorm.DB, h RecordHistory, limit int) ([]AuditEntry, error) {
	q := db.WithContext(ctx).Table("audit_log").Select(auditColumns)
	own := nameEquals("table_name", h.Table)
	cond := db.Where(clause.Expr{SQL: own.SQL + " AND record_id = ?", Vars: append(own.Vars, h.RecordID)})
	if h.RelatedTable != "" {
		for _, table := range append([]string{h.RelatedTable}, h.MoreRelated...) {
			if auditParents[table] != h.RelatedKey {
				return nil, fmt.Errorf("history of %s: audit_parent does not read %s.%s (see auditParents)", h.Table, table, h.RelatedKey)
			}
			// table is one of auditParents' names, never input.
			cond = cond.Or("table_name = '"+table+"' AND audit_parent(table_name, old, new) = ?", h.RecordID)
		}
	}
	if h.DocType != "" {
		cond = cond.Or(`table_name IN ('approval_steps', 'comments', 'attachments') AND audit_parent(table_name, old, new) = ?`,
			h.DocType+":"+h.RecordID)
	}
	q = q.Where(cond)
	var rows []auditRow
	if err := q.Order("id DESC").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, nil
}

// auditObjectsSQL lists the tables the log has rows of, in order: a loose index scan, one
// index probe per distinct name, however many rows there are.
const auditObjectsSQL = `
		WITH RECURSIVE t(name) AS (
			(SELECT table_name FROM audit_log WHERE table_name IS NOT NULL ORDER BY table_name LIMIT 1)
			UNION ALL
			SELECT (SELECT table_name FROM audit_log WHERE table_name > t.name ORDER BY table_name LIMIT 1)
			FROM t WHERE t.name IS NOT NULL
		)
		SELECT name FROM t WHERE name IS NOT NULL`

// AuditObjects lists the object types present in the log, for the filter.
func AuditObjects(ctx context.Context, db *gorm.DB) ([]string, error) {
	var names []string
	// A loose index scan: one index probe per distinct name, however many rows there are.
	// Every view of the audit log reads it: its rows are scanned directly.
	err := scanEach(db.WithContext(ctx).Raw(auditObjectsSQL), func(rows *sql.Rows) error {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	return names, err
}

// referenceNameSQL names a record of each table audit records may point at, for History to
// show "Engineering" rather than "3", with the currency of documents, so that their lines'
// amounts read as money. Keys are the only table names ever put into the query.
var referenceNameSQL = map[string]string{
	"users":                 "SELECT id, name, '' AS currency FROM users WHERE id = ANY(?)",
	"departments":           "SELECT id, name, '' AS currency FROM departments WHERE id = ANY(?)",
	"vendors":               "SELECT id, name, currency FROM vendors WHERE id = ANY(?)",
	"locations":             "SELECT id, name, '' AS currency FROM locations WHERE id = ANY(?)",
	"gl_accounts":           "SELECT id, code || ' ' || name AS name, '' AS currency FROM gl_accounts WHERE id = ANY(?)",
	"approval_rules":        "SELECT id, name, currency FROM approval_rules WHERE id = ANY(?)",
	"api_tokens":            "SELECT id, name, '' AS currency FROM api_tokens WHERE id = ANY(?)",
	"expense_categories":    "SELECT id, name, '' AS currency FROM expense_categories WHERE id = ANY(?)",
	"per_diem_rates":        "SELECT id, destination AS name, '' AS currency FROM per_diem_rates WHERE id = ANY(?)",
	"reimbursement_batches": "SELECT id, number AS name, '' AS currency FROM reimbursement_batches WHERE id = ANY(?)",
	// A person's second factor and a vendor's bank account are kept by their owner's id.
	"user_two_factor":      "SELECT id, name, '' AS currency FROM users WHERE id = ANY(?)",
	"vendor_bank_accounts": "SELECT id, name, '' AS currency FROM vendors WHERE id = ANY(?)",
}

// partNameSQL names records that belong to a document: an approval step, a line, a comment, a
// file. Each selects id, the document's type and id, the part's label ("Step 2") and what
// follows the document's name (" (Max Manager)"), making "Step 2 of REQ-000006 (Max Manager)".
var partNameSQL = map[string]string{
	"approval_steps": `SELECT s.id, s.doc_type, s.doc_id, 'Step ' || s.position AS label,
		coalesce(' (' || coalesce(u.name, r.label, s.role) || ')', '') AS suffix
		FROM approval_steps s LEFT JOIN users u ON u.id = s.approver_id LEFT JOIN roles r ON r.name = s.role
		WHERE s.id = ANY(?)`,
	// A comment by its author, "Comment of REQ-000006 (Rita Requester)"; a file by its name,
	// "quote.pdf of REQ-000006".
	"comments": `SELECT c.id, c.doc_type, c.doc_id, 'Comment' AS label, coalesce(' (' || u.name || ')', '') AS suffix
		FROM comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.id = ANY(?)`,
	"attachments": `SELECT id, doc_type, doc_id, filename AS label, '' AS suffix FROM attachments WHERE id = ANY(?)`,
	// The bank account a payment run pays a vendor, copied onto the run, by its vendor: "Bank
	// account of PAY-000004: Northwind".
	"payment_run_vendors": `SELECT p.id, '` + DocPayment + `' AS doc_type, p.payment_run_id AS doc_id, 'Bank account' AS label,
		coalesce(': ' || v.name, '') AS suffix FROM payment_run_vendors p LEFT JOIN vendors v ON v.id = p.vendor_id WHERE p.id = ANY(?)`,
}

func init() {
	for _, k := range documentKinds {
		referenceNameSQL[k.Table] = k.History.NameSQL
		if k.History.LinesTable != "" {
			label, description := k.History.LineLabel, k.History.LineDescription
			if label == "" {
				label = `'Line ' || position`
			}
			if description == "" {
				description = `description`
			}
			partNameSQL[k.History.LinesTable] = fmt.Sprintf(`SELECT id, '%s' AS doc_type, %s AS doc_id,
				%s AS label, ': ' || %s AS suffix FROM %s WHERE id = ANY(?)`,
				k.Type, k.History.LinesKey, label, description, k.History.LinesTable)
		}
	}
}

// idList is a list of ids sent as one array value, for "= ANY(?)": "IN ?" writes a
// placeholder per id, so that each number of ids makes a statement of its own, which every
// connection prepares again and keeps.
type idList []int64

// Value is the list as Postgres writes an array, {1,2,3}, each id once (a page of the audit
// log names the same person on most of its rows).
func (l idList) Value() (driver.Value, error) {
	l = slices.Compact(slices.Sorted(slices.Values(l)))
	b := make([]byte, 0, 2+8*len(l))
	b = append(b, '{')
	for i, id := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, '}')), nil
}

// nameList is a list of names sent as one text array value, for "= ANY(?::text[])", as idList
// sends ids: each name once, quoted as Postgres reads an array's elements.
type nameList []string

// Value is the list as Postgres writes a text array: {"a","b"}.
func (l nameList) Value() (driver.Value, error) {
	l = slices.Compact(slices.Sorted(slices.Values(l)))
	quote := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + quote.Replace(name) + `"`)
	}
	b.WriteByte('}')
	return b.String(), nil
}

// kindOfTable is the document kind kept in table, if any.
func kindOfTable(table string) *DocumentKind {
	for _, k := range documentKinds {
		if k.Table == table {
			return k
		}
	}
	return nil
}

func deref64(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}

// documentPart is a record that belongs to a document, as partNameSQL finds it.
type documentPart struct {
	ID            int64
	DocType       string
	DocID         int64
	Label, Suffix string
}

// referenceRow is one row of ReferenceNames' query: a record's name and currency, a
// document part with its document, or a role's label (Name) by its name (Key).
type referenceRow struct {
	Tbl            string
	ID             int64
	Name, Currency sql.NullString // NULL reads as ""
	DocType        *string
	DocID          *int64
	Label, Suffix  *string
	Key            *string
}

// Reference is a record an audit record points at: its name, and its currency if it has one.
type Reference struct {
	Name     string
	Currency string
}

// ReferenceNames looks up the records refs points at (ids by table) in one query: a branch
// per table, where the parts of documents (an approval step, a line) bring their documents'
// names along. Tables it does not know are left out. Each table's ids are one array value
// (idList), so the statement's text depends on the tables alone.
func ReferenceNames(ctx context.Context, db *gorm.DB, refs map[string][]int64) (map[string]map[int64]Reference, error) {
	names, err := referenceNames(ctx, db, refs, nil)
	return names.Records, err
}

// referenceNames is ReferenceNames, with the labels of the roles named roles read in the same
// query.
func referenceNames(ctx context.Context, db *gorm.DB, refs map[string][]int64, roles []string) (AuditNames, error) {
	var branches []string
	var args []any
	var partTables []string
	if len(roles) > 0 {
		branches = append(branches, `SELECT 'roles' AS tbl, 0::bigint AS id, label AS name, '' AS currency, NULL::text AS doc_type,
			NULL::bigint AS doc_id, NULL::text AS label, NULL::text AS suffix, name AS key FROM roles WHERE name = ANY(?::text[])`)
		args = append(args, nameList(roles))
	}
	for _, table := range slices.Sorted(maps.Keys(refs)) {
		if q, ok := partNameSQL[table]; ok && len(refs[table]) > 0 {
			partTables = append(partTables, table)
			branches = append(branches, `SELECT '`+table+`' AS tbl, id, '' AS name, '' AS currency, doc_type, doc_id, label, suffix,
				NULL::text AS key FROM (`+q+`) x`)
			args = append(args, idList(refs[table]))
		}
	}
	for _, table := range slices.Sorted(maps.Keys(referenceNameSQL)) {
		q, ids := referenceNameSQL[table], refs[table]
		// A document also named because one of its parts is: its id is read from the part.
		var viaParts []string
		var partArgs []any
		if k := kindOfTable(table); k != nil && strings.HasSuffix(q, "WHERE id = ANY(?)") {
			for _, p := range partTables {
				viaParts = append(viaParts, `SELECT doc_id FROM (`+partNameSQL[p]+`) x WHERE doc_type = '`+k.Type+`'`)
				partArgs = append(partArgs, idList(refs[p]))
			}
		}
		if len(ids) == 0 && len(viaParts) == 0 {
			continue
		}
		if len(viaParts) > 0 {
			q = strings.TrimSuffix(q, "id = ANY(?)") + "(id = ANY(?) OR id IN (" + strings.Join(viaParts, " UNION ALL ") + "))"
		}
		branches = append(branches, `SELECT '`+table+`' AS tbl, id, name, currency, NULL::text AS doc_type, NULL::bigint AS doc_id,
			NULL::text AS label, NULL::text AS suffix, NULL::text AS key FROM (`+q+`) x`)
		args = append(append(args, idList(ids)), partArgs...)
	}
	out := map[string]map[int64]Reference{}
	names := AuditNames{Records: out, Roles: map[string]string{}}
	if len(branches) == 0 {
		return names, nil
	}
	var rows []referenceRow
	err := scanEach(db.WithContext(ctx).Raw(strings.Join(branches, "\nUNION ALL\n"), args...), func(sr *sql.Rows) error {
		rows = append(rows, referenceRow{})
		r := &rows[len(rows)-1]
		return sr.Scan(&r.Tbl, &r.ID, &r.Name, &r.Currency, &r.DocType, &r.DocID, &r.Label, &r.Suffix, &r.Key)
	})
	if err != nil {
		return AuditNames{}, err
	}
	parts := map[string][]documentPart{}
	for _, r := range rows {
		if r.Key != nil {
			names.Roles[*r.Key] = r.Name.String
			continue
		}
		if r.DocType != nil {
			parts[r.Tbl] = append(parts[r.Tbl], documentPart{ID: r.ID, DocType: *r.DocType, DocID: deref64(r.DocID), Label: deref(r.Label), Suffix: deref(r.Suffix)})
			continue
		}
		if out[r.Tbl] == nil {
			out[r.Tbl] = map[int64]Reference{}
		}
		out[r.Tbl][r.ID] = Reference{Name: r.Name.String, Currency: r.Currency.String}
	}
	for table, rows := range parts {
		out[table] = make(map[int64]Reference, len(rows))
		for _, r := range rows {
			doc := Reference{Name: r.DocType + " #" + strconv.FormatInt(r.DocID, 10)}
			if k, ok := FindDocumentKind(r.DocType); ok {
				doc.Name = strings.ToLower(k.Label) + " #" + strconv.FormatInt(r.DocID, 10)
				if found, ok := out[k.Table][r.DocID]; ok {
					doc = found
				}
			}
			out[table][r.ID] = Reference{Name: r.Label + " of " + doc.Name + r.Suffix, Currency: doc.Currency}
		}
	}
	return names, nil
}

// AuditExportColumns name the values StreamAuditLog gives for each row, in order.
var AuditExportColumns = []string{"id", "at_utc", "actor_type", "actor_id", "actor", "action", "event", "subject", "object",
	"record_id", "changed", "old", "new", "details", "request_id", "ip"}

// StreamAuditLog calls fn with every row the filter selects, newest first, read one at a
// time from a single query: an export of a log of any size holds one row at a time. Each
// value is the column's text as Postgres writes it (times in UTC, RFC 3339; JSON as JSON
// text; changed columns separated by spaces; nil for NULL), in AuditExportColumns order. The
// values are valid only until fn returns: they are the connection's own buffer, which is
// what makes an export of a million rows take seconds.
func StreamAuditLog(ctx context.Context, db *gorm.DB, f AuditFilter, fn func(values [][]byte) error) (int, error) {
	stmt := f.apply(db.WithContext(ctx).Session(&gorm.Session{DryRun: true}).Table("audit_log").Select(`id,
		to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor_type, actor_id, actor_label, action, event, subject,
		table_name, record_id, array_to_string(changed, ' '), old, new, details, request_id, ip`)).Order("id DESC").Find(&[]map[string]any{}).Statement
	if stmt.Error != nil {
		return 0, stmt.Error
	}
	query, args := stmt.SQL.String(), stmt.Vars
	sqlDB, err := db.DB()
	if err != nil {
		return 0, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	n := 0
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("audit export needs a pgx connection, not %T", driverConn)
		}
		// Text results, read as the bytes Postgres sent: no value is decoded and re-encoded.
		rows, err := pc.Conn().Query(ctx, query, append([]any{pgx.QueryResultFormats{pgx.TextFormatCode}}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows.RawValues()); err != nil {
				return err
			}
			n++
		}
		return rows.Err()
	})
	return n, err
}
