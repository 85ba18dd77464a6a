package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
)

// Archive states a reference-data list can show.
const (
	RefActive   = ""         // records new documents may use (the default view)
	RefArchived = "archived" // records kept for history only
	RefAll      = "all"
)

// RefFilter narrows a list of reference data; the zero value lists the active records.
type RefFilter struct {
	Query  string // part of a name, code, email or tax id, in any case
	State  string // RefActive, RefArchived or RefAll
	Offset int
	Limit  int
	// Each, when set, takes every matching record (of the list's row type) in the list's
	// order, read one at a time from the database, instead of one page being returned: an
	// export of any size. The page then holds no rows and Total is how many Each took.
	Each func(row any) error
}

// RefPage is one page of a list and how many records match in all. Offset is the offset
// actually read: a page past the end reads the last page instead.
type RefPage[T any] struct {
	Rows   []T
	Total  int
	Offset int
}

// apply narrows q (whose main table is called alias) to the filter's state and search, the
// search looking for the text anywhere in cols.
func (f RefFilter) apply(q *gorm.DB, alias string, cols ...string) *gorm.DB {
	switch f.State {
	case RefArchived:
		q = q.Where(alias + ".archived_at IS NOT NULL")
	case RefAll:
	default:
		q = q.Where(alias + ".archived_at IS NULL")
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		q = q.Where(holdsText(s, cols...))
	}
	return q
}

// readPage counts what base() matches and reads the filter's page of it. base is called
// for each statement because a GORM query that has counted cannot be reused for the rows.
func readPage[T any](base func() *gorm.DB, f RefFilter, sel, order string) (RefPage[T], error) {
	if f.Each != nil {
		n, err := eachRow(base().Select(sel).Order(order), func(r T) error { return f.Each(r) })
		return RefPage[T]{Total: n}, err
	}
	limit, offset := max(f.Limit, 1), max(f.Offset, 0)
	if _, direct := any(new(T)).(fieldsOfRow); direct {
		// The page and the count in one statement (one round trip, one snapshot): each row
		// carries the count, an uncorrelated subquery Postgres runs once. A page with no rows
		// is an empty list when it is the first; a page past the end is counted below.
		rows, total, err := readRowsCounted[T](base().Select(sel+", (?) AS list_total", base().Select("count(*)")).
			Order(order).Limit(limit).Offset(offset), limit)
		if err != nil || len(rows) > 0 || offset == 0 {
			return RefPage[T]{Rows: rows, Total: total, Offset: offset}, err
		}
	}
	var total int64
	if err := base().Count(&total).Error; err != nil {
		return RefPage[T]{}, err
	}
	if int64(offset) >= total && total > 0 {
		offset = int((total - 1) / int64(limit) * int64(limit))
	}
	out := RefPage[T]{Total: int(total), Offset: offset}
	if total == 0 {
		return out, nil
	}
	var err error
	out.Rows, err = readRows[T](base().Select(sel).Order(order).Limit(limit).Offset(offset), limit)
	return out, err
}

// getOne reads the single row base() matches, or ErrNotFound.
func getOne[T any](base *gorm.DB, sel string) (*T, error) {
	var rows []T
	if err := base.Select(sel).Limit(1).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, outlay.ErrNotFound
	}
	return &rows[0], nil
}

