package models

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Choice is one record a search-as-you-type field offers: its id, the name it is known by,
// and a detail that tells two of the same name apart (a vendor's currency, a person's email).
type Choice struct {
	ID     int64
	Name   string
	Detail string
}

// ChoiceLimit is how many records one lookup offers at most: a person types more rather
// than scrolls.
const ChoiceLimit = 20

// VendorScope is which vendors a field may name.
type VendorScope int

const (
	// VendorsForNewDocuments are the vendors a requisition may name: active and not
	// archived.
	VendorsForNewDocuments VendorScope = iota
	// VendorsWithOrders are the vendors, archived or not, that have purchase orders: the
	// order list's filter.
	VendorsWithOrders
	// VendorsNotArchived are the vendors a bill or an approval rule may name: on hold or not
	// (a vendor on hold takes no new orders, but still sends bills for those it has), and
	// not archived. One on hold says so beside its currency.
	VendorsNotArchived
)

// PeopleScope is which people a field may name.
type PeopleScope int

const (
	// PeopleCurrent are the people who are not deactivated: those a form may name.
	PeopleCurrent PeopleScope = iota
	// PeopleEver are everyone, deactivated or not: a list's filter of documents, which keeps
	// those of people who have left.
	PeopleEver
	// PeopleActive are the people who have signed in and are not deactivated: those who may
	// lead a department.
	PeopleActive
)

// minSubstring is the shortest text a trigram index can find anywhere in a record: shorter
// text has no trigram. A lookup matches it at the start of names, along the name index; a
// list still matches it anywhere (holdsText), without the trigram index.
const minSubstring = 3

// FindVendorChoices returns at most limit vendors in scope whose name, contact, email or tax
// id holds text (what the vendor list searches), those where one starts with it first, then
// by name. Empty text offers the first by name.
func FindVendorChoices(ctx context.Context, db *gorm.DB, scope VendorScope, text string, limit int) ([]Choice, error) {
	q := db.WithContext(ctx).Table("vendors v").Select("v.id, v.name, v.currency AS detail")
	switch scope {
	case VendorsForNewDocuments:
		q = q.Where("v.archived_at IS NULL AND v.status = ?", VendorActive)
	case VendorsWithOrders:
		q = q.Where("EXISTS (SELECT 1 FROM purchase_orders po WHERE po.vendor_id = v.id)")
	case VendorsNotArchived:
		q = q.Select("v.id, v.name, v.currency || CASE WHEN v.status = '" + VendorOnHold + "' THEN ' · on hold' ELSE '' END AS detail").
			Where("v.archived_at IS NULL")
	default:
		return nil, errors.New("unknown vendor scope")
	}
	var out []Choice
	err := matchNames(q, text, vendorSearchColumns...).Limit(limit).Scan(&out).Error
	return out, err
}

// VendorUnavailable says why the vendor named text (exactly, case aside) is not one scope
// offers: archived, or on hold where new documents take active vendors alone; "" when no
// vendor is named so, or when scope would offer it.
func VendorUnavailable(ctx context.Context, db *gorm.DB, scope VendorScope, text string) (string, error) {
	var v struct {
		Name     string
		Status   string
		Archived bool
	}
	err := db.WithContext(ctx).Raw(`SELECT name, status, archived_at IS NOT NULL AS archived FROM vendors
		WHERE lower(name) = lower(?) ORDER BY archived_at IS NOT NULL, id LIMIT 1`, strings.TrimSpace(text)).Scan(&v).Error
	switch {
	case err != nil || v.Name == "":
		return "", err
	case v.Archived && scope != VendorsWithOrders:
		return v.Name + " is archived: restore it or choose another vendor.", nil
	case v.Status == VendorOnHold && scope == VendorsForNewDocuments:
		return v.Name + " is on hold and takes no new orders: choose another vendor, or take it off hold first.", nil
	}
	return "", nil
}

// PeopleChoiceFilter is which people a field may name: those in Scope, holding one of Roles
// when it is not nil, other than Except.
type PeopleChoiceFilter struct {
	Scope  PeopleScope
	Roles  []string
	Except int64
}

