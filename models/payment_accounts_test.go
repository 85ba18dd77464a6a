package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"outlay"
	"outlay/bankfile"
	"outlay/bankfile/bankfiletest"
	"outlay/models"
)

// A run pays the bank account copied onto it when it was submitted, whatever the vendor's
// details say later: a change between submission and approval, or after approval, leaves
// the bank file paying the copy and is reported as a change. A vendor that had no details at
// submission is paid those it has when the run is approved; one that had none by then is
// named by the bank file, even once details are added. A run sent back and submitted again
// copies the details afresh, for its new approval.
func TestARunPaysTheAccountCopiedOntoIt(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	box := bankBox(t)
	ctx := context.Background()
	orgBox := w.orgAccount("")
	const ibanA, ibanB, ibanC = "FR1420041010050500013M02606", "DE89370400440532013000", "GB82WEST12345698765432"
	northwind := models.Vendor{Name: "Northwind", Currency: "EUR", Status: models.VendorActive}
	late := models.Vendor{Name: "Latecomer", Currency: "EUR", Status: models.VendorActive}
	w.must(w.db.Create(&northwind).Error)
	w.must(w.db.Create(&late).Error)
	setIBAN := func(v models.Vendor, iban string) {
		t.Helper()
		w.must(models.SaveVendorBankAccount(as(w.clerk), w.db, box, v.ID, models.VendorBankInput{Scheme: models.BankIBAN,
			HolderName: v.Name + " Ltd", IBAN: iban}))
	}
	submit := func(pay map[*models.Bill]string) (*models.PaymentRun, models.RouteOutcome) {
		t.Helper()
		in := models.PaymentRunInput{Currency: "EUR", Method: models.MethodWire, DueBy: time.Now().AddDate(0, 0, 5).Format(time.DateOnly),
			PayOn: time.Now().Format(time.DateOnly)}
		for b, amount := range pay {
			in.Bills = append(in.Bills, models.PaymentBillInput{BillID: b.ID, Amount: amount})
		}
		run, err := models.CreatePaymentRun(as(w.clerk), w.db, viewer(w.clerk), in)
		w.must(err)
		out, err := models.SubmitPaymentRun(as(w.clerk), w.db, viewer(w.clerk), run.ID)
		w.must(err)
		return run, out
	}
	bankFile := func(run *models.PaymentRun) (string, error) {
		t.Helper()
		f, err := models.PaymentBankFile(ctx, w.db, box, orgBox, viewer(w.clerk), run.ID)
		if err == nil {
			bankfiletest.ValidatePain001(t, f.Data)
		}
		return string(f.Data), err
	}
	payees := func(run *models.PaymentRun) map[string]models.RunPayee {
		t.Helper()
		d, err := models.GetVisiblePaymentRun(ctx, w.db, viewer(w.clerk), run.ID)
		w.must(err)
		list, err := models.PaymentRunPayees(ctx, w.db, box, d)
		w.must(err)
		out := map[string]models.RunPayee{}
		for _, p := range list {
			out[p.VendorName] = p
		}
		return out
	}

	// Northwind has IBAN A when the run is submitted, and B from before its approval on;
	// Latecomer has nothing when it is submitted and IBAN C when it is approved.
	setIBAN(northwind, ibanA)
	run, out := submit(map[*models.Bill]string{w.bill(northwind, "EUR", 500_00, 0): "500", w.bill(late, "EUR", 70_00, 0): "70"})
	setIBAN(northwind, ibanB)
	setIBAN(late, ibanC)
	if p := payees(run)["Northwind"]; p.Copied == nil || p.Copied.AccountMasked != bankfile.IBAN(ibanA).Masked() || !p.Changed {
		t.Errorf("Northwind before the approval: %+v; want IBAN A copied and changed since", p)
	}
	if p := payees(run)["Latecomer"]; p.Copied != nil || p.Current == nil {
		t.Errorf("Latecomer before the approval: %+v; want nothing copied and IBAN C on file", p)
	}
	_, err := w.decide(w.max, out.Steps[0].ID, true, "")
	w.must(err)
	f, err := bankFile(run)
	w.must(err)
	if !strings.Contains(f, ibanA) || strings.Contains(f, ibanB) || !strings.Contains(f, ibanC) {
		t.Errorf("the bank file pays A %v, B %v, C %v; want A and C", strings.Contains(f, ibanA), strings.Contains(f, ibanB), strings.Contains(f, ibanC))
	}
	// Saving the same details again changes nothing; a change after the approval is one.
	setIBAN(late, ibanC)
	if p := payees(run)["Latecomer"]; p.Copied == nil || p.Changed {
		t.Errorf("Latecomer saved unchanged: %+v; want copied, not changed", p)
	}
	setIBAN(late, ibanA)
	if p := payees(run)["Latecomer"]; !p.Changed {
		t.Errorf("Latecomer changed after the approval: %+v", p)
	}
	if f, err := bankFile(run); err != nil || !strings.Contains(f, ibanC) {
		t.Errorf("the bank file after Latecomer's change: %v; want IBAN C still", err)
	}
	w.must(models.RemoveVendorBankAccount(as(w.clerk), w.db, late.ID))
	if p := payees(run)["Latecomer"]; !p.Changed || p.Current != nil {
		t.Errorf("Latecomer's details removed: %+v", p)
	}
	if f, err := bankFile(run); err != nil || !strings.Contains(f, ibanC) {
		t.Errorf("the bank file after Latecomer's details are removed: %v; want IBAN C still", err)
	}

	// A vendor with no IBAN by the approval is named, and stays so once one is added.
	none := models.Vendor{Name: "Nobank", Currency: "EUR", Status: models.VendorActive}
	w.must(w.db.Create(&none).Error)
	bare, out := submit(map[*models.Bill]string{w.bill(none, "EUR", 10_00, 0): "10"})
	_, err = w.decide(w.max, out.Steps[0].ID, true, "")
	w.must(err)
	setIBAN(none, ibanB)
	if _, err := bankFile(bare); !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "when this run was approved: Nobank") {
		t.Errorf("a vendor given an IBAN after the approval: %v", err)
	}

	// Sent back and submitted again, the run copies Northwind's details anew.
	again, out := submit(map[*models.Bill]string{w.bill(northwind, "EUR", 20_00, 0): "20"})
	_, err = w.decide(w.max, out.Steps[0].ID, false, "Check the amount")
	w.must(err)
	setIBAN(northwind, ibanC)
	out, err = models.SubmitPaymentRun(as(w.clerk), w.db, viewer(w.clerk), again.ID)
	w.must(err)
	_, err = w.decide(w.max, out.Steps[0].ID, true, "")
	w.must(err)
	if f, err := bankFile(again); err != nil || !strings.Contains(f, ibanC) || strings.Contains(f, ibanB) {
		t.Errorf("the run submitted again: %v; want IBAN C", err)
	}
}

