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
	a := payables.Aging{AsOf: dayText(asOf), Labels: models.AgingLabels[:], Summary: countText(len(rows), "vendor", "vendors") + " owed."}
	for _, r := range rows {
		m := func(minor int64) string { return money.Money{Minor: minor, Currency: r.Currency}.String() }
		row := payables.AgingRow{Vendor: r.VendorName, Href: refdata.ItemPath(vendorsPath, r.VendorID), Total: m(r.Total)}
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
	return s.render(c, http.StatusOK, page{Title: "Aging of open bills", Nav: payables.AgingPath, Content: payables.AgingPage(a)})
}

// vendorAPCard is what a vendor's page shows those who see every bill: its aging, its open
// bills and its payments.
func vendorAPCard(c *fiber.Ctx, vendorID int64) (templ.Component, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	a, err := agingView(c, vendorID)
	if err != nil {
		return nil, err
	}
	v := payables.VendorAP{Aging: a}
	open, err := models.OpenBillsOfVendor(ctx, db, vendorID)
	if err != nil {
		return nil, err
	}
	today := time.Now().UTC().Format(time.DateOnly)
	for _, b := range open {
		m := func(minor int64) string { return money.Money{Minor: minor, Currency: b.Currency}.String() }
		v.OpenBills = append(v.OpenBills, payables.OpenBill{Number: b.Number, Href: bills.Path(b.ID), Invoice: b.InvoiceNumber,
			Due: dayText(b.DueDate), Total: m(b.TotalMinor), Open: m(b.TotalMinor - b.PaidMinor), Overdue: b.DueDate.Format(time.DateOnly) < today})
	}
	pays, err := models.PaymentsToVendor(ctx, db, vendorID, 50)
	if err != nil {
		return nil, err
	}
	for _, p := range pays {
		row := payables.VendorPaymentRow{Number: p.Number, Href: payables.PaymentPath(p.RunID), Bill: p.BillNumber, BillHref: bills.Path(p.BillID),
			Amount: money.Money{Minor: p.AmountMinor, Currency: p.Currency}.String(), Status: p.Status, Label: models.PaymentStatusLabel(p.Status)}
		if p.PaidOn != nil {
			row.Paid = *p.PaidOn
		}
		v.Payments = append(v.Payments, row)
	}
	return payables.VendorAPCard(v), nil
}
