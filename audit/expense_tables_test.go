package audit_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
	"outlay/money"
)

// The expense tables are audited row by row: a create, an update and a delete each leave one
// record, with the actor.
func TestExpenseTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	owner := models.User{Email: "bo@acme.example", Name: "Bo", Status: models.UserActive}
	if err := db.Create(&owner).Error; err != nil {
		t.Fatal(err)
	}
	gl := models.GLAccount{Code: "7000", Name: "Travel"}
	if err := db.Create(&gl).Error; err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	category := &models.ExpenseCategory{Name: "Meals", GLAccountID: gl.ID, Currency: "USD"}
	rate := &models.MileageRate{Unit: models.UnitKm, EffectiveFrom: day, RateMilli: 30000, Currency: "USD"}
	perDiem := &models.PerDiemRate{Destination: "Berlin", DailyMinor: 8000, Currency: "EUR"}
	number := "EXP-000001"
	report := &models.ExpenseReport{Number: &number, OwnerID: owner.ID, Title: "Visit", Currency: "USD", Status: models.ExpenseSubmitted}
	line := &models.ExpenseLine{Position: 1, Kind: models.LineExpense, SpentOn: day, Merchant: "Cafe", AmountMinor: 1200, Currency: "USD",
		Rate: money.RateOf(1, 0), ReportMinor: 1200}
	cases := []struct {
		table   string
		row     any
		link    func()
		column  string
		value   any
		changed []string
	}{
		{"expense_categories", category, nil, "name", "Meals and drinks", []string{"name", "updated_at"}},
		{"mileage_rates", rate, nil, "rate_milli", 35000, []string{"rate_milli", "updated_at"}},
		{"per_diem_rates", perDiem, nil, "daily_minor", 9000, []string{"daily_minor", "updated_at"}},
		{"expense_reports", report, nil, "status", models.ExpenseApproved, []string{"status", "updated_at"}},
		{"expense_lines", line, func() { line.ReportID, line.CategoryID = report.ID, category.ID }, "merchant", "Café", []string{"merchant", "updated_at"}},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		if tc.link != nil {
			tc.link()
		}
		mark := lastID(t, db)
		if err := db.Create(tc.row).Error; err != nil {
			t.Fatalf("%s create: %v", tc.table, err)
		}
		id := strconv.FormatInt(reflect.ValueOf(tc.row).Elem().FieldByName("ID").Int(), 10)
		ids[tc.table] = id
		rec := expectOne(t, db, mark, tc.table+" create")
		if rec.Action != "create" || rec.TableName != tc.table || rec.RecordID != id || rec.Old != nil {
			t.Errorf("%s create recorded %s %s %q old %v", tc.table, rec.Action, rec.TableName, rec.RecordID, rec.Old)
		}
		checkActor(t, rec)
		mark = lastID(t, db)
		if err := db.Model(tc.row).Update(tc.column, tc.value).Error; err != nil {
			t.Fatalf("%s update: %v", tc.table, err)
		}
		checkChange(t, expectOne(t, db, mark, tc.table+" update"), "update", tc.table, id, tc.changed...)
	}
	for i := len(cases) - 1; i >= 0; i-- {
		tc := cases[i]
		mark := lastID(t, db)
		if err := db.Delete(tc.row).Error; err != nil {
			t.Fatalf("%s delete: %v", tc.table, err)
		}
		rec := expectOne(t, db, mark, tc.table+" delete")
		if rec.Action != "delete" || rec.TableName != tc.table || rec.RecordID != ids[tc.table] || rec.New != nil || rec.Old == nil {
			t.Errorf("%s delete recorded %s %s %q", tc.table, rec.Action, rec.TableName, rec.RecordID)
		}
	}
}
