package models_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/pressly/goose/v3"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/migrations"
	"outlay/models"
)

// A void bill no longer holds its vendor's invoice number: the bill entered instead takes it,
// and a third bill with it is refused naming the one that is not void. The unique index
// agrees (it would refuse a second bill that is not void).
func TestAVoidBillFreesItsInvoiceNumber(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := as(w.clara)
	first := w.draft(w.plainBill("NW-2301", "2026-03-10", "5.00"))
	w.must(models.VoidBill(ctx, w.db, w.clerk(), first.ID, "Keyed against the wrong order"))
	again, err := models.SaveBill(ctx, w.db, w.clerk(), 0, w.plainBill("NW-2301", "2026-03-10", "5.00"))
	if err != nil {
		t.Fatalf("the void bill's invoice number entered again: %v", err)
	}
	_, err = models.SaveBill(ctx, w.db, w.clerk(), 0, w.plainBill("nw-2301", "2026-04-10", "7.00"))
	var verr outlay.ValidationErrors
	if !errors.As(err, &verr) || verr[models.BillInvoiceNumberField] != "Initech's invoice NW-2301 is already entered as "+again.Number+"." {
		t.Errorf("a third bill of NW-2301: %v", err)
	}
	// What two clerks saving at once would meet: the index, not the check.
	err = w.db.Exec(`INSERT INTO bills (number, vendor_id, vendor_invoice_number, invoice_date, due_date, currency, status, entered_by_id)
		VALUES ('BILL-X', ?, 'NW-2301', '2026-03-10', '2026-03-10', 'USD', 'draft', ?)`, w.vendor.ID, w.clara.ID).Error
	if err == nil {
		t.Error("the unique index let a second bill of NW-2301 in")
	}
}

