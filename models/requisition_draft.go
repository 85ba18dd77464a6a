package models

import (
	"cmp"
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
)

// A requisition's life as its requester sees it: saved as a draft (as often as they like),
// submitted (it takes its number and goes into approval), withdrawn while pending, edited
// again after a rejection or withdrawal and resubmitted under the same number. Every change
// here is one transaction of GORM model operations, so the audit log records it whole or
// not at all.

// RequisitionCurrency is the currency a requisition's amounts are in: its vendor's, or,
// before a vendor is chosen, the organisation's default. vendor is the form's raw value; an
// unknown vendor falls back to the default (saving it is refused elsewhere).
func RequisitionCurrency(ctx context.Context, db *gorm.DB, vendor string) (string, error) {
	id, _ := optionalID(vendor)
	return requisitionCurrency(db.WithContext(ctx), id)
}

func requisitionCurrency(tx *gorm.DB, vendorID *int64) (string, error) {
	if vendorID != nil {
		var v Vendor
		err := tx.Select("currency").Take(&v, *vendorID).Error
		if err == nil {
			return v.Currency, nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return "", err
		}
	}
	var s OrgSettings
	if err := tx.Select("default_currency").Take(&s, 1).Error; err != nil {
		return "", err
	}
	return s.DefaultCurrency, nil
}

// PriceRequisition prices a requisition as typed, for the live total: its currency from the
// chosen vendor and every pricable line. It writes nothing.
func PriceRequisition(ctx context.Context, db *gorm.DB, in RequisitionInput) (PricedLines, outlay.ValidationErrors, error) {
	currency, err := RequisitionCurrency(ctx, db, in.Vendor)
	if err != nil {
		return PricedLines{}, nil, err
	}
	p, verr := PriceLines(in.Lines, currency, "requisition")
	return p, verr, nil
}

