package dbtest

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"outlay/models"
	"outlay/money"
)

// OrderLine is a line of a requisition made by ApprovedRequisition.
type OrderLine struct {
	Description string
	Quantity    string // "3", "2.5"
	UnitPrice   int64  // minor units
	TaxRateBP   int
}

// Purchase is what ApprovedRequisition made: the requisition, its vendor and location.
type Purchase struct {
	Requisition models.Requisition
	Vendor      models.Vendor
	Location    models.Location
}

// ApprovedRequisition stores, straight through GORM, an approved requisition of requester's
// with the given lines, a vendor (email vendorEmail, which may be empty) and a delivery
// location, as the approval engine would leave it.
func ApprovedRequisition(t testing.TB, db *gorm.DB, requesterID int64, vendorEmail string, lines ...OrderLine) Purchase {
	t.Helper()
	var p Purchase
	err := db.WithContext(context.Background()).Transaction(func(tx *gorm.DB) error {
		p.Vendor = models.Vendor{Name: "Vendor " + randomHex(3), Email: vendorEmail, Currency: "USD", Status: models.VendorActive,
			ContactName: "Sam Seller", Address: "1 Market Street\nSpringfield"}
		if err := tx.Create(&p.Vendor).Error; err != nil {
			return err
		}
		p.Location = models.Location{Name: "Warehouse " + randomHex(3), Address: "9 Dock Road\nSpringfield"}
		if err := tx.Create(&p.Location).Error; err != nil {
			return err
		}
		number, err := models.NextNumber(tx, models.NumberRequisition)
		if err != nil {
			return err
		}
		r := models.Requisition{Number: &number, RequesterID: requesterID, VendorID: &p.Vendor.ID, LocationID: &p.Location.ID,
			Justification: "Needed for the test", Currency: "USD", Status: models.RequisitionApproved}
		var rows []models.RequisitionLine
		for i, l := range lines {
			q, err := money.ParseQuantity(l.Quantity)
			if err != nil {
				return err
			}
			amount, err := money.LineAmount(q, l.UnitPrice)
			if err != nil {
				return err
			}
			tax, err := money.Tax(amount, l.TaxRateBP)
			if err != nil {
				return err
			}
			r.SubtotalMinor += amount
			r.TaxMinor += tax
			rows = append(rows, models.RequisitionLine{Position: i + 1, Description: l.Description, QuantityMilli: q,
				UnitPriceMinor: l.UnitPrice, TaxRateBP: l.TaxRateBP, AmountMinor: amount, TaxMinor: tax})
		}
		r.TotalMinor = r.SubtotalMinor + r.TaxMinor
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		for i := range rows {
			rows[i].RequisitionID = r.ID
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
		}
		r.Lines = rows
		p.Requisition = r
		return nil
	})
	if err != nil {
		t.Fatalf("approved requisition: %v", err)
	}
	return p
}

// ReceivedOrder makes an approved requisition of requester's (through ApprovedRequisition),
// orders it as buyerID and receives received[i] of line i ("" or "0" for none), as a clerk
// would through the order's page. The order is read back with its lines.
func ReceivedOrder(t testing.TB, db *gorm.DB, requesterID, buyerID int64, received []string, lines ...OrderLine) (Purchase, *models.PurchaseOrderDetail) {
	t.Helper()
	ctx := context.Background()
	p := ApprovedRequisition(t, db, requesterID, "", lines...)
	buyer := models.Viewer{UserID: buyerID, SeeAllKinds: []string{models.DocRequisition}}
	po, err := models.CreatePurchaseOrder(ctx, db, buyer, p.Requisition.ID)
	if err != nil {
		t.Fatalf("order: %v", err)
	}
	d, err := models.GetPurchaseOrder(ctx, db, po.ID)
	if err != nil {
		t.Fatal(err)
	}
	in := models.ReceiptInput{Quantities: map[int64]string{}}
	for i, q := range received {
		if q != "" && q != "0" {
			in.Quantities[d.Lines[i].ID] = q
		}
	}
	if len(in.Quantities) > 0 {
		if _, err := models.RecordReceipt(ctx, db, buyerID, po.ID, in); err != nil {
			t.Fatalf("receipt: %v", err)
		}
	}
	if d, err = models.GetPurchaseOrder(ctx, db, po.ID); err != nil {
		t.Fatal(err)
	}
	return p, d
}
