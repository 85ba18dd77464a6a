package models

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/money"
)

// QueueFilter narrows an approver's queue.
type QueueFilter struct {
	DocType        string // "" for every kind
	DepartmentID   int64  // 0 for every department
	MinAmountMinor int64  // documents whose total is at least this, in their own currency's minor units
	Search         string // number, requester, vendor or justification
	Page, PerPage  int
}

// QueueItem is one step of one document as an approver sees it.
type QueueItem struct {
	StepID         int64
	DocType        string
	DocID          int64
	Number         string
	RequesterID    int64
	RequesterName  string
	DepartmentID   *int64
	DepartmentName string
	VendorName     string
	Justification  string
	Currency       string
	TotalMinor     int64
	SubmittedAt    *time.Time
	Round          int
	Position       int
	StepCount      int
	Kind           string
	Role           *string
	// RoleLabel is how people read Role: its label, or its name should the role be gone.
	RoleLabel string
	Status    string
	// ApproverID/ApproverName: who the step names (empty for role steps). When it is not the
	// viewer, the viewer acts as that person's delegate.
	ApproverID   *int64
	ApproverName string
	ActedByName  string
	ActedAt      *time.Time
	Comment      string
}

// queueItemColumns are where a row of queueBranch's columns is read to, in their order: read
// straight rather than through GORM's Scan, which reflects on every row and field. A text or
// amount that is NULL reads as empty, as Scan read it.
func queueItemColumns(q *QueueItem) []any {
	return []any{&q.StepID, &q.DocType, &q.DocID, orEmpty{&q.Number},
		orZero{&q.RequesterID}, orEmpty{&q.RequesterName}, &q.DepartmentID, orEmpty{&q.DepartmentName},
		orEmpty{&q.VendorName}, orEmpty{&q.Justification}, orEmpty{&q.Currency}, orZero{&q.TotalMinor}, &q.SubmittedAt,
		&q.Round, &q.Position, &q.StepCount,
		&q.Kind, &q.Role, &q.RoleLabel, &q.Status, &q.ApproverID, orEmpty{&q.ApproverName},
		orEmpty{&q.ActedByName}, &q.ActedAt, &q.Comment}
}

// queueItems runs a statement of queueBranch's columns and reads its rows; the columns after
// them are read into after, which hold the last row's.
func queueItems(q *gorm.DB, after ...any) ([]QueueItem, error) {
	var out []QueueItem
	err := scanEach(q, func(rows *sql.Rows) error {
		var it QueueItem
		err := rows.Scan(append(queueItemColumns(&it), after...)...)
		out = append(out, it)
		return err
	})
	return out, err
}

// Total is the document's total as money.
func (q QueueItem) Total() money.Money { return money.Money{Minor: q.TotalMinor, Currency: q.Currency} }

// Queue is one page of an approver's queue and how many items match in all.
type Queue struct {
	Items []QueueItem
	Total int64
	// Whole is how many steps wait for the viewer in all, whatever the filter: the badge.
	Whole int64
	Page  int
	Pages int
}

// The queue is one SELECT per approvable kind, joined by UNION ALL. Each starts from the
// steps of its kind and joins that kind's table as d; its columns come from the kind's
// QueueColumns. The parts that do not depend on the request are built once, here.

// queueBranch reads the steps of one kind's documents with what the queue shows, under the
// conditions in where.
func queueBranch(k *DocumentKind, where string) string {
	q := k.Queue
	return `SELECT s.id AS step_id, s.doc_type, s.doc_id, ` + q.Number + ` AS number,
	` + q.Requester + ` AS requester_id, ru.name AS requester_name, ` + q.Department + ` AS department_id, COALESCE(dep.name, '') AS department_name,
	` + q.Counterparty + ` AS vendor_name, ` + q.Summary + ` AS justification, ` + q.Currency + ` AS currency, ` + q.Total + ` AS total_minor, ` + q.SubmittedAt + ` AS submitted_at,
	s.round, s.position, (SELECT count(*) FROM approval_steps t WHERE t.doc_type = s.doc_type AND t.doc_id = s.doc_id AND t.round = s.round) AS step_count,
	s.kind, s.role, COALESCE((SELECT rl.label FROM roles rl WHERE rl.name = s.role), s.role, '') AS role_label, s.status, s.approver_id, COALESCE(au.name, '') AS approver_name,
	COALESCE(xu.name, '') AS acted_by_name, s.acted_at, s.comment
	` + queueFrom(k) + `
	LEFT JOIN departments dep ON dep.id = ` + q.Department + `
	LEFT JOIN users au ON au.id = s.approver_id
	LEFT JOIN users xu ON xu.id = s.acted_by
	WHERE ` + where
}

