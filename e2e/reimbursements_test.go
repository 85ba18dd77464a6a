package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/auth"
	"outlay/internal/testutil"
	"outlay/models"
)

// An AP clerk's reimbursement batch in a real browser, on a 1280×900 desktop and on a 390×844
// phone: the admin ticks two approved euro reports, reads the batch (one person has no bank
// account, and the page says so), marks it paid (a missing reference refused beside its
// field, then paid), and a person keeps their IBAN on their own page, shown masked.
func TestReimbursementBatchInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	box, err := auth.NewSecretBox(s.App.Env.Config.SecretKey, models.BankAccountPurpose)
	if err != nil {
		t.Fatal(err)
	}
	decided := time.Now().Add(-time.Hour)
	var reports []int64
	for i, who := range []struct{ email, name, number string }{
		{"rita@acme.example", "Rita Requester", "EXP-000201"},
		{"rob@acme.example", "Rob Requester", "EXP-000202"},
	} {
		u, err := models.CreateUser(ctx, db, models.NewUser{Email: who.email, Name: who.name, Password: testutil.Password, Roles: []string{"requester"}})
		if err != nil {
			t.Fatal(err)
		}
		n := who.number
		r := models.ExpenseReport{Number: &n, OwnerID: u.ID, Title: "Trade fair in Lyon", Currency: "EUR", TotalMinor: int64(12345 * (i + 1)),
			Status: models.ExpenseApproved, SubmittedAt: &decided, DecidedAt: &decided}
		if err := db.Create(&r).Error; err != nil {
			t.Fatal(err)
		}
		reports = append(reports, r.ID)
		if i == 0 {
			if _, err := models.SetBankAccount(ctx, db, box, u.ID, models.BankDetailsInput{Holder: who.name, IBAN: "DE89370400440532013000"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.viewport(1280, 900)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/expenses/reimbursements/new")), chromedp.WaitVisible(chromedp.CSS(`input[name=report]`)))
	b.do(chromedp.Click(chromedp.CSS(`#report-`+itoaID(reports[0]))), chromedp.Click(chromedp.CSS(`#report-`+itoaID(reports[1]))))
	b.screenshot("new-batch-desktop")
	b.pressAndLoad(`form[action="/expenses/reimbursements"] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("batch-pay-form")))
	if h := b.text("h1"); !strings.Contains(h, "RB-000001") {
		t.Fatalf("after scheduling: %q", h)
	}
	if warn := b.text(".flash-error"); !strings.Contains(warn, "Rob Requester") || strings.Contains(warn, "Rita") {
		t.Errorf("missing bank account warning: %q", warn)
	}
	if total := b.text("#batch-summary-title + dl"); !strings.Contains(total, "€370.35") {
		t.Errorf("total: %q", total)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("batch-desktop")

	// Paid without a reference: refused beside the field, the rest kept.
	b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`))
	b.do(chromedp.SetValue(chromedp.ID("method"), models.PayBankTransfer))
	b.pressAndLoad(`#batch-pay-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("reference-error")))
	if msg := b.text("#reference-error"); !strings.Contains(msg, "reference") {
		t.Errorf("reference refused with %q", msg)
	}
	b.screenshot("mark-paid-refused-desktop")
	b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`))
	b.do(chromedp.SendKeys(chromedp.ID("reference"), "SEPA-2026-12-03"))
	b.pressAndLoad(`#batch-pay-form button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash-success")))
	if st := b.text(".page-header .badge"); st != "Paid" {
		t.Errorf("batch status %q", st)
	}

	// On a phone: the paid batch, and a person's own bank account page.
	b.viewport(390, 844, chromedp.EmulateMobile)
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("batch-reports-title")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("batch-paid-phone")
	b.do(chromedp.Navigate(s.URL("/settings/bank-account")), chromedp.WaitVisible(chromedp.ID("iban")))
	b.do(chromedp.SendKeys(chromedp.ID("iban"), "fr14 2004 1010 0505 0001 3m02 607"))
	b.pressAndLoad(`form[action="/settings/bank-account"] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("iban-error")))
	b.screenshot("bank-account-refused-phone")
	// Without the password the change is refused beside its field, the account typed kept.
	b.do(chromedp.SetValue(chromedp.ID("iban"), "FR14 2004 1010 0505 0001 3M02 606"))
	b.pressAndLoad(`form[action="/settings/bank-account"] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("confirm-error")))
	kept := get(b, chromedp.Value(chromedp.ID("iban")))
	if msg := b.text("#confirm-error"); msg != "Enter your password." || kept != "FR14 2004 1010 0505 0001 3M02 606" {
		t.Errorf("without the password: %q, IBAN kept as %q", msg, kept)
	}
	b.screenshot("bank-account-password-phone")
	b.do(chromedp.SendKeys(chromedp.ID("confirm"), testutil.Password))
	b.pressAndLoad(`form[action="/settings/bank-account"] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".iban-masked")))
	if got := b.text(".iban-masked"); got != "FR14 •••• •••• •••• •••• 2606" {
		t.Errorf("masked IBAN %q", got)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("bank-account-phone")
}