// taken reports whether another row of table than id already has value in column col, in
// any case. table and col are constants of this file, never input.
func taken(tx *gorm.DB, table, col, value string, id int64) (bool, error) {
	var ok bool
	err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM `+table+` WHERE lower(`+col+`) = lower(?) AND id <> ?)`, value, id).Scan(&ok).Error
	return ok, err
}

// checkUnique adds msg to field when value is already used; an empty value is not checked.
func checkUnique(tx *gorm.DB, verr outlay.ValidationErrors, table, col, field, value string, id int64, msg string) error {
	if _, refused := verr[field]; refused || value == "" {
		return nil
	}
	dup, err := taken(tx, table, col, value, id)
	if dup {
		verr.Add(field, msg)
	}
	return err
}

// saveRef creates rec (id 0) or updates the row id of rec's table with fields, in tx. A
// unique index refusing the write (a race the checks lost) becomes dupMsg beside dupField.
func saveRef(tx *gorm.DB, rec any, id int64, fields map[string]any, dupField, dupMsg string) error {
	var err error
	if id == 0 {
		err = tx.Create(rec).Error
	} else {
		fields["updated_at"] = time.Now().UTC()
		res := tx.Model(rec).Where("id = ?", id).Updates(fields)
		err = res.Error
		if err == nil && res.RowsAffected == 0 {
			return outlay.ErrNotFound
		}
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return outlay.ValidationErrors{dupField: dupMsg}
	}
	return err
}

// uniqueRef is a unique column a save checks before it writes: field is the form field that
// gets msg when value is taken by another row.
type uniqueRef struct{ table, col, field, value, msg string }

// edited is the record a form of reference data changes, as a save checks it first: the
// version the form was read at, and the noun a refusal names the record by ("vendor").
type edited struct {
	FormVersion
	noun string
}

// saveUnique checks that row id of u's table is as the form edited read it, then u, and,
// when nothing is refused, creates rec (id 0) or updates row id with fields, in one
// transaction. It returns the saved row's id; newID points at rec's id.
func saveUnique(ctx context.Context, db *gorm.DB, verr outlay.ValidationErrors, rec any, newID *int64, id int64, form edited, u uniqueRef, fields map[string]any) (int64, error) {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id != 0 {
			if err := form.lockUnchanged(tx, u.table, id, form.noun); err != nil {
				return err
			}
		}
		if err := checkUnique(tx, verr, u.table, u.col, u.field, u.value, id, u.msg); err != nil {
			return err
		}
		if err := verr.Err(); err != nil {
			return err
		}
		return saveRef(tx, rec, id, fields, u.field, u.msg)
	})
	if id == 0 {
		id = *newID
	}
	return id, err
}

// setArchived archives (or brings back) the row id of model's table. Archived records keep
// their history and the documents that name them; they are only left out of new choices.
func setArchived(ctx context.Context, db *gorm.DB, model any, id int64, archived bool) error {
	var at any
	if archived {
		at = time.Now().UTC()
	}
	res := db.WithContext(ctx).Model(model).Where("id = ?", id).Updates(map[string]any{"archived_at": at, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return outlay.ErrNotFound
	}
	return nil
}

// checkLength refuses, beside field, a value of more than maxLen characters; what names it
// in the message ("An address").
func checkLength(verr outlay.ValidationErrors, field, what, value string, maxLen int) {
	if n := utf8.RuneCountInString(value); n > maxLen {
		verr.Add(field, tooLong(what, maxLen, n))
	}
}

// ---------- Departments ----------

// What a department's form (and its import) says of a value it refuses.
const (
	msgDepartmentNameTaken = "A department with this name already exists."
	msgDepartmentCodeTaken = "Another department has this code."
	msgHeadNotActive       = "Choose an active person as the head."
	msgGLAccountNotActive  = "Choose an active GL account from the list."
)

// DepartmentRow is a department with its head's name and how many people are in it.
type DepartmentRow struct {
	Department
	HeadName   string
	HeadStatus string
	Members    int
	// DefaultGLLabel names the default GL account ("6100 Office furniture"), "" for none.
	DefaultGLLabel    string
	DefaultGLArchived bool
}

// DepartmentInput is what the department form asks for.
type DepartmentInput struct {
	FormVersion // of the department edited, as its form was read
	Name        string
	Code        string
	HeadID      *int64
	// DefaultGLAccountID is the GL account its requisitions' lines start on; nil for none.
	DefaultGLAccountID *int64
}

const departmentColumns = `d.*, COALESCE(h.name, '') AS head_name, COALESCE(h.status, '') AS head_status,
	(SELECT count(*) FROM users m WHERE m.department_id = d.id AND m.status <> 'deactivated') AS members,
	COALESCE(g.code || ' ' || g.name, '') AS default_gl_label, COALESCE(g.archived_at IS NOT NULL, false) AS default_gl_archived`

func departmentQuery(ctx context.Context, db *gorm.DB) *gorm.DB {
	return db.WithContext(ctx).Table("departments d").Joins("LEFT JOIN users h ON h.id = d.head_id").
		Joins("LEFT JOIN gl_accounts g ON g.id = d.default_gl_account_id")
}

// ListDepartments returns one page of the departments matching f, by name.
func ListDepartments(ctx context.Context, db *gorm.DB, f RefFilter) (RefPage[DepartmentRow], error) {
	base := func() *gorm.DB { return f.apply(departmentQuery(ctx, db), "d", "d.name", "d.code", "h.name") }
	return readPage[DepartmentRow](base, f, departmentColumns, "lower(d.name), d.id")
}

// GetDepartment returns the department id, or ErrNotFound.
func GetDepartment(ctx context.Context, db *gorm.DB, id int64) (*DepartmentRow, error) {
	return getOne[DepartmentRow](departmentQuery(ctx, db).Where("d.id = ?", id), departmentColumns)
}

// SaveDepartment creates a department (id 0) or changes department id. The head must be an
// active person; a head who has since been deactivated may stay while other fields change.
func SaveDepartment(ctx context.Context, db *gorm.DB, id int64, in DepartmentInput) (int64, error) {
	verr := outlay.ValidationErrors{}
	d := departmentRecord(&in, verr)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur Department
		if id != 0 {
			if err := lockRow(tx, &cur, id); err != nil {
				return err
			}
			if err := in.checkUnchanged("department", cur.UpdatedAt); err != nil {
				return err
			}
		}
		if err := checkUnique(tx, verr, "departments", "name", "name", in.Name, id, msgDepartmentNameTaken); err != nil {
			return err
		}
		if err := checkUnique(tx, verr, "departments", "code", "code", in.Code, id, msgDepartmentCodeTaken); err != nil {
			return err
		}
		if in.HeadID != nil && !sameID(cur.HeadID, in.HeadID) {
			var status string
			if err := tx.Raw(`SELECT status FROM users WHERE id = ?`, *in.HeadID).Scan(&status).Error; err != nil {
				return err
			}
			if status != UserActive {
				verr.Add("head", msgHeadNotActive)
			}
		}
		// A default account archived since may stay while other fields change.
		if in.DefaultGLAccountID != nil && !sameID(cur.DefaultGLAccountID, in.DefaultGLAccountID) {
			var active []bool
			if err := tx.Raw(`SELECT archived_at IS NULL FROM gl_accounts WHERE id = ?`, *in.DefaultGLAccountID).Scan(&active).Error; err != nil {
				return err
			}
			if len(active) == 0 || !active[0] {
				verr.Add("default_gl_account", msgGLAccountNotActive)
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		return saveRef(tx, d, id, map[string]any{"name": in.Name, "code": in.Code, "head_id": in.HeadID, "default_gl_account_id": in.DefaultGLAccountID},
			"name", "A department with this name or code already exists.")
	})
	if id == 0 {
		id = d.ID
	}
	return id, err
}

// departmentRecord checks what of a department's input needs no database, and returns the
// department it describes.
func departmentRecord(in *DepartmentInput, verr outlay.ValidationErrors) *Department {
	in.Name, in.Code = oneSpaced(in.Name), strings.TrimSpace(in.Code)
	validateName(verr, in.Name)
	checkLength(verr, "code", "A code", in.Code, 20)
	return &Department{Name: in.Name, Code: in.Code, HeadID: in.HeadID, DefaultGLAccountID: in.DefaultGLAccountID}
}

// AllDepartments lists every department, archived ones too, by name: for filters over
// records that may name an archived department.
func AllDepartments(ctx context.Context, db *gorm.DB) ([]Department, error) {
	var out []Department
	err := db.WithContext(ctx).Order("lower(name), id").Find(&out).Error
	return out, err
}

// lockRow reads the row id into rec and locks it for the rest of the transaction.
func lockRow(tx *gorm.DB, rec any, id int64) error {
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(rec, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return outlay.ErrNotFound
	}
	return err
}

// ArchiveDepartment archives a department, or brings it back when archived is false. Its
// members stay in it; it is no longer offered to people or budgets.
func ArchiveDepartment(ctx context.Context, db *gorm.DB, id int64, archived bool) error {
	return setArchived(ctx, db, &Department{}, id, archived)
}

// ---------- Locations ----------

// LocationInput is what the location form asks for.
type LocationInput struct {
	FormVersion // of the location edited, as its form was read
	Name        string
	Address     string
}

// ListLocations returns one page of the locations matching f, by name.
func ListLocations(ctx context.Context, db *gorm.DB, f RefFilter) (RefPage[Location], error) {
	base := func() *gorm.DB { return f.apply(db.WithContext(ctx).Table("locations l"), "l", "l.name", "l.address") }
	return readPage[Location](base, f, "l.*", "lower(l.name), l.id")
}

// GetLocation returns the location id, or ErrNotFound.
func GetLocation(ctx context.Context, db *gorm.DB, id int64) (*Location, error) {
	return getOne[Location](db.WithContext(ctx).Table("locations l").Where("l.id = ?", id), "l.*")
}

// SaveLocation creates a location (id 0) or changes location id.
func SaveLocation(ctx context.Context, db *gorm.DB, id int64, in LocationInput) (int64, error) {
	verr := outlay.ValidationErrors{}
	l := locationRecord(&in, verr)
	return saveUnique(ctx, db, verr, l, &l.ID, id, edited{in.FormVersion, "location"}, uniqueRef{"locations", "name", "name", in.Name, "A location with this name already exists."},
		map[string]any{"name": in.Name, "address": in.Address})
}

// locationRecord checks in as the location form does (all but the name's uniqueness) and
// returns the location it describes.
func locationRecord(in *LocationInput, verr outlay.ValidationErrors) *Location {
	in.Name, in.Address = oneSpaced(in.Name), strings.TrimSpace(in.Address)
	validateName(verr, in.Name)
	checkLength(verr, "address", "An address", in.Address, 1000)
	return &Location{Name: in.Name, Address: in.Address}
}

// ArchiveLocation archives a location, or brings it back when archived is false.
func ArchiveLocation(ctx context.Context, db *gorm.DB, id int64, archived bool) error {
	return setArchived(ctx, db, &Location{}, id, archived)
}

// ---------- Vendors ----------

// VendorInput is what the vendor form asks for, as typed.
type VendorInput struct {
	FormVersion  // of the vendor edited, as its form was read
	Name         string
	ContactName  string
	Email        string
	Phone        string
	TaxID        string
	PaymentTerms string // whole days, 0–365
	Currency     string
	Status       string
	Address      string
	// MatchMode is how the vendor's bills are matched: MatchTwoWay, MatchThreeWay, or "" for
	// the organisation's way; nil leaves it as it is (imports do not carry it).
	MatchMode *string
}

// ListVendors returns one page of the vendors matching f, by name.
func ListVendors(ctx context.Context, db *gorm.DB, f RefFilter) (RefPage[Vendor], error) {
	base := func() *gorm.DB {
		return f.apply(db.WithContext(ctx).Table("vendors v"), "v", vendorSearchColumns...)
	}
	return readPage[Vendor](base, f, vendorColumns, "lower(v.name), v.id")
}

// GetVendor returns the vendor id, or ErrNotFound.
func GetVendor(ctx context.Context, db *gorm.DB, id int64) (*Vendor, error) {
	return getOne[Vendor](db.WithContext(ctx).Table("vendors v").Where("v.id = ?", id), "v.*")
}

func (in *VendorInput) validate(verr outlay.ValidationErrors) int {
	in.Name, in.ContactName, in.Phone = oneSpaced(in.Name), strings.TrimSpace(in.ContactName), strings.TrimSpace(in.Phone)
	in.TaxID, in.Address, in.Email = strings.TrimSpace(in.TaxID), strings.TrimSpace(in.Address), NormalizeEmail(in.Email)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	validateName(verr, in.Name)
	checkLength(verr, "contact_name", "A contact's name", in.ContactName, 200)
	checkLength(verr, "phone", "A phone number", in.Phone, 50)
	checkLength(verr, "tax_id", "A tax ID", in.TaxID, 50)
	checkLength(verr, "address", "An address", in.Address, 1000)
	if in.Email != "" {
		if err := ValidateEmail(in.Email); err != nil {
			verr.Add("email", err.Error())
		}
	}
	terms, err := strconv.Atoi(strings.TrimSpace(in.PaymentTerms))
	if err != nil || terms < 0 || terms > 365 {
		verr.Add("payment_terms", "Enter a whole number of days from 0 to 365.")
	}
	if !money.ValidCurrency(in.Currency) {
		verr.Add("currency", "Choose a currency: a three-letter ISO code such as USD.")
	}
	if in.Status != VendorActive && in.Status != VendorOnHold {
		verr.Add("status", "Choose Active or On hold.")
	}
	return terms
}

// SaveVendor creates a vendor (id 0) or changes vendor id.
func SaveVendor(ctx context.Context, db *gorm.DB, id int64, in VendorInput) (int64, error) {
	verr := outlay.ValidationErrors{}
	v := vendorRecord(&in, verr)
	fields := map[string]any{"name": v.Name, "contact_name": v.ContactName, "email": v.Email, "phone": v.Phone, "tax_id": v.TaxID,
		"payment_terms_days": v.PaymentTermsDays, "currency": v.Currency, "status": v.Status, "address": v.Address}
	if in.MatchMode != nil {
		fields["match_mode"] = v.MatchMode
	}
	return saveUnique(ctx, db, verr, v, &v.ID, id, edited{in.FormVersion, "vendor"}, uniqueRef{"vendors", "name", "name", in.Name, "A vendor with this name already exists."}, fields)
}

// vendorRecord checks in as the vendor form does (all but the name's uniqueness) and returns
// the vendor it describes.
func vendorRecord(in *VendorInput, verr outlay.ValidationErrors) *Vendor {
	terms := in.validate(verr)
	v := &Vendor{Name: in.Name, ContactName: in.ContactName, Email: in.Email, Phone: in.Phone, TaxID: in.TaxID,
		PaymentTermsDays: terms, Currency: in.Currency, Status: in.Status, Address: in.Address}
	if in.MatchMode != nil {
		switch mode := *in.MatchMode; mode {
		case "":
		case MatchTwoWay, MatchThreeWay:
			v.MatchMode = &mode
		default:
			verr.Add("match_mode", "Choose how this vendor's bills are matched.")
		}
	}
	return v
}

// ArchiveVendor archives a vendor, or brings it back when archived is false.
func ArchiveVendor(ctx context.Context, db *gorm.DB, id int64, archived bool) error {
	return setArchived(ctx, db, &Vendor{}, id, archived)
}

// ---------- GL accounts ----------

// GLAccountInput is what the GL account form asks for.
type GLAccountInput struct {
	FormVersion // of the account edited, as its form was read
	Code        string
	Name        string
}

// ListGLAccounts returns one page of the GL accounts matching f, by code.
func ListGLAccounts(ctx context.Context, db *gorm.DB, f RefFilter) (RefPage[GLAccount], error) {
	base := func() *gorm.DB { return f.apply(db.WithContext(ctx).Table("gl_accounts g"), "g", "g.code", "g.name") }
	return readPage[GLAccount](base, f, "g.*", "lower(g.code), g.id")
}

// GetGLAccount returns the GL account id, or ErrNotFound.
func GetGLAccount(ctx context.Context, db *gorm.DB, id int64) (*GLAccount, error) {
	return getOne[GLAccount](db.WithContext(ctx).Table("gl_accounts g").Where("g.id = ?", id), "g.*")
}

func validGLCode(code string) bool {
	if code == "" || len(code) > 20 {
		return false
	}
	for i, r := range code {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || r != '.' && r != '-') {
			return false
		}
	}
	return true
}

// SaveGLAccount creates a GL account (id 0) or changes account id.
func SaveGLAccount(ctx context.Context, db *gorm.DB, id int64, in GLAccountInput) (int64, error) {
	verr := outlay.ValidationErrors{}
	g := glAccountRecord(&in, verr)
	return saveUnique(ctx, db, verr, g, &g.ID, id, edited{in.FormVersion, "GL account"}, uniqueRef{"gl_accounts", "code", "code", in.Code, "Another GL account has this code."},
		map[string]any{"code": in.Code, "name": in.Name})
}

// glAccountRecord checks in as the GL account form does (all but the code's uniqueness) and
// returns the account it describes.
func glAccountRecord(in *GLAccountInput, verr outlay.ValidationErrors) *GLAccount {
	in.Code, in.Name = strings.TrimSpace(in.Code), oneSpaced(in.Name)
	if in.Code == "" {
		verr.Add("code", "Enter the account code, such as 6000.")
	} else if !validGLCode(in.Code) {
		verr.Add("code", "Use up to 20 letters, digits, dots or dashes, starting with a letter or digit.")
	}
	validateName(verr, in.Name)
	return &GLAccount{Code: in.Code, Name: in.Name}
}

// ArchiveGLAccount archives a GL account, or brings it back when archived is false.
func ArchiveGLAccount(ctx context.Context, db *gorm.DB, id int64, archived bool) error {
	return setArchived(ctx, db, &GLAccount{}, id, archived)
}

// ---------- Budgets ----------

// BudgetFilter narrows the budgets list.
type BudgetFilter struct {
	RefFilter
	DepartmentID int64 // 0: every department
	Year         int   // 0: any period; otherwise budgets whose period overlaps the year
}

// BudgetRow is a budget with the names of its department and GL account.
type BudgetRow struct {
	Budget
	DepartmentName     string
	DepartmentArchived bool
	GLCode             string `gorm:"column:gl_code"`
	GLName             string `gorm:"column:gl_name"`
	GLArchived         bool   `gorm:"column:gl_archived"`
}

// GLLabel is the GL account as people read it: "6000 Software".
func (b BudgetRow) GLLabel() string { return b.GLCode + " " + b.GLName }

const budgetColumns = `b.*, d.name AS department_name, d.archived_at IS NOT NULL AS department_archived,
	g.code AS gl_code, g.name AS gl_name, g.archived_at IS NOT NULL AS gl_archived`

func budgetQuery(ctx context.Context, db *gorm.DB) *gorm.DB {
	return db.WithContext(ctx).Table("budgets b").Joins("JOIN departments d ON d.id = b.department_id").Joins("JOIN gl_accounts g ON g.id = b.gl_account_id")
}

// ListBudgets returns one page of the budgets matching f: newest period first, then by
// department and GL account.
func ListBudgets(ctx context.Context, db *gorm.DB, f BudgetFilter) (RefPage[BudgetRow], error) {
	base := func() *gorm.DB {
		q := f.apply(budgetQuery(ctx, db), "b", "d.name", "g.code", "g.name")
		if f.DepartmentID != 0 {
			q = q.Where("b.department_id = ?", f.DepartmentID)
		}
		if f.Year != 0 {
			q = q.Where("b.period_start <= make_date(?, 12, 31) AND b.period_end >= make_date(?, 1, 1)", f.Year, f.Year)
		}
		return q
	}
	return readPage[BudgetRow](base, f.RefFilter, budgetColumns, "b.period_start DESC, lower(d.name), lower(g.code), b.id")
}

// GetBudget returns the budget id, or ErrNotFound.
func GetBudget(ctx context.Context, db *gorm.DB, id int64) (*BudgetRow, error) {
	return getOne[BudgetRow](budgetQuery(ctx, db).Where("b.id = ?", id), budgetColumns)
}

// BudgetInput is what the budget form asks for, as typed.
type BudgetInput struct {
	FormVersion        // of the budget edited, as its form was read
	DepartmentID int64 // 0: none chosen
	GLAccountID  int64
	PeriodStart  string // 2006-01-02
	PeriodEnd    string
	Amount       string // as people type it, in Currency
	Currency     string // empty: the organisation's default currency
}

// DateLayout is how forms send dates.
const DateLayout = "2006-01-02"

// DateNotUnderstood is what every date field says of a date it cannot read.
const DateNotUnderstood = "Enter a date like 2026-03-31."

// ParseDay reads a date as a form sends it (2026-03-31), refusing one it cannot read with
// DateNotUnderstood. A well-formed date before 2000 or after 2099 is refused for what it is,
// a typo of the year, rather than as a date not understood.
func ParseDay(s string) (time.Time, error) {
	d, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, errors.New(DateNotUnderstood)
	}
	return d, yearTypo(d)
}

// yearTypo refuses a date whose year no spend of ours has: before 2000 or after 2099.
func yearTypo(d time.Time) error {
	switch {
	case d.Year() < 2000:
		return errors.New("Enter a date from 2000 on: check the year.")
	case d.Year() > 2099:
		return errors.New("Enter a date before 2100: check the year.")
	}
	return nil
}

// refuseAfterToday refuses day beside field when it is after today, and says whether it did:
// goods received, an invoice issued and money spent have happened, so a later day is a
// mistyped one. A day of slack (MaxFutureDays) allows for time zones ahead of UTC, the zone
// of today. advice ends the message: "enter the day the goods arrived."
func refuseAfterToday(verr outlay.ValidationErrors, field string, day, today time.Time, advice string) bool {
	if !day.After(today.AddDate(0, 0, MaxFutureDays)) {
		return false
	}
	verr.Add(field, "The date is after today; "+advice)
	return true
}

func parseDate(verr outlay.ValidationErrors, field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		verr.Add(field, "Enter a date.")
		return time.Time{}
	}
	t, err := ParseDay(s)
	if err != nil {
		verr.Add(field, err.Error())
	}
	return t
}

// budgetFields checks what needs no database and returns the budget it describes.
func (in BudgetInput) budgetFields(verr outlay.ValidationErrors, defaultCurrency string) Budget {
	b := Budget{DepartmentID: in.DepartmentID, GLAccountID: in.GLAccountID}
	if in.DepartmentID == 0 {
		verr.Add("department", "Choose a department.")
	}
	if in.GLAccountID == 0 {
		verr.Add("gl_account", "Choose a GL account.")
	}
	b.PeriodStart = parseDate(verr, "period_start", in.PeriodStart)
	b.PeriodEnd = parseDate(verr, "period_end", in.PeriodEnd)
	if !b.PeriodStart.IsZero() && !b.PeriodEnd.IsZero() && b.PeriodEnd.Before(b.PeriodStart) {
		verr.Add("period_end", "The period must end on or after the day it starts.")
	}
	b.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if b.Currency == "" {
		b.Currency = defaultCurrency
	}
	if !money.ValidCurrency(b.Currency) {
		verr.Add("currency", "Choose a currency: a three-letter ISO code such as USD.")
		return b
	}
	if strings.TrimSpace(in.Amount) == "" {
		verr.Add("amount", "Enter the amount.")
		return b
	}
	m, err := money.Parse(in.Amount, b.Currency)
	switch {
	case err != nil:
		verr.Add("amount", err.Error())
	case m.Minor < 0:
		verr.Add("amount", "Enter an amount of zero or more.")
	case m.Minor > money.Max:
		verr.Add("amount", "This amount is too large.")
	}
	b.AmountMinor = m.Minor
	return b
}

// checkChoice adds msg to field unless the row id of table exists and is not archived.
func checkChoice(tx *gorm.DB, verr outlay.ValidationErrors, table, field string, id int64, msg string) error {
	if _, refused := verr[field]; refused {
		return nil
	}
	var ok bool
	if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = ? AND archived_at IS NULL)`, id).Scan(&ok).Error; err != nil {
		return err
	}
	if !ok {
		verr.Add(field, msg)
	}
	return nil
}

