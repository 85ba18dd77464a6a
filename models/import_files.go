package models

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/sheet"
)

// Statuses of an uploaded import.
const (
	ImportUploaded = "uploaded" // read and previewed; not committed
	ImportQueued   = "queued"   // committed by the admin, waiting for the job
	ImportRunning  = "running"  // the job is writing it
	ImportDone     = "done"     // written
	ImportFailed   = "failed"   // the job could not finish (nothing was written)
	// ImportRefused (an outcome of a row) is also the status of an import whose commit
	// found refused rows: nothing was written.
)

// ImportJobRows is the size from which a committed import runs as a background job, with a
// progress bar, instead of inside the request.
const ImportJobRows = 1000

// Import is an uploaded import file and what became of it.
type Import struct {
	ID             int64
	Kind           string
	Filename       string
	File           []byte `gorm:"default:null"`
	HeaderRow      int
	Mapping        []string `gorm:"serializer:json"`
	Status         string
	TotalRows      int
	DoneRows       int
	CreatedCount   int
	UpdatedCount   int
	UnchangedCount int
	RefusedCount   int
	Result         *ImportResult `gorm:"serializer:json"`
	Message        string
	CreatedBy      int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
	// FileKept: the import's file is still kept (read by GetImport for a failed import
	// only), so it may be run again.
	FileKept bool `gorm:"-"`
}

// MayRetry reports whether the import failed with its file still kept, so that pressing
// Import runs it again (nothing of a failed run was written).
func (m *Import) MayRetry() bool { return m.Status == ImportFailed && m.FileKept }

// Plan is the import's header row and mapping.
func (m *Import) Plan() ImportPlan { return ImportPlan{HeaderRow: m.HeaderRow - 1, Mapping: m.Mapping} }

// Finished reports whether the import has its outcome.
func (m *Import) Finished() bool {
	return m.Status == ImportDone || m.Status == ImportRefused || m.Status == ImportFailed
}

// Percent is how far the import is, 0–100.
func (m *Import) Percent() int {
	if m.TotalRows == 0 {
		return 0
	}
	return m.DoneRows * 100 / m.TotalRows
}

// ReadImportFile reads an uploaded file for kind k and works out its header and mapping.
// A file that cannot be read, has no header, or has no rows under its header, is refused
// beside the file.
func ReadImportFile(k *ImportKind, data []byte, filename string) (*sheet.Table, ImportPlan, error) {
	t, err := readImportTable(data, filename)
	if err != nil {
		return nil, ImportPlan{}, err
	}
	p := k.DetectPlan(t.Rows)
	if p.HeaderRow < 0 {
		return nil, p, k.errNoHeader()
	}
	if len(t.Rows) <= p.HeaderRow+1 {
		return nil, p, outlay.ValidationErrors{"file": "This file has a header row but no rows to import."}
	}
	return t, p, nil
}

// readImportTable reads an import's file; one that cannot be read is refused beside the file.
func readImportTable(data []byte, filename string) (*sheet.Table, error) {
	t, err := sheet.Read(bytesReader(data), filename, sheet.DefaultLimits)
	if msg, ok := sheet.IsFileError(err); ok {
		return nil, outlay.ValidationErrors{"file": msg}
	}
	return t, err
}

// SaveImportUpload keeps an uploaded file that was read, with its plan, for its preview.
func SaveImportUpload(ctx context.Context, db *gorm.DB, userID int64, k *ImportKind, filename string, data []byte, t *sheet.Table, p ImportPlan) (*Import, error) {
	m := &Import{Kind: k.Name, Filename: filename, File: data, HeaderRow: p.HeaderRow + 1, Mapping: p.Mapping,
		Status: ImportUploaded, TotalRows: len(t.Rows) - p.HeaderRow - 1, CreatedBy: userID}
	return m, db.WithContext(ctx).Create(m).Error
}

