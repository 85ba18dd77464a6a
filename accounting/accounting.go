// Package accounting writes what Outlay hands to an accounting system: bills, expense
// reimbursements and payments as QuickBooks Online's bill import, Xero's bills import, a
// NetSuite vendor-bill CSV and a general journal. It knows the files, not the database: the
// caller gives it documents, and every writer streams them through package sheet, which
// neutralises any cell a spreadsheet would run as a formula.
package accounting

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"outlay/money"
	"outlay/sheet"
)

// Kinds of document an export carries.
const (
	KindBill          = "bill"
	KindReimbursement = "reimbursement" // an approved expense report owed to its employee
	KindPayment       = "payment"
	// KindReimbursementPayment is a reimbursement paid to an employee: one report of a paid
	// reimbursement batch.
	KindReimbursementPayment = "reimbursement_payment"
)

// Document is one bill, expense reimbursement or payment (to a vendor, or of a reimbursement
// to an employee), as the ledger reads it.
type Document struct {
	Kind      string
	Number    string // Outlay's own number (BILL-000012), the document column of the journal
	Reference string // the vendor's invoice number, or the payment's bank reference
	Party     string // the vendor, or the employee a reimbursement is owed to
	PartyID   string // the vendor's code, for systems that match on it (NetSuite)
	Date      time.Time
	DueDate   time.Time // bills and reimbursements
	Currency  string
	Terms     string
	Memo      string
	Lines     []Line
	// Advance, on a reimbursement payment, is the part of what was owed that a cash advance
	// already paid: the journal clears it from the employee advances instead of the bank.
	Advance int64
	// ViaPayroll, on a reimbursement payment, says it was added to the employee's pay: the
	// money leaves with the payroll run, so the journal credits the payroll clearing account,
	// which the payroll's own entry clears, rather than the bank.
	ViaPayroll bool
}

// Line is one line of a document. For a bill or reimbursement it is an expense coded to a GL
// account; for a payment it is the amount paid against one bill (Description names it).
type Line struct {
	Account     string // the GL account's code (a bill's or reimbursement's line)
	AccountName string
	Department  string
	Description string
	Quantity    money.Quantity // thousandths; zero reads as 1
	UnitPrice   int64          // minor units; used only when Quantity × UnitPrice is Net
	Net         int64          // minor units, before tax
	Tax         int64          // minor units
	TaxCode     string         // the ledger's tax rate name; empty picks a default by Tax
}

// Accounts names the balance-sheet accounts the journal posts to beside the documents' own
// expense accounts.
type Accounts struct {
	Payable         string // accounts payable: what bills are owed on
	EmployeePayable string // what is owed to employees for their expenses
	Tax             string // tax paid on purchases, to be reclaimed
	Bank            string // where payments are paid from
	// PayrollClearing holds reimbursements added to employees' pay until the payroll run
	// that pays them is booked.
	PayrollClearing string
	// EmployeeAdvances is the cash advanced to employees before a trip (booked when it is
	// handed out), which their expense reports clear.
	EmployeeAdvances string
}

// DefaultAccounts are the names used when an organisation has not named its own.
var DefaultAccounts = Accounts{Payable: "Accounts Payable", EmployeePayable: "Employee Reimbursements Payable",
	Tax: "Tax Receivable", Bank: "Bank", PayrollClearing: "Payroll Clearing", EmployeeAdvances: "Employee Advances"}

// IsPayment says whether d pays money out (to a vendor or an employee) rather than records
// what is owed.
func (d Document) IsPayment() bool {
	return d.Kind == KindPayment || d.Kind == KindReimbursementPayment
}

// Total is the document's amount: its lines' net and tax together.
func (d Document) Total() int64 {
	var t int64
	for _, l := range d.Lines {
		t += l.Net + l.Tax
	}
	return t
}

// Validate names the first thing about d that would make a file its ledger refuses.
func (d Document) Validate() error {
	switch {
	case d.Kind != KindBill && d.Kind != KindReimbursement && !d.IsPayment():
		return fmt.Errorf("%s: unknown kind %q", d.Number, d.Kind)
	case d.Number == "":
		return errors.New("a document has no number")
	case !money.ValidCurrency(d.Currency):
		return fmt.Errorf("%s: no currency", d.Number)
	case d.Date.IsZero():
		return fmt.Errorf("%s: no date", d.Number)
	case strings.TrimSpace(d.Party) == "":
		return fmt.Errorf("%s: no vendor or employee", d.Number)
	case len(d.Lines) == 0:
		return fmt.Errorf("%s: no lines", d.Number)
	}
	for i, l := range d.Lines {
		if !d.IsPayment() && l.Account == "" {
			return fmt.Errorf("%s line %d: no GL account", d.Number, i+1)
		}
		if l.Net < 0 || l.Tax < 0 {
			return fmt.Errorf("%s line %d: a negative amount", d.Number, i+1)
		}
	}
	return nil
}

