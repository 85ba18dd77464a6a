package archive

import (
	"archive/zip"
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
	// auditChecked is set once CheckAudit found the archive's audit log intact: Load loads
	// nothing before.
	auditChecked bool
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

// Blob returns the bytes of the attachment with SHA-256 h (hex).
func (a *Archive) Blob(h string) (io.ReadCloser, error) {
	f, ok := a.files[blobsDir+h]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return f.Open()
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
