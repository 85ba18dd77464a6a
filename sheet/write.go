package sheet

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// deref turns a pointer to a value the writers know into the value, or nil.
func deref(v any) any {
	switch x := v.(type) {
	case *string:
		if x != nil {
			return *x
		}
	case *time.Time:
		if x != nil {
			return *x
		}
	case *int64:
		if x != nil {
			return *x
		}
	case *int:
		if x != nil {
			return *x
		}
	case *bool:
		if x != nil {
			return *x
		}
	default:
		return v
	}
	return nil
}

// text renders a value as CSV shows it; neutralise says whether text (not numbers) is
// neutralised.
func text(v any, neutralise bool) string {
	switch x := deref(v).(type) {
	case nil:
		return ""
	case string:
		if neutralise {
			return Neutralise(x)
		}
		return x
	case Decimal:
		return string(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case Day:
		return time.Time(x).Format(time.DateOnly)
	case []byte:
		if neutralise {
			return Neutralise(string(x))
		}
		return string(x)
	case fmt.Stringer:
		if neutralise {
			return Neutralise(x.String())
		}
		return x.String()
	}
	return fmt.Sprint(v)
}

// csvWriter writes RFC 4180 CSV as encoding/csv does (fields quoted when they hold a comma,
// a quote or a line break, or start with a space), straight from strings and byte slices
// into one buffer, so a million rows cost no more than their bytes.
type csvWriter struct {
	buf  *bufio.Writer
	line []byte
}

// BOM is the UTF-8 byte-order mark a CSV file starts with: without it, Excel on Windows reads
// the file in the system's code page and garbles every letter outside ASCII (Zürich shows as
// ZÃ¼rich). Read (and every spreadsheet) takes it off again.
const BOM = "\ufeff"

// NewBareCSVWriter starts a CSV file as NewWriter does but without the byte-order mark, for
// a program whose import reads the file's first header from its first byte (an accounting
// system's bill import) rather than for people.
func NewBareCSVWriter(w io.Writer, cols []Column) (Writer, error) {
	return newCSVWriter(w, cols, false)
}

func newCSVWriter(w io.Writer, cols []Column, bom bool) (*csvWriter, error) {
	cw := &csvWriter{buf: bufio.NewWriterSize(w, 64<<10)}
	if bom {
		if _, err := cw.buf.WriteString(BOM); err != nil {
			return nil, err
		}
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = c.Title
	}
	return cw, cw.Row(header)
}

func (cw *csvWriter) Row(values []any) error {
	line := cw.line[:0]
	for i, v := range values {
		if i > 0 {
			line = append(line, ',')
		}
		switch x := v.(type) {
		case []byte:
			line = appendCSVField(line, x, true)
		case string:
			line = appendCSVField(line, x, true)
		default:
			line = appendCSVField(line, text(x, true), false)
		}
	}
	line = append(line, '\n')
	cw.line = line
	_, err := cw.buf.Write(line)
	return err
}

// appendCSVField appends one field, neutralised (when asked) and quoted as needed.
func appendCSVField[T ~string | ~[]byte](line []byte, v T, neutralise bool) []byte {
	if neutralise && needsNeutralising(v) {
		line = append(line, '"', '\'')
		return appendQuoted(line, v)
	}
	if !needsQuotes(v) {
		return append(line, v...)
	}
	line = append(line, '"')
	return appendQuoted(line, v)
}

// appendQuoted appends v with its quotes doubled, and the closing quote.
func appendQuoted[T ~string | ~[]byte](line []byte, v T) []byte {
	for i := 0; i < len(v); i++ {
		if v[i] == '"' {
			line = append(line, '"')
		}
		line = append(line, v[i])
	}
	return append(line, '"')
}

func needsQuotes[T ~string | ~[]byte](v T) bool {
	if len(v) == 0 {
		return false
	}
	if v[0] == ' ' || v[0] == '\t' {
		return true
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

func (cw *csvWriter) Close() error { return cw.buf.Flush() }

// MaxXLSXRows is the most data rows an XLSX sheet holds (the format's limit less the header).
const MaxXLSXRows = 1_048_575

// ErrTooManyRows is returned when an XLSX file would pass the format's row limit.
var ErrTooManyRows = errors.New("sheet: more rows than an XLSX sheet holds; export as CSV or JSON Lines")

type xlsxWriter struct {
	out  io.Writer
	file *excelize.File
	sw   *excelize.StreamWriter
	next int // the next row's number, from 1
	row  []any
	// The cell styles of a date (a Day), of a moment (a time.Time), and of text that a
	// spreadsheet would run as a formula.
	dayStyle, timeStyle, textStyle int
}

// The number formats dates and moments are written with: as CSV writes them, so that a
// spreadsheet shows 2026-03-31 (not excelize's default m/d/yy h:mm, which shows a date as
// midnight of it) and the reader reads back the text written.
const (
	dayFormat  = "yyyy-mm-dd"
	timeFormat = "yyyy-mm-dd hh:mm:ss"
)

func newXLSXWriter(w io.Writer, cols []Column) (*xlsxWriter, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, err
	}
	xw := &xlsxWriter{out: w, file: f, sw: sw, next: 1, row: make([]any, len(cols))}
	day, moment := dayFormat, timeFormat
	if xw.dayStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &day}); err != nil {
		return nil, err
	}
	if xw.timeStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &moment}); err != nil {
		return nil, err
	}
	// Text that a spreadsheet would run is marked as text by its cell's style (quotePrefix,
	// which is what a spreadsheet does with text typed after an apostrophe) rather than by
	// an apostrophe written into it, which a spreadsheet would show. Its number format is
	// text (49), which also keeps the style apart from any other excelize would share.
	if xw.textStyle, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil {
		return nil, err
	}
	quoted := true
	f.Styles.CellXfs.Xf[xw.textStyle].QuotePrefix = &quoted
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = Neutralise(c.Title)
	}
	return xw, xw.put(header)
}

