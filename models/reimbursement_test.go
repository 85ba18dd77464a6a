package models_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"outlay"
	"outlay/auth"
	"outlay/models"
)

// approved submits a report of Rita's for amount (one line of a category without a limit,
// below the receipt threshold) and has her manager approve it.
func (w *expenseWorld) approved(amount string) *models.ExpenseReport {
	w.t.Helper()
	return w.approvedFor(nil, amount)
}

// approvedFor is approved for a report started from trip (nil for none).
func (w *expenseWorld) approvedFor(trip *int64, amount string) *models.ExpenseReport {
	w.t.Helper()
	w.must(w.db.Exec(`UPDATE org_settings SET receipt_threshold_minor = 100000000`).Error)
	r, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(1), w.mileage, "Supplies "+amount, amount)), false)
	w.must(err)
	if trip != nil {
		w.must(w.db.Model(r).Update("travel_request_id", *trip).Error)
	}
	if r, err = models.SubmitExpense(as(w.rita), w.db, w.rita.ID, r.ID); err != nil {
		w.t.Fatal(err)
	}
	var step models.ApprovalStep
	w.must(w.db.Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).Take(&step).Error)
	if _, err := w.decide(w.max, step.ID, true, ""); err != nil {
		w.t.Fatal(err)
	}
	w.must(w.db.Take(r, r.ID).Error)
	if r.Status != models.ExpenseApproved {
		w.t.Fatalf("report %d is %s", r.ID, r.Status)
	}
	return r
}

// trip stores an approved trip of Rita's with a cash advance, decided daysAgo.
func (w *expenseWorld) trip(currency string, advance int64, daysAgo int) models.TravelRequest {
	w.t.Helper()
	decided := time.Now().AddDate(0, 0, -daysAgo)
	n := "TRV-" + strconv.FormatInt(advance, 10) + currency
	t := models.TravelRequest{TravellerID: w.rita.ID, FiledByID: w.rita.ID, Currency: currency, Status: models.TravelApproved,
		Number: &n, OtherMinor: advance, EstimateTotalMinor: advance, AdvanceMinor: advance, SubmittedAt: &decided, DecidedAt: &decided}
	w.must(w.db.Create(&t).Error)
	return t
}

// An approved advance is netted against the reports that follow it: each report takes what
// is still outstanding up to its own total (paying its owner nothing rather than less than
// nothing), the remainder waits for the next report, the oldest trip goes first, and an
// advance in another currency is left for a report in that currency. The batch pays what is
// left to reimburse.
func TestCashAdvanceNetting(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	ctx := context.Background()
	older := w.trip("USD", 30000, 20) // $300.00
	w.trip("EUR", 10000, 15)          // €100.00, never netted against dollars
	check := func(r *models.ExpenseReport, advance, reimburse int64) {
		t.Helper()
		if r.AdvanceMinor != advance || r.Reimbursable().Minor != reimburse {
			t.Errorf("report of %s: advance %d, to reimburse %d; want %d, %d", r.Total(), r.AdvanceMinor, r.Reimbursable().Minor, advance, reimburse)
		}
	}
	first := w.approved("120.00")
	check(first, 12000, 0) // $180.00 stays outstanding
	newer := w.trip("USD", 5000, 5)
	second := w.approved("200.00")
	check(second, 20000, 0) // the older trip's $180.00 first, then $20.00 of the newer one's
	nets, err := models.ExpenseAdvances(ctx, w.db, second.ID)
	w.must(err)
	if len(nets) != 2 || nets[0].TravelRequestID != older.ID || nets[0].AmountMinor != 18000 ||
		nets[1].TravelRequestID != newer.ID || nets[1].AmountMinor != 2000 {
		t.Errorf("the second report nets %+v", nets)
	}
	third := w.approved("100.00")
	check(third, 3000, 7000)
	out, err := models.OutstandingAdvances(ctx, w.db, w.rita.ID)
	w.must(err)
	if len(out) != 1 || out[0].String() != "€100.00" {
		t.Errorf("outstanding after the dollar advances are netted: %v", out)
	}
	fourth := w.approved("12.00")
	check(fourth, 0, 1200)

	// A report linked to its trip nets that trip's advance before older ones.
	w.trip("USD", 2000, 30) // the oldest, $20.00
	linked := w.trip("USD", 1500, 1)
	own := w.approvedFor(&linked.ID, "10.00")
	nets, err = models.ExpenseAdvances(ctx, w.db, own.ID)
	w.must(err)
	if len(nets) != 1 || nets[0].TravelRequestID != linked.ID || nets[0].AmountMinor != 1000 {
		t.Errorf("a report of its own trip nets %+v, want $10.00 of that trip", nets)
	}

	b, err := models.CreateReimbursementBatch(as(w.admin), w.db, w.admin.ID, []int64{first.ID, third.ID, fourth.ID})
	w.must(err)
	d, err := models.GetReimbursementBatch(ctx, w.db, b.ID)
	w.must(err)
	if len(d.Totals) != 1 || d.Totals[0].String() != "$82.00" || len(d.Reports) != 3 {
		t.Errorf("batch totals %v of %d reports, want $82.00 of 3", d.Totals, len(d.Reports))
	}
}

