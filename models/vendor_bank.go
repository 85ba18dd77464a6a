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
)

// VendorBankSecretPurpose derives the key that seals vendors' account numbers from
// OUTLAY_SECRET_KEY (auth.NewSecretBox).
const VendorBankSecretPurpose = "vendor bank account numbers"

// Bank account schemes: an IBAN (euro transfers, pain.001) or a US routing and account
// number (ACH, NACHA).
const (
	BankIBAN  = "iban"
	BankUSACH = "us_ach"
)

// US account types, which decide an ACH entry's transaction code.
const (
	AccountChecking = "checking"
	AccountSavings  = "savings"
)

// VendorBankAccount is where a vendor is paid. The account number (or IBAN) is kept only
// sealed; AccountMasked is what people see.
type VendorBankAccount struct {
	VendorID      int64 `gorm:"primaryKey;autoIncrement:false"`
	Scheme        string
	HolderName    string
	BIC           string `gorm:"column:bic"`
	RoutingNumber string
	AccountType   string
	AccountSecret []byte
	AccountMasked string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// SecretContext binds a sealed account number to its vendor, so a value copied onto another
// vendor's row does not open there.
func (a *VendorBankAccount) SecretContext() string {
	return "vendor_bank_accounts.account_secret:" + strconv.FormatInt(a.VendorID, 10)
}

// Account opens the account number (US) or IBAN, for a bank file; nothing else needs it.
func (a *VendorBankAccount) Account(box *auth.SecretBox) (string, error) {
	if box == nil {
		return "", auth.ErrUnsealable
	}
	return box.Open(a.AccountSecret, a.SecretContext())
}

// SchemeLabel names how the vendor is paid.
func (a *VendorBankAccount) SchemeLabel() string {
	if a.Scheme == BankUSACH {
		return "US bank account (ACH)"
	}
	return "IBAN (SEPA transfer)"
}

// AccountLabel names the account masked, as approvers and notices read it: "IBAN FR14 ••••
// 2606", or "US account •••• 4321 (routing 011000015)".
func (a *VendorBankAccount) AccountLabel() string {
	if a.Scheme == BankUSACH {
		return "US account " + a.AccountMasked + " (routing " + a.RoutingNumber + ")"
	}
	return "IBAN " + a.AccountMasked
}

// sameBankDetails reports whether a and b pay the same account in the same name: the same
// version of a vendor's details, or the same scheme, holder, BIC, routing number, type and
// account number (a save that changed nothing). box opens the account numbers; without it,
// or when one does not open, two versions count as different.
func sameBankDetails(box *auth.SecretBox, a, b *VendorBankAccount) bool {
	if a.VendorID == b.VendorID && a.UpdatedAt.Equal(b.UpdatedAt) {
		return true
	}
	if a.Scheme != b.Scheme || a.HolderName != b.HolderName || a.BIC != b.BIC || a.RoutingNumber != b.RoutingNumber ||
		a.AccountType != b.AccountType || a.AccountMasked != b.AccountMasked {
		return false
	}
	x, errA := a.Account(box)
	y, errB := b.Account(box)
	return errA == nil && errB == nil && x == y
}

// VendorBankInput is what the bank details form asks for.
type VendorBankInput struct {
	FormVersion   // of the vendor's bank details (NoVersion: none were kept), as the form was read
	Scheme        string
	HolderName    string
	IBAN          string
	BIC           string
	RoutingNumber string
	AccountNumber string
	AccountType   string
}

// GetVendorBankAccount returns the vendor's bank details, or ErrNotFound when none are kept.
func GetVendorBankAccount(ctx context.Context, db *gorm.DB, vendorID int64) (*VendorBankAccount, error) {
	var a VendorBankAccount
	err := db.WithContext(ctx).Where("vendor_id = ?", vendorID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.ErrNotFound
	}
	return &a, err
}

// SaveVendorBankAccount validates in and keeps it as the vendor's bank details, replacing any
// before: the IBAN checked by its check digits and its country's length, a BIC by its form,
// a US routing number by its check digit. The account number is sealed with box; without
// one (no OUTLAY_SECRET_KEY) nothing can be kept and the form says so. A save that changes
// where or in whose name the vendor is paid is told to the organisation's admins, in the app
// and by mail (notifyVendorBankChanged); runs already submitted keep paying the account copied
// onto them (PaymentRunVendor). A form read before the details were last changed, made or
// removed is refused (StaleFormError) before anything else is checked, so that the account
// number, which a refused form does not show again, is typed again only once.
func SaveVendorBankAccount(ctx context.Context, db *gorm.DB, box *auth.SecretBox, vendorID int64, in VendorBankInput) error {
	a := VendorBankAccount{VendorID: vendorID, Scheme: in.Scheme, HolderName: oneSpaced(in.HolderName)}
	verr := outlay.ValidationErrors{}
	if box == nil {
		verr.Add("", "Bank details cannot be kept until the server has a secret key (OUTLAY_SECRET_KEY).")
	}
	if a.HolderName == "" {
		verr.Add("holder_name", "Enter the account holder's name.")
	}
	checkLength(verr, "holder_name", "An account holder's name", a.HolderName, 140)
	checkOneLine(verr, "holder_name", a.HolderName)
	var account string
	switch in.Scheme {
	case BankIBAN:
		iban, err := bankfile.ParseIBAN(in.IBAN)
		if strings.TrimSpace(in.IBAN) == "" {
			verr.Add("iban", "Enter the IBAN.")
		} else if err != nil {
			verr.Add("iban", err.Error())
		}
		if strings.TrimSpace(in.BIC) != "" {
			bic, err := bankfile.ParseBIC(in.BIC)
			if err != nil {
				verr.Add("bic", err.Error())
			}
			a.BIC = bic
		}
		account, a.AccountMasked = string(iban), iban.Masked()
	case BankUSACH:
		a.RoutingNumber = strings.TrimSpace(in.RoutingNumber)
		if !bankfile.ValidRoutingNumber(a.RoutingNumber) {
			verr.Add("routing_number", "Enter the nine-digit ABA routing number; this one's check digit is wrong.")
		}
		account = strings.ReplaceAll(strings.TrimSpace(in.AccountNumber), " ", "")
		if !bankfile.ValidACHAccountNumber(account) {
			verr.Add("account_number", "Enter the account number: up to 17 digits (letters and hyphens where the bank uses them).")
		}
		a.AccountType = in.AccountType
		if a.AccountType != AccountChecking && a.AccountType != AccountSavings {
			verr.Add("account_type", "Choose checking or savings.")
		}
		a.AccountMasked = MaskAccountNumber(account)
	default:
		verr.Add("scheme", "Choose IBAN or US bank account.")
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The vendor locked, two saves of its details, which may find none to lock, are one
		// after the other.
		if _, err := lockVersion(tx, "vendors", vendorID); err != nil {
			return err
		}
		var existing VendorBankAccount
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("vendor_id = ?", vendorID).Take(&existing).Error
		kept := err == nil
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if err := in.checkSetUnchanged("bank details", existing.UpdatedAt); err != nil {
			return err
		}
		if err := verr.Err(); err != nil {
			return err
		}
		a.AccountSecret = box.Seal(account, a.SecretContext())
		vendor, err := GetVendor(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if !kept {
			if err := tx.Create(&a).Error; err != nil {
				return err
			}
			return notifyVendorBankChanged(tx, vendor, nil, &a)
		}
		before := existing // the update writes the new values into the model it is given
		if err := tx.Model(&existing).Select("scheme", "holder_name", "bic", "routing_number", "account_type",
			"account_secret", "account_masked", "updated_at").Updates(&VendorBankAccount{Scheme: a.Scheme,
			HolderName: a.HolderName, BIC: a.BIC, RoutingNumber: a.RoutingNumber, AccountType: a.AccountType,
			AccountSecret: a.AccountSecret, AccountMasked: a.AccountMasked, UpdatedAt: time.Now()}).Error; err != nil {
			return err
		}
		if sameBankDetails(box, &before, &a) {
			return nil
		}
		return notifyVendorBankChanged(tx, vendor, &before, &a)
	})
}

// RemoveVendorBankAccount forgets the vendor's bank details; the admins are told.
func RemoveVendorBankAccount(ctx context.Context, db *gorm.DB, vendorID int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing VendorBankAccount
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("vendor_id = ?", vendorID).Take(&existing).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return outlay.ErrNotFound
		} else if err != nil {
			return err
		}
		if err := tx.Where("vendor_id = ?", vendorID).Delete(&VendorBankAccount{}).Error; err != nil {
			return err
		}
		vendor, err := GetVendor(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		return notifyVendorBankChanged(tx, vendor, &existing, nil)
	})
}

// MaskAccountNumber shows only the last four characters of an account number: "•••• 6789".
func MaskAccountNumber(s string) string {
	if len(s) <= 4 {
		return "••••"
	}
	return "•••• " + s[len(s)-4:]
}
