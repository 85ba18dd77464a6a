package accounting

// QuickBooks Online's bill import (Settings → Import data → Bills): one row per bill line,
// the bill's columns repeated on each, dates as MM/DD/YYYY.
var quickBooksColumns = []string{"Bill No.", "Supplier", "Bill Date", "Due Date", "Terms", "Location", "Memo",
	"Account", "Line Description", "Line Amount", "Line Tax Code", "Line Tax Amount", "Currency Code"}

func quickBooksRows(d Document) [][]any {
	rows := make([][]any, 0, len(d.Lines))
	for _, l := range d.Lines {
		rows = append(rows, []any{billNumber(d), d.Party, date(d.Date, "01/02/2006"), date(d.DueDate, "01/02/2006"),
			d.Terms, l.Department, memo(d), ledgerAccount(l), lineDescription(l), amount(l.Net, d.Currency),
			l.TaxCode, amount(l.Tax, d.Currency), d.Currency})
	}
	return rows
}

// Xero's bills import (Business → Bills to pay → Import): the template's headings, required
// ones starred, one row per line; dates as DD/MM/YYYY, unit amounts tax exclusive.
var xeroColumns = []string{"*ContactName", "*InvoiceNumber", "Reference", "*InvoiceDate", "*DueDate",
	"Description", "*Quantity", "*UnitAmount", "*AccountCode", "*TaxType", "TaxAmount",
	"TrackingName1", "TrackingOption1", "Currency"}

func xeroRows(d Document) [][]any {
	rows := make([][]any, 0, len(d.Lines))
	for _, l := range d.Lines {
		qty, unit := quantityAndPrice(l, d.Currency)
		tracking := ""
		if l.Department != "" {
			tracking = "Department"
		}
		rows = append(rows, []any{d.Party, billNumber(d), d.Number, date(d.Date, "02/01/2006"), date(d.DueDate, "02/01/2006"),
			lineDescription(l), qty, unit, l.Account, xeroTaxType(l), amount(l.Tax, d.Currency),
			tracking, l.Department, d.Currency})
	}
	return rows
}

// xeroTaxType is the line's tax rate as Xero names it; without one, Xero's own names for
// purchases with and without tax.
func xeroTaxType(l Line) string {
	switch {
	case l.TaxCode != "":
		return l.TaxCode
	case l.Tax == 0:
		return "Tax Exempt"
	}
	return "Tax on Purchases"
}

// NetSuite's vendor bill import, as one file: a row per expense line with the bill's fields
// repeated, grouped by External ID (Outlay's number, also mapped to Reference No.); dates as
// MM/DD/YYYY, NetSuite's default date preference.
var netSuiteColumns = []string{"External ID", "Vendor", "Date", "Due Date", "Reference No.", "Currency", "Memo",
	"Expense Account", "Expense Amount", "Expense Tax Amount", "Expense Memo", "Expense Department"}

func netSuiteRows(d Document) [][]any {
	rows := make([][]any, 0, len(d.Lines))
	vendor := d.PartyID
	if vendor == "" {
		vendor = d.Party
	}
	for _, l := range d.Lines {
		rows = append(rows, []any{d.Number, vendor, date(d.Date, "01/02/2006"), date(d.DueDate, "01/02/2006"),
			billNumber(d), d.Currency, memo(d), ledgerAccount(l), amount(l.Net, d.Currency),
			amount(l.Tax, d.Currency), lineDescription(l), l.Department})
	}
	return rows
}

// billNumber is the number a ledger files a bill under: the vendor's invoice number, or
// Outlay's own for a reimbursement (which has none).
func billNumber(d Document) string {
	if d.Reference != "" {
		return d.Reference
	}
	return d.Number
}

// memo keeps Outlay's number on the ledger's record, so it can be traced back.
func memo(d Document) string {
	if d.Memo == "" {
		return d.Number
	}
	return d.Number + ": " + d.Memo
}
