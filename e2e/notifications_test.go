package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// bellCount is the JavaScript for the number on the bell ("" when none is unread).
const bellCount = `(function () { var c = document.querySelector('#notifications-bell .bell-count'); return c ? c.textContent.trim() : ''; })()`

// The approver's bell in a real browser: it counts up, without a reload, when a request is
// submitted to them (the bell asks again every 30 seconds), and down the moment they approve
// it, on a desktop (1280×900) and on a phone (390×844); the notifications page lists it and
// fits both.
func TestBellCountsWhatWaitsInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	eng := models.Department{Name: "Engineering", Code: "ENG"}
	software := models.GLAccount{Code: "6000", Name: "Software"}
	for _, rec := range []any{&eng, &software} {
		if err := db.Create(rec).Error; err != nil {
			t.Fatal(err)
		}
	}
	max, err := models.CreateUser(ctx, db, models.NewUser{Email: "max@acme.example", Name: "Max Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	rita, err := models.CreateUser(ctx, db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester", Password: testutil.Password,
		Roles: []string{"requester"}, ManagerID: &max.ID, DepartmentID: &eng.ID})
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	b.viewport(desktopWidth, 900)
	b.signIn(s, "max@acme.example", testutil.Password)
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#notifications-bell")))
	if got := eval[string](b, bellCount); got != "" {
		t.Fatalf("bell shows %q before anything was submitted", got)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`))

	// Rita submits a request; the notifier is what the web's requests carry.
	notified := db.WithContext(models.WithNotifier(ctx, &models.Notifier{OrgName: s.Tenant.Name, BaseURL: s.URL("")}))
	r := testutil.CreateRequisition(t, notified, testutil.Requisition{RequesterID: rita.ID, DepartmentID: &eng.ID,
		Justification: "Licences for the new starters", Lines: []testutil.RequisitionLine{{GLAccountID: &software.ID, Amount: 129900}}})
	step := testutil.SubmitRequisition(t, notified, r).Steps[0].ID

	// The bell counts it within its 30-second round, without a reload.
	waitLong(b, bellCount+` === '1'`, 45*time.Second)
	if !eval[bool](b, `window.__marker === 1`) {
		t.Error("the bell's count changed by reloading the page")
	}
	if label := eval[string](b, `document.getElementById('notifications-bell').getAttribute('aria-label')`); label != "Notifications, 1 unread" {
		t.Errorf("bell label %q", label)
	}
	b.screenshot("bell-desktop")

	b.pressAndLoad("#notifications-bell")
	b.do(chromedp.WaitVisible(chromedp.CSS(".notification-list")))
	if got := b.text(".notification-title"); !strings.Contains(got, *r.Number) || !strings.Contains(got, "Rita Requester") || !strings.Contains(got, "1,299.00") {
		t.Errorf("notification %q", got)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("notifications-desktop")

	// Approving it, inline in the queue, empties the bell at once.
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#approval-results table")))
	row := fmt.Sprintf("tbody#step-%d", step)
	b.do(b.press(row + ` button[hx-post$="/approve"]`))
	b.waitJS(`!!document.querySelector('` + row + `.approval-decided')`)
	b.waitJS(bellCount + ` === ''`)
	b.screenshot("bell-after-approval")

	// On a phone, the same: the bell counts the next request within its round, and falls
	// back when it is approved.
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#notifications-bell")))
	if got := eval[string](b, bellCount); got != "" {
		t.Fatalf("on the phone the bell shows %q before the next request", got)
	}
	r2 := testutil.CreateRequisition(t, notified, testutil.Requisition{RequesterID: rita.ID, DepartmentID: &eng.ID,
		Justification: "A monitor for the new starter", Lines: []testutil.RequisitionLine{{GLAccountID: &software.ID, Amount: 24900}}})
	step2 := testutil.SubmitRequisition(t, notified, r2).Steps[0].ID
	waitLong(b, bellCount+` === '1'`, 45*time.Second)
	if !eval[bool](b, `(function () { var r = document.getElementById('notifications-bell').getBoundingClientRect(); return r.width > 0 && r.right <= window.innerWidth; })()`) {
		t.Error("on the phone the bell is not in view")
	}
	b.screenshot("bell-phone")
	b.do(chromedp.Navigate(s.URL("/approvals")), chromedp.WaitVisible(chromedp.CSS("#approval-results")))
	row2 := fmt.Sprintf("tbody#step-%d", step2)
	b.do(b.press(row2 + ` button[hx-post$="/approve"]`))
	b.waitJS(`!!document.querySelector('` + row2 + `.approval-decided')`)
	b.waitJS(bellCount + ` === ''`)
	b.screenshot("bell-after-approval-phone")

	b.do(chromedp.Navigate(s.URL("/notifications")), chromedp.WaitVisible(chromedp.CSS(".notification-list")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("notifications-phone")
}

// A mention in a real browser: Rita comments on her requisition mentioning her approver; on
// his next page his bell counts it, the notifications page names the requisition, Rita and
// the amount, and following it opens the requisition at its comments, on a desktop and a
// phone.
func TestAMentionReachesTheBellInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	max, err := models.CreateUser(ctx, db, models.NewUser{Email: "max@acme.example", Name: "Max Manager", Password: testutil.Password, Roles: []string{"approver"}})
	if err != nil {
		t.Fatal(err)
	}
	rita, err := models.CreateUser(ctx, db, models.NewUser{Email: "rita@acme.example", Name: "Rita Requester", Password: testutil.Password,
		Roles: []string{"requester"}, ManagerID: &max.ID})
	if err != nil {
		t.Fatal(err)
	}
	r := testutil.CreateRequisition(t, db, testutil.Requisition{RequesterID: rita.ID, Justification: "Chairs for the meeting room",
		Lines: []testutil.RequisitionLine{{Amount: 48000}}})
	testutil.SubmitRequisition(t, db, r)
	path := fmt.Sprintf("/requisitions/%d", r.ID)

	b := newBrowser(t)
	b.viewport(desktopWidth, 900)
	b.signIn(s, "rita@acme.example", testutil.Password)
	b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.ID("comment-body")),
		chromedp.SendKeys(chromedp.ID("comment-body"), "@Max Manager the chairs are in stock until Friday."),
		b.press(`.comment-form button[type=submit]`))
	b.waitJS(`document.querySelectorAll('#comments .comment').length === 1`)
	get(b, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[chromedp.Void](`document.querySelector('.logout-form').submit()`)))
	b.do(chromedp.WaitVisible(chromedp.ID("email")))

	b.signIn(s, "max@acme.example", testutil.Password)
	if got := eval[string](b, bellCount); got != "1" {
		t.Fatalf("Max's bell shows %q, want 1 for the mention", got)
	}
	b.pressAndLoad("#notifications-bell")
	b.do(chromedp.WaitVisible(chromedp.CSS(".notification-list")))
	title := b.text(".notification-title")
	if want := "Rita Requester mentioned you on requisition " + *r.Number + " for $480.00"; title != want {
		t.Errorf("notification %q, want %q", title, want)
	}
	if sum := b.text(".notification-summary"); !strings.Contains(sum, "in stock until Friday") {
		t.Errorf("notification summary %q", sum)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("mention-desktop")
	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL("/notifications")), chromedp.WaitVisible(chromedp.CSS(".notification-list")))
	assertNoHorizontalScroll(t, b)
	b.screenshot("mention-phone")
	b.pressAndLoad(".notification-title")
	b.do(chromedp.WaitVisible(chromedp.CSS("#comments .comment")))
	if p, hash := b.path(), eval[string](b, `location.hash`); p != path || hash != "#comments" {
		t.Errorf("following the notification opened %s%s, want %s#comments", p, hash, path)
	}
	b.screenshot("mention-followed-phone")
}
