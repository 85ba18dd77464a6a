package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/mail"
	"outlay/money"
)

// ErrAlreadyOrdered refuses a second purchase order for a requisition; CreatePurchaseOrder
// returns the existing order with it, so a double click lands on the one order.
var ErrAlreadyOrdered = outlay.Conflict("That requisition has already been ordered.")

// CreatePurchaseOrder turns an approved requisition the viewer may see into a purchase order
// with the next PO number, copying its vendor, delivery location, lines and totals, and marks
// the requisition ordered. The requisition row is locked for the transaction, so two clerks
// clicking at once make one order: the second gets ErrAlreadyOrdered and that order.
func CreatePurchaseOrder(ctx context.Context, db *gorm.DB, v Viewer, requisitionID int64) (*PurchaseOrder, error) {
	var po *PurchaseOrder
	var existing *PurchaseOrder
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Requisition
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Scopes(VisibleRequisitions(v)).
			Where("requisitions.id = ?", requisitionID).First(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return outlay.NotFound("There is no such requisition.")
		}
		if err != nil {
			return err
		}
		if r.Status == RequisitionOrdered {
			var prev PurchaseOrder
			if err := tx.Where("requisition_id = ?", r.ID).First(&prev).Error; err != nil {
				return err
			}
			existing = &prev
			return ErrAlreadyOrdered
		}
		if r.Status != RequisitionApproved {
			return outlay.Conflict("Only an approved requisition can be ordered; this one is " + strings.ReplaceAll(r.Status, "_", " ") + ".")
		}
		if r.VendorID == nil {
			return outlay.Conflict("This requisition names no vendor. Ask the requester to choose one before it is ordered.")
		}
		var vendor Vendor
		if err := tx.First(&vendor, *r.VendorID).Error; err != nil {
			return err
		}
		if vendor.ArchivedAt != nil || vendor.Status != VendorActive {
			return outlay.Conflict(vendor.Name + " is not an active vendor, so nothing can be ordered from them.")
		}
		var lines []RequisitionLine
		if err := tx.Where("requisition_id = ?", r.ID).Order("position").Find(&lines).Error; err != nil {
			return err
		}
		if len(lines) == 0 {
			return outlay.Conflict("This requisition has no lines to order.")
		}
		number, err := NextNumber(tx, NumberPurchaseOrder)
		if err != nil {
			return err
		}
		var settings OrgSettings
		if err := tx.First(&settings, 1).Error; err != nil {
			return err
		}
		po = &PurchaseOrder{Number: number, RequisitionID: r.ID, VendorID: vendor.ID, LocationID: r.LocationID, Currency: r.Currency,
			SubtotalMinor: r.SubtotalMinor, TaxMinor: r.TaxMinor, TotalMinor: r.TotalMinor, Status: POOpen, CreatedBy: v.UserID,
			PaymentTerms: VendorTerms(vendor.PaymentTermsDays), BillToAddress: settings.BillToAddress}
		if err := tx.Create(po).Error; err != nil {
			return err
		}
		poLines := make([]PurchaseOrderLine, 0, len(lines))
		for _, l := range lines {
			poLines = append(poLines, PurchaseOrderLine{PurchaseOrderID: po.ID, RequisitionLineID: &l.ID, Position: l.Position,
				Description: l.Description, QuantityMilli: l.QuantityMilli, UnitPriceMinor: l.UnitPriceMinor, TaxRateBP: l.TaxRateBP,
				GLAccountID: l.GLAccountID, AmountMinor: l.AmountMinor, TaxMinor: l.TaxMinor})
		}
		if err := tx.Create(&poLines).Error; err != nil {
			return err
		}
		if err := tx.Model(&r).Updates(map[string]any{"status": RequisitionOrdered, "updated_at": time.Now()}).Error; err != nil {
			return err
		}
		return notifyOrdered(tx, r, po, vendor.Name, v.UserID)
	})
	if errors.Is(err, ErrAlreadyOrdered) {
		return existing, err
	}
	if err != nil {
		return nil, err
	}
	return po, nil
}

