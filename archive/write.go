package archive

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay/sheet"
	"outlay/storage"
)

// Blobs is the attachment store as the archive reads and writes it.
type Blobs interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Put(ctx context.Context, key string, r io.Reader, contentType string) error
}

var _ Blobs = (*storage.Store)(nil)

// Source is the tenant an archive is written from.
type Source struct {
	Slug, Name string
	DB         *gorm.DB
	Blobs      Blobs
	Secret     []byte // OUTLAY_SECRET_KEY: signs the manifest
}

// Write writes the tenant's archive to w as a zip file, streaming: each table is read row by
// row and each attachment is copied from the blob store as it is written. It returns the
// manifest it wrote last.
func Write(ctx context.Context, src Source, w io.Writer) (*Manifest, error) {
	m := &Manifest{Format: Format, Tenant: src.Slug, Name: src.Name, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	zw := zip.NewWriter(w)
	// One snapshot of the whole database, read-only: the archive is consistent across tables,
	// and writing it needs no write access to the tenant.
	err := src.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw("SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&m.Schema).Error; err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		tables, err := listTables(tx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if err := writeTable(tx, zw, m, t); err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
		}
		if err := writeHead(tx, zw, m); err != nil {
			return err
		}
		return writeBlobs(ctx, tx, zw, m, src)
	}, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, err
	}
	if err := addFile(zw, m, ReadmePath, func(w io.Writer) error { _, err := io.WriteString(w, readme(m)); return err }); err != nil {
		return nil, err
	}
	if m.Signature, err = m.Sign(src.Secret); err != nil {
		return nil, err
	}
	mw, err := zw.Create(ManifestPath)
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(mw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return m, zw.Close()
}

// table is a table of the tenant database: its columns in order, which of them the
// database computes itself (generated), and its primary key's columns.
type table struct {
	name      string
	columns   []string
	generated map[string]bool
	key       []string
}

// listTables lists the archived tables of the public schema, by name.
func listTables(tx *gorm.DB) ([]table, error) {
	var rows []struct {
		Table, Column string
		Generated     bool
		InKey         bool
	}
	err := tx.Raw(`SELECT c.relname AS "table", a.attname AS "column", a.attgenerated <> '' AS generated,
			EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS in_key
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
		ORDER BY c.relname, a.attnum`).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	var out []table
	for _, r := range rows {
		if skipped[r.Table] {
			continue
		}
		if len(out) == 0 || out[len(out)-1].name != r.Table {
			out = append(out, table{name: r.Table, generated: map[string]bool{}})
		}
		t := &out[len(out)-1]
		t.columns = append(t.columns, r.Column)
		if r.Generated {
			t.generated[r.Column] = true
		}
		if r.InKey {
			t.key = append(t.key, r.Column)
		}
	}
	return out, nil
}

