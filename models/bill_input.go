package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
)

// BillInput is a bill as the clerk typed it: every field a raw string, so that the form can
// be shown again beside its errors.
type BillInput struct {
	Vendor              string `form:"vendor"`         // vendor id
	PurchaseOrder       string `form:"purchase_order"` // order id, "" for a bill without an order
	VendorInvoiceNumber string `form:"vendor_invoice_number"`
	InvoiceDate         string `form:"invoice_date"` // YYYY-MM-DD
	DueDate             string `form:"due_date"`     // YYYY-MM-DD; "" takes the vendor's payment terms
	Currency            string `form:"currency"`     // "" takes the order's, else the vendor's
	Memo                string `form:"memo"`
	// ConfirmDuplicate: the clerk ticked that a bill flagged as a possible duplicate is not.
	ConfirmDuplicate bool            `form:"confirm_duplicate"`
	Lines            []BillLineInput `form:"lines"`
	FormKey          string          `form:"form_key"`
	// FormVersion is the version of the stored bill an edit form was read at.
	FormVersion
}

// BillLineInput is one line as typed. On a bill of an order each line names its order line
// (a line left without a quantity is not billed this time); without an order each line is
// coded to a GL account and a department.
type BillLineInput struct {
	LineInput
	OrderLine  string `form:"order_line"` // purchase order line id
	Department string `form:"department"` // department id
}

// Blank reports whether nothing was billed on the line.
func (l BillLineInput) Blank() bool {
	if l.OrderLine != "" {
		return strings.TrimSpace(l.Quantity) == ""
	}
	return l.LineInput.Blank()
}

// Limits of a bill's text.
const (
	MaxBillLines           = MaxRequisitionLines
	MaxInvoiceNumber       = 100
	MaxBillMemo            = 2000
	DuplicateWindowDays    = 3
	BillDuplicateField     = "confirm_duplicate"
	BillInvoiceNumberField = "vendor_invoice_number"
)

// billHeader is a BillInput's header, parsed and checked.
type billHeader struct {
	Vendor        Vendor
	Order         *PurchaseOrder
	InvoiceNumber string
	InvoiceDate   time.Time
	DueDate       time.Time
	Currency      string
	Memo          string
	FormKey       *string
}

// PricedBill is a bill being keyed in, priced: what SaveBill stores and the form shows.
type PricedBill struct {
	Header billHeader
	Lines  []BillLine
	Totals money.Totals
}

// SaveBill stores a new bill (id 0) or changes an editable one, as a draft: everything typed
// is checked, each problem beside its field, and nothing is stored while any remains; an
// edit form read at an older version of the bill is refused (StaleFormError). The
// same vendor's invoice number is refused; a bill of the same vendor and amount dated within
// DuplicateWindowDays of another is refused until the clerk confirms it.
func SaveBill(ctx context.Context, db *gorm.DB, v Viewer, id int64, in BillInput) (*Bill, error) {
	var b Bill
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id != 0 {
			if err := lockEditableBill(tx, v, id, &b); err != nil {
				return err
			}
			if err := in.checkUnchanged("bill", b.UpdatedAt); err != nil {
				return err
			}
		} else if key := formKeyOf(in.FormKey); key != nil {
			// The same new-bill form posted again finds the bill its first post made, before
			// anything is checked again (its invoice number would be found taken by that
			// bill); posts at once are taken one after the other.
			if saved, err := formAlreadySaved(tx, "bill", "entered_by_id", v.UserID, *key, &b); saved || err != nil {
				return cmp.Or(err, ErrBillFormAlreadySaved)
			}
		}
		draft, err := checkBill(tx, id, in)
		if err != nil {
			return err
		}
		return writeBill(tx, v, &b, draft, in.ConfirmDuplicate)
	})
	if errors.Is(err, ErrBillFormAlreadySaved) {
		return &b, err
	}
	if err != nil {
		return nil, uniqueInvoiceNumber(err)
	}
	return &b, nil
}

