package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"outlay/internal/dbtest"
	"outlay/storage"
	"outlay/tenancy"
)

// archiveSite is a control plane with a demo-seeded tenant "acme" and a blob store.
type archiveSite struct {
	dsn   string
	dir   string
	blobs *storage.Store
}

func newArchiveSite(t *testing.T) *archiveSite {
	t.Helper()
	s := &archiveSite{dsn: newControlDSN(t), dir: t.TempDir()}
	t.Setenv("OUTLAY_DATABASE_URL", s.dsn)
	t.Setenv("OUTLAY_BLOB_URL", "file://"+filepath.Join(s.dir, "blobs"))
	if code, out, errs := runCmd(t, "tenant", "create", "acme", "--name", "Acme Corporation", "--admin-email", "ana@acme.example", "--admin-password", dbtest.Password); code != 0 {
		t.Fatalf("tenant create: %d %q %q", code, out, errs)
	}
	var err error
	if s.blobs, err = storage.Open(context.Background(), "file://"+filepath.Join(s.dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.blobs.Close() })
	if err := seedDemoTenant(context.Background(), tenantDB(t, s.dsn, "acme"), s.blobs, "acme"); err != nil {
		t.Fatal(err)
	}
	return s
}

// tableRows is every row of every table of a tenant's database as JSON, in primary-key
// order, by table; storage keys are left out (they name the tenant).
func tableRows(t *testing.T, db *gorm.DB) map[string][]string {
	t.Helper()
	var tables []string
	db.Raw(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('goose_db_version', 'sessions', 'audit_pending', 'audit_seal') ORDER BY 1`).Scan(&tables)
	out := map[string][]string{}
	for _, tb := range tables {
		var rows []string
		err := db.Raw(`SELECT (to_jsonb(t) - 'storage_key')::text FROM ` + tb + ` t ORDER BY (SELECT array_agg(a.attname) FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = '` + tb + `'::regclass AND i.indisprimary), 1`).Scan(&rows).Error
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		out[tb] = rows
	}
	return out
}

// Export a demo tenant's archive, import it as a new tenant, and find every table the same
// row for row and every attachment the same byte for byte.
func TestTenantArchiveRoundTrip(t *testing.T) {
	s := newArchiveSite(t)
	file := filepath.Join(s.dir, "acme.zip")
	code, out, errs := runCmd(t, "tenant", "export", "acme", "--to", file)
	if code != 0 || !strings.Contains(out, "tenant acme exported to "+file) {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}
	code, out, errs = runCmd(t, "tenant", "import-archive", "copy", file)
	if code != 0 || !strings.Contains(out, "tenant copy created from "+file+" (tenant acme") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	src, dst := tenantDB(t, s.dsn, "acme"), tenantDB(t, s.dsn, "copy")
	want, got := tableRows(t, src), tableRows(t, dst)
	rows := 0
	for tb, w := range want {
		rows += len(w)
		g := got[tb]
		if len(g) != len(w) {
			t.Errorf("%s: %d rows, want %d", tb, len(g), len(w))
			continue
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("%s row %d:\n got %s\nwant %s", tb, i+1, g[i], w[i])
				break
			}
		}
	}
	if rows < 100 || len(want["attachments"]) == 0 || len(want["audit_log"]) < 20 {
		t.Fatalf("the seeded tenant is thin: %d rows, %d attachments, %d audit rows", rows, len(want["attachments"]), len(want["audit_log"]))
	}
	var hashes []string
	src.Raw(`SELECT DISTINCT sha256 FROM attachments`).Scan(&hashes)
	for _, h := range hashes {
		a, b := readBlob(t, s.blobs, storage.Key("acme", h)), readBlob(t, s.blobs, storage.Key("copy", h))
		if !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("attachment %s: %d bytes copied of %d", h, len(b), len(a))
		}
	}
	var key string
	dst.Raw(`SELECT storage_key FROM attachments LIMIT 1`).Scan(&key)
	if !strings.HasPrefix(key, "copy/") {
		t.Errorf("the copy's attachments point at %q", key)
	}
	// The copy goes on: new rows take ids after the archive's.
	if code, out, errs := runCmd(t, "user", "add", "copy", "new@acme.example", "--name", "New Person", "--role", "requester", "--password", dbtest.Password); code != 0 {
		t.Errorf("a new person in the copy: %d %q %q", code, out, errs)
	}
}

func readBlob(t *testing.T, s *storage.Store, key string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

// An archive whose file was changed after it was written is refused, and nothing is created.
func TestTamperedArchiveIsRefused(t *testing.T) {
	s := newArchiveSite(t)
	file := filepath.Join(s.dir, "acme.zip")
	if code, out, errs := runCmd(t, "tenant", "export", "acme", "--to", file); code != 0 {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}
	for name, change := range map[string]func(name string, b []byte) []byte{
		"a row changed": func(name string, b []byte) []byte {
			if name == "tables/vendors.jsonl" {
				return bytes.Replace(b, []byte(`"name":"`), []byte(`"name":"X`), 1)
			}
			return b
		},
		"an attachment changed": func(name string, b []byte) []byte {
			if strings.HasPrefix(name, "attachments/") {
				return append([]byte{'x'}, b[1:]...)
			}
			return b
		},
		"a file added": func(name string, b []byte) []byte { return b },
	} {
		bad := filepath.Join(s.dir, strings.ReplaceAll(name, " ", "-")+".zip")
		rewriteZip(t, file, bad, change, name == "a file added")
		code, out, errs := runCmd(t, "tenant", "import-archive", "copy", bad)
		if code == 0 || !strings.Contains(errs, "refused, nothing was created: archive damaged") {
			t.Errorf("%s: %d %q %q", name, code, out, errs)
		}
		registry, err := tenancy.OpenRegistry(context.Background(), s.dsn, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := registry.Lookup("copy"); ok {
			t.Errorf("%s: tenant copy was created", name)
		}
		registry.Close()
	}
}

// rewriteZip copies the zip from to to, each file's bytes through change, and with extra an
// extra file at the end.
func rewriteZip(t *testing.T, from, to string, change func(string, []byte) []byte, extra bool) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	changed := false
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		nb := change(zf.Name, b)
		changed = changed || !bytes.Equal(nb, b)
		w, _ := zw.Create(zf.Name)
		w.Write(nb)
	}
	if extra {
		w, _ := zw.Create("tables/extra.jsonl")
		w.Write([]byte("{}\n"))
		changed = true
	}
	if !changed {
		t.Fatalf("%s: nothing changed", to)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
