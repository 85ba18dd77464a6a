package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views"
	"outlay/views/refdata"
)

// The expense policy the admin keeps: categories, mileage rates, per diem rates (reference
// kinds served by the shared handlers of refdata.go) and the receipt threshold.
var (
	expenseCategoriesRef = &refKind{object: outlay.ObjExpensePolicy, path: "/admin/expense-categories", table: "expense_categories",
		noun: "expense category", title: "Expense categories",
		intro:  "What people spend on, booked to a GL account. A limit per line or per day marks lines over it for the approver and asks for a justification.",
		fields: expenseCategoryFields, blank: defaultCurrencyBlank, load: loadExpenseCategory, save: saveExpenseCategory, archive: models.ArchiveExpenseCategory}
	mileageRatesRef = &refKind{object: outlay.ObjExpensePolicy, path: "/admin/mileage-rates", table: "mileage_rates", noun: "mileage rate",
		title:  "Mileage rates",
		intro:  "The price per km or mile of trips in a person's own vehicle, from the day it takes effect. Reports already priced keep their rate.",
		fields: mileageRateFields, blank: defaultCurrencyBlank, load: loadMileageRate, save: saveMileageRate, archive: models.ArchiveMileageRate}
	perDiemRatesRef = &refKind{object: outlay.ObjExpensePolicy, path: "/admin/per-diem-rates", table: "per_diem_rates", noun: "per diem rate",
		title:  "Per diem rates",
		intro:  "The daily allowance for a destination.",
		fields: perDiemRateFields, blank: defaultCurrencyBlank, load: loadPerDiemRate, save: savePerDiemRate, archive: models.ArchivePerDiemRate}
)

const receiptThresholdPath = "/admin/receipt-threshold"

var expensePolicyUpdate = policy.Permission{Object: outlay.ObjExpensePolicy, Action: outlay.ActUpdate}

func defaultCurrencyBlank(ctx context.Context, db *gorm.DB) (map[string]string, error) {
	st, err := models.Settings(ctx, db)
	return map[string]string{"currency": st.DefaultCurrency, "limit_per": models.LimitPerDay, "unit": models.UnitKm}, err
}

// ---------- Categories ----------

func expenseCategoryFields(ctx context.Context, db *gorm.DB, cur *refRecord) ([]refdata.Field, error) {
	accounts, err := models.ActiveGLAccounts(ctx, db)
	if err != nil {
		return nil, err
	}
	glOpts := []refdata.Option{{Value: "", Label: "Choose a GL account"}}
	for _, g := range accounts {
		glOpts = append(glOpts, refdata.Option{Value: strconv.FormatInt(g.ID, 10), Label: g.Code + " " + g.Name})
	}
	currency := ""
	if cur != nil {
		glOpts = views.KeepOption(glOpts, cur.Values["gl_account"], cur.Values["gl_account_label"]+" (archived)")
		currency = cur.Values["currency"]
	}
	return []refdata.Field{
		nameField("Such as “Meals” or “Taxi”."),
		{Name: "gl_account", Label: "GL account", Type: "select", Required: true, Options: glOpts},
		{Name: "limit", Label: "Limit", Type: "text", InputMode: "decimal", Max: 30, Hint: "Optional: the most a line or a day may claim without a justification."},
		{Name: "limit_per", Label: "Limit applies", Type: "select", Options: []refdata.Option{{Value: models.LimitPerDay, Label: "Per day"}, {Value: models.LimitPerLine, Label: "Per line"}}},
		currencyField("currency", "Currency of the limit", currency),
		{Name: "trip_cost", Label: "Counts on a trip as", Type: "select", Options: tripCostOptions(),
			Hint: "Which of a trip's estimated costs this category is compared with on a report started from a trip."},
	}, nil
}

