package policy

import (
	"slices"
	"strings"

	"outlay"
)

// objectLabels name the areas as the roles page shows them. An object without a label is
// shown by its name.
var objectLabels = map[string]string{
	"admin.users":    "Users",
	"admin.roles":    "Roles and permissions",
	"admin.tokens":   "Everyone's API tokens",
	"admin.sso":      "Single sign-on",
	"admin.security": "Sign-in security",
	"tokens":         "Own API tokens",
	"audit":          "Audit log",

	"requisitions":         "Requisitions",
	"requisitions.all":     "Everyone's requisitions",
	"travel":               "Travel requests",
	"travel.all":           "Everyone's travel",
	"travel.others":        "Travel for others",
	"approvals":            "Approvals",
	"purchase_orders":      "Purchase orders",
	"vendors":              "Vendors",
	"vendors.bank":         "Vendors' bank details",
	"admin.departments":    "Departments",
	"admin.locations":      "Locations",
	"admin.gl_accounts":    "GL accounts",
	"admin.budgets":        "Budgets",
	"admin.approval_rules": "Approval rules",
	"admin.settings":       "Organisation settings",
	"expenses":             "Expense reports",
	"expenses.all":         "Everyone's expense reports",
	"admin.expense_policy": "Expense policy",
	"comments":             "Comments on documents",
	"attachments":          "Files on documents",

	outlay.ObjSpendReport:    "Spend report",
	outlay.ObjSpendReportAll: "Every department's spend",
	outlay.ObjImport:         "Imports",
}

var actionLabels = map[string]string{
	Read: "View", Create: "Create", Update: "Edit", Approve: "Approve", Delete: "Delete", Export: "Export", Import: "Import",
}

// ObjectLabel is how people read an object's name.
func ObjectLabel(object string) string {
	if l, ok := objectLabels[object]; ok {
		return l
	}
	return object
}

// ActionLabel is how people read an action.
func ActionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

// Label reads a permission as a phrase: "Users: Edit".
func (p Permission) Label() string { return ObjectLabel(p.Object) + ": " + ActionLabel(p.Action) }

// Areas group permissions on the roles page, in this order.
const (
	AreaBuying         = "Buying"
	AreaSetup          = "Setup"
	AreaAdministration = "Administration"
	AreaAccount        = "Your account"
	AreaOther          = "Other"
)

var areaOrder = []string{AreaBuying, AreaSetup, AreaAdministration, AreaAccount, AreaOther}

// described is a permission as people read it: its area and what it lets them do.
type described struct {
	area, phrase string
}

func p(object, action string) Permission { return Permission{Object: object, Action: action} }

