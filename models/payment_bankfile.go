package models

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/auth"
	"outlay/bankfile"
	"outlay/money"
)

// BankFile is a payment run written for the bank: a file name, its media type and its bytes.
type BankFile struct {
	Name        string
	ContentType string
	Data        []byte
}

// BankFileKind says which bank file a run is written as: pain.001 for euro transfers (ACH
// or wire), NACHA for US dollar ACH; "" for a run no bank file carries (cheques, cards,
// other currencies).
func BankFileKind(r PaymentRun) string {
	switch {
	case r.Currency == "EUR" && (r.Method == MethodWire || r.Method == MethodACH):
		return "pain.001"
	case r.Currency == "USD" && r.Method == MethodACH:
		return "NACHA"
	}
	return ""
}

// transferAboveLimit says whether amount is more than one transfer (or ACH entry) of a bank
// file of kind (BankFileKind: "pain.001" or "NACHA") may carry, with that limit and how the
// file's format names it. It is false for a kind no bank file has. A bank refuses such a file
// whole, so a payment run and a reimbursement batch are refused by it when they are made.
func transferAboveLimit(kind string, amount int64) (limit money.Money, named string, above bool) {
	limit, named, ok := transferLimit(kind)
	return limit, named, ok && amount > limit.Minor
}

// transferLimit is the most one transfer or ACH entry of a bank file of kind may carry, with
// how the file's format names that limit; ok is false for a kind no bank file has.
func transferLimit(kind string) (limit money.Money, named string, ok bool) {
	switch kind {
	case "pain.001":
		return bankfile.SEPAMaxTransfer, "in one transfer, above the SEPA limit of " + bankfile.SEPAMaxTransfer.String() + " for one transfer", true
	case "NACHA":
		return bankfile.NACHAMaxEntry, "in one ACH entry, above the " + bankfile.NACHAMaxEntry.String() + " one entry can carry", true
	}
	return money.Money{}, "", false
}

// runTransferTooLarge is the refusal of a run r that pays vendor amount (minor units of the
// run's currency), more than its bank file can pay one vendor (transferAboveLimit), or "" when
// it can. A bank refuses such a file whole, so the run is refused when it is made, and its
// file (of a run made before that) is not made. made says whether the run exists, to be
// cancelled first. The run may pay part of a bill, so a vendor owed more is paid across runs.
func runTransferTooLarge(r PaymentRun, vendor string, amount int64, made bool) string {
	// The run's file pays each vendor every bill of it the run pays in one transfer.
	limit, named, above := transferAboveLimit(BankFileKind(r), amount)
	if !above {
		return ""
	}
	start, remedy := "This run cannot be paid by its "+BankFileKind(r)+" file", "Pay"
	if made {
		start, remedy = "The "+BankFileKind(r)+" file cannot be made", "Cancel this run and pay"
	}
	other := "a cheque"
	if BankFileKind(r) == "NACHA" {
		other = "a wire"
	}
	return fmt.Sprintf("%s: it would pay %s %s %s, and the bank would refuse the whole file. %s %s across several runs, each paying it at most %s (a run may pay part of a bill), or pay it by another method, such as %s.",
		start, vendor, r.Money(amount), named, remedy, vendor, limit, other)
}

// refuseRunTransfersTooLarge refuses, as runTransferTooLarge words it, the run r whose file
// would pay one of its vendors more than one transfer may: at the run's making (made false)
// and at its file's (made true), by the same rule.
func refuseRunTransfersTooLarge(r PaymentRun, vendors []VendorPayment, made bool) string {
	for _, v := range vendors {
		if msg := runTransferTooLarge(r, v.VendorName, v.Total, made); msg != "" {
			return msg
		}
	}
	return ""
}

// PaymentBankFile writes an approved (or paid) run as its bank file: one transfer (or ACH
// entry) per vendor, of what the run pays it, with the invoices paid as the remittance text.
// Each vendor is paid the bank details copied onto the run when it was submitted or approved
// (PaymentRunVendor), never those it has now: a change after approval does not move the
// run's money, and the run's page warns of it. A vendor that had no details of the file's
// kind by the run's approval, and an organisation without its own account, are named in the
// refusal.
//
// box opens vendors' account numbers; orgBox the organisation's own IBAN (GetOrgBankAccount).
func PaymentBankFile(ctx context.Context, db *gorm.DB, box, orgBox *auth.SecretBox, v Viewer, runID int64) (BankFile, error) {
	d, err := GetVisiblePaymentRun(ctx, db, v, runID)
	if err != nil {
		return BankFile{}, err
	}
	r := d.Run
	if r.Status != PaymentApproved && r.Status != PaymentPaid {
		return BankFile{}, outlay.Conflict("A bank file is made once the payment is approved.")
	}
	kind := BankFileKind(r)
	if kind == "" {
		return BankFile{}, outlay.Conflict(PaymentMethodLabel(r.Method) + " payments in " + r.Currency +
			" have no bank file: bank files are pain.001 for euro transfers and NACHA for US dollar ACH.")
	}
	settings, err := GetPaymentSettings(ctx, db)
	if err != nil {
		return BankFile{}, err
	}
	copied, err := runBankAccounts(db.WithContext(ctx), r.ID)
	if err != nil {
		return BankFile{}, err
	}
	accounts := make([]VendorBankAccount, len(d.Vendors))
	var missing []string
	for i, vp := range d.Vendors {
		a, ok := copied[vp.VendorID]
		if !ok || a.Scheme != BankScheme(r) {
			missing = append(missing, vp.VendorName)
			continue
		}
		accounts[i] = a
	}
	if len(missing) > 0 {
		scheme := "IBAN"
		if kind == "NACHA" {
			scheme = "US bank account"
		}
		return BankFile{}, outlay.Conflict("These vendors had no " + scheme + " on file when this run was approved: " + strings.Join(missing, ", ") +
			". A run pays only the bank accounts it was approved with: once the vendor's bank details are on file, cancel this run and make a new one.")
	}
	if msg := refuseRunTransfersTooLarge(r, d.Vendors, true); msg != "" {
		return BankFile{}, outlay.Conflict(msg) // a run made before runs were refused for it
	}
	// Made once written: every file of the run carries the same message id.
	var buf bytes.Buffer
	err = makeBankFile(ctx, db, "payment_runs", r.ID, r.Number, v.UserID, func(tx *gorm.DB, msgID string, made time.Time) error {
		buf.Reset()
		// Under the run's lock: one cancelled meanwhile has no file.
		var status string
		if err := tx.Raw(`SELECT status FROM payment_runs WHERE id = ?`, r.ID).Scan(&status).Error; err != nil {
			return err
		}
		if status != PaymentApproved && status != PaymentPaid {
			return outlay.Conflict("A bank file is made once the payment is approved.")
		}
		if kind == "NACHA" {
			return writeRunNACHA(&buf, box, settings, d, accounts, made)
		}
		debtor, err := GetOrgBankAccount(ctx, db, orgBox)
		if err != nil {
			return err
		}
		return writeRunPain001(&buf, box, debtor, d, accounts, msgID, made)
	})
	if err != nil {
		return BankFile{}, err
	}
	if kind == "NACHA" {
		return BankFile{Name: r.Number + ".ach", ContentType: "text/plain; charset=us-ascii", Data: buf.Bytes()}, nil
	}
	return BankFile{Name: r.Number + ".xml", ContentType: "application/xml", Data: buf.Bytes()}, nil
}

