package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"outlay"
	"outlay/accounting"
	"outlay/models"
	"outlay/money"
)

// Export batches never repeat a document: a batch takes every approved bill, approved expense
// report, paid payment run and paid reimbursement batch not yet exported, the next takes only what came since (and refuses to be empty), the
// database refuses a document in two batches, and only an explicit re-export carries a
// batch's documents again, as a batch of its own. Each batch's files come out in the four
// formats, its journal balanced per document.
func TestExportBatchesNeverRepeatADocument(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	ctx := context.Background()
	withLine := func(b *models.Bill) *models.Bill {
		w.must(w.db.Create(&models.BillLine{BillID: b.ID, Position: 1, Description: "Paper", QuantityMilli: 1000,
			UnitPriceMinor: b.TotalMinor, AmountMinor: b.TotalMinor, GLAccountID: &w.software.ID, DepartmentID: &w.eng.ID,
			MatchStatus: "none"}).Error)
		return b
	}
	a := withLine(w.bill(w.acme, "USD", 300_00, 0))
	withLine(w.bill(w.vendor, "USD", 120_00, 0))
	draft := withLine(w.bill(w.acme, "USD", 50_00, 0))
	w.must(w.db.Model(draft).Update("status", models.BillDraft).Error)
	run, err := w.run(models.MethodACH, 5, map[*models.Bill]string{a: "100"})
	w.must(err)
	w.approveAndPay(run)
	// A reimbursement batch paying Cleo $40.00 less a $10.00 advance and Max €25.00: listed
	// once per currency, recorded once.
	cat := models.ExpenseCategory{Name: "Supplies", GLAccountID: w.software.ID, Currency: "USD"}
	w.must(w.db.Create(&cat).Error)
	report := func(owner *models.User, currency string, total, advance int64) int64 {
		n := fmt.Sprintf("EXP-T%d", owner.ID)
		r := models.ExpenseReport{Number: &n, OwnerID: owner.ID, Title: "Supplies", Currency: currency, TotalMinor: total,
			AdvanceMinor: advance, Status: models.ExpenseApproved}
		w.must(w.db.Create(&r).Error)
		w.must(w.db.Create(&models.ExpenseLine{ReportID: r.ID, Position: 1, Kind: "expense", SpentOn: time.Now(), CategoryID: cat.ID,
			GLAccountID: &w.software.ID, AmountMinor: total, Currency: currency, Rate: money.RateOf(1, 0), ReportMinor: total}).Error)
		return r.ID
	}
	rb, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, []int64{report(w.clerk, "USD", 40_00, 10_00), report(w.max, "EUR", 25_00, 0)})
	w.must(err)
	_, err = models.MarkBatchPaid(ctx, w.db, w.admin.ID, rb.ID, models.BatchPaymentInput{PaidOn: time.Now().Format(time.DateOnly),
		Method: models.PayBankTransfer, Reference: "SEPA-7"}, time.Now())
	w.must(err)

	fresh, err := models.NewSinceLastBatch(ctx, w.db)
	w.must(err)
	paidBack := map[string]int64{}
	for _, d := range fresh {
		if d.DocType == models.DocReimbursement {
			paidBack[d.Currency] = d.TotalMinor
		}
	}
	// A, B, the paid run, the two reports and the reimbursement batch twice (dollars and
	// euros); not the draft.
	if len(fresh) != 7 || models.CountExportDocs(fresh) != 6 || paidBack["USD"] != 30_00 || paidBack["EUR"] != 25_00 {
		t.Fatalf("new since the last batch: %+v", fresh)
	}
	first, err := models.CreateExportBatch(ctx, w.db, w.clerk.ID)
	w.must(err)
	if first.DocumentCount != 6 {
		t.Fatalf("first batch carries %d documents", first.DocumentCount)
	}
	if _, err := models.CreateExportBatch(ctx, w.db, w.clerk.ID); !errors.Is(err, outlay.ErrConflict) {
		t.Fatalf("an empty batch: %v", err)
	}
	c := withLine(w.bill(w.acme, "USD", 75_00, 0))
	second, err := models.CreateExportBatch(ctx, w.db, w.clerk.ID)
	w.must(err)
	docs, err := models.BatchDocuments(ctx, w.db, second.ID)
	w.must(err)
	if len(docs) != 1 || docs[0].Number != c.Number {
		t.Fatalf("second batch: %+v", docs)
	}
	// The database itself refuses a document in a second batch.
	err = w.db.Create(&models.ExportBatchDocument{BatchID: second.ID, DocType: models.DocBill, DocID: a.ID}).Error
	if err == nil {
		t.Fatal("a bill went into a second batch")
	}
	err = w.db.Create(&models.ExportBatchDocument{BatchID: second.ID, DocType: models.DocReimbursement, DocID: rb.ID}).Error
	if err == nil {
		t.Fatal("a reimbursement batch went into a second batch")
	}
	again, err := models.ReexportBatch(ctx, w.db, w.clerk.ID, first.ID)
	w.must(err)
	if again.ReexportOfID == nil || *again.ReexportOfID != first.ID || again.DocumentCount != 6 {
		t.Fatalf("re-export %+v", again)
	}
	if fresh, _ := models.NewSinceLastBatch(ctx, w.db); len(fresh) != 0 {
		t.Errorf("new after re-exporting: %+v", fresh)
	}
	var times []int64
	w.must(w.db.Raw(`SELECT count(*) FROM export_batch_documents WHERE NOT reexport GROUP BY doc_type, doc_id`).Scan(&times).Error)
	for _, n := range times {
		if n != 1 {
			t.Errorf("a document first-exported %d times", n)
		}
	}

	docs, err = models.BatchDocuments(ctx, w.db, first.ID)
	w.must(err)
	for _, f := range accounting.Formats {
		var buf bytes.Buffer
		if err := accounting.Write(&buf, f, docs, accounting.DefaultAccounts); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// The bill imports leave payments out, to vendors and to employees alike.
		if carries := strings.Contains(buf.String(), rb.Number); carries != f.CarriesPayments() {
			t.Errorf("%s carries %s: %v", f, rb.Number, carries)
		}
	}
	// The reimbursement batch posts an entry per report paid: what was owed to the employee
	// against the bank, for what was paid, and the advance netted against the employee
	// advances: what the report owed is cleared whole ($40.00 of Cleo's report, of which the
	// $10.00 advance paid part).
	var reimbursed []string
	sums := map[string]int64{}
	for _, l := range accounting.JournalLines(docs, accounting.DefaultAccounts) {
		sums[l.Document+" "+l.Currency] += l.Debit - l.Credit
		if l.Document == rb.Number {
			reimbursed = append(reimbursed, fmt.Sprintf("%s %d %d %s", l.Account, l.Debit, l.Credit, l.Currency))
		}
	}
	wantReimbursed := []string{
		"Employee Reimbursements Payable 3000 0 USD", "Employee Reimbursements Payable 1000 0 USD", "Employee Advances 0 1000 USD", "Bank 0 3000 USD",
		"Employee Reimbursements Payable 2500 0 EUR", "Bank 0 2500 EUR",
	}
	if !slices.Equal(reimbursed, wantReimbursed) {
		t.Errorf("reimbursement batch in the journal:\n%q\nwant\n%q", reimbursed, wantReimbursed)
	}
	// What employees were owed is cleared whole by what paid them back, advances included.
	owed := map[string]int64{}
	for _, l := range accounting.JournalLines(docs, accounting.DefaultAccounts) {
		if l.Account == accounting.DefaultAccounts.EmployeePayable {
			owed[l.Currency] += l.Debit - l.Credit
		}
	}
	if owed["USD"] != 0 || owed["EUR"] != 0 {
		t.Errorf("owed to employees after they were paid back: %v", owed)
	}
	if len(sums) != 7 { // two bills, two reports, the run, the reimbursement batch in two currencies
		t.Errorf("journal documents %v", sums)
	}
	for doc, s := range sums {
		if s != 0 {
			t.Errorf("%s out of balance by %d", doc, s)
		}
	}

	// A batch paid with the payroll leaves with the pay run, not from the bank: the journal
	// credits the payroll clearing account, which the payroll's own entry clears.
	payroll, err := models.CreateReimbursementBatch(ctx, w.db, w.admin.ID, []int64{report(w.rita, "USD", 15_00, 0)})
	w.must(err)
	_, err = models.MarkBatchPaid(ctx, w.db, w.admin.ID, payroll.ID, models.BatchPaymentInput{PaidOn: time.Now().Format(time.DateOnly),
		Method: models.PayPayroll, Reference: "Payroll November"}, time.Now())
	w.must(err)
	third, err := models.CreateExportBatch(ctx, w.db, w.clerk.ID)
	w.must(err)
	docs, err = models.BatchDocuments(ctx, w.db, third.ID)
	w.must(err)
	var viaPayroll []string
	for _, l := range accounting.JournalLines(docs, accounting.DefaultAccounts) {
		if l.Document == payroll.Number {
			viaPayroll = append(viaPayroll, fmt.Sprintf("%s %d %d %s", l.Account, l.Debit, l.Credit, l.Currency))
		}
	}
	if want := []string{"Employee Reimbursements Payable 1500 0 USD", "Payroll Clearing 0 1500 USD"}; !slices.Equal(viaPayroll, want) {
		t.Errorf("a batch paid with the payroll in the journal:\n%q\nwant\n%q", viaPayroll, want)
	}
}

