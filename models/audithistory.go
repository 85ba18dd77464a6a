package models

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"outlay/audit"
)

// What History and the audit log know of the tenant's schema, beside the reader: how tables
// and columns read, which columns point at records of other tables, which columns are
// bookkeeping, and which tables make up a record's History. The pages only render it; how a
// stored code reads (a status, a mode) is the pages' word, kept by the handlers beside them.

// ForColumn finds column col of table in m, a table of columns keyed by column, or by
// "table.column" where a column reads otherwise in one table: the more particular key wins.
func ForColumn[T any](m map[string]T, table, col string) (T, bool) {
	if v, ok := m[table+"."+col]; ok && table != "" {
		return v, true
	}
	v, ok := m[col]
	return v, ok
}

// tableLabels name the tables whose names do not read as words on their own.
var tableLabels = map[string]string{
	"users":                      "People",
	"user_roles":                 "Role memberships",
	"roles":                      "Roles",
	"casbin_rule":                "Role permissions",
	"api_tokens":                 "API tokens",
	"departments":                "Departments",
	"gl_accounts":                "GL accounts",
	"org_settings":               "Organisation settings",
	"sso_settings":               "SSO settings",
	"sso_providers":              "SSO providers",
	"sso_identities":             "SSO identities",
	"user_two_factor":            "Two-factor sign-in",
	"two_factor_settings":        "Two-factor settings",
	"two_factor_required_roles":  "Roles that must use two-factor sign-in",
	"two_factor_recovery_codes":  "Recovery codes",
	"payment_runs":               "Payments",
	"payment_run_vendors":        "Bank accounts copied onto payments",
	"expense_advance_deductions": "Advances deducted from expense reports",
	"export_batches":             "Accounting exports",
	"export_batch_documents":     "Documents in accounting exports",
	"user_bank_accounts":         "People's bank accounts",
	"vendor_bank_accounts":       "Vendor bank accounts",
	"receipts":                   "Goods receipts",
	"receipt_lines":              "Goods receipt lines",
}

// AuditTableLabel names a table as people read it.
func AuditTableLabel(table string) string {
	if l, ok := tableLabels[table]; ok {
		return l
	}
	return AuditFieldLabel(table)
}

// columnLabels name the columns that do not read as words once their unit is dropped
// (AuditFieldLabel's rule).
var columnLabels = map[string]string{
	"password_hash":             "Password",
	"token_hash":                "Token",
	"secret_sealed":             "Secret",
	"v0":                        "Role",
	"v1":                        "Area",
	"v2":                        "Action",
	"gl_account_id":             "GL account",
	"default_gl_account_id":     "Default GL account",
	"tax_rate_bp":               "Tax rate",
	"tax_id":                    "Tax ID",
	"user_id":                   "Person",
	"rule_id":                   "Approval rule",
	"doc_type":                  "Kind of document",
	"size_bytes":                "Size",
	"content_type":              "File type",
	"estimate_total_minor":      "Estimated total",
	"acted_by":                  "Decided by",
	"acted_at":                  "Decided at",
	"vendor_invoice_number":     "Vendor's invoice number",
	"invoice_attachment_id":     "Invoice file",
	"duplicate_confirmed":       "Confirmed not a duplicate",
	"duplicate_confirmed_of_id": "Not a duplicate of",
	"purchase_order_line_id":    "Order line",
	"variance_bp":               "Variance",
	"price_variance_bp":         "Price variance",
	"min_variance_bp":           "Minimum variance",
	"received_milli":            "Received",
	"break_glass_user_id":       "Break-glass administrator",
	"require_sso":               "Single sign-on required",
	"must_enrol":                "Must set up",
	"jit_role":                  "Role of people it adds",
	"daily_minor":               "Daily rate",
	"unit_rate":                 "Rate",
	"rate_milli":                "Rate",
	"bill_match_mode":           "Bill matching",
	"match_mode":                "Matching",
	"match_status":              "Match",
	"report_id":                 "Expense report",
	"payment_run_id":            "Payment",
	"holder_name":               "Account holder",
	"bic":                       "BIC",
	"account_masked":            "Account",
	// The sealed number reads as what it is; its value is never shown ("(secret)").
	"account_secret": "Account number",

	// A copy of a vendor's bank details is of the version they had then (their updated_at).
	"payment_run_vendors.bank_updated_at": "Vendor's bank details as of",

	"approval_steps.kind":        "Who approves",
	"approval_rule_steps.kind":   "Who approves",
	"approval_steps.position":    "Step",
	"approval_steps.round":       "Approval round",
	"expense_lines.kind":         "Type",
	"expense_lines.over_limit":   "Over the category's limit",
	"expense_lines.report_minor": "Amount in the report's currency",
}

