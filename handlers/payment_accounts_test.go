package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/bankfile"
	"outlay/bankfile/bankfiletest"
	"outlay/internal/poll"
	"outlay/internal/testutil"
	"outlay/models"
)

// A clerk may change a vendor's bank details, and make and download payment runs, but not
// move an approved run's money: the run is approved seeing the account it pays (masked, on
// the run's page and in the approval queue), its bank file pays that account even after the
// clerk changes the vendor's details, and the run's page warns that the vendor's account has
// changed. Every change of a vendor's bank details is told to the admins, naming who made it
// and both accounts, masked.
func TestARunPaysTheBankAccountItWasApprovedWith(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	cleo := env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk")
	app := testutil.NewApp(t, env)
	db := app.DB(t, acme).WithContext(audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))
	vendor := models.Vendor{Name: "Northwind", Currency: "EUR", Status: models.VendorActive, PaymentTermsDays: 30}
	if err := db.Create(&vendor).Error; err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	bill := models.Bill{Number: "BILL-NW1", VendorID: vendor.ID, VendorInvoiceNumber: "NW-1", InvoiceDate: day.AddDate(0, 0, -30), DueDate: day,
		Currency: "EUR", SubtotalMinor: 1200_00, TotalMinor: 1200_00, Status: models.BillApproved, MatchStatus: models.MatchNone, EnteredByID: cleo.ID}
	if err := db.Create(&bill).Error; err != nil {
		t.Fatal(err)
	}
	const ibanA, ibanB = "FR1420041010050500013M02606", "DE89370400440532013000"
	maskedA, maskedB := bankfile.IBAN(ibanA).Masked(), bankfile.IBAN(ibanB).Masked()

	admin := app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	setOrgIBAN(t, admin)
	clerk := app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	setIBAN := func(iban string) { t.Helper(); setVendorIBAN(t, clerk, vendor.ID, "Northwind Ltd", iban) }
	setIBAN(ibanA)
	adminTold(t, app, db, ana, "Cleo Clerk added bank details for Northwind: IBAN "+maskedA, "IBAN "+maskedA)

	clerk.Get("/payments/new")
	res := clerk.Post("/payments", url.Values{"currency": {"EUR"}, "method": {"wire"}, "due_by": {day.Format(time.DateOnly)},
		"pay_on": {day.Format(time.DateOnly)}, "bill": {fmt.Sprint(bill.ID)}, "amount." + fmt.Sprint(bill.ID): {"1200"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("the run: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	page := res.Location()
	clerk.Post(page+"/submit", nil)

	// Cleo has no manager: the run waits for the admins, and Ana sees where its money goes.
	var step int64
	db.Raw(`SELECT id FROM approval_steps WHERE doc_type = 'payment' AND status = 'pending'`).Scan(&step)
	if got := approvalGet(admin, stepURL(step, "")).Text("#payees"); !strings.Contains(got, "Northwind") || !strings.Contains(got, "IBAN "+maskedA) {
		t.Errorf("the approver's details of the run: %q; want Northwind's IBAN %s", got, maskedA)
	}
	if got := admin.Get(stepURL(step, "")).Text("#payees"); !strings.Contains(got, "IBAN "+maskedA) {
		t.Errorf("the approval's own page: %q; want IBAN %s", got, maskedA)
	}
	if got := admin.Get(page).Text(".payee-account"); !strings.Contains(got, "Northwind Ltd · IBAN "+maskedA) {
		t.Errorf("the run's page to its approver: %q", got)
	}
	admin.Get("/approvals")
	if res := admin.Post(stepURL(step, "approve"), nil); res.Status >= 400 {
		t.Fatalf("approve: %d", res.Status)
	}

	download := func() string {
		t.Helper()
		res := clerk.Get(page + "/bank-file")
		if res.Status != http.StatusOK {
			t.Fatalf("bank file: %d %q", res.Status, clerk.Get(page).Text(".flash-error"))
		}
		return res.Body
	}
	if f := download(); !strings.Contains(f, ibanA) {
		t.Fatalf("the bank file before the change does not pay IBAN A")
	}

	// The clerk swaps in another account: allowed, told to the admins, and of no effect on
	// the approved run, which pays IBAN A and says so on its page.
	setIBAN(ibanB)
	adminTold(t, app, db, ana, "Cleo Clerk changed the bank details of Northwind from IBAN "+maskedA+" in the name of Northwind Ltd to IBAN "+maskedB,
		"IBAN "+maskedB)
	f := download()
	if !strings.Contains(f, ibanA) || strings.Contains(f, ibanB) {
		t.Errorf("the bank file after the vendor's change pays %s; want IBAN A only", map[bool]string{true: "IBAN B", false: "not IBAN A"}[strings.Contains(f, ibanB)])
	}
	bankfiletest.ValidatePain001(t, []byte(f))
	res = clerk.Get(page)
	if got := res.Text("#payment-status"); got != "Approved" {
		t.Errorf("the run after the change: %q", got)
	}
	warning := res.Text(".payee-warning")
	for _, want := range []string{"Northwind's bank account changed on " + time.Now().UTC().Format("2 Jan 2006") + ", after this run was approved",
		"this run pays the account it was approved with: IBAN " + maskedA, "Cancel the run and make a new one"} {
		if !strings.Contains(warning, want) {
			t.Errorf("the run's warning %q lacks %q", warning, want)
		}
	}
	if got := res.Text(".payee-account"); !strings.Contains(got, "IBAN "+maskedA) || strings.Contains(got, maskedB) {
		t.Errorf("the run's account after the change: %q; want IBAN A", got)
	}
}

// setOrgIBAN sets, as admin, the organisation's own account (the debtor of its pain.001
// files) to Acme Corp's IBAN.
func setOrgIBAN(t *testing.T, admin *testutil.Client) {
	t.Helper()
	admin.Get("/admin/settings/bank-account")
	if res := admin.Post("/admin/settings/bank-account", url.Values{"holder": {"Acme Corp"}, "iban": {"DE02 1203 0000 0000 2020 51"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("the organisation's account: %d %s", res.Status, res.Text(".field-error"))
	}
}

// setVendorIBAN gives, as clerk, vendor vendorID the IBAN iban in holder's name.
func setVendorIBAN(t *testing.T, clerk *testutil.Client, vendorID int64, holder, iban string) {
	t.Helper()
	bankPage := fmt.Sprintf("/vendors/%d/bank", vendorID)
	clerk.Get(bankPage)
	if res := clerk.Post(bankPage, url.Values{"scheme": {"iban"}, "holder_name": {holder}, "iban": {iban}}); res.Status != http.StatusSeeOther {
		t.Fatalf("the vendor's bank details: %d %s", res.Status, res.Text(".field-error"))
	}
}

// adminTold checks that the admin was told of a vendor's bank change in the app, by a
// notification whose title starts with title, and waits for the mail that says the account
// is now now.
func adminTold(t *testing.T, app *testutil.App, db *gorm.DB, admin *models.User, title, now string) {
	t.Helper()
	var titles []string
	db.Raw(`SELECT title FROM notifications WHERE recipient_id = ? AND kind = ? ORDER BY id`, admin.ID, models.MailVendorBank).Scan(&titles)
	if len(titles) == 0 || !strings.HasPrefix(titles[len(titles)-1], title) {
		t.Errorf("the admin's notifications of bank changes: %q; want the last to start %q", titles, title)
	}
	poll.Until(t, "the admin's mail of the change to "+now, 15*time.Second, func() error {
		for _, m := range app.Mail.Sent() {
			if m.To == admin.Email && strings.Contains(m.Body, "Cleo Clerk changed the bank details of the vendor Northwind") &&
				strings.Contains(m.Body, "Now: "+now) {
				return nil
			}
		}
		return fmt.Errorf("no mail to %s says the account is now %s", admin.Email, now)
	})
}

// A run's History shows the bank account copied onto it when it was submitted, in words: the
// vendor, how it is paid, the holder, the routing number and type, the account masked and the
// version of the vendor's details copied. The account number, sealed, reads as a secret: no
// part of it, nor of its sealed bytes, is on the page.
func TestARunsHistoryShowsTheAccountsCopiedOntoIt(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	cleo := env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk")
	app := testutil.NewApp(t, env)
	db := app.DB(t, acme).WithContext(audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))
	vendor := models.Vendor{Name: "Globex", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	if err := db.Create(&vendor).Error; err != nil {
		t.Fatal(err)
	}
	bill := approvedBill(t, db, vendor.ID, cleo.ID, "INV-H1", 300_00)

	clerk := app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	const account = "000123456789"
	bankPage := fmt.Sprintf("/vendors/%d/bank", vendor.ID)
	clerk.Get(bankPage)
	if res := clerk.Post(bankPage, url.Values{"scheme": {models.BankUSACH}, "holder_name": {"Globex Inc"}, "routing_number": {"011000015"},
		"account_number": {account}, "account_type": {models.AccountChecking}}); res.Status != http.StatusSeeOther {
		t.Fatalf("the vendor's bank details: %d %s", res.Status, res.Text(".field-error"))
	}
	day := time.Now().UTC().Format(time.DateOnly)
	clerk.Get("/payments/new")
	res := clerk.Post("/payments", url.Values{"currency": {"USD"}, "method": {"ach"}, "due_by": {day}, "pay_on": {day},
		"bill": {fmt.Sprint(bill.ID)}, "amount." + fmt.Sprint(bill.ID): {"300"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("the run: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	page := res.Location()
	if res := clerk.Post(page+"/submit", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".flash"))
	}
	var run models.PaymentRun
	if err := db.Order("id DESC").First(&run).Error; err != nil || run.Status != models.PaymentSubmitted {
		t.Fatalf("the submitted run: %v %q", err, run.Status)
	}
	var copied models.PaymentRunVendor
	if err := db.Where("payment_run_id = ?", run.ID).First(&copied).Error; err != nil {
		t.Fatalf("no bank account was copied onto the run: %v", err)
	}

	hist := clerk.Get(page + "/history")
	if hist.Status != http.StatusOK {
		t.Fatalf("the run's History: %d", hist.Status)
	}
	what := "Bank account of " + run.Number + ": Globex"
	changes := historyChanges(hist, what)
	for field, want := range map[string]string{
		"Payment": fmt.Sprintf("%s (#%d)", run.Number, run.ID), "Vendor": fmt.Sprintf("Globex (#%d)", vendor.ID),
		"Scheme": "US bank account (ACH)", "Account holder": "Globex Inc", "BIC": "—", "Routing number": "011000015",
		"Account type": "Checking", "Account": "•••• 6789", "Account number": "(secret)",
		"Vendor's bank details as of": copied.BankUpdatedAt.UTC().Format("2 Jan 2006 15:04"),
	} {
		if !hasChange(changes, field, "", want) {
			t.Errorf("the run's History shows %s of %q as %q, want %q", field, what, changes[field], want)
		}
	}
	for _, raw := range []string{"Account masked", "Bank updated at", "Holder name", "Bic", "Created at"} {
		if _, shown := changes[raw]; shown {
			t.Errorf("the copied account shows %s: %v", raw, changes[raw])
		}
	}
	if got := hist.Text("main"); !strings.Contains(got, "Bank accounts copied onto payments") {
		t.Errorf("the run's History does not name the copy's kind: %q", got)
	}

	// Neither the number nor its sealed bytes, in any spelling, in part or hashed.
	secret := copied.AccountSecret
	sum := sha256.Sum256(secret)
	leaks := []string{account, account[3:], hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(secret),
		base64.RawURLEncoding.EncodeToString(secret)}
	for i := 0; i+8 <= len(secret); i += 4 {
		leaks = append(leaks, hex.EncodeToString(secret[i:i+8]))
	}
	for _, leak := range leaks {
		if strings.Contains(strings.ToLower(hist.Body), strings.ToLower(leak)) {
			t.Errorf("the run's History shows the sealed account number (%q)", leak)
		}
	}
}
