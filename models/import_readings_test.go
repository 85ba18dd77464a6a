package models

import (
	"strings"
	"testing"
)

// A file's date is read in any of the ways spreadsheets write one; numbers whose order of day
// and month is not fixed are read in the order given, or alone when one says it.
func TestReadDate(t *testing.T) {
	for _, c := range []struct {
		in    string
		order dateOrder
		want  string // the date read, or the start of the refusal
	}{
		{"2027-01-31", orderUnknown, "2027-01-31"},
		{"2027-1-1", orderUnknown, "2027-01-01"},
		{"2027/01/01", orderUnknown, "2027-01-01"},
		{"2027.01.01", orderUnknown, "2027-01-01"},
		{"31.12.2027", orderUnknown, "2027-12-31"},
		{"1 Jan 2027", orderUnknown, "2027-01-01"},
		{"Jan 1 2027", orderUnknown, "2027-01-01"},
		{"January 1, 2027", orderUnknown, "2027-01-01"},
		{"1 JANUARY 2027", orderUnknown, "2027-01-01"},
		{"2026-01-01 00:00", orderUnknown, "2026-01-01"},
		{"2026-01-01 00:00:00", orderUnknown, "2026-01-01"},
		{"2026-01-01T00:00:00Z", orderUnknown, "2026-01-01"},
		{"2026-01-01 09:30", orderUnknown, "Enter a date like"},
		{"31/12/2027", orderUnknown, "2027-12-31"},
		{"12/31/2027", orderUnknown, "2027-12-31"},
		{"1/1/2027", orderUnknown, "2027-01-01"},
		{"03/04/2027", orderUnknown, "Write this date as YYYY-MM-DD"},
		{"03/04/2027", dayFirst, "2027-04-03"},
		{"03/04/2027", monthFirst, "2027-03-04"},
		{"13/04/2027", monthFirst, "Enter a date like"},
		{"2027-02-30", orderUnknown, "Enter a date like"},
		{"46388", orderUnknown, "This looks like a spreadsheet serial number"},
		{"soon", orderUnknown, "Enter a date like"},
	} {
		got := ""
		d, err := readDate(c.in, c.order)
		if err != nil {
			got = err.Error()
		} else {
			got = d.Format(DateLayout)
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("readDate(%q, %d) = %q, want %q", c.in, c.order, got, c.want)
		}
	}
}