// tripCostOptions are the trip estimate categories an expense category may count towards.
func tripCostOptions() []refdata.Option {
	opts := []refdata.Option{{Value: "", Label: "By the line's kind (expenses as other)"}}
	for _, c := range models.TripCostChoices() {
		opts = append(opts, refdata.Option{Value: c[0], Label: c[1]})
	}
	return opts
}

func loadExpenseCategory(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error) {
	c, err := models.GetExpenseCategory(ctx, db, id)
	if err != nil {
		return nil, err
	}
	limit, per := "", models.LimitPerDay
	if c.LimitMinor != nil {
		limit = money.Money{Minor: *c.LimitMinor, Currency: c.Currency}.Plain()
	}
	if c.LimitPer != nil {
		per = *c.LimitPer
	}
	gl := c.GLCode + " " + c.GLName
	tripCost, tripCostText := "", "By the line's kind"
	if c.TripCost != nil {
		tripCost, tripCostText = *c.TripCost, models.TravelCostLabel(*c.TripCost)
	}
	return &refRecord{ID: c.ID, Name: c.Name, Archived: c.ArchivedAt != nil, Version: models.VersionAt(c.UpdatedAt),
		Values: map[string]string{"name": c.Name, "gl_account": strconv.FormatInt(c.GLAccountID, 10), "gl_account_label": gl,
			"limit": limit, "limit_per": per, "currency": c.Currency, "trip_cost": tripCost},
		Facts: []refdata.Fact{{Label: "GL account", Value: gl}, {Label: "Limit", Value: c.LimitText()},
			{Label: "Counts on a trip as", Value: tripCostText},
			{Label: "Status", Value: archivedText(c.ArchivedAt != nil)}}}, nil
}

func saveExpenseCategory(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, v map[string]string) (int64, error) {
	return models.SaveExpenseCategory(ctx, db, id, models.ExpenseCategoryInput{FormVersion: read, Name: v["name"], GLAccountID: selectedID(v["gl_account"]),
		Limit: v["limit"], LimitPer: v["limit_per"], Currency: v["currency"], TripCost: v["trip_cost"]})
}

func (s *Server) expenseCategoriesPage(c *fiber.Ctx) error {
	f, mf := refFilterOf(c, expenseCategoriesRef.path)
	res, err := models.ListExpenseCategories(c.UserContext(), tenantDB(c), mf)
	if err != nil {
		return err
	}
	l := refdata.List{Filter: f, Total: res.Total, Plural: "expense categories", SearchHint: "Name or GL account",
		Summary: views.Plural(res.Total, "category", "categories") + " shown. Expense lines are booked to their category's GL account.",
		Columns: []string{"Name", "GL account", "Limit", "Status"}, EmptyText: "Add what people may claim, such as meals, taxis and hotels."}
	for _, r := range res.Rows {
		l.Rows = append(l.Rows, refdata.Row{ID: r.ID, Name: r.Name, Archived: r.ArchivedAt != nil, Cells: []refdata.Cell{
			{Text: r.Name, Href: refdata.ItemPath(f.Path, r.ID)}, {Text: r.GLCode + " " + r.GLName}, {Text: r.LimitText()},
			stateCell(r.ArchivedAt != nil, "Active", "badge badge-success")}})
	}
	return s.renderRefList(c, expenseCategoriesRef, l, res.Offset)
}

// ---------- Mileage rates ----------

var unitOptions = []refdata.Option{{Value: models.UnitKm, Label: "km"}, {Value: models.UnitMile, Label: "mile"}}

func mileageRateFields(_ context.Context, _ *gorm.DB, cur *refRecord) ([]refdata.Field, error) {
	currency := ""
	if cur != nil {
		currency = cur.Values["currency"]
	}
	return []refdata.Field{
		{Name: "unit", Label: "Per", Type: "select", Required: true, Options: unitOptions},
		{Name: "effective_from", Label: "Takes effect on", Type: "date", Required: true, Hint: "Trips from this day on are priced at this rate."},
		{Name: "rate", Label: "Rate", Type: "text", Required: true, InputMode: "decimal", Max: 30, Hint: "Per km or mile, such as 0.585."},
		currencyField("currency", "Currency", currency),
	}, nil
}

