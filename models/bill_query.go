package models

import (
	"context"
	"strings"

	"gorm.io/gorm"
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
}

// ListBills lists the bills the viewer may see that match the filter, newest first.
func ListBills(ctx context.Context, db *gorm.DB, v Viewer, f BillFilter) (BillList, error) {
	q := db.WithContext(ctx).Table("bills").Scopes(VisibleBills(v)).
		Joins("JOIN vendors v ON v.id = bills.vendor_id").
		Joins("LEFT JOIN purchase_orders po ON po.id = bills.purchase_order_id")
	if f.Status != "" {
		q = q.Where("bills.status = ?", f.Status)
	}
	if f.MatchStatus != "" {
		q = q.Where("bills.match_status = ?", f.MatchStatus)
	}
	if f.VendorID != 0 {
		q = q.Where("bills.vendor_id = ?", f.VendorID)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		like := "%" + escapeLike(s) + "%"
		q = q.Where("(bills.number ILIKE ? OR bills.vendor_invoice_number ILIKE ? OR v.name ILIKE ?)", like, like, like)
	}
	var out BillList
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return out, err
	}
	out.Total = int(total)
	err := q.Select("bills.*, v.name AS vendor_name, COALESCE(po.number, '') AS order_number").
		Order("bills.id DESC").Offset(f.Offset).Limit(f.Limit).Scan(&out.Rows).Error
	return out, err
}

// BillableOrders lists the orders a new bill may be for: not closed or cancelled, newest
// first, with their vendors.
func BillableOrders(ctx context.Context, db *gorm.DB) ([]PurchaseOrderRow, error) {
	var out []PurchaseOrderRow
	err := db.WithContext(ctx).Table("purchase_orders").Joins("JOIN vendors v ON v.id = purchase_orders.vendor_id").
		Where("purchase_orders.status NOT IN ?", []string{POClosed, POCancelled}).
		Select("purchase_orders.*, v.name AS vendor_name").Order("purchase_orders.id DESC").Limit(500).Scan(&out).Error
	return out, err
}
