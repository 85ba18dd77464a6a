// Package travel holds the travel request pages: the traveller's own trips, everyone's
// submitted trips, the form with its legs added and removed inline and its estimate, and the
// trip's read-only page with its approval route.
package travel

import (
	"fmt"
	"strconv"

	"github.com/a-h/templ"

	"outlay"
	"outlay/views"
	"outlay/views/requisitions"
)

// Paths of the travel pages, spelled once for the handlers and the templates.
const (
	ListPath = outlay.TravelPath
	NewPath  = ListPath + "/new"
	AllPath  = ListPath + "/all"
	LegsPath = ListPath + "/legs" // adds or removes a leg of the form being typed
	// CheckPath says whether the form being typed may be submitted (204) or not (422).
	CheckPath = ListPath + "/check"
	// TravellerLookupPath finds the traveller of everyone's list's filter.
	TravellerLookupPath = "/lookup/people/travel"
	// TravellerFormLookupPath finds who travels, on the form of someone who files for others.
	TravellerFormLookupPath = "/lookup/people/travel-form"
)

// Path is a trip's page; its edit form posts to it.
func Path(id int64) string { return ListPath + "/" + strconv.FormatInt(id, 10) }

// WithdrawPath pulls a submitted trip back.
func WithdrawPath(id int64) string { return Path(id) + "/withdraw" }

// CancelPath cancels an approved trip that will not take place.
func CancelPath(id int64) string { return Path(id) + "/cancel" }

// DeletePath removes a draft that was never submitted.
func DeletePath(id int64) string { return Path(id) + "/delete" }

// HistoryPath is a trip's History.
func HistoryPath(id int64) string { return Path(id) + "/history" }

// Element ids that htmx requests name in HX-Target.
const (
	ResultsID = "travel-results"
	FormID    = "travel-form"
	LegsID    = "travel-legs"
	// TotalsPath adds up the estimate being typed; TotalsID is the total it answers with.
	TotalsPath = ListPath + "/totals"
	TotalsID   = "trip-estimate-totals"
)

// PerPage is how many trips one page of a list shows.
const PerPage = 25

// StatusLabel is how people read a trip's status. A rejected trip is back with its
// traveller to change, hence "Returned", as for requisitions.
func StatusLabel(status string) string {
	switch status {
	case outlay.TravelDraft:
		return "Draft"
	case outlay.TravelSubmitted:
		return "Pending approval"
	case outlay.TravelApproved:
		return "Approved"
	case outlay.TravelRejected:
		return "Returned"
	case outlay.TravelWithdrawn:
		return "Withdrawn"
	case outlay.TravelCancelled:
		return "Cancelled"
	}
	return status
}

func statusClass(status string) string {
	switch status {
	case outlay.TravelApproved:
		return "badge badge-success"
	case outlay.TravelSubmitted:
		return "badge badge-warning"
	case outlay.TravelRejected:
		return "badge badge-revoked"
	}
	return "badge badge-muted"
}

// ModeLabel is how people read a leg's mode.
func ModeLabel(mode string) string {
	switch mode {
	case "air":
		return "Air"
	case "rail":
		return "Rail"
	case "car":
		return "Car"
	case "other":
		return "Other"
	}
	return mode
}

// Modes are the modes a leg may take, in the order the form offers them.
var Modes = []string{"air", "rail", "car", "other"}

// Option is one choice of a select.
type Option = views.Option

// Filter is a list's search, filters and page, as the query string carries them.
type Filter struct {
	// Unmatched says that the traveller typed in the filter names no one, so none match.
	Unmatched  bool
	Base       string // ListPath or AllPath
	Q          string
	Status     string
	Department string
	Traveller  string
	Page       int
}

// Active reports whether the filter narrows the list (the status tab aside).
func (f Filter) Active() bool {
	return f.Q != "" || f.Department != "" || f.Traveller != "" || f.Unmatched
}

// URL is the list's address with this filter at page.
func (f Filter) URL(page int) string {
	return views.ListURL(f.Base, page, [2]string{"q", f.Q}, [2]string{"status", f.Status}, [2]string{"department", f.Department},
		[2]string{"traveller", f.Traveller})
}

// WithStatus is the filter showing status ("" for all) from the first page.
func (f Filter) WithStatus(status string) Filter { f.Status, f.Page = status, 1; return f }

// Tab is one status tab with its count.
type Tab = requisitions.Tab

// Row is one trip in a list.
type Row struct {
	ID           int64
	Number       string // "" for a draft
	Status       string
	Purpose      string
	Destinations string
	Traveller    string
	FiledBy      string // "" when the traveller filed it
	Department   string
	Dates        string
	Total        string
	Updated      string
}

// List is a list page: the viewer's own trips (Everyone false) or everyone's submitted ones.
type List struct {
	// ExportURL downloads the whole list with its filters (every page); empty: no export.
	ExportURL   string
	Title       string
	Everyone    bool
	Summary     string
	Filter      Filter
	Tabs        []Tab
	Departments []Option
	// TravellerName is the name of the traveller the filter chose.
	TravellerName string
	Rows          []Row
	// ShowTraveller shows the traveller column: on everyone's trips, and on one's own when
	// one of them is someone else's or was filed by someone else.
	ShowTraveller bool
	Total         int
	CanCreate     bool
	Pager         views.Pagination
}

// FormLeg is one leg of the form as typed.
type FormLeg struct {
	From, To, DepartOn, ReturnOn, Mode string
}

// Estimate is one category of the estimate: its field and amount as typed, or as stored.
type Estimate struct {
	Category string
	Label    string
	Value    string
}