// GetImport reads import id, without its file, as it stands: one that was running under a
// claim gone stale (failStaleImports) is read as failed.
func GetImport(ctx context.Context, db *gorm.DB, id int64) (*Import, error) {
	var m Import
	read := func() error { return db.WithContext(ctx).Omit("file").Take(&m, id).Error }
	err := read()
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("That import does not exist.")
	}
	if err == nil && m.Status == ImportRunning {
		var failed int64
		if failed, err = failStaleImports(ctx, db); err == nil && failed > 0 {
			err = read()
		}
	}
	if err == nil && m.Status == ImportFailed {
		err = db.WithContext(ctx).Raw(`SELECT file IS NOT NULL FROM imports WHERE id = ?`, id).Row().Scan(&m.FileKept)
	}
	return &m, err
}

// ImportClaimLease is how long the claim of a running import lasts unless renewed: whoever
// runs it (a request or a job, on any server) renews it every quarter of it, through its
// progress and holdClaim, on the import's updated_at, by the database's clock. A running import
// whose claim is older ran in a process that is gone (a server stopped or killed while the
// import ran in its request or its job): nothing of it was committed.
const ImportClaimLease = 2 * time.Minute

// ImportCutShort is the message of an import whose run was cut short (failStaleImports).
const ImportCutShort = "The import was cut short before it finished (the server running it stopped); nothing was written. Press Import again to run it."

// failStaleImports marks failed every running import whose claim went stale, with
// ImportCutShort, so that its page says so and it may be run again, rather than showing it
// running for ever. The reads of imports (GetImport, RecentImports) do it when they find one
// running, whichever path runs it, so both recover alike; it returns how many it failed.
func failStaleImports(ctx context.Context, db *gorm.DB) (int64, error) {
	res := db.WithContext(ctx).Exec(`UPDATE imports SET status = ?, message = ?, finished_at = now(), updated_at = now()
		WHERE `+claimLapsed, ImportFailed, ImportCutShort, ImportRunning, ImportClaimLease.Seconds())
	return res.RowsAffected, res.Error
}

// claimLapsed is the condition of an import running under a claim whose lease ran out
// (arguments: ImportRunning, ImportClaimLease in seconds).
const claimLapsed = `status = ? AND updated_at < now() - make_interval(secs => ?)`

// ImportJobFrom are the statuses from which try attempt (1 for the first) of an import's job
// runs it (CommitImport's from): the import its commit queued, and, for a later try, the
// import a try cut short left claimed (its server stopped: its transaction was rolled back),
// once the claim's lease ran out, whether still running or read as failed meanwhile
// (ImportCutShort). A claim still renewed is another run's, and is left to it.
func ImportJobFrom(attempt int) []string {
	if attempt > 1 {
		return []string{ImportQueued, ImportRunning}
	}
	return []string{ImportQueued}
}

// holdClaim renews the claim of import id, which this process runs, every quarter lease
// until the returned stop is called (when the run ends, whatever its outcome).
func holdClaim(ctx context.Context, db *gorm.DB, id int64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(ImportClaimLease / 4)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				renewClaim(ctx, db, id, nil)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// renewClaim renews the claim of running import id (ImportClaimLease), recording how many
// rows it did when done is not nil. A renewal that fails is not fatal: the next one may
// succeed, and the run itself fails if the database is gone.
func renewClaim(ctx context.Context, db *gorm.DB, id int64, done *int) {
	fields := map[string]any{"updated_at": gorm.Expr("now()")}
	if done != nil {
		fields["done_rows"] = *done
	}
	db.WithContext(ctx).Model(&Import{}).Where("id = ? AND status = ?", id, ImportRunning).Updates(fields)
}

// importFile reads import id's file.
func importFile(ctx context.Context, db *gorm.DB, id int64) ([]byte, error) {
	var f []byte
	err := db.WithContext(ctx).Raw(`SELECT file FROM imports WHERE id = ?`, id).Row().Scan(&f)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, outlay.NotFound("That import does not exist.")
	}
	return f, err
}

// RecentImports lists the latest imports, newest first, without their files.
func RecentImports(ctx context.Context, db *gorm.DB, limit int) ([]Import, error) {
	var out []Import
	read := func() error {
		return db.WithContext(ctx).Omit("file", "result").Order("id DESC").Limit(limit).Find(&out).Error
	}
	if err := read(); err != nil || !slices.ContainsFunc(out, func(m Import) bool { return m.Status == ImportRunning }) {
		return out, err
	}
	if failed, err := failStaleImports(ctx, db); err != nil || failed == 0 {
		return out, err
	}
	return out, read()
}

