package main

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"outlay/models"
)

// seedDemoBills gives a demo tenant accounts-payable bills, keyed in by the AP clerk through
// the same functions the pages call: the organisation matches three-way with a 2% price
// tolerance; a bill of the partly received Northwind order within it (matched and approved);
// a second bill of that order priced 5% over and billing what was not received (held, routed
// by the rule for held bills to an admin); a consulting bill without an order, which no rule
// routes, so it goes to the clerk's manager (the approver, who approves it); and a draft still
// being keyed in.
func seedDemoBills(ctx context.Context, db *gorm.DB, slug string) error {
	clerkUser, err := models.FindUserByEmail(ctx, db, demoEmail("ap", slug))
	if err != nil {
		return fmt.Errorf("demo AP clerk: %w", err)
	}
	clerk := models.Viewer{UserID: clerkUser.ID, Roles: []string{"ap_clerk"}, SeeAllKinds: []string{models.DocBill}}
	approverUser, err := models.FindUserByEmail(ctx, db, demoEmail("approver", slug))
	if err != nil {
		return fmt.Errorf("demo approver: %w", err)
	}
	approver := models.Viewer{UserID: approverUser.ID, Roles: []string{"approver"}}
	ref := func(model any, column, value string) (string, error) {
		var id int64
		if err := db.WithContext(ctx).Model(model).Where(column+" = ?", value).Select("id").Scan(&id).Error; err != nil || id == 0 {
			return "", fmt.Errorf("demo bills: no %s %q (%v)", column, value, err)
		}
		return fmt.Sprint(id), nil
	}
	eng, err := ref(&models.Department{}, "name", "Engineering")
	if err != nil {
		return err
	}
	services, err := ref(&models.GLAccount{}, "code", "6400")
	if err != nil {
		return err
	}
	supplies, err := ref(&models.GLAccount{}, "code", "6200")
	if err != nil {
		return err
	}
	adatum, err := ref(&models.Vendor{}, "name", "Adatum Consulting")
	if err != nil {
		return err
	}
	fabrikam, err := ref(&models.Vendor{}, "name", "Fabrikam Office Supply")
	if err != nil {
		return err
	}
	var po models.PurchaseOrder
	if err := db.WithContext(ctx).Where("status = ?", models.POPartiallyReceived).Order("id").First(&po).Error; err != nil {
		return fmt.Errorf("demo bills: no partly received order: %w", err)
	}
	lines, err := models.BillableOrderLines(ctx, db, po.ID, 0)
	if err != nil || len(lines) < 2 {
		return fmt.Errorf("demo bills: the order's lines (%v)", err)
	}

	if err := models.UpdateBillMatchSettings(ctx, db, models.BillMatchInput{Mode: models.MatchThreeWay, PricePercent: "2",
		QuantityPercent: "0", SpentBasis: models.SpentReceived}); err != nil {
		return fmt.Errorf("demo bill matching: %w", err)
	}
	settings, err := models.Settings(ctx, db)
	if err != nil {
		return err
	}
	if _, err := models.CreateApprovalRule(ctx, db, models.RuleInput{Name: "Held bills: an admin decides", DocType: models.DocBill,
		Priority: "10", Currency: settings.DefaultCurrency, BudgetCheck: models.BudgetCheckNone, Active: true, Match: models.RuleHeld,
		Steps: []models.RuleStepInput{{Kind: models.StepRole, Role: "admin"}}}); err != nil {
		return fmt.Errorf("demo bill rule: %w", err)
	}

	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
	price := func(l models.BillableLine, percent int64) string {
		return models.Bill{Currency: po.Currency}.Money(l.UnitPriceMinor + l.UnitPriceMinor*percent/100).Plain()
	}
	orderLine := func(l models.BillableLine, qty, unitPrice string) models.BillLineInput {
		return models.BillLineInput{OrderLine: fmt.Sprint(l.ID), LineInput: models.LineInput{Quantity: qty, UnitPrice: unitPrice}}
	}
	enter := func(in models.BillInput, submit bool) (*models.Bill, error) {
		b, err := models.SaveBill(ctx, db, clerk, 0, in)
		if err != nil {
			return nil, fmt.Errorf("demo bill %s: %w", in.VendorInvoiceNumber, err)
		}
		if submit {
			if _, err := models.SubmitBill(ctx, db, clerk, b.ID); err != nil {
				return nil, fmt.Errorf("demo bill %s: %w", in.VendorInvoiceNumber, err)
			}
		}
		return b, nil
	}
	vendor, order := fmt.Sprint(po.VendorID), fmt.Sprint(po.ID)
	if _, err := enter(models.BillInput{Vendor: vendor, PurchaseOrder: order, VendorInvoiceNumber: "NW-2301", InvoiceDate: day(-6),
		Lines: []models.BillLineInput{orderLine(lines[0], lines[0].BillableMilli.String(), price(lines[0], 0))}}, true); err != nil {
		return err
	}
	if _, err := enter(models.BillInput{Vendor: vendor, PurchaseOrder: order, VendorInvoiceNumber: "NW-2317", InvoiceDate: day(-2),
		Memo:  "Second invoice for the quarter: the price went up and storage was billed before it was provisioned.",
		Lines: []models.BillLineInput{orderLine(lines[0], "1", price(lines[0], 5)), orderLine(lines[1], "1", price(lines[1], 0))}}, true); err != nil {
		return err
	}
	coded := func(invoice, vendor, description, qty, unitPrice, gl, date string) models.BillInput {
		return models.BillInput{Vendor: vendor, VendorInvoiceNumber: invoice, InvoiceDate: date,
			Lines: []models.BillLineInput{{Department: eng, LineInput: models.LineInput{Description: description, Quantity: qty,
				UnitPrice: unitPrice, GLAccount: gl}}}}
	}
	consulting, err := enter(coded("ADT-0042", adatum, "Architecture review, March", "1", "4800", services, day(-10)), true)
	if err != nil {
		return err
	}
	if err := decideDemoStep(ctx, db, approver, models.DocBill, consulting.ID,
		models.Decision{Approve: true, Comment: "Agreed with Adatum in the statement of work."}); err != nil {
		return err
	}
	_, err = enter(coded("FAB-7781", fabrikam, "Printer paper, boxes", "10", "6.50", supplies, day(-1)), false)
	return err
}
