package policy

import (
	"slices"
	"strings"

	"outlay"
)

// objectLabels name the areas as the roles page shows them. An object without a label is
// shown by its name.
var objectLabels = map[string]string{
	outlay.ObjUsers:        "Users",
	outlay.ObjRoles:        "Roles and permissions",
	outlay.ObjAllTokens:    "Everyone's API tokens",
	outlay.ObjSSO:          "Single sign-on",
	outlay.ObjSecurity:     "Sign-in security",
	outlay.ObjOwnTokens:    "Own API tokens",
	outlay.ObjAudit:        "Audit log",
	outlay.ObjImport:       "Imports",
	outlay.ObjTenantExport: "Export of everything",

	outlay.ObjRequisitions:    "Requisitions",
	outlay.ObjRequisitionsAll: "Everyone's requisitions",
	outlay.ObjTravel:          "Travel requests",
	outlay.ObjTravelAll:       "Everyone's travel",
	outlay.ObjTravelOthers:    "Travel for others",
	outlay.ObjApprovals:       "Approvals",
	outlay.ObjPurchaseOrders:  "Purchase orders",
	outlay.ObjVendors:         "Vendors",
	outlay.ObjVendorBank:      "Vendors' bank details",
	outlay.ObjPayments:        "Payments",
	outlay.ObjPaymentsAll:     "Everyone's payments",
	outlay.ObjAccounting:      "Accounting export",
	outlay.ObjDepartments:     "Departments",
	outlay.ObjLocations:       "Locations",
	outlay.ObjGLAccounts:      "GL accounts",
	outlay.ObjBudgets:         "Budgets",
	outlay.ObjApprovalRules:   "Approval rules",
	outlay.ObjSettings:        "Organisation settings",
	outlay.ObjExpenses:        "Expense reports",
	outlay.ObjExpensesAll:     "Everyone's expense reports",
	outlay.ObjReimbursements:  "Expense reimbursements",
	outlay.ObjExpensePolicy:   "Expense policy",
	outlay.ObjComments:        "Comments on documents",
	outlay.ObjAttachments:     "Files on documents",

	outlay.ObjSpendReport:    "Spend report",
	outlay.ObjSpendReportAll: "Every department's spend",
}

