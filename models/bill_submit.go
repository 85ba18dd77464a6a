package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
)

// BillSubmission is what submitting a bill led to.
type BillSubmission struct {
	Bill *Bill
	// Held: a line is outside tolerance, so the bill waits for approval or release.
	Held bool
	// Route is the approval route taken; Route.Approved with no steps when a bill matched
	// to its order is routed by no rule.
	Route RouteOutcome
}

// SubmitBill matches a draft (or returned) bill to its order and sends it to bill approval.
// The order's row is locked while its lines are matched, so two bills of one order submitted
// at once are matched one after the other, each seeing what the other billed. A bill
// matched to its order that no bill approval rule routes is approved at once: the order was
// approved, and the match checked the bill against it. Every other bill goes to approval, by
// its rules or else by the default route (the clerk's manager, else the admins): a held bill,
// and a bill without an order, which nobody approved before the clerk keyed it in. A bill
// that looks like a duplicate of another, and is not confirmed as different from that one,
// is refused as when saved.
func SubmitBill(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*BillSubmission, error) {
	out := &BillSubmission{}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var b Bill
		if err := lockEditableBill(tx, v, id, &b); err != nil {
			return err
		}
		var lines []BillLine
		if err := tx.Where("bill_id = ?", id).Order("position").Find(&lines).Error; err != nil {
			return err
		}
		if len(lines) == 0 {
			return outlay.Conflict("This bill has no lines. Add what the invoice bills before submitting it.")
		}
		// The possible-duplicate check again: another bill may have come since it was saved.
		var vendor Vendor
		if err := tx.Take(&vendor, b.VendorID).Error; err != nil {
			return err
		}
		if _, err := checkDuplicate(tx, &b, vendor, b.Total(), b.InvoiceDate, false); err != nil {
			return err
		}
		if b.PurchaseOrderID != nil {
			if err := matchBill(tx, &b, lines); err != nil {
				return err
			}
		}
		now := time.Now()
		b.Status, b.SubmittedAt, b.UpdatedAt = BillSubmitted, &now, now
		if err := tx.Model(&Bill{ID: b.ID}).Select("status", "submitted_at", "match_status", "match_mode", "variance_bp", "updated_at").
			Updates(&b).Error; err != nil {
			return err
		}
		doc := billApprovalDocument(b, lines)
		out.Held = doc.Held
		// Only a bill matched to its order may skip approval; a held bill and a bill without
		// an order go to SubmitForApproval, whose default route never approves by nobody.
		if b.PurchaseOrderID != nil && b.MatchStatus == MatchMatched {
			rules, err := MatchingRules(tx, doc)
			if err != nil {
				return err
			}
			if len(rules) == 0 {
				out.Route = RouteOutcome{Approved: true}
				return billApproval{}.finish(tx, b.ID, StepApproved, now)
			}
		}
		route, err := SubmitForApproval(tx, doc)
		out.Route = route
		return err
	})
	if err != nil {
		return nil, err
	}
	b, err := GetBill(ctx, db, id)
	out.Bill = b
	return out, err
}

// BillMatchSettings is how the organisation matches bills, read from its settings.
func billMatchSettings(tx *gorm.DB) (OrgSettings, BillTolerance, error) {
	var s OrgSettings
	if err := tx.First(&s, 1).Error; err != nil {
		return s, BillTolerance{}, err
	}
	return s, BillTolerance{PriceBP: s.BillPriceToleranceBP, PriceMinor: s.BillPriceToleranceMinor,
		AbsoluteCurrency: s.DefaultCurrency, QuantityBP: s.BillQuantityToleranceBP}, nil
}

// matchBill matches each of b's lines to its order line, writing each line's outcome and
// the bill's (match mode, status, largest variance) onto b.
func matchBill(tx *gorm.DB, b *Bill, lines []BillLine) error {
	po, err := lockPurchaseOrder(tx, *b.PurchaseOrderID)
	if err != nil {
		return err
	}
	if po.Status == POClosed || po.Status == POCancelled {
		return outlay.ValidationErrors{"purchase_order": po.Number + " is " + po.Status + ", so it can no longer be billed."}
	}
	settings, tol, err := billMatchSettings(tx)
	if err != nil {
		return err
	}
	mode := settings.BillMatchMode
	var vendorMode *string
	if err := tx.Raw(`SELECT match_mode FROM vendors WHERE id = ?`, b.VendorID).Scan(&vendorMode).Error; err != nil {
		return err
	}
	if vendorMode != nil {
		mode = *vendorMode
	}
	facts, err := orderLineFacts(tx, po.ID, b.ID)
	if err != nil {
		return err
	}
	b.MatchMode, b.MatchStatus, b.VarianceBP = &mode, MatchMatched, 0
	now := time.Now()
	for i := range lines {
		l := &lines[i]
		if l.PurchaseOrderLineID == nil {
			continue
		}
		f := facts[*l.PurchaseOrderLineID]
		m := MatchBillLine(mode, tol, b.Currency, l.QuantityMilli, l.UnitPriceMinor, l.TaxRateBP, f)
		l.MatchStatus, l.MatchNote, l.PriceVarianceBP, l.UpdatedAt = MatchMatched, "", m.PriceVarianceBP, now
		if m.Held {
			l.MatchStatus, l.MatchNote, b.MatchStatus = MatchHeld, m.Note, MatchHeld
		}
		b.VarianceBP = max(b.VarianceBP, m.PriceVarianceBP)
		// Two lines of one bill on the same order line count together.
		f.BilledMilli += l.QuantityMilli
		facts[*l.PurchaseOrderLineID] = f
		if err := tx.Model(&BillLine{ID: l.ID}).Select("match_status", "match_note", "price_variance_bp", "updated_at").
			Updates(l).Error; err != nil {
			return err
		}
	}
	return nil
}

