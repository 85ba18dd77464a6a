// Package jobs runs Outlay's background work on a Postgres-backed queue (River) in the
// control-plane database: every app server both queues jobs and works them, each job runs on
// one server at a time, a job whose server died is picked up again, and a failing job is
// retried with backoff until it is given up as failed.
//
// Every job names its tenant by slug. Mail is the first user: a change writes its mail to the
// tenant's outbox in its own transaction, and after the commit a deliver_mail job sends it. A
// periodic sweep_mail job queues any outbox row still waiting (a process that stopped between
// its commit and queueing the job), so no committed mail is lost.
//
// A periodic daily_mail job sends what goes out once a day, from DailyMailHour in each
// organisation's time zone: the digest of the notifications people chose to read that way, and
// the reminders to approvers of steps that have waited longer than the organisation allows.
// Each person's daily mail is marked in the tenant's database with the mail that carries it,
// so it is sent once a local day however often, and on however many servers, the job runs.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"outlay"
	"outlay/auth"
	"outlay/backup"
	"outlay/config"
	"outlay/mail"
	"outlay/models"
	"outlay/tenancy"
)

// Options are what a Queue is built from.
type Options struct {
	Config   *config.Config
	Registry *tenancy.Registry
	Pools    *tenancy.Pools
	Mailer   mail.Mailer
	Logger   *slog.Logger
	// Workers is how many jobs this process works at once; 0 only queues (a command-line tool).
	Workers int
	// MailAttempts is how many times a mail is tried before it is given up as failed.
	MailAttempts int
	// RetryPolicy spaces out retries; nil is River's backoff (attempt⁴ seconds).
	RetryPolicy river.ClientRetryPolicy
	// SweepEvery is how often waiting outbox rows are looked for, and SweepAfter how old a
	// waiting row must be before the sweep queues it (its own job normally does first).
	SweepEvery, SweepAfter time.Duration
	// MailLinger is how long mail queued by requests gathers before its delivery jobs are
	// inserted in one batch (DefaultMailLinger when zero).
	MailLinger time.Duration
	// PollInterval is how often workers look for jobs without being told (River's default
	// is 1 s); tests shorten it.
	PollInterval time.Duration
	// DailyEvery is how often the daily mails are looked for (15 minutes when zero): each
	// goes out within this long after its local hour.
	DailyEvery time.Duration
	// LifecycleEvery is how often lapsed tenants are purged when due and their admins told
	// ahead (an hour when zero).
	LifecycleEvery time.Duration
	// ImportUploadsEvery is how often uploaded import files older than
	// Config.ImportUploadTTL, and export archives whose links have expired, are deleted (an
	// hour when zero).
	ImportUploadsEvery time.Duration
	// Now is the clock the daily mails, the purge job and the expiry of import uploads and
	// export archives read;
	// nil is time.Now (tests set the day).
	Now func() time.Time
	// Backups, when set, takes every tenant's daily backup: how often due backups are looked
	// for is BackupEvery (an hour when zero).
	Backups     *backup.Schedule
	BackupEvery time.Duration
}

// Queue queues and works jobs.
type Queue struct {
	opts     Options
	pool     *pgxpool.Pool
	client   *river.Client[pgx.Tx]
	failures atomic.Int64
	batch    *mailBatcher
}

// Job kinds.
const (
	KindDeliverMail    = "deliver_mail"
	KindPasswordReset  = "password_reset_requested"
	KindSweepMail      = "sweep_mail"
	KindDailyMail      = "daily_mail"
	mailSweepBatchSize = 500
)

// MailArgs delivers one outbox mail of a tenant.
type MailArgs struct {
	Tenant string `json:"tenant" river:"unique"`
	MailID int64  `json:"mail_id" river:"unique"`
}

// Kind is the job kind.
func (MailArgs) Kind() string { return KindDeliverMail }

// ResetArgs handles one request for a password reset link: the request page queues it for
// every address alike and answers at once, so its time says nothing about who has an account.
type ResetArgs struct {
	Tenant string `json:"tenant"`
	Email  string `json:"email"`
}

