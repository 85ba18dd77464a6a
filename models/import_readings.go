package models

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"outlay"
)

// A file's amounts and dates are written as its spreadsheet's region writes them: 1.234,50
// with a decimal comma in much of Europe, 31/12/2027 with the day first there and 12/31/2027
// with the month first in the US. A single value may not say which way it is written (is
// 1.234 a thousand or one and a quarter? is 01/02/2027 in January or February?), so each
// amount and date column is read one way for the whole file, the way its values together
// show; a column whose values do not show it is refused where it is ambiguous, rather than
// read one way by guess. The cells are then written as the forms send amounts and dates
// (1234.50, 2027-12-31), which the kinds' model functions read.

// dateOrder is how a column writes the numeric dates whose order is not fixed (1/2/2027).
type dateOrder int

const (
	orderUnknown dateOrder = iota
	dayFirst               // 31/12/2027
	monthFirst             // 12/31/2027
)

// columnReading is how one amount or date column of a file is read.
type columnReading struct {
	column       ImportColumn
	decimalComma bool      // an amount column whose decimal mark is a comma
	order        dateOrder // a date column's order of day and month
	// refusal, when the column's values do not show how they are written, is said beside
	// each value that cannot be read without knowing it.
	refusal string
	// mixed is a column that has both ways of writing: its refusal is said beside every
	// value written either way.
	mixed bool
}

// read returns cell as the forms write its value, and why it is refused ("" when it is not).
// A value that is not an amount or a date at all is given as it is, for the kind's model
// function to refuse in its own words.
func (r *columnReading) read(cell string) (string, string) {
	v := strings.TrimSpace(cell)
	if v == "" {
		return cell, ""
	}
	if r.column.compare == compareAmount {
		plain, grouped := ungroupThousands(v)
		switch mark := decimalMarkOf(v); {
		case r.refusal != "" && mark != markNone:
			return cell, r.refusal
		case r.decimalComma:
			return swapDecimalMarks(plain), ""
		case grouped:
			return plain, ""
		}
		return cell, ""
	}
	d, err := readDate(v, r.order)
	_, _, numeric := numericDate(v)
	switch {
	case r.refusal != "" && (errors.Is(err, errDateOrder) || r.mixed && numeric):
		return cell, r.refusal
	case err != nil:
		return cell, err.Error()
	}
	return d.Format(DateLayout), ""
}

// note says how the column was read when that is not how the forms write it, for the check
// page: "with a decimal comma (1.234,50)", "day first (31/12/2027)"; "" otherwise.
func (r *columnReading) note() string {
	switch {
	case r.refusal != "":
		return ""
	case r.decimalComma:
		return "with a decimal comma (1.234,50)"
	case r.order == dayFirst:
		return "day first (31/12/2027)"
	case r.order == monthFirst:
		return "month first (12/31/2027)"
	}
	return ""
}

// readColumns decides how each amount and date column of the file's data rows is read
// (keyed by its place in the file), and returns notes for the check page on those read
// otherwise than as the forms write them ("Amount with a decimal comma (1.234,50)"). A
// column whose own values do not decide takes what the other columns of its sort decided,
// when they agree: a period's end of 31/12/2027 says how its start of 01/04/2027 is written.
func (k *ImportKind) readColumns(data [][]string, p ImportPlan) (map[int]*columnReading, []string) {
	readings := map[int]*columnReading{}
	var amounts, dates []*columnReading
	for j, name := range p.Mapping {
		c, ok := k.Column(name)
		if !ok || c.compare != compareAmount && c.compare != compareDate {
			continue
		}
		r := &columnReading{column: c}
		readings[j] = r
		if c.compare == compareAmount {
			amounts = append(amounts, r)
		} else {
			dates = append(dates, r)
		}
	}
	if len(readings) == 0 {
		return nil, nil
	}
	type evidence struct{ comma, point, ambiguousPoint, day, month, unordered bool }
	seen := map[*columnReading]*evidence{}
	for _, r := range readings {
		seen[r] = &evidence{}
	}
	for _, cells := range data {
		for j, r := range readings {
			if j >= len(cells) || strings.TrimSpace(cells[j]) == "" {
				continue
			}
			v, e := strings.TrimSpace(cells[j]), seen[r]
			if r.column.compare == compareAmount {
				switch decimalMarkOf(v) {
				case markComma:
					e.comma = true
				case markPoint:
					e.point = true
				case markAmbiguousPoint:
					e.ambiguousPoint = true
				}
				continue
			}
			if first, second, ok := numericDate(v); ok && first != second {
				e.day = e.day || first > 12
				e.month = e.month || second > 12
				e.unordered = e.unordered || first <= 12 && second <= 12
			}
		}
	}
	for _, r := range readings {
		e := seen[r]
		switch {
		case e.comma && e.point:
			r.refusal, r.mixed = "Some amounts in this column have a decimal comma (1.234,50) and others a decimal point (1,234.50). Write every amount the same way.", true
		case e.comma:
			r.decimalComma = true
		case e.day && e.month:
			r.refusal, r.mixed = "Some dates in this column have the day first (31/12/2027) and others the month first (12/31/2027). Write every date as YYYY-MM-DD.", true
		case e.day:
			r.order = dayFirst
		case e.month:
			r.order = monthFirst
		}
	}
	// Columns whose values did not decide take what the others of their sort decided.
	for _, group := range [][]*columnReading{amounts, dates} {
		comma, point, orders := false, false, map[dateOrder]bool{}
		for _, r := range group {
			if r.refusal == "" {
				comma, point = comma || r.decimalComma, point || seen[r].point
				if r.order != orderUnknown {
					orders[r.order] = true
				}
			}
		}
		for _, r := range group {
			e := seen[r]
			switch {
			case r.refusal != "":
			case r.column.compare == compareAmount:
				if !e.comma && !e.point && comma && !point {
					r.decimalComma = true
				}
				if !r.decimalComma && !e.point && e.ambiguousPoint {
					r.refusal = "An amount such as 1.234 may be read two ways, as 1234 with a point between the thousands or as 1.234 with a decimal point, " +
						"and no amount in this column rules either out. Write the amounts with their decimals (1.234,00 or 1,234.00) or with no thousands separator (1234)."
				}
			case r.order == orderUnknown && e.unordered:
				if len(orders) == 1 {
					for o := range orders {
						r.order = o
					}
				} else {
					r.refusal = "A date such as 01/02/2027 may have the day first or the month first, and no date in this column has a day over 12 to tell which. " +
						"Write the dates as YYYY-MM-DD (2027-02-01)."
				}
			}
		}
	}
	var notes []string
	for j := range p.Mapping {
		if r, ok := readings[j]; ok && r.note() != "" {
			notes = append(notes, r.column.Label+" "+r.note())
		}
	}
	return readings, notes
}

