package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"outlay"
)

// Table is a file read as rows of text, its first row being (in files people make) the
// header. Encoding and Delimiter say how a CSV file was read, for the preview.
type Table struct {
	Format    Format // CSV or XLSX
	Encoding  string // "UTF-8", "UTF-8 with BOM", "UTF-16LE", "UTF-16BE", "Windows-1252"; "" for XLSX
	Delimiter rune   // ',', ';', '\t' or '|'; 0 for XLSX
	// Sheet is the sheet of a workbook that was read (readSheet), and Sheets how many it has.
	Sheet  string
	Sheets int
	Rows   [][]string
	Lines  []int // each row's line in the file (CSV) or row on the sheet (XLSX), from 1
	cells  int   // the cells of Rows, counted against Limits.MaxCells
}

// Limits bound what Read accepts. A workbook is a zip archive: its parts are counted and
// their unpacked sizes added up from the archive's directory before excelize opens it
// (archive/zip refuses a part that unpacks to more than its directory says), so a small
// file that would unpack to gigabytes is refused without unpacking anything.
//
// A row is held up to its last cell that holds anything, so what a file costs in memory is
// bounded by its rows and columns together: a megabyte of workbook can name a cell at XFD,
// the last of 16,384 columns, on each of 200,000 rows. MaxColumns refuses a row at its first
// cell past the limit, before the rows after it are read, and MaxCells adds up the cells of
// the rows kept so far. A CSV record is held whole while it is parsed, empty values and all
// (a line of a million commas is a million values, hundreds of megabytes as encoding/csv
// holds them), so MaxFields counts a record's values in the text before it is parsed.
type Limits struct {
	MaxBytes    int64 // the file itself
	MaxRows     int   // rows, header included
	MaxColumns  int   // the columns of a row, up to its last cell that holds anything
	MaxCells    int   // the cells of all rows, each counted up to its last that holds anything
	MaxFields   int   // the values of a CSV record, empty ones included
	MaxUnzipped int64 // the parts of a workbook, unpacked, added up
	MaxParts    int   // the parts of a workbook
}

// DefaultLimits are the limits of an import: 20 MB of file, 200,000 rows (and a header) of at most 256
// columns (the widest import, approval rules, has 11) and 5,000,000 cells in all, a CSV line
// of at most 16,384 values however many are empty (the columns a spreadsheet has, so as many
// as one saves), a workbook of at most 200 parts unpacking to at most 256 MB.
var DefaultLimits = Limits{MaxBytes: 20 << 20, MaxRows: 200_000 + 1, MaxColumns: 256, MaxCells: 5_000_000, MaxFields: 16_384,
	MaxUnzipped: 256 << 20, MaxParts: 200}

// FileError says, for the person who sent it, why a file cannot be read.
type FileError struct{ Msg string }

func (e *FileError) Error() string { return e.Msg }

func refuse(format string, args ...any) error { return &FileError{Msg: fmt.Sprintf(format, args...)} }

// IsFileError reports whether err is a FileError, and its message.
func IsFileError(err error) (string, bool) {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe.Msg, true
	}
	return "", false
}

// Read reads a CSV or XLSX file whatever it is named: its bytes decide. CSV may be UTF-8
// (with or without a byte-order mark), UTF-16 with a byte-order mark, or Windows-1252 (which
// covers Latin-1's printable characters), delimited by commas, semicolons, tabs or pipes;
// both are detected. Blank rows are dropped and trailing empty cells trimmed. Anything else
// is a *FileError saying what is wrong.
func Read(r io.Reader, name string, lim Limits) (*Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, refuse("This file is larger than %d MB, the most an import may be. Split it into smaller files.", lim.MaxBytes>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, refuse("This file is empty.")
	}
	ext := strings.ToLower(path.Ext(name))
	var t *Table
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		t, err = readXLSX(data, lim)
	case ext == ".xlsx" || ext == ".xlsm":
		return nil, refuse("This file is named %s but is not an Excel workbook. Save it from your spreadsheet as .xlsx, or as CSV.", ext)
	case ext == ".xls" || bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0")):
		return nil, refuse("This is an old-style Excel file (.xls). Save it as an Excel workbook (.xlsx) or as CSV.")
	default:
		t, err = readCSV(data, lim)
	}
	if err != nil {
		return nil, err
	}
	t.trim()
	switch {
	case len(t.Rows) == 0:
		return nil, refuse("This file is empty.")
	case len(t.Rows) > lim.MaxRows:
		return nil, refuse("This file has more than %s rows, the most one import takes. Split it into smaller files.", outlay.Count(lim.MaxRows-1))
	}
	return t, nil
}

