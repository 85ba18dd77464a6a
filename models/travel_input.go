package models

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"outlay"
	"outlay/money"
)

// TravelInput is a travel request as typed: every field a raw string, so that the same input
// can be saved, submitted, or shown again beside its errors.
type TravelInput struct {
	Traveller  string     `form:"traveller"`  // user id; "" for the person filing
	Department string     `form:"department"` // department id, "" for none
	GLAccount  string     `form:"gl_account"` // GL account id the trip is charged to, "" for none
	Purpose    string     `form:"purpose"`
	Currency   string     `form:"currency"` // "" for the organisation's default
	Legs       []LegInput `form:"legs"`
	// Estimates by category (TravelCostCategories), amounts as typed; a missing one is 0.
	Estimates map[string]string `form:"estimate-*"`
	Advance   string            `form:"advance"`
	// FormKey identifies the new-request form this was typed in: posted twice, it makes one
	// request.
	FormKey string `form:"form_key"`
	// OverlapsConfirmed names the traveller's other trips this one may overlap, as the person
	// submitting it confirmed (TripOverlapWarning.Confirmation); "" for none.
	OverlapsConfirmed string `form:"overlaps_confirmed"`
	// FormVersion is the version of the stored request an edit form was read at.
	FormVersion
}

// LegInput is one leg as typed.
type LegInput struct {
	From     string `form:"from"`
	To       string `form:"to"`
	DepartOn string `form:"depart_on"` // YYYY-MM-DD
	ReturnOn string `form:"return_on"` // YYYY-MM-DD, "" for one way
	Mode     string `form:"mode"`
}

// Blank reports whether nothing was typed on the leg (the mode aside, which a select always
// sends): it is left out, not refused.
func (l LegInput) Blank() bool {
	return strings.TrimSpace(l.From) == "" && strings.TrimSpace(l.To) == "" &&
		strings.TrimSpace(l.DepartOn) == "" && strings.TrimSpace(l.ReturnOn) == ""
}

// Limits of a travel request.
const (
	MaxTravelLegs     = 20
	MaxPlaceRunes     = 200
	MaxPurposeRunes   = 4000
	MaxTravelDaysAway = 2 * 366 // how far ahead a date may be, in days
)

// LegField is the key of a leg's field in ValidationErrors: "leg-1-depart_on" is the
// departure of the form's second leg. Views spell the same key.
func LegField(row int, field string) string { return fmt.Sprintf("leg-%d-%s", row, field) }

// EstimateField is the key of an estimate category's field: "estimate-lodging".
func EstimateField(category string) string { return "estimate-" + category }

// parsedTravel is a TravelInput read and checked, ready to store.
type parsedTravel struct {
	TravellerID  *int64
	DepartmentID *int64
	GLAccountID  *int64
	Purpose      string
	Currency     string
	Legs         []TravelLeg
	LegRows      []int // the form row of each leg, for messages at submit
	Estimates    map[string]int64
	Total        int64
	Advance      int64
	FormKey      *string
}

