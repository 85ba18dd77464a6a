package archive

import (
	"bufio"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/storage"
)

const auditTable = "audit_log"

// CheckAudit checks the archive's signature and audit log before anything is loaded: the
// manifest (which holds every file's checksum) signed under the deployment's secret; every
// audit row numbered,
// chained and hashed as the chain trigger writes it, every keyed hash the HMAC of its row's
// hash under the archived tenant's key (derived from secret, OUTLAY_SECRET_KEY, and the
// tenant's slug), and the log ending at the head the manifest and audit/head.json record.
//
// The signature and the keyed hashes are what make an edited archive fail: someone who
// changes a row and then recomputes every plain hash, the head and the checksums can sign
// neither without the secret. So an archive is loaded only by a deployment with the secret
// of the one that wrote it (which its sealed values need anyway).
func (a *Archive) CheckAudit(secret []byte) error {
	key, err := audit.TenantKey(secret, a.Manifest.Tenant)
	if err != nil {
		return err
	}
	signature, err := a.Manifest.Sign(secret)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(signature), []byte(a.Manifest.Signature)) {
		return fmt.Errorf("%w: its manifest's signature does not match: it was changed, or written by a deployment with another OUTLAY_SECRET_KEY", ErrDamaged)
	}
	var recorded *AuditHead
	if err := a.decodeFile(HeadPath, &recorded); err != nil {
		return err
	}
	if (recorded == nil) != (a.Manifest.AuditHead == nil) || recorded != nil && *recorded != *a.Manifest.AuditHead {
		return fmt.Errorf("%w: %s and %s record different audit heads", ErrDamaged, HeadPath, ManifestPath)
	}
	want := AuditHead{}
	if recorded != nil {
		want = *recorded
	}
	var res audit.Result
	if t, ok := a.table(auditTable); ok {
		rc, err := a.files[t.JSONL].Open()
		if err != nil {
			return err
		}
		res, err = audit.VerifyArchived(rc, key)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrDamaged, err)
		}
	} else if want.Row != 0 {
		return fmt.Errorf("%w: it records an audit head but holds no audit log", ErrDamaged)
	}
	if !res.Intact() {
		return fmt.Errorf("%w: its audit log is not the one %s wrote (or this deployment's OUTLAY_SECRET_KEY is not that deployment's): %s",
			ErrDamaged, a.Manifest.Tenant, res)
	}
	if res.HeadID != want.Row || (want.Row != 0 && hex.EncodeToString(res.HeadHash) != want.Hash) {
		return fmt.Errorf("%w: its audit log ends at row %d, but its recorded head is row %d", ErrDamaged, res.HeadID, want.Row)
	}
	a.auditChecked = true
	return nil
}

func (a *Archive) decodeFile(path string, v any) error {
	f, ok := a.files[path]
	if !ok {
		return fmt.Errorf("%w: it has no %s", ErrDamaged, path)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDamaged, path, err)
	}
	return nil
}

func (a *Archive) table(name string) (Table, bool) {
	for _, t := range a.Manifest.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// Load writes the archive's tables into db, the database of a new tenant slug just migrated
// to the archive's schema version, in one transaction, and its attachments into blobs under
// slug. What the migrations put in the new database (default roles, settings) is replaced by
// the archive's rows. Ids and every value are kept as they were; sequences continue after the
// highest id. CheckAudit must have passed first.
//
// It needs no more than a role that may insert and delete the tenant's rows: triggers and
// foreign keys stay on. Tables are loaded parents first (the order comes from the foreign
// keys in pg_catalog); a reference within a table or around a cycle is loaded empty and set
// by a second pass once the rows it points at are there. The audit log goes in through its
// own chain trigger, in order, which numbers and hashes each row again and keys it with the
// new tenant's key: the load fails unless the chain it rebuilds ends at the archive's
// verified head, so the log is the archive's row for row, and nothing but the trigger writes
// it. A table that another table's trigger changed while loading (the policy version, which
// changes with every role) is loaded again at the end.
func (a *Archive) Load(ctx context.Context, db *gorm.DB, slug string, blobs Blobs) error {
	if !a.auditChecked {
		return errors.New("the archive's audit log must be checked (CheckAudit) before it is loaded")
	}
	var schema int64
	if err := db.WithContext(ctx).Raw("SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&schema).Error; err != nil {
		return err
	}
	if schema != a.Manifest.Schema {
		return fmt.Errorf("the archive is at schema version %d and this deployment's tenants at %d: import it with the Outlay version that wrote it", a.Manifest.Schema, schema)
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		have, err := listTables(tx)
		if err != nil {
			return err
		}
		l := &loader{a: a, tx: tx, slug: slug, tables: map[string]table{}, archived: map[string]Table{}, loaded: map[string]bool{}}
		for _, t := range have {
			l.tables[t.name] = t
		}
		for _, t := range a.Manifest.Tables {
			if _, ok := l.tables[t.Name]; !ok {
				return fmt.Errorf("the archive's table %s is not in this deployment's schema", t.Name)
			}
			l.archived[t.Name] = t
		}
		if err := l.plan(); err != nil {
			return err
		}
		if err := l.empty(); err != nil {
			return err
		}
		for _, name := range l.order {
			if err := l.load(name); err != nil {
				return fmt.Errorf("table %s: %w", name, err)
			}
		}
		if err := l.settle(); err != nil {
			return err
		}
		if err := l.checkAuditHead(); err != nil {
			return err
		}
		return resetSequences(tx)
	})
	if err != nil {
		return err
	}
	for path, f := range a.files {
		h, ok := strings.CutPrefix(path, blobsDir)
		if !ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		err = blobs.Put(ctx, storage.Key(slug, h), rc, "application/octet-stream")
		rc.Close()
		if err != nil {
			return fmt.Errorf("attachment %s: %w", h, err)
		}
	}
	return nil
}