// AuditFieldLabel turns a column name into words: department_id → Department.
func AuditFieldLabel(col string) string { return ColumnLabel("", col) }

// ColumnLabel is how column col of table reads: its label in columnLabels, or its name as
// words without its unit (total_minor → Total, bill_price_tolerance_bp → Bill price tolerance).
func ColumnLabel(table, col string) string {
	if l, ok := ForColumn(columnLabels, table, col); ok {
		return l
	}
	for _, unit := range []string{"_id", "_minor", "_milli", "_bp"} {
		col = strings.TrimSuffix(col, unit)
	}
	col = strings.ReplaceAll(col, "_", " ")
	if col == "" {
		return col
	}
	return strings.ToUpper(col[:1]) + col[1:]
}

// hiddenColumns are the columns History leaves out: bookkeeping, keys and ids that mean
// nothing to a person, and what a row copies or works out from what it shows.
var hiddenColumns = map[string]bool{
	"created_at": true, "updated_at": true, "form_key": true,
	// A step copies its document's total, in its currency, and its people, for the queue to
	// read: the document's History shows them where they belong. The step, a comment and a
	// file are named as parts of their document, which their History is that of.
	"approval_steps.doc_total_minor": true, "approval_steps.doc_requester_id": true, "approval_steps.doc_filer_id": true,
	"approval_steps.doc_type": true, "approval_steps.doc_id": true,
	// A permission's row is its role, area and action; the rest of the policy engine's row is
	// its kind (always a permission) and three unused places.
	"casbin_rule.ptype": true, "casbin_rule.v3": true, "casbin_rule.v4": true, "casbin_rule.v5": true,
	// Who else changed or submitted a bill or run: each change's own row names who made it.
	"bills.authors": true, "payment_runs.authors": true,
	"comments.doc_type": true, "comments.doc_id": true,
	"attachments.doc_type": true, "attachments.doc_id": true,
	// Where a file is kept and its checksum.
	"attachments.storage_key": true, "attachments.sha256": true,
	// An expense line's exchange rate (exact, and which way round it was written, or in
	// millionths as lines kept it before) and the rate records it priced mileage or days at:
	// its amounts in both currencies and its rate show what they made.
	"expense_lines.rate_micro": true, "expense_lines.rate": true, "expense_lines.rate_inverted": true, "expense_lines.mileage_rate_id": true, "expense_lines.per_diem_rate_id": true,
	// The last time step a second factor's code was used, against replays.
	"user_two_factor.last_used_step": true,
}

