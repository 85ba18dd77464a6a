package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/bankfile"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/money"
	"outlay/tenancy"
	"outlay/views/expenses"
)

// approvedBill stores an approved bill of vendor due today.
func approvedBill(t *testing.T, db *gorm.DB, vendorID, clerkID int64, invoice string, total int64) *models.Bill {
	t.Helper()
	day := time.Now().UTC().Truncate(24 * time.Hour)
	b := &models.Bill{Number: "BILL-" + invoice, VendorID: vendorID, VendorInvoiceNumber: invoice, InvoiceDate: day.AddDate(0, 0, -30), DueDate: day,
		Currency: "USD", SubtotalMinor: total, TotalMinor: total, Status: models.BillApproved, MatchStatus: models.MatchNone, EnteredByID: clerkID}
	if err := db.Create(b).Error; err != nil {
		t.Fatal(err)
	}
	return b
}

// globexPayer is acme, where Cleo Clerk, an AP clerk whose manager is Max Manager (an
// approver), pays the bills of Globex, a vendor paid in dollars; db writes as the system.
type globexPayer struct {
	env    *testutil.Env
	acme   tenancy.Tenant
	app    *testutil.App
	db     *gorm.DB
	clerk  *models.User
	vendor models.Vendor
}

func newGlobexPayer(t *testing.T) *globexPayer {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	max := env.CreateUser(t, acme, "max@acme.example", "Max Manager", "approver")
	p := &globexPayer{env: env, acme: acme, app: testutil.NewApp(t, env), clerk: env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk"),
		vendor: models.Vendor{Name: "Globex", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}}
	p.db = p.app.DB(t, acme).WithContext(audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))
	if err := p.db.Model(&models.User{}).Where("id = ?", p.clerk.ID).Update("manager_id", max.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := p.db.Create(&p.vendor).Error; err != nil {
		t.Fatal(err)
	}
	return p
}

