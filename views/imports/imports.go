// Package imports holds the import pages: choosing a kind and a file (with templates to start
// from), the preview that maps the file's columns and shows every row's problems beside it,
// the progress of a large import, and its result.
package imports

import (
	"strconv"
	"strings"

	"outlay/views"
)

// Path is the import page; the rest hang under it.
const Path = "/admin/import"

// Element ids htmx targets.
const (
	PreviewID  = "import-preview"  // the preview, replaced when the mapping changes
	ProgressID = "import-progress" // the progress bar, polled until the import is done
)

// ItemPath is an import's page: its preview, progress or result.
func ItemPath(id int64) string { return Path + "/" + strconv.FormatInt(id, 10) }

// MappingPath takes a corrected mapping.
func MappingPath(id int64) string { return ItemPath(id) + "/mapping" }

// CommitPath commits an import.
func CommitPath(id int64) string { return ItemPath(id) + "/commit" }

// ProgressPath is the progress fragment.
func ProgressPath(id int64) string { return ItemPath(id) + "/progress" }

// TemplatePath is kind's template in format ("csv" or "xlsx").
func TemplatePath(kind, format string) string { return Path + "/templates/" + kind + "." + format }

// Column is one column of a kind.
type Column struct {
	Name, Label, Help string
	Required          bool
}

// Kind is a kind of setup data the page offers.
type Kind struct {
	Name, Label string
	Key         string // what names a record, as people read it: "email"
	Columns     []Column
}

// Recent is an earlier import in the list.
type Recent struct {
	ID                                         int64
	Kind, Filename, Status, When               string
	Rows, Created, Updated, Unchanged, Refused int
}

// Page is the import page.
type Page struct {
	CSRFToken string
	Kinds     []Kind
	Kind      string // the kind chosen
	Errors    views.FieldErrors
	Recent    []Recent
	MaxMB     int64
	// ReadOnly shows no upload form: the organisation is read-only.
	ReadOnly bool
}

// FileColumn is a column of the uploaded file and what it is read as.
type FileColumn struct {
	Index  int
	Header string // the file's header cell, or "Column 3" without a header
	Mapped string // a kind's column name, or "" to leave it out
}

// Cell is one value of a row, with its problem.
type Cell struct {
	Value, Error string
}

// Row is one row of the preview.
type Row struct {
	Line     int
	Outcome  string
	Cells    []Cell // in the order of Preview.Shown
	RowError string
}

// Reinvitation is an invited person the import gives more access than their set-password
// link was made for: that link stops working, and Note says what becomes of a new one.
type Reinvitation struct {
	Line              int
	Name, Email, Note string
}

// Preview is an uploaded file checked row by row.
type Preview struct {
	ID                                 int64
	CSRFToken                          string
	Kind                               Kind
	Filename, FileInfo                 string
	FileColumns                        []FileColumn
	MappingError                       string
	Shown                              []Column // the kind's columns the file has
	Rows                               []Row
	Total, Created, Updated, Unchanged int
	Refused                            int
	// Unchecked counts the rows after those the check had time for (CheckTime, in words):
	// the counts are of the rows checked, and the import checks every row again.
	Unchecked  int
	CheckTime  string
	Background bool // the commit runs as a job, with a progress bar
	Done       bool // already committed: show its outcome instead
	Reinvited  []Reinvitation
	Invited    string // what becomes of the new people's invitations, if any
}

// Progress is a committed import: its bar while it runs, its result once done.
type Progress struct {
	ID                                   int64
	Kind, Filename, Status, Message      string
	Done, Total, Percent                 int
	Finished                             bool
	Created, Updated, Unchanged, Refused int
	Rows                                 []Row
	Shown                                []Column
	Reinvited                            []Reinvitation // of an import that was written
	Invited                              string         // what became of the new people's invitations, if any
	// Retry: the import failed with its file kept, and pressing Import runs it again.
	Retry     bool
	CSRFToken string
}

func itoa(n int) string { return strconv.Itoa(n) }

// reinvitedIntro introduces the check's list of invited people whose links the import would
// spend: of the rows checked so far, when the check stopped early.
func reinvitedIntro(p Preview) string {
	lead := "Importing gives"
	if p.Unchecked > 0 {
		lead = "In the rows checked so far, importing gives"
	}
	return lead + " these invited people more access than their set-password links were made for, so those links will stop working:"
}

// columnText is a column as the templates table lists it: "Name *, " (needed, not the last).
func columnText(c Column, last bool) string {
	t := c.Label
	if c.Required {
		t += " *"
	}
	if !last {
		t += ", "
	}
	return t
}

// badColumns names the columns whose cells have a problem: "Currency and Status".
func badColumns(shown []Column, cells []Cell) string {
	var names []string
	for i, c := range cells {
		if c.Error != "" && i < len(shown) {
			names = append(names, shown[i].Label)
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
