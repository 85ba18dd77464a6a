package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/policy"
)

// The users page in a real browser: the filters update the results through htmx and keep
// the address in step, an edit refused by the server is swapped in place, deactivation asks
// first, and the pages fit a desktop and a phone.
func TestUsersPageInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	finance := models.Department{Name: "Finance"}
	if err := db.Create(&finance).Error; err != nil {
		t.Fatal(err)
	}
	var bo *models.User
	for i := 1; i <= 30; i++ {
		in := models.NewUser{Email: fmt.Sprintf("person%02d@acme.example", i), Name: fmt.Sprintf("Person %02d", i), Password: testutil.Password,
			Roles: []string{"requester"}, DepartmentID: &finance.ID}
		if i%3 == 0 {
			in.Roles = []string{"approver", "ap_clerk"}
		}
		if i == 29 {
			in.Password = ""
		}
		if bo != nil {
			in.ManagerID = &bo.ID
		}
		u, err := models.CreateUser(ctx, db, in)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			bo = u
		}
		if i == 30 {
			if err := models.DeactivateUser(ctx, db, models.ByOperator(), u.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, s.User.Email, testutil.Password)

	b.do(chromedp.Navigate(s.URL("/admin/users")), chromedp.WaitVisible(chromedp.CSS("#user-results table")))
	if got := b.text(".pagination [role=status]"); got != "Showing 1–25 of 31" {
		t.Errorf("list says %q", got)
	}
	assertNoHorizontalScroll(t, b)
	b.screenshot("users-list-desktop")

	// Typing in the search box filters without a page load and updates the address.
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`), chromedp.SendKeys(chromedp.ID("q"), "person 1"))
	b.waitJS(`document.querySelector('#user-results .pagination [role=status]')?.textContent.trim() === 'Showing 1–10 of 10'`)
	// The address is the canonical one the server gives, without empty filters.
	b.waitJS(`location.search === '?q=person+1'`)
	if !eval[bool](b, `window.__marker === 1`) {
		t.Error("the search reloaded the page")
	}
	gets := b.requestsTo(http.MethodGet, "/admin/users")
	if last := gets[len(gets)-1]; !last.HXReq || last.Status != 200 {
		t.Errorf("last list request %+v, want an htmx request", last)
	}
	// Choosing a role (a select fires input as it changes) filters too.
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('q').value = '';
		document.getElementById('role').value = 'approver';
		document.getElementById('role').dispatchEvent(new Event('input', {bubbles: true}))`))
	b.waitJS(`document.querySelector('#user-results .pagination [role=status]')?.textContent.trim() === 'Showing 1–10 of 10'`)
	b.waitJS(`location.search === '?role=approver'`)
	b.screenshot("users-filtered")

	// A person's page: the edit form, refused in place when the name is emptied.
	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/admin/users/%d", bo.ID))), chromedp.WaitVisible(chromedp.ID("user-form")))
	b.screenshot("user-detail")
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 2; document.getElementById('name').value = ''`),
		chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("name-error")))
	if got := b.text("#name-error"); got != "Enter a name." {
		t.Errorf("name error %q", got)
	}
	if !eval[bool](b, `window.__marker === 2 && document.querySelectorAll('#user-form').length === 1`) {
		t.Error("the refused edit was not swapped in place")
	}
	b.screenshot("user-edit-refused")

	// Deactivation asks first: saying no changes nothing, saying yes deactivates.
	b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function (q) { window.__asked = q; return false; }`),
		chromedp.Click(chromedp.CSS(`form[action$="/deactivate"] button[type=submit]`)))
	b.waitJS(`!!window.__asked`)
	if got := eval[string](b, `window.__asked`); !strings.HasPrefix(got, "Deactivate Person 01? They are signed out everywhere at once") {
		t.Errorf("deactivation asks %q", got)
	}
	if u, _ := models.GetUser(ctx, db, bo.ID); u.Status != models.UserActive {
		t.Fatalf("deactivated though the confirmation was declined: %s", u.Status)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`))
	b.pressAndLoad(`form[action$="/deactivate"] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); !strings.HasPrefix(got, "Person 01 is deactivated") {
		t.Errorf("flash %q", got)
	}
	if u, _ := models.GetUser(ctx, db, bo.ID); u.Status != models.UserDeactivated {
		t.Errorf("status %s after deactivation", u.Status)
	}

	b.do(chromedp.Navigate(s.URL("/admin/users/new")), chromedp.WaitVisible(chromedp.ID("user-form")))
	b.screenshot("user-invite")

	b.viewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	for _, p := range []string{"/admin/users", fmt.Sprintf("/admin/users/%d", bo.ID), "/admin/users/new"} {
		b.do(chromedp.Navigate(s.URL(p)), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
		assertNoHorizontalScroll(t, b)
		assertInsideCards(t, b)
	}
	b.do(chromedp.Navigate(s.URL("/admin/users")), chromedp.WaitVisible(chromedp.CSS("body.app .page-header h1")))
	b.screenshot("users-list-phone")
}

// Someone who may edit people but holds less than an admin: the forms offer only the roles
// within their reach, a role given anyway (changed meanwhile, or forged) is refused beside
// the roles with the form kept, and an admin's page is theirs to read, not to change.
func TestGrantRefusalsInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	r, err := models.CreateRole(ctx, db, "Helpdesk")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []policy.Permission{{Object: "admin.users", Action: outlay.ActRead}, {Object: "admin.users", Action: outlay.ActUpdate}} {
		if err := models.SetPermission(ctx, db, models.ByOperator(), r.Name, p, true); err != nil {
			t.Fatal(err)
		}
	}
	hal, err := models.CreateUser(ctx, db, models.NewUser{Email: "hal@acme.example", Name: "Hal Helpdesk", Password: testutil.Password, Roles: []string{r.Name}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.allow(`status of 422`)
	b.signIn(s, hal.Email, testutil.Password)

	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/admin/users/%d", hal.ID))), chromedp.WaitVisible(chromedp.ID("user-form")))
	if got := eval[[]string](b, `[...document.querySelectorAll('#user-form input[name=roles]')].map(i => i.value)`); len(got) != 1 || got[0] != r.Name {
		t.Errorf("roles offered %q, want only %s", got, r.Name)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1;
		document.querySelector('#user-form .checks').insertAdjacentHTML('beforeend', '<input type="checkbox" name="roles" value="admin" checked>')`),
		chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("roles-error")))
	if got := b.text("#roles-error"); !strings.Contains(got, "You cannot give or take away Admin") {
		t.Errorf("roles error %q", got)
	}
	if !eval[bool](b, `window.__marker === 1 && document.getElementById('name').value === 'Hal Helpdesk'`) {
		t.Error("the refusal was not swapped in place with the form kept")
	}
	b.screenshot("self-grant-refused")

	ana, err := models.FindUserByEmail(ctx, db, s.User.Email)
	if err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(s.URL(fmt.Sprintf("/admin/users/%d", ana.ID))), chromedp.WaitVisible(chromedp.CSS(".page-header h1")))
	if eval[bool](b, `!!document.getElementById('user-form') || !!document.querySelector('form[action$="/deactivate"]')`) {
		t.Error("an admin's page offers Hal a form or a deactivate button")
	}
	if got := b.text(".details"); !strings.Contains(got, "holds permissions you do not have") {
		t.Errorf("the admin's page does not say why: %q", got)
	}
	b.screenshot("admin-out-of-reach")
}
