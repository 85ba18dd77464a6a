package bankfile_test

import (
	"errors"
	"testing"

	"outlay/bankfile"
)

func TestParseIBAN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     bankfile.IBAN
		err      error
	}{
		{"German", "DE89370400440532013000", "DE89370400440532013000", nil},
		{"British", "GB82WEST12345698765432", "GB82WEST12345698765432", nil},
		{"French, letters inside", "FR1420041010050500013M02606", "FR1420041010050500013M02606", nil},
		{"Norwegian, the shortest", "NO9386011117947", "NO9386011117947", nil},
		{"Maltese, a long one", "MT84MALT011000012345MTLCAST001S", "MT84MALT011000012345MTLCAST001S", nil},
		{"printed: spaces and lower case", " de89 3704 0044 0532 0130 00 ", "DE89370400440532013000", nil},
		{"bad checksum: one digit changed", "DE89370400440532013001", "", bankfile.ErrIBANChecksum},
		{"bad checksum: check digits", "DE88370400440532013000", "", bankfile.ErrIBANChecksum},
		{"bad checksum: two digits swapped", "DE89370400440532010300", "", bankfile.ErrIBANChecksum},
		{"too short for its country", "DE8937040044053201300", "", bankfile.ErrIBANLength},
		{"too long for its country", "DE893704004405320130000", "", bankfile.ErrIBANLength},
		{"unknown country", "XX89370400440532013000", "", bankfile.ErrIBANCountry},
		{"no country", "8937040044053201300000", "", bankfile.ErrIBANCountry},
		{"empty", "", "", bankfile.ErrIBANCountry},
		{"punctuation", "DE89-3704-0044-0532-0130-00", "", bankfile.ErrIBANCharacters},
	} {
		got, err := bankfile.ParseIBAN(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s: ParseIBAN(%q) = %q, %v; want %q, %v", tc.name, tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && err.Error() == "" {
			t.Errorf("%s: an error with no words", tc.name)
		}
	}
}

func TestIBANForms(t *testing.T) {
	t.Parallel()
	iban, err := bankfile.ParseIBAN("DE89370400440532013000")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := iban.Printed(), "DE89 3704 0044 0532 0130 00"; got != want {
		t.Errorf("Printed = %q, want %q", got, want)
	}
	if got, want := iban.Masked(), "DE89 •••• •••• •••• 3000"; got != want {
		t.Errorf("Masked = %q, want %q", got, want)
	}
	if no, _ := bankfile.ParseIBAN("NO9386011117947"); no.Masked() != "NO93 •••• 7947" {
		t.Errorf("short IBAN masked as %q", no.Masked())
	}
	if iban.Country() != "DE" {
		t.Errorf("Country = %q", iban.Country())
	}
}

func TestParseBIC(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"COBADEFFXXX": "COBADEFFXXX", "cobadeff": "COBADEFF", " DEUT DE FF ": "DEUTDEFF"} {
		if got, err := bankfile.ParseBIC(in); got != want || err != nil {
			t.Errorf("ParseBIC(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "COBADEF", "COBADEFFXX", "C0BADEFF", "COBADE1F", "COBADEFO"} {
		if got, err := bankfile.ParseBIC(in); err == nil {
			t.Errorf("ParseBIC(%q) = %q, accepted", in, got)
		}
	}
}