// Kind is the job kind.
func (ResetArgs) Kind() string { return KindPasswordReset }

// SweepArgs queues every tenant's outbox mail that is still waiting.
type SweepArgs struct {
	Tenant string `json:"tenant,omitempty"` // empty: every tenant
}

// Kind is the job kind.
func (SweepArgs) Kind() string { return KindSweepMail }

// DailyArgs sends the daily mails that are due in a tenant (every tenant when empty).
type DailyArgs struct {
	Tenant string `json:"tenant,omitempty"`
}

// Kind is the job kind.
func (DailyArgs) Kind() string { return KindDailyMail }

// Open connects to the control database (whose job tables the control migrations made) and
// builds the queue; Start starts its workers.
func Open(ctx context.Context, o Options) (*Queue, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MailAttempts < 1 {
		o.MailAttempts = 10
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = time.Minute
	}
	if o.SweepAfter <= 0 {
		o.SweepAfter = time.Minute
	}
	if o.DailyEvery <= 0 {
		o.DailyEvery = 15 * time.Minute
	}
	if o.LifecycleEvery <= 0 {
		o.LifecycleEvery = time.Hour
	}
	if o.ImportUploadsEvery <= 0 {
		o.ImportUploadsEvery = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MailLinger <= 0 {
		o.MailLinger = DefaultMailLinger
	}
	if o.BackupEvery <= 0 {
		o.BackupEvery = time.Hour
	}
	pcfg, err := pgxpool.ParseConfig(o.Config.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("control database URL: %w", err)
	}
	pcfg.MaxConns = int32(min(o.Workers, 20) + 4)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	q := &Queue{opts: o, pool: pool, batch: newMailBatcher(o.MailLinger)}
	workers := river.NewWorkers()
	river.AddWorker(workers, &mailWorker{q: q})
	river.AddWorker(workers, &resetWorker{q: q})
	river.AddWorker(workers, &sweepWorker{q: q})
	river.AddWorker(workers, &dailyWorker{q: q})
	river.AddWorker(workers, &importWorker{q: q})
	river.AddWorker(workers, &exportWorker{q: q})
	river.AddWorker(workers, &backupsDueWorker{q: q})
	river.AddWorker(workers, &tenantBackupWorker{q: q})
	river.AddWorker(workers, &lifecycleWorker{q: q})
	river.AddWorker(workers, &expireImportUploadsWorker{q: q})
	river.AddWorker(workers, &expireExportsWorker{q: q})
	river.AddWorker(workers, &foldTalliesWorker{q: q})
	rc := &river.Config{
		Logger:               o.Logger.With("component", "jobs"),
		Workers:              workers,
		RetryPolicy:          o.RetryPolicy,
		JobTimeout:           2 * time.Minute,
		RescueStuckJobsAfter: 10 * time.Minute,
		FetchPollInterval:    o.PollInterval,
	}
	if o.PollInterval > 0 && o.PollInterval < river.FetchCooldownDefault {
		rc.FetchCooldown = o.PollInterval
	}
	if o.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Workers}}
		if o.Backups != nil {
			rc.Queues[QueueBackups] = river.QueueConfig{MaxWorkers: backupWorkers}
		}
		// The runs of a periodic job after a failed one come soon enough: it is not retried
		// for long. The mail sweep keeps River's own retries.
		// Each also runs as the queue's leader starts: River schedules a periodic job's next
		// run a period after a leader starts, so without it a leader that restarts more often
		// than the period (deploys) would never run it. A run already made in the period is
		// not made again (UniqueOpts ByPeriod).
		rc.PeriodicJobs = []*river.PeriodicJob{
			periodic(o.SweepEvery, SweepArgs{}, 0),
			periodic(o.DailyEvery, DailyArgs{}, 3),
			periodic(o.LifecycleEvery, LifecycleArgs{}, 3),
			periodic(o.ImportUploadsEvery, ExpireImportUploadsArgs{}, 3),
			periodic(o.ImportUploadsEvery, ExpireExportsArgs{}, 3),
			periodic(time.Hour, FoldTalliesArgs{}, 3),
		}
		if o.Backups != nil {
			rc.PeriodicJobs = append(rc.PeriodicJobs, periodic(o.BackupEvery, BackupsDueArgs{}, 3))
		}
	}
	if q.client, err = river.NewClient(riverpgxv5.New(pool), rc); err != nil {
		pool.Close()
		return nil, err
	}
	go q.runMailBatches()
	return q, nil
}