// quoteIdent quotes a name for SQL.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// writeTable writes a table's rows, in primary-key order, as JSON Lines (each row as
// Postgres's row_to_json writes it) and as CSV, all but those leftOut names.
func writeTable(tx *gorm.DB, zw *zip.Writer, m *Manifest, t table) error {
	order := ""
	if len(t.key) > 0 {
		keys := make([]string, len(t.key))
		for i, k := range t.key {
			keys[i] = quoteIdent(k)
		}
		order = " ORDER BY " + strings.Join(keys, ", ")
	}
	where := ""
	if cond, ok := leftOut[t.name]; ok {
		where = " WHERE NOT (" + cond + ")"
	}
	rows, err := tx.Raw(`SELECT row_to_json(t)::text FROM ` + quoteIdent(t.name) + ` t` + where + order).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	jsonlPath, csvPath := tablesDir+t.name+".jsonl", csvDir+t.name+".csv"
	// The CSV copy is written to a buffer spilled per row into its own zip entry after the
	// JSON Lines entry: a zip writer takes one entry at a time, so the rows are read twice
	// only in the sense of decoding each line again for the CSV, never from the database.
	var csvBuf spill
	defer csvBuf.Close()
	cols := make([]sheet.Column, len(t.columns))
	for i, c := range t.columns {
		cols[i] = sheet.Column{Key: c, Title: c}
	}
	cw, err := sheet.NewWriter(sheet.CSV, &csvBuf, cols)
	if err != nil {
		return err
	}
	var n int64
	err = addFile(zw, m, jsonlPath, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		var line string
		values := make([]any, len(t.columns))
		for rows.Next() {
			if err := rows.Scan(&line); err != nil {
				return err
			}
			if _, err := bw.WriteString(line); err != nil {
				return err
			}
			if err := bw.WriteByte('\n'); err != nil {
				return err
			}
			if err := csvValues(line, t.columns, values); err != nil {
				return err
			}
			if err := cw.Row(values); err != nil {
				return err
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	if err := cw.Close(); err != nil {
		return err
	}
	if err := addFile(zw, m, csvPath, func(w io.Writer) error { return csvBuf.CopyTo(w) }); err != nil {
		return err
	}
	m.Tables = append(m.Tables, Table{Name: t.name, Rows: n, Columns: t.columns, JSONL: jsonlPath, CSV: csvPath})
	return nil
}

// csvValues fills values with a JSON row's columns as CSV shows them: text as text, numbers
// and booleans as written, nested JSON (jsonb, arrays) as its JSON text, null as empty.
func csvValues(line string, columns []string, values []any) error {
	var row map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &row); err != nil {
		return err
	}
	for i, c := range columns {
		raw := row[c]
		switch {
		case len(raw) == 0 || string(raw) == "null":
			values[i] = nil
		case raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			values[i] = s
		case raw[0] == '{' || raw[0] == '[':
			values[i] = string(raw)
		default:
			values[i] = sheet.Decimal(raw)
		}
	}
	return nil
}

// writeHead records the audit log's newest row and its hash.
func writeHead(tx *gorm.DB, zw *zip.Writer, m *Manifest) error {
	var head []struct {
		ID   int64
		Hash string
	}
	if err := tx.Raw(`SELECT id, encode(hash, 'hex') AS hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&head).Error; err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	if len(head) == 1 {
		m.AuditHead = &AuditHead{Row: head[0].ID, Hash: head[0].Hash}
	}
	return addFile(zw, m, HeadPath, func(w io.Writer) error { return json.NewEncoder(w).Encode(m.AuditHead) })
}

// writeBlobs copies the bytes of every stored file the tables point at (rows with a
// storage_key and a sha256), once per content.
func writeBlobs(ctx context.Context, tx *gorm.DB, zw *zip.Writer, m *Manifest, src Source) error {
	for _, t := range m.Tables {
		if !hasColumns(t.Columns, "storage_key", "sha256") {
			continue
		}
		var hashes []string
		if err := tx.Raw(`SELECT DISTINCT sha256 FROM ` + quoteIdent(t.Name) + ` ORDER BY sha256`).Scan(&hashes).Error; err != nil {
			return err
		}
		for _, h := range hashes {
			path := blobsDir + h
			if m.has(path) {
				continue
			}
			rc, err := src.Blobs.Open(ctx, storage.Key(src.Slug, h))
			if err != nil {
				return fmt.Errorf("attachment %s: %w", h, err)
			}
			err = addFile(zw, m, path, func(w io.Writer) error { _, err := io.Copy(w, rc); return err })
			rc.Close()
			if err != nil {
				return err
			}
			m.Blobs++
		}
	}
	return nil
}

func hasColumns(cols []string, want ...string) bool {
	n := 0
	for _, c := range cols {
		for _, w := range want {
			if c == w {
				n++
			}
		}
	}
	return n == len(want)
}

func (m *Manifest) has(path string) bool {
	for _, f := range m.Files {
		if f.Path == path {
			return true
		}
	}
	return false
}

// addFile writes one entry of the archive through write, recording its size and checksum.
func addFile(zw *zip.Writer, m *Manifest, path string, write func(io.Writer) error) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: m.CreatedAt})
	if err != nil {
		return err
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, h)}
	if err := write(cw); err != nil {
		return err
	}
	m.Files = append(m.Files, File{Path: path, Bytes: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// spill keeps what is written in memory up to 4 MiB and in a temporary file past that, so a
// table's CSV copy of any size costs flat memory while its JSON Lines entry is written.
type spill struct {
	mem  bytes.Buffer
	file *tempFile
}

func (s *spill) Write(p []byte) (int, error) {
	if s.file == nil && s.mem.Len()+len(p) <= 4<<20 {
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := newTempFile()
		if err != nil {
			return 0, err
		}
		s.file = f
		if _, err := s.file.Write(s.mem.Bytes()); err != nil {
			return 0, err
		}
		s.mem.Reset()
	}
	return s.file.Write(p)
}

// CopyTo writes everything written so far to w.
func (s *spill) CopyTo(w io.Writer) error {
	if s.file == nil {
		_, err := w.Write(s.mem.Bytes())
		return err
	}
	return s.file.CopyTo(w)
}

func (s *spill) Close() {
	if s.file != nil {
		s.file.Remove()
	}
}

// readme explains the archive's files to whoever opens it.
func readme(m *Manifest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Outlay tenant archive of %q (%s), written %s.\n\n", m.Name, m.Tenant, m.CreatedAt.Format(time.RFC3339))
	b.WriteString(`Files
  manifest.json        what the archive holds: format, tenant, schema version, each table's
                       row count and columns, the audit log's head, and every file's size
                       and SHA-256 (all but manifest.json itself), signed with a key derived
                       from the deployment's secret key.
  tables/<table>.jsonl every row of each table of the tenant's database, one JSON object a
                       line, in primary-key order, exactly as the database holds it (amounts
                       in minor units, times in UTC, binary values as \x-prefixed hex). This
                       is the copy ` + "`outlay tenant import-archive`" + ` loads.
  csv/<table>.csv      the same rows as CSV with a header of column names, for spreadsheets.
                       Text that a spreadsheet would run as a formula (starting with = + - @,
                       a tab or a line break) is prefixed with an apostrophe; JSON values are
                       their JSON text.
  attachments/<sha256> the bytes of every attached file, named by their SHA-256; the rows of
                       tables/attachments.jsonl say which document each belongs to, its name
                       and type.
  audit/head.json      the audit log's newest row and its hash when the archive was written.
                       The log itself is tables/audit_log.jsonl: each row's hash covers the
                       previous row's, and its keyed hash needs the secret key, so the chain
                       up to this head shows nothing was altered or added.
  README.txt           this file.

Not included: sign-in sessions, the database's migration bookkeeping, and the mails waiting
to carry a set-password or reset link (mail_outbox rows with secret true whose body still
holds the link): a copy made from this archive does not send them, and the person asks for a
new link. A secret mail already sent or given up on is included, its body erased as the
database keeps it. Other secrets stay as the database keeps them: password hashes, and values
sealed with the deployment's secret key (single sign-on client secrets, vendors' bank
details), which only a deployment with the same OUTLAY_SECRET_KEY can open.

Tables (rows)
`)
	for _, t := range m.Tables {
		fmt.Fprintf(&b, "  %-36s %s\n", t.Name, strconv.FormatInt(t.Rows, 10))
	}
	fmt.Fprintf(&b, "\nAttachments: %d files.\n", m.Blobs)
	return b.String()
}
