package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/internal/testutil"
	"outlay/models"
)

// The edit forms of stored records other than drafts (people, vendors and their bank
// details, departments, GL accounts, budgets, locations, the expense policy's categories and
// rates, approval rules, the organisation's settings, the receipt threshold, bill matching
// and an order's terms) carry the version of the record they were read at, as drafts' forms
// do: the same record open in two tabs, saved in one and then in the other, has the second
// save refused with the drafts' message above the form and a link to the record as it now
// is, the first tab's change kept, and what the second tab typed shown again with the
// current version, so that saving once more is the person's choice.

// changedSince is what the refusal says, of a record ("was") or of settings ("were").
const changedSince = "changed in another tab or by someone else"

// recordTabs is one stored record's edit form, opened in two tabs.
type recordTabs struct {
	page string // the page that shows the form
	form string // the form's selector
	// field is a field both tabs change: tab A types a, tab B types b.
	field, a, b string
	// alsoA, if set, is more tab A changes (a person's roles).
	alsoA func(url.Values)
	// retype, if set, types again what a form never shows (a bank account's number) before
	// each save.
	retype func(url.Values)
	// stored reads the record as one text (query, with the record's id as its argument);
	// storedA and storedB are what it reads after tab A's save and after tab B's.
	query            string
	id               int64
	storedA, storedB string
	current          string // where the refusal links to, the record's page; page when empty
}

// open reads the edit form as a new tab shows it.
func (r recordTabs) open(t *testing.T, c *testutil.Client) url.Values {
	t.Helper()
	res := c.Get(r.page)
	if res.Status != http.StatusOK {
		t.Fatalf("open %s: %d", r.page, res.Status)
	}
	return formValues(t, res, r.form)
}

// save posts f where the form posts, as a browser does.
func (r recordTabs) save(t *testing.T, c *testutil.Client, f url.Values) *testutil.Response {
	t.Helper()
	action := c.Get(r.page).Doc.Find(r.form).AttrOr("action", "")
	if action == "" {
		t.Fatalf("the form %s of %s posts nowhere", r.form, r.page)
	}
	if r.retype != nil {
		r.retype(f)
	}
	return c.Post(action, f)
}

func (r recordTabs) stored(t *testing.T, s *refSite) string {
	t.Helper()
	var got string
	if err := s.db(t).Raw(r.query, r.id).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRecordEditedInTwoTabs(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	c := s.admin
	for _, r := range recordForms(t, s) {
		t.Run(strings.TrimPrefix(r.page, "/"), func(t *testing.T) {
			a, b := r.open(t, c), r.open(t, c)
			read := a.Get("version")
			if read == "" || b.Get("version") != read {
				t.Fatalf("the two tabs carry versions %q and %q", read, b.Get("version"))
			}
			a.Set(r.field, r.a)
			if r.alsoA != nil {
				r.alsoA(a)
			}
			if res := r.save(t, c, a); res.Status != http.StatusSeeOther {
				t.Fatalf("tab A's save: %d %s", res.Status, res.Text(".flash-error, .field-error"))
			}
			if got := r.stored(t, s); got != r.storedA {
				t.Fatalf("after tab A's save the record holds %q, want %q", got, r.storedA)
			}

			b.Set(r.field, r.b)
			res := r.save(t, c, b)
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text(r.form+" .flash-error"), changedSince) {
				t.Fatalf("tab B's save of a form read before tab A's: %d %q", res.Status, res.Text(".flash-error, .field-error"))
			}
			if got := r.stored(t, s); got != r.storedA {
				t.Errorf("after tab B's refused save the record holds %q, want tab A's %q", got, r.storedA)
			}
			current := r.current
			if current == "" {
				current = r.page
			}
			link := res.Doc.Find(r.form + " .flash-error a")
			if link.AttrOr("href", "") != current || link.AttrOr("target", "") != "_blank" {
				t.Errorf("the refusal links to %q (target %q), want the record as it now is, %q, in a new tab",
					link.AttrOr("href", ""), link.AttrOr("target", ""), current)
			}
			shown := formValues(t, res, r.form)
			if shown.Get(r.field) != r.b {
				t.Errorf("the refused form shows %s %q, not what tab B typed, %q", r.field, shown.Get(r.field), r.b)
			}
			now := r.open(t, c).Get("version")
			if now == read || shown.Get("version") != now {
				t.Errorf("the refused form carries version %q; read at %q, current %q", shown.Get("version"), read, now)
			}

			// Saving the form shown again, at the current version, is the person's choice.
			if res := r.save(t, c, shown); res.Status != http.StatusSeeOther {
				t.Fatalf("saving the form shown again: %d %s", res.Status, res.Text(".flash-error, .field-error"))
			}
			if got := r.stored(t, s); got != r.storedB {
				t.Errorf("after saving again the record holds %q, want tab B's %q", got, r.storedB)
			}
			// A current form, saved as it is, saves.
			if res := r.save(t, c, r.open(t, c)); res.Status != http.StatusSeeOther {
				t.Errorf("saving a current form unchanged: %d %s", res.Status, res.Text(".flash-error, .field-error"))
			}
		})
	}
}

