package models_test

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// Every name an admin types is one line of visible text, as vendors' and departments' are: a
// line break (also Unicode's line and paragraph separators) or a tab would show two names
// where there is one, and an invisible text-direction control could make one name look like
// another. Each is refused beside its own field, with the same words everywhere.
func TestAdminTypedNamesAreOneLineWithoutTextDirectionControls(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	role, err := models.CreateRole(ctx, db, "Finance lead")
	if err != nil {
		t.Fatal(err)
	}
	vendor, err := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: "Initech", PaymentTerms: "30", Currency: "USD", Status: models.VendorActive})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := models.CreateUser(ctx, db, models.NewUser{Email: "ada@example.com", Name: "Ada Admin", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}

	// save stores name in one admin form, and field is where its message is shown.
	forms := []struct {
		form, field string
		save        func(name string) error
	}{
		{"approval rule", "name", func(name string) error {
			_, err := models.CreateApprovalRule(ctx, db, models.RuleInput{DocType: models.DocRequisition, Name: name, Priority: "10",
				Currency: "USD", BudgetCheck: models.BudgetCheckWarn, Steps: []models.RuleStepInput{{Kind: models.StepManager}}})
			return err
		}},
		{"new role", "label", func(name string) error { _, err := models.CreateRole(ctx, db, name); return err }},
		{"renamed role", "label", func(name string) error { return models.RenameRole(ctx, db, models.ByOperator(), role.Name, name) }},
		{"sign-in button", "label", func(name string) error {
			_, err := models.SaveSSOProvider(ctx, db, 0, models.SSOProviderInput{Kind: models.SSOKindOIDC, Name: "okta", Label: name,
				Issuer: "https://example.okta.com", ClientID: "client", ClientSecret: "secret"}, models.SSORules{})
			return err
		}},
		{"API token", "name", func(name string) error { _, _, err := models.CreateToken(ctx, db, admin.ID, name, 30, nil); return err }},
		{"ACH company name", "company_name", func(name string) error {
			return models.SavePaymentSettings(ctx, db, models.PaymentSettings{CompanyName: name})
		}},
		{"ACH bank name", "ach_bank_name", func(name string) error {
			return models.SavePaymentSettings(ctx, db, models.PaymentSettings{ACHBankName: name})
		}},
		{"organisation's account holder", "holder", func(name string) error {
			_, err := models.SetOrgBankAccount(ctx, db, nil, models.BankDetailsInput{Holder: name, IBAN: "DE89370400440532013000"})
			return err
		}},
		{"vendor's account holder", "holder_name", func(name string) error {
			return models.SaveVendorBankAccount(ctx, db, nil, vendor, models.VendorBankInput{Scheme: models.BankIBAN, HolderName: name,
				IBAN: "DE89370400440532013000"})
		}},
	}
	typed := []struct{ name, want string }{
		{"Fin\nance", "Write the name on one line, without line breaks or tabs."},
		{"Fin\tance", "Write the name on one line, without line breaks or tabs."},
		{"Fin\u2028ance", "Write the name on one line, without line breaks or tabs."},
		{"Fin\u202eance", "Remove the invisible text-direction characters from the name."},
		{"Fin\u2066ance", "Remove the invisible text-direction characters from the name."},
	}
	for _, f := range forms {
		for _, ty := range typed {
			if got := fieldError(t, f.save(ty.name), f.field); got != ty.want {
				t.Errorf("%s named %q: %s says %q, want %q", f.form, ty.name, f.field, got, ty.want)
			}
		}
	}

	// Nothing was stored, and a name of one line, typed with runs of spaces, is kept as one
	// line with single spaces.
	if r, _ := models.FindRole(ctx, db, role.Name); r == nil || r.Label != "Finance lead" {
		t.Errorf("the refused renames changed the role: %+v", r)
	}
	rule, err := models.CreateApprovalRule(ctx, db, models.RuleInput{DocType: models.DocRequisition, Name: "  Engineering   over  $10,000 ",
		Priority: "10", Currency: "USD", BudgetCheck: models.BudgetCheckWarn, Steps: []models.RuleStepInput{{Kind: models.StepManager}}})
	if err != nil {
		t.Fatal(err)
	}
	if rule.Name != "Engineering over $10,000" {
		t.Errorf("rule name kept as %q", rule.Name)
	}
	if err := models.RenameRole(ctx, db, models.ByOperator(), role.Name, " Finance   leads "); err != nil {
		t.Fatal(err)
	}
	if r, _ := models.FindRole(ctx, db, role.Name); r == nil || r.Label != "Finance leads" {
		t.Errorf("role renamed to %+v", r)
	}
}