// periodic queues args every interval and when the queue starts, once per interval however
// many servers run the queue, with at most attempts tries (0: River's default).
func periodic(every time.Duration, args river.JobArgs, attempts int) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{MaxAttempts: attempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: every}}
		}, &river.PeriodicJobOpts{RunOnStart: true})
}

// Start starts the workers; they stop when Stop is called or ctx ends.
func (q *Queue) Start(ctx context.Context) error {
	if q.opts.Workers == 0 {
		return nil
	}
	if n := removeStaleTempFiles(os.TempDir(), staleTempAge, time.Now()); n > 0 {
		q.opts.Logger.Info("removed temporary files a stopped server left", "files", n, "dir", os.TempDir())
	}
	return q.client.Start(ctx)
}

// Stop inserts the mail still gathering (QueueMail), lets running jobs finish (until ctx
// ends) and closes the queue.
func (q *Queue) Stop(ctx context.Context) error {
	// The mail requests queued goes in while the workers stop (neither waits for the other:
	// jobs inserted now are worked by another server, or by this one when it starts again).
	flushed := make(chan error, 1)
	go func() { flushed <- q.stopMailBatches(ctx) }()
	var err error
	if q.opts.Workers > 0 {
		err = q.client.Stop(ctx)
	}
	err = errors.Join(<-flushed, err)
	q.pool.Close()
	return err
}

// MaxConns is how many connections the queue's pool may open to the control database, and
// the daily backups it works to tenant databases (on the control database's server unless the
// tenant lives on another cluster).
func (q *Queue) MaxConns() int {
	n := int(q.pool.Config().MaxConns)
	if q.opts.Workers > 0 && q.opts.Backups != nil {
		n += backupWorkers * backupConns
	}
	return n
}

// Failures counts the job attempts that failed in this process.
func (q *Queue) Failures() int64 { return q.failures.Load() }

// DeliverMail queues the delivery of outbox mails the tenant committed. When queueing fails
// the mails still go out: the sweep finds them.
func (q *Queue) DeliverMail(ctx context.Context, slug string, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: MailArgs{Tenant: slug, MailID: id}, InsertOpts: q.mailOpts()}
	}
	_, err := q.client.InsertMany(ctx, params)
	if err != nil {
		q.opts.Logger.Warn("queueing mail delivery failed; the outbox sweep will send it", "tenant", slug, "mail_ids", ids, "err", err)
	}
	return err
}

func (q *Queue) mailOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: q.opts.MailAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// RequestPasswordReset queues a reset request for whatever address was typed.
func (q *Queue) RequestPasswordReset(ctx context.Context, slug, email string) error {
	_, err := q.client.Insert(ctx, ResetArgs{Tenant: slug, Email: email}, &river.InsertOpts{MaxAttempts: 5})
	return err
}

// SweepNow queues a sweep of one tenant's outbox (all tenants when slug is empty).
func (q *Queue) SweepNow(ctx context.Context, slug string) error {
	_, err := q.client.Insert(ctx, SweepArgs{Tenant: slug}, nil)
	return err
}

// DailyMailNow queues a run of the daily mails of one tenant (all tenants when slug is empty).
func (q *Queue) DailyMailNow(ctx context.Context, slug string) error {
	_, err := q.client.Insert(ctx, DailyArgs{Tenant: slug}, &river.InsertOpts{MaxAttempts: 3})
	return err
}

