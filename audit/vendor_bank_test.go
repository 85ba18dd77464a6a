package audit_test

import (
	"bytes"
	"strconv"
	"testing"

	"outlay/audit"
	"outlay/auth"
	"outlay/internal/dbtest"
	"outlay/models"
)

// A vendor's bank details are audited like any row, but the sealed account number is only
// ever recorded as changed, and the number itself appears nowhere in the log.
func TestVendorBankAccountsCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	box, err := auth.NewSecretBox(bytes.Repeat([]byte{9}, 32), models.VendorBankSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	v := models.Vendor{Name: "Euro GmbH", PaymentTermsDays: 30, Currency: "EUR", Status: models.VendorActive}
	if err := db.Create(&v).Error; err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(v.ID, 10)
	in := models.VendorBankInput{Scheme: models.BankIBAN, HolderName: "Euro GmbH", IBAN: "DE89370400440532013000"}
	mark := lastID(t, db)
	if err := models.SaveVendorBankAccount(asUser(), db, box, v.ID, in); err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "vendor_bank_accounts create")
	if rec.Action != "create" || rec.TableName != "vendor_bank_accounts" || rec.RecordID != id {
		t.Errorf("create recorded %s %s %q", rec.Action, rec.TableName, rec.RecordID)
	}
	if value(t, rec, false, "account_secret") != audit.Redacted {
		t.Errorf("the sealed IBAN is recorded as %v", rec.New["account_secret"])
	}

	in.IBAN = "GB82 WEST 1234 5698 7654 32"
	mark = lastID(t, db)
	if err := models.SaveVendorBankAccount(asUser(), db, box, v.ID, in); err != nil {
		t.Fatal(err)
	}
	rec = expectOne(t, db, mark, "vendor_bank_accounts update")
	checkChange(t, rec, "update", "vendor_bank_accounts", id, "account_masked", "account_secret", "updated_at")
	if value(t, rec, true, "account_secret") != audit.Redacted || value(t, rec, false, "account_secret") != audit.Redacted {
		t.Errorf("the change of IBAN is recorded as %v -> %v", rec.Old["account_secret"], rec.New["account_secret"])
	}

	mark = lastID(t, db)
	if err := models.RemoveVendorBankAccount(asUser(), db, v.ID); err != nil {
		t.Fatal(err)
	}
	if rec := expectOne(t, db, mark, "vendor_bank_accounts delete"); rec.Action != "delete" || rec.RecordID != id || rec.New != nil {
		t.Errorf("delete recorded %s %q", rec.Action, rec.RecordID)
	}
	for _, secret := range []string{"DE89370400440532013000", "GB82WEST12345698765432", "0532013000", "98765432"} {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM audit_log a WHERE strpos(a::text, ?) > 0`, secret).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s is in %d audit rows", secret, n)
		}
	}
}