// PurchaseOrderOf is the order made from a requisition, or nil when there is none.
func PurchaseOrderOf(ctx context.Context, db *gorm.DB, requisitionID int64) (*PurchaseOrder, error) {
	var po PurchaseOrder
	err := db.WithContext(ctx).Where("requisition_id = ?", requisitionID).First(&po).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &po, nil
}

// Receivable reports whether goods may still be received against the order.
func (p PurchaseOrder) Receivable() bool {
	return p.Status == POOpen || p.Status == POPartiallyReceived
}

// Closable reports whether the order may be closed by hand.
func (p PurchaseOrder) Closable() bool { return p.Receivable() }

// Remaining is how much of the line has yet to arrive.
func (l PurchaseOrderLine) Remaining() money.Quantity { return l.QuantityMilli - l.ReceivedMilli }

// ReceiptInput is a receipt as typed: a quantity per order line id (blank or zero for none),
// the day the goods came, and a note.
type ReceiptInput struct {
	Quantities map[int64]string `form:"qty-*"`
	ReceivedOn string           `form:"received_on"` // YYYY-MM-DD; empty is today
	Note       string           `form:"note"`
	// SeenReceipts, when set, is how many receipts the order had when the form was drawn:
	// if another has been recorded since, this one is refused, so that a form posted twice
	// does not receive the goods twice.
	SeenReceipts *int
}

// ReceiptField is the form field of a line's quantity, the key of its error.
func ReceiptField(lineID int64) string { return "qty-" + strconv.FormatInt(lineID, 10) }

// RecordReceipt records goods arriving against an open or partly received order: a quantity
// per line, at least one above zero, none above what remains of its line. The order row is
// locked, so concurrent receipts are checked one after the other and cannot together receive
// more than was ordered. Refusals name the field and write nothing.
func RecordReceipt(ctx context.Context, db *gorm.DB, userID, poID int64, in ReceiptInput) (*Receipt, error) {
	var receipt *Receipt
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		po, err := lockPurchaseOrder(tx, poID)
		if err != nil {
			return err
		}
		if !po.Receivable() {
			return outlay.Conflict("Nothing more can be received against " + po.Number + ": it is " + strings.ReplaceAll(po.Status, "_", " ") + ".")
		}
		if in.SeenReceipts != nil {
			var n int64
			if err := tx.Model(&Receipt{}).Where("purchase_order_id = ?", po.ID).Count(&n).Error; err != nil {
				return err
			}
			if n != int64(*in.SeenReceipts) {
				return outlay.Conflict("A receipt was recorded on " + po.Number + " since this form was opened. Check the receipts, then enter only what is still to come.")
			}
		}
		var lines []PurchaseOrderLine
		if err := tx.Where("purchase_order_id = ?", po.ID).Order("position").Find(&lines).Error; err != nil {
			return err
		}
		errs := outlay.ValidationErrors{}
		on := receiptDate(errs, po, in.ReceivedOn)
		note := strings.TrimSpace(in.Note)
		if n := utf8.RuneCountInString(note); n > 2000 {
			errs.Add("note", tooLong("The note", 2000, n))
		} else if !plainText(note) {
			errs.Add("note", "Use plain text.")
		}
		got := map[int64]money.Quantity{}
		for _, l := range lines {
			typed := strings.TrimSpace(in.Quantities[l.ID])
			if typed == "" || isZero(typed) {
				continue
			}
			q, err := money.ParseQuantity(typed)
			if err != nil {
				errs.Add(ReceiptField(l.ID), err.Error())
				continue
			}
			if q > l.Remaining() {
				errs.Add(ReceiptField(l.ID), fmt.Sprintf("Line %d (%s): only %s remain to be received.", l.Position, l.Description, l.Remaining()))
				continue
			}
			got[l.ID] = q
		}
		if len(got) == 0 && len(errs) == 0 {
			errs.Add("", "Enter the quantity received of at least one line.")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		receipt = &Receipt{PurchaseOrderID: po.ID, ReceivedBy: userID, ReceivedOn: on, Note: note}
		if err := tx.Create(receipt).Error; err != nil {
			return err
		}
		at := time.Now()
		complete := true
		var received []string
		for i := range lines {
			l := &lines[i]
			if q, ok := got[l.ID]; ok {
				received = append(received, fmt.Sprintf("%s: %s received", l.Description, q))
				if err := tx.Create(&ReceiptLine{ReceiptID: receipt.ID, PurchaseOrderLineID: l.ID, QuantityMilli: q}).Error; err != nil {
					return err
				}
				received := l.ReceivedMilli + q
				if err := tx.Model(l).Updates(map[string]any{"received_milli": received, "updated_at": at}).Error; err != nil {
					return err
				}
				// GORM may or may not copy a map's values onto the model: say it once.
				l.ReceivedMilli = received
			}
			complete = complete && l.Remaining() == 0
		}
		status := POPartiallyReceived
		if complete {
			status = POReceived
		}
		if err := tx.Model(po).Updates(map[string]any{"status": status, "updated_at": at}).Error; err != nil {
			return err
		}
		return notifyReceived(tx, po, userID, received, complete)
	})
	if err != nil {
		return nil, err
	}
	return receipt, nil
}

