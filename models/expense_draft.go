package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
)

// An expense report's life as its owner sees it: saved as a draft as often as they like,
// submitted (it takes its number and goes into approval), returned by an approver to be
// changed and submitted again under the same number. Every change is one transaction of
// GORM model operations, so the audit log records it whole or not at all.

// ErrExpenseFormAlreadySaved refuses a new-report form posted a second time; SaveExpense
// returns the report its first post made with it.
var ErrExpenseFormAlreadySaved = outlay.Conflict("This form was already saved.")

// SaveExpense stores an owner's report as typed: a new draft when id is 0, otherwise their
// own report id, which must still be editable (draft or returned) and, when in carries the
// version its form was read at, unchanged since then (StaleFormError). Blank lines are
// dropped; amounts are priced here. With submit, the same transaction then submits it, so
// a report refused for submission is not saved either. Another person's report is not
// found. A new report's form posted again (same in.FormKey) makes nothing: it returns the
// report of its first post and ErrExpenseFormAlreadySaved.
func SaveExpense(ctx context.Context, db *gorm.DB, ownerID, id int64, in ExpenseInput, submit bool) (*ExpenseReport, error) {
	var r ExpenseReport
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id != 0 {
			if err := lockOwnExpense(tx, ownerID, id, &r); err != nil {
				return in.DraftGone("expense report", err)
			}
			if !r.Editable() {
				return outlay.Conflict("This expense report is no longer editable: it is waiting for approval or was decided.")
			}
			if err := in.checkUnchanged("expense report", r.UpdatedAt); err != nil {
				return err
			}
		}
		if key := formKeyOf(in.FormKey); id == 0 && key != nil {
			// The same form posted again finds what its first post made, before anything
			// is checked again; two posts at once are taken one after the other.
			if saved, err := formAlreadySaved(tx, "expense", "owner_id", ownerID, *key, &r); saved || err != nil {
				return cmp.Or(err, ErrExpenseFormAlreadySaved)
			}
		}
		was := reportPeriod{r.PeriodFrom, r.PeriodTo}
		if submit {
			was = reportPeriod{}
		}
		p, verr, err := priceExpense(tx, ownerID, r.ID, was, in, today())
		if err != nil {
			return err
		}
		if err := verr.Err(); err != nil {
			return err
		}
		if err := writeExpense(tx, ownerID, &r, p); err != nil {
			return err
		}
		if !submit {
			return nil
		}
		return submitExpenseLocked(tx, &r, p.Rows)
	})
	if errors.Is(err, ErrExpenseFormAlreadySaved) {
		return &r, err
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// today is the current day (UTC), against which line dates are checked.
func today() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

// lockOwnExpense loads the owner's report id into r and locks it until the transaction
// ends; anyone else's is not found.
func lockOwnExpense(tx *gorm.DB, ownerID, id int64, r *ExpenseReport) error {
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("owner_id = ?", ownerID).Take(r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNoSuchExpense
	}
	return err
}

// writeExpense creates r (when new) or updates its header, then brings its stored lines in
// line with p, matched by position so that the audit log shows what changed on each.
func writeExpense(tx *gorm.DB, ownerID int64, r *ExpenseReport, p pricedExpense) error {
	now := time.Now()
	if r.ID == 0 {
		*r = ExpenseReport{OwnerID: ownerID, DepartmentID: p.DepartmentID, Title: p.Title, Purpose: p.Purpose,
			PeriodFrom: p.PeriodFrom, PeriodTo: p.PeriodTo, Currency: p.Currency, TotalMinor: p.Total, Status: ExpenseDraft,
			TravelRequestID: r.TravelRequestID, FormKey: p.FormKey}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
	} else {
		err := tx.Model(r).Updates(map[string]any{"department_id": p.DepartmentID, "title": p.Title, "purpose": p.Purpose,
			"period_from": p.PeriodFrom, "period_to": p.PeriodTo, "currency": p.Currency, "total_minor": p.Total, "updated_at": now}).Error
		if err != nil {
			return err
		}
		r.DepartmentID, r.Title, r.Purpose, r.PeriodFrom, r.PeriodTo = p.DepartmentID, p.Title, p.Purpose, p.PeriodFrom, p.PeriodTo
		r.Currency, r.TotalMinor = p.Currency, p.Total
	}
	var old []ExpenseLine
	if err := tx.Where("report_id = ?", r.ID).Order("position").Find(&old).Error; err != nil {
		return err
	}
	if len(old) > len(p.Lines) {
		if err := tx.Where("report_id = ? AND position > ?", r.ID, len(p.Lines)).Delete(&ExpenseLine{}).Error; err != nil {
			return err
		}
	}
	r.Lines = make([]ExpenseLine, len(p.Lines))
	for i, l := range p.Lines {
		l.ReportID, l.Position = r.ID, i+1
		if i < len(old) {
			l.ID, l.CreatedAt, l.UpdatedAt = old[i].ID, old[i].CreatedAt, now
			err := tx.Model(&old[i]).Select("*").Omit("id", "report_id", "position", "created_at").Updates(&l).Error
			if err != nil {
				return err
			}
		} else if err := tx.Create(&l).Error; err != nil {
			return err
		}
		r.Lines[i] = l
	}
	return nil
}

// SubmitExpense sends the owner's stored report into approval, as SaveExpense does with
// submit.
func SubmitExpense(ctx context.Context, db *gorm.DB, ownerID, id int64) (*ExpenseReport, error) {
	var r ExpenseReport
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockOwnExpense(tx, ownerID, id, &r); err != nil {
			return err
		}
		if !r.Editable() {
			return outlay.Conflict("This expense report was already submitted.")
		}
		if err := tx.Where("report_id = ?", id).Order("position").Find(&r.Lines).Error; err != nil {
			return err
		}
		rows := make([]int, len(r.Lines))
		for i := range rows {
			rows[i] = i
		}
		return submitExpenseLocked(tx, &r, rows)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// submitExpenseLocked checks that the locked, stored report may be submitted, gives it a
// number if it has none, marks it submitted and hands it to the approval engine.
func submitExpenseLocked(tx *gorm.DB, r *ExpenseReport, rows []int) error {
	// The limits again, as they stand now: a day's other claims submitted since the draft
	// was saved count towards its per-day limits. One person's submissions are taken one
	// after the other, so that two reports submitted at once each count the other.
	if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtextextended('outlay.expense_owner:' || ?::bigint, 0))`, r.OwnerID).Error; err != nil {
		return err
	}
	was := make([]bool, len(r.Lines))
	for i, l := range r.Lines {
		was[i] = l.OverLimit
	}
	if err := markOverLimit(tx, r.Lines, r.Currency, r.OwnerID, r.ID); err != nil {
		return err
	}
	for i, l := range r.Lines {
		if l.OverLimit != was[i] && l.ID != 0 {
			if err := tx.Model(&ExpenseLine{}).Where("id = ?", l.ID).Update("over_limit", l.OverLimit).Error; err != nil {
				return err
			}
		}
	}
	if err := checkExpenseSubmittable(tx, r, rows); err != nil {
		return err
	}
	now := time.Now()
	changes := map[string]any{"status": ExpenseSubmitted, "submitted_at": now, "decided_at": nil, "updated_at": now}
	if r.Number == nil {
		n, err := NextNumber(tx, DocExpense)
		if err != nil {
			return err
		}
		r.Number = &n
		changes["number"] = n
	}
	if err := tx.Model(r).Updates(changes).Error; err != nil {
		return err
	}
	r.Status, r.SubmittedAt, r.DecidedAt = ExpenseSubmitted, &now, nil
	doc, err := expenseApproval{}.approvalDocument(tx, r.ID)
	if err != nil {
		return err
	}
	outcome, err := SubmitForApproval(tx, doc)
	if err != nil {
		return err
	}
	if outcome.Approved {
		return tx.Take(r, r.ID).Error
	}
	return nil
}

// ReceiptRequired reports whether an expense line needs a receipt and, when it does, the
// message that tells its owner why. A line needs one when its amount is above the
// organisation's threshold (an amount of exactly the threshold needs none), compared in the
// threshold's currency: the line's own amount when the line is in it, else the line's amount
// at its own rate when the report is in it. The only rates known are the lines' rates to
// their report's currency, so a line whose report and own currency both differ from the
// threshold's cannot be compared; it needs a receipt, and the message says it is for its
// currency rather than claim its amount is above the threshold. Mileage and per diem,
// priced at the organisation's own rates, need none.
func ReceiptRequired(l ExpenseLine, reportCurrency string, threshold money.Money) (bool, string) {
	if l.Kind != LineExpense {
		return false, ""
	}
	var amount int64
	switch {
	case l.Currency == threshold.Currency:
		amount = l.AmountMinor
	case reportCurrency == threshold.Currency:
		amount = l.ReportMinor
	case threshold.Minor == 0:
		// Every amount is above nothing, in whatever currency: no rate is needed to say so.
		amount = l.AmountMinor
	default:
		return true, fmt.Sprintf("Attach a receipt: lines in %s need one, as the receipt threshold is set in %s.", l.Currency, threshold.Currency)
	}
	if amount <= threshold.Minor {
		return false, ""
	}
	return true, fmt.Sprintf("Attach a receipt: lines above %s need one.", threshold)
}

// checkExpenseSubmittable is what a report needs before anyone is asked to approve it.
func checkExpenseSubmittable(tx *gorm.DB, r *ExpenseReport, rows []int) error {
	verr := outlay.ValidationErrors{}
	if r.DepartmentID == nil {
		verr.Add("department", "Choose the department this is for.")
	} else if archived, err := isArchived(tx, "departments", *r.DepartmentID); err != nil {
		return err
	} else if archived {
		verr.Add("department", "This department is archived: choose another.")
	}
	if r.PeriodFrom == nil {
		verr.Add("period_from", "Say when the spending started.")
	}
	if r.PeriodTo == nil {
		verr.Add("period_to", "Say when the spending ended.")
	}
	if !hasVisible(r.Purpose) {
		verr.Add("purpose", "Say what the business purpose was.")
	}
	// A trip's cash advance is settled against its report, in the advance's currency: a
	// report of the trip in another would be paid in full, the advance left owing.
	if r.TravelRequestID != nil {
		var t TravelRequest
		if err := tx.Take(&t, *r.TravelRequestID).Error; err != nil {
			return err
		}
		if t.AdvanceMinor > 0 && t.Currency != r.Currency {
			owed, err := outstandingAdvance(tx, t)
			if err != nil {
				return err
			}
			if owed > 0 {
				verr.Add("currency", fmt.Sprintf("This trip was advanced %s, which this report settles: file it in %s. Lines spent in other currencies are converted into it.",
					money.Money{Minor: owed, Currency: t.Currency}, t.Currency))
			}
		}
	}
	if len(r.Lines) == 0 {
		verr.Add("lines", "Add at least one line.")
	}
	checkLinesInPeriod(verr, pricedExpense{expenseHeader: expenseHeader{PeriodFrom: r.PeriodFrom, PeriodTo: r.PeriodTo},
		Lines: r.Lines, Rows: rows}, reportPeriod{})
	threshold, err := receiptThreshold(tx)
	if err != nil {
		return err
	}
	for i, l := range r.Lines {
		if needed, why := ReceiptRequired(l, r.Currency, threshold); needed && l.ReceiptID == nil {
			verr.Add(ExpenseField(rows[i], "receipt"), why)
		}
		if l.OverLimit && l.Justification == "" {
			verr.Add(ExpenseField(rows[i], "justification"), "This line is over its category's limit, or in a currency its limit cannot be compared with: say why it is needed.")
		}
		if archived, err := isArchived(tx, "expense_categories", l.CategoryID); err != nil {
			return err
		} else if archived {
			verr.Add(ExpenseField(rows[i], "category"), "This category is archived: choose another.")
		}
	}
	return verr.Err()
}

// DeleteExpenseDraft removes the owner's draft that was never submitted, with its lines. A
// report that has a number stays, for the record.
func DeleteExpenseDraft(ctx context.Context, db *gorm.DB, ownerID, id int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r ExpenseReport
		if err := lockOwnExpense(tx, ownerID, id, &r); err != nil {
			return err
		}
		if r.Status != ExpenseDraft || r.Number != nil {
			return outlay.Conflict("Only a draft that was never submitted can be deleted.")
		}
		if err := tx.Where("report_id = ?", id).Delete(&ExpenseLine{}).Error; err != nil {
			return err
		}
		return tx.Delete(&r).Error
	})
}

// AttachReceipt makes an uploaded file the receipt of line lineID of the owner's editable
// report id: the file becomes an attachment of the report (comments and attachments are
// shared by every kind of document) and the line points at it. A receipt is a photo or a
// PDF; anything else is refused beside the line's receipt field.
func AttachReceipt(ctx context.Context, db *gorm.DB, v Viewer, id, lineID int64, in NewAttachment) (*Attachment, error) {
	a, _, err := AttachReceiptFrom(ctx, db, v, id, lineID, in)
	return a, err
}

// AttachReceiptFrom is AttachReceipt, and says the version of the report the receipt was
// attached to (read under its lock): a form read at it may move on to the new version.
func AttachReceiptFrom(ctx context.Context, db *gorm.DB, v Viewer, id, lineID int64, in NewAttachment) (*Attachment, string, error) {
	if !ReceiptType(in.ContentType) {
		return nil, "", outlay.ValidationErrors{"receipt": "A receipt must be a photo (JPEG, PNG, WebP or GIF) or a PDF."}
	}
	var a *Attachment
	var from string
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r ExpenseReport
		if err := lockOwnExpense(tx, v.UserID, id, &r); err != nil {
			return err
		}
		from = VersionAt(r.UpdatedAt)
		if !r.Editable() {
			return outlay.Conflict("This expense report is no longer editable: it is waiting for approval or was decided.")
		}
		var l ExpenseLine
		if err := tx.Where("report_id = ?", id).Take(&l, lineID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return outlay.NotFound("That line does not exist.")
			}
			return err
		}
		var err error
		if a, err = AddAttachment(ctx, tx, v, DocExpense, id, in); err != nil {
			return err
		}
		now := time.Now()
		if err := tx.Model(&l).Updates(map[string]any{"receipt_id": a.ID, "updated_at": now}).Error; err != nil {
			return err
		}
		// The receipt is on the report's form too: a form read before it was attached would
		// save the line without it, so the report's version changes with it.
		return tx.Model(&r).Update("updated_at", now).Error
	})
	return a, from, err
}

// ReceiptType reports whether a file of contentType (sniffed from its bytes) may be a
// receipt: a photo or a PDF.
func ReceiptType(contentType string) bool {
	switch contentType {
	case "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// receiptThreshold is the amount above which an expense line needs a receipt, in the
// organisation's currency.
func receiptThreshold(tx *gorm.DB) (money.Money, error) {
	var row struct {
		ReceiptThresholdMinor int64
		DefaultCurrency       string
	}
	err := tx.Raw(`SELECT receipt_threshold_minor, default_currency FROM org_settings WHERE id = 1`).Scan(&row).Error
	return money.Money{Minor: row.ReceiptThresholdMinor, Currency: row.DefaultCurrency}, err
}

// ReceiptThreshold is the amount above which an expense line needs a receipt.
func ReceiptThreshold(ctx context.Context, db *gorm.DB) (money.Money, error) {
	return receiptThreshold(db.WithContext(ctx))
}

// ReceiptThresholdInput is the receipt threshold's form as typed.
type ReceiptThresholdInput struct {
	FormVersion        // of the organisation's settings, as the form was read
	Amount      string `form:"receipt_threshold"` // in the organisation's currency
}

// SetReceiptThreshold changes the amount above which an expense line needs a receipt,
// typed in the organisation's currency; a form read before the organisation's settings
// changed is refused.
func SetReceiptThreshold(ctx context.Context, db *gorm.DB, in ReceiptThresholdInput) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := in.lockSettings(tx); err != nil {
			return err
		}
		cur, err := receiptThreshold(tx)
		if err != nil {
			return err
		}
		m, err := money.Parse(in.Amount, cur.Currency)
		switch {
		case err != nil:
			return outlay.ValidationErrors{"receipt_threshold": err.Error()}
		case m.Minor < 0:
			return outlay.ValidationErrors{"receipt_threshold": "An amount cannot be negative."}
		case m.Minor > money.Max:
			return outlay.ValidationErrors{"receipt_threshold": "Enter a smaller amount."}
		}
		return tx.Model(&OrgSettings{ID: 1}).Updates(map[string]any{"receipt_threshold_minor": m.Minor, "updated_at": time.Now()}).Error
	})
}

// WithdrawExpense pulls the owner's submitted report back out of approval: its open steps
// are cancelled, and the owner may change it and submit it again under the same number.
func WithdrawExpense(ctx context.Context, db *gorm.DB, ownerID, id int64) (*ExpenseReport, error) {
	var r ExpenseReport
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockOwnExpense(tx, ownerID, id, &r); err != nil {
			return err
		}
		if r.Status != ExpenseSubmitted {
			return outlay.Conflict("Only an expense report waiting for approval can be withdrawn.")
		}
		if err := tx.Model(&r).Updates(map[string]any{"status": ExpenseWithdrawn, "updated_at": time.Now()}).Error; err != nil {
			return err
		}
		return CancelRoute(tx, DocExpense, id)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}
