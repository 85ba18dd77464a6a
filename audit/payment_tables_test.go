package audit_test

import (
	"strconv"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
)

// Payment runs, their lines, the bank accounts copied onto them and the organisation's
// payment settings: create, update and delete of each leave exactly one record with the
// record's id and the changed columns.
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
	account := &models.PaymentRunVendor{VendorID: vendor.ID, Scheme: models.BankUSACH, HolderName: "Initech", RoutingNumber: "011000015",
		AccountType: models.AccountChecking, AccountSecret: []byte("sealed"), AccountMasked: "•••• 4321", BankUpdatedAt: day}
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
		// stamped: the table has an updated_at, which an update changes too (a copy of a
		// vendor's bank account is never changed, and has none).
		stamped bool
	}{
		{"payment_runs", func() (any, string, error) {
			err := db.Create(run).Error
			return run, strconv.FormatInt(run.ID, 10), err
		}, "memo", "Friday run", true},
		{"payment_lines", func() (any, string, error) {
			line.PaymentRunID = run.ID
			err := db.Create(line).Error
			return line, strconv.FormatInt(line.ID, 10), err
		}, "amount_minor", int64(500), true},
		{"payment_run_vendors", func() (any, string, error) {
			account.PaymentRunID = run.ID
			err := db.Create(account).Error
			return account, strconv.FormatInt(account.ID, 10), err
		}, "holder_name", "Initech Inc", false},
		{"payment_settings", func() (any, string, error) {
			err := db.Create(settings).Error
			return settings, "1", err
		}, "company_name", "Acme Corp", true},
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
		changed := []string{tc.column}
		if tc.stamped {
			changed = append(changed, "updated_at")
		}
		checkChange(t, expectOne(t, db, mark, tc.table+" update"), "update", tc.table, id, changed...)
	}
	for _, row := range []struct {
		table string
		v     any
	}{{"payment_lines", line}, {"payment_run_vendors", account}, {"payment_runs", run}, {"payment_settings", settings}} {
		mark := lastID(t, db)
		if err := db.Delete(row.v).Error; err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, row.table+" delete"); rec.Action != "delete" || rec.Old == nil || rec.New != nil {
			t.Errorf("%s delete recorded %s", row.table, rec.Action)
		}
	}
}
