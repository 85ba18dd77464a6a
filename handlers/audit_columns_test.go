package handlers

import (
	"slices"
	"testing"
	"time"

	"outlay/audit"
	"outlay/models"
)

// Every kind's History reads its values as requisitions' do: codes in the pages' words, people
// and records by name, rates as money per unit; ids, keys and the exchange rate in millionths
// are left out.
func TestEveryKindsColumnsReadInWords(t *testing.T) {
	t.Parallel()
	names := models.AuditNames{
		Records: map[string]map[int64]models.Reference{
			"users":              {1: {Name: "Tess Traveller"}, 2: {Name: "Asa Admin"}, 3: {Name: "Mo Manager"}},
			"travel_requests":    {10: {Name: "Draft trip #10", Currency: "USD"}},
			"expense_reports":    {15: {Name: "EXP-000015", Currency: "EUR"}},
			"expense_categories": {6: {Name: "Meals"}},
			"attachments":        {12: {Name: "bistro.png of EXP-000015"}},
			"bills":              {4: {Name: "BILL-000004", Currency: "USD"}},
			"payment_runs":       {9: {Name: "PAY-000009", Currency: "USD"}},
			"vendors":            {7: {Name: "Globex"}},
		},
		Roles: map[string]string{"travel_desk": "Trip desk"},
	}
	for _, c := range []struct {
		what  string
		entry models.AuditEntry
		want  map[string][2]string // field → old, new
	}{
		{"a bill's status and matching", models.AuditEntry{Action: "update", TableName: "bills", RecordID: "4",
			Changed: []string{"status", "match_mode", "match_status"},
			Old:     map[string]any{"status": "draft", "match_mode": "two_way", "match_status": "none"},
			New:     map[string]any{"status": "submitted", "match_mode": "three_way", "match_status": "released"}},
			map[string][2]string{"Status": {"Draft", "Pending approval"}, "Matching": {"Two-way (bill against order)", "Three-way (bill against order and receipt)"},
				"Match": {"Not matched", "Released"}}},
		{"a bill's void, naming who voided it", models.AuditEntry{Action: "update", TableName: "bills", RecordID: "4",
			Changed: []string{"status", "voided_by_id", "void_reason"},
			Old:     map[string]any{"status": "approved", "voided_by_id": nil, "void_reason": ""},
			New:     map[string]any{"status": "void", "voided_by_id": 2.0, "void_reason": "Sent twice"}},
			map[string][2]string{"Status": {"Approved", "Void"}, "Voided by": {"—", "Asa Admin (#2)"}, "Void reason": {"—", "Sent twice"}}},
		{"a trip and its people", models.AuditEntry{Action: "update", TableName: "travel_requests", RecordID: "10",
			Changed: []string{"status", "traveller_id", "filed_by_id"},
			Old:     map[string]any{"status": "draft", "traveller_id": 2.0, "filed_by_id": nil},
			New:     map[string]any{"status": "submitted", "traveller_id": 1.0, "filed_by_id": 2.0}},
			map[string][2]string{"Status": {"Draft", "Pending approval"}, "Traveller": {"Asa Admin (#2)", "Tess Traveller (#1)"},
				"Filed by": {"—", "Asa Admin (#2)"}}},
		{"a trip's cancellation, naming who cancelled it", models.AuditEntry{Action: "update", TableName: "travel_requests", RecordID: "10",
			Changed: []string{"status", "cancelled_by_id", "cancel_reason"},
			Old:     map[string]any{"status": "approved", "cancelled_by_id": nil, "cancel_reason": ""},
			New:     map[string]any{"status": "cancelled", "cancelled_by_id": 1.0, "cancel_reason": "The fair was called off"}},
			map[string][2]string{"Status": {"Approved", "Cancelled"}, "Cancelled by": {"—", "Tess Traveller (#1)"},
				"Cancel reason": {"—", "The fair was called off"}}},
		{"a leg, which names its draft trip once", models.AuditEntry{Action: "create", TableName: "travel_legs", RecordID: "3",
			New: map[string]any{"id": 3.0, "travel_request_id": 10.0, "mode": "air", "from_place": "Boston", "position": 1.0}},
			map[string][2]string{"Mode": {"", "Air"}, "Travel request": {"", "Draft trip #10"}, "From place": {"", "Boston"}, "Position": {"", "1"}}},
		{"a per diem line", models.AuditEntry{Action: "create", TableName: "expense_lines", RecordID: "7",
			New: map[string]any{"id": 7.0, "report_id": 15.0, "kind": "per_diem", "currency": "EUR", "unit_rate": 7400.0, "days": 2.0,
				"rate_micro": 1000000.0, "per_diem_rate_id": 5.0, "category_id": 6.0, "amount_minor": 14800.0, "report_minor": 14800.0,
				"receipt_id": nil, "created_at": "2026-03-01T10:00:00Z"}},
			map[string][2]string{"Type": {"", "Per diem"}, "Rate": {"", "€74.00 per day"}, "Days": {"", "2"}, "Category": {"", "Meals (#6)"},
				"Amount": {"", "€148.00"}, "Amount in the report's currency": {"", "€148.00"}, "Receipt": {"", "—"}, "Expense report": {"", "EXP-000015 (#15)"},
				"Currency": {"", "EUR"}}},
		{"a mileage line's rate, though the update recorded only what changed", models.AuditEntry{Action: "update", TableName: "expense_lines",
			RecordID: "8", Changed: []string{"unit_rate", "receipt_id"},
			Old: map[string]any{"unit_rate": 65000.0, "receipt_id": nil, "kind": "mileage", "unit": "mi", "currency": "USD", "report_id": 15.0},
			New: map[string]any{"unit_rate": 70000.0, "receipt_id": 12.0, "kind": "mileage", "unit": "mi", "currency": "USD", "report_id": 15.0}},
			map[string][2]string{"Rate": {"$0.65 per mile", "$0.70 per mile"}, "Receipt": {"—", "bistro.png of EXP-000015 (#12)"}}},
		{"an expense report's owner", models.AuditEntry{Action: "update", TableName: "expense_reports", RecordID: "15",
			Changed: []string{"owner_id", "status"},
			Old:     map[string]any{"owner_id": 2.0, "status": "submitted", "currency": "EUR"},
			New:     map[string]any{"owner_id": 1.0, "status": "returned", "currency": "EUR"}},
			map[string][2]string{"Owner": {"Asa Admin (#2)", "Tess Traveller (#1)"}, "Status": {"Pending approval", "Returned"}}},
		{"an approval step for a role", models.AuditEntry{Action: "create", TableName: "approval_steps", RecordID: "30",
			New: map[string]any{"id": 30.0, "doc_type": "expense", "doc_id": 15.0, "kind": "role", "role": "travel_desk", "round": 1.0,
				"position": 1.0, "status": "pending", "approver_id": nil, "doc_total_minor": 14800.0, "doc_requester_id": 1.0}},
			map[string][2]string{"Who approves": {"", "Anyone with a role"}, "Role": {"", "Trip desk"}, "Approval round": {"", "1"},
				"Step": {"", "1"}, "Status": {"", "Waiting for a decision"}, "Approver": {"", "—"}}},
		{"a manager's step", models.AuditEntry{Action: "update", TableName: "approval_steps", RecordID: "31",
			Changed: []string{"status", "acted_by"},
			Old:     map[string]any{"status": "pending", "acted_by": nil},
			New:     map[string]any{"status": "approved", "acted_by": 3.0}},
			map[string][2]string{"Status": {"Waiting for a decision", "Approved"}, "Decided by": {"—", "Mo Manager (#3)"}}},
		{"a bank account copied onto a payment run, its number sealed", models.AuditEntry{Action: "create", TableName: "payment_run_vendors",
			RecordID: "5", New: map[string]any{"id": 5.0, "payment_run_id": 9.0, "vendor_id": 7.0, "scheme": "us_ach", "holder_name": "Globex Inc",
				"bic": "", "routing_number": "011000015", "account_type": "checking", "account_secret": audit.Redacted, "account_masked": "•••• 6789",
				"bank_updated_at": "2026-03-01T10:00:00Z", "created_at": "2026-03-02T09:00:00Z"}},
			map[string][2]string{"Payment": {"", "PAY-000009 (#9)"}, "Vendor": {"", "Globex (#7)"}, "Scheme": {"", "US bank account (ACH)"},
				"Account holder": {"", "Globex Inc"}, "BIC": {"", "—"}, "Routing number": {"", "011000015"}, "Account type": {"", "Checking"},
				"Account": {"", "•••• 6789"}, "Account number": {"", "(secret)"}, "Vendor's bank details as of": {"", "1 Mar 2026 10:00"}}},
		{"a vendor's bank details changed from an IBAN to a US account", models.AuditEntry{Action: "update", TableName: "vendor_bank_accounts",
			RecordID: "7", Changed: []string{"scheme", "bic", "account_type", "account_masked", "account_secret"},
			Old: map[string]any{"scheme": "iban", "bic": "DEUTDEFF", "account_type": "", "account_masked": "DE89 •••• 3000", "account_secret": audit.Redacted},
			New: map[string]any{"scheme": "us_ach", "bic": "", "account_type": "savings", "account_masked": "•••• 6789", "account_secret": audit.Redacted}},
			map[string][2]string{"Scheme": {"IBAN (SEPA transfer)", "US bank account (ACH)"}, "BIC": {"DEUTDEFF", "—"},
				"Account type": {"—", "Savings"}, "Account": {"DE89 •••• 3000", "•••• 6789"}, "Account number": {"(secret)", "(secret)"}}},
	} {
		got := map[string][2]string{}
		for _, ch := range auditRow(c.entry, names, time.UTC).Changes {
			got[ch.Field] = [2]string{ch.Old, ch.New}
		}
		for field, w := range c.want {
			if got[field] != w {
				t.Errorf("%s: %s reads %q → %q, want %q → %q", c.what, field, got[field][0], got[field][1], w[0], w[1])
			}
		}
		for field := range got {
			if _, ok := c.want[field]; !ok {
				t.Errorf("%s: History shows %s (%q → %q), which it should leave out", c.what, field, got[field][0], got[field][1])
			}
		}
	}
}

