package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// summarize fills the manifest's schema version, tables and audit head from q, a read of one
// snapshot of the tenant's database.
func summarize(ctx context.Context, q querier, m *Manifest) error {
	if err := q.QueryRow(ctx, selectSchemaVersion).Scan(&m.Schema); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	tables, head, err := tableSums(ctx, q)
	if err != nil {
		return err
	}
	m.Tables, m.AuditHead = tables, head
	return nil
}

// selectSchemaVersion reads a tenant database's migration version.
const selectSchemaVersion = `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`

// tableSums counts and checksums every table of the public schema, and reads the audit log's
// head. A table's checksum is the SHA-256 of its rows as Postgres prints them (in UTC), one a
// line, in primary-key order (or in the order of the text when there is no key), so the same
// rows give the same checksum in any database of the same major version.
func tableSums(ctx context.Context, q querier) ([]TableSum, Head, error) {
	if _, err := q.Exec(ctx, `SET TIME ZONE 'UTC'`); err != nil {
		return nil, Head{}, err
	}
	rows, err := q.Query(ctx, `SELECT c.relname,
			coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))
				FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
				WHERE i.indrelid = c.oid AND i.indisprimary), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r'
		ORDER BY c.relname`)
	if err != nil {
		return nil, Head{}, fmt.Errorf("list tables: %w", err)
	}
	type table struct{ name, key string }
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var t table
		err := r.Scan(&t.name, &t.key)
		return t, err
	})
	if err != nil {
		return nil, Head{}, fmt.Errorf("list tables: %w", err)
	}
	var out []TableSum
	for _, t := range list {
		order := t.key
		if order == "" {
			order = `t::text COLLATE "C"`
		}
		rows, err := q.Query(ctx, `SELECT t::text FROM public.`+pgx.Identifier{t.name}.Sanitize()+` t ORDER BY `+order)
		if err != nil {
			return nil, Head{}, fmt.Errorf("table %s: %w", t.name, err)
		}
		h := sha256.New()
		var n int64
		for rows.Next() {
			h.Write(rows.RawValues()[0])
			h.Write([]byte{'\n'})
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, Head{}, fmt.Errorf("table %s: %w", t.name, err)
		}
		out = append(out, TableSum{Name: t.name, Rows: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	var head Head
	var hash []byte
	err = q.QueryRow(ctx, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&head.Row, &hash)
	if err != nil && err != pgx.ErrNoRows {
		return nil, Head{}, fmt.Errorf("audit head: %w", err)
	}
	head.Hash = hex.EncodeToString(hash)
	return out, head, nil
}

// listAttachments lists the stored files the tenant's rows name: every row of a table with
// storage_key and sha256 columns, once per key.
func listAttachments(ctx context.Context, q querier) ([]Attachment, error) {
	rows, err := q.Query(ctx, selectAttachmentTables)
	if err != nil {
		return nil, err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var out []Attachment
	seen := map[string]bool{}
	for _, t := range tables {
		rows, err := q.Query(ctx, `SELECT DISTINCT storage_key, sha256 FROM public.`+pgx.Identifier{t}.Sanitize()+` ORDER BY 1`)
		if err != nil {
			return nil, fmt.Errorf("attachments of %s: %w", t, err)
		}
		for rows.Next() {
			a := Attachment{Table: t}
			if err := rows.Scan(&a.Key, &a.SHA256); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[a.Key] {
				seen[a.Key] = true
				out = append(out, a)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// selectAttachmentTables lists the tables whose rows name stored files: those with
// storage_key and sha256 columns.
const selectAttachmentTables = `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'public' AND c.relkind = 'r'
	AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'storage_key' AND NOT a.attisdropped)
	AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'sha256' AND NOT a.attisdropped)
	ORDER BY c.relname`

// Summarize reads what a manifest records of a database (its tables' rows and checksums,
// its audit head and schema version) from q, in one snapshot when q is a repeatable-read
// transaction.
func Summarize(ctx context.Context, q querier) (*Manifest, error) {
	var m Manifest
	if err := summarize(ctx, q, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
