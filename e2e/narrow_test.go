package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/models"
)

// cutShort lists the text fields and selects matching sel whose text (the choice shown, the
// value typed or else the placeholder) does not fit inside them: a choice read as "All
// departme" is cut short. An empty string when all of them fit.
const cutShort = `(function (sel) {
  var ctx = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length).map(function (e) {
    var cs = getComputedStyle(e);
    ctx.font = cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
    var text = e.tagName === 'SELECT' ? (e.selectedOptions[0] || {}).text || '' : e.value || e.placeholder;
    var room = e.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    var need = ctx.measureText(text).width;
    return need > room + 0.5 ? e.id + ' "' + text + '" needs ' + Math.ceil(need) + 'px of ' + Math.floor(room) : '';
  }).filter(Boolean).join('; ');
})(%q)`

// outOfSight lists the elements matching sel that lie outside the window or outside what a
// box that scrolls around them shows: a link a person would have to find by scrolling
// sideways. An empty string when all of them are in sight.
const outOfSight = `(function (sel) {
  return [...document.querySelectorAll(sel)].filter(function (e) {
    var r = e.getBoundingClientRect();
    if (r.left < 0 || r.right > innerWidth) return true;
    for (var p = e.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX === 'visible') continue;
      var b = p.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5) return true;
    }
    return false;
  }).map(describe).join('; ');
})(%q)`

// On a 390×844 phone, and at 1280×900, what a page offers is read and reached without
// scrolling sideways: the new bill's purchase order field shows its placeholder whole; the
// approvals queue's selects (with an amount refused beside them too), the spend report's and
// the budgets' show their choices; and the roles page shows its selects' choices whole (the
// new role's "Start from" was cut short on a phone) and each role's History link (and a role
// of one's own its rename field).
func TestNarrowPagesShowTheirFieldsAndLinksWhole(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	if _, err := models.CreateRole(context.Background(), db, "Regional finance controllers"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Engineering", "Customer Success and Professional Services"} {
		if err := db.Create(&models.Department{Name: name}).Error; err != nil {
			t.Fatal(err)
		}
	}
	b := refusingBrowser(t, s)
	for _, sz := range sizes {
		b.size(sz.phone)
		for _, page := range []struct{ path, ready, fields, links string }{
			{"/bills/new", "#order", ".bill-order-chooser input.lookup-input", ""},
			{"/approvals", "#department", `form[aria-label="Filter the queue"] select, form[aria-label="Filter the queue"] input`, ""},
			{"/approvals?min=lots", "#min-error", `form[aria-label="Filter the queue"] select, form[aria-label="Filter the queue"] input`, ""},
			{"/reports/spend", "#department", ".spend-filters select, .spend-filters input", ""},
			{"/admin/budgets", "#filter-department", ".ref-filters select, .ref-filters input", ""},
			{"/admin/roles", "#roles-title", "#role-pick, #new-template", `section[aria-labelledby="roles-title"] a[href$="/history"], section[aria-labelledby="roles-title"] button, section[aria-labelledby="roles-title"] input[type=text]`},
		} {
			b.do(chromedp.Navigate(s.URL(page.path)), chromedp.WaitVisible(chromedp.CSS(page.ready)))
			if page.fields != "" {
				if bad := eval[string](b, fmt.Sprintf(cutShort, page.fields)); bad != "" {
					t.Errorf("%s %s: cut short: %s", sz.name, page.path, bad)
				}
			}
			if page.links != "" {
				if n := eval[int](b, `document.querySelectorAll(`+jsString(page.links)+`).length`); n < 6 {
					t.Errorf("%s %s: %d links and fields, want every role's", sz.name, page.path, n)
				}
				if bad := eval[string](b, fmt.Sprintf(outOfSight, page.links)); bad != "" {
					t.Errorf("%s %s: out of sight: %s", sz.name, page.path, bad)
				}
				b.do(chromedp.ScrollIntoView(chromedp.CSS(page.ready)))
			}
			assertNoHorizontalScroll(t, b)
			b.screenshot(sz.name + "-" + safeName(page.path))
		}
	}
}
