package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
)

// SendBackExpense sends approved report id back to its owner, with the reason, for them to
// correct and submit again (a new round of approval): AP found something wrong before paying
// it. A report scheduled in a batch is taken out of it first; a paid one stays paid. One that
// went to the accounting system (an export batch) stays too: that system holds it as owed.
// Any cash advance it netted is released for the report's next approval to net again.
func SendBackExpense(ctx context.Context, db *gorm.DB, actorID, id int64, reason string) (*ExpenseReport, error) {
	reason = strings.TrimSpace(strings.ReplaceAll(reason, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return nil, outlay.ValidationErrors{"reason": "Say what is wrong, so that its owner can correct it."}
	case n > 2000:
		return nil, outlay.ValidationErrors{"reason": tooLong("A reason", 2000, n)}
	case !plainText(reason):
		return nil, outlay.ValidationErrors{"reason": "Use plain text."}
	}
	var r ExpenseReport
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&r, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNoSuchExpense
		}
		if err != nil {
			return err
		}
		name := reportName(r)
		switch r.Status {
		case ExpenseApproved:
		case ExpenseScheduled:
			return outlay.Conflict(name + " is in a reimbursement batch: take it out of the batch first, then send it back.")
		default:
			return outlay.Conflict(fmt.Sprintf("Only an approved report that is not paid yet can be sent back; %s is %s.", name, r.Status))
		}
		var batch int64
		if err := tx.Raw(`SELECT batch_id FROM export_batch_documents WHERE doc_type = ? AND doc_id = ? ORDER BY batch_id LIMIT 1`,
			DocExpense, r.ID).Scan(&batch).Error; err != nil {
			return err
		}
		if batch != 0 {
			return outlay.Conflict(fmt.Sprintf("%s went to the accounting system in export batch %d, which holds it as owed: pay it, and correct it there and in a new report.", name, batch))
		}
		if err := tx.Where("report_id = ?", r.ID).Delete(&AdvanceDeduction{}).Error; err != nil {
			return err
		}
		now := time.Now()
		if err := tx.Model(&r).Updates(map[string]any{"status": ExpenseReturned, "advance_minor": 0, "sent_back_by_id": actorID,
			"sent_back_at": now, "sent_back_reason": reason, "updated_at": now}).Error; err != nil {
			return err
		}
		var by string
		if err := tx.Raw(`SELECT name FROM users WHERE id = ?`, actorID).Scan(&by).Error; err != nil {
			return err
		}
		doc := ApprovalDocument{Type: DocExpense, ID: r.ID, RequesterID: r.OwnerID, DepartmentID: r.DepartmentID, Total: r.Total()}
		return notifyDecided(tx, doc, outcomeSentBack, ApprovalStep{Comment: reason}, by)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}