func isZero(s string) bool { return strings.Trim(s, "0.,") == "" }

// receiptDate reads the day goods of po arrived, today when none is typed. Goods arrive on
// or after the day they are ordered, and by today: a day before the order's date (its day in
// UTC, as the order shows and prints it) or after today is refused beside the field.
func receiptDate(verr outlay.ValidationErrors, po *PurchaseOrder, s string) time.Time {
	day := today()
	if strings.TrimSpace(s) == "" {
		return day
	}
	d, err := ParseDay(s)
	if err != nil {
		verr.Add("received_on", err.Error())
		return day
	}
	if refuseAfterToday(verr, "received_on", d, day, "enter the day the goods arrived.") {
		return day
	}
	if ordered, _ := ReceiptDays(po.CreatedAt); d.Before(ordered) {
		verr.Add("received_on", fmt.Sprintf("The date is before %s was ordered, on %s: enter the day the goods arrived.",
			po.Number, ordered.Format("2 Jan 2006")))
	}
	return d
}

// ReceiptDays are the first and the last day goods of an order placed at orderedAt can be
// recorded as received on (receiptDate refuses any other): the order's day, in UTC as the
// order shows it, and today, with the day of slack for time zones ahead of UTC.
func ReceiptDays(orderedAt time.Time) (first, last time.Time) {
	return orderedAt.UTC().Truncate(24 * time.Hour), today().AddDate(0, 0, MaxFutureDays)
}

func lockPurchaseOrder(tx *gorm.DB, id int64) (*PurchaseOrder, error) {
	var po PurchaseOrder
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&po, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("There is no such purchase order.")
	}
	return &po, err
}

// ClosePurchaseOrder closes an open or partly received order by hand, with the reason.
func ClosePurchaseOrder(ctx context.Context, db *gorm.DB, userID, poID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	switch {
	case !hasVisible(reason):
		return outlay.ValidationErrors{"reason": "Say why the order is closed."}
	case utf8.RuneCountInString(reason) > 1000:
		return outlay.ValidationErrors{"reason": tooLong("The reason", 1000, utf8.RuneCountInString(reason))}
	case !plainText(reason):
		return outlay.ValidationErrors{"reason": "Use plain text."}
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		po, err := lockPurchaseOrder(tx, poID)
		if err != nil {
			return err
		}
		if !po.Closable() {
			return outlay.Conflict(po.Number + " is already " + strings.ReplaceAll(po.Status, "_", " ") + ".")
		}
		at := time.Now()
		return tx.Model(po).Updates(map[string]any{"status": POClosed, "closed_at": at, "closed_by": userID, "close_reason": reason, "updated_at": at}).Error
	})
}

// VendorTerms is how an order states a vendor's payment terms.
func VendorTerms(days int) string {
	if days == 0 {
		return "Due on receipt"
	}
	return "Net " + strconv.Itoa(days) + " days"
}

// OrderTermsInput is the form of what an order tells the vendor besides its lines, as typed.
type OrderTermsInput struct {
	FormVersion          // of the order, as its page was read
	PaymentTerms  string `form:"payment_terms"`
	BillToAddress string `form:"bill_to_address"`
	ExpectedOn    string `form:"expected_on"` // YYYY-MM-DD or empty
	VendorNotes   string `form:"vendor_notes"`
}

