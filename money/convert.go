package money

import (
	"errors"
	"fmt"
	"strings"
)

// refuseRateComma refuses a rate typed with a comma. An amount may have thousands separators
// (1,085 is a thousand and eighty-five), but a rate is rarely that large, and "1,085" is far
// more likely a rate written with a decimal comma (1.085): read as an amount it would be a
// thousand times the rate. example shows the rate's kind written as it should be.
func refuseRateComma(s, example string) error {
	if strings.ContainsRune(s, ',') {
		return fmt.Errorf("Write the rate with a point for decimals and no thousands separators, such as %s.", example)
	}
	return nil
}

// rateRefusal says why parseFixed refused s (err) as a rate of at most places decimals. More
// decimals than that are named as such, with s rounded to places (written by format) as the
// example when that is a rate above zero: "Use at most 6 decimal places, such as 0.006123.".
// Anything else asks for a rate like example.
func rateRefusal(err error, s string, places int, symbol string, format func(int64) string, example string) error {
	if !errors.As(err, new(tooManyPlaces)) {
		return fmt.Errorf("Enter a rate like %s.", example)
	}
	if n, ok := roundToPlaces(s, places, symbol); ok && n > 0 {
		example = format(n)
	}
	return fmt.Errorf("Use at most %d decimal places, such as %s.", places, example)
}

// roundToPlaces reads s, which has more than places decimals, rounded to places (halves up),
// scaled by 10^places as parseFixed reads it; ok is false when s does not read as a number.
func roundToPlaces(s string, places int, symbol string) (n int64, ok bool) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if len(frac) <= places {
		return 0, false
	}
	n, err := parseFixed(whole+"."+frac[:places], places, symbol)
	if err != nil {
		return 0, false
	}
	if frac[places] >= '5' {
		n++
	}
	return n, true
}

// Distance prices a distance in thousandths of a unit at rateMilli thousandths of a minor
// unit per unit: distance × rate, rounded to the minor unit, halves away from zero.
func Distance(distance Quantity, rateMilli int64) (int64, error) {
	if distance < 0 || rateMilli < 0 {
		return 0, errors.New("distance and rate must not be negative")
	}
	v, ok := mulDivRound(uint64(distance), uint64(rateMilli), 1_000_000)
	if !ok || v > Max {
		return 0, ErrOverflow
	}
	return int64(v), nil
}

// ParseUnitRate reads a price per unit with up to three decimals of the minor unit ("0.585"
// dollars a mile) into thousandths of the currency's minor unit (58500). It has no comma
// (refuseRateComma).
func ParseUnitRate(s, currency string) (int64, error) {
	if err := refuseRateComma(s, "0.585"); err != nil {
		return 0, err
	}
	n, err := parseFixed(strings.TrimSpace(s), Exponent(currency)+3, symbols[currency])
	if errors.Is(err, ErrOverflow) || n > Max {
		return 0, errors.New("Enter a smaller rate.")
	}
	if err != nil {
		plain := func(milli int64) string { return PlainUnitRate(milli, currency) }
		return 0, rateRefusal(err, s, Exponent(currency)+3, symbols[currency], plain, "0.585")
	}
	if n <= 0 {
		return 0, errors.New("Enter a rate above zero.")
	}
	return n, nil
}

// FormatUnitRate writes a rate in thousandths of a minor unit as an amount of currency with
// only the decimals it needs beyond the currency's own: "$0.585", "€0.30".
func FormatUnitRate(milli int64, currency string) string {
	sym, ok := symbols[currency]
	if !ok {
		sym = currency + " "
	}
	return sym + unitRateDigits(milli, currency, true)
}

// PlainUnitRate is a rate as a form shows it to be edited: the digits ParseUnitRate reads
// back, with no symbol and no thousands separators (which a rate refuses).
func PlainUnitRate(milli int64, currency string) string {
	return unitRateDigits(milli, currency, false)
}

// unitRateDigits writes a rate in thousandths of currency's minor unit with as few decimals
// as it needs, at least the currency's.
func unitRateDigits(milli int64, currency string, group bool) string {
	s := formatFixed(milli, Exponent(currency)+3, group)
	for i := 0; i < 3 && strings.HasSuffix(s, "0"); i++ {
		s = s[:len(s)-1]
	}
	return strings.TrimSuffix(s, ".")
}