// A person open in two tabs: tab A gives them a role, tab B, read before, changes only their
// department. Tab B's save is refused and the role stays; the form shown again holds tab B's
// department and roles as ticked there, for the admin to check before saving once more.
func TestPersonsRolesKeptFromAFormReadBefore(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	r := personTabs(t, s)
	a, b := r.open(t, s.admin), r.open(t, s.admin)
	r.alsoA(a)
	if res := r.save(t, s.admin, a); res.Status != http.StatusSeeOther {
		t.Fatalf("tab A's save: %d %s", res.Status, res.Text(".flash-error, .field-error"))
	}
	b.Set("department", r.b)
	res := r.save(t, s.admin, b)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("tab B's save: %d %s", res.Status, res.Text(".flash-error, .field-error"))
	}
	var roles string
	if err := s.db(t).Raw(`SELECT string_agg(role, ',' ORDER BY role) FROM user_roles WHERE user_id = ?`, r.id).Scan(&roles).Error; err != nil {
		t.Fatal(err)
	}
	if roles != "approver,requester" {
		t.Errorf("after tab B's refused save the person's roles are %q", roles)
	}
	shown := formValues(t, res, r.form)
	if shown.Get("department") != r.b || strings.Join(shown["roles"], ",") != "requester" {
		t.Errorf("the refused form shows department %q and roles %q, not tab B's", shown.Get("department"), shown["roles"])
	}
}

// A vendor's bank details removed in another tab: a form read before is refused as such,
// rather than quietly keeping them again.
func TestVendorBankDetailsRemovedInAnotherTab(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	r := vendorBankTabs(t, s)
	first := r.open(t, s.admin)
	first.Set("holder_name", "Paper Co")
	if res := r.save(t, s.admin, first); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.Status, res.Text(".flash-error, .field-error"))
	}
	stale := r.open(t, s.admin)
	s.admin.Get(r.current)
	if res := s.admin.Post(r.page+"/remove", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.Status)
	}
	stale.Set("holder_name", "Paper Co again")
	res := r.save(t, s.admin, stale)
	want := "These bank details were removed in another tab or by someone else since you opened this form."
	if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Text(r.form+" .flash-error"), want) {
		t.Fatalf("saving after the removal: %d %q", res.Status, res.Text(".flash-error, .field-error"))
	}
	if _, err := models.GetVendorBankAccount(context.Background(), s.db(t), r.id); err == nil {
		t.Error("the stale form kept bank details again")
	}
	if shown := formValues(t, res, r.form); shown.Get("holder_name") != "Paper Co again" || shown.Get("version") != models.NoVersion {
		t.Errorf("the refused form shows %q at version %q", shown.Get("holder_name"), shown.Get("version"))
	}
}

