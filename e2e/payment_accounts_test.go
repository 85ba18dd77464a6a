package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/audit"
	"outlay/auth"
	"outlay/bankfile"
	"outlay/internal/testutil"
	"outlay/models"
)

// The approver of a payment run sees, when its row opens in the queue, the bank account each
// vendor is paid into, masked; the masked IBAN fits a phone without scrolling sideways.
func TestPaymentApprovalShowsTheAccountInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"})
	db := s.App.DB(t, s.Tenant)
	clerk, err := models.CreateUser(ctx, db, models.NewUser{Email: "cleo@acme.example", Name: "Cleo Clerk", Password: testutil.Password,
		Roles: []string{"ap_clerk"}})
	if err != nil {
		t.Fatal(err)
	}
	vendor := models.Vendor{Name: "Northwind", Currency: "EUR", Status: models.VendorActive, PaymentTermsDays: 30}
	if err := db.Create(&vendor).Error; err != nil {
		t.Fatal(err)
	}
	box, err := auth.NewSecretBox(s.App.Env.Config.SecretKey, models.VendorBankSecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	const iban = "FR1420041010050500013M02606"
	if err := models.SaveVendorBankAccount(ctx, db, box, vendor.ID, models.VendorBankInput{Scheme: models.BankIBAN,
		HolderName: "Northwind Ltd", IBAN: iban}); err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	bill := models.Bill{Number: "BILL-NW1", VendorID: vendor.ID, VendorInvoiceNumber: "NW-1", InvoiceDate: day.AddDate(0, 0, -30), DueDate: day,
		Currency: "EUR", SubtotalMinor: 1200_00, TotalMinor: 1200_00, Status: models.BillApproved, MatchStatus: models.MatchNone, EnteredByID: clerk.ID}
	if err := db.Create(&bill).Error; err != nil {
		t.Fatal(err)
	}
	v := models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"}}
	run, err := models.CreatePaymentRun(ctx, db, v, models.PaymentRunInput{Currency: "EUR", Method: models.MethodWire,
		DueBy: day.Format(time.DateOnly), PayOn: day.Format(time.DateOnly), Bills: []models.PaymentBillInput{{BillID: bill.ID, Amount: "1200"}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := models.SubmitPaymentRun(ctx, db, v, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf("tbody#step-%d", out.Steps[0].ID)

	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS(row)))
	b.do(b.press(row+" summary"), chromedp.WaitVisible(chromedp.CSS(row+" #payees")))
	if got := b.text(row + " #payees"); !strings.Contains(got, "Northwind Ltd · IBAN "+bankfile.IBAN(iban).Masked()) {
		t.Errorf("the payment's details in the queue: %q", got)
	}
	b.screenshot("payment-details")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS(row)))
	b.do(b.press(row+" summary"), chromedp.WaitVisible(chromedp.CSS(row+" #payees")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("payment-details-phone")
}
