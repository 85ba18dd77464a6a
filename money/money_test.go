package money

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in       string
		currency string
		want     int64
		err      string
	}{
		{"1,234.56", "USD", 123456, ""},
		{"1234.5", "USD", 123450, ""},
		{" 12 ", "USD", 1200, ""},
		{"$12.01", "USD", 1201, ""},
		{".5", "EUR", 50, ""},
		{"-20", "GBP", -2000, ""},
		{"1200", "JPY", 1200, ""},
		{"1.5", "JPY", 0, "whole number"},
		{"1.234", "KWD", 1234, ""},
		{"1.239", "USD", 0, "at most 2 decimal places"},
		{"12,34", "USD", 0, "like 1,234.50"},
		{"1,2345", "USD", 0, "like 1,234.50"},
		{"abc", "USD", 0, "like 1,234.50"},
		{"1e5", "USD", 0, "like 1,234.50"},
		{"1.234,56", "EUR", 0, "a point for decimals and commas for thousands"},
		{"12.5abc", "USD", 0, "like 1,234.50"},
		{"1.2.3", "USD", 0, "like 1,234.50"},
		{"1.5x", "JPY", 0, "like 1,234.50"},
		{"", "USD", 0, "Enter a number"},
		{".", "USD", 0, "Enter a number"},
		{"99999999999999999999", "USD", 0, "Enter a smaller amount."},
		{"5", "usd", 0, "currency"},
		{"1,234.50 €", "EUR", 123450, ""},
		{"-12.50 EUR", "EUR", -1250, ""},
		{"12.50 €", "USD", 0, "like 1,234.50"},
		{"€", "EUR", 0, "Enter a number"},
	}
	for _, c := range cases {
		got, err := Parse(c.in, c.currency)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q, %s) = %v, %v; want error containing %q", c.in, c.currency, got, err, c.err)
			}
			continue
		}
		if err != nil || got.Minor != c.want || got.Currency != c.currency {
			t.Errorf("Parse(%q, %s) = %v, %v; want %d", c.in, c.currency, got, err, c.want)
		}
	}
}

func TestString(t *testing.T) {
	cases := map[Money]string{
		{123456, "USD"}:             "$1,234.56",
		{5, "EUR"}:                  "€0.05",
		{-300, "USD"}:               "-$3.00",
		{1200, "JPY"}:               "¥1,200",
		{1234567, "CHF"}:            "CHF 12,345.67",
		{1001, "KWD"}:               "KWD 1.001",
		{0, "GBP"}:                  "£0.00",
		{math.MinInt64, "USD"}:      "-$92,233,720,368,547,758.08",
		{100000000000000000, "USD"}: "$1,000,000,000,000,000.00",
	}
	for m, want := range cases {
		if got := m.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", m, got, want)
		}
	}
	if got := (Money{123450, "USD"}).Plain(); got != "1234.50" {
		t.Errorf("Plain = %q", got)
	}
}

func TestQuantityAndTotals(t *testing.T) {
	q, err := ParseQuantity("2.5")
	if err != nil || q != 2500 || q.String() != "2.5" {
		t.Fatalf("ParseQuantity(2.5) = %v %v", q, err)
	}
	for _, bad := range []string{"0", "-1", "1.2345", "x", ""} {
		if _, err := ParseQuantity(bad); err == nil {
			t.Errorf("ParseQuantity(%q) accepted", bad)
		}
	}
	// 3 × $0.335 (rounds half away from zero) and 2.5 × $19.99 at 20% tax.
	tot, err := Compute([]Line{{Quantity: 1500, UnitPrice: 1}, {Quantity: 2500, UnitPrice: 1999, TaxRateBP: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	if tot.Lines[0].Amount != 2 || tot.Lines[1].Amount != 4998 || tot.Lines[1].Tax != 1000 || tot.Subtotal != 5000 || tot.Tax != 1000 || tot.Total != 6000 {
		t.Errorf("Compute = %+v", tot)
	}
	if _, err := Compute([]Line{{Quantity: MaxQuantity, UnitPrice: Max}}); !errors.Is(err, ErrOverflow) {
		t.Errorf("huge line: %v, want overflow", err)
	}
	if r, err := ParseRate("7.25"); err != nil || r != 725 || FormatRate(r) != "7.25" || FormatRate(2000) != "20" {
		t.Errorf("rate: %v %v", r, err)
	}
}

// Whatever is typed, Parse either refuses it or returns an amount that formats back to
// the same value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1,234.56", "0.5", "-3", "$12", "1.", ".01", "99999999999999999.99", "1,2,3"} {
		f.Add(s, "USD")
	}
	f.Add("1200", "JPY")
	f.Add("1.001", "KWD")
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := Parse(s, currency)
		if err != nil {
			return
		}
		back, err := Parse(m.Plain(), currency)
		if err != nil || back != m {
			t.Fatalf("Parse(%q) = %v; Plain %q parses to %v, %v", s, m, m.Plain(), back, err)
		}
		again, err := Parse(m.String(), currency)
		if m.Minor >= 0 && (err != nil || again != m) {
			t.Fatalf("Parse(%q) = %v; String %q parses to %v, %v", s, m, m.String(), again, err)
		}
	})
}

