package e2e

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"outlay/internal/poll"
	"outlay/internal/testutil"
	"outlay/models"
)

// pressEnterOn puts the focus on the element sel names and presses Enter, as someone using
// the keyboard does.
func (b *browser) pressEnterOn(sel string) {
	b.t.Helper()
	b.waitBound(sel)
	b.do(chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(kb.Enter))
}

// enterAndLoad puts the focus on the element sel names and presses Enter, and waits for the
// page that loads then (a form that is not sent through htmx).
func (b *browser) enterAndLoad(sel string) {
	b.t.Helper()
	b.do(chromedp.Focus(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent(kb.Enter))); err != nil {
		b.t.Fatalf("browser: pressing Enter on %s and waiting for the page: %v", sel, err)
	}
}

// focusLandsOn waits until the focus is on what the JavaScript condition on `a` (the active
// element) says, once htmx has settled, and says where it is otherwise.
func (b *browser) focusLandsOn(what, cond string) {
	b.t.Helper()
	expr := `(function (a) { return !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping') && !!a && (` + cond + `); })(document.activeElement)`
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		b.t.Errorf("the focus is on %s, want %s (busy: %s)", eval[string](b, `describe(document.activeElement)`), what,
			eval[string](b, `[...document.querySelectorAll('.htmx-request, .htmx-settling, .htmx-swapping')].map(describe).join('; ')`))
	}
}

// Pressing a control that htmx swaps away leaves the focus somewhere sensible, never on the
// page's body: a list's status tab stays the focused tab; a line's (and a leg's) Remove puts
// it in the next line's first field, or on the Add button after the last; a rule's step
// buttons keep it on the step added, moved or next; a posted comment takes it; Mark read
// passes it to the next notification.
func TestFocusStaysPutWhenHtmxSwapsItAway(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	var ana models.User
	if err := db.Where("email = ?", s.User.Email).First(&ana).Error; err != nil {
		t.Fatal(err)
	}
	draft := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: ana.ID, Justification: "Laptop for the new starter",
		Lines: []testutil.RequisitionLine{{Amount: 129900}}})
	testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: ana.ID, Justification: "Monitor arm", Lines: []testutil.RequisitionLine{{Amount: 4900}}})
	for i, title := range []string{"REQ-000002 waits for your approval", "REQ-000001 waits for your approval"} {
		n := models.Notification{RecipientID: ana.ID, Title: title, Kind: "notify_step_waiting", DocType: models.DocRequisition, DocID: draft.ID,
			LinkPath: "/requisitions/" + strconv.FormatInt(draft.ID, 10), CreatedAt: time.Now().Add(-time.Duration(i) * time.Minute)}
		if err := db.WithContext(ctx).Create(&n).Error; err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)

	t.Run("status tab", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(s.URL("/requisitions")), chromedp.WaitVisible(chromedp.CSS(".req-tabs")))
		b.pressEnterOn(`.req-tabs a[href*="status=draft"]`)
		b.focusLandsOn("the Draft tab", `a.matches('.req-tabs a[aria-current="page"][href*="status=draft"]')`)
		b.screenshot("status-tab")
	})

	t.Run("remove line", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
		b.typeInto("line-0-description", "Standing desk")
		b.pressEnterOn(`#requisition-lines .req-lines-footer button`)
		b.focusLandsOn("the new line's description", `a.id === 'line-1-description'`)
		b.typeInto("line-1-description", "Desk lamp")
		b.pressEnterOn(`#line-0 .req-line-remove button`)
		b.focusLandsOn("the next line's description", `a.id === 'line-0-description' && a.value === 'Desk lamp'`)
		b.pressEnterOn(`#requisition-lines .req-lines-footer button`)
		b.focusLandsOn("the new line's description", `a.id === 'line-1-description'`)
		b.pressEnterOn(`#line-1 .req-line-remove button`)
		b.focusLandsOn("the Add line button", `a.matches('#requisition-lines .req-lines-footer button')`)
		b.screenshot("remove-last-line")
	})

	// The expense report's form is sent without htmx: the page comes again, with the focus
	// where it goes.
	t.Run("remove expense line", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(s.URL("/expenses/new")), chromedp.WaitVisible(chromedp.ID("expense-form")))
		for n := eval[int](b, `document.querySelectorAll('fieldset.exp-line').length`); n < 2; n++ {
			b.enterAndLoad(`button[value="add-expense"]`)
			b.focusLandsOn("the new line's date", fmt.Sprintf(`a.id === 'expense-%d-date'`, n))
		}
		b.enterAndLoad(`button[value="remove-0"]`)
		b.focusLandsOn("the next line's date", `a.id === 'expense-0-date'`)
		last := eval[int](b, `document.querySelectorAll('fieldset.exp-line').length`) - 1
		b.enterAndLoad(fmt.Sprintf(`button[value="remove-%d"]`, last))
		b.focusLandsOn("the Add expense button", `a.matches('button[value="add-expense"]')`)
	})

	t.Run("remove leg", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(s.URL("/travel/new")), chromedp.WaitVisible(chromedp.ID("travel-form")))
		b.pressEnterOn(`#travel-legs .req-lines-footer button`)
		b.focusLandsOn("the new leg's From", `a.id === 'leg-1-from'`)
		b.typeInto("leg-1-from", "Berlin")
		b.pressEnterOn(`#leg-0 .req-line-remove button`)
		b.focusLandsOn("the next leg's From", `a.id === 'leg-0-from' && a.value === 'Berlin'`)
		b.pressEnterOn(`#leg-0 .req-line-remove button`)
		b.focusLandsOn("the leg now first, or Add leg", `a.id === 'leg-0-from' || a.matches('#travel-legs .req-lines-footer button')`)
	})

	t.Run("approval rule steps", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(s.URL("/admin/approval-rules/new")), chromedp.WaitVisible(chromedp.ID("rule-steps")))
		b.pressEnterOn(`#rule-steps > button`)
		b.focusLandsOn("the new step's kind", `a.id === 'step-1-kind'`)
		b.pressEnterOn(`button[aria-label="Move step 2 up"]`)
		b.focusLandsOn("the moved step's other move button", `a.getAttribute('aria-label') === 'Move step 1 down'`)
		b.pressEnterOn(`button[aria-label="Move step 1 down"]`)
		b.focusLandsOn("the moved step's move button", `a.getAttribute('aria-label') === 'Move step 2 up'`)
		b.pressEnterOn(`button[aria-label="Remove step 1"]`)
		b.focusLandsOn("the step now first", `a.id === 'step-0-kind'`)
		b.pressEnterOn(`button[aria-label="Remove step 1"]`)
		b.focusLandsOn("Add a step", `a.matches('#rule-steps > button')`)
		b.screenshot("rule-steps")
	})

	t.Run("comment", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(s.URL("/requisitions/"+strconv.FormatInt(draft.ID, 10))), chromedp.WaitVisible(chromedp.ID("comment-body")))
		b.typeInto("comment-body", "Please order before Friday.")
		b.pressEnterOn(`.comment-form button[type="submit"]`)
		b.focusLandsOn("the comment posted", `a.matches('li.comment') && a.textContent.includes('Please order before Friday.')`)
		b.screenshot("comment-posted")
	})

	t.Run("mark read", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(s.URL("/notifications")), chromedp.WaitVisible(chromedp.CSS(".notification-list")))
		first := eval[string](b, `document.querySelector('.notification').id`)
		second := eval[string](b, `document.querySelectorAll('.notification')[1].id`)
		b.pressEnterOn("#" + first + " form button")
		b.focusLandsOn("the next notification", `a.matches('#`+second+` .notification-title')`)
		b.screenshot("mark-read")
	})
	b.t = t
}