// trim drops blank rows and the empty cells at the end of each row, and takes off the
// apostrophe Neutralise puts before text a spreadsheet would run, so that a file Outlay wrote
// reads back as it was.
func (t *Table) trim() {
	rows, lines := t.Rows[:0], t.Lines[:0]
	for i, r := range t.Rows {
		for j, cell := range r {
			if len(cell) > 1 && cell[0] == '\'' && Neutralise(cell[1:]) == cell {
				r[j] = cell[1:]
			}
		}
		n := len(r)
		for n > 0 && strings.TrimSpace(r[n-1]) == "" {
			n--
		}
		if n > 0 {
			rows, lines = append(rows, r[:n]), append(lines, t.Lines[i])
		}
	}
	t.Rows, t.Lines = rows, lines
}

// add appends a row read from the file, found at line (its line in a CSV file, its row on
// the sheet), refusing it when it reaches past lim.MaxColumns or brings the cells kept past
// lim.MaxCells. Empty values at the end of the row are dropped first: a CSV line ends with
// one per blank cell a spreadsheet saved, and excelize leaves out cells that only have
// formatting, so neither counts. A value of only spaces does count here (trim drops it later,
// within the columns): excelize has already spent a string on every column up to it.
func (t *Table) add(cells []string, line int, lim Limits) error {
	n := len(cells)
	for n > 0 && cells[n-1] == "" {
		n--
	}
	if n > lim.MaxColumns {
		return t.refuseWideRow(line, n, cells[n-1], lim.MaxColumns)
	}
	if t.cells += n; t.cells > lim.MaxCells {
		return refuse("This file holds more than %s cells (its rows times the columns up to each row's last value), "+
			"the most one import takes. Split it into smaller files.", outlay.Count(lim.MaxCells))
	}
	if n < len(cells) {
		// A copy, so that the empty values dropped (a CSV line of a million commas is a
		// million of them) are not kept alive behind the ones kept.
		cells = append([]string(nil), cells[:n]...)
	}
	t.Rows, t.Lines = append(t.Rows, cells), append(t.Lines, line)
	return nil
}

// refuseWideRow refuses a row whose last value, last, is in column column, past maxColumns: named
// as the person sees it, a row and a lettered column on a sheet, a line and a numbered
// column in a CSV file.
func (t *Table) refuseWideRow(line, column int, last string, maxColumns int) error {
	if t.Format == XLSX {
		name, _ := excelize.ColumnNumberToName(column)
		if strings.TrimSpace(last) == "" {
			return refuse("Row %d has a cell in column %s that looks empty but holds spaces or a formula; an import sheet has at most %d columns. "+
				"Delete the stray cells to the right of your data.", line, name, maxColumns)
		}
		return refuse("Row %d has a value in column %s; an import sheet has at most %d columns. Delete the stray cells to the right of your data.", line, name, maxColumns)
	}
	if strings.TrimSpace(last) == "" {
		return refuse("Line %d has a value of only spaces in column %d; an import file has at most %d columns. "+
			"Delete the stray values to the right of your data.", line, column, maxColumns)
	}
	return refuse("Line %d has a value in column %d; an import file has at most %d columns. Delete the stray values to the right of your data.", line, column, maxColumns)
}

// ---------- CSV ----------

