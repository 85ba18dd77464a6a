package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Aging buckets of open bills, by days past their due date.
const (
	AgingCurrent = iota // not yet due, or due today
	Aging1To30
	Aging31To60
	Aging61To90
	AgingOver90
	agingBuckets
)

// AgingLabels name the buckets, in order.
var AgingLabels = [agingBuckets]string{"Current", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"}

// AgingBucket is the bucket of a bill due on due, seen on asOf (both dates): current until
// its due date has passed, then 1–30, 31–60 and 61–90 days past due, then over 90.
func AgingBucket(due, asOf time.Time) int {
	days := int(dayOf(asOf).Sub(dayOf(due)).Hours() / 24)
	switch {
	case days <= 0:
		return AgingCurrent
	case days <= 30:
		return Aging1To30
	case days <= 60:
		return Aging31To60
	case days <= 90:
		return Aging61To90
	}
	return AgingOver90
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AgingRow is what one vendor is owed in one currency, by bucket.
type AgingRow struct {
	VendorID   int64
	VendorName string
	Currency   string
	Buckets    [agingBuckets]int64
	Total      int64
}

// owedBillStatuses are the bills that are owed: entered and not rejected, void or paid.
var owedBillStatuses = []string{BillSubmitted, BillApproved, BillPartiallyPaid}

// agingSQL sums what is open on owed bills per vendor and currency, in AgingBucket's
// buckets (days past due = asOf − due date); the bucket edges are the same here and there.
const agingSQL = `SELECT b.vendor_id, v.name AS vendor_name, b.currency,
		COALESCE(SUM(b.total_minor - b.paid_minor) FILTER (WHERE CAST(@asof AS date) - b.due_date <= 0), 0) AS b0,
		COALESCE(SUM(b.total_minor - b.paid_minor) FILTER (WHERE CAST(@asof AS date) - b.due_date BETWEEN 1 AND 30), 0) AS b1,
		COALESCE(SUM(b.total_minor - b.paid_minor) FILTER (WHERE CAST(@asof AS date) - b.due_date BETWEEN 31 AND 60), 0) AS b2,
		COALESCE(SUM(b.total_minor - b.paid_minor) FILTER (WHERE CAST(@asof AS date) - b.due_date BETWEEN 61 AND 90), 0) AS b3,
		COALESCE(SUM(b.total_minor - b.paid_minor) FILTER (WHERE CAST(@asof AS date) - b.due_date > 90), 0) AS b4
	FROM bills b JOIN vendors v ON v.id = b.vendor_id
	WHERE b.status IN @owed AND b.total_minor > b.paid_minor AND (@vendor = 0 OR b.vendor_id = @vendor)
	GROUP BY b.vendor_id, v.name, b.currency
	ORDER BY lower(v.name), b.vendor_id, b.currency`

// Aging is what is open on owed bills on asOf, per vendor (or only vendorID's, when not 0)
// and currency, by how long past due.
func Aging(ctx context.Context, db *gorm.DB, asOf time.Time, vendorID int64) ([]AgingRow, error) {
	out := []AgingRow{}
	_, err := EachAging(ctx, db, asOf, vendorID, func(r AgingRow) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// EachAging calls fn with each row of the aging on asOf (of vendorID alone, when not 0), in
// the table's order, reading them one at a time from the database (an export of any size).
func EachAging(ctx context.Context, db *gorm.DB, asOf time.Time, vendorID int64, fn func(AgingRow) error) (int, error) {
	q := db.WithContext(ctx).Raw(agingSQL, map[string]any{"asof": asOf.Format(time.DateOnly), "owed": owedBillStatuses, "vendor": vendorID})
	return eachRow(q, func(r struct {
		VendorID           int64
		VendorName         string
		Currency           string
		B0, B1, B2, B3, B4 int64
	}) error {
		row := AgingRow{VendorID: r.VendorID, VendorName: r.VendorName, Currency: r.Currency, Buckets: [agingBuckets]int64{r.B0, r.B1, r.B2, r.B3, r.B4}}
		for _, b := range row.Buckets {
			row.Total += b
		}
		return fn(row)
	})
}

// OpenBill is a bill still owed, as the vendor's page lists it.
type OpenBill struct {
	ID            int64
	Number        string
	InvoiceNumber string
	DueDate       time.Time
	Currency      string
	TotalMinor    int64
	PaidMinor     int64
	Status        string
}

// OpenBillsOfVendor lists the vendor's owed bills with something open, oldest due first.
func OpenBillsOfVendor(ctx context.Context, db *gorm.DB, vendorID int64) ([]OpenBill, error) {
	var out []OpenBill
	err := db.WithContext(ctx).Table("bills").Where("vendor_id = ? AND status IN ? AND total_minor > paid_minor", vendorID, owedBillStatuses).
		Select("id, number, vendor_invoice_number AS invoice_number, due_date, currency, total_minor, paid_minor, status").
		Order("due_date, id").Scan(&out).Error
	return out, err
}
