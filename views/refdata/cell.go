package refdata

import (
	"context"
	"io"

	"github.com/a-h/templ"

	"outlay/views"
)

// Render writes the cell's value (a badge, a link to its record, a dash when it has none, or
// its text), then its hint and its budget's bar. A list renders a cell for every column of
// every row, 150 for a page of 25 vendors, so a cell writes its markup itself, as the
// template it replaces did, rather than as a templ component, which makes a context, a
// buffer and a class list each time.
func (c Cell) Render(ctx context.Context, w io.Writer) error {
	var s string
	switch {
	case c.Badge != "":
		s = `<span class="` + templ.EscapeString(c.Badge) + `">` + templ.EscapeString(c.Text) + `</span> `
	case c.Href != "":
		s = `<a href="` + templ.EscapeString(string(templ.URL(c.Href))) + `">` + templ.EscapeString(c.Text) + `</a> `
	case c.Text == "":
		s = `<span class="muted">—</span> `
	default:
		s = templ.EscapeString(c.Text) + ` `
	}
	if c.Hint != "" {
		s += `<span class="hint">` + templ.EscapeString(c.Hint) + `</span> `
	}
	if _, err := io.WriteString(w, s); err != nil || c.Meter == nil {
		return err
	}
	return views.BudgetBar(*c.Meter).Render(ctx, w)
}
