package money

import "testing"

// Conversion rounds once, to the target's minor unit, halves away from zero, across
// currencies of different exponents, at the rate exactly as typed: a weak currency's rate
// keeps every digit, and a rate written the other way round (units spent per unit of the
// target) divides exactly.
func TestConvertRounding(t *testing.T) {
	for _, c := range []struct {
		amount Money
		rate   string
		per    bool // the rate is units of amount's currency per unit of to
		to     string
		want   string
	}{
		{Money{1001, "EUR"}, "1.085", false, "USD", "$10.86"},   // 10.860850
		{Money{5, "EUR"}, "1.5", false, "USD", "$0.08"},         // 0.075: the half goes up
		{Money{5, "EUR"}, "1.49", false, "USD", "$0.07"},        // 0.0745
		{Money{1234, "JPY"}, "0.006789", false, "USD", "$8.38"}, // 8.377626
		{Money{1234, "USD"}, "150.5", false, "JPY", "¥1,857"},   // 1857.17
		{Money{1000, "USD"}, "0.3771", false, "KWD", "KWD 3.771"},
		{Money{0, "EUR"}, "1.2", false, "USD", "$0.00"},
		// A hotel of 25,000,000 dong: at 39 millionths it would have been $975.00.
		{Money{25_000_000, "VND"}, "0.0000392927308", false, "USD", "$982.32"}, // 982.31827
		{Money{25_000_000, "VND"}, "25450", true, "USD", "$982.32"},            // 982.3182711…
		{Money{25_450, "VND"}, "25450", true, "USD", "$1.00"},
		{Money{12_725, "VND"}, "25450", true, "USD", "$0.50"},                       // exactly half a dollar
		{Money{1_273, "VND"}, "25450", true, "USD", "$0.05"},                        // 0.050019…
		{Money{100_000_000, "IDR"}, "0.0000617283950617", false, "EUR", "€61.73"},   // 61.7283950617
		{Money{1_234_567, "JPY"}, "0.00617283950617284", false, "USD", "$7,620.78"}, // 7620.78395…,
		{Money{1_234_567, "JPY"}, "162.0", true, "USD", "$7,620.78"},                // 7620.7839…
		{Money{100_000, "USD"}, "0.30715", false, "KWD", "KWD 307.150"},             // 3 decimals
		{Money{1_000, "KWD"}, "3.2557", false, "USD", "$3.26"},                      // 3.2557
		{Money{1_000, "KWD"}, "0.30715", true, "USD", "$3.26"},                      // 3.25574…
		{Money{5, "KWD"}, "0.005", false, "JPY", "¥0"},                              // 0.000025
		{Money{2_500, "USD"}, "1", true, "KWD", "KWD 25.000"},
	} {
		rate, err := ParseExchangeRate(c.rate)
		if err != nil {
			t.Fatal(err)
		}
		convert := Convert
		if c.per {
			convert = ConvertPer
		}
		got, err := convert(c.amount, rate, c.to)
		if err != nil || got.String() != c.want {
			t.Errorf("%s at %s (per %v): %s %v, want %s", c.amount, c.rate, c.per, got, err, c.want)
		}
	}
	for _, bad := range []string{"0", "-1", "abc", "0.0000000000000000001", "2000000", "1234567.123456789012", ""} {
		if _, err := ParseExchangeRate(bad); err == nil {
			t.Errorf("rate %q accepted", bad)
		}
	}
	for typed, want := range map[string]string{"1.085": "1.085", "150.000": "150", "0.0000392927308": "0.0000392927308", "25450": "25450",
		"000.50": "0.5", "1000000": "1000000"} {
		if r, err := ParseExchangeRate(typed); err != nil || r.String() != want {
			t.Errorf("rate %q reads as %s %v, want %s", typed, r, err, want)
		}
	}
	var scanned Rate
	if err := scanned.Scan("0.000039292730800000"); err != nil || scanned != RateOf(392927308, 13) {
		t.Errorf("numeric read as %v %v", scanned, err)
	}
}

