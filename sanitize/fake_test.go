package sanitize

import (
	"bytes"
	"context"
	"net/mail"
	"strings"
	"testing"

	"outlay/bankfile"
	"outlay/storage"
)

func testFaker(t *testing.T, slug string) *Faker {
	t.Helper()
	f, err := NewFaker(bytes.Repeat([]byte{7}, 32), slug)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Fakes depend only on the value, its kind and the source tenant: a second faker gives the
// same fakes, in any order; another tenant's differ.
func TestFakesAreDeterministic(t *testing.T) {
	a, b, other := testFaker(t, "acme"), testFaker(t, "acme"), testFaker(t, "globex")
	if a.Name("Riley Requester") == a.Name("Avery Approver") {
		t.Error("two names got one fake")
	}
	b.Name("Avery Approver") // another order
	for _, v := range []string{"Riley Requester", "riley  requester"} {
		if a.Name(v) != b.Name(v) {
			t.Errorf("Name(%q): %q then %q", v, a.Name(v), b.Name(v))
		}
	}
	if a.Email("Ana@Tailspin.example") != b.Email("ana@tailspin.example") {
		t.Error("an email's fake depends on its case")
	}
	if a.Text("Needed for the Berlin offsite") != b.Text("Needed for the Berlin offsite") {
		t.Error("free text fakes differ")
	}
	if a.Name("Riley Requester") == other.Name("Riley Requester") {
		t.Error("two tenants share fakes")
	}
}

// Fakes keep their formats: emails parse and are unique, IBANs and routing numbers have
// valid check digits, BICs parse, phones keep their layout, and a fake never equals an
// original value.
func TestFakesKeepFormats(t *testing.T) {
	f := testFaker(t, "acme")
	seen := map[string]bool{}
	for i := range 2000 {
		e := f.Email(strings.Repeat("x", i%7) + "user" + string(rune('a'+i%26)) + "@" + "example" + string(rune('a'+i/26%26)) + ".org")
		if _, err := mail.ParseAddress(e); err != nil || !strings.HasSuffix(e, "@example.com") {
			t.Fatalf("fake email %q: %v", e, err)
		}
		if seen[e] {
			t.Fatalf("fake email %q given twice", e)
		}
		seen[e] = true
	}
	for _, iban := range []string{"DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606", "NL91ABNA0417164301"} {
		fake := f.IBAN(iban)
		parsed, err := bankfile.ParseIBAN(fake)
		if err != nil || parsed.Country() != iban[:2] || strings.ReplaceAll(iban, " ", "") == fake {
			t.Errorf("IBAN(%s) = %s: %v", iban, fake, err)
		}
	}
	if r := f.RoutingNumber("011000015"); !bankfile.ValidRoutingNumber(r) || r == "011000015" {
		t.Errorf("RoutingNumber = %s", r)
	}
	for _, bic := range []string{"COBADEFFXXX", "NWBKGB2L"} {
		fake := f.BIC(bic)
		if _, err := bankfile.ParseBIC(fake); err != nil || len(fake) != len(bic) || fake[4:6] != bic[4:6] {
			t.Errorf("BIC(%s) = %s: %v", bic, fake, err)
		}
	}
	for _, p := range []string{"+1 415 555 0134", "(510) 555-0199"} {
		fake := f.Phone(p)
		shape := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return '9'
				}
				return r
			}, s)
		}
		if fake == p || shape(fake) != shape(p) {
			t.Errorf("Phone(%s) = %s", p, fake)
		}
	}
	if tax := f.Shape("id", "US-94-1234567"); tax == "US-94-1234567" || len(tax) != 13 || tax[2] != '-' {
		t.Errorf("Shape = %s", tax)
	}

	g := testFaker(t, "acme")
	taken := g.Name("Riley Requester")
	h := testFaker(t, "acme")
	h.Avoid(taken)
	if h.Name("Riley Requester") == taken {
		t.Error("a fake equals an original value it was told to avoid")
	}
}

// Each placeholder is taken by the upload check as the type it stands for.
func TestPlaceholdersAreTheirType(t *testing.T) {
	store, err := storage.Open(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for ctype, name := range map[string]string{
		storage.TypePDF: "a.pdf", storage.TypePNG: "a.png", storage.TypeJPEG: "a.jpg", storage.TypeGIF: "a.gif",
		storage.TypeWebP: "a.webp", storage.TypeText: "a.txt", storage.TypeCSV: "a.csv", storage.TypeXLSX: "a.xlsx",
		storage.TypeDOCX: "a.docx", storage.TypePPTX: "a.pptx",
	} {
		body, got, err := Placeholder(ctype)
		if err != nil || got != ctype {
			t.Errorf("Placeholder(%s) = %s, %v", ctype, got, err)
			continue
		}
		up, err := store.Receive(context.Background(), "acme", bytes.NewReader(body), name, 1<<20)
		if err != nil || up.ContentType != ctype {
			t.Errorf("the %s placeholder is received as %+v, %v", ctype, up, err)
		}
	}
}