// SetImportPlan changes the header row and mapping of an import not yet committed.
func SetImportPlan(ctx context.Context, db *gorm.DB, id int64, p ImportPlan) error {
	res := db.WithContext(ctx).Model(&Import{}).Where("id = ? AND status = ?", id, ImportUploaded).
		Updates(map[string]any{"header_row": p.HeaderRow + 1, "mapping": jsonValue(p.Mapping), "updated_at": time.Now().UTC()})
	if res.Error == nil && res.RowsAffected == 0 {
		return outlay.Conflict("This import was already committed; upload the file again to change it.")
	}
	return res.Error
}

// ImportActor is the actor of the changes an import makes: whoever ctx carries, with the
// import's own request id ("import-<id>"), which its import event carries too, so the audit
// log ties every row it wrote to the import.
func ImportActor(ctx context.Context, ref string) context.Context {
	a := audit.ActorFrom(ctx)
	a.RequestID = "import-" + ref
	return audit.WithActor(ctx, a)
}

// PreviewImport checks the rows of import m's file as the commit would, writing nothing (and
// sending none of the new invitations invite writes: see ImportOptions.Invite), until every
// row is checked or until is past (zero: no limit).
func PreviewImport(ctx context.Context, db *gorm.DB, m *Import, g Grantor, invite ComposeLinkMail, until time.Time) (*sheet.Table, *ImportResult, error) {
	k, t, err := loadImport(ctx, db, m)
	if err != nil {
		return nil, nil, err
	}
	res, err := RunImport(ctx, db, k, t.Rows, t.Lines, m.Plan(), ImportOptions{DryRun: true, CheckUntil: until, Grantor: g, Separator: t.Delimiter, Invite: invite})
	return t, res, err
}

func loadImport(ctx context.Context, db *gorm.DB, m *Import) (*ImportKind, *sheet.Table, error) {
	k, ok := FindImportKind(m.Kind)
	if !ok {
		return nil, nil, fmt.Errorf("import %d: unknown kind %q", m.ID, m.Kind)
	}
	data, err := importFile(ctx, db, m.ID)
	if err != nil {
		return nil, nil, err
	}
	if data == nil {
		return nil, nil, outlay.Conflict("This import's file is no longer kept; upload it again.")
	}
	// A file uploaded before the reader came to refuse what it holds (an unclosed quote) is
	// refused as an upload would be, with what is wrong, rather than as an internal error.
	t, err := readImportTable(data, m.Filename)
	return k, t, err
}

// CommitFrom are the statuses from which the admin's press of Import commits an import: an
// upload, or an import that failed with its file kept (Import.MayRetry), nothing of which was
// written.
var CommitFrom = []string{ImportUploaded, ImportFailed}

// QueueImport marks import m as committed and to be run by a job; false when it was
// already committed (a second click).
func QueueImport(ctx context.Context, db *gorm.DB, id int64) (bool, error) {
	return moveImport(ctx, db, id, CommitFrom, ImportQueued)
}