// loader loads an archive's tables in one transaction.
type loader struct {
	a        *Archive
	tx       *gorm.DB
	slug     string
	tables   map[string]table // the database's
	archived map[string]Table // the archive's
	order    []string         // parents before children
	loaded   map[string]bool
	// later are the references loaded empty and set by a second pass, by table.
	later map[string][]reference
	// counts are each table's rows inserted, updated and deleted in this transaction right
	// after it was loaded: a later difference is a trigger's doing.
	counts map[string]rowCounts
}

// reference is a foreign key: table's columns pointing at parent.
type reference struct {
	table, parent string
	columns       []string
	nullable      bool // every column may be null
}

type rowCounts struct{ Ins, Upd, Del int64 }

// plan orders the tables so that every table comes after those its foreign keys point at.
// Deferrable keys are deferred to the commit and left out of the order. A reference to the
// table itself, or one that closes a cycle, is put off to a second pass (its columns must be
// nullable).
func (l *loader) plan() error {
	var fks []struct {
		Table, Parent, Columns string
		Deferrable, Nullable   bool
	}
	err := l.tx.Raw(`SELECT c.relname AS "table", p.relname AS parent, con.condeferrable AS deferrable,
			string_agg(a.attname, ',' ORDER BY k.i) AS columns, bool_and(NOT a.attnotnull) AS nullable
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class p ON p.oid = con.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, i)
		JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
		WHERE con.contype = 'f' AND n.nspname = 'public'
		GROUP BY con.oid, c.relname, p.relname, con.condeferrable
		ORDER BY c.relname, con.conname`).Scan(&fks).Error
	if err != nil {
		return fmt.Errorf("foreign keys: %w", err)
	}
	if err := l.tx.Exec("SET CONSTRAINTS ALL DEFERRED").Error; err != nil {
		return err
	}
	l.later = map[string][]reference{}
	putOff := func(r reference) error {
		if !r.nullable {
			return fmt.Errorf("table %s's reference to %s (%s) points at itself or closes a cycle of foreign keys, and its columns cannot be empty: its rows cannot be loaded one table at a time",
				r.table, r.parent, strings.Join(r.columns, ", "))
		}
		l.later[r.table] = append(l.later[r.table], r)
		return nil
	}
	parents := map[string][]reference{}
	for _, fk := range fks {
		if fk.Deferrable || skipped[fk.Table] || skipped[fk.Parent] {
			continue
		}
		r := reference{table: fk.Table, parent: fk.Parent, columns: strings.Split(fk.Columns, ","), nullable: fk.Nullable}
		if r.table == r.parent {
			if err := putOff(r); err != nil {
				return err
			}
			continue
		}
		parents[fk.Table] = append(parents[fk.Table], r)
	}
	var names []string
	for name := range l.tables {
		names = append(names, name)
	}
	slices.Sort(names)
	done := map[string]bool{}
	for len(l.order) < len(names) {
		progressed := false
		for _, name := range names {
			if done[name] || !ready(parents[name], done) {
				continue
			}
			l.order, done[name], progressed = append(l.order, name), true, true
		}
		if progressed {
			continue
		}
		// A cycle: the first table left (by name) whose references to the tables not yet
		// loaded may all be empty has those put off, and then it can go.
		broken := false
		for _, name := range names {
			if done[name] || !pendingNullable(parents[name], done) {
				continue
			}
			var kept []reference
			for _, r := range parents[name] {
				if done[r.parent] {
					kept = append(kept, r)
				} else if err := putOff(r); err != nil {
					return err
				}
			}
			parents[name], broken = kept, true
			break
		}
		if !broken {
			for _, name := range names {
				for _, r := range parents[name] {
					if !done[name] && !done[r.parent] && !r.nullable {
						return putOff(r) // names a reference that cannot be put off
					}
				}
			}
		}
	}
	return nil
}

