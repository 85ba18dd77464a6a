package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// maxListPage keeps an absurd page number from overflowing the offset.
const maxListPage = 1_000_000

// listQuery reads what every list takes from its address: the search text, trimmed, and the
// page asked for, from 1 to maxListPage.
func listQuery(c *fiber.Ctx) (q string, page int) {
	return strings.TrimSpace(c.Query("q")), min(max(c.QueryInt("page", 1), 1), maxListPage)
}

// fetchPage fetches page *page of a list shown perPage rows at a time, fetch reading the rows
// from an offset and size saying how many it read of how many in all. A page past the end
// (the list shrank, or an address typed by hand) is fetched again as the last page, and *page
// says which page was fetched.
func fetchPage[L any](page *int, perPage int, fetch func(offset int) (L, error), size func(L) (rows, total int)) (L, error) {
	l, err := fetch((*page - 1) * perPage)
	if err != nil {
		return l, err
	}
	if rows, total := size(l); rows == 0 && total > 0 && *page > 1 {
		*page = (total + perPage - 1) / perPage
		return fetch((*page - 1) * perPage)
	}
	return l, nil
}