var actionLabels = map[string]string{
	outlay.ActRead: "View", outlay.ActCreate: "Create", outlay.ActUpdate: "Edit", outlay.ActApprove: "Approve", outlay.ActDelete: "Delete", outlay.ActExport: "Export", outlay.ActImport: "Import",
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
	{p(outlay.ObjRequisitions, outlay.ActRead), described{AreaBuying, "See own requisitions"}},
	{p(outlay.ObjRequisitions, outlay.ActCreate), described{AreaBuying, "Create requisitions"}},
	{p(outlay.ObjRequisitions, outlay.ActUpdate), described{AreaBuying, "Edit and withdraw own requisitions"}},
	{p(outlay.ObjRequisitionsAll, outlay.ActRead), described{AreaBuying, "See everyone's requisitions"}},
	{p(outlay.ObjTravel, outlay.ActRead), described{AreaBuying, "See own travel requests"}},
	{p(outlay.ObjTravel, outlay.ActCreate), described{AreaBuying, "Request travel"}},
	{p(outlay.ObjTravel, outlay.ActUpdate), described{AreaBuying, "Edit and withdraw own travel requests"}},
	{p(outlay.ObjTravelAll, outlay.ActRead), described{AreaBuying, "See everyone's travel"}},
	{p(outlay.ObjTravelOthers, outlay.ActCreate), described{AreaBuying, "File travel for others"}},
	{p(outlay.ObjApprovals, outlay.ActRead), described{AreaBuying, "See requests waiting for approval"}},
	{p(outlay.ObjApprovals, outlay.ActApprove), described{AreaBuying, "Approve requests"}},
	{p(outlay.ObjApprovals, outlay.ActUpdate), described{AreaBuying, "Hand approvals to a stand-in"}},
	{p(outlay.ObjPurchaseOrders, outlay.ActRead), described{AreaBuying, "See purchase orders"}},
	{p(outlay.ObjPurchaseOrders, outlay.ActCreate), described{AreaBuying, "Order approved requests"}},
	{p(outlay.ObjPurchaseOrders, outlay.ActUpdate), described{AreaBuying, "Receive, send and close orders"}},
	{p(outlay.ObjVendors, outlay.ActRead), described{AreaBuying, "See vendors"}},
	{p(outlay.ObjVendors, outlay.ActCreate), described{AreaBuying, "Add vendors"}},
	{p(outlay.ObjVendors, outlay.ActUpdate), described{AreaBuying, "Edit vendors"}},
	{p(outlay.ObjVendorBank, outlay.ActRead), described{AreaBuying, "See vendors' bank details, masked"}},
	{p(outlay.ObjVendorBank, outlay.ActUpdate), described{AreaBuying, "Change vendors' bank details"}},
	{p(outlay.ObjBills, outlay.ActRead), described{AreaBuying, "See bills routed to them"}},
	{p(outlay.ObjBills, outlay.ActCreate), described{AreaBuying, "Enter vendors' bills"}},
	{p(outlay.ObjBills, outlay.ActUpdate), described{AreaBuying, "Edit and submit bills"}},
	{p(outlay.ObjBillsAll, outlay.ActRead), described{AreaBuying, "See every bill"}},
	{p(outlay.ObjBillsRelease, outlay.ActApprove), described{AreaBuying, "Release held bills with a reason"}},
	{p(outlay.ObjPayments, outlay.ActRead), described{AreaBuying, "See payments routed to them"}},
	{p(outlay.ObjPayments, outlay.ActCreate), described{AreaBuying, "Make payment runs"}},
	{p(outlay.ObjPayments, outlay.ActUpdate), described{AreaBuying, "Submit, cancel and mark payments paid"}},
	{p(outlay.ObjPayments, outlay.ActExport), described{AreaBuying, "Download payments' bank files"}},
	{p(outlay.ObjPaymentsAll, outlay.ActRead), described{AreaBuying, "See every payment run"}},
	{p(outlay.ObjAccounting, outlay.ActRead), described{AreaBuying, "See accounting export batches"}},
	{p(outlay.ObjAccounting, outlay.ActCreate), described{AreaBuying, "Export to accounting and re-export"}},
	{p(outlay.ObjAccounting, outlay.ActExport), described{AreaBuying, "Download accounting export files"}},
	{p(outlay.ObjExpenses, outlay.ActRead), described{AreaBuying, "See own expense reports"}},
	{p(outlay.ObjExpenses, outlay.ActCreate), described{AreaBuying, "Create expense reports"}},
	{p(outlay.ObjExpenses, outlay.ActUpdate), described{AreaBuying, "Edit and submit own expense reports"}},
	{p(outlay.ObjExpensesAll, outlay.ActRead), described{AreaBuying, "See everyone's expense reports"}},
	{p(outlay.ObjReimbursements, outlay.ActRead), described{AreaBuying, "See reimbursement batches"}},
	{p(outlay.ObjReimbursements, outlay.ActCreate), described{AreaBuying, "Schedule approved expense reports for payment, or send them back"}},
	{p(outlay.ObjReimbursements, outlay.ActUpdate), described{AreaBuying, "Take reports out of batches and mark batches paid"}},
	{p(outlay.ObjReimbursements, outlay.ActExport), described{AreaBuying, "Download reimbursement CSV and SEPA payment files"}},
	{p(outlay.ObjComments, outlay.ActCreate), described{AreaBuying, "Comment on documents"}},
	{p(outlay.ObjAttachments, outlay.ActCreate), described{AreaBuying, "Attach files to documents"}},
	{p(outlay.ObjSpendReport, outlay.ActRead), described{AreaBuying, "See the spend report of own departments"}},
	{p(outlay.ObjSpendReport, outlay.ActExport), described{AreaBuying, "Download the spend report"}},
	{p(outlay.ObjSpendReportAll, outlay.ActRead), described{AreaBuying, "See every department's spend"}},

	{p(outlay.ObjDepartments, outlay.ActRead), described{AreaSetup, "See departments"}},
	{p(outlay.ObjDepartments, outlay.ActCreate), described{AreaSetup, "Add departments"}},
	{p(outlay.ObjDepartments, outlay.ActUpdate), described{AreaSetup, "Edit departments"}},
	{p(outlay.ObjLocations, outlay.ActRead), described{AreaSetup, "See locations"}},
	{p(outlay.ObjLocations, outlay.ActCreate), described{AreaSetup, "Add locations"}},
	{p(outlay.ObjLocations, outlay.ActUpdate), described{AreaSetup, "Edit locations"}},
	{p(outlay.ObjGLAccounts, outlay.ActRead), described{AreaSetup, "See GL accounts"}},
	{p(outlay.ObjGLAccounts, outlay.ActCreate), described{AreaSetup, "Add GL accounts"}},
	{p(outlay.ObjGLAccounts, outlay.ActUpdate), described{AreaSetup, "Edit GL accounts"}},
	{p(outlay.ObjBudgets, outlay.ActRead), described{AreaSetup, "See budgets"}},
	{p(outlay.ObjBudgets, outlay.ActCreate), described{AreaSetup, "Add budgets"}},
	{p(outlay.ObjBudgets, outlay.ActUpdate), described{AreaSetup, "Edit budgets"}},
	{p(outlay.ObjApprovalRules, outlay.ActRead), described{AreaSetup, "See approval rules"}},
	{p(outlay.ObjApprovalRules, outlay.ActCreate), described{AreaSetup, "Add approval rules"}},
	{p(outlay.ObjApprovalRules, outlay.ActUpdate), described{AreaSetup, "Edit approval rules"}},
	{p(outlay.ObjExpensePolicy, outlay.ActRead), described{AreaSetup, "See expense categories, rates and receipt rules"}},
	{p(outlay.ObjExpensePolicy, outlay.ActCreate), described{AreaSetup, "Add expense categories and rates"}},
	{p(outlay.ObjExpensePolicy, outlay.ActUpdate), described{AreaSetup, "Edit expense categories, rates and receipt rules"}},
	{p(outlay.ObjSettings, outlay.ActRead), described{AreaSetup, "See organisation settings"}},
	{p(outlay.ObjSettings, outlay.ActUpdate), described{AreaSetup, "Change organisation settings"}},

	{p(outlay.ObjUsers, outlay.ActRead), described{AreaAdministration, "See users"}},
	{p(outlay.ObjUsers, outlay.ActCreate), described{AreaAdministration, "Invite users"}},
	{p(outlay.ObjUsers, outlay.ActUpdate), described{AreaAdministration, "Edit users"}},
	{p(outlay.ObjRoles, outlay.ActRead), described{AreaAdministration, "See roles and permissions"}},
	{p(outlay.ObjRoles, outlay.ActCreate), described{AreaAdministration, "Add roles"}},
	{p(outlay.ObjRoles, outlay.ActUpdate), described{AreaAdministration, "Change what roles may do"}},
	{p(outlay.ObjRoles, outlay.ActDelete), described{AreaAdministration, "Delete roles"}},
	{p(outlay.ObjSecurity, outlay.ActRead), described{AreaAdministration, "See sign-in security"}},
	{p(outlay.ObjSecurity, outlay.ActUpdate), described{AreaAdministration, "Change sign-in security and reset second factors"}},
	{p(outlay.ObjSSO, outlay.ActRead), described{AreaAdministration, "See single sign-on"}},
	{p(outlay.ObjSSO, outlay.ActUpdate), described{AreaAdministration, "Set up single sign-on"}},
	{p(outlay.ObjAllTokens, outlay.ActRead), described{AreaAdministration, "See everyone's API tokens"}},
	{p(outlay.ObjAllTokens, outlay.ActDelete), described{AreaAdministration, "Revoke anyone's API tokens"}},
	{p(outlay.ObjAudit, outlay.ActRead), described{AreaAdministration, "Read the audit log"}},
	{p(outlay.ObjAudit, outlay.ActExport), described{AreaAdministration, "Export the audit log"}},
	{p(outlay.ObjImport, outlay.ActImport), described{AreaAdministration, "Import setup data from spreadsheets, of the kinds they may add or change"}},
	{p(outlay.ObjTenantExport, outlay.ActExport), described{AreaAdministration, "Export everything: the whole organisation's data in one archive"}},

	{p(outlay.ObjOwnTokens, outlay.ActRead), described{AreaAccount, "See own API tokens"}},
	{p(outlay.ObjOwnTokens, outlay.ActCreate), described{AreaAccount, "Create own API tokens"}},
	{p(outlay.ObjOwnTokens, outlay.ActDelete), described{AreaAccount, "Revoke own API tokens"}},
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
