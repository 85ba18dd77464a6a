package models_test

import (
	"slices"
	"strings"
	"testing"

	"outlay/models"
)

// History shows the columns that changed, or every value of a created or deleted row, but
// not its bookkeeping; columns and tables read as words, and a line points at its document.
func TestHistoryFieldsAndLabels(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		what  string
		entry models.AuditEntry
		want  []string
	}{
		{"an update", models.AuditEntry{Action: "update", Changed: []string{"id", "name", "updated_at"}}, []string{"id", "name"}},
		{"a create", models.AuditEntry{Action: "create", New: map[string]any{"id": 1.0, "name": "x", "created_at": "t", "form_key": "k", "amount_minor": 5.0}}, []string{"amount_minor", "name"}},
		{"a delete", models.AuditEntry{Action: "delete", Old: map[string]any{"id": 1.0, "label": "y"}, New: map[string]any{"ignored": 1.0}}, []string{"label"}},
		{"a step", models.AuditEntry{Action: "create", TableName: "approval_steps", New: map[string]any{"id": 1.0, "status": "pending", "doc_total_minor": 120000.0}}, []string{"status"}},
	} {
		if got := models.HistoryFields(c.entry); !slices.Equal(got, c.want) {
			t.Errorf("%s: fields %v, want %v", c.what, got, c.want)
		}
	}
	for in, want := range map[string]string{"department_id": "Department", "total_minor": "Total", "quantity_milli": "Quantity", "v0": "Role", "tax_rate_bp": "Tax rate", "bill_price_tolerance_bp": "Bill price tolerance"} {
		if got := models.AuditFieldLabel(in); got != want {
			t.Errorf("field %s reads %q, want %q", in, got, want)
		}
	}
	if got := models.AuditTableLabel("users"); got != "People" {
		t.Errorf("users read %q", got)
	}
	if table, ok := models.ReferencedTable("requisition_lines", "requisition_id"); !ok || table != "requisitions" {
		t.Errorf("requisition_id points at %q %v", table, ok)
	}
}

// A permission's row reads as its role, area and action: the policy engine's kind of row and
// its unused places are left out of History and the audit log.
func TestPermissionRowsShowOnlyWhatTheyMean(t *testing.T) {
	e := models.AuditEntry{TableName: "casbin_rule", Action: "delete", Old: map[string]any{
		"id": 148, "ptype": "p", "v0": "requester", "v1": "bills", "v2": "read", "v3": "", "v4": "", "v5": ""}}
	if got := strings.Join(models.HistoryFields(e), ","); got != "v0,v1,v2" {
		t.Errorf("fields shown: %q, want v0,v1,v2", got)
	}
}
