// Package reports draws the reports: spend by department, vendor, GL account or month, as a
// chart and, with the same figures, a table.
package reports

import (
	"strconv"

	"outlay/views"
)

// SpendPath is the spend report; SpendExportPath downloads its table (?format=csv|xlsx|jsonl).
const (
	SpendPath       = "/reports/spend"
	SpendExportPath = "/reports/spend/export"
)

// Option is one choice of a filter.
type Option struct{ Value, Label string }

// Preset is a period people pick with one click.
type Preset struct {
	Label   string
	Href    string
	Current bool
}

// SpendFilter is the report's filter as typed into the address.
type SpendFilter struct {
	Period, From, To, Group, Stage, Department, Location, Currency string
}

// SpendPage is the spend report.
type SpendPage struct {
	Filter      SpendFilter
	Errors      views.FieldErrors
	Groupings   []Option
	Stages      []Option
	Departments []Option
	Locations   []Option
	Presets     []Preset
	Title       string // "Spend by department"
	Period      string // "1 Jan 2026 – 31 Dec 2026"
	Scope       string // which departments a scoped viewer sees; empty for everyone's
	Sections    []SpendSection
	ExportURL   string // empty: the viewer may not download it, or the filter is wrong
}

// SpendSection is the report in one currency: never added to another.
type SpendSection struct {
	ID       string // "spend-usd"
	Currency string
	Heading  string
	Note     string
	Group    string // the first column's heading: "Department"
	Columns  []Stage
	Rows     []SpendRow
	Total    SpendRow
	Chart    Chart
}

// Stage is one stage column: its label and the class its bars and swatch are drawn with.
type Stage struct{ Label, Class string }

// SpendRow is one group's amounts, one per column.
type SpendRow struct {
	Label   string
	Amounts []string
}

// Chart is a section's bars: for each group, one bar per stage, sized in percent of the
// chart's width so that the text keeps its size on any screen.
type Chart struct {
	Title, Desc string
	Height      int
	Groups      []ChartGroup
	Note        string // when the chart shows fewer groups than the table
}

// ChartGroup is one group's label and bars.
type ChartGroup struct {
	Label string
	Y     int
	Bars  []ChartBar
}

// ChartBar is one stage's bar.
type ChartBar struct {
	Class  string
	Width  string // percent of the chart's width: "42.5%"
	Amount string
	Y      int
}

// Chart geometry, in pixels.
const (
	ChartLabelH   = 20 // the group's label above its bars
	ChartBarH     = 14
	ChartBarGap   = 4
	ChartGroupGap = 14
	// ChartBarMaxPercent is the longest bar's share of the width; each amount follows its bar.
	ChartBarMaxPercent = 68
)

func itoa(n int) string { return strconv.Itoa(n) }