func readCSV(data []byte, lim Limits) (*Table, error) {
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	delim := detectDelimiter(text)
	if err := checkRecords(text, delim, lim.MaxFields); err != nil {
		return nil, err
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = delim, -1, true, false
	t := &Table{Format: CSV, Encoding: enc, Delimiter: delim}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := cr.FieldPos(0)
			return nil, refuse("This file could not be read as CSV near line %d. Check its quotes, or save it again from your spreadsheet.", line)
		}
		line, _ := cr.FieldPos(0)
		if err := t.add(rec, line, lim); err != nil {
			return nil, err
		}
		if len(t.Rows) > lim.MaxRows {
			break
		}
	}
	return t, nil
}

// checkRecords walks text as encoding/csv reads it with delim, before it does, and refuses
// two things on the line they start. The reader takes quotes lazily, so that a quote inside
// an unquoted value (Acme "Big" Ltd) is read as it is; but lazily, a quoted value not closed
// where it ends runs on into the rows after it. So every value that starts with a double
// quote must end with one, as encoding/csv reads values: a doubled quote inside is a quote,
// and the closing quote is followed by the delimiter, a line end or the end of the text. And
// a record may have at most maxFields values, empty ones included, since the reader holds
// them all before the empty ones at its end can be dropped.
func checkRecords(text string, delim rune, maxFields int) error {
	line, recordLine, fields, fieldStart := 1, 1, 1, true
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == '"' && fieldStart:
			start, closed := line, false
			for !closed && i < len(text) {
				r, size = utf8.DecodeRuneInString(text[i:])
				i += size
				switch {
				case r == '\n':
					line++
				case r == '"' && strings.HasPrefix(text[i:], `"`):
					i++
				case r == '"':
					next, _ := utf8.DecodeRuneInString(text[i:])
					if i < len(text) && next != delim && next != '\n' && !strings.HasPrefix(text[i:], "\r\n") {
						return refuseUnclosedQuote(start)
					}
					closed = true
				}
			}
			if !closed {
				return refuseUnclosedQuote(start)
			}
			fieldStart = false
		case r == delim:
			if fields++; fields > maxFields {
				return refuse("Line %d has more than %s values, counting the empty ones, which is more than a spreadsheet has columns. "+
					"Delete the extra %s at the end of the line, or save the file again from your spreadsheet.", recordLine, outlay.Count(maxFields), delimiterPlural(delim))
			}
			fieldStart = true
		case r == '\n':
			line, fieldStart = line+1, true
			recordLine, fields = line, 1
		default:
			fieldStart = false
		}
	}
	return nil
}

func refuseUnclosedQuote(line int) error {
	return refuse("Line %d has a value that opens a double quote and does not close it where the value ends, so the lines after it "+
		"would be read into that value. Close the quote at the end of the value; a quote inside a quoted value is written twice (\"\").", line)
}

// decodeText returns the file as UTF-8 text and the name of the encoding it was in.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")):
		rest := data[3:]
		if !utf8.Valid(rest) {
			return "", "", refuse("This file says it is UTF-8 but is not: save it again as CSV UTF-8.")
		}
		return checkText(string(rest), "UTF-8 with BOM")
	case bytes.HasPrefix(data, []byte("\xFF\xFE")):
		return decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte("\xFE\xFF")):
		return decodeUTF16(data[2:], true)
	}
	if looksUTF16(data) {
		return "", "", refuse("This file looks like UTF-16 text without a byte-order mark, which we cannot read reliably. Save it as CSV UTF-8.")
	}
	if !textLike(data) {
		return "", "", refuse("This is not a CSV or Excel (.xlsx) file: it holds binary data (%s).", http.DetectContentType(data))
	}
	if utf8.Valid(data) {
		return checkText(string(data), "UTF-8")
	}
	s, err := charmap.Windows1252.NewDecoder().String(string(data))
	if err != nil || strings.ContainsRune(s, utf8.RuneError) {
		return "", "", refuse("This file's text is in an encoding we cannot read. Save it as CSV UTF-8.")
	}
	return checkText(s, "Windows-1252")
}