// A batch takes only approved reports that no batch holds; a report can be taken out until
// the batch is paid; a batch is paid once, with a day no later than today, a method and a
// reference, each refused beside its field; paying it pays its reports (spent in budgets)
// and tells their owners.
func TestReimbursementBatchRules(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	ctx := models.WithNotifier(as(w.admin), &models.Notifier{OrgName: "Acme", BaseURL: "http://acme.localhost"})
	year := time.Now().Year()
	budget := models.Budget{DepartmentID: w.eng.ID, GLAccountID: w.travel.ID, AmountMinor: 100000, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}
	w.must(w.db.Create(&budget).Error)
	a := w.approved("20.00")
	waiting, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(1), w.mileage, "Cab", "10.00")), true)
	w.must(err)

	for _, ids := range [][]int64{{waiting.ID}, {a.ID, waiting.ID}} {
		_, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, ids)
		if !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), *waiting.Number) {
			t.Errorf("batching %v with an unapproved report: %v", ids, err)
		}
	}
	if st := w.reportStatus(a.ID); st != models.ExpenseApproved {
		t.Errorf("a refused batch scheduled the approved report: %s", st)
	}
	if _, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, nil); fieldErrors(t, err)["reports"] == "" {
		t.Errorf("an empty batch: %v", err)
	}
	b, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, []int64{a.ID})
	w.must(err)
	if b.Number != "RB-000001" || b.Status != models.BatchScheduled || w.reportStatus(a.ID) != models.ExpenseScheduled {
		t.Errorf("batch %+v, report %s", b, w.reportStatus(a.ID))
	}
	if _, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, []int64{a.ID}); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("a report in two batches: %v", err)
	}
	// Taken out, it is approved again and can go into another batch.
	if _, err := models.RemoveFromBatch(ctx, w.db, b.ID, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if st := w.reportStatus(a.ID); st != models.ExpenseApproved {
		t.Errorf("taken out: %s", st)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	good := models.BatchPaymentInput{PaidOn: today.Format(models.DateLayout), Method: models.PayBankTransfer, Reference: "SEPA 2026-12"}
	if _, err := models.MarkBatchPaid(ctx, w.db, w.admin.ID, b.ID, good, today); fieldErrors(t, err)["batch"] == "" {
		t.Errorf("paying an empty batch: %v", err)
	}
	b2, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, []int64{a.ID})
	w.must(err)

	errs := fieldErrors(t, func() error {
		_, err := models.MarkBatchPaid(ctx, w.db, w.admin.ID, b2.ID, models.BatchPaymentInput{Method: "cash"}, today)
		return err
	}())
	for _, f := range []string{"paid_on", "method", "reference"} {
		if errs[f] == "" {
			t.Errorf("no message beside %s: %v", f, errs)
		}
	}
	future := good
	future.PaidOn = today.AddDate(0, 0, 1).Format(models.DateLayout)
	if _, err := models.MarkBatchPaid(ctx, w.db, w.admin.ID, b2.ID, future, today); fieldErrors(t, err)["paid_on"] == "" {
		t.Errorf("paid tomorrow: %v", err)
	}
	if st := w.reportStatus(a.ID); st != models.ExpenseScheduled {
		t.Errorf("refused payments changed the report: %s", st)
	}
	paid, err := models.MarkBatchPaid(ctx, w.db, w.admin.ID, b2.ID, good, today)
	w.must(err)
	if paid.Status != models.BatchPaid || w.reportStatus(a.ID) != models.ExpensePaid {
		t.Errorf("paid batch %+v, report %s", paid, w.reportStatus(a.ID))
	}
	if _, err := models.MarkBatchPaid(ctx, w.db, w.admin.ID, b2.ID, good, today); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("paid twice: %v", err)
	}
	if _, err := models.RemoveFromBatch(ctx, w.db, b2.ID, a.ID, false); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("taken out of a paid batch: %v", err)
	}
	totals, err := models.BudgetTotals(context.Background(), w.db, []int64{budget.ID})
	w.must(err)
	if totals[budget.ID].Spent != 2000 || totals[budget.ID].Committed != 0 {
		t.Errorf("budget once paid %+v", totals[budget.ID])
	}
	var n models.Notification
	w.must(w.db.Where("recipient_id = ? AND kind = ?", w.rita.ID, models.MailReimbursed).Take(&n).Error)
	if !strings.Contains(n.Title, *a.Number) || !strings.Contains(n.Title, "$20.00") || !strings.Contains(n.Summary, "SEPA 2026-12") {
		t.Errorf("notification %q / %q", n.Title, n.Summary)
	}
	var audited int64
	w.must(w.db.Raw(`SELECT count(*) FROM audit_log WHERE table_name = 'reimbursement_batches' AND record_id = ?`,
		strconv.FormatInt(b2.ID, 10)).Scan(&audited).Error)
	if audited != 2 {
		t.Errorf("%d audit records of the batch, want its creation and its payment", audited)
	}
}