// Each amount and date column is read one way for the whole file, the way its values show;
// a column that does not show it is refused beside the values it leaves open.
func TestImportColumnsAreReadOneWayPerFile(t *testing.T) {
	plan := ImportPlan{Mapping: []string{"period_start", "period_end", "amount"}}
	for _, c := range []struct {
		name  string
		rows  [][]string
		want  [][]string // each row's cells as read, or a refusal's start
		notes string
	}{
		{"decimal comma", [][]string{{"2027-01-01", "2027-12-31", "1234,50"}, {"2027-01-01", "2027-12-31", "1.234,50 €"}, {"2027-01-01", "2027-12-31", "1.234"}},
			[][]string{{"2027-01-01", "2027-12-31", "1234.50"}, {"2027-01-01", "2027-12-31", "1,234.50 €"}, {"2027-01-01", "2027-12-31", "1,234"}},
			"read Amount with a decimal comma (1.234,50)"},
		{"decimal point", [][]string{{"2027-01-01", "2027-12-31", "1,234.50"}, {"2027-01-01", "2027-12-31", "1.234"}},
			[][]string{{"2027-01-01", "2027-12-31", "1,234.50"}, {"2027-01-01", "2027-12-31", "1.234"}}, ""},
		{"a point alone", [][]string{{"2027-01-01", "2027-12-31", "1.234"}, {"2027-01-01", "2027-12-31", "12"}},
			[][]string{{"2027-01-01", "2027-12-31", "An amount such as 1.234 may be read two ways"}, {"2027-01-01", "2027-12-31", "12"}}, ""},
		{"both marks", [][]string{{"2027-01-01", "2027-12-31", "1,50"}, {"2027-01-01", "2027-12-31", "2.50"}},
			[][]string{{"2027-01-01", "2027-12-31", "Some amounts in this column have a decimal comma"}, {"2027-01-01", "2027-12-31", "Some amounts"}}, ""},
		{"spaces between thousands", [][]string{{"2027-01-01", "2027-12-31", "1 234,50"}, {"2027-01-01", "2027-12-31", "1\u00a0234\u00a0567,5 €"},
			{"2027-01-01", "2027-12-31", "12\u202f345"}, {"2027-01-01", "2027-12-31", "1.234"}},
			[][]string{{"2027-01-01", "2027-12-31", "1234.50"}, {"2027-01-01", "2027-12-31", "1234567.5 €"}, {"2027-01-01", "2027-12-31", "12345"},
				{"2027-01-01", "2027-12-31", "1,234"}},
			"read Amount with a decimal comma (1.234,50)"},
		{"spaces between thousands and a decimal point", [][]string{{"2027-01-01", "2027-12-31", "1 234.50"}, {"2027-01-01", "2027-12-31", "1 234"}},
			[][]string{{"2027-01-01", "2027-12-31", "1234.50"}, {"2027-01-01", "2027-12-31", "1234"}}, ""},
		{"apostrophes between thousands", [][]string{{"2027-01-01", "2027-12-31", "1'234.50"}, {"2027-01-01", "2027-12-31", "CHF 12\u2019345\u2019678.05"}},
			[][]string{{"2027-01-01", "2027-12-31", "1234.50"}, {"2027-01-01", "2027-12-31", "CHF 12345678.05"}}, ""},
		{"points between thousands", [][]string{{"2027-01-01", "2027-12-31", "1.234,50"}, {"2027-01-01", "2027-12-31", "1.234.567"}},
			[][]string{{"2027-01-01", "2027-12-31", "1,234.50"}, {"2027-01-01", "2027-12-31", "1,234,567"}},
			"read Amount with a decimal comma (1.234,50)"},
		{"spaces grouping only part of the number", [][]string{{"2027-01-01", "2027-12-31", "12 34,50"}, {"2027-01-01", "2027-12-31", "1 234'567"}},
			[][]string{{"2027-01-01", "2027-12-31", "12 34,50"}, {"2027-01-01", "2027-12-31", "1 234'567"}}, ""},
		{"spaces and a point alone", [][]string{{"2027-01-01", "2027-12-31", "1 234"}, {"2027-01-01", "2027-12-31", "2.500"}},
			[][]string{{"2027-01-01", "2027-12-31", "1234"}, {"2027-01-01", "2027-12-31", "An amount such as 1.234 may be read two ways"}}, ""},
		{"day first", [][]string{{"01/04/2027", "31/03/2028", "10"}, {"02/04/2027", "30/04/2028", "10"}},
			[][]string{{"2027-04-01", "2028-03-31", "10"}, {"2027-04-02", "2028-04-30", "10"}},
			"read Period start day first (31/12/2027) and Period end day first (31/12/2027)"},
		{"month first", [][]string{{"1/1/2027", "12/31/2027", "10"}, {"2/1/2027", "1/31/2028", "10"}},
			[][]string{{"2027-01-01", "2027-12-31", "10"}, {"2027-02-01", "2028-01-31", "10"}},
			"read Period start month first (12/31/2027) and Period end month first (12/31/2027)"},
		{"neither", [][]string{{"03/04/2027", "05/06/2027", "10"}},
			[][]string{{"A date such as 01/02/2027 may have the day first or the month first", "A date such as", "10"}}, ""},
		{"both orders", [][]string{{"2027-01-01", "31/12/2027", "10"}, {"2027-01-01", "12/31/2027", "10"}},
			[][]string{{"2027-01-01", "Some dates in this column have the day first", "10"}, {"2027-01-01", "Some dates", "10"}}, ""},
	} {
		readings, notes := importBudgets.readColumns(c.rows, plan)
		if got := readingsNote(notes); got != c.notes {
			t.Errorf("%s: note %q, want %q", c.name, got, c.notes)
		}
		for i, row := range c.rows {
			for j, cell := range row {
				got, refusal := readings[j].read(cell)
				if refusal != "" {
					got = refusal
				}
				if !strings.HasPrefix(got, c.want[i][j]) {
					t.Errorf("%s: row %d column %d %q read as %q, want %q", c.name, i+1, j+1, cell, got, c.want[i][j])
				}
			}
		}
	}
}
