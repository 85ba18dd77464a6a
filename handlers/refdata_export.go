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

// archivedFlag says whether a record is archived, as a list export writes it.
func archivedFlag(archived bool) string {
	if archived {
		return "Yes"
	}
	return "No"
}

// The exports of the reference-data lists, each with the columns its page shows and the
// record's own values beside them. A column the kind's import reads carries the header and
// the values the import takes (a vendor's "Status", a budget's "GL account (code)"), and a
// column it must not read has a header it does not know ("Head name", "Archived"), so that
// the file, uploaded again unchanged, changes nothing.
func init() {
	departmentsRef.export = refListExport(departmentsRef,
		cols("id", "ID", "name", "Name", "code", "Code", "head", "Head name", "members", "Members", "default_gl_account", "Default GL account (name)", "archived", "Archived"),
		models.ListDepartments, func(d models.DepartmentRow) []any {
			return []any{d.ID, d.Name, d.Code, d.HeadName, d.Members, d.DefaultGLLabel, archivedFlag(d.ArchivedAt != nil)}
		}, nil)
	locationsRef.export = refListExport(locationsRef, cols("id", "ID", "name", "Name", "address", "Address", "archived", "Archived"),
		models.ListLocations, func(l models.Location) []any {
			return []any{l.ID, l.Name, l.Address, archivedFlag(l.ArchivedAt != nil)}
		}, nil)
	vendorsRef.export = refListExport(vendorsRef,
		cols("id", "ID", "name", "Name", "contact_name", "Contact", "email", "Email", "phone", "Phone", "tax_id", "Tax ID",
			"payment_terms_days", "Payment terms (days)", "currency", "Currency", "vendor_status", "Status", "address", "Address", "archived", "Archived"),
		models.ListVendors, func(v models.Vendor) []any {
			return []any{v.ID, v.Name, v.ContactName, v.Email, v.Phone, v.TaxID, v.PaymentTermsDays, v.Currency, vendorStatusLabel(v.Status), v.Address,
				archivedFlag(v.ArchivedAt != nil)}
		}, nil)
	glAccountsRef.export = refListExport(glAccountsRef, cols("id", "ID", "code", "Code", "name", "Name", "archived", "Archived"),
		models.ListGLAccounts, func(g models.GLAccount) []any { return []any{g.ID, g.Code, g.Name, archivedFlag(g.ArchivedAt != nil)} }, nil)
	budgetsRef.export = refListExport(budgetsRef,
		cols("id", "ID", "department", "Department", "gl_code", "GL account (code)", "gl_name", "GL account name", "period_start", "Period start",
			"period_end", "Period end", "currency", "Currency", "amount", "Amount", "archived", "Archived"),
		nil, func(b models.BudgetRow) []any {
			return []any{b.ID, b.DepartmentName, b.GLCode, b.GLName, sheet.Day(b.PeriodStart), sheet.Day(b.PeriodEnd), b.Currency, amount(b.AmountMinor, b.Currency),
				archivedFlag(b.ArchivedAt != nil)}
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
		cols("id", "ID", "name", "Name", "gl_code", "GL account (code)", "gl_name", "GL account name", "limit", "Limit", "limit_per", "Limit per",
			"currency", "Currency", "archived", "Archived"),
		models.ListExpenseCategories, func(r models.ExpenseCategoryRow) []any {
			limit, per := any(""), ""
			if r.LimitMinor != nil {
				limit = amount(*r.LimitMinor, r.Currency)
			}
			if r.LimitPer != nil {
				per = *r.LimitPer
			}
			return []any{r.ID, r.Name, r.GLCode, r.GLName, limit, per, r.Currency, archivedFlag(r.ArchivedAt != nil)}
		}, nil)
	mileageRatesRef.export = refListExport(mileageRatesRef,
		cols("id", "ID", "unit", "Per", "rate", "Rate", "currency", "Currency", "effective_from", "Takes effect on", "archived", "Archived"),
		models.ListMileageRates, func(r models.MileageRate) []any {
			return []any{r.ID, r.Unit, money.FormatUnitRate(r.RateMilli, r.Currency), r.Currency, r.EffectiveFrom, archivedFlag(r.ArchivedAt != nil)}
		}, nil)
	perDiemRatesRef.export = refListExport(perDiemRatesRef,
		cols("id", "ID", "destination", "Destination", "currency", "Currency", "daily", "Daily rate", "archived", "Archived"),
		models.ListPerDiemRates, func(r models.PerDiemRate) []any {
			return []any{r.ID, r.Destination, r.Currency, amount(r.DailyMinor, r.Currency), archivedFlag(r.ArchivedAt != nil)}
		}, nil)
}