// Totals agree with exact rational arithmetic, or report overflow; they never wrap.
func FuzzCompute(f *testing.F) {
	f.Add(int64(1500), int64(1), 0, int64(2500), int64(1999), 2000)
	f.Add(int64(MaxQuantity), int64(Max), 10000, int64(1), int64(1), 1)
	f.Fuzz(func(t *testing.T, q1, p1 int64, r1 int, q2, p2 int64, r2 int) {
		lines := []Line{{Quantity(q1), p1, r1}, {Quantity(q2), p2, r2}}
		tot, err := Compute(lines)
		if err != nil {
			return
		}
		var sub, tax big.Int
		for i, l := range lines {
			if l.Quantity < 0 || l.UnitPrice < 0 {
				t.Fatalf("negative line %+v accepted", l)
			}
			amount := roundDiv(new(big.Int).Mul(big.NewInt(int64(l.Quantity)), big.NewInt(l.UnitPrice)), 1000)
			lineTax := roundDiv(new(big.Int).Mul(amount, big.NewInt(int64(l.TaxRateBP))), 10000)
			if amount.Int64() != tot.Lines[i].Amount || lineTax.Int64() != tot.Lines[i].Tax {
				t.Fatalf("line %d: got %+v, want %v / %v", i, tot.Lines[i], amount, lineTax)
			}
			sub.Add(&sub, amount)
			tax.Add(&tax, lineTax)
		}
		total := new(big.Int).Add(&sub, &tax)
		if sub.Int64() != tot.Subtotal || tax.Int64() != tot.Tax || !total.IsInt64() || total.Int64() != tot.Total || tot.Total > Max {
			t.Fatalf("totals %+v, want %v + %v", tot, &sub, &tax)
		}
	})
}

// Quantities parse and print back to themselves.
func FuzzQuantity(f *testing.F) {
	for _, s := range []string{"2.5", "1,000", "0.001", "3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		if q <= 0 || q > MaxQuantity {
			t.Fatalf("ParseQuantity(%q) = %d out of range", s, q)
		}
		back, err := ParseQuantity(q.String())
		if err != nil || back != q {
			t.Fatalf("ParseQuantity(%q) = %d; %q parses to %d, %v", s, q, q.String(), back, err)
		}
	})
}

// roundDiv rounds n/d halves away from zero, for n ≥ 0.
func roundDiv(n *big.Int, d int64) *big.Int {
	q, r := new(big.Int).QuoRem(n, big.NewInt(d), new(big.Int))
	if new(big.Int).Mul(r, big.NewInt(2)).Cmp(big.NewInt(d)) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// A currency is an ISO 4217 code in use: a typo of three capitals is refused, as are the
// codes that are not money one spends (no currency, testing, gold).
func TestValidCurrency(t *testing.T) {
	for _, c := range append([]string{"CLP", "KWD", "XOF", "ZMW", "UYU"}, Currencies...) {
		if !ValidCurrency(c) {
			t.Errorf("%s refused", c)
		}
	}
	for _, c := range []string{"", "usd", "US", "USDD", "QQQ", "ZZZ", "XXX", "XTS", "XAU", "AAA"} {
		if ValidCurrency(c) {
			t.Errorf("%q accepted as a currency", c)
		}
	}
	for c := range exponents {
		if !ValidCurrency(c) && c != "UYI" {
			t.Errorf("%s has an exponent but is not a currency", c)
		}
	}
}
