// Package views holds the templ components of every page: the layouts here, and one
// sub-package per area. Components take view structs, never database handles.
package views

import (
	"outlay"

	"github.com/a-h/templ"

	"net/url"
	"strconv"
	"strings"
)

// Shell is what the layout needs to know about the request.
type Shell struct {
	Title      string
	TenantName string
	CSRFToken  string
	User       *ShellUser // nil on the sign-in pages
	Nav        []NavItem
	Flash      *Flash
	Unread     int64 // the signed-in person's unread notifications
	// Notice stands at the top of every page while it holds (the organisation is read-only,
	// and until when its data can be exported).
	Notice string
}

// ShellUser is the signed-in person as the layout shows them.
type ShellUser struct {
	Name  string
	Email string
}

// NavItem is one link of the navigation; only pages the user may reach are listed.
type NavItem struct {
	Section string // the group it is listed under; "" for the top of the list
	Label   string
	Href    string
	Current bool
}

// Flash is a one-time message carried across a redirect.
type Flash struct {
	Kind    string // "success", "error", "info" or "warning" (something did not happen, though nothing failed)
	Message string
}

// FieldErrors are messages keyed by form field; the empty key is about the whole form. They
// are the refusals the models return, shown as they are.
type FieldErrors = outlay.ValidationErrors

// GroupInvalid are the attributes of a group of fields (a fieldset, a document's lines, a
// trip's legs) for the message about the group as a whole (field, "Add at least one line"):
// the group points at the message and is marked invalid while there is one, as a field is
// for its own. A marked group can take the focus (tabindex -1), which a refused form moves to
// the first thing marked in it: the group's name and its message are read there. A group that
// stands for several fields the person cannot change one by one (a bill's order, with its
// vendor and currency, carried in hidden inputs) names them all in more.
func GroupInvalid(errs FieldErrors, field string, more ...string) templ.Attributes {
	ids, invalid := []string{}, false
	for _, f := range append([]string{field}, more...) {
		ids = append(ids, f+"-error")
		invalid = invalid || errs.Has(f)
	}
	attrs := templ.Attributes{"aria-describedby": strings.Join(ids, " "), "aria-invalid": strconv.FormatBool(invalid)}
	if invalid {
		attrs["tabindex"] = "-1"
	}
	return attrs
}

// FieldsMarked is what a refused form says above itself when the refusals are all beside
// its fields: FormError then lists them (app.js adds a link to each field), and the focus
// goes to the first field marked rather than to the message.
const FieldsMarked = "Please correct the fields marked below."

// Initials returns up to two initials of a name, for the avatar.
func Initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// personOf names the signed-in person on the page (the body's data-person), so that what
// app.js keeps of a form sent after the session ended is given back to them alone.
func personOf(s Shell) string {
	if s.User == nil {
		return ""
	}
	return s.User.Email
}

func title(s Shell) string {
	parts := []string{}
	if s.Title != "" {
		parts = append(parts, s.Title)
	}
	if s.TenantName != "" {
		parts = append(parts, s.TenantName)
	}
	parts = append(parts, "Outlay")
	return strings.Join(parts, " · ")
}

// htmxConfig turns off the htmx features our Content-Security-Policy forbids (inline styles
// and eval) and lets 422 answers swap in, so forms show their errors.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

// DraftVersionID is the element of an edit form's draft (or record) version (DraftVersion).
const DraftVersionID = "draft-version"

// RecordVersion is what the edit form of a stored record (a vendor, a person, a rule, the
// settings, ...) carries of the version it was read at (models.FormVersion), as drafts' forms
// do: a save from a form read before another tab, or someone else, changed the record is
// refused instead of undoing that change.
type RecordVersion struct {
	Version string `form:"version"`
	// Current is set when a save from the form was refused because the record changed since
	// the form was read: the record's page, where the person sees it as it now is.
	Current string `form:"-"`
}

// Itoa writes an id for an attribute.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Plural writes n with its noun: "1 row", "2 rows".
func Plural(n int, one, many string) string { return outlay.Plural(n, one, many) }

// StatusTab is one status tab of a document list, with its count; Status is "" for the tab
// of every status.
type StatusTab struct {
	Status  string
	Label   string
	Count   int
	Href    string
	Current bool
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// KeepOption adds value to opts under label when it is not offered already, so that a form
// still shows (and a save keeps) what a record names even after it left the choices.
func KeepOption(opts []Option, value, label string) []Option {
	if value == "" {
		return opts
	}
	for _, o := range opts {
		if o.Value == value {
			return opts
		}
	}
	return append(opts, Option{Value: value, Label: label})
}

// ListURL is a list's address at page with its filters: params are name/value pairs, and
// empty values and the first page are left out, so an unfiltered list keeps its plain path.
func ListURL(path string, page int, params ...[2]string) string {
	v := url.Values{}
	for _, p := range params {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// StepStatusLabel is how people read an approval step's status.
func StepStatusLabel(status string) string {
	switch status {
	case outlay.StepWaiting:
		return "Waiting"
	case outlay.StepPending:
		return "Waiting for a decision"
	case outlay.StepApproved:
		return "Approved"
	case outlay.StepRejected:
		return "Rejected"
	case outlay.StepSkipped:
		return "Skipped"
	case outlay.StepCancelled:
		return "Cancelled"
	}
	return status
}
