package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
)

// markPaidAgain posts "mark paid" of a document paid already (path), as a second click or a
// stale tab would, through htmx and as a plain form, and checks that each answer is 409 with
// want in it (a toast to htmx, which leaves the form in place; the page to a plain post), and
// that nothing was written: no audit row, no notification.
func markPaidAgain(t *testing.T, c *testutil.Client, db *gorm.DB, path string, form url.Values, want string) {
	t.Helper()
	var audited, notified int64
	count := func() (int64, int64) {
		var a, n int64
		db.Raw(`SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM audit_pending)`).Scan(&a)
		db.Raw(`SELECT count(*) FROM notifications`).Scan(&n)
		return a, n
	}
	audited, notified = count()

	res := htmxPost(c, path, "", form)
	var trig map[string]map[string]string
	if err := json.Unmarshal([]byte(res.Header.Get("HX-Trigger")), &trig); err != nil || res.Status != http.StatusConflict ||
		trig["toast"]["kind"] != "error" || !strings.Contains(trig["toast"]["message"], want) {
		t.Errorf("htmx, paid again: %d, toast %q (%v), want 409 and a toast with %q", res.Status, res.Header.Get("HX-Trigger"), err, want)
	}
	if res.Header.Get("HX-Redirect") != "" || res.Header.Get("HX-Reswap") != "none" {
		t.Errorf("htmx, paid again: HX-Redirect %q, HX-Reswap %q: the form must stay where it is", res.Header.Get("HX-Redirect"), res.Header.Get("HX-Reswap"))
	}
	res = c.Post(path, form)
	if res.Status != http.StatusConflict || !strings.Contains(res.Text("main"), want) {
		t.Errorf("plain post, paid again: %d %q, want 409 saying %q", res.Status, res.Text("main"), want)
	}
	if a, n := count(); a != audited || n != notified {
		t.Errorf("paying again wrote %d audit rows and %d notifications", a-audited, n-notified)
	}
}

// A payment run marked paid, then marked paid again (a second click, another tab), is
// answered as a reimbursement batch is: 409 and why, nothing changed.
func TestPaymentRunPaidTwice(t *testing.T) {
	t.Parallel()
	p := newGlobexPayer(t)
	app, db, clerkUser, v := p.app, p.db, p.clerk, p.vendor
	bill := approvedBill(t, db, v.ID, clerkUser.ID, "INV-T", 300_00)
	clerk := app.Client(t, "acme")
	clerk.SignIn("cleo@acme.example", testutil.Password)
	today := time.Now().Format(time.DateOnly)
	clerk.Get("/payments/new")
	res := clerk.Post("/payments", url.Values{"currency": {"USD"}, "method": {"ach"}, "due_by": {today}, "pay_on": {today},
		"bill": {fmt.Sprint(bill.ID)}, "amount." + fmt.Sprint(bill.ID): {"300"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	page := res.Location()
	clerk.Post(page+"/submit", nil)
	var step int64
	db.Raw(`SELECT id FROM approval_steps WHERE doc_type = 'payment' AND status = 'pending'`).Scan(&step)
	mgr := app.Client(t, "acme")
	mgr.SignIn("max@acme.example", testutil.Password)
	mgr.Get("/approvals")
	if res := mgr.Post(fmt.Sprintf("/approvals/%d/approve", step), nil); res.Status >= 400 {
		t.Fatalf("approve: %d", res.Status)
	}
	clerk.Get(page)
	paid := url.Values{"paid_on": {today}, "paid_method": {"ach"}, "reference": {"TRACE 1"}}
	if msg := flashAfter(t, clerk, clerk.Post(page+"/paid", paid)); !strings.Contains(msg, "marked paid") {
		t.Fatalf("mark paid: %q", msg)
	}
	var number string
	db.Raw(`SELECT number FROM payment_runs WHERE id = ?`, strings.TrimPrefix(page, "/payments/")).Scan(&number)
	markPaidAgain(t, clerk, db, page+"/paid", url.Values{"paid_on": {today}, "paid_method": {"ach"}, "reference": {"TRACE 2"}},
		number+" is already paid.")
	var ref string
	db.Raw(`SELECT reference FROM payment_runs WHERE id = ?`, strings.TrimPrefix(page, "/payments/")).Scan(&ref)
	if ref != "TRACE 1" {
		t.Errorf("the run's reference is %q after paying it again", ref)
	}
}

// A reimbursement batch marked paid again is refused the same way, and its owners are not
// told twice.
func TestReimbursementBatchPaidTwice(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	clerk := s.person(t, "carl@acme.example", "Carl Clerk", "ap_clerk")
	r := s.approvedReport(t, s.rita, "EXP-000401", "USD", 1500)
	c := s.client(t, clerk)
	c.Get("/expenses/reimbursements/new")
	res := c.Post("/expenses/reimbursements", url.Values{"report": {ids(r.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text("[data-form-error], .field-error"))
	}
	batch := res.Location()
	c.Get(batch)
	today := time.Now().UTC().Format(time.DateOnly)
	if msg := flashAfter(t, c, c.Post(batch+"/paid", url.Values{"paid_on": {today}, "method": {models.PayBankTransfer}, "reference": {"SEPA-1"}})); !strings.Contains(msg, "is paid") {
		t.Fatalf("mark paid: %q", msg)
	}
	markPaidAgain(t, c, s.db, batch+"/paid", url.Values{"paid_on": {today}, "method": {models.PayCheque}, "reference": {"2"}},
		"RB-000001 is already paid.")
}
