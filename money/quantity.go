package money

import "errors"

// Quantity is an amount of goods in thousandths of a unit: 2.5 boxes is 2500.
type Quantity int64

// QuantityPlaces is how many decimal places a quantity may have.
const QuantityPlaces = 3

// MaxQuantity is the largest quantity a line accepts (one billion units).
const MaxQuantity Quantity = 1_000_000_000_000

// ParseQuantity reads a quantity as typed ("3", "2.5", "1,000"). It must be positive.
func ParseQuantity(s string) (Quantity, error) {
	n, err := parseFixed(s, QuantityPlaces, "")
	if errors.Is(err, ErrOverflow) || n > int64(MaxQuantity) {
		return 0, errors.New("Enter a smaller quantity.")
	}
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, errors.New("Enter a quantity above zero.")
	}
	return Quantity(n), nil
}

// String writes the quantity with only the decimals it needs: "2.5", "3", "0.125".
func (q Quantity) String() string {
	s := formatFixed(int64(q), QuantityPlaces, true)
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// LineAmount is quantity × unit price, rounded to the minor unit (halves away from zero).
// Both must be non-negative.
func LineAmount(q Quantity, unitPrice int64) (int64, error) {
	if q < 0 || unitPrice < 0 {
		return 0, errors.New("quantity and unit price must not be negative")
	}
	v, ok := mulDivRound(uint64(q), uint64(unitPrice), 1000)
	if !ok || v > Max {
		return 0, ErrOverflow
	}
	return int64(v), nil
}

// Tax is the tax on amount at rate basis points (20% = 2000), rounded to the minor unit
// (halves away from zero). amount must be non-negative.
func Tax(amount int64, rateBP int) (int64, error) {
	if amount < 0 || rateBP < 0 || rateBP > 10000 {
		return 0, errors.New("tax needs a non-negative amount and a rate from 0 to 100%")
	}
	v, ok := mulDivRound(uint64(amount), uint64(rateBP), 10000)
	if !ok {
		return 0, ErrOverflow
	}
	return int64(v), nil
}

// ParseRate reads a tax rate in percent ("20", "7.25") into basis points. It has no comma
// (refuseRateComma): "0,050" would otherwise be 50%.
func ParseRate(s string) (int, error) {
	if err := refuseRateComma(s, "7.25"); err != nil {
		return 0, err
	}
	n, err := parseFixed(s, 2, "")
	if err != nil {
		if errors.Is(err, ErrOverflow) {
			return 0, errors.New("Enter a rate from 0 to 100.")
		}
		return 0, err
	}
	if n < 0 || n > 10000 {
		return 0, errors.New("Enter a rate from 0 to 100.")
	}
	return int(n), nil
}

// FormatRate writes basis points as a percentage without trailing zeros: "20", "7.25".
func FormatRate(bp int) string {
	s := formatFixed(int64(bp), 2, false)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// Line is one priced line of a document.
type Line struct {
	Quantity  Quantity
	UnitPrice int64 // minor units
	TaxRateBP int
}

// Totals are a document's computed amounts, in minor units.
type Totals struct {
	Subtotal int64
	Tax      int64
	Total    int64
	Lines    []LineTotals
}

// LineTotals are one line's computed amount and tax.
type LineTotals struct {
	Amount int64
	Tax    int64
}

// Compute prices every line and sums them: tax is computed per line, so a line's tax never
// changes when other lines are added.
func Compute(lines []Line) (Totals, error) {
	t := Totals{Lines: make([]LineTotals, len(lines))}
	var ok bool
	for i, l := range lines {
		amount, err := LineAmount(l.Quantity, l.UnitPrice)
		if err != nil {
			return Totals{}, err
		}
		tax, err := Tax(amount, l.TaxRateBP)
		if err != nil {
			return Totals{}, err
		}
		t.Lines[i] = LineTotals{Amount: amount, Tax: tax}
		if t.Subtotal, ok = addInt(t.Subtotal, amount); !ok {
			return Totals{}, ErrOverflow
		}
		if t.Tax, ok = addInt(t.Tax, tax); !ok {
			return Totals{}, ErrOverflow
		}
	}
	if t.Total, ok = addInt(t.Subtotal, t.Tax); !ok || t.Total > Max {
		return Totals{}, ErrOverflow
	}
	return t, nil
}
