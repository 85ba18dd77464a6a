package models

import (
	"context"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"outlay"
	"outlay/money"
)

// The reference data of expense reports, kept by the admin: categories, mileage rates and
// per diem rates (the receipt threshold is an organisation setting).

// ---------- Expense categories ----------

// ExpenseCategoryRow is a category with its GL account's code and name.
type ExpenseCategoryRow struct {
	ExpenseCategory
	GLCode string
	GLName string
}

// ExpenseCategoryInput is what the category form asks for.
type ExpenseCategoryInput struct {
	FormVersion // of the category edited, as its form was read
	Name        string
	GLAccountID int64
	Limit       string // "" for no limit
	LimitPer    string // LimitPerLine or LimitPerDay, with a limit
	Currency    string
	TripCost    string // the trip estimate category it counts towards, "" for none
}

const categorySelect = "c.*, g.code AS gl_code, g.name AS gl_name"

func categoryBase(db *gorm.DB) *gorm.DB {
	return db.Table("expense_categories c").Joins("JOIN gl_accounts g ON g.id = c.gl_account_id")
}

// ListExpenseCategories returns one page of the categories matching f, by name.
func ListExpenseCategories(ctx context.Context, db *gorm.DB, f RefFilter) (RefPage[ExpenseCategoryRow], error) {
	base := func() *gorm.DB { return f.apply(categoryBase(db.WithContext(ctx)), "c", "c.name", "g.code", "g.name") }
	return readPage[ExpenseCategoryRow](base, f, categorySelect, "lower(c.name), c.id")
}

// GetExpenseCategory returns category id, or ErrNotFound.
func GetExpenseCategory(ctx context.Context, db *gorm.DB, id int64) (*ExpenseCategoryRow, error) {
	return getOne[ExpenseCategoryRow](categoryBase(db.WithContext(ctx)).Where("c.id = ?", id), categorySelect)
}

// ActiveExpenseCategories lists the categories new lines may use, by name.
func ActiveExpenseCategories(ctx context.Context, db *gorm.DB) ([]ExpenseCategory, error) {
	var out []ExpenseCategory
	err := db.WithContext(ctx).Where("archived_at IS NULL").Order("lower(name), id").Find(&out).Error
	return out, err
}

// SaveExpenseCategory creates a category (id 0) or changes category id.
func SaveExpenseCategory(ctx context.Context, db *gorm.DB, id int64, in ExpenseCategoryInput) (int64, error) {
	in.Name, in.Currency = oneSpaced(in.Name), strings.ToUpper(strings.TrimSpace(in.Currency))
	verr := outlay.ValidationErrors{}
	validateName(verr, in.Name)
	if !money.ValidCurrency(in.Currency) {
		verr.Add("currency", "Choose a currency: a three-letter ISO code such as USD.")
	}
	c := &ExpenseCategory{Name: in.Name, GLAccountID: in.GLAccountID, Currency: in.Currency, TripCost: validTripCost(verr, in.TripCost)}
	if strings.TrimSpace(in.Limit) != "" && verr["currency"] == "" {
		m, err := money.Parse(in.Limit, in.Currency)
		switch {
		case err != nil:
			verr.Add("limit", err.Error())
		case m.Minor <= 0 || m.Minor > money.Max:
			verr.Add("limit", "Enter a limit above zero, or leave it empty for none.")
		default:
			c.LimitMinor = &m.Minor
		}
		if in.LimitPer != LimitPerLine && in.LimitPer != LimitPerDay {
			verr.Add("limit_per", "Choose whether the limit is per line or per day.")
		} else {
			per := in.LimitPer
			c.LimitPer = &per
		}
	}
	if c.LimitMinor == nil {
		c.LimitPer = nil
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id != 0 {
			if err := in.lockUnchanged(tx, "expense_categories", id, "expense category"); err != nil {
				return err
			}
		}
		if in.GLAccountID == 0 {
			verr.Add("gl_account", "Choose the GL account this category is booked to.")
		} else if err := checkChoice(tx, verr, "gl_accounts", "gl_account", in.GLAccountID, "Choose an active GL account from the list."); err != nil {
			return err
		}
		if err := checkUnique(tx, verr, "expense_categories", "name", "name", in.Name, id, "Another category has this name."); err != nil {
			return err
		}
		if err := verr.Err(); err != nil {
			return err
		}
		return saveRef(tx, c, id, map[string]any{"name": c.Name, "gl_account_id": c.GLAccountID, "limit_minor": c.LimitMinor,
			"limit_per": c.LimitPer, "currency": c.Currency, "trip_cost": c.TripCost}, "name", "Another category has this name.")
	})
	if id == 0 {
		id = c.ID
	}
	return id, err
}