// referenceColumns are the columns that hold the key of a record of another table, by the
// table they point at: History shows the record's name beside its id, and a role's label for
// its name. A column that points elsewhere in one table is keyed "table.column".
var referenceColumns = map[string]string{
	"department_id": "departments", "vendor_id": "vendors", "location_id": "locations",
	"gl_account_id": "gl_accounts", "default_gl_account_id": "gl_accounts", "rule_id": "approval_rules",
	"user_id": "users", "manager_id": "users", "head_id": "users", "requester_id": "users",
	"approver_id": "users", "acted_by": "users", "on_behalf_of": "users", "delegate_id": "users",
	"created_by": "users", "closed_by": "users", "received_by": "users", "uploaded_by": "users",
	"author_id": "users", "break_glass_user_id": "users", "owner_id": "users", "traveller_id": "users",
	"filed_by_id": "users", "entered_by_id": "users", "released_by_id": "users", "created_by_id": "users",
	"paid_by_id": "users", "voided_by_id": "users", "cancelled_by_id": "users", "sent_back_by_id": "users", "file_made_by_id": "users",
	"category_id": "expense_categories", "reimbursement_batch_id": "reimbursement_batches",
	"receipt_id": "attachments", "invoice_attachment_id": "attachments", "duplicate_confirmed_of_id": "bills",
	"purchase_order_line_id": "purchase_order_lines", "requisition_line_id": "requisition_lines",
	"token_id": "api_tokens",
	"role":     "roles", "jit_role": "roles", "casbin_rule.v0": "roles",
	// A goods receipt's lines point at the receipt, not at an expense line's receipt file.
	"receipt_lines.receipt_id": "receipts",
}

// contextColumns are the columns of a recorded row that say how its other columns read, which
// an update's entry keeps beside those that changed: its currency and the keys by which a
// document's lines point at it (AmountCurrency), and the kind and unit an expense line's rate
// is per.
var contextColumns = map[string]bool{"currency": true, "kind": true, "unit": true}

// A document's lines (and other rows of its History) point at it by its kind's key.
func init() {
	for _, k := range documentKinds {
		referenceColumns[k.History.LinesKey] = k.Table
		contextColumns[k.History.LinesKey] = true
	}
}

// ReferencedTable is the table whose records column col of table points at, if it points at
// one.
func ReferencedTable(table, col string) (string, bool) {
	return ForColumn(referenceColumns, table, col)
}

// WholeNumber reads a recorded JSON number as an integer. JSON numbers arrive as float64;
// ids and amounts stay far below 2^53, so the conversion is exact.
func WholeNumber(v any) (int64, bool) {
	n, ok := v.(float64)
	if !ok || math.Abs(n) >= 1<<53 || n != math.Trunc(n) {
		return 0, false
	}
	return int64(n), true
}

// AmountCurrency is the currency amount column col of a recorded row is in: the row's own,
// or that of the document it belongs to (a line's requisition or purchase order), from
// names. An amount a line keeps in its document's currency beside its own (an expense line's
// report_minor, converted from what was spent) is in the document's.
func AmountCurrency(row map[string]any, col string, names map[string]map[int64]Reference) string {
	// The columns read here are contextColumns: an update's entry keeps only those and the
	// columns that changed.
	if c, ok := row["currency"].(string); ok && !inDocumentCurrency[col] {
		return c
	}
	for _, k := range documentKinds {
		key := k.History.LinesKey
		if id, ok := WholeNumber(row[key]); ok {
			if ref, found := names[referenceColumns[key]][id]; found && ref.Currency != "" {
				return ref.Currency
			}
		}
	}
	return "" // a plain number rather than money in a currency it may not be in
}

// inDocumentCurrency are the amount columns of lines kept in their document's currency.
var inDocumentCurrency = map[string]bool{"report_minor": true}

// AuditNames name what audit entries point at: records by table and id (ReferenceNames), and
// roles, which are known by their names, by their labels.
type AuditNames struct {
	Records map[string]map[int64]Reference
	Roles   map[string]string
}

// auditKeys gathers the keys of the records entries point at, by table: ids, and the names
// of roles.
type auditKeys struct {
	ids   map[string][]int64
	roles []string
}

// add takes value v of a column that points at table.
func (k *auditKeys) add(table string, v any) {
	if table == "roles" {
		if name, ok := v.(string); ok && name != "" {
			k.roles = append(k.roles, name)
		}
		return
	}
	if id, ok := WholeNumber(v); ok {
		k.ids[table] = append(k.ids[table], id)
	} else if s, ok := v.(string); ok {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			k.ids[table] = append(k.ids[table], id)
		}
	}
}

// columns takes the values of row (of table) that point at records.
func (k *auditKeys) columns(table string, row map[string]any) {
	for col, v := range row {
		if target, ok := ReferencedTable(table, col); ok {
			k.add(target, v)
		}
	}
}