// queueFrom joins one kind's steps to its documents, their requester and the kind's joins.
func queueFrom(k *DocumentKind) string {
	return `FROM approval_steps s
	JOIN ` + k.Table + ` d ON s.doc_type = '` + k.Type + `' AND d.id = s.doc_id
	` + documentJoins(k)
}

// documentJoins joins a kind's document (d) to its requester (ru) and the kind's own joins.
func documentJoins(k *DocumentKind) string {
	return `JOIN users ru ON ru.id = ` + k.Queue.Requester + `
	` + k.Queue.From
}

// routedToMe is the condition "the step is the viewer's to act on": it names them, one of
// their roles, or, while pending, someone who delegated to them today (see delegatorsSQL);
// or, for holders of the escalation role, someone deactivated since the route was built.
// Never a document they requested or filed for someone else (stepNotOwn), nor a step of a
// round in which they already approved one (nobody approves twice). Each way in is a
// condition an index of approval_steps answers (the lists of people are computed once).
const routedToMe = stepNotOwn + ` AND (s.approver_id = @me OR (s.kind = 'role' AND s.role IN @roles)
	OR (s.status = 'pending' AND s.approver_id = ANY (ARRAY` + delegatorsSQL + `))
	OR s.approver_id = ANY (ARRAY(SELECT du.id FROM users du WHERE du.status = 'deactivated' AND @escalation IN @roles)))
	AND NOT EXISTS (SELECT 1 FROM approval_steps mine WHERE mine.doc_type = s.doc_type AND mine.doc_id = s.doc_id
		AND mine.round = s.round AND mine.status = 'approved' AND mine.acted_by = @me)`

// stepNotOwn is the condition "step s is not of a document the viewer requested or filed":
// a step carries who its document belongs to (doc_requester_id, doc_filer_id; migration
// 00112), so that leaving out the viewer's own documents reads no document.
const stepNotOwn = `s.doc_requester_id <> @me AND s.doc_filer_id IS DISTINCT FROM @me`

// The queue itself is read from approval_steps alone, in the order of the steps' ids (a
// round's steps are stored when it is submitted, so this is the order of submission): its
// page of step ids comes from the indexes of open steps (by approver, by role, and
// approval_steps_pending_queue_idx for the order), and only that page's documents are read.
// The count reads the same steps and no document.

// The viewer's open steps are those of an approvable kind (queueOpen) routed to them, by
// name, through one of their roles, through someone who delegated to them today (see
// delegatorsSQL) or, for holders of the escalation role, someone deactivated since the route
// was built (queueParts reads each way in apart); never of a document they requested or
// filed, nor of a round in which they already approved a step (queueNotMine). A round's
// steps are decided in order, so a first step has no earlier approval to look for.

// queueOpen is the condition "step s is open, of an approvable kind".
var queueOpen = func() string {
	var kinds []string
	for _, k := range ApprovableKinds() {
		kinds = append(kinds, `'`+k.Type+`'`)
	}
	return `s.status = 'pending' AND s.doc_type IN (` + strings.Join(kinds, ", ") + `)`
}()

// queueNotMine is the condition "step s is not of a document the viewer requested or filed
// (stepNotOwn), nor of a round in which they already approved a step".
const queueNotMine = stepNotOwn + `
	AND (s.position = 1 OR NOT EXISTS (SELECT 1 FROM approval_steps mine WHERE mine.acted_by = @me AND mine.status = 'approved'
		AND mine.doc_type = s.doc_type AND mine.doc_id = s.doc_id AND mine.round = s.round))`