// FindPeopleChoices returns at most limit people f allows whose name or email holds text,
// those whose name or email starts with it first, then by name.
func FindPeopleChoices(ctx context.Context, db *gorm.DB, f PeopleChoiceFilter, text string, limit int) ([]Choice, error) {
	q := db.WithContext(ctx).Table("users u").Select("u.id, u.name, u.email AS detail")
	// The roles and the state are written in (each field's choice is its own statement,
	// planned for it once per connection): sent as values, a choice of roles most people
	// hold and one few do shared a plan, or were planned anew on every keystroke.
	if f.Roles != nil {
		in := namesIn("ur.role", f.Roles)
		q = q.Where("EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND "+in.SQL+")", in.Vars...)
	}
	if f.Except != 0 {
		q = q.Where("u.id <> ?", f.Except)
	}
	switch f.Scope {
	case PeopleCurrent:
		q = q.Where("u.status <> '" + UserDeactivated + "'")
	case PeopleEver:
	case PeopleActive:
		q = q.Where("u.status = '" + UserActive + "'")
	default:
		return nil, errors.New("unknown people scope")
	}
	var out []Choice
	err := matchNames(q, text, peopleSearchColumns...).Limit(limit).Scan(&out).Error
	return out, err
}

// matchNames keeps the rows of q whose columns (the first is the name) hold text and orders
// them: starting with it first, then by name. Text too short for trigrams matches the start
// of the name only. The match is written so that the name indexes (lower(name), id) and the
// trigram index over the columns (holdsText) serve it.
func matchNames(q *gorm.DB, text string, cols ...string) *gorm.DB {
	name := cols[0]
	order := "lower(" + name + "), " + strings.SplitN(name, ".", 2)[0] + ".id"
	text = strings.TrimSpace(text)
	if text == "" {
		return q.Order(order)
	}
	prefix := strings.ToLower(escapeLike(text)) + "%"
	if utf8.RuneCountInString(text) < minSubstring {
		// Names starting with text sort from text on: the lower bound starts the ordered
		// index scan there (LIKE alone cannot, outside the C collation), and the scan stops
		// at the limit.
		return q.Where("lower("+name+") >= ? AND lower("+name+") LIKE ?", strings.ToLower(text), prefix).Order(order)
	}
	var starts []string
	var startArgs []any
	for _, c := range cols {
		starts, startArgs = append(starts, "lower("+c+") LIKE ?"), append(startArgs, prefix)
	}
	return q.Where(holdsText(text, cols...)).Order(clause.OrderBy{Expression: clause.Expr{
		SQL: "(" + strings.Join(starts, " OR ") + ") DESC, " + order, Vars: startArgs, WithoutParentheses: true}})
}

// VendorChoice returns vendor id as a field shows it once chosen; a zero Choice when there
// is no such vendor.
func VendorChoice(ctx context.Context, db *gorm.DB, id int64) (Choice, error) {
	return choiceByID(ctx, db, "vendors", "currency", id)
}

// PersonChoice returns person id as a field shows it once chosen; a zero Choice when there
// is no such person.
func PersonChoice(ctx context.Context, db *gorm.DB, id int64) (Choice, error) {
	return choiceByID(ctx, db, "users", "email", id)
}

func choiceByID(ctx context.Context, db *gorm.DB, table, detail string, id int64) (Choice, error) {
	var out []Choice
	if id == 0 {
		return Choice{}, nil
	}
	err := db.WithContext(ctx).Table(table).Select("id, name, "+detail+" AS detail").Where("id = ?", id).Limit(1).Scan(&out).Error
	if err != nil || len(out) == 0 {
		return Choice{}, err
	}
	return out[0], nil
}

// VendorNames returns the names of the vendors ids, by id.
func VendorNames(ctx context.Context, db *gorm.DB, ids []int64) (map[int64]string, error) {
	return namesByID(db.WithContext(ctx).Table("vendors"), ids)
}

// CurrentPeopleNames returns the names of the people ids who are not deactivated, by id.
func CurrentPeopleNames(ctx context.Context, db *gorm.DB, ids []int64) (map[int64]string, error) {
	return namesByID(db.WithContext(ctx).Table("users").Where("status <> ?", UserDeactivated), ids)
}

func namesByID(q *gorm.DB, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Choice
	if err := q.Select("id, name").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}
