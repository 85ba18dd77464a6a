package models_test

import (
	"bytes"
	"context"
	"testing"

	"outlay"
	"outlay/auth"
	"outlay/internal/dbtest"
	"outlay/models"
)

func bankBox(t *testing.T) *auth.SecretBox {
	t.Helper()
	box, err := auth.NewSecretBox(bytes.Repeat([]byte{7}, 32), models.VendorBankSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func TestVendorBankDetailsAreValidatedSealedAndMasked(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	box := bankBox(t)
	var ids []int64
	for _, name := range []string{"Euro GmbH", "US Inc"} {
		id, err := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: name, PaymentTerms: "30", Currency: "EUR", Status: models.VendorActive})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	eu, us := ids[0], ids[1]

	for name, tc := range map[string]struct {
		in    models.VendorBankInput
		field string
	}{
		"IBAN check digits":  {models.VendorBankInput{Scheme: models.BankIBAN, HolderName: "Euro GmbH", IBAN: "DE89 3704 0044 0532 0130 01"}, "iban"},
		"IBAN length":        {models.VendorBankInput{Scheme: models.BankIBAN, HolderName: "Euro GmbH", IBAN: "DE89 3704 0044 0532 0130"}, "iban"},
		"no IBAN":            {models.VendorBankInput{Scheme: models.BankIBAN, HolderName: "Euro GmbH"}, "iban"},
		"BIC form":           {models.VendorBankInput{Scheme: models.BankIBAN, HolderName: "Euro GmbH", IBAN: "DE89370400440532013000", BIC: "COBA"}, "bic"},
		"routing check":      {models.VendorBankInput{Scheme: models.BankUSACH, HolderName: "US Inc", RoutingNumber: "021000022", AccountNumber: "12345", AccountType: "checking"}, "routing_number"},
		"account characters": {models.VendorBankInput{Scheme: models.BankUSACH, HolderName: "US Inc", RoutingNumber: "021000021", AccountNumber: "12_45", AccountType: "checking"}, "account_number"},
		"account type":       {models.VendorBankInput{Scheme: models.BankUSACH, HolderName: "US Inc", RoutingNumber: "021000021", AccountNumber: "12345"}, "account_type"},
		"holder":             {models.VendorBankInput{Scheme: models.BankIBAN, IBAN: "DE89370400440532013000"}, "holder_name"},
		"scheme":             {models.VendorBankInput{Scheme: "swift", HolderName: "X"}, "scheme"},
	} {
		err := models.SaveVendorBankAccount(ctx, db, box, eu, tc.in)
		if v, ok := outlay.AsValidation(err); !ok || !v.Has(tc.field) {
			t.Errorf("%s: got %v, want a message beside %s", name, err, tc.field)
		}
	}
	if _, err := models.GetVendorBankAccount(ctx, db, eu); err != outlay.ErrNotFound {
		t.Fatalf("refused details were kept: %v", err)
	}
	if err := models.SaveVendorBankAccount(ctx, db, nil, eu, models.VendorBankInput{Scheme: models.BankIBAN, HolderName: "Euro GmbH",
		IBAN: "DE89370400440532013000"}); err == nil {
		t.Error("kept bank details without a secret key")
	}

	if err := models.SaveVendorBankAccount(ctx, db, box, eu, models.VendorBankInput{Scheme: models.BankIBAN, HolderName: "Euro GmbH",
		IBAN: "de89 3704 0044 0532 0130 00", BIC: "cobadeffxxx"}); err != nil {
		t.Fatal(err)
	}
	if err := models.SaveVendorBankAccount(ctx, db, box, us, models.VendorBankInput{Scheme: models.BankUSACH, HolderName: "US Inc",
		RoutingNumber: "021000021", AccountNumber: "000123456789", AccountType: models.AccountSavings}); err != nil {
		t.Fatal(err)
	}
	a, err := models.GetVendorBankAccount(ctx, db, eu)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccountMasked != "DE89 •••• •••• •••• 3000" || a.BIC != "COBADEFFXXX" {
		t.Errorf("IBAN kept as %q, BIC %q", a.AccountMasked, a.BIC)
	}
	if iban, err := a.Account(box); err != nil || iban != "DE89370400440532013000" {
		t.Errorf("IBAN opens as %q, %v", iban, err)
	}
	b, err := models.GetVendorBankAccount(ctx, db, us)
	if err != nil {
		t.Fatal(err)
	}
	if b.AccountMasked != "•••• 6789" || b.RoutingNumber != "021000021" || b.AccountType != models.AccountSavings {
		t.Errorf("US account kept as %+v", b)
	}
	// Nothing in the database holds either number in clear.
	for _, secret := range []string{"DE89370400440532013000", "000123456789", "123456789"} {
		var n int64
		db.Raw(`SELECT count(*) FROM vendor_bank_accounts v WHERE strpos(v::text, ?) > 0 OR strpos(encode(v.account_secret, 'escape'), ?) > 0`, secret, secret).Scan(&n)
		if n != 0 {
			t.Errorf("%s is stored in clear", secret)
		}
	}
	// A sealed number copied onto another vendor does not open there.
	b.AccountSecret = a.AccountSecret
	if _, err := b.Account(box); err == nil {
		t.Error("a sealed IBAN opened on another vendor's row")
	}
	// A change replaces the details; removing forgets them.
	if err := models.SaveVendorBankAccount(ctx, db, box, us, models.VendorBankInput{Scheme: models.BankUSACH, HolderName: "US Inc",
		RoutingNumber: "011000015", AccountNumber: "555-01", AccountType: models.AccountChecking}); err != nil {
		t.Fatal(err)
	}
	if b, _ = models.GetVendorBankAccount(ctx, db, us); b.AccountMasked != "•••• 5-01" || b.RoutingNumber != "011000015" {
		t.Errorf("changed US account kept as %+v", b)
	}
	if err := models.RemoveVendorBankAccount(ctx, db, us); err != nil {
		t.Fatal(err)
	}
	if _, err := models.GetVendorBankAccount(ctx, db, us); err != outlay.ErrNotFound {
		t.Errorf("removed details still found: %v", err)
	}
}
