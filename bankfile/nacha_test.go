package bankfile

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sampleACH() *ACHFile {
	eff := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	return &ACHFile{
		ImmediateDestination: "021000021", ImmediateDestinationName: "JPMorgan Chase",
		ImmediateOrigin: "1234567890", ImmediateOriginName: "Acme Corp",
		CreatedAt: time.Date(2026, 12, 3, 14, 5, 0, 0, time.UTC), ReferenceCode: "PAY-7",
		Batches: []ACHBatch{
			{CompanyName: "Acme Corp", CompanyID: "1234567890", SEC: SECCCD, EntryDescription: "VENDOR PAY",
				EffectiveDate: eff, OriginatingDFI: "02100002", Entries: []ACHEntry{
					{TransactionCode: ACHCheckingCredit, RoutingNumber: "011000015", AccountNumber: "123456789",
						AmountCents: 1_234_56, IdentificationNumber: "V-1", ReceiverName: "Société Générale Supplies",
						Addenda: "INV-1001 INV-1002"},
					{TransactionCode: ACHSavingsCredit, RoutingNumber: "122105155", AccountNumber: "98-7654",
						AmountCents: 99_999_999_99, IdentificationNumber: "V-2", ReceiverName: "Globex"},
				}},
			{CompanyName: "Acme Corp", CompanyID: "1234567890", SEC: SECPPD, EntryDescription: "REIMBURSE",
				EffectiveDate: eff, OriginatingDFI: "02100002", Entries: []ACHEntry{
					{TransactionCode: ACHCheckingCredit, RoutingNumber: "091000019", AccountNumber: "555",
						AmountCents: 1, IdentificationNumber: "E-9", ReceiverName: "Jane Doe"},
				}},
		},
	}
}