// A clerk puts a run together from the bills due (one paid in part), a wrong amount is refused
// beside its bill with nothing kept; the clerk's manager approves it from the queue; the
// clerk downloads its NACHA file and marks it paid. A requester, who may open runs routed to
// them, gets 404 for this one; another tenant never sees it.
func TestPaymentRunPages(t *testing.T) {
	t.Parallel()
	p := newGlobexPayer(t)
	p.env.CreateUser(t, p.acme, "rita@acme.example", "Rita Requester", "requester")
	p.env.CreateUser(t, p.acme, "ana@acme.example", "Ana Admin", "admin")
	app, db, clerkUser, v := p.app, p.db, p.clerk, p.vendor
	a := approvedBill(t, db, v.ID, clerkUser.ID, "INV-A", 1000_00)
	b := approvedBill(t, db, v.ID, clerkUser.ID, "INV-B", 250_00)

	clerk := app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	res := clerk.Get("/payments/new?currency=USD&due_by=" + time.Now().Format(time.DateOnly))
	if got := res.Doc.Find(".payable-bills tbody tr").Length(); got != 2 {
		t.Fatalf("%d bills offered, want 2", got)
	}
	if res.Doc.Find("#payment-bills #create-payment").Length() != 1 {
		t.Error("bills are offered without the button that pays them")
	}
	// No bills in euros: nothing to make a run of, and no button to try.
	if none := clerk.Get("/payments/new?currency=EUR&due_by=" + time.Now().Format(time.DateOnly)); none.Doc.Find("#create-payment").Length() != 0 {
		t.Error("the button is offered with no bill to pay")
	}
	form := url.Values{"currency": {"USD"}, "method": {"ach"}, "due_by": {time.Now().Format(time.DateOnly)}, "pay_on": {time.Now().Format(time.DateOnly)},
		"bill": {fmt.Sprint(a.ID), fmt.Sprint(b.ID)}, "amount." + fmt.Sprint(a.ID): {"1000.01"}, "amount." + fmt.Sprint(b.ID): {"250"}}
	// Nothing ticked: said with the bills, which choosing another date or currency replaces,
	// message and all.
	none := url.Values{"currency": {"USD"}, "method": {"ach"}, "due_by": {time.Now().Format(time.DateOnly)}, "pay_on": {time.Now().Format(time.DateOnly)}}
	res = htmxPost(clerk, "/payments", "payment-form", none)
	if res.Status != http.StatusUnprocessableEntity || res.Text("#payment-bills #bills-error") != "Choose at least one bill to pay." {
		t.Errorf("no bill ticked: %d %q", res.Status, res.Text("#payment-form [data-form-error]"))
	}
	res = htmxPost(clerk, "/payments", "payment-form", form)
	if res.Status != http.StatusUnprocessableEntity || res.Text(fmt.Sprintf(`[id="amount.%d-error"]`, a.ID)) != "At most $1,000.00 of this bill is open." {
		t.Fatalf("over-payment: %d %q", res.Status, res.Text(".field-error"))
	}
	var runs int64
	db.Model(&models.PaymentRun{}).Count(&runs)
	if runs != 0 {
		t.Fatal("a refused run was kept")
	}
	form.Set("amount."+fmt.Sprint(a.ID), "400")
	res = clerk.Post("/payments", form)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/payments/") {
		t.Fatalf("create: %d %q %s", res.Status, res.Location(), res.Text(".field-error, .flash"))
	}
	page := res.Location()
	// The same form again, as a second tab would post it: bill B is in the run now and no
	// longer listed, so the refusal is said above the list, not beside a row that is gone.
	res = htmxPost(clerk, "/payments", "payment-form", form)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#payment-form"), "A bill you ticked is no longer in the list") {
		t.Errorf("stale form: %d %q", res.Status, res.Text("#payment-form"))
	}
	res = clerk.Get(page)
	if res.Text("#payment-total") != "$650.00" || !strings.Contains(res.Text(".payment-lines"), "of $1,000.00 open") {
		t.Errorf("run page: total %q, lines %q", res.Text("#payment-total"), res.Text(".payment-lines"))
	}
	clerk.Post(page+"/submit", nil)

	rita := app.Client(t, "acme")
	rita.SignIn("rita@acme.example", testutil.Password)
	for _, p := range []string{page, page + "/history"} {
		if res := rita.Get(p); res.Status != http.StatusNotFound {
			t.Errorf("requester on %s: %d", p, res.Status)
		}
	}
	// The list's export: the run for the clerk, with its total; nothing for the requester.
	if clerk.Get("/payments").Doc.Find(`[data-export="/payments/export"]`).Length() != 1 {
		t.Error("the payments list offers no export")
	}
	head, rows := csvExport(t, clerk, "/payments/export?page=2")
	if got := column(head, rows, "Total"); len(got) != 1 || got[0] != "650.00" || column(head, rows, "Vendors")[0] != "Globex" {
		t.Errorf("clerk's payments export: %q %q", head, rows)
	}
	if _, rows := csvExport(t, rita, "/payments/export"); len(rows) != 0 {
		t.Errorf("requester's payments export: %q", rows)
	}

	mgr := app.Client(t, "acme")
	mgr.SignIn("max@acme.example", testutil.Password)
	if res := mgr.Get(page); res.Status != http.StatusOK {
		t.Fatalf("approver opens the run routed to him: %d", res.Status)
	}
	// A run is discussed as every document is: the approver asks on it, the clerk reads the
	// question on the run's page and in a notification; the requester, who cannot see the
	// run, cannot post to it.
	if res := mgr.Post(page+"/comments", url.Values{"body": {"Why only $400 of INV-A?"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("comment on the run: %d %s", res.Status, res.Text(".flash"))
	}
	if got := clerk.Get(page).Text("#payment-activity"); !strings.Contains(got, "Why only $400 of INV-A?") || !strings.Contains(got, "Max Manager") {
		t.Errorf("the run's comments: %q", got)
	}
	var told int64
	db.Raw(`SELECT count(*) FROM notifications WHERE recipient_id = ? AND doc_type = 'payment' AND kind = 'notify_comment'`, clerkUser.ID).Scan(&told)
	if told == 0 {
		t.Error("the clerk was not told of the comment on the run")
	}
	rita.Get("/dashboard")
	if res := rita.Post(page+"/comments", url.Values{"body": {"Hello"}}); res.Status != http.StatusNotFound {
		t.Errorf("requester comments on a run she cannot see: %d", res.Status)
	}
	var step int64
	db.Raw(`SELECT id FROM approval_steps WHERE doc_type = 'payment' AND status = 'pending'`).Scan(&step)
	mgr.Get("/approvals")
	if res := mgr.Post(fmt.Sprintf("/approvals/%d/approve", step), nil); res.Status >= 400 {
		t.Fatalf("approve: %d", res.Status)
	}

	// No bank details yet: the bank file says who lacks them. The link is a plain link, not a
	// download: a refusal lands on the page with its message, where the browser would have
	// saved the page as a file and spent the message.
	if link := clerk.Get(page).Doc.Find("#bank-file"); link.Length() != 1 || link.AttrOr("download", "none") != "none" {
		t.Errorf("the bank file link: %d, download=%q", link.Length(), link.AttrOr("download", "none"))
	}
	res = clerk.Get(page + "/bank-file")
	if res.Status != http.StatusSeeOther || !strings.Contains(clerk.Get(page).Text(".flash-error"), "Globex") {
		t.Errorf("bank file without bank details: %d", res.Status)
	}
	admin := app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	admin.Get("/payments/settings")
	if res := admin.Post("/payments/settings", url.Values{"company_name": {"Acme Corp"}, "ach_routing_number": {"021000021"},
		"ach_bank_name": {"Chase"}, "ach_company_id": {"1234567890"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("payment settings: %d %s", res.Status, res.Text(".field-error"))
	}
	clerk.Get(fmt.Sprintf("/vendors/%d/bank", v.ID))
	clerk.Post(fmt.Sprintf("/vendors/%d/bank", v.ID), url.Values{"scheme": {"us_ach"}, "holder_name": {"Globex"}, "routing_number": {"011000015"},
		"account_number": {"123456789"}, "account_type": {"checking"}})
	// Details added after the approval are not the run's: it pays only the accounts it was
	// approved with, so the clerk makes the run again and it is approved again.
	res = clerk.Get(page + "/bank-file")
	if flash := clerk.Get(page).Text(".flash-error"); res.Status != http.StatusSeeOther || !strings.Contains(flash, "when this run was approved: Globex") {
		t.Fatalf("bank file of details added after the approval: %d %q", res.Status, flash)
	}
	if res := clerk.Post(page+"/cancel", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.Status)
	}
	clerk.Get("/payments/new")
	res = clerk.Post("/payments", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("the run made again: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	page = res.Location()
	clerk.Post(page+"/submit", nil)
	db.Raw(`SELECT id FROM approval_steps WHERE doc_type = 'payment' AND status = 'pending'`).Scan(&step)
	mgr.Get("/approvals")
	if res := mgr.Post(fmt.Sprintf("/approvals/%d/approve", step), nil); res.Status >= 400 {
		t.Fatalf("approve the run made again: %d", res.Status)
	}
	res = clerk.Get(page + "/bank-file")
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), ".ach") {
		t.Fatalf("bank file: %d %q", res.Status, res.Header.Get("Content-Disposition"))
	}
	f, err := bankfile.ParseNACHA(bytes.NewReader([]byte(res.Body)))
	if err != nil || f.FileControl().TotalCreditCents != 650_00 {
		t.Fatalf("NACHA read back: %v %+v", err, f.FileControl())
	}
	// The file may be at the bank: cancelling the run, which frees its bills for another run
	// and another file, needs the clerk's word that the bank will not pay from it.
	if got := clerk.Get(page).Text("#payment-file-made"); !strings.Contains(got, "Downloaded") || !strings.Contains(got, "Cleo Clerk") {
		t.Errorf("the run's bank file: %q", got)
	}
	if got := clerk.Get(page).Doc.Find(`form[action$="/cancel"] input[type=checkbox][name=file_not_paid][required]`).Length(); got != 1 {
		t.Error("the cancel form has no box to say the bank will not pay from the file")
	}
	if flash := flashAfter(t, clerk, clerk.Post(page+"/cancel", nil)); !strings.Contains(flash, "was downloaded on") {
		t.Errorf("cancel after the file: %q", flash)
	}
	var runStatus string
	db.Raw(`SELECT status FROM payment_runs WHERE id = ?`, strings.TrimPrefix(page, "/payments/")).Scan(&runStatus)
	if runStatus != models.PaymentApproved {
		t.Fatalf("after a refused cancel the run is %q", runStatus)
	}

	clerk.Get(page)
	res = htmxPost(clerk, page+"/paid", "paid-form", url.Values{"paid_on": {time.Now().Format(time.DateOnly)}, "paid_method": {"ach"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#reference-error") == "" {
		t.Fatalf("paid without a reference: %d", res.Status)
	}
	// A day before the run was made is a typo, refused beside the field.
	res = htmxPost(clerk, page+"/paid", "paid-form", url.Values{"paid_on": {"2020-01-01"}, "paid_method": {"ach"}, "reference": {"TRACE 0210"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#paid_on-error"), "before the run was made") {
		t.Fatalf("paid in 2020: %d %q", res.Status, res.Text("#paid_on-error"))
	}
	res = clerk.Post(page+"/paid", url.Values{"paid_on": {time.Now().Format(time.DateOnly)}, "paid_method": {"ach"}, "reference": {"TRACE 0210"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("mark paid: %d", res.Status)
	}
	if got := clerk.Get(page).Text("#payment-status"); got != "Paid" {
		t.Errorf("status after paying: %q", got)
	}
	var paidA, paidB int64
	db.Raw(`SELECT paid_minor FROM bills WHERE id = ?`, a.ID).Scan(&paidA)
	db.Raw(`SELECT paid_minor FROM bills WHERE id = ?`, b.ID).Scan(&paidB)
	if paidA != 400_00 || paidB != 250_00 {
		t.Errorf("paid: A %d, B %d", paidA, paidB)
	}
}

// /bills/aging shows every vendor's open bills by days past due to those who see every bill,
// and a vendor's page shows its own aging, open bills and payments; a requester has neither.
func TestAgingPageAndVendorCard(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	clerkUser := env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk")
	env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	app := testutil.NewApp(t, env)
	db := app.DB(t, acme).WithContext(audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))
	v := models.Vendor{Name: "Globex", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	if err := db.Create(&v).Error; err != nil {
		t.Fatal(err)
	}
	approvedBill(t, db, v.ID, clerkUser.ID, "INV-NOW", 100_00)
	late := approvedBill(t, db, v.ID, clerkUser.ID, "INV-LATE", 40_00)
	if err := db.Model(late).Updates(map[string]any{"invoice_date": time.Now().UTC().AddDate(0, 0, -75),
		"due_date": time.Now().UTC().AddDate(0, 0, -45)}).Error; err != nil {
		t.Fatal(err)
	}
	clerk := app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	res := clerk.Get("/bills/aging")
	if res.Status != http.StatusOK {
		t.Fatalf("aging: %d", res.Status)
	}
	if bad := headersWithoutScope(res.Doc, "#aging"); len(bad) > 0 {
		t.Errorf("aging headers without a scope: %q", bad)
	}
	cells := cellTexts(res.Doc.Find("#aging tbody tr").First().Find("td"))
	if want := []string{"Globex", "$100.00", "$0.00", "$40.00", "$0.00", "$0.00", "$140.00"}; strings.Join(cells, "|") != strings.Join(want, "|") {
		t.Errorf("aging row %q, want %q", cells, want)
	}
	// Owed in euros too, the vendor has a row for each currency, named with it, and is
	// counted once.
	eur := approvedBill(t, db, v.ID, clerkUser.ID, "INV-EUR", 25_00)
	if err := db.Model(eur).Update("currency", "EUR").Error; err != nil {
		t.Fatal(err)
	}
	res = clerk.Get("/bills/aging")
	var names []string
	res.Doc.Find("#aging tbody tr td:first-child").Each(func(_ int, td *goquery.Selection) { names = append(names, strings.TrimSpace(td.Text())) })
	if summary := res.Text(".page-header p"); !strings.HasPrefix(summary, "1 vendor owed.") || strings.Join(names, "|") != "Globex (EUR)|Globex (USD)" {
		t.Errorf("a vendor owed in two currencies: %q, rows %q", summary, names)
	}
	if err := db.Delete(eur).Error; err != nil {
		t.Fatal(err)
	}
	// Two runs pay the vendor: another clerk's draft, which is theirs alone until submitted,
	// and one paid, which everyone who sees bills sees, with its day as a day.
	dan := env.CreateUser(t, acme, "dan@acme.example", "Dan Clerk", "ap_clerk")
	day := time.Now().UTC().Truncate(24 * time.Hour)
	paidOn, ach := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), "ach"
	for _, r := range []models.PaymentRun{
		{Number: "PAY-DRAFT", Status: models.PaymentDraft, CreatedByID: dan.ID},
		{Number: "PAY-PAID", Status: models.PaymentPaid, CreatedByID: dan.ID, PaidOn: &paidOn, PaidMethod: &ach, PaidByID: &dan.ID},
	} {
		r.Currency, r.Method, r.DueBy, r.PayOn, r.TotalMinor = "USD", "ach", day, day, 10_00
		if err := db.Create(&r).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&models.PaymentLine{PaymentRunID: r.ID, BillID: late.ID, VendorID: v.ID, AmountMinor: 10_00}).Error; err != nil {
			t.Fatal(err)
		}
	}
	res = clerk.Get(fmt.Sprintf("/vendors/%d", v.ID))
	if got := res.Doc.Find("#vendor-open-bills tbody tr").Length(); got != 2 || !strings.Contains(res.Text("#vendor-aging"), "$140.00") {
		t.Errorf("vendor card: %d open bills, aging %q", got, res.Text("#vendor-aging"))
	}
	if bad := headersWithoutScope(res.Doc, "#vendor-aging, #vendor-open-bills, #vendor-payments"); len(bad) > 0 {
		t.Errorf("the vendor card's headers without a scope: %q", bad)
	}
	if payments := res.Text("#vendor-payments"); strings.Contains(payments, "PAY-DRAFT") || !strings.Contains(payments, "PAY-PAID") ||
		!strings.Contains(payments, "3 Nov 2026") {
		t.Errorf("the vendor's payments as another clerk sees them: %q; want the paid run, on 3 Nov 2026, and not the draft", payments)
	}
	rita := app.Client(t, "acme")
	rita.SignIn("rita@acme.example", testutil.Password)
	if res := rita.Get("/bills/aging"); res.Status != http.StatusSeeOther {
		t.Errorf("requester on the aging page: %d", res.Status)
	}
	// The aging table's export: the same row, amounts as plain numbers; a requester is refused.
	if clerk.Get("/bills/aging").Doc.Find(`[data-export="/bills/aging/export"]`).Length() != 1 {
		t.Error("the aging page offers no export")
	}
	head, rows := csvExport(t, clerk, "/bills/aging/export")
	if len(rows) != 1 || strings.Join(rows[0][2:], "|") != "Globex|USD|100.00|0.00|40.00|0.00|0.00|140.00" || head[6] != "31–60 days" {
		t.Errorf("aging export: %q %q", head, rows)
	}
	if res := rita.Get("/bills/aging/export"); res.Status != http.StatusSeeOther {
		t.Errorf("requester's aging export: %d", res.Status)
	}
}

// The accounting export page lists what is new since the last batch; exporting records a
// batch of it, after which nothing is new; the batch's journal downloads balanced and reads
// back as CSV; re-exporting makes a batch of its own; an auditor downloads but cannot export.
func TestAccountingExportPage(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	clerkUser := env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk")
	otto := env.CreateUser(t, acme, "otto@acme.example", "Otto Auditor", "auditor")
	app := testutil.NewApp(t, env)
	db := app.DB(t, acme).WithContext(audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))
	v := models.Vendor{Name: "Globex", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	gl := models.GLAccount{Code: "6100", Name: "Office Supplies"}
	for _, row := range []any{&v, &gl} {
		if err := db.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i, total := range []int64{120_00, 80_50} {
		b := approvedBill(t, db, v.ID, clerkUser.ID, fmt.Sprintf("INV-%d", i), total)
		if err := db.Create(&models.BillLine{BillID: b.ID, Position: 1, Description: "=cmd|' /C calc'!A0", QuantityMilli: 1000,
			UnitPriceMinor: total, AmountMinor: total, GLAccountID: &gl.ID, MatchStatus: "none"}).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Cleo's approved report of $30.00, paid back to her in a reimbursement batch (made and
	// paid by someone else: nobody pays themself back).
	cat := models.ExpenseCategory{Name: "Supplies", GLAccountID: gl.ID, Currency: "USD"}
	if err := db.Create(&cat).Error; err != nil {
		t.Fatal(err)
	}
	n := "EXP-000001"
	report := models.ExpenseReport{Number: &n, OwnerID: clerkUser.ID, Title: "Supplies", Currency: "USD", TotalMinor: 30_00,
		Status: models.ExpenseApproved}
	if err := db.Create(&report).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&models.ExpenseLine{ReportID: report.ID, Position: 1, Kind: "expense", SpentOn: time.Now(), CategoryID: cat.ID,
		GLAccountID: &gl.ID, AmountMinor: 30_00, Currency: "USD", Rate: money.RateOf(1, 0), ReportMinor: 30_00}).Error; err != nil {
		t.Fatal(err)
	}
	rb, err := models.CreateReimbursementBatch(db.Statement.Context, db, otto.ID, []int64{report.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.MarkBatchPaid(db.Statement.Context, db, otto.ID, rb.ID, models.BatchPaymentInput{
		PaidOn: time.Now().Format(time.DateOnly), Method: models.PayBankTransfer, Reference: "SEPA-1"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	clerk := app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	res := clerk.Get("/accounting/exports")
	if !strings.Contains(res.Text("#export-new-title"), "(4)") {
		t.Fatalf("new since the last batch: %q", res.Text("#export-new-title"))
	}
	if href, _ := res.Doc.Find(`a:contains("` + rb.Number + `")`).Attr("href"); href != expenses.BatchPath(rb.ID) {
		t.Errorf("the paid reimbursement batch is not listed as new, linking to its page: %q", href)
	}
	if res := clerk.Post("/accounting/exports", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("export: %d", res.Status)
	}
	res = clerk.Get("/accounting/exports")
	if !strings.Contains(res.Text("#export-new-title"), "(0)") || res.Doc.Find("#export-batches tbody tr").Length() != 1 {
		t.Fatalf("after exporting: %q, %d batches", res.Text("#export-new-title"), res.Doc.Find("#export-batches tbody tr").Length())
	}
	href, _ := res.Doc.Find(`#export-batches a[href$="/journal"]`).Attr("href")
	aud := app.Client(t, "acme")
	aud.SignIn("otto@acme.example", testutil.Password)
	file := aud.Get(href)
	if file.Status != http.StatusOK {
		t.Fatalf("auditor downloads the journal: %d", file.Status)
	}
	rows, err := csv.NewReader(strings.NewReader(file.Body)).ReadAll()
	if err != nil || len(rows) != 9 { // the heading, two bills, the report owed and the reimbursement paid, two lines each
		t.Fatalf("journal read back: %v, %d rows", err, len(rows))
	}
	var debit, credit float64
	for _, r := range rows[1:] {
		d, _ := strconv.ParseFloat(r[2], 64)
		c, _ := strconv.ParseFloat(r[3], 64)
		debit, credit = debit+d, credit+c
		if strings.HasPrefix(r[4], "=") {
			t.Errorf("a formula reached the journal: %q", r[4])
		}
	}
	if debit != 260.5 || credit != 260.5 {
		t.Errorf("journal debits %.2f, credits %.2f", debit, credit)
	}
	aud.Get("/accounting/exports")
	if res := aud.Post("/accounting/exports", nil); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("auditor exports: %d %q", res.Status, res.Location())
	}
	id := strings.Split(href, "/")[3]
	if res := clerk.Post("/accounting/exports/"+id+"/reexport", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("re-export: %d", res.Status)
	}
	if res := clerk.Get("/accounting/exports"); !strings.Contains(res.Text("#export-batches"), "re-export of batch "+id) {
		t.Errorf("batches after re-export: %q", res.Text("#export-batches"))
	}
}

// An auditor may read the payment settings but not change them: the page shows them in
// disabled fields with no button, as the other settings pages do, and a post is refused.
func TestPaymentSettingsAreReadOnlyToAnAuditor(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ann@acme.example", "Ann Admin", "admin")
	env.CreateUser(t, acme, "aud@acme.example", "Aud Auditor", "auditor")
	app := testutil.NewApp(t, env)
	admin := app.Client(t, "acme")
	admin.SignIn("ann@acme.example", testutil.Password)
	if res := admin.Get("/payments/settings"); res.Doc.Find(`fieldset[disabled]`).Length() != 0 || !strings.Contains(res.Text("form"), "Save payment settings") {
		t.Errorf("the admin's payment settings are not editable: %q", res.Text("form"))
	}
	auditor := app.Client(t, "acme")
	auditor.SignIn("aud@acme.example", testutil.Password)
	res := auditor.Get("/payments/settings")
	if res.Status != http.StatusOK || res.Doc.Find(`fieldset[disabled] input[name="company_name"]`).Length() != 1 ||
		strings.Contains(res.Text("form"), "Save payment settings") {
		t.Errorf("the auditor's payment settings: %d, form %q; want the fields disabled and no button", res.Status, res.Text("form"))
	}
	if res := auditor.Post("/payments/settings", url.Values{"company_name": {"Auditor Corp"}}); res.Status != http.StatusSeeOther {
		t.Errorf("the auditor's post: %d, want a refusal", res.Status)
	}
}

// A refused payment run, and a refused "mark paid", come back with each message beside its
// field and tied to it (aria-invalid, aria-describedby), the ticks, amounts and text typed
// kept; nothing ticked marks the bills offered.
func TestRefusedPaymentFormsTieEachMessageToItsField(t *testing.T) {
	t.Parallel()
	p := newGlobexPayer(t)
	a := approvedBill(t, p.db, p.vendor.ID, p.clerk.ID, "INV-A", 1000_00)
	approvedBill(t, p.db, p.vendor.ID, p.clerk.ID, "INV-B", 250_00)
	clerk := p.app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	today := time.Now().Format(time.DateOnly)
	clerk.Get("/payments/new")
	tied := func(t *testing.T, res *testutil.Response, id, want string) {
		t.Helper()
		el := res.Doc.Find(`[id="` + id + `"]`)
		if res.Status != http.StatusUnprocessableEntity || el.AttrOr("aria-invalid", "") != "true" ||
			!strings.Contains(" "+el.AttrOr("aria-describedby", "")+" ", " "+id+"-error ") || !strings.Contains(res.Text(`[id="`+id+`-error"]`), want) {
			t.Errorf("%s: %d, aria-invalid %q, described by %q, message %q", id, res.Status, el.AttrOr("aria-invalid", ""),
				el.AttrOr("aria-describedby", ""), res.Text(`[id="`+id+`-error"]`))
		}
	}

	form := url.Values{"currency": {"USD"}, "method": {"ach"}, "due_by": {today}, "pay_on": {"2020-01-01"}, "memo": {"March suppliers"},
		"bill": {fmt.Sprint(a.ID)}, "amount." + fmt.Sprint(a.ID): {"400"}}
	res := htmxPost(clerk, "/payments", "payment-form", form)
	tied(t, res, "pay_on", "from today on")
	if got := res.Text("#memo"); got != "March suppliers" {
		t.Errorf("memo came back as %q", got)
	}
	if res.Doc.Find(fmt.Sprintf(`#bill-%d[checked]`, a.ID)).Length() != 1 || res.Doc.Find(`input[name="bill"][checked]`).Length() != 1 {
		t.Error("the ticks were not kept")
	}
	if got := res.Doc.Find(fmt.Sprintf(`[id="amount.%d"]`, a.ID)).AttrOr("value", ""); got != "400" {
		t.Errorf("the amount came back as %q", got)
	}
	form.Set("pay_on", today)
	form.Set("amount."+fmt.Sprint(a.ID), "many")
	tied(t, htmxPost(clerk, "/payments", "payment-form", form), fmt.Sprintf("amount.%d", a.ID), "")
	form.Del("bill")
	res = htmxPost(clerk, "/payments", "payment-form", form)
	if bills := res.Doc.Find("#payment-bills"); res.Status != http.StatusUnprocessableEntity || bills.AttrOr("aria-invalid", "") != "true" ||
		bills.AttrOr("aria-describedby", "") != "bills-error" || res.Text("#payment-bills #bills-error") != "Choose at least one bill to pay." {
		t.Errorf("nothing ticked: %d, %q described by %q: %q", res.Status, bills.AttrOr("aria-invalid", ""), bills.AttrOr("aria-describedby", ""), res.Text("#bills-error"))
	}

	form.Set("bill", fmt.Sprint(a.ID))
	form.Set("amount."+fmt.Sprint(a.ID), "400")
	res = clerk.Post("/payments", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text(".field-error"))
	}
	page := res.Location()
	if err := p.db.Model(&models.PaymentRun{}).Where("status = ?", models.PaymentDraft).Update("status", models.PaymentApproved).Error; err != nil {
		t.Fatal(err)
	}
	clerk.Get(page)
	future := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	res = htmxPost(clerk, page+"/paid", "paid-form", url.Values{"paid_on": {future}, "paid_method": {"ach"}, "reference": {"TRACE 0210"}})
	tied(t, res, "paid_on", "a day still to come")
	if got := res.Doc.Find("#reference").AttrOr("value", ""); got != "TRACE 0210" {
		t.Errorf("reference came back as %q", got)
	}
	res = htmxPost(clerk, page+"/paid", "paid-form", url.Values{"paid_on": {today}, "paid_method": {"ach"}, "reference": {""}})
	tied(t, res, "reference", "Enter the bank's reference")
}
