package handlers

import (
	"time"

	"testing"

	"outlay/models"
)

// History shows amounts as money in the row's currency, quantities and tax rates as people
// write them, and leaves other numbers alone.
func TestHistoryFormatsMoneyQuantitiesAndRates(t *testing.T) {
	t.Parallel()
	e := models.AuditEntry{Action: "update", TableName: "requisition_lines", RecordID: "4",
		Changed: []string{"amount_minor", "quantity_milli", "tax_rate_bp", "position"},
		Old:     map[string]any{"amount_minor": 123456.0, "quantity_milli": 2500.0, "tax_rate_bp": 2000.0, "position": 1.0, "currency": "EUR"},
		New:     map[string]any{"amount_minor": 1200.0, "quantity_milli": 3000.0, "tax_rate_bp": 725.0, "position": 2.0, "currency": "EUR"},
	}
	want := map[string][2]string{
		"Amount":   {"€1,234.56", "€12.00"},
		"Quantity": {"2.5", "3"},
		"Tax rate": {"20%", "7.25%"},
		"Position": {"1", "2"},
	}
	row := auditRow(e, models.AuditNames{}, time.UTC)
	if len(row.Changes) != len(want) {
		t.Fatalf("changes %+v", row.Changes)
	}
	for _, c := range row.Changes {
		if w, ok := want[c.Field]; !ok || c.Old != w[0] || c.New != w[1] {
			t.Errorf("%s: %q → %q, want %q → %q", c.Field, c.Old, c.New, w[0], w[1])
		}
	}
	// Without a currency on the row an amount stays a plain number.
	if got := fieldText("requisitions", "total_minor", map[string]any{"total_minor": 500.0}, models.AuditNames{}, time.UTC); got != "500" {
		t.Errorf("amount without currency = %q", got)
	}
}

// History names the records a change points at: "Engineering (#3)", or the bare id when the
// record is gone.
func TestHistoryNamesReferencedRecords(t *testing.T) {
	t.Parallel()
	e := models.AuditEntry{Action: "update", TableName: "users", RecordID: "9", Changed: []string{"department_id", "manager_id"},
		Old: map[string]any{"department_id": 3.0, "manager_id": nil},
		New: map[string]any{"department_id": 4.0, "manager_id": 7.0}}
	names := map[string]map[int64]models.Reference{"departments": {3: {Name: "Engineering"}, 4: {Name: "Finance"}}}
	got := map[string][2]string{}
	for _, c := range auditRow(e, models.AuditNames{Records: names}, time.UTC).Changes {
		got[c.Field] = [2]string{c.Old, c.New}
	}
	if got["Department"] != [2]string{"Engineering (#3)", "Finance (#4)"} || got["Manager"] != [2]string{"—", "#7"} {
		t.Errorf("changes %v", got)
	}
}

// A line's amounts read as money in its document's currency.
func TestHistoryShowsLinesInTheirDocumentsCurrency(t *testing.T) {
	t.Parallel()
	names := map[string]map[int64]models.Reference{"requisitions": {5: {Name: "REQ-000005", Currency: "EUR"}}}
	row := map[string]any{"requisition_id": 5.0, "amount_minor": 96000.0}
	if got := fieldText("requisition_lines", "amount_minor", row, models.AuditNames{Records: names}, time.UTC); got != "€960.00" {
		t.Errorf("line amount %q", got)
	}
	if got := fieldText("requisition_lines", "requisition_id", row, models.AuditNames{Records: names}, time.UTC); got != "REQ-000005 (#5)" {
		t.Errorf("line's requisition %q", got)
	}
}

// An expense line's own amount reads in what was spent, its converted amount in its report's
// currency.
func TestAnExpenseLineReadsInBothItsCurrencies(t *testing.T) {
	t.Parallel()
	names := map[string]map[int64]models.Reference{"expense_reports": {5: {Name: "EXP-000005", Currency: "EUR"}}}
	row := map[string]any{"report_id": 5.0, "currency": "USD", "amount_minor": 11000.0, "report_minor": 10120.0}
	if got := fieldText("expense_lines", "amount_minor", row, models.AuditNames{Records: names}, time.UTC); got != "$110.00" {
		t.Errorf("the line's amount %q, want $110.00", got)
	}
	if got := fieldText("expense_lines", "report_minor", row, models.AuditNames{Records: names}, time.UTC); got != "€101.20" {
		t.Errorf("the line's amount in its report's currency %q, want €101.20", got)
	}
	// Its report unknown, the converted amount is a number, never money in the line's currency.
	if got := fieldText("expense_lines", "report_minor", row, models.AuditNames{}, time.UTC); got != "10120" {
		t.Errorf("without its report %q, want 10120", got)
	}
}

// A recorded time reads in the organisation's time zone, as the When column does.
func TestRecordedTimesReadInTheOrganisationsZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]any{"acted_at": "2026-12-03T06:00:00Z"}
	if got := fieldText("approval_steps", "acted_at", row, models.AuditNames{}, berlin); got != "3 Dec 2026 07:00" {
		t.Errorf("in Berlin %q", got)
	}
	if got := fieldText("approval_steps", "acted_at", row, models.AuditNames{}, time.UTC); got != "3 Dec 2026 06:00" {
		t.Errorf("in UTC %q", got)
	}
}

// A day (a date column such as a requisition's "needed by") reads as pages write days; a
// moment reads in the organisation's time zone; other text is left alone.
func TestHistoryWritesDaysAsPagesDo(t *testing.T) {
	t.Parallel()
	ny := time.FixedZone("EST", -5*60*60)
	for in, want := range map[string]string{
		"2026-12-27":           "27 Dec 2026",
		"2026-12-27T15:04:05Z": "27 Dec 2026 10:04",
		"INV-2026-12":          "INV-2026-12",
		"2026-13-45":           "2026-13-45",
	} {
		if got := valueText(in, ny); got != want {
			t.Errorf("valueText(%q) = %q, want %q", in, got, want)
		}
	}
}
