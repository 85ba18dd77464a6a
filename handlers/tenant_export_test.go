package handlers_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"outlay"
	"outlay/archive"
	"outlay/audit"
	"outlay/auth"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/policy"
	"outlay/sheet"
	"outlay/tenancy"
)

// An admin asks for everything; the archive is written in the background, the admin is told
// in the app, and the page's download link gives a complete, checked archive until it expires.
func TestExportEverything(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	testutil.ApprovedRequisition(t, env.DB(t, acme), rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/export")
	res := c.Post("/admin/export", nil)
	if res.Status != http.StatusSeeOther || res.Location() != "/admin/export" {
		t.Fatalf("export everything: %d %q", res.Status, res.Location())
	}
	app.WaitJobs(t)
	page := c.Get("/admin/export")
	href, ok := page.Doc.Find(`tr[data-export="ready"] a.export-download`).Attr("href")
	if !ok {
		t.Fatalf("no download link: %s", page.Text("#tenant-exports"))
	}
	res = c.Get(href)
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %v", res.Status, res.Header)
	}
	a, err := archive.Open(bytes.NewReader([]byte(res.Body)), int64(len(res.Body)))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, tb := range a.Manifest.Tables {
		rows[tb.Name] = tb.Rows
	}
	if a.Manifest.Tenant != "acme" || rows["requisitions"] != 1 || rows["users"] != 2 || a.Manifest.AuditHead == nil {
		t.Errorf("archive manifest: tenant %q, rows %v, head %v", a.Manifest.Tenant, rows, a.Manifest.AuditHead)
	}
	// Each table's CSV copy starts with a byte-order mark, for Excel on Windows, which the
	// import reads past.
	for _, tb := range a.Manifest.Tables {
		if tb.Name != "users" {
			continue
		}
		zr, err := zip.NewReader(bytes.NewReader([]byte(res.Body)), int64(len(res.Body)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := zr.Open(tb.CSV)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(f)
		tbl, err := sheet.Read(bytes.NewReader(data), tb.CSV, sheet.DefaultLimits)
		if !bytes.HasPrefix(data, []byte(sheet.BOM)) || err != nil || tbl.Encoding != "UTF-8 with BOM" || tbl.Rows[0][0] != "id" {
			t.Errorf("%s: %q... read as %v, %v", tb.CSV, data[:min(len(data), 10)], tbl, err)
		}
	}
	db := env.DB(t, acme)
	var told int64
	db.Raw(`SELECT count(*) FROM notifications WHERE recipient_id = ? AND kind = 'notify_tenant_export' AND link_path = '/admin/export'`, ana.ID).Scan(&told)
	var audited int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = 'export' AND subject = 'everything' AND actor_label = 'ana@acme.example'`).Scan(&audited)
	if told != 1 || audited != 1 {
		t.Errorf("%d notifications, %d audit entries", told, audited)
	}

	// Someone given only the export holds less than Ana, whose password hash the archive
	// holds: they may neither start an export nor download hers. Each refusal is audited.
	ctx := context.Background()
	r, err := models.CreateRole(ctx, db, "Data exporter")
	if err != nil {
		t.Fatal(err)
	}
	for _, act := range []string{outlay.ActRead, outlay.ActExport} {
		if err := models.SetPermission(ctx, db, models.ByOperator(), r.Name, policy.Permission{Object: outlay.ObjTenantExport, Action: act}, true); err != nil {
			t.Fatal(err)
		}
	}
	env.CreateUser(t, acme, "hal@acme.example", "Hal Exporter", r.Name)
	hal := app.Client(t, "acme")
	hal.SignIn("hal@acme.example", testutil.Password)
	hal.Get("/admin/export")
	if flash := flashAfter(t, hal, hal.Post("/admin/export", nil)); !strings.Contains(flash, "password hashes included") {
		t.Errorf("Hal exporting everything: flash %q", flash)
	}
	if flash := flashAfter(t, hal, hal.Get(href)); !strings.Contains(flash, "only someone who holds them can export it") {
		t.Errorf("Hal downloading Ana's export: flash %q", flash)
	}
	exports, err := env.Registry.TenantExports(ctx, "acme", 20)
	var refusals int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = 'access.refused' AND subject = 'tenant_export'`).Scan(&refusals)
	if err != nil || len(exports) != 1 || refusals != 2 {
		t.Errorf("after Hal's attempts: %d exports (want Ana's 1, %v), %d refusals audited (want 2)", len(exports), err, refusals)
	}

	// A link whose signature or expiry was changed is not found; nor is a link of another
	// tenant's export.
	u, _ := url.Parse(href)
	q := u.Query()
	q.Set("expires", "9999999999")
	if res := c.Get(u.Path + "?" + q.Encode()); res.Status != http.StatusNotFound {
		t.Errorf("a link with a later expiry: %d", res.Status)
	}
	// A link signed with an expiry that has passed is refused; the page offers none once the
	// archive is older than a link lives.
	past := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	id := strings.Split(u.Path, "/")[3]
	expired := u.Path + "?expires=" + past + "&sig=" + auth.NewSigner(env.Config.SecretKey).Sign("tenant-export", "acme", id, past)
	if res := c.Get(expired); res.Status != http.StatusNotFound {
		t.Errorf("an expired link: %d", res.Status)
	}
	testutil.ControlExec(t, env.ControlDSN, `UPDATE tenant_exports SET finished_at = now() - interval '25 hours'`)
	if page := c.Get("/admin/export"); page.Doc.Find("a.export-download").Length() != 0 || !strings.Contains(page.Text("#tenant-exports"), "expired") {
		t.Errorf("the page after expiry: %q", page.Text("#tenant-exports"))
	}
	// Once the expiry job has deleted the archive, the page says so.
	testutil.ControlExec(t, env.ControlDSN, `UPDATE tenant_exports SET status = 'expired', blob_key = NULL`)
	if page := c.Get("/admin/export"); !strings.Contains(page.Text(`tr[data-export="expired"]`), "Deleted") ||
		!strings.Contains(page.Text("#tenant-exports"), "archive is deleted") {
		t.Errorf("the page once the archive is deleted: %q", page.Text("#tenant-exports"))
	}
}

// A tenant that cannot be changed (suspended) is still exported: the job only reads it.
func TestExportEverythingOfASuspendedTenant(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	ctx := context.Background()
	if err := env.Registry.SetStatus(ctx, "acme", tenancy.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if err := env.Registry.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := app.Jobs.ExportTenant(ctx, "acme", audit.Actor{Type: audit.ActorUser, ID: ana.ID, Label: ana.Email})
	if err != nil {
		t.Fatal(err)
	}
	app.WaitJobs(t)
	e, err := env.Registry.TenantExport(ctx, "acme", id)
	if err != nil || e.Status != tenancy.ExportReady || e.SizeBytes == 0 {
		t.Fatalf("export of a suspended tenant: %+v %v", e, err)
	}
}