// catalog lists every permission in the order the roles page shows it within its area.
var catalog = []struct {
	perm Permission
	described
}{
	{p("requisitions", Read), described{AreaBuying, "See own requisitions"}},
	{p("requisitions", Create), described{AreaBuying, "Create requisitions"}},
	{p("requisitions", Update), described{AreaBuying, "Edit and withdraw own requisitions"}},
	{p("requisitions.all", Read), described{AreaBuying, "See everyone's requisitions"}},
	{p("travel", Read), described{AreaBuying, "See own travel requests"}},
	{p("travel", Create), described{AreaBuying, "Request travel"}},
	{p("travel", Update), described{AreaBuying, "Edit and withdraw own travel requests"}},
	{p("travel.all", Read), described{AreaBuying, "See everyone's travel"}},
	{p("travel.others", Create), described{AreaBuying, "File travel for others"}},
	{p("approvals", Read), described{AreaBuying, "See requests waiting for approval"}},
	{p("approvals", Approve), described{AreaBuying, "Approve requests"}},
	{p("approvals", Update), described{AreaBuying, "Hand approvals to a stand-in"}},
	{p("purchase_orders", Read), described{AreaBuying, "See purchase orders"}},
	{p("purchase_orders", Create), described{AreaBuying, "Order approved requests"}},
	{p("purchase_orders", Update), described{AreaBuying, "Receive, send and close orders"}},
	{p("vendors", Read), described{AreaBuying, "See vendors"}},
	{p("vendors", Create), described{AreaBuying, "Add vendors"}},
	{p("vendors", Update), described{AreaBuying, "Edit vendors"}},
	{p("vendors.bank", Read), described{AreaBuying, "See vendors' bank details, masked"}},
	{p("vendors.bank", Update), described{AreaBuying, "Change vendors' bank details"}},
	{p("expenses", Read), described{AreaBuying, "See own expense reports"}},
	{p("expenses", Create), described{AreaBuying, "Create expense reports"}},
	{p("expenses", Update), described{AreaBuying, "Edit and submit own expense reports"}},
	{p("expenses.all", Read), described{AreaBuying, "See everyone's expense reports"}},
	{p("comments", Create), described{AreaBuying, "Comment on documents"}},
	{p("attachments", Create), described{AreaBuying, "Attach files to documents"}},
	{p(outlay.ObjSpendReport, Read), described{AreaBuying, "See the spend report of own departments"}},
	{p(outlay.ObjSpendReport, Export), described{AreaBuying, "Download the spend report"}},
	{p(outlay.ObjSpendReportAll, Read), described{AreaBuying, "See every department's spend"}},

	{p("admin.departments", Read), described{AreaSetup, "See departments"}},
	{p("admin.departments", Create), described{AreaSetup, "Add departments"}},
	{p("admin.departments", Update), described{AreaSetup, "Edit departments"}},
	{p("admin.locations", Read), described{AreaSetup, "See locations"}},
	{p("admin.locations", Create), described{AreaSetup, "Add locations"}},
	{p("admin.locations", Update), described{AreaSetup, "Edit locations"}},
	{p("admin.gl_accounts", Read), described{AreaSetup, "See GL accounts"}},
	{p("admin.gl_accounts", Create), described{AreaSetup, "Add GL accounts"}},
	{p("admin.gl_accounts", Update), described{AreaSetup, "Edit GL accounts"}},
	{p("admin.budgets", Read), described{AreaSetup, "See budgets"}},
	{p("admin.budgets", Create), described{AreaSetup, "Add budgets"}},
	{p("admin.budgets", Update), described{AreaSetup, "Edit budgets"}},
	{p("admin.approval_rules", Read), described{AreaSetup, "See approval rules"}},
	{p("admin.approval_rules", Create), described{AreaSetup, "Add approval rules"}},
	{p("admin.approval_rules", Update), described{AreaSetup, "Edit approval rules"}},
	{p("admin.expense_policy", Read), described{AreaSetup, "See expense categories, rates and receipt rules"}},
	{p("admin.expense_policy", Create), described{AreaSetup, "Add expense categories and rates"}},
	{p("admin.expense_policy", Update), described{AreaSetup, "Edit expense categories, rates and receipt rules"}},
	{p("admin.settings", Read), described{AreaSetup, "See organisation settings"}},
	{p("admin.settings", Update), described{AreaSetup, "Change organisation settings"}},

	{p("admin.users", Read), described{AreaAdministration, "See users"}},
	{p("admin.users", Create), described{AreaAdministration, "Invite users"}},
	{p("admin.users", Update), described{AreaAdministration, "Edit users"}},
	{p("admin.roles", Read), described{AreaAdministration, "See roles and permissions"}},
	{p("admin.roles", Create), described{AreaAdministration, "Add roles"}},
	{p("admin.roles", Update), described{AreaAdministration, "Change what roles may do"}},
	{p("admin.roles", Delete), described{AreaAdministration, "Delete roles"}},
	{p("admin.security", Read), described{AreaAdministration, "See sign-in security"}},
	{p("admin.security", Update), described{AreaAdministration, "Change sign-in security and reset second factors"}},
	{p("admin.sso", Read), described{AreaAdministration, "See single sign-on"}},
	{p("admin.sso", Update), described{AreaAdministration, "Set up single sign-on"}},
	{p("admin.tokens", Read), described{AreaAdministration, "See everyone's API tokens"}},
	{p("admin.tokens", Delete), described{AreaAdministration, "Revoke anyone's API tokens"}},
	{p("audit", Read), described{AreaAdministration, "Read the audit log"}},
	{p("audit", Export), described{AreaAdministration, "Export the audit log"}},
	{p(outlay.ObjImport, Import), described{AreaAdministration, "Import setup data from spreadsheets"}},

	{p("tokens", Read), described{AreaAccount, "See own API tokens"}},
	{p("tokens", Create), described{AreaAccount, "Create own API tokens"}},
	{p("tokens", Delete), described{AreaAccount, "Revoke own API tokens"}},
}

var catalogIndex = func() map[Permission]int {
	m := make(map[Permission]int, len(catalog))
	for i, e := range catalog {
		m[e.perm] = i
	}
	return m
}()

// Phrase says what a permission lets people do: "Edit users". A permission outside the
// catalog reads as its action and area: "View reports".
func (p Permission) Phrase() string {
	if i, ok := catalogIndex[p]; ok {
		return catalog[i].phrase
	}
	return ActionLabel(p.Action) + " " + strings.ToLower(ObjectLabel(p.Object))
}

// Area names the part of the product a permission belongs to.
func (p Permission) Area() string {
	if i, ok := catalogIndex[p]; ok {
		return catalog[i].area
	}
	return AreaOther
}

// AreaGroup is the permissions of one area.
type AreaGroup struct {
	Area  string
	Perms []Permission
}

// ByArea groups perms by area, areas and permissions in the roles page's order; permissions
// outside the catalog come last, under Other, in the order given.
func ByArea(perms []Permission) []AreaGroup {
	byArea := map[string][]Permission{}
	for _, perm := range perms {
		byArea[perm.Area()] = append(byArea[perm.Area()], perm)
	}
	var out []AreaGroup
	for _, area := range areaOrder {
		ps := byArea[area]
		if len(ps) == 0 {
			continue
		}
		if area != AreaOther {
			slices.SortStableFunc(ps, func(a, b Permission) int { return catalogIndex[a] - catalogIndex[b] })
		}
		out = append(out, AreaGroup{Area: area, Perms: ps})
	}
	return out
}