func decodeUTF16(data []byte, bigEndian bool) (string, string, error) {
	name := "UTF-16LE"
	if bigEndian {
		name = "UTF-16BE"
	}
	if len(data)%2 != 0 {
		return "", "", refuse("This file says it is %s but has an odd number of bytes. Save it as CSV UTF-8.", name)
	}
	u := make([]uint16, len(data)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
		} else {
			u[i] = uint16(data[2*i+1])<<8 | uint16(data[2*i])
		}
	}
	s := string(utf16.Decode(u))
	if strings.ContainsRune(s, utf8.RuneError) {
		return "", "", refuse("This file says it is %s but is not. Save it as CSV UTF-8.", name)
	}
	return checkText(s, name)
}

// checkText refuses decoded text holding control characters other than tab and line ends:
// random bytes that happened to decode.
func checkText(s, enc string) (string, string, error) {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return "", "", refuse("This is not a CSV or Excel (.xlsx) file: it holds control characters that text does not.")
		}
	}
	return s, enc, nil
}

// looksUTF16 reports whether every other byte of the start is a zero, as in UTF-16 text of
// Latin letters.
func looksUTF16(data []byte) bool {
	n := min(len(data), 512) &^ 1
	if n < 4 {
		return false
	}
	even, odd := 0, 0
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			even++
		}
		if data[i+1] == 0 {
			odd++
		}
	}
	half := n / 2
	return even > half*4/5 && odd < half/5 || odd > half*4/5 && even < half/5
}

// textLike reports whether the start of data has no bytes that text never has.
func textLike(data []byte) bool {
	for _, b := range data[:min(len(data), 8192)] {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' || b == 0x7f {
			return false
		}
	}
	return true
}

// Delimiters are the separators a CSV file may use, in the order a tie is broken.
var Delimiters = []rune{',', ';', '\t', '|'}

// detectDelimiter picks the separator that splits the first lines into the same number of
// cells, more than one, most consistently; the most cells breaks a tie; a comma by default.
// The first lines are the first 20, within the first 64 KB (cut at a line end when one is
// there): it reads them before checkRecords has counted their values.
func detectDelimiter(text string) rune {
	sample := text[:min(len(text), 64<<10)]
	if end := strings.LastIndexByte(sample, '\n'); end >= 0 && len(sample) < len(text) {
		sample = sample[:end+1]
	}
	for i, lines := 0, 0; i < len(sample); i++ {
		if sample[i] == '\n' {
			if lines++; lines == 20 {
				sample = sample[:i+1]
				break
			}
		}
	}
	best, bestScore, bestCells := ',', 0, 0
	for _, d := range Delimiters {
		cr := csv.NewReader(strings.NewReader(sample))
		cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes = d, -1, true
		recs, _ := cr.ReadAll()
		if len(recs) == 0 || len(recs[0]) < 2 {
			continue
		}
		score := 0
		for _, r := range recs {
			if len(r) == len(recs[0]) {
				score++
			}
		}
		if score > bestScore || score == bestScore && len(recs[0]) > bestCells {
			best, bestScore, bestCells = d, score, len(recs[0])
		}
	}
	return best
}

// delimiterPlural names more than one of a separator as people read it.
func delimiterPlural(d rune) string {
	if d == '\t' {
		return "tabs"
	}
	return DelimiterName(d) + "s"
}

// DelimiterName names a separator as people read it.
func DelimiterName(d rune) string {
	switch d {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	case '|':
		return "pipe"
	}
	return ""
}

// ---------- XLSX ----------

