// Package documents holds what every kind of document shows the same way: its comments,
// appended inline, and its attachments, uploaded and downloaded.
package documents

import (
	"strconv"

	"outlay/views"
)

// Element ids htmx swaps: each section answers a post with itself.
const (
	CommentsID    = "comments"
	AttachmentsID = "attachments"
)

// Comment is one comment as shown.
type Comment struct {
	ID     int64
	Author string
	Body   string
	When   string // for people: "3 Mar 2026, 14:05 UTC"
	At     string // machine-readable time
}

// Comments is a document's comments and the form to add one.
type Comments struct {
	CSRF     string
	Action   string // where the form posts: <document>/comments
	Comments []Comment
	Body     string // what was typed, when refused
	FormKey  string // names this showing of the form: posted twice, it makes one comment
	Errors   views.FieldErrors
	CanPost  bool
	Posted   int64 // the comment this answer to its post shows, which takes the focus (0: none)
}

// Count says how many comments there are.
func (c Comments) Count() string {
	if len(c.Comments) == 1 {
		return "1 comment"
	}
	return strconv.Itoa(len(c.Comments)) + " comments"
}

// Attachment is one file as listed.
type Attachment struct {
	Filename string
	Href     string // download address
	Size     string
	Kind     string
	Uploader string
	When     string
}

// Attachments is a document's files and the upload form.
type Attachments struct {
	CSRF      string
	Action    string // where the form posts: <document>/attachments
	Files     []Attachment
	Errors    views.FieldErrors
	CanUpload bool
	MaxSize   string // "25 MB"
	Allowed   string // the kinds accepted, for people
	Accept    string // the file input's accept attribute
}

// Count says how many files there are.
func (a Attachments) Count() string {
	if len(a.Files) == 1 {
		return "1 file"
	}
	return strconv.Itoa(len(a.Files)) + " files"
}
