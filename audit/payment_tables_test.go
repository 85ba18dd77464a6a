package audit_test

import (
	"strconv"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
)

// Payment runs, their lines and the organisation's payment settings: create, update and
// delete of each leave exactly one record with the record's id and the changed columns.
func TestPaymentTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	clerk := models.User{Email: "cleo@acme.example", Name: "Cleo", Status: models.UserActive}
	vendor := models.Vendor{Name: "Initech", Currency: "USD", Status: models.VendorActive}
	for _, row := range []any{&clerk, &vendor} {
		if err := db.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	bill := models.Bill{Number: "BILL-T1", VendorID: vendor.ID, VendorInvoiceNumber: "INV-1", InvoiceDate: day, DueDate: day,
		Currency: "USD", SubtotalMinor: 1000, TotalMinor: 1000, Status: models.BillApproved, MatchStatus: models.MatchNone, EnteredByID: clerk.ID}
	if err := db.Create(&bill).Error; err != nil {
		t.Fatal(err)
	}
	run := &models.PaymentRun{Number: "PAY-T1", Currency: "USD", Method: models.MethodACH, DueBy: day, PayOn: day, TotalMinor: 1000,
		Status: models.PaymentDraft, CreatedByID: clerk.ID}
	line := &models.PaymentLine{BillID: bill.ID, VendorID: vendor.ID, AmountMinor: 1000}
	// The migration made the settings' one row; it goes first, so that creating it is seen.
	settings := &models.PaymentSettings{ID: 1}
	if err := db.Delete(settings).Error; err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		table  string
		create func() (any, string, error)
		column string
		value  any
	}{
		{"payment_runs", func() (any, string, error) {
			err := db.Create(run).Error
			return run, strconv.FormatInt(run.ID, 10), err
		}, "memo", "Friday run"},
		{"payment_lines", func() (any, string, error) {
			line.PaymentRunID = run.ID
			err := db.Create(line).Error
			return line, strconv.FormatInt(line.ID, 10), err
		}, "amount_minor", int64(500)},
		{"payment_settings", func() (any, string, error) {
			err := db.Create(settings).Error
			return settings, "1", err
		}, "company_name", "Acme Corp"},
	} {
		mark := lastID(t, db)
		row, id, err := tc.create()
		if err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, tc.table+" create"); rec.Action != "create" || rec.TableName != tc.table || rec.RecordID != id {
			t.Errorf("%s create recorded %s %s %q", tc.table, rec.Action, rec.TableName, rec.RecordID)
		}
		mark = lastID(t, db)
		if err := db.Model(row).Update(tc.column, tc.value).Error; err != nil {
			t.Fatal(err)
		}
		checkChange(t, expectOne(t, db, mark, tc.table+" update"), "update", tc.table, id, tc.column, "updated_at")
	}
	for _, row := range []struct {
		table string
		v     any
	}{{"payment_lines", line}, {"payment_runs", run}, {"payment_settings", settings}} {
		mark := lastID(t, db)
		if err := db.Delete(row.v).Error; err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, row.table+" delete"); rec.Action != "delete" || rec.Old == nil || rec.New != nil {
			t.Errorf("%s delete recorded %s", row.table, rec.Action)
		}
	}
}
