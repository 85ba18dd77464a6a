package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
)

// Every text with a length limit is counted in characters, as people count them (an accented
// letter is one character, though it takes two bytes), takes a text of exactly the limit, and
// refuses one character more beside its field, saying the limit and the text's length the
// same way everywhere.
func TestEveryLengthLimitIsSaidTheSameWay(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	clerk := models.Viewer{UserID: env.CreateUser(t, acme, "carl@acme.example", "Carl Clerk", "ap_clerk").ID, Roles: []string{"ap_clerk"}}
	box := bankBox(t)
	sso := ssoRules(t, env)
	vendorID, err := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: "Lengthy GmbH", Currency: "EUR", Status: "active", PaymentTerms: "30"})
	if err != nil {
		t.Fatalf("vendor: %v", err)
	}
	vendor := fmt.Sprint(vendorID)
	today := time.Now().UTC().Format(models.DateLayout)
	// named tells apart the records the accepted texts make, whose names must not clash.
	named := func(prefix, text string) string { return fmt.Sprintf("%s %d", prefix, utf8.RuneCountInString(text)) }
	provider := func(set func(in *models.SSOProviderInput, text string)) func(string) error {
		return func(text string) error {
			in := okta
			in.Name = fmt.Sprintf("p%d", utf8.RuneCountInString(text))
			set(&in, text)
			_, err := models.SaveSSOProvider(ctx, db, 0, in, sso)
			return err
		}
	}
	expense := func(line models.ExpenseLineInput) func(string) error {
		return func(string) error {
			_, err := models.SaveExpense(ctx, db, rita.ID, 0, models.ExpenseInput{Title: "Berlin", Currency: "EUR", Lines: []models.ExpenseLineInput{line}}, false)
			return err
		}
	}

	for _, tc := range []struct {
		name  string
		max   int
		field string
		what  string
		save  func(text string) error
	}{
		{"a person's name", 200, "name", "A name", func(s string) error {
			_, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("p%d@acme.example", utf8.RuneCountInString(s)), Name: s, Roles: []string{"requester"}})
			return err
		}},
		{"a department's code", 20, "code", "A code", func(s string) error {
			_, err := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: named("Department", s), Code: s})
			return err
		}},
		{"a location's address", 1000, "address", "An address", func(s string) error {
			_, err := models.SaveLocation(ctx, db, 0, models.LocationInput{Name: named("Location", s), Address: s})
			return err
		}},
		{"a vendor's contact", 200, "contact_name", "A contact's name", func(s string) error {
			_, err := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: named("Contact", s), Currency: "EUR", Status: "active", ContactName: s})
			return err
		}},
		{"a vendor's phone", 50, "phone", "A phone number", func(s string) error {
			_, err := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: named("Phone", s), Currency: "EUR", Status: "active", Phone: s})
			return err
		}},
		{"a vendor's tax ID", 50, "tax_id", "A tax ID", func(s string) error {
			_, err := models.SaveVendor(ctx, db, 0, models.VendorInput{Name: named("Tax", s), Currency: "EUR", Status: "active", TaxID: s})
			return err
		}},
		{"the organisation name for payments", 140, "company_name", "An organisation name", func(s string) error {
			return models.SavePaymentSettings(ctx, db, models.PaymentSettings{CompanyName: s})
		}},
		{"the ACH bank name", 23, "ach_bank_name", "A bank name", func(s string) error {
			return models.SavePaymentSettings(ctx, db, models.PaymentSettings{ACHBankName: s})
		}},
		// The bank file carries the ID in ASCII: it is counted in the letters it may hold.
		{"the ACH company ID", 10, "ach_company_id", "An ACH company ID", func(s string) error {
			return models.SavePaymentSettings(ctx, db, models.PaymentSettings{ACHCompanyID: strings.ReplaceAll(s, "é", "E")})
		}},
		{"a sign-in button's name", 60, "label", "The name on the sign-in button", provider(func(in *models.SSOProviderInput, s string) { in.Label = s })},
		{"a sign-in provider's client ID", 300, "client_id", "A client ID", provider(func(in *models.SSOProviderInput, s string) { in.ClientID = s })},
		{"a sign-in provider's client secret", 1000, "client_secret", "A client secret", provider(func(in *models.SSOProviderInput, s string) { in.ClientSecret = s })},
		{"a bill's invoice number", 100, models.BillInvoiceNumberField, "An invoice number", func(s string) error {
			_, err := models.PriceBill(ctx, db, 0, models.BillInput{Vendor: vendor, VendorInvoiceNumber: s, InvoiceDate: today})
			return err
		}},
		{"a bill's memo", 2000, "memo", "A memo", func(s string) error {
			_, err := models.PriceBill(ctx, db, 0, models.BillInput{Vendor: vendor, VendorInvoiceNumber: "INV-1", InvoiceDate: today, Memo: s})
			return err
		}},
		{"a trip's purpose", 4000, "purpose", "A trip's purpose", func(s string) error {
			_, err := models.SaveTravel(ctx, db, models.TravelFiler{UserID: rita.ID}, 0, models.TravelInput{Purpose: s}, false)
			return err
		}},
		{"where a leg starts", 200, models.LegField(0, "from"), "A place's name", func(s string) error {
			leg := models.LegInput{From: s, To: "Paris", DepartOn: today, Mode: models.ModeRail}
			_, err := models.SaveTravel(ctx, db, models.TravelFiler{UserID: rita.ID}, 0, models.TravelInput{Legs: []models.LegInput{leg}}, false)
			return err
		}},
		{"where a leg goes", 200, models.LegField(0, "to"), "A place's name", func(s string) error {
			leg := models.LegInput{From: "Paris", To: s, DepartOn: today, Mode: models.ModeRail}
			_, err := models.SaveTravel(ctx, db, models.TravelFiler{UserID: rita.ID}, 0, models.TravelInput{Legs: []models.LegInput{leg}}, false)
			return err
		}},
		{"a requisition's justification", 4000, "justification", "A justification", func(s string) error {
			_, err := models.SaveRequisition(ctx, db, rita.ID, 0, models.RequisitionInput{Justification: s}, false)
			return err
		}},
		{"a requisition line's description", 500, models.LineField(0, "description"), "An item's description", func(s string) error {
			line := models.LineInput{Description: s, Quantity: "1", UnitPrice: "10"}
			_, err := models.SaveRequisition(ctx, db, rita.ID, 0, models.RequisitionInput{Lines: []models.LineInput{line}}, false)
			return err
		}},
		{"an expense report's title", 200, "title", "A report's title", func(s string) error {
			_, err := models.SaveExpense(ctx, db, rita.ID, 0, models.ExpenseInput{Title: s, Currency: "EUR"}, false)
			return err
		}},
		{"an expense report's purpose", 4000, "purpose", "A business purpose", func(s string) error {
			_, err := models.SaveExpense(ctx, db, rita.ID, 0, models.ExpenseInput{Title: "Berlin", Purpose: s, Currency: "EUR"}, false)
			return err
		}},
		{"an expense's merchant", 200, models.ExpenseField(0, "merchant"), "A merchant's name", func(s string) error {
			return expense(models.ExpenseLineInput{Kind: models.LineExpense, Date: today, Merchant: s, Amount: "10"})(s)
		}},
		{"an expense's note", 1000, models.ExpenseField(0, "note"), "A note", func(s string) error {
			return expense(models.ExpenseLineInput{Kind: models.LineExpense, Date: today, Merchant: "Café", Amount: "10", Note: s})(s)
		}},
		{"an expense's justification", 1000, models.ExpenseField(0, "justification"), "A justification", func(s string) error {
			return expense(models.ExpenseLineInput{Kind: models.LineExpense, Date: today, Merchant: "Café", Amount: "10", Justification: s})(s)
		}},
		{"where a drive started", 200, models.ExpenseField(0, "from"), "A place's name", func(s string) error {
			return expense(models.ExpenseLineInput{Kind: models.LineMileage, Date: today, From: s, To: "Köln", Distance: "30"})(s)
		}},
		{"where a drive went", 200, models.ExpenseField(0, "to"), "A place's name", func(s string) error {
			return expense(models.ExpenseLineInput{Kind: models.LineMileage, Date: today, From: "Köln", To: s, Distance: "30"})(s)
		}},
		{"a per diem destination", 200, "destination", "A destination", func(s string) error {
			_, err := models.SavePerDiemRate(ctx, db, 0, models.PerDiemRateInput{Destination: s, Daily: "50", Currency: "EUR"})
			return err
		}},
		{"an order's payment terms", 200, "payment_terms", "The text of the payment terms", func(s string) error {
			return models.UpdateOrderTerms(ctx, db, 0, models.OrderTermsInput{PaymentTerms: s})
		}},
		{"an order's bill-to address", 500, "bill_to_address", "A bill-to address", func(s string) error {
			return models.UpdateOrderTerms(ctx, db, 0, models.OrderTermsInput{BillToAddress: s})
		}},
		{"an order's notes to the vendor", 2000, "vendor_notes", "A note to the vendor", func(s string) error {
			return models.UpdateOrderTerms(ctx, db, 0, models.OrderTermsInput{VendorNotes: s})
		}},
		{"the organisation's bill-to address", 500, "bill_to_address", "A bill-to address", func(s string) error {
			return models.UpdateSettings(ctx, db, models.SettingsInput{DefaultCurrency: "USD", TimeZone: "UTC", BillToAddress: s})
		}},
		{"a reimbursement's reference", 140, "reference", "A reference", func(s string) error {
			_, err := models.MarkBatchPaid(ctx, db, clerk.UserID, 0, models.BatchPaymentInput{PaidOn: today, Method: outlay.ReimburseByBankTransfer, Reference: s}, time.Now().UTC())
			return err
		}},
		{"a bank account's holder", 140, "holder", "An account holder's name", func(s string) error {
			_, err := models.SetBankAccount(ctx, db, box, rita.ID, models.BankDetailsInput{Holder: s, IBAN: "DE89 3704 0044 0532 0130 00"})
			return err
		}},
		{"a vendor bank account's holder", 140, "holder_name", "An account holder's name", func(s string) error {
			return models.SaveVendorBankAccount(ctx, db, box, vendorID, models.VendorBankInput{Scheme: models.BankIBAN, HolderName: s, IBAN: "DE89 3704 0044 0532 0130 00"})
		}},
		{"a payment's memo", 1000, "memo", "A memo", func(s string) error {
			_, err := models.CreatePaymentRun(ctx, db, clerk, models.PaymentRunInput{Currency: "EUR", Method: outlay.MethodWire, DueBy: today, PayOn: today, Memo: s})
			return err
		}},
		{"a payment's reference", 100, "reference", "A reference", func(s string) error {
			return models.MarkPaymentPaid(ctx, db, clerk, 0, models.PaidInput{PaidOn: today, Method: outlay.MethodWire, Reference: s})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused := func(n int) string {
				err := tc.save(strings.Repeat("é", n))
				verr, ok := outlay.AsValidation(err)
				if !ok && err != nil && n > tc.max {
					t.Fatalf("%d characters: %v, want a refusal beside %s", n, err, tc.field)
				}
				return verr[tc.field]
			}
			if got := refused(tc.max); got != "" {
				t.Errorf("exactly %d characters are refused: %q", tc.max, got)
			}
			want := fmt.Sprintf("%s has at most %s characters; this one has %s.", tc.what, outlay.Count(tc.max), outlay.Count(tc.max+1))
			if got := refused(tc.max + 1); got != want {
				t.Errorf("%d characters: %q, want %q", tc.max+1, got, want)
			}
		})
	}
}

// The ACH company ID goes into the bank file as it is: one with an accent is refused, not
// changed on the way.
func TestACHCompanyIDIsASCII(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	verr, _ := outlay.AsValidation(models.SavePaymentSettings(ctx, db, models.PaymentSettings{ACHCompanyID: "1234567é9"}))
	if want := "Enter the ID as your bank gave it: letters, digits and signs without accents."; verr["ach_company_id"] != want {
		t.Errorf("an ID with an accent: %q, want %q", verr["ach_company_id"], want)
	}
	if err := models.SavePaymentSettings(ctx, db, models.PaymentSettings{ACHCompanyID: "1234567890"}); err != nil {
		t.Errorf("an ID of ten digits: %v", err)
	}
}