// orderLineFacts reads, for each line of order poID, what was ordered and received, its unit
// price and what billed bills other than bill billID bill of it.
func orderLineFacts(tx *gorm.DB, poID, billID int64) (map[int64]OrderLineFacts, error) {
	var rows []struct {
		ID             int64
		QuantityMilli  money.Quantity
		ReceivedMilli  money.Quantity
		UnitPriceMinor int64
		TaxRateBP      int
		BilledMilli    money.Quantity
	}
	err := tx.Raw(`SELECT pol.id, pol.quantity_milli, pol.received_milli, pol.unit_price_minor, pol.tax_rate_bp,
			COALESCE((SELECT SUM(bl.quantity_milli) FROM bill_lines bl JOIN bills b ON b.id = bl.bill_id
				WHERE bl.purchase_order_line_id = pol.id AND b.id <> ? AND b.status IN ?), 0) AS billed_milli
		FROM purchase_order_lines pol WHERE pol.purchase_order_id = ? ORDER BY pol.position`, billID, billedStatuses, poID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[int64]OrderLineFacts, len(rows))
	for _, r := range rows {
		out[r.ID] = OrderLineFacts{OrderedMilli: r.QuantityMilli, ReceivedMilli: r.ReceivedMilli, BilledMilli: r.BilledMilli,
			UnitPriceMinor: r.UnitPriceMinor, TaxRateBP: r.TaxRateBP}
	}
	return out, nil
}

// BillableLine is an order line as a new bill offers it: its quantity received and not yet
// billed (ordered and not yet billed, for two-way matching) at the ordered price.
type BillableLine struct {
	PurchaseOrderLine
	BilledMilli   money.Quantity
	BillableMilli money.Quantity
}

// BillableOrderLines lists the lines of order poID with what remains to be billed of each,
// leaving out what bill billID (the bill being edited, or 0) bills.
func BillableOrderLines(ctx context.Context, db *gorm.DB, poID, billID int64) ([]BillableLine, error) {
	tx := db.WithContext(ctx)
	var po PurchaseOrder
	if err := tx.First(&po, poID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, outlay.NotFound("There is no such order.")
		}
		return nil, err
	}
	settings, _, err := billMatchSettings(tx)
	if err != nil {
		return nil, err
	}
	mode := settings.BillMatchMode
	var vendorMode *string
	if err := tx.Raw(`SELECT match_mode FROM vendors WHERE id = ?`, po.VendorID).Scan(&vendorMode).Error; err != nil {
		return nil, err
	}
	if vendorMode != nil {
		mode = *vendorMode
	}
	var lines []PurchaseOrderLine
	if err := tx.Where("purchase_order_id = ?", poID).Order("position").Find(&lines).Error; err != nil {
		return nil, err
	}
	facts, err := orderLineFacts(tx, poID, billID)
	if err != nil {
		return nil, err
	}
	out := make([]BillableLine, len(lines))
	for i, l := range lines {
		f := facts[l.ID]
		limit := f.ReceivedMilli
		if mode == MatchTwoWay {
			limit = f.OrderedMilli
		}
		out[i] = BillableLine{PurchaseOrderLine: l, BilledMilli: f.BilledMilli, BillableMilli: max(limit-f.BilledMilli, 0)}
	}
	return out, nil
}

// ReleaseBill releases a bill its match held, with the reason: its approval route is
// cancelled and it is approved. Only someone holding bills.release may (the route says so);
// the clerk who entered the bill never releases it.
func ReleaseBill(ctx context.Context, db *gorm.DB, v Viewer, id int64, reason string) error {
	reason, err := statedReason(reason, "reason", "Say why the bill may be paid despite its match.")
	if err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		b, err := lockVisibleBill(tx, v, id)
		if err != nil {
			return err
		}
		if !b.Releasable() {
			return outlay.Conflict("Only a bill held by its match and waiting for approval can be released.")
		}
		if b.EnteredByID == v.UserID {
			return outlay.Conflict("You entered this bill, so someone else must release it.")
		}
		if err := CancelRoute(tx, DocBill, b.ID); err != nil {
			return err
		}
		now := time.Now()
		return tx.Model(&Bill{ID: b.ID}).Updates(map[string]any{"status": BillApproved, "match_status": MatchReleased,
			"released_by_id": v.UserID, "released_at": now, "release_reason": reason, "decided_at": now, "updated_at": now}).Error
	})
}