// checkBudgetOverlap refuses b when another active budget of the same department and GL
// account covers any of its days. The caller holds lockBudgets, so two saves cannot both
// pass this check.
func checkBudgetOverlap(tx *gorm.DB, verr outlay.ValidationErrors, b Budget) error {
	var other []BudgetRow
	err := budgetQuery(tx.Statement.Context, tx).Select(budgetColumns).
		Where("b.department_id = ? AND b.gl_account_id = ? AND b.archived_at IS NULL AND b.id <> ? AND b.period_start <= ? AND b.period_end >= ?",
			b.DepartmentID, b.GLAccountID, b.ID, b.PeriodEnd, b.PeriodStart).Limit(1).Scan(&other).Error
	if err != nil || len(other) == 0 {
		return err
	}
	o := other[0]
	verr.Add("period_start", fmt.Sprintf("%s already has a budget for %s from %s to %s; the periods may not overlap.",
		o.DepartmentName, o.GLLabel(), o.PeriodStart.Format("2 Jan 2006"), o.PeriodEnd.Format("2 Jan 2006")))
	return nil
}

// lockBudgets serialises changes to the budgets of one department for the rest of the
// transaction, so that the overlap check and the write that follows it are one step.
func lockBudgets(tx *gorm.DB, departmentID int64) error {
	return tx.Exec(`SELECT `+lockBudgetsSQL, sql.Named("department", departmentID)).Error
}

