// Package users holds the user administration pages: the list of people with its search and
// filters, the invitation form, and a person's page with the edit form.
package users

import (
	"fmt"
	"strconv"

	"github.com/a-h/templ"

	"outlay"
	"outlay/views"
)

// Paths of the user pages, spelled once for the handlers and the templates.
const (
	ListPath = "/admin/users"
	NewPath  = "/admin/users/new"
	// ManagerLookupPath finds a person's manager as the admin types.
	ManagerLookupPath = "/lookup/people/users"
)

// UserPath is a person's page; the edit form posts to it.
func UserPath(id int64) string { return ListPath + "/" + strconv.FormatInt(id, 10) }

// DeactivatePath ends a person's access.
func DeactivatePath(id int64) string { return UserPath(id) + "/deactivate" }

// ReactivatePath gives a deactivated person access again.
func ReactivatePath(id int64) string { return UserPath(id) + "/reactivate" }

// InvitationPath sends an invited person a fresh set-password link.
func InvitationPath(id int64) string { return UserPath(id) + "/invitation" }

// PasswordResetPath sends an active person the link "Forgot password" would send them.
func PasswordResetPath(id int64) string { return UserPath(id) + "/password-reset" }

// sessionCount says in how many places a person is signed in.
func sessionCount(n int) string {
	switch n {
	case 0:
		return "Not signed in anywhere"
	case 1:
		return "In 1 place"
	}
	return fmt.Sprintf("In %d places", n)
}

// SignOutEverywherePath ends every session of a person.
func SignOutEverywherePath(id int64) string { return UserPath(id) + "/sessions/sign-out" }

// TwoFactorResetPath deletes a person's second factor, so that they set it up again.
func TwoFactorResetPath(id int64) string { return UserPath(id) + "/two-factor/reset" }

// Element ids that htmx requests name in HX-Target, so handlers can answer with that part.
const (
	ResultsID = "user-results" // the list's results, replaced when the filters change
	FormID    = "user-form"    // the invite and edit forms, replaced by their errors
)

// PerPage is how many people one page of the list shows.
const PerPage = 25

// Option is one choice of a select or a checkbox group.
type Option struct {
	Value string
	Label string
}

// StatusLabel is how people read a user status.
func StatusLabel(status string) string {
	switch status {
	case "active":
		return "Active"
	case "invited":
		return "Invited"
	case "deactivated":
		return "Deactivated"
	}
	return status
}

func statusClass(status string) string {
	switch status {
	case "active":
		return "badge badge-success"
	case "invited":
		return "badge badge-warning"
	}
	return "badge badge-muted"
}

// Filter is the list's search, filters and page, as the query string carries them.
type Filter struct {
	Q      string
	Role   string
	Status string
	Page   int
}

// Active reports whether the filter narrows the list at all.
func (f Filter) Active() bool { return f.Q != "" || f.Role != "" || f.Status != "" }

// URL is the list's address with this filter at page.
func (f Filter) URL(page int) string {
	return views.ListURL(ListPath, page, [2]string{"q", f.Q}, [2]string{"role", f.Role}, [2]string{"status", f.Status})
}

// Counts is how many people there are in each status.
type Counts struct {
	All, Active, Invited, Deactivated int
}

// Summary says the counts in a sentence.
func (c Counts) Summary() string {
	if c.All == 1 {
		return "1 person."
	}
	return fmt.Sprintf("%s people: %s active, %s invited, %s deactivated.", outlay.Count(c.All), outlay.Count(c.Active), outlay.Count(c.Invited), outlay.Count(c.Deactivated))
}

// Row is one person in the list.
type Row struct {
	ID         int64
	Name       string
	Email      string
	Status     string
	Roles      []string // labels
	Department string
	Manager    string
	Self       bool // the signed-in person, who cannot deactivate themself
	InReach    bool // the viewer holds every permission this person holds, so may change them
	TwoFactor  string
}

// List is the users page.
type List struct {
	// ExportURL downloads the whole list with its filters (every page); empty: no export.
	ExportURL string
	CSRF      string
	Filter    Filter
	Roles     []Option
	Statuses  []Option
	Rows      []Row
	Total     int // people matching the filter
	Counts    Counts
	CanCreate bool
	CanUpdate bool
}

// Pager is where this page sits among the pages of matching people.
func (l List) Pager() views.Pagination {
	return views.Pagination{Page: l.Filter.Page, PerPage: PerPage, Total: l.Total, URL: l.Filter.URL, Target: ResultsID}
}

// Form is the invite form (ID 0) or the edit form of a person, with what was typed and the
// messages about it.
type Form struct {
	CSRF        string
	ID          int64
	Email       string   `form:"email,trim"` // only asked when inviting
	Name        string   `form:"name"`
	Roles       []string `form:"roles"`      // chosen role names
	Department  string   `form:"department"` // chosen department id, "" for none
	Manager     string   `form:"manager"`    // chosen manager's user id, "" for none
	Location    string   `form:"location"`   // chosen location id, "" for none (edit form only)
	Errors      views.FieldErrors
	RoleOptions []Option
	Departments []Option
	ManagerName string // the chosen manager's name
	Locations   []Option
	// RecordVersion is the version of the person the edit form was read at.
	views.RecordVersion
}

// Action is where the form posts.
func (f Form) Action() string {
	if f.ID == 0 {
		return ListPath
	}
	return UserPath(f.ID)
}

// Chosen reports whether the form has role ticked.
func (f Form) Chosen(role string) bool {
	for _, r := range f.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Detail is a person's page.
type Detail struct {
	CSRF       string
	ID         int64
	Name       string
	Email      string
	Status     string
	Roles      []string // labels
	Department string
	Location   string
	Manager    string
	ManagerID  int64
	Added      string
	Self       bool
	CanUpdate  bool
	OutOfReach bool // the viewer may change people, but this one holds more than the viewer
	Form       Form
	TwoFactor  string
	// CanResetTwoFactor: the viewer may reset this person's second factor.
	CanResetTwoFactor bool
	// ConfirmReset is the "Confirm it's you" field of the reset, while the viewer's session
	// was not confirmed in the last minutes; nil otherwise.
	ConfirmReset templ.Component
	// PasswordResetRefusal says why this person cannot be sent a password reset link (they
	// sign in through single sign-on, say); empty: they can.
	PasswordResetRefusal string
	// Sessions is how many places the person is signed in.
	Sessions int
	// CanSignOut: the viewer may sign this person out everywhere.
	CanSignOut bool
	// ConfirmSignOut is the "Confirm it's you" field of signing them out everywhere, while
	// the viewer's session was not confirmed in the last minutes; nil otherwise.
	ConfirmSignOut templ.Component
}

// TwoFactorLabel reads a two-factor status.
func TwoFactorLabel(status string) string {
	switch status {
	case "on":
		return "On"
	case "reset":
		return "Reset: sets up again at next sign-in"
	}
	return "Off"
}

func twoFactorClass(status string) string {
	switch status {
	case "on":
		return "badge badge-success"
	case "reset":
		return "badge badge-warning"
	}
	return "badge badge-muted"
}

func matchText(n int) string {
	if n == 1 {
		return "1 person matches."
	}
	return outlay.Count(n) + " people match."
}