// The audit log reads its security events, its kinds of records and records keyed by several
// columns as people do; the filter keeps the codes as its values.
func TestAuditEventsAndObjectsReadInWords(t *testing.T) {
	t.Parallel()
	names := models.AuditNames{
		Records: map[string]map[int64]models.Reference{"users": {2: {Name: "Bo Before"}, 16: {Name: "Dee Parted"}}},
		Roles:   map[string]string{"requester": "Requester", "temp_role_1796531815": "Night shift"},
	}
	for _, c := range []struct {
		what            string
		entry           models.AuditEntry
		action, subject string
		details         map[string]string
	}{
		{"a sign-in", models.AuditEntry{Action: "event", Event: "signin.success", Subject: "ana@acme.example"},
			"Signed in", "ana@acme.example", nil},
		{"an export of everyone's trips", models.AuditEntry{Action: "event", Event: "export", Subject: "all-travel",
			Details: map[string]any{"list": "all-travel", "format": "csv", "rows": 3.0}},
			"Exported", "all trips", map[string]string{"List": "all trips", "Format": "csv", "Rows": "3"}},
		{"an export of GL accounts", models.AuditEntry{Action: "event", Event: "export", Subject: "gl-accounts"},
			"Exported", "GL accounts", nil},
		{"an export of a batch", models.AuditEntry{Action: "event", Event: "export", Subject: "reimbursement batch RB-000002"},
			"Exported", "reimbursement batch RB-000002", nil},
		{"a change of a custom role's permissions", models.AuditEntry{Action: "event", Event: "policy.changed", Subject: "temp_role_1796531815",
			Details: map[string]any{"permission": "requisitions.all:read", "granted": true}},
			"Changed a role's permissions", "Night shift", map[string]string{"Permission": "Everyone's requisitions: View", "Granted": "Yes"}},
		{"a deactivation", models.AuditEntry{Action: "event", Event: "user.deactivated", Subject: "16"},
			"Deactivated a person", "Dee Parted (#16)", nil},
		{"single sign-on settings", models.AuditEntry{Action: "event", Event: "sso.settings_updated", Subject: "sso_settings"},
			"Changed single sign-on settings", "SSO settings", nil},
		{"a membership", models.AuditEntry{Action: "create", TableName: "user_roles", RecordID: `{"role": "requester", "user_id": 2}`,
			New: map[string]any{"role": "requester", "user_id": 2.0}},
			"Created", "Role: Requester, Person: Bo Before (#2)", nil},
		{"a custom role", models.AuditEntry{Action: "create", TableName: "roles", RecordID: "temp_role_1796531815",
			New: map[string]any{"name": "temp_role_1796531815", "label": "Night shift"}},
			"Created", "Night shift", nil},
	} {
		row := auditRow(c.entry, names, time.UTC)
		if row.Action != c.action || row.What != c.subject {
			t.Errorf("%s reads %q %q, want %q %q", c.what, row.Action, row.What, c.action, c.subject)
		}
		for _, d := range row.Details {
			if w, ok := c.details[d.Field]; ok && d.New != w {
				t.Errorf("%s: detail %s reads %q, want %q", c.what, d.Field, d.New, w)
			}
		}
	}

	var labels, values []string
	for _, o := range auditObjectOptions([]string{"payment_runs", "sso_settings", "user_two_factor", "user_roles"}) {
		labels, values = append(labels, o.Label), append(values, o.Value)
	}
	if want := []string{"Security events", "Payments", "SSO settings", "Two-factor sign-in", "Role memberships"}; !slices.Equal(labels, want) {
		t.Errorf("the object filter offers %q, want %q", labels, want)
	}
	if want := []string{"event", "payment_runs", "sso_settings", "user_two_factor", "user_roles"}; !slices.Equal(values, want) {
		t.Errorf("the object filter's values are %q, want the tables' names %q", values, want)
	}
}