// ErrBillFormAlreadySaved refuses a new-bill form posted a second time (a double click on
// Submit); SaveBill returns the bill its first post made with it.
var ErrBillFormAlreadySaved = outlay.Conflict("This form was already saved.")

// uniqueInvoiceNumber turns the unique index's refusal (two clerks saving the same invoice
// at once) into the message the first check gives.
func uniqueInvoiceNumber(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" && pg.ConstraintName == "bills_vendor_invoice_key" {
		return outlay.ValidationErrors{BillInvoiceNumberField: "This vendor's invoice with that number is already entered."}
	}
	return err
}

// lockEditableBill locks a bill the viewer may see and change.
func lockEditableBill(tx *gorm.DB, v Viewer, id int64, b *Bill) error {
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Scopes(billKind.visible(v)).Where("bills.id = ?", id).First(b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return outlay.NotFound("There is no such bill.")
	}
	if err != nil {
		return err
	}
	if !b.Editable() {
		return outlay.Conflict("This bill is " + strings.ReplaceAll(b.Status, "_", " ") + " and can no longer be changed.")
	}
	return addAuthor(tx, "bills", b.ID, b.EnteredByID, &b.Authors, v.UserID)
}

// addAuthor records userID among the authors of the bill or payment run id (table), unless
// they made it (owner) or are recorded already: whoever changes or submits it never approves
// it. The caller holds the row's lock, and a refusal after this rolls it back.
func addAuthor(tx *gorm.DB, table string, id, owner int64, authors *IDList, userID int64) error {
	if userID == owner || authors.Has(userID) {
		return nil
	}
	*authors = append(*authors, userID)
	return tx.Exec(`UPDATE `+table+` SET authors = array_append(authors, ?) WHERE id = ?`, userID, id).Error
}

// PriceBill checks and prices what the clerk typed without storing anything: for the form's
// live total and its messages.
func PriceBill(ctx context.Context, db *gorm.DB, id int64, in BillInput) (*PricedBill, error) {
	return checkBill(db.WithContext(ctx), id, in)
}

