package models

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// What History and the audit log know of the tenant's schema, beside the reader: how tables
// and columns read, which columns point at records of other tables, which columns are
// bookkeeping, and which tables make up a record's History. The pages only render it.

// AuditTableLabel names a table as people read it.
func AuditTableLabel(table string) string {
	switch table {
	case "users":
		return "People"
	case "user_roles":
		return "Role memberships"
	case "roles":
		return "Roles"
	case "casbin_rule":
		return "Role permissions"
	case "api_tokens":
		return "API tokens"
	case "departments":
		return "Departments"
	case "gl_accounts":
		return "GL accounts"
	case "org_settings":
		return "Organisation settings"
	}
	return AuditFieldLabel(table)
}

// AuditFieldLabel turns a column name into words: department_id → Department.
func AuditFieldLabel(col string) string {
	switch col {
	case "password_hash":
		return "Password"
	case "token_hash":
		return "Token"
	case "v0":
		return "Role"
	case "v1":
		return "Area"
	case "v2":
		return "Action"
	case "gl_account_id":
		return "GL account"
	case "default_gl_account_id":
		return "Default GL account"
	case "tax_rate_bp":
		return "Tax rate"
	case "tax_id":
		return "Tax ID"
	}
	for _, unit := range []string{"_id", "_minor", "_milli"} {
		col = strings.TrimSuffix(col, unit)
	}
	col = strings.ReplaceAll(col, "_", " ")
	if col == "" {
		return col
	}
	return strings.ToUpper(col[:1]) + col[1:]
}

// referenceColumns are the columns that hold the id of a record of another table, by the
// table they point at: History shows the record's name beside its id.
var referenceColumns = map[string]string{
	"department_id": "departments", "vendor_id": "vendors", "location_id": "locations",
	"gl_account_id": "gl_accounts", "default_gl_account_id": "gl_accounts", "rule_id": "approval_rules",
	"user_id": "users", "manager_id": "users", "head_id": "users", "requester_id": "users",
	"approver_id": "users", "acted_by": "users", "on_behalf_of": "users", "delegate_id": "users",
	"created_by": "users", "closed_by": "users", "received_by": "users", "uploaded_by": "users",
	"author_id": "users", "break_glass_user_id": "users",
}

// currencyColumns are the columns of a recorded row that AmountCurrency reads: its own currency
// and the keys by which a document's lines point at it.
var currencyColumns = map[string]bool{"currency": true}

// A document's lines (and other rows of its History) point at it by its kind's key.
func init() {
	for _, k := range documentKinds {
		referenceColumns[k.History.LinesKey] = k.Table
		currencyColumns[k.History.LinesKey] = true
	}
}

// ReferencedTable is the table whose records column col points at, if it points at one.
func ReferencedTable(col string) (string, bool) {
	table, ok := referenceColumns[col]
	return table, ok
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
	// The columns read here are currencyColumns: an update's entry keeps only those and the
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

// AuditReferences looks up the names of the entries' own records and of those their
// recorded values point at, by table and id (ReferenceNames).
func AuditReferences(ctx context.Context, db *gorm.DB, entries []AuditEntry) (map[string]map[int64]Reference, error) {
	refs := map[string][]int64{}
	for _, e := range entries {
		if id, err := strconv.ParseInt(e.RecordID, 10, 64); err == nil && e.TableName != "" {
			refs[e.TableName] = append(refs[e.TableName], id)
		}
		for _, row := range []map[string]any{e.Old, e.New} {
			for col, v := range row {
				if table, ok := referenceColumns[col]; ok {
					if id, ok := WholeNumber(v); ok {
						refs[table] = append(refs[table], id)
					}
				}
			}
		}
	}
	return ReferenceNames(ctx, db, refs)
}

// HistoryFields are the columns of a change that History shows, in order: those that changed,
// or every value a created or deleted row had, leaving out bookkeeping (timestamps, a form's
// double-submit key, the id but where it changed, and what a step copies from its document,
// which the document's own entries show: its total, in its currency, and its people).
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
		if f == "created_at" || f == "updated_at" || f == "form_key" || (f == "id" && e.Action != "update") ||
			(e.TableName == "approval_steps" && stepCopies[f]) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// stepCopies are the columns an approval step copies from its document, for the queue to
// read: the document's History shows them where they belong.
var stepCopies = map[string]bool{"doc_total_minor": true, "doc_requester_id": true, "doc_filer_id": true}

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
