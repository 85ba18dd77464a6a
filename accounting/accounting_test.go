package accounting

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// sampleDocs are a two-line bill (one line with a formula for a description), a reimbursement,
// a payment of part of the bill and the reimbursement paid (less a 10.00 advance).
func sampleDocs() []Document {
	return []Document{
		{Kind: KindBill, Number: "BILL-000001", Reference: "INV-77", Party: "Acme Supplies", PartyID: "V-00012",
			Date: day(2026, 11, 3), DueDate: day(2026, 12, 3), Currency: "USD", Terms: "Net 30", Memo: "Office move",
			Lines: []Line{
				{Account: "6100", AccountName: "Office Supplies", Department: "Operations", Description: "Desks",
					Quantity: 3000, UnitPrice: 250_00, Net: 750_00, Tax: 60_00, TaxCode: "TAX"},
				{Account: "6200", AccountName: "Freight", Description: "=HYPERLINK(\"http://evil\")",
					Quantity: 1500, UnitPrice: 33_33, Net: 50_00},
			}},
		{Kind: KindReimbursement, Number: "EXP-000004", Party: "Jane Doe", Date: day(2026, 11, 10), DueDate: day(2026, 11, 10),
			Currency: "EUR", Lines: []Line{{Account: "6400", AccountName: "Travel", Description: "Train", Net: 89_90, Tax: 9_00}}},
		{Kind: KindPayment, Number: "PAY-000002", Reference: "ACH 0412", Party: "Acme Supplies", Date: day(2026, 11, 20),
			Currency: "USD", Lines: []Line{{Description: "INV-77", Net: 400_00}}},
		{Kind: KindReimbursementPayment, Number: "RB-000003", Reference: "SEPA 19", Party: "Jane Doe", Date: day(2026, 11, 24),
			Currency: "EUR", Lines: []Line{{Description: "EXP-000004 less advance 10.00", Net: 88_90}}},
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("the file does not read back as CSV: %v\n%s", err, b)
	}
	return rows
}

func write(t *testing.T, f Format, docs []Document) [][]string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, docs, DefaultAccounts); err != nil {
		t.Fatal(err)
	}
	return readCSV(t, buf.Bytes())
}

func TestQuickBooksBillsReadBack(t *testing.T) {
	want := [][]string{
		{"Bill No.", "Supplier", "Bill Date", "Due Date", "Terms", "Location", "Memo", "Account", "Line Description", "Line Amount", "Line Tax Code", "Line Tax Amount", "Currency Code"},
		{"INV-77", "Acme Supplies", "11/03/2026", "12/03/2026", "Net 30", "Operations", "BILL-000001: Office move", "6100 Office Supplies", "Desks", "750.00", "TAX", "60.00", "USD"},
		{"INV-77", "Acme Supplies", "11/03/2026", "12/03/2026", "Net 30", "", "BILL-000001: Office move", "6200 Freight", "'=HYPERLINK(\"http://evil\")", "50.00", "", "0.00", "USD"},
		{"EXP-000004", "Jane Doe", "11/10/2026", "11/10/2026", "", "", "EXP-000004", "6400 Travel", "Train", "89.90", "", "9.00", "EUR"},
	}
	if got := write(t, QuickBooks, sampleDocs()); !reflect.DeepEqual(got, want) {
		t.Errorf("QuickBooks file read back as\n%q\nwant\n%q", got, want)
	}
}

func TestXeroBillsReadBack(t *testing.T) {
	want := [][]string{
		{"*ContactName", "*InvoiceNumber", "Reference", "*InvoiceDate", "*DueDate", "Description", "*Quantity", "*UnitAmount", "*AccountCode", "*TaxType", "TaxAmount", "TrackingName1", "TrackingOption1", "Currency"},
		// Three desks at 250.00: Xero multiplies back to 750.00.
		{"Acme Supplies", "INV-77", "BILL-000001", "03/11/2026", "03/12/2026", "Desks", "3", "250.00", "6100", "TAX", "60.00", "Department", "Operations", "USD"},
		// 1.5 × 33.33 does not make 50.00 exactly: one of 50.00 instead.
		{"Acme Supplies", "INV-77", "BILL-000001", "03/11/2026", "03/12/2026", "'=HYPERLINK(\"http://evil\")", "1", "50.00", "6200", "Tax Exempt", "0.00", "", "", "USD"},
		{"Jane Doe", "EXP-000004", "EXP-000004", "10/11/2026", "10/11/2026", "Train", "1", "89.90", "6400", "Tax on Purchases", "9.00", "", "", "EUR"},
	}
	if got := write(t, Xero, sampleDocs()); !reflect.DeepEqual(got, want) {
		t.Errorf("Xero file read back as\n%q\nwant\n%q", got, want)
	}
}