// Limits of the order's terms, in characters.
const (
	MaxPaymentTerms = 200
	MaxBillTo       = 500
	MaxVendorNotes  = 2000
)

// UpdateOrderTerms changes an order's payment terms, bill-to address, expected delivery date
// and notes to the vendor. They may change until goods are received; after that (or once the
// order is closed) the order is what the vendor was sent and the edit is refused. A form read
// before the order last changed is refused (StaleFormError).
func UpdateOrderTerms(ctx context.Context, db *gorm.DB, poID int64, in OrderTermsInput) error {
	terms, billTo, notes := strings.TrimSpace(in.PaymentTerms), strings.TrimSpace(in.BillToAddress), strings.TrimSpace(in.VendorNotes)
	errs := outlay.ValidationErrors{}
	for _, f := range []struct {
		field, what, value string
		max                int
	}{
		{"payment_terms", "The text of the payment terms", terms, MaxPaymentTerms},
		{"bill_to_address", "A bill-to address", billTo, MaxBillTo},
		{"vendor_notes", "A note to the vendor", notes, MaxVendorNotes},
	} {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			errs[f.field] = tooLong(f.what, f.max, n)
		} else if !plainText(f.value) {
			errs[f.field] = "Use plain text."
		}
	}
	var expected *time.Time
	if s := strings.TrimSpace(in.ExpectedOn); s != "" {
		t, err := ParseDay(s)
		if err != nil {
			errs["expected_on"] = err.Error()
		} else {
			expected = &t
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		po, err := lockPurchaseOrder(tx, poID)
		if err != nil {
			return err
		}
		if po.Status != POOpen {
			return outlay.Conflict(po.Number + " is " + strings.ReplaceAll(po.Status, "_", " ") +
				", so its terms, dates and notes stay as they were sent.")
		}
		if err := in.checkUnchanged("purchase order", po.UpdatedAt); err != nil {
			return err
		}
		return tx.Model(po).Updates(map[string]any{"payment_terms": terms, "bill_to_address": billTo, "expected_on": expected,
			"vendor_notes": notes, "updated_at": time.Now()}).Error
	})
}

// EmailRepeatWindow is how long after an order was emailed a request to email it that does
// not say which emailing its page showed (not the page's button) is taken as a repeat of the
// one that emailed it: a double click or a resent request arrives within it, a vendor's
// "please send it again" does not.
const EmailRepeatWindow = time.Minute

// EmailedVersion names when the order was last emailed as its page shows it: the time to
// the microsecond, or "never". The page's email button sends it back (EmailPurchaseOrder).
func (p PurchaseOrder) EmailedVersion() string {
	if p.EmailedAt == nil {
		return "never"
	}
	return strconv.FormatInt(p.EmailedAt.UnixMicro(), 10)
}

// EmailPurchaseOrder queues the order, as plain text from orgName, for its vendor's email
// address and records when, in one transaction; a job sends it after the commit. It returns
// the queued mail's id, or 0 for a repeat of a request that emailed it, which queues nothing:
// seen is the order's EmailedVersion as the page whose button was pressed showed it, and the
// order emailed since then (a double click, a resent request, a second tab) is not emailed
// again; a request that does not say (seen "") is a repeat within EmailRepeatWindow of the
// last emailing. Requests for one order are taken one after the other (its row's lock).
func EmailPurchaseOrder(ctx context.Context, db *gorm.DB, poID int64, orgName, seen string) (int64, error) {
	var mailID int64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var po PurchaseOrder
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id", "emailed_at").Where("id = ?", poID).Take(&po).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if err == nil && emailRepeated(po, seen) {
			return nil
		}
		d, err := GetPurchaseOrder(ctx, tx, poID) // no such order: not found
		if err != nil {
			return err
		}
		if strings.TrimSpace(d.Vendor.Email) == "" {
			return outlay.Conflict(d.Vendor.Name + " has no email address. Add one on the vendor's page, or print the order and send it.")
		}
		if mailID, err = QueueMail(ctx, tx, MailPurchaseOrder, PurchaseOrderMessage(d, orgName), false); err != nil {
			return fmt.Errorf("email %s: %w", d.Number, err)
		}
		at := time.Now()
		return tx.Model(&d.PurchaseOrder).Updates(map[string]any{"emailed_at": at, "updated_at": at}).Error
	})
	return mailID, err
}

