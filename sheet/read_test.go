package sheet_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"outlay/internal/ziptest"
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

// A date cell reads as the forms write a date whatever its format: the regional short date
// (as a spreadsheet saves a typed date), a format of its own (dd/mm/yyyy), a long date; and a
// date and time as that date and time, as the forms would write it.
func TestReadXLSXDates(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	day := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	formats := []excelize.Style{{NumFmt: 14}, {NumFmt: 15}, {NumFmt: 22}, {NumFmt: 20}, {NumFmt: 4}}
	own := []string{"dd/mm/yyyy", `[$-409]d" de "mmmm" de "yyyy;@`, "m/d/yy h:mm AM/PM", "[h]:mm"}
	for _, code := range own {
		formats = append(formats, excelize.Style{CustomNumFmt: &code})
	}
	want := []string{"2026-01-31", "2026-01-31", "2026-01-31 00:00", "00:00", "46,053.00", "2026-01-31", "2026-01-31", "2026-01-31 00:00:00", "1105272:00"}
	values := make([]any, len(formats))
	for i := range values {
		values[i] = day
	}
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"period_start", "period_end"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("Sheet1", "A2", &values); err != nil {
		t.Fatal(err)
	}
	for i := range formats {
		style, err := f.NewStyle(&formats[i])
		if err != nil {
			t.Fatal(err)
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		f.SetCellStyle("Sheet1", cell, cell, style)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	tbl, err := sheet.Read(bytes.NewReader(b.Bytes()), "budgets.xlsx", sheet.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tbl.Rows[1], " | "); got != strings.Join(want, " | ") {
		t.Errorf("dates read as %q, want %q", got, strings.Join(want, " | "))
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

// rawXLSX is a workbook of one sheet whose rows are given as the worksheet's XML (the
// <row> elements), for sheets excelize would not write, such as one a hostile file holds.
func rawXLSX(t testing.TB, rows string) []byte {
	t.Helper()
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
			rows + `</sheetData></worksheet>`},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(p.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// strayCellSheet is a sheet with a header and then n rows whose only cell, holding value, is
// in column col: the file the security review sent, which made every row 16,384 cells wide.
func strayCellSheet(t testing.TB, n int, col, value string) []byte {
	t.Helper()
	var rows strings.Builder
	rows.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>`)
	for r := 2; r < n+2; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="%s%d" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c></row>`, r, col, r, value)
	}
	return rawXLSX(t, rows.String())
}

// A value far to the right of the data is refused at the first row holding one, naming the
// row and the column, before the rows after it are read: a sheet of 200,000 such rows fits in
// a megabyte and would otherwise be held as 200,000 rows of 16,384 cells (this one has 300,
// which is already 5 million cells).
func TestReadRefusesCellsPastTheLastColumn(t *testing.T) {
	t.Parallel()
	beyond := xlsxBytes(t, [][]any{{"name", "terms"}, {"Acme", 30}})
	func() {
		f, err := excelize.OpenReader(bytes.NewReader(beyond))
		if err != nil {
			t.Fatal(err)
		}
		f.SetCellValue("Sheet1", "XFD12", 1)
		var b bytes.Buffer
		f.Write(&b)
		beyond = b.Bytes()
	}()
	cases := []struct {
		name, filename string
		data           []byte
		want           string
	}{
		{"xlsx, a value at XFD", "vendors.xlsx", beyond,
			"Row 12 has a value in column XFD; an import sheet has at most 256 columns. Delete the stray cells to the right of your data."},
		{"xlsx, 300 rows at XFD", "vendors.xlsx", strayCellSheet(t, 300, "XFD", "1"),
			"Row 2 has a value in column XFD; an import sheet has at most 256 columns. Delete the stray cells to the right of your data."},
		{"xlsx, only a space at IW", "vendors.xlsx", strayCellSheet(t, 3, "IW", " "),
			"Row 2 has a cell in column IW that looks empty but holds spaces or a formula; an import sheet has at most 256 columns. Delete the stray cells to the right of your data."},
		{"csv, a value in column 300", "vendors.csv", []byte("name,terms\nAcme,30\nBeta,15" + strings.Repeat(",", 298) + "x\n"),
			"Line 3 has a value in column 300; an import file has at most 256 columns. Delete the stray values to the right of your data."},
		// Values are counted before the line is parsed, empty ones too: encoding/csv would
		// hold a million of them at once.
		{"csv, a million commas", "vendors.csv", []byte("name,terms\nAcme,30\nBeta,15" + strings.Repeat(",", 1_000_000) + "\n"),
			"Line 3 has more than 16,384 values, counting the empty ones, which is more than a spreadsheet has columns. " +
				"Delete the extra commas at the end of the line, or save the file again from your spreadsheet."},
		{"csv, a million semicolons after a quoted line break", "vendors.csv",
			[]byte("name;address\nAcme;\"1 Main St\nSpringfield\"" + strings.Repeat(";", 1_000_000) + "\n"),
			"Line 2 has more than 16,384 values, counting the empty ones, which is more than a spreadsheet has columns. " +
				"Delete the extra semicolons at the end of the line, or save the file again from your spreadsheet."},
	}
	for _, c := range cases {
		_, err := sheet.Read(bytes.NewReader(c.data), c.filename, sheet.DefaultLimits)
		if msg, ok := sheet.IsFileError(err); !ok || msg != c.want {
			t.Errorf("%s: got %v\nwant %q", c.name, err, c.want)
		}
	}
}

// A cell that only has formatting holds nothing, however far to the right it is, and neither
// do the empty values at the end of a CSV line (as many as a spreadsheet has columns): such
// files read as their data.
func TestReadIgnoresEmptyCellsPastTheLastColumn(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"name", "terms"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"Acme", 30})
	style, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFF00"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Sheet1", "IW1", "XFD3", style); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	f.Write(&b)
	if !bytes.Contains(unzipPart(t, b.Bytes(), "xl/worksheets/sheet1.xml"), []byte(`r="XFD3"`)) {
		t.Fatal("the sheet has no formatted cell at XFD3")
	}
	files := map[string][]byte{
		"formatted.xlsx": b.Bytes(),
		"commas.csv":     []byte("name,terms\nAcme,30" + strings.Repeat(",", 16_382) + "\n"),
	}
	for name, data := range files {
		tbl, err := sheet.Read(bytes.NewReader(data), name, sheet.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(tbl.Rows) != 2 || strings.Join(tbl.Rows[1], "|") != "Acme|30" {
			t.Errorf("%s: rows %q", name, tbl.Rows)
		}
	}
}

func unzipPart(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Rows within the columns still add up: past MaxCells cells kept, the file is refused, so no
// file holds more than that in memory however its rows and columns are shaped.
func TestReadRefusesTooManyCells(t *testing.T) {
	t.Parallel()
	rows := sheet.DefaultLimits.MaxCells/sheet.DefaultLimits.MaxColumns + 10
	want := "This file holds more than 5,000,000 cells (its rows times the columns up to each row's last value), " +
		"the most one import takes. Split it into smaller files."
	files := map[string][]byte{
		"wide.xlsx": strayCellSheet(t, rows, "IV", "1"),
		"wide.csv":  []byte("name,terms\n" + strings.Repeat(strings.Repeat(",", 255)+"1\n", rows)),
	}
	for name, data := range files {
		_, err := sheet.Read(bytes.NewReader(data), name, sheet.DefaultLimits)
		if msg, ok := sheet.IsFileError(err); !ok || msg != want {
			t.Errorf("%s: got %v\nwant %q", name, err, want)
		}
	}
}

// BenchmarkReadStrayCellSheet reads the security review's file: 3,000 rows whose only cell
// is at XFD. Run with -benchmem to see what one read allocates.
func BenchmarkReadStrayCellSheet(b *testing.B) {
	data := strayCellSheet(b, 3_000, "XFD", "1")
	b.ReportAllocs()
	for b.Loop() {
		sheet.Read(bytes.NewReader(data), "stray.xlsx", sheet.DefaultLimits)
	}
}

// A workbook is read at the sheet open when it was saved, unless that one is hidden; a
// hidden sheet (old data, say) is never read while another is shown.
func TestReadXLSXReadsTheSheetShown(t *testing.T) {
	t.Parallel()
	workbook := func(active int, hideFirst bool) []byte {
		f := excelize.NewFile()
		defer f.Close()
		if err := f.SetSheetRow("Sheet1", "A1", &[]any{"name"}); err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow("Sheet1", "A2", &[]any{"Old hidden vendor"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.NewSheet("Current"); err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow("Current", "A1", &[]any{"name"}); err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow("Current", "A2", &[]any{"Current vendor"}); err != nil {
			t.Fatal(err)
		}
		f.SetActiveSheet(active)
		if hideFirst {
			if err := f.SetSheetVisible("Sheet1", false); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name      string
		active    int
		hideFirst bool
		want      string
	}{
		{"the second sheet open, the first hidden", 1, true, "Current"},
		{"the first sheet open", 0, false, "Sheet1"},
		{"the second sheet open", 1, false, "Current"},
	} {
		tbl, err := sheet.Read(bytes.NewReader(workbook(tc.active, tc.hideFirst)), "vendors.xlsx", sheet.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if tbl.Sheet != tc.want || tbl.Sheets != 2 {
			t.Errorf("%s: read sheet %q of %d; want %q of 2", tc.name, tbl.Sheet, tbl.Sheets, tc.want)
		}
	}
}

// A formula whose result the writing program never calculated would read as an empty cell;
// the file is refused naming the cell, while one whose result was saved reads as that result.
func TestReadXLSXRefusesFormulasWithoutTheirResult(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"name", "terms"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("Sheet1", "A2", &[]any{"Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellFormula("Sheet1", "B2", "15*2"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, err := sheet.Read(bytes.NewReader(buf.Bytes()), "vendors.xlsx", sheet.DefaultLimits)
	if msg, ok := sheet.IsFileError(err); !ok || !strings.Contains(msg, "Cell B2 of the sheet “Sheet1” holds a formula with no saved result") {
		t.Fatalf("a formula without its result read with %v", err)
	}
	// The same sheet as a spreadsheet saves it: the formula with its result, or with an
	// empty text result.
	for cached, want := range map[string]string{`<v>30</v>`: "30", `<v></v>`: ""} {
		data := rewritePart(t, buf.Bytes(), "xl/worksheets/sheet1.xml", func(s string) string {
			s = strings.Replace(s, `<f>15*2</f>`, `<f>15*2</f>`+cached, 1)
			if want == "" {
				s = strings.Replace(s, `<c r="B2"`, `<c r="B2" t="str"`, 1)
			}
			return s
		})
		tbl, err := sheet.Read(bytes.NewReader(data), "vendors.xlsx", sheet.DefaultLimits)
		if err != nil {
			t.Fatalf("saved result %s: %v", cached, err)
		}
		got := ""
		if len(tbl.Rows) > 1 && len(tbl.Rows[1]) > 1 {
			got = tbl.Rows[1][1]
		}
		if len(tbl.Rows) != 2 || tbl.Rows[1][0] != "Acme" || got != want {
			t.Errorf("saved result %s: read %q, want terms %q", cached, tbl.Rows, want)
		}
	}
}

// rewritePart is a copy of a zip archive with one part's text changed by edit.
func rewritePart(t *testing.T, data []byte, name string, edit func(string) string) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, p := range ziptest.Parts(t, data) {
		if p.Name == name {
			found = true
			edited := edit(string(p.Data))
			if edited == string(p.Data) {
				t.Fatalf("the edit left %s as it was: %s", name, p.Data)
			}
			p.Data = []byte(edited)
		}
		w, err := zw.Create(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no part %s", name)
	}
	return out.Bytes()
}

// An import takes the 200,000 rows the limits name, and a header: one more row is refused,
// and the message names the number the limits do.
func TestReadTakesTwoHundredThousandRowsAndAHeader(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	b.WriteString("name\n")
	for i := range 200_000 {
		fmt.Fprintf(&b, "v%d\n", i)
	}
	tb, err := sheet.Read(bytes.NewReader(b.Bytes()), "a.csv", sheet.DefaultLimits)
	if err != nil || len(tb.Rows) != 200_001 {
		t.Fatalf("200,000 rows and a header: %v", err)
	}
	b.WriteString("one more\n")
	_, err = sheet.Read(bytes.NewReader(b.Bytes()), "a.csv", sheet.DefaultLimits)
	if msg, ok := sheet.IsFileError(err); !ok || !strings.Contains(msg, "more than 200,000 rows") {
		t.Errorf("200,001 rows and a header: %v", err)
	}
}
