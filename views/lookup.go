package views

import (
	"net/url"
	"strconv"
)

// Lookup is a search-as-you-type choice of one record among many (a vendor, a person): a
// text input showing the chosen record's name, a hidden input carrying its id under Name,
// and a list of matches fetched from Path as the person types. Lists too long for a select
// use it; short ones (departments, GL accounts) stay selects.
type Lookup struct {
	ID    string // the text input's id, which the label names; unique on the page
	Name  string // the name the chosen id is posted under
	Label string
	// Path answers the matches of what is typed (a GET returning LookupResults).
	Path string
	// Value is the chosen record's id ("" for none) and Text the name it is shown by.
	Value, Text string
	Placeholder string
	Hint        string // shown under the field, when not empty
	// ErrorKey is the key of the field's message in Errors (Name when empty).
	ErrorKey string
	Errors   FieldErrors
	Required bool
	// Disabled shows the choice without letting it change.
	Disabled bool
}

// TextName is the name the typed text is sent under: beside the id, so that a form shown
// again keeps what was typed, and the lookup knows which parameter holds it.
func (l Lookup) TextName() string { return l.Name + "_text" }

// ShownName is the name the text shown beside the chosen id is sent under: a text changed
// from it no longer names that choice, even where no script dropped the id as it was typed.
func (l Lookup) ShownName() string { return l.Name + "_shown" }

// Shown is the text the field shows for its choice ("" when nothing is chosen).
func (l Lookup) Shown() string {
	if l.Value == "" {
		return ""
	}
	return l.Text
}

// ListID is the id of the list of matches.
func (l Lookup) ListID() string { return l.ID + "-matches" }

// Query is the lookup's address: the field's id (which names the matches) and the
// parameter holding the typed text.
func (l Lookup) Query() string {
	return l.Path + "?" + url.Values{"field": {l.ID}, "text": {l.TextName()}}.Encode()
}

func (l Lookup) errorKey() string {
	if l.ErrorKey != "" {
		return l.ErrorKey
	}
	return l.Name
}

func (l Lookup) describedBy() string {
	out := l.errorKey() + "-error"
	if l.Hint != "" {
		out = l.ID + "-hint " + out
	}
	return out
}

// LookupMatches are the records matching what was typed in a lookup field.
type LookupMatches struct {
	Field   string // the field's id: each match's id starts with it
	Noun    string // "vendor": the empty state says "No vendor matches"
	Text    string // what was typed
	Matches []LookupMatch
}

// LookupMatch is one record offered.
type LookupMatch struct {
	Value  string
	Label  string
	Detail string // tells two of the same name apart (an email, a currency)
}

// OptionID is the id of match i, for aria-activedescendant.
func (m LookupMatches) OptionID(i int) string { return m.Field + "-match-" + strconv.Itoa(i) }
