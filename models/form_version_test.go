package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"outlay/auth"
	"outlay/internal/dbtest"
	"outlay/models"
)

// Two saves of forms read at the same version of a record, made at once, cannot both pass the
// check: the record is locked for the save, so one waits for the other and then finds the
// record changed. Whichever comes first is saved, and the other is refused, for every kind
// of record whose form carries a version.
func TestSavesOfOneFormVersionAtOnce(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	box, err := auth.NewSecretBox([]byte("0123456789abcdef0123456789abcdef"), models.VendorBankSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	dept, err := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: "Research"})
	if err != nil {
		t.Fatal(err)
	}
	vendor, err := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: "Initech", PaymentTerms: "30", Currency: "EUR", Status: models.VendorActive})
	if err != nil {
		t.Fatal(err)
	}
	rule, err := models.CreateApprovalRule(ctx, db, models.RuleInput{DocType: models.DocRequisition, Name: "Large purchases", Priority: "10",
		Currency: "USD", BudgetCheck: models.BudgetCheckWarn, Active: true, Steps: []models.RuleStepInput{{Kind: models.StepManager}}})
	if err != nil {
		t.Fatal(err)
	}
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	riley := env.CreateUser(t, acme, "riley@acme.example", "Riley Requester", "requester")
	version := func(query string, id int64) string {
		t.Helper()
		var at time.Time
		if err := db.Raw(query, id).Scan(&at).Error; err != nil {
			t.Fatal(err)
		}
		return models.VersionAt(at)
	}
	kinds := []struct {
		name string
		read func() string // the version a form reads now
		// save saves the i-th tab's change from a form read at v.
		save func(v string, i int) error
	}{
		{"vendor", func() string { return version(`SELECT updated_at FROM vendors WHERE id = ?`, vendor) }, func(v string, i int) error {
			_, err := models.SaveVendor(ctx, db, vendor, models.VendorInput{FormVersion: models.FormVersion{Version: v}, Name: "Initech",
				Email: fmt.Sprintf("tab%d@initech.example", i), PaymentTerms: "30", Currency: "EUR", Status: models.VendorActive})
			return err
		}},
		{"department", func() string { return version(`SELECT updated_at FROM departments WHERE id = ?`, dept) }, func(v string, i int) error {
			_, err := models.SaveDepartment(ctx, db, dept, models.DepartmentInput{FormVersion: models.FormVersion{Version: v}, Name: fmt.Sprintf("Research %d", i)})
			return err
		}},
		{"vendor's bank details", func() string { return models.NoVersion }, func(v string, i int) error {
			return models.SaveVendorBankAccount(ctx, db, box, vendor, models.VendorBankInput{FormVersion: models.FormVersion{Version: v},
				Scheme: models.BankIBAN, HolderName: fmt.Sprintf("Initech %d", i), IBAN: "DE89 3704 0044 0532 0130 00"})
		}},
		{"approval rule", func() string { return version(`SELECT updated_at FROM approval_rules WHERE id = ?`, rule.ID) }, func(v string, i int) error {
			return models.UpdateApprovalRule(ctx, db, rule.ID, models.RuleInput{FormVersion: models.FormVersion{Version: v}, DocType: models.DocRequisition,
				Name: "Large purchases", Priority: "10", Currency: "USD", MaxAmount: fmt.Sprintf("%d00.00", i+1), BudgetCheck: models.BudgetCheckWarn,
				Active: true, Steps: []models.RuleStepInput{{Kind: models.StepManager}}})
		}},
		{"person", func() string { return version(`SELECT updated_at FROM users WHERE id = ?`, riley.ID) }, func(v string, i int) error {
			roles := [][]string{{"requester", "approver"}, {"requester"}}[i]
			return models.UpdateUser(ctx, db, models.ByOperator(), riley.ID, models.UserChange{FormVersion: models.FormVersion{Version: v},
				Name: "Riley Requester", Roles: roles})
		}},
		{"organisation settings", func() string { return version(`SELECT updated_at FROM org_settings WHERE id = ?`, 1) }, func(v string, i int) error {
			return models.UpdateSettings(ctx, db, models.SettingsInput{FormVersion: models.FormVersion{Version: v}, DefaultCurrency: "USD",
				TimeZone: "UTC", BillToAddress: fmt.Sprintf("%d Main St", i+1)})
		}},
	}
	for _, k := range kinds {
		read := k.read()
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = k.save(read, i)
			}()
		}
		wg.Wait()
		saved, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				saved++
			case models.ChangedSince(err):
				refused++
			default:
				t.Errorf("%s: %v", k.name, err)
			}
		}
		if saved != 1 || refused != 1 {
			t.Errorf("%s: two saves of forms read at version %q at once: %d saved, %d refused; want one of each", k.name, read, saved, refused)
		}
	}
}