// emailRepeated reports whether a request to email order po, whose page showed the emailing
// seen ("" when it does not say), repeats one that emailed it.
func emailRepeated(po PurchaseOrder, seen string) bool {
	if seen == "" {
		return po.EmailedAt != nil && time.Since(*po.EmailedAt) < EmailRepeatWindow
	}
	return seen != po.EmailedVersion()
}

// PurchaseOrderMessage is the plain-text email of an order to its vendor.
func PurchaseOrderMessage(d *PurchaseOrderDetail, orgName string) mail.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Purchase order %s from %s\n\n", d.Number, orgName)
	fmt.Fprintf(&b, "To: %s\nDate: %s\n", d.Vendor.Name, d.CreatedAt.UTC().Format("2 January 2006"))
	if d.Location != nil {
		fmt.Fprintf(&b, "Deliver to: %s\n", d.Location.Name)
		if d.Location.Address != "" {
			fmt.Fprintf(&b, "            %s\n", strings.ReplaceAll(d.Location.Address, "\n", "\n            "))
		}
	}
	b.WriteString("\n")
	for _, l := range d.Lines {
		fmt.Fprintf(&b, "%d. %s\n   %s × %s = %s", l.Position, l.Description, l.QuantityMilli,
			d.Money(l.UnitPriceMinor), d.Money(l.AmountMinor))
		if l.TaxMinor != 0 {
			fmt.Fprintf(&b, " (tax %s at %s)", d.Money(l.TaxMinor), money.FormatRate(l.TaxRateBP)+"%")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nSubtotal: %s\nTax: %s\nTotal: %s\n", d.Money(d.SubtotalMinor), d.Money(d.TaxMinor), d.Total())
	fmt.Fprintf(&b, "\nPlease quote %s on your invoice and delivery note.\n", d.Number)
	return mail.Message{To: d.Vendor.Email, Subject: fmt.Sprintf("Purchase order %s from %s", d.Number, orgName), Body: b.String()}
}

// PurchaseOrderDetail is an order with everything its page and print show.
type PurchaseOrderDetail struct {
	shown
	PurchaseOrder
	Vendor            Vendor
	Location          *Location
	Lines             []PurchaseOrderLine
	Receipts          []ReceiptDetail
	CreatedByName     string
	ClosedByName      string
	RequisitionNumber string
	RequesterName     string
}

// Money is an amount in the order's currency.
func (d *PurchaseOrderDetail) Money(minor int64) money.Money {
	return money.Money{Minor: minor, Currency: d.Currency}
}

// ReceiptDetail is a receipt with its lines and who recorded it.
type ReceiptDetail struct {
	Receipt
	ReceivedByName string
	Lines          []ReceiptLineDetail `gorm:"-"`
}

// ReceiptLineDetail is one line of a receipt with the order line it was for.
type ReceiptLineDetail struct {
	ReceiptLine
	Position    int
	Description string
}

// GetVisiblePurchaseOrder reads order id as viewer v may see it; one they may not see is
// not found, exactly as one that does not exist.
func GetVisiblePurchaseOrder(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*PurchaseOrderDetail, error) {
	k, _ := FindDocumentKind(DocPurchaseOrder)
	d, err := getPurchaseOrder(db.WithContext(ctx), id, k.visible(v))
	if err != nil {
		return nil, err
	}
	d.shown = shown{Seen{DocPurchaseOrder, id}}
	return d, nil
}

// GetPurchaseOrder reads an order with its vendor, location, lines and receipts.
func GetPurchaseOrder(ctx context.Context, db *gorm.DB, id int64) (*PurchaseOrderDetail, error) {
	return getPurchaseOrder(db.WithContext(ctx), id, func(tx *gorm.DB) *gorm.DB { return tx })
}

// getPurchaseOrder reads order id as GetPurchaseOrder says, if the scope lets the order be
// found.
func getPurchaseOrder(db *gorm.DB, id int64, scope func(*gorm.DB) *gorm.DB) (*PurchaseOrderDetail, error) {
	var d PurchaseOrderDetail
	err := db.Scopes(scope).Where("purchase_orders.id = ?", id).First(&d.PurchaseOrder).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("There is no such purchase order.")
	}
	if err != nil {
		return nil, err
	}
	if err := db.First(&d.Vendor, d.VendorID).Error; err != nil {
		return nil, err
	}
	if d.LocationID != nil {
		d.Location = &Location{}
		if err := db.First(d.Location, *d.LocationID).Error; err != nil {
			return nil, err
		}
	}
	if err := db.Where("purchase_order_id = ?", id).Order("position").Find(&d.Lines).Error; err != nil {
		return nil, err
	}
	var names struct {
		CreatedByName, ClosedByName, RequisitionNumber, RequesterName string
	}
	err = db.Raw(`SELECT cu.name AS created_by_name, COALESCE(xu.name, '') AS closed_by_name,
			COALESCE(r.number, '') AS requisition_number, ru.name AS requester_name
		FROM purchase_orders p
		JOIN users cu ON cu.id = p.created_by
		LEFT JOIN users xu ON xu.id = p.closed_by
		JOIN requisitions r ON r.id = p.requisition_id
		JOIN users ru ON ru.id = r.requester_id
		WHERE p.id = ?`, id).Scan(&names).Error
	if err != nil {
		return nil, err
	}
	d.CreatedByName, d.ClosedByName, d.RequisitionNumber, d.RequesterName = names.CreatedByName, names.ClosedByName, names.RequisitionNumber, names.RequesterName
	var receipts []ReceiptDetail
	err = db.Table("receipts").Select("receipts.*, users.name AS received_by_name").Joins("JOIN users ON users.id = receipts.received_by").
		Where("receipts.purchase_order_id = ?", id).Order("receipts.id DESC").Scan(&receipts).Error
	if err != nil {
		return nil, err
	}
	var lines []ReceiptLineDetail
	err = db.Table("receipt_lines").Select("receipt_lines.*, l.position, l.description").
		Joins("JOIN purchase_order_lines l ON l.id = receipt_lines.purchase_order_line_id").
		Joins("JOIN receipts ON receipts.id = receipt_lines.receipt_id").
		Where("receipts.purchase_order_id = ?", id).Order("l.position").Scan(&lines).Error
	if err != nil {
		return nil, err
	}
	for i := range receipts {
		for _, l := range lines {
			if l.ReceiptID == receipts[i].ID {
				receipts[i].Lines = append(receipts[i].Lines, l)
			}
		}
	}
	d.Receipts = receipts
	return &d, nil
}