// The live regions htmx swaps stay the same element, and take the new text only when it
// reads differently: a list's count as a search narrows it, and a requisition's totals as
// the lines are typed and removed (typing a description, which changes no total, changes
// nothing in the region).
func TestLiveRegionsOutliveTheirSwaps(t *testing.T) {
	s := startSite(t)
	db := s.App.DB(t, s.Tenant)
	var ana models.User
	if err := db.Where("email = ?", s.User.Email).First(&ana).Error; err != nil {
		t.Fatal(err)
	}
	for _, why := range []string{"Laptop for the new starter", "Monitor arm"} {
		testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: ana.ID, Justification: why, Lines: []testutil.RequisitionLine{{Amount: 4900}}})
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)

	b.do(chromedp.Navigate(s.URL("/requisitions")), chromedp.WaitVisible(chromedp.ID("requisition-results-count")))
	region := `document.getElementById('requisition-results-count')`
	if got := eval[string](b, region+`.getAttribute('role')`); got != "status" {
		t.Errorf("the count's role is %q, want status", got)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`window.__count = ` + region + `; window.__countText = __count.textContent.trim()`))
	b.typeInto("q", "Laptop")
	b.waitJS(region + `.textContent.trim() === 'Showing 1 of 1'`)
	if !eval[bool](b, region+` === window.__count && __countText === 'Showing 1–2 of 2'`) {
		t.Errorf("the count is another element after the search (it was %q)", eval[string](b, `__countText`))
	}
	b.screenshot("count-after-search")

	b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
	totals := `document.getElementById('requisition-totals')`
	b.do(chromedp.Evaluate[chromedp.Void](`window.__totals = ` + totals + `; window.__changes = 0;
		new MutationObserver(function (rs) { window.__changes += rs.length; }).observe(__totals, {childList: true, subtree: true, characterData: true});`))
	b.typeInto("line-0-unit_price", "250")
	b.typeInto("line-0-quantity", "2")
	b.waitJS(totals + `.querySelector('dd.req-total').textContent.includes('500.00')`)
	if !eval[bool](b, totals+` === window.__totals && __changes > 0`) {
		t.Error("the totals are another element after typing a price")
	}
	// A description changes no total: the totals are asked for again, and nothing in the
	// region changes.
	before := len(b.requestsTo("POST", "/requisitions/totals"))
	b.do(chromedp.Evaluate[chromedp.Void](`window.__changes = 0`))
	b.typeInto("line-0-description", "Standing desk")
	poll.Until(t, "the totals asked for again", 5*time.Second, func() error {
		if len(b.requestsTo("POST", "/requisitions/totals")) == before {
			return errors.New("not yet")
		}
		return nil
	})
	b.waitJS(settled)
	if n := eval[int](b, `__changes`); n != 0 {
		t.Errorf("typing a description changed the totals region %d times, want none", n)
	}
	// Removing the line swaps the lines, totals and all: the region stays, with the new total.
	b.pressEnterOn(`#requisition-lines .req-lines-footer button`)
	b.waitJS(`!!document.getElementById('line-1-description') && ` + settled)
	b.typeInto("line-1-unit_price", "10")
	b.typeInto("line-1-quantity", "1")
	b.waitJS(totals + `.querySelector('dd.req-total').textContent.includes('510.00')`)
	b.pressEnterOn(`#line-0 .req-line-remove button`)
	b.waitJS(`!document.getElementById('line-1-description')`)
	b.waitJS(totals + `.querySelector('dd.req-total').textContent.includes('10.00') && !` + totals + `.textContent.includes('510.00')`)
	if !eval[bool](b, totals+` === window.__totals`) {
		t.Error("the totals are another element after a line was removed")
	}
	b.screenshot("totals-after-remove")
}
