package models

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"outlay"
	"outlay/money"
)

// VisibleBills limits a query on bills to those the viewer may see: every bill with
// "Every bill" (bills.all read), else the bills they entered and those routed to them.
func VisibleBills(v Viewer) func(*gorm.DB) *gorm.DB { return billKind.visible(v) }

// BillFilter narrows the list of bills.
type BillFilter struct {
	Status      string
	MatchStatus string
	VendorID    int64
	Query       string // part of our number or of the vendor's invoice number
	Offset      int
	Limit       int
	// ByStatus: the list also counts its matches in each status, whatever Status says (its
	// status tabs), on its page's statement, and its total is theirs.
	ByStatus bool
}

// BillRow is one bill in the list.
type BillRow struct {
	Bill
	VendorName  string
	OrderNumber string
}

// BillList is one page of bills and how many match in all.
type BillList struct {
	Rows  []BillRow
	Total int
	// ByStatus is how many match in each status, when the filter asks (ByStatus).
	ByStatus map[string]int
}

// ListBills lists the bills the viewer may see that match the filter, newest first.
func ListBills(ctx context.Context, db *gorm.DB, v Viewer, f BillFilter) (BillList, error) {
	db = db.WithContext(ctx)
	if f.ByStatus {
		whole := f
		whole.Status = ""
		rows, byStatus, total, err := statusPageOf[BillRow](db, f.scope(db, v), "bills", billOrder, f.rows,
			billKind.statusCounts(db, v, f.shows(), whole.scope(db, v)), f.Status, nil, f.Offset, f.Limit)
		return BillList{Rows: rows, Total: total, ByStatus: byStatus}, err
	}
	rows, total, err := pickedPageOf[BillRow](db, f.scope(db, v), "bills", billOrder, f.rows, nil, f.Offset, f.Limit)
	return BillList{Rows: rows, Total: total}, err
}

// CountBillsByStatus counts the bills the viewer may see that match f in each status,
// whatever f.Status says: the numbers on the status tabs, in one statement.
func CountBillsByStatus(ctx context.Context, db *gorm.DB, v Viewer, f BillFilter) (map[string]int, error) {
	f.Status = ""
	return billKind.countByStatus(ctx, db, v, f.shows(), f.scope(db.WithContext(ctx), v))
}

// shows is what the list shows before its status tabs.
func (f BillFilter) shows() listShows {
	return showing(f.MatchStatus != "" || f.VendorID != 0 || strings.TrimSpace(f.Query) != "", submittedAndOwnDrafts)
}

// EachBill calls fn with every bill the viewer may see that matches f, in the list's order,
// reading them one at a time from the database (an export of any size).
func EachBill(ctx context.Context, db *gorm.DB, v Viewer, f BillFilter, fn func(BillRow) error) (int, error) {
	return eachRow(f.rows(f.scope(db.WithContext(ctx), v)), fn)
}

// billOrder is the bill list's order, newest first.
const billOrder = "bills.id DESC"

// rows is what the list reads of each bill of q (bills, or a page of them picked under that
// name), in its order. The vendor's name and the order's number are lookups per row: joined,
// Postgres hashed all 5,000 vendors and orders for a page of 25 bills.
func (f BillFilter) rows(q *gorm.DB) *gorm.DB {
	return q.Select(`bills.*, COALESCE((SELECT v.name FROM vendors v WHERE v.id = bills.vendor_id), '') AS vendor_name,
			COALESCE((SELECT po.number FROM purchase_orders po WHERE po.id = bills.purchase_order_id), '') AS order_number`).
		Order(billOrder)
}

// scope is the bills the viewer may see that the filter matches. It reads only the bills (a
// search looks up each bill's vendor), so that counting them and picking a page's rows join
// nothing.
func (f BillFilter) scope(db *gorm.DB, v Viewer) *gorm.DB {
	q := db.Table("bills").Scopes(VisibleBills(v))
	if f.Status != "" {
		q = q.Where("bills.status = ?", f.Status)
	}
	if f.MatchStatus != "" {
		q = q.Where(nameEquals("bills.match_status", f.MatchStatus))
	}
	if f.VendorID != 0 {
		q = q.Where("bills.vendor_id = ?", f.VendorID)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		like := "%" + escapeLike(s) + "%"
		q = q.Where(`(bills.number ILIKE ? OR bills.vendor_invoice_number ILIKE ?
			OR EXISTS (SELECT 1 FROM vendors v WHERE v.id = bills.vendor_id AND v.name ILIKE ?))`, like, like, like)
	}
	return q
}