// Invoice numbers that read the same are the same number: besides case and outer spaces,
// Unicode's compatibility forms (full width) and every kind of dash. A different number, and
// the same number of another vendor, are not refused.
func TestLookAlikeInvoiceNumbersAreOneNumber(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := as(w.clara)
	first, second := w.draft(w.plainBill("NW-2301", "2026-03-10", "5.00")), w.draft(w.plainBill("NW-2302", "2026-06-10", "8.00"))
	for _, tc := range []struct{ name, typed string }{
		{"hyphen U+2010", "NW\u20102301"},
		{"non-breaking hyphen U+2011", "NW\u20112301"},
		{"figure dash U+2012", "NW\u20122301"},
		{"en dash U+2013", "NW\u20132301"},
		{"em dash U+2014", "NW\u20142301"},
		{"horizontal bar U+2015", "NW\u20152301"},
		{"minus sign U+2212", "NW\u22122301"},
		{"small em dash U+FE58", "NW\ufe582301"},
		{"small hyphen-minus U+FE63", "NW\ufe632301"},
		{"full-width hyphen-minus U+FF0D", "NW\uff0d2301"},
		{"full-width letters", "ＮＷ-2301"},
		{"full-width digits", "NW-２３０１"},
		{"lower case, outer spaces", "  nw-2301 "},
	} {
		_, err := models.SaveBill(ctx, w.db, w.clerk(), 0, w.plainBill(tc.typed, "2026-05-01", "9.00"))
		var verr outlay.ValidationErrors
		if !errors.As(err, &verr) || verr[models.BillInvoiceNumberField] != "Initech's invoice NW-2301 is already entered as "+first.Number+"." {
			t.Errorf("%s (%q): %v", tc.name, tc.typed, err)
		}
		// Stored by a path that skips the check, the unique index refuses it too.
		if err := w.db.Exec(`UPDATE bills SET vendor_invoice_number = ? WHERE id = ?`, tc.typed, second.ID).Error; err == nil {
			t.Errorf("%s: the unique index let it in", tc.name)
			w.must(w.db.Exec(`UPDATE bills SET vendor_invoice_number = 'NW-2302' WHERE id = ?`, second.ID).Error)
		}
	}
	if _, err := models.SaveBill(ctx, w.db, w.clerk(), 0, w.plainBill("NW-23O1", "2026-05-02", "9.00")); err != nil {
		t.Errorf("a different number refused: %v", err)
	}
	other := models.Vendor{Name: "Northwind", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	w.must(w.db.Create(&other).Error)
	in := w.plainBill("ＮＷ‐2301", "2026-05-03", "9.00")
	in.Vendor = strconv.FormatInt(other.ID, 10)
	if _, err := models.SaveBill(ctx, w.db, w.clerk(), 0, in); err != nil {
		t.Errorf("another vendor's NW-2301 refused: %v", err)
	}
}

// Look-alike numbers entered before they were refused survive migration 00127: the later of
// each pair is marked, the index is built, and the marked bill is refused on its next save.
func TestInvoiceNumberMigrationKeepsEarlierLookAlikes(t *testing.T) {
	t.Parallel()
	w := newBillWorld(t)
	ctx := as(w.clara)
	sqlDB, err := w.db.DB()
	w.must(err)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.Tenant(), goose.WithDisableGlobalRegistry(true))
	w.must(err)
	_, err = p.DownTo(context.Background(), 126)
	w.must(err)
	// As SaveBill stored them before (it compares through the migration's function now).
	var first, later models.Bill
	for _, b := range []*models.Bill{&first, &later} {
		invoice := map[*models.Bill]string{&first: "NW-2301", &later: "NW\u20102301"}[b]
		w.must(w.db.Raw(`INSERT INTO bills (number, vendor_id, vendor_invoice_number, invoice_date, due_date, currency, status, entered_by_id)
			VALUES ('BILL-' || ?, ?, ?, '2026-03-10', '2026-04-09', 'USD', 'draft', ?) RETURNING id, number`,
			invoice, w.vendor.ID, invoice, w.clara.ID).Scan(b).Error)
	}
	_, err = p.Up(context.Background())
	w.must(err)
	var marked []int64
	w.must(w.db.Raw(`SELECT id FROM bills WHERE invoice_number_lookalike`).Scan(&marked).Error)
	if len(marked) != 1 || marked[0] != later.ID {
		t.Errorf("marked %v, want only the later bill %d", marked, later.ID)
	}
	_, err = models.SaveBill(ctx, w.db, w.clerk(), later.ID, w.plainBill("NW\u20102301", "2026-04-10", "6.00"))
	var verr outlay.ValidationErrors
	if !errors.As(err, &verr) || verr[models.BillInvoiceNumberField] != "Initech's invoice NW-2301 is already entered as "+first.Number+"." {
		t.Errorf("the later look-alike saved again: %v", err)
	}
	// The earlier one is not refused for the later.
	if _, err := models.SaveBill(ctx, w.db, w.clerk(), first.ID, w.plainBill("NW-2301", "2026-04-10", "6.00")); err != nil {
		t.Errorf("the earlier of the look-alikes saved again: %v", err)
	}
	// The earlier voided, a new bill of the number is refused for the later, which saves now
	// and is held by the unique index again.
	w.must(models.VoidBill(ctx, w.db, w.clerk(), first.ID, "Keyed twice"))
	_, err = models.SaveBill(ctx, w.db, w.clerk(), 0, w.plainBill("NW-2301", "2026-05-10", "8.00"))
	if !errors.As(err, &verr) || verr[models.BillInvoiceNumberField] != "Initech's invoice NW‐2301 is already entered as "+later.Number+"." {
		t.Errorf("a new bill of the number, the earlier void: %v", err)
	}
	if _, err := models.SaveBill(ctx, w.db, w.clerk(), later.ID, w.plainBill("NW‐2301", "2026-04-10", "6.00")); err != nil {
		t.Fatalf("the later look-alike saved, the earlier void: %v", err)
	}
	var still bool
	w.must(w.db.Raw(`SELECT invoice_number_lookalike FROM bills WHERE id = ?`, later.ID).Scan(&still).Error)
	if still {
		t.Error("the later look-alike, saved, is still left out of the unique index")
	}
}

// On a database whose encoding is not UTF8 (which has no Unicode normalisation) the tenant
// migrations still run, and invoice numbers still compare folding case and outer spaces.
func TestInvoiceNumbersOnADatabaseThatIsNotUTF8(t *testing.T) {
	t.Parallel()
	env := dbtest.NewEnv(t)
	tn := env.NewTenantFrom(t, "acme", "Acme Corporation", dbtest.SQLASCIITemplate(t))
	db := env.DB(t, tn)
	var encoding, key string
	if err := db.Raw(`SELECT current_setting('server_encoding'), invoice_number_key('  NW-2301 ')`).Row().Scan(&encoding, &key); err != nil {
		t.Fatal(err)
	}
	if encoding != "SQL_ASCII" || key != "nw-2301" {
		t.Errorf("on %s, the key of '  NW-2301 ' is %q", encoding, key)
	}
}
