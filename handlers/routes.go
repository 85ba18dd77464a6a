package handlers

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/policy"
	"outlay/views/approvalrules"
	"outlay/views/approvals"
	"outlay/views/auditlog"
	authviews "outlay/views/auth"
	"outlay/views/bills"
	"outlay/views/dashboard"
	"outlay/views/expenses"
	"outlay/views/imports"
	"outlay/views/notifications"
	"outlay/views/payables"
	"outlay/views/purchasing"
	"outlay/views/reports"
	"outlay/views/requisitions"
	"outlay/views/roles"
	"outlay/views/security"
	ssoviews "outlay/views/sso"
	"outlay/views/tenantexport"
	"outlay/views/tokens"
	"outlay/views/travel"
	"outlay/views/users"
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
	// AlsoOpenedBy, when set, opens the route as well to roles without Perm; the handler's
	// queries narrow what such a person sees to what is theirs (a requester, the order made
	// from their requisition). The roles page lists it with the route's own.
	AlsoOpenedBy policy.Permission
	// Widen is a permission that widens what the route shows (everyone's figures instead of
	// the person's own); the roles page lists it with the route's own.
	Widen    policy.Permission
	NavLabel string // non-empty: the route appears in the navigation under this label
	API      bool   // a JSON route under /api/v1, authenticated by bearer token
	Upload   bool   // takes a file: its body is streamed, and read only by the handler
	// CallsOut marks a route that waits on another server (an identity provider): like an
	// upload it takes no turn among its tenant's requests (tenancy.Pools.AcquireRequest), so
	// that a slow provider holds back only the sign-ins that wait on it.
	CallsOut bool
	// WhileReadOnly marks a change a lapsed (read-only) organisation still allows: signing in
	// and out, and exporting its data. Every other POST is refused while it is lapsed.
	WhileReadOnly bool
	// Form marks a page that is a form for a change and nothing else (a "New" form, an edit
	// form of its own): while the organisation is read-only it answers what the organisation
	// may still do instead of a form whose post would be refused.
	Form bool
	// Fragment marks a route that answers a part of a page fetched as the person works (a
	// lookup's matches): refused, it answers 403 rather than leaving the page.
	Fragment bool
	// GetOnly marks a GET that changes something as it answers (records a download or an
	// export, spends a sign-in's state, marks a notification read, makes an authenticator
	// secret): it does not also answer HEAD, which a link checker or a download manager sends
	// without meaning to do anything. Every other GET answers HEAD too.
	GetOnly bool
	// Confirmed marks a change a stolen session must not be enough for: the person must have
	// confirmed it's them (password or code) within the last minutes (requireConfirmation).
	Confirmed bool
	// ConfirmRefused shows a Confirmed route's form again when its confirmation is refused.
	ConfirmRefused confirmRefused
	Handler        fiber.Handler
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
	{"", []string{dashboard.Path}},
	// One's own requests and approvals; then the buyers' pages; then the finance team's
	// (everyone's travel and expenses, paying them back, bills and what they owe).
	{"Spend", []string{requisitions.ListPath, travel.ListPath, expenses.ListPath, approvals.QueuePath}},
	{"Purchasing", []string{requisitions.AllPath, purchasing.ToOrderPath, purchasing.ListPath, vendorsRef.path}},
	{"Finance", []string{travel.AllPath, expenses.AllPath, expenses.ReimbursementsPath, bills.ListPath, payables.AgingPath, payables.PaymentsPath, payables.ExportsPath, reports.SpendPath}},
	{"Setup", []string{departmentsRef.path, locationsRef.path, glAccountsRef.path, budgetsRef.path, approvalrules.ListPath, expenseCategoriesRef.path, mileageRatesRef.path, perDiemRatesRef.path, bills.SettingsPath, payables.PaymentSettingsPath, settingsPath, expenses.OrgBankAccountPath}},
	{"Administration", []string{users.ListPath, roles.ListPath, ssoviews.Path, security.AdminPath, tokens.AdminPath, auditlog.Path, imports.Path, tenantexport.Path}},
	{"You", []string{tokens.OwnPath, security.SettingsPath, notifications.PrefsPath, expenses.BankAccountPath}},
}

func (r Route) widenedBy(object, action string) Route {
	r.Widen = policy.Permission{Object: object, Action: action}
	return r
}

func (r Route) alsoOpenedBy(object, action string) Route {
	r.AlsoOpenedBy = policy.Permission{Object: object, Action: action}
	return r
}

func (r Route) api() Route { r.API = true; return r }

func (r Route) upload() Route { r.Upload = true; return r }

func (r Route) callsOut() Route { r.CallsOut = true; return r }

func (r Route) whileReadOnly() Route { r.WhileReadOnly = true; return r }

func (r Route) form() Route { r.Form = true; return r }

func (r Route) fragment() Route { r.Fragment = true; return r }

func (r Route) getOnly() Route { r.GetOnly = true; return r }

func (r Route) confirmed(refused confirmRefused) Route {
	r.Confirmed, r.ConfirmRefused = true, refused
	return r
}