// FindBillableOrderChoices returns at most limit orders a new bill may be for (not closed or
// cancelled), newest first, whose number holds text or whose vendor the vendor lookups would
// find by it: named by number, told apart by vendor. Three letters or more match anywhere
// through the number's and the vendors' trigram indexes; fewer, which every number starts
// with ("PO"), offer the newest open orders as nothing typed does.
func FindBillableOrderChoices(ctx context.Context, db *gorm.DB, text string, limit int) ([]Choice, error) {
	q := db.WithContext(ctx).Table("purchase_orders po").Joins("JOIN vendors pv ON pv.id = po.vendor_id").
		Select("po.id, po.number AS name, pv.name AS detail").Where("po.status NOT IN ?", []string{POClosed, POCancelled})
	if text = strings.TrimSpace(text); utf8.RuneCountInString(text) >= minSubstring {
		q = q.Where(`po.id IN (SELECT id FROM purchase_orders WHERE number ILIKE ?
			UNION ALL SELECT o.id FROM vendors v JOIN purchase_orders o ON o.vendor_id = v.id WHERE ?)`,
			likePattern(text), holdsText(text, vendorSearchColumns...))
	}
	var out []Choice
	err := q.Order("po.id DESC").Limit(limit).Scan(&out).Error
	return out, err
}

// BillableOrderChoice returns order id as the bill form's chooser shows it once chosen; nil
// when there is no such order or it may no longer be billed (closed or cancelled).
func BillableOrderChoice(ctx context.Context, db *gorm.DB, id int64) (*Choice, error) {
	var out []Choice
	err := db.WithContext(ctx).Table("purchase_orders po").Joins("JOIN vendors v ON v.id = po.vendor_id").
		Select("po.id, po.number AS name, v.name AS detail").
		Where("po.id = ? AND po.status NOT IN ?", id, []string{POClosed, POCancelled}).Limit(1).Scan(&out).Error
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// BillDetail is a bill as its page shows it: the bill, its lines with their accounts, who
// entered and released it, the invoice file and the approval route.
type BillDetail struct {
	shown
	Bill
	VendorName     string
	OrderNumber    string
	EnteredByName  string
	ReleasedByName string
	VoidedByName   string
	LineDetails    []BillLineDetail     `gorm:"-"`
	Invoice        *Attachment          `gorm:"-"`
	Steps          []ApprovalStepDetail `gorm:"-"`
}

// BillLineDetail is a bill line with the names of its GL account and department and, for a
// line of an order, what was ordered and received of it.
type BillLineDetail struct {
	BillLine
	GLCode, GLName, DepartmentName string
	OrderedMilli, ReceivedMilli    money.Quantity
	OrderedPriceMinor              int64
}

// GetBillDetail reads bill id for a viewer who may see it; any other is not found.
func GetBillDetail(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*BillDetail, error) {
	tx := db.WithContext(ctx)
	var d BillDetail
	err := tx.Table("bills").Scopes(VisibleBills(v)).Where("bills.id = ?", id).
		Select(`bills.*, vd.name AS vendor_name, COALESCE(po.number, '') AS order_number, eu.name AS entered_by_name,
			COALESCE(ru.name, '') AS released_by_name, COALESCE(vu.name, '') AS voided_by_name`).
		Joins("JOIN vendors vd ON vd.id = bills.vendor_id").
		Joins("LEFT JOIN purchase_orders po ON po.id = bills.purchase_order_id").
		Joins("JOIN users eu ON eu.id = bills.entered_by_id").
		Joins("LEFT JOIN users ru ON ru.id = bills.released_by_id").
		Joins("LEFT JOIN users vu ON vu.id = bills.voided_by_id").
		Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("There is no such bill.")
	}
	if err != nil {
		return nil, err
	}
	if err := tx.Raw(`SELECT l.*, COALESCE(g.code, '') AS gl_code, COALESCE(g.name, '') AS gl_name, COALESCE(dp.name, '') AS department_name,
			COALESCE(pol.quantity_milli, 0) AS ordered_milli, COALESCE(pol.received_milli, 0) AS received_milli,
			COALESCE(pol.unit_price_minor, 0) AS ordered_price_minor
		FROM bill_lines l LEFT JOIN gl_accounts g ON g.id = l.gl_account_id LEFT JOIN departments dp ON dp.id = l.department_id
		LEFT JOIN purchase_order_lines pol ON pol.id = l.purchase_order_line_id
		WHERE l.bill_id = ? ORDER BY l.position`, id).Scan(&d.LineDetails).Error; err != nil {
		return nil, err
	}
	for _, l := range d.LineDetails {
		d.Lines = append(d.Lines, l.BillLine)
	}
	if d.InvoiceAttachmentID != nil {
		var a Attachment
		if err := tx.Where("id = ? AND deleted_at IS NULL", *d.InvoiceAttachmentID).Take(&a).Error; err == nil {
			d.Invoice = &a
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, err
		}
	}
	if d.Steps, err = approvalStepDetails(tx, DocBill, id); err != nil {
		return nil, err
	}
	d.shown = shown{Seen{outlay.DocBill, id}}
	return &d, nil
}

