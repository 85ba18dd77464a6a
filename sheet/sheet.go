// Package sheet writes and reads the spreadsheet-shaped files Outlay exchanges with people:
// CSV, XLSX (through excelize) and JSON Lines. Writers stream: each row goes out as it is
// given, so an export of any size holds one row at a time (XLSX through excelize's stream
// writer). Text that a spreadsheet would run as a formula is neutralised in CSV and XLSX.
package sheet

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Format is a kind of file a list is exported as.
type Format string

// The formats Outlay writes.
const (
	CSV   Format = "csv"
	XLSX  Format = "xlsx"
	JSONL Format = "jsonl"
)

// Formats are the formats offered, in the order they are offered.
var Formats = []Format{CSV, XLSX, JSONL}

// ParseFormat reads a format's name as written in an address ("csv", "xlsx", "jsonl").
func ParseFormat(s string) (Format, bool) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(strings.TrimSpace(s)) {
			return f, true
		}
	}
	return "", false
}

// Label names the format as people read it.
func (f Format) Label() string {
	switch f {
	case XLSX:
		return "Excel (XLSX)"
	case JSONL:
		return "JSON Lines"
	}
	return "CSV"
}

// ContentType is the media type of a file in the format.
func (f Format) ContentType() string {
	switch f {
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case JSONL:
		return "application/jsonl; charset=utf-8"
	}
	return "text/csv; charset=utf-8"
}

// Ext is the file name extension of the format, without the dot.
func (f Format) Ext() string { return string(f) }

// Column is one column of a written file: Key names it in JSON Lines, Title heads it in CSV
// and XLSX.
type Column struct {
	Key   string
	Title string
}

// Writer writes rows, one value per column, in the order of the columns it was made with.
// A value is a string, an integer, a float, a bool, a time.Time, a Decimal or nil. Close
// finishes the file (for XLSX, writes it out); it does not close the underlying writer.
type Writer interface {
	Row(values []any) error
	Close() error
}

// NewWriter starts a file of format f on w with the given columns (the header is written at
// once for CSV, after the byte-order mark that tells a spreadsheet it is UTF-8).
func NewWriter(f Format, w io.Writer, cols []Column) (Writer, error) {
	switch f {
	case CSV:
		return newCSVWriter(w, cols, true)
	case XLSX:
		return newXLSXWriter(w, cols)
	case JSONL:
		return newJSONLWriter(w, cols), nil
	}
	return nil, fmt.Errorf("sheet: unknown format %q", f)
}

// Decimal is a number already formatted in decimal (an amount such as "-12.50"): CSV and JSON
// Lines write it as it is, and XLSX as a number.
type Decimal string

// Day is a date without a time of day (an invoice's date, the day a thing is needed by):
// CSV and JSON Lines write it as 2026-03-31, which a spreadsheet reads as a date, where a
// time.Time would be written as midnight UTC (2026-03-31T00:00:00Z) and read as text.
type Day time.Time

// DayOf is t as a Day, or nil (an empty cell) when t is nil: for a column that may be empty.
func DayOf(t *time.Time) any {
	if t == nil {
		return nil
	}
	return Day(*t)
}

var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// Neutralise keeps a spreadsheet from running a text cell as a formula: text starting with
// = + - @, a tab, a carriage return or a line feed is prefixed with an apostrophe, which
// spreadsheets show as text. A plain number ("-12.50") is left alone: it is not a formula.
//
// Text that already starts with an apostrophe before such text ("'=Lee") gets one more, so
// that reading the file (which takes the apostrophe Neutralise put off again) gives it back
// as it was, not as "=Lee".
func Neutralise(v string) string {
	if needsNeutralising(v) {
		return "'" + v
	}
	return v
}

// needsNeutralising reports whether Neutralise prefixes v.
func needsNeutralising[T ~string | ~[]byte](v T) bool {
	switch {
	case len(v) == 0:
		return false
	case v[0] == '\'':
		return needsNeutralising(v[1:])
	}
	return isFormulaStart(v[0]) && !plainNumber.MatchString(string(v))
}

// isFormulaStart reports whether a cell starting with c may be run as a formula.
func isFormulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return true
	}
	return false
}