// A submitted report can be withdrawn by its owner: out of its approver's queue, editable
// again and submitted again under its number; only a waiting report can be withdrawn.
func TestWithdrawExpense(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	r, err := w.save(w.rita.ID, 0, w.input(w.expense(w.day(1), w.taxi, "Cab", "10.00")), true)
	w.must(err)
	if _, err := models.WithdrawExpense(as(w.max), w.db, w.max.ID, r.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("someone else withdraws it: %v", err)
	}
	got, err := models.WithdrawExpense(as(w.rita), w.db, w.rita.ID, r.ID)
	w.must(err)
	if got.Status != models.ExpenseWithdrawn || !got.Editable() {
		t.Errorf("withdrawn: %+v", got)
	}
	var pending int64
	w.must(w.db.Model(&models.ApprovalStep{}).Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocExpense, r.ID, models.StepPending).Count(&pending).Error)
	if pending != 0 {
		t.Errorf("%d steps still wait", pending)
	}
	if _, err := models.WithdrawExpense(as(w.rita), w.db, w.rita.ID, r.ID); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("withdrawn twice: %v", err)
	}
	again, err := w.save(w.rita.ID, r.ID, w.input(w.expense(w.day(1), w.taxi, "Cab", "12.00")), true)
	w.must(err)
	if again.Status != models.ExpenseSubmitted || *again.Number != *r.Number {
		t.Errorf("submitted again: %s %s", again.Status, *again.Number)
	}
}

