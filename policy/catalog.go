package policy

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
	"approvals":            "Approvals",
	"purchase_orders":      "Purchase orders",
	"vendors":              "Vendors",
	"admin.departments":    "Departments",
	"admin.locations":      "Locations",
	"admin.gl_accounts":    "GL accounts",
	"admin.budgets":        "Budgets",
	"admin.approval_rules": "Approval rules",
	"admin.settings":       "Organisation settings",
	"comments":             "Comments on documents",
	"attachments":          "Files on documents",
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
