package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/models"
)

// uploadVendors keeps file, a vendors import, as uploaded by admin.
func uploadVendors(t *testing.T, ctx context.Context, db *gorm.DB, admin int64, file string) *models.Import {
	t.Helper()
	k, _ := models.FindImportKind("vendors")
	tbl, plan, err := models.ReadImportFile(k, []byte(file), "vendors.csv")
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.SaveImportUpload(ctx, db, admin, k, "vendors.csv", []byte(file), tbl, plan)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A queued import is run by its job alone: runs started at once (a job queued twice, a try
// taken back while another runs) run it once, the others told it is taken; a request, which
// runs only an import still uploaded, does not run it either. One import event is recorded.
func TestQueuedImportRunsOnce(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	admin := audit.ActorFrom(ctx).ID
	var b strings.Builder
	b.WriteString("name,payment_terms,currency\n")
	for i := range 50 {
		fmt.Fprintf(&b, "Vendor %02d,30,USD\n", i)
	}
	m := uploadVendors(t, ctx, db, admin, b.String())
	if queued, err := models.QueueImport(ctx, db, m.ID); !queued || err != nil {
		t.Fatalf("queue: %v, %v", queued, err)
	}
	if _, err := models.CommitImport(ctx, db, db, m.ID, []string{models.ImportUploaded}, models.ByPerson(admin), nil, nil, false); !errors.Is(err, models.ErrImportTaken) {
		t.Fatalf("a request's commit of the queued import: %v; want ErrImportTaken", err)
	}
	const runs = 6
	errs := make([]error, runs)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = models.CommitImport(ctx, db, db, m.ID, []string{models.ImportQueued}, models.ByPerson(admin), nil, nil, true)
		}()
	}
	close(start)
	wg.Wait()
	ran := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ran++
		case !errors.Is(err, models.ErrImportTaken):
			t.Errorf("run %d: %v", i, err)
		}
	}
	if ran != 1 {
		t.Errorf("%d runs ran the import; want 1", ran)
	}
	done, err := models.GetImport(ctx, db, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != models.ImportDone || done.CreatedCount != 50 {
		t.Errorf("import: %s, %d created; want done, 50 created", done.Status, done.CreatedCount)
	}
	var events int
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = ?`, audit.EventImport).Scan(&events)
	if events != 1 || count(t, db, "vendors") != 50 {
		t.Errorf("%d import events, %d vendors; want 1 and 50", events, count(t, db, "vendors"))
	}
}

// A later try of an import's job takes over the import a try cut short left claimed once the
// claim's lease ran out, whether it is still running or its page read it as failed meanwhile
// (cut short, "Import again"), and runs it; a claim still renewed is another run's, which the
// try leaves alone. The first try runs only the import its commit queued.
func TestImportJobRetryTakesOverALapsedClaim(t *testing.T) {
	t.Parallel()
	ctx, db, _ := importAdmin(t)
	admin := audit.ActorFrom(ctx).ID
	upload := func(name string) int64 {
		return uploadVendors(t, ctx, db, admin, "name,payment_terms,currency\n"+name+",30,USD\n").ID
	}
	claimed := func(id int64, renewed time.Duration) {
		if err := db.Exec(`UPDATE imports SET status = 'running', updated_at = now() - make_interval(secs => ?) WHERE id = ?`,
			renewed.Seconds(), id).Error; err != nil {
			t.Fatal(err)
		}
	}
	retry := func(id int64, attempt int) (*models.Import, error) {
		return models.CommitImport(ctx, db, db, id, models.ImportJobFrom(attempt), models.ByPerson(admin), nil, nil, true)
	}
	lapsed := models.ImportClaimLease + time.Minute

	stillRunning := upload("Still running")
	claimed(stillRunning, lapsed)
	if _, err := retry(stillRunning, 1); !errors.Is(err, models.ErrImportTaken) {
		t.Errorf("the first try of a job, on an import claimed: %v; want ErrImportTaken", err)
	}
	if m, err := retry(stillRunning, 2); err != nil || m.Status != models.ImportDone || m.CreatedCount != 1 {
		t.Errorf("a later try, on a claim whose lease ran out: %+v, %v; want it run", m, err)
	}

	readAsFailed := upload("Read as failed")
	claimed(readAsFailed, lapsed)
	if m, err := models.GetImport(ctx, db, readAsFailed); err != nil || m.Status != models.ImportFailed || m.Message != models.ImportCutShort {
		t.Fatalf("the page's read of the lapsed claim: %+v, %v; want it failed, cut short", m, err)
	}
	if m, err := retry(readAsFailed, 2); err != nil || m.Status != models.ImportDone || m.CreatedCount != 1 {
		t.Errorf("a later try, on a claim read as failed: %+v, %v; want it run", m, err)
	}

	renewed := upload("Renewed")
	claimed(renewed, 0)
	if m, err := retry(renewed, 2); !errors.Is(err, models.ErrImportTaken) || m.Status != models.ImportRunning {
		t.Errorf("a later try, on a claim still renewed: %+v, %v; want ErrImportTaken, still running", m, err)
	}
	if count(t, db, "vendors") != 2 {
		t.Errorf("%d vendors; want 2", count(t, db, "vendors"))
	}
}