// refRoutes are the routes of one kind of reference data: its list (in the navigation under
// its title) and its export, create, show, update, archive and unarchive, and History.
func (s *Server) refRoutes(k *refKind, list fiber.Handler) []Route {
	return []Route{
		permitted(get, k.path, k.object, outlay.ActRead, list).nav(k.title),
		s.exportRoute(k.path, k.object, outlay.ActRead, k.export),
		permitted(get, k.path+"/new", k.object, outlay.ActCreate, s.refNew(k)).form(),
		permitted(post, k.path, k.object, outlay.ActCreate, s.refCreate(k)),
		permitted(get, k.path+"/:id", k.object, outlay.ActRead, s.refShow(k)),
		permitted(post, k.path+"/:id", k.object, outlay.ActUpdate, s.refUpdate(k)),
		permitted(post, k.path+"/:id/archive", k.object, outlay.ActUpdate, s.refArchive(k, true)),
		permitted(post, k.path+"/:id/unarchive", k.object, outlay.ActUpdate, s.refArchive(k, false)),
		permitted(get, k.path+"/:id/history", k.object, outlay.ActRead, s.refHistory(k)),
	}
}

// discussionRoutes are the routes every kind of document has below its own page: comments
// and files posted to it, and a file downloaded by whoever may read the kind.
func (s *Server) discussionRoutes(k docKind) []Route {
	return []Route{
		permitted(post, k.Base+idParam+"/comments", outlay.ObjComments, outlay.ActCreate, s.postComment(k)),
		permitted(post, k.Base+idParam+"/attachments", outlay.ObjAttachments, outlay.ActCreate, s.postAttachment(k)).upload(),
		permitted(get, k.Base+idParam+"/attachments/:attachment", k.Read.Object, k.Read.Action, s.downloadAttachment(k)),
	}
}

// Routes returns the route table, for tests and tools that check it.
func (s *Server) Routes() []Route { return s.routes }

const (
	get  = fiber.MethodGet
	post = fiber.MethodPost
	// id is the part of a route's path that names one record below a list.
	idParam = "/:id"
)

