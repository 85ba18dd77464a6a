package handlers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"gorm.io/gorm"

	"outlay"
	"outlay/models"
	"outlay/policy"
	"outlay/views"
)

// lookupSource is one kind of record a search-as-you-type field chooses, in one scope: the
// noun its empty state names, and how matches are found.
type lookupSource struct {
	noun string
	// typed says how the record is typed in full ("" for its name as it is saved).
	typed string
	// byEmail: a record is also named by its detail, a person's email (typedChoice).
	byEmail bool
	find    func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error)
	// whyNot, when set, says why text names no record the field offers (a vendor archived
	// or on hold), for a message more useful than "not one you can choose"; "" when it
	// cannot tell.
	whyNot func(c *fiber.Ctx, text string) (string, error)
}

func vendorsIn(scope models.VendorScope) lookupSource {
	return lookupSource{noun: "vendor", find: func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error) {
		return models.FindVendorChoices(c.UserContext(), tenantDB(c), scope, text, limit)
	}, whyNot: func(c *fiber.Ctx, text string) (string, error) {
		return models.VendorUnavailable(c.UserContext(), tenantDB(c), scope, text)
	}}
}

func peopleIn(scope models.PeopleScope) lookupSource {
	return lookupSource{noun: "person", byEmail: true, find: func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error) {
		return models.FindPeopleChoices(c.UserContext(), tenantDB(c), models.PeopleChoiceFilter{Scope: scope}, text, limit)
	}}
}

// billableOrders are the orders a new bill may be for: not closed or cancelled.
func billableOrders() lookupSource {
	return lookupSource{noun: "open order", typed: "its number", find: func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error) {
		return models.FindBillableOrderChoices(c.UserContext(), tenantDB(c), text, limit)
	}}
}

