package accounting

import (
	"io"
	"time"

	"outlay/sheet"
)

// JournalLine is one line of the general journal: a debit or a credit to one account.
type JournalLine struct {
	Date     time.Time
	Account  string
	Debit    int64 // minor units; one of Debit and Credit is zero
	Credit   int64
	Currency string
	Memo     string
	Document string // Outlay's number of the document the line comes from
}

// journalColumns are the general journal's: date (YYYY-MM-DD), account, debit, credit, memo
// and document, then the currency the amounts are in.
var journalColumns = []string{"Date", "Account", "Debit", "Credit", "Memo", "Document", "Currency"}

// JournalLines posts docs as double entries, each document balanced on its own:
//   - a bill debits each line's expense account with its net and the tax account with its
//     tax, and credits accounts payable with its total;
//   - a reimbursement does the same against what is owed to employees;
//   - a payment debits accounts payable with each bill it pays and credits the bank with its
//     total;
//   - a reimbursement payment does the same against what is owed to employees; the part of
//     it an advance already paid is cleared from the employee advances, not the bank, and one
//     paid with the payroll credits the payroll clearing account instead of the bank.
func JournalLines(docs []Document, acc Accounts) []JournalLine {
	var out []JournalLine
	for _, d := range docs {
		line := func(account string, debit, credit int64, memo string) {
			if debit == 0 && credit == 0 {
				return
			}
			out = append(out, JournalLine{Date: d.Date, Account: account, Debit: debit, Credit: credit,
				Currency: d.Currency, Memo: memo, Document: d.Number})
		}
		owedTo := d.Party
		switch d.Kind {
		case KindPayment, KindReimbursementPayment:
			payable, what := acc.Payable, "Payment to "
			if d.Kind == KindReimbursementPayment {
				payable, what = acc.EmployeePayable, "Reimbursement to "
			}
			for _, l := range d.Lines {
				line(payable, l.Net+l.Tax, 0, what+owedTo+": "+l.Description)
			}
			if d.Advance > 0 {
				line(payable, d.Advance, 0, "Advance netted for "+owedTo)
				line(acc.EmployeeAdvances, 0, d.Advance, "Advance netted for "+owedTo)
			}
			paidFrom := acc.Bank
			if d.ViaPayroll {
				paidFrom = acc.PayrollClearing
			}
			line(paidFrom, 0, d.Total(), what+owedTo+paymentReference(d))
		default:
			payable := acc.Payable
			if d.Kind == KindReimbursement {
				payable = acc.EmployeePayable
			}
			var tax int64
			for _, l := range d.Lines {
				line(ledgerAccount(l), l.Net, 0, lineDescription(l))
				tax += l.Tax
			}
			line(acc.Tax, tax, 0, "Tax on "+billNumber(d))
			line(payable, 0, d.Total(), owedTo+": "+billNumber(d))
		}
	}
	return out
}

func paymentReference(d Document) string {
	if d.Reference == "" {
		return ""
	}
	return " (" + d.Reference + ")"
}

// WriteJournal writes journal lines as the general journal CSV.
func WriteJournal(w io.Writer, lines []JournalLine) error {
	sw, err := sheet.NewBareCSVWriter(w, columns(journalColumns))
	if err != nil {
		return err
	}
	for _, l := range lines {
		debit, credit := sheet.Decimal(""), sheet.Decimal("")
		if l.Debit != 0 {
			debit = amount(l.Debit, l.Currency)
		}
		if l.Credit != 0 {
			credit = amount(l.Credit, l.Currency)
		}
		if err := sw.Row([]any{l.Date.Format("2006-01-02"), l.Account, debit, credit, l.Memo, l.Document, l.Currency}); err != nil {
			return err
		}
	}
	return sw.Close()
}
