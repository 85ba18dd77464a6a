package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"outlay"
	"outlay/auth"
	"outlay/bankfile"
	"outlay/bankfile/bankfiletest"
	"outlay/models"
)

// payWorld is the approval world with an AP clerk (managed by Max) and approved bills.
type payWorld struct {
	*approvalWorld
	clerk  *models.User
	acme   models.Vendor
	billNo int
}

func newPayWorld(t *testing.T) *payWorld {
	w := &payWorld{approvalWorld: newApprovalWorld(t)}
	w.clerk = w.user("cleo@acme.example", "Cleo Clerk", &w.max.ID, "ap_clerk")
	w.acme = models.Vendor{Name: "Acme Supplies", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	w.must(w.db.Create(&w.acme).Error)
	return w
}

// bill stores an approved bill of vendor for total, due in dueIn days.
func (w *payWorld) bill(vendor models.Vendor, currency string, total int64, dueIn int) *models.Bill {
	w.t.Helper()
	w.billNo++
	due := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, dueIn)
	b := &models.Bill{Number: fmt.Sprintf("BILL-T%03d", w.billNo), VendorID: vendor.ID, VendorInvoiceNumber: fmt.Sprintf("INV-%d", w.billNo),
		InvoiceDate: due.AddDate(0, 0, -30), DueDate: due, Currency: currency, SubtotalMinor: total, TotalMinor: total,
		Status: models.BillApproved, MatchStatus: "none", EnteredByID: w.clerk.ID}
	w.must(w.db.Create(b).Error)
	return b
}

func (w *payWorld) run(method string, dueBy int, pay map[*models.Bill]string) (*models.PaymentRun, error) {
	in := models.PaymentRunInput{Currency: "USD", Method: method, DueBy: time.Now().AddDate(0, 0, dueBy).Format(time.DateOnly),
		PayOn: time.Now().Format(time.DateOnly)}
	for b, amount := range pay {
		in.Bills = append(in.Bills, models.PaymentBillInput{BillID: b.ID, Amount: amount})
	}
	return models.CreatePaymentRun(as(w.clerk), w.db, viewer(w.clerk), in)
}

func (w *payWorld) billState(b *models.Bill) (paid int64, status string) {
	w.t.Helper()
	var got models.Bill
	w.must(w.db.First(&got, b.ID).Error)
	return got.PaidMinor, got.Status
}

// orgAccount sets the organisation's own account (the debtor of its pain.001 files) to Acme
// Corp's IBAN, with bic, and gives the box that seals it.
func (w *payWorld) orgAccount(bic string) *auth.SecretBox {
	w.t.Helper()
	box, err := auth.NewSecretBox(bytes.Repeat([]byte{7}, 32), models.BankAccountPurpose)
	w.must(err)
	_, err = models.SetOrgBankAccount(context.Background(), w.db, box, models.BankDetailsInput{Holder: "Acme Corp", IBAN: "DE02 1203 0000 0000 2020 51", BIC: bic})
	w.must(err)
	return box
}

// newRun makes a run in currency by method paying each bill the amount given, due within
// five days and paid tomorrow.
func (w *payWorld) newRun(currency, method string, pay map[*models.Bill]string) (*models.PaymentRun, error) {
	in := models.PaymentRunInput{Currency: currency, Method: method, DueBy: time.Now().AddDate(0, 0, 5).Format(time.DateOnly),
		PayOn: time.Now().AddDate(0, 0, 1).Format(time.DateOnly)}
	for b, amount := range pay {
		in.Bills = append(in.Bills, models.PaymentBillInput{BillID: b.ID, Amount: amount})
	}
	return models.CreatePaymentRun(as(w.clerk), w.db, viewer(w.clerk), in)
}

// madeBeforeTheLimit is an approved run by method that its bank file cannot carry, as one
// made before runs were refused for it: made as cheques, which have no limit, then changed.
func (w *payWorld) madeBeforeTheLimit(currency, method string, pay map[*models.Bill]string) *models.PaymentRun {
	w.t.Helper()
	run, err := w.newRun(currency, models.MethodCheque, pay)
	w.must(err)
	w.must(w.db.Exec(`UPDATE payment_runs SET method = ? WHERE id = ?`, method, run.ID).Error)
	w.approve(run)
	return run
}

