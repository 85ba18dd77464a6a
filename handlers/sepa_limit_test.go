package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/audit"
	"outlay/bankfile/bankfiletest"
	"outlay/internal/testutil"
	"outlay/models"
)

// A euro run paying one vendor two bills, each below the SEPA limit of €999,999,999.99 a
// transfer and more together, has no bank file: the run's page says so, naming the vendor,
// the transfer and the limit and what to do, and the run records no file made.
func TestARunsBankFileAboveTheSEPALimitIsRefusedOnItsPage(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	cleo := env.CreateUser(t, acme, "cleo@acme.example", "Cleo Clerk", "ap_clerk")
	app := testutil.NewApp(t, env)
	db := app.DB(t, acme).WithContext(audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"}))
	vendor := models.Vendor{Name: "Hyperion Construction", Currency: "EUR", Status: models.VendorActive, PaymentTermsDays: 30}
	if err := db.Create(&vendor).Error; err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	form := url.Values{"currency": {"EUR"}, "method": {"wire"}, "due_by": {day.Format(time.DateOnly)}, "pay_on": {day.Format(time.DateOnly)}}
	for i, total := range []int64{600_000_000_00, 400_000_000_01} {
		b := models.Bill{Number: fmt.Sprintf("BILL-H%d", i), VendorID: vendor.ID, VendorInvoiceNumber: fmt.Sprintf("H-%d", i), InvoiceDate: day.AddDate(0, 0, -30),
			DueDate: day, Currency: "EUR", SubtotalMinor: total, TotalMinor: total, Status: models.BillApproved, MatchStatus: models.MatchNone, EnteredByID: cleo.ID}
		if err := db.Create(&b).Error; err != nil {
			t.Fatal(err)
		}
		form.Add("bill", fmt.Sprint(b.ID))
		form.Set("amount."+fmt.Sprint(b.ID), b.Total().Plain())
	}
	admin := app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	setOrgIBAN(t, admin)
	clerk := app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	setVendorIBAN(t, clerk, vendor.ID, "Hyperion SA", "FR1420041010050500013M02606")
	clerk.Get("/payments/new")
	res := clerk.Post("/payments", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("the run: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	page := res.Location()
	clerk.Post(page+"/submit", nil)
	var step int64
	db.Raw(`SELECT id FROM approval_steps WHERE doc_type = 'payment' AND status = 'pending'`).Scan(&step)
	admin.Get("/approvals")
	if res := admin.Post(stepURL(step, "approve"), nil); res.Status >= 400 {
		t.Fatalf("approve: %d", res.Status)
	}

	msg := flashAfter(t, clerk, clerk.Get(page+"/bank-file"))
	for _, want := range []string{"Hyperion Construction €1,000,000,000.01 in one transfer", "above the SEPA limit of €999,999,999.99",
		"Cancel this run and pay Hyperion Construction across several runs"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the run's page says %q; want %q", msg, want)
		}
	}
	var made *string
	db.Raw(`SELECT file_message_id FROM payment_runs WHERE id = (SELECT max(id) FROM payment_runs)`).Scan(&made)
	if made != nil || clerk.Get(page).Doc.Find("#payment-file-made").Length() != 0 {
		t.Errorf("the refused file is recorded as made (%v)", made)
	}
}

// A batch's SEPA file whose report pays more than the SEPA limit of €999,999,999.99 in one
// transfer is refused on the batch's page, naming the person, the report, the amount and the
// limit, and records no file made; once the report is out, the rest of the batch has its file.
func TestABatchSEPAFileAboveTheLimitIsRefusedOnItsPage(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	clerk := s.client(t, s.person(t, "carl@acme.example", "Carl Clerk", "ap_clerk"))
	ann := s.client(t, s.person(t, "ann@acme.example", "Ann Admin", "admin"))
	big := s.approvedReport(t, s.rita, "EXP-000201", "EUR", 1_000_000_000_00)
	small := s.approvedReport(t, s.rob, "EXP-000202", "EUR", 20_00)
	flashAfter(t, ann, ann.Post("/admin/settings/bank-account", url.Values{"holder": {"Acme GmbH"}, "iban": {"DE02120300000000202051"}}))
	for u, iban := range map[*models.User]string{s.rita: "DE89 3704 0044 0532 0130 00", s.rob: "FR14 2004 1010 0505 0001 3M02 606"} {
		c := s.client(t, u)
		flashAfter(t, c, c.Post("/settings/bank-account", url.Values{"holder": {u.Name}, "iban": {iban}, "confirm": {testutil.Password}}))
	}
	clerk.Get("/expenses/reimbursements/new")
	res := clerk.Post("/expenses/reimbursements", url.Values{"report": {ids(big.ID), ids(small.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text(".flash"))
	}
	batchPath := res.Location()

	msg := flashAfter(t, clerk, clerk.Get(batchPath+"/pain001"))
	for _, want := range []string{"The SEPA file cannot be made", "Rita Requester (expense report EXP-000201) €1,000,000,000.00 in one transfer",
		"above the SEPA limit of €999,999,999.99", "Take report EXP-000201 out of this batch"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the batch's page says %q; want %q", msg, want)
		}
	}
	var made *string
	s.db.Raw(`SELECT file_message_id FROM reimbursement_batches WHERE id = (SELECT max(id) FROM reimbursement_batches)`).Scan(&made)
	if made != nil || clerk.Get(batchPath).Doc.Find("#batch-file-made").Length() != 0 {
		t.Errorf("the refused file is recorded as made (%v)", made)
	}

	flashAfter(t, clerk, clerk.Post(batchPath+"/remove", url.Values{"report": {ids(big.ID)}}))
	res = clerk.Get(batchPath + "/pain001")
	if res.Status != http.StatusOK {
		t.Fatalf("the file without the large report: %d %s", res.Status, clerk.Get(batchPath).Text(".flash"))
	}
	bankfiletest.ValidatePain001(t, []byte(res.Body))
}
