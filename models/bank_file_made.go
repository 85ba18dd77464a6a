package models

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/bankfile"
)

// FileMade is what a payment run or a reimbursement batch records of the first bank file made
// of it. A downloaded file may be at the bank, so every later file of the same run or batch
// carries the same message id, which a bank refuses twice; and taking a report out of the
// batch, or cancelling the run, asks the person to say the bank will not pay from that file.
type FileMade struct {
	FileMessageID *string
	FileMadeAt    *time.Time
	FileMadeByID  *int64
}

// Made reports whether a bank file was made.
func (f FileMade) Made() bool { return f.FileMessageID != nil }

// makeBankFile makes a bank file of the row id of table ("payment_runs" or
// "reimbursement_batches"), numbered number, by write, with the message id every file of it
// carries: the one recorded, or a new one recorded as made by actorID once write succeeds (a
// file refused for what it lacks is not made). The row is locked meanwhile, so two downloads
// at once record one id, and write reads what the file pays under that lock (tx): a report
// taken out, or a run cancelled, meanwhile is either not in the file or waits for it. made is
// the moment of the first file: every file of the run or batch is dated by it, so that a
// download again is the same file to the bank.
func makeBankFile(ctx context.Context, db *gorm.DB, table string, id int64, number string, actorID int64,
	write func(tx *gorm.DB, msgID string, made time.Time) error) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var f FileMade
		if err := tx.Table(table).Clauses(clause.Locking{Strength: "UPDATE"}).Select("file_message_id, file_made_at, file_made_by_id").
			Where("id = ?", id).Take(&f).Error; err != nil {
			return err
		}
		if f.FileMessageID != nil && f.FileMadeAt != nil {
			return write(tx, *f.FileMessageID, *f.FileMadeAt)
		}
		now := time.Now().UTC().Truncate(time.Second)
		msg := number + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if err := write(tx, msg, now); err != nil {
			return err
		}
		return tx.Table(table).Where("id = ?", id).Updates(map[string]any{"file_message_id": msg, "file_made_at": now,
			"file_made_by_id": actorID}).Error
	})
}

// MakeBatchFile is makeBankFile of reimbursement batch id: write reads the batch afresh.
func MakeBatchFile(ctx context.Context, db *gorm.DB, id int64, number string, actorID int64, write func(msgID string, made time.Time) error) error {
	return makeBankFile(ctx, db, "reimbursement_batches", id, number, actorID, func(_ *gorm.DB, msgID string, made time.Time) error {
		return write(msgID, made)
	})
}

// InBankFile reports whether a report of a batch, in currency and paying net, is among the
// transfers of the batch's SEPA file: a euro report that pays something. The file is made by
// this rule, and taking a report out asks about the file by it.
func InBankFile(currency string, net int64) bool {
	return currency == bankfile.SEPACurrency && net > 0
}

// InBankFile is InBankFile of the report.
func (r BatchReport) InBankFile() bool { return InBankFile(r.Currency, r.Net().Minor) }

// SEPALimitRefusal is the refusal of a SEPA file (pain.001) one of whose transfers is above
// the SEPA limit (tooLarge, from bankfile.WritePain001): file names the file as its page
// does, payee the person or vendor the transfer pays, and remedy says what to do instead.
// A bank refuses such a file whole, so none is made.
func SEPALimitRefusal(file string, tooLarge *bankfile.TransferTooLargeError, payee, remedy string) error {
	return outlay.Conflict(fmt.Sprintf("The %s cannot be made: it would pay %s %s in one transfer, above the SEPA limit of %s for one transfer, and the bank would refuse the whole file. %s",
		file, payee, tooLarge.Transfer.Amount, bankfile.SEPAMaxTransfer, remedy))
}

// FileNotPaid is what a person says to take a report out of a batch, or cancel a run, whose
// bank file was made: that the bank will not pay from it.
const FileNotPaid = "file_not_paid"

// refuseIfFileMade refuses changing what a made bank file pays unless notPaid, the person's
// word that the bank will not pay from it.
func refuseIfFileMade(f FileMade, number, change string, notPaid bool) error {
	if !f.Made() || notPaid {
		return nil
	}
	return outlay.Conflict(fmt.Sprintf("The bank file of %s was downloaded on %s: the bank may already pay from it. %s only if that file was never sent to the bank, or the bank cancelled it: tick the box that says so and try again.",
		number, f.FileMadeAt.UTC().Format("2 Jan 2006 15:04 UTC"), change))
}
