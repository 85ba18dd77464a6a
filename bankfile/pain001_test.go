package bankfile_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"outlay/bankfile"
	"outlay/bankfile/bankfiletest"
	"outlay/money"
)

func eur(minor int64) money.Money { return money.Money{Minor: minor, Currency: "EUR"} }

func sampleOrder() bankfile.CreditTransfers {
	return bankfile.CreditTransfers{
		MessageID: "RB-000012/2026", CreatedAt: time.Date(2026, 12, 3, 11, 30, 0, 0, time.UTC),
		ExecutionDate: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC),
		Debtor:        bankfile.Account{Name: "Acme <Europe> GmbH & Co. KG", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"},
		Transfers: []bankfile.Transfer{
			{EndToEndID: "EXP-000001", Amount: eur(12_345), Creditor: bankfile.Account{Name: "Jürgen Müller-Łukasz", IBAN: "FR1420041010050500013M02606"},
				Remittance: "Expense report EXP-000001: Berlin trip"},
			{EndToEndID: "EXP-000002", Amount: eur(1), Creditor: bankfile.Account{Name: "Zoë \"Z\" O'Brien", IBAN: "GB82WEST12345698765432", BIC: "westgb2l"},
				Remittance: strings.Repeat("Taxi, hotel and dinner with the client; ", 8)},
			{EndToEndID: "EXP-000003 ✓", Amount: eur(99_999_99), Creditor: bankfile.Account{Name: strings.Repeat("Ana ", 30), IBAN: "NL91ABNA0417164300"}},
		},
	}
}

// parsed is the part of a written file the tests read back.
type parsed struct {
	Header struct {
		MsgID   string `xml:"MsgId"`
		NbOfTxs string `xml:"NbOfTxs"`
		CtrlSum string `xml:"CtrlSum"`
	} `xml:"CstmrCdtTrfInitn>GrpHdr"`
	Payments []struct {
		NbOfTxs string `xml:"NbOfTxs"`
		CtrlSum string `xml:"CtrlSum"`
		Debtor  string `xml:"Dbtr>Nm"`
		Txs     []struct {
			E2E    string `xml:"PmtId>EndToEndId"`
			Amount struct {
				Ccy   string `xml:"Ccy,attr"`
				Value string `xml:",chardata"`
			} `xml:"Amt>InstdAmt"`
			BIC  string `xml:"CdtrAgt>FinInstnId>BIC"`
			Name string `xml:"Cdtr>Nm"`
			IBAN string `xml:"CdtrAcct>Id>IBAN"`
			Text string `xml:"RmtInf>Ustrd"`
		} `xml:"CdtTrfTxInf"`
	} `xml:"CstmrCdtTrfInitn>PmtInf"`
}

// TestPain001ValidatesAgainstTheSchema writes a payment order whose names and texts carry
// accents, markup characters and more than the schema allows, and checks the file against
// the official ISO 20022 schema, then reads back its control fields and transfers.
func TestPain001ValidatesAgainstTheSchema(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := bankfile.WritePain001(&buf, sampleOrder()); err != nil {
		t.Fatal(err)
	}
	bankfiletest.ValidatePain001(t, buf.Bytes())

	var got parsed
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// 123.45 + 0.01 + 99,999.99
	if got.Header.NbOfTxs != "3" || got.Header.CtrlSum != "100123.45" || got.Header.MsgID != "RB-0000122026" {
		t.Errorf("group header: %+v", got.Header)
	}
	if len(got.Payments) != 1 || got.Payments[0].NbOfTxs != "3" || got.Payments[0].CtrlSum != "100123.45" {
		t.Fatalf("payment information: %+v", got.Payments)
	}
	p := got.Payments[0]
	if p.Debtor != "Acme Europe GmbH + Co. KG" {
		t.Errorf("debtor name %q", p.Debtor)
	}
	tx := p.Txs
	if len(tx) != 3 {
		t.Fatalf("%d transfers", len(tx))
	}
	if tx[0].Name != "Juergen Mueller-Lukasz" || tx[0].IBAN != "FR1420041010050500013M02606" || tx[0].Amount.Value != "123.45" ||
		tx[0].Amount.Ccy != "EUR" || tx[0].BIC != "" || tx[0].E2E != "EXP-000001" {
		t.Errorf("first transfer: %+v", tx[0])
	}
	if tx[1].Name != "Zoe Z O'Brien" || tx[1].BIC != "WESTGB2L" || tx[1].Amount.Value != "0.01" || len(tx[1].Text) > 140 || !strings.HasPrefix(tx[1].Text, "Taxi, hotel") {
		t.Errorf("second transfer: %+v (remittance %d characters)", tx[1], len(tx[1].Text))
	}
	if len(tx[2].Name) > 70 || tx[2].E2E != "EXP-000003" || tx[2].Amount.Value != "99999.99" || tx[2].Text != "" {
		t.Errorf("third transfer: %+v", tx[2])
	}
}

