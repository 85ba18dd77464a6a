package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"outlay/audit"
	"outlay/bankfile/bankfiletest"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/views"
)

// approvedReport stores an approved report of owner's, as its approver left it.
func (s *expenseSite) approvedReport(t *testing.T, owner *models.User, number, currency string, total int64) *models.ExpenseReport {
	t.Helper()
	decided := time.Now().Add(-time.Hour)
	r := &models.ExpenseReport{Number: &number, OwnerID: owner.ID, DepartmentID: &s.eng.ID, Title: "Trip " + number, Currency: currency,
		TotalMinor: total, Status: models.ExpenseApproved, SubmittedAt: &decided, DecidedAt: &decided}
	if err := s.db.Create(r).Error; err != nil {
		t.Fatal(err)
	}
	return r
}

// An AP clerk schedules approved reports into a batch from the list of approved reports,
// reads the batch (people, amounts per currency), downloads its CSV and, once everyone paid
// in euros keeps an IBAN and the organisation's account is set, its SEPA file, which the
// ISO 20022 schema accepts; then marks it paid, refused beside each field until the form is
// right. Requesters are refused the batch pages; a batch that does not exist is not found.
func TestReimbursementBatchFromListToPaid(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	clerk := s.person(t, "carl@acme.example", "Carl Clerk", "ap_clerk")
	admin := s.person(t, "ann@acme.example", "Ann Admin", "admin")
	ritaEUR := s.approvedReport(t, s.rita, "EXP-000101", "EUR", 12345)
	robEUR := s.approvedReport(t, s.rob, "EXP-000102", "EUR", 2000)
	ritaUSD := s.approvedReport(t, s.rita, "EXP-000103", "USD", 5050)
	notYet := s.approvedReport(t, s.rob, "EXP-000104", "EUR", 999)
	if err := s.db.Model(notYet).Update("status", models.ExpenseSubmitted).Error; err != nil {
		t.Fatal(err)
	}
	c := s.client(t, clerk)

	// The new batch page offers the approved reports, with a checkbox each.
	res := c.Get("/expenses/reimbursements/new")
	var offered []string
	res.Doc.Find(`input[type=checkbox][name=report]`).Each(func(_ int, in *goquerySelection) { v, _ := in.Attr("value"); offered = append(offered, v) })
	slices.Sort(offered)
	if want := []string{ids(ritaEUR.ID), ids(robEUR.ID), ids(ritaUSD.ID)}; !slices.Equal(offered, sorted(want)) {
		t.Errorf("offered %v, want %v", offered, want)
	}
	// A report not approved is refused beside it, and nothing is scheduled.
	res = c.Post("/expenses/reimbursements", url.Values{"report": {ids(ritaEUR.ID), ids(notYet.ID)}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#report-"+ids(notYet.ID)+"-error"), "not approved") {
		t.Errorf("batching a submitted report: %d %q", res.Status, res.Text(".field-error"))
	}
	if res = c.Post("/expenses/reimbursements", url.Values{}); res.Status != http.StatusUnprocessableEntity || res.Text("#reports-error") == "" {
		t.Errorf("an empty batch: %d %q", res.Status, res.Text("#reports-error"))
	}
	res = c.Post("/expenses/reimbursements", url.Values{"report": {ids(ritaEUR.ID), ids(robEUR.ID), ids(ritaUSD.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text(".flash"))
	}
	batchPath := res.Location()
	page := c.Get(batchPath)
	if page.Status != http.StatusOK || !strings.Contains(page.Text("h1"), "RB-000001") {
		t.Fatalf("batch page %d %q", page.Status, page.Text("h1"))
	}
	if got := page.Text("#batch-summary-title + dl"); !strings.Contains(got, "€143.45") || !strings.Contains(got, "$50.50") {
		t.Errorf("totals per currency: %q", got)
	}
	if got := page.Text(".batch-table"); !strings.Contains(got, "Rita Requester") || !strings.Contains(got, "Rob Requester") {
		t.Errorf("people: %q", got)
	}
	// Nobody keeps a bank account yet: the page says who, and the SEPA file is refused naming them.
	if got := page.Text(".flash-error"); !strings.Contains(got, "Rita Requester") || !strings.Contains(got, "Rob Requester") {
		t.Errorf("missing accounts warning: %q", got)
	}
	if msg := flashAfter(t, c, c.Get(batchPath+"/pain001")); !strings.Contains(msg, "Rita Requester, Rob Requester") {
		t.Errorf("SEPA file without IBANs: %q", msg)
	}

	// Requesters never reach the batch pages; a batch that does not exist is not found.
	rob := s.client(t, s.rob)
	for _, p := range []string{"/expenses/reimbursements", batchPath, batchPath + "/csv"} {
		if res := rob.Get(p); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
			t.Errorf("requester GET %s: %d %s", p, res.Status, res.Location())
		}
	}
	// Auditors read everything: the batch and its CSV, but they cannot mark it paid.
	audra := s.client(t, s.person(t, "audra@acme.example", "Audra Auditor", "auditor"))
	for _, p := range []string{"/expenses/reimbursements", batchPath} {
		if res := audra.Get(p); res.Status != http.StatusOK || !strings.Contains(res.Body, "RB-") {
			t.Errorf("auditor GET %s: %d", p, res.Status)
		}
	}
	if res := audra.Get(batchPath + "/csv"); res.Status != http.StatusSeeOther {
		t.Errorf("auditor downloads the batch CSV without export: %d", res.Status)
	}
	if res := c.Get("/expenses/reimbursements/999999"); res.Status != http.StatusNotFound {
		t.Errorf("unknown batch: %d", res.Status)
	}

	// People keep their IBAN on their profile, confirmed with their password: a wrong one is
	// refused beside the field.
	rita := s.client(t, s.rita)
	res = rita.Post("/settings/bank-account", url.Values{"holder": {"Rita Requester"}, "iban": {"DE89 3704 0044 0532 0130 01"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#iban-error"), "check digits") {
		t.Errorf("bad IBAN: %d %q", res.Status, res.Text("#iban-error"))
	}
	if msg := flashAfter(t, rita, rita.Post("/settings/bank-account", url.Values{"holder": {"Rita Réquester"}, "iban": {"de89 3704 0044 0532 0130 00"}, "confirm": {testutil.Password}})); !strings.Contains(msg, "DE89 •••• •••• •••• 3000") {
		t.Errorf("saved: %q", msg)
	}
	if got := rita.Get("/settings/bank-account").Text(".iban-masked"); got != "DE89 •••• •••• •••• 3000" {
		t.Errorf("shown as %q", got)
	}
	flashAfter(t, rob, rob.Post("/settings/bank-account", url.Values{"holder": {"Rob Requester"}, "iban": {"FR14 2004 1010 0505 0001 3M02 606"}, "bic": {"BNPAFRPP"}, "confirm": {testutil.Password}}))
	// Still no organisation account.
	if msg := flashAfter(t, c, c.Get(batchPath+"/pain001")); !strings.Contains(msg, "organisation's bank account") {
		t.Errorf("SEPA file without the organisation's account: %q", msg)
	}
	ann := s.client(t, admin)
	flashAfter(t, ann, ann.Post("/admin/settings/bank-account", url.Values{"holder": {"Acme GmbH"}, "iban": {"DE02120300000000202051"}, "bic": {"BYLADEM1001"}}))

	// The SEPA file: euro reports only, valid against the ISO 20022 schema, with the right counts.
	res = c.Get(batchPath + "/pain001")
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "RB-000001") {
		t.Fatalf("pain.001: %d %q %s", res.Status, res.Header.Get("Content-Disposition"), res.Text(".flash"))
	}
	bankfiletest.ValidatePain001(t, []byte(res.Body))
	var doc struct {
		MsgID   string   `xml:"CstmrCdtTrfInitn>GrpHdr>MsgId"`
		NbOfTxs string   `xml:"CstmrCdtTrfInitn>GrpHdr>NbOfTxs"`
		CtrlSum string   `xml:"CstmrCdtTrfInitn>GrpHdr>CtrlSum"`
		Debtor  string   `xml:"CstmrCdtTrfInitn>PmtInf>DbtrAcct>Id>IBAN"`
		IBANs   []string `xml:"CstmrCdtTrfInitn>PmtInf>CdtTrfTxInf>CdtrAcct>Id>IBAN"`
		Names   []string `xml:"CstmrCdtTrfInitn>PmtInf>CdtTrfTxInf>Cdtr>Nm"`
	}
	if err := xml.Unmarshal([]byte(res.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.NbOfTxs != "2" || doc.CtrlSum != "143.45" || doc.Debtor != "DE02120300000000202051" ||
		!slices.Equal(doc.IBANs, []string{"DE89370400440532013000", "FR1420041010050500013M02606"}) || doc.Names[0] != "Rita Requester" {
		t.Errorf("pain.001 content %+v", doc)
	}

	// The CSV: a row per report, IBANs masked.
	res = c.Get(batchPath + "/csv")
	if !strings.HasPrefix(res.Body, "\ufeff") {
		t.Errorf("the batch's CSV file has no byte-order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\ufeff"))).ReadAll()
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("csv %d: %v", res.Status, err)
	}
	want := [][]string{
		{"Batch", "Report", "Title", "Person", "Email", "Currency", "Total", "Advance deducted", "Amount to pay", "Account holder", "IBAN", "BIC", "Status"},
		{"RB-000001", "EXP-000101", "Trip EXP-000101", "Rita Requester", "rita@acme.example", "EUR", "123.45", "0.00", "123.45", "Rita Réquester", "DE89 •••• •••• •••• 3000", "", "scheduled"},
		{"RB-000001", "EXP-000103", "Trip EXP-000103", "Rita Requester", "rita@acme.example", "USD", "50.50", "0.00", "50.50", "Rita Réquester", "DE89 •••• •••• •••• 3000", "", "scheduled"},
		{"RB-000001", "EXP-000102", "Trip EXP-000102", "Rob Requester", "rob@acme.example", "EUR", "20.00", "0.00", "20.00", "Rob Requester", "FR14 •••• •••• •••• •••• 2606", "BNPAFRPP", "scheduled"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal[[]string]) {
		t.Errorf("csv rows\n got %q\nwant %q", rows, want)
	}

	// The file may be at the bank: downloaded again, it carries the same message id, which
	// the bank refuses twice, and the batch says when it was made.
	firstID := doc.MsgID
	if err := xml.Unmarshal([]byte(c.Get(batchPath+"/pain001").Body), &doc); err != nil || doc.MsgID != firstID || firstID == "" {
		t.Errorf("the second download's message id %q, the first's %q (%v)", doc.MsgID, firstID, err)
	}
	if got := c.Get(batchPath).Text("#batch-file-made"); !strings.Contains(got, firstID) {
		t.Errorf("the batch's file: %q", got)
	}
	// Euros and dollars: marking it paid marks both, and the SEPA file pays only the euros.
	if got := c.Get(batchPath).Text("#batch-currencies"); !strings.Contains(got, "pays in 2 currencies") || !strings.Contains(got, "euro reports only") {
		t.Errorf("the mixed batch's notice: %q", got)
	}
	// The dollar report is not in the file: it is taken out as before, and the file stays
	// what it was (a download again carries the same id).
	if msg := flashAfter(t, c, c.Post(batchPath+"/remove", url.Values{"report": {ids(ritaUSD.ID)}})); !strings.Contains(msg, "EXP-000103") {
		t.Errorf("remove the dollar report: %q", msg)
	}
	if err := xml.Unmarshal([]byte(c.Get(batchPath+"/pain001").Body), &doc); err != nil || doc.MsgID != firstID {
		t.Errorf("after the dollar report left, the file's message id %q, the first's %q (%v)", doc.MsgID, firstID, err)
	}
	if c.Get(batchPath).Doc.Find("#batch-currencies").Length() != 0 {
		t.Error("a batch in one currency warns of several")
	}
	// A euro report the file pays would be free for another batch and another file: taking
	// it out needs the clerk's word that the file was never sent, or cancelled whole.
	if msg := flashAfter(t, c, c.Post(batchPath+"/remove", url.Values{"report": {ids(robEUR.ID)}})); !strings.Contains(msg, "was downloaded on") {
		t.Errorf("remove a euro report after the file: %q", msg)
	}
	page = c.Get(batchPath)
	if page.Doc.Find(fmt.Sprintf(`#remove-not-paid-%d[required][name=file_not_paid]`, robEUR.ID)).Length() != 1 {
		t.Error("the euro report's remove form has no box to say the file was not sent")
	}
	// Mark paid: every mistake beside its field, then paid.
	res = c.Post(batchPath+"/paid", url.Values{"paid_on": {time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")}, "method": {"cash"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#paid_on-error") == "" || res.Text("#method-error") == "" || res.Text("#reference-error") == "" {
		t.Errorf("mark paid refused: %d %q %q %q", res.Status, res.Text("#paid_on-error"), res.Text("#method-error"), res.Text("#reference-error"))
	}
	if got := res.Text("#batch-pay-form .form-error"); got != views.FieldsMarked {
		t.Errorf("above the refused form: %q", got)
	}
	for _, id := range []string{"paid_on", "method", "reference"} {
		if field := res.Doc.Find("#batch-pay-form #" + id); field.AttrOr("aria-invalid", "") != "true" || field.AttrOr("aria-describedby", "") != id+"-error" {
			t.Errorf("%s is marked %q, described by %q", id, field.AttrOr("aria-invalid", ""), field.AttrOr("aria-describedby", ""))
		}
	}
	res = c.Post(batchPath+"/paid", url.Values{"paid_on": {time.Now().UTC().Format("2006-01-02")}, "method": {models.PayBankTransfer}, "reference": {"SEPA-77"}})
	if msg := flashAfter(t, c, res); !strings.Contains(msg, "is paid") {
		t.Errorf("paid: %q", msg)
	}
	if res := c.Post(batchPath+"/paid", url.Values{"paid_on": {time.Now().UTC().Format("2006-01-02")}, "method": {models.PayCheque}, "reference": {"1"}}); res.Status != http.StatusConflict {
		t.Errorf("paid twice: %d", res.Status)
	}
	var statuses []string
	s.db.Model(&models.ExpenseReport{}).Where("id IN ?", []int64{ritaEUR.ID, robEUR.ID, ritaUSD.ID}).Order("id").Pluck("status", &statuses)
	if !slices.Equal(statuses, []string{models.ExpensePaid, models.ExpensePaid, models.ExpenseApproved}) {
		t.Errorf("statuses %v", statuses)
	}
	// The owner reads on their report how it was paid.
	if got := rita.Get("/expenses/" + ids(ritaEUR.ID)).Text("#exp-settlement-title + dl"); !strings.Contains(got, "RB-000001, paid on") || !strings.Contains(got, "SEPA-77") {
		t.Errorf("settlement on the report: %q", got)
	}
	if got := c.Get("/expenses/reimbursements?q=EXP-000102").Text("#reimbursement-results"); !strings.Contains(got, "RB-000001") {
		t.Errorf("search by report number: %q", got)
	}
	// The list's export, with its search: the batch, a row per currency it pays in (the USD
	// report was taken out); a search that matches nothing exports no row; requesters are refused.
	if c.Get("/expenses/reimbursements?q=EXP").Doc.Find(`[data-export="/expenses/reimbursements/export?q=EXP"]`).Length() != 1 {
		t.Error("the batch list offers no export of its search")
	}
	head, rows := csvExport(t, c, "/expenses/reimbursements/export?q=EXP-000102")
	if len(rows) != 1 || column(head, rows, "Number")[0] != "RB-000001" || column(head, rows, "Currency")[0] != "EUR" ||
		column(head, rows, "Net to pay")[0] != "143.45" || column(head, rows, "Status")[0] != "Paid" {
		t.Errorf("batch export: %q %q", head, rows)
	}
	if _, rows := csvExport(t, c, "/expenses/reimbursements/export?q=no-such-batch"); len(rows) != 0 {
		t.Errorf("batch export of a search matching nothing: %q", rows)
	}
	if res := rob.Get("/expenses/reimbursements/export"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("requester's batch export: %d", res.Status)
	}
}

// Reports ticked on the new batch form may change before it is sent: one is sent back to its
// owner, another put in a batch from another tab. The form comes back, for a plain post and
// for htmx alike, with every tick kept (those no longer offered among them, first), why each
// refused report cannot go in beside it, what was refused above the form, and nothing
// scheduled. Unticked, the rest is scheduled.
func TestRefusedBatchKeepsEveryTick(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	clerk := s.person(t, "carl@acme.example", "Carl Clerk", "ap_clerk")
	kept := s.approvedReport(t, s.rita, "EXP-000301", "USD", 1000)
	sentBack := s.approvedReport(t, s.rita, "EXP-000302", "USD", 2000)
	batched := s.approvedReport(t, s.rob, "EXP-000303", "USD", 3000)
	waiting := s.approvedReport(t, s.rob, "EXP-000304", "USD", 4000)
	c := s.client(t, clerk)
	if n := c.Get("/expenses/reimbursements/new").Doc.Find(`input[name=report]`).Length(); n != 4 {
		t.Fatalf("offered %d reports, want 4", n)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"})
	if _, err := models.SendBackExpense(ctx, s.db, clerk.ID, sentBack.ID, "The hotel receipt is missing."); err != nil {
		t.Fatal(err)
	}
	other, err := models.CreateReimbursementBatch(ctx, s.db, clerk.ID, []int64{batched.ID})
	if err != nil {
		t.Fatal(err)
	}
	ticked := url.Values{"report": {ids(kept.ID), ids(sentBack.ID), ids(batched.ID)}}
	for _, htmx := range []bool{false, true} {
		var res *testutil.Response
		if htmx {
			res = htmxPost(c, "/expenses/reimbursements", "new-batch", ticked)
		} else {
			res = c.Post("/expenses/reimbursements", ticked)
		}
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("htmx %v: %d %s", htmx, res.Status, res.Text("h1"))
		}
		if htmx && (res.Doc.Find("#new-batch").Length() != 1 || res.Doc.Find("h1").Length() != 0) {
			t.Errorf("htmx gets the form alone, got %q", res.Text("h1"))
		}
		var rows, checked []string
		res.Doc.Find(`#new-batch input[name=report]`).Each(func(_ int, in *goquerySelection) {
			rows = append(rows, in.AttrOr("value", ""))
			if _, on := in.Attr("checked"); on {
				checked = append(checked, in.AttrOr("value", ""))
			}
		})
		if want := []string{ids(sentBack.ID), ids(batched.ID), ids(kept.ID), ids(waiting.ID)}; !slices.Equal(rows, want) {
			t.Errorf("htmx %v: rows %v, want %v (those no longer offered first)", htmx, rows, want)
		}
		if want := []string{ids(sentBack.ID), ids(batched.ID), ids(kept.ID)}; !slices.Equal(checked, want) {
			t.Errorf("htmx %v: ticked %v, want %v", htmx, checked, want)
		}
		for id, want := range map[int64]string{sentBack.ID: "sent back to its owner", batched.ID: other.Number} {
			box := res.Doc.Find("#report-" + ids(id))
			if got := res.Text("#report-" + ids(id) + "-error"); !strings.Contains(got, want) ||
				box.AttrOr("aria-invalid", "") != "true" || box.AttrOr("aria-describedby", "") != "report-"+ids(id)+"-error" {
				t.Errorf("htmx %v: beside report %d %q (aria-invalid %q), want %q", htmx, id, got, box.AttrOr("aria-invalid", ""), want)
			}
		}
		if res.Doc.Find("#report-"+ids(kept.ID)+"-error").Length() != 0 || res.Doc.Find("#report-"+ids(kept.ID)).AttrOr("aria-invalid", "") != "" {
			t.Errorf("htmx %v: the report that can go in is marked refused", htmx)
		}
		if got := res.Text("#new-batch [data-form-error]"); !strings.Contains(got, "Nothing was scheduled: EXP-000302 and EXP-000303 cannot go in a batch now") ||
			!strings.Contains(got, "Untick them to schedule the other report.") {
			t.Errorf("htmx %v: summary %q", htmx, got)
		}
	}
	var batches int64
	s.db.Model(&models.ReimbursementBatch{}).Count(&batches)
	if st := (models.ExpenseReport{}); batches != 1 || s.db.First(&st, kept.ID).Error != nil || st.Status != models.ExpenseApproved {
		t.Errorf("a refused batch saved something: %d batches, the kept report %s", batches, st.Status)
	}
	// Unticked, the rest is scheduled.
	res := c.Post("/expenses/reimbursements", url.Values{"report": {ids(kept.ID), ids(waiting.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("the rest: %d %s", res.Status, res.Text("[data-form-error], .field-error"))
	}
}

func (s *expenseSite) person(t *testing.T, email, name, role string) *models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), s.db, models.NewUser{Email: email, Name: name, Password: testutil.Password, Roles: []string{role}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The owner withdraws a report waiting for approval from its page.
func TestWithdrawExpenseFromItsPage(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	rita := s.client(t, s.rita)
	res := rita.Post("/expenses", s.expenseForm("submit", [4]string{day(1), ids(s.meals.ID), "Cafe", "12.00"}))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	path := res.Location()
	page := rita.Get(path)
	if page.Doc.Find(`form[action$="/withdraw"]`).Length() != 1 {
		t.Fatal("no Withdraw button on a report waiting for approval")
	}
	if res := s.client(t, s.rob).Post(path+"/withdraw", nil); res.Status != http.StatusNotFound {
		t.Errorf("someone else withdraws it: %d", res.Status)
	}
	if msg := flashAfter(t, rita, rita.Post(path+"/withdraw", nil)); !strings.Contains(msg, "is withdrawn") {
		t.Errorf("withdraw: %q", msg)
	}
	if got := rita.Get(path).Text("button[value=submit]"); got != "Resubmit for approval" {
		t.Errorf("after withdrawing, the form offers %q", got)
	}
}
