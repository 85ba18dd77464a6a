package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// formSite is a site with what a requisition names: a department, a vendor and a GL account.
type formSite struct {
	*site
	dept   models.Department
	vendor models.Vendor
	gl     models.GLAccount
}

func startFormSite(t *testing.T) *formSite {
	t.Helper()
	s := &formSite{site: startSite(t), dept: models.Department{Name: "Engineering"},
		vendor: models.Vendor{Name: "Desk Depot", Currency: "USD", Status: models.VendorActive}, gl: models.GLAccount{Code: "6100", Name: "Office furniture"}}
	db := s.App.DB(t, s.Tenant)
	for _, v := range []any{&s.dept, &s.vendor, &s.gl} {
		if err := db.WithContext(context.Background()).Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// sizes are the two viewports the form is tried at.
var sizes = []struct {
	name  string
	phone bool
}{{"desktop", false}, {"phone", true}}

func (b *browser) size(phone bool) {
	b.t.Helper()
	if phone {
		b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	} else {
		b.viewport(1280, 900)
	}
}

// typeInto replaces a field's value as typing does, firing input and change.
func (b *browser) typeInto(id, value string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () { var e = document.getElementById(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, id, value)))
}

// A number that cannot be read is named beside its field while typing, at 1280×900 and on a
// phone; corrected, the message goes and the total counts the line. Saved anyway, the
// server refuses it beside the field and keeps what was typed.
func TestUnreadableNumberIsNamedWhileTypingInTheBrowser(t *testing.T) {
	s := startFormSite(t)
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s.site, s.User.Email, testutil.Password)
	for _, sz := range sizes {
		b.size(sz.phone)
		b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
		b.typeInto("line-0-description", "Standing desk")
		b.typeInto("line-0-unit_price", "250")
		b.typeInto("line-0-quantity", "2,5")
		b.waitJS(`document.getElementById('line-0-quantity-error')?.textContent.trim() === 'Enter a number like 1,234.50.'`)
		b.waitJS(`document.getElementById('line-0-quantity').getAttribute('aria-invalid') === 'true'`)
		if got := b.text(".req-unpriced"); got != "Line 1 is not in the total: a number on it cannot be read." {
			t.Errorf("%s: the total says %q", sz.name, got)
		}
		assertNoHorizontalScroll(t, b)
		b.screenshot(sz.name + "-unreadable-quantity")

		b.typeInto("line-0-quantity", "2.5")
		b.waitJS(`!document.getElementById('line-0-quantity-error') && document.querySelector('#requisition-totals dd.req-total').textContent.trim() === '$625.00'`)
		if eval[string](b, `document.getElementById('line-0-quantity').getAttribute('aria-invalid')`) != "false" {
			t.Errorf("%s: the corrected quantity is still marked invalid", sz.name)
		}

		// Saved anyway with a price that cannot be read: refused beside it, nothing lost.
		b.typeInto("line-0-unit_price", "250 dollars")
		b.waitJS(`!!document.getElementById('line-0-unit_price-error')`)
		b.do(b.press(`#requisition-form button[value="save"]`))
		b.waitJS(`!!document.querySelector('#requisition-form .flash-error')`)
		if got := b.text("#line-0-unit_price-error"); got != "Enter a number like 1,234.50." {
			t.Errorf("%s: refused with %q", sz.name, got)
		}
		if got := eval[string](b, `document.getElementById('line-0-unit_price').value + '|' + document.getElementById('line-0-description').value`); got != "250 dollars|Standing desk" {
			t.Errorf("%s: shown again as %q", sz.name, got)
		}
		b.screenshot(sz.name + "-refused-on-save")
	}
	var n int64
	s.App.DB(t, s.Tenant).Model(&models.Requisition{}).Count(&n)
	if n != 0 {
		t.Errorf("%d requisitions stored", n)
	}
}

