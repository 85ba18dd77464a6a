package policy

import "outlay"

// RoleTemplate is a ready-made set of permissions for a common role, offered when adding one.
type RoleTemplate struct {
	Key     string
	Label   string
	Summary string
	Perms   []Permission
}

// RoleTemplates are the roles most organisations start with.
var RoleTemplates = []RoleTemplate{
	{Key: "buyer", Label: "Buyer", Summary: "Raises requests, orders approved ones from vendors and records what arrives.",
		Perms: []Permission{
			p(outlay.ObjRequisitions, outlay.ActRead), p(outlay.ObjRequisitions, outlay.ActCreate), p(outlay.ObjRequisitions, outlay.ActUpdate), p(outlay.ObjRequisitionsAll, outlay.ActRead),
			p(outlay.ObjPurchaseOrders, outlay.ActRead), p(outlay.ObjPurchaseOrders, outlay.ActCreate), p(outlay.ObjPurchaseOrders, outlay.ActUpdate),
			p(outlay.ObjVendors, outlay.ActRead), p(outlay.ObjVendors, outlay.ActCreate), p(outlay.ObjVendors, outlay.ActUpdate),
			p(outlay.ObjComments, outlay.ActCreate), p(outlay.ObjAttachments, outlay.ActCreate),
		}},
	{Key: "department_head", Label: "Department head", Summary: "Raises requests, approves the department's, watches its budgets and reads its spend.",
		Perms: []Permission{
			p(outlay.ObjRequisitions, outlay.ActRead), p(outlay.ObjRequisitions, outlay.ActCreate), p(outlay.ObjRequisitions, outlay.ActUpdate),
			p(outlay.ObjApprovals, outlay.ActRead), p(outlay.ObjApprovals, outlay.ActApprove), p(outlay.ObjApprovals, outlay.ActUpdate),
			p(outlay.ObjBudgets, outlay.ActRead), p(outlay.ObjComments, outlay.ActCreate), p(outlay.ObjAttachments, outlay.ActCreate),
			p(outlay.ObjSpendReport, outlay.ActRead), p(outlay.ObjSpendReport, outlay.ActExport),
		}},
	{Key: "finance", Label: "Finance", Summary: "Approves spend, sees every request and order, keeps budgets and GL accounts, reports spend, reads the audit log.",
		Perms: []Permission{
			p(outlay.ObjRequisitions, outlay.ActRead), p(outlay.ObjRequisitionsAll, outlay.ActRead), p(outlay.ObjApprovals, outlay.ActRead), p(outlay.ObjApprovals, outlay.ActApprove),
			p(outlay.ObjPurchaseOrders, outlay.ActRead), p(outlay.ObjVendors, outlay.ActRead),
			p(outlay.ObjBudgets, outlay.ActRead), p(outlay.ObjBudgets, outlay.ActCreate), p(outlay.ObjBudgets, outlay.ActUpdate),
			p(outlay.ObjGLAccounts, outlay.ActRead), p(outlay.ObjGLAccounts, outlay.ActCreate), p(outlay.ObjGLAccounts, outlay.ActUpdate),
			p(outlay.ObjAudit, outlay.ActRead), p(outlay.ObjAudit, outlay.ActExport), p(outlay.ObjComments, outlay.ActCreate),
			p(outlay.ObjSpendReport, outlay.ActRead), p(outlay.ObjSpendReport, outlay.ActExport), p(outlay.ObjSpendReportAll, outlay.ActRead),
		}},
}

// FindRoleTemplate returns the template with this key.
func FindRoleTemplate(key string) (RoleTemplate, bool) {
	for _, t := range RoleTemplates {
		if t.Key == key {
			return t, true
		}
	}
	return RoleTemplate{}, false
}
