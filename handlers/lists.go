package handlers

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/views"
	"outlay/views/bills"
	"outlay/views/expenses"
	"outlay/views/requisitions"
	"outlay/views/travel"
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

// docStatuses is how a kind of document's lists name its statuses: the statuses in list
// order, how each reads, what one and many documents are called, and the status only its
// owner sees (drafts), which everyone's list leaves out.
type docStatuses struct {
	all       []string
	label     func(status string) string
	one, many string
	own       string
}

var (
	requisitionStatuses = docStatuses{outlay.RequisitionStatuses, requisitions.StatusLabel, "requisition", "requisitions", outlay.RequisitionDraft}
	tripStatuses        = docStatuses{outlay.TravelStatuses, travel.StatusLabel, "trip", "trips", outlay.TravelDraft}
	expenseStatuses     = docStatuses{outlay.ExpenseStatuses, expenses.StatusLabel, "expense report", "expense reports", outlay.ExpenseDraft}
	billStatuses        = docStatuses{outlay.BillStatuses, bills.StatusLabel, "bill", "bills", outlay.BillDraft}
)

// chosen is the status the list's address asks for, if the list offers it.
func (d docStatuses) chosen(c *fiber.Ctx, everyone bool) string {
	for _, st := range d.all {
		if st == c.Query("status") && !(everyone && st == d.own) {
			return st
		}
	}
	return ""
}

// tabs are the status tabs of a list: All, then each status with any documents (or chosen),
// each linking to href(status).
func (d docStatuses) tabs(counts map[string]int, current string, everyone bool, href func(status string) string) []views.StatusTab {
	all := 0
	for _, n := range counts {
		all += n
	}
	tabs := []views.StatusTab{{Label: "All", Count: all, Href: href(""), Current: current == ""}}
	for _, st := range d.all {
		// Empty statuses get no tab (the status filter still offers them), so that a phone
		// shows a short row of tabs.
		if (everyone && st == d.own) || (counts[st] == 0 && current != st) {
			continue
		}
		tabs = append(tabs, views.StatusTab{Status: st, Label: d.label(st), Count: counts[st], Href: href(st), Current: current == st})
	}
	return tabs
}

// summary says the counts in a sentence: "12 requisitions: 3 pending approval, 1 returned,
// 8 ordered." Every status with any is named, so the parts add up to the whole.
func (d docStatuses) summary(counts map[string]int) string {
	all := 0
	var parts []string
	for _, st := range d.all {
		all += counts[st]
		if n := counts[st]; n > 0 {
			parts = append(parts, outlay.Count(n)+" "+strings.ToLower(d.label(st)))
		}
	}
	s := views.Plural(all, d.one, d.many)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s + "."
}

// listChoices are the department and person filters of a list of documents: the
// department options, and the department and person the address chose (personParam names
// the person's filter: requester, traveller; "" for a list without one). The person is
// chosen by a lookup field (at personLookup), which shows PersonName.
type listChoices struct {
	Departments            []views.Option
	Department, Person     string // as chosen, "" for any
	PersonName             string
	DepartmentID, PersonID int64
}

func (s *Server) listChoices(c *fiber.Ctx, personParam, personLookup string) (listChoices, error) {
	var out listChoices
	depts, err := s.departments(c)
	if err != nil {
		return out, err
	}
	for _, d := range depts {
		id := strconv.FormatInt(d.ID, 10)
		out.Departments = append(out.Departments, views.Option{Value: id, Label: d.Name})
		if id == c.Query("department") {
			out.Department, out.DepartmentID = id, d.ID
		}
	}
	if personParam == "" {
		return out, nil
	}
	id, refused, err := s.typedFilter(c, personParam, personLookup)
	if err != nil || refused {
		out.PersonName, out.PersonID = c.Query(personParam+"_text"), noOne
		return out, err
	}
	if out.PersonName, err = chosenPerson(c, id); err != nil || out.PersonName == "" {
		return out, err
	}
	out.PersonID, _ = strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	out.Person = strconv.FormatInt(out.PersonID, 10)
	return out, nil
}

// noOne is the id a list's filter narrows to when its typed name names no one: none match.
const noOne = -1

// typedFilter is the id a list's search-as-you-type filter (param) chooses: the one picked,
// or the one record the typed text names (typedChoice). refused says that the text names
// no record, or several, so that the list shows none rather than all with the name in the
// field.
func (s *Server) typedFilter(c *fiber.Ctx, param, path string) (id string, refused bool, err error) {
	id = c.Query(param)
	typed := outlay.ValidationErrors{}
	if err := s.typedChoice(c, typed, param, path, &id); err != nil {
		return "", false, err
	}
	return id, typed.Has(param), nil
}
