package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"outlay"
	"outlay/bankfile/bankfiletest"
	"outlay/models"
)

// A run pays each vendor every bill of it in one transfer, and a SEPA transfer carries at
// most €999,999,999.99: a euro run whose two bills to one vendor, each below the limit, add
// up to more is refused when it is made, saying beside its bills what to do, and nothing is
// kept. One made before that was checked has no pain.001 file: the refusal names the vendor,
// the transfer and the limit and says what to do, and nothing records a file as made (a file
// made later gets a message id of its own). Two bills that add up to the limit exactly are
// paid in one transfer.
func TestAPain001TransferIsRefusedAboveTheSEPALimit(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	box := bankBox(t)
	ctx := context.Background()
	orgBox := w.orgAccount("")
	vendor := func(name, iban string) models.Vendor {
		t.Helper()
		v := models.Vendor{Name: name, Currency: "EUR", Status: models.VendorActive}
		w.must(w.db.Create(&v).Error)
		w.must(models.SaveVendorBankAccount(ctx, w.db, box, v.ID, models.VendorBankInput{Scheme: models.BankIBAN, HolderName: name + " SA", IBAN: iban}))
		return v
	}
	approved := func(pay map[*models.Bill]string) *models.PaymentRun {
		return w.approvedRun("EUR", models.MethodWire, pay)
	}
	fileMade := func(run *models.PaymentRun) bool {
		t.Helper()
		var id *string
		w.must(w.db.Raw(`SELECT file_message_id FROM payment_runs WHERE id = ?`, run.ID).Scan(&id).Error)
		return id != nil
	}

	big := vendor("Hyperion Construction", "FR1420041010050500013M02606")
	pay := map[*models.Bill]string{w.bill(big, "EUR", 600_000_000_00, 0): "600000000", w.bill(big, "EUR", 400_000_000_01, 0): "400000000.01"}
	_, err := w.newRun("EUR", models.MethodWire, pay)
	verr, _ := outlay.AsValidation(err)
	want := "This run cannot be paid by its pain.001 file: it would pay Hyperion Construction €1,000,000,000.01 in one transfer, above the SEPA limit of €999,999,999.99 for one transfer, and the bank would refuse the whole file. " +
		"Pay Hyperion Construction across several runs, each paying it at most €999,999,999.99 (a run may pay part of a bill), or pay it by another method, such as a cheque."
	if verr["bills"] != want {
		t.Errorf("made, a run above the SEPA limit is refused with %v, want %q", err, want)
	}
	if cheque, err := w.newRun("EUR", models.MethodCheque, pay); err != nil || cheque.TotalMinor != 1_000_000_000_01 {
		t.Fatalf("the same bills paid by cheque, which has no limit: %v", err)
	}

	over := w.madeBeforeTheLimit("EUR", models.MethodWire, map[*models.Bill]string{w.bill(big, "EUR", 600_000_000_00, 0): "600000000", w.bill(big, "EUR", 400_000_000_01, 0): "400000000.01"})
	f, err := models.PaymentBankFile(ctx, w.db, box, orgBox, viewer(w.clerk), over.ID)
	if !errors.Is(err, outlay.ErrConflict) || len(f.Data) != 0 {
		t.Fatalf("a transfer above the SEPA limit: %v, %d bytes", err, len(f.Data))
	}
	for _, want := range []string{"The pain.001 file cannot be made", "Hyperion Construction €1,000,000,000.01 in one transfer",
		"SEPA limit of €999,999,999.99 for one transfer", "Cancel this run and pay Hyperion Construction across several runs",
		"or pay it by another method"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	if fileMade(over) {
		t.Error("the refused file was recorded as made")
	}

	exact := vendor("Titan Works", "DE89370400440532013000")
	at := approved(map[*models.Bill]string{w.bill(exact, "EUR", 500_000_000_00, 0): "500000000", w.bill(exact, "EUR", 499_999_999_99, 0): "499999999.99"})
	f, err = models.PaymentBankFile(ctx, w.db, box, orgBox, viewer(w.clerk), at.ID)
	w.must(err)
	bankfiletest.ValidatePain001(t, f.Data)
	if !strings.Contains(string(f.Data), "<InstdAmt Ccy=\"EUR\">999999999.99</InstdAmt>") || !fileMade(at) {
		t.Errorf("two bills adding up to the limit: one transfer of 999999999.99 expected, recorded %v", fileMade(at))
	}
}

// An ACH entry carries at most $99,999,999.99: a dollar ACH run paying one vendor more is
// refused when it is made, and one made before that was checked has no NACHA file, the
// refusal saying what to do (pay across several runs, or by wire) rather than only that the
// entry is too large. At the limit exactly, the file is made.
func TestANACHAEntryIsRefusedAboveItsLimit(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	box := bankBox(t)
	ctx := context.Background()
	w.achSettings()
	us := models.Vendor{Name: "Globex", Currency: "USD", Status: models.VendorActive}
	w.must(w.db.Create(&us).Error)
	w.must(models.SaveVendorBankAccount(ctx, w.db, box, us.ID, models.VendorBankInput{Scheme: models.BankUSACH, HolderName: "Globex",
		RoutingNumber: "011000015", AccountNumber: "9876543210", AccountType: models.AccountChecking}))
	pay := func(second int64) map[*models.Bill]string {
		return map[*models.Bill]string{w.bill(us, "USD", 60_000_000_00, 0): "60000000",
			w.bill(us, "USD", second, 0): models.PaymentRun{Currency: "USD"}.Money(second).Plain()}
	}
	_, err := w.newRun("USD", models.MethodACH, pay(40_000_000_00))
	want := "This run cannot be paid by its NACHA file: it would pay Globex $100,000,000.00 in one ACH entry, above the $99,999,999.99 one entry can carry, and the bank would refuse the whole file. " +
		"Pay Globex across several runs, each paying it at most $99,999,999.99 (a run may pay part of a bill), or pay it by another method, such as a wire."
	if verr, _ := outlay.AsValidation(err); verr["bills"] != want {
		t.Errorf("made, a run above the ACH limit is refused with %v, want %q", err, want)
	}
	over := w.madeBeforeTheLimit("USD", models.MethodACH, pay(40_000_000_00))
	_, err = models.PaymentBankFile(ctx, w.db, box, nil, viewer(w.clerk), over.ID)
	want = "The NACHA file cannot be made: it would pay Globex $100,000,000.00 in one ACH entry, above the $99,999,999.99 one entry can carry, and the bank would refuse the whole file. " +
		"Cancel this run and pay Globex across several runs, each paying it at most $99,999,999.99 (a run may pay part of a bill), or pay it by another method, such as a wire."
	if !errors.Is(err, outlay.ErrConflict) || err.Error() != want {
		t.Errorf("the file of a run above the ACH limit: %v, want %q", err, want)
	}
	at := w.approvedRun("USD", models.MethodACH, pay(39_999_999_99))
	if _, err := models.PaymentBankFile(ctx, w.db, box, nil, viewer(w.clerk), at.ID); err != nil {
		t.Errorf("a run at the ACH limit: %v", err)
	}
}
