package models

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/auth"
	"outlay/bankfile"
	"outlay/mail"
)

// BankAccountPurpose derives the key that seals the IBANs of people and of the organisation
// from OUTLAY_SECRET_KEY.
const BankAccountPurpose = "bank account numbers"

// ErrNoSecretKey means bank accounts cannot be stored or read: the deployment has no
// OUTLAY_SECRET_KEY to seal them with.
var ErrNoSecretKey = outlay.Conflict("Bank accounts cannot be kept here: the server has no OUTLAY_SECRET_KEY to encrypt them with. Ask the operator to set one.")

// BankAccount is the account a person is paid back into. The IBAN is sealed for its owner,
// so the audit log records its changes redacted and a copied value opens for nobody else.
type BankAccount struct {
	UserID        int64 `gorm:"primaryKey;autoIncrement:false"`
	AccountHolder string
	IBANSealed    []byte `gorm:"column:iban_sealed"`
	BIC           string `gorm:"column:bic"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName is where people's bank accounts are kept.
func (BankAccount) TableName() string { return "user_bank_accounts" }

// BankAccountContext binds a person's sealed IBAN to them, so a value copied onto another
// person's row does not open there.
func BankAccountContext(userID int64) string {
	return "user_bank_accounts.iban_sealed:" + strconv.FormatInt(userID, 10)
}

// OrgBankContext binds the organisation's sealed IBAN to its settings row.
const OrgBankContext = "org_settings.bank_iban_sealed"

// BankDetails is an account as pages and bank files use it: opened, never stored like this.
type BankDetails struct {
	Holder string
	IBAN   bankfile.IBAN
	BIC    string
}

// BankDetailsInput is the bank account form as typed.
type BankDetailsInput struct {
	Holder string `form:"holder"`
	IBAN   string `form:"iban"`
	BIC    string `form:"bic"`
}

// validate checks the form: a holder's name, an IBAN whose country, length and check digits
// are right, and a BIC if one is given. Each mistake is named beside its field.
func (in BankDetailsInput) validate() (BankDetails, error) {
	verr := outlay.ValidationErrors{}
	d := BankDetails{Holder: oneSpaced(in.Holder)}
	switch n := len([]rune(d.Holder)); {
	case n == 0:
		verr.Add("holder", "Enter the name the account is held in.")
	case n > 140:
		verr.Add("holder", tooLong("An account holder's name", 140, n))
	default:
		checkOneLine(verr, "holder", d.Holder)
	}
	iban, err := bankfile.ParseIBAN(in.IBAN)
	switch {
	case strings.TrimSpace(in.IBAN) == "":
		verr.Add("iban", "Enter the IBAN.")
	case err != nil:
		verr.Add("iban", err.Error())
	}
	d.IBAN = iban
	if strings.TrimSpace(in.BIC) != "" {
		bic, err := bankfile.ParseBIC(in.BIC)
		if err != nil {
			verr.Add("bic", err.Error())
		}
		d.BIC = bic
	}
	return d, verr.Err()
}

// Validate names each mistake of the form beside its field, storing nothing: the bank account
// page checks the form before it asks the person to prove who they are.
func (in BankDetailsInput) Validate() error {
	_, err := in.validate()
	return err
}

// GetBankAccount opens the person's bank account; nil when they keep none.
func GetBankAccount(ctx context.Context, db *gorm.DB, box *auth.SecretBox, userID int64) (*BankDetails, error) {
	accounts, err := GetBankAccounts(ctx, db, box, []int64{userID})
	return accounts[userID], err
}

// GetBankAccounts opens the bank accounts of the people given, in one query: a person who
// keeps none is not in the map.
func GetBankAccounts(ctx context.Context, db *gorm.DB, box *auth.SecretBox, userIDs []int64) (map[int64]*BankDetails, error) {
	var rows []BankAccount
	if err := db.WithContext(ctx).Where("user_id IN ?", userIDs).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]*BankDetails, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	if box == nil {
		return nil, ErrNoSecretKey
	}
	for _, a := range rows {
		iban, err := box.Open(a.IBANSealed, BankAccountContext(a.UserID))
		if err != nil {
			return nil, err
		}
		out[a.UserID] = &BankDetails{Holder: a.AccountHolder, IBAN: bankfile.IBAN(iban), BIC: a.BIC}
	}
	return out, nil
}

// SetBankAccount keeps the person's bank account as typed, replacing the one they had, and
// mails them that it changed (notifyBankAccountChanged), in the same transaction. A mistake
// is named beside its field and nothing is stored.
func SetBankAccount(ctx context.Context, db *gorm.DB, box *auth.SecretBox, userID int64, in BankDetailsInput) (*BankDetails, error) {
	d, err := in.validate()
	if err != nil {
		return nil, err
	}
	if box == nil {
		return nil, ErrNoSecretKey
	}
	sealed := box.Seal(string(d.IBAN), BankAccountContext(userID))
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur BankAccount
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("user_id = ?", userID).Take(&cur).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			if err := tx.Create(&BankAccount{UserID: userID, AccountHolder: d.Holder, IBANSealed: sealed, BIC: d.BIC}).Error; err != nil {
				return err
			}
			return notifyBankAccountChanged(tx, userID, nil, &d)
		}
		if err != nil {
			return err
		}
		// What it was is read first: Updates writes the new values onto cur. An IBAN that no
		// longer opens is told of as unreadable rather than refusing the change.
		before := &BankDetails{Holder: cur.AccountHolder}
		if iban, err := box.Open(cur.IBANSealed, BankAccountContext(userID)); err == nil {
			before.IBAN = bankfile.IBAN(iban)
		}
		if err := tx.Model(&cur).Updates(map[string]any{"account_holder": d.Holder, "iban_sealed": sealed, "bic": d.BIC,
			"updated_at": time.Now()}).Error; err != nil {
			return err
		}
		return notifyBankAccountChanged(tx, userID, before, &d)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// MailBankAccountChanged is the kind of the mail telling a person that the bank account they
// are paid back into was changed or removed: a security notice, not an event a person can turn
// off, since whoever holds a stolen session would otherwise turn it off before redirecting the
// money.
const MailBankAccountChanged = "bank_account_changed"

// notifyBankAccountChanged mails person userID, at the address on file, that their bank
// account went from before (nil: none) to after (nil: removed), both masked, so that someone
// who did not make the change can tell their admin before the next reimbursement is paid. The
// mail is written to the outbox in tx and its delivery is queued by the request's Notifier
// after the commit; without a Notifier in the context (seeding sample data) nothing is
// recorded.
func notifyBankAccountChanged(tx *gorm.DB, userID int64, before, after *BankDetails) error {
	n := notifierFrom(tx.Statement.Context)
	if n == nil {
		return nil
	}
	var to recipient
	if err := tx.Raw(`SELECT id, name, email FROM users WHERE id = ?`, userID).Scan(&to).Error; err != nil || to.Email == "" {
		return err
	}
	was, now := "none", "none"
	if before != nil {
		was = describeBankDetails(*before)
	}
	what, risk := "changed", "your next reimbursements would be paid into the new account."
	if after != nil {
		now = describeBankDetails(*after)
	} else {
		what, risk = "removed", "until an account is added again, your reimbursements cannot be paid by bank transfer."
	}
	subject := "Your bank account for reimbursements from " + n.OrgName + " was " + what
	body := "Hello " + to.Name + ",\n\nThe bank account your expense reports from " + n.OrgName + " are paid back into was " + what + " in Outlay.\n\n" +
		"Before: " + was + "\nNow: " + now + "\n\n" +
		"If this wasn't you, tell your admin at once: " + risk + "\n"
	id, err := QueueMail(tx.Statement.Context, tx, MailBankAccountChanged,
		mail.Message{To: to.Email, Subject: subject, Body: body, HTML: mail.TextToHTML(subject, body)}, false)
	if err != nil {
		return err
	}
	n.willSend(id)
	return nil
}

// describeBankDetails names an account in a notice: masked, with its holder.
func describeBankDetails(d BankDetails) string {
	account := d.IBAN.Masked()
	if account == "" {
		account = "an account that can no longer be read"
	}
	return account + " in the name of " + d.Holder
}

// ErrNoBankAccount means the person keeps no bank account to remove.
var ErrNoBankAccount = outlay.NotFound("You keep no bank account here: there is nothing to remove.")

// RemoveBankAccount forgets the person's bank account and, in the same transaction, mails
// them the account removed, masked (notifyBankAccountChanged); a person who keeps none gets
// ErrNoBankAccount. An IBAN that no longer opens, or no box to open it with, does not stop
// the removal: the mail tells of it as unreadable.
func RemoveBankAccount(ctx context.Context, db *gorm.DB, box *auth.SecretBox, userID int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur BankAccount
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("user_id = ?", userID).Take(&cur).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNoBankAccount
		}
		if err != nil {
			return err
		}
		before := &BankDetails{Holder: cur.AccountHolder}
		if box != nil {
			if iban, err := box.Open(cur.IBANSealed, BankAccountContext(userID)); err == nil {
				before.IBAN = bankfile.IBAN(iban)
			}
		}
		if err := tx.Where("user_id = ?", userID).Delete(&BankAccount{}).Error; err != nil {
			return err
		}
		return notifyBankAccountChanged(tx, userID, before, nil)
	})
}

// orgBankRow is the organisation's account as its settings row keeps it.
type orgBankRow struct {
	BankAccountName string
	BankIBANSealed  []byte `gorm:"column:bank_iban_sealed"`
	BankBIC         string `gorm:"column:bank_bic"`
}

// GetOrgBankAccount opens the account the organisation pays from; nil when none is set.
func GetOrgBankAccount(ctx context.Context, db *gorm.DB, box *auth.SecretBox) (*BankDetails, error) {
	var row orgBankRow
	err := db.WithContext(ctx).Raw(`SELECT bank_account_name, bank_iban_sealed, bank_bic FROM org_settings WHERE id = 1`).Scan(&row).Error
	if err != nil || len(row.BankIBANSealed) == 0 {
		return nil, err
	}
	if box == nil {
		return nil, ErrNoSecretKey
	}
	iban, err := box.Open(row.BankIBANSealed, OrgBankContext)
	if err != nil {
		return nil, err
	}
	return &BankDetails{Holder: row.BankAccountName, IBAN: bankfile.IBAN(iban), BIC: row.BankBIC}, nil
}

// SetOrgBankAccount keeps the account the organisation pays reimbursements from (the debtor
// of its payment files), checked as a person's is.
func SetOrgBankAccount(ctx context.Context, db *gorm.DB, box *auth.SecretBox, in BankDetailsInput) (*BankDetails, error) {
	d, err := in.validate()
	if err != nil {
		return nil, err
	}
	if box == nil {
		return nil, ErrNoSecretKey
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Model(&OrgSettings{ID: 1}).Updates(map[string]any{"bank_account_name": d.Holder,
			"bank_iban_sealed": box.Seal(string(d.IBAN), OrgBankContext), "bank_bic": d.BIC, "updated_at": time.Now()}).Error
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}