// queueCountSQL counts the steps waiting for the viewer (queueArgs), over every approvable
// kind; the queue's badge and the dashboard's card read the same number. It counts the
// viewer's open steps in three parts that do not overlap, each read from the index of open
// steps it names, so that a person with few steps waiting reads few: those naming the
// viewer; those of one of their roles naming someone else (or no one); and those of people
// who delegated to them today or were deactivated (for holders of the escalation role), of
// neither kind. Counted as one condition, Postgres cannot tell how many steps the lists of
// people name, and reads every open step. The third part counts each listed person's steps
// on its own (LATERAL): joined, a plan made without the viewer's values (the dashboard's)
// read every open step to find those of the usually empty list.
var queueCountSQL = func() string {
	named, role, others := queueCountParts("count(*) AS n")
	return `SELECT (SELECT n FROM (` + named + `) n) + (SELECT n FROM (` + role + `) n)
	+ (SELECT CAST(coalesce(sum(c.n), 0) AS bigint) FROM ` + others + `)`
}()

// queueCountParts are queueCountSQL's three parts, each selecting counts (aggregates over the
// steps s); the third is a FROM list whose LATERAL part, c, counts one person's steps.
func queueCountParts(counts string) (named, role, others string) {
	return queueParts(counts, "")
}

// queueParts are the three parts of the viewer's open steps that do not overlap (see
// queueCountSQL), each selecting sel from the steps s whose condition ends with tail (more
// conditions, an order, a limit); the third is a FROM list whose LATERAL part, c, selects
// from one person's steps.
func queueParts(sel, tail string) (named, role, others string) {
	named = `SELECT ` + sel + ` FROM approval_steps s WHERE s.approver_id = @me AND ` + queueOpen + ` AND ` + queueNotMine + tail
	role = `SELECT ` + sel + ` FROM approval_steps s WHERE s.kind = 'role' AND s.role IN @roles AND s.approver_id IS DISTINCT FROM @me
		AND ` + queueOpen + ` AND ` + queueNotMine + tail
	others = `(` + delegatorsSQL + ` UNION SELECT du.id FROM users du WHERE du.status = 'deactivated' AND @escalation IN @roles) p (id),
		LATERAL (SELECT ` + sel + ` FROM approval_steps s WHERE s.approver_id = p.id
			AND s.approver_id <> @me AND (s.kind = 'role' AND s.role IN @roles) IS NOT TRUE AND ` + queueOpen + ` AND ` + queueNotMine + tail + `) c`
	return named, role, others
}

// queueListCountSQL counts a list of the queue in one reading of the viewer's open steps, as
// queueCountSQL reads them: total, those that meet matched (a condition on s; "" for all), and
// whole, every step waiting for the viewer (the badge, which a narrowed list shows as well).
func queueListCountSQL(matched string) string {
	total := `count(*)`
	if matched != "" {
		total = `count(*) FILTER (WHERE ` + matched + `)`
	}
	named, role, others := queueCountParts(total + ` AS total, count(*) AS whole`)
	return `SELECT CAST(sum(total) AS bigint) AS total, CAST(sum(whole) AS bigint) AS whole FROM (` + named + `
	UNION ALL ` + role + `
	UNION ALL SELECT c.total, c.whole FROM ` + others + `) parts`
}

// queueByStep reads one step, routed to the viewer or decided by them, whatever its kind.
var queueByStep = func() string {
	var parts []string
	for _, k := range ApprovableKinds() {
		parts = append(parts, queueStepOfKind(k))
	}
	return strings.Join(parts, "\nUNION ALL\n")
}()

// queueStepOfKind is queueByStep's branch for one kind of document.
func queueStepOfKind(k *DocumentKind) string {
	return queueBranch(k, `s.id = @step AND (s.acted_by = @me OR (`+routedToMe+`))`)
}

// queueRoute reads every step of one document's route.
var queueRoute = func() string {
	var parts []string
	for _, k := range ApprovableKinds() {
		parts = append(parts, queueBranch(k, `s.doc_type = @doc_type AND s.doc_id = @doc_id`))
	}
	return strings.Join(parts, "\nUNION ALL\n") + ` ORDER BY round, position`
}()

