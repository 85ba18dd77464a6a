package sheet_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"outlay/sheet"
)

func TestNeutraliseFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1:A9)":             "'=SUM(A1:A9)",
		"+1+cmd|' /C calc'!A0":    "'+1+cmd|' /C calc'!A0",
		"-2+3":                    "'-2+3",
		"@SUM(1)":                 "'@SUM(1)",
		"\t=1":                    "'\t=1",
		"\r=1":                    "'\r=1",
		"-12.50":                  "-12.50",
		"+7":                      "+7",
		"Office chairs = 4":       "Office chairs = 4",
		"":                        "",
		"a=b":                     "a=b",
		"=HYPERLINK(\"http://\")": "'=HYPERLINK(\"http://\")",
		"'=Lee":                   "''=Lee",
		"''@x":                    "'''@x",
		"'t Hoekje":               "'t Hoekje",
		"'":                       "'",
	} {
		if got := sheet.Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

var cols = []sheet.Column{{Key: "id", Title: "ID"}, {Key: "name", Title: "Name"}, {Key: "amount", Title: "Amount"}, {Key: "at", Title: "At"}, {Key: "note", Title: "Note"}}

var at = time.Date(2026, 1, 31, 9, 30, 0, 0, time.UTC)

func rows() [][]any {
	return [][]any{
		{int64(1), "=1+2", sheet.Decimal("-12.50"), at, nil},
		{int64(2), "Chairs, \"ergonomic\"", sheet.Decimal("3.00"), at, "@me"},
	}
}

func write(t *testing.T, f sheet.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := sheet.NewWriter(f, &buf, cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows() {
		if err := w.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCSVNeutralisesTextNotNumbers(t *testing.T) {
	file, bom := bytes.CutPrefix(write(t, sheet.CSV), []byte(sheet.BOM))
	if !bom {
		t.Errorf("no byte-order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(file)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"ID", "Name", "Amount", "At", "Note"},
		{"1", "'=1+2", "-12.50", "2026-01-31T09:30:00Z", ""},
		{"2", "Chairs, \"ergonomic\"", "3.00", "2026-01-31T09:30:00Z", "'@me"}}
	if len(recs) != len(want) {
		t.Fatalf("rows %v", recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestXLSXNeutralisesTextAndKeepsNumbers(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(write(t, sheet.XLSX)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	// Text a spreadsheet would run is marked as text by its style (quotePrefix), as a
	// spreadsheet marks text typed after an apostrophe, rather than shown with one.
	if len(got) != 3 || got[0][1] != "Name" || got[1][1] != "=1+2" || got[2][4] != "@me" {
		t.Fatalf("rows %q", got)
	}
	for _, cell := range []string{"B2", "E3"} {
		style, _ := f.GetCellStyle("Sheet1", cell)
		if q := f.Styles.CellXfs.Xf[style].QuotePrefix; q == nil || !*q {
			t.Errorf("%s is not marked as text", cell)
		}
	}
	if style, _ := f.GetCellStyle("Sheet1", "B3"); f.Styles.CellXfs.Xf[style].QuotePrefix != nil {
		t.Errorf("B3, plain text, is marked as text")
	}
	// A moment shows as the CSV file writes it, to the second.
	if v, _ := f.GetCellValue("Sheet1", "D2"); v != "2026-01-31 09:30:00" {
		t.Errorf("moment %q", v)
	}
	if formula, _ := f.GetCellFormula("Sheet1", "B2"); formula != "" {
		t.Errorf("B2 holds a formula %q", formula)
	}
	if typ, _ := f.GetCellType("Sheet1", "C2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("amount written as text (%v)", typ)
	}
	if v, _ := f.GetCellValue("Sheet1", "C2"); v != "-12.5" {
		t.Errorf("amount %q", v)
	}
}

func TestJSONLinesKeepValuesAsTheyAre(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(string(write(t, sheet.JSONL))), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["name"] != "=1+2" || first["amount"] != -12.5 || first["note"] != nil || first["at"] != "2026-01-31T09:30:00Z" || first["id"] != 1.0 {
		t.Errorf("first line %v", first)
	}
	if !strings.HasPrefix(lines[1], `{"id":2,"name":"Chairs, \"ergonomic\""`) {
		t.Errorf("second line %s", lines[1])
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range sheet.Formats {
		if got, ok := sheet.ParseFormat(strings.ToUpper(string(f))); !ok || got != f {
			t.Errorf("ParseFormat(%q) = %q %v", f, got, ok)
		}
	}
	if _, ok := sheet.ParseFormat("xls"); ok {
		t.Error("xls accepted")
	}
}

// A Day is written as a date, in CSV and JSON Lines, and an empty one as an empty cell:
// midnight UTC as a timestamp is read as text by a spreadsheet.
func TestDaysAreWrittenAsDates(t *testing.T) {
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	dayCols := []sheet.Column{{Key: "due", Title: "Due"}, {Key: "needed", Title: "Needed"}}
	for _, f := range []sheet.Format{sheet.CSV, sheet.JSONL} {
		var buf bytes.Buffer
		w, err := sheet.NewWriter(f, &buf, dayCols)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Row([]any{sheet.Day(day), sheet.DayOf(nil)}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		want := map[sheet.Format]string{sheet.CSV: "Due,Needed\n2026-12-01,\n", sheet.JSONL: `{"due":"2026-12-01","needed":null}` + "\n"}[f]
		if got := strings.TrimPrefix(buf.String(), "\ufeff"); strings.ReplaceAll(got, "\r\n", "\n") != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
	}
}

// Text read back from a file Outlay wrote is the text written, whatever it starts with: the
// apostrophe that keeps a formula from running is taken off again, and only that one.
func TestNeutralisedTextReadsBackAsWritten(t *testing.T) {
	values := []string{"=1+2", "'=Lee", "''@x", "'t Hoekje", "'", "-12.50", "@me", "plain"}
	for _, f := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		var buf bytes.Buffer
		w, err := sheet.NewWriter(f, &buf, []sheet.Column{{Key: "v", Title: "Value"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if err := w.Row([]any{v}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		name := "values.csv"
		if f == sheet.XLSX {
			name = "values.xlsx"
		}
		tbl, err := sheet.Read(bytes.NewReader(buf.Bytes()), name, sheet.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range values {
			if got := tbl.Rows[i+1][0]; got != v {
				t.Errorf("%v: %q reads back as %q", f, v, got)
			}
		}
	}
}