// SaveRequisition stores a requester's requisition as typed: a new draft when id is 0,
// otherwise their own requisition id, which must still be editable (draft, rejected or
// withdrawn) and, when in carries the version its form was read at, unchanged since then
// (StaleFormError). Blank lines are dropped; totals are computed here. With submit, the
// same transaction then submits it (SubmitRequisition), so a requisition refused for
// submission is not saved either: the requester gets every message at once and nothing
// half-written. Another person's requisition is not found. A new requisition's form posted
// again (same in.FormKey) makes nothing: it returns the requisition of its first post and
// ErrFormAlreadySaved.
func SaveRequisition(ctx context.Context, db *gorm.DB, requesterID, id int64, in RequisitionInput, submit bool) (*Requisition, error) {
	var r Requisition
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id != 0 {
			if err := lockOwnRequisition(tx, requesterID, id, &r); err != nil {
				return in.DraftGone("requisition", err)
			}
			if !r.Editable() {
				return outlay.Conflict("This requisition is no longer editable: it is waiting for approval or was decided.")
			}
			if err := in.checkUnchanged("requisition", r.UpdatedAt); err != nil {
				return err
			}
		}
		verr := outlay.ValidationErrors{}
		h := parseHeader(verr, in)
		if id == 0 && h.FormKey != nil {
			// The same form posted again finds what its first post made; two posts at once
			// are taken one after the other.
			if saved, err := formAlreadySaved(tx, "requisition", "requester_id", requesterID, *h.FormKey, &r); saved || err != nil {
				return cmp.Or(err, ErrFormAlreadySaved)
			}
		}
		priced, err := checkAndPrice(tx, verr, h, in)
		if err != nil {
			return err
		}
		if submit && len(verr) > 0 {
			if err := addSubmissionErrors(tx, verr, h, priced); err != nil {
				return err
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		if err := writeRequisition(tx, requesterID, &r, h, priced); err != nil {
			return err
		}
		if !submit {
			return nil
		}
		return submitLocked(tx, &r, formRows(priced))
	})
	if errors.Is(err, ErrFormAlreadySaved) {
		return &r, err
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// checkAndPrice checks that what the header and lines name exists and prices the lines in
// the requisition's currency, adding a message to verr for each field that is refused.
func checkAndPrice(tx *gorm.DB, verr outlay.ValidationErrors, h requisitionHeader, in RequisitionInput) (PricedLines, error) {
	if err := checkReferences(tx, verr, h, in.Lines); err != nil {
		return PricedLines{}, err
	}
	currency, err := requisitionCurrency(tx, h.VendorID)
	if err != nil {
		return PricedLines{}, err
	}
	priced, lineErrs := PriceLines(in.Lines, currency, "requisition")
	for k, msg := range lineErrs {
		verr.Add(k, msg)
	}
	return priced, nil
}

// formRows are the form rows of priced lines, for messages beside them.
func formRows(priced PricedLines) []int {
	rows := make([]int, len(priced.Lines))
	for i, l := range priced.Lines {
		rows[i] = l.Row
	}
	return rows
}

// CheckSubmission says whether in, as typed, would be accepted for submission: the same
// ValidationErrors SaveRequisition with submit would return for it, and nil when it would
// go into approval. It writes nothing, so the form can ask "Submit?" only of a requisition
// that will not be refused.
func CheckSubmission(ctx context.Context, db *gorm.DB, in RequisitionInput) error {
	tx := db.WithContext(ctx)
	verr := outlay.ValidationErrors{}
	h := parseHeader(verr, in)
	priced, err := checkAndPrice(tx, verr, h, in)
	if err != nil {
		return err
	}
	if err := addSubmissionErrors(tx, verr, h, priced); err != nil {
		return err
	}
	return verr.Err()
}

// addSubmissionErrors adds to verr what submitting the requisition as typed would refuse
// besides what verr already says of a field, so that a form with a number typed wrong also
// hears at once that it has no vendor, not on the next try. What it says of the lines as a
// whole is left out while verr holds anything: a line refused for its number is not priced,
// and "Add at least one line" would be wrong of it.
func addSubmissionErrors(tx *gorm.DB, verr outlay.ValidationErrors, h requisitionHeader, priced PricedLines) error {
	r := Requisition{DepartmentID: h.DepartmentID, VendorID: h.VendorID, LocationID: h.LocationID, NeededBy: h.NeededBy, Justification: h.Justification}
	for _, l := range priced.Lines {
		r.Lines = append(r.Lines, RequisitionLine{GLAccountID: l.GLAccountID})
	}
	err := checkSubmittable(tx, &r, formRows(priced))
	more, ok := outlay.AsValidation(err)
	if !ok {
		return err
	}
	refused := len(verr) > 0
	for k, msg := range more {
		if _, said := verr[k]; said || refused && (k == "lines" || k == "") {
			continue
		}
		verr[k] = msg
	}
	return nil
}

// ErrFormAlreadySaved refuses a new-requisition form posted a second time; SaveRequisition
// returns the requisition its first post made with it.
var ErrFormAlreadySaved = outlay.Conflict("This form was already saved.")

// lockOwnRequisition loads the requester's requisition id into r and locks it until the
// transaction ends; anyone else's is not found.
func lockOwnRequisition(tx *gorm.DB, requesterID, id int64, r *Requisition) error {
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("requester_id = ?", requesterID).Take(r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return outlay.NotFound("That requisition does not exist.")
	}
	return err
}

// checkReferences refuses ids that name nothing: a department, vendor, location or GL
// account that does not exist. Whether they may be used for a submission is checked at
// submit.
func checkReferences(tx *gorm.DB, verr outlay.ValidationErrors, h requisitionHeader, lines []LineInput) error {
	for _, ref := range []struct {
		field string
		table string
		id    *int64
	}{{"department", "departments", h.DepartmentID}, {"vendor", "vendors", h.VendorID}, {"location", "locations", h.LocationID}} {
		if ref.id == nil {
			continue
		}
		var n int64
		if err := tx.Table(ref.table).Where("id = ?", *ref.id).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			verr.Add(ref.field, "Choose from the list.")
		}
	}
	var glIDs []int64
	for _, l := range lines {
		if id, err := optionalID(l.GLAccount); err == nil && id != nil {
			glIDs = append(glIDs, *id)
		}
	}
	if len(glIDs) == 0 {
		return nil
	}
	var known []int64
	if err := tx.Model(&GLAccount{}).Where("id IN ?", glIDs).Pluck("id", &known).Error; err != nil {
		return err
	}
	ok := map[int64]bool{}
	for _, id := range known {
		ok[id] = true
	}
	for i, l := range lines {
		if id, err := optionalID(l.GLAccount); err == nil && id != nil && !ok[*id] && !l.Blank() {
			verr.Add(LineField(i, "gl_account"), "Choose from the list.")
		}
	}
	return nil
}

// writeRequisition creates r (when new) or updates its header, then brings its stored lines
// in line with priced: lines are matched by position, so the audit log shows what changed
// on each rather than every line deleted and added again.
func writeRequisition(tx *gorm.DB, requesterID int64, r *Requisition, h requisitionHeader, priced PricedLines) error {
	t := priced.Totals
	if r.ID == 0 {
		*r = Requisition{RequesterID: requesterID, DepartmentID: h.DepartmentID, VendorID: h.VendorID, LocationID: h.LocationID,
			NeededBy: h.NeededBy, Justification: h.Justification, Currency: priced.Currency, FormKey: h.FormKey,
			SubtotalMinor: t.Subtotal, TaxMinor: t.Tax, TotalMinor: t.Total, Status: RequisitionDraft}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
	} else {
		err := tx.Model(r).Updates(map[string]any{"department_id": h.DepartmentID, "vendor_id": h.VendorID, "location_id": h.LocationID,
			"needed_by": h.NeededBy, "justification": h.Justification, "currency": priced.Currency,
			"subtotal_minor": t.Subtotal, "tax_minor": t.Tax, "total_minor": t.Total, "updated_at": time.Now()}).Error
		if err != nil {
			return err
		}
		r.DepartmentID, r.VendorID, r.LocationID, r.NeededBy, r.Justification = h.DepartmentID, h.VendorID, h.LocationID, h.NeededBy, h.Justification
		r.Currency, r.SubtotalMinor, r.TaxMinor, r.TotalMinor = priced.Currency, t.Subtotal, t.Tax, t.Total
	}
	var old []RequisitionLine
	if err := tx.Where("requisition_id = ?", r.ID).Order("position").Find(&old).Error; err != nil {
		return err
	}
	if len(old) > len(priced.Lines) {
		if err := tx.Where("requisition_id = ? AND position > ?", r.ID, len(priced.Lines)).Delete(&RequisitionLine{}).Error; err != nil {
			return err
		}
	}
	r.Lines = make([]RequisitionLine, len(priced.Lines))
	for i, p := range priced.Lines {
		l := RequisitionLine{RequisitionID: r.ID, Position: i + 1, Description: p.Description, QuantityMilli: p.Quantity,
			UnitPriceMinor: p.UnitPrice, TaxRateBP: p.TaxRateBP, GLAccountID: p.GLAccountID, AmountMinor: p.Amount, TaxMinor: p.Tax}
		if i < len(old) {
			l.ID, l.CreatedAt = old[i].ID, old[i].CreatedAt
			err := tx.Model(&old[i]).Updates(map[string]any{"description": l.Description, "quantity_milli": l.QuantityMilli,
				"unit_price_minor": l.UnitPriceMinor, "tax_rate_bp": l.TaxRateBP, "gl_account_id": l.GLAccountID,
				"amount_minor": l.AmountMinor, "tax_minor": l.TaxMinor, "updated_at": time.Now()}).Error
			if err != nil {
				return err
			}
		} else if err := tx.Create(&l).Error; err != nil {
			return err
		}
		r.Lines[i] = l
	}
	return nil
}

// SubmitRequisition sends the requester's stored requisition into approval, as
// SaveRequisition does with submit.
func SubmitRequisition(ctx context.Context, db *gorm.DB, requesterID, id int64) (*Requisition, error) {
	var r Requisition
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockOwnRequisition(tx, requesterID, id, &r); err != nil {
			return err
		}
		if !r.Editable() {
			return outlay.Conflict("This requisition was already submitted.")
		}
		if err := tx.Where("requisition_id = ?", id).Order("position").Find(&r.Lines).Error; err != nil {
			return err
		}
		rows := make([]int, len(r.Lines))
		for i := range rows {
			rows[i] = i
		}
		return submitLocked(tx, &r, rows)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// submitLocked checks that the locked, stored requisition r may be submitted, gives it a
// number if it has none (a resubmission keeps its own), marks it pending and hands it to the
// approval engine. rows are the form rows of r's lines, for messages beside them. When no
// one needs to approve it (no rule matched and the requester has no manager), the engine
// approves it at once.
func submitLocked(tx *gorm.DB, r *Requisition, rows []int) error {
	if err := checkSubmittable(tx, r, rows); err != nil {
		return err
	}
	now := time.Now()
	changes := map[string]any{"status": RequisitionPending, "submitted_at": now, "decided_at": nil, "updated_at": now}
	if r.Number == nil {
		n, err := NextNumber(tx, NumberRequisition)
		if err != nil {
			return err
		}
		r.Number = &n
		changes["number"] = n
	}
	if err := tx.Model(r).Updates(changes).Error; err != nil {
		return err
	}
	r.Status, r.SubmittedAt, r.DecidedAt = RequisitionPending, &now, nil
	doc, err := requisitionApproval{}.approvalDocument(tx, r.ID)
	if err != nil {
		return err
	}
	outcome, err := SubmitForApproval(tx, doc)
	if err != nil {
		return err
	}
	if outcome.Approved {
		// The engine has recorded the approval on the requisition (requisitionApproval.finish).
		return tx.Take(r, r.ID).Error
	}
	return nil
}

// checkSubmittable is what a requisition needs before anyone is asked to approve it.
func checkSubmittable(tx *gorm.DB, r *Requisition, rows []int) error {
	verr := outlay.ValidationErrors{}
	if r.DepartmentID == nil {
		verr.Add("department", "Choose the department this is for.")
	} else if archived, err := isArchived(tx, "departments", *r.DepartmentID); err != nil {
		return err
	} else if archived {
		verr.Add("department", "This department is archived: choose another.")
	}
	if r.VendorID == nil {
		verr.Add("vendor", "Choose a vendor.")
	} else {
		var v Vendor
		if err := tx.Select("status", "archived_at").Take(&v, *r.VendorID).Error; err != nil {
			return err
		}
		if v.ArchivedAt != nil || v.Status != VendorActive {
			verr.Add("vendor", "This vendor takes no new orders: choose another.")
		}
	}
	if r.LocationID != nil {
		if archived, err := isArchived(tx, "locations", *r.LocationID); err != nil {
			return err
		} else if archived {
			verr.Add("location", "This location is archived: choose another.")
		}
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if r.NeededBy == nil {
		verr.Add("needed_by", "Say when this is needed.")
	} else if r.NeededBy.Before(today) {
		verr.Add("needed_by", "Choose a date from today on.")
	}
	if !hasVisible(r.Justification) {
		verr.Add("justification", "Say why this is needed.")
	}
	if len(r.Lines) == 0 {
		verr.Add("lines", "Add at least one line.")
	}
	for i, l := range r.Lines {
		if l.GLAccountID == nil {
			verr.Add(LineField(rows[i], "gl_account"), "Choose a GL account.")
		} else if archived, err := isArchived(tx, "gl_accounts", *l.GLAccountID); err != nil {
			return err
		} else if archived {
			verr.Add(LineField(rows[i], "gl_account"), "This account is archived: choose another.")
		}
	}
	return verr.Err()
}

// isArchived reports whether the row id of table (a constant of this package) is archived.
func isArchived(tx *gorm.DB, table string, id int64) (bool, error) {
	var archived bool
	err := tx.Raw(`SELECT archived_at IS NOT NULL FROM `+table+` WHERE id = ?`, id).Scan(&archived).Error
	return archived, err
}

// WithdrawRequisition pulls the requester's pending requisition back out of approval: its
// open steps are cancelled and it can be edited and resubmitted.
func WithdrawRequisition(ctx context.Context, db *gorm.DB, requesterID, id int64) (*Requisition, error) {
	var r Requisition
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockOwnRequisition(tx, requesterID, id, &r); err != nil {
			return err
		}
		if r.Status != RequisitionPending {
			return outlay.Conflict("Only a requisition waiting for approval can be withdrawn.")
		}
		if err := tx.Model(&r).Updates(map[string]any{"status": RequisitionWithdrawn, "updated_at": time.Now()}).Error; err != nil {
			return err
		}
		return CancelRoute(tx, DocRequisition, id)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteRequisitionDraft removes the requester's draft that was never submitted, with its
// lines. A requisition that has a number stays, for the record.
func DeleteRequisitionDraft(ctx context.Context, db *gorm.DB, requesterID, id int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Requisition
		if err := lockOwnRequisition(tx, requesterID, id, &r); err != nil {
			return err
		}
		if r.Status != RequisitionDraft || r.Number != nil {
			return outlay.Conflict("Only a draft that was never submitted can be deleted.")
		}
		if err := tx.Where("requisition_id = ?", id).Delete(&RequisitionLine{}).Error; err != nil {
			return err
		}
		return tx.Delete(&r).Error
	})
}