// An expense line's amount includes its tax: the journal books the tax, converted into the
// report's currency at the line's rate as the amount was, to the tax account, and the rest to
// the line's expense account.
func TestExportedExpenseBooksItsTaxApart(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	ctx := context.Background()
	cat := models.ExpenseCategory{Name: "Hotels", GLAccountID: w.travel.ID, Currency: "USD"}
	w.must(w.db.Create(&cat).Error)
	n := "EXP-TAX"
	r := models.ExpenseReport{Number: &n, OwnerID: w.rita.ID, Title: "Lyon", Currency: "USD", TotalMinor: 132_00, Status: models.ExpenseApproved}
	w.must(w.db.Create(&r).Error)
	// €120.00, of which €20.00 tax, at 1.1: $132.00, of which $22.00 tax.
	w.must(w.db.Create(&models.ExpenseLine{ReportID: r.ID, Position: 1, Kind: "expense", SpentOn: time.Now(), CategoryID: cat.ID,
		GLAccountID: &w.travel.ID, AmountMinor: 120_00, TaxMinor: 20_00, Currency: "EUR", Rate: money.RateOf(11, 1), ReportMinor: 132_00}).Error)
	b, err := models.CreateExportBatch(ctx, w.db, w.clerk.ID)
	w.must(err)
	docs, err := models.BatchDocuments(ctx, w.db, b.ID)
	w.must(err)
	var got []string
	for _, l := range accounting.JournalLines(docs, accounting.DefaultAccounts) {
		if l.Document == n {
			got = append(got, fmt.Sprintf("%s %d %d", l.Account, l.Debit, l.Credit))
		}
	}
	want := []string{w.travel.Code + " " + w.travel.Name + " 11000 0", "Tax Receivable 2200 0", "Employee Reimbursements Payable 0 13200"}
	if !slices.Equal(got, want) {
		t.Errorf("the report in the journal: %q, want %q", got, want)
	}
}
