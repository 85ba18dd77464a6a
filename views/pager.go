package views

import "fmt"

// Pager is where a paged list stands: the page shown, how many records match, and each
// page's address. Lists of people and of reference data share it, so their pagination
// looks and behaves the same.
type Pager struct {
	Page    int
	PerPage int
	Total   int
	URL     func(page int) string
	Target  string // id of the element htmx replaces with another page
}

// PageLink is one entry of the pagination: a page, or a gap between distant pages.
type PageLink struct {
	Page    int
	Href    string
	Current bool
	Gap     bool
}

// Pages is how many pages the matching records fill.
func (p Pager) Pages() int { return (p.Total + p.PerPage - 1) / p.PerPage }

// Showing says which of the matching records this page shows: "Showing 26–50 of 132".
func (p Pager) Showing() string {
	if p.Total == 0 {
		return "Showing 0 of 0"
	}
	from := (p.Page-1)*p.PerPage + 1
	return fmt.Sprintf("Showing %d–%d of %d", from, min(p.Page*p.PerPage, p.Total), p.Total)
}

// Links lists the first and last pages and those around the current one, with gaps
// between, so that a long list keeps a short navigation.
func (p Pager) Links() []PageLink {
	var out []PageLink
	last := 0
	for n := 1; n <= p.Pages(); n++ {
		if n != 1 && n != p.Pages() && (n < p.Page-2 || n > p.Page+2) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, PageLink{Gap: true})
		}
		out = append(out, PageLink{Page: n, Href: p.URL(n), Current: n == p.Page})
		last = n
	}
	return out
}
