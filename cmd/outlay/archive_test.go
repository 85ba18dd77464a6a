package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay/archive"
	"outlay/internal/dbtest"
	"outlay/internal/ziptest"
	"outlay/mail"
	"outlay/models"
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
// order, by table; storage keys and the audit log's keyed hashes are left out (they name
// the tenant, or are keyed by its slug).
func tableRows(t *testing.T, db *gorm.DB) map[string][]string {
	t.Helper()
	var tables []string
	db.Raw(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('goose_db_version', 'sessions', 'audit_pending', 'audit_seal') ORDER BY 1`).Scan(&tables)
	out := map[string][]string{}
	for _, tb := range tables {
		var rows []string
		err := db.Raw(`SELECT (to_jsonb(t) - 'storage_key' - 'keyed_hash')::text FROM ` + tb + ` t ORDER BY (SELECT array_agg(a.attname) FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = '` + tb + `'::regclass AND i.indisprimary), 1`).Scan(&rows).Error
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		out[tb] = rows
	}
	return out
}

// The role README's "Running without a superuser" has Outlay's commands connect as: it may
// create databases (and owns those it creates), and has these grants in the control database
// (which its owner migrates). Formatted with the control database's name and the role's.
const (
	productionRole   = `CREATE ROLE %[1]s LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`
	productionGrants = `GRANT CONNECT, TEMPORARY ON DATABASE %[1]s TO %[2]s;
GRANT USAGE ON SCHEMA public TO %[2]s;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %[2]s;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %[2]s;`
)

// asProductionRole makes a role as README's production setup has it, for the control database
// at dsn, and returns dsn as that role. The README must show the same statements.
func asProductionRole(t *testing.T, dsn string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{fmt.Sprintf(productionRole, "outlay"), fmt.Sprintf(productionGrants, "outlay", "outlay")} {
		if !bytes.Contains(readme, []byte(stmt)) {
			t.Fatalf("README.md does not show the production role as this test makes it:\n%s", stmt)
		}
	}
	ctx := context.Background()
	control, err := tenancy.DatabaseName(dsn)
	if err != nil {
		t.Fatal(err)
	}
	role := "outlay_role_" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf(productionRole, role)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Its databases go first; then nothing of it is left to keep the role.
		dbtest.DropDatabases(t, dbtest.ServerDSN(t), control)
		c, err := pgx.Connect(context.Background(), dbtest.ServerDSN(t))
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	if _, err := conn.Exec(ctx, fmt.Sprintf(productionGrants, pgx.Identifier{control}.Sanitize(), role)); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

// Export a demo tenant's archive, import it as a new tenant connected as a role that is no
// superuser, with the production grants, and find every table the same row for row, every
// attachment the same byte for byte, and the copy's audit log intact under its own key. A
// password reset mail waiting to be sent is the one row left out: its link is nowhere in the
// archive, and the copy does not send it.
func TestTenantArchiveRoundTrip(t *testing.T) {
	s := newArchiveSite(t)
	token, waiting := queueResetLinks(t, tenantDB(t, s.dsn, "acme"))
	file := filepath.Join(s.dir, "acme.zip")
	code, out, errs := runCmd(t, "tenant", "export", "acme", "--to", file)
	if code != 0 || !strings.Contains(out, "tenant acme exported to "+file) {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}
	if where := archiveMentions(t, file, token); where != "" {
		t.Fatalf("the archive holds the waiting mail's reset link, in %s", where)
	}
	roleDSN := asProductionRole(t, s.dsn)
	t.Setenv("OUTLAY_DATABASE_URL", roleDSN)
	code, out, errs = runCmd(t, "tenant", "import-archive", "copy", file)
	if code != 0 || !strings.Contains(out, "tenant copy created from "+file+" (tenant acme") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	var owner string
	var super bool
	err := tenantDB(t, s.dsn, "copy").Raw(`SELECT r.rolname, r.rolsuper FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
		WHERE d.datname = current_database()`).Row().Scan(&owner, &super)
	if want, _ := url.Parse(roleDSN); err != nil || owner != want.User.Username() || super {
		t.Fatalf("the copy's database is owned by %q (superuser %v), want the production role %q: %v", owner, super, want.User.Username(), err)
	}
	// Its head is recorded at once, so rows cut off its end are found from the start.
	if code, out, errs := runCmd(t, "audit", "verify", "copy"); code != 0 || !strings.Contains(out, "chain intact") || strings.Contains(out, "no head of copy") {
		t.Errorf("the copy's audit log: %d %q %q", code, out, errs)
	}
	src, dst := tenantDB(t, s.dsn, "acme"), tenantDB(t, s.dsn, "copy")
	want, got := tableRows(t, src), tableRows(t, dst)
	mails := want["mail_outbox"]
	want["mail_outbox"] = slices.DeleteFunc(slices.Clone(mails), func(row string) bool { return strings.Contains(row, token) })
	if len(want["mail_outbox"]) != len(mails)-1 {
		t.Fatalf("the source's outbox holds the reset link %d times, want once", len(mails)-len(want["mail_outbox"]))
	}
	var copied int64
	dst.Raw(`SELECT count(*) FROM mail_outbox WHERE id = ?`, waiting).Scan(&copied)
	if copied != 0 {
		t.Errorf("the copy has the waiting reset mail, to send")
	}
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

// queueResetLinks issues ana a password reset link whose mail waits in the outbox, and queues
// and sends one more secret mail, whose body the outbox erases. It returns the waiting link's
// token and its mail's id.
func queueResetLinks(t *testing.T, db *gorm.DB) (token string, mailID int64) {
	t.Helper()
	ctx := context.Background()
	sent, err := models.QueueMail(ctx, db, models.MailPasswordReset,
		mail.PasswordReset("ana@acme.example", "Ana", "Acme Corporation", "https://acme.example/password/reset/sent-link", time.Hour), true)
	if err == nil {
		err = models.MarkMailSent(ctx, db, sent)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, token, mailID, err = models.IssueLinkMail(ctx, db, "ana@acme.example", time.Hour, models.MailPasswordReset,
		func(u *models.User, token string) mail.Message {
			return mail.PasswordReset(u.Email, u.Name, "Acme Corporation", "https://acme.example/password/reset/"+token, time.Hour)
		})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := models.GetMail(ctx, db, mailID); err != nil || !m.Secret || m.Status != models.MailQueued || !strings.Contains(m.Body, token) {
		t.Fatalf("the reset mail does not wait with its link: %+v %v", m, err)
	}
	return token, mailID
}

// archiveMentions returns where the archive file holds s: "the zip file" in its bytes as
// they are, or the path of an entry whose unpacked bytes do; "" when it is nowhere.
func archiveMentions(t *testing.T, file, s string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(s)) {
		return "the zip file"
	}
	for _, p := range ziptest.Parts(t, data) {
		if bytes.Contains(p.Data, []byte(s)) {
			return p.Name
		}
	}
	return ""
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
		s.importRefused(t, name, bad, "archive damaged")
	}
}

// importRefused imports the archive file and expects it refused, with why, and nothing
// created: no tenant and no database.
func (s *archiveSite) importRefused(t *testing.T, name, file, why string) {
	t.Helper()
	code, out, errs := runCmd(t, "tenant", "import-archive", "copy", file)
	if code == 0 || !strings.Contains(errs, "refused, nothing was created: archive damaged") || !strings.Contains(errs, why) {
		t.Errorf("%s: %d %q %q", name, code, out, errs)
	}
	registry, err := tenancy.OpenRegistry(context.Background(), s.dsn, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer registry.Close()
	if _, ok := registry.Lookup("copy"); ok {
		t.Errorf("%s: tenant copy was created", name)
	}
	var n int
	err = tenantDB(t, s.dsn, "acme").Raw(`SELECT count(*) FROM pg_database WHERE datname = ?`, registry.TenantDatabaseName("copy")).Scan(&n).Error
	if err != nil || n != 0 {
		t.Errorf("%s: a database for copy was created (%d, %v)", name, n, err)
	}
}

// An archive changed by someone who also recomputed every checksum in its manifest (and the
// audit head) is refused before anything is written: its manifest's signature needs the
// deployment's secret, and so does the audit log's chain, which is checked on its own.
func TestForgedArchiveIsRefused(t *testing.T) {
	s := newArchiveSite(t)
	file := filepath.Join(s.dir, "acme.zip")
	if code, out, errs := runCmd(t, "tenant", "export", "acme", "--to", file); code != 0 {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}
	auditRows := archiveLines(t, file, "tables/audit_log.jsonl")
	if len(auditRows) < 3 {
		t.Fatalf("the archive has %d audit rows", len(auditRows))
	}
	var before struct {
		ID   int64  `json:"id"`
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal([]byte(auditRows[len(auditRows)-2]), &before); err != nil {
		t.Fatal(err)
	}
	cutOff := map[string]func([]byte) []byte{
		"tables/audit_log.jsonl": func([]byte) []byte { return []byte(strings.Join(auditRows[:len(auditRows)-1], "\n") + "\n") },
		archive.HeadPath: func([]byte) []byte {
			return fmt.Appendf(nil, `{"row":%d,"hash":%q}`+"\n", before.ID, strings.TrimPrefix(before.Hash, `\x`))
		},
	}
	cutHead := func(m *archive.Manifest) {
		m.AuditHead.Row, m.AuditHead.Hash = before.ID, strings.TrimPrefix(before.Hash, `\x`)
	}
	changedRow := map[string]func([]byte) []byte{
		"tables/audit_log.jsonl": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"actor_label":"`), []byte(`"actor_label":"someone else, `), 1)
		},
	}
	for _, c := range []struct {
		name    string
		change  map[string]func([]byte) []byte
		head    func(*archive.Manifest)
		sign    bool // signed again with the deployment's secret (as by someone who has it)
		refusal string
	}{
		{"a vendor renamed", map[string]func([]byte) []byte{"tables/vendors.jsonl": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"name":"`), []byte(`"name":"X`), 1)
		}}, nil, false, "signature does not match"},
		{"the newest audit row cut off", cutOff, cutHead, false, "signature does not match"},
		{"an audit row changed", changedRow, nil, false, "signature does not match"},
		{"an audit row changed, signed again", changedRow, nil, true, "its contents do not match its hash"},
		{"the newest audit row cut off, signed again", map[string]func([]byte) []byte{"tables/audit_log.jsonl": cutOff["tables/audit_log.jsonl"]},
			nil, true, "its audit log ends at row"},
	} {
		bad := filepath.Join(s.dir, strings.ReplaceAll(c.name, " ", "-")+".zip")
		var secret []byte
		if c.sign {
			secret = secretKey(t)
		}
		reseal(t, file, bad, c.change, c.head, secret)
		s.importRefused(t, c.name, bad, c.refusal)
	}
}

// archiveLines is one file of an archive, line by line.
func archiveLines(t *testing.T, file, name string) []string {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var lines []string
	sc := bufio.NewScanner(rc)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// reseal copies the archive from to to with files changed and the manifest made to match:
// every checksum and row count recomputed, the head changed by head when given, and signed
// again with secret when given (otherwise the old signature is kept).
func reseal(t *testing.T, from, to string, change map[string]func([]byte) []byte, head func(*archive.Manifest), secret []byte) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	var order []string
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f, ok := change[zf.Name]; ok {
			nb := f(b)
			if bytes.Equal(nb, b) {
				t.Fatalf("%s: %s did not change", to, zf.Name)
			}
			b = nb
		}
		files[zf.Name] = b
		order = append(order, zf.Name)
	}
	var m archive.Manifest
	if err := json.Unmarshal(files[archive.ManifestPath], &m); err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Files {
		sum := sha256.Sum256(files[f.Path])
		m.Files[i].Bytes, m.Files[i].SHA256 = int64(len(files[f.Path])), hex.EncodeToString(sum[:])
	}
	for i, tb := range m.Tables {
		m.Tables[i].Rows = int64(bytes.Count(files[tb.JSONL], []byte("\n")))
	}
	if head != nil {
		head(&m)
	}
	if secret != nil {
		if m.Signature, err = m.Sign(secret); err != nil {
			t.Fatal(err)
		}
	}
	if files[archive.ManifestPath], err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, name := range order {
		w, _ := zw.Create(name)
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
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