// CommitImport runs import id for real: every row in one transaction, recorded in the audit
// log as the actor's import. progress (which may be nil) is told how far it is; its writes go
// through progressDB, outside the import's transaction, so others see them. The outcome is
// kept on the import, and the file is let go once it is written. invite writes the new
// invitations of invited people the import gives more access (ImportOptions.Invite); once
// the import is done, the caller queues their delivery (Result.InvitationMails). mayCommit
// (ImportOptions.MayCommit; nil for none) is asked before the import's rows are committed.
// waitForLocks (ImportOptions.WaitForLocks) is for a job: a request gives up after the lock
// wait, as every request does.
//
// The import runs only when it is in one of the statuses from (CommitFrom for the admin's
// press of Import in a request, ImportJobFrom for its job), which it leaves for ImportRunning
// in one conditional update: of two requests or runs at once, one takes it and runs it; the
// other is answered ErrImportTaken, with the import as it then stands. The run holds its
// claim (holdClaim) until it ends; a file that cannot be loaded fails it at once, with why.
func CommitImport(ctx context.Context, db, progressDB *gorm.DB, id int64, from []string, g Grantor, invite ComposeLinkMail, mayCommit func(context.Context) error, waitForLocks bool) (*Import, error) {
	taken, err := moveImport(ctx, progressDB, id, from, ImportRunning)
	if err != nil {
		return nil, err
	}
	m, err := GetImport(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if !taken {
		return m, ErrImportTaken
	}
	stop := holdClaim(ctx, progressDB, id)
	defer stop()
	k, t, err := loadImport(ctx, db, m)
	if err != nil {
		return failLoad(ctx, db, progressDB, id, err)
	}
	progress := func(done, _ int) { renewClaim(ctx, progressDB, id, &done) }
	ctx = ImportActor(ctx, fmt.Sprint(id))
	res, runErr := RunImport(ctx, db, k, t.Rows, t.Lines, m.Plan(), ImportOptions{Grantor: g, Progress: progress, Source: m.Filename, Separator: t.Delimiter, Invite: invite,
		MayCommit: mayCommit, WaitForLocks: waitForLocks})
	fields := map[string]any{"updated_at": time.Now().UTC(), "finished_at": time.Now().UTC()}
	failure, refusedWhole := outlay.AsValidation(runErr)
	switch {
	case runErr == nil:
		fields["status"], fields["file"] = ImportDone, nil
	case errors.Is(runErr, ErrImportRefused):
		fields["status"] = ImportRefused
	case refusedWhole && failure["file"] != "":
		// Refused whole when it wrote (a record saved meanwhile has a name it gives): what
		// to change is said on its page, as for a refused row.
		fields["status"], fields["message"] = ImportFailed, failure["file"]
		runErr = nil
	default:
		fields["status"], fields["message"] = ImportFailed, "The import could not be finished; nothing was written."
	}
	if res != nil {
		fields["created_count"], fields["updated_count"], fields["unchanged_count"], fields["refused_count"] = res.Created, res.Updated, res.Unchanged, res.Refused
		fields["result"] = jsonValue(res)
	}
	if err := progressDB.WithContext(ctx).Model(&Import{ID: id}).Updates(fields).Error; err != nil {
		return nil, err
	}
	m, err = GetImport(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if m.Status == ImportFailed {
		return m, runErr
	}
	return m, nil
}

// failLoad fails import id, whose file could not be loaded (err) after it was claimed, with
// what to do: nothing of it was written. A refusal of the file (no longer kept, no longer
// readable) is the import's message, not an error of the run, and the file is let go, since
// running it again cannot succeed.
func failLoad(ctx context.Context, db, progressDB *gorm.DB, id int64, err error) (*Import, error) {
	fields := map[string]any{"status": ImportFailed, "message": "The import's file could not be read; nothing was written. Upload it again.",
		"finished_at": time.Now().UTC(), "updated_at": time.Now().UTC()}
	if v, ok := outlay.AsValidation(err); ok && v["file"] != "" {
		fields["message"], fields["file"], err = "Nothing was imported: "+v["file"]+" Upload it again.", nil, nil
	} else if errors.Is(err, outlay.ErrConflict) {
		fields["message"], fields["file"], err = err.Error(), nil, nil
	}
	if uerr := progressDB.WithContext(ctx).Model(&Import{ID: id}).Updates(fields).Error; uerr != nil {
		return nil, errors.Join(err, uerr)
	}
	m, gerr := GetImport(ctx, db, id)
	if gerr != nil {
		return nil, errors.Join(err, gerr)
	}
	return m, err
}

// ErrImportTaken answers CommitImport for an import that another request or run has taken
// (or finished) meanwhile: this one did not run it.
var ErrImportTaken = errors.New("import already committed")

// moveImport moves import id from one of the statuses from to status to, reporting whether it
// did: one conditional statement, so that of two requests at once only one moves it.
//
// ImportRunning among from takes over only a claim whose lease ran out (ImportJobFrom): one
// running under it, or one failStaleImports read as failed because of it.
func moveImport(ctx context.Context, db *gorm.DB, id int64, from []string, to string) (bool, error) {
	cond, args := "status IN ?", []any{id, slices.DeleteFunc(slices.Clone(from), func(s string) bool { return s == ImportRunning })}
	if slices.Contains(from, ImportRunning) {
		cond += " OR (" + claimLapsed + ") OR (status = ? AND message = ?)"
		args = append(args, ImportRunning, ImportClaimLease.Seconds(), ImportFailed, ImportCutShort)
	}
	res := db.WithContext(ctx).Model(&Import{}).Where("id = ? AND ("+cond+")", args...).
		Updates(map[string]any{"status": to, "done_rows": 0, "message": "", "finished_at": nil, "updated_at": gorm.Expr("now()")})
	return res.RowsAffected == 1, res.Error
}

// RetryImport puts an import whose run failed for a reason of the moment (the database
// restarting or busy under it, a lock not had in time) back to status: ImportQueued, for its
// job's next try, or ImportUploaded, for the admin to press Import again. Its transaction
// was rolled back (unless the connection died in its very commit, when the retry finds the
// rows it wrote already there, as unchanged).
func RetryImport(ctx context.Context, db *gorm.DB, id int64, status string) error {
	return db.WithContext(ctx).Model(&Import{}).Where("id = ? AND status = ?", id, ImportFailed).
		Updates(map[string]any{"status": status, "message": "", "finished_at": nil, "done_rows": 0, "updated_at": time.Now().UTC()}).Error
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// jsonValue is v as a jsonb value of an update (a map update does not run serializers).
func jsonValue(v any) any {
	b, _ := json.Marshal(v)
	return gorm.Expr("?::jsonb", string(b))
}

// WriteImportFile writes rows of kind k as a file the import reads back: a header of the
// columns' labels, then a row each. A template is the file of one example row.
func WriteImportFile(w io.Writer, f sheet.Format, k *ImportKind, rows []ImportValues) error {
	cols := make([]sheet.Column, len(k.Columns))
	for i, c := range k.Columns {
		cols[i] = sheet.Column{Key: c.Name, Title: c.Label}
	}
	sw, err := sheet.NewWriter(f, w, cols)
	if err != nil {
		return err
	}
	for _, r := range rows {
		vals := make([]any, len(k.Columns))
		for i, c := range k.Columns {
			vals[i] = r[c.Name]
		}
		if err := sw.Row(vals); err != nil {
			return err
		}
	}
	return sw.Close()
}

// ImportExample is kind k's example row, for its template.
func ImportExample(k *ImportKind) ImportValues {
	v := ImportValues{}
	for _, c := range k.Columns {
		v[c.Name] = c.Example
	}
	return v
}

// ImportUploadExpiresAt is when an upload not yet committed expires, given how long uploads
// are kept (config.ImportUploadTTL).
func (m *Import) ImportUploadExpiresAt(ttl time.Duration) time.Time { return m.CreatedAt.Add(ttl) }

// UploadExpired reports whether the import is an upload, never committed, older than ttl at
// now: its file is deleted (or about to be), and it can no longer be previewed or committed.
func (m *Import) UploadExpired(now time.Time, ttl time.Duration) bool {
	return m.Status == ImportUploaded && ttl > 0 && !now.Before(m.ImportUploadExpiresAt(ttl))
}

// ExpireImportUploads deletes the uploads that were never committed and were made at or
// before before, their files with them (a file lives in its import's row), and returns how many. A
// committed import (queued, running or finished) keeps its record and result.
func ExpireImportUploads(ctx context.Context, db *gorm.DB, before time.Time) (int64, error) {
	res := db.WithContext(ctx).Exec(`DELETE FROM imports WHERE status = ? AND created_at <= ?`, ImportUploaded, before)
	return res.RowsAffected, res.Error
}

// ImportWasRemoved reports whether import id was made once and is gone (an upload that
// expired): its number was handed out, but it is no longer there.
func ImportWasRemoved(ctx context.Context, db *gorm.DB, id int64) (bool, error) {
	var removed bool
	err := db.WithContext(ctx).Raw(`SELECT ? <= coalesce(pg_sequence_last_value(pg_get_serial_sequence('imports', 'id')::regclass), 0)
		AND NOT EXISTS (SELECT 1 FROM imports WHERE id = ?)`, id, id).Row().Scan(&removed)
	return removed, err
}
