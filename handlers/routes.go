package handlers

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/policy"
	"outlay/views/expenses"
	"outlay/views/imports"
	"outlay/views/reports"
	"outlay/views/travel"
)

// Access says who may use a route.
type Access int

const (
	// Public routes need no sign-in (the sign-in pages themselves).
	Public Access = iota
	// SignedIn routes need a signed-in user and nothing more (the dashboard, which every
	// refused page returns to, so no policy may take it away).
	SignedIn
	// Permitted routes need the route's permission from one of the user's roles.
	Permitted
)

// Route is one entry of the route table. The table is the product's map of pages: the
// navigation is drawn from it, the roles page lists its permissions, and tests walk it to
// prove every route's access rule.
type Route struct {
	Method string
	Path   string
	Access Access
	Perm   policy.Permission // for Permitted routes
	// Widen is a permission that widens what the route shows (everyone's figures instead of
	// the person's own); the roles page lists it with the route's own.
	Widen    policy.Permission
	NavLabel string // non-empty: the route appears in the navigation under this label
	API      bool   // a JSON route under /api/v1, authenticated by bearer token
	Upload   bool   // takes a file: its body is streamed, and read only by the handler
	Handler  fiber.Handler
}

func public(method, path string, h fiber.Handler) Route {
	return Route{Method: method, Path: path, Access: Public, Handler: h}
}

func signedIn(method, path string, h fiber.Handler) Route {
	return Route{Method: method, Path: path, Access: SignedIn, Handler: h}
}

func permitted(method, path, object, action string, h fiber.Handler) Route {
	return Route{Method: method, Path: path, Access: Permitted, Perm: policy.Permission{Object: object, Action: action}, Handler: h}
}

func (r Route) nav(label string) Route { r.NavLabel = label; return r }

// navSections group the navigation: each page listed in the navigation belongs to one
// section, shown in this order (the unnamed first section holds the dashboard).
var navSections = []struct {
	Name  string
	Paths []string
}{
	{"", []string{"/dashboard"}},
	{"Spend", []string{"/requisitions", "/travel", "/expenses", "/approvals", "/purchase-orders", "/purchase-orders/to-order", "/requisitions/all", "/travel/all", "/expenses/all", "/vendors", reports.SpendPath}},
	{"Setup", []string{"/admin/departments", "/admin/locations", "/admin/gl-accounts", "/admin/budgets", "/admin/approval-rules", "/admin/expense-categories", "/admin/mileage-rates", "/admin/per-diem-rates", "/admin/settings"}},
	{"Administration", []string{"/admin/users", "/admin/roles", "/admin/sso", "/admin/security", "/admin/tokens", "/audit", imports.Path}},
	{"You", []string{"/settings/tokens", "/settings/security", "/settings/notifications"}},
}

func (r Route) widenedBy(object, action string) Route {
	r.Widen = policy.Permission{Object: object, Action: action}
	return r
}

func (r Route) api() Route { r.API = true; return r }

func (r Route) upload() Route { r.Upload = true; return r }

// refRoutes are the routes of one kind of reference data: its list (in the navigation under
// its title) and its export, create, show, update, archive and unarchive, and History.
func (s *Server) refRoutes(k *refKind, list fiber.Handler) []Route {
	return []Route{
		permitted(get, k.path, k.object, policy.Read, list).nav(k.title),
		s.exportRoute(k.path, k.object, policy.Read, k.export),
		permitted(get, k.path+"/new", k.object, policy.Create, s.refNew(k)),
		permitted(post, k.path, k.object, policy.Create, s.refCreate(k)),
		permitted(get, k.path+"/:id", k.object, policy.Read, s.refShow(k)),
		permitted(post, k.path+"/:id", k.object, policy.Update, s.refUpdate(k)),
		permitted(post, k.path+"/:id/archive", k.object, policy.Update, s.refArchive(k, true)),
		permitted(post, k.path+"/:id/unarchive", k.object, policy.Update, s.refArchive(k, false)),
		permitted(get, k.path+"/:id/history", k.object, policy.Read, s.refHistory(k)),
	}
}

