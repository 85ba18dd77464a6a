package money

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// RatePlaces is how many decimal places an exchange rate may have, and RateDigits how many
// digits in all, leaving out the zeros in front: enough to keep exactly the rate of a weak
// currency written as a bank writes it (one dong is 0.0000392927308 dollars).
const (
	RatePlaces = 18
	RateDigits = 18
)

// MaxRate is the largest exchange rate accepted (one million).
const MaxRate = 1_000_000

// Rate is an exchange rate kept exactly as written: units of one currency per unit of
// another, coef / 10^places. Its zero value is no rate. A database keeps it as numeric, and
// it is written as its digits, without trailing zeros ("0.0000393", "25450").
type Rate struct {
	coef   int64
	places int
}

// RateOf is the rate coef / 10^places: RateOf(1085, 3) is 1.085.
func RateOf(coef int64, places int) Rate {
	for places > 0 && coef%10 == 0 {
		coef, places = coef/10, places-1
	}
	return Rate{coef: coef, places: places}
}

// IsZero reports whether r is no rate.
func (r Rate) IsZero() bool { return r.coef == 0 }

// String writes the rate with only the decimals it needs: "1.0853", "25450".
func (r Rate) String() string {
	s := fmt.Sprint(r.coef)
	if r.places == 0 {
		return s
	}
	if len(s) <= r.places {
		s = strings.Repeat("0", r.places-len(s)+1) + s
	}
	return s[:len(s)-r.places] + "." + s[len(s)-r.places:]
}

// readRate reads the digits of a rate, "0.0000393" or "25450.000000": a whole part and
// decimals, nothing else. Rates beyond what a Rate holds are refused.
func readRate(s string) (Rate, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole+frac == "" || strings.Trim(whole+frac, "0123456789") != "" {
		return Rate{}, errNotARate
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > RatePlaces {
		return Rate{}, errRatePlaces
	}
	digits := strings.TrimLeft(whole+frac, "0")
	if len(digits) > RateDigits {
		return Rate{}, errRateDigits
	}
	var coef int64
	for _, c := range digits {
		coef = coef*10 + int64(c-'0')
	}
	return RateOf(coef, len(frac)), nil
}

var (
	errNotARate   = errors.New("Enter a rate like 1.0853 or 25450.")
	errRatePlaces = fmt.Errorf("Use at most %d decimal places.", RatePlaces)
	errRateDigits = fmt.Errorf("Use at most %d digits, leaving out the zeros in front.", RateDigits)
)

// ParseExchangeRate reads an exchange rate as typed ("1.0853", "0.0000392927", "25450"),
// exactly. It must be above zero and at most MaxRate, have at most RatePlaces decimals and
// RateDigits digits, and has no comma (refuseRateComma).
func ParseExchangeRate(s string) (Rate, error) {
	if err := refuseRateComma(s, "1.085 or 25450"); err != nil {
		return Rate{}, err
	}
	r, err := readRate(strings.TrimSpace(s))
	switch {
	case err != nil:
		return Rate{}, err
	case r.IsZero():
		return Rate{}, errors.New("Enter a rate above zero.")
	case r.rat().Cmp(big.NewRat(MaxRate, 1)) > 0:
		return Rate{}, errors.New("Enter a smaller rate.")
	}
	return r, nil
}

// rat is the rate as a fraction.
func (r Rate) rat() *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(r.coef), pow10(r.places))
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// Scan reads a rate from the database's numeric (as text) or a number.
func (r *Rate) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case int64:
		s = fmt.Sprint(v)
	case nil:
		*r = Rate{}
		return nil
	default:
		return fmt.Errorf("money: cannot read a rate from %T", src)
	}
	read, err := readRate(s)
	if err != nil {
		return fmt.Errorf("money: rate %q: %w", s, err)
	}
	*r = read
	return nil
}

// Value writes the rate for the database, as its digits; no rate is NULL.
func (r Rate) Value() (driver.Value, error) {
	if r.IsZero() {
		return nil, nil
	}
	return r.String(), nil
}

// MarshalText writes the rate as its digits, so that JSON keeps it exactly.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Convert turns amount into currency to at rate (units of to per unit of amount's
// currency). The rounding rule: the exact product is rounded once, to the minor unit of to,
// halves away from zero; a report converts each line this way and adds the converted lines
// (it never converts a sum). amount must be non-negative.
func Convert(amount Money, rate Rate, to string) (Money, error) {
	return convert(amount, rate.rat(), to)
}

// ConvertPer turns amount into currency to at rate written the other way round: units of
// amount's currency per unit of to ("1 USD = 25450 VND" converts dong into dollars at
// 25450). The exact quotient is rounded once, as Convert rounds.
func ConvertPer(amount Money, rate Rate, to string) (Money, error) {
	if rate.IsZero() {
		return Money{}, errors.New("conversion needs a non-negative amount and a rate above zero")
	}
	return convert(amount, new(big.Rat).Inv(rate.rat()), to)
}

// convert turns amount into to at rate, rounding once.
func convert(amount Money, rate *big.Rat, to string) (Money, error) {
	if amount.Minor < 0 || rate.Sign() <= 0 {
		return Money{}, errors.New("conversion needs a non-negative amount and a rate above zero")
	}
	// amount.Minor / 10^exp(from) × rate × 10^exp(to) minor units of to.
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(amount.Minor), rate)
	v.Mul(v, new(big.Rat).SetFrac(pow10(Exponent(to)), pow10(Exponent(amount.Currency))))
	q, r := new(big.Int).QuoRem(v.Num(), v.Denom(), new(big.Int))
	if r.Lsh(r, 1).Cmp(v.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() || q.Int64() > Max {
		return Money{}, ErrOverflow
	}
	return Money{Minor: q.Int64(), Currency: to}, nil
}