// lockBudgetsSQL is the expression that takes the lock of @department's budgets (lockBudgets);
// DecideStep takes it with the step it reads.
const lockBudgetsSQL = `pg_advisory_xact_lock(hashtextextended('outlay.budgets:' || CAST(@department AS bigint), 0))`

// SaveBudget creates a budget (id 0) or changes budget id. The department and GL account
// must be active (a changed budget may keep ones archived since), the period may not overlap
// another active budget of the same department and account, and the amount is read in the
// budget's currency, the organisation's default when none is given.
func SaveBudget(ctx context.Context, db *gorm.DB, id int64, in BudgetInput) (int64, error) {
	var saved int64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		settings, err := Settings(ctx, tx)
		if err != nil {
			return err
		}
		verr := outlay.ValidationErrors{}
		b := in.budgetFields(verr, settings.DefaultCurrency)
		b.ID = id
		var cur Budget
		if id != 0 {
			if err := lockRow(tx, &cur, id); err != nil {
				return err
			}
			if err := in.checkUnchanged("budget", cur.UpdatedAt); err != nil {
				return err
			}
		}
		if b.DepartmentID != cur.DepartmentID {
			if err := checkChoice(tx, verr, "departments", "department", b.DepartmentID, "Choose an active department from the list."); err != nil {
				return err
			}
		}
		if b.GLAccountID != cur.GLAccountID {
			if err := checkChoice(tx, verr, "gl_accounts", "gl_account", b.GLAccountID, "Choose an active GL account from the list."); err != nil {
				return err
			}
		}
		if len(verr) == 0 && cur.ArchivedAt == nil {
			if err := lockBudgets(tx, b.DepartmentID); err != nil {
				return err
			}
			if err := checkBudgetOverlap(tx, verr, b); err != nil {
				return err
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		err = saveRef(tx, &b, id, map[string]any{"department_id": b.DepartmentID, "gl_account_id": b.GLAccountID, "period_start": b.PeriodStart,
			"period_end": b.PeriodEnd, "amount_minor": b.AmountMinor, "currency": b.Currency}, "period_start", "A budget for this department and GL account already starts on this day.")
		saved = b.ID
		return err
	})
	return saved, err
}