// CompositeKey reads a record id made of several columns ({"role":"requester","user_id":2},
// as a membership's is recorded); ok is false for a plain id.
func CompositeKey(id string) (map[string]any, bool) {
	var parts map[string]any
	if !strings.HasPrefix(id, "{") || json.Unmarshal([]byte(id), &parts) != nil {
		return nil, false
	}
	return parts, true
}

// AuditReferences looks up the names of the entries' own records, of those their recorded
// values and their events' subjects and details point at, and the labels of the roles they
// name, in one query (ReferenceNames).
func AuditReferences(ctx context.Context, db *gorm.DB, entries []AuditEntry) (AuditNames, error) {
	keys := auditKeys{ids: map[string][]int64{}}
	for _, e := range entries {
		if e.Action == "event" {
			if table, key := EventSubject(e); table != "" {
				keys.add(table, key)
			}
			keys.columns("", e.Details)
			continue
		}
		if parts, ok := CompositeKey(e.RecordID); ok {
			keys.columns(e.TableName, parts)
		} else if e.TableName == "roles" {
			keys.add("roles", e.RecordID)
		} else if e.TableName != "" {
			keys.add(e.TableName, e.RecordID)
		}
		keys.columns(e.TableName, e.Old)
		keys.columns(e.TableName, e.New)
	}
	return referenceNames(ctx, db, keys.ids, keys.roles)
}

// HistoryFields are the columns of a change that History shows, in order: those that changed,
// or every value a created or deleted row had, leaving out hiddenColumns and the id but where
// it changed.
func HistoryFields(e AuditEntry) []string {
	fields := e.Changed
	if len(fields) == 0 {
		src := e.New
		if e.Action == "delete" {
			src = e.Old
		}
		for k := range src {
			fields = append(fields, k)
		}
		sort.Strings(fields)
	}
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if hidden, _ := ForColumn(hiddenColumns, e.TableName, f); hidden || (f == "id" && e.Action != "update") {
			continue
		}
		out = append(out, f)
	}
	return out
}

// AuditEvent says how a security event reads in the log.
type AuditEvent struct {
	// Label says what was done: "Signed in".
	Label string
	// Subject says what the event's subject names: the table of the record it names by key
	// (a person by id, a role by name), SubjectTable, SubjectExport, or nothing, for a subject
	// that reads as recorded (an email, a file's name).
	Subject string
}

// What an event's subject may name, beside a record.
const (
	SubjectTable  = "table"  // a table: the settings it holds ("sso_settings")
	SubjectExport = "export" // a list that was exported, which the handlers name
)

