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
// transfer and more together, made before runs were refused for it (made by cheque, then
// changed to wire), has no bank file: the run's page says so, naming the vendor, the transfer
// and the limit and what to do, and the run records no file made.
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
	form.Set("method", models.MethodCheque)
	res := clerk.Post("/payments", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("the run: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	page := res.Location()
	if err := db.Exec(`UPDATE payment_runs SET method = ?`, models.MethodWire).Error; err != nil {
		t.Fatal(err)
	}
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

// A report that a batch's SEPA file would pay more than the SEPA limit of €999,999,999.99 in
// one transfer is refused when a batch with other reports is made, beside the report, with
// nothing scheduled: the bank would refuse the file whole. Alone in its batch, it is taken,
// and that batch's file is refused on its page, naming the person, the report, the amount and
// the limit, and records no file made. A batch made with it and others before that (the same
// refusal, with taking it out as the remedy) has its file once the report is out.
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
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a batch with a report above the SEPA limit and another: %d, want 422", res.Status)
	}
	want := "It would be paid €1,000,000,000.00 in one transfer, above the SEPA limit of €999,999,999.99 for one transfer, and the bank would refuse the batch's whole SEPA file. Schedule it in a batch of its own"
	if got := res.Text("#report-" + ids(big.ID) + "-error"); !strings.Contains(got, want) {
		t.Errorf("beside the large report %q, want %q", got, want)
	}
	if res.Doc.Find("#report-"+ids(small.ID)+"-error").Length() != 0 {
		t.Errorf("the small report is refused too")
	}
	var batches int64
	s.db.Model(&models.ReimbursementBatch{}).Count(&batches)
	if batches != 0 {
		t.Fatalf("%d batches made", batches)
	}

	// A batch made with both before such a batch was refused.
	res = clerk.Post("/expenses/reimbursements", url.Values{"report": {ids(small.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text(".flash"))
	}
	batchPath := res.Location()
	if err := s.db.Exec(`UPDATE expense_reports SET status = ?, reimbursement_batch_id = (SELECT max(id) FROM reimbursement_batches) WHERE id = ?`,
		models.ExpenseScheduled, big.ID).Error; err != nil {
		t.Fatal(err)
	}
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

	// Alone, it makes a batch, paid by another method than its file.
	clerk.Get("/expenses/reimbursements/new")
	res = clerk.Post("/expenses/reimbursements", url.Values{"report": {ids(big.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("the large report alone: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	alone := res.Location()
	msg = flashAfter(t, clerk, clerk.Get(alone+"/pain001"))
	for _, want := range []string{"Rita Requester (expense report EXP-000201) €1,000,000,000.00 in one transfer",
		"Pay this batch by another method, such as a cheque, and mark it paid."} {
		if !strings.Contains(msg, want) {
			t.Errorf("the lone batch's page says %q; want %q", msg, want)
		}
	}
}

// A euro run by wire whose two bills to one vendor add up to more than one SEPA transfer
// carries (€999,999,999.99) is refused when it is made, not once approved and its file made:
// a 422 saying so above the bills, with what to do, the amounts typed kept and nothing kept.
// The same bills by cheque, which has no bank file, make a run.
func TestAEuroRunAboveTheSEPALimitIsRefusedWhenMade(t *testing.T) {
	t.Parallel()
	p := newGlobexPayer(t)
	euro := models.Vendor{Name: "Hyperion Construction", Currency: "EUR", Status: models.VendorActive, PaymentTermsDays: 30}
	if err := p.db.Create(&euro).Error; err != nil {
		t.Fatal(err)
	}
	a, b := approvedBill(t, p.db, euro.ID, p.clerk.ID, "HC-1", 600_000_000_00), approvedBill(t, p.db, euro.ID, p.clerk.ID, "HC-2", 400_000_000_01)
	if err := p.db.Model(&models.Bill{}).Where("id IN ?", []int64{a.ID, b.ID}).Update("currency", "EUR").Error; err != nil {
		t.Fatal(err)
	}
	clerk := p.app.Client(t, "acme")
	clerk.SignIn(p.clerk.Email, testutil.Password)
	clerk.Get("/payments/new")
	today := time.Now().Format(time.DateOnly)
	form := url.Values{"currency": {"EUR"}, "method": {models.MethodWire}, "due_by": {today}, "pay_on": {today},
		"bill": {fmt.Sprint(a.ID), fmt.Sprint(b.ID)}, "amount." + fmt.Sprint(a.ID): {"600000000"}, "amount." + fmt.Sprint(b.ID): {"400000000.01"}}
	res := htmxPost(clerk, "/payments", "payment-form", form)
	want := "This run cannot be paid by its pain.001 file: it would pay Hyperion Construction €1,000,000,000.01 in one transfer, above the SEPA limit of €999,999,999.99 for one transfer, and the bank would refuse the whole file. " +
		"Pay Hyperion Construction across several runs, each paying it at most €999,999,999.99 (a run may pay part of a bill), or pay it by another method, such as a cheque."
	if got := res.Text("#payment-bills #bills-error"); res.Status != http.StatusUnprocessableEntity || got != want {
		t.Errorf("a run above the SEPA limit: %d %q, want %q", res.Status, got, want)
	}
	if typed := res.Doc.Find(fmt.Sprintf(`[id="amount.%d"]`, b.ID)).AttrOr("value", ""); typed != "400000000.01" {
		t.Errorf("the amount typed is shown again as %q", typed)
	}
	var runs int64
	if p.db.Model(&models.PaymentRun{}).Count(&runs); runs != 0 {
		t.Fatalf("%d runs kept above the SEPA limit", runs)
	}
	form.Set("method", models.MethodCheque)
	if res := clerk.Post("/payments", form); res.Status != http.StatusSeeOther {
		t.Fatalf("by cheque: %d %q", res.Status, res.Text(".field-error, .flash"))
	}
}