// PurchaseOrderFilter narrows the list of orders.
type PurchaseOrderFilter struct {
	Status   string
	VendorID int64
	Query    string // part of the PO number
	Offset   int
	Limit    int
	// ByStatus: the list also reads how many orders there are in each status (every order,
	// whatever the filter says: its status choices), on its page's statement.
	ByStatus bool
}

// PurchaseOrderRow is one order in the list.
type PurchaseOrderRow struct {
	PurchaseOrder
	VendorName        string
	RequisitionNumber string
	RequesterName     string
}

// purchaseOrderRowColumns are the columns of a PurchaseOrderRow, in the order fields reads them.
const purchaseOrderRowColumns = `purchase_orders.id, purchase_orders.number, purchase_orders.requisition_id, purchase_orders.vendor_id,
	purchase_orders.location_id, purchase_orders.currency, purchase_orders.subtotal_minor, purchase_orders.tax_minor,
	purchase_orders.total_minor, purchase_orders.status, purchase_orders.created_by, purchase_orders.emailed_at,
	purchase_orders.closed_at, purchase_orders.closed_by, purchase_orders.close_reason, purchase_orders.payment_terms,
	purchase_orders.bill_to_address, purchase_orders.expected_on, purchase_orders.vendor_notes, purchase_orders.created_at,
	purchase_orders.updated_at,
	COALESCE((SELECT v.name FROM vendors v WHERE v.id = purchase_orders.vendor_id), '') AS vendor_name,
	COALESCE(r.number, '') AS requisition_number, u.name AS requester_name`

