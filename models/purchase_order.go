package models

import (
	"time"

	"outlay"
	"outlay/money"
)

// Purchase order statuses, as the vocabulary names them (package outlay).
const (
	POOpen              = outlay.POOpen
	POPartiallyReceived = outlay.POPartiallyReceived
	POReceived          = outlay.POReceived
	POClosed            = outlay.POClosed
	POCancelled         = outlay.POCancelled
)

// PurchaseOrder is an order sent to a vendor, made from one approved requisition.
type PurchaseOrder struct {
	ID            int64
	Number        string
	RequisitionID int64
	VendorID      int64
	LocationID    *int64
	Currency      string
	SubtotalMinor int64
	TaxMinor      int64
	TotalMinor    int64
	Status        string
	CreatedBy     int64
	EmailedAt     *time.Time
	ClosedAt      *time.Time
	ClosedBy      *int64
	CloseReason   string
	PaymentTerms  string
	BillToAddress string
	ExpectedOn    *time.Time
	VendorNotes   string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Total is the order's total as money.
func (p PurchaseOrder) Total() money.Money {
	return money.Money{Minor: p.TotalMinor, Currency: p.Currency}
}

// PurchaseOrderLine is one ordered item and how much of it has arrived.
type PurchaseOrderLine struct {
	ID                int64
	PurchaseOrderID   int64
	RequisitionLineID *int64
	Position          int
	Description       string
	QuantityMilli     money.Quantity
	UnitPriceMinor    int64
	TaxRateBP         int    `gorm:"column:tax_rate_bp"`
	GLAccountID       *int64 `gorm:"column:gl_account_id"`
	AmountMinor       int64
	TaxMinor          int64
	ReceivedMilli     money.Quantity
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Receipt records goods arriving against a purchase order.
type Receipt struct {
	ID              int64
	PurchaseOrderID int64
	ReceivedBy      int64
	ReceivedOn      time.Time
	Note            string
	CreatedAt       time.Time
}

// ReceiptLine is how much of one order line a receipt brought.
type ReceiptLine struct {
	ID                  int64
	ReceiptID           int64
	PurchaseOrderLineID int64
	QuantityMilli       money.Quantity
}
