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
			p("requisitions", Read), p("requisitions", Create), p("requisitions", Update), p("requisitions.all", Read),
			p("purchase_orders", Read), p("purchase_orders", Create), p("purchase_orders", Update),
			p("vendors", Read), p("vendors", Create), p("vendors", Update),
			p("comments", Create), p("attachments", Create),
		}},
	{Key: "department_head", Label: "Department head", Summary: "Raises requests, approves the department's, watches its budgets and reads its spend.",
		Perms: []Permission{
			p("requisitions", Read), p("requisitions", Create), p("requisitions", Update),
			p("approvals", Read), p("approvals", Approve), p("approvals", Update),
			p("admin.budgets", Read), p("comments", Create), p("attachments", Create),
			p(outlay.ObjSpendReport, Read), p(outlay.ObjSpendReport, Export),
		}},
	{Key: "finance", Label: "Finance", Summary: "Approves spend, sees every request and order, keeps budgets and GL accounts, reports spend, reads the audit log.",
		Perms: []Permission{
			p("requisitions", Read), p("requisitions.all", Read), p("approvals", Read), p("approvals", Approve),
			p("purchase_orders", Read), p("vendors", Read),
			p("admin.budgets", Read), p("admin.budgets", Create), p("admin.budgets", Update),
			p("admin.gl_accounts", Read), p("admin.gl_accounts", Create), p("admin.gl_accounts", Update),
			p("audit", Read), p("audit", Export), p("comments", Create),
			p(outlay.ObjSpendReport, Read), p(outlay.ObjSpendReport, Export), p(outlay.ObjSpendReportAll, Read),
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
