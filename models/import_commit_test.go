package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"outlay/audit"
	"outlay/models"
)

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
	k, _ := models.FindImportKind("vendors")
	data := []byte(b.String())
	tbl, plan, err := models.ReadImportFile(k, data, "vendors.csv")
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.SaveImportUpload(ctx, db, admin, k, "vendors.csv", data, tbl, plan)
	if err != nil {
		t.Fatal(err)
	}
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
