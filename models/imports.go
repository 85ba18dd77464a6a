package models

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/money"
	"outlay/policy"
	"outlay/sheet"
)

// An import brings setup data in from a spreadsheet: each row becomes a record of one kind,
// created or updated by the kind's natural key (a person's email, a GL account's code, a
// vendor's name...). Every row goes through the same model function as the kind's form, so a
// row is refused for exactly what the form refuses, and the whole file is one transaction:
// one refused row and nothing is written.

// ImportColumn is one column a kind's file may have.
type ImportColumn struct {
	Name     string // as in templates and the mapping: "payment_terms"
	Label    string // as people read it: "Payment terms (days)"
	Required bool
	Example  string
	Help     string   // what goes in it, for the template's notes and the page
	Aliases  []string // other headers people give it
	// Default is what an empty cell means ("active" for a vendor's status), so that such a
	// row matches a record holding it.
	Default string
	compare compareAs
}

type compareAs int

const (
	compareText   compareAs = iota // trimmed, exactly
	compareFold                    // trimmed, in any case
	compareAmount                  // an amount in the row's currency
	compareList                    // a list separated by commas or semicolons, in any order and case
	compareCode                    // a code word in any case, spaces read as underscores: "On hold" is on_hold
	compareDate                    // a date, written as the forms write it once read (readColumns)
)

// lineBreaks writes every line break as LF.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// codeWord reads a code as a file may write it, "On hold" for on_hold.
func codeWord(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "_")
}

// ImportKind is one kind of setup data an import takes.
type ImportKind struct {
	Name  string // in addresses and on the command line: "vendors"
	Label string // "Vendors"
	// Object is the permission object of the kind's own pages: a row that adds a record
	// needs its create, one that changes a record its update, as the forms do. Holding the
	// import permission alone changes nothing.
	Object  string
	Columns []ImportColumn
	// Key names the columns whose values together name a record (lower-cased).
	Key []string
	// canonical, for a kind with a column that names another record more than one way (a
	// department, by name or by code), returns a row's values with those cells written as
	// records gives them: for its key and for comparing it with its record, so that a file
	// naming departments by code finds a budget, and changes nothing it does not change.
	canonical func(v ImportValues, refs *importRefs) (ImportValues, error)
	// records reads every record of the kind, archived ones too, as a file writes them.
	records func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error)
	// save creates (id 0) or changes record id from a row's values, through the kind's own
	// model function; it returns the record's id.
	save func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, refs *importRefs) (int64, error)
	// bulk, for kinds whose every check but the natural key's uniqueness needs no database,
	// checks a new row as save would without writing it; the new records are then created
	// many to a statement. Nil: every row goes through save.
	bulk *importBulk
}

// importBulk creates a kind's new records in batches.
type importBulk struct {
	// build checks a new row as the kind's save does and returns the record it describes.
	build func(v ImportValues, refs *importRefs, verr outlay.ValidationErrors) (any, error)
	// create writes records build returned, in one statement (audited as any create).
	create func(tx *gorm.DB, recs []any) error
}

// bulkOf is an importBulk for records of type T built by build.
func bulkOf[T any](build func(v ImportValues, refs *importRefs, verr outlay.ValidationErrors) (*T, error)) *importBulk {
	return &importBulk{
		build: func(v ImportValues, refs *importRefs, verr outlay.ValidationErrors) (any, error) {
			return build(v, refs, verr)
		},
		create: func(tx *gorm.DB, recs []any) error {
			batch := make([]T, len(recs))
			for i, r := range recs {
				batch[i] = *r.(*T)
			}
			return tx.Create(&batch).Error
		},
	}
}

// importBatchSize is how many new records one statement creates.
const importBatchSize = 1000

// ImportRecord is a record as a file writes it: its values by column name.
type ImportRecord struct {
	ID     int64
	Values ImportValues
}

// ImportValues are a row's cells by column name.
type ImportValues map[string]string

// Get returns the trimmed value of column name.
func (v ImportValues) Get(name string) string { return strings.TrimSpace(v[name]) }

// Column returns the kind's column name.
func (k *ImportKind) Column(name string) (ImportColumn, bool) {
	for _, c := range k.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ImportColumn{}, false
}

// keyOf returns the natural key of a row (each key column's foldKey), or "" when a key
// column is empty.
func (k *ImportKind) keyOf(v ImportValues) string {
	parts := make([]string, len(k.Key))
	for i, c := range k.Key {
		if parts[i] = foldKey(v[c]); parts[i] == "" {
			return ""
		}
	}
	return strings.Join(parts, "\x00")
}

// foldKey is a name, code or email as an import compares it: lower-cased, with its runs of
// spaces made one (as a record saves its name). Both sides of every comparison, the file's
// cells and the saved values, are folded here, never one by Postgres's lower(): that folds by
// the database's locale, and in plain C only ASCII letters, so "ÉTUDES" would never meet
// "Études".
func foldKey(s string) string { return strings.ToLower(oneSpaced(s)) }

// ImportKinds are the kinds an import takes, in the order the page offers them.
func ImportKinds() []*ImportKind { return importKinds }

// FindImportKind returns the kind called name.
func FindImportKind(name string) (*ImportKind, bool) {
	for _, k := range importKinds {
		if k.Name == name {
			return k, true
		}
	}
	return nil, false
}

// ImportKindNames lists the kinds' names, for messages.
func ImportKindNames() string {
	names := make([]string, len(importKinds))
	for i, k := range importKinds {
		names[i] = k.Name
	}
	return strings.Join(names, ", ")
}