func TestNetSuiteBillsReadBack(t *testing.T) {
	want := [][]string{
		{"External ID", "Vendor", "Date", "Due Date", "Reference No.", "Currency", "Memo", "Expense Account", "Expense Amount", "Expense Tax Amount", "Expense Memo", "Expense Department"},
		{"BILL-000001", "V-00012", "11/03/2026", "12/03/2026", "INV-77", "USD", "BILL-000001: Office move", "6100 Office Supplies", "750.00", "60.00", "Desks", "Operations"},
		{"BILL-000001", "V-00012", "11/03/2026", "12/03/2026", "INV-77", "USD", "BILL-000001: Office move", "6200 Freight", "50.00", "0.00", "'=HYPERLINK(\"http://evil\")", ""},
		{"EXP-000004", "Jane Doe", "11/10/2026", "11/10/2026", "EXP-000004", "EUR", "EXP-000004", "6400 Travel", "89.90", "9.00", "Train", ""},
	}
	if got := write(t, NetSuite, sampleDocs()); !reflect.DeepEqual(got, want) {
		t.Errorf("NetSuite file read back as\n%q\nwant\n%q", got, want)
	}
}

func TestJournalReadBackAndBalanced(t *testing.T) {
	want := [][]string{
		{"Date", "Account", "Debit", "Credit", "Memo", "Document", "Currency"},
		{"2026-11-03", "6100 Office Supplies", "750.00", "", "Desks", "BILL-000001", "USD"},
		{"2026-11-03", "6200 Freight", "50.00", "", "'=HYPERLINK(\"http://evil\")", "BILL-000001", "USD"},
		{"2026-11-03", "Tax Receivable", "60.00", "", "Tax on INV-77", "BILL-000001", "USD"},
		{"2026-11-03", "Accounts Payable", "", "860.00", "Acme Supplies: INV-77", "BILL-000001", "USD"},
		{"2026-11-10", "6400 Travel", "89.90", "", "Train", "EXP-000004", "EUR"},
		{"2026-11-10", "Tax Receivable", "9.00", "", "Tax on EXP-000004", "EXP-000004", "EUR"},
		{"2026-11-10", "Employee Reimbursements Payable", "", "98.90", "Jane Doe: EXP-000004", "EXP-000004", "EUR"},
		{"2026-11-20", "Accounts Payable", "400.00", "", "Payment to Acme Supplies: INV-77", "PAY-000002", "USD"},
		{"2026-11-20", "Bank", "", "400.00", "Payment to Acme Supplies (ACH 0412)", "PAY-000002", "USD"},
		{"2026-11-24", "Employee Reimbursements Payable", "88.90", "", "Reimbursement to Jane Doe: EXP-000004 less advance 10.00", "RB-000003", "EUR"},
		{"2026-11-24", "Bank", "", "88.90", "Reimbursement to Jane Doe (SEPA 19)", "RB-000003", "EUR"},
	}
	got := write(t, Journal, sampleDocs())
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("journal read back as\n%q\nwant\n%q", got, want)
	}
	// Balanced per document, reading the amounts back from the file itself.
	sums := map[string]int64{}
	for _, r := range got[1:] {
		sums[r[5]] += cents(t, r[2]) - cents(t, r[3])
	}
	for doc, s := range sums {
		if s != 0 {
			t.Errorf("%s: debits and credits differ by %d", doc, s)
		}
	}
}

func TestJournalBalancesEveryDocument(t *testing.T) {
	// Many lines with awkward amounts, payments to vendors and reimbursements paid among them:
	// each document's debits still equal its credits.
	var docs []Document
	for i := 1; i <= 50; i++ {
		d := Document{Kind: KindBill, Number: "BILL-" + strconv.Itoa(i), Party: "V", Date: day(2026, 1, 1), Currency: "JPY"}
		switch {
		case i%10 == 0:
			d.Kind, d.Currency = KindReimbursementPayment, "EUR"
		case i%5 == 0:
			d.Kind = KindPayment
		case i%3 == 0:
			d.Kind, d.Currency = KindReimbursement, "KWD"
		}
		for j := 0; j < i%7+1; j++ {
			d.Lines = append(d.Lines, Line{Account: "6" + strconv.Itoa(j), Net: int64(i*j*37 + 1), Tax: int64(i % 5)})
		}
		docs = append(docs, d)
	}
	sums := map[string]int64{}
	for _, l := range JournalLines(docs, DefaultAccounts) {
		if (l.Debit == 0) == (l.Credit == 0) {
			t.Fatalf("a line is both or neither a debit and a credit: %+v", l)
		}
		sums[l.Document] += l.Debit - l.Credit
	}
	if len(sums) != len(docs) {
		t.Fatalf("%d documents posted, want %d", len(sums), len(docs))
	}
	for doc, s := range sums {
		if s != 0 {
			t.Errorf("%s is out of balance by %d", doc, s)
		}
	}
}

func TestWriteRefusesIncompleteDocuments(t *testing.T) {
	for name, change := range map[string]func(d *Document){
		"no account":      func(d *Document) { d.Lines[0].Account = "" },
		"negative amount": func(d *Document) { d.Lines[0].Net = -1 },
		"no currency":     func(d *Document) { d.Currency = "" },
		"no party":        func(d *Document) { d.Party = " " },
		"no lines":        func(d *Document) { d.Lines = nil },
	} {
		docs := sampleDocs()
		change(&docs[0])
		var buf bytes.Buffer
		if err := Write(&buf, Xero, docs, DefaultAccounts); err == nil || buf.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes written", name, err, buf.Len())
		}
	}
}

func cents(t *testing.T, s string) int64 {
	t.Helper()
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(strings.Replace(s, ".", "", 1), 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return n
}
