package audit_test

import (
	"strconv"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
)

// Bills and their lines: create, update and delete of each leave exactly one record with the
// record's id and exactly the changed columns.
func TestBillTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	clerk := models.User{Email: "cleo@acme.example", Name: "Cleo", Status: models.UserActive}
	if err := db.Create(&clerk).Error; err != nil {
		t.Fatal(err)
	}
	vendor := models.Vendor{Name: "Initech", Currency: "USD", Status: models.VendorActive}
	if err := db.Create(&vendor).Error; err != nil {
		t.Fatal(err)
	}
	day := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	bill := &models.Bill{Number: "BILL-T1", VendorID: vendor.ID, VendorInvoiceNumber: "INV-1", InvoiceDate: day, DueDate: day,
		Currency: "USD", SubtotalMinor: 1000, TotalMinor: 1000, Status: models.BillDraft, MatchStatus: models.MatchNone, EnteredByID: clerk.ID}
	mark := lastID(t, db)
	if err := db.Create(bill).Error; err != nil {
		t.Fatal(err)
	}
	billID := strconv.FormatInt(bill.ID, 10)
	if rec := expectOne(t, db, mark, "bills create"); rec.Action != "create" || rec.TableName != "bills" || rec.RecordID != billID {
		t.Errorf("bills create recorded %s %s %q", rec.Action, rec.TableName, rec.RecordID)
	}
	mark = lastID(t, db)
	if err := db.Model(bill).Update("memo", "Quarterly").Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "bills update"), "update", "bills", billID, "memo", "updated_at")

	line := &models.BillLine{BillID: bill.ID, Position: 1, Description: "Support", QuantityMilli: 1000, UnitPriceMinor: 1000,
		AmountMinor: 1000, MatchStatus: models.MatchNone}
	mark = lastID(t, db)
	if err := db.Create(line).Error; err != nil {
		t.Fatal(err)
	}
	lineID := strconv.FormatInt(line.ID, 10)
	if rec := expectOne(t, db, mark, "bill_lines create"); rec.Action != "create" || rec.TableName != "bill_lines" || rec.RecordID != lineID {
		t.Errorf("bill_lines create recorded %s %s %q", rec.Action, rec.TableName, rec.RecordID)
	}
	mark = lastID(t, db)
	if err := db.Model(line).Update("match_note", "billed 2, received 1").Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "bill_lines update"), "update", "bill_lines", lineID, "match_note", "updated_at")

	for _, row := range []struct {
		table, id string
		v         any
	}{{"bill_lines", lineID, line}, {"bills", billID, bill}} {
		mark = lastID(t, db)
		if err := db.Delete(row.v).Error; err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, row.table+" delete"); rec.Action != "delete" || rec.RecordID != row.id || rec.Old == nil || rec.New != nil {
			t.Errorf("%s delete recorded %s %q", row.table, rec.Action, rec.RecordID)
		}
	}
}