// What an amount's text shows of its decimal mark.
type decimalMark int

const (
	markNone           decimalMark = iota // no mark, or not an amount: 1234
	markComma                             // a decimal comma: 1234,50, 1.234,50, 1.234.567
	markPoint                             // a decimal point: 1234.50, 1,234.50, 1,234,567
	markAmbiguousPoint                    // 1.234: a thousand with a point between thousands, or one and a bit
	markAmbiguousComma                    // 1,234: read as a thousand, as the forms read it
)

// thousands matches digits grouped in thousands by the separator that follows them.
var thousands = map[byte]*regexp.Regexp{
	',': regexp.MustCompile(`^\d{1,3}(,\d{3})+$`),
	'.': regexp.MustCompile(`^\d{1,3}(\.\d{3})+$`),
}

// decimalMarkOf reads what the amount v shows of its decimal mark, from its digits and
// marks alone (a sign, a currency's symbol or code around them are left aside).
func decimalMarkOf(v string) decimalMark {
	v, _ = ungroupThousands(v)
	start := strings.IndexFunc(v, isDigit)
	end := strings.LastIndexFunc(v, isDigit)
	if start < 0 {
		return markNone
	}
	core := v[start : end+1]
	if strings.Trim(core, "0123456789.,") != "" {
		return markNone
	}
	dot, comma := strings.LastIndexByte(core, '.'), strings.LastIndexByte(core, ',')
	switch {
	case dot >= 0 && comma >= 0 && comma > dot:
		return markComma
	case dot >= 0 && comma >= 0:
		return markPoint
	case comma >= 0 && thousands[','].MatchString(core):
		if strings.Count(core, ",") > 1 {
			return markPoint
		}
		return markAmbiguousComma
	case comma >= 0:
		return markComma
	case dot >= 0 && thousands['.'].MatchString(core):
		if strings.Count(core, ".") > 1 {
			return markComma
		}
		return markAmbiguousPoint
	case dot >= 0:
		return markPoint
	}
	return markNone
}

// groupSeparators are the thousands separators that are never a decimal mark: a space, the
// no-break and narrow no-break spaces spreadsheets write in France and elsewhere (1 234,50),
// and the apostrophes of Switzerland (1'234.50).
const groupSeparators = " \u00a0\u202f'\u2019"

// spaceGrouped matches the whole part of an amount grouped in thousands by one of the
// groupSeparators (the same one throughout), and what follows it.
var spaceGrouped = regexp.MustCompile("^\\d{1,3}([" + groupSeparators + "])\\d{3}(?:[" + groupSeparators + "]\\d{3})*([.,]\\d+)?$")

// ungroupThousands takes out of the amount v the thousands separators that cannot be a
// decimal mark (groupSeparators): "1 234,50 €" is "1234,50 €", whose comma is then surely
// its decimal mark, and "1'234.50" is "1234.50". grouped is false, and v is given back as
// it is, when v has none or they do not group its whole part in thousands the same way
// throughout ("12 34", "1 234'567"), which the amount's own reading then refuses.
func ungroupThousands(v string) (plain string, grouped bool) {
	start := strings.IndexFunc(v, isDigit)
	end := strings.LastIndexFunc(v, isDigit)
	if start < 0 {
		return v, false
	}
	core := v[start : end+1]
	m := spaceGrouped.FindStringSubmatch(core)
	if m == nil {
		return v, false
	}
	core = strings.ReplaceAll(core, m[1], "")
	if strings.ContainsAny(core, groupSeparators) {
		return v, false
	}
	return v[:start] + core + v[end+1:], true
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// swapDecimalMarks writes an amount with a decimal comma as the forms read amounts:
// "1.234,50 €" as "1,234.50 €".
func swapDecimalMarks(v string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return ','
		case ',':
			return '.'
		}
		return r
	}, v)
}

