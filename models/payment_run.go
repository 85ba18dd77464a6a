package models

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
)

// PayableBill is an approved bill a payment run may pay: what is open on it, less what runs
// not yet paid already hold of it.
type PayableBill struct {
	BillID        int64
	Number        string
	VendorID      int64
	VendorName    string
	InvoiceNumber string
	InvoiceDate   time.Time
	DueDate       time.Time
	Currency      string
	TotalMinor    int64
	PaidMinor     int64
	ReservedMinor int64 // held by other runs not yet paid
}

// AvailableMinor is what a new run may still pay of the bill.
func (b PayableBill) AvailableMinor() int64 { return b.TotalMinor - b.PaidMinor - b.ReservedMinor }

// payableBillsSQL selects bills a run may pay with what other runs hold of them; exceptRun
// leaves out one run's own lines (0: none).
const payableBillsSQL = `SELECT b.id AS bill_id, b.number, b.vendor_id, v.name AS vendor_name,
		b.vendor_invoice_number AS invoice_number, b.invoice_date, b.due_date, b.currency, b.total_minor, b.paid_minor,
		COALESCE((SELECT SUM(pl.amount_minor) FROM payment_lines pl JOIN payment_runs pr ON pr.id = pl.payment_run_id
			WHERE pl.bill_id = b.id AND pr.status IN @reserving AND pr.id <> @except), 0) AS reserved_minor
	FROM bills b JOIN vendors v ON v.id = b.vendor_id`

// PayableBills lists the approved bills in currency due on or before dueBy with something
// left to pay, by vendor and due date: what a new payment run is offered.
func PayableBills(ctx context.Context, db *gorm.DB, currency string, dueBy time.Time) ([]PayableBill, error) {
	var rows []PayableBill
	err := db.WithContext(ctx).Raw(`SELECT * FROM (`+payableBillsSQL+`
		WHERE b.status IN @payable AND b.currency = @currency AND b.due_date <= @due) p
		WHERE p.total_minor - p.paid_minor - p.reserved_minor > 0
		ORDER BY lower(p.vendor_name), p.vendor_id, p.due_date, p.bill_id`,
		map[string]any{"reserving": reservingPaymentStatuses, "except": 0, "payable": payableBillStatuses,
			"currency": currency, "due": dueBy.Format(time.DateOnly)}).Scan(&rows).Error
	return rows, err
}

// lockPayableBills locks the bills ids (in id order, so two runs never wait on each other
// crosswise) and reads what is available of each to the run exceptRun.
func lockPayableBills(tx *gorm.DB, ids []int64, exceptRun int64) (map[int64]PayableBill, error) {
	if err := tx.Exec(`SELECT id FROM bills WHERE id IN ? ORDER BY id FOR UPDATE`, ids).Error; err != nil {
		return nil, err
	}
	var rows []PayableBill
	if err := tx.Raw(payableBillsSQL+` WHERE b.id IN @ids AND b.status IN @payable`,
		map[string]any{"reserving": reservingPaymentStatuses, "except": exceptRun, "ids": ids, "payable": payableBillStatuses}).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]PayableBill, len(rows))
	for _, r := range rows {
		out[r.BillID] = r
	}
	return out, nil
}

// PaymentRunInput is a new payment run as the clerk chose it.
type PaymentRunInput struct {
	Currency string
	Method   string
	DueBy    string
	PayOn    string
	Memo     string
	Bills    []PaymentBillInput
}

// PaymentBillInput is one bill chosen, with the amount to pay of it as typed.
type PaymentBillInput struct {
	BillID int64
	Amount string
}

// PaymentAmountField names the form field of the amount to pay of a bill, for errors.
func PaymentAmountField(billID int64) string { return "amount." + strconv.FormatInt(billID, 10) }

// ParsePaymentDate reads a date of the payment forms.
func ParsePaymentDate(s string) (time.Time, error) { return billDate(strings.TrimSpace(s)) }