// A person's IBAN is checked, sealed for them (the database never holds it in the clear, and
// a sealed value copied to someone else opens for nobody), and recorded redacted in the
// audit log.
func TestBankAccountSealedAndRedacted(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	box, err := auth.NewSecretBox(bytes.Repeat([]byte{7}, 32), models.BankAccountPurpose)
	w.must(err)
	ctx := as(w.rita)
	_, err = models.SetBankAccount(ctx, w.db, box, w.rita.ID, models.BankDetailsInput{Holder: " ", IBAN: "DE88 3704 0044 0532 0130 00", BIC: "nope"})
	errs := fieldErrors(t, err)
	if !strings.Contains(errs["iban"], "check digits") || errs["holder"] == "" || errs["bic"] == "" {
		t.Errorf("refusals %v", errs)
	}
	if _, err := models.SetBankAccount(ctx, w.db, box, w.rita.ID, models.BankDetailsInput{Holder: "Rita", IBAN: "DE89 3704"}); !strings.Contains(fieldErrors(t, err)["iban"], "22 characters") {
		t.Errorf("short IBAN: %v", err)
	}
	if _, err := models.SetBankAccount(ctx, w.db, nil, w.rita.ID, models.BankDetailsInput{Holder: "Rita", IBAN: "DE89370400440532013000"}); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("without a secret key: %v", err)
	}
	d, err := models.SetBankAccount(ctx, w.db, box, w.rita.ID, models.BankDetailsInput{Holder: "Rita Requester", IBAN: "de89 3704 0044 0532 0130 00", BIC: "cobadeffxxx"})
	w.must(err)
	if d.IBAN != "DE89370400440532013000" || d.BIC != "COBADEFFXXX" || d.IBAN.Masked() != "DE89 •••• •••• •••• 3000" {
		t.Errorf("stored %+v", d)
	}
	var raw models.BankAccount
	w.must(w.db.Take(&raw, "user_id = ?", w.rita.ID).Error)
	if bytes.Contains(raw.IBANSealed, []byte("DE89370400440532013000")) || bytes.Contains(raw.IBANSealed, []byte("0532013000")) {
		t.Error("the IBAN is stored in the clear")
	}
	got, err := models.GetBankAccount(ctx, w.db, box, w.rita.ID)
	w.must(err)
	if got == nil || got.IBAN != d.IBAN || got.Holder != "Rita Requester" {
		t.Errorf("read back %+v", got)
	}
	var logged []string
	w.must(w.db.Raw(`SELECT coalesce(old::text, '') || ' ' || coalesce(new::text, '') FROM audit_log WHERE table_name = 'user_bank_accounts'`).Scan(&logged).Error)
	if len(logged) != 1 || !strings.Contains(logged[0], `"iban_sealed": "[redacted]"`) || strings.Contains(logged[0], "0532013000") {
		t.Errorf("audit records %v", logged)
	}
	// Max's row with Rita's sealed IBAN opens for nobody.
	w.must(w.db.Create(&models.BankAccount{UserID: w.max.ID, AccountHolder: "Max", IBANSealed: raw.IBANSealed}).Error)
	if _, err := models.GetBankAccount(ctx, w.db, box, w.max.ID); !errors.Is(err, auth.ErrUnsealable) {
		t.Errorf("a copied IBAN opened: %v", err)
	}
	w.must(models.RemoveBankAccount(ctx, w.db, box, w.rita.ID))
	if got, err := models.GetBankAccount(ctx, w.db, box, w.rita.ID); got != nil || err != nil {
		t.Errorf("after removal %+v %v", got, err)
	}
}

// Nobody pays themself back: a report of one's own is refused when scheduled, and a batch
// holding one cannot be marked paid by its owner; someone else does either.
func TestNobodyReimbursesThemself(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	ctx := context.Background()
	r := w.approved("42.00")
	// Rita is not offered her own report to schedule; someone else is.
	if own, n, err := models.ReimbursableReports(ctx, w.db, 10, w.rita.ID); err != nil || n != 0 || len(own) != 0 {
		t.Errorf("offered to its owner: %d %v (%v)", n, own, err)
	}
	if theirs, n, err := models.ReimbursableReports(ctx, w.db, 10, w.admin.ID); err != nil || n != 1 || len(theirs) != 1 || theirs[0].ID != r.ID {
		t.Errorf("offered to someone else: %d %v (%v)", n, theirs, err)
	}
	if _, err := models.CreateReimbursementBatch(ctx, w.db, w.rita.ID, []int64{r.ID}); !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "is your own") {
		t.Fatalf("scheduling one's own report: %v", err)
	}
	var n int64
	w.must(w.db.Model(&models.ReimbursementBatch{}).Count(&n).Error)
	if n != 0 {
		t.Fatal("a refused batch was made")
	}
	b, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, []int64{r.ID})
	w.must(err)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	in := models.BatchPaymentInput{PaidOn: today.Format(models.DateLayout), Method: models.PayBankTransfer, Reference: "SEPA-1"}
	if _, err := models.MarkBatchPaid(ctx, w.db, w.rita.ID, b.ID, in, today); !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "Someone else marks it paid") {
		t.Fatalf("marking one's own reimbursement paid: %v", err)
	}
	if _, err := models.MarkBatchPaid(ctx, w.db, w.admin.ID, b.ID, in, today); err != nil {
		t.Fatalf("someone else marks it paid: %v", err)
	}
}

