package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// focusedRefusal is the element that has the focus, as a test names it: "summary" for the
// message above a refused form, a field's id, or what else it is.
const focusedRefusal = `(function () {
  var e = document.activeElement;
  if (!e || e === document.body) return 'nothing';
  return e.hasAttribute('data-form-error') ? 'summary' : (e.id || describe(e));
})()`

// inView is true when the focused element is in the window and not under the sticky top bar.
const inView = `(function () {
  var r = document.activeElement.getBoundingClientRect();
  var bar = document.querySelector('.topbar');
  var top = bar ? bar.getBoundingClientRect().bottom : 0;
  return r.top >= top && r.bottom <= innerHeight;
})()`

// A requisition's Save refused because the draft changed in another tab comes back with its
// message above the form: the page was scrolled down at the Save button, and the focus, with
// the view, moves up to the message. Deleted in another tab, the same: the message says so,
// and the form keeps what was typed.
func TestRefusedRequisitionSaveTakesTheFocusToItsMessage(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	dept := models.Department{Name: "Engineering"}
	vendor := models.Vendor{Name: "Desk Depot", Currency: "USD", Status: models.VendorActive}
	gl := models.GLAccount{Code: "6100", Name: "Office furniture"}
	for _, v := range []any{&dept, &vendor, &gl} {
		if err := db.WithContext(ctx).Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	draft := func() string {
		var lines []testutil.RequisitionLine
		for range 6 {
			lines = append(lines, testutil.RequisitionLine{GLAccountID: &gl.ID, Amount: 4500})
		}
		r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: rita.ID, DepartmentID: &dept.ID, VendorID: &vendor.ID,
			Justification: "Desks for the new starters.", Lines: lines})
		return fmt.Sprintf("/requisitions/%d", r.ID)
	}

	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, "rita@acme.example", testutil.Password)
	// openAndType opens the draft's form, types in it and scrolls down to its Save button, as
	// a person about to save does.
	openAndType := func(path string) {
		t.Helper()
		b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.ID("requisition-form")))
		b.waitBound("#requisition-form")
		b.do(chromedp.SendKeys(chromedp.ID("justification"), "Typed in this tab. "))
		b.do(chromedp.ScrollIntoView(chromedp.CSS(`#requisition-form button[name="intent"][value="save"]`)))
		if eval[bool](b, `document.querySelector('#requisition-form [data-form-error]') !== null`) {
			t.Fatal("the form shows a refusal before it is saved")
		}
	}
	save := func() {
		t.Helper()
		b.do(b.press(`#requisition-form button[name="intent"][value="save"]`))
		b.do(chromedp.WaitVisible(chromedp.CSS(`#requisition-form [data-form-error]`)))
		b.waitJS(settled)
	}

	// Changed in another tab.
	path := draft()
	openAndType(path)
	if err := db.Exec(`UPDATE requisitions SET justification = 'Changed in the other tab.', updated_at = now() WHERE id = (SELECT max(id) FROM requisitions)`).Error; err != nil {
		t.Fatal(err)
	}
	save()
	if got := eval[string](b, focusedRefusal); got != "summary" {
		t.Errorf("after the refused save the focus is on %s, want the message above the form", got)
	}
	if !eval[bool](b, inView) {
		t.Error("the message above the form is not in view")
	}
	if got := b.text(`#requisition-form [data-form-error]`); got == "" || eval[string](b, `document.activeElement.textContent.trim()`) != got {
		t.Errorf("the focused message is not the refusal %q", got)
	}
	b.screenshot("changed-in-another-tab")

	// Deleted in another tab.
	path = draft()
	openAndType(path)
	typed := eval[string](b, `document.getElementById('justification').value`)
	if err := models.DeleteRequisitionDraft(ctx, db, rita.ID, lastRequisition(t, s)); err != nil {
		t.Fatal(err)
	}
	save()
	want := "This requisition was deleted in another tab or by someone else since you opened this form, so it was not saved. " +
		"Copy what you need from the form below."
	if got := b.text(`#requisition-form [data-form-error]`); got != want {
		t.Errorf("after a save of a deleted draft the form says %q, want %q", got, want)
	}
	if got := eval[string](b, focusedRefusal); got != "summary" || !eval[bool](b, inView) {
		t.Errorf("after a save of a deleted draft the focus is on %s (in view: %v), want the message", got, eval[bool](b, inView))
	}
	if got := eval[string](b, `document.getElementById('justification').value`); got != typed {
		t.Errorf("the form holds %q, not what was typed, %q", got, typed)
	}
	if b.path() != path {
		t.Errorf("the browser left the form for %s", b.path())
	}
	b.screenshot("deleted-in-another-tab")
}

