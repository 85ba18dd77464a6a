// Package auditlog holds the audit log page and the History tab every object shows.
package auditlog

import "outlay/views"

// Paths of the audit log.
const (
	Path       = "/audit"
	ExportPath = Path + "/export"
)

// Page is the audit log with its filters.
type Page struct {
	Filter    Filter
	Errors    views.FieldErrors
	Objects   []Option
	Actions   []Option
	Rows      []Row
	NextURL   string // older entries, if any
	FirstURL  string // back to the newest, when not on the first page
	ExportURL string // empty when the user may not export
	Zone      string // the time zone the times are in: "Europe/Berlin"
}

// Filter is the filter form as typed.
type Filter struct {
	Actor  string
	Object string
	Action string
	From   string
	To     string
	Q      string
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Row is one audit entry as people read it.
type Row struct {
	ID        int64
	When      string
	Who       string
	WhoKind   string // "user", "API token" or "system"
	Action    string // Created, Changed, Deleted, or the event's name
	Kind      string // create, update, delete, event (for the badge)
	What      string // the record's name ("REQ-000006"), or the event's subject
	Object    string // what kind of record it is ("Requisitions"); empty for an event
	Changes   []Change
	Details   []Change
	RequestID string
	IP        string
}

// Change is one field's old and new value.
type Change struct {
	Field string
	Old   string
	New   string
}

// History is an object's History tab.
type History struct {
	Title    string
	BackURL  string
	BackText string
	Zone     string // the time zone the times are in
	Rows     []Row
}
