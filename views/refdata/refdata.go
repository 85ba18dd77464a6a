// Package refdata holds the reference-data admin pages: departments, locations, vendors, GL
// accounts, budgets and the organisation's settings. Every kind shares one list (search,
// archive filter, pagination, row actions), one form and one record page; the handlers
// describe each kind's columns and fields.
package refdata

import (
	"github.com/a-h/templ"

	"fmt"
	"strconv"

	"outlay"
	"outlay/views"
)

// Element ids that htmx requests name in HX-Target, so handlers can answer with that part.
const (
	ResultsID = "ref-results" // a list's results, replaced when the filters change
	FormID    = "ref-form"    // a create or edit form, replaced by its errors
)

// PerPage is how many records one page of a list shows.
const PerPage = 25

// Archive states, as the list's filter sends them.
const (
	StateActive   = ""
	StateArchived = "archived"
	StateAll      = "all"
)

// Option is one choice of a select.
type Option = views.Option

// Select is an extra filter of a list (the budgets' department and year).
type Select struct {
	Name    string
	Label   string
	Any     string // the label of the empty choice
	Value   string
	Options []Option
}

// Filter is a list's search, filters and page, as the query string carries them.
type Filter struct {
	Path  string // the list's address
	Q     string
	State string
	Extra []Select
	Page  int
}

// Active reports whether the filter narrows the list beyond the default (active records).
func (f Filter) Active() bool {
	if f.Q != "" || f.State != StateActive {
		return true
	}
	for _, s := range f.Extra {
		if s.Value != "" {
			return true
		}
	}
	return false
}

// URL is the list's address with this filter at page.
func (f Filter) URL(page int) string {
	params := [][2]string{{"q", f.Q}, {"state", f.State}}
	for _, s := range f.Extra {
		params = append(params, [2]string{s.Name, s.Value})
	}
	return views.ListURL(f.Path, page, params...)
}

// Cell is one value of a row.
type Cell struct {
	Text  string
	Href  string             // links the value to the record
	Hint  string             // a second, quieter line
	Badge string             // shows the value as a badge of this class ("badge badge-success")
	Num   bool               // right-aligned figures
	Meter *views.BudgetMeter // a budget's use, as a bar under the value
}

// Row is one record in a list.
type Row struct {
	ID       int64
	Name     string // what the record is called, for buttons and confirmations
	Cells    []Cell
	Archived bool
}

// List is a reference-data list page.
type List struct {
	// ExportURL downloads the whole list with its filters (every page); empty: no export.
	ExportURL  string
	Title      string
	Summary    string // a sentence under the title
	Noun       string // "vendor"
	Plural     string // "vendors"
	SearchHint string
	CSRF       string
	Filter     Filter
	Columns    []string
	NumColumns map[int]bool // columns of figures, right-aligned
	Rows       []Row
	Total      int
	CanCreate  bool
	CanUpdate  bool
	EmptyText  string // what the empty list says to do
}

// NewPath is the create form's address.
func (l List) NewPath() string { return l.Filter.Path + "/new" }

// ItemPath is a record's page; its edit form posts to it.
func ItemPath(list string, id int64) string { return list + "/" + strconv.FormatInt(id, 10) }

// Pager is where the list stands, for the shared pagination.
func (l List) Pager() views.Pagination {
	return views.Pagination{Page: l.Filter.Page, PerPage: PerPage, Total: l.Total, URL: l.Filter.URL, Target: ResultsID}
}

func (l List) matchText() string {
	if l.Total == 1 {
		return "1 " + l.Noun + " matches."
	}
	return outlay.Count(l.Total) + " " + l.Plural + " match."
}

// Field is one input of a form.
type Field struct {
	Name    string
	Label   string
	Type    string // text, email, number, date, select, textarea, lookup
	Value   string
	Options []Option // for select
	// Lookup, for a lookup, answers the matches of what is typed; Text is the name of the
	// record Value names.
	Lookup, Text string
	// Placeholder, for a lookup, is what it shows with nothing chosen.
	Placeholder string
	Hint        string
	Max         int // maximum length of text
	Required    bool
	InputMode   string // "decimal" for amounts
}

// Form is a create (ID 0) or edit form.
type Form struct {
	ID     int64
	Action string
	CSRF   string
	Fields []Field
	Errors views.FieldErrors
	Submit string
	Cancel string // where Cancel leads; empty: no Cancel button
	// RecordVersion is the version of the record edited the form was read at (none when
	// creating one).
	views.RecordVersion
	// ReadOnly shows the values to someone who may read them but not change them: the
	// fields disabled, no button.
	ReadOnly bool
}

// Fact is one labelled value of a record's page.
type Fact struct {
	Label string
	Value string
}

// Detail is a record's page: its facts, its history, and for those who may, the edit form
// and the archive or unarchive button.
type Detail struct {
	Title       string
	Subtitle    string
	ListPath    string
	ListLabel   string
	HistoryPath string
	ItemPath    string // the record's page; empty: it cannot be archived (the settings)
	Archived    bool
	Noun        string
	CSRF        string
	CanUpdate   bool
	Facts       []Fact
	FormTitle   string
	Form        Form
	Extra       templ.Component // more about the record, under its details
}

// NewPage is a create form's page.
type NewPage struct {
	Title     string
	Intro     string
	ListPath  string
	ListLabel string
	Form      Form
}

func archiveConfirm(noun, name string, archived bool) string {
	if archived {
		return fmt.Sprintf("Bring back the %s %s? It will be offered for new documents again.", noun, name)
	}
	if noun == "budget" {
		return fmt.Sprintf("Archive the %s %s? It stays in history, but spending is no longer checked against it.", noun, name)
	}
	return fmt.Sprintf("Archive the %s %s? It stays on existing documents and in history but is no longer offered for new ones.", noun, name)
}

// columnLabel is the heading of column i, which labels its cells on phones.
func (l List) columnLabel(i int) string {
	if i < len(l.Columns) {
		return l.Columns[i]
	}
	return ""
}