// A batch's SEPA file, once made, pays its euro reports: taking one out needs the clerk's word
// that the file was never sent (or was cancelled whole), and the file is then forgotten, so
// that the next one has an id of its own; taking out a report the file does not pay needs no
// word and leaves the file as it is. Every download carries the first one's id and moment.
func TestABatchFileIsForgottenOnlyForAReportItPays(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	ctx := context.Background()
	report := func(n, currency string) models.ExpenseReport {
		r := models.ExpenseReport{Number: &n, OwnerID: w.rita.ID, Title: n, Currency: currency, TotalMinor: 1000, Status: models.ExpenseApproved}
		w.must(w.db.Create(&r).Error)
		return r
	}
	eur, usd := report("EXP-E", "EUR"), report("EXP-U", "USD")
	b, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, []int64{eur.ID, usd.ID})
	w.must(err)
	var ids []string
	var at []time.Time
	file := func() {
		t.Helper()
		w.must(models.MakeBatchFile(ctx, w.db, b.ID, b.Number, w.admin.ID, func(msgID string, made time.Time) error {
			ids, at = append(ids, msgID), append(at, made)
			return nil
		}))
	}
	file()
	file()
	if ids[0] != ids[1] || !at[0].Equal(at[1]) {
		t.Fatalf("two downloads: %v %v", ids, at)
	}
	if _, err := models.RemoveFromBatch(ctx, w.db, b.ID, usd.ID, false); err != nil {
		t.Fatalf("the dollar report, not in the file: %v", err)
	}
	file()
	if ids[2] != ids[0] {
		t.Errorf("the file changed when a report it does not pay left: %v", ids)
	}
	if _, err := models.RemoveFromBatch(ctx, w.db, b.ID, eur.ID, false); !errors.Is(err, outlay.ErrConflict) {
		t.Fatalf("the euro report without the clerk's word: %v", err)
	}
	if _, err := models.RemoveFromBatch(ctx, w.db, b.ID, eur.ID, true); err != nil {
		t.Fatalf("the euro report with it: %v", err)
	}
	var made models.ReimbursementBatch
	w.must(w.db.Take(&made, b.ID).Error)
	if made.Made() {
		t.Error("the file the bank will not pay is still the batch's")
	}
}

// A trip's cash advance is settled against the trip's report in the advance's currency: a
// report of the trip filed in another currency is refused, since it would be paid in full
// and leave the advance owing.
func TestATripsReportIsFiledInItsAdvancesCurrency(t *testing.T) {
	t.Parallel()
	w := newExpenseWorld(t)
	w.must(w.db.Exec(`UPDATE org_settings SET receipt_threshold_minor = 100000000`).Error)
	trip := w.trip("USD", 30000, 5)
	in := w.input(w.expense(w.day(1), w.mileage, "Taxi", "50.00"))
	in.Currency = "EUR"
	r, err := w.save(w.rita.ID, 0, in, false)
	w.must(err)
	w.must(w.db.Model(r).Update("travel_request_id", trip.ID).Error)
	_, err = models.SubmitExpense(as(w.rita), w.db, w.rita.ID, r.ID)
	if msg := fieldErrors(t, err)["currency"]; !strings.Contains(msg, "advanced $300.00") || !strings.Contains(msg, "file it in USD") {
		t.Fatalf("a EUR report of a trip advanced in USD: %q", msg)
	}
	// In dollars it goes, and nets the advance.
	w.must(w.db.Model(r).Update("currency", "USD").Error)
	w.must(w.db.Model(&models.ExpenseLine{}).Where("report_id = ?", r.ID).Updates(map[string]any{"currency": "USD"}).Error)
	if _, err := models.SubmitExpense(as(w.rita), w.db, w.rita.ID, r.ID); err != nil {
		t.Fatalf("the report in the advance's currency: %v", err)
	}
}