// ---------- Mapping the file's columns ----------

// ImportPlan is how a file's rows are read: which of its rows is the header (-1 for a file
// without one, which is refused) and which column of the kind each column of the header holds
// ("" for a column left out).
type ImportPlan struct {
	HeaderRow int
	Mapping   []string
}

// headerWord reduces a header to letters and digits, lower-cased, for matching.
func headerWord(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// matchHeader returns the column a header cell names, or "".
func (k *ImportKind) matchHeader(cell string) string {
	w := headerWord(cell)
	if w == "" {
		return ""
	}
	for _, c := range k.Columns {
		if w == headerWord(c.Name) || w == headerWord(c.Label) {
			return c.Name
		}
		for _, a := range c.Aliases {
			if w == headerWord(a) {
				return c.Name
			}
		}
	}
	return ""
}

// DetectPlan finds the header among the first rows (the row naming the most columns of the
// kind) and maps each of its cells to the column it names. A file without any such row has
// no header (HeaderRow -1), which CheckPlan refuses: read in the template's order instead,
// a header the kind does not know would be imported as a record.
func (k *ImportKind) DetectPlan(rows [][]string) ImportPlan {
	best, bestHits := -1, 0
	for i := range min(len(rows), 10) {
		hits := 0
		for _, cell := range rows[i] {
			if k.matchHeader(cell) != "" {
				hits++
			}
		}
		if hits > bestHits {
			best, bestHits = i, hits
		}
	}
	if best < 0 {
		return ImportPlan{HeaderRow: -1}
	}
	p := ImportPlan{HeaderRow: best, Mapping: make([]string, len(rows[best]))}
	used := map[string]bool{}
	for i, cell := range rows[best] {
		if c := k.matchHeader(cell); c != "" && !used[c] {
			p.Mapping[i], used[c] = c, true
		}
	}
	return p
}

// CheckPlan explains what is wrong with a plan: a file without a header, a column mapped
// twice or a required column not mapped at all.
func (k *ImportKind) CheckPlan(p ImportPlan) error {
	if p.HeaderRow < 0 {
		return k.errNoHeader()
	}
	seen := map[string]bool{}
	var msgs []string
	for _, name := range p.Mapping {
		if name == "" {
			continue
		}
		c, ok := k.Column(name)
		switch {
		case !ok:
			msgs = append(msgs, fmt.Sprintf("%s has no column %q.", k.Label, name))
		case seen[name]:
			msgs = append(msgs, fmt.Sprintf("Two columns of the file are read as “%s”; choose one.", c.Label))
		}
		seen[name] = true
	}
	for _, c := range k.Columns {
		if c.Required && !seen[c.Name] {
			msgs = append(msgs, fmt.Sprintf("No column of the file is read as “%s”, which every row needs.", c.Label))
		}
	}
	if len(msgs) > 0 {
		return outlay.ValidationErrors{"mapping": strings.Join(msgs, " ")}
	}
	return nil
}

// errNoHeader refuses a file without a header row, naming the columns the kind's files have.
func (k *ImportKind) errNoHeader() error {
	var all, needed []string
	for _, c := range k.Columns {
		all = append(all, c.Label)
		if c.Required {
			needed = append(needed, c.Label)
		}
	}
	msg := fmt.Sprintf("This file has no header row: its first row names none of the columns we expect. "+
		"Start the file with a row naming its columns, as the template for %s does: %s.", k.Label, strings.Join(all, ", "))
	if len(needed) > 0 {
		msg += " Every row needs " + outlay.List(needed, "and") + "."
	}
	return outlay.ValidationErrors{"file": msg}
}

// ---------- Running an import ----------

// Outcomes of a row.
const (
	ImportCreated   = "created"
	ImportUpdated   = "updated"
	ImportUnchanged = "unchanged"
	ImportRefused   = "refused"
)

// ImportRow is what became of one row of the file.
type ImportRow struct {
	Line    int // the row's line in the file (its row on the sheet)
	Values  ImportValues
	Outcome string
	// Errors are the row's problems by column ("" for the row as a whole).
	Errors outlay.ValidationErrors
}

// ImportResult is what an import did, or would do.
type ImportResult struct {
	Kind                        string
	Rows                        int
	Created, Updated, Unchanged int
	Refused                     int
	// Sample is every refused row and the first rows of the file, in file order, for the
	// preview (a file of 100,000 good rows is not shown whole).
	Sample []ImportRow
	// Reinvited are the invited people the import gave more access than their set-password
	// links were made for, in file order: those links no longer work, and each was sent a
	// new invitation (or Refusal says why not).
	Reinvited []ImportReinvitation `json:",omitempty"`
	// Invited counts the new people the import invited; InvitedMails are the invitations
	// sent to them, queued in the outbox (none without ImportOptions.Invite).
	Invited      int     `json:",omitempty"`
	InvitedMails []int64 `json:",omitempty"`
	// Unchecked counts the rows after the first Rows-Unchecked that a check stopped before
	// (ImportOptions.CheckUntil): the counts are of the rows checked. An import that writes
	// checks every row.
	Unchecked int `json:",omitempty"`
	// Read says how the file's amounts and dates were read where not as the forms write
	// them, for the check page: "read Amount with a decimal comma (1.234,50)".
	Read string `json:",omitempty"`
}

// ImportReinvitation is an invited person whose set-password links an import spent by giving
// them more access, as editing their roles by hand does (see UpdateUserWithMail).
type ImportReinvitation struct {
	Line        int // the row that gave the access
	Email, Name string
	// MailID is the new invitation in the outbox, whose delivery the caller queues once the
	// import is written; 0 when none was sent, and Refusal then says why.
	MailID  int64
	Refusal string `json:",omitempty"`
}

// MayInviteMore reports whether rows a check left unchecked may invite people it did not
// count: a check of people that stopped early.
func (r *ImportResult) MayInviteMore() bool {
	return r.Unchecked > 0 && r.Kind == importUsers.Name
}

// InvitationMails are the new invitations the import queued in the outbox.
func (r *ImportResult) InvitationMails() []int64 {
	var ids []int64
	for _, ri := range r.Reinvited {
		if ri.MailID != 0 {
			ids = append(ids, ri.MailID)
		}
	}
	return append(ids, r.InvitedMails...)
}

// ImportSampleRows is how many rows the preview shows besides the refused ones.
const ImportSampleRows = 100

// maxSampleRefused caps how many refused rows are kept for the preview.
const maxSampleRefused = 1000

// ImportOptions say how an import runs.
type ImportOptions struct {
	// DryRun checks every row as the commit would and then writes nothing: the preview.
	DryRun bool
	// CheckUntil, for a dry run, is when to stop checking: the rows left are counted as
	// unchecked (the first row is always checked). Zero checks every row.
	CheckUntil time.Time
	// Grantor is who gives roles to imported people (ByPerson for the admin who imports).
	Grantor Grantor
	// Progress, when set, is told every few hundred rows how many are done.
	Progress func(done, total int)
	// Source names the file in the import's audit event.
	Source string
	// Separator is a CSV file's separator, named in the hint beside a row with more values
	// than its header (0 for a workbook, or when not known: the hint is left out).
	Separator rune
	// Invite writes the invitation sent to each new person a row invites (as inviting them by
	// hand does), and the new one sent to an invited person whom a row gives more access than
	// their set-password link was made for (as editing them by hand does); nil sends none,
	// and the result says their link no longer works.
	Invite ComposeLinkMail
	// MayCommit, when set, is asked once every row is written, before the transaction
	// commits: an error (a ValidationErrors under "file" says why to the admin) rolls the
	// whole import back. A long import asks whether its organisation may still be changed.
	MayCommit func(context.Context) error
	// WaitForLocks lets the import wait for the locks it needs for as long as others hold them
	// (another import holding the access lock, for minutes): an import run as a job waits its
	// turn, where a request gives up after the connections' lock_timeout (OUTLAY_LOCK_WAIT).
	WaitForLocks bool
}

// ErrImportRefused is returned (wrapped) by RunImport when any row is refused: nothing was
// written, and the result names every refused row.
var ErrImportRefused = errors.New("import refused")

var errDryRun = errors.New("dry run")

// RunImport reads the rows of a file (as the plan says) into records of kind k, in one
// transaction: every row is checked by the kind's own model function, and unless every row
// passes, or when opts.DryRun, nothing is written. A row whose record exists (by natural key)
// updates it; one that would change nothing leaves it alone. ctx carries the actor that the
// audit log records for every change.
func RunImport(ctx context.Context, db *gorm.DB, k *ImportKind, rows [][]string, lines []int, p ImportPlan, opts ImportOptions) (*ImportResult, error) {
	if err := k.CheckPlan(p); err != nil {
		return nil, err
	}
	data := rows[p.HeaderRow+1:]
	if len(data) == 0 {
		return nil, outlay.ValidationErrors{"file": "This file has a header row but no rows to import."}
	}
	readings, notes := k.readColumns(data, p)
	res := &ImportResult{Kind: k.Name, Rows: len(data), Read: readingsNote(notes)}
	// No savepoints: the model functions' own transactions run inside this one as they are
	// (a savepoint per row would hold a lock per row until the commit, and run out of them).
	err := db.WithContext(ctx).Session(&gorm.Session{DisableNestedTransaction: true}).Transaction(func(tx *gorm.DB) error {
		if opts.WaitForLocks {
			if err := tx.Exec(`SET LOCAL lock_timeout = 0`).Error; err != nil {
				return err
			}
		}
		existing, err := k.records(ctx, tx)
		if err != nil {
			return err
		}
		byKey := make(map[string]ImportRecord, len(existing))
		for _, r := range existing {
			byKey[k.keyOf(r.Values)] = r
		}
		// People's rows give roles, and each takes the access lock before it reads the
		// grantor's reach: here it is taken first (held, as theirs would be, until the import
		// ends) and the reach read once, and again only after a row changes the grantor's own
		// roles (importRefs.changedUser). Reading it per row was most of a person's check.
		// (A row refused after it wrote, say its own last admin role taken away, is not
		// followed by a read: the refusal rolls the whole import back, so only the check's
		// verdict on the rows after it may be off.) Other kinds change no access, and read the
		// reach only to check their own create and update.
		givesRoles := k.Object == outlay.ObjUsers
		if givesRoles {
			if err := lockAccess(tx); err != nil {
				return err
			}
		}
		grantor := opts.Grantor.withReach(nil)
		reach, err := grantor.Reach(ctx, tx)
		if err != nil {
			return err
		}
		if givesRoles {
			grantor = grantor.withReach(reach)
		}
		refs := &importRefs{tx: tx, grantor: grantor, reach: reach, invite: opts.Invite}
		firstLine := map[string]int{}
		var batch []any
		var batchRows []ImportRow // the rows of batch's records, to name one the database refuses
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := k.bulk.create(tx, batch)
			if err != nil {
				return importUniqueRefusal(err, batchRows)
			}
			batch, batchRows = batch[:0], batchRows[:0]
			return nil
		}
		width := len(rows[p.HeaderRow])
		for i, cells := range data {
			if opts.DryRun && i > 0 && !opts.CheckUntil.IsZero() && time.Now().After(opts.CheckUntil) {
				res.Unchecked = len(data) - i
				break
			}
			row := ImportRow{Line: lines[p.HeaderRow+1+i], Values: ImportValues{}, Errors: outlay.ValidationErrors{}}
			// A row shorter than the header is not refused: spreadsheets leave out the empty
			// cells at the end of a row, and so does the reader (sheet.Read trims them), so a
			// short row cannot be told from one ending in empty cells. Its missing cells are
			// read as empty, as any empty cell of a column the header names: on an update they
			// clear the value, where reading them as columns the file lacks would keep it.
			for j, name := range p.Mapping {
				switch {
				case name == "":
				case j < len(cells):
					row.Values[name] = cells[j]
				case j < width:
					row.Values[name] = ""
				}
			}
			for j, r := range readings {
				if j < len(cells) {
					var refusal string
					if row.Values[r.column.Name], refusal = r.read(cells[j]); refusal != "" {
						row.Errors.Add(r.column.Name, refusal)
					}
				}
			}
			var built any
			if len(cells) > width {
				// Which value is in which column cannot be known (in a CSV file, a comma inside
				// an unquoted value splits it in two), and the value past the header would be
				// left out without a word; so the row is refused whole, its values unchecked.
				row.Errors.Add("", tooManyValues(len(cells), width, opts.Separator))
				row.Outcome = ImportRefused
			} else if built, err = k.importRow(ctx, tx, &row, byKey, firstLine, refs); err != nil {
				if res.Refused > 0 && transactionAborted(err) {
					// A row was refused for what the database refused as it wrote (a unique
					// name another writer took since the row's check), which ends the
					// transaction: the rows after it cannot be checked, and the file is
					// refused for that row.
					break
				}
				return err
			}
			for _, ri := range refs.takeReinvited() {
				ri.Line = row.Line
				res.Reinvited = append(res.Reinvited, ri)
			}
			if refs.invited != nil {
				res.Invited++
				if *refs.invited != 0 {
					res.InvitedMails = append(res.InvitedMails, *refs.invited)
				}
				refs.invited = nil
			}
			// A check writes nothing: new records need no statement to be checked.
			if built != nil && res.Refused == 0 && !opts.DryRun {
				batchRows = append(batchRows, row)
				if batch = append(batch, built); len(batch) == importBatchSize {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			res.count(row)
			if opts.Progress != nil && ((i+1)%250 == 0 || i+1 == len(data)) {
				opts.Progress(i+1, len(data))
			}
		}
		if res.Refused == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		switch {
		case res.Refused > 0:
			return ErrImportRefused
		case opts.DryRun:
			return errDryRun
		}
		if opts.MayCommit != nil {
			if err := opts.MayCommit(ctx); err != nil {
				return err
			}
		}
		return audit.Event(ctx, tx, audit.EventImport, opts.Source, map[string]any{"kind": k.Name, "rows": res.Rows,
			"created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged})
	})
	switch {
	case errors.Is(err, errDryRun):
		return res, nil
	case errors.Is(err, ErrImportRefused):
		return res, fmt.Errorf("%w: %d of %d rows", ErrImportRefused, res.Refused, res.Rows)
	case err != nil:
		return nil, err
	}
	return res, nil
}

// importUniqueKeys name what each unique index that new records created in batches may meet
// holds (a record written on its own is refused by its model function as its form is).
var importUniqueKeys = map[string]struct{ noun, field string }{
	"departments_name_key": {"department", "name"},
	"departments_code_key": {"department", "code"},
	"locations_name_key":   {"location", "name"},
	"vendors_name_key":     {"vendor", "name"},
	"gl_accounts_code_key": {"GL account", "code"},
}

// uniqueKeyValue reads the value a unique index refused from its message's detail:
// "Key (lower(name::text))=(ops) already exists."
var uniqueKeyValue = regexp.MustCompile(`\)=\((.*)\) already exists`)

// importUniqueRefusal turns a unique index's refusal of a batch of new records, rows, into
// what the admin is told, naming the row when one holds the value. The check compares each
// row with the saved records and the rows before it, so this is a record saved while the
// import ran, or a value the database's locale folds otherwise than the check (ICU makes a
// word-final Σ a ς, Go a σ). Nothing was written.
func importUniqueRefusal(err error, rows []ImportRow) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || pg.Code != "23505" {
		return err
	}
	key, ok := importUniqueKeys[pg.ConstraintName]
	m := uniqueKeyValue.FindStringSubmatch(pg.Detail)
	if !ok || m == nil {
		return err
	}
	which := fmt.Sprintf("a new %s's %s “%s” is another %s's", key.noun, key.field, m[1], key.noun)
	// The value is as the index folded it; a row whose own folding gives the same is named,
	// and where the two foldings differ the message names none.
	for _, r := range rows {
		if foldKey(r.Values[key.field]) == m[1] {
			which = fmt.Sprintf("line %d gives a new %s the %s “%s”, which is another %s's", r.Line, key.noun, key.field, r.Values.Get(key.field), key.noun)
			break
		}
	}
	return outlay.ValidationErrors{"file": fmt.Sprintf("Nothing was imported: %s, one saved while the import ran or "+
		"one of this file's rows that differs only in letter case. Change or remove one of them, then upload the file again.", which)}
}

// transactionAborted reports whether err is Postgres refusing a statement because an
// earlier one failed in the same transaction.
func transactionAborted(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "25P02"
}

// tooManyValues explains a row with more values than its header names columns; for a CSV
// file, it says how to keep the separator inside a value.
func tooManyValues(values, columns int, separator rune) string {
	msg := fmt.Sprintf("This row has %d values but the header names %d columns.", values, columns)
	if name := sheet.DelimiterName(separator); name != "" {
		example := ""
		if separator != '\t' {
			example = fmt.Sprintf(", as in \"Acme%c Inc\"", separator)
		}
		msg += fmt.Sprintf(" A value that holds a %s must be in double quotes%s.", name, example)
	}
	return msg
}

func (r *ImportResult) count(row ImportRow) {
	switch row.Outcome {
	case ImportCreated:
		r.Created++
	case ImportUpdated:
		r.Updated++
	case ImportUnchanged:
		r.Unchanged++
	case ImportRefused:
		r.Refused++
	}
	if row.Outcome == ImportRefused && r.Refused <= maxSampleRefused || len(r.Sample)-min(r.Refused, maxSampleRefused) < ImportSampleRows {
		row.Values = clippedForSample(row.Values)
		r.Sample = append(r.Sample, row)
	}
}

// sampleValueRunes is how much of a cell the preview shows: a value refused as too long (a
// whole file pasted into one cell) would otherwise make the preview page, and the import's
// record, as big as itself.
const sampleValueRunes = 200

// clippedForSample is v with each value longer than sampleValueRunes cut there, saying how
// long it was; v itself is not changed.
func clippedForSample(v ImportValues) ImportValues {
	var out ImportValues
	for name, s := range v {
		if utf8.RuneCountInString(s) <= sampleValueRunes {
			continue
		}
		if out == nil {
			out = maps.Clone(v)
		}
		out[name] = string([]rune(s)[:sampleValueRunes]) + "… (" + outlay.Plural(utf8.RuneCountInString(s), "character", "characters") + " in all)"
	}
	if out == nil {
		return v
	}
	return out
}

// importRow checks one row and writes it, or (for a new record of a kind created in bulk)
// returns the record to create. The model functions check a row before they write it, so a
// refused row writes nothing; and a file with any refused row is rolled back whole.
func (k *ImportKind) importRow(ctx context.Context, tx *gorm.DB, row *ImportRow, byKey map[string]ImportRecord, firstLine map[string]int, refs *importRefs) (any, error) {
	for _, c := range k.Columns {
		if c.Required && row.Values.Get(c.Name) == "" {
			row.Errors.Add(c.Name, "Enter "+strings.ToLower(c.Label[:1])+c.Label[1:]+".")
		}
	}
	kv := row.Values
	if k.canonical != nil {
		var err error
		if kv, err = k.canonical(row.Values, refs); err != nil {
			return nil, err
		}
	}
	key := k.keyOf(kv)
	if key != "" {
		if first, dup := firstLine[key]; dup {
			row.Errors.Add(k.Key[0], fmt.Sprintf("Line %d already has this %s; each record may appear once.", first, k.keyLabel()))
		} else {
			firstLine[key] = row.Line
		}
	}
	if len(row.Errors) > 0 {
		row.Outcome = ImportRefused
		return nil, nil
	}
	rec, exists := byKey[key]
	if exists && k.same(rec.Values, kv) {
		row.Outcome = ImportUnchanged
		return nil, nil
	}
	if msg := k.mayNot(refs.reach, exists); msg != "" {
		row.Errors.Add("", msg)
		row.Outcome = ImportRefused
		return nil, nil
	}
	if !exists && k.bulk != nil {
		built, err := k.bulk.build(row.Values, refs, row.Errors)
		if err != nil || len(row.Errors) > 0 {
			row.Outcome = ImportRefused
			return nil, err
		}
		row.Outcome = ImportCreated
		return built, nil
	}
	// A column the file does not have keeps the record's value.
	values := ImportValues{}
	for c, v := range rec.Values {
		values[c] = v
	}
	for c, v := range row.Values {
		values[c] = v
	}
	id, err := k.save(ctx, tx, rec.ID, values, refs)
	if verr, ok := importRefusal(err); ok {
		k.placeErrors(row, verr)
		row.Outcome = ImportRefused
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if exists {
		row.Outcome = ImportUpdated
	} else {
		row.Outcome = ImportCreated
		byKey[key] = ImportRecord{ID: id, Values: kv}
	}
	return nil, nil
}

// mayNot says why a row that adds a record (exists false) or changes one is refused to a
// grantor whose reach lacks the kind's create or update; "" when it is not.
func (k *ImportKind) mayNot(r *Reach, exists bool) string {
	action, verb := outlay.ActCreate, "add"
	if exists {
		action, verb = outlay.ActUpdate, "change"
	}
	if r.Holds(policy.Permission{Object: k.Object, Action: action}) {
		return ""
	}
	noun := strings.ToLower(k.Label[:1]) + k.Label[1:]
	if exists {
		return fmt.Sprintf("This row changes one of the %s there are, and your roles do not let you %s %s.", noun, verb, noun)
	}
	return fmt.Sprintf("This row adds a new one, and your roles do not let you %s %s.", verb, noun)
}

// importRefusal reads a model's refusal of a row: its field errors, or a refused grant,
// conflict or missing record as a message about the row.
func importRefusal(err error) (outlay.ValidationErrors, bool) {
	if err == nil {
		return nil, false
	}
	if verr, ok := outlay.AsValidation(err); ok {
		return verr, true
	}
	if r, ok := AsGrantRefused(err); ok {
		return outlay.ValidationErrors{r.Field: r.Message}, true
	}
	if errors.Is(err, outlay.ErrConflict) || errors.Is(err, outlay.ErrNotFound) {
		msg := err.Error()
		if err == outlay.ErrNotFound || err == outlay.ErrConflict {
			msg = "The record this row names changed meanwhile; try the import again."
		}
		return outlay.ValidationErrors{"": msg}, true
	}
	return nil, false
}

// placeErrors puts a model's field errors beside the row's columns; a field the kind has no
// column for ("steps.2.user") goes to the column it starts with, or to the row.
func (k *ImportKind) placeErrors(row *ImportRow, verr outlay.ValidationErrors) {
	for field, msg := range verr {
		col, _, _ := strings.Cut(field, ".")
		if _, ok := k.Column(col); !ok {
			col = ""
		}
		row.Errors.Add(col, msg)
	}
	if len(row.Errors) == 0 {
		row.Errors.Add("", "This row was refused.")
	}
}

func (k *ImportKind) keyLabel() string {
	labels := make([]string, len(k.Key))
	for i, name := range k.Key {
		c, _ := k.Column(name)
		labels[i] = strings.ToLower(c.Label)
	}
	return strings.Join(labels, ", ")
}

// same reports whether a row would leave a record as it is: every column the file has holds
// what the record holds.
func (k *ImportKind) same(have, row ImportValues) bool {
	for _, c := range k.Columns {
		v, given := row[c.Name]
		if !given {
			continue
		}
		// A browser sends a text area's line breaks as CRLF, and a CSV reader gives them
		// back as LF: the same lines either way.
		a, b := strings.TrimSpace(lineBreaks.Replace(have[c.Name])), strings.TrimSpace(lineBreaks.Replace(v))
		if slices.Contains(k.Key, c.Name) {
			// A key is saved with its spaces run together, as keyOf reads it.
			a, b = oneSpaced(a), oneSpaced(b)
		}
		if b == "" {
			b = c.Default
		}
		switch c.compare {
		case compareFold:
			if !strings.EqualFold(a, b) {
				return false
			}
		case compareAmount:
			cur := row.Get("currency")
			if cur == "" {
				cur = have["currency"]
			}
			ma, ea := money.Parse(a, strings.ToUpper(cur))
			mb, eb := money.Parse(b, strings.ToUpper(cur))
			if a == "" || b == "" || ea != nil || eb != nil {
				if a != b {
					return false
				}
			} else if ma.Minor != mb.Minor {
				return false
			}
		case compareList:
			if !slices.Equal(normalList(a), normalList(b)) {
				return false
			}
		case compareCode:
			if codeWord(a) != codeWord(b) {
				return false
			}
		default:
			if a != b {
				return false
			}
		}
	}
	return true
}

// splitList reads a cell holding a list: "admin, approver" or "admin;approver".
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func normalList(s string) []string {
	l := splitList(strings.ToLower(s))
	slices.Sort(l)
	return slices.Compact(l)
}

// ---------- Records named in cells ----------

// importRefs finds the records a row names (a department by name or code, a GL account by
// code, a person by email, a location by name), read once per import.
type importRefs struct {
	tx      *gorm.DB
	grantor Grantor
	// reach is what the grantor holds: a row is refused the create or update they lack.
	reach                                 *Reach
	departments, glAccounts, users, sites map[string]int64
	currency                              string
	// invite writes new invitations (ImportOptions.Invite); reinvited are those the row
	// being imported sent, until RunImport takes them.
	invite    ComposeLinkMail
	reinvited []ImportReinvitation
	// invited is the invitation mail (0: none) of the new person the row being imported
	// invited, until RunImport takes it; nil when the row invited no one.
	invited *int64
	// departmentNames are the departments' saved names by id, read on first use.
	departmentNames map[int64]string
	// codes are the departments' codes, for the rows of a departments import: see
	// departmentCodes.
	codes *uniqueClaims
	// inactiveUsers and archivedGLAccounts are the people and accounts a new department may
	// not name (its checks are SaveDepartment's, made without a statement per row).
	inactiveUsers, archivedGLAccounts map[int64]bool
	// roles are the roles' names by their names and labels, folded (roleNames).
	roles map[string]string
}

// roleNames are the roles a cell names, by name or by label ("AP clerk", as the people
// list's export writes them) in any case, as their names; a role that is neither is left as
// written, for the model to refuse.
func (r *importRefs) roleNames(cell string) ([]string, error) {
	if r.roles == nil {
		var rows []struct{ Name, Label string }
		if err := r.tx.Raw(`SELECT name, label FROM roles`).Scan(&rows).Error; err != nil {
			return nil, err
		}
		r.roles = make(map[string]string, 2*len(rows))
		for _, row := range rows {
			r.roles[foldKey(row.Label)] = row.Name
		}
		for _, row := range rows { // a name wins over another role's label
			r.roles[foldKey(row.Name)] = row.Name
		}
	}
	names := splitList(cell)
	for i, n := range names {
		if name, ok := r.roles[foldKey(n)]; ok {
			names[i] = name
		}
	}
	return names, nil
}

// knownRoles reports whether each of names (as roleNames returned them) is a role's name,
// from the roles roleNames read.
func (r *importRefs) knownRoles(names []string) bool {
	for _, n := range names {
		if r.roles[foldKey(n)] != n {
			return false
		}
	}
	return true
}

// personByNames is the canonical values of a person's row: its department as saved
// (departmentByName) and its roles by their names (roleNames).
func personByNames(v ImportValues, refs *importRefs) (ImportValues, error) {
	out, err := departmentByName(v, refs)
	if err != nil {
		return v, err
	}
	roles, err := refs.roleNames(out["roles"])
	if err != nil {
		return v, err
	}
	out = maps.Clone(out)
	out["roles"] = strings.Join(roles, ", ")
	return out, nil
}

// uniqueClaims are the values of a unique column, folded (foldKey), that records hold or rows of
// the import give them, each with its record's id (0: a record the import creates). New
// records are written in batches after their rows are checked, so a row is checked against
// the claims rather than the database, which does not have the batch's records yet.
type uniqueClaims struct {
	tx *gorm.DB
	// query reads every value held (as value) and its record's id.
	query      string
	field, msg string
	byValue    map[string]int64
	byID       map[int64]string
}

func (u *uniqueClaims) load() error {
	if u.byValue != nil {
		return nil
	}
	var rows []struct {
		Value string
		ID    int64
	}
	if err := u.tx.Raw(u.query).Scan(&rows).Error; err != nil {
		return err
	}
	u.byValue, u.byID = make(map[string]int64, len(rows)), make(map[int64]string, len(rows))
	for _, r := range rows {
		v := foldKey(r.Value)
		u.byValue[v], u.byID[r.ID] = r.ID, v
	}
	return nil
}

// check refuses value, beside the claims' field, when a record other than id (0: a new
// one) holds it or a row before gives it one; an empty value is never taken.
func (u *uniqueClaims) check(verr outlay.ValidationErrors, value string, id int64) error {
	if value == "" {
		return nil
	}
	if err := u.load(); err != nil {
		return err
	}
	if owner, taken := u.byValue[foldKey(value)]; taken && (owner != id || id == 0) {
		verr.Add(u.field, u.msg)
	}
	return nil
}

// claim notes that record id (0: a new one) now holds value, and no longer the value it held.
func (u *uniqueClaims) claim(value string, id int64) {
	if u.byValue == nil {
		return // nothing was checked, so nothing will be
	}
	if id != 0 {
		if old, ok := u.byID[id]; ok && u.byValue[old] == id {
			delete(u.byValue, old)
		}
		delete(u.byID, id)
	}
	if value == "" {
		return
	}
	v := foldKey(value)
	u.byValue[v] = id
	if id != 0 {
		u.byID[id] = v
	}
}

// departmentCodes are the codes departments hold, and rows before give them, read on first use.
func (r *importRefs) departmentCodes() *uniqueClaims {
	if r.codes == nil {
		r.codes = &uniqueClaims{tx: r.tx, query: `SELECT code AS value, id FROM departments WHERE code <> ''`,
			field: "code", msg: msgDepartmentCodeTaken}
	}
	return r.codes
}

// checkNewDepartment refuses in verr what SaveDepartment would refuse of a new department d
// beyond its own fields: a code another department has, a head who is not active, an
// archived default GL account.
func (r *importRefs) checkNewDepartment(verr outlay.ValidationErrors, d *Department) error {
	if _, refused := verr["code"]; !refused {
		if err := r.departmentCodes().check(verr, d.Code, 0); err != nil {
			return err
		}
	}
	if d.HeadID != nil {
		if err := r.loadIDs(&r.inactiveUsers, `SELECT id FROM users WHERE status <> '`+UserActive+`'`); err != nil {
			return err
		}
		if r.inactiveUsers[*d.HeadID] {
			verr.Add("head", msgHeadNotActive)
		}
	}
	if d.DefaultGLAccountID != nil {
		if err := r.loadIDs(&r.archivedGLAccounts, `SELECT id FROM gl_accounts WHERE archived_at IS NOT NULL`); err != nil {
			return err
		}
		if r.archivedGLAccounts[*d.DefaultGLAccountID] {
			verr.Add("default_gl_account", msgGLAccountNotActive)
		}
	}
	return nil
}

// loadIDs reads, once, the ids query returns into *into.
func (r *importRefs) loadIDs(into *map[int64]bool, query string) error {
	if *into != nil {
		return nil
	}
	var ids []int64
	if err := r.tx.Raw(query).Scan(&ids).Error; err != nil {
		return err
	}
	*into = make(map[int64]bool, len(ids))
	for _, id := range ids {
		(*into)[id] = true
	}
	return nil
}

// reinvite notes what an edit of invited person email did to their set-password links, when
// it spent them.
func (r *importRefs) reinvite(email, name string, re Reinvitation) {
	if !re.Spent {
		return
	}
	ri := ImportReinvitation{Email: NormalizeEmail(email), Name: name, MailID: re.MailID, Refusal: re.Refusal}
	if ri.MailID == 0 && ri.Refusal == "" {
		ri.Refusal = fmt.Sprintf("No new invitation was sent: resend %s's invitation from their page.", name)
	}
	r.reinvited = append(r.reinvited, ri)
}

// takeReinvited returns the people the row just imported sent new invitations, and forgets them.
func (r *importRefs) takeReinvited() []ImportReinvitation {
	out := r.reinvited
	r.reinvited = nil
	return out
}

// defaultCurrency is the organisation's default currency, for rows that name none.
func (r *importRefs) defaultCurrency() (string, error) {
	if r.currency == "" {
		s, err := Settings(r.tx.Statement.Context, r.tx)
		if err != nil {
			return "", err
		}
		r.currency = s.DefaultCurrency
	}
	return r.currency, nil
}

func (r *importRefs) load(into *map[string]int64, query string) error {
	if *into != nil {
		return nil
	}
	var rows []struct {
		Name string
		ID   int64
	}
	if err := r.tx.Raw(query).Scan(&rows).Error; err != nil {
		return err
	}
	m := make(map[string]int64, len(rows))
	for _, row := range rows {
		if name := foldKey(row.Name); m[name] == 0 {
			m[name] = row.ID
		}
	}
	*into = m
	return nil
}

// find returns the id of the record a cell names, nil for an empty cell, or a message for
// column col when nothing by that name exists.
func (r *importRefs) find(verr outlay.ValidationErrors, col, what, cell string, m *map[string]int64, query string) (*int64, error) {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return nil, nil
	}
	if err := r.load(m, query); err != nil {
		return nil, err
	}
	id, ok := (*m)[foldKey(cell)]
	if !ok {
		verr.Add(col, fmt.Sprintf("There is no %s “%s”.", what, cell))
		return nil, nil
	}
	return &id, nil
}

func (r *importRefs) department(verr outlay.ValidationErrors, col, cell string) (*int64, error) {
	return r.find(verr, col, "department", cell, &r.departments, departmentsByNameAndCode)
}

// departmentsByNameAndCode reads what a cell may name a department by: its name, then its
// code (a name another department has as its code is the first's: the first read wins).
const departmentsByNameAndCode = `SELECT name, id FROM (SELECT name, id, 0 AS code FROM departments
	UNION ALL SELECT code, id, 1 FROM departments WHERE code <> '') d ORDER BY code, id`

// departmentByName is the canonical values of a kind whose department column names a
// department by its name or its code: the column holds the department's saved name.
func departmentByName(v ImportValues, refs *importRefs) (ImportValues, error) {
	name, err := refs.departmentName(v["department"])
	if err != nil || name == "" {
		return v, err
	}
	out := maps.Clone(v)
	out["department"] = name
	return out, nil
}

// departmentName is the saved name of the department cell names, by its name or its code
// in any case; "" when cell names none.
func (r *importRefs) departmentName(cell string) (string, error) {
	if strings.TrimSpace(cell) == "" {
		return "", nil
	}
	if err := r.load(&r.departments, departmentsByNameAndCode); err != nil {
		return "", err
	}
	id, ok := r.departments[foldKey(cell)]
	if !ok {
		return "", nil
	}
	if r.departmentNames == nil {
		var rows []struct {
			ID   int64
			Name string
		}
		if err := r.tx.Raw(`SELECT id, name FROM departments`).Scan(&rows).Error; err != nil {
			return "", err
		}
		r.departmentNames = make(map[int64]string, len(rows))
		for _, d := range rows {
			r.departmentNames[d.ID] = d.Name
		}
	}
	return r.departmentNames[id], nil
}

func (r *importRefs) glAccount(verr outlay.ValidationErrors, col, cell string) (*int64, error) {
	return r.find(verr, col, "GL account", cell, &r.glAccounts, `SELECT code AS name, id FROM gl_accounts ORDER BY id`)
}

func (r *importRefs) user(verr outlay.ValidationErrors, col, cell string) (*int64, error) {
	return r.find(verr, col, "person with the email", cell, &r.users, `SELECT email AS name, id FROM users ORDER BY id`)
}

// changedUser reads the grantor's reach again after a row changed person userID, when that
// is the grantor: their roles, and so what they may give, may have changed.
func (r *importRefs) changedUser(ctx context.Context, userID int64) error {
	if r.grantor.operator || userID != r.grantor.userID {
		return nil
	}
	reach, err := r.grantor.withReach(nil).Reach(ctx, r.tx)
	if err != nil {
		return err
	}
	r.reach, r.grantor = reach, r.grantor.withReach(reach)
	return nil
}

// learnUser makes a person created by the import known to the rows after it (as a manager).
func (r *importRefs) learnUser(email string, id int64) {
	if r.users != nil {
		r.users[foldKey(email)] = id
	}
}

func (r *importRefs) location(verr outlay.ValidationErrors, col, cell string) (*int64, error) {
	return r.find(verr, col, "location", cell, &r.sites, `SELECT name, id FROM locations ORDER BY id`)
}

// resolve runs the lookups of a row, each adding its message to verr; it returns verr as
// the row's refusal when any failed.
func resolve(verr outlay.ValidationErrors, lookups ...func() error) error {
	for _, l := range lookups {
		if err := l(); err != nil {
			return err
		}
	}
	return verr.Err()
}

// readRecords reads rows of query, each with an id column and one column per import column.
func readRecords(ctx context.Context, tx *gorm.DB, query string) ([]ImportRecord, error) {
	rows, err := tx.WithContext(ctx).Raw(query).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []ImportRecord
	vals := make([]any, len(cols))
	for rows.Next() {
		var id int64
		cells := make([]string, len(cols)-1)
		vals[0] = &id
		for i := range cells {
			vals[i+1] = &cells[i]
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		v := make(ImportValues, len(cells))
		for i, c := range cells {
			v[cols[i+1]] = c
		}
		out = append(out, ImportRecord{ID: id, Values: v})
	}
	return out, rows.Err()
}

// ImportRecords reads every record of kind k as an import file would hold it, in the order
// the records were made: what an export of setup data writes, and what a template shows.
func ImportRecords(ctx context.Context, db *gorm.DB, k *ImportKind) ([]ImportRecord, error) {
	return k.records(ctx, db.WithContext(ctx))
}
