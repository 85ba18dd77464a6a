package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// The roles page on a 390×844 phone: a select of the roles and the chosen role's
// permissions as a list, no wide matrix; choosing another role swaps the list in place, and
// ticking a permission gives it. At 1280×900 the matrix shows and the list does not.
func TestRolesPageOnAPhoneInTheBrowser(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	visible := func(sel string) bool {
		return eval[bool](b, `(function () { var e = document.querySelector(`+jsString(sel)+`); return !!e && e.getClientRects().length > 0; })()`)
	}

	b.viewport(1280, 900)
	b.do(chromedp.Navigate(s.URL("/admin/roles")), chromedp.WaitVisible(chromedp.CSS("table.matrix")))
	if visible("#role-permissions") {
		t.Error("the phone's list shows on a desktop")
	}
	b.screenshot("desktop")

	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL("/admin/roles")), chromedp.WaitVisible(chromedp.CSS("#role-permissions li.perm-item")))
	if visible("table.matrix") {
		t.Error("the wide matrix shows on a phone")
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("phone-first-role")

	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`))
	b.waitBound("form.role-pick")
	b.do(chromedp.SetValue(chromedp.ID("role-pick"), "auditor"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('role-pick').dispatchEvent(new Event('change', {bubbles: true}))`))
	b.waitJS(`document.getElementById('role-perms-title').textContent.trim() === 'Permissions of Auditor'`)
	if !eval[bool](b, `window.__marker === 1`) {
		t.Error("choosing a role reloaded the page")
	}
	item := func(label string) string {
		return `Array.from(document.querySelectorAll('#role-permissions li.perm-item')).find(function (li) { return li.textContent.trim() === ` + jsString(label) + `; })`
	}
	if !eval[bool](b, `!!`+item("Read the audit log")+` && `+item("Read the audit log")+`.querySelector('input').checked`) {
		t.Error("the auditor's list does not tick “Read the audit log”")
	}
	if eval[bool](b, item("Edit vendors")+`.querySelector('input').checked`) {
		t.Fatal("the auditor may already edit vendors")
	}
	b.waitBound("#role-permissions li.perm-item input")
	b.do(chromedp.Evaluate[chromedp.Void](item("Edit vendors") + `.querySelector('input').click()`))
	b.waitJS(`!!document.querySelector('#toasts .toast') && document.querySelector('#toasts').textContent.includes('Auditor now has “Edit vendors”')`)
	if !eval[bool](b, item("Edit vendors")+`.querySelector('input').checked`) {
		t.Error("the ticked permission is not ticked after the answer")
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("phone-auditor")
}