func TestDistanceAndUnitRates(t *testing.T) {
	rate, err := ParseUnitRate("0.585", "USD")
	if err != nil || rate != 58500 {
		t.Fatalf("rate %d %v", rate, err)
	}
	if got := FormatUnitRate(rate, "USD"); got != "$0.585" {
		t.Errorf("format %s", got)
	}
	if got := FormatUnitRate(30000, "EUR"); got != "€0.30" {
		t.Errorf("format %s", got)
	}
	for _, c := range []struct {
		dist Quantity
		rate int64
		want int64
	}{
		{100_000, 58500, 5850}, // 100 mi at $0.585
		{12_300, 58500, 720},   // 12.3 × 58.5 = 719.55 → 720
		{1_000, 30000, 30},
	} {
		if got, err := Distance(c.dist, c.rate); err != nil || got != c.want {
			t.Errorf("%d at %d: %d %v, want %d", c.dist, c.rate, got, err, c.want)
		}
	}
	if _, err := ParseUnitRate("-1", "USD"); err == nil {
		t.Error("negative rate accepted")
	}
}

// A rate is never read with a thousands separator: "1,085" is far more likely a rate written
// with a decimal comma (1.085) than a thousand and eighty-five, so every kind of rate refuses
// a comma and says how to write it, where an amount takes it as thousands.
func TestRatesRefuseAComma(t *testing.T) {
	const how = "Write the rate with a point for decimals and no thousands separators, such as "
	for _, c := range []struct {
		name, typed, want string
		parse             func(string) error
	}{
		{"exchange rate", "1,085", how + "1.085 or 25450.", func(s string) error { _, err := ParseExchangeRate(s); return err }},
		{"exchange rate with thousands", "1,385.2", how + "1.085 or 25450.", func(s string) error { _, err := ParseExchangeRate(s); return err }},
		{"mileage rate", "0,585", how + "0.585.", func(s string) error { _, err := ParseUnitRate(s, "EUR"); return err }},
		{"tax rate", "0,050", how + "7.25.", func(s string) error { _, err := ParseRate(s); return err }},
	} {
		if err := c.parse(c.typed); err == nil || err.Error() != c.want {
			t.Errorf("%s %q: %v, want %q", c.name, c.typed, err, c.want)
		}
	}
	if m, err := Parse("1,085", "USD"); err != nil || m.Minor != 108500 {
		t.Errorf("an amount with thousands: %v %v, want $1,085.00", m, err)
	}
}

// A rate with more decimal places than its kind keeps is refused saying how many it may
// have, with the rate rounded to that many (halves up) as the example, or a plain example
// when the rounded rate would be zero; anything else unreadable asks for a rate like one.
func TestRatesRefuseTooManyDecimals(t *testing.T) {
	exchange := func(s string) error { _, err := ParseExchangeRate(s); return err }
	mileage := func(currency string) func(string) error {
		return func(s string) error { _, err := ParseUnitRate(s, currency); return err }
	}
	for _, c := range []struct {
		name, typed, want string
		parse             func(string) error
	}{
		{"exchange rate", "0.0061234567890123456789", "Use at most 18 decimal places.", exchange},
		{"exchange rate with too many digits", "123.1234567890123456", "Use at most 18 digits, leaving out the zeros in front.", exchange},
		{"exchange rate not a number", "abc", "Enter a rate like 1.0853 or 25450.", exchange},
		{"mileage rate in euros", "0.4212345", "Use at most 5 decimal places, such as 0.42123.", mileage("EUR")},
		{"mileage rate with its symbol", "$0.585555", "Use at most 5 decimal places, such as 0.58556.", mileage("USD")},
		{"mileage rate in yen", "15.1234", "Use at most 3 decimal places, such as 15.123.", mileage("JPY")},
		{"mileage rate not a number", "fast", "Enter a rate like 0.585.", mileage("EUR")},
	} {
		if err := c.parse(c.typed); err == nil || err.Error() != c.want {
			t.Errorf("%s %q: %v, want %q", c.name, c.typed, err, c.want)
		}
	}
}

// A rate written for its form field reads back as the same rate, with no thousands
// separators (which a rate refuses): a mileage rate of 3,000.5 dong a kilometre saved
// unchanged is not refused.
func TestPlainUnitRateReadsBack(t *testing.T) {
	for _, c := range []struct {
		currency string
		milli    int64
		want     string
	}{{"VND", 3_000_500, "3000.5"}, {"USD", 58_500, "0.585"}, {"EUR", 30_000, "0.30"}, {"JPY", 1_234_000, "1234"}} {
		got := PlainUnitRate(c.milli, c.currency)
		back, err := ParseUnitRate(got, c.currency)
		if got != c.want || err != nil || back != c.milli {
			t.Errorf("%d %s: written %q (want %q), read back %d %v", c.milli, c.currency, got, c.want, back, err)
		}
	}
}
