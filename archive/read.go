package archive

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"gorm.io/gorm"

	"outlay/storage"
)

// ErrDamaged means an archive is not one Outlay wrote, or was changed since: a file is
// missing, added, or does not match its checksum.
var ErrDamaged = errors.New("archive damaged")

// Archive is an opened archive whose every file has been checked against its manifest.
type Archive struct {
	Manifest Manifest
	files    map[string]*zip.File
}

// Open reads the archive in r (size bytes) and checks it: its manifest, and every file's
// size and SHA-256 against it. Nothing else is done with an archive that fails a check.
func Open(r io.ReaderAt, size int64) (*Archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: not a zip file: %v", ErrDamaged, err)
	}
	a := &Archive{files: map[string]*zip.File{}}
	for _, f := range zr.File {
		if _, dup := a.files[f.Name]; dup {
			return nil, fmt.Errorf("%w: %s appears twice", ErrDamaged, f.Name)
		}
		a.files[f.Name] = f
	}
	mf, ok := a.files[ManifestPath]
	if !ok {
		return nil, fmt.Errorf("%w: it has no %s", ErrDamaged, ManifestPath)
	}
	rc, err := mf.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, ManifestPath, err)
	}
	err = json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&a.Manifest)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, ManifestPath, err)
	}
	if a.Manifest.Format != Format {
		return nil, fmt.Errorf("%w: format %q, expected %q", ErrDamaged, a.Manifest.Format, Format)
	}
	listed := map[string]bool{ManifestPath: true}
	for _, want := range a.Manifest.Files {
		listed[want.Path] = true
		f, ok := a.files[want.Path]
		if !ok {
			return nil, fmt.Errorf("%w: %s is listed in the manifest but missing", ErrDamaged, want.Path)
		}
		h := sha256.New()
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, want.Path, err)
		}
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, want.Path, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); n != want.Bytes || got != want.SHA256 {
			return nil, fmt.Errorf("%w: %s does not match its checksum (sha256 %s, %d bytes; the manifest says %s, %d bytes)",
				ErrDamaged, want.Path, got, n, want.SHA256, want.Bytes)
		}
	}
	for name := range a.files {
		if !listed[name] {
			return nil, fmt.Errorf("%w: %s is not in the manifest", ErrDamaged, name)
		}
	}
	for _, t := range a.Manifest.Tables {
		if !listed[t.JSONL] || !strings.HasPrefix(t.JSONL, tablesDir) {
			return nil, fmt.Errorf("%w: table %s has no data file", ErrDamaged, t.Name)
		}
	}
	return a, nil
}

// Load writes the archive's tables into db, the database of a new tenant slug just migrated
// to the archive's schema version, in one transaction, and its attachments into blobs under
// slug. What the migrations put in the new database (default roles, settings) is replaced by
// the archive's rows. Ids, the audit log and its hashes are kept as they were; sequences
// continue after the highest id.
//
// Loading runs with triggers and foreign-key checks off (session_replication_role =
// replica), so rows go in whatever their order and the audit log's append-only and chaining
// triggers do not renumber its rows: it needs a database superuser.
func (a *Archive) Load(ctx context.Context, db *gorm.DB, slug string, blobs Blobs) error {
	var schema int64
	if err := db.WithContext(ctx).Raw("SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&schema).Error; err != nil {
		return err
	}
	if schema != a.Manifest.Schema {
		return fmt.Errorf("the archive is at schema version %d and this deployment's tenants at %d: import it with the Outlay version that wrote it", a.Manifest.Schema, schema)
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL session_replication_role = replica").Error; err != nil {
			return fmt.Errorf("loading an archive needs a database superuser: %w", err)
		}
		have, err := listTables(tx)
		if err != nil {
			return err
		}
		byName := map[string]table{}
		for _, t := range have {
			byName[t.name] = t
			if err := tx.Exec("DELETE FROM " + quoteIdent(t.name)).Error; err != nil {
				return fmt.Errorf("empty %s: %w", t.name, err)
			}
		}
		for _, t := range a.Manifest.Tables {
			target, ok := byName[t.Name]
			if !ok {
				return fmt.Errorf("the archive's table %s is not in this deployment's schema", t.Name)
			}
			if err := a.loadTable(tx, target, t); err != nil {
				return fmt.Errorf("table %s: %w", t.Name, err)
			}
			if hasColumns(t.Columns, "storage_key", "sha256") {
				// Files sit under the tenant's slug: point the rows at the new tenant's.
				if err := tx.Exec("UPDATE "+quoteIdent(t.Name)+" SET storage_key = ? || '/' || sha256", slug).Error; err != nil {
					return err
				}
			}
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

// Blob returns the bytes of the attachment with SHA-256 h (hex).
func (a *Archive) Blob(h string) (io.ReadCloser, error) {
	f, ok := a.files[blobsDir+h]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return f.Open()
}

// loadTable inserts a table's JSON Lines, a thousand rows a statement, leaving out the
// columns the database computes.
func (a *Archive) loadTable(tx *gorm.DB, target table, t Table) error {
	var cols []string
	for _, c := range target.columns {
		if !target.generated[c] {
			cols = append(cols, quoteIdent(c))
		}
	}
	list := strings.Join(cols, ", ")
	insert := "INSERT INTO " + quoteIdent(t.Name) + " (" + list + ") OVERRIDING SYSTEM VALUE SELECT " + list +
		" FROM json_populate_recordset(NULL::" + quoteIdent(t.Name) + ", ?::json)"
	rc, err := a.files[t.JSONL].Open()
	if err != nil {
		return err
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
		err := tx.Exec(insert, batch.String()).Error
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
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if rows != t.Rows {
		return fmt.Errorf("%w: %d rows, the manifest says %d", ErrDamaged, rows, t.Rows)
	}
	return nil
}

// resetSequences moves every sequence owned by a column past the column's highest value.
func resetSequences(tx *gorm.DB) error {
	var seqs []struct{ Table, Column, Seq string }
	err := tx.Raw(`SELECT c.relname AS "table", a.attname AS "column", s.relname AS seq
		FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
		JOIN pg_class c ON c.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND d.deptype IN ('a', 'i')`).Scan(&seqs).Error
	if err != nil {
		return err
	}
	for _, s := range seqs {
		err := tx.Exec(`SELECT setval(?::regclass, coalesce((SELECT max(`+quoteIdent(s.Column)+`) FROM `+quoteIdent(s.Table)+`), 0) + 1, false)`,
			quoteIdent(s.Seq)).Error
		if err != nil {
			return fmt.Errorf("sequence %s: %w", s.Seq, err)
		}
	}
	return nil
}
