package handlers

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay/models"
	"outlay/policy"
	"outlay/views"
)

// lookupSource is one kind of record a search-as-you-type field chooses, in one scope: the
// noun its empty state names, and how matches are found.
type lookupSource struct {
	noun string
	find func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error)
}

func vendorsIn(scope models.VendorScope) lookupSource {
	return lookupSource{noun: "vendor", find: func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error) {
		return models.FindVendorChoices(c.UserContext(), tenantDB(c), scope, text, limit)
	}}
}

func peopleIn(scope models.PeopleScope) lookupSource {
	return lookupSource{noun: "person", find: func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error) {
		return models.FindPeopleChoices(c.UserContext(), tenantDB(c), models.PeopleChoiceFilter{Scope: scope}, text, limit)
	}}
}

// billableOrders are the orders a new bill may be for: not closed or cancelled.
func billableOrders() lookupSource {
	return lookupSource{noun: "open order", find: func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error) {
		return models.FindBillableOrderChoices(c.UserContext(), tenantDB(c), text, limit)
	}}
}

// otherPeopleWho are the current people other than the one asking whose roles grant p: who
// may approve for them, say.
func otherPeopleWho(p policy.Permission) lookupSource {
	return lookupSource{noun: "person", find: func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error) {
		f := models.PeopleChoiceFilter{Scope: models.PeopleCurrent, Roles: []string{}, Except: currentUser(c).UserID}
		for role, perms := range stateOf(c).policy.Grants() {
			if slices.Contains(perms, p) {
				f.Roles = append(f.Roles, role)
			}
		}
		return models.FindPeopleChoices(c.UserContext(), tenantDB(c), f, text, limit)
	}}
}

// lookupRoute is the lookup a page's field fetches its matches from, allowed by the
// permission of the page that shows the field: whoever may fill the form may search what it
// offers, and no one else.
func (s *Server) lookupRoute(path, object, action string, src lookupSource) Route {
	return permitted(get, path, object, action, s.lookup(src)).fragment()
}

// maxLookupText is how much typed text a lookup matches: more names no one.
const maxLookupText = 200

// lookup answers the matches of the typed text (q, or the parameter the field names in
// text) as the options of the field's list.
func (s *Server) lookup(src lookupSource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		text := c.Query("q")
		if name := c.Query("text"); strings.HasSuffix(name, "_text") {
			text = c.Query(name)
		}
		if r := []rune(text); len(r) > maxLookupText {
			text = string(r[:maxLookupText]) // at a character, never inside one
		}
		found, err := src.find(c, text, models.ChoiceLimit)
		if err != nil {
			return err
		}
		m := views.LookupMatches{Field: c.Query("field", "lookup"), Noun: src.noun, Text: strings.TrimSpace(text)}
		for _, f := range found {
			m.Matches = append(m.Matches, views.LookupMatch{Value: strconv.FormatInt(f.ID, 10), Label: f.Name, Detail: f.Detail})
		}
		return sendHTML(c, views.LookupResults(m))
	}
}

// chosenVendor is the vendor a field names (by id, as posted or stored) as the field shows
// it: its name, or "" when the id names no vendor.
func chosenVendor(c *fiber.Ctx, id string) (string, error) {
	return chosenName(c.UserContext(), tenantDB(c), id, models.VendorChoice)
}

// chosenPerson is the person a field names as the field shows them.
func chosenPerson(c *fiber.Ctx, id string) (string, error) {
	return chosenName(c.UserContext(), tenantDB(c), id, models.PersonChoice)
}

func chosenName(ctx context.Context, db *gorm.DB, id string, get func(context.Context, *gorm.DB, int64) (models.Choice, error)) (string, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return "", nil
	}
	ch, err := get(ctx, db, n)
	return ch.Name, err
}
