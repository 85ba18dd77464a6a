package handlers

import (
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views"
	"outlay/views/bills"
	"outlay/views/payables"
	"outlay/views/refdata"
)

var billsAll = policy.Permission{Object: outlay.ObjBillsAll, Action: outlay.ActRead}

// agingView reads the aging of open bills today, of every vendor or of vendorID's alone.
func agingView(c *fiber.Ctx, vendorID int64) (payables.Aging, error) {
	asOf := time.Now().UTC()
	rows, err := models.Aging(c.UserContext(), tenantDB(c), asOf, vendorID)
	if err != nil {
		return payables.Aging{}, err
	}
	// A vendor owed in two currencies has a row for each, named with its currency, and is
	// counted once.
	currencies := map[int64]int{}
	for _, r := range rows {
		currencies[r.VendorID]++
	}
	a := payables.Aging{AsOf: dayText(asOf), Labels: models.AgingLabels[:], Summary: views.Plural(len(currencies), "vendor", "vendors") + " owed."}
	for _, r := range rows {
		m := func(minor int64) string { return money.Money{Minor: minor, Currency: r.Currency}.String() }
		name := r.VendorName
		if currencies[r.VendorID] > 1 {
			name += " (" + r.Currency + ")"
		}
		row := payables.AgingRow{Vendor: name, Href: refdata.ItemPath(vendorsPath, r.VendorID), Total: m(r.Total)}
		for _, b := range r.Buckets {
			row.Buckets = append(row.Buckets, m(b))
		}
		a.Rows = append(a.Rows, row)
	}
	return a, nil
}

// agingPage is /bills/aging: what is owed to every vendor, by days past due.
func (s *Server) agingPage(c *fiber.Ctx) error {
	a, err := agingView(c, 0)
	if err != nil {
		return err
	}
	a.ExportURL = exportURL(c, payables.AgingPath)
	return s.render(c, http.StatusOK, page{Title: "Aging of open bills", Nav: payables.AgingPath, Content: payables.AgingPage(a)})
}

// agingExport exports the aging table: a row per vendor and currency, what is open in each
// bucket of days past due, today.
var agingExport = &listExport{name: "aging",
	columns: cols("as_of", "As of", "vendor_id", "Vendor ID", "vendor", "Vendor", "currency", "Currency", "current", models.AgingLabels[0],
		"days_1_30", models.AgingLabels[1], "days_31_60", models.AgingLabels[2], "days_61_90", models.AgingLabels[3],
		"over_90", models.AgingLabels[4], "total", "Total"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		ctx, db, asOf := c.UserContext(), tenantDB(c), time.Now().UTC()
		day := asOf.Format(time.DateOnly)
		return func(emit func(...any) error) (int, error) {
			return models.EachAging(ctx, db, asOf, 0, func(r models.AgingRow) error {
				b := r.Buckets
				return emit(day, r.VendorID, r.VendorName, r.Currency, amount(b[0], r.Currency), amount(b[1], r.Currency),
					amount(b[2], r.Currency), amount(b[3], r.Currency), amount(b[4], r.Currency), amount(r.Total, r.Currency))
			})
		}, nil
	},
}

// vendorAPCard is what a vendor's page shows those who see every bill: its aging, its open
// bills and its payments.
func vendorAPCard(c *fiber.Ctx, v models.Viewer, vendorID int64) (templ.Component, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	a, err := agingView(c, vendorID)
	if err != nil {
		return nil, err
	}
	out := payables.VendorAP{Aging: a}
	open, err := models.OpenBillsOfVendor(ctx, db, vendorID)
	if err != nil {
		return nil, err
	}
	today := time.Now().UTC().Format(time.DateOnly)
	for _, b := range open {
		m := func(minor int64) string { return money.Money{Minor: minor, Currency: b.Currency}.String() }
		out.OpenBills = append(out.OpenBills, payables.OpenBill{Number: b.Number, Href: bills.Path(b.ID), Invoice: b.InvoiceNumber,
			Due: dayText(b.DueDate), Total: m(b.TotalMinor), Open: m(b.TotalMinor - b.PaidMinor), Overdue: b.DueDate.Format(time.DateOnly) < today})
	}
	pays, err := models.PaymentsToVendor(ctx, db, v, vendorID, 50)
	if err != nil {
		return nil, err
	}
	for _, p := range pays {
		row := payables.VendorPaymentRow{Number: p.Number, Href: payables.PaymentPath(p.RunID), Bill: p.BillNumber, BillHref: bills.Path(p.BillID),
			Amount: money.Money{Minor: p.AmountMinor, Currency: p.Currency}.String(), Status: p.Status, Label: models.PaymentStatusLabel(p.Status)}
		if p.PaidOn != nil {
			row.Paid = *p.PaidOn
			if on, err := time.Parse(time.DateOnly, *p.PaidOn); err == nil {
				row.Paid = dayText(on)
			}
		}
		out.Payments = append(out.Payments, row)
	}
	return payables.VendorAPCard(out), nil
}