func loadMileageRate(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error) {
	r, err := models.GetMileageRate(ctx, db, id)
	if err != nil {
		return nil, err
	}
	rate := money.FormatUnitRate(r.RateMilli, r.Currency)
	return &refRecord{ID: r.ID, Name: r.Label(), Archived: r.ArchivedAt != nil, Version: models.VersionAt(r.UpdatedAt),
		Values: map[string]string{"unit": r.Unit, "effective_from": r.EffectiveFrom.Format(models.DateLayout),
			"rate": money.PlainUnitRate(r.RateMilli, r.Currency), "currency": r.Currency},
		Facts: []refdata.Fact{{Label: "Rate", Value: rate + " per " + r.Unit}, {Label: "Takes effect on", Value: dayText(r.EffectiveFrom)},
			{Label: "Status", Value: archivedText(r.ArchivedAt != nil)}}}, nil
}

func saveMileageRate(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, v map[string]string) (int64, error) {
	return models.SaveMileageRate(ctx, db, id, models.MileageRateInput{FormVersion: read, Unit: v["unit"], EffectiveFrom: v["effective_from"], Rate: v["rate"], Currency: v["currency"]})
}

func (s *Server) mileageRatesPage(c *fiber.Ctx) error {
	f, mf := refFilterOf(c, mileageRatesRef.path)
	res, err := models.ListMileageRates(c.UserContext(), tenantDB(c), mf)
	if err != nil {
		return err
	}
	l := refdata.List{Filter: f, Total: res.Total, Plural: "mileage rates", SearchHint: "km or mi",
		Summary: views.Plural(res.Total, "rate", "rates") + " shown. A trip takes the rate of its unit in effect on its date.",
		Columns: []string{"Rate", "Per", "Takes effect on", "Status"}, EmptyText: "Add the rate per km or mile your organisation pays."}
	for _, r := range res.Rows {
		l.Rows = append(l.Rows, refdata.Row{ID: r.ID, Name: r.Label(), Archived: r.ArchivedAt != nil, Cells: []refdata.Cell{
			{Text: money.FormatUnitRate(r.RateMilli, r.Currency), Href: refdata.ItemPath(f.Path, r.ID)}, {Text: r.Unit},
			{Text: dayText(r.EffectiveFrom)}, stateCell(r.ArchivedAt != nil, "Active", "badge badge-success")}})
	}
	return s.renderRefList(c, mileageRatesRef, l, res.Offset)
}

// ---------- Per diem rates ----------

func perDiemRateFields(_ context.Context, _ *gorm.DB, cur *refRecord) ([]refdata.Field, error) {
	currency := ""
	if cur != nil {
		currency = cur.Values["currency"]
	}
	return []refdata.Field{
		{Name: "destination", Label: "Destination", Type: "text", Required: true, Max: 200, Hint: "Such as “Berlin” or “Rest of Germany”."},
		{Name: "daily", Label: "Daily rate", Type: "text", Required: true, InputMode: "decimal", Max: 30},
		currencyField("currency", "Currency", currency),
	}, nil
}

func loadPerDiemRate(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error) {
	r, err := models.GetPerDiemRate(ctx, db, id)
	if err != nil {
		return nil, err
	}
	return &refRecord{ID: r.ID, Name: r.Destination, Archived: r.ArchivedAt != nil, Version: models.VersionAt(r.UpdatedAt),
		Values: map[string]string{"destination": r.Destination, "daily": r.Daily().Plain(), "currency": r.Currency},
		Facts:  []refdata.Fact{{Label: "Daily rate", Value: r.Daily().String()}, {Label: "Status", Value: archivedText(r.ArchivedAt != nil)}}}, nil
}

