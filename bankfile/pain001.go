package bankfile

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"outlay/money"
)

// Pain001Namespace is the XML namespace of ISO 20022 pain.001.001.03 (customer credit
// transfer initiation, version 3), the version SEPA credit transfers are sent in.
const Pain001Namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

// SEPACurrency is the currency of SEPA credit transfers.
const SEPACurrency = "EUR"

// SEPAMaxTransfer is the most one SEPA credit transfer may carry (999,999,999.99 euros, the
// SEPA Credit Transfer rulebook's limit). A bank refuses a file marked SEPA whole when one of
// its transfers is larger.
var SEPAMaxTransfer = money.Money{Minor: 999_999_999_99, Currency: SEPACurrency}

// TransferTooLargeError is WritePain001's refusal of a transfer above SEPAMaxTransfer. It
// carries the transfer, so that the refusal can name whom it pays and how much.
type TransferTooLargeError struct {
	Index    int // the transfer's position among the order's transfers, from 0
	Transfer Transfer
}

func (e *TransferTooLargeError) Error() string {
	return fmt.Sprintf("bankfile: transfer %d (%s) of %s is above the SEPA limit of %s for one transfer",
		e.Index+1, e.Transfer.EndToEndID, e.Transfer.Amount, SEPAMaxTransfer)
}

// Account is a party to a transfer and its bank account.
type Account struct {
	Name string
	IBAN IBAN
	BIC  string // optional: SEPA finds the bank from the IBAN
}

// Transfer is one credit transfer: who is paid, how much, and what the payment is for.
type Transfer struct {
	// EndToEndID travels with the money to the creditor's statement (up to 35 characters:
	// a report or bill number).
	EndToEndID string
	Amount     money.Money
	Creditor   Account
	// Remittance is the text the creditor reads on their statement (up to 140 characters).
	Remittance string
}

// CreditTransfers is one payment order: a debtor account paying several creditors on one
// day, all in one currency.
type CreditTransfers struct {
	MessageID     string // unique per file sent to the bank (up to 35 characters)
	CreatedAt     time.Time
	ExecutionDate time.Time // the day the bank is asked to pay
	// Initiator names who sends the file (the organisation); Debtor's name when empty.
	Initiator string
	Debtor    Account
	Transfers []Transfer
}

// Totals are the transfers' count and sum, as the file's control fields carry them.
func (p CreditTransfers) Totals() (count int, sum money.Money, err error) {
	if len(p.Transfers) == 0 {
		return 0, sum, errors.New("bankfile: a payment order needs at least one transfer")
	}
	sum.Currency = p.Transfers[0].Amount.Currency
	for _, t := range p.Transfers {
		if t.Amount.Currency != sum.Currency {
			return 0, sum, fmt.Errorf("bankfile: transfers in %s and %s cannot share one payment order", sum.Currency, t.Amount.Currency)
		}
		if sum, err = money.Add(sum, t.Amount); err != nil {
			return 0, sum, err
		}
	}
	return len(p.Transfers), sum, nil
}