// checkBill parses, checks and prices in (for the bill id, 0 when new).
func checkBill(tx *gorm.DB, id int64, in BillInput) (*PricedBill, error) {
	verr := outlay.ValidationErrors{}
	d := &PricedBill{}
	h := &d.Header
	if err := checkBillHeader(tx, verr, in, h); err != nil {
		return nil, err
	}
	var orderLines map[int64]PurchaseOrderLine
	if h.Order != nil {
		var lines []PurchaseOrderLine
		if err := tx.Where("purchase_order_id = ?", h.Order.ID).Find(&lines).Error; err != nil {
			return nil, err
		}
		orderLines = map[int64]PurchaseOrderLine{}
		for _, l := range lines {
			orderLines[l.ID] = l
		}
	}
	if len(in.Lines) > MaxBillLines {
		verr.Add("lines", fmt.Sprintf("A bill has at most %d lines.", MaxBillLines))
		in.Lines = in.Lines[:MaxBillLines]
	}
	var typed []LineInput
	var rows []int
	refused := 0 // lines refused before they could be priced
	for i, l := range in.Lines {
		if l.Blank() {
			continue
		}
		li := l.LineInput
		if h.Order != nil {
			ol, err := optionalID(l.OrderLine)
			line, ok := PurchaseOrderLine{}, false
			if err == nil && ol != nil {
				line, ok = orderLines[*ol]
			}
			if !ok {
				verr.Add(LineField(i, "description"), "This line is not on the order.")
				refused++
				continue
			}
			li.Description, li.GLAccount = line.Description, ""
		}
		if q := strings.TrimSpace(li.Quantity); strings.HasPrefix(q, "-") {
			verr.Add(LineField(i, "quantity"), "A quantity cannot be negative. Enter what the invoice bills, above zero.")
			refused++
			continue
		}
		typed = append(typed, li)
		rows = append(rows, i)
	}
	currency := h.Currency
	if currency == "" {
		currency = "USD" // only to price; the header's error is shown
	}
	priced, lverr := PriceLines(typed, currency, "bill")
	for k, msg := range lverr {
		// PriceLines numbers rows among the typed lines; the form numbers every row.
		var r int
		var field string
		if _, err := fmt.Sscanf(k, "line-%d-%s", &r, &field); err == nil && r < len(rows) {
			verr.Add(LineField(rows[r], field), msg)
		} else {
			verr.Add(k, msg)
		}
	}
	for _, p := range priced.Lines {
		row := rows[p.Row]
		in := in.Lines[row]
		l := BillLine{Position: len(d.Lines) + 1, Description: p.Description, QuantityMilli: p.Quantity, UnitPriceMinor: p.UnitPrice,
			TaxRateBP: p.TaxRateBP, AmountMinor: p.Amount, TaxMinor: p.Tax, MatchStatus: MatchNone}
		if h.Order != nil {
			ol, _ := optionalID(in.OrderLine)
			line := orderLines[*ol]
			l.PurchaseOrderLineID, l.GLAccountID = &line.ID, line.GLAccountID
		} else {
			var err error
			if l.GLAccountID, err = optionalID(in.GLAccount); err != nil || l.GLAccountID == nil {
				verr.Add(LineField(row, "gl_account"), "Choose the GL account this line is booked to.")
			}
			if l.DepartmentID, err = optionalID(in.Department); err != nil || l.DepartmentID == nil {
				verr.Add(LineField(row, "department"), "Choose the department this line is for.")
			}
		}
		d.Lines = append(d.Lines, l)
	}
	if len(d.Lines) == 0 && len(lverr) == 0 && !hasLineError(verr) {
		verr.Add("lines", "Bill at least one line.")
	} else if len(d.Lines) > 0 && len(lverr) == 0 && refused == 0 && priced.Totals.Total == 0 {
		// There are no credit notes: a bill is money owed, so one that comes to nothing is a
		// mistake (prices or quantities left at zero), never something to approve and pay.
		// Said only when every line typed was priced, so that it is the bill's whole total.
		verr.Add("lines", "This bill's total is zero: enter the quantities and prices the invoice bills. An invoice that asks for nothing needs no bill.")
	}
	if h.Order != nil {
		if err := orderDepartment(tx, h.Order, d.Lines); err != nil {
			return nil, err
		}
	} else if err := checkBillLineReferences(tx, verr, d.Lines); err != nil {
		return nil, err
	}
	d.Totals = priced.Totals
	// The invoice number already entered is said with every other problem, not after them.
	if h.Vendor.ID != 0 && h.InvoiceNumber != "" && verr[BillInvoiceNumberField] == "" {
		if err := checkInvoiceNumber(tx, id, h, verr); err != nil {
			return nil, err
		}
	}
	if err := verr.Err(); err != nil {
		return d, err
	}
	return d, nil
}

func hasLineError(verr outlay.ValidationErrors) bool {
	for k := range verr {
		if strings.HasPrefix(k, "line-") {
			return true
		}
	}
	return false
}