func writeRunPain001(buf *bytes.Buffer, box *auth.SecretBox, debtor *BankDetails, d *PaymentRunDetail, accounts []VendorBankAccount, msgID string, made time.Time) error {
	if debtor == nil {
		return outlay.Conflict("Set the organisation's bank account (its IBAN) before making a pain.001 file.")
	}
	p := bankfile.CreditTransfers{MessageID: msgID, CreatedAt: made,
		ExecutionDate: d.Run.PayOn, Debtor: bankfile.Account{Name: debtor.Holder, IBAN: debtor.IBAN, BIC: debtor.BIC}}
	for i, vp := range d.Vendors {
		iban, err := accounts[i].Account(box)
		if err != nil {
			return fmt.Errorf("open the IBAN of %s: %w", vp.VendorName, err)
		}
		p.Transfers = append(p.Transfers, bankfile.Transfer{EndToEndID: d.Run.Number + "-" + strconv.Itoa(i+1),
			Amount:     money.Money{Minor: vp.Total, Currency: d.Run.Currency},
			Creditor:   bankfile.Account{Name: accounts[i].HolderName, IBAN: bankfile.IBAN(iban), BIC: accounts[i].BIC},
			Remittance: "Invoices " + vp.InvoiceNumbers()})
	}
	// A transfer above the SEPA limit was refused above (refuseRunTransfersTooLarge).
	if err := bankfile.WritePain001(buf, p); err != nil {
		// What the file format refuses of the accounts (a name that is empty or shows
		// nothing) is said on the run's page, as the run cannot be paid this way.
		return outlay.Conflict("The pain.001 file cannot be made: " + strings.TrimPrefix(err.Error(), "bankfile: ") + ".")
	}
	return nil
}

func writeRunNACHA(buf *bytes.Buffer, box *auth.SecretBox, s PaymentSettings, d *PaymentRunDetail, accounts []VendorBankAccount, made time.Time) error {
	if s.ACHRoutingNumber == "" || s.ACHCompanyID == "" || s.CompanyName == "" {
		return outlay.Conflict("Set the organisation's name, its bank's routing number and its ACH company ID in the payment settings before making a NACHA file.")
	}
	f := &bankfile.ACHFile{ImmediateDestination: s.ACHRoutingNumber, ImmediateDestinationName: s.ACHBankName,
		ImmediateOrigin: s.ACHCompanyID, ImmediateOriginName: s.CompanyName, CreatedAt: made, ReferenceCode: d.Run.Number}
	batch := bankfile.ACHBatch{CompanyName: s.CompanyName, CompanyID: s.ACHCompanyID, SEC: bankfile.SECCCD,
		EntryDescription: "PAYMENT", EffectiveDate: d.Run.PayOn, OriginatingDFI: s.ACHRoutingNumber[:8]}
	for i, vp := range d.Vendors {
		number, err := accounts[i].Account(box)
		if err != nil {
			return fmt.Errorf("open the account number of %s: %w", vp.VendorName, err)
		}
		code := bankfile.ACHCheckingCredit
		if accounts[i].AccountType == AccountSavings {
			code = bankfile.ACHSavingsCredit
		}
		batch.Entries = append(batch.Entries, bankfile.ACHEntry{TransactionCode: code, RoutingNumber: accounts[i].RoutingNumber,
			AccountNumber: number, AmountCents: vp.Total, IdentificationNumber: "V" + strconv.FormatInt(vp.VendorID, 10),
			ReceiverName: accounts[i].HolderName, Addenda: "INVOICES " + vp.InvoiceNumbers()})
	}
	f.Batches = []bankfile.ACHBatch{batch}
	if err := bankfile.WriteNACHA(buf, f); err != nil {
		return outlay.Conflict("The NACHA file cannot be made: " + strings.TrimPrefix(err.Error(), "bankfile: ") + ".")
	}
	return nil
}