// tenantDB borrows a tenant's database handle for a job that changes it: only an active
// tenant's jobs run (see jobMayRun).
func (q *Queue) tenantDB(ctx context.Context, slug string) (tenancy.Tenant, *gorm.DB, func(), error) {
	return q.tenantHandle(ctx, slug, true)
}

// tenantHandle borrows a tenant's database handle for a job, when the tenant's state lets
// the job run; write says the job changes the tenant's data.
func (q *Queue) tenantHandle(ctx context.Context, slug string, write bool) (tenancy.Tenant, *gorm.DB, func(), error) {
	t, ok := q.opts.Registry.Lookup(slug)
	if !ok {
		// Made by another server a moment ago, and not yet announced to this one.
		if err := q.opts.Registry.Refresh(ctx); err != nil {
			return t, nil, nil, err
		}
		if t, ok = q.opts.Registry.Lookup(slug); !ok {
			return t, nil, nil, river.JobCancel(fmt.Errorf("tenant %q does not exist", slug))
		}
	}
	if err := jobMayRun(t, write); err != nil {
		return t, nil, nil, err
	}
	acquire := q.opts.Pools.Acquire
	if ctx.Value(upkeepKey{}) != nil {
		acquire = q.opts.Pools.AcquireKeepingOrder
	}
	db, release, err := acquire(ctx, t)
	if err != nil {
		return t, nil, nil, err
	}
	return t, db, release, nil
}

// failed counts a failed attempt and passes its error on.
func (q *Queue) failed(err error) error {
	if err != nil {
		q.failures.Add(1)
	}
	return err
}

type mailWorker struct {
	river.WorkerDefaults[MailArgs]
	q *Queue
}

func (w *mailWorker) Timeout(*river.Job[MailArgs]) time.Duration { return time.Minute }

// Work sends one mail while holding its outbox row, so a second delivery of the same mail
// (the sweep's, racing this one) finds it sent and does nothing.
func (w *mailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	ctx = tenancy.Background(ctx)
	q, a := w.q, job.Args
	t, db, release, err := q.tenantHandle(ctx, a.Tenant, false)
	if err != nil {
		return q.failed(err)
	}
	defer release()
	var sendErr, held error
	var sent *models.OutboxMail
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, ok, err := models.ClaimMail(ctx, tx, a.MailID)
		if err != nil || !ok {
			return err
		}
		if held = mailMaySend(t, m.Kind); held != nil {
			return nil // It stays in the outbox, for the sweep once the tenant is active again.
		}
		if sendErr = q.opts.Mailer.Send(ctx, m.Message()); sendErr != nil {
			return nil
		}
		sent = m
		return models.MarkMailSent(ctx, tx, a.MailID)
	})
	if err == nil {
		err = held
	}
	if err != nil {
		return q.failed(err)
	}
	if sendErr != nil {
		final := job.Attempt >= job.MaxAttempts
		if err := models.MarkMailAttemptFailed(context.WithoutCancel(ctx), db, a.MailID, sendErr.Error(), final); err != nil {
			q.opts.Logger.Error("recording a failed mail", "tenant", a.Tenant, "mail_id", a.MailID, "err", err)
		}
		level := slog.LevelWarn
		if final {
			level = slog.LevelError
		}
		q.opts.Logger.Log(ctx, level, "sending mail failed", "tenant", a.Tenant, "mail_id", a.MailID,
			"attempt", job.Attempt, "max_attempts", job.MaxAttempts, "given_up", final, "err", sendErr)
		return q.failed(sendErr)
	}
	if sent != nil {
		q.opts.Logger.Info("mail sent", "tenant", a.Tenant, "mail_id", a.MailID, "kind", sent.Kind)
	}
	return nil
}

type resetWorker struct {
	river.WorkerDefaults[ResetArgs]
	q *Queue
}