// checkBillHeader reads the header's fields into h, adding a message beside each bad one.
func checkBillHeader(tx *gorm.DB, verr outlay.ValidationErrors, in BillInput, h *billHeader) error {
	vendorID, err := optionalID(in.Vendor)
	if err != nil || vendorID == nil {
		verr.Add("vendor", "Choose the vendor who sent the invoice.")
	} else if err := tx.First(&h.Vendor, *vendorID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		verr.Add("vendor", "Choose a vendor from the list.")
	} else if err != nil {
		return err
	} else if h.Vendor.ArchivedAt != nil {
		// A draft keeps a vendor archived after it was saved, and its form still shows the
		// name: say why that vendor no longer does. (One on hold still sends bills.)
		verr.Add("vendor", h.Vendor.Name+" is archived: restore it or choose another vendor.")
	}
	if orderID, err := optionalID(in.PurchaseOrder); err != nil {
		verr.Add("purchase_order", "Choose an order from the list.")
	} else if orderID != nil {
		var po PurchaseOrder
		err := tx.First(&po, *orderID).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			verr.Add("purchase_order", "Choose an order from the list.")
		case err != nil:
			return err
		case po.Status == POClosed || po.Status == POCancelled:
			verr.Add("purchase_order", po.Number+" is "+po.Status+", so it can no longer be billed.")
		case h.Vendor.ID != 0 && po.VendorID != h.Vendor.ID:
			verr.Add("purchase_order", po.Number+" was ordered from another vendor.")
		default:
			h.Order = &po
		}
	}
	h.Currency = strings.TrimSpace(in.Currency)
	switch {
	case h.Currency == "" && h.Order != nil:
		h.Currency = h.Order.Currency
	case h.Currency == "":
		h.Currency = h.Vendor.Currency
	case !money.ValidCurrency(h.Currency):
		verr.Add("currency", "Choose a currency.")
	case h.Order != nil && h.Currency != h.Order.Currency:
		verr.Add("currency", fmt.Sprintf("%s is in %s: a bill for it must be in %s too.", h.Order.Number, h.Order.Currency, h.Order.Currency))
	}
	h.InvoiceNumber = strings.TrimSpace(in.VendorInvoiceNumber)
	switch n := utf8.RuneCountInString(h.InvoiceNumber); {
	case n == 0:
		verr.Add(BillInvoiceNumberField, "Enter the invoice number printed on the vendor's invoice.")
	case n > MaxInvoiceNumber:
		verr.Add(BillInvoiceNumberField, tooLong("An invoice number", MaxInvoiceNumber, n))
	case !plainText(h.InvoiceNumber):
		verr.Add(BillInvoiceNumberField, "Use plain text.")
	}
	invoiceOK := false
	if s := strings.TrimSpace(in.InvoiceDate); s == "" {
		verr.Add("invoice_date", "Enter the invoice date.")
	} else if d, err := billDate(s); err != nil {
		verr.Add("invoice_date", err.Error())
	} else if !refuseAfterToday(verr, "invoice_date", d, today(), "check the invoice's date.") {
		h.InvoiceDate, invoiceOK = d, true
	}
	if s := strings.TrimSpace(in.DueDate); s != "" {
		d, err := billDate(s)
		switch {
		case err != nil:
			verr.Add("due_date", err.Error())
		case invoiceOK && d.Before(h.InvoiceDate):
			verr.Add("due_date", "The due date cannot be before the invoice date ("+h.InvoiceDate.Format(time.DateOnly)+").")
		default:
			h.DueDate = d
		}
	} else if invoiceOK {
		h.DueDate = DueDate(h.InvoiceDate, h.Vendor.PaymentTermsDays)
	}
	h.Memo = strings.TrimSpace(in.Memo)
	if n := utf8.RuneCountInString(h.Memo); n > MaxBillMemo {
		verr.Add("memo", tooLong("A memo", MaxBillMemo, n))
	} else if !plainText(h.Memo) {
		verr.Add("memo", "Use plain text.")
	}
	h.FormKey = formKeyOf(in.FormKey)
	return nil
}

// DueDate is when a bill dated invoiceDate is due under payment terms of days.
func DueDate(invoiceDate time.Time, days int) time.Time { return invoiceDate.AddDate(0, 0, days) }

func billDate(s string) (time.Time, error) { return ParseDay(s) }

// orderDepartment books an order's bill lines to the requisition's department.
func orderDepartment(tx *gorm.DB, po *PurchaseOrder, lines []BillLine) error {
	var dept *int64
	if err := tx.Raw(`SELECT department_id FROM requisitions WHERE id = ?`, po.RequisitionID).Scan(&dept).Error; err != nil {
		return err
	}
	for i := range lines {
		lines[i].DepartmentID = dept
	}
	return nil
}