// VoidBill voids a bill entered in error, with the reason: a bill in approval leaves it, and
// the bill counts nowhere any more (billed quantities, budgets, payables), keeping its number
// and its history. A bill paid in any part cannot be voided, nor one a payment run that is not
// cancelled pays (take it out of the run first), nor one an accounting export carried to the
// ledger, where voiding it here would leave it standing.
func VoidBill(ctx context.Context, db *gorm.DB, v Viewer, id int64, reason string) error {
	reason, err := statedReason(reason, "void_reason", "Say why the bill is void: a duplicate, withdrawn by the vendor, entered against the wrong vendor.")
	if err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		b, err := lockVisibleBill(tx, v, id)
		if err != nil {
			return err
		}
		switch {
		case b.Status == BillVoid:
			return outlay.Conflict("This bill is void already.")
		case !b.Voidable():
			return outlay.Conflict("A bill paid in whole or in part cannot be voided.")
		}
		var run string
		if err := tx.Raw(`SELECT pr.number FROM payment_lines pl JOIN payment_runs pr ON pr.id = pl.payment_run_id
			WHERE pl.bill_id = ? AND pr.status <> ? ORDER BY pr.id LIMIT 1`, b.ID, PaymentCancelled).Scan(&run).Error; err != nil {
			return err
		}
		if run != "" {
			return outlay.Conflict("Payment run " + run + " pays this bill: take the bill out of the run, or cancel the run, before voiding it.")
		}
		// An export being made at this moment either carried the bill already or, waiting for
		// this lock, finds it void.
		if err := lockExports(tx); err != nil {
			return err
		}
		var at sql.NullTime
		if err := tx.Raw(`SELECT min(created_at) FROM export_batch_documents WHERE doc_type = ? AND doc_id = ?`, DocBill, b.ID).Row().Scan(&at); err != nil {
			return err
		}
		if at.Valid {
			return outlay.Conflict("The accounting export of " + at.Time.Format("2 Jan 2006") + " carried this bill to the ledger, so voiding it here would leave it standing there: record a credit note against it in the ledger instead.")
		}
		if b.Status == BillSubmitted {
			if err := CancelRoute(tx, DocBill, b.ID); err != nil {
				return err
			}
		}
		now := time.Now()
		return tx.Model(&Bill{ID: b.ID}).Updates(map[string]any{"status": BillVoid, "voided_by_id": v.UserID, "voided_at": now,
			"void_reason": reason, "updated_at": now}).Error
	})
}

// MaxReason is the longest reason a decision that must say why keeps (the columns' checks).
const MaxReason = 1000

// statedReason is the reason given for a decision that must say why (a bill's release or void,
// a trip's cancellation), trimmed, or why it is refused beside field (none: missing, which
// says).
func statedReason(reason, field, missing string) (string, error) {
	reason = strings.TrimSpace(strings.ReplaceAll(reason, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(reason); {
	case !hasVisible(reason):
		return "", outlay.ValidationErrors{field: missing}
	case n > MaxReason:
		return "", outlay.ValidationErrors{field: tooLong("The reason", MaxReason, n)}
	case !plainText(reason):
		return "", outlay.ValidationErrors{field: "Use plain text."}
	}
	return reason, nil
}

// lockVisibleBill reads bill id for update, if the viewer may see it; any other is not found.
func lockVisibleBill(tx *gorm.DB, v Viewer, id int64) (Bill, error) {
	var b Bill
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Scopes(billKind.visible(v)).Where("bills.id = ?", id).First(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, outlay.NotFound("There is no such bill.")
	}
	return b, err
}

// GetBill reads a bill with its lines, whoever may see it (callers check visibility first).
func GetBill(ctx context.Context, db *gorm.DB, id int64) (*Bill, error) {
	tx := db.WithContext(ctx)
	var b Bill
	if err := tx.First(&b, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, outlay.NotFound("There is no such bill.")
		}
		return nil, err
	}
	if err := tx.Where("bill_id = ?", id).Order("position").Find(&b.Lines).Error; err != nil {
		return nil, err
	}
	return &b, nil
}

// GetVisibleBill reads a bill the viewer may see; any other is not found.
func GetVisibleBill(ctx context.Context, db *gorm.DB, v Viewer, id int64) (*Bill, error) {
	var found int64
	err := db.WithContext(ctx).Model(&Bill{}).Scopes(billKind.visible(v)).Where("bills.id = ?", id).Count(&found).Error
	if err != nil {
		return nil, err
	}
	if found == 0 {
		return nil, outlay.NotFound("There is no such bill.")
	}
	return GetBill(ctx, db, id)
}
