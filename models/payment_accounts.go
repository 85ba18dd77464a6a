package models

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay/auth"
)

// PaymentRunVendor is the bank account a payment run pays one vendor: the vendor's bank
// details as they stood when the run was submitted for approval or, for a vendor that had
// none of the run's scheme then, when the run was approved. The approver sees it, masked, and
// the run's bank file is written from it alone, so a change of the vendor's details after
// that never moves the run's money: paying a new account takes a new run, approved again.
// The account number stays sealed as the vendor's record seals it (bound to the vendor).
type PaymentRunVendor struct {
	ID            int64
	PaymentRunID  int64
	VendorID      int64
	Scheme        string
	HolderName    string
	BIC           string `gorm:"column:bic"`
	RoutingNumber string
	AccountType   string
	AccountSecret []byte
	AccountMasked string
	// BankUpdatedAt is the version of the vendor's bank details copied: their updated_at.
	BankUpdatedAt time.Time
	CreatedAt     time.Time
}

// bankAccount is the copy as the vendor's bank details it was taken from, which open and are
// written to bank files the same way.
func (p PaymentRunVendor) bankAccount() VendorBankAccount {
	return VendorBankAccount{VendorID: p.VendorID, Scheme: p.Scheme, HolderName: p.HolderName, BIC: p.BIC,
		RoutingNumber: p.RoutingNumber, AccountType: p.AccountType, AccountSecret: p.AccountSecret,
		AccountMasked: p.AccountMasked, UpdatedAt: p.BankUpdatedAt}
}

// BankScheme is the scheme of account a run's bank file pays (BankIBAN for pain.001,
// BankUSACH for NACHA), "" for a run no bank file carries.
func BankScheme(r PaymentRun) string {
	switch BankFileKind(r) {
	case "pain.001":
		return BankIBAN
	case "NACHA":
		return BankUSACH
	}
	return ""
}

// copyRunBankAccounts copies onto run r the bank details of the run's scheme that each of its
// vendors keeps. fresh (at submission) first forgets the copies of an earlier round, so that
// a run sent back and submitted again pays what its new approval sees; otherwise (at
// approval) only a vendor without a copy gets one, which is how a vendor that had no details
// when the run was submitted is paid those it has when the run is approved. The vendors'
// details are read under a share lock, so a change being saved is copied whole or not at all.
func copyRunBankAccounts(tx *gorm.DB, r PaymentRun, fresh bool) error {
	if fresh {
		if err := tx.Where("payment_run_id = ?", r.ID).Delete(&PaymentRunVendor{}).Error; err != nil {
			return err
		}
	}
	scheme := BankScheme(r)
	if scheme == "" {
		return nil
	}
	var accounts []VendorBankAccount
	err := tx.Clauses(clause.Locking{Strength: "SHARE"}).
		Where("scheme = ? AND vendor_id IN (SELECT vendor_id FROM payment_lines WHERE payment_run_id = ?)", scheme, r.ID).
		Where("vendor_id NOT IN (SELECT vendor_id FROM payment_run_vendors WHERE payment_run_id = ?)", r.ID).
		Order("vendor_id").Find(&accounts).Error
	if err != nil || len(accounts) == 0 {
		return err
	}
	copies := make([]PaymentRunVendor, len(accounts))
	for i, a := range accounts {
		copies[i] = PaymentRunVendor{PaymentRunID: r.ID, VendorID: a.VendorID, Scheme: a.Scheme, HolderName: a.HolderName,
			BIC: a.BIC, RoutingNumber: a.RoutingNumber, AccountType: a.AccountType, AccountSecret: a.AccountSecret,
			AccountMasked: a.AccountMasked, BankUpdatedAt: a.UpdatedAt}
	}
	return tx.Create(&copies).Error
}

// runBankAccounts reads the accounts copied onto run runID, by vendor.
func runBankAccounts(tx *gorm.DB, runID int64) (map[int64]VendorBankAccount, error) {
	var rows []PaymentRunVendor
	if err := tx.Where("payment_run_id = ?", runID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]VendorBankAccount, len(rows))
	for _, p := range rows {
		out[p.VendorID] = p.bankAccount()
	}
	return out, nil
}

// RunPayee is where a run pays one vendor, as the run's page and its approver read it.
type RunPayee struct {
	VendorID   int64
	VendorName string
	// Copied is the account the run pays, copied onto it when it was submitted or approved;
	// nil while the run is a draft or sent back (nothing is copied yet, or the copy of an
	// earlier round is taken again at the next submission), and for a vendor that had no
	// details of the run's scheme when they were copied.
	Copied *VendorBankAccount
	// Current is the vendor's bank details now; nil when it keeps none.
	Current *VendorBankAccount
	// Changed: the vendor's details now are not those copied (changed, or removed) since.
	Changed bool
}

// PaymentRunPayees lists, for each vendor of run d that has a bank file, the account the run
// pays and the vendor's bank details now; a run no bank file carries (cheques, cards, other
// currencies) has none. box opens account numbers, to tell a save that changed nothing from
// a change; without it any save since the copy counts as a change.
func PaymentRunPayees(ctx context.Context, db *gorm.DB, box *auth.SecretBox, d *PaymentRunDetail) ([]RunPayee, error) {
	if BankScheme(d.Run) == "" || len(d.Vendors) == 0 {
		return nil, nil
	}
	tx := db.WithContext(ctx)
	ids := make([]int64, len(d.Vendors))
	for i, vp := range d.Vendors {
		ids[i] = vp.VendorID
	}
	var current []VendorBankAccount
	if err := tx.Where("vendor_id IN ?", ids).Find(&current).Error; err != nil {
		return nil, err
	}
	copied := map[int64]VendorBankAccount{}
	if slices.Contains([]string{PaymentSubmitted, PaymentApproved, PaymentPaid}, d.Run.Status) {
		var err error
		if copied, err = runBankAccounts(tx, d.Run.ID); err != nil {
			return nil, err
		}
	}
	out := make([]RunPayee, len(d.Vendors))
	for i, vp := range d.Vendors {
		p := RunPayee{VendorID: vp.VendorID, VendorName: vp.VendorName}
		for j := range current {
			if current[j].VendorID == vp.VendorID {
				p.Current = &current[j]
			}
		}
		if c, ok := copied[vp.VendorID]; ok {
			p.Copied = &c
			p.Changed = p.Current == nil || !sameBankDetails(box, p.Copied, p.Current)
		}
		out[i] = p
	}
	return out, nil
}
