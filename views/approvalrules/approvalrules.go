// Package approvalrules holds the approval rules admin: the list of rules by document type
// and priority, and the form that edits a rule's conditions and its ordered steps.
package approvalrules

import (
	"strconv"

	"outlay/views"
)

// Paths of the rule pages.
const (
	ListPath  = "/admin/approval-rules"
	NewPath   = ListPath + "/new"
	StepsPath = ListPath + "/steps"
	// VendorLookupPath and PersonLookupPath find the vendor of a bill condition and the
	// person of a step as the admin types.
	VendorLookupPath = "/lookup/vendors/approval-rules"
	PersonLookupPath = "/lookup/people/approval-rules"
)

// RulePath is a rule's edit page; its form posts there.
func RulePath(id int64) string { return ListPath + "/" + strconv.FormatInt(id, 10) }

// ArchivePath retires a rule.
func ArchivePath(id int64) string { return RulePath(id) + "/archive" }

// HistoryPath is a rule's audit history.
func HistoryPath(id int64) string { return RulePath(id) + "/history" }

// Element ids htmx requests name in HX-Target.
const (
	FormID  = "rule-form"
	StepsID = "rule-steps"
)

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Row is one rule in the list.
type Row struct {
	ID          int64
	Name        string
	Priority    int
	Conditions  string
	Steps       []string
	BudgetCheck string
	Active      bool
}

// StatusLabel is how people read the rule's state on a list of current or archived rules.
func (r Row) StatusLabel(archived bool) string {
	switch {
	case archived:
		return "Archived"
	case r.Active:
		return "Active"
	}
	return "Inactive"
}

// Group is the rules of one kind of document, in priority order.
type Group struct {
	Label string
	Rows  []Row
}

// List is the rules page.
type List struct {
	Groups    []Group
	Total     int
	Archived  bool // the list shows archived rules
	CanCreate bool
	ExportURL string // the list as a file
}

// StepRow is one step of the form as typed.
type StepRow struct {
	Kind string `form:"step_kind"`
	User string `form:"step_user"`
	Role string `form:"step_role"`
	// UserText is the person's name as typed in the step's lookup (every row sends one, so
	// that the rows' fields line up); UserName is the name the field shows.
	UserText string `form:"step_user_text"`
	// UserShown is the text the page showed beside the chosen person (views.Lookup).
	UserShown string `form:"step_user_shown"`
	UserName  string
}

// Form is the create (ID 0) or edit form of a rule.
type Form struct {
	CSRF        string
	ID          int64
	DocType     string `form:"doc_type,trim"`
	Name        string `form:"name,trim"`
	Priority    string `form:"priority,trim"`
	Department  string `form:"department,trim"`
	GLAccount   string `form:"gl_account,trim"`
	Currency    string `form:"currency,trim"`
	MinAmount   string `form:"min_amount,trim"`
	MaxAmount   string `form:"max_amount,trim"`
	BudgetCheck string `form:"budget_check,trim"`
	Active      bool   `form:"active"`
	// Bill conditions: the vendor, the match ("held", "matched" or "" for either) and the
	// least price variance in percent.
	Vendor      string `form:"vendor,trim"`
	VendorName  string // the chosen vendor's name
	Match       string `form:"match,trim"`
	MinVariance string `form:"min_variance,trim"`
	// Payment condition: the method ("" for any).
	PaymentMethod  string `form:"payment_method,trim"`
	PaymentMethods []Option
	Steps          []StepRow `form:"steps,rows=step_kind"`
	// Focus names the control that takes the focus once the steps are shown again after a
	// step was added, removed or moved (StepFocus); "" for none.
	Focus       string
	Errors      views.FieldErrors
	CanSave     bool
	DocTypes    []Option
	Departments []Option
	GLAccounts  []Option
	Currencies  []Option
	Roles       []Option
	// RecordVersion is the version of the rule the edit form was read at.
	views.RecordVersion
}

// Action is where the form posts.
func (f Form) Action() string {
	if f.ID == 0 {
		return ListPath
	}
	return RulePath(f.ID)
}

// StepKinds are the kinds of step, as people read them.
var StepKinds = []Option{
	{Value: "manager", Label: "The requester's manager"},
	{Value: "department_head", Label: "The department's head"},
	{Value: "user", Label: "A named person"},
	{Value: "role", Label: "Anyone with a role"},
}

// BudgetChecks are what the budget check at the last approval may do.
var BudgetChecks = []Option{
	{Value: "none", Label: "No budget check"},
	{Value: "warn", Label: "Warn when over budget"},
	{Value: "block", Label: "Block the last approval when over budget"},
}

// BudgetCheckLabel is how people read a budget check.
func BudgetCheckLabel(v string) string {
	for _, o := range BudgetChecks {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

func stepField(i int, input string) string { return "steps." + strconv.Itoa(i) + "." + input }

func stepID(i int, input string) string { return "step-" + strconv.Itoa(i) + "-" + input }

// StepsAdd is Focus for the Add a step button.
const StepsAdd = "add"

// StepFocus is Focus after op ("add", "remove", "up" or "down") on step i, leaving n steps:
// the step added's first field; the step now in the place of the one removed, or Add a step
// after the last; the step moved, at the button that moves it on the same way, or the other
// way once it cannot go further.
func StepFocus(op string, i, n int) string {
	switch op {
	case "add":
		return stepID(n-1, "kind")
	case "remove":
		if i < n {
			return stepID(i, "kind")
		}
		return StepsAdd
	case "up":
		if i-1 > 0 {
			return stepID(i-1, "up")
		}
		return stepID(i-1, "down")
	case "down":
		if i+1 < n-1 {
			return stepID(i+1, "down")
		}
		return stepID(i+1, "up")
	}
	return ""
}

func stepVals(op string, i int) string {
	return `{"op":"` + op + `","index":"` + strconv.Itoa(i) + `"}`
}

// Matches are the match conditions a bill rule offers.
var Matches = []Option{{Value: "held", Label: "Held by its match"}, {Value: "matched", Label: "Matched within tolerance"}}