func (p *PurchaseOrderRow) fields() []any {
	return []any{&p.ID, &p.Number, &p.RequisitionID, &p.VendorID, &p.LocationID, &p.Currency, &p.SubtotalMinor, &p.TaxMinor,
		&p.TotalMinor, &p.Status, &p.CreatedBy, &p.EmailedAt, &p.ClosedAt, &p.ClosedBy, &p.CloseReason, &p.PaymentTerms,
		&p.BillToAddress, &p.ExpectedOn, &p.VendorNotes, &p.CreatedAt, &p.UpdatedAt,
		&p.VendorName, &p.RequisitionNumber, &p.RequesterName}
}

// PurchaseOrderList is one page of orders and how many match in all.
type PurchaseOrderList struct {
	Rows  []PurchaseOrderRow
	Total int
	// ByStatus is how many orders there are in each status, when the filter asks (ByStatus).
	ByStatus map[string]int
}

// ListPurchaseOrders lists orders matching the filter, newest first.
func ListPurchaseOrders(ctx context.Context, db *gorm.DB, f PurchaseOrderFilter) (PurchaseOrderList, error) {
	db = db.WithContext(ctx)
	if !f.ByStatus {
		rows, total, err := pickedPageOf[PurchaseOrderRow](db, f.scope(db), "purchase_orders", purchaseOrderOrder, f.rows, nil, f.Offset, f.Limit)
		return PurchaseOrderList{Rows: rows, Total: total}, err
	}
	// The counts by status count every order; when a vendor or a search narrows the list
	// further, its total is counted on the same statement.
	var total *gorm.DB
	if f.VendorID != 0 || strings.TrimSpace(f.Query) != "" {
		total = db.Raw("SELECT count(*) FROM (?) o", f.scope(db).Select("1"))
	}
	rows, byStatus, n, err := statusPageOf[PurchaseOrderRow](db, f.scope(db), "purchase_orders", purchaseOrderOrder, f.rows,
		talliesOf(db, "purchase_orders", "", nil), f.Status, total, f.Offset, f.Limit)
	return PurchaseOrderList{Rows: rows, Total: n, ByStatus: byStatus}, err
}

// EachPurchaseOrder calls fn with every order that matches f, in the list's order, reading
// them one at a time from the database (an export of any size).
func EachPurchaseOrder(ctx context.Context, db *gorm.DB, f PurchaseOrderFilter, fn func(PurchaseOrderRow) error) (int, error) {
	return eachRow(f.rows(f.scope(db.WithContext(ctx))), fn)
}

// purchaseOrderOrder is the order list's order, newest first.
const purchaseOrderOrder = "purchase_orders.id DESC"

// rows is what the list reads of each order of q (purchase_orders, or a page of them picked
// under that name), in its order. The vendor's name is a lookup per row: joined, Postgres
// hashed all 5,000 vendors for a page of 25 orders.
func (f PurchaseOrderFilter) rows(q *gorm.DB) *gorm.DB {
	return q.Select(purchaseOrderRowColumns).
		Joins("JOIN requisitions r ON r.id = purchase_orders.requisition_id").
		Joins("JOIN users u ON u.id = r.requester_id").
		Order(purchaseOrderOrder)
}

// scope is the orders the filter matches. It reads only the orders, so that counting them
// does not join what the list shows of each (every order has its vendor, requisition and
// requester).
func (f PurchaseOrderFilter) scope(db *gorm.DB) *gorm.DB {
	q := db.Table("purchase_orders")
	if f.Status != "" {
		q = q.Where("purchase_orders.status = ?", f.Status)
	}
	if f.VendorID != 0 {
		q = q.Where("purchase_orders.vendor_id = ?", f.VendorID)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		q = q.Where("purchase_orders.number ILIKE ?", "%"+escapeLike(s)+"%")
	}
	return q
}
