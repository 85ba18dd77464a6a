package models

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"outlay"
)

// PaymentFilter narrows the list of payment runs.
type PaymentFilter struct {
	Status string
	Offset int
	Limit  int
}

// PaymentRow is one run in the list, with the vendors it pays.
type PaymentRow struct {
	PaymentRun
	Vendors     string
	VendorCount int
	CreatedBy   string
}

// PaymentList is one page of runs and how many match in all.
type PaymentList struct {
	Rows  []PaymentRow
	Total int
}

// ListPaymentRuns lists the runs the viewer may see, newest first.
func ListPaymentRuns(ctx context.Context, db *gorm.DB, v Viewer, f PaymentFilter) (PaymentList, error) {
	db = db.WithContext(ctx)
	rows, total, err := pickedPageOf[PaymentRow](db, f.scope(db, v), "payment_runs", paymentRunOrder, f.rows, nil, f.Offset, f.Limit)
	return PaymentList{Rows: rows, Total: total}, err
}

// EachPaymentRun calls fn with every run the viewer may see that matches f, in the list's
// order, reading them one at a time from the database (an export of any size).
func EachPaymentRun(ctx context.Context, db *gorm.DB, v Viewer, f PaymentFilter, fn func(PaymentRow) error) (int, error) {
	return eachRow(f.rows(f.scope(db.WithContext(ctx), v)), fn)
}

// paymentRunOrder is the run list's order, newest first.
const paymentRunOrder = "payment_runs.id DESC"

// rows is what the list reads of each run of q (payment_runs, or a page of them picked under
// that name), in its order.
func (f PaymentFilter) rows(q *gorm.DB) *gorm.DB {
	return q.Select(`payment_runs.*, u.name AS created_by,
			(SELECT string_agg(DISTINCT v.name, ', ') FROM payment_lines pl JOIN vendors v ON v.id = pl.vendor_id WHERE pl.payment_run_id = payment_runs.id) AS vendors,
			(SELECT count(DISTINCT pl.vendor_id) FROM payment_lines pl WHERE pl.payment_run_id = payment_runs.id) AS vendor_count`).
		Joins("JOIN users u ON u.id = payment_runs.created_by_id").
		Order(paymentRunOrder)
}

// scope is the runs the viewer may see that the filter matches.
func (f PaymentFilter) scope(db *gorm.DB, v Viewer) *gorm.DB {
	q := db.Table("payment_runs").Scopes(paymentKind.visible(v))
	if f.Status != "" {
		q = q.Where("payment_runs.status = ?", f.Status)
	}
	return q
}

// PaymentRunDetail is a run with its payments per vendor and the people who made and paid it.
type PaymentRunDetail struct {
	Run            PaymentRun
	Vendors        []VendorPayment
	CreatedBy      string
	PaidBy         string
	FileMadeByName string
	Steps          []ApprovalStepDetail
	shown
}

// GetVisiblePaymentRun reads a run the viewer may see; any other is not found.
func GetVisiblePaymentRun(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*PaymentRunDetail, error) {
	tx := db.WithContext(ctx)
	var d PaymentRunDetail
	err := tx.Scopes(paymentKind.visible(v)).Where("payment_runs.id = ?", id).First(&d.Run).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("There is no such payment.")
	}
	if err != nil {
		return nil, err
	}
	d.shown = shown{Seen{DocPayment, id}}
	return &d, fillPaymentRun(tx, &d)
}

func fillPaymentRun(tx *gorm.DB, d *PaymentRunDetail) error {
	lines, err := paymentLineRows(tx, d.Run.ID)
	if err != nil {
		return err
	}
	d.Vendors = groupByVendor(lines)
	if d.Steps, err = approvalStepDetails(tx, DocPayment, d.Run.ID); err != nil {
		return err
	}
	return tx.Raw(`SELECT (SELECT name FROM users WHERE id = ?) AS created_by, COALESCE((SELECT name FROM users WHERE id = ?), '') AS paid_by,
		COALESCE((SELECT name FROM users WHERE id = ?), '') AS file_made_by`,
		d.Run.CreatedByID, d.Run.PaidByID, d.Run.FileMadeByID).Row().Scan(&d.CreatedBy, &d.PaidBy, &d.FileMadeByName)
}

// BillPayment is a payment made (or under way) of one bill, as the bill's page and the
// vendor's page list them.
type BillPayment struct {
	RunID       int64
	Number      string
	Status      string
	Method      string
	PaidOn      *string
	Reference   string
	BillID      int64
	BillNumber  string
	Currency    string
	AmountMinor int64
}

// PaymentsToVendor lists the runs (not cancelled) that pay the vendor and that v may see
// (another clerk's draft is theirs until it is submitted), newest first, at most limit.
func PaymentsToVendor(ctx context.Context, db *gorm.DB, v Viewer, vendorID int64, limit int) ([]BillPayment, error) {
	db = db.WithContext(ctx)
	visible := db.Table("payment_runs").Select("payment_runs.id").Scopes(paymentKind.visible(v))
	return billPayments(db.Where("pl.vendor_id = ?", vendorID).Where("pl.payment_run_id IN (?)", visible).Limit(limit))
}

func billPayments(q *gorm.DB) ([]BillPayment, error) {
	var out []BillPayment
	err := q.Table("payment_lines pl").Joins("JOIN payment_runs pr ON pr.id = pl.payment_run_id").Joins("JOIN bills b ON b.id = pl.bill_id").
		Where("pr.status <> ?", PaymentCancelled).
		Select(`pr.id AS run_id, pr.number, pr.status, COALESCE(pr.paid_method, pr.method) AS method, to_char(pr.paid_on, 'YYYY-MM-DD') AS paid_on,
			pr.reference, b.id AS bill_id, b.number AS bill_number, pr.currency, pl.amount_minor`).
		Order("pr.id DESC, b.id").Scan(&out).Error
	return out, err
}
