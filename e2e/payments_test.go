package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"outlay/audit"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/money"
)

// A clerk has an approved payment run open to mark it paid while it is marked paid elsewhere
// (another tab, a colleague). Pressing "Mark paid" then says in a toast that it is paid
// already, and leaves the page and what was typed as they were; sent without htmx, the answer
// is a page saying so. Nothing is paid twice. On a desktop and on a phone.
func TestPaymentRunPaidElsewhereInTheBrowser(t *testing.T) {
	s, ctx, db, clerk := payingClerk(t)
	var ana models.User
	if err := db.Where("email = ?", s.User.Email).First(&ana).Error; err != nil {
		t.Fatal(err)
	}
	vendor := models.Vendor{Name: "Globex", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	if err := db.Create(&vendor).Error; err != nil {
		t.Fatal(err)
	}
	cleo, admin := models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"}}, models.Viewer{UserID: ana.ID, Roles: []string{"admin"}}
	// approvedRun is a run of one new bill of Globex's, approved by Ana (Cleo has no manager).
	approvedRun := func(invoice string) *models.PaymentRun {
		t.Helper()
		run, out := submittedRun(t, ctx, db, clerk, vendor, invoice, 300_00, models.MethodACH)
		for _, step := range out.Steps {
			if _, err := models.DecideStep(ctx, db, admin, step.ID, models.Decision{Approve: true}); err != nil {
				t.Fatal(err)
			}
		}
		return run
	}
	for i, width := range []int64{1280, 390} {
		run := approvedRun(fmt.Sprintf("INV-%d", i+1))
		b := newBrowser(t)
		b.allow(`status of 409|Response Status Error Code 409 from /payments/`)
		if width == 390 {
			b.viewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
		} else {
			b.viewport(1280, 900)
		}
		b.signIn(s, "cleo@acme.example", testutil.Password)
		b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/payments/%d", run.ID))), chromedp.WaitVisible(chromedp.ID("mark-paid")))
		b.waitBound(`#paid-form`)
		b.do(chromedp.SendKeys(chromedp.ID("reference"), "TRACE 2"), chromedp.Evaluate[chromedp.Void](`window.__marker = 1`))
		// Meanwhile, another tab marks it paid.
		if err := models.MarkPaymentPaid(ctx, db, cleo, run.ID, models.PaidInput{PaidOn: time.Now().UTC().Format(time.DateOnly), Method: models.MethodACH,
			Reference: "TRACE 1"}); err != nil {
			t.Fatal(err)
		}
		b.do(b.press("#mark-paid"))
		b.waitJS(`[...document.querySelectorAll('.toast-error')].some(e => e.textContent.includes('` + run.Number + ` is already paid.'))`)
		if !eval[bool](b, `window.__marker === 1`) {
			t.Error("the refusal reloaded the page")
		}
		if got := get(b, chromedp.Value(chromedp.ID("reference"))); got != "TRACE 2" {
			t.Errorf("the reference typed is now %q", got)
		}
		assertNoHorizontalScroll(t, b)
		b.screenshot(fmt.Sprintf("paid-elsewhere-%d", width))
		// Sent as a plain form (no htmx), the answer is the page saying why.
		b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('paid-form').submit()`), chromedp.WaitVisible(chromedp.CSS(".error-card")))
		if got := b.text(".error-card"); !strings.Contains(got, "409") || !strings.Contains(got, run.Number+" is already paid.") {
			t.Errorf("plain post, paid elsewhere: %q", got)
		}
		b.screenshot(fmt.Sprintf("paid-elsewhere-plain-%d", width))
		var ref string
		db.Raw(`SELECT reference FROM payment_runs WHERE id = ?`, run.ID).Scan(&ref)
		if !strings.EqualFold(ref, "TRACE 1") {
			t.Errorf("the run's reference is %q", ref)
		}
	}
}

// payingClerk starts the site with Cleo Clerk, an AP clerk with no manager (the admins
// approve her runs), beside its admin; ctx writes as the system.
func payingClerk(t *testing.T) (*site, context.Context, *gorm.DB, *models.User) {
	t.Helper()
	s := startSite(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"})
	db := s.App.DB(t, s.Tenant)
	clerk, err := models.CreateUser(ctx, db, models.NewUser{Email: "cleo@acme.example", Name: "Cleo Clerk", Password: testutil.Password,
		Roles: []string{"ap_clerk"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, ctx, db, clerk
}

// submittedRun stores an approved bill of vendor's due today, for total in the vendor's
// currency, and submits a run that pays it whole by method, put together by clerk.
func submittedRun(t *testing.T, ctx context.Context, db *gorm.DB, clerk *models.User, vendor models.Vendor, invoice string, total int64,
	method string) (*models.PaymentRun, models.RouteOutcome) {
	t.Helper()
	day := time.Now().UTC().Truncate(24 * time.Hour)
	bill := models.Bill{Number: "BILL-" + invoice, VendorID: vendor.ID, VendorInvoiceNumber: invoice, InvoiceDate: day.AddDate(0, 0, -30), DueDate: day,
		Currency: vendor.Currency, SubtotalMinor: total, TotalMinor: total, Status: models.BillApproved, MatchStatus: models.MatchNone, EnteredByID: clerk.ID}
	if err := db.Create(&bill).Error; err != nil {
		t.Fatal(err)
	}
	v := models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"}}
	run, err := models.CreatePaymentRun(ctx, db, v, models.PaymentRunInput{Currency: vendor.Currency, Method: method,
		DueBy: day.Format(time.DateOnly), PayOn: day.Format(time.DateOnly),
		Bills: []models.PaymentBillInput{{BillID: bill.ID, Amount: money.Money{Minor: total, Currency: vendor.Currency}.Plain()}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := models.SubmitPaymentRun(ctx, db, v, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	return run, out
}
