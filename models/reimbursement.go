package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
)

// Paying expense reports back. An AP clerk groups approved reports into a reimbursement
// batch, which schedules them; a report may be taken out again until the batch is paid; the
// batch is then marked paid with the day, the method and a reference, which pays its reports
// (budgets count them as spent from then on) and tells each owner. Each report is paid its
// net amount: its total less the cash advances netted against it.

// DocReimbursement numbers reimbursement batches (RB-000001).
const DocReimbursement = "reimbursement"

// Reimbursement batch statuses.
const (
	BatchScheduled = outlay.BatchScheduled
	BatchPaid      = outlay.BatchPaid
)

// Ways a batch is paid (outlay's).
const (
	PayBankTransfer = outlay.ReimburseByBankTransfer
	PayCheque       = outlay.ReimburseByCheque
	PayPayroll      = outlay.ReimburseByPayroll
	PayOther        = outlay.ReimburseOtherwise
)

// ReimbursementMethods are the ways a batch is paid, in the order the form offers them.
var ReimbursementMethods = outlay.ReimbursementMethods

// MaxBatchReports is the most reports one batch takes.
const MaxBatchReports = 500

// ReimbursementBatch is a group of reports paid together.
type ReimbursementBatch struct {
	ID          int64
	Number      string
	Status      string
	CreatedByID int64
	PaidOn      *time.Time
	Method      *string
	Reference   string
	PaidByID    *int64
	PaidAt      *time.Time
	FileMade
	CreatedAt time.Time
	UpdatedAt time.Time
}

// BatchReport is a report as reimbursement pages show it: who is paid, and how much.
type BatchReport struct {
	ID           int64
	Number       string
	Title        string
	Status       string
	OwnerID      int64
	OwnerName    string
	OwnerEmail   string
	Currency     string
	TotalMinor   int64
	AdvanceMinor int64
	DecidedAt    *time.Time
	// HasBankAccount: the owner keeps a bank account on their profile.
	HasBankAccount bool
}

// Total is the report's total.
func (r BatchReport) Total() money.Money {
	return money.Money{Minor: r.TotalMinor, Currency: r.Currency}
}

// Advance is what cash advances took off the report.
func (r BatchReport) Advance() money.Money {
	return money.Money{Minor: r.AdvanceMinor, Currency: r.Currency}
}

// Net is what the owner is paid: the total less the advances netted against it.
func (r BatchReport) Net() money.Money {
	return money.Money{Minor: r.TotalMinor - r.AdvanceMinor, Currency: r.Currency}
}

// batchReports reads reports with their owners; where narrows them.
func batchReports(tx *gorm.DB, where string, args ...any) ([]BatchReport, error) {
	var out []BatchReport
	err := tx.Raw(`SELECT r.id, COALESCE(r.number, '') AS number, r.title, r.status, r.owner_id, u.name AS owner_name,
			u.email AS owner_email, r.currency, r.total_minor, r.advance_minor, r.decided_at,
			EXISTS (SELECT 1 FROM user_bank_accounts b WHERE b.user_id = r.owner_id) AS has_bank_account
		FROM expense_reports r JOIN users u ON u.id = r.owner_id
		WHERE `+where+` ORDER BY u.name, r.number, r.id`, args...).Scan(&out).Error
	return out, err
}

// ReimbursableReports lists the approved reports that no batch holds yet, the oldest
// decision first, at most limit of them, and how many there are in all.
func ReimbursableReports(ctx context.Context, db *gorm.DB, limit int, scheduler int64) ([]BatchReport, int, error) {
	db = db.WithContext(ctx)
	// Nobody pays themself back: the scheduler's own reports are someone else's to schedule.
	ready := func() *gorm.DB {
		return db.Table("expense_reports").Where("status = ? AND reimbursement_batch_id IS NULL AND owner_id <> ?", ExpenseApproved, scheduler)
	}
	var total int64
	if err := ready().Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var ids []int64
	err := ready().Order("decided_at, id").Limit(limit).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return nil, int(total), err
	}
	rows, err := batchReports(db, "r.id IN ?", ids)
	return rows, int(total), err
}