// Submit asks "Submit this requisition?" only of a form that will be accepted: an incomplete
// one is sent at once and comes back with its messages, no question asked; once complete,
// the question comes, "Cancel" sends nothing, and "OK" submits it. At 1280×900 and on a
// phone.
func TestSubmitAsksOnlyOnceTheFormIsValidInTheBrowser(t *testing.T) {
	s := startFormSite(t)
	// Someone besides the site's admin who can approve: the only admin's own requisition,
	// without a manager, would be refused as nobody else could decide it.
	if _, err := models.CreateUser(context.Background(), s.App.DB(t, s.Tenant), models.NewUser{Email: "second.admin@acme.example",
		Name: "Second Admin", Password: testutil.Password, Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s.site, s.User.Email, testutil.Password)
	for i, sz := range sizes {
		b.size(sz.phone)
		b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
		b.do(chromedp.Evaluate[chromedp.Void](`window.__asked = []; window.__answer = false;
			window.confirm = function (q) { window.__asked.push(q); return window.__answer; };`))
		b.typeInto("line-0-description", "Standing desk")
		b.typeInto("line-0-quantity", "2")
		b.typeInto("line-0-unit_price", "250")
		b.do(b.press(`#requisition-form button[value="submit"]`))
		b.waitJS(`!!document.getElementById('justification-error') && !!document.getElementById('line-0-gl_account-error')`)
		if n := eval[int](b, `window.__asked.length`); n != 0 {
			t.Errorf("%s: asked %d times about a form that was refused", sz.name, n)
		}
		b.screenshot(sz.name + "-refused-without-asking")

		b.typeInto("department", fmt.Sprint(s.dept.ID))
		b.pick("vendor", "desk", s.vendor.Name)
		b.typeInto("needed_by", time.Now().AddDate(0, 0, 14).Format("2006-01-02"))
		b.typeInto("justification", "Two new engineers start next month.")
		b.typeInto("line-0-gl_account", fmt.Sprint(s.gl.ID))
		b.waitBound(`#requisition-form button[value="submit"]`)
		posts := len(b.requestsTo("POST", "/requisitions"))
		b.do(b.press(`#requisition-form button[value="submit"]`))
		b.waitJS(`window.__asked.length === 1`)
		if got := eval[string](b, `window.__asked[0]`); got != "Submit this requisition for approval? You can withdraw it while it waits." {
			t.Errorf("%s: asked %q", sz.name, got)
		}
		b.waitJS(settled)
		if n := len(b.requestsTo("POST", "/requisitions")); n != posts {
			t.Errorf("%s: cancelling the question still posted the form", sz.name)
		}
		b.do(chromedp.Evaluate[chromedp.Void](`window.__answer = true`))
		get(b, chromedp.WaitEvent(page.LoadEventFired, nil, b.press(`#requisition-form button[value="submit"]`)))
		b.do(chromedp.WaitVisible(chromedp.CSS(".req-route")))
		if got, want := b.text(".page-header h1"), fmt.Sprintf("Requisition REQ-%06d", i+1); got != want {
			t.Errorf("%s: after submitting the page is %q, want %q", sz.name, got, want)
		}
		if n := eval[int](b, `window.__asked ? window.__asked.length : -1`); n != -1 {
			t.Errorf("%s: the page did not load anew (%d)", sz.name, n)
		}
		b.screenshot(sz.name + "-submitted")
	}
}

// An admin gives Engineering a default GL account on its page; a requester of Engineering
// then opens a new requisition already in Engineering with its line on that account, and
// choosing another department moves the line to that department's default. At 1280×900
// and on a phone.
func TestDepartmentStartsTheRequisitionInTheBrowser(t *testing.T) {
	s := startFormSite(t)
	db := s.App.DB(t, s.Tenant)
	ops := models.Department{Name: "Operations"}
	travel := models.GLAccount{Code: "6300", Name: "Travel"}
	for _, v := range []any{&ops, &travel} {
		if err := db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Model(&ops).Update("default_gl_account_id", travel.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.User{}).Where("email = ?", s.User.Email).Update("department_id", s.dept.ID).Error; err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s.site, s.User.Email, testutil.Password)
	selected := func(id string) string { return eval[string](b, `document.getElementById(`+jsString(id)+`).value`) }
	for _, sz := range sizes {
		b.size(sz.phone)
		deptPath := fmt.Sprintf("/admin/departments/%d", s.dept.ID)
		b.do(chromedp.Navigate(s.URL(deptPath)), chromedp.WaitVisible(chromedp.ID("default_gl_account")))
		assertNoHorizontalScroll(t, b)
		if sz.phone {
			// The desktop round set it; the phone one sees it on the page and in History.
			if got := b.text(".details"); !strings.Contains(got, "6100 Office furniture") {
				t.Errorf("phone: the department page says %q", got)
			}
		} else {
			b.typeInto("default_gl_account", fmt.Sprint(s.gl.ID))
			b.screenshot(sz.name + "-department-form")
			b.pressAndLoad(`#ref-form button[type="submit"]`)
			b.do(chromedp.WaitVisible(chromedp.CSS(".details")))
			if got := b.text(".details"); !strings.Contains(got, "6100 Office furniture") {
				t.Errorf("the department page says %q", got)
			}
		}
		b.screenshot(sz.name + "-department")

		b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
		if got := selected("department") + "|" + selected("line-0-gl_account"); got != fmt.Sprintf("%d|%d", s.dept.ID, s.gl.ID) {
			t.Errorf("%s: the new requisition starts on department|GL %q", sz.name, got)
		}
		b.screenshot(sz.name + "-new-requisition")
		b.waitBound("#department")
		b.typeInto("department", fmt.Sprint(ops.ID))
		b.waitJS(`document.getElementById('line-0-gl_account').value === ` + jsString(fmt.Sprint(travel.ID)))
		b.do(b.press(`#requisition-lines button[value="add"]`), chromedp.WaitVisible(chromedp.ID("line-1-gl_account")))
		if got := selected("line-1-gl_account"); got != fmt.Sprint(travel.ID) {
			t.Errorf("%s: an added line starts on %q", sz.name, got)
		}
		assertNoHorizontalScroll(t, b)
		b.screenshot(sz.name + "-department-changed")
	}
}

// A file is attached while drafting, at 1280×900 and on a phone: the new requisition's
// "Save draft and attach files" saves the draft and opens its page at the attachments, where
// a quote is uploaded in place and listed.
func TestFileIsAttachedWhileDraftingInTheBrowser(t *testing.T) {
	s := startFormSite(t)
	quote := filepath.Join(t.TempDir(), "desk-quote.txt")
	if err := os.WriteFile(quote, []byte("Desk Depot quote: 2 standing desks, $500."), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(s.site, s.User.Email, testutil.Password)
	for _, sz := range sizes {
		b.size(sz.phone)
		b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.CSS(".req-attach")))
		b.typeInto("line-0-description", "Standing desk ("+sz.name+")")
		b.typeInto("line-0-quantity", "2")
		b.typeInto("line-0-unit_price", "250")
		b.waitJS(`document.querySelector('#requisition-totals dd.req-total').textContent.trim() === '$500.00'`)
		b.screenshot(sz.name + "-new-with-attachments")
		b.pressAndLoad(`.req-attach button[value="attach"]`)
		b.do(chromedp.WaitVisible(chromedp.CSS("#attachments form.upload-form")))
		if p := eval[string](b, `location.pathname + location.hash`); !strings.HasPrefix(p, "/requisitions/") || !strings.HasSuffix(p, "#attachments") {
			t.Errorf("%s: after saving the browser is at %s", sz.name, p)
		}
		if got := b.text(".page-header h1"); got != "Draft requisition" {
			t.Errorf("%s: the page is %q", sz.name, got)
		}
		b.do(chromedp.SetUploadFiles(chromedp.ID("attachment-file"), []string{quote}))
		b.waitBound(`#attachments form.upload-form`)
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#attachments form.upload-form button[type="submit"]').click()`))
		b.waitJS(`!!document.querySelector('#attachments .attachment a') && document.querySelector('#attachments .attachment a').textContent.trim() === 'desk-quote.txt'`)
		assertNoHorizontalScroll(t, b)
		b.screenshot(sz.name + "-draft-with-file")
	}
	var n int64
	s.App.DB(t, s.Tenant).Model(&models.Attachment{}).Count(&n)
	if n != 2 {
		t.Errorf("%d attachments stored, want 2", n)
	}
}