var (
	// numericDateForm is a date of numbers whose order of day and month is not fixed:
	// 1/2/2027, 01-02-2027.
	numericDateForm = regexp.MustCompile(`^(\d{1,2})([/-])(\d{1,2})([/-])(\d{4})$`)
	// dottedDateForm is a date written with points, which is day first: 31.12.2027.
	dottedDateForm = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\.(\d{4})$`)
	// yearFirstForm is a date with the year first: 2027-01-31, 2027/1/31, 2027.01.31.
	yearFirstForm = regexp.MustCompile(`^(\d{4})([-/.])(\d{1,2})([-/.])(\d{1,2})$`)
	// midnight is a time of day at the very start of the day, after a date: what a
	// spreadsheet's date and time shows of a date.
	midnight = regexp.MustCompile(`^(.*?)(?:[ T]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)$`)
	// serialNumber is a spreadsheet's date serial (46753 is 2028-01-01), as a CSV file
	// writes a date column not formatted as dates.
	serialNumber = regexp.MustCompile(`^\d{5}(\.\d+)?$`)
)

// errDateOrder refuses a date whose order of day and month the column does not say.
var errDateOrder = errors.New("Write this date as YYYY-MM-DD: it may have the day first or the month first.")

// numericDate reads the two first numbers of a date such as 1/2/2027 (ok false for a date
// written otherwise).
func numericDate(v string) (first, second int, ok bool) {
	v = midnightCut(v)
	m := numericDateForm.FindStringSubmatch(v)
	if m == nil || m[2] != m[4] {
		return 0, 0, false
	}
	first, _ = strconv.Atoi(m[1])
	second, _ = strconv.Atoi(m[3])
	return first, second, true
}

// midnightCut takes a time of midnight off a date.
func midnightCut(v string) string {
	if m := midnight.FindStringSubmatch(v); m != nil {
		return strings.TrimSpace(m[1])
	}
	return v
}

// dateNameLayouts are the dates with the month's name an import reads.
var dateNameLayouts = []string{"2 Jan 2006", "2 January 2006", "Jan 2 2006", "January 2 2006", "2-Jan-2006", "2 Jan. 2006", "Jan. 2 2006"}

// readDate reads a date of a file, written in any of the ways spreadsheets write one: year
// first (2027-01-31, 2027/1/31, 2027.01.31), day first with points (31.01.2027), with the
// month's name (31 Jan 2027, Jan 31 2027, January 31, 2027), or of numbers in the order
// given (31/01/2027 day first, 01/31/2027 month first; with no order, one whose first or
// second number is over 12, or both the same). A date and time of midnight is that date.
func readDate(v string, order dateOrder) (time.Time, error) {
	v = midnightCut(strings.TrimSpace(v))
	day := func(y, m, d string) (time.Time, error) {
		t, err := time.Parse("2006-1-2", y+"-"+m+"-"+d)
		if err != nil {
			return time.Time{}, errors.New(DateNotUnderstood)
		}
		return t, nil
	}
	if m := yearFirstForm.FindStringSubmatch(v); m != nil && m[2] == m[4] {
		return day(m[1], m[3], m[5])
	}
	if m := dottedDateForm.FindStringSubmatch(v); m != nil {
		return day(m[3], m[2], m[1])
	}
	if m := numericDateForm.FindStringSubmatch(v); m != nil && m[2] == m[4] {
		first, second := m[1], m[3]
		a, _ := strconv.Atoi(first)
		b, _ := strconv.Atoi(second)
		switch {
		case order == dayFirst, order == orderUnknown && a > 12:
			return day(m[5], second, first)
		case order == monthFirst, order == orderUnknown && (b > 12 || a == b):
			return day(m[5], first, second)
		}
		return time.Time{}, errDateOrder
	}
	named := strings.Join(strings.Fields(strings.ReplaceAll(v, ",", " ")), " ")
	for _, layout := range dateNameLayouts {
		if t, err := time.Parse(layout, named); err == nil {
			return t, nil
		}
		// A month's name in any case: "31 JAN 2027".
		if t, err := time.Parse(layout, titleCase(named)); err == nil {
			return t, nil
		}
	}
	if serialNumber.MatchString(v) {
		return time.Time{}, errors.New("This looks like a spreadsheet serial number, not a date; format the column as a date in your spreadsheet and save the file again.")
	}
	return time.Time{}, errors.New(DateNotUnderstood)
}

// titleCase writes each word with a capital first letter and small letters after it.
func titleCase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// readingsNote says on the check page how the file's amounts and dates were read, when not
// as the forms write them: "Amount read with a decimal comma (1.234,50)".
func readingsNote(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return "read " + outlay.List(notes, "and")
}
