package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"outlay/models"
)

// seedDemoReference gives a demo tenant the reference data a spend workflow needs:
// departments led by demo people, delivery locations, vendors, GL accounts and this year's
// budgets. It also places the demo people in departments and gives the requester and the AP
// clerk the approver as manager, so approval routing has a reporting line to climb (a bill
// without an order goes to the clerk's manager). Globex keeps its books in euros, to show a
// second currency.
func seedDemoReference(ctx context.Context, db *gorm.DB, slug string) error {
	if slug == "globex" {
		if err := models.UpdateSettings(ctx, db, models.SettingsInput{DefaultCurrency: "EUR", TimeZone: "Europe/Berlin"}); err != nil {
			return err
		}
	}
	people := map[string]int64{}
	for _, p := range demoPeople {
		u, err := models.FindUserByEmail(ctx, db, demoEmail(p.local, slug))
		if err != nil {
			return fmt.Errorf("demo person %s: %w", p.local, err)
		}
		people[p.local] = u.ID
	}
	head := func(local string) *int64 { id := people[local]; return &id }
	depts := map[string]int64{}
	for _, d := range []struct{ name, code, head string }{
		{"Engineering", "ENG", "approver"}, {"Finance", "FIN", "ap"}, {"Operations", "OPS", "admin"}, {"Marketing", "MKT", "approver"},
	} {
		id, err := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: d.name, Code: d.code, HeadID: head(d.head)})
		if err != nil {
			return fmt.Errorf("demo department %s: %w", d.name, err)
		}
		depts[d.name] = id
	}
	// Where each demo person sits, and the requester's and the AP clerk's manager.
	for local, dept := range map[string]string{"requester": "Engineering", "approver": "Engineering", "ap": "Finance", "auditor": "Finance", "admin": "Operations"} {
		u, err := models.GetUser(ctx, db, people[local])
		if err != nil {
			return err
		}
		ch := models.UserChange{Name: u.Name, Roles: u.Roles, DepartmentID: new(int64)}
		*ch.DepartmentID = depts[dept]
		if local == "requester" || local == "ap" {
			ch.ManagerID = head("approver")
		}
		if err := models.UpdateUser(ctx, db, models.ByOperator(), u.ID, ch); err != nil {
			return fmt.Errorf("place demo person %s: %w", local, err)
		}
	}
	for _, l := range []models.LocationInput{
		{Name: "Head office", Address: "100 Market Street\nSan Francisco, CA 94105"},
		{Name: "Warehouse", Address: "2200 Logistics Way\nOakland, CA 94607"},
	} {
		if _, err := models.SaveLocation(ctx, db, 0, l); err != nil {
			return fmt.Errorf("demo location %s: %w", l.Name, err)
		}
	}
	settings, err := models.Settings(ctx, db)
	if err != nil {
		return err
	}
	cur := settings.DefaultCurrency
	for _, v := range []models.VendorInput{
		{Name: "Northwind Cloud", ContactName: "Nancy Davolio", Email: "billing@northwind.example", TaxID: "US-94-1234567", PaymentTerms: "30"},
		{Name: "Contoso Hardware", ContactName: "Kim Abercrombie", Email: "orders@contoso.example", TaxID: "US-91-7654321", PaymentTerms: "45"},
		{Name: "Fabrikam Office Supply", ContactName: "Ravi Patel", Email: "sales@fabrikam.example", PaymentTerms: "15"},
		{Name: "Tailspin Travel", ContactName: "Ana Trujillo", Email: "corporate@tailspin.example", PaymentTerms: "0"},
		{Name: "Adatum Consulting", ContactName: "Lee Chen", Email: "ar@adatum.example", TaxID: "US-26-5550123", PaymentTerms: "60"},
	} {
		v.Currency, v.Status = cur, models.VendorActive
		if _, err := models.SaveVendor(ctx, db, 0, v); err != nil {
			return fmt.Errorf("demo vendor %s: %w", v.Name, err)
		}
	}
	gl := map[string]int64{}
	for _, g := range []models.GLAccountInput{
		{Code: "6000", Name: "Software"}, {Code: "6100", Name: "Hardware"}, {Code: "6200", Name: "Office supplies"},
		{Code: "6300", Name: "Travel"}, {Code: "6400", Name: "Professional services"}, {Code: "6500", Name: "Marketing"},
	} {
		id, err := models.SaveGLAccount(ctx, db, 0, g)
		if err != nil {
			return fmt.Errorf("demo GL account %s: %w", g.Code, err)
		}
		gl[g.Code] = id
	}
	year := strconv.Itoa(time.Now().Year())
	for _, b := range []struct{ dept, code, amount string }{
		{"Engineering", "6000", "120000"}, {"Engineering", "6100", "60000"}, {"Engineering", "6300", "18000"},
		{"Finance", "6400", "80000"}, {"Finance", "6000", "24000"},
		{"Operations", "6200", "15000"}, {"Operations", "6300", "25000"},
		{"Marketing", "6500", "150000"}, {"Marketing", "6300", "20000"},
	} {
		in := models.BudgetInput{DepartmentID: depts[b.dept], GLAccountID: gl[b.code], PeriodStart: year + "-01-01", PeriodEnd: year + "-12-31", Amount: b.amount}
		if _, err := models.SaveBudget(ctx, db, 0, in); err != nil {
			return fmt.Errorf("demo budget %s %s: %w", b.dept, b.code, err)
		}
	}
	return nil
}