func savePerDiemRate(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, v map[string]string) (int64, error) {
	return models.SavePerDiemRate(ctx, db, id, models.PerDiemRateInput{FormVersion: read, Destination: v["destination"], Daily: v["daily"], Currency: v["currency"]})
}

func (s *Server) perDiemRatesPage(c *fiber.Ctx) error {
	f, mf := refFilterOf(c, perDiemRatesRef.path)
	res, err := models.ListPerDiemRates(c.UserContext(), tenantDB(c), mf)
	if err != nil {
		return err
	}
	l := refdata.List{Filter: f, Total: res.Total, Plural: "per diem rates", SearchHint: "Destination",
		Summary: views.Plural(res.Total, "rate", "rates") + " shown.",
		Columns: []string{"Destination", "Daily rate", "Status"}, EmptyText: "Add the daily allowance of the places people travel to."}
	for _, r := range res.Rows {
		l.Rows = append(l.Rows, refdata.Row{ID: r.ID, Name: r.Destination, Archived: r.ArchivedAt != nil, Cells: []refdata.Cell{
			{Text: r.Destination, Href: refdata.ItemPath(f.Path, r.ID)}, {Text: r.Daily().String()},
			stateCell(r.ArchivedAt != nil, "Active", "badge badge-success")}})
	}
	return s.renderRefList(c, perDiemRatesRef, l, res.Offset)
}

// ---------- Receipt threshold ----------

func (s *Server) receiptThresholdPage(c *fiber.Ctx) error {
	t, err := models.ReceiptThreshold(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	st, err := models.Settings(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	return s.renderReceiptThreshold(c, http.StatusOK, t, t.Plain(), settingsVersion(st), nil)
}

// renderReceiptThreshold shows the threshold, t, and its form holding value at version ver.
func (s *Server) renderReceiptThreshold(c *fiber.Ctx, status int, t money.Money, value string, ver views.RecordVersion, errs views.FieldErrors) error {
	csrf := s.csrfToken(c)
	f := refdata.Form{Action: receiptThresholdPath, CSRF: csrf, Submit: "Save", Errors: views.FieldErrors{}, RecordVersion: ver, Fields: []refdata.Field{
		{Name: "receipt_threshold", Label: "Receipt needed above", Type: "text", Value: value, InputMode: "decimal", Max: 30, Required: true,
			Hint: "In " + t.Currency + ". An expense line above this amount cannot be submitted without a receipt; a line of exactly this amount needs none."}}}
	if errs != nil {
		f.Errors = errs
	}
	d := refdata.Detail{Title: "Receipts", Subtitle: "When an expense line needs a receipt.", ListPath: expenseCategoriesRef.path,
		ListLabel: "Expense categories", HistoryPath: settingsPath + "/history", CSRF: csrf, CanUpdate: s.can(c, expensePolicyUpdate),
		FormTitle: "Receipt threshold", Form: f, Facts: []refdata.Fact{{Label: "Receipt needed above", Value: t.String()}}}
	return s.render(c, status, page{Title: d.Title, Nav: expenseCategoriesRef.path, Content: refdata.DetailPage(d)})
}

func (s *Server) updateReceiptThreshold(c *fiber.Ctx) error {
	var in models.ReceiptThresholdInput
	bindForm(c, &in)
	saveErr := models.SetReceiptThreshold(c.UserContext(), tenantDB(c), in)
	errs, err := refErrors(saveErr)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		t, err := models.ReceiptThreshold(c.UserContext(), tenantDB(c))
		if err != nil {
			return err
		}
		return s.renderReceiptThreshold(c, http.StatusUnprocessableEntity, t, in.Amount, shownVersion(in.Version, saveErr, receiptThresholdPath), errs)
	}
	s.setFlash(c, "success", "Saved the receipt threshold.")
	return redirect(c, receiptThresholdPath)
}