// ArchiveBudget archives a budget, or brings it back when archived is false; a budget comes
// back only if no active budget has taken its period meanwhile.
func ArchiveBudget(ctx context.Context, db *gorm.DB, id int64, archived bool) error {
	if archived {
		return setArchived(ctx, db, &Budget{}, id, true)
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var b Budget
		if err := tx.Take(&b, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return outlay.ErrNotFound
			}
			return err
		}
		if err := lockBudgets(tx, b.DepartmentID); err != nil {
			return err
		}
		verr := outlay.ValidationErrors{}
		if err := checkBudgetOverlap(tx, verr, b); err != nil {
			return err
		}
		if msg, ok := verr["period_start"]; ok {
			return outlay.ValidationErrors{"": msg}
		}
		return setArchived(ctx, tx, &Budget{}, id, false)
	})
}

// ---------- Organisation settings ----------

// SettingsInput is the settings form as typed.
type SettingsInput struct {
	FormVersion            // of the settings, as their form was read
	DefaultCurrency string `form:"default_currency"`
	TimeZone        string `form:"time_zone"`
	BillToAddress   string `form:"bill_to_address"`
	// RemindApproversAfter is a whole number of days from 0 (off) to 365; empty is off.
	RemindApproversAfter string `form:"remind_approvers_after"`
}