// CreatePaymentRun checks the clerk's choice and keeps it as a draft run: every bill chosen
// must be approved, in the run's currency and due by its date, and each amount above zero
// and at most what is still open on the bill once other unpaid runs' shares are set aside
// (a part payment leaves the rest open). The chosen bills are locked while this is checked,
// so two runs made at once never hold the same money. Nothing is kept if anything is refused.
func CreatePaymentRun(ctx context.Context, db *gorm.DB, v Viewer, in PaymentRunInput) (*PaymentRun, error) {
	verr := outlay.ValidationErrors{}
	run := PaymentRun{Currency: strings.ToUpper(strings.TrimSpace(in.Currency)), Method: in.Method, Status: PaymentDraft,
		Memo: strings.TrimSpace(in.Memo), CreatedByID: v.UserID}
	if !money.ValidCurrency(run.Currency) {
		verr.Add("currency", "Choose a currency.")
	}
	if !slices.Contains(PaymentMethods, run.Method) {
		verr.Add("method", "Choose how the payments are made.")
	}
	var err error
	if run.DueBy, err = ParsePaymentDate(in.DueBy); err != nil {
		verr.Add("due_by", err.Error())
	}
	if run.PayOn, err = ParsePaymentDate(in.PayOn); err != nil {
		verr.Add("pay_on", err.Error())
	} else if run.PayOn.Before(today()) {
		verr.Add("pay_on", "Choose a payment date from today on.")
	}
	checkLength(verr, "memo", "A memo", run.Memo, 1000)
	if len(in.Bills) == 0 {
		verr.Add("bills", "Choose at least one bill to pay.")
	}
	if len(verr) > 0 {
		return nil, verr
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := make([]int64, len(in.Bills))
		for i, b := range in.Bills {
			ids[i] = b.BillID
		}
		bills, err := lockPayableBills(tx, ids, 0)
		if err != nil {
			return err
		}
		lines := make([]PaymentLine, 0, len(in.Bills))
		var vendors []VendorPayment
		for _, b := range in.Bills {
			field := PaymentAmountField(b.BillID)
			bill, ok := bills[b.BillID]
			switch {
			case !ok:
				verr.Add(field, "This bill is not approved for payment.")
				continue
			case bill.Currency != run.Currency:
				verr.Add(field, "This bill is in "+bill.Currency+", not "+run.Currency+": pay it in a run of its own currency.")
				continue
			case bill.DueDate.After(run.DueBy):
				verr.Add(field, "This bill is due on "+bill.DueDate.Format(time.DateOnly)+", after the run's date.")
				continue
			}
			amount, err := money.Parse(b.Amount, run.Currency)
			available := bill.AvailableMinor()
			switch {
			case strings.TrimSpace(b.Amount) == "":
				verr.Add(field, "Enter the amount to pay.")
			case err != nil:
				verr.Add(field, err.Error())
			case amount.Minor <= 0:
				verr.Add(field, "Enter an amount above zero.")
			case amount.Minor > available:
				verr.Add(field, "At most "+run.Money(available).String()+" of this bill is open.")
			default:
				lines = append(lines, PaymentLine{BillID: b.BillID, VendorID: bill.VendorID, AmountMinor: amount.Minor})
				run.TotalMinor += amount.Minor
				vendors = addVendorPayment(vendors, bill.VendorID, bill.VendorName, amount.Minor)
			}
		}
		if len(verr) == 0 {
			// Its bank file pays each vendor in one transfer: one it could not carry is
			// refused now, not once the run is approved and its file is made.
			if msg := refuseRunTransfersTooLarge(run, vendors, false); msg != "" {
				verr.Add("bills", msg)
			}
		}
		if len(verr) > 0 {
			return verr
		}
		if run.Number, err = NextNumber(tx, NumberPayment); err != nil {
			return err
		}
		if err := tx.Create(&run).Error; err != nil {
			return err
		}
		for i := range lines {
			lines[i].PaymentRunID = run.ID
		}
		return tx.Create(&lines).Error
	})
	if err != nil {
		return nil, err
	}
	return &run, nil
}

// addVendorPayment adds amount, paid to the vendor id (named name), to what vendors pays it.
func addVendorPayment(vendors []VendorPayment, id int64, name string, amount int64) []VendorPayment {
	for i := range vendors {
		if vendors[i].VendorID == id {
			vendors[i].Total += amount
			return vendors
		}
	}
	return append(vendors, VendorPayment{VendorID: id, VendorName: name, Total: amount})
}

// lockVisibleRun locks the run id if the viewer may see it.
func lockVisibleRun(tx *gorm.DB, v Viewer, id int64, r *PaymentRun) error {
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Scopes(paymentKind.visible(v)).Where("payment_runs.id = ?", id).First(r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return outlay.NotFound("There is no such payment.")
	}
	return err
}

// checkRunStillPayable refuses a run whose bills no longer have the amounts it pays open
// (a bill voided, or paid by other means since).
func checkRunStillPayable(tx *gorm.DB, r PaymentRun) ([]PaymentLine, error) {
	var lines []PaymentLine
	if err := tx.Where("payment_run_id = ?", r.ID).Order("id").Find(&lines).Error; err != nil {
		return nil, err
	}
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.BillID
	}
	bills, err := lockPayableBills(tx, ids, r.ID)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		b, ok := bills[l.BillID]
		if !ok || l.AmountMinor > b.AvailableMinor() {
			return nil, outlay.Conflict("A bill of this payment is no longer open for the amount it pays. Cancel the payment and make a new one.")
		}
	}
	return lines, nil
}

