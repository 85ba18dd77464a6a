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
// up to more has no pain.001 file. The refusal names the vendor, the transfer and the limit
// and says what to do, and nothing records a file as made (a file made later gets a message
// id of its own). Two bills that add up to the limit exactly are paid in one transfer.
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
	over := approved(map[*models.Bill]string{w.bill(big, "EUR", 600_000_000_00, 0): "600000000", w.bill(big, "EUR", 400_000_000_01, 0): "400000000.01"})
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