// otherPeopleWho are the current people other than the one asking whose roles grant p: who
// may approve for them, say.
func otherPeopleWho(p policy.Permission) lookupSource {
	return lookupSource{noun: "person", byEmail: true, find: func(c *fiber.Ctx, text string, limit int) ([]models.Choice, error) {
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
	if s.lookups == nil {
		s.lookups = map[string]lookupSource{}
	}
	s.lookups[path] = src
	return permitted(get, path, object, action, s.lookup(src)).fragment()
}

// typedChoiceLimit is how many matches of a form's typed text are looked through for the
// one it names exactly: more than a list offers, so that the name is among them.
const typedChoiceLimit = 200

// typedChoice takes the record a search-as-you-type field's typed text names when nothing
// was chosen from its list (the person typed a name and went on, or the page ran without
// JavaScript): the one record of the field's lookup (path) called exactly that, in any
// case and with runs of spaces as one, or for a person, with that email. Text naming none,
// or several, is refused beside the field, so a typed name is never dropped without a word.
// *id is the field's posted choice; field_text holds the text.
//
// A choice is kept only while the text still shows it: the form posts, in field_shown, the
// text the page showed beside the chosen id (the page's script keeps it in step with each
// pick). Text changed without the script (a page without JavaScript, where the hidden id
// cannot follow the typing) names the record anew, and text cleared chooses none. A post
// without field_shown (the JSON-less API of a script, an old page) keeps its id.
func (s *Server) typedChoice(c *fiber.Ctx, errs outlay.ValidationErrors, field, path string, id *string) error {
	var was *string
	if shown, posted := formPosted(c, field+"_shown"); posted {
		was = &shown
	}
	return s.chooseTyped(c, errs, field, path, c.FormValue(field+"_text"), was, id)
}

// chooseTyped is typedChoice of text, typed in a field whose message is errs[key] (a row's
// field of a table), shown beside its id (nil when the form did not say).
func (s *Server) chooseTyped(c *fiber.Ctx, errs outlay.ValidationErrors, key, path, text string, shown, id *string) error {
	text = asTyped(text)
	if strings.TrimSpace(*id) != "" && shown != nil && !strings.EqualFold(text, asTyped(*shown)) {
		*id = "" // the text no longer shows the choice: it names what it names now
	}
	if strings.TrimSpace(*id) != "" || text == "" {
		return nil
	}
	src, ok := s.lookups[path]
	if !ok {
		return fmt.Errorf("typedChoice: no lookup at %s", path)
	}
	var exact []models.Choice
	if len([]rune(text)) <= maxLookupText {
		found, err := src.find(c, text, typedChoiceLimit)
		if err != nil {
			return err
		}
		for _, f := range found {
			if strings.EqualFold(asTyped(f.Name), text) || src.byEmail && strings.EqualFold(f.Detail, text) {
				exact = append(exact, f)
			}
		}
	}
	switch len(exact) {
	case 1:
		*id = strconv.FormatInt(exact[0].ID, 10)
	case 0:
		if src.whyNot != nil {
			why, err := src.whyNot(c, text)
			if err != nil {
				return err
			}
			if why != "" {
				errs.Add(key, why)
				return nil
			}
		}
		how := src.typed
		if how == "" {
			how = "the name as it is saved"
		}
		errs.Add(key, fmt.Sprintf("“%s” is not %s you can choose here: type %s, or pick it from the list as you type.",
			shorten(text, 80), withArticle(src.noun), how))
	default:
		errs.Add(key, fmt.Sprintf("More than one %s is called “%s”: type the email of the one you mean, or pick them from the list as you type.",
			src.noun, shorten(text, 80)))
	}
	return nil
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

// unchosen is what a document form's field goes to its model as when its typed text named
// no record (typedChoice): not an id, so the model refuses the field while it makes every
// other check (the document still editable, its version, the other fields), and withTyped
// puts the typed text's message in the place of the model's.
const unchosen = "typed"

// forModel is field's id as its model gets it: unchosen when typedChoice refused its typed
// text (typed holds the refusals), else id.
func forModel(typed outlay.ValidationErrors, field, id string) string {
	if typed.Has(field) {
		return unchosen
	}
	return id
}

// withTyped is a save's outcome err with the messages of typedChoice, typed, beside their
// fields in place of the model's.
func withTyped(err error, typed outlay.ValidationErrors) error {
	if len(typed) == 0 {
		return err
	}
	if verr, ok := outlay.AsValidation(err); ok {
		maps.Copy(verr, typed)
		return verr
	}
	if err == nil {
		return fmt.Errorf("a form was saved with a typed choice refused: %v", typed)
	}
	return err
}

// withArticle is noun after "a" or "an": "a vendor", "an open order".
func withArticle(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// typedText is what a search-as-you-type field shows when a form is shown again: the name
// of its choice, or, when nothing was chosen, the text the person typed, kept as typed.
func typedText(c *fiber.Ctx, field, chosen string) string {
	if chosen != "" || c.Method() != fiber.MethodPost {
		return chosen
	}
	return c.FormValue(field + "_text")
}

func chosenName(ctx context.Context, db *gorm.DB, id string, get func(context.Context, *gorm.DB, int64) (models.Choice, error)) (string, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return "", nil
	}
	ch, err := get(ctx, db, n)
	return ch.Name, err
}

// asTyped is typed text without its outer spaces and with each run of spaces inside as one.
func asTyped(text string) string { return strings.Join(strings.Fields(text), " ") }

// formPosted is the value a form posted under key, in its query, its body or its
// multipart body, and whether it posted one at all.
func formPosted(c *fiber.Ctx, key string) (string, bool) {
	for _, args := range []*fasthttp.Args{c.Request().URI().QueryArgs(), c.Request().PostArgs()} {
		if args.Has(key) { // Peek is nil for an empty value too
			return string(args.Peek(key)), true
		}
	}
	if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm) {
		if form, err := c.MultipartForm(); err == nil && len(form.Value[key]) > 0 {
			return form.Value[key][0], true
		}
	}
	return "", false
}
