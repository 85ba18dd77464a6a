package views

import "fmt"

// Pager is the pagination of a list: which page is shown, how many rows match, and the
// address of any page (with the list's filters kept).
type Pager struct {
	Page    int
	PerPage int
	Total   int
	Href    func(page int) string
	// Target is the id of the element htmx replaces with another page of results.
	Target string
}

// Pages is how many pages the matching rows fill.
func (p Pager) Pages() int { return (p.Total + p.PerPage - 1) / p.PerPage }

// Showing says which rows this page shows: "Showing 26–50 of 132".
func (p Pager) Showing() string {
	if p.Total == 0 {
		return "Showing 0 of 0"
	}
	from := (p.Page-1)*p.PerPage + 1
	to := min(p.Page*p.PerPage, p.Total)
	return fmt.Sprintf("Showing %d–%d of %d", from, to, p.Total)
}

// PagerLink is one entry of the pagination: a page, or a gap between distant pages.
type PagerLink struct {
	Page    int
	Href    string
	Current bool
	Gap     bool
}

// Links lists the first and last pages and those around the current one, with gaps between.
func (p Pager) Links() []PagerLink {
	var out []PagerLink
	last := 0
	for n := 1; n <= p.Pages(); n++ {
		if n != 1 && n != p.Pages() && (n < p.Page-2 || n > p.Page+2) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, PagerLink{Gap: true})
		}
		out = append(out, PagerLink{Page: n, Href: p.Href(n), Current: n == p.Page})
		last = n
	}
	return out
}
