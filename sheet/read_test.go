package sheet_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"outlay/sheet"
)

const sample = "name;city\nZoë Müller;Köln\n\"Smith; Jones\";Paris\n"

func utf16Bytes(s string, bigEndian bool) []byte {
	var b []byte
	if bigEndian {
		b = []byte{0xFE, 0xFF}
	} else {
		b = []byte{0xFF, 0xFE}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

// Every common encoding and delimiter is recognised and read to the same cells.
func TestReadEncodingsAndDelimiters(t *testing.T) {
	t.Parallel()
	latin1 := []byte("name;city\nZo\xeb M\xfcller;K\xf6ln\n\"Smith; Jones\";Paris\n")
	cases := []struct {
		name, enc string
		data      []byte
		delim     rune
	}{
		{"utf-8", "UTF-8", []byte(sample), ';'},
		{"utf-8 bom", "UTF-8 with BOM", append([]byte("\xEF\xBB\xBF"), sample...), ';'},
		{"utf-16le", "UTF-16LE", utf16Bytes(sample, false), ';'},
		{"utf-16be", "UTF-16BE", utf16Bytes(sample, true), ';'},
		{"windows-1252", "Windows-1252", latin1, ';'},
		{"comma", "UTF-8", []byte("name,city\nZoë Müller,Köln\n\"Smith; Jones\",Paris\n"), ','},
		{"tab", "UTF-8", []byte("name\tcity\nZoë Müller\tKöln\n\"Smith; Jones\"\tParis\n"), '\t'},
		{"pipe", "UTF-8", []byte("name|city\nZoë Müller|Köln\n\"Smith; Jones\"|Paris\n"), '|'},
	}
	for _, c := range cases {
		tbl, err := sheet.Read(bytes.NewReader(c.data), "people.csv", sheet.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if tbl.Encoding != c.enc || tbl.Delimiter != c.delim {
			t.Errorf("%s: read as %s, %q; want %s, %q", c.name, tbl.Encoding, tbl.Delimiter, c.enc, c.delim)
		}
		want := [][]string{{"name", "city"}, {"Zoë Müller", "Köln"}, {"Smith; Jones", "Paris"}}
		if len(tbl.Rows) != 3 || strings.Join(tbl.Rows[1], "|") != strings.Join(want[1], "|") || strings.Join(tbl.Rows[2], "|") != strings.Join(want[2], "|") {
			t.Errorf("%s: rows %q", c.name, tbl.Rows)
		}
	}
}

func xlsxBytes(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadXLSX(t *testing.T) {
	t.Parallel()
	data := xlsxBytes(t, [][]any{{"name", "terms"}, {"Acme", 30}, {}, {"Beta", 15}})
	tbl, err := sheet.Read(bytes.NewReader(data), "vendors.xlsx", sheet.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Format != sheet.XLSX || len(tbl.Rows) != 3 || tbl.Rows[2][0] != "Beta" || tbl.Lines[2] != 4 {
		t.Fatalf("read %+v", tbl)
	}
}

// zipBomb is a zip named .xlsx whose one part unpacks to size bytes of zeros.
func zipBomb(t *testing.T, size int64, parts int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for p := range parts {
		name := "xl/workbook.xml"
		if p > 0 {
			name = "xl/worksheets/sheet" + strings.Repeat("x", p%5) + string(rune('a'+p%26)) + ".xml"
		}
		w, err := zw.Create(name + strings.Repeat("_", p/26))
		if err != nil {
			t.Fatal(err)
		}
		zero := make([]byte, 1<<20)
		for written := int64(0); written < size; written += int64(len(zero)) {
			w.Write(zero[:min(int64(len(zero)), size-written)])
		}
	}
	zw.Close()
	return b.Bytes()
}

// A file that is not what it claims is refused with a message saying what it is.
func TestReadRefusesBadFiles(t *testing.T) {
	t.Parallel()
	garbage := make([]byte, 2<<20)
	rand.Read(garbage)
	big := make([]byte, 50<<20)
	cases := []struct {
		name, filename string
		data           []byte
		words          string
	}{
		{"empty", "a.csv", nil, "empty"},
		{"blank lines", "a.csv", []byte("\n\n  \n"), "empty"},
		{"garbage", "a.csv", garbage, "binary data"},
		{"50 MB", "a.csv", big, "larger than 20 MB"},
		{"pdf named csv", "a.csv", []byte("%PDF-1.7\n\x00\x01\x02binary"), "not a CSV or Excel"},
		{"text named xlsx", "a.xlsx", []byte("name,terms\nAcme,30\n"), "named .xlsx but is not an Excel workbook"},
		{"old excel", "a.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), "old-style Excel"},
		{"utf-16 without bom", "a.csv", utf16Bytes(sample, false)[2:], "UTF-16 text without a byte-order mark"},
		{"bad utf-8 after bom", "a.csv", []byte("\xEF\xBB\xBFname\n\xff\xfe\xfd\n"), "says it is UTF-8"},
		{"undefined windows-1252", "a.csv", []byte("name\nA\x81B\n"), "encoding we cannot read"},
		{"zip bomb", "a.xlsx", zipBomb(t, 300<<20, 1), "unpack to more than 256 MB"},
		{"many parts", "a.xlsx", zipBomb(t, 10, 300), "300 parts"},
		{"plain zip", "a.xlsx", func() []byte {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			w, _ := zw.Create("readme.txt")
			w.Write([]byte("hi"))
			zw.Close()
			return b.Bytes()
		}(), "zip file, not an Excel workbook"},
		{"damaged xlsx", "a.xlsx", []byte("PK\x03\x04garbage-not-a-zip"), "damaged"},
	}
	for _, c := range cases {
		_, err := sheet.Read(bytes.NewReader(c.data), c.filename, sheet.DefaultLimits)
		msg, ok := sheet.IsFileError(err)
		if !ok || !strings.Contains(msg, c.words) {
			t.Errorf("%s: got %v; want a message with %q", c.name, err, c.words)
		}
	}
}

// A value that opens a double quote and does not close it where the value ends would run the
// rows after it into that value: the file is refused, naming the line the value starts on.
func TestReadRefusesUnclosedQuote(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		line       string
	}{
		{"never closed", "Name,Address\n\"Acme,1 Main St\nBeta,2 Road\n", "Line 2 "},
		{"closed by a later quote", "Name,Address\nAcme,1 Main St\n\"Beta,2 Road\nGamma,3 Lane\n\"Delta\",4 Way\n", "Line 3 "},
		{"text after the closing quote", "Name;Address\n\"Acme\" Ltd;1 Main St\nBeta;2 Road\n", "Line 2 "},
		{"after a quoted line break", "Name,Address\nAcme,\"1 Main St\nSpringfield\"\n\"Beta,2 Road\n", "Line 4 "},
	}
	for _, c := range cases {
		_, err := sheet.Read(strings.NewReader(c.text), "locations.csv", sheet.DefaultLimits)
		msg, ok := sheet.IsFileError(err)
		if !ok || !strings.HasPrefix(msg, c.line) || !strings.Contains(msg, "double quote") {
			t.Errorf("%s: got %v; want a message starting %q about a double quote", c.name, err, c.line)
		}
	}
}

// Quotes that are closed where their value ends read as they always did: a quoted line
// break, a doubled quote inside a quoted value, and a quote inside an unquoted value.
func TestReadKeepsClosedQuotes(t *testing.T) {
	t.Parallel()
	text := "Name,Address\nBerlin office,\"Unter den Linden 1\r\nBerlin\"\n\"Say \"\"hi\"\" Ltd\",\"1 Main St, Springfield\"\nAcme \"Big\" Ltd,2 Road\n"
	tbl, err := sheet.Read(strings.NewReader(text), "locations.csv", sheet.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Name", "Address"}, {"Berlin office", "Unter den Linden 1\nBerlin"},
		{`Say "hi" Ltd`, "1 Main St, Springfield"}, {`Acme "Big" Ltd`, "2 Road"}}
	if len(tbl.Rows) != len(want) {
		t.Fatalf("rows %q", tbl.Rows)
	}
	for i := range want {
		if strings.Join(tbl.Rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i+1, tbl.Rows[i], want[i])
		}
	}
	if lines := tbl.Lines; lines[2] != 4 || lines[3] != 5 {
		t.Errorf("lines %v, want the third and fourth rows on lines 4 and 5", lines)
	}
}
