package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/auth"
	"outlay/bankfile"
	"outlay/internal/testutil"
	"outlay/models"
)

// The approver of a payment run sees, when its row opens in the queue, the bank account each
// vendor is paid into, masked; the masked IBAN fits a phone without scrolling sideways.
func TestPaymentApprovalShowsTheAccountInTheBrowser(t *testing.T) {
	s, ctx, db, clerk := payingClerk(t)
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
	_, out := submittedRun(t, ctx, db, clerk, vendor, "NW-1", 1200_00, models.MethodWire)
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
