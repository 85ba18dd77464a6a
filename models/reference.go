package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	_ "time/tzdata" // time zones load wherever the server runs

	"gorm.io/gorm"

	"outlay/money"
)

// OrgSettings is the one row of settings for the whole organisation.
type OrgSettings struct {
	ID              int
	DefaultCurrency string
	TimeZone        string `gorm:"default:UTC"` // an IANA name: "Europe/Berlin", "UTC"; unset, the database's default
	BillToAddress   string // where vendors send invoices; printed on each order
	// RemindApproversAfterDays: approvers of a step that has waited longer than this many
	// days are reminded once a day; 0 is off.
	RemindApproversAfterDays int
	// How bills are matched to orders (see BillTolerance), and whether budgets count what
	// was received or what was billed as spent.
	BillMatchMode           string `gorm:"default:three_way"`
	BillPriceToleranceBP    int    `gorm:"column:bill_price_tolerance_bp"`
	BillPriceToleranceMinor *int64
	BillQuantityToleranceBP int    `gorm:"column:bill_quantity_tolerance_bp"`
	BudgetSpentBasis        string `gorm:"default:received"`
	UpdatedAt               time.Time
}

// Location is the organisation's time zone, in which people read times; UTC should the
// stored name not load.
func (s OrgSettings) Location() *time.Location {
	if loc, err := LoadTimeZone(s.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// LoadTimeZone loads an IANA time zone by name. "Local", the server's own zone, is not one.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("models: no time zone %q", name)
	}
	return time.LoadLocation(name)
}

// TableName is the settings table.
func (OrgSettings) TableName() string { return "org_settings" }

// Location is a place goods are delivered to.
type Location struct {
	ID         int64
	Name       string
	Address    string
	ArchivedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Vendor statuses.
const (
	VendorActive = "active"
	VendorOnHold = "on_hold"
)

// Vendor is a supplier the organisation buys from.
type Vendor struct {
	ID               int64
	Name             string
	ContactName      string
	Email            string
	Phone            string
	TaxID            string
	PaymentTermsDays int
	Currency         string
	Status           string
	Address          string
	// MatchMode is how the vendor's bills are matched (MatchTwoWay, MatchThreeWay); nil
	// follows the organisation's.
	MatchMode  *string
	ArchivedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// vendorColumns are the columns of a vendor, in the order fields reads them.
const vendorColumns = `v.id, v.name, v.contact_name, v.email, v.phone, v.tax_id, v.payment_terms_days, v.currency,
	v.status, v.address, v.match_mode, v.archived_at, v.created_at, v.updated_at`

func (v *Vendor) fields() []any {
	return []any{&v.ID, &v.Name, &v.ContactName, &v.Email, &v.Phone, &v.TaxID, &v.PaymentTermsDays, &v.Currency,
		&v.Status, &v.Address, &v.MatchMode, &v.ArchivedAt, &v.CreatedAt, &v.UpdatedAt}
}

// GLAccount is a general-ledger account spend is booked to.
type GLAccount struct {
	ID         int64
	Code       string
	Name       string
	ArchivedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TableName is the GL accounts table.
func (GLAccount) TableName() string { return "gl_accounts" }

// Budget is how much a department may spend on one GL account over a period.
type Budget struct {
	ID           int64
	DepartmentID int64
	GLAccountID  int64 `gorm:"column:gl_account_id"`
	PeriodStart  time.Time
	PeriodEnd    time.Time
	AmountMinor  int64
	Currency     string
	ArchivedAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Amount is the budget as money.
func (b Budget) Amount() money.Money { return money.Money{Minor: b.AmountMinor, Currency: b.Currency} }

// Settings reads the organisation's settings.
func Settings(ctx context.Context, db *gorm.DB) (OrgSettings, error) {
	// Many pages read the settings: their columns are scanned directly.
	var s OrgSettings
	found := false
	err := scanEach(db.WithContext(ctx).Raw(`SELECT id, default_currency, time_zone, bill_to_address, remind_approvers_after_days,
		bill_match_mode, bill_price_tolerance_bp, bill_price_tolerance_minor, bill_quantity_tolerance_bp, budget_spent_basis, updated_at
		FROM org_settings WHERE id = 1`), func(rows *sql.Rows) error {
		found = true
		return rows.Scan(&s.ID, &s.DefaultCurrency, &s.TimeZone, &s.BillToAddress, &s.RemindApproversAfterDays,
			&s.BillMatchMode, &s.BillPriceToleranceBP, &s.BillPriceToleranceMinor, &s.BillQuantityToleranceBP, &s.BudgetSpentBasis, &s.UpdatedAt)
	})
	if err == nil && !found {
		err = gorm.ErrRecordNotFound
	}
	return s, err
}

// ActiveVendors lists the vendors new documents may name (active, not archived), by name.
func ActiveVendors(ctx context.Context, db *gorm.DB) ([]Vendor, error) {
	var out []Vendor
	err := db.WithContext(ctx).Where("archived_at IS NULL AND status = ?", VendorActive).Order("lower(name), id").Find(&out).Error
	return out, err
}

// ActiveLocations lists the locations that are not archived, by name.
func ActiveLocations(ctx context.Context, db *gorm.DB) ([]Location, error) {
	var out []Location
	err := db.WithContext(ctx).Where("archived_at IS NULL").Order("lower(name), id").Find(&out).Error
	return out, err
}

// ActiveGLAccounts lists the GL accounts that are not archived, by code.
func ActiveGLAccounts(ctx context.Context, db *gorm.DB) ([]GLAccount, error) {
	var out []GLAccount
	err := db.WithContext(ctx).Where("archived_at IS NULL").Order("lower(code), id").Find(&out).Error
	return out, err
}