// auditEvents are the security events the product records, as the log reads them.
var auditEvents = map[string]AuditEvent{
	audit.EventSignInSuccess:    {Label: "Signed in"},
	audit.EventSignInFailure:    {Label: "Sign-in failed"},
	audit.EventSignInLocked:     {Label: "Sign-in locked after failed attempts"},
	EventSignInTrustedDevice:    {Label: "Signed in from a trusted device"},
	audit.EventSignOut:          {Label: "Signed out"},
	EventSessionSignedOut:       {Label: "Signed out another session"},
	EventOtherSessionsSignedOut: {Label: "Signed out of all other sessions"},
	EventSignedOutEverywhere:    {Label: "Signed a person out everywhere", Subject: "users"},
	EventSignedOutForTwoFactor:  {Label: "Sent to set up required two-factor sign-in"},
	audit.EventPasswordReset:    {Label: "Reset the password"},
	audit.EventPasswordChanged:  {Label: "Changed the password"},
	EventPasswordResetLinkSent:  {Label: "Sent a password reset link", Subject: "users"},
	audit.EventUserDeactivated:  {Label: "Deactivated a person", Subject: "users"},
	audit.EventUserReactivated:  {Label: "Reactivated a person", Subject: "users"},
	EventInvitationResent:       {Label: "Resent an invitation", Subject: "users"},
	audit.EventTokenCreated:     {Label: "Created an API token"},
	audit.EventTokenRevoked:     {Label: "Revoked an API token", Subject: "api_tokens"},
	audit.EventRoleChanged:      {Label: "Changed a role", Subject: "roles"},
	audit.EventPolicyChanged:    {Label: "Changed a role's permissions", Subject: "roles"},
	EventAccessRefused:          {Label: "Refused a change of access", Subject: "roles"},
	audit.EventSSOChanged:       {Label: "Changed single sign-on"},
	audit.EventImport:           {Label: "Imported"},
	audit.EventExport:           {Label: "Exported", Subject: SubjectExport},
	EventTwoFactorEnrolled:      {Label: "Set up two-factor sign-in"},
	EventTwoFactorDisabled:      {Label: "Turned off two-factor sign-in"},
	EventTwoFactorReset:         {Label: "Reset two-factor sign-in"},
	EventTwoFactorCodeFailed:    {Label: "Entered a wrong two-factor code"},
	EventRecoveryCodeUsed:       {Label: "Used a recovery code"},
	EventRecoveryCodesGenerated: {Label: "Made new recovery codes"},
	EventTwoFactorSettings:      {Label: "Changed two-factor settings", Subject: SubjectTable},
	"sso.sign_in":               {Label: "Signed in with single sign-on", Subject: "users"},
	"sso.sign_in_refused":       {Label: "Single sign-on refused"},
	"sso.identity_linked":       {Label: "Linked a single sign-on identity", Subject: "users"},
	EventSSOLinkAsked:           {Label: "Single sign-on asked the person to confirm a link", Subject: "users"},
	"sso.identity_unlinked":     {Label: "Unlinked a single sign-on identity", Subject: "users"},
	"sso.user_provisioned":      {Label: "Added a person through single sign-on", Subject: "users"},
	"sso.provider_created":      {Label: "Added a single sign-on provider"},
	"sso.provider_updated":      {Label: "Changed a single sign-on provider"},
	"sso.provider_deleted":      {Label: "Removed a single sign-on provider"},
	"sso.settings_updated":      {Label: "Changed single sign-on settings", Subject: SubjectTable},
}

// AuditEventOf is how the event named name reads; one the product does not know reads as its
// name in words ("invoice.sent" → "Invoice sent").
func AuditEventOf(name string) AuditEvent {
	if ev, ok := auditEvents[name]; ok {
		return ev
	}
	return AuditEvent{Label: UpperFirst(strings.NewReplacer(".", " ", "_", " ").Replace(name))}
}

// subjectPrefixes are written before the key of what single sign-on's events are about
// ("user:16", "sso_provider:okta"); the event's Label says what kind of thing it is.
var subjectPrefixes = []string{"user:", "sso_provider:"}

// EventSubject is the record event e's subject names, by its table and key (an id, or a
// role's name); table is "" when the subject names no record.
func EventSubject(e AuditEntry) (table, key string) {
	ev := AuditEventOf(e.Event)
	switch ev.Subject {
	case "", SubjectTable, SubjectExport:
		return "", ""
	}
	return ev.Subject, SubjectKey(e.Subject)
}

// SubjectKey is an event's subject without the prefix single sign-on writes before it.
func SubjectKey(subject string) string {
	for _, p := range subjectPrefixes {
		if key, ok := strings.CutPrefix(subject, p); ok {
			return key
		}
	}
	return subject
}

// UserHistory is what a person's History reads: their record and their role memberships.
func UserHistory(id string) RecordHistory {
	return RecordHistory{Table: "users", RecordID: id, RelatedTable: "user_roles", RelatedKey: "user_id"}
}

// RoleHistory is what a role's History reads: the role and its permissions.
func RoleHistory(role string) RecordHistory {
	return RecordHistory{Table: "roles", RecordID: role, RelatedTable: "casbin_rule", RelatedKey: "v0"}
}

// SSOProviderHistory is what a single sign-on provider's History reads.
func SSOProviderHistory(id string) RecordHistory {
	return RecordHistory{Table: "sso_providers", RecordID: id}
}