// checkBillLineReferences refuses a GL account or department that does not exist or is
// archived.
func checkBillLineReferences(tx *gorm.DB, verr outlay.ValidationErrors, lines []BillLine) error {
	for i, l := range lines {
		for _, ref := range []struct {
			field, table string
			id           *int64
		}{{"gl_account", "gl_accounts", l.GLAccountID}, {"department", "departments", l.DepartmentID}} {
			if ref.id == nil {
				continue
			}
			if err := checkActiveReference(tx, verr, LineField(i, ref.field), ref.table, *ref.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkInvoiceNumber refuses, into verr, the vendor's invoice number when another bill that
// is not void has it, spelt alike: invoice_number_key (migration 00127) folds case, Unicode's
// compatibility forms and dashes, as the unique index does. Of a pair of look-alikes entered
// before they were refused, the later (marked invoice_number_lookalike) is refused when it is
// saved, naming the earlier, and the earlier is not refused for the later (a new bill is
// refused for either). The first half
// reads the unique index (its predicate spelt as the index's); the second, the rare marked
// bills entered before this one.
func checkInvoiceNumber(tx *gorm.DB, id int64, h *billHeader, verr outlay.ValidationErrors) error {
	var other struct {
		Number, VendorInvoiceNumber string
	}
	err := tx.Raw(`SELECT number, vendor_invoice_number FROM (
			SELECT id, number, vendor_invoice_number FROM bills
			WHERE vendor_id = @vendor AND status <> 'void' AND NOT invoice_number_lookalike
				AND invoice_number_key(vendor_invoice_number) = invoice_number_key(@number) AND id <> @id
			UNION ALL
			SELECT id, number, vendor_invoice_number FROM bills
			WHERE vendor_id = @vendor AND status <> 'void' AND invoice_number_lookalike AND (@id = 0 OR id < @id)
				AND invoice_number_key(vendor_invoice_number) = invoice_number_key(@number)) b
		ORDER BY id LIMIT 1`,
		map[string]any{"vendor": h.Vendor.ID, "number": h.InvoiceNumber, "id": id}).Scan(&other).Error
	if err != nil {
		return err
	}
	if other.Number != "" {
		verr.Add(BillInvoiceNumberField, fmt.Sprintf("%s's invoice %s is already entered as %s.",
			h.Vendor.Name, other.VendorInvoiceNumber, other.Number))
	}
	return nil
}

// PossibleDuplicate is another bill of the same vendor and total, dated within
// DuplicateWindowDays of this one.
type PossibleDuplicate struct {
	ID          int64
	Number      string
	InvoiceDate time.Time
	Total       money.Money
}

// possibleDuplicate finds the bill that makes this one look like a duplicate, if any.
func possibleDuplicate(tx *gorm.DB, id, vendorID int64, total money.Money, invoiceDate time.Time) (*PossibleDuplicate, error) {
	var rows []struct {
		ID          int64
		Number      string
		InvoiceDate time.Time
	}
	err := tx.Raw(`SELECT id, number, invoice_date FROM bills WHERE vendor_id = ? AND total_minor = ? AND currency = ? AND id <> ?
		AND status <> ? AND invoice_date BETWEEN (?::date - ?::int) AND (?::date + ?::int) ORDER BY invoice_date, id LIMIT 1`,
		vendorID, total.Minor, total.Currency, id, BillVoid, invoiceDate, DuplicateWindowDays, invoiceDate, DuplicateWindowDays).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &PossibleDuplicate{ID: rows[0].ID, Number: rows[0].Number, InvoiceDate: rows[0].InvoiceDate, Total: total}, nil
}

// checkDuplicate looks for a bill that b (with vendor, total and invoice date as given) may
// duplicate, and refuses b unless the clerk confirms it now (confirm) or confirmed it before
// against that same bill: a bill changed since its confirmation, or one another bill now
// looks like, is asked again; one already confirmed is not. It gives the bill confirmed
// against, nil when there is none.
func checkDuplicate(tx *gorm.DB, b *Bill, vendor Vendor, total money.Money, invoiceDate time.Time, confirm bool) (*int64, error) {
	dup, err := possibleDuplicate(tx, b.ID, vendor.ID, total, invoiceDate)
	if err != nil || dup == nil {
		return nil, err
	}
	already := b.DuplicateConfirmed && (b.DuplicateConfirmedOfID == nil || *b.DuplicateConfirmedOfID == dup.ID)
	if !confirm && !already {
		return nil, outlay.ValidationErrors{BillDuplicateField: fmt.Sprintf(
			"%s from %s is also %s, dated %s. Tick this box if this invoice is a different one.",
			dup.Number, vendor.Name, total, dup.InvoiceDate.Format("2 Jan 2006"))}
	}
	return &dup.ID, nil
}

// writeBill stores the checked draft onto b (a new bill when b.ID is 0), replacing its lines.
func writeBill(tx *gorm.DB, v Viewer, b *Bill, d *PricedBill, confirmed bool) error {
	h := d.Header
	total := money.Money{Minor: d.Totals.Total, Currency: h.Currency}
	dupOf, err := checkDuplicate(tx, b, h.Vendor, total, h.InvoiceDate, confirmed)
	if err != nil {
		return err
	}
	now := time.Now()
	b.VendorID, b.VendorInvoiceNumber, b.InvoiceDate, b.DueDate, b.Currency = h.Vendor.ID, h.InvoiceNumber, h.InvoiceDate, h.DueDate, h.Currency
	b.PurchaseOrderID = nil
	if h.Order != nil {
		b.PurchaseOrderID = &h.Order.ID
	}
	b.SubtotalMinor, b.TaxMinor, b.TotalMinor = d.Totals.Subtotal, d.Totals.Tax, d.Totals.Total
	b.Memo, b.DuplicateConfirmed, b.DuplicateConfirmedOfID, b.UpdatedAt = h.Memo, dupOf != nil, dupOf, now
	b.MatchStatus, b.MatchMode, b.VarianceBP = MatchNone, nil, 0
	if b.ID == 0 {
		number, err := NextNumber(tx, NumberBill)
		if err != nil {
			return err
		}
		b.Number, b.Status, b.EnteredByID, b.FormKey = number, BillDraft, v.UserID, h.FormKey
		if err := tx.Create(b).Error; err != nil {
			return err
		}
	} else {
		if err := tx.Model(&Bill{ID: b.ID}).Select("vendor_id", "purchase_order_id", "vendor_invoice_number", "invoice_date", "due_date",
			"currency", "subtotal_minor", "tax_minor", "total_minor", "memo", "duplicate_confirmed", "duplicate_confirmed_of_id", "match_status", "match_mode",
			"variance_bp", "updated_at").Updates(b).Error; err != nil {
			return err
		}
		// A look-alike entered before they were refused that saves now (its earlier twin
		// voided, or its number corrected) passed the check: the unique index holds it again.
		if err := tx.Exec(`UPDATE bills SET invoice_number_lookalike = false WHERE id = ? AND invoice_number_lookalike`, b.ID).Error; err != nil {
			return err
		}
		var old []BillLine
		if err := tx.Where("bill_id = ?", b.ID).Find(&old).Error; err != nil {
			return err
		}
		// One by one, so that each removed line is its own audit row.
		for i := range old {
			if err := tx.Delete(&old[i]).Error; err != nil {
				return err
			}
		}
	}
	for i := range d.Lines {
		d.Lines[i].BillID = b.ID
		if err := tx.Create(&d.Lines[i]).Error; err != nil {
			return err
		}
	}
	b.Lines = d.Lines
	return nil
}