// Decision is an approver's decision as the traveller reads it.
type Decision = requisitions.Decision

// Form is the travel request form: a new one (ID 0) or an editable one of the viewer's.
type Form struct {
	CSRF       string
	ID         int64
	Number     string
	Status     string
	Traveller  string
	Department string
	GLAccount  string
	Purpose    string
	Currency   string
	Legs       []FormLeg
	Estimates  []Estimate
	Advance    string
	Total      string // the estimate's total as last computed, "" when it cannot be
	TotalNote  string // why the total cannot be added up yet
	FormKey    string
	Version    string // the version of the stored request the form was read at ("" when new)
	FocusRow   int    // the leg whose first field gets the focus after an add; -1 for none
	// Removed is 1 + the leg a removal took away (0: none): the focus goes to the leg now in
	// its place, or to the Add button when it was the last.
	Removed int
	Errors  views.FieldErrors
	// ForOthers: the viewer may file trips for other people, so the form asks who travels.
	ForOthers     bool
	TravellerName string // the chosen traveller's name
	Departments   []Option
	GLAccounts    []Option
	Currencies    []Option
	Rejection     *Decision
	CanDelete     bool
	// Overlaps are the traveller's other trips on some of the same days, named when a
	// submission is held back until the person submitting ticks that it is meant to:
	// OverlapsConfirm is the value of that box, OverlapsConfirmed what was posted (kept as
	// ticked while the form is shown again for other reasons). OverlapTraveller is the
	// traveller's name when it is not the person filling the form in.
	Overlaps          []Overlap
	OverlapsConfirm   string
	OverlapsConfirmed string
	OverlapTraveller  string
}

// Action is where the form posts.
func (f Form) Action() string {
	if f.ID == 0 {
		return ListPath
	}
	return Path(f.ID)
}

// LegKey is the errors key of a leg's field; models.LegField spells the same.
func LegKey(row int, field string) string { return fmt.Sprintf("leg-%d-%s", row, field) }

// EstimateKey is the errors key of an estimate category; models.EstimateField spells the same.
func EstimateKey(category string) string { return "estimate-" + category }

// Leg is a stored leg, read-only.
type Leg struct {
	Position int
	From     string
	To       string
	DepartOn string
	ReturnOn string
	Mode     string
}

// Amount is one line of a read-only estimate.
type Amount struct {
	Label  string
	Amount string
}

// Detail is a trip's read-only page.
type Detail struct {
	CSRF        string
	ID          int64
	Title       string
	Number      string
	Status      string
	Traveller   string
	FiledBy     string // "" when the traveller filed it
	Department  string
	GLAccount   string
	Purpose     string
	Dates       string
	Days        int
	Submitted   string
	Decided     string
	Currency    string
	Legs        []Leg
	Estimates   []Amount
	Total       string
	Advance     string
	Steps       []requisitions.Step
	WaitingFor  string
	CanWithdraw bool
	// CanCancel offers the cancellation of an approved trip; CancelAdvance is the part of its
	// cash advance still outstanding ("" for none), which the canceller says is settled.
	CanCancel     bool
	CancelAdvance string
	CancelErrors  views.FieldErrors // a refused cancellation's, beside cancel_reason or advance_settled
	CancelReason  string            // the reason typed, kept when refused
	CannotCancel  string            // why the traveller's approved trip cannot be cancelled now
	Cancelled     string            // who cancelled it, when and why
	Actions       templ.Component   // more buttons other areas add (an expense report from the trip)
	Activity      templ.Component   // comments and attachments
	HistoryURL    string
	Destinations  string
	Overlaps      []Overlap // the traveller's other trips on some of the same days
}

// Panel is what the approvals queue shows of a trip beside its estimate: legs and advance.
type Panel struct {
	Legs     []Leg
	Dates    string
	Days     int
	Advance  string
	Overlaps []Overlap // the traveller's other trips on some of the same days
}

func itoa(n int) string { return strconv.Itoa(n) }

func legsText(n int) string {
	if n == 1 {
		return "1 leg"
	}
	return fmt.Sprintf("%d legs", n)
}

func daysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// ExpenseReportAction is what a trip's page offers its traveller or filer once it is
// approved: start its expense report, or open the one it has.
type ExpenseReportAction struct {
	CSRF      string
	StartPath string // "" when a report exists
	// The report it has: its name, its address ("" when the viewer cannot open it) and status.
	Report, ReportHref, ReportStatus string
}

// Overlap is another trip of the same traveller on some of the same days.
type Overlap struct {
	Name         string // its number, or "Draft trip"
	Href         string // "" when the viewer may not open it
	Dates        string
	Status       string
	Destinations string
}

// Description is what follows the trip's name: ", 3 Mar 2027 – 7 Mar 2027, Paris, Berlin".
func (o Overlap) Description() string {
	s := ", " + o.Dates
	if o.Destinations != "" {
		s += ", " + o.Destinations
	}
	return s
}

// overlapIntro is the sentence before the trips a trip being submitted overlaps, of
// traveller ("" for the viewer).
func overlapIntro(traveller string, n int) string {
	if traveller == "" {
		return "You already have " + otherTrips(n) + " on some of these days:"
	}
	return traveller + " already has " + otherTrips(n) + " on some of these days:"
}

// overlapNote is the sentence before the trips a stored trip overlaps, of traveller ("" when
// the page does not name them).
func overlapNote(traveller string, n int) string {
	if traveller == "" {
		traveller = "The traveller"
	}
	return traveller + " has " + otherTrips(n) + " on some of the same days:"
}

func otherTrips(n int) string {
	if n == 1 {
		return "another trip"
	}
	return "other trips"
}
