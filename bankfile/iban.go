// Package bankfile writes the files a bank takes payment instructions in, and checks the
// account numbers that go into them: IBANs (ISO 13616), BICs (ISO 9362) and ABA routing
// numbers; ISO 20022 pain.001.001.03 credit transfers and NACHA (US ACH) files. It knows
// nothing of Outlay's records: callers hand it the debtor, the creditors and the amounts,
// and it refuses anything a bank would refuse.
package bankfile

import (
	"errors"
	"fmt"
	"strings"
)

// IBAN is an International Bank Account Number in its electronic form: upper case, no
// spaces ("DE89370400440532013000"). The zero value is no account.
type IBAN string

// Kinds of IBAN mistakes, so that callers can tell them apart; the error's text says what
// is wrong in words a person can act on.
var (
	ErrIBANCharacters = errors.New("bankfile: IBAN has characters other than letters and digits")
	ErrIBANCountry    = errors.New("bankfile: IBAN country is not one that issues IBANs")
	ErrIBANLength     = errors.New("bankfile: IBAN has the wrong length for its country")
	ErrIBANChecksum   = errors.New("bankfile: IBAN check digits do not match")
)

// ibanError is an IBAN mistake: its kind (for errors.Is) and a sentence for a person.
type ibanError struct {
	kind error
	msg  string
}

func (e *ibanError) Error() string { return e.msg }
func (e *ibanError) Unwrap() error { return e.kind }

// ibanLengths is the length of every country's IBAN, from the IBAN registry that SWIFT keeps
// for ISO 13616.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
	"MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
	"NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
	"SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ParseIBAN reads an IBAN as a person types it: in any case, with spaces (the printed form
// groups it by four) or without. It checks the characters, the country, the country's
// length and the ISO 13616 check digits (mod 97 = 1).
func ParseIBAN(s string) (IBAN, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\u00a0':
			continue
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", &ibanError{ErrIBANCharacters, "An IBAN has only letters and digits."}
		}
	}
	v := b.String()
	if len(v) < 4 || !isLetter(v[0]) || !isLetter(v[1]) || !isDigit(v[2]) || !isDigit(v[3]) {
		return "", &ibanError{ErrIBANCountry, "An IBAN starts with its country's two letters and two check digits, such as DE89."}
	}
	want, ok := ibanLengths[v[:2]]
	if !ok {
		return "", &ibanError{ErrIBANCountry, fmt.Sprintf("%s is not a country that issues IBANs.", v[:2])}
	}
	if len(v) != want {
		return "", &ibanError{ErrIBANLength, fmt.Sprintf("An IBAN from %s has %d characters; this one has %d.", v[:2], want, len(v))}
	}
	if mod97(v[4:]+v[:4]) != 1 {
		return "", &ibanError{ErrIBANChecksum, "This IBAN's check digits do not match: look for a mistyped character."}
	}
	return IBAN(v), nil
}

// mod97 is the remainder of s read as a number, each letter standing for two digits (A = 10
// … Z = 35), computed piece by piece so that no number grows large.
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	return r
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// Country is the IBAN's country code ("DE").
func (i IBAN) Country() string {
	if len(i) < 2 {
		return ""
	}
	return string(i[:2])
}

// Printed is the IBAN as it is printed for people: in groups of four ("DE89 3704 0044 0532
// 0130 00").
func (i IBAN) Printed() string {
	var b strings.Builder
	for n := 0; n < len(i); n += 4 {
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(i[n:min(n+4, len(i))]))
	}
	return b.String()
}

// Masked shows enough of the IBAN to recognise it and no more: the country and check digits,
// then the last four characters ("DE89 •••• •••• •••• 3000").
func (i IBAN) Masked() string {
	if len(i) < 8 {
		return ""
	}
	groups := max((len(i)-8)/4, 1)
	return string(i[:4]) + strings.Repeat(" ••••", groups) + " " + string(i[len(i)-4:])
}

// ParseBIC reads a BIC (ISO 9362: a bank, country and location, and an optional branch; 8
// or 11 characters) as typed, in any case and with spaces.
func ParseBIC(s string) (string, error) {
	v := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	ok := len(v) == 8 || len(v) == 11
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		switch {
		case i < 6:
			ok = isLetter(c)
		case i == 6:
			ok = isLetter(c) || (c >= '2' && c <= '9')
		case i == 7:
			ok = (isLetter(c) && c != 'O') || isDigit(c)
		default:
			ok = isLetter(c) || isDigit(c)
		}
	}
	if !ok {
		return "", errors.New("A BIC has 8 or 11 letters and digits: the bank's four letters, its country's two, then its place (and branch), such as COBADEFFXXX.")
	}
	return v, nil
}