// pendingNullable reports whether every reference of refs to a table not yet loaded may be
// empty.
func pendingNullable(refs []reference, done map[string]bool) bool {
	for _, r := range refs {
		if !done[r.parent] && !r.nullable {
			return false
		}
	}
	return true
}

// ready reports whether every table refs point at is loaded.
func ready(refs []reference, done map[string]bool) bool {
	for _, r := range refs {
		if !done[r.parent] {
			return false
		}
	}
	return true
}

// empty deletes what the migrations put in the new database, children first. The audit log
// must be empty already (it is append-only): a tenant is loaded only into a new database.
func (l *loader) empty() error {
	var n int64
	if err := l.tx.Raw("SELECT count(*) FROM " + auditTable).Scan(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("the new tenant's audit log already has %d rows: an archive is loaded only into a new tenant", n)
	}
	for i := len(l.order) - 1; i >= 0; i-- {
		name := l.order[i]
		if name == auditTable {
			continue
		}
		if err := l.tx.Exec("DELETE FROM " + quoteIdent(name)).Error; err != nil {
			return fmt.Errorf("empty %s: %w", name, err)
		}
	}
	return nil
}

// load inserts a table's rows, and then sets the put-off references whose tables are all
// loaded now (this table's own, and other tables' that point at it).
func (l *loader) load(name string) error {
	t, ok := l.archived[name]
	if !ok {
		l.loaded[name] = true // left empty
		return nil
	}
	target := l.tables[name]
	putOff := map[string]bool{}
	for _, r := range l.later[name] {
		for _, c := range r.columns {
			putOff[c] = true
		}
	}
	var cols, values []string
	for _, c := range target.columns {
		if target.generated[c] {
			continue
		}
		cols = append(cols, quoteIdent(c))
		switch {
		case putOff[c]:
			values = append(values, "NULL")
		case c == "storage_key" && slices.Contains(target.columns, "sha256"):
			// Files sit under the tenant's slug: the rows point at the new tenant's.
			values = append(values, quoteLiteral(l.slug)+" || '/' || sha256")
		default:
			values = append(values, quoteIdent(c))
		}
	}
	// In primary-key order: the audit log's chain trigger numbers and chains its rows in the
	// order they come.
	insert := "INSERT INTO " + quoteIdent(name) + " (" + strings.Join(cols, ", ") + ") OVERRIDING SYSTEM VALUE SELECT " +
		strings.Join(values, ", ") + " FROM json_populate_recordset(NULL::" + quoteIdent(name) + ", ?::json)" + orderBy(target.key)
	rows, err := l.a.eachBatch(t, func(batch string) error { return l.tx.Exec(insert, batch).Error })
	if err != nil {
		return err
	}
	if rows != t.Rows {
		return fmt.Errorf("%w: %d rows, the manifest says %d", ErrDamaged, rows, t.Rows)
	}
	if err := l.record(name); err != nil {
		return err
	}
	l.loaded[name] = true
	for child, refs := range l.later {
		for _, r := range refs {
			if (child == name || r.parent == name) && l.loaded[child] && l.loaded[r.parent] {
				if err := l.setReference(r); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// setReference sets a put-off reference's columns from the archive's rows.
func (l *loader) setReference(r reference) error {
	target := l.tables[r.table]
	if len(target.key) == 0 {
		return fmt.Errorf("table %s has no primary key to set its reference to %s by", r.table, r.parent)
	}
	var set, from, match, notNull []string
	for _, c := range r.columns {
		set = append(set, quoteIdent(c))
		from = append(from, "s."+quoteIdent(c))
		notNull = append(notNull, "s."+quoteIdent(c)+" IS NOT NULL")
	}
	for _, k := range target.key {
		match = append(match, "t."+quoteIdent(k)+" = s."+quoteIdent(k))
	}
	update := "UPDATE " + quoteIdent(r.table) + " t SET (" + strings.Join(set, ", ") + ") = ROW(" + strings.Join(from, ", ") + ")" +
		" FROM json_populate_recordset(NULL::" + quoteIdent(r.table) + ", ?::json) s WHERE " + strings.Join(match, " AND ") +
		" AND (" + strings.Join(notNull, " OR ") + ")"
	if _, err := l.a.eachBatch(l.archived[r.table], func(batch string) error { return l.tx.Exec(update, batch).Error }); err != nil {
		return fmt.Errorf("table %s, its reference to %s: %w", r.table, r.parent, err)
	}
	return l.record(r.table)
}

// record notes a table's row counts in this transaction once the load has written it.
func (l *loader) record(name string) error {
	if l.counts == nil {
		l.counts = map[string]rowCounts{}
	}
	c, err := l.rowCounts(name)
	l.counts[name] = c
	return err
}

func (l *loader) rowCounts(name string) (rowCounts, error) {
	var c []rowCounts
	err := l.tx.Raw(`SELECT n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del FROM pg_stat_xact_user_tables
		WHERE schemaname = 'public' AND relname = ?`, name).Scan(&c).Error
	if err != nil || len(c) == 0 {
		return rowCounts{}, err
	}
	return c[0], nil
}

// settle loads again every table that a trigger on another table changed after it was
// loaded, until none is.
func (l *loader) settle() error {
	for range 3 {
		changed := false
		for _, name := range l.order {
			before, ok := l.counts[name]
			if !ok || name == auditTable {
				continue
			}
			now, err := l.rowCounts(name)
			if err != nil {
				return err
			}
			if now == before {
				continue
			}
			changed = true
			if err := l.tx.Exec("DELETE FROM " + quoteIdent(name)).Error; err != nil {
				return fmt.Errorf("load %s again: %w", name, err)
			}
			if err := l.load(name); err != nil {
				return fmt.Errorf("load %s again: %w", name, err)
			}
		}
		if !changed {
			return nil
		}
	}
	return errors.New("triggers keep changing the loaded tables")
}

// checkAuditHead compares the audit log the chain trigger rebuilt with the archive's head.
func (l *loader) checkAuditHead() error {
	want := AuditHead{}
	if l.a.Manifest.AuditHead != nil {
		want = *l.a.Manifest.AuditHead
	}
	var got []AuditHead
	if err := l.tx.Raw(`SELECT id AS row, encode(hash, 'hex') AS hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&got).Error; err != nil {
		return err
	}
	if len(got) == 0 {
		got = append(got, AuditHead{})
	}
	if got[0].Row != want.Row || got[0].Hash != want.Hash {
		return fmt.Errorf("%w: the audit log loaded ends at row %d (%s), the archive's at row %d (%s)", ErrDamaged, got[0].Row, got[0].Hash, want.Row, want.Hash)
	}
	return nil
}

// eachBatch hands a table's JSON Lines to fn as JSON arrays of up to a thousand rows, and
// returns how many rows there were.
func (a *Archive) eachBatch(t Table, fn func(batch string) error) (int64, error) {
	rc, err := a.files[t.JSONL].Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	var batch strings.Builder
	n, rows := 0, int64(0)
	flush := func() error {
		if n == 0 {
			return nil
		}
		batch.WriteByte(']')
		err := fn(batch.String())
		batch.Reset()
		n = 0
		return err
	}
	for sc.Scan() {
		if n == 0 {
			batch.WriteByte('[')
		} else {
			batch.WriteByte(',')
		}
		batch.Write(sc.Bytes())
		n++
		rows++
		if n == 1000 {
			if err := flush(); err != nil {
				return rows, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return rows, err
	}
	return rows, flush()
}

func orderBy(key []string) string {
	if len(key) == 0 {
		return ""
	}
	cols := make([]string, len(key))
	for i, k := range key {
		cols[i] = quoteIdent(k)
	}
	return " ORDER BY " + strings.Join(cols, ", ")
}

// quoteLiteral quotes a string for SQL.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Sign returns the manifest's signature under secret (OUTLAY_SECRET_KEY): the HMAC-SHA256
// of its JSON with Signature empty, under a key derived from secret.
func (m Manifest) Sign(secret []byte) (string, error) {
	if len(secret) < audit.MinSecretKey {
		return "", audit.ErrNoSecretKey
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "outlay tenant archive v1", sha256.Size)
	if err != nil {
		return "", err
	}
	m.Signature = ""
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(b)
	return hex.EncodeToString(mac.Sum(nil)), nil
}