func (s *Server) routeTable() []Route {
	return slices.Concat([]Route{
		public(get, "/", s.home),
		public(get, authviews.LoginPath, s.loginPage),
		public(post, authviews.LoginPath, s.login).whileReadOnly(),
		public(get, authviews.LogoutPath, s.logoutPage),
		public(post, authviews.LogoutPath, s.logout).whileReadOnly(),
		public(get, authviews.ForgotPath, s.forgotPage),
		// A lapsed organisation's people may still reset a forgotten password: they have
		// until the purge to sign in and export.
		public(post, authviews.ForgotPath, s.forgot).whileReadOnly(),
		public(get, authviews.ResetPath+"/:token", s.resetPage),
		public(post, authviews.ResetPath+"/:token", s.reset).whileReadOnly(),
		// A notification mail's unsubscribe link: signed, naming the person and the kind, no
		// sign-in. GET asks, POST stops (also in one click from a mail program).
		public(get, notifications.UnsubscribePath+"/:token", s.unsubscribePage),
		public(post, notifications.UnsubscribePath+"/:token", s.unsubscribe),
		public(get, authviews.SSOPath+"/:provider", s.ssoBegin).callsOut().getOnly(),
		public(get, authviews.SSOPath+"/:provider/callback", s.ssoCallback).callsOut().getOnly(),
		// The second factor: these read only the half-signed-in state, never a session.
		public(get, security.CodePath, s.twoFactorPage),
		public(post, security.CodePath, s.twoFactorVerify).whileReadOnly(),
		public(get, security.EnrolPath, s.twoFactorEnrolPage).getOnly(),
		public(post, security.EnrolPath, s.twoFactorEnrol).whileReadOnly(),
		public(get, authviews.SSOLinkPath, s.ssoLinkPage),
		public(post, authviews.SSOLinkPath, s.ssoLinkConfirm).whileReadOnly(),
		signedIn(get, dashboard.Path, s.dashboard).nav("Dashboard"),

		permitted(get, users.ListPath, outlay.ObjUsers, outlay.ActRead, s.usersPage).nav("Users"),
		s.exportRoute(users.ListPath, outlay.ObjUsers, outlay.ActRead, userExport),
		permitted(get, users.NewPath, outlay.ObjUsers, outlay.ActCreate, s.newUserPage).form(),
		s.lookupRoute(users.ManagerLookupPath, outlay.ObjUsers, outlay.ActRead, peopleIn(models.PeopleCurrent)),
		permitted(post, users.ListPath, outlay.ObjUsers, outlay.ActCreate, s.inviteUser),
		permitted(get, users.ListPath+idParam, outlay.ObjUsers, outlay.ActRead, s.userPage),
		permitted(post, users.ListPath+idParam, outlay.ObjUsers, outlay.ActUpdate, s.updateUser),
		permitted(post, users.ListPath+idParam+"/deactivate", outlay.ObjUsers, outlay.ActUpdate, s.deactivateUser),
		permitted(post, users.ListPath+idParam+"/reactivate", outlay.ObjUsers, outlay.ActUpdate, s.reactivateUser),
		permitted(post, users.ListPath+idParam+"/invitation", outlay.ObjUsers, outlay.ActUpdate, s.resendInvitation),
		permitted(post, users.ListPath+idParam+"/password-reset", outlay.ObjUsers, outlay.ActUpdate, s.sendPasswordResetLink),
		permitted(get, users.ListPath+idParam+"/history", outlay.ObjUsers, outlay.ActRead, s.userHistory),

		permitted(get, roles.ListPath, outlay.ObjRoles, outlay.ActRead, s.rolesPage).nav("Roles"),
		permitted(get, roles.PreviewPath, outlay.ObjRoles, outlay.ActRead, s.rolePreview),
		s.lookupRoute(roles.PersonLookupPath, outlay.ObjRoles, outlay.ActRead, peopleIn(models.PeopleCurrent)),
		permitted(post, roles.ListPath, outlay.ObjRoles, outlay.ActCreate, s.createRole),
		permitted(post, roles.ListPath+"/:role/permissions", outlay.ObjRoles, outlay.ActUpdate, s.togglePermission),
		permitted(post, roles.ListPath+"/:role/rename", outlay.ObjRoles, outlay.ActUpdate, s.renameRole),
		permitted(post, roles.ListPath+"/:role/delete", outlay.ObjRoles, outlay.ActDelete, s.deleteRole),
		permitted(get, roles.ListPath+"/:role/history", outlay.ObjRoles, outlay.ActRead, s.roleHistory),

		permitted(get, auditlog.Path, outlay.ObjAudit, outlay.ActRead, s.auditPage).nav("Audit log"),
		s.exportRoute(auditlog.Path, outlay.ObjAudit, outlay.ActExport, auditExport),

		// Imports of setup data: the page and templates, the upload, its preview (with the
		// column mapping), the commit, and the progress a large one shows.
		permitted(get, imports.Path, outlay.ObjImport, outlay.ActImport, s.importPage).nav("Import"),
		permitted(get, tenantexport.Path, outlay.ObjTenantExport, outlay.ActExport, s.tenantExportPage).nav("Export everything"),
		permitted(post, tenantexport.Path, outlay.ObjTenantExport, outlay.ActExport, s.exportEverything).whileReadOnly(),
		permitted(get, tenantexport.Path+"/:id/download", outlay.ObjTenantExport, outlay.ActExport, s.downloadTenantExport).getOnly(),
		permitted(post, imports.Path, outlay.ObjImport, outlay.ActImport, s.uploadImport).upload(),
		permitted(get, imports.Path+"/templates/:file", outlay.ObjImport, outlay.ActImport, s.importTemplate),
		permitted(get, imports.Path+idParam, outlay.ObjImport, outlay.ActImport, s.importItem),
		permitted(post, imports.Path+idParam+"/mapping", outlay.ObjImport, outlay.ActImport, s.importMapping),
		permitted(post, imports.Path+idParam+"/commit", outlay.ObjImport, outlay.ActImport, s.commitImport),
		permitted(get, imports.Path+idParam+"/progress", outlay.ObjImport, outlay.ActImport, s.importProgress),

		permitted(get, tokens.OwnPath, outlay.ObjOwnTokens, outlay.ActRead, s.ownTokensPage).nav("API tokens"),
		s.exportRoute(tokens.OwnPath, outlay.ObjOwnTokens, outlay.ActRead, tokenExport(false)),
		permitted(post, tokens.OwnPath, outlay.ObjOwnTokens, outlay.ActCreate, s.createToken).confirmed(s.tokenFormRefused),
		permitted(post, tokens.OwnPath+idParam+"/revoke", outlay.ObjOwnTokens, outlay.ActDelete, s.revokeOwnToken),
		permitted(get, tokens.AdminPath, outlay.ObjAllTokens, outlay.ActRead, s.adminTokensPage).nav("All API tokens"),
		s.exportRoute(tokens.AdminPath, outlay.ObjAllTokens, outlay.ActRead, tokenExport(true)),
		permitted(post, tokens.AdminPath+idParam+"/revoke", outlay.ObjAllTokens, outlay.ActDelete, s.revokeAnyToken),
		signedIn(get, security.SettingsPath, s.securityPage).nav("Security").getOnly(),
		signedIn(get, notifications.PrefsPath, s.notificationPrefsPage).nav("Notifications"),
		signedIn(post, notifications.PrefsPath, s.updateNotificationPrefs),
		// Each person keeps the bank account they are paid back into.
		signedIn(get, expenses.BankAccountPath, s.bankAccountPage).nav("Bank account"),
		signedIn(post, expenses.BankAccountPath, s.updateBankAccount),
		signedIn(post, expenses.BankAccountPath+"/remove", s.removeBankAccount),
		signedIn(get, notifications.Path, s.notificationsPage),
		s.ownExportRoute(notifications.Path, notificationExport),
		signedIn(get, notifications.BellPath, s.notificationsBell),
		// Marking one's notifications read changes how the bell shows them to oneself, not the
		// organisation's records: a lapsed organisation's people may still.
		signedIn(post, notifications.ReadAllPath, s.markAllNotificationsRead).whileReadOnly(),
		signedIn(post, notifications.Path+idParam+"/read", s.markNotificationRead).whileReadOnly(),
		signedIn(get, notifications.Path+idParam, s.followNotification).getOnly(),
		signedIn(post, security.SettingsPath+"/enrol", s.enrolOwn),
		signedIn(post, security.PasswordPath, s.changeOwnPassword),
		signedIn(post, security.SettingsPath+"/recovery-codes", s.regenerateRecoveryCodes),
		signedIn(post, security.SettingsPath+"/disable", s.disableOwnTwoFactor),
		// Ending a session is signing out, which a lapsed organisation's people still do.
		signedIn(post, security.SessionsPath+"/others", s.signOutOtherSessions).whileReadOnly(),
		signedIn(post, security.SessionsPath+idParam+"/sign-out", s.signOutSession).whileReadOnly(),
		signedIn(get, security.ConfirmPath, s.confirmPage).form(),
		signedIn(post, security.ConfirmPath, s.confirmIdentity),
		permitted(get, security.AdminPath, outlay.ObjSecurity, outlay.ActRead, s.securityAdminPage).nav("Sign-in security"),
		permitted(post, security.AdminPath, outlay.ObjSecurity, outlay.ActUpdate, s.updateSecurityPolicy),
		permitted(post, users.ListPath+idParam+"/two-factor/reset", outlay.ObjSecurity, outlay.ActUpdate, s.resetUserTwoFactor).confirmed(s.twoFactorResetRefused),
		permitted(post, users.ListPath+idParam+"/sessions/sign-out", outlay.ObjUsers, outlay.ActUpdate, s.signOutEverywhere).confirmed(s.signOutEverywhereRefused).whileReadOnly(),
		permitted(get, ssoviews.Path, outlay.ObjSSO, outlay.ActRead, s.ssoAdminPage).nav("Single sign-on"),
		permitted(post, ssoviews.ProvidersPath, outlay.ObjSSO, outlay.ActUpdate, s.createSSOProvider).callsOut().confirmed(s.providerFormRefused),
		permitted(post, ssoviews.ProvidersPath+idParam, outlay.ObjSSO, outlay.ActUpdate, s.updateSSOProvider).callsOut().confirmed(s.providerFormRefused),
		permitted(get, ssoviews.ProvidersPath+idParam+"/history", outlay.ObjSSO, outlay.ActRead, s.ssoProviderHistory),
		permitted(post, ssoviews.ProvidersPath+idParam+"/delete", outlay.ObjSSO, outlay.ActUpdate, s.deleteSSOProvider),
		permitted(post, ssoviews.SettingsPath, outlay.ObjSSO, outlay.ActUpdate, s.updateSSOSettings),
		permitted(post, users.ListPath+idParam+"/identities/:identity/unlink", outlay.ObjSSO, outlay.ActUpdate, s.unlinkIdentity),

		// Reference data: departments, locations, vendors, GL accounts, budgets, settings.
	}, s.refRoutes(departmentsRef, s.departmentsPage), s.refRoutes(locationsRef, s.locationsPage), s.refRoutes(vendorsRef, s.vendorsPage), s.refRoutes(glAccountsRef, s.glAccountsPage), s.refRoutes(budgetsRef, s.budgetsPage), []Route{
		// A department's head is found by typing, by whoever sees departments (their heads are
		// on the list); only active people are offered.
		s.lookupRoute(departmentHeadLookupPath, outlay.ObjDepartments, outlay.ActRead, peopleIn(models.PeopleActive)),
		// A vendor's bank details: kept encrypted, shown masked.
		permitted(get, vendorsRef.path+idParam+"/bank", outlay.ObjVendorBank, outlay.ActUpdate, s.vendorBankPage).form(),
		permitted(post, vendorsRef.path+idParam+"/bank", outlay.ObjVendorBank, outlay.ActUpdate, s.saveVendorBank),
		permitted(post, vendorsRef.path+idParam+"/bank/remove", outlay.ObjVendorBank, outlay.ActUpdate, s.removeVendorBank),
		permitted(get, settingsPath, outlay.ObjSettings, outlay.ActRead, s.settingsPage).nav("Settings"),
		permitted(post, settingsPath, outlay.ObjSettings, outlay.ActUpdate, s.updateSettings),
		permitted(get, settingsPath+"/history", outlay.ObjSettings, outlay.ActRead, s.settingsHistory),
		permitted(get, expenses.OrgBankAccountPath, outlay.ObjSettings, outlay.ActRead, s.orgBankAccountPage).nav(orgBankAccountTitle),
		permitted(post, expenses.OrgBankAccountPath, outlay.ObjSettings, outlay.ActUpdate, s.updateOrgBankAccount),
		// Requisitions: the requester's own list and form, everyone's submitted ones, and the
		// form's live total and lines. Record-level rules (own drafts) live in the models.
		permitted(get, requisitions.ListPath, outlay.ObjRequisitions, outlay.ActRead, s.myRequisitions).nav("Requisitions"),
		permitted(get, requisitions.NewPath, outlay.ObjRequisitions, outlay.ActCreate, s.newRequisitionPage).form(),
		s.lookupRoute(requisitions.VendorLookupPath, outlay.ObjRequisitions, outlay.ActCreate, vendorsIn(models.VendorsForNewDocuments)),
		permitted(get, requisitions.AllPath, outlay.ObjRequisitionsAll, outlay.ActRead, s.allRequisitions).nav("All requisitions"),
		s.lookupRoute(requisitions.RequesterLookupPath, outlay.ObjRequisitionsAll, outlay.ActRead, peopleIn(models.PeopleEver)),
		s.exportRoute(requisitions.ListPath, outlay.ObjRequisitions, outlay.ActRead, requisitionExport(false)),
		s.exportRoute(requisitions.AllPath, outlay.ObjRequisitionsAll, outlay.ActRead, requisitionExport(true)),
		permitted(post, requisitions.ListPath, outlay.ObjRequisitions, outlay.ActCreate, s.createRequisition),
		permitted(post, requisitions.LinesPath, outlay.ObjRequisitions, outlay.ActCreate, s.requisitionLines),
		permitted(post, requisitions.TotalsPath, outlay.ObjRequisitions, outlay.ActCreate, s.requisitionTotals),
		permitted(post, requisitions.CheckPath, outlay.ObjRequisitions, outlay.ActCreate, s.checkRequisitionSubmission),
		permitted(get, requisitions.ListPath+idParam, outlay.ObjRequisitions, outlay.ActRead, s.requisitionPage),
		permitted(get, requisitions.ListPath+idParam+"/history", outlay.ObjRequisitions, outlay.ActRead, s.requisitionHistory),
		permitted(post, requisitions.ListPath+idParam, outlay.ObjRequisitions, outlay.ActUpdate, s.updateRequisition),
		permitted(post, requisitions.ListPath+idParam+"/withdraw", outlay.ObjRequisitions, outlay.ActUpdate, s.withdrawRequisition),
		permitted(post, requisitions.ListPath+idParam+"/delete", outlay.ObjRequisitions, outlay.ActUpdate, s.deleteRequisition),
		permitted(post, requisitions.ListPath+idParam+"/copy", outlay.ObjRequisitions, outlay.ActCreate, s.copyRequisition),
		// Travel requests: the traveller's (or filer's) own trips and form, everyone's
		// submitted ones, the form's legs, and a trip's comments and files. Record-level rules
		// live in the models.
		permitted(get, travel.ListPath, outlay.ObjTravel, outlay.ActRead, s.myTrips).nav("Travel"),
		permitted(get, travel.NewPath, outlay.ObjTravel, outlay.ActCreate, s.newTripPage).form(),
		// Whoever may file trips for others finds who travels as they type.
		s.lookupRoute(travel.TravellerFormLookupPath, outlay.ObjTravelOthers, outlay.ActCreate, peopleIn(models.PeopleCurrent)),
		permitted(get, travel.AllPath, outlay.ObjTravelAll, outlay.ActRead, s.allTrips).nav("All travel"),
		s.lookupRoute(travel.TravellerLookupPath, outlay.ObjTravelAll, outlay.ActRead, peopleIn(models.PeopleEver)),
		s.exportRoute(travel.ListPath, outlay.ObjTravel, outlay.ActRead, tripExport(false)),
		s.exportRoute(travel.AllPath, outlay.ObjTravelAll, outlay.ActRead, tripExport(true)),
		permitted(post, travel.ListPath, outlay.ObjTravel, outlay.ActCreate, s.createTrip),
		permitted(post, travel.LegsPath, outlay.ObjTravel, outlay.ActCreate, s.tripLegsEdit),
		permitted(post, travel.CheckPath, outlay.ObjTravel, outlay.ActCreate, s.checkTripSubmission),
		permitted(post, travel.TotalsPath, outlay.ObjTravel, outlay.ActCreate, s.tripTotals),
		permitted(get, travel.ListPath+idParam, outlay.ObjTravel, outlay.ActRead, s.tripPage),
		permitted(get, travel.ListPath+idParam+"/history", outlay.ObjTravel, outlay.ActRead, s.tripHistory),
		permitted(post, travel.ListPath+idParam, outlay.ObjTravel, outlay.ActUpdate, s.updateTrip),
		permitted(post, travel.ListPath+idParam+"/withdraw", outlay.ObjTravel, outlay.ActUpdate, s.withdrawTrip),
		permitted(post, travel.ListPath+idParam+"/cancel", outlay.ObjTravel, outlay.ActUpdate, s.cancelTrip),
		permitted(post, travel.ListPath+idParam+"/delete", outlay.ObjTravel, outlay.ActUpdate, s.deleteTrip),
		// An approved trip starts its expense report (the traveller's or filer's, in the model).
		permitted(post, travel.ListPath+idParam+"/expense-report", outlay.ObjExpenses, outlay.ActCreate, s.startTripExpense),
	}, s.discussionRoutes(travelDocs), []Route{
		// Expense reports: the owner's list and form (receipts per line), everyone's submitted
		// ones, and the admin's expense policy. Record-level rules live in the models.
		permitted(get, expenses.ListPath, outlay.ObjExpenses, outlay.ActRead, s.myExpenses).nav("Expenses"),
		permitted(get, expenses.NewPath, outlay.ObjExpenses, outlay.ActCreate, s.newExpensePage).form(),
		permitted(get, expenses.AllPath, outlay.ObjExpensesAll, outlay.ActRead, s.allExpenses).nav("All expenses"),
		s.exportRoute(expenses.ListPath, outlay.ObjExpenses, outlay.ActRead, expenseExport(false)),
		s.exportRoute(expenses.AllPath, outlay.ObjExpensesAll, outlay.ActRead, expenseExport(true)),
		// Reimbursements: approved reports grouped into batches, paid, and exported as CSV and
		// as a SEPA credit-transfer file. Registered before /expenses/:id, which would take them.
		permitted(get, expenses.ReimbursementsPath, outlay.ObjReimbursements, outlay.ActRead, s.reimbursementsPage).nav("Reimbursements"),
		s.exportRoute(expenses.ReimbursementsPath, outlay.ObjReimbursements, outlay.ActRead, reimbursementExport),
		permitted(get, expenses.NewReimbursementPath, outlay.ObjReimbursements, outlay.ActCreate, s.newReimbursementPage).form(),
		permitted(post, expenses.ReimbursementsPath, outlay.ObjReimbursements, outlay.ActCreate, s.createReimbursement),
		permitted(get, expenses.ReimbursementsPath+idParam, outlay.ObjReimbursements, outlay.ActRead, s.reimbursementPage),
		permitted(post, expenses.ReimbursementsPath+idParam+"/remove", outlay.ObjReimbursements, outlay.ActUpdate, s.removeFromReimbursement),
		permitted(post, expenses.ReimbursementsPath+idParam+"/paid", outlay.ObjReimbursements, outlay.ActUpdate, s.markReimbursementPaid),
		permitted(get, expenses.ReimbursementsPath+idParam+"/csv", outlay.ObjReimbursements, outlay.ActExport, s.reimbursementCSV).getOnly(),
		permitted(get, expenses.ReimbursementsPath+idParam+"/pain001", outlay.ObjReimbursements, outlay.ActExport, s.reimbursementPain001).getOnly(),
		permitted(post, expenses.ListPath, outlay.ObjExpenses, outlay.ActCreate, s.createExpense),
		permitted(post, expenses.TotalsPath, outlay.ObjExpenses, outlay.ActCreate, s.expenseTotals),
		permitted(get, expenses.ListPath+idParam, outlay.ObjExpenses, outlay.ActRead, s.expensePage),
		permitted(get, expenses.ListPath+idParam+"/history", outlay.ObjExpenses, outlay.ActRead, s.expenseHistory),
		permitted(post, expenses.ListPath+idParam, outlay.ObjExpenses, outlay.ActUpdate, s.updateExpense),
		permitted(post, expenses.ListPath+idParam+"/delete", outlay.ObjExpenses, outlay.ActUpdate, s.deleteExpense),
		permitted(post, expenses.ListPath+idParam+"/withdraw", outlay.ObjExpenses, outlay.ActUpdate, s.withdrawExpense),
		permitted(post, expenses.ListPath+idParam+"/send-back", outlay.ObjReimbursements, outlay.ActCreate, s.sendBackExpense),
		permitted(post, expenses.ListPath+idParam+"/lines/:line/receipt", outlay.ObjExpenses, outlay.ActUpdate, s.attachExpenseReceipt).upload(),
	}, s.discussionRoutes(expenseDocs), s.refRoutes(expenseCategoriesRef, s.expenseCategoriesPage), s.refRoutes(mileageRatesRef, s.mileageRatesPage), s.refRoutes(perDiemRatesRef, s.perDiemRatesPage), []Route{
		permitted(get, receiptThresholdPath, outlay.ObjExpensePolicy, outlay.ActRead, s.receiptThresholdPage),
		permitted(post, receiptThresholdPath, outlay.ObjExpensePolicy, outlay.ActUpdate, s.updateReceiptThreshold),
		// Approvals: the approver's queue, decisions and out-of-office delegation, and the
		// approval rules admin.
		permitted(get, approvals.QueuePath, outlay.ObjApprovals, outlay.ActRead, s.approvalsPage).nav("Approvals"),
		s.exportRoute(approvals.QueuePath, outlay.ObjApprovals, outlay.ActRead, approvalExport),
		permitted(post, approvals.BulkPath, outlay.ObjApprovals, outlay.ActApprove, s.bulkApprove),
		permitted(get, approvals.DelegationPath, outlay.ObjApprovals, outlay.ActUpdate, s.delegationPage).form(),
		// Only people who may approve can approve for someone else.
		s.lookupRoute(approvals.DelegateLookupPath, outlay.ObjApprovals, outlay.ActUpdate, otherPeopleWho(approvalsApprove)),
		permitted(post, approvals.DelegationPath, outlay.ObjApprovals, outlay.ActUpdate, s.setDelegation),
		permitted(post, approvals.DelegationPath+idParam+"/delete", outlay.ObjApprovals, outlay.ActUpdate, s.clearDelegation),
		permitted(get, approvals.QueuePath+"/:step", outlay.ObjApprovals, outlay.ActRead, s.approvalDetails),
		permitted(post, approvals.QueuePath+"/:step/approve", outlay.ObjApprovals, outlay.ActApprove, s.approveStep),
		permitted(post, approvals.QueuePath+"/:step/reject", outlay.ObjApprovals, outlay.ActApprove, s.rejectStep),
		permitted(get, approvalrules.ListPath, outlay.ObjApprovalRules, outlay.ActRead, s.approvalRulesPage).nav("Approval rules"),
		s.exportRoute(approvalrules.ListPath, outlay.ObjApprovalRules, outlay.ActRead, approvalRuleExport),
		permitted(get, approvalrules.NewPath, outlay.ObjApprovalRules, outlay.ActCreate, s.newApprovalRulePage).form(),
		permitted(get, approvalrules.StepsPath, outlay.ObjApprovalRules, outlay.ActRead, s.ruleSteps),
		s.lookupRoute(approvalrules.VendorLookupPath, outlay.ObjApprovalRules, outlay.ActRead, vendorsIn(models.VendorsNotArchived)),
		s.lookupRoute(approvalrules.PersonLookupPath, outlay.ObjApprovalRules, outlay.ActRead, peopleIn(models.PeopleCurrent)),
		permitted(post, approvalrules.ListPath, outlay.ObjApprovalRules, outlay.ActCreate, s.createApprovalRule),
		permitted(get, approvalrules.ListPath+idParam, outlay.ObjApprovalRules, outlay.ActRead, s.approvalRulePage),
		permitted(post, approvalrules.ListPath+idParam, outlay.ObjApprovalRules, outlay.ActUpdate, s.updateApprovalRule),
		permitted(post, approvalrules.ListPath+idParam+"/archive", outlay.ObjApprovalRules, outlay.ActUpdate, s.archiveApprovalRule),
		permitted(get, approvalrules.ListPath+idParam+"/history", outlay.ObjApprovalRules, outlay.ActRead, s.approvalRuleHistory),

		// Purchasing: purchase orders and receiving; comments and attachments of requisitions and orders.
		permitted(get, purchasing.ListPath, outlay.ObjPurchaseOrders, outlay.ActRead, s.purchaseOrdersPage).nav("Purchase orders"),
		s.exportRoute(purchasing.ListPath, outlay.ObjPurchaseOrders, outlay.ActRead, purchaseOrderExport),
		s.lookupRoute(purchasing.VendorLookupPath, outlay.ObjPurchaseOrders, outlay.ActRead, vendorsIn(models.VendorsWithOrders)),
		permitted(get, purchasing.ToOrderPath, outlay.ObjPurchaseOrders, outlay.ActCreate, s.toOrderPage).nav("To order"),
		s.exportRoute(purchasing.ToOrderPath, outlay.ObjPurchaseOrders, outlay.ActCreate, toOrderExport),
		// The order's page asks for the orders' permission, as its History, print, comments
		// and attachments do. Requesters may open the orders made from their own
		// requisitions as well, read-only: the kind's visibility finds no other for them.
		permitted(get, purchasing.ListPath+idParam, outlay.ObjPurchaseOrders, outlay.ActRead, s.purchaseOrderPage).
			alsoOpenedBy(outlay.ObjRequisitions, outlay.ActRead),
		permitted(get, purchasing.ListPath+idParam+"/history", outlay.ObjPurchaseOrders, outlay.ActRead, s.purchaseOrderHistory),
		permitted(get, purchasing.ListPath+idParam+"/print", outlay.ObjPurchaseOrders, outlay.ActRead, s.purchaseOrderPrint),
		permitted(post, requisitions.ListPath+idParam+"/purchase-order", outlay.ObjPurchaseOrders, outlay.ActCreate, s.createPurchaseOrder),
		permitted(post, purchasing.ListPath+idParam+"/receipts", outlay.ObjPurchaseOrders, outlay.ActUpdate, s.recordReceipt),
		permitted(post, purchasing.ListPath+idParam+"/close", outlay.ObjPurchaseOrders, outlay.ActUpdate, s.closePurchaseOrder),
		permitted(post, purchasing.ListPath+idParam+"/terms", outlay.ObjPurchaseOrders, outlay.ActUpdate, s.updateOrderTerms),
		permitted(post, purchasing.ListPath+idParam+"/email", outlay.ObjPurchaseOrders, outlay.ActUpdate, s.emailPurchaseOrder),

		// Accounting export: batches of approved bills, expense reports and paid payments.
		permitted(get, payables.ExportsPath, outlay.ObjAccounting, outlay.ActRead, s.exportsPage).nav("Accounting export"),
		s.exportRoute(payables.ExportsPath, outlay.ObjAccounting, outlay.ActRead, exportBatchExport),
		permitted(post, payables.ExportsPath, outlay.ObjAccounting, outlay.ActCreate, s.createExportBatch),
		permitted(post, payables.ExportsPath+idParam+"/reexport", outlay.ObjAccounting, outlay.ActCreate, s.reexportBatch),
		permitted(get, payables.ExportsPath+idParam+"/:format", outlay.ObjAccounting, outlay.ActExport, s.exportBatchFile),
		// Payments: runs of approved bills, payment approval, paid, bank files; the
		// organisation's own bank account. Record-level rules live in the models.
		permitted(get, payables.PaymentsPath, outlay.ObjPayments, outlay.ActRead, s.paymentsPage).nav("Payments").widenedBy(outlay.ObjPaymentsAll, outlay.ActRead),
		s.exportRoute(payables.PaymentsPath, outlay.ObjPayments, outlay.ActRead, paymentExport),
		permitted(get, payables.NewPaymentPath, outlay.ObjPayments, outlay.ActCreate, s.newPaymentPage).form(),
		permitted(post, payables.PaymentsPath, outlay.ObjPayments, outlay.ActCreate, s.createPayment),
		permitted(get, payables.PaymentSettingsPath, outlay.ObjSettings, outlay.ActRead, s.paymentSettingsPage).nav("Payment settings"),
		permitted(post, payables.PaymentSettingsPath, outlay.ObjSettings, outlay.ActUpdate, s.savePaymentSettings),
		permitted(get, payables.PaymentsPath+idParam, outlay.ObjPayments, outlay.ActRead, s.paymentPage),
		permitted(get, payables.PaymentsPath+idParam+"/history", outlay.ObjPayments, outlay.ActRead, s.paymentHistory),
		permitted(post, payables.PaymentsPath+idParam+"/submit", outlay.ObjPayments, outlay.ActUpdate, s.paymentAction(s.submitPayment)),
		permitted(post, payables.PaymentsPath+idParam+"/cancel", outlay.ObjPayments, outlay.ActUpdate, s.paymentAction(s.cancelPayment)),
		permitted(post, payables.PaymentsPath+idParam+"/paid", outlay.ObjPayments, outlay.ActUpdate, s.markPaymentPaid),
		permitted(get, payables.PaymentsPath+idParam+"/bank-file", outlay.ObjPayments, outlay.ActExport, s.paymentBankFile).getOnly(),
		// Bills: AP clerks key in vendors' invoices (against an order or coded to GL accounts)
		// with the invoice file beside the form; bills are matched, approved or released.
		// Fixed paths under /bills come before /bills/:id. Record-level rules live in the models.
		permitted(get, bills.ListPath, outlay.ObjBills, outlay.ActRead, s.billsPage).nav("Bills").widenedBy(outlay.ObjBillsAll, outlay.ActRead),
		s.exportRoute(bills.ListPath, outlay.ObjBills, outlay.ActRead, billExport),
		permitted(get, bills.NewPath, outlay.ObjBills, outlay.ActCreate, s.newBillPage).form(),
		s.lookupRoute(bills.VendorLookupPath, outlay.ObjBills, outlay.ActCreate, vendorsIn(models.VendorsNotArchived)),
		s.lookupRoute(bills.OrderLookupPath, outlay.ObjBills, outlay.ActCreate, billableOrders()),
		permitted(post, bills.ListPath, outlay.ObjBills, outlay.ActCreate, s.createBill),
		permitted(get, payables.AgingPath, outlay.ObjBillsAll, outlay.ActRead, s.agingPage).nav("Aging"),
		s.exportRoute(payables.AgingPath, outlay.ObjBillsAll, outlay.ActRead, agingExport),
		permitted(get, bills.ListPath+idParam, outlay.ObjBills, outlay.ActRead, s.billPage),
		permitted(get, bills.ListPath+idParam+"/history", outlay.ObjBills, outlay.ActRead, s.billHistory),
		permitted(post, bills.ListPath+idParam, outlay.ObjBills, outlay.ActUpdate, s.updateBill),
		permitted(post, bills.ListPath+idParam+"/release", outlay.ObjBillsRelease, outlay.ActApprove, s.releaseBill),
		permitted(post, bills.ListPath+idParam+"/void", outlay.ObjBills, outlay.ActUpdate, s.voidBill),
		permitted(get, bills.ListPath+idParam+"/invoice", outlay.ObjBills, outlay.ActRead, s.billInvoice),
		permitted(post, bills.ListPath+idParam+"/invoice", outlay.ObjBills, outlay.ActUpdate, s.uploadInvoice).upload(),
		permitted(get, bills.SettingsPath, outlay.ObjSettings, outlay.ActRead, s.billMatchingPage).nav("Bill matching"),
		permitted(post, bills.SettingsPath, outlay.ObjSettings, outlay.ActUpdate, s.updateBillMatching),
	}, s.discussionRoutes(purchaseOrderDocs), s.discussionRoutes(requisitionDocs), s.discussionRoutes(billDocs), s.discussionRoutes(paymentDocs), []Route{
		// Reports: spend of the person's own departments, or of every one with the wider permission.
		permitted(get, reports.SpendPath, outlay.ObjSpendReport, outlay.ActRead, s.spendReport).nav("Spend report").
			widenedBy(outlay.ObjSpendReportAll, outlay.ActRead),
		permitted(get, reports.SpendExportPath, outlay.ObjSpendReport, outlay.ActExport, s.spendExport).getOnly(),

		signedIn(get, apiPrefix+"/me", s.apiMe).api(),
		permitted(get, apiPrefix+"/tokens", outlay.ObjOwnTokens, outlay.ActRead, s.apiTokens).api(),
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
		for _, p := range []policy.Permission{r.Perm, r.AlsoOpenedBy, r.Widen} {
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
		return s.holds(c, r.Perm) || (r.AlsoOpenedBy.Object != "" && s.holds(c, r.AlsoOpenedBy))
	}
	return false
}

// mayOpen reports whether the request's user may open the page at path, one the navigation
// lists: the navigation and every page that links to such a page ask this, so that a link is
// shown to exactly those it would not refuse.
func (s *Server) mayOpen(c *fiber.Ctx, path string) bool {
	r, ok := s.navRoutes[path]
	return ok && s.allowed(c, r)
}

// holds reports whether the request's user holds p under the organisation's policy.
func (s *Server) holds(c *fiber.Ctx, p policy.Permission) bool {
	st := stateOf(c)
	return st.user != nil && st.policy != nil && st.policy.Allowed(st.user.Roles, p)
}

// can reports whether the request's user may take the action of p now; views use it to show
// only the buttons of actions the user may take. In a lapsed (read-only) organisation that
// leaves reading and exporting: every change would be refused, so none is offered.
func (s *Server) can(c *fiber.Ctx, p policy.Permission) bool {
	if readOnly(c) && p.Action != outlay.ActRead && p.Action != outlay.ActExport {
		return false
	}
	return s.holds(c, p)
}
