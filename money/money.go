// Package money holds amounts of money and quantities as integers: minor units (cents) beside
// an ISO 4217 currency code, and thousandths of a unit. Nothing here uses floating point;
// every operation that could overflow says so instead of wrapping.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// Money is an amount in a currency's minor unit (cents for USD, yen for JPY).
type Money struct {
	Minor    int64
	Currency string
}

// ErrOverflow is returned when a result does not fit in an int64 of minor units.
var ErrOverflow = errors.New("amount too large")

// Max is the largest amount, in minor units, that documents accept: a ceiling far below
// int64's so that totals of many lines, and tax on them, still fit.
const Max = 1_000_000_000_000_00 // one trillion major units

// exponents are the currencies whose minor unit is not a hundredth.
var exponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// Currencies offered in forms, most used first. Any ISO 4217 code in use is accepted.
var Currencies = []string{"USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "DKK", "NZD", "SGD", "INR", "ZAR", "MXN", "BRL"}

// Offered is the currencies a form offers: Currencies, then each code of have (a record's own
// currencies, or what was typed) that they leave out, in the order given. A record in a
// currency outside the usual ones is shown in it, and saved unchanged stays in it.
func Offered(have ...string) []string {
	out := Currencies
	for _, c := range have {
		if c != "" && !slices.Contains(out, c) {
			if len(out) == len(Currencies) {
				out = slices.Clone(Currencies)
			}
			out = append(out, c)
		}
	}
	return out
}

var symbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}

// Exponent is the number of decimal places of a currency's minor unit.
func Exponent(currency string) int {
	if e, ok := exponents[currency]; ok {
		return e
	}
	return 2
}

// isoCurrencies are the currencies of ISO 4217 in use (its list of 2025), without the codes
// for funds, precious metals, testing and "no currency" (XXX): money a business spends.
var isoCurrencies = map[string]bool{
	"AED": true, "AFN": true, "ALL": true, "AMD": true, "ANG": true, "AOA": true, "ARS": true,
	"AUD": true, "AWG": true, "AZN": true, "BAM": true, "BBD": true, "BDT": true, "BGN": true,
	"BHD": true, "BIF": true, "BMD": true, "BND": true, "BOB": true, "BRL": true, "BSD": true,
	"BTN": true, "BWP": true, "BYN": true, "BZD": true, "CAD": true, "CDF": true, "CHF": true,
	"CLP": true, "CNY": true, "COP": true, "CRC": true, "CUP": true, "CVE": true, "CZK": true,
	"DJF": true, "DKK": true, "DOP": true, "DZD": true, "EGP": true, "ERN": true, "ETB": true,
	"EUR": true, "FJD": true, "FKP": true, "GBP": true, "GEL": true, "GHS": true, "GIP": true,
	"GMD": true, "GNF": true, "GTQ": true, "GYD": true, "HKD": true, "HNL": true, "HTG": true,
	"HUF": true, "IDR": true, "ILS": true, "INR": true, "IQD": true, "IRR": true, "ISK": true,
	"JMD": true, "JOD": true, "JPY": true, "KES": true, "KGS": true, "KHR": true, "KMF": true,
	"KPW": true, "KRW": true, "KWD": true, "KYD": true, "KZT": true, "LAK": true, "LBP": true,
	"LKR": true, "LRD": true, "LSL": true, "LYD": true, "MAD": true, "MDL": true, "MGA": true,
	"MKD": true, "MMK": true, "MNT": true, "MOP": true, "MRU": true, "MUR": true, "MVR": true,
	"MWK": true, "MXN": true, "MYR": true, "MZN": true, "NAD": true, "NGN": true, "NIO": true,
	"NOK": true, "NPR": true, "NZD": true, "OMR": true, "PAB": true, "PEN": true, "PGK": true,
	"PHP": true, "PKR": true, "PLN": true, "PYG": true, "QAR": true, "RON": true, "RSD": true,
	"RUB": true, "RWF": true, "SAR": true, "SBD": true, "SCR": true, "SDG": true, "SEK": true,
	"SGD": true, "SHP": true, "SLE": true, "SOS": true, "SRD": true, "SSP": true, "STN": true,
	"SVC": true, "SYP": true, "SZL": true, "THB": true, "TJS": true, "TMT": true, "TND": true,
	"TOP": true, "TRY": true, "TTD": true, "TWD": true, "TZS": true, "UAH": true, "UGX": true,
	"USD": true, "UYU": true, "UZS": true, "VES": true, "VND": true, "VUV": true, "WST": true,
	"XAF": true, "XCD": true, "XCG": true, "XOF": true, "XPF": true, "YER": true, "ZAR": true,
	"ZMW": true, "ZWG": true,
}

// ValidCurrency reports whether code is the ISO 4217 code of a currency in use. Any three
// capital letters would let a typo (QQQ) through as a currency that no payment can be made in.
func ValidCurrency(code string) bool { return isoCurrencies[code] }