// ArchiveExpenseCategory archives a category, or brings it back when archived is false.
func ArchiveExpenseCategory(ctx context.Context, db *gorm.DB, id int64, archived bool) error {
	return setArchived(ctx, db, &ExpenseCategory{}, id, archived)
}

// ---------- Mileage rates ----------

// MileageRateInput is what the mileage rate form asks for.
type MileageRateInput struct {
	FormVersion   // of the rate edited, as its form was read
	Unit          string
	EffectiveFrom string
	Rate          string // per unit, such as 0.585
	Currency      string
}

// ListMileageRates returns one page of the mileage rates, newest first per unit.
func ListMileageRates(ctx context.Context, db *gorm.DB, f RefFilter) (RefPage[MileageRate], error) {
	base := func() *gorm.DB { return f.apply(db.WithContext(ctx).Table("mileage_rates m"), "m", "m.unit") }
	return readPage[MileageRate](base, f, "m.*", "m.unit, m.effective_from DESC, m.id")
}

// GetMileageRate returns mileage rate id, or ErrNotFound.
func GetMileageRate(ctx context.Context, db *gorm.DB, id int64) (*MileageRate, error) {
	return getOne[MileageRate](db.WithContext(ctx).Table("mileage_rates m").Where("m.id = ?", id), "m.*")
}

// SaveMileageRate creates a mileage rate (id 0) or changes rate id. Lines already priced
// keep the rate they were priced at.
func SaveMileageRate(ctx context.Context, db *gorm.DB, id int64, in MileageRateInput) (int64, error) {
	verr := outlay.ValidationErrors{}
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	r := &MileageRate{Unit: strings.TrimSpace(in.Unit), Currency: in.Currency}
	if r.Unit != UnitKm && r.Unit != UnitMile {
		verr.Add("unit", "Choose km or miles.")
	}
	r.EffectiveFrom = parseDate(verr, "effective_from", in.EffectiveFrom)
	if !money.ValidCurrency(in.Currency) {
		verr.Add("currency", "Choose a currency: a three-letter ISO code such as USD.")
	} else if rate, err := money.ParseUnitRate(in.Rate, in.Currency); err != nil {
		verr.Add("rate", err.Error())
	} else {
		r.RateMilli = rate
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id != 0 {
			if err := in.lockUnchanged(tx, "mileage_rates", id, "mileage rate"); err != nil {
				return err
			}
		}
		if verr["unit"] == "" && verr["effective_from"] == "" {
			var n int64
			if err := tx.Model(&MileageRate{}).Where("unit = ? AND effective_from = ? AND id <> ? AND archived_at IS NULL",
				r.Unit, r.EffectiveFrom.Format(DateLayout), id).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				verr.Add("effective_from", "Another rate of this unit takes effect on this day.")
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		return saveRef(tx, r, id, map[string]any{"unit": r.Unit, "effective_from": r.EffectiveFrom, "rate_milli": r.RateMilli,
			"currency": r.Currency}, "effective_from", "Another rate of this unit takes effect on this day.")
	})
	if id == 0 {
		id = r.ID
	}
	return id, err
}