// A clerk ticks three approved reports for a batch; meanwhile one is sent back to its owner
// and another put in a batch from another tab. Scheduling brings the form back in place (no
// page load), every box still ticked, why beside each of the two, the summary above with
// the focus on it; unticked, the third is scheduled. On a desktop and on a phone.
func TestRefusedBatchKeepsTicksInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	decided := time.Now().Add(-time.Hour)
	var reports []models.ExpenseReport
	for i, who := range []struct{ email, name, number string }{
		{"rita@acme.example", "Rita Requester", "EXP-000501"},
		{"rob@acme.example", "Rob Requester", "EXP-000502"},
		{"ria@acme.example", "Ria Requester", "EXP-000503"},
	} {
		u, err := models.CreateUser(ctx, db, models.NewUser{Email: who.email, Name: who.name, Password: testutil.Password, Roles: []string{"requester"}})
		if err != nil {
			t.Fatal(err)
		}
		n := who.number
		r := models.ExpenseReport{Number: &n, OwnerID: u.ID, Title: "Customer visit in Porto", Currency: "USD", TotalMinor: int64(4200 * (i + 1)),
			Status: models.ExpenseApproved, SubmittedAt: &decided, DecidedAt: &decided}
		if err := db.Create(&r).Error; err != nil {
			t.Fatal(err)
		}
		reports = append(reports, r)
	}
	box := func(r models.ExpenseReport) string { return "#report-" + itoaID(r.ID) }
	var admin models.User
	if err := db.Where("email = ?", s.User.Email).First(&admin).Error; err != nil {
		t.Fatal(err)
	}
	for _, width := range []int64{1280, 390} {
		b := newBrowser(t)
		b.allow(`status of 422`)
		if width == 390 {
			b.viewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
		} else {
			b.viewport(1280, 900)
		}
		b.signIn(s, s.User.Email, testutil.Password)
		b.do(chromedp.Navigate(s.URL("/expenses/reimbursements/new")), chromedp.WaitVisible(chromedp.CSS(`input[name=report]`)))
		b.waitBound(`#new-batch form`)
		for _, r := range reports {
			b.do(b.press(box(r)))
		}
		b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`))
		// Meanwhile: the first report is sent back, the second put in another batch.
		sentBack, batched := reports[0], reports[1]
		if _, err := models.SendBackExpense(ctx, db, admin.ID, sentBack.ID, "The hotel receipt is missing."); err != nil {
			t.Fatal(err)
		}
		other, err := models.CreateReimbursementBatch(ctx, db, admin.ID, []int64{batched.ID})
		if err != nil {
			t.Fatal(err)
		}
		b.do(b.press(`#new-batch button[type=submit]`))
		b.do(chromedp.WaitVisible(chromedp.CSS(box(sentBack) + "-error")))
		if !eval[bool](b, `window.__marker === 1`) {
			t.Error("the refusal reloaded the page")
		}
		for _, r := range reports {
			if !eval[bool](b, `document.querySelector('`+box(r)+`').checked`) {
				t.Errorf("%s lost its tick", *r.Number)
			}
		}
		if got := b.text(box(sentBack) + "-error"); !strings.Contains(got, "sent back") {
			t.Errorf("beside the report sent back: %q", got)
		}
		if got := b.text(box(batched) + "-error"); !strings.Contains(got, other.Number) {
			t.Errorf("beside the report batched elsewhere: %q", got)
		}
		b.waitJS(`document.activeElement && document.activeElement.matches('[data-form-error]')`)
		if got := b.text("[data-form-error]"); !strings.Contains(got, "Nothing was scheduled") {
			t.Errorf("summary %q", got)
		}
		assertNoHorizontalScroll(t, b)
		b.screenshot(fmt.Sprintf("refused-%d", width))
		// Unticked, the one left is scheduled.
		b.do(b.press(box(sentBack)), b.press(box(batched)))
		b.pressAndLoad(`#new-batch button[type=submit]`)
		b.do(chromedp.WaitVisible(chromedp.ID("batch-pay-form")))
		if got := b.text(".batch-table"); !strings.Contains(got, *reports[2].Number) || strings.Contains(got, *sentBack.Number) {
			t.Errorf("the batch made: %q", got)
		}
		b.screenshot(fmt.Sprintf("scheduled-%d", width))
		// Approved again for the next round (the phone's).
		if err := db.Model(&models.ExpenseReport{}).Where("id IN ?", []int64{reports[0].ID, reports[1].ID, reports[2].ID}).
			Updates(map[string]any{"status": models.ExpenseApproved, "reimbursement_batch_id": nil}).Error; err != nil {
			t.Fatal(err)
		}
	}
}