// Every change of a vendor's bank details is told to the organisation's active admins, in the
// app and by mail, naming who made it and both accounts masked; the person who made the
// change is not told of it, and a save that changes nothing tells nobody.
func TestAdminsAreToldOfAVendorBankChange(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	box := bankBox(t)
	ben := w.user("ben@acme.example", "Ben Admin", nil, "admin")
	save := func(by *models.User, iban string) {
		t.Helper()
		w.must(models.SaveVendorBankAccount(told(as(by)), w.db, box, w.acme.ID, models.VendorBankInput{Scheme: models.BankIBAN,
			HolderName: "Acme Supplies GmbH", IBAN: iban}))
	}
	type notice struct{ Title, Summary string }
	toldOf := func(u *models.User) (notes []notice, mails []string) {
		t.Helper()
		w.must(w.db.Raw(`SELECT title, summary FROM notifications WHERE recipient_id = ? AND kind = ? ORDER BY id`, u.ID, models.MailVendorBank).
			Scan(&notes).Error)
		w.must(w.db.Raw(`SELECT body FROM mail_outbox WHERE recipient = ? AND kind = ? ORDER BY id`, u.Email, models.MailVendorBank).
			Scan(&mails).Error)
		return notes, mails
	}
	a, b := bankfile.IBAN("DE89370400440532013000").Masked(), bankfile.IBAN("FR1420041010050500013M02606").Masked()

	save(w.clerk, "DE89370400440532013000")
	save(w.clerk, "FR14 2004 1010 0505 0001 3M02 606")
	save(w.clerk, "FR1420041010050500013M02606") // the same again
	for _, admin := range []*models.User{w.admin, ben} {
		notes, mails := toldOf(admin)
		if len(notes) != 2 || len(mails) != 2 {
			t.Fatalf("%s told %d times in the app and %d by mail, want 2 each", admin.Name, len(notes), len(mails))
		}
		if want := "Cleo Clerk changed the bank details of Acme Supplies from IBAN " + a + " in the name of Acme Supplies GmbH to IBAN " + b; notes[1].Title != want+" in the name of Acme Supplies GmbH" {
			t.Errorf("%s's notice: %q, want %q", admin.Name, notes[1].Title, want)
		}
		if !strings.Contains(mails[1], "Before: IBAN "+a) || !strings.Contains(mails[1], "Now: IBAN "+b) || !strings.Contains(mails[1], "Cleo Clerk changed") ||
			strings.Contains(mails[1], "FR1420041010050500013M02606") {
			t.Errorf("%s's mail: %s", admin.Name, mails[1])
		}
	}
	if notes, _ := toldOf(w.clerk); len(notes) != 0 {
		t.Errorf("the clerk, who is no admin, was told: %+v", notes)
	}
	// Ben removes the details: Ada is told, Ben is not told of his own change.
	w.must(models.RemoveVendorBankAccount(told(as(ben)), w.db, w.acme.ID))
	if notes, _ := toldOf(w.admin); len(notes) != 3 || !strings.HasPrefix(notes[2].Title, "Ben Admin removed the bank details of Acme Supplies (were IBAN "+b) {
		t.Errorf("Ada's notices after the removal: %+v", notes)
	}
	if notes, _ := toldOf(ben); len(notes) != 2 {
		t.Errorf("Ben was told of his own change: %+v", notes)
	}
}