// ArchiveMileageRate archives a mileage rate, or brings it back when archived is false.
func ArchiveMileageRate(ctx context.Context, db *gorm.DB, id int64, archived bool) error {
	return setArchived(ctx, db, &MileageRate{}, id, archived)
}

// Label names a rate: "$0.585 per mile from 1 Jan 2026".
func (r MileageRate) Label() string {
	return money.FormatUnitRate(r.RateMilli, r.Currency) + " per " + unitName(r.Unit) + " from " + r.EffectiveFrom.Format("2 Jan 2006")
}

// ---------- Per diem rates ----------

// PerDiemRateInput is what the per diem form asks for.
type PerDiemRateInput struct {
	FormVersion // of the rate edited, as its form was read
	Destination string
	Daily       string
	Currency    string
}

// ListPerDiemRates returns one page of the per diem rates, by destination.
func ListPerDiemRates(ctx context.Context, db *gorm.DB, f RefFilter) (RefPage[PerDiemRate], error) {
	base := func() *gorm.DB { return f.apply(db.WithContext(ctx).Table("per_diem_rates p"), "p", "p.destination") }
	return readPage[PerDiemRate](base, f, "p.*", "lower(p.destination), p.id")
}

// GetPerDiemRate returns per diem rate id, or ErrNotFound.
func GetPerDiemRate(ctx context.Context, db *gorm.DB, id int64) (*PerDiemRate, error) {
	return getOne[PerDiemRate](db.WithContext(ctx).Table("per_diem_rates p").Where("p.id = ?", id), "p.*")
}

// ActivePerDiemRates lists the destinations new lines may use.
func ActivePerDiemRates(ctx context.Context, db *gorm.DB) ([]PerDiemRate, error) {
	var out []PerDiemRate
	err := db.WithContext(ctx).Where("archived_at IS NULL").Order("lower(destination), id").Find(&out).Error
	return out, err
}

// SavePerDiemRate creates a per diem rate (id 0) or changes rate id.
func SavePerDiemRate(ctx context.Context, db *gorm.DB, id int64, in PerDiemRateInput) (int64, error) {
	verr := outlay.ValidationErrors{}
	in.Destination, in.Currency = strings.TrimSpace(in.Destination), strings.ToUpper(strings.TrimSpace(in.Currency))
	switch n := utf8.RuneCountInString(in.Destination); {
	case n == 0:
		verr.Add("destination", "Name the destination, such as “Berlin”.")
	case n > 200:
		verr.Add("destination", tooLong("A destination", 200, n))
	case !plainText(in.Destination):
		verr.Add("destination", "Use plain text.")
	}
	r := &PerDiemRate{Destination: in.Destination, Currency: in.Currency}
	if !money.ValidCurrency(in.Currency) {
		verr.Add("currency", "Choose a currency: a three-letter ISO code such as USD.")
	} else if m, err := money.Parse(in.Daily, in.Currency); err != nil {
		verr.Add("daily", err.Error())
	} else if m.Minor <= 0 || m.Minor > money.Max {
		verr.Add("daily", "Enter a daily rate above zero.")
	} else {
		r.DailyMinor = m.Minor
	}
	return saveUnique(ctx, db, verr, r, &r.ID, id, edited{in.FormVersion, "per diem rate"}, uniqueRef{"per_diem_rates", "destination", "destination", in.Destination,
		"Another rate has this destination."}, map[string]any{"destination": r.Destination, "daily_minor": r.DailyMinor, "currency": r.Currency})
}

// ArchivePerDiemRate archives a per diem rate, or brings it back when archived is false.
func ArchivePerDiemRate(ctx context.Context, db *gorm.DB, id int64, archived bool) error {
	return setArchived(ctx, db, &PerDiemRate{}, id, archived)
}

// Daily is the rate as money.
func (r PerDiemRate) Daily() money.Money {
	return money.Money{Minor: r.DailyMinor, Currency: r.Currency}
}