func readXLSX(data []byte, lim Limits) (*Table, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, refuse("This file is damaged: it starts like an Excel workbook but cannot be opened.")
	}
	if len(zr.File) > lim.MaxParts {
		return nil, refuse("This workbook has %d parts, more than an Excel workbook has (at most %d); it is not one we open.", len(zr.File), lim.MaxParts)
	}
	var total uint64
	workbook := false
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(lim.MaxUnzipped) {
			return nil, refuse("This workbook would unpack to more than %d MB; it is not one we open. Save the sheet as CSV, or split it.", lim.MaxUnzipped>>20)
		}
		if f.Name == "xl/workbook.xml" {
			workbook = true
		}
	}
	if !workbook {
		return nil, refuse("This is a zip file, not an Excel workbook. Upload a .xlsx or .csv file.")
	}
	// A date typed into a spreadsheet takes its short date format (built-in format 14), which
	// shows it as the reader's region writes dates (1/31/2026, 31.01.2026); read here, it is
	// written as the forms write dates, 2026-01-31, rather than as excelize's US default
	// (readDatesAsISO does the same for every other date format).
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: lim.MaxUnzipped, UnzipXMLSizeLimit: lim.MaxUnzipped,
		ShortDatePattern: "yyyy-mm-dd"})
	if err != nil {
		return nil, refuse("This Excel workbook could not be opened; save it again from your spreadsheet.")
	}
	defer f.Close()
	readDatesAsISO(f)
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, refuse("This Excel workbook has no sheets.")
	}
	name := readSheet(f, sheets)
	rows, err := f.Rows(name)
	if err != nil {
		return nil, refuse("The sheet “%s” of this workbook could not be read; save it again from your spreadsheet.", name)
	}
	defer rows.Close()
	// The sheet's <dimension> is not read to refuse a file early: a hostile file can say
	// A1:B2 and still hold cells at XFD, and an honest one counts the cells that only have
	// formatting, which are no reason to refuse it. Rows are checked as they are read.
	t := &Table{Format: XLSX, Sheet: name, Sheets: len(sheets)}
	for rows.Next() {
		// excelize gives every row on the sheet, from row 1, so a row's place in Rows so far
		// is its number on the sheet.
		row := len(t.Rows) + 1
		cells, err := rows.Columns()
		if err != nil {
			return nil, refuse("Row %d of the sheet “%s” could not be read; save it again from your spreadsheet.", row, name)
		}
		if err := t.add(cells, row, lim); err != nil {
			return nil, err
		}
		if len(t.Rows) > lim.MaxRows {
			break
		}
	}
	if err := refuseUncalculated(zr, name); err != nil {
		return nil, err
	}
	return t, nil
}

// readDatesAsISO makes every cell style of the workbook f whose number format shows a date
// show it as the forms write dates, 2026-01-31 (and a date with a time of day as 2026-01-31
// 14:05:00), so that a date reads the same whatever format its cell was given: built-in
// formats (a short date is 14, excelize writes a date and time as 22, a long date is one of
// 15-17, 27-31, 36 or 50-58, by region) and custom ones ("dd/mm/yyyy", "d mmm yyyy"). A
// format of only a time of day (h:mm, 18-21, 45-47) is left alone.
func readDatesAsISO(f *excelize.File) {
	if _, err := f.GetStyle(0); err != nil || f.Styles == nil || f.Styles.CellXfs == nil {
		return // no styles: no dates either
	}
	custom := map[int]string{}
	if f.Styles.NumFmts != nil {
		for _, nf := range f.Styles.NumFmts.NumFmt {
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
			if date, clock := dateFormat(code); date {
				nf.FormatCode, nf.FormatCode16 = "yyyy-mm-dd", ""
				if clock {
					nf.FormatCode = "yyyy-mm-dd hh:mm:ss"
				}
			}
		}
	}
	for i := range f.Styles.CellXfs.Xf {
		id := f.Styles.CellXfs.Xf[i].NumFmtID
		if id == nil {
			continue
		}
		if _, ok := custom[*id]; ok {
			continue // rewritten above
		}
		switch {
		case *id == 22:
			// A date and time: excelize writes it with ShortDatePattern and hh:mm.
		case 14 <= *id && *id <= 17, 27 <= *id && *id <= 31, *id == 36, 50 <= *id && *id <= 58:
			d := 14 // shown with ShortDatePattern, yyyy-mm-dd
			f.Styles.CellXfs.Xf[i].NumFmtID = &d
		}
	}
}

