package views

import "fmt"

// Pagination is where a list's page sits among its pages. URL gives each page's address
// (with the list's filters); Target is the id of the element htmx replaces with a page.
type Pagination struct {
	Page    int
	PerPage int
	Total   int
	URL     func(page int) string
	Target  string
}

// Pages is how many pages the matching rows fill.
func (p Pagination) Pages() int { return (p.Total + p.PerPage - 1) / p.PerPage }

// Showing says which rows this page shows: "Showing 26–50 of 132".
func (p Pagination) Showing() string {
	if p.Total == 0 {
		return "Showing 0 of 0"
	}
	from := (p.Page-1)*p.PerPage + 1
	to := min(p.Page*p.PerPage, p.Total)
	if from == to { // "Showing 1–1 of 1" reads as a typo
		return fmt.Sprintf("Showing %d of %d", from, p.Total)
	}
	return fmt.Sprintf("Showing %d–%d of %d", from, to, p.Total)
}

// PageLink is one entry of the pagination: a page, or a gap between distant pages.
type PageLink struct {
	Page    int
	Href    string
	Current bool
	Gap     bool
}

// Links lists the first and last pages and those around the current one, with gaps
// between, so that a long list keeps a short navigation.
func (p Pagination) Links() []PageLink {
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