// Format is one of the files an export batch is downloaded as.
type Format string

// The formats, in the order they are offered.
const (
	QuickBooks Format = "quickbooks"
	Xero       Format = "xero"
	NetSuite   Format = "netsuite"
	Journal    Format = "journal"
)

// Formats are the formats offered.
var Formats = []Format{QuickBooks, Xero, NetSuite, Journal}

// ParseFormat reads a format's name as written in an address.
func ParseFormat(s string) (Format, bool) {
	for _, f := range Formats {
		if string(f) == s {
			return f, true
		}
	}
	return "", false
}

// Label names the format as people read it.
func (f Format) Label() string {
	switch f {
	case QuickBooks:
		return "QuickBooks Online bills"
	case Xero:
		return "Xero bills"
	case NetSuite:
		return "NetSuite vendor bills"
	}
	return "General journal"
}

// CarriesPayments says whether the format has rows for payments (to vendors and of
// reimbursements to employees): only the journal does; the three bill imports carry bills
// and reimbursements owed.
func (f Format) CarriesPayments() bool { return f == Journal }

// Write writes docs in format f. Payments are left out of the bill imports (see
// CarriesPayments); acc names the journal's balance-sheet accounts.
func Write(w io.Writer, f Format, docs []Document, acc Accounts) error {
	for _, d := range docs {
		if err := d.Validate(); err != nil {
			return err
		}
	}
	switch f {
	case QuickBooks:
		return writeBills(w, quickBooksColumns, quickBooksRows, docs)
	case Xero:
		return writeBills(w, xeroColumns, xeroRows, docs)
	case NetSuite:
		return writeBills(w, netSuiteColumns, netSuiteRows, docs)
	case Journal:
		return WriteJournal(w, JournalLines(docs, acc))
	}
	return fmt.Errorf("accounting: unknown format %q", f)
}

// writeBills writes the bills and reimbursements of docs, rowsOf giving each document's rows.
// The file is for an accounting system's import, which matches its headers by name: it has no
// byte-order mark (nor has the journal), which an import that does not expect one would read
// as part of the first header ("*ContactName" no longer found).
func writeBills(w io.Writer, titles []string, rowsOf func(Document) [][]any, docs []Document) error {
	sw, err := sheet.NewBareCSVWriter(w, columns(titles))
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.IsPayment() {
			continue
		}
		for _, row := range rowsOf(d) {
			if err := sw.Row(row); err != nil {
				return err
			}
		}
	}
	return sw.Close()
}

func columns(titles []string) []sheet.Column {
	cols := make([]sheet.Column, len(titles))
	for i, t := range titles {
		cols[i] = sheet.Column{Key: t, Title: t}
	}
	return cols
}

// amount writes minor units as the decimal the ledgers read ("1234.50").
func amount(minor int64, currency string) sheet.Decimal {
	return sheet.Decimal(money.Money{Minor: minor, Currency: currency}.Plain())
}

// quantityAndPrice gives a line's quantity and unit price when the quantity is whole and
// they make its net amount exactly, and 1 × net otherwise, so the ledger's own multiplication
// (and its rounding) lands on our amount.
func quantityAndPrice(l Line, currency string) (sheet.Decimal, sheet.Decimal) {
	if l.Quantity > 0 && l.Quantity%1000 == 0 && l.UnitPrice > 0 {
		if n, err := money.LineAmount(l.Quantity, l.UnitPrice); err == nil && n == l.Net {
			return sheet.Decimal(strings.ReplaceAll(l.Quantity.String(), ",", "")), amount(l.UnitPrice, currency)
		}
	}
	return "1", amount(l.Net, currency)
}

// date writes t in layout, or nothing for no date.
func date(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(layout)
}

// lineDescription is what a line says in a ledger: its own description, or its account's.
func lineDescription(l Line) string {
	if l.Description != "" {
		return l.Description
	}
	return l.AccountName
}

// ledgerAccount names an account as ledgers import it: "6100 Office Supplies".
func ledgerAccount(l Line) string {
	return strings.TrimSpace(l.Account + " " + l.AccountName)
}