// Work issues a reset link and queues its mail, when the address belongs to someone who may
// use a password; a person who signs in with single sign-on (with no password, or while the
// organisation requires it) is told how they sign in instead; for anyone else it does nothing. Retrying never sends a second link: once
// the link's mail is committed, queueing its delivery may fail and the sweep still sends it.
func (w *resetWorker) Work(ctx context.Context, job *river.Job[ResetArgs]) error {
	ctx = tenancy.Background(ctx)
	q, a := w.q, job.Args
	// A lapsed tenant's people may still reset a password, to sign in and export before the
	// purge; a suspended one's may not.
	t, db, release, err := q.tenantHandle(ctx, a.Tenant, false)
	if err != nil {
		return q.failed(err)
	}
	defer release()
	if !t.Writable() && !t.ReadOnly() {
		return river.JobCancel(fmt.Errorf("tenant %q is %s: no password reset", t.Slug, t.Status))
	}
	mailID, err := models.IssueForgotPasswordMail(ctx, db, a.Email, q.opts.Config.PasswordResetTTL, q.PasswordResetMail(t), q.singleSignOnMail(t))
	switch {
	case errors.Is(err, outlay.ErrNotFound), errors.Is(err, models.ErrTooManyResets):
		return nil
	case err != nil:
		return q.failed(err)
	}
	_ = q.DeliverMail(ctx, t.Slug, mailID)
	return nil
}

// PasswordResetMail writes the mail with a link to choose a new password that a person of
// tenant t is sent, whether they asked through "Forgot password" or an admin sent it from
// their page: both are the same mail.
func (q *Queue) PasswordResetMail(t tenancy.Tenant) models.ComposeLinkMail {
	return func(u *models.User, token string) mail.Message {
		return mail.PasswordReset(u.Email, u.Name, t.Name, q.opts.Config.TenantURL(t.Slug, "/password/reset/"+token), q.opts.Config.PasswordResetTTL)
	}
}

// singleSignOnMail writes the mail that tells a person of tenant t who asked "Forgot
// password", and signs in with single sign-on, how they sign in: with a link to the sign-in
// page, where the buttons of their providers are.
func (q *Queue) singleSignOnMail(t tenancy.Tenant) models.ComposeSingleSignOnMail {
	return func(u *models.User, providers []string) mail.Message {
		return mail.SingleSignOn(u.Email, u.Name, t.Name, providers, q.opts.Config.TenantURL(t.Slug, "/login"))
	}
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	q *Queue
}

// Work queues the delivery of every mail that has waited longer than SweepAfter, in the
// outboxes sweepDue picks (or in the one tenant the job names).
func (w *sweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	ctx = tenancy.Background(ctx)
	return w.q.eachTenant(ctx, job.Args.Tenant, w.q.sweepDue(time.Now()), w.q.sweepTenant)
}

// sweepSlices is how many runs of the outbox sweep it takes to visit every tenant (each run
// visits two slices): with a run a minute, every outbox is swept at least every quarter of
// an hour, well within a password reset link's hour, and a run visits about one tenant in
// eight.
const sweepSlices = 15

// sweepDue picks the outboxes a sweep at now visits. A mail waits in its outbox only when its
// delivery was not queued after its commit (the control database was unreachable, or the
// process stopped in between), so the sweep looks where mail was written lately: the tenants
// this server used within the last SweepAfter and two runs (where this server wrote mail
// lately; the runs fall to any server of the queue). Every other tenant is visited by the
// runs that fall in two periods of every sweepSlices, chosen by a hash of its slug (two, so
// that a run late or early by a little skips no tenant): every outbox is still swept within
// sweepSlices runs, whichever server wrote to it and whether or not one restarted since,
// without opening a connection to every tenant on every run.
func (q *Queue) sweepDue(now time.Time) func(tenancy.Tenant) bool {
	recent := map[string]bool{}
	for _, slug := range q.opts.Pools.UsedSince(now.Add(-q.opts.SweepAfter - 2*q.opts.SweepEvery)) {
		recent[slug] = true
	}
	period := now.UnixNano() / int64(q.opts.SweepEvery)
	this, before := uint32(period%sweepSlices), uint32((period+sweepSlices-1)%sweepSlices)
	return func(t tenancy.Tenant) bool {
		s := sweepSlice(t.Slug)
		return recent[t.Slug] || s == this || s == before
	}
}