// achSettings sets what the organisation's NACHA files say of it: its name, its bank and
// its ACH company id.
func (w *payWorld) achSettings() {
	w.t.Helper()
	w.must(models.SavePaymentSettings(context.Background(), w.db, models.PaymentSettings{CompanyName: "Acme Corp",
		ACHRoutingNumber: "021000021", ACHBankName: "JPMorgan Chase", ACHCompanyID: "1234567890"}))
}

// approvedRun makes a run in currency by method paying each bill the amount given, which the
// clerk submits and Max approves.
func (w *payWorld) approvedRun(currency, method string, pay map[*models.Bill]string) *models.PaymentRun {
	w.t.Helper()
	run, err := w.newRun(currency, method, pay)
	w.must(err)
	w.approve(run)
	return run
}

// approve submits run and lets Max (the clerk's manager) approve it.
func (w *payWorld) approve(run *models.PaymentRun) {
	w.t.Helper()
	out, err := models.SubmitPaymentRun(as(w.clerk), w.db, viewer(w.clerk), run.ID)
	w.must(err)
	for _, s := range out.Steps {
		_, err := w.decide(w.max, s.ID, true, "")
		w.must(err)
	}
}

// approveAndPay submits run, lets Max (the clerk's manager) approve it and marks it paid.
func (w *payWorld) approveAndPay(run *models.PaymentRun) {
	w.t.Helper()
	w.approve(run)
	w.must(models.MarkPaymentPaid(as(w.clerk), w.db, viewer(w.clerk), run.ID, models.PaidInput{
		PaidOn: time.Now().Format(time.DateOnly), Method: models.MethodACH, Reference: "ACH-" + strconv.FormatInt(run.ID, 10)}))
}

// Part payments across several runs leave each bill's open amount right: a run may pay at most
// what is open less what other unpaid runs hold, the bill is partially paid until nothing is
// open, and a cancelled run gives back what it held.
func TestPartialPaymentsLeaveTheRightOpenAmounts(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	a := w.bill(w.acme, "USD", 1000_00, 5)
	b := w.bill(w.vendor, "USD", 250_00, 0)

	first, err := w.run(models.MethodACH, 10, map[*models.Bill]string{a: "400.00", b: "250"})
	w.must(err)
	if first.TotalMinor != 650_00 || first.Status != models.PaymentDraft || first.Number == "" {
		t.Fatalf("first run %+v", first)
	}
	// While the first run holds 400.00 of A, only 600.00 of it may go into another run.
	_, err = w.run(models.MethodACH, 10, map[*models.Bill]string{a: "600.01"})
	if v, ok := outlay.AsValidation(err); !ok || v[models.PaymentAmountField(a.ID)] != "At most $600.00 of this bill is open." {
		t.Fatalf("over the open amount: %v", err)
	}
	second, err := w.run(models.MethodWire, 10, map[*models.Bill]string{a: "600.00"})
	w.must(err)
	// B is wholly held by the first run: nothing is offered of it any more.
	payable, err := models.PayableBills(context.Background(), w.db, "USD", time.Now().AddDate(0, 0, 30))
	w.must(err)
	if len(payable) != 0 {
		t.Fatalf("payable while every cent is held: %+v", payable)
	}

	w.approveAndPay(first)
	if paid, status := w.billState(a); paid != 400_00 || status != models.BillPartiallyPaid {
		t.Errorf("A after the first run: paid %d, %s", paid, status)
	}
	if paid, status := w.billState(b); paid != 250_00 || status != models.BillPaid {
		t.Errorf("B after the first run: paid %d, %s", paid, status)
	}
	// Cancelling the second run gives its 600.00 back to A.
	w.must(models.CancelPaymentRun(as(w.clerk), w.db, viewer(w.clerk), second.ID, false))
	payable, err = models.PayableBills(context.Background(), w.db, "USD", time.Now().AddDate(0, 0, 30))
	w.must(err)
	if len(payable) != 1 || payable[0].BillID != a.ID || payable[0].AvailableMinor() != 600_00 {
		t.Fatalf("payable after the cancel: %+v", payable)
	}
	third, err := w.run(models.MethodCheque, 10, map[*models.Bill]string{a: "599.99"})
	w.must(err)
	w.approveAndPay(third)
	if paid, status := w.billState(a); paid != 999_99 || status != models.BillPartiallyPaid {
		t.Errorf("A after the third run: paid %d, %s", paid, status)
	}
	last, err := w.run(models.MethodCard, 10, map[*models.Bill]string{a: "0.01"})
	w.must(err)
	w.approveAndPay(last)
	if paid, status := w.billState(a); paid != 1000_00 || status != models.BillPaid {
		t.Errorf("A paid in full: paid %d, %s", paid, status)
	}
	// Marking a paid run paid again changes nothing.
	err = models.MarkPaymentPaid(as(w.clerk), w.db, viewer(w.clerk), last.ID, models.PaidInput{PaidOn: time.Now().Format(time.DateOnly), Method: models.MethodCard})
	if !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("paid twice: %v", err)
	}
	if paid, _ := w.billState(a); paid != 1000_00 {
		t.Errorf("A after a second mark: paid %d", paid)
	}
}