// TestPain001Refuses: nothing is written for an order a bank would refuse.
func TestPain001Refuses(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*bankfile.CreditTransfers){
		"no transfers":      func(o *bankfile.CreditTransfers) { o.Transfers = nil },
		"a zero amount":     func(o *bankfile.CreditTransfers) { o.Transfers[1].Amount = eur(0) },
		"a creditor's IBAN": func(o *bankfile.CreditTransfers) { o.Transfers[2].Creditor.IBAN = "NL91ABNA0417164301" },
		"no creditor IBAN":  func(o *bankfile.CreditTransfers) { o.Transfers[0].Creditor.IBAN = "" },
		"the debtor's IBAN": func(o *bankfile.CreditTransfers) { o.Debtor.IBAN = "DE00370400440532013000" },
		"mixed currencies":  func(o *bankfile.CreditTransfers) { o.Transfers[0].Amount.Currency = "USD" },
		"a nameless person": func(o *bankfile.CreditTransfers) { o.Transfers[0].Creditor.Name = "✓✓" },
		"no message id":     func(o *bankfile.CreditTransfers) { o.MessageID = "//" },
		"a nameless debtor": func(o *bankfile.CreditTransfers) { o.Debtor.Name = "" },
	} {
		o := sampleOrder()
		change(&o)
		var buf bytes.Buffer
		if err := bankfile.WritePain001(&buf, o); err == nil || buf.Len() != 0 {
			t.Errorf("%s: err %v, wrote %d bytes", name, err, buf.Len())
		}
	}
}

// A SEPA credit transfer carries at most 999,999,999.99 euros: a transfer of exactly that
// is written, one a cent above it is refused by its position, before anything is written
// (a bank refuses the whole file for it).
func TestPain001RefusesATransferAboveTheSEPALimit(t *testing.T) {
	t.Parallel()
	o := sampleOrder()
	o.Transfers[1].Amount = eur(999_999_999_99)
	var buf bytes.Buffer
	if err := bankfile.WritePain001(&buf, o); err != nil {
		t.Fatalf("a transfer at the limit: %v", err)
	}
	bankfiletest.ValidatePain001(t, buf.Bytes())
	if !strings.Contains(buf.String(), ">999999999.99</InstdAmt>") {
		t.Error("the transfer at the limit is not in the file")
	}

	o.Transfers[1].Amount = eur(999_999_999_99 + 1)
	buf.Reset()
	err := bankfile.WritePain001(&buf, o)
	var tooLarge *bankfile.TransferTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Index != 1 || tooLarge.Transfer.EndToEndID != "EXP-000002" || buf.Len() != 0 {
		t.Fatalf("a transfer a cent above the limit: %v, wrote %d bytes", err, buf.Len())
	}
	if want := "transfer 2 (EXP-000002) of €1,000,000,000.00 is above the SEPA limit of €999,999,999.99"; !strings.Contains(err.Error(), want) {
		t.Errorf("the refusal %q, want it to say %q", err, want)
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  Café   <b>Ölmühle</b> ": "Cafe b Oelmuehle /b",
		"Straße 5 & 6":             "Strasse 5 + 6",
		"日本":                       "",
	} {
		if got := bankfile.Text(in, 70); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	if got := bankfile.Text("one two three four", 12); got != "one two" {
		t.Errorf("cut at a word: %q", got)
	}
}