func queueArgs(v Viewer) map[string]any {
	roles := v.Roles
	if len(roles) == 0 {
		roles = []string{""}
	}
	return map[string]any{"me": v.UserID, "roles": roles, "escalation": EscalationRole}
}

// queueSQL builds the queue's page query and its count for the filter. The amount is on the
// step itself (doc_total_minor); a filter on what else the document says (department, text)
// is looked up by the step's document, one document at a time, so that the documents are
// never read whole. Both are empty when f names a kind that is not approved.
func queueSQL(v Viewer, f QueueFilter) (texts queueTexts, args map[string]any) {
	args = queueArgs(v)
	shape := queueShape{docType: f.DocType, department: f.DepartmentID != 0, minAmount: f.MinAmountMinor > 0}
	if text := strings.TrimSpace(f.Search); text != "" {
		shape.search = true
		args["q"] = "%" + escapeLike(text) + "%"
	}
	if shape.department {
		args["department"] = f.DepartmentID
	}
	if shape.minAmount {
		args["min_amount"] = f.MinAmountMinor
	}
	return queueTextsOf(shape), args
}

// queueShape is what the text of the queue's statements depends on.
type queueShape struct {
	docType                       string
	department, minAmount, search bool
}

// queueTexts are a shape's statements: the page, its counts (total, whole), and the page
// with its counts after each row's columns.
type queueTexts struct{ page, count, pageCounted string }

// queueStatements keeps the statements of each shape (queueShape → queueTexts) of a kind
// that is approved, written once.
var queueStatements sync.Map

func queueTextsOf(shape queueShape) queueTexts {
	if t, ok := queueStatements.Load(shape); ok {
		return t.(queueTexts)
	}
	t := writeQueueTexts(shape)
	if t.page != "" { // Not for a kind nothing approves: the key is what the request named.
		queueStatements.Store(shape, t)
	}
	return t
}

func writeQueueTexts(shape queueShape) queueTexts {
	var kinds, branches, matches []string
	for _, k := range ApprovableKinds() {
		if shape.docType != "" && shape.docType != k.Type {
			continue
		}
		kinds = append(kinds, `'`+k.Type+`'`)
		branches = append(branches, queueBranch(k, `s.id IN (SELECT id FROM page)`))
		q := k.Queue
		var conds []string
		if shape.department {
			conds = append(conds, q.Department+" = @department")
		}
		if shape.search {
			conds = append(conds, `(`+q.Number+` ILIKE @q OR `+q.Counterparty+` ILIKE @q OR `+q.Summary+` ILIKE @q
				OR EXISTS (SELECT 1 FROM users ru WHERE ru.id = `+q.Requester+` AND (ru.name ILIKE @q OR ru.email ILIKE @q)))`)
		}
		if len(conds) > 0 {
			// A scalar lookup of the step's own document, never a join of every document.
			matches = append(matches, `(s.doc_type = '`+k.Type+`' AND COALESCE((SELECT true FROM `+k.Table+` d `+q.From+
				` WHERE d.id = s.doc_id AND `+strings.Join(conds, " AND ")+` LIMIT 1), false))`)
		}
	}
	if len(kinds) == 0 { // a kind nothing approves
		return queueTexts{}
	}
	// What the filter asks of a step, beyond being the viewer's open step.
	var conds []string
	if shape.docType != "" {
		conds = append(conds, `s.doc_type IN (`+strings.Join(kinds, ", ")+`)`)
	}
	if shape.minAmount { // the step carries its document's total
		conds = append(conds, `s.doc_total_minor >= @min_amount`)
	}
	if len(matches) > 0 {
		conds = append(conds, `(`+strings.Join(matches, " OR ")+`)`)
	}
	matched := strings.Join(conds, " AND ")
	tail := ` ORDER BY s.id LIMIT @reach`
	if matched != "" {
		tail = ` AND ` + matched + tail
	}
	// The page's steps, from the parts the count reads: those naming the viewer, walked in
	// order through approval_steps_pending_queue_idx; those of their roles, through
	// approval_steps_pending_role_queue_idx; and those of each person they act for. Each part
	// stops at the page's end.
	named, role, others := queueParts(`s.id`, tail)
	pick := `WITH page AS MATERIALIZED (SELECT id FROM (
		(` + named + `)
		UNION ALL
		(` + role + `)
		UNION ALL
		SELECT c.id FROM ` + others + `) mine
	ORDER BY id LIMIT @limit OFFSET @offset)`
	rows := strings.Join(branches, "\nUNION ALL\n")
	count := queueListCountSQL(matched)
	return queueTexts{
		page:  pick + "\n" + rows + ` ORDER BY step_id`,
		count: count,
		// The page with its counts on every row: one round trip and one snapshot for both.
		pageCounted: pick + `, counted AS MATERIALIZED (` + count + `)
	SELECT rows.*, counted.total, counted.whole FROM (` + rows + `) rows, counted ORDER BY rows.step_id`,
	}
}