// What a run refuses, beside the field it concerns, keeping nothing.
func TestPaymentRunRefusals(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	later := w.bill(w.acme, "USD", 100_00, 40)
	euro := w.bill(w.acme, "EUR", 100_00, 0)
	ok := w.bill(w.acme, "USD", 100_00, 0)
	draft := w.bill(w.acme, "USD", 100_00, 0)
	w.must(w.db.Model(draft).Update("status", models.BillDraft).Error)
	for name, tc := range map[string]struct {
		pay   map[*models.Bill]string
		field string
	}{
		"due after the run's date": {map[*models.Bill]string{later: "1"}, models.PaymentAmountField(later.ID)},
		"another currency":         {map[*models.Bill]string{euro: "1"}, models.PaymentAmountField(euro.ID)},
		"not approved":             {map[*models.Bill]string{draft: "1"}, models.PaymentAmountField(draft.ID)},
		"negative":                 {map[*models.Bill]string{ok: "-5"}, models.PaymentAmountField(ok.ID)},
		"zero":                     {map[*models.Bill]string{ok: "0"}, models.PaymentAmountField(ok.ID)},
		"too many decimals":        {map[*models.Bill]string{ok: "1.005"}, models.PaymentAmountField(ok.ID)},
		"more than the bill":       {map[*models.Bill]string{ok: "100.01"}, models.PaymentAmountField(ok.ID)},
		"no bills":                 {map[*models.Bill]string{}, "bills"},
	} {
		_, err := w.run(models.MethodACH, 10, tc.pay)
		if v, isV := outlay.AsValidation(err); !isV || !v.Has(tc.field) {
			t.Errorf("%s: %v, want a message beside %q", name, err, tc.field)
		}
	}
	in := models.PaymentRunInput{Currency: "USD", Method: "bitcoin", DueBy: "soon", PayOn: time.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		Bills: []models.PaymentBillInput{{BillID: ok.ID, Amount: "1"}}}
	_, err := models.CreatePaymentRun(as(w.clerk), w.db, viewer(w.clerk), in)
	if v, _ := outlay.AsValidation(err); !v.Has("method") || !v.Has("due_by") || !v.Has("pay_on") {
		t.Errorf("bad header: %v", err)
	}
	var runs int64
	w.must(w.db.Model(&models.PaymentRun{}).Count(&runs).Error)
	if runs != 0 {
		t.Errorf("%d runs kept from refused input", runs)
	}
	// Marking paid: only an approved run, on a day not to come, with a reference.
	run, err := w.run(models.MethodACH, 10, map[*models.Bill]string{ok: "10"})
	w.must(err)
	err = models.MarkPaymentPaid(as(w.clerk), w.db, viewer(w.clerk), run.ID, models.PaidInput{PaidOn: time.Now().Format(time.DateOnly), Method: models.MethodACH, Reference: "X"})
	if !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("a draft marked paid: %v", err)
	}
	err = models.MarkPaymentPaid(as(w.clerk), w.db, viewer(w.clerk), run.ID, models.PaidInput{PaidOn: time.Now().AddDate(0, 0, 2).Format(time.DateOnly), Method: models.MethodACH})
	if v, _ := outlay.AsValidation(err); !v.Has("paid_on") || !v.Has("reference") {
		t.Errorf("paid in the future without a reference: %v", err)
	}
	// Another clerk's draft is not found; an approver may not see it either.
	other := w.user("cal@acme.example", "Cal Clerk", nil, "ap_clerk")
	if _, err := models.GetVisiblePaymentRun(context.Background(), w.db, viewer(other), run.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("another clerk reads a draft: %v", err)
	}
}

