package jobs_test

import (
	"context"
	"testing"
	"time"

	"outlay/internal/smtptest"
	"outlay/internal/testutil"
	"outlay/jobs"
)

// Uploaded import files that were never imported are deleted with their records by the
// expiry job once they are older than the uploads' lifetime (24 hours) by the job's clock, and
// not a second before; a younger upload, and an import that was committed long ago, stay.
func TestExpiryJobDeletesUploadsNeverImported(t *testing.T) {
	srv := smtptest.Start(t)
	env, tn := testutil.NewTenant(t)
	ana := env.CreateUser(t, tn, "ana@acme.example", "Ana Admin", "admin")
	db := env.DB(t, tn)
	uploaded := utc("2026-03-10T08:00:00Z")
	for _, imp := range []struct {
		filename, status string
		at               time.Time
	}{
		{"abandoned.csv", "uploaded", uploaded},
		{"younger.csv", "uploaded", uploaded.Add(time.Hour)},
		{"imported.csv", "done", uploaded.Add(-30 * day)},
	} {
		err := db.Exec(`INSERT INTO imports (kind, filename, file, status, created_by, created_at, updated_at, result)
			VALUES ('vendors', ?, convert_to('Name' || chr(10) || 'Acme' || chr(10), 'UTF8'), ?, ?, ?, ?, CASE WHEN ? = 'done' THEN '{"rows": 1}'::jsonb END)`,
			imp.filename, imp.status, ana.ID, imp.at, imp.at, imp.status).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	left := func() []string {
		t.Helper()
		var names []string
		if err := db.Raw(`SELECT filename FROM imports WHERE file IS NOT NULL OR result IS NOT NULL ORDER BY id`).Scan(&names).Error; err != nil {
			t.Fatal(err)
		}
		return names
	}
	clock := &testClock{}
	clock.Set(uploaded.Add(24*time.Hour - time.Second))
	q := testutil.StartJobsWith(t, env, smtpMailer(t, env, srv), func(o *jobs.Options) { o.Now = clock.Now })
	run := func() {
		t.Helper()
		if err := q.ExpireImportUploadsNow(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
		testutil.WaitJobs(t, q)
	}
	run()
	if got := left(); len(got) != 3 {
		t.Fatalf("a second before the upload's 24 hours are up: %v, want all three", got)
	}
	clock.Set(uploaded.Add(24 * time.Hour))
	run()
	if got := left(); len(got) != 2 || got[0] != "younger.csv" || got[1] != "imported.csv" {
		t.Fatalf("after the upload's 24 hours: %v, want younger.csv and imported.csv", got)
	}
	var all int64
	if err := db.Raw(`SELECT count(*) FROM imports`).Scan(&all).Error; err != nil || all != 2 {
		t.Errorf("the expired upload's record is still there: %d imports (%v)", all, err)
	}
}
