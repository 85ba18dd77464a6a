package models_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"gorm.io/gorm"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
)

// refFixture is a tenant with one department and one GL account to budget against.
type refFixture struct {
	db     *gorm.DB
	dept   int64
	glAcct int64
}

func newRefFixture(t *testing.T) refFixture {
	t.Helper()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	dept, err := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: "Engineering", Code: "ENG"})
	if err != nil {
		t.Fatal(err)
	}
	gl, err := models.SaveGLAccount(ctx, db, 0, models.GLAccountInput{Code: "6000", Name: "Software"})
	if err != nil {
		t.Fatal(err)
	}
	return refFixture{db: db, dept: dept, glAcct: gl}
}

func (f refFixture) budget(start, end, amount string) models.BudgetInput {
	return models.BudgetInput{DepartmentID: f.dept, GLAccountID: f.glAcct, PeriodStart: start, PeriodEnd: end, Amount: amount}
}

// fieldError returns the message err holds for field, failing when err is not a refusal.
func fieldError(t *testing.T, err error, field string) string {
	t.Helper()
	v, ok := outlay.AsValidation(err)
	if !ok {
		t.Fatalf("want a validation error on %q, got %v", field, err)
	}
	return v[field]
}

func TestBudgetsMayNotOverlap(t *testing.T) {
	t.Parallel()
	f := newRefFixture(t)
	ctx := context.Background()
	id, err := models.SaveBudget(ctx, f.db, 0, f.budget("2026-01-01", "2026-12-31", "120,000.50"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := models.GetBudget(ctx, f.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if b.AmountMinor != 12_000_050 || b.Currency != "USD" {
		t.Errorf("stored %d %s, want 12000050 USD (the default currency)", b.AmountMinor, b.Currency)
	}
	cases := []struct {
		name, start, end string
		field, want      string
	}{
		{"same period", "2026-01-01", "2026-12-31", "period_start", "Engineering already has a budget for 6000 Software from 1 Jan 2026 to 31 Dec 2026; the periods may not overlap."},
		{"inside", "2026-03-01", "2026-03-31", "period_start", "Engineering already has a budget for 6000 Software from 1 Jan 2026 to 31 Dec 2026; the periods may not overlap."},
		{"straddling the end", "2026-12-31", "2027-06-30", "period_start", "Engineering already has a budget for 6000 Software from 1 Jan 2026 to 31 Dec 2026; the periods may not overlap."},
		{"ends before it starts", "2027-02-01", "2027-01-31", "period_end", "The period must end on or after the day it starts."},
		{"not a date", "31/01/2027", "2027-12-31", "period_start", models.DateNotUnderstood},
	}
	for _, c := range cases {
		_, err := models.SaveBudget(ctx, f.db, 0, f.budget(c.start, c.end, "10"))
		if got := fieldError(t, err, c.field); got != c.want {
			t.Errorf("%s: %s = %q, want %q", c.name, c.field, got, c.want)
		}
	}
	// The next year is free, and an edit of a budget does not collide with itself.
	if _, err := models.SaveBudget(ctx, f.db, 0, f.budget("2027-01-01", "2027-12-31", "10")); err != nil {
		t.Errorf("next year: %v", err)
	}
	if _, err := models.SaveBudget(ctx, f.db, id, f.budget("2026-01-01", "2026-12-31", "99")); err != nil {
		t.Errorf("editing the amount: %v", err)
	}
	// Archived, it frees its period; it cannot come back while another budget holds it.
	if err := models.ArchiveBudget(ctx, f.db, id, true); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveBudget(ctx, f.db, 0, f.budget("2026-06-01", "2026-12-31", "5")); err != nil {
		t.Fatalf("a period freed by archiving: %v", err)
	}
	if got := fieldError(t, models.ArchiveBudget(ctx, f.db, id, false), ""); got == "" {
		t.Error("unarchiving into an overlap was allowed")
	}
}

func TestBudgetAmountsAndChoicesAreChecked(t *testing.T) {
	t.Parallel()
	f := newRefFixture(t)
	ctx := context.Background()
	if err := models.ArchiveGLAccount(ctx, f.db, f.glAcct, true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		in    models.BudgetInput
		field string
		want  string
	}{
		{"archived account", f.budget("2026-01-01", "2026-12-31", "10"), "gl_account", "Choose an active GL account from the list."},
		{"no department", models.BudgetInput{GLAccountID: f.glAcct, PeriodStart: "2026-01-01", PeriodEnd: "2026-12-31", Amount: "1"}, "department", "Choose a department."},
		{"unknown department", models.BudgetInput{DepartmentID: 999999, GLAccountID: f.glAcct, PeriodStart: "2026-01-01", PeriodEnd: "2026-12-31", Amount: "1"}, "department", "Choose an active department from the list."},
		{"negative", f.budget("2026-01-01", "2026-12-31", "-5"), "amount", "Enter an amount of zero or more."},
		{"no amount", f.budget("2026-01-01", "2026-12-31", " "), "amount", "Enter the amount."},
		{"bad currency", models.BudgetInput{DepartmentID: f.dept, GLAccountID: f.glAcct, PeriodStart: "2026-01-01", PeriodEnd: "2026-12-31", Amount: "1", Currency: "dollars"}, "currency", "Choose a currency: a three-letter ISO code such as USD."},
	}
	for _, c := range cases {
		_, err := models.SaveBudget(ctx, f.db, 0, c.in)
		if got := fieldError(t, err, c.field); got != c.want {
			t.Errorf("%s: %s = %q, want %q", c.name, c.field, got, c.want)
		}
	}
	// Yen have no minor unit: "1.5" is refused rather than rounded, and the default follows
	// the organisation's setting.
	if err := models.ArchiveGLAccount(ctx, f.db, f.glAcct, false); err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateSettings(ctx, f.db, models.SettingsInput{DefaultCurrency: "jpy", TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if got := fieldError(t, func() error {
		_, err := models.SaveBudget(ctx, f.db, 0, f.budget("2026-01-01", "2026-12-31", "1.5"))
		return err
	}(), "amount"); got == "" {
		t.Error("1.5 yen was accepted")
	}
	id, err := models.SaveBudget(ctx, f.db, 0, f.budget("2026-01-01", "2026-12-31", "1,500,000"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := models.GetBudget(ctx, f.db, id); b.Amount().String() != "¥1,500,000" {
		t.Errorf("stored %s", b.Amount())
	}
}

// Two admins creating overlapping budgets at the same moment cannot both succeed: the
// per-department lock makes the second one see the first.
func TestConcurrentOverlappingBudgetsOneWins(t *testing.T) {
	t.Parallel()
	f := newRefFixture(t)
	for round := 0; round < 5; round++ {
		year := 2030 + round
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Different but overlapping periods, so the unique index alone would not catch them.
				start := fmt.Sprintf("%d-%02d-01", year, i+1)
				_, errs[i] = models.SaveBudget(context.Background(), f.db, 0, f.budget(start, fmt.Sprintf("%d-12-31", year), "100"))
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if _, ok := outlay.AsValidation(err); !ok {
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d overlapping budgets were created, want 1", round, won)
		}
	}
}

func TestReferenceDataRefusesDuplicatesAndBadFields(t *testing.T) {
	t.Parallel()
	f := newRefFixture(t)
	ctx := context.Background()
	_, err := models.SaveDepartment(ctx, f.db, 0, models.DepartmentInput{Name: "engineering "})
	if got := fieldError(t, err, "name"); got != "A department with this name already exists." {
		t.Errorf("duplicate department name: %q", got)
	}
	_, err = models.SaveDepartment(ctx, f.db, 0, models.DepartmentInput{Name: "Platform", Code: "eng"})
	if got := fieldError(t, err, "code"); got != "Another department has this code." {
		t.Errorf("duplicate department code: %q", got)
	}
	_, err = models.SaveGLAccount(ctx, f.db, 0, models.GLAccountInput{Code: "6000", Name: "Other"})
	if got := fieldError(t, err, "code"); got != "Another GL account has this code." {
		t.Errorf("duplicate GL code: %q", got)
	}
	_, err = models.SaveGLAccount(ctx, f.db, 0, models.GLAccountInput{Code: "-60 00", Name: "Other"})
	if got := fieldError(t, err, "code"); got == "" {
		t.Error("a malformed GL code was accepted")
	}
	good := models.VendorInput{Name: "Initech", Email: "ap@initech.example", PaymentTerms: "30", Currency: "usd", Status: models.VendorActive}
	vid, err := models.SaveVendor(ctx, f.db, 0, good)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := models.GetVendor(ctx, f.db, vid); v.Currency != "USD" || v.PaymentTermsDays != 30 {
		t.Errorf("vendor stored as %+v", v)
	}
	bad := []struct {
		change func(*models.VendorInput)
		field  string
	}{
		{func(v *models.VendorInput) { v.Name = "INITECH" }, "name"},
		{func(v *models.VendorInput) { v.Name = "  initech  " }, "name"},
		{func(v *models.VendorInput) { v.Name = "Init\u202eech" }, "name"},     // turns the text after it around on screen
		{func(v *models.VendorInput) { v.Name = "Initech\nHoldings" }, "name"}, // two lines
		{func(v *models.VendorInput) { v.Email = "not-an-email" }, "email"},
		{func(v *models.VendorInput) { v.PaymentTerms = "366" }, "payment_terms"},
		{func(v *models.VendorInput) { v.PaymentTerms = "-1" }, "payment_terms"},
		{func(v *models.VendorInput) { v.PaymentTerms = "30.5" }, "payment_terms"},
		{func(v *models.VendorInput) { v.Currency = "US" }, "currency"},
		{func(v *models.VendorInput) { v.Status = "gone" }, "status"},
	}
	for _, b := range bad {
		in := good
		in.Name = "Globex"
		if b.field == "name" {
			in.Name = ""
		}
		b.change(&in)
		_, err := models.SaveVendor(ctx, f.db, 0, in)
		if fieldError(t, err, b.field) == "" {
			t.Errorf("%+v: no message for %s (got %v)", in, b.field, err)
		}
	}
	// Runs of spaces are one space: the name is kept as "Acme Holdings Ltd", and the same name
	// typed with other spaces is the same vendor.
	spaced := good
	spaced.Name = "  Acme  Holdings   Ltd "
	aid, err := models.SaveVendor(ctx, f.db, 0, spaced)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := models.GetVendor(ctx, f.db, aid); v.Name != "Acme Holdings Ltd" {
		t.Errorf("vendor name stored as %q", v.Name)
	}
	spaced.Name = "acme holdings  ltd"
	if _, err := models.SaveVendor(ctx, f.db, 0, spaced); fieldError(t, err, "name") != "A vendor with this name already exists." {
		t.Errorf("the same name with other spaces: %v", err)
	}
	// A head must be an active person; an unknown one is refused beside the field.
	bogus := int64(424242)
	_, err = models.SaveDepartment(ctx, f.db, f.dept, models.DepartmentInput{Name: "Engineering", HeadID: &bogus})
	if got := fieldError(t, err, "head"); got != "Choose an active person as the head." {
		t.Errorf("unknown head: %q", got)
	}
	if _, err := models.GetDepartment(ctx, f.db, 999999); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("missing department: %v", err)
	}
}

func TestReferenceListsSearchFilterAndPage(t *testing.T) {
	t.Parallel()
	f := newRefFixture(t)
	ctx := context.Background()
	for i := 1; i <= 30; i++ {
		id, err := models.SaveVendor(ctx, f.db, 0, models.VendorInput{Name: fmt.Sprintf("Vendor %02d", i), TaxID: fmt.Sprintf("TAX-%02d", i),
			PaymentTerms: "30", Currency: "EUR", Status: models.VendorActive})
		if err != nil {
			t.Fatal(err)
		}
		if i > 27 {
			if err := models.ArchiveVendor(ctx, f.db, id, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	active, err := models.ListVendors(ctx, f.db, models.RefFilter{Limit: 25})
	if err != nil {
		t.Fatal(err)
	}
	if active.Total != 27 || len(active.Rows) != 25 || active.Rows[0].Name != "Vendor 01" {
		t.Errorf("active: total %d, %d rows", active.Total, len(active.Rows))
	}
	past, _ := models.ListVendors(ctx, f.db, models.RefFilter{Limit: 25, Offset: 500})
	if past.Offset != 25 || len(past.Rows) != 2 || past.Total != 27 {
		t.Errorf("a page past the end read offset %d, %d rows of %d", past.Offset, len(past.Rows), past.Total)
	}
	// A page and its count are one statement; only a page past the end needs more.
	sent := countStatements(t, f.db)
	for _, c := range []struct {
		f          models.RefFilter
		total, n   int
		statements int
	}{
		{models.RefFilter{Limit: 25}, 27, 25, 1},
		{models.RefFilter{Limit: 25, Offset: 25}, 27, 2, 1},
		{models.RefFilter{Query: "no such vendor", Limit: 25}, 0, 0, 1},
		{models.RefFilter{Query: "no such vendor", Limit: 25, Offset: 25}, 0, 0, 2},
		{models.RefFilter{Limit: 25, Offset: 50}, 27, 2, 3},
	} {
		before := sent()
		got, err := models.ListVendors(ctx, f.db, c.f)
		if err != nil || got.Total != c.total || len(got.Rows) != c.n || sent()-before != c.statements {
			t.Errorf("%+v: %d of %d in %d statements, %v; want %d of %d in %d", c.f, len(got.Rows), got.Total, sent()-before, err,
				c.n, c.total, c.statements)
		}
	}
	archived, _ := models.ListVendors(ctx, f.db, models.RefFilter{State: models.RefArchived, Limit: 25})
	if archived.Total != 3 {
		t.Errorf("archived: %d", archived.Total)
	}
	found, _ := models.ListVendors(ctx, f.db, models.RefFilter{Query: "tax-1", State: models.RefAll, Limit: 25})
	if found.Total != 10 {
		t.Errorf("search by tax id found %d, want 10", found.Total)
	}
	// The page is read straight into each vendor's fields: every field as GORM reads the
	// whole row, a vendor's own matching and an archived vendor's date included.
	if err := f.db.Exec("UPDATE vendors SET match_mode = 'three_way', contact_name = 'Ann', phone = '+1 555' WHERE name = 'Vendor 29'").Error; err != nil {
		t.Fatal(err)
	}
	every, err := models.ListVendors(ctx, f.db, models.RefFilter{State: models.RefAll, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var whole []models.Vendor
	if err := f.db.Table("vendors").Order("lower(name), id").Find(&whole).Error; err != nil {
		t.Fatal(err)
	}
	if len(whole) != 30 || !reflect.DeepEqual(every.Rows, whole) {
		t.Errorf("the list read its vendors as\n%+v\nnot as GORM reads them:\n%+v", every.Rows, whole)
	}
	if v := every.Rows[28]; v.MatchMode == nil || *v.MatchMode != "three_way" || v.ArchivedAt == nil || v.Phone != "+1 555" {
		t.Errorf("Vendor 29 read as %+v", v)
	}
	choices, _ := models.ActiveVendors(ctx, f.db)
	if len(choices) != 27 {
		t.Errorf("archived vendors are offered for new documents: %d choices", len(choices))
	}
}

// A list page and a search over many vendors: go test -run '^$' -bench ListVendors ./models/
func BenchmarkListVendors(b *testing.B) {
	env, acme := dbtest.NewTenant(b)
	db := env.DB(b, acme)
	// Seeding through SQL is quicker than 10,000 audited creates; the list reads the same rows.
	if err := db.Exec(`INSERT INTO vendors (name, contact_name, email, tax_id, currency)
		SELECT 'Vendor ' || g, 'Contact ' || g, 'ap' || g || '@vendor.example', 'TAX-' || g, 'USD' FROM generate_series(1, 10000) g`).Error; err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, f := range []models.RefFilter{{Limit: 25}, {Limit: 25, Offset: 9975}, {Query: "tax-99", Limit: 25}} {
		b.Run(fmt.Sprintf("q=%q/offset=%d", f.Query, f.Offset), func(b *testing.B) {
			for b.Loop() {
				if _, err := models.ListVendors(ctx, db, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// countStatements counts the statements db's handle sends from now on (subqueries built
// into a statement are not sent).
func countStatements(t *testing.T, db *gorm.DB) func() int {
	sent := sentStatements(t, db)
	return func() int { return len(sent()) }
}

// sentStatements records the text of each statement db's handle sends from now on.
func sentStatements(t *testing.T, db *gorm.DB) func() []string {
	var mu sync.Mutex
	var texts []string
	record := func(tx *gorm.DB) {
		if tx.Statement.SQL.Len() > 0 && !tx.DryRun {
			mu.Lock()
			texts = append(texts, tx.Statement.SQL.String())
			mu.Unlock()
		}
	}
	cb := db.Callback()
	name := "test:sent_" + t.Name()
	for _, err := range []error{cb.Query().After("*").Register(name, record), cb.Row().After("*").Register(name, record),
		cb.Raw().After("*").Register(name, record)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), texts...)
	}
}