// SubmitPaymentRun sends a draft (or returned) run to payment approval: payment rules
// route it by its total and method, delegation applies as for any document, and without a
// rule the clerk's manager approves it. Each vendor's bank details are copied onto the run
// (copyRunBankAccounts): they are what the approver sees and what the bank file pays.
func SubmitPaymentRun(ctx context.Context, db *gorm.DB, v Viewer, id int64) (RouteOutcome, error) {
	var out RouteOutcome
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r PaymentRun
		if err := lockVisibleRun(tx, v, id, &r); err != nil {
			return err
		}
		if !r.Submittable() {
			return outlay.Conflict("This payment is " + strings.ToLower(PaymentStatusLabel(r.Status)) + " and cannot be submitted.")
		}
		if err := addAuthor(tx, "payment_runs", r.ID, r.CreatedByID, &r.Authors, v.UserID); err != nil {
			return err
		}
		if _, err := checkRunStillPayable(tx, r); err != nil {
			return err
		}
		if err := copyRunBankAccounts(tx, r, true); err != nil {
			return err
		}
		now := time.Now()
		if err := tx.Model(&PaymentRun{ID: r.ID}).Updates(map[string]any{"status": PaymentSubmitted, "submitted_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		var err error
		out, err = SubmitForApproval(tx, paymentApprovalDocument(r))
		return err
	})
	return out, err
}

// PaidInput is how a run was paid, as the clerk marks it.
type PaidInput struct {
	PaidOn    string
	Method    string
	Reference string
}

// MarkPaymentPaid records that an approved run was paid: the day (not in the future), the
// method and the reference. Each bill's paid amount grows by what the run paid of it, and
// the bill is paid when nothing is left open, partially paid otherwise.
func MarkPaymentPaid(ctx context.Context, db *gorm.DB, v Viewer, id int64, in PaidInput) error {
	verr := outlay.ValidationErrors{}
	paidOn, err := ParsePaymentDate(in.PaidOn)
	if err != nil {
		verr.Add("paid_on", err.Error())
	} else if paidOn.After(today()) {
		verr.Add("paid_on", "A payment cannot be marked paid on a day still to come.")
	}
	if !slices.Contains(PaymentMethods, in.Method) {
		verr.Add("paid_method", "Choose how it was paid.")
	}
	ref := strings.TrimSpace(in.Reference)
	checkLength(verr, "reference", "A reference", ref, 100)
	if ref == "" && in.Method != MethodCard {
		verr.Add("reference", "Enter the bank's reference or the cheque number.")
	}
	if len(verr) > 0 {
		return verr
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r PaymentRun
		if err := lockVisibleRun(tx, v, id, &r); err != nil {
			return err
		}
		if r.Status == PaymentPaid { // a second click, or another tab
			return outlay.Conflict(r.Number + " is already paid.")
		}
		if r.Status != PaymentApproved {
			return outlay.Conflict("This payment is " + strings.ToLower(PaymentStatusLabel(r.Status)) + ": only an approved payment can be marked paid.")
		}
		// A run is paid after it was put together: a day before that is a typo (2020 for
		// 2026), which would date the bills' payments years back in the books.
		if made := r.CreatedAt.UTC().Truncate(24 * time.Hour); paidOn.Before(made) {
			return outlay.ValidationErrors{"paid_on": "A payment cannot be marked paid before the run was made (" + made.Format("2 Jan 2006") + ")."}
		}
		lines, err := checkRunStillPayable(tx, r)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, l := range lines {
			var b Bill
			if err := tx.Select("id", "total_minor", "paid_minor").First(&b, l.BillID).Error; err != nil {
				return err
			}
			paid := b.PaidMinor + l.AmountMinor
			status := BillPartiallyPaid
			if paid == b.TotalMinor {
				status = BillPaid
			}
			if err := tx.Model(&Bill{ID: b.ID}).Updates(map[string]any{"paid_minor": paid, "status": status, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		method := in.Method
		return tx.Model(&PaymentRun{ID: r.ID}).Updates(map[string]any{"status": PaymentPaid, "paid_on": paidOn, "paid_method": method,
			"reference": ref, "paid_by_id": v.UserID, "updated_at": now}).Error
	})
}

// CancelPaymentRun cancels a run not yet paid, releasing what it held of its bills; one
// waiting for approval leaves its approvers' queues.
func CancelPaymentRun(ctx context.Context, db *gorm.DB, v Viewer, id int64, fileNotPaid bool) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r PaymentRun
		if err := lockVisibleRun(tx, v, id, &r); err != nil {
			return err
		}
		if !r.Cancellable() {
			return outlay.Conflict("This payment is " + strings.ToLower(PaymentStatusLabel(r.Status)) + " and cannot be cancelled.")
		}
		// Its bills would be free to pay again, in another run and another file.
		if err := refuseIfFileMade(r.FileMade, r.Number, "Cancel it", fileNotPaid); err != nil {
			return err
		}
		if r.Status == PaymentSubmitted {
			if err := CancelRoute(tx, DocPayment, r.ID); err != nil {
				return err
			}
		}
		return tx.Model(&PaymentRun{ID: r.ID}).Updates(map[string]any{"status": PaymentCancelled, "updated_at": time.Now()}).Error
	})
}
