package handlers

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay/models"
	"outlay/money"
	"outlay/sheet"
)

// refListExport is the export of a kind of reference data: list is the kind's list query
// (run with the page's filters and an Each that takes every row), row a row's values.
// readFilter, when set, reads the page's filters beyond search and archive state (budgets);
// it returns the list query with them bound.
func refListExport[T any](k *refKind, columns []sheet.Column, list refLister[T], row func(T) []any,
	readFilter func(c *fiber.Ctx, mf models.RefFilter) (refLister[T], error)) *listExport {
	return &listExport{name: strings.ToLower(strings.ReplaceAll(k.title, " ", "-")), columns: columns,
		rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
			_, mf := refFilterOf(c, k.path)
			run := list
			if readFilter != nil {
				var err error
				if run, err = readFilter(c, mf); err != nil {
					return nil, err
				}
			}
			ctx, db := c.UserContext(), tenantDB(c)
			return func(emit func(...any) error) (int, error) {
				mf.Each = func(r any) error { return emit(row(r.(T))...) }
				res, err := run(ctx, db, mf)
				return res.Total, err
			}, nil
		}}
}

// refLister is a reference-data list query.
type refLister[T any] func(context.Context, *gorm.DB, models.RefFilter) (models.RefPage[T], error)

// The exports of the reference-data lists, each with the columns its page shows and the
// record's own values beside them.
func init() {
	departmentsRef.export = refListExport(departmentsRef,
		cols("id", "ID", "name", "Name", "code", "Code", "head", "Head", "members", "Members", "default_gl_account", "Default GL account", "status", "Status"),
		models.ListDepartments, func(d models.DepartmentRow) []any {
			return []any{d.ID, d.Name, d.Code, d.HeadName, d.Members, d.DefaultGLLabel, archivedText(d.ArchivedAt != nil)}
		}, nil)
	locationsRef.export = refListExport(locationsRef, cols("id", "ID", "name", "Name", "address", "Address", "status", "Status"),
		models.ListLocations, func(l models.Location) []any {
			return []any{l.ID, l.Name, l.Address, archivedText(l.ArchivedAt != nil)}
		}, nil)
	vendorsRef.export = refListExport(vendorsRef,
		cols("id", "ID", "name", "Name", "contact_name", "Contact", "email", "Email", "phone", "Phone", "tax_id", "Tax ID",
			"payment_terms_days", "Payment terms (days)", "currency", "Currency", "vendor_status", "Vendor status", "address", "Address", "status", "Status"),
		models.ListVendors, func(v models.Vendor) []any {
			return []any{v.ID, v.Name, v.ContactName, v.Email, v.Phone, v.TaxID, v.PaymentTermsDays, v.Currency, vendorStatusLabel(v.Status), v.Address,
				archivedText(v.ArchivedAt != nil)}
		}, nil)
	glAccountsRef.export = refListExport(glAccountsRef, cols("id", "ID", "code", "Code", "name", "Name", "status", "Status"),
		models.ListGLAccounts, func(g models.GLAccount) []any { return []any{g.ID, g.Code, g.Name, archivedText(g.ArchivedAt != nil)} }, nil)
	budgetsRef.export = refListExport(budgetsRef,
		cols("id", "ID", "department", "Department", "gl_code", "GL code", "gl_name", "GL account", "period_start", "Period start",
			"period_end", "Period end", "currency", "Currency", "amount", "Amount", "status", "Status"),
		nil, func(b models.BudgetRow) []any {
			return []any{b.ID, b.DepartmentName, b.GLCode, b.GLName, b.PeriodStart, b.PeriodEnd, b.Currency, amount(b.AmountMinor, b.Currency),
				archivedText(b.ArchivedAt != nil)}
		}, func(c *fiber.Ctx, rf models.RefFilter) (refLister[models.BudgetRow], error) {
			f, _ := refFilterOf(c, budgetsRef.path)
			mf := models.BudgetFilter{RefFilter: rf}
			if err := budgetFilters(c, &f, &mf); err != nil {
				return nil, err
			}
			return func(ctx context.Context, db *gorm.DB, rf models.RefFilter) (models.RefPage[models.BudgetRow], error) {
				mf.RefFilter = rf
				return models.ListBudgets(ctx, db, mf)
			}, nil
		})
	expenseCategoriesRef.export = refListExport(expenseCategoriesRef,
		cols("id", "ID", "name", "Name", "gl_code", "GL code", "gl_name", "GL account", "limit", "Limit", "status", "Status"),
		models.ListExpenseCategories, func(r models.ExpenseCategoryRow) []any {
			return []any{r.ID, r.Name, r.GLCode, r.GLName, r.LimitText(), archivedText(r.ArchivedAt != nil)}
		}, nil)
	mileageRatesRef.export = refListExport(mileageRatesRef,
		cols("id", "ID", "unit", "Per", "rate", "Rate", "currency", "Currency", "effective_from", "Takes effect on", "status", "Status"),
		models.ListMileageRates, func(r models.MileageRate) []any {
			return []any{r.ID, r.Unit, money.FormatUnitRate(r.RateMilli, r.Currency), r.Currency, r.EffectiveFrom, archivedText(r.ArchivedAt != nil)}
		}, nil)
	perDiemRatesRef.export = refListExport(perDiemRatesRef,
		cols("id", "ID", "destination", "Destination", "currency", "Currency", "daily", "Daily rate", "status", "Status"),
		models.ListPerDiemRates, func(r models.PerDiemRate) []any {
			return []any{r.ID, r.Destination, r.Currency, amount(r.DailyMinor, r.Currency), archivedText(r.ArchivedAt != nil)}
		}, nil)
}
