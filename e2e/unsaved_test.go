package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/internal/poll"
	"outlay/internal/testutil"
	"outlay/models"
)

// Leaving a document's form with something typed and not saved asks first, and staying
// keeps what was typed. An untouched form, saving the form itself, and a form whose save the
// server answers by moving on (htmx) do not ask. A form the page shows unsaved (a line added
// to an expense report, which comes back as a page) asks without anything typed since.
func TestLeavingAFormWithUnsavedChangesAsks(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	dept := models.Department{Name: "Engineering"}
	if err := db.WithContext(ctx).Create(&dept).Error; err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	asked := func() int {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.leaveAsked
	}
	stay := func(on bool) {
		b.mu.Lock()
		b.stayOnLeave = on
		b.mu.Unlock()
	}

	for _, form := range []struct{ path, id, field string }{
		{"/expenses/new", "expense-form", "title"},
		{"/requisitions/new", "requisition-form", "justification"},
		{"/travel/new", "travel-form", "purpose"},
	} {
		// Untouched: the link is followed without a question.
		b.do(chromedp.Navigate(s.URL(form.path)), chromedp.WaitVisible(chromedp.ID(form.id)))
		before := asked()
		b.pressAndLoad(`.sidebar a[href="/dashboard"]`)
		if p := b.path(); p != "/dashboard" || asked() != before {
			t.Fatalf("%s untouched: at %s after the link, asked %d times", form.path, p, asked()-before)
		}

		// Typed: the link asks; staying keeps the page and what was typed.
		b.do(chromedp.Navigate(s.URL(form.path)), chromedp.WaitVisible(chromedp.ID(form.id)))
		b.do(chromedp.SendKeys(chromedp.ID(form.field), "Kept while I decide"))
		stay(true)
		b.do(b.press(`.sidebar a[href="/dashboard"]`))
		poll.Until(t, "the question before leaving "+form.path, 10*time.Second, poll.True(func() bool { return asked() == before+1 }))
		b.waitJS(settled)
		if p := b.path(); p != form.path {
			t.Fatalf("%s: staying left for %s", form.path, p)
		}
		if got := eval[string](b, `document.getElementById('`+form.field+`').value`); got != "Kept while I decide" {
			t.Errorf("%s: after staying the field reads %q", form.path, got)
		}
		stay(false)
		b.screenshot("unsaved-stayed-" + form.id)

		// Leaving, when answered so, goes.
		b.pressAndLoad(`.sidebar a[href="/dashboard"]`)
		if p := b.path(); p != "/dashboard" || asked() != before+2 {
			t.Fatalf("%s: leaving went to %s, asked %d times", form.path, p, asked()-before)
		}
	}

	// Saving the form itself does not ask: the expense report's draft (a page) and the
	// requisition's (htmx, answered by moving to the saved draft).
	b.do(chromedp.Navigate(s.URL("/expenses/new")), chromedp.WaitVisible(chromedp.ID("expense-form")))
	b.do(chromedp.SendKeys(chromedp.ID("title"), "Lisbon offsite"))
	before := asked()
	b.pressAndLoad(`#expense-form button[value="add-expense"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("expense-1-amount")))
	if asked() != before {
		t.Errorf("adding a line asked before leaving")
	}
	// The new line's first field has the focus (and so is in view), not the page's top.
	b.waitJS(`document.activeElement && document.activeElement.id === 'expense-1-date'`)
	// The page now shows the typed title and a new line, neither saved: leaving asks.
	if !eval[bool](b, `document.getElementById('expense-form').hasAttribute('data-unsaved')`) {
		t.Error("the form answering a post is not marked unsaved")
	}
	stay(true)
	b.do(b.press(`.sidebar a[href="/dashboard"]`))
	poll.Until(t, "the question after adding a line", 10*time.Second, poll.True(func() bool { return asked() == before+1 }))
	stay(false)
	b.waitJS(settled)
	b.pressAndLoad(`#expense-form button[value="save"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); got != "Draft saved." || asked() != before+1 {
		t.Errorf("saving the draft: %q, asked %d more times", got, asked()-before-1)
	}
	// The saved draft is not unsaved: its link goes without a question.
	b.pressAndLoad(`.sidebar a[href="/dashboard"]`)
	if asked() != before+1 {
		t.Errorf("leaving a saved draft asked")
	}

	b.do(chromedp.Navigate(s.URL("/requisitions/new")), chromedp.WaitVisible(chromedp.ID("requisition-form")))
	b.do(chromedp.SendKeys(chromedp.ID("justification"), "Two new engineers"))
	before = asked()
	b.pressAndLoad(`#requisition-form button[value="save"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if asked() != before {
		t.Errorf("saving a requisition's draft asked before leaving")
	}
}