// TickedReports reads the reports ids that v may see, as reimbursement pages list them,
// whatever they are now: a refused batch's form shows each of its ticks again, beside why
// it was refused. Drafts are left out.
func TickedReports(ctx context.Context, db *gorm.DB, v Viewer, ids []int64) ([]BatchReport, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	db = db.WithContext(ctx)
	var seen []int64
	if err := db.Table("expense_reports").Scopes(VisibleExpenses(v)).Where("expense_reports.id IN ? AND expense_reports.status <> ?", ids, ExpenseDraft).
		Pluck("expense_reports.id", &seen).Error; err != nil || len(seen) == 0 {
		return nil, err
	}
	return batchReports(db, "r.id IN ?", seen)
}

// CreateReimbursementBatch schedules the approved reports ids for payment in a new batch
// made by actorID. Every report must be approved, in no batch yet and someone else's:
// otherwise nothing is scheduled, and the refusal (a *BatchRefusal) says of each report
// that cannot go in why.
func CreateReimbursementBatch(ctx context.Context, db *gorm.DB, actorID int64, ids []int64) (*ReimbursementBatch, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	switch {
	case len(ids) == 0:
		return nil, outlay.ValidationErrors{"reports": "Choose at least one approved report to pay."}
	case len(ids) > MaxBatchReports:
		return nil, outlay.ValidationErrors{"reports": fmt.Sprintf("A batch takes at most %d reports: choose fewer.", MaxBatchReports)}
	}
	var b ReimbursementBatch
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var reports []ExpenseReport
		// A draft nobody submitted is its owner's alone: to anyone else it does not exist.
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ? AND number IS NOT NULL", ids).Order("id").
			Find(&reports).Error; err != nil {
			return err
		}
		if len(reports) != len(ids) {
			return outlay.NotFound("One of those expense reports does not exist.")
		}
		if err := refuseUnschedulable(tx, reports, actorID); err != nil {
			return err
		}
		number, err := NextNumber(tx, DocReimbursement)
		if err != nil {
			return err
		}
		b = ReimbursementBatch{Number: number, Status: BatchScheduled, CreatedByID: actorID}
		if err := tx.Create(&b).Error; err != nil {
			return err
		}
		now := time.Now()
		for i := range reports {
			if err := tx.Model(&reports[i]).Updates(map[string]any{"status": ExpenseScheduled, "reimbursement_batch_id": b.ID,
				"updated_at": now}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// BatchRefusal refuses a new batch for the ticked reports that cannot go in one, each with
// why; nothing is scheduled. It is a conflict (errors.Is ErrConflict): the reports changed
// since the form offered them (sent back, put in another batch), or are the scheduler's
// own, which the form never offers.
type BatchRefusal struct {
	Reports []RefusedReport // in the order of their ids
}

// RefusedReport is a ticked report a new batch cannot take, and why.
type RefusedReport struct {
	ID     int64
	Number string
	Reason string // a sentence, shown beside the report
}

func (e *BatchRefusal) Error() string {
	parts := make([]string, 0, len(e.Reports))
	for _, r := range e.Reports {
		parts = append(parts, r.Number+": "+r.Reason)
	}
	return "Nothing was scheduled. " + strings.Join(parts, " ")
}

// Is makes a refusal an ErrConflict.
func (e *BatchRefusal) Is(target error) bool { return target == outlay.ErrConflict }

// refuseUnschedulable refuses reports, locked, when any of them cannot go in a new batch
// that actorID makes, saying of each why.
func refuseUnschedulable(tx *gorm.DB, reports []ExpenseReport, actorID int64) error {
	var batchIDs []int64
	for _, r := range reports {
		if r.ReimbursementBatchID != nil {
			batchIDs = append(batchIDs, *r.ReimbursementBatchID)
		}
	}
	var batches []ReimbursementBatch
	if len(batchIDs) > 0 {
		if err := tx.Select("id", "number").Where("id IN ?", batchIDs).Find(&batches).Error; err != nil {
			return err
		}
	}
	batchNumber := func(id int64) string {
		for _, b := range batches {
			if b.ID == id {
				return b.Number
			}
		}
		return "another batch"
	}
	var refusal BatchRefusal
	for _, r := range reports {
		reason := ""
		switch {
		case r.Status == ExpensePaid && r.ReimbursementBatchID != nil:
			reason = "It was paid in " + batchNumber(*r.ReimbursementBatchID) + " meanwhile."
		case r.ReimbursementBatchID != nil:
			reason = "It was put in " + batchNumber(*r.ReimbursementBatchID) + " meanwhile."
		case r.Status == ExpenseReturned:
			reason = "It was sent back to its owner meanwhile, so it is no longer approved."
		case r.Status == ExpenseWithdrawn:
			reason = "Its owner withdrew it, so it is not approved."
		case r.Status != ExpenseApproved:
			reason = "It is not approved: only approved reports are paid."
		case r.OwnerID == actorID:
			reason = "It is your own: nobody pays themself back, so someone else schedules it."
		default:
			if reason = tooLargeForBatchFile(r, len(reports)); reason == "" {
				continue
			}
		}
		refusal.Reports = append(refusal.Reports, RefusedReport{ID: r.ID, Number: reportName(r), Reason: reason})
	}
	if len(refusal.Reports) > 0 {
		return &refusal
	}
	return nil
}

// tooLargeForBatchFile refuses the report r, one of a new batch of n reports, that its
// batch's SEPA file would pay in one transfer above the limit of one (as a payment run
// paying a vendor so much is refused when it is made): the bank would refuse that file whole,
// with every other report in it. Alone in its batch, it is paid by another method, and the
// file of that batch says why it cannot be made. "" when r is not refused.
func tooLargeForBatchFile(r ExpenseReport, n int) string {
	net := r.Reimbursable()
	if n < 2 || !InBankFile(net.Currency, net.Minor) {
		return ""
	}
	if _, named, above := transferAboveLimit("pain.001", net.Minor); above {
		return fmt.Sprintf("It would be paid %s %s, and the bank would refuse the batch's whole SEPA file. Schedule it in a batch of its own and pay that by another method, such as a cheque.",
			net, named)
	}
	return ""
}

// ownReports names the reports of actorID among reports.
func ownReports(reports []ExpenseReport, actorID int64) []string {
	var own []string
	for _, r := range reports {
		if r.OwnerID == actorID {
			own = append(own, reportName(r))
		}
	}
	return own
}

func reportName(r ExpenseReport) string {
	if r.Number != nil {
		return *r.Number
	}
	return fmt.Sprintf("draft #%d", r.ID)
}

// lockBatch loads batch id and locks it until the transaction ends.
func lockBatch(tx *gorm.DB, id int64) (*ReimbursementBatch, error) {
	var b ReimbursementBatch
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&b, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("That reimbursement batch does not exist.")
	}
	return &b, err
}

// RemoveFromBatch takes report reportID out of unpaid batch batchID: it is approved again,
// ready for another batch.
func RemoveFromBatch(ctx context.Context, db *gorm.DB, batchID, reportID int64, fileNotPaid bool) (*ExpenseReport, error) {
	var r ExpenseReport
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		b, err := lockBatch(tx, batchID)
		if err != nil {
			return err
		}
		if b.Status != BatchScheduled {
			return outlay.Conflict(b.Number + " is paid: its reports stay in it.")
		}
		err = tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("reimbursement_batch_id = ?", batchID).Take(&r, reportID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return outlay.NotFound("That report is not in this batch.")
		}
		if err != nil {
			return err
		}
		// A report the batch's downloaded file pays would be free to schedule again, in another
		// batch and another file: only on the clerk's word that the bank will not pay that
		// file, which is then forgotten (the batch's next file is another). A report the file
		// does not pay (in another currency) leaves the file as it is.
		if InBankFile(r.Currency, r.Reimbursable().Minor) {
			if err := refuseIfFileMade(b.FileMade, b.Number, "Take "+reportName(r)+" out", fileNotPaid); err != nil {
				return err
			}
			if b.Made() {
				if err := tx.Model(b).Updates(map[string]any{"file_message_id": nil, "file_made_at": nil, "file_made_by_id": nil}).Error; err != nil {
					return err
				}
			}
		}
		return tx.Model(&r).Updates(map[string]any{"status": ExpenseApproved, "reimbursement_batch_id": nil, "updated_at": time.Now()}).Error
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// BatchPaymentInput is the mark-paid form as typed.
type BatchPaymentInput struct {
	PaidOn    string `form:"paid_on"`
	Method    string `form:"method"`
	Reference string `form:"reference"`
}

// MarkBatchPaid records that batch id was paid (on a day no later than today, by one of
// PaymentMethods, with the reference the bank or payroll gave it): its reports are paid, and
// each owner is told in the same transaction. A batch is paid once.
func MarkBatchPaid(ctx context.Context, db *gorm.DB, actorID, id int64, in BatchPaymentInput, today time.Time) (*ReimbursementBatch, error) {
	verr := outlay.ValidationErrors{}
	paidOn, err := ParseDay(in.PaidOn)
	switch {
	case strings.TrimSpace(in.PaidOn) == "":
		verr.Add("paid_on", "Enter the day it was paid.")
	case err != nil:
		verr.Add("paid_on", err.Error())
	case paidOn.After(today):
		verr.Add("paid_on", "A payment cannot be recorded before it is made: enter today or an earlier day.")
	case paidOn.Before(today.AddDate(-1, 0, 0)):
		verr.Add("paid_on", "Enter a day within the last year.")
	}
	if !slices.Contains(ReimbursementMethods, in.Method) {
		verr.Add("method", "Choose how it was paid.")
	}
	ref := strings.TrimSpace(in.Reference)
	switch n := len([]rune(ref)); {
	case n == 0:
		verr.Add("reference", "Enter the payment's reference (the bank's, the cheque number or the payroll run), to find it again.")
	case n > 140:
		verr.Add("reference", tooLong("A reference", 140, n))
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	var b *ReimbursementBatch
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if b, err = lockBatch(tx, id); err != nil {
			return err
		}
		if b.Status == BatchPaid {
			return outlay.Conflict(b.Number + " is already paid.")
		}
		var reports []ExpenseReport
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("reimbursement_batch_id = ?", id).Order("id").Find(&reports).Error; err != nil {
			return err
		}
		if len(reports) == 0 {
			return outlay.ValidationErrors{"batch": "This batch has no reports left to pay."}
		}
		if own := ownReports(reports, actorID); len(own) > 0 {
			return outlay.Conflict("Nobody records their own reimbursement: " + b.Number + " pays your " + strings.Join(own, ", ") +
				". Someone else marks it paid.")
		}
		now := time.Now()
		if err := tx.Model(b).Updates(map[string]any{"status": BatchPaid, "paid_on": paidOn, "method": in.Method, "reference": ref,
			"paid_by_id": actorID, "paid_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		for i := range reports {
			r := &reports[i]
			if err := tx.Model(r).Updates(map[string]any{"status": ExpensePaid, "paid_at": now, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := notifyReimbursed(tx, *r, b, actorID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// BatchSummary is one batch in the list.
type BatchSummary struct {
	ID        int64
	Number    string
	Status    string
	Reports   int
	PaidOn    *time.Time
	Method    *string
	CreatedAt time.Time
	// Totals are the net amounts to pay, one per currency, in currency order.
	Totals []money.Money `gorm:"-"`
}

// BatchList is one page of batches and how many there are.
type BatchList struct {
	Rows  []BatchSummary
	Total int
}

// ListReimbursementBatches returns a page of batches, the newest first; query narrows them
// to those whose number, reference or reports' numbers or owners match.
func ListReimbursementBatches(ctx context.Context, db *gorm.DB, query string, offset, limit int) (BatchList, error) {
	db = db.WithContext(ctx)
	var out BatchList
	var err error
	out.Rows, out.Total, err = pickedPageOf[BatchSummary](db, batchScope(db, query), "b", batchOrder, batchRows, nil, offset, max(limit, 1))
	if err != nil || len(out.Rows) == 0 {
		return out, err
	}
	ids := make([]int64, len(out.Rows))
	for i, r := range out.Rows {
		ids[i] = r.ID
	}
	totals, err := batchTotals(db, ids)
	for i := range out.Rows {
		out.Rows[i].Totals = totals[out.Rows[i].ID]
	}
	return out, err
}

// batchScope is the batches whose number, reference or reports' numbers or owners match
// query (all of them for an empty query).
func batchScope(db *gorm.DB, query string) *gorm.DB {
	q := db.Table("reimbursement_batches b")
	if s := strings.TrimSpace(query); s != "" {
		like := "%" + escapeLike(s) + "%"
		q = q.Where(`b.number ILIKE ? OR b.reference ILIKE ? OR EXISTS (SELECT 1 FROM expense_reports r JOIN users u ON u.id = r.owner_id
			WHERE r.reimbursement_batch_id = b.id AND (r.number ILIKE ? OR u.name ILIKE ?))`, like, like, like, like)
	}
	return q
}

// batchRows is what the batch list reads of each batch of q (reimbursement_batches, or a page
// of them picked, named b), newest first.
func batchRows(q *gorm.DB) *gorm.DB { return q.Select(batchColumns).Order(batchOrder) }

const batchOrder = "b.id DESC"

// batchColumns are what the batch list reads of each batch.
const batchColumns = `b.id, b.number, b.status, b.paid_on, b.method, b.created_at,
	(SELECT count(*) FROM expense_reports r WHERE r.reimbursement_batch_id = b.id) AS reports`

// BatchCurrencyRow is a batch with the net amount it pays in one currency: an export has a
// row per batch and currency.
type BatchCurrencyRow struct {
	BatchSummary
	Currency string
	NetMinor int64
}

// EachReimbursementBatch calls fn with every batch that matches query, in the list's order, a
// row per currency its reports are in (one row without a currency for an empty batch),
// reading them one at a time from the database (an export of any size).
func EachReimbursementBatch(ctx context.Context, db *gorm.DB, query string, fn func(BatchCurrencyRow) error) (int, error) {
	q := batchRows(batchScope(db.WithContext(ctx), query)).
		Select(batchColumns + ", COALESCE(t.currency, '') AS currency, COALESCE(t.net, 0) AS net_minor").
		Joins(`LEFT JOIN LATERAL (SELECT currency, SUM(total_minor - advance_minor) AS net FROM expense_reports
			WHERE reimbursement_batch_id = b.id GROUP BY currency) t ON true`).Order("t.currency")
	return eachRow(q, fn)
}

// batchTotals sums the net amounts of each batch's reports by currency.
func batchTotals(tx *gorm.DB, ids []int64) (map[int64][]money.Money, error) {
	var rows []struct {
		BatchID  int64
		Currency string
		Net      int64
	}
	err := tx.Raw(`SELECT reimbursement_batch_id AS batch_id, currency, SUM(total_minor - advance_minor) AS net
		FROM expense_reports WHERE reimbursement_batch_id IN ? GROUP BY 1, 2 ORDER BY 1, 2`, ids).Scan(&rows).Error
	out := map[int64][]money.Money{}
	for _, r := range rows {
		out[r.BatchID] = append(out[r.BatchID], money.Money{Minor: r.Net, Currency: r.Currency})
	}
	return out, err
}

// BatchDetail is a batch as its page and its files show it.
type BatchDetail struct {
	ReimbursementBatch
	CreatedByName  string
	PaidByName     string
	FileMadeByName string
	Reports        []BatchReport `gorm:"-"`
	Totals         []money.Money `gorm:"-"`
}

// MissingBankAccounts names the people with a report in currency whom the batch cannot pay
// by bank transfer: they keep no bank account.
func (d *BatchDetail) MissingBankAccounts(currency string) []string {
	var out []string
	for _, r := range d.Reports {
		if r.Currency == currency && !r.HasBankAccount && !slices.Contains(out, r.OwnerName) {
			out = append(out, r.OwnerName)
		}
	}
	return out
}

// GetReimbursementBatch reads batch id with its reports.
func GetReimbursementBatch(ctx context.Context, db *gorm.DB, id int64) (*BatchDetail, error) {
	db = db.WithContext(ctx)
	var d BatchDetail
	err := db.Table("reimbursement_batches b").Where("b.id = ?", id).
		Select(`b.*, c.name AS created_by_name, COALESCE(p.name, '') AS paid_by_name, COALESCE(f.name, '') AS file_made_by_name`).
		Joins("JOIN users c ON c.id = b.created_by_id").Joins("LEFT JOIN users p ON p.id = b.paid_by_id").
		Joins("LEFT JOIN users f ON f.id = b.file_made_by_id").Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("That reimbursement batch does not exist.")
	}
	if err != nil {
		return nil, err
	}
	if d.Reports, err = batchReports(db, "r.reimbursement_batch_id = ?", id); err != nil {
		return nil, err
	}
	totals, err := batchTotals(db, []int64{id})
	d.Totals = totals[id]
	return &d, err
}

// ExpenseBatch names the batch that schedules or paid report id, for the report's page; nil
// when none does.
func ExpenseBatch(ctx context.Context, db *gorm.DB, reportID int64) (*ReimbursementBatch, error) {
	var b ReimbursementBatch
	err := db.WithContext(ctx).Where("id = (SELECT reimbursement_batch_id FROM expense_reports WHERE id = ?)", reportID).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &b, err
}