// recordForms are the stored records whose edit forms carry a version, each with the pages
// and fields its test uses.
func recordForms(t *testing.T, s *refSite) []recordTabs {
	t.Helper()
	ctx, db := context.Background(), s.db(t)
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	dept := must(models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: "Research"}))
	gl := must(models.SaveGLAccount(ctx, db, 0, models.GLAccountInput{Code: "6000", Name: "Software"}))
	loc := must(models.SaveLocation(ctx, db, 0, models.LocationInput{Name: "Head office", Address: "1 Main St"}))
	vendor := must(models.SaveVendor(ctx, db, 0, models.VendorInput{Name: "Initech", PaymentTerms: "30", Currency: "USD", Status: models.VendorActive}))
	budget := must(models.SaveBudget(ctx, db, 0, models.BudgetInput{DepartmentID: dept, GLAccountID: gl, PeriodStart: "2026-01-01",
		PeriodEnd: "2026-12-31", Amount: "10000.00", Currency: "USD"}))
	category := must(models.SaveExpenseCategory(ctx, db, 0, models.ExpenseCategoryInput{Name: "Meals", GLAccountID: gl, Currency: "USD"}))
	mileage := must(models.SaveMileageRate(ctx, db, 0, models.MileageRateInput{Unit: models.UnitKm, EffectiveFrom: "2026-01-01", Rate: "0.30", Currency: "USD"}))
	perDiem := must(models.SavePerDiemRate(ctx, db, 0, models.PerDiemRateInput{Destination: "Berlin", Daily: "40.00", Currency: "USD"}))
	rule, err := models.CreateApprovalRule(ctx, db, models.RuleInput{DocType: models.DocRequisition, Name: "Large purchases", Priority: "10",
		Currency: "USD", MaxAmount: "1000.00", BudgetCheck: models.BudgetCheckWarn, Active: true, Steps: []models.RuleStepInput{{Kind: models.StepManager}}})
	if err != nil {
		t.Fatal(err)
	}
	rita := s.env.CreateUser(t, s.acme, "rita@acme.example", "Rita Requester", "requester")
	clerk := s.env.CreateUser(t, s.acme, "carl@acme.example", "Carl Clerk", "ap_clerk")
	bought := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	order, err := models.CreatePurchaseOrder(ctx, db, models.Viewer{UserID: clerk.ID, Roles: []string{"ap_clerk"},
		SeeAllKinds: []string{models.DocRequisition}}, bought.Requisition.ID)
	if err != nil {
		t.Fatal(err)
	}
	ref := func(path string, id int64, field, a, b, query, storedA, storedB string) recordTabs {
		return recordTabs{page: fmt.Sprintf("%s/%d", path, id), form: "#ref-form", field: field, a: a, b: b,
			query: query, id: id, storedA: storedA, storedB: storedB}
	}
	settings := func(page, form, field, a, b, column, storedA, storedB string) recordTabs {
		return recordTabs{page: page, form: form, field: field, a: a, b: b, id: 1,
			query: `SELECT ` + column + `::text FROM org_settings WHERE id = ?`, storedA: storedA, storedB: storedB}
	}
	return []recordTabs{
		personTabs(t, s),
		ref("/vendors", vendor, "email", "a@initech.example", "b@initech.example", `SELECT email FROM vendors WHERE id = ?`,
			"a@initech.example", "b@initech.example"),
		vendorBankTabs(t, s),
		ref("/admin/departments", dept, "name", "Research A", "Research B", `SELECT name FROM departments WHERE id = ?`, "Research A", "Research B"),
		ref("/admin/gl-accounts", gl, "name", "Software A", "Software B", `SELECT name FROM gl_accounts WHERE id = ?`, "Software A", "Software B"),
		ref("/admin/budgets", budget, "amount", "12000.00", "15000.00", `SELECT amount_minor::text FROM budgets WHERE id = ?`, "1200000", "1500000"),
		ref("/admin/locations", loc, "address", "2 High St", "3 Dock Rd", `SELECT address FROM locations WHERE id = ?`, "2 High St", "3 Dock Rd"),
		ref("/admin/expense-categories", category, "name", "Meals A", "Meals B", `SELECT name FROM expense_categories WHERE id = ?`, "Meals A", "Meals B"),
		ref("/admin/mileage-rates", mileage, "effective_from", "2026-02-01", "2026-03-01", `SELECT effective_from::text FROM mileage_rates WHERE id = ?`,
			"2026-02-01", "2026-03-01"),
		ref("/admin/per-diem-rates", perDiem, "destination", "Berlin A", "Berlin B", `SELECT destination FROM per_diem_rates WHERE id = ?`, "Berlin A", "Berlin B"),
		{page: fmt.Sprintf("/admin/approval-rules/%d", rule.ID), form: "#rule-form", field: "max_amount", a: "500.00", b: "750.00",
			query: `SELECT max_amount_minor::text FROM approval_rules WHERE id = ?`, id: rule.ID, storedA: "50000", storedB: "75000"},
		settings("/admin/settings", "#ref-form", "bill_to_address", "1 Main St", "2 High St", "bill_to_address", "1 Main St", "2 High St"),
		settings("/admin/receipt-threshold", "#ref-form", "receipt_threshold", "30.00", "40.00", "receipt_threshold_minor", "3000", "4000"),
		settings("/admin/bill-matching", `form[action="/admin/bill-matching"]`, "price_percent", "3", "4", "bill_price_tolerance_bp", "300", "400"),
		{page: fmt.Sprintf("/purchase-orders/%d", order.ID), form: "#terms-form", field: "vendor_notes", a: "Deliver before noon.", b: "Ring the bell.",
			query: `SELECT vendor_notes FROM purchase_orders WHERE id = ?`, id: order.ID, storedA: "Deliver before noon.", storedB: "Ring the bell."},
	}
}