// MaxReminderDays is the longest wait after which approvers can be reminded.
const MaxReminderDays = 365

// UpdateSettings changes the organisation's default currency, the one new documents and
// budgets start in (amounts already recorded keep their own), its time zone, in which
// people read times, its bill-to address and after how many days approvers are reminded of
// the steps waiting for them. Nothing changes unless all are valid, nor when the settings
// changed since their form was read.
func UpdateSettings(ctx context.Context, db *gorm.DB, in SettingsInput) error {
	currency := strings.ToUpper(strings.TrimSpace(in.DefaultCurrency))
	zone := strings.TrimSpace(in.TimeZone)
	errs := outlay.ValidationErrors{}
	if !money.ValidCurrency(currency) {
		errs["default_currency"] = "Choose a currency: a three-letter ISO code such as USD."
	}
	if _, err := LoadTimeZone(zone); err != nil || len(zone) > 64 {
		errs["time_zone"] = "Enter a time zone by its IANA name, such as Europe/Berlin or America/New_York."
	}
	billTo := strings.TrimSpace(in.BillToAddress)
	if n := utf8.RuneCountInString(billTo); n > MaxBillTo {
		errs["bill_to_address"] = tooLong("A bill-to address", MaxBillTo, n)
	} else if !plainText(billTo) {
		errs["bill_to_address"] = "Use plain text."
	}
	remind := 0
	if typed := strings.TrimSpace(in.RemindApproversAfter); typed != "" {
		n, err := strconv.Atoi(typed)
		if err != nil || n < 0 || n > MaxReminderDays {
			errs["remind_approvers_after"] = fmt.Sprintf("Enter a whole number of days from 0 to %d; 0 or empty sends no reminders.", MaxReminderDays)
		}
		remind = n
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := in.lockSettings(tx); err != nil {
			return err
		}
		if len(errs) > 0 {
			return errs
		}
		return tx.Model(&OrgSettings{}).Where("id = 1").
			Updates(map[string]any{"default_currency": currency, "time_zone": zone, "bill_to_address": billTo,
				"remind_approvers_after_days": remind, "updated_at": time.Now().UTC()}).Error
	})
}
