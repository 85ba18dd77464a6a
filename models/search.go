package models

import (
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The columns a record is searched by, the same in its list and in the fields that choose one
// (a vendor's list and the vendor lookups; the people list and the people lookups): each set
// has one trigram index over searchedText of exactly these columns (migrations 00104, 00108).
var (
	vendorSearchColumns  = []string{"v.name", "v.contact_name", "v.email", "v.tax_id"}
	peopleSearchColumns  = []string{"u.name", "u.email"}
	expenseSearchColumns = []string{"expense_reports.number", "expense_reports.title", "expense_reports.purpose"}
	travelSearchColumns  = []string{"travel_requests.number", "travel_requests.purpose", "travel_requests.destinations"}
)

// searchedText is the one expression a search looks in: cols, lowered and joined by a
// newline, which typed text cannot hold, so that a match never spans two columns. One
// expression rather than a condition per column lets one trigram index serve the search,
// and Postgres keeps statistics of an indexed expression, so it prices the match from them
// (over four ORed columns it priced the index above reading the table). An index serves it
// only when written the same way, coalesce and all.
func searchedText(cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "coalesce(" + c + ", '')"
	}
	return "lower(" + strings.Join(parts, ` || E'\n' || `) + ")"
}

// holdsText is the condition that the searched text of cols holds text anywhere, in any case.
// Text of minSubstring characters or more is matched by LIKE, which a trigram index over the
// same expression serves. Shorter text has no trigram: it is matched by strpos, a statement
// of its own, read along the list's own order or the table (one or two letters match most
// records anyway), so that no plan a connection keeps for the LIKE is used for it, which
// would read the whole trigram index.
func holdsText(text string, cols ...string) clause.Expr {
	expr := searchedText(cols...)
	if utf8.RuneCountInString(text) < minSubstring {
		return gorm.Expr("strpos("+expr+", lower(?)) > 0", text)
	}
	return gorm.Expr(expr+" LIKE lower(?)", likePattern(text))
}