// WritePain001 writes p as an ISO 20022 pain.001.001.03 document with one payment
// information block (SEPA service level, charges shared as SEPA requires, batch booking).
// Free text is brought into the character set SEPA banks accept (Latin letters, digits and /
// - ? : ( ) . , ' + and space; accented letters lose their accents, anything else becomes a
// space) and cut to the schema's lengths; identifiers keep only letters, digits and "-".
// Nothing is written when a transfer is unusable: an amount that is not above zero or is
// above SEPAMaxTransfer (a *TransferTooLargeError), a creditor without a name or valid IBAN,
// or currencies that differ.
func WritePain001(w io.Writer, p CreditTransfers) error {
	count, sum, err := p.Totals()
	if err != nil {
		return err
	}
	if _, err := ParseIBAN(string(p.Debtor.IBAN)); err != nil {
		return fmt.Errorf("bankfile: the debtor's IBAN: %w", err)
	}
	msgID := Identifier(p.MessageID, 35)
	if msgID == "" {
		return errors.New("bankfile: a payment order needs a message id")
	}
	debtorName := Text(p.Debtor.Name, 70)
	if debtorName == "" {
		return errors.New("bankfile: the debtor needs a name")
	}
	initiator := Text(p.Initiator, 70)
	if initiator == "" {
		initiator = debtorName
	}
	info := paymentInfo{
		ID: msgID, Method: "TRF", BatchBooking: true, Count: fmt.Sprint(count), Sum: sum.Plain(),
		TypeInfo:      &typeInfo{ServiceLevel: code{"SEPA"}},
		ExecutionDate: p.ExecutionDate.Format(time.DateOnly),
		Debtor:        party{Name: debtorName},
		DebtorAccount: cashAccount{IBAN: string(p.Debtor.IBAN)},
		DebtorAgent:   agentOf(p.Debtor.BIC),
		ChargeBearer:  "SLEV",
	}
	for i, t := range p.Transfers {
		if t.Amount.Minor <= 0 {
			return fmt.Errorf("bankfile: transfer %d (%s): an amount must be above zero", i+1, t.EndToEndID)
		}
		if t.Amount.Minor > SEPAMaxTransfer.Minor {
			return &TransferTooLargeError{Index: i, Transfer: t}
		}
		iban, err := ParseIBAN(string(t.Creditor.IBAN))
		if err != nil {
			return fmt.Errorf("bankfile: transfer %d (%s): %w", i+1, t.EndToEndID, err)
		}
		name := Text(t.Creditor.Name, 70)
		if name == "" {
			return fmt.Errorf("bankfile: transfer %d (%s): the creditor needs a name", i+1, t.EndToEndID)
		}
		e2e := Identifier(t.EndToEndID, 35)
		if e2e == "" {
			e2e = "NOTPROVIDED"
		}
		tx := transaction{
			PaymentID: paymentID{EndToEndID: e2e},
			Amount:    amount{Instructed: instructedAmount{Currency: t.Amount.Currency, Value: t.Amount.Plain()}},
			Creditor:  party{Name: name}, CreditorAccount: cashAccount{IBAN: string(iban)},
		}
		if bic, err := ParseBIC(t.Creditor.BIC); err == nil {
			tx.CreditorAgent = &agent{BIC: bic}
		}
		if r := Text(t.Remittance, 140); r != "" {
			tx.Remittance = &remittance{Unstructured: r}
		}
		info.Transactions = append(info.Transactions, tx)
	}
	doc := document{Namespace: Pain001Namespace, Initiation: initiation{
		Header: groupHeader{MessageID: msgID, CreatedAt: p.CreatedAt.UTC().Format("2006-01-02T15:04:05"),
			Count: fmt.Sprint(count), Sum: sum.Plain(), Initiator: party{Name: initiator}},
		Payments: []paymentInfo{info},
	}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// agentOf names a bank by its BIC, or says it is not given (the IBAN finds it) when there
// is none or it is not a BIC.
func agentOf(bic string) agent {
	if bic, err := ParseBIC(bic); err == nil {
		return agent{BIC: bic}
	}
	return agent{Other: &otherID{ID: "NOTPROVIDED"}}
}

// Text brings free text into the SEPA character set (see WritePain001) and cuts it to at
// most limit characters, at a word where it can.
func Text(s string, limit int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		rep, ok := transliterate[r]
		switch {
		case ok:
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("/-?:().,'+", r):
			rep = string(r)
		default:
			rep = " "
		}
		if rep == " " {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(rep)
	}
	out := b.String()
	if len(out) <= limit {
		return out
	}
	cut := out[:limit]
	if i := strings.LastIndexByte(cut, ' '); i > limit/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ")
}

// Identifier keeps the letters, digits and dashes of s, at most limit of them: ids that
// banks copy between systems without surprises.
func Identifier(s string, limit int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == limit {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// transliterate spells the letters people's names commonly carry in the basic Latin set.
var transliterate = map[rune]string{
	'À': "A", 'Á': "A", 'Â': "A", 'Ã': "A", 'Ä': "Ae", 'Å': "A", 'Æ': "AE", 'Ç': "C", 'È': "E", 'É': "E",
	'Ê': "E", 'Ë': "E", 'Ì': "I", 'Í': "I", 'Î': "I", 'Ï': "I", 'Ð': "D", 'Ñ': "N", 'Ò': "O", 'Ó': "O",
	'Ô': "O", 'Õ': "O", 'Ö': "Oe", 'Ø': "O", 'Ù': "U", 'Ú': "U", 'Û': "U", 'Ü': "Ue", 'Ý': "Y", 'Þ': "Th",
	'ß': "ss", 'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "ae", 'å': "a", 'æ': "ae", 'ç': "c", 'è': "e",
	'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ð': "d", 'ñ': "n", 'ò': "o",
	'ó': "o", 'ô': "o", 'õ': "o", 'ö': "oe", 'ø': "o", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "ue", 'ý': "y",
	'þ': "th", 'ÿ': "y", 'Ā': "A", 'ā': "a", 'Ă': "A", 'ă': "a", 'Ą': "A", 'ą': "a", 'Ć': "C", 'ć': "c",
	'Č': "C", 'č': "c", 'Ď': "D", 'ď': "d", 'Đ': "D", 'đ': "d", 'Ē': "E", 'ē': "e", 'Ę': "E", 'ę': "e",
	'Ě': "E", 'ě': "e", 'Ğ': "G", 'ğ': "g", 'Ī': "I", 'ī': "i", 'İ': "I", 'ı': "i", 'Ł': "L", 'ł': "l",
	'Ń': "N", 'ń': "n", 'Ň': "N", 'ň': "n", 'Ō': "O", 'ō': "o", 'Ő': "O", 'ő': "o", 'Œ': "OE", 'œ': "oe",
	'Ř': "R", 'ř': "r", 'Ś': "S", 'ś': "s", 'Ş': "S", 'ş': "s", 'Š': "S", 'š': "s", 'Ţ': "T", 'ţ': "t",
	'Ť': "T", 'ť': "t", 'Ū': "U", 'ū': "u", 'Ů': "U", 'ů': "u", 'Ű': "U", 'ű': "u", 'Ź': "Z", 'ź': "z",
	'Ż': "Z", 'ż': "z", 'Ž': "Z", 'ž': "z", '&': "+", '’': "'", '‘': "'", '–': "-", '—': "-",
}

// The document's elements, named as the schema names them.
type document struct {
	XMLName    xml.Name   `xml:"Document"`
	Namespace  string     `xml:"xmlns,attr"`
	Initiation initiation `xml:"CstmrCdtTrfInitn"`
}

type initiation struct {
	Header   groupHeader   `xml:"GrpHdr"`
	Payments []paymentInfo `xml:"PmtInf"`
}

type groupHeader struct {
	MessageID string `xml:"MsgId"`
	CreatedAt string `xml:"CreDtTm"`
	Count     string `xml:"NbOfTxs"`
	Sum       string `xml:"CtrlSum"`
	Initiator party  `xml:"InitgPty"`
}

type paymentInfo struct {
	ID            string        `xml:"PmtInfId"`
	Method        string        `xml:"PmtMtd"`
	BatchBooking  bool          `xml:"BtchBookg"`
	Count         string        `xml:"NbOfTxs"`
	Sum           string        `xml:"CtrlSum"`
	TypeInfo      *typeInfo     `xml:"PmtTpInf,omitempty"`
	ExecutionDate string        `xml:"ReqdExctnDt"`
	Debtor        party         `xml:"Dbtr"`
	DebtorAccount cashAccount   `xml:"DbtrAcct"`
	DebtorAgent   agent         `xml:"DbtrAgt"`
	ChargeBearer  string        `xml:"ChrgBr"`
	Transactions  []transaction `xml:"CdtTrfTxInf"`
}

type typeInfo struct {
	ServiceLevel code `xml:"SvcLvl"`
}

type code struct {
	Code string `xml:"Cd"`
}

type party struct {
	Name string `xml:"Nm"`
}

type cashAccount struct {
	IBAN string `xml:"Id>IBAN"`
}

type agent struct {
	BIC   string   `xml:"FinInstnId>BIC,omitempty"`
	Other *otherID `xml:"FinInstnId>Othr,omitempty"`
}

type otherID struct {
	ID string `xml:"Id"`
}

type transaction struct {
	PaymentID       paymentID   `xml:"PmtId"`
	Amount          amount      `xml:"Amt"`
	CreditorAgent   *agent      `xml:"CdtrAgt,omitempty"`
	Creditor        party       `xml:"Cdtr"`
	CreditorAccount cashAccount `xml:"CdtrAcct"`
	Remittance      *remittance `xml:"RmtInf,omitempty"`
}

type paymentID struct {
	EndToEndID string `xml:"EndToEndId"`
}

type amount struct {
	Instructed instructedAmount `xml:"InstdAmt"`
}

type instructedAmount struct {
	Currency string `xml:"Ccy,attr"`
	Value    string `xml:",chardata"`
}

type remittance struct {
	Unstructured string `xml:"Ustrd"`
}
