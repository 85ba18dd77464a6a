package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"outlay/models"
	"outlay/tenancy"
)

// KindFoldTallies is the periodic job that folds each tenant's status tallies (the counts of
// documents by status, a row added per change of status) into one row per status, so that
// the tallies of a kind no list reads do not grow with every change.
const KindFoldTallies = "fold_status_tallies"

// FoldTalliesArgs folds the tallies of one tenant (every active tenant when empty).
type FoldTalliesArgs struct {
	Tenant string `json:"tenant,omitempty"`
}

// Kind is the job kind.
func (FoldTalliesArgs) Kind() string { return KindFoldTallies }

// FoldTalliesNow queues a fold of the status tallies (every tenant when slug is empty).
func (q *Queue) FoldTalliesNow(ctx context.Context, slug string) error {
	_, err := q.client.Insert(ctx, FoldTalliesArgs{Tenant: slug}, &river.InsertOpts{MaxAttempts: 3})
	return err
}

type foldTalliesWorker struct {
	river.WorkerDefaults[FoldTalliesArgs]
	q *Queue
}

// Work folds every tallied table of each tenant.
func (w *foldTalliesWorker) Work(ctx context.Context, job *river.Job[FoldTalliesArgs]) error {
	ctx = tenancy.Background(ctx)
	return w.q.eachTenant(ctx, job.Args.Tenant, nil, func(ctx context.Context, slug string) error {
		_, db, release, err := w.q.tenantDB(ctx, slug)
		if err != nil {
			return err
		}
		defer release()
		return models.FoldStatusTallies(ctx, db)
	})
}
