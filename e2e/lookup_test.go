package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outlay/internal/testutil"
	"outlay/models"
)

// pick chooses label in the lookup field id as a person does from the keyboard: types text,
// waits for the matches, moves down to label with the arrow key and takes it with Enter.
func (b *browser) pick(id, text, label string) {
	b.t.Helper()
	b.do(chromedp.Focus(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), text))
	list := strconv.Quote("#" + id + "-matches")
	position := fmt.Sprintf(`Array.from(document.querySelectorAll(%s + ' [role=option]')).findIndex(function (o) { return o.dataset.label === %q; })`, list, label)
	b.waitJS(fmt.Sprintf(`!document.querySelector(%s).hidden && %s >= 0`, list, position))
	for range eval[int](b, position) + 1 {
		b.do(chromedp.KeyEvent(kb.ArrowDown))
	}
	active := fmt.Sprintf(`document.getElementById(document.getElementById(%q).getAttribute('aria-activedescendant') || 'none')`, id)
	b.waitJS(fmt.Sprintf(`(%s || {dataset: {}}).dataset.label === %q`, active, label))
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitJS(fmt.Sprintf(`document.getElementById(%q).value === %q && document.querySelector(%s).hidden`, id, label, list))
}

// lookupValue is the id a lookup field carries.
func (b *browser) lookupValue(id string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.getElementById(%q).closest('[data-lookup]').querySelector('[data-lookup-value]').value`, id))
}

// The vendor of a requisition is found by typing part of its name among many: the matches
// open as a listbox under the field, the arrow keys move through them and Enter takes one,
// Escape closes the list, and text that matches nothing says so. The saved draft names the
// vendor picked, and its form shows the vendor's name again.
func TestVendorIsPickedFromTheKeyboard(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	dept := models.Department{Name: "Engineering"}
	gl := models.GLAccount{Code: "6100", Name: "Office furniture"}
	for _, v := range []any{&dept, &gl} {
		if err := db.WithContext(ctx).Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	var want models.Vendor
	for i := range 30 {
		v := models.Vendor{Name: fmt.Sprintf("Desk Supplier %02d", i), Currency: "USD", Status: models.VendorActive}
		if err := db.WithContext(ctx).Create(&v).Error; err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			want = v
		}
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
	b.waitBound("#vendor")

	// Typing opens at most twenty matches, none chosen yet.
	b.do(chromedp.Focus(chromedp.ID("vendor")), chromedp.SendKeys(chromedp.ID("vendor"), "desk sup"))
	b.waitJS(`!document.getElementById('vendor-matches').hidden && document.querySelectorAll('#vendor-matches [role=option]').length === 20`)
	if got := eval[string](b, `document.getElementById('vendor').getAttribute('aria-expanded')`); got != "true" {
		t.Errorf("aria-expanded with the list open: %q", got)
	}
	b.screenshot("lookup-vendor-open")
	// Down three, up one: the third match is the active one.
	for _, k := range []string{kb.ArrowDown, kb.ArrowDown, kb.ArrowDown, kb.ArrowUp} {
		b.do(chromedp.KeyEvent(k))
	}
	b.waitJS(`document.getElementById('vendor').getAttribute('aria-activedescendant') === 'vendor-match-1'`)
	b.screenshot("lookup-vendor-active")
	// Escape closes the list and chooses nothing.
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitJS(`document.getElementById('vendor-matches').hidden && document.getElementById('vendor').getAttribute('aria-expanded') === 'false'`)
	if v := b.lookupValue("vendor"); v != "" {
		t.Errorf("Escape chose %q", v)
	}
	// Text that matches nothing says so.
	b.do(chromedp.SendKeys(chromedp.ID("vendor"), "zzz"))
	b.waitJS(`!document.getElementById('vendor-matches').hidden && !!document.querySelector('#vendor-matches .lookup-empty')`)
	if got := b.text("#vendor-matches .lookup-empty"); got != "No vendor matches “desk supzzz”" {
		t.Errorf("empty state %q", got)
	}
	b.screenshot("lookup-vendor-no-match")
	b.typeInto("vendor", "")
	b.waitJS(settled)

	b.pick("vendor", "supplier 0", want.Name)
	if v := b.lookupValue("vendor"); v != strconv.FormatInt(want.ID, 10) {
		t.Fatalf("picked vendor id %q, want %d", v, want.ID)
	}
	b.screenshot("lookup-vendor-picked")
	b.waitJS(settled)

	b.typeInto("department", strconv.FormatInt(dept.ID, 10))
	b.typeInto("needed_by", time.Now().AddDate(0, 0, 14).Format("2006-01-02"))
	b.typeInto("justification", "A desk for the new starter.")
	b.typeInto("line-0-description", "Standing desk")
	b.typeInto("line-0-quantity", "1")
	b.typeInto("line-0-unit_price", "400")
	b.typeInto("line-0-gl_account", strconv.FormatInt(gl.ID, 10))
	b.waitJS(`document.querySelector('#requisition-totals dd.req-total')?.textContent.trim() === '$400.00'`)
	b.waitJS(settled)
	b.waitBound(`#requisition-form button[value="save"]`)
	b.pressAndLoad(`#requisition-form button[value="save"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	var r models.Requisition
	if err := db.Order("id DESC").First(&r).Error; err != nil {
		t.Fatal(err)
	}
	if r.VendorID == nil || *r.VendorID != want.ID {
		t.Fatalf("saved vendor %v, want %d", r.VendorID, want.ID)
	}
	// The draft's form shows the vendor by name, with its id beside it.
	if got := eval[string](b, `document.getElementById('vendor').value`); got != want.Name || b.lookupValue("vendor") != strconv.FormatInt(want.ID, 10) {
		t.Errorf("the saved draft's vendor field shows %q (id %q)", got, b.lookupValue("vendor"))
	}
	b.screenshot("lookup-vendor-saved")

	// A name typed in full and Enter picks its match without the arrow keys; so does leaving
	// the field (Tab) with the name typed in full.
	b.typeInto("vendor", "")
	b.do(chromedp.Focus(chromedp.ID("vendor")), chromedp.SendKeys(chromedp.ID("vendor"), "desk supplier 11"))
	b.waitJS(`!document.getElementById('vendor-matches').hidden && document.querySelectorAll('#vendor-matches [role=option]').length === 1`)
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitJS(`document.getElementById('vendor').value === 'Desk Supplier 11'`)
	if v := b.lookupValue("vendor"); v == "" {
		t.Error("Enter on the one match of a name typed in full chose nothing")
	}
	b.typeInto("vendor", "")
	b.do(chromedp.Focus(chromedp.ID("vendor")), chromedp.SendKeys(chromedp.ID("vendor"), "Desk Supplier 12"))
	b.waitJS(`!document.getElementById('vendor-matches').hidden && document.querySelectorAll('#vendor-matches [role=option]').length === 1`)
	b.do(chromedp.KeyEvent(kb.Tab))
	b.waitJS(`document.getElementById('vendor-matches').hidden`)
	if v := b.lookupValue("vendor"); v == "" {
		t.Error("leaving a field with a vendor's name typed in full chose nothing")
	}

	// Another pick is saved: the page says it showed the new vendor's name beside its id, so
	// the server does not take the text for a retyping.
	b.waitBound("#vendor")
	b.typeInto("vendor", "")
	b.pick("vendor", "supplier 07", "Desk Supplier 07")
	if got := eval[string](b, `document.querySelector('[name=vendor_shown]').value`); got != "Desk Supplier 07" {
		t.Errorf("after a pick the field says it showed %q; want Desk Supplier 07", got)
	}
	b.waitJS(settled)
	b.pressAndLoad(`#requisition-form button[value="save"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	var v models.Vendor
	if err := db.Where("name = ?", "Desk Supplier 07").First(&v).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.First(&r, r.ID).Error; err != nil || r.VendorID == nil || *r.VendorID != v.ID {
		t.Errorf("after another pick the saved vendor is %v (%v), want %d", r.VendorID, err, v.ID)
	}
}

// A department's head is found by typing among the active people and picked from the
// keyboard; the saved department names them.
func TestDepartmentHeadIsPickedFromTheKeyboard(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	var want *models.User
	for i := range 5 {
		u, err := models.CreateUser(context.Background(), db, models.NewUser{Email: fmt.Sprintf("hal%d@acme.example", i),
			Name: fmt.Sprintf("Hal Head %02d", i), Password: testutil.Password, Roles: []string{"approver"}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			want = u
		}
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/admin/departments/new")), chromedp.WaitVisible(chromedp.ID("ref-form")))
	b.waitBound("#head")
	b.typeInto("name", "Research")
	b.pick("head", "hal h", want.Name)
	if v := b.lookupValue("head"); v != strconv.FormatInt(want.ID, 10) {
		t.Fatalf("picked head id %q, want %d", v, want.ID)
	}
	b.screenshot("lookup-department-head-picked")
	b.waitJS(settled)
	b.pressAndLoad(`#ref-form button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	var head int64
	if err := db.Raw(`SELECT head_id FROM departments WHERE name = 'Research'`).Scan(&head).Error; err != nil || head != want.ID {
		t.Fatalf("saved head %d (%v), want %d", head, err, want.ID)
	}
}

// A name typed in full and not picked from the list (the person typed and went on) is the
// person of that name; a misspelt one is refused beside the field, which keeps it.
func TestDepartmentHeadTypedAndNotPicked(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	want, err := models.CreateUser(context.Background(), db, models.NewUser{Email: "hana@acme.example",
		Name: "Hana Head", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	b.do(chromedp.Navigate(s.URL("/admin/departments/new")), chromedp.WaitVisible(chromedp.ID("ref-form")))
	b.waitBound("#head")
	b.typeInto("name", "Research")
	b.do(chromedp.Focus(chromedp.ID("head")), chromedp.SendKeys(chromedp.ID("head"), "Hana Hed"))
	b.waitJS(settled)
	b.allow(`status of 422`)
	b.do(b.press(`#ref-form button[type="submit"]`))
	b.waitJS(`!!document.getElementById('head-error') && document.getElementById('head-error').textContent.trim() !== ''`)
	if got := b.text("#head-error"); got != "“Hana Hed” is not a person you can choose here: type the name as it is saved, or pick it from the list as you type." {
		t.Errorf("a misspelt head: %q", got)
	}
	if got := eval[string](b, `document.getElementById('head').value`); got != "Hana Hed" {
		t.Errorf("the head field shows %q; want what was typed", got)
	}
	b.screenshot("lookup-head-typed-refused")
	b.typeInto("head", "")
	b.do(chromedp.Focus(chromedp.ID("head")), chromedp.SendKeys(chromedp.ID("head"), "hana head"))
	b.waitJS(settled)
	b.pressAndLoad(`#ref-form button[type="submit"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	var head int64
	if err := db.Raw(`SELECT head_id FROM departments WHERE name = 'Research'`).Scan(&head).Error; err != nil || head != want.ID {
		t.Fatalf("saved head %d (%v), want %d", head, err, want.ID)
	}
}