// Routes returns the route table, for tests and tools that check it.
func (s *Server) Routes() []Route { return s.routes }

const (
	get  = fiber.MethodGet
	post = fiber.MethodPost
)

func (s *Server) routeTable() []Route {
	return slices.Concat([]Route{
		public(get, "/", s.home),
		public(get, "/login", s.loginPage),
		public(post, "/login", s.login),
		public(post, "/logout", s.logout),
		public(get, "/password/forgot", s.forgotPage),
		public(post, "/password/forgot", s.forgot),
		public(get, "/password/reset/:token", s.resetPage),
		public(post, "/password/reset/:token", s.reset),
		// A notification mail's unsubscribe link: signed, naming the person and the kind, no
		// sign-in. GET asks, POST stops (also in one click from a mail program).
		public(get, "/unsubscribe/:token", s.unsubscribePage),
		public(post, "/unsubscribe/:token", s.unsubscribe),
		public(get, "/auth/:provider", s.ssoBegin),
		public(get, "/auth/:provider/callback", s.ssoCallback),
		// The second factor: these read only the half-signed-in state, never a session.
		public(get, "/login/two-factor", s.twoFactorPage),
		public(post, "/login/two-factor", s.twoFactorVerify),
		public(get, "/login/two-factor/enrol", s.twoFactorEnrolPage),
		public(post, "/login/two-factor/enrol", s.twoFactorEnrol),
		signedIn(get, "/dashboard", s.dashboard).nav("Dashboard"),

		permitted(get, "/admin/users", "admin.users", policy.Read, s.usersPage).nav("Users"),
		s.exportRoute("/admin/users", "admin.users", policy.Read, userExport),
		permitted(get, "/admin/users/new", "admin.users", policy.Create, s.newUserPage),
		permitted(post, "/admin/users", "admin.users", policy.Create, s.inviteUser),
		permitted(get, "/admin/users/:id", "admin.users", policy.Read, s.userPage),
		permitted(post, "/admin/users/:id", "admin.users", policy.Update, s.updateUser),
		permitted(post, "/admin/users/:id/deactivate", "admin.users", policy.Update, s.deactivateUser),
		permitted(post, "/admin/users/:id/reactivate", "admin.users", policy.Update, s.reactivateUser),
		permitted(post, "/admin/users/:id/invitation", "admin.users", policy.Update, s.resendInvitation),
		permitted(get, "/admin/users/:id/history", "admin.users", policy.Read, s.userHistory),

		permitted(get, "/admin/roles", "admin.roles", policy.Read, s.rolesPage).nav("Roles"),
		permitted(get, "/admin/roles/preview", "admin.roles", policy.Read, s.rolePreview),
		permitted(post, "/admin/roles", "admin.roles", policy.Create, s.createRole),
		permitted(post, "/admin/roles/:role/permissions", "admin.roles", policy.Update, s.togglePermission),
		permitted(post, "/admin/roles/:role/rename", "admin.roles", policy.Update, s.renameRole),
		permitted(post, "/admin/roles/:role/delete", "admin.roles", policy.Delete, s.deleteRole),
		permitted(get, "/admin/roles/:role/history", "admin.roles", policy.Read, s.roleHistory),

		permitted(get, "/audit", "audit", policy.Read, s.auditPage).nav("Audit log"),
		s.exportRoute("/audit", "audit", policy.Export, auditExport),

		// Imports of setup data: the page and templates, the upload, its preview (with the
		// column mapping), the commit, and the progress a large one shows.
		permitted(get, imports.Path, outlay.ObjImport, policy.Import, s.importPage).nav("Import"),
		permitted(post, imports.Path, outlay.ObjImport, policy.Import, s.uploadImport).upload(),
		permitted(get, imports.Path+"/templates/:file", outlay.ObjImport, policy.Import, s.importTemplate),
		permitted(get, imports.Path+"/:id", outlay.ObjImport, policy.Import, s.importItem),
		permitted(post, imports.Path+"/:id/mapping", outlay.ObjImport, policy.Import, s.importMapping),
		permitted(post, imports.Path+"/:id/commit", outlay.ObjImport, policy.Import, s.commitImport),
		permitted(get, imports.Path+"/:id/progress", outlay.ObjImport, policy.Import, s.importProgress),

		permitted(get, "/settings/tokens", "tokens", policy.Read, s.ownTokensPage).nav("API tokens"),
		permitted(post, "/settings/tokens", "tokens", policy.Create, s.createToken),
		permitted(post, "/settings/tokens/:id/revoke", "tokens", policy.Delete, s.revokeOwnToken),
		permitted(get, "/admin/tokens", "admin.tokens", policy.Read, s.adminTokensPage).nav("All API tokens"),
		permitted(post, "/admin/tokens/:id/revoke", "admin.tokens", policy.Delete, s.revokeAnyToken),
		signedIn(get, "/settings/security", s.securityPage).nav("Security"),
		signedIn(get, "/settings/notifications", s.notificationPrefsPage).nav("Notifications"),
		signedIn(post, "/settings/notifications", s.updateNotificationPrefs),
		signedIn(get, "/notifications", s.notificationsPage),
		signedIn(get, "/notifications/bell", s.notificationsBell),
		signedIn(post, "/notifications/read-all", s.markAllNotificationsRead),
		signedIn(post, "/notifications/:id/read", s.markNotificationRead),
		signedIn(post, "/settings/security/enrol", s.enrolOwn),
		signedIn(post, "/settings/security/recovery-codes", s.regenerateRecoveryCodes),
		signedIn(post, "/settings/security/disable", s.disableOwnTwoFactor),
		permitted(get, "/admin/security", "admin.security", policy.Read, s.securityAdminPage).nav("Sign-in security"),
		permitted(post, "/admin/security", "admin.security", policy.Update, s.updateSecurityPolicy),
		permitted(post, "/admin/users/:id/two-factor/reset", "admin.security", policy.Update, s.resetUserTwoFactor),
		permitted(get, "/admin/sso", "admin.sso", policy.Read, s.ssoAdminPage).nav("Single sign-on"),
		permitted(post, "/admin/sso/providers", "admin.sso", policy.Update, s.createSSOProvider),
		permitted(post, "/admin/sso/providers/:id", "admin.sso", policy.Update, s.updateSSOProvider),
		permitted(get, "/admin/sso/providers/:id/history", "admin.sso", policy.Read, s.ssoProviderHistory),
		permitted(post, "/admin/sso/providers/:id/delete", "admin.sso", policy.Update, s.deleteSSOProvider),
		permitted(post, "/admin/sso/settings", "admin.sso", policy.Update, s.updateSSOSettings),
		permitted(post, "/admin/users/:id/identities/:identity/unlink", "admin.sso", policy.Update, s.unlinkIdentity),

		// Reference data: departments, locations, vendors, GL accounts, budgets, settings.
	}, s.refRoutes(departmentsRef, s.departmentsPage), []Route{}, s.refRoutes(locationsRef, s.locationsPage), []Route{}, s.refRoutes(vendorsRef, s.vendorsPage), []Route{}, s.refRoutes(glAccountsRef, s.glAccountsPage), []Route{}, s.refRoutes(budgetsRef, s.budgetsPage), []Route{
		// A vendor's bank details: kept encrypted, shown masked.
		permitted(get, "/vendors/:id/bank", models.ObjVendorBank, policy.Update, s.vendorBankPage),
		permitted(post, "/vendors/:id/bank", models.ObjVendorBank, policy.Update, s.saveVendorBank),
		permitted(post, "/vendors/:id/bank/remove", models.ObjVendorBank, policy.Update, s.removeVendorBank),
		permitted(get, "/admin/settings", "admin.settings", policy.Read, s.settingsPage).nav("Settings"),
		permitted(post, "/admin/settings", "admin.settings", policy.Update, s.updateSettings),
		permitted(get, "/admin/settings/history", "admin.settings", policy.Read, s.settingsHistory),
		// Requisitions: the requester's own list and form, everyone's submitted ones, and the
		// form's live total and lines. Record-level rules (own drafts) live in the models.
		permitted(get, "/requisitions", "requisitions", policy.Read, s.myRequisitions).nav("Requisitions"),
		permitted(get, "/requisitions/new", "requisitions", policy.Create, s.newRequisitionPage),
		permitted(get, "/requisitions/all", "requisitions.all", policy.Read, s.allRequisitions).nav("All requisitions"),
		s.exportRoute("/requisitions", "requisitions", policy.Read, requisitionExport(false)),
		s.exportRoute("/requisitions/all", "requisitions.all", policy.Read, requisitionExport(true)),
		permitted(post, "/requisitions", "requisitions", policy.Create, s.createRequisition),
		permitted(post, "/requisitions/lines", "requisitions", policy.Create, s.requisitionLines),
		permitted(post, "/requisitions/totals", "requisitions", policy.Create, s.requisitionTotals),
		permitted(post, "/requisitions/check", "requisitions", policy.Create, s.checkRequisitionSubmission),
		permitted(get, "/requisitions/:id", "requisitions", policy.Read, s.requisitionPage),
		permitted(get, "/requisitions/:id/history", "requisitions", policy.Read, s.requisitionHistory),
		permitted(post, "/requisitions/:id", "requisitions", policy.Update, s.updateRequisition),
		permitted(post, "/requisitions/:id/withdraw", "requisitions", policy.Update, s.withdrawRequisition),
		permitted(post, "/requisitions/:id/delete", "requisitions", policy.Update, s.deleteRequisition),
		permitted(post, "/requisitions/:id/copy", "requisitions", policy.Create, s.copyRequisition),
		// Travel requests: the traveller's (or filer's) own trips and form, everyone's
		// submitted ones, the form's legs, and a trip's comments and files. Record-level rules
		// live in the models.
		permitted(get, "/travel", "travel", policy.Read, s.myTrips).nav("Travel"),
		permitted(get, "/travel/new", "travel", policy.Create, s.newTripPage),
		permitted(get, "/travel/all", "travel.all", policy.Read, s.allTrips).nav("All travel"),
		s.exportRoute("/travel", "travel", policy.Read, tripExport(false)),
		s.exportRoute("/travel/all", "travel.all", policy.Read, tripExport(true)),
		permitted(post, "/travel", "travel", policy.Create, s.createTrip),
		permitted(post, "/travel/legs", "travel", policy.Create, s.tripLegsEdit),
		permitted(post, travel.TotalsPath, "travel", policy.Create, s.tripTotals),
		permitted(get, "/travel/:id", "travel", policy.Read, s.tripPage),
		permitted(get, "/travel/:id/history", "travel", policy.Read, s.tripHistory),
		permitted(post, "/travel/:id", "travel", policy.Update, s.updateTrip),
		permitted(post, "/travel/:id/withdraw", "travel", policy.Update, s.withdrawTrip),
		permitted(post, "/travel/:id/delete", "travel", policy.Update, s.deleteTrip),
		// An approved trip starts its expense report (the traveller's or filer's, in the model).
		permitted(post, "/travel/:id/expense-report", "expenses", policy.Create, s.startTripExpense),
		permitted(post, "/travel/:id/comments", "comments", policy.Create, s.postComment(travelDocs)),
		permitted(post, "/travel/:id/attachments", "attachments", policy.Create, s.postAttachment(travelDocs)).upload(),
		permitted(get, "/travel/:id/attachments/:attachment", "travel", policy.Read, s.downloadAttachment(travelDocs)),
		// Expense reports: the owner's list and form (receipts per line), everyone's submitted
		// ones, and the admin's expense policy. Record-level rules live in the models.
		permitted(get, "/expenses", "expenses", policy.Read, s.myExpenses).nav("Expenses"),
		permitted(get, "/expenses/new", "expenses", policy.Create, s.newExpensePage),
		permitted(get, "/expenses/all", "expenses.all", policy.Read, s.allExpenses).nav("All expenses"),
		s.exportRoute("/expenses", "expenses", policy.Read, expenseExport(false)),
		s.exportRoute("/expenses/all", "expenses.all", policy.Read, expenseExport(true)),
		permitted(post, "/expenses", "expenses", policy.Create, s.createExpense),
		permitted(post, expenses.TotalsPath, "expenses", policy.Create, s.expenseTotals),
		permitted(get, "/expenses/:id", "expenses", policy.Read, s.expensePage),
		permitted(get, "/expenses/:id/history", "expenses", policy.Read, s.expenseHistory),
		permitted(post, "/expenses/:id", "expenses", policy.Update, s.updateExpense),
		permitted(post, "/expenses/:id/delete", "expenses", policy.Update, s.deleteExpense),
		permitted(post, "/expenses/:id/lines/:line/receipt", "expenses", policy.Update, s.attachExpenseReceipt).upload(),
		permitted(post, "/expenses/:id/comments", "comments", policy.Create, s.postComment(expenseDocs)),
		permitted(post, "/expenses/:id/attachments", "attachments", policy.Create, s.postAttachment(expenseDocs)).upload(),
		permitted(get, "/expenses/:id/attachments/:attachment", "expenses", policy.Read, s.downloadAttachment(expenseDocs)),
	}, s.refRoutes(expenseCategoriesRef, s.expenseCategoriesPage), []Route{}, s.refRoutes(mileageRatesRef, s.mileageRatesPage), []Route{}, s.refRoutes(perDiemRatesRef, s.perDiemRatesPage), []Route{
		permitted(get, "/admin/receipt-threshold", "admin.expense_policy", policy.Read, s.receiptThresholdPage),
		permitted(post, "/admin/receipt-threshold", "admin.expense_policy", policy.Update, s.updateReceiptThreshold),
		// Approvals: the approver's queue, decisions and out-of-office delegation, and the
		// approval rules admin.
		permitted(get, "/approvals", "approvals", policy.Read, s.approvalsPage).nav("Approvals"),
		permitted(post, "/approvals/bulk", "approvals", policy.Approve, s.bulkApprove),
		permitted(get, "/approvals/delegation", "approvals", policy.Update, s.delegationPage),
		permitted(post, "/approvals/delegation", "approvals", policy.Update, s.setDelegation),
		permitted(post, "/approvals/delegation/:id/delete", "approvals", policy.Update, s.clearDelegation),
		permitted(get, "/approvals/:step", "approvals", policy.Read, s.approvalDetails),
		permitted(post, "/approvals/:step/approve", "approvals", policy.Approve, s.approveStep),
		permitted(post, "/approvals/:step/reject", "approvals", policy.Approve, s.rejectStep),
		permitted(get, "/admin/approval-rules", "admin.approval_rules", policy.Read, s.approvalRulesPage).nav("Approval rules"),
		permitted(get, "/admin/approval-rules/new", "admin.approval_rules", policy.Create, s.newApprovalRulePage),
		permitted(get, "/admin/approval-rules/steps", "admin.approval_rules", policy.Read, s.ruleSteps),
		permitted(post, "/admin/approval-rules", "admin.approval_rules", policy.Create, s.createApprovalRule),
		permitted(get, "/admin/approval-rules/:id", "admin.approval_rules", policy.Read, s.approvalRulePage),
		permitted(post, "/admin/approval-rules/:id", "admin.approval_rules", policy.Update, s.updateApprovalRule),
		permitted(post, "/admin/approval-rules/:id/archive", "admin.approval_rules", policy.Update, s.archiveApprovalRule),
		permitted(get, "/admin/approval-rules/:id/history", "admin.approval_rules", policy.Read, s.approvalRuleHistory),

		// Purchasing: purchase orders and receiving; comments and attachments of requisitions and orders.
		permitted(get, "/purchase-orders", "purchase_orders", policy.Read, s.purchaseOrdersPage).nav("Purchase orders"),
		s.exportRoute("/purchase-orders", "purchase_orders", policy.Read, purchaseOrderExport),
		permitted(get, "/purchase-orders/to-order", "purchase_orders", policy.Create, s.toOrderPage).nav("To order"),
		// Requesters may open the orders made from their own requisitions, read-only; the
		// kind's visibility finds no other for them.
		permitted(get, "/purchase-orders/:id", "requisitions", policy.Read, s.purchaseOrderPage),
		permitted(get, "/purchase-orders/:id/history", "purchase_orders", policy.Read, s.purchaseOrderHistory),
		permitted(get, "/purchase-orders/:id/print", "purchase_orders", policy.Read, s.purchaseOrderPrint),
		permitted(post, "/requisitions/:id/purchase-order", "purchase_orders", policy.Create, s.createPurchaseOrder),
		permitted(post, "/purchase-orders/:id/receipts", "purchase_orders", policy.Update, s.recordReceipt),
		permitted(post, "/purchase-orders/:id/close", "purchase_orders", policy.Update, s.closePurchaseOrder),
		permitted(post, "/purchase-orders/:id/terms", "purchase_orders", policy.Update, s.updateOrderTerms),
		permitted(post, "/purchase-orders/:id/email", "purchase_orders", policy.Update, s.emailPurchaseOrder),
		permitted(post, "/purchase-orders/:id/comments", "comments", policy.Create, s.postComment(purchaseOrderDocs)),
		permitted(post, "/purchase-orders/:id/attachments", "attachments", policy.Create, s.postAttachment(purchaseOrderDocs)).upload(),
		permitted(get, "/purchase-orders/:id/attachments/:attachment", "purchase_orders", policy.Read, s.downloadAttachment(purchaseOrderDocs)),
		permitted(post, "/requisitions/:id/comments", "comments", policy.Create, s.postComment(requisitionDocs)),
		permitted(post, "/requisitions/:id/attachments", "attachments", policy.Create, s.postAttachment(requisitionDocs)).upload(),
		permitted(get, "/requisitions/:id/attachments/:attachment", "requisitions", policy.Read, s.downloadAttachment(requisitionDocs)),

		// Reports: spend of the person's own departments, or of every one with the wider permission.
		permitted(get, reports.SpendPath, outlay.ObjSpendReport, policy.Read, s.spendReport).nav("Spend report").
			widenedBy(outlay.ObjSpendReportAll, policy.Read),
		permitted(get, reports.SpendCSVPath, outlay.ObjSpendReport, policy.Export, s.spendCSV),

		signedIn(get, "/api/v1/me", s.apiMe).api(),
		permitted(get, "/api/v1/tokens", "tokens", policy.Read, s.apiTokens).api(),
	})
}

// Permissions lists the distinct permissions the route table uses, in table order: the rows of
// the roles page.
func (s *Server) Permissions() []policy.Permission {
	seen := map[policy.Permission]bool{}
	var out []policy.Permission
	for _, r := range s.routes {
		if r.Access != Permitted {
			continue
		}
		for _, p := range []policy.Permission{r.Perm, r.Widen} {
			if p.Object != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// allowed reports whether the request's user may use route r.
func (s *Server) allowed(c *fiber.Ctx, r Route) bool {
	switch r.Access {
	case Public:
		return true
	case SignedIn:
		return currentUser(c) != nil
	case Permitted:
		return s.can(c, r.Perm)
	}
	return false
}

// can reports whether the request's user holds p; views use it to show only the buttons of
// actions the user may take.
func (s *Server) can(c *fiber.Ctx, p policy.Permission) bool {
	st := stateOf(c)
	return st.user != nil && st.policy != nil && st.policy.Allowed(st.user.Roles, p)
}