func (xw *xlsxWriter) put(values []any) error {
	if xw.next > MaxXLSXRows+1 {
		return ErrTooManyRows
	}
	cell, err := excelize.CoordinatesToCellName(1, xw.next)
	if err != nil {
		return err
	}
	xw.next++
	return xw.sw.SetRow(cell, values)
}

func (xw *xlsxWriter) Row(values []any) error {
	row := xw.row[:len(values)]
	for i, v := range values {
		switch x := deref(v).(type) {
		case string:
			row[i] = xw.text(x)
		case []byte:
			row[i] = xw.text(string(x))
		case Decimal:
			if n, err := strconv.ParseFloat(string(x), 64); err == nil {
				row[i] = n
			} else {
				row[i] = xw.text(string(x))
			}
		case time.Time:
			row[i] = excelize.Cell{StyleID: xw.timeStyle, Value: x.UTC()}
		case Day:
			t := time.Time(x)
			row[i] = excelize.Cell{StyleID: xw.dayStyle, Value: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
		case nil, int, int64, int32, float64, bool:
			row[i] = x
		default:
			row[i] = xw.text(text(x, false))
		}
	}
	return xw.put(row)
}

// text is a text cell: as it is, or, when a spreadsheet would run it, in the quoted text
// style. Text that already starts with an apostrophe before such text ("'=Lee") keeps the
// apostrophe Neutralise puts before it, since the reader takes one off such text (an
// apostrophe written by an older export).
func (xw *xlsxWriter) text(v string) any {
	if !needsNeutralising(v) {
		return v
	}
	if v[0] == '\'' {
		v = Neutralise(v)
	}
	return excelize.Cell{StyleID: xw.textStyle, Value: v}
}

func (xw *xlsxWriter) Close() error {
	defer xw.file.Close()
	if err := xw.sw.Flush(); err != nil {
		return err
	}
	_, err := xw.file.WriteTo(xw.out)
	return err
}

type jsonlWriter struct {
	buf  *bufio.Writer
	keys [][]byte // each column's key, quoted, with its colon
	line []byte
}

func newJSONLWriter(w io.Writer, cols []Column) *jsonlWriter {
	jw := &jsonlWriter{buf: bufio.NewWriterSize(w, 64<<10)}
	for _, c := range cols {
		k, _ := json.Marshal(c.Key)
		jw.keys = append(jw.keys, append(k, ':'))
	}
	return jw
}

func (jw *jsonlWriter) Row(values []any) error {
	line := append(jw.line[:0], '{')
	for i, v := range values {
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, jw.keys[i]...)
		var err error
		if line, err = appendJSON(line, v); err != nil {
			return err
		}
	}
	line = append(line, '}', '\n')
	jw.line = line
	_, err := jw.buf.Write(line)
	return err
}

// appendJSON appends v as JSON: text as a string, numbers as numbers, times in RFC 3339 (UTC).
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := deref(v).(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case []byte:
		return appendJSONString(b, string(x)), nil
	case Decimal:
		if !plainNumber.MatchString(string(x)) {
			return appendJSONString(b, string(x)), nil
		}
		return append(b, x...), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case time.Time:
		return appendJSONString(b, x.UTC().Format(time.RFC3339Nano)), nil
	case Day:
		return appendJSONString(b, time.Time(x).Format(time.DateOnly)), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		return append(b, x...), nil
	}
	raw, err := json.Marshal(v)
	return append(b, raw...), err
}

// appendJSONString appends s as a JSON string; plain ASCII is copied as it is, anything else
// goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			raw, _ := json.Marshal(s)
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func (jw *jsonlWriter) Close() error { return jw.buf.Flush() }
