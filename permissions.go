package outlay

// Actions a role policy can grant on an object.
const (
	ActRead    = "read"
	ActCreate  = "create"
	ActUpdate  = "update"
	ActApprove = "approve"
	ActDelete  = "delete"
	ActExport  = "export"
	ActImport  = "import"
)

// Permission objects: the named areas a role policy grants actions on. Every route names
// one (with an action), the roles page lists them, and the role templates are built of them.
const (
	// Documents. An ".all" object widens a kind's list from the person's own documents to
	// everyone's submitted ones.
	ObjRequisitions    = "requisitions"
	ObjRequisitionsAll = "requisitions.all"
	ObjTravel          = "travel"
	ObjTravelAll       = "travel.all"
	ObjTravelOthers    = "travel.others" // filing a trip for someone else
	ObjExpenses        = "expenses"
	ObjExpensesAll     = "expenses.all"
	// ObjReimbursements: see reimbursement batches (read), schedule approved expense reports
	// into one (create), take reports out and mark a batch paid (update), and download its
	// CSV and SEPA payment file (export).
	ObjReimbursements = "expenses.reimburse"
	ObjPurchaseOrders = "purchase_orders"
	ObjApprovals      = "approvals"
	ObjComments       = "comments"    // comments on any kind of document
	ObjAttachments    = "attachments" // files on any kind of document
	// ObjBills opens bills (read: those routed to one; create and update: enter and change
	// them); ObjBillsAll (read) sees every bill; ObjBillsRelease (approve) releases a bill
	// held by its match, with a reason.
	ObjBills        = "bills"
	ObjBillsAll     = "bills.all"
	ObjBillsRelease = "bills.release"
	// ObjPayments opens payment runs (read: those routed to one; create and update: put them
	// together, submit them, mark them paid; export: download their bank files);
	// ObjPaymentsAll (read) sees every run.
	ObjPayments    = "payments"
	ObjPaymentsAll = "payments.all"
	// ObjAccounting shows the accounting export page (read), makes batches (create) and
	// downloads them (export).
	ObjAccounting = "accounting"
	ObjVendors    = "vendors"
	ObjVendorBank = "vendors.bank" // vendors' bank details: read shows them masked, update changes them

	// ObjSpendReport opens the spend report (read) on the departments a person belongs to or
	// heads, and downloads it (export); ObjSpendReportAll (read) widens it to every department.
	ObjSpendReport    = "reports.spend"
	ObjSpendReportAll = "reports.spend.all"

	// Setup: reference data and the organisation's settings.
	ObjDepartments   = "admin.departments"
	ObjLocations     = "admin.locations"
	ObjGLAccounts    = "admin.gl_accounts"
	ObjBudgets       = "admin.budgets"
	ObjApprovalRules = "admin.approval_rules"
	ObjExpensePolicy = "admin.expense_policy" // expense categories, rates and receipt rules
	ObjSettings      = "admin.settings"

	// Administration.
	ObjUsers     = "admin.users"
	ObjRoles     = "admin.roles"
	ObjSecurity  = "admin.security" // sign-in security and second factors
	ObjSSO       = "admin.sso"
	ObjAllTokens = "admin.tokens" // everyone's API tokens
	ObjAudit     = "audit"
	ObjImport    = "admin.import" // importing setup data from spreadsheets (action import)
	// ObjTenantExport: the archive of the whole tenant, "Export everything" (action export).
	ObjTenantExport = "admin.export"
	ObjOwnTokens    = "tokens" // a person's own API tokens
)