// Payment approval rules route runs by total and method, apart from requisition rules, and
// delegation reaches payments as it does any document.
func TestPaymentApprovalRouting(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	wire := models.MethodWire
	big := int64(5000_00)
	// A requisition rule never routes payments.
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.al.ID})
	payRule := func(r models.ApprovalRule, steps ...models.ApprovalRuleStep) {
		r = w.rule(r, steps...)
		w.must(w.db.Model(&r).Update("doc_type", models.DocPayment).Error)
	}
	payRule(models.ApprovalRule{Priority: 2, Name: "wires", PaymentMethod: &wire}, models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.hana.ID})
	payRule(models.ApprovalRule{Priority: 3, Name: "large", MinAmountMinor: &big}, models.ApprovalRuleStep{Kind: models.StepRole, Role: ptr("admin")})

	route := func(method, amount string) string {
		t.Helper()
		b := w.bill(w.acme, "USD", 10000_00, 0)
		run, err := w.run(method, 1, map[*models.Bill]string{b: amount})
		w.must(err)
		out, err := models.SubmitPaymentRun(as(w.clerk), w.db, viewer(w.clerk), run.ID)
		w.must(err)
		return w.describe(out.Steps)
	}
	for _, tc := range []struct{ method, amount, want string }{
		{models.MethodACH, "100", "user:Max Manager/pending"}, // no payment rule: the clerk's manager
		{models.MethodWire, "100", "user:Hana Head/pending"},
		{models.MethodACH, "4999.99", "user:Max Manager/pending"},
		{models.MethodACH, "5000", "role:admin/pending"},
		{models.MethodWire, "5000", "user:Hana Head/pending, role:admin/waiting"},
	} {
		if got := route(tc.method, tc.amount); got != tc.want {
			t.Errorf("%s of %s routed %s, want %s", tc.method, tc.amount, got, tc.want)
		}
	}

	// Max is away: Dee decides the run for him, and it is approved.
	dee := w.user("dee@acme.example", "Dee Delegate", nil, "approver")
	w.must(w.db.Create(&models.ApprovalDelegation{UserID: w.max.ID, DelegateID: dee.ID, StartsOn: time.Now().AddDate(0, 0, -1), EndsOn: time.Now().AddDate(0, 0, 1)}).Error)
	b := w.bill(w.acme, "USD", 100_00, 0)
	run, err := w.run(models.MethodCheque, 1, map[*models.Bill]string{b: "100"})
	w.must(err)
	out, err := models.SubmitPaymentRun(as(w.clerk), w.db, viewer(w.clerk), run.ID)
	w.must(err)
	q, err := models.ApprovalQueue(context.Background(), w.db, viewer(dee), models.QueueFilter{})
	w.must(err)
	var found *models.QueueItem
	for i, it := range q.Items {
		if it.DocType == models.DocPayment && it.DocID == run.ID {
			found = &q.Items[i]
		}
	}
	if found == nil || found.VendorName != "Acme Supplies" || found.TotalMinor != 100_00 || found.Number != run.Number {
		t.Fatalf("Dee's queue: %+v", q.Items)
	}
	res, err := w.decide(dee, out.Steps[0].ID, true, "For Max")
	w.must(err)
	if res.Step.OnBehalfOf == nil || *res.Step.OnBehalfOf != w.max.ID {
		t.Errorf("decided on behalf of %v", res.Step.OnBehalfOf)
	}
	var status string
	w.must(w.db.Raw(`SELECT status FROM payment_runs WHERE id = ?`, run.ID).Scan(&status).Error)
	if status != models.PaymentApproved {
		t.Errorf("run after Dee's approval: %s", status)
	}
}

