package jobs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/jobs"
	"outlay/storage"
	"outlay/tenancy"
)

// An export's archive is deleted once its download link has expired (a day after it was
// ready, by the job's clock, and not a second before), and the export is kept as a record,
// expired. Archives are named by their checksum: one that an export still ready names stays
// until that export expires too. A failed export, with no archive, is left as it is.
func TestExpiryJobDeletesExportArchivesOnceTheirLinksExpire(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	ctx := context.Background()
	blobs, err := storage.Open(ctx, env.Config.BlobURL)
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	put := func(name string) string {
		t.Helper()
		sum := sha256.Sum256([]byte(name))
		key := storage.Key(tn.Slug, hex.EncodeToString(sum[:]))
		if err := blobs.Put(ctx, key, strings.NewReader("archive "+name), "application/zip"); err != nil {
			t.Fatal(err)
		}
		return key
	}
	reg := env.Registry
	export := func(key string) tenancy.Export {
		t.Helper()
		id, err := reg.QueueExport(ctx, tn.Slug, 1, "ana@acme.example")
		if err == nil && key != "" {
			err = reg.FinishExport(ctx, id, tenancy.ExportResult{BlobKey: key, SHA256: strings.TrimPrefix(key, tn.Slug+"/"), SizeBytes: 10})
		} else if err == nil {
			err = reg.FailExport(ctx, id, "The archive could not be written.")
		}
		if err != nil {
			t.Fatal(err)
		}
		e, err := reg.TenantExport(ctx, tn.Slug, id)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	lone := export(put("aaaa"))
	shared := put("bbbb")
	older := export(shared)
	failed := export("")
	testutil.ControlExec(t, env.ControlDSN, `UPDATE tenant_exports SET finished_at = finished_at - interval '1 hour' WHERE id IN ($1, $2)`, lone.ID, older.ID)
	younger := export(shared)
	lone, _ = reg.TenantExport(ctx, tn.Slug, lone.ID)

	clock := &testClock{}
	q := testutil.StartJobsWith(t, env, smtpMailer(t, env, srv), func(o *jobs.Options) { o.Now = clock.Now })
	run := func(at time.Time) {
		t.Helper()
		clock.Set(at)
		if err := q.ExpireExportsNow(ctx); err != nil {
			t.Fatal(err)
		}
		testutil.WaitJobs(t, q)
	}
	state := func(e tenancy.Export) string {
		t.Helper()
		got, err := reg.TenantExport(ctx, tn.Slug, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		s := got.Status
		if got.BlobKey != "" {
			if ok, err := blobs.Exists(ctx, got.BlobKey); err != nil || !ok {
				s += " (its archive missing)"
			}
		}
		return s
	}
	exists := func(key string) bool {
		ok, err := blobs.Exists(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	run(lone.FinishedAt.Add(tenancy.ExportLinkLife - time.Second))
	if s := state(lone); s != tenancy.ExportReady {
		t.Fatalf("a second before its link expires: %s, want ready", s)
	}
	run(lone.FinishedAt.Add(tenancy.ExportLinkLife + time.Second))
	if s := state(lone); s != tenancy.ExportExpired || exists(lone.BlobKey) {
		t.Errorf("once its link has expired: %s, archive kept %v; want expired, deleted", s, exists(lone.BlobKey))
	}
	if s := state(older); s != tenancy.ExportExpired || !exists(shared) {
		t.Errorf("an archive a younger export still names: %s, archive kept %v; want expired, kept", s, exists(shared))
	}
	if s := state(younger); s != tenancy.ExportReady {
		t.Errorf("the younger export: %s, want ready", s)
	}
	if s := state(failed); s != tenancy.ExportFailed {
		t.Errorf("the failed export: %s, want failed", s)
	}
	run(younger.FinishedAt.Add(tenancy.ExportLinkLife + time.Second))
	if s := state(younger); s != tenancy.ExportExpired || exists(shared) {
		t.Errorf("the younger export once its link has expired: %s, archive kept %v", s, exists(shared))
	}
}