// refusingBrowser is a browser signed in as the site's admin, in which the 422 answers of
// refused forms are expected.
func refusingBrowser(t *testing.T, s *site) *browser {
	t.Helper()
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)
	return b
}

// lastRequisition is the id of the newest requisition.
func lastRequisition(t *testing.T, s *site) int64 {
	t.Helper()
	var id int64
	if err := s.App.DB(t, s.Tenant).Raw(`SELECT max(id) FROM requisitions`).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// A refused form with no message above it (only beside its fields) puts the focus in the
// first field marked, as htmx swaps it in: here a new department without a name.
func TestRefusedFormWithoutSummaryFocusesTheFirstMarkedField(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/admin/departments/new")), chromedp.WaitVisible(chromedp.ID("ref-form")))
	b.waitBound("#ref-form")
	b.do(b.press(`#ref-form button[type="submit"]`))
	b.do(chromedp.WaitVisible(chromedp.CSS(`#ref-form .field-error`)))
	b.waitJS(settled)
	want := eval[string](b, `document.querySelector('#ref-form [aria-invalid="true"]').id`)
	if got := eval[string](b, focusedRefusal); got != want {
		t.Errorf("after the refused save the focus is on %s, want the first field marked, %s", got, want)
	}
}

// An expense report is a form of full pages: refused, it loads again with a message above it
// saying that fields below need correcting, each listed as a link to its field, and the focus
// in the first field marked.
func TestRefusedExpenseFormLoadsWithTheFocusInItsFirstMarkedField(t *testing.T) {
	s := startSite(t)
	b := refusingBrowser(t, s)
	for _, sz := range sizes {
		b.size(sz.phone)
		b.do(chromedp.Navigate(s.URL("/expenses/new")), chromedp.WaitVisible(chromedp.ID("expense-form")))
		b.do(chromedp.SendKeys(chromedp.ID("expense-0-amount"), "-12.00"))
		b.pressAndLoad(`#expense-form button[value="save"]`)
		b.do(chromedp.WaitVisible(chromedp.CSS(`#expense-form [data-form-error]`)))
		if got := b.text(`#expense-form [data-form-error] .form-error-body`); !strings.HasPrefix(got, "Please correct the fields marked below.") {
			t.Errorf("%s: the message above the refused form: %q", sz.name, got)
		}
		first := eval[string](b, `document.querySelector('#expense-form [aria-invalid="true"]').id`)
		b.waitJS(`document.activeElement && document.activeElement.id === ` + jsString(first))
		if !eval[bool](b, inView) {
			t.Errorf("%s: the first field marked, %s, is not in view", sz.name, first)
		}
		if got := eval[string](b, `document.querySelector('#expense-form [data-form-error] a').getAttribute('href')`); got != "#"+first {
			t.Errorf("%s: the message's first link leads to %s, want #%s", sz.name, got, first)
		}
		b.screenshot(sz.name + "-refused-expense")
	}
}

// A refused bill, as a refused requisition, comes back (swapped in by htmx) with the focus in
// its first field marked, and the message above it lists each refusal as a link to its field
// (a line's named by its line); following a link puts the focus in that field. The refused
// line's fields stay level, as a refused filter's. On a desktop and on a phone.
func TestRefusedBillFocusesItsFirstMarkedFieldAndListsTheRest(t *testing.T) {
	s := startSite(t)
	b := refusingBrowser(t, s)
	for _, sz := range sizes {
		b.size(sz.phone)
		for _, form := range []struct{ path, id, line, lineID string }{
			{"/bills/new", "bill-form", "Line 1 · Quantity: ", "bill-line-0"},
			{"/requisitions/new", "requisition-form", "Line 1 · Quantity: ", "line-0"},
		} {
			sel := "#" + form.id
			b.do(chromedp.Navigate(s.URL(form.path)), chromedp.WaitVisible(chromedp.ID(form.id)))
			b.waitBound(sel)
			b.typeInto("line-0-description", "Toner")
			b.typeInto("line-0-quantity", "2,5")
			b.do(b.press(sel + ` button[name="intent"][value="save"]`))
			b.do(chromedp.WaitVisible(chromedp.CSS(sel + ` [data-form-error] a`)))
			b.waitJS(settled)
			first := eval[string](b, `document.querySelector(`+jsString(sel+` [aria-invalid="true"]`)+`).id`)
			if got := eval[string](b, focusedRefusal); got != first {
				t.Errorf("%s %s: after the refused save the focus is on %s, want the first field marked, %s", sz.name, form.path, got, first)
			}
			if !eval[bool](b, inView) {
				t.Errorf("%s %s: the focused field is not in view", sz.name, form.path)
			}
			links := eval[[]string](b, `[...document.querySelectorAll(`+jsString(sel+` [data-form-error] a`)+`)].map(a => a.getAttribute('href') + ' ' + a.textContent)`)
			marked := eval[[]string](b, `[...document.querySelectorAll(`+jsString(sel+` [aria-invalid="true"]`)+`)].map(e => '#' + e.id)`)
			for _, id := range marked {
				if !slices.ContainsFunc(links, func(l string) bool { return strings.HasPrefix(l, id+" ") }) {
					t.Errorf("%s %s: no link to %s among %q", sz.name, form.path, id, links)
				}
			}
			if !slices.ContainsFunc(links, func(l string) bool { return strings.HasPrefix(l, "#line-0-quantity "+form.line) }) {
				t.Errorf("%s %s: the line's quantity is not listed by its line: %q", sz.name, form.path, links)
			}
			// The line's fields stay level, their messages below them.
			if bad := eval[string](b, fmt.Sprintf(levelControls, "#"+form.lineID)); bad != "" {
				t.Errorf("%s %s: the refused line is not level: %s", sz.name, form.path, bad)
			}
			b.screenshot(sz.name + "-" + form.id + "-refused")
			b.do(b.press(sel + ` [data-form-error] a[href="#line-0-quantity"]`))
			b.waitJS(`document.activeElement.id === 'line-0-quantity'`)
			if !eval[bool](b, inView) {
				t.Errorf("%s %s: the line's quantity, focused from its link, is not in view", sz.name, form.path)
			}
		}
	}
}

// A person's page open while someone else gives them a role: saving a change of their
// department from it is refused in place, the message above the form in view with the focus
// and a link that opens the person as they now are in a new tab; the department chosen is
// still chosen, and the role stays. Saving once more saves the form as it shows.
func TestPersonChangedElsewhereRefusedInPlace(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	sales, support := models.Department{Name: "Sales"}, models.Department{Name: "Support"}
	for _, d := range []*models.Department{&sales, &support} {
		if err := db.Create(d).Error; err != nil {
			t.Fatal(err)
		}
	}
	riley := s.App.CreateUser(t, s.Tenant, "riley@acme.example", "Riley Requester", "requester")
	path := fmt.Sprintf("/admin/users/%d", riley.ID)

	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.ID("user-form")))
	b.waitBound("#user-form")
	b.do(chromedp.SetValue(chromedp.ID("department"), fmt.Sprint(support.ID)))
	// Meanwhile, in another tab, the person is given the approver role.
	if err := models.UpdateUser(ctx, db, models.ByOperator(), riley.ID, models.UserChange{Name: riley.Name, Roles: []string{"requester", "approver"}}); err != nil {
		t.Fatal(err)
	}
	b.do(b.press(`#user-form button[type="submit"]`))
	b.do(chromedp.WaitVisible(chromedp.CSS(`#user-form [data-form-error]`)))
	b.waitJS(settled)
	if got := b.text(`#user-form [data-form-error]`); !strings.HasPrefix(got, "This person was changed in another tab or by someone else") {
		t.Errorf("the refused form says %q", got)
	}
	if got := eval[string](b, focusedRefusal); got != "summary" || !eval[bool](b, inView) {
		t.Errorf("after the refused save the focus is on %s (in view: %v), want the message", got, eval[bool](b, inView))
	}
	link := `document.querySelector('#user-form [data-form-error] a')`
	if href, target := eval[string](b, link+`.getAttribute('href')`), eval[string](b, link+`.target`); href != path || target != "_blank" {
		t.Errorf("the refusal links to %q in %q, want the person's page in a new tab", href, target)
	}
	if got := eval[string](b, `document.getElementById('department').value`); got != fmt.Sprint(support.ID) {
		t.Errorf("the department chosen is no longer chosen: %q", got)
	}
	if b.path() != path {
		t.Errorf("the browser left the form for %s", b.path())
	}
	b.screenshot("person-changed-elsewhere")
	var roles string
	if err := db.Raw(`SELECT string_agg(role, ',' ORDER BY role) FROM user_roles WHERE user_id = ?`, riley.ID).Scan(&roles).Error; err != nil {
		t.Fatal(err)
	}
	if roles != "approver,requester" {
		t.Errorf("after the refused save the person's roles are %q", roles)
	}
	// The form shown again carries the person's current version: saving it is the admin's
	// choice, made after the warning, and now saves.
	b.pressAndLoad(`#user-form button[type="submit"]`)
	var dept int64
	if err := db.Raw(`SELECT department_id FROM users WHERE id = ?`, riley.ID).Scan(&dept).Error; err != nil || dept != support.ID {
		t.Errorf("after saving again the person's department is %d (%v), want %d", dept, err, support.ID)
	}
}