// An approved run's bank file: pain.001 for euros, valid against the ISO 20022 schema, one
// transfer per vendor of what the run pays it; NACHA for dollars by ACH, whose controls add
// up to the run; a vendor without bank details of the file's kind is named, and cheques have
// no bank file.
func TestPaymentBankFiles(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	box := bankBox(t)
	ctx := context.Background()
	w.achSettings()
	orgBox := w.orgAccount("BYLADEM1001")
	euro := models.Vendor{Name: "Société Générale Fournitures", Currency: "EUR", Status: models.VendorActive}
	w.must(w.db.Create(&euro).Error)
	w.must(models.SaveVendorBankAccount(ctx, w.db, box, euro.ID, models.VendorBankInput{Scheme: models.BankIBAN,
		HolderName: "Société Générale Fournitures", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}))
	w.must(models.SaveVendorBankAccount(ctx, w.db, box, w.acme.ID, models.VendorBankInput{Scheme: models.BankIBAN,
		HolderName: "Acme Supplies GmbH", IBAN: "DE89370400440532013000"}))

	approved := w.approvedRun
	e1, e2 := w.bill(euro, "EUR", 1200_00, 0), w.bill(euro, "EUR", 300_50, 1)
	a1 := w.bill(w.acme, "EUR", 999_99, 0)
	run := approved("EUR", models.MethodWire, map[*models.Bill]string{e1: "1200", e2: "100.25", a1: "999.99"})
	f, err := models.PaymentBankFile(ctx, w.db, box, orgBox, viewer(w.clerk), run.ID)
	w.must(err)
	bankfiletest.ValidatePain001(t, f.Data)
	xml := string(f.Data)
	for _, want := range []string{"<NbOfTxs>2</NbOfTxs>", "<CtrlSum>2300.24</CtrlSum>", "FR1420041010050500013M02606", "DE89370400440532013000",
		"<InstdAmt Ccy=\"EUR\">1300.25</InstdAmt>", "Invoices " + e1.VendorInvoiceNumber + " " + e2.VendorInvoiceNumber} {
		if !strings.Contains(xml, want) {
			t.Errorf("pain.001 lacks %s", want)
		}
	}

	us := models.Vendor{Name: "Globex", Currency: "USD", Status: models.VendorActive}
	w.must(w.db.Create(&us).Error)
	w.must(models.SaveVendorBankAccount(ctx, w.db, box, us.ID, models.VendorBankInput{Scheme: models.BankUSACH, HolderName: "Globex",
		RoutingNumber: "011000015", AccountNumber: "9876543210", AccountType: models.AccountSavings}))
	u1, u2 := w.bill(us, "USD", 500_00, 0), w.bill(us, "USD", 70_07, 0)
	ach := approved("USD", models.MethodACH, map[*models.Bill]string{u1: "250", u2: "70.07"})
	f, err = models.PaymentBankFile(ctx, w.db, box, orgBox, viewer(w.clerk), ach.ID)
	w.must(err)
	parsed, err := bankfile.ParseNACHA(bytes.NewReader(f.Data))
	w.must(err)
	if c := parsed.FileControl(); c.TotalCreditCents != 320_07 || c.EntryAddendaCount != 2 || len(parsed.Batches[0].Entries) != 1 {
		t.Errorf("NACHA controls %+v", c)
	}
	if e := parsed.Batches[0].Entries[0]; e.AccountNumber != "9876543210" || e.TransactionCode != bankfile.ACHSavingsCredit || e.RoutingNumber != "011000015" {
		t.Errorf("NACHA entry %+v", e)
	}

	// Acme has an IBAN, not a US account: its dollar ACH run names it.
	b := w.bill(w.acme, "USD", 10_00, 0)
	noACH := approved("USD", models.MethodACH, map[*models.Bill]string{b: "10"})
	if _, err := models.PaymentBankFile(ctx, w.db, box, orgBox, viewer(w.clerk), noACH.ID); !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "Acme Supplies") {
		t.Errorf("a vendor without a US account: %v", err)
	}
	c := w.bill(w.acme, "USD", 10_00, 0)
	cheque := approved("USD", models.MethodCheque, map[*models.Bill]string{c: "10"})
	if _, err := models.PaymentBankFile(ctx, w.db, box, orgBox, viewer(w.clerk), cheque.ID); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("a cheque run's bank file: %v", err)
	}

	// A holder's name of invisible characters alone is refused as it is typed; one saved
	// before that check stops the file with a word on the run's page, not as a fault.
	if err := models.SaveVendorBankAccount(ctx, w.db, box, euro.ID, models.VendorBankInput{Scheme: models.BankIBAN,
		HolderName: "\u200b", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}); !strings.Contains(err.Error(), "only invisible characters") {
		t.Errorf("a holder's name of a zero-width space: %v", err)
	}
	w.must(w.db.Exec(`UPDATE vendor_bank_accounts SET holder_name = ? WHERE vendor_id = ?`, "\u200b", euro.ID).Error)
	blank := approved("EUR", models.MethodWire, map[*models.Bill]string{w.bill(euro, "EUR", 50_00, 2): "50"})
	if _, err := models.PaymentBankFile(ctx, w.db, box, orgBox, viewer(w.clerk), blank.ID); !errors.Is(err, outlay.ErrConflict) ||
		!strings.Contains(err.Error(), "The pain.001 file cannot be made: transfer 1") {
		t.Errorf("a run to an account whose holder's name shows nothing: %v", err)
	}
}