// parseTravel reads in, adding a message under its field for each value that is malformed,
// out of range or out of order. currency is the one amounts are read in; today is the day
// dates are measured from.
func parseTravel(verr outlay.ValidationErrors, in TravelInput, currency string, today time.Time) parsedTravel {
	p := parsedTravel{Currency: currency, Estimates: map[string]int64{}}
	var err error
	for _, f := range []struct {
		name  string
		value string
		dst   **int64
	}{{"traveller", in.Traveller, &p.TravellerID}, {"department", in.Department, &p.DepartmentID}, {"gl_account", in.GLAccount, &p.GLAccountID}} {
		if *f.dst, err = optionalID(f.value); err != nil {
			verr.Add(f.name, "Choose from the list.")
		}
	}
	p.Purpose = strings.TrimSpace(in.Purpose)
	if n := utf8.RuneCountInString(p.Purpose); n > MaxPurposeRunes {
		verr.Add("purpose", tooLong("A trip's purpose", MaxPurposeRunes, n))
	} else if !plainText(p.Purpose) {
		verr.Add("purpose", "Use plain text.")
	}
	p.FormKey = formKeyOf(in.FormKey)
	latest := today.AddDate(0, 0, MaxTravelDaysAway)
	date := func(key, s string, required bool) *time.Time {
		s = strings.TrimSpace(s)
		if s == "" {
			if required {
				verr.Add(key, "Enter a date.")
			}
			return nil
		}
		d, err := ParseDay(s)
		switch {
		case err != nil:
			verr.Add(key, err.Error())
			return nil
		case d.After(latest):
			verr.Add(key, "Choose a date within two years from today.")
			return nil
		}
		return &d
	}
	legs := in.Legs
	if len(legs) > MaxTravelLegs {
		verr.Add("legs", fmt.Sprintf("A trip has at most %d legs.", MaxTravelLegs))
		legs = legs[:MaxTravelLegs]
	}
	// last is where the legs above have got to: the latest of their departures and
	// returns. A leg may leave on that day, never before it.
	var last legEnd
	for i, l := range legs {
		if l.Blank() {
			continue
		}
		leg := TravelLeg{Position: len(p.Legs) + 1, FromPlace: strings.TrimSpace(l.From), ToPlace: strings.TrimSpace(l.To), Mode: l.Mode}
		for _, pl := range []struct{ field, value, empty string }{{"from", leg.FromPlace, "Say where the leg starts."}, {"to", leg.ToPlace, "Say where the leg goes."}} {
			switch n := utf8.RuneCountInString(pl.value); {
			case n == 0:
				verr.Add(LegField(i, pl.field), pl.empty)
			case n > MaxPlaceRunes:
				verr.Add(LegField(i, pl.field), tooLong("A place's name", MaxPlaceRunes, n))
			case !plainText(pl.value):
				verr.Add(LegField(i, pl.field), "Use plain text.")
			}
		}
		if !slices.Contains(TravelModes, leg.Mode) {
			verr.Add(LegField(i, "mode"), "Choose air, rail, car or other.")
		}
		depart := date(LegField(i, "depart_on"), l.DepartOn, true)
		back := date(LegField(i, "return_on"), l.ReturnOn, false)
		if depart != nil {
			leg.DepartOn = *depart
			if msg := last.refuses(*depart); msg != "" {
				verr.Add(LegField(i, "depart_on"), msg)
			}
			last.reach(*depart, false)
		}
		if depart != nil && back != nil && back.Before(*depart) {
			verr.Add(LegField(i, "return_on"), "The return is before the departure.")
		} else {
			leg.ReturnOn = back
			if back != nil {
				last.reach(*back, true)
			}
		}
		p.Legs = append(p.Legs, leg)
		p.LegRows = append(p.LegRows, i)
	}
	amount := func(key, s string) int64 {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0
		}
		m, err := money.Parse(s, currency)
		switch {
		case err != nil:
			verr.Add(key, err.Error())
		case m.Minor < 0:
			verr.Add(key, "Enter an amount of zero or more.")
		case m.Minor > money.Max:
			verr.Add(key, "Enter a smaller amount.")
		default:
			return m.Minor
		}
		return 0
	}
	for _, c := range TravelCostCategories {
		p.Estimates[c] = amount(EstimateField(c), in.Estimates[c])
		p.Total += p.Estimates[c]
	}
	if p.Total > money.Max {
		verr.Add("estimates", totalTooLarge("trip"))
	}
	p.Advance = amount("advance", in.Advance)
	if _, bad := verr["advance"]; !bad && p.Advance > p.Total {
		verr.Add("advance", "The advance cannot be more than the estimated total.")
	}
	return p
}

// legEnd is the latest day the legs read so far reach, and whether a leg's return reaches
// it (the traveller is back then) or a departure does (they leave then).
type legEnd struct {
	day     *time.Time
	returns bool
}

// reach moves e on to day when the legs get that far.
func (e *legEnd) reach(day time.Time, returns bool) {
	if e.day == nil || !day.Before(*e.day) {
		e.day, e.returns = &day, returns
	}
}

// refuses is why a leg departing on depart cannot follow the legs read so far, or "": it may
// leave on the day the leg above it leaves or returns, not before.
func (e legEnd) refuses(depart time.Time) string {
	switch {
	case e.day == nil || !depart.Before(*e.day):
		return ""
	case e.returns:
		return "Legs go in order: this one departs before the leg above it returns, on " + e.day.Format("2 Jan 2006") +
			". Choose a date from then on, or put the legs in the order they are travelled."
	}
	return "Legs go in order: this one departs before the leg above it."
}

// span is the first departure and the last day away of the legs (a leg's return, or its
// departure when it has none).
func span(legs []TravelLeg) (first, last *time.Time) {
	for _, l := range legs {
		d := l.DepartOn
		if first == nil || d.Before(*first) {
			first = &d
		}
		end := d
		if l.ReturnOn != nil {
			end = *l.ReturnOn
		}
		if last == nil || end.After(*last) {
			last = &end
		}
	}
	return first, last
}

// destinations names where the legs go, in order, each place once.
func destinations(legs []TravelLeg) string {
	var out []string
	for _, l := range legs {
		if !slices.Contains(out, l.ToPlace) {
			out = append(out, l.ToPlace)
		}
	}
	s := strings.Join(out, ", ")
	if r := []rune(s); len(r) > 2000 {
		s = string(r[:1999]) + "…"
	}
	return s
}

// TravelEstimateTotal is the estimate typed in in, summed in its currency; ok is false while
// any category cannot be read.
func TravelEstimateTotal(in TravelInput) (total money.Money, ok bool) {
	total.Currency = in.Currency
	for _, c := range TravelCostCategories {
		s := strings.TrimSpace(in.Estimates[c])
		if s == "" {
			continue
		}
		m, err := money.Parse(s, in.Currency)
		if err != nil || m.Minor < 0 || m.Minor > money.Max {
			return total, false
		}
		total.Minor += m.Minor
	}
	return total, total.Minor <= money.Max
}