// ApprovalQueue lists the pending steps routed to v, oldest submission first.
func ApprovalQueue(ctx context.Context, db *gorm.DB, v Viewer, f QueueFilter) (Queue, error) {
	if f.PerPage <= 0 {
		f.PerPage = 25
	}
	if f.Page < 1 {
		f.Page = 1
	}
	texts, args := queueSQL(v, f)
	out := Queue{Page: f.Page}
	if texts.page == "" {
		return out, nil
	}
	tx := db.WithContext(ctx)
	args["limit"], args["offset"] = f.PerPage, (f.Page-1)*f.PerPage
	args["reach"] = f.Page * f.PerPage // the page's end
	var err error
	out.Items, err = queueItems(namedRaw(tx, texts.pageCounted, args), &out.Total, &out.Whole)
	if err == nil && len(out.Items) == 0 {
		// No step on the page: the list is empty, or the page is past its end. The counts
		// (the badge's among them) are read on their own.
		err = namedRaw(tx, texts.count, args).Row().Scan(&out.Total, &out.Whole)
	}
	out.Pages = int((out.Total + int64(f.PerPage) - 1) / int64(f.PerPage))
	return out, err
}

// EachQueueItem calls fn with every pending step routed to v that matches f, in the queue's
// order, read one at a time from the database (an export of the whole queue).
func EachQueueItem(ctx context.Context, db *gorm.DB, v Viewer, f QueueFilter, fn func(QueueItem) error) (int, error) {
	texts, args := queueSQL(v, f)
	if texts.page == "" {
		return 0, nil
	}
	args["limit"], args["offset"], args["reach"] = nil, 0, nil // LIMIT NULL: every row
	return eachRow(namedRaw(db.WithContext(ctx), texts.page, args), fn)
}

// QueueCount is how many steps wait for v: the queue's badge.
func QueueCount(ctx context.Context, db *gorm.DB, v Viewer) (int64, error) {
	var n int64
	err := namedRaw(db.WithContext(ctx), queueCountSQL, queueArgs(v)).Scan(&n).Error
	return n, err
}

// QueueStep reads one step routed to v (or decided by v) in any state, for the queue to show
// it again after a decision. Any other step is not found.
func QueueStep(ctx context.Context, db *gorm.DB, v Viewer, stepID int64) (QueueItem, error) {
	args := queueArgs(v)
	args["step"] = stepID
	items, err := queueItems(namedRaw(db.WithContext(ctx), queueByStep, args))
	if err != nil {
		return QueueItem{}, err
	}
	if len(items) == 0 {
		return QueueItem{}, outlay.NotFound("That approval is not routed to you.")
	}
	return items[0], nil
}

// DecidedStep is what the queue shows after a decision: the step's row as it now is, how
// many steps still wait for the viewer (the badge) and their unread notifications (the bell).
type DecidedStep struct {
	Item   QueueItem
	Count  int64
	Unread int64
}

// queueAfterDecision reads DecidedStep in one statement, for a step of any kind (under "") or
// of one kind (under its type): a step whose kind is known is looked for in that kind's
// documents alone.
var queueAfterDecision = func() map[string]string {
	read := func(steps string) string {
		return `SELECT q.*, (` + queueCountSQL + `) AS queue_count,
	(SELECT count(*) FROM notifications n WHERE n.recipient_id = @me AND n.read_at IS NULL) AS unread
	FROM (` + steps + `) q`
	}
	out := map[string]string{"": read(queueByStep)}
	for _, k := range ApprovableKinds() {
		out[k.Type] = read(queueStepOfKind(k))
	}
	return out
}()