// sweepSlice is the run, of sweepSlices, in which the outbox sweep visits slug's tenant
// whether or not it was used lately.
func sweepSlice(slug string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(slug))
	return h.Sum32() % sweepSlices
}

// upkeepKey marks a context whose job visits tenants as upkeep (eachTenant): their handles are
// borrowed without counting as use.
type upkeepKey struct{}

// eachTenant runs work for one tenant, or, when slug is empty, for every active one (a
// suspended or lapsed tenant's mail waits until it is active again) that pick keeps (all of
// them when pick is nil). Visiting every tenant is upkeep: it borrows their handles without
// counting as use, so that it does not turn the least recently used order of the tenant
// pools upside down, and a handle it opens is the first to be closed for another tenant. One
// tenant's failure does not stop the others.
func (q *Queue) eachTenant(ctx context.Context, slug string, pick func(tenancy.Tenant) bool, work func(context.Context, string) error) error {
	var slugs []string
	if slug != "" {
		slugs = []string{slug}
	} else {
		tenants, err := q.opts.Registry.List(ctx)
		if err != nil {
			return q.failed(err)
		}
		for _, t := range tenants {
			if t.Writable() && (pick == nil || pick(t)) {
				slugs = append(slugs, t.Slug)
			}
		}
		ctx = context.WithValue(ctx, upkeepKey{}, true)
	}
	var errs []error
	for _, slug := range slugs {
		if err := work(ctx, slug); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", slug, err))
		}
	}
	return q.failed(errors.Join(errs...))
}

func (q *Queue) sweepTenant(ctx context.Context, slug string) error {
	_, db, release, err := q.tenantDB(ctx, slug)
	if err != nil {
		return err
	}
	defer release()
	ids, err := models.QueuedMail(ctx, db, time.Now().Add(-q.opts.SweepAfter), mailSweepBatchSize)
	if err != nil || len(ids) == 0 {
		return err
	}
	q.opts.Logger.Info("queueing waiting mail", "tenant", slug, "count", len(ids))
	return q.DeliverMail(ctx, slug, ids...)
}

type dailyWorker struct {
	river.WorkerDefaults[DailyArgs]
	q *Queue
}

// Work sends the daily mails due in each active tenant. Suspended organisations get none.
func (w *dailyWorker) Work(ctx context.Context, job *river.Job[DailyArgs]) error {
	ctx = tenancy.Background(ctx)
	return w.q.eachTenant(ctx, job.Args.Tenant, nil, w.q.dailyTenant)
}

func (q *Queue) dailyTenant(ctx context.Context, slug string) error {
	t, db, release, err := q.tenantDB(ctx, slug)
	if err != nil {
		return err
	}
	defer release()
	n := &models.Notifier{OrgName: t.Name, BaseURL: q.opts.Config.TenantURL(t.Slug, ""), Slug: t.Slug,
		Signer: auth.NewSigner(q.opts.Config.SecretKey)}
	now := q.opts.Now()
	digests, err := models.SendDigests(ctx, db, n, now)
	reminders, rerr := models.SendReminders(ctx, db, n, now)
	if ids := n.TakeQueued(); len(ids) > 0 {
		// Committed: should queueing fail, the outbox sweep sends them.
		_ = q.DeliverMail(ctx, slug, ids...)
	}
	if digests+reminders > 0 {
		q.opts.Logger.Info("daily mails queued", "tenant", slug, "digests", digests, "reminders", reminders)
	}
	return errors.Join(err, rerr)
}

// FixedRetry retries a failed job after a fixed delay (tests; production uses backoff).
type FixedRetry time.Duration

// NextRetry is a river.ClientRetryPolicy.
func (d FixedRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(d)) }