func TestRoutingNumberCheckDigits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"021000021", true}, // JPMorgan Chase
		{"011000015", true}, // Federal Reserve Bank of Boston
		{"122105155", true}, // Wells Fargo (Arizona)
		{"091000019", true},
		{"021000022", false}, // last digit changed
		{"120000021", false}, // two digits swapped
		{"02100002", false},  // eight digits
		{"0210000211", false},
		{"02100002a", false},
		{"000000000", false}, // sums to zero but is no bank
		{"", false},
	} {
		if got := ValidRoutingNumber(tc.in); got != tc.want {
			t.Errorf("ValidRoutingNumber(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestNACHARecordsAndControls(t *testing.T) {
	f := sampleACH()
	var buf bytes.Buffer
	if err := WriteNACHA(&buf, f); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	if !strings.HasSuffix(text, "\n") {
		t.Fatal("the file does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	// 1 file header, 2 batch headers, 3 entries, 1 addenda, 2 batch controls, 1 file control = 10.
	if len(lines) != 10 {
		t.Fatalf("%d records, want 10 (one full block):\n%s", len(lines), text)
	}
	for i, l := range lines {
		if len(l) != 94 {
			t.Errorf("record %d is %d characters: %q", i+1, len(l), l)
		}
	}
	types := ""
	for _, l := range lines {
		types += l[:1]
	}
	if types != "1567685689" {
		t.Fatalf("record types %s, want 1567685689", types)
	}
	// The first batch's control: two entries and one addenda, hash 01100001+12210515.
	bc := lines[5]
	if got, want := bc[4:10], "000003"; got != want {
		t.Errorf("batch 1 entry/addenda count %s, want %s", got, want)
	}
	if got, want := bc[10:20], numeric(1100001+12210515, 10); got != want {
		t.Errorf("batch 1 entry hash %s, want %s", got, want)
	}
	if got, want := bc[20:32], "000000000000"; got != want {
		t.Errorf("batch 1 debits %s, want %s", got, want)
	}
	if got, want := bc[32:44], numeric(1_234_56+99_999_999_99, 12); got != want {
		t.Errorf("batch 1 credits %s, want %s", got, want)
	}
	if got := bc[87:94]; got != "0000001" {
		t.Errorf("batch 1 number %s", got)
	}
	fc := lines[9]
	if got, want := fc[1:7]+fc[7:13]+fc[13:21], "000002"+"000001"+"00000004"; got != want {
		t.Errorf("file batch/block/entry counts %s, want %s", got, want)
	}
	if got, want := fc[21:31], numeric(1100001+12210515+9100001, 10); got != want {
		t.Errorf("file entry hash %s, want %s", got, want)
	}
	if got, want := fc[43:55], numeric(1_234_56+99_999_999_99+1, 12); got != want {
		t.Errorf("file credits %s, want %s", got, want)
	}
	// The entry: receiving bank, check digit, account, amount, name folded to ASCII capitals.
	e := lines[2]
	if e[1:3] != "22" || e[3:11] != "01100001" || e[11:12] != "5" || strings.TrimSpace(e[12:29]) != "123456789" ||
		e[29:39] != "0000123456" || strings.TrimSpace(e[54:76]) != "SOCIETE GENERALE SUPPL" || e[78:79] != "1" {
		t.Errorf("entry record %q", e)
	}
	if e[79:94] != "021000020000001" || f.Batches[0].Entries[0].TraceNumber != "021000020000001" {
		t.Errorf("trace number %q (kept as %q)", e[79:94], f.Batches[0].Entries[0].TraceNumber)
	}
	if a := lines[3]; a[1:3] != "05" || strings.TrimSpace(a[3:83]) != "INV-1001 INV-1002" || a[83:87] != "0001" || a[87:94] != "0000001" {
		t.Errorf("addenda record %q", a)
	}
	if h := lines[0]; h[3:13] != " 021000021" || h[34:40] != "094101" {
		t.Errorf("file header %q", h)
	}
}

func TestNACHAPadsToBlocksOfTen(t *testing.T) {
	f := sampleACH()
	f.Batches = f.Batches[1:] // 1 + 1 + 1 + 1 + 1 = 5 records, then 5 of nines
	var buf bytes.Buffer
	if err := WriteNACHA(&buf, f); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d records, want 10", len(lines))
	}
	for _, l := range lines[5:] {
		if l != strings.Repeat("9", 94) {
			t.Errorf("padding record %q", l)
		}
	}
	if got := lines[4][7:13]; got != "000001" {
		t.Errorf("block count %s, want 000001", got)
	}

	// Eleven records take two blocks.
	f = sampleACH()
	f.Batches[1].Entries = append(f.Batches[1].Entries, f.Batches[1].Entries[0])
	buf.Reset()
	if err := WriteNACHA(&buf, f); err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 20 || lines[10][7:13] != "000002" {
		t.Fatalf("%d records, block count %q; want 20 and 000002", len(lines), lines[10][7:13])
	}
}

func TestNACHAReadBack(t *testing.T) {
	f := sampleACH()
	var buf bytes.Buffer
	if err := WriteNACHA(&buf, f); err != nil {
		t.Fatal(err)
	}
	got, err := ParseNACHA(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.ImmediateDestination != "021000021" || got.ImmediateOriginName != "ACME CORP" || len(got.Batches) != 2 {
		t.Fatalf("file read back: %+v", got)
	}
	for bi, b := range f.Batches {
		gb := got.Batches[bi]
		if gb.SEC != b.SEC || gb.CompanyID != b.CompanyID || !gb.EffectiveDate.Equal(b.EffectiveDate) || len(gb.Entries) != len(b.Entries) {
			t.Fatalf("batch %d read back: %+v", bi+1, gb)
		}
		for i, e := range b.Entries {
			ge := gb.Entries[i]
			if ge.RoutingNumber != e.RoutingNumber || ge.AccountNumber != e.AccountNumber || ge.AmountCents != e.AmountCents ||
				ge.TransactionCode != e.TransactionCode || ge.TraceNumber != e.TraceNumber || ge.Addenda != e.Addenda {
				t.Errorf("batch %d entry %d read back as %+v, wrote %+v", bi+1, i+1, ge, e)
			}
		}
	}
	if got.FileControl() != f.FileControl() {
		t.Errorf("controls %+v, want %+v", got.FileControl(), f.FileControl())
	}

	// A changed amount no longer matches the batch control: the parser says so.
	tampered := strings.Replace(buf.String(), "0000123456", "0000123457", 1)
	if _, err := ParseNACHA(strings.NewReader(tampered)); err == nil || !strings.Contains(err.Error(), "batch control") {
		t.Errorf("tampered amount read back without complaint: %v", err)
	}
	// A record one character short is refused.
	short := buf.String()[:50] + buf.String()[51:]
	if _, err := ParseNACHA(strings.NewReader(short)); err == nil {
		t.Error("a short record read back without complaint")
	}
}

func TestNACHARefusesWhatABankWould(t *testing.T) {
	for name, change := range map[string]func(f *ACHFile){
		"bad check digit":        func(f *ACHFile) { f.Batches[0].Entries[0].RoutingNumber = "011000016" },
		"bad bank routing":       func(f *ACHFile) { f.ImmediateDestination = "021000020" },
		"zero amount":            func(f *ACHFile) { f.Batches[0].Entries[0].AmountCents = 0 },
		"amount over ten digits": func(f *ACHFile) { f.Batches[0].Entries[1].AmountCents = 100_000_000_00 },
		"debit":                  func(f *ACHFile) { f.Batches[0].Entries[0].TransactionCode = 27 },
		"long account":           func(f *ACHFile) { f.Batches[0].Entries[0].AccountNumber = strings.Repeat("1", 18) },
		"account with space":     func(f *ACHFile) { f.Batches[0].Entries[0].AccountNumber = "12 34" },
		"unknown class":          func(f *ACHFile) { f.Batches[0].SEC = "WEB" },
		"no entries":             func(f *ACHFile) { f.Batches[1].Entries = nil },
		"no batches":             func(f *ACHFile) { f.Batches = nil },
		"short DFI":              func(f *ACHFile) { f.Batches[0].OriginatingDFI = "0210000" },
		"no receiver":            func(f *ACHFile) { f.Batches[0].Entries[0].ReceiverName = "  " },
	} {
		f := sampleACH()
		change(f)
		var buf bytes.Buffer
		if err := WriteNACHA(&buf, f); err == nil {
			t.Errorf("%s: written", name)
		} else if buf.Len() != 0 {
			t.Errorf("%s: refused (%v) but wrote %d bytes", name, err, buf.Len())
		}
	}
}

// An entry above what one ACH entry carries is refused saying what to do instead: split the
// payment, or pay it another way.
func TestNACHAEntryOverItsLimitSaysWhatToDo(t *testing.T) {
	f := sampleACH()
	f.Batches[0].Entries[1].AmountCents = NACHAMaxEntry.Minor + 1
	err := WriteNACHA(io.Discard, f)
	want := "the amount is more than the $99,999,999.99 one ACH entry can carry: split the payment into several entries of at most that, or pay it another way, such as a wire"
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("an entry over the limit: %v, want it to end %q", err, want)
	}
}

func TestNACHAEntryHashKeepsTenDigits(t *testing.T) {
	// 1,300 entries to a bank whose id is 99999999 sum past ten digits.
	f := sampleACH()
	f.Batches = f.Batches[:1]
	var entries []ACHEntry
	for i := 0; i < 130; i++ {
		entries = append(entries, ACHEntry{TransactionCode: ACHCheckingCredit, RoutingNumber: "999999992",
			AccountNumber: strconv.Itoa(i + 1), AmountCents: 100, ReceiverName: "Many"})
	}
	f.Batches[0].Entries = entries
	if !ValidRoutingNumber("999999992") {
		t.Fatal("test routing number has a wrong check digit")
	}
	want := int64(130*99999999) % 10_000_000_000
	if got := f.FileControl().EntryHash; got != want {
		t.Fatalf("entry hash %d, want %d", got, want)
	}
	var buf bytes.Buffer
	if err := WriteNACHA(&buf, f); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseNACHA(&buf); err != nil {
		t.Fatal(err)
	}
}
