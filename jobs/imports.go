package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"outlay"
	"outlay/audit"
	"outlay/mail"
	"outlay/models"
	"outlay/tenancy"
)

// KindImport commits a large import of setup data.
const KindImport = "import"

// ImportArgs commits import ImportID of a tenant, as the admin who committed it.
type ImportArgs struct {
	Tenant   string `json:"tenant"`
	ImportID int64  `json:"import_id"`
	UserID   int64  `json:"user_id"`
	Label    string `json:"label"` // the admin's email, as the audit log shows them
	IP       string `json:"ip"`
	// Inviter is the admin's name, which the new invitations the import sends say they are from.
	Inviter string `json:"inviter,omitempty"`
}

// Kind is the job kind.
func (ImportArgs) Kind() string { return KindImport }

// RunImport queues the commit of an import the admin committed (a large file: the page
// shows its progress meanwhile); inviter is the admin's name.
func (q *Queue) RunImport(ctx context.Context, slug string, id int64, by audit.Actor, inviter string) error {
	_, err := q.client.Insert(ctx, ImportArgs{Tenant: slug, ImportID: id, UserID: by.ID, Label: by.Label, IP: by.IP, Inviter: inviter},
		&river.InsertOpts{MaxAttempts: 3})
	return err
}

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	q *Queue
}

// Timeout allows an import of the largest file (200,000 rows) to finish.
func (w *importWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return 30 * time.Minute }

// Work writes the import in one transaction, reporting progress on the import's row through
// another connection, and then queues the delivery of the new invitations it sent. A run cut
// short (a server that stopped) wrote nothing and is run again.
func (w *importWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	ctx = tenancy.Background(ctx)
	q, a := w.q, job.Args
	t, db, release, err := q.tenantDB(ctx, a.Tenant)
	if err != nil {
		return q.failed(err)
	}
	defer release()
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorUser, ID: a.UserID, Label: a.Label, IP: a.IP})
	// The job runs the import its commit queued; a later try also takes it over from a try
	// cut short, once that try's claim ran out.
	m, err := models.CommitImport(ctx, db, db, a.ImportID, models.ImportJobFrom(job.Attempt), models.ByPerson(a.UserID), q.invitationMail(t, a.Inviter), q.stillWritable(a.Tenant), true)
	if errors.Is(err, models.ErrImportTaken) {
		q.opts.Logger.Info("import not run: already taken", "tenant", a.Tenant, "import_id", a.ImportID, "status", m.Status)
		return nil
	}
	if err != nil {
		// The database went away under it (restarting, moving): the next try, after River's
		// backoff, runs it again unless this was the last.
		if tenancy.Unavailable(err) && job.Attempt < job.MaxAttempts {
			if rerr := models.RetryImport(ctx, db, a.ImportID, models.ImportQueued); rerr == nil {
				q.opts.Logger.Warn("import interrupted; it runs again", "tenant", a.Tenant, "import_id", a.ImportID, "err", err)
				return q.failed(err)
			}
		}
		q.opts.Logger.Error("import failed", "tenant", a.Tenant, "import_id", a.ImportID, "err", err)
		return q.failed(err)
	}
	if m.Status == models.ImportDone && m.Result != nil {
		// Should queueing fail, the outbox sweep still sends them.
		_ = q.DeliverMail(ctx, a.Tenant, m.Result.InvitationMails()...)
	}
	q.opts.Logger.Info("import finished", "tenant", a.Tenant, "import_id", a.ImportID, "status", m.Status,
		"created", m.CreatedCount, "updated", m.UpdatedCount, "unchanged", m.UnchangedCount, "refused", m.RefusedCount)
	return nil
}

// invitationMail writes the invitation, from inviter (a name, or "" for none), with which an
// invited person of tenant t chooses a password: the mail an admin's invitation sends.
func (q *Queue) invitationMail(t tenancy.Tenant, inviter string) models.ComposeLinkMail {
	return func(u *models.User, token string) mail.Message {
		return mail.Invitation(u.Email, u.Name, t.Name, inviter, q.opts.Config.TenantURL(t.Slug, "/password/reset/"+token), models.InvitationTTL)
	}
}

// stillWritable is asked before a long import commits: an organisation suspended or lapsed
// while it ran is not changed by it, and its page says why.
func (q *Queue) stillWritable(slug string) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := q.opts.Registry.Refresh(ctx); err != nil {
			return err
		}
		t, ok := q.opts.Registry.Lookup(slug)
		if ok && t.Writable() {
			return nil
		}
		return outlay.ValidationErrors{"file": "Nothing was imported: the organisation was suspended, lapsed or removed while the import ran, " +
			"and its data is not changed until it is active again."}
	}
}