// QueueStepAfterDecision reads one step routed to v (or decided by v) as QueueStep does, with
// the queue's count and v's unread notifications, in one statement. docType is the step's
// kind of document when the caller knows it (the decision returned it), else "".
func QueueStepAfterDecision(ctx context.Context, db *gorm.DB, v Viewer, stepID int64, docType string) (DecidedStep, error) {
	read, ok := queueAfterDecision[docType]
	if !ok {
		read = queueAfterDecision[""]
	}
	args := queueArgs(v)
	args["step"] = stepID
	var out DecidedStep
	found := false
	err := scanEach(namedRaw(db.WithContext(ctx), read, args), func(rows *sql.Rows) error {
		found = true
		return rows.Scan(append(queueItemColumns(&out.Item), &out.Count, &out.Unread)...)
	})
	if err != nil {
		return DecidedStep{}, err
	}
	if !found {
		return DecidedStep{}, outlay.NotFound("That approval is not routed to you.")
	}
	return out, nil
}

// StepDetails is what the queue shows when a row is expanded: the document's lines, its
// attachments, the route so far and the budget it draws on.
type StepDetails struct {
	Item        QueueItem
	Lines       []DetailLine
	Attachments []Attachment
	Route       []QueueItem
	Budget      []BudgetLine
}

// DetailLine is a document line with its GL account's code.
type DetailLine struct {
	RequisitionLine
	GLCode string
	// DepartmentID is the line's own department (bills); nil: the document's.
	DepartmentID *int64
	// ReceiptID is the line's receipt (an attachment of the document), with its type.
	ReceiptID   *int64
	ReceiptType string
	// Notes are what the approver should look at on the line (over a limit, a duplicate).
	Notes []string `gorm:"-"`
}

// ApprovalStepDetails loads the details of a step routed to (or decided by) v.
func ApprovalStepDetails(ctx context.Context, db *gorm.DB, v Viewer, stepID int64) (StepDetails, error) {
	item, err := QueueStep(ctx, db, v, stepID)
	if err != nil {
		return StepDetails{}, err
	}
	out := StepDetails{Item: item}
	tx := db.WithContext(ctx)
	// A step cancelled by a withdrawal no longer shows its approver the document, which its
	// requester may since have changed: the details follow the document's own visibility.
	if err := documentVisible(tx, v, item.DocType, item.DocID); err != nil {
		return StepDetails{}, outlay.NotFound("That approval is not routed to you.")
	}
	k, _ := FindDocumentKind(item.DocType)
	if out.Lines, err = k.Details(tx, item.DocID); err != nil {
		return out, err
	}
	err = tx.Where("doc_type = ? AND doc_id = ? AND deleted_at IS NULL", item.DocType, item.DocID).Order("created_at, id").
		Find(&out.Attachments).Error
	if err != nil {
		return out, err
	}
	route, err := ApprovalRoute(ctx, db, item.DocType, item.DocID)
	if err != nil {
		return out, err
	}
	for _, s := range route {
		if s.Round == item.Round {
			out.Route = append(out.Route, s)
		}
	}
	doc := ApprovalDocument{Type: item.DocType, ID: item.DocID, RequesterID: item.RequesterID, DepartmentID: item.DepartmentID, Total: item.Total()}
	for _, l := range out.Lines {
		doc.Lines = append(doc.Lines, ApprovalLine{GLAccountID: l.GLAccountID, DepartmentID: l.DepartmentID, Amount: l.AmountMinor + l.TaxMinor})
	}
	out.Budget, err = BudgetImpact(tx, doc, time.Now())
	return out, err
}

// ApprovalRoute lists every step of a document's route, every round, in order, with who
// each waits for and who acted: the approval history a document's own page shows. It checks
// no access: the caller has already found the document visible to the viewer.
func ApprovalRoute(ctx context.Context, db *gorm.DB, docType string, docID int64) ([]QueueItem, error) {
	var out []QueueItem
	err := namedRaw(db.WithContext(ctx), queueRoute, map[string]any{"doc_type": docType, "doc_id": docID}).Scan(&out).Error
	return out, err
}