// The rule editor's payment condition: a payment rule keeps the method it names; any other
// kind of rule, or a method that does not exist, is refused beside the field.
func TestPaymentRuleMethodCondition(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	ctx := as(w.admin)
	in := models.RuleInput{DocType: models.DocPayment, Name: "Wires", Priority: "10", Currency: "USD", BudgetCheck: models.BudgetCheckNone,
		Active: true, PaymentMethod: models.MethodWire, Steps: []models.RuleStepInput{{Kind: models.StepUser, UserID: &w.hana.ID}}}
	r, err := models.CreateApprovalRule(ctx, w.db, in)
	w.must(err)
	if r.PaymentMethod == nil || *r.PaymentMethod != models.MethodWire || r.Describe("", "", "") != "When paid by Wire transfer" {
		t.Errorf("stored %v, described %q", r.PaymentMethod, r.Describe("", "", ""))
	}
	for name, change := range map[string]func(*models.RuleInput){
		"a requisition rule": func(in *models.RuleInput) { in.DocType = models.DocRequisition },
		"no such method":     func(in *models.RuleInput) { in.PaymentMethod = "bitcoin" },
	} {
		bad := in
		change(&bad)
		if _, err := models.CreateApprovalRule(ctx, w.db, bad); !func() bool { v, ok := outlay.AsValidation(err); return ok && v.Has("payment_method") }() {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Whoever resubmits a run someone else made never approves it: Max rejected Cleo's run and
// submitted it again himself (the vendors' bank details are copied anew at that moment), so
// the route escalates past him, her manager, and he cannot decide it.
func TestWhoeverResubmitsARunNeverApprovesIt(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	run, err := w.run(models.MethodACH, 10, map[*models.Bill]string{w.bill(w.acme, "USD", 500_00, 3): "500.00"})
	w.must(err)
	out, err := models.SubmitPaymentRun(as(w.clerk), w.db, viewer(w.clerk), run.ID)
	w.must(err)
	if _, err := w.decide(w.max, out.Steps[0].ID, false, "Not this week"); err != nil {
		t.Fatal(err)
	}
	maxSeesRuns := models.Viewer{UserID: w.max.ID, Roles: w.max.Roles, SeeAllKinds: []string{models.DocPayment}}
	again, err := models.SubmitPaymentRun(as(w.max), w.db, maxSeesRuns, run.ID)
	w.must(err)
	if len(again.Steps) == 0 {
		t.Fatalf("the resubmitted run was approved by nobody: %+v", again)
	}
	for _, s := range again.Steps {
		if s.ApproverID != nil && *s.ApproverID == w.max.ID {
			t.Fatalf("the route goes to Max, who resubmitted it: %+v", again)
		}
		if _, err := w.decide(w.max, s.ID, true, ""); err == nil {
			t.Fatal("Max approved the run he resubmitted")
		}
	}
}