// Parse reads an amount as people type it ("1,234.56", "1234.5", "-20", "$ 12") in the given
// currency. It refuses more decimal places than the currency has, rather than rounding.
func Parse(s, currency string) (Money, error) {
	if !ValidCurrency(currency) {
		return Money{}, fmt.Errorf("Choose a currency.")
	}
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, currency); ok {
		s = rest
	} else if rest, ok := strings.CutPrefix(s, "-"+currency); ok {
		s = "-" + rest
	} else if rest, ok := strings.CutSuffix(s, currency); ok && rest != "" {
		// Written after the amount, as much of Europe writes it: "1.234,50 EUR", "12,50 €".
		s = strings.TrimSpace(rest)
	} else if rest, ok := strings.CutSuffix(s, symbols[currency]); ok && rest != "" && symbols[currency] != "" {
		s = strings.TrimSpace(rest)
	}
	minor, err := parseFixed(s, Exponent(currency), symbols[currency])
	if errors.Is(err, ErrOverflow) {
		return Money{}, tooLarge{}
	}
	if err != nil {
		return Money{}, err
	}
	return Money{Minor: minor, Currency: currency}, nil
}

// tooLarge is ErrOverflow of an amount typed, as the person reads it beside the field.
type tooLarge struct{}

func (tooLarge) Error() string        { return "Enter a smaller amount." }
func (tooLarge) Is(target error) bool { return target == ErrOverflow }

// tooManyPlaces is parseFixed's refusal of a number with more decimal places than it reads.
type tooManyPlaces struct{ places int }

func (e tooManyPlaces) Error() string { return fmt.Sprintf("Use at most %d decimal places.", e.places) }

// parseFixed parses a decimal number into an integer scaled by 10^places.
func parseFixed(s string, places int, symbol string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, strings.TrimSpace(s[1:])
	}
	if symbol != "" {
		s = strings.TrimSpace(strings.TrimPrefix(s, symbol))
	}
	if s == "" {
		return 0, errors.New("Enter a number.")
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if hasPoint && frac == "" && whole == "" {
		return 0, errors.New("Enter a number.")
	}
	if strings.Contains(frac, ",") {
		// "1.234,56": the European way round. Read as ours it would be a different amount.
		return 0, errors.New("Use a point for decimals and commas for thousands, like 1,234.56.")
	}
	if strings.IndexFunc(frac, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, errors.New("Enter a number like 1,234.50.")
	}
	if len(frac) > places {
		if places == 0 {
			return 0, errors.New("Enter a whole number.")
		}
		return 0, tooManyPlaces{places}
	}
	if strings.Contains(whole, ",") {
		// Thousands separators must be in the right places: 1,234,567.
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, errors.New("Enter a number like 1,234.50.")
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, errors.New("Enter a number like 1,234.50.")
			}
		}
		whole = strings.Join(groups, "")
	}
	var n int64
	digits := 0
	for _, part := range []string{whole, frac + strings.Repeat("0", places-len(frac))} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return 0, errors.New("Enter a number like 1,234.50.")
			}
			if n > (math.MaxInt64-int64(c-'0'))/10 {
				return 0, ErrOverflow
			}
			n = n*10 + int64(c-'0')
			digits++
		}
	}
	if digits == 0 {
		return 0, errors.New("Enter a number.")
	}
	if neg {
		n = -n
	}
	return n, nil
}

// String formats the amount for a reader: "$1,234.56", "€0.50", "¥1,200", "CHF 12.00",
// "-$3.00".
func (m Money) String() string {
	sym, ok := symbols[m.Currency]
	if !ok {
		sym = m.Currency + " "
	}
	s := formatFixed(m.Minor, Exponent(m.Currency), true)
	if strings.HasPrefix(s, "-") {
		return "-" + sym + s[1:]
	}
	return sym + s
}

// Plain formats the amount without a currency sign or grouping, as a form field shows it:
// "1234.56".
func (m Money) Plain() string { return formatFixed(m.Minor, Exponent(m.Currency), false) }

// formatFixed writes n / 10^places with exactly places decimals.
func formatFixed(n int64, places int, group bool) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u // two's complement: correct for MinInt64 too
	}
	digits := fmt.Sprintf("%0*d", places+1, u)
	whole, frac := digits[:len(digits)-places], digits[len(digits)-places:]
	if group && len(whole) > 3 {
		var b strings.Builder
		first := len(whole) % 3
		if first > 0 {
			b.WriteString(whole[:first])
		}
		for i := first; i < len(whole); i += 3 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(whole[i : i+3])
		}
		whole = b.String()
	}
	out := whole
	if places > 0 {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Add returns a+b; the currencies must match.
func Add(a, b Money) (Money, error) {
	if a.Currency != b.Currency {
		return Money{}, fmt.Errorf("cannot add %s to %s", b.Currency, a.Currency)
	}
	s, ok := addInt(a.Minor, b.Minor)
	if !ok {
		return Money{}, ErrOverflow
	}
	return Money{Minor: s, Currency: a.Currency}, nil
}

func addInt(a, b int64) (int64, bool) {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return 0, false
	}
	return s, true
}

// mulDivRound returns round(a*b/d), halves away from zero, for a, b ≥ 0 and d > 0, computed
// in 128 bits so that the product cannot overflow.
func mulDivRound(a, b, d uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	if hi >= d {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, d)
	if r >= d-r { // r*2 >= d, written so that it cannot overflow
		if q == math.MaxUint64 {
			return 0, false
		}
		q++
	}
	return q, true
}
