package audit_test

import (
	"strconv"
	"testing"
	"time"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

// Bank accounts, reimbursement batches and advance deductions: create, update and delete of
// each leave exactly one record with the record's id and exactly the changed columns, and a
// sealed IBAN is recorded only as redacted.
func TestReimbursementTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	owner := models.User{Email: "tess@acme.example", Name: "Tess", Status: models.UserActive}
	if err := db.Create(&owner).Error; err != nil {
		t.Fatal(err)
	}
	ownerID := strconv.FormatInt(owner.ID, 10)

	acct := &models.BankAccount{UserID: owner.ID, AccountHolder: "Tess", IBANSealed: []byte("sealed-one")}
	mark := lastID(t, db)
	if err := db.Create(acct).Error; err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "user_bank_accounts create")
	if rec.Action != "create" || rec.RecordID != ownerID || rec.New["iban_sealed"] != audit.Redacted {
		t.Errorf("user_bank_accounts create recorded %s %q iban %v", rec.Action, rec.RecordID, rec.New["iban_sealed"])
	}
	mark = lastID(t, db)
	if err := db.Model(acct).Updates(map[string]any{"iban_sealed": []byte("sealed-two"), "updated_at": time.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "user_bank_accounts update")
	checkChange(t, rec, "update", "user_bank_accounts", ownerID, "iban_sealed", "updated_at")
	if rec.Old["iban_sealed"] != audit.Redacted || rec.New["iban_sealed"] != audit.Redacted {
		t.Errorf("the sealed IBAN is recorded as %v → %v", rec.Old["iban_sealed"], rec.New["iban_sealed"])
	}

	batch := &models.ReimbursementBatch{Number: "RB-000001", Status: models.BatchScheduled, CreatedByID: owner.ID}
	mark = lastID(t, db)
	if err := db.Create(batch).Error; err != nil {
		t.Fatal(err)
	}
	batchID := strconv.FormatInt(batch.ID, 10)
	if rec := expectOne(t, db, mark, "reimbursement_batches create"); rec.Action != "create" || rec.RecordID != batchID {
		t.Errorf("reimbursement_batches create recorded %s %q", rec.Action, rec.RecordID)
	}
	mark = lastID(t, db)
	if err := db.Model(batch).Update("reference", "SEPA 12").Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "reimbursement_batches update"), "update", "reimbursement_batches", batchID, "reference", "updated_at")

	report := &models.ExpenseReport{OwnerID: owner.ID, Title: "Trip", Currency: "USD", Status: models.ExpenseDraft}
	trip := &models.TravelRequest{TravellerID: owner.ID, FiledByID: owner.ID, Currency: "USD", Status: models.TravelDraft}
	for _, v := range []any{report, trip} {
		if err := db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	d := &models.AdvanceDeduction{ReportID: report.ID, TravelRequestID: trip.ID, AmountMinor: 500}
	mark = lastID(t, db)
	if err := db.Create(d).Error; err != nil {
		t.Fatal(err)
	}
	dID := strconv.FormatInt(d.ID, 10)
	if rec := expectOne(t, db, mark, "expense_advance_deductions create"); rec.Action != "create" || rec.RecordID != dID {
		t.Errorf("expense_advance_deductions create recorded %s %q", rec.Action, rec.RecordID)
	}
	mark = lastID(t, db)
	if err := db.Model(d).Update("amount_minor", 400).Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "expense_advance_deductions update"), "update", "expense_advance_deductions", dID, "amount_minor")

	for _, row := range []struct {
		table, id string
		v         any
	}{{"expense_advance_deductions", dID, d}, {"reimbursement_batches", batchID, batch}, {"user_bank_accounts", ownerID, acct}} {
		mark = lastID(t, db)
		if err := db.Delete(row.v).Error; err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, row.table+" delete"); rec.Action != "delete" || rec.RecordID != row.id || rec.Old == nil || rec.New != nil {
			t.Errorf("%s delete recorded %s %q", row.table, rec.Action, rec.RecordID)
		}
	}
}