// Rejection is the step that returned the bill's latest round, if it was returned.
func (d *BillDetail) Rejection() *ApprovalStepDetail {
	if d.Status != BillRejected {
		return nil
	}
	return lastRejectedStep(d.Steps)
}

// InvoiceKinds are the kinds of file an invoice may be: shown beside the form as it is keyed.
var InvoiceKinds = []string{"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}

// AttachInvoice attaches the invoice file to bill id (one the viewer may see and change) and
// makes it the file shown beside the bill. A file of another kind is refused. The file is
// not a field of the bill's edit form, so it leaves the bill's version (updated_at, see
// FormVersion) as it was: a form open in another tab still saves. The change is audited
// like any other, as the attachment made and the bill's invoice_attachment_id.
func AttachInvoice(ctx context.Context, db *gorm.DB, v Viewer, id int64, in NewAttachment) (*Attachment, error) {
	if !slices.Contains(InvoiceKinds, in.ContentType) {
		return nil, outlay.ValidationErrors{"file": "An invoice must be a PDF or an image (PNG, JPEG, GIF or WebP)."}
	}
	var a *Attachment
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var b Bill
		if err := lockEditableBill(tx, v, id, &b); err != nil {
			return err
		}
		a = &Attachment{DocType: DocBill, DocID: id, UploadedBy: v.UserID, Filename: in.Filename, ContentType: in.ContentType,
			SizeBytes: in.SizeBytes, SHA256: in.SHA256, StorageKey: in.StorageKey}
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		// UpdateColumn: Update would set updated_at too, as GORM does for every model with one.
		return tx.Model(&Bill{ID: id}).UpdateColumn("invoice_attachment_id", a.ID).Error
	})
	return a, err
}

// BillInvoice is the invoice file of bill id, for a viewer who may see the bill.
// It reads only the file's record (the bill's page frames it, so it is asked for on every
// view of the bill), not the whole bill.
func BillInvoice(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*Attachment, error) {
	var a Attachment
	err := db.WithContext(ctx).Table("bills").Scopes(VisibleBills(v)).Where("bills.id = ?", id).
		Joins("JOIN attachments inv ON inv.id = bills.invoice_attachment_id AND inv.deleted_at IS NULL").
		Select("inv.*").Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("This bill has no invoice file.")
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// BillMatchInput is the matching settings as an admin typed them: percentages ("5", "2.5"),
// the price amount in the organisation's currency ("" for no limit).
type BillMatchInput struct {
	FormVersion            // of the organisation's settings, as the form was read
	Mode            string `form:"mode"`
	PricePercent    string `form:"price_percent"`
	PriceAmount     string `form:"price_amount"`
	QuantityPercent string `form:"quantity_percent"`
	SpentBasis      string `form:"spent_basis"`
}

// UpdateBillMatchSettings checks and stores how bills are matched and what budgets count as
// spent; every bad field is reported beside it and nothing is stored, nor when the
// organisation's settings changed since the form was read.
func UpdateBillMatchSettings(ctx context.Context, db *gorm.DB, in BillMatchInput) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := in.lockSettings(tx); err != nil {
			return err
		}
		var s OrgSettings
		if err := tx.First(&s, 1).Error; err != nil {
			return err
		}
		verr := outlay.ValidationErrors{}
		if in.Mode != MatchTwoWay && in.Mode != MatchThreeWay {
			verr.Add("mode", "Choose two-way or three-way matching.")
		}
		if in.SpentBasis != SpentReceived && in.SpentBasis != SpentBilled {
			verr.Add("spent_basis", "Choose what a budget counts as spent.")
		}
		percent := func(field, text string) int {
			bp, err := money.ParseRate(strings.TrimSpace(text))
			if strings.TrimSpace(text) == "" {
				return 0
			}
			if err != nil {
				verr.Add(field, "Enter a percentage from 0 to 100, such as 5 or 2.5.")
			}
			return bp
		}
		priceBP, qtyBP := percent("price_percent", in.PricePercent), percent("quantity_percent", in.QuantityPercent)
		var amount *int64
		if t := strings.TrimSpace(in.PriceAmount); t != "" {
			m, err := money.Parse(t, s.DefaultCurrency)
			switch {
			case err != nil:
				verr.Add("price_amount", err.Error())
			case m.Minor < 0:
				verr.Add("price_amount", "Enter an amount of zero or more, or leave it empty.")
			default:
				amount = &m.Minor
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		return tx.Model(&OrgSettings{ID: 1}).Updates(map[string]any{"bill_match_mode": in.Mode, "bill_price_tolerance_bp": priceBP,
			"bill_price_tolerance_minor": amount, "bill_quantity_tolerance_bp": qtyBP, "budget_spent_basis": in.SpentBasis,
			"updated_at": time.Now()}).Error
	})
}