// dateFormat reports whether the number format code shows a date, and whether it shows a
// time of day with it: it has a day, month or year token (d, m, y) outside quoted text,
// brackets ([Red], [$-409]) and escaped characters, an m with neither hours nor seconds
// (nor elapsed time, [h]) being months rather than minutes.
func dateFormat(code string) (date, clock bool) {
	var day, month, hours bool
	for i := 0; i < len(code); i++ {
		switch c := code[i] | 0x20; {
		case code[i] == '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case code[i] == '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return false, false
			}
			// [h], [mm], [ss]: elapsed time, which is no date; any other bracket is a colour,
			// a condition or a region.
			if elapsed := strings.ToLower(code[i+1 : i+1+j]); elapsed != "" && strings.Trim(elapsed, "hms") == "" {
				hours = true
			}
			i += j + 1
		case code[i] == '\\' || code[i] == '_' || code[i] == '*':
			i++ // the next character is shown as it is (or spaced, or repeated)
		case c == 'd' || c == 'y':
			day = true
		case c == 'm':
			month = true
		case c == 'h' || c == 's':
			hours = true
		}
	}
	return day || month && !hours, hours
}

// readSheet is the sheet of a workbook an import reads: the one open when it was saved (the
// active sheet), which is what the person saw, unless it is hidden; else the first sheet not
// hidden. A hidden sheet (old data, lookups) is never read when another is shown.
func readSheet(f *excelize.File, sheets []string) string {
	visible := func(name string) bool {
		v, err := f.GetSheetVisible(name)
		return err == nil && v
	}
	if i := f.GetActiveSheetIndex(); i >= 0 && i < len(sheets) && visible(sheets[i]) {
		return sheets[i]
	}
	for _, name := range sheets {
		if visible(name) {
			return name
		}
	}
	return sheets[0]
}

// refuseUncalculated refuses a sheet with a formula whose result was never saved: a workbook
// written by a program rather than a spreadsheet (a script's export, a report generator) can
// hold "=B2*C2" with no value beside it, which reads as an empty cell and would import as one.
// A spreadsheet saves every formula's last result, so such a file is fixed by opening it in
// one and saving it again. A formula whose saved result is empty text is an empty cell.
func refuseUncalculated(zr *zip.Reader, sheet string) error {
	part := sheetPart(zr, sheet)
	if part == nil {
		return nil
	}
	rc, err := part.Open()
	if err != nil {
		return nil // excelize read the part; a second reading failing is no reason to refuse
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var cell, kind string
	var formula, value bool
	for {
		tok, err := d.Token()
		if err != nil {
			return nil
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "c":
				cell, kind, formula, value = "", "", false, false
				for _, a := range e.Attr {
					switch a.Name.Local {
					case "r":
						cell = a.Value
					case "t":
						kind = a.Value
					}
				}
			case "f":
				formula = true
			case "v":
				var v string
				if d.DecodeElement(&v, &e) == nil && (v != "" || kind == "str") {
					value = true
				}
			}
		case xml.EndElement:
			if e.Name.Local == "c" && formula && !value {
				return refuse("Cell %s of the sheet “%s” holds a formula with no saved result: the program that wrote this file did not calculate it. "+
					"Open the file in a spreadsheet and save it again (that saves each formula's result), or type the values in.", cell, sheet)
			}
		}
	}
}

// sheetPart is the zip entry holding the named sheet, found as a spreadsheet finds it: the
// workbook names the sheet's relationship, and the workbook's relationships name its part.
func sheetPart(zr *zip.Reader, sheet string) *zip.File {
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if decodePart(files["xl/workbook.xml"], &wb) != nil || decodePart(files["xl/_rels/workbook.xml.rels"], &rels) != nil {
		return nil
	}
	for _, s := range wb.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, r := range rels.Rels {
			if r.ID != s.ID {
				continue
			}
			if strings.HasPrefix(r.Target, "/") {
				return files[strings.TrimPrefix(r.Target, "/")]
			}
			return files[path.Join("xl", r.Target)]
		}
	}
	return nil
}

func decodePart(f *zip.File, v any) error {
	if f == nil {
		return errors.New("no such part")
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}