// personTabs is a requester in one department, whose edit form tab A gives the approver role
// (keeping the department) and tab B moves to another department.
func personTabs(t *testing.T, s *refSite) recordTabs {
	t.Helper()
	ctx, db := context.Background(), s.db(t)
	var depts [2]int64
	for i, name := range []string{"Sales", "Support"} {
		id, err := models.SaveDepartment(ctx, db, 0, models.DepartmentInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		depts[i] = id
	}
	riley := s.env.CreateUser(t, s.acme, "riley@acme.example", "Riley Requester", "requester")
	if err := db.Exec(`UPDATE users SET department_id = ? WHERE id = ?`, depts[0], riley.ID).Error; err != nil {
		t.Fatal(err)
	}
	return recordTabs{page: fmt.Sprintf("/admin/users/%d", riley.ID), form: "#user-form", field: "department", a: ids(depts[0]), b: ids(depts[1]),
		alsoA: func(f url.Values) { f.Add("roles", "approver") }, id: riley.ID,
		query: `SELECT u.department_id || ' ' || (SELECT string_agg(role, ',' ORDER BY role) FROM user_roles WHERE user_id = u.id)
			FROM users u WHERE u.id = ?`,
		storedA: ids(depts[0]) + " approver,requester", storedB: ids(depts[1]) + " requester"}
}

// vendorBankTabs is a vendor with no bank details yet, whose bank details form each tab fills
// in, the IBAN typed again at each save (it is never shown).
func vendorBankTabs(t *testing.T, s *refSite) recordTabs {
	t.Helper()
	id, err := models.SaveVendor(context.Background(), s.db(t), 0, models.VendorInput{Name: "Paper Co", PaymentTerms: "30", Currency: "EUR",
		Status: models.VendorActive})
	if err != nil {
		t.Fatal(err)
	}
	return recordTabs{page: fmt.Sprintf("/vendors/%d/bank", id), form: "#ref-form", field: "holder_name", a: "Paper Co A", b: "Paper Co B",
		retype: func(f url.Values) { f.Set("scheme", models.BankIBAN); f.Set("iban", "DE89 3704 0044 0532 0130 00") },
		query:  `SELECT holder_name FROM vendor_bank_accounts WHERE vendor_id = ?`, id: id, storedA: "Paper Co A", storedB: "Paper Co B",
		current: fmt.Sprintf("/vendors/%d", id)}
}
