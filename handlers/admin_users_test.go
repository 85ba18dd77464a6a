package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// usersSite is a tenant with its admin Ana signed in.
type usersSite struct {
	app   *testutil.App
	acme  tenancy.Tenant
	admin *testutil.Client
	ana   *models.User
}

func newUsersSite(t *testing.T) *usersSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/dashboard") // the CSRF token changes at sign-in
	return &usersSite{app: app, acme: acme, admin: c, ana: ana}
}

func (s *usersSite) db(t *testing.T) *gorm.DB { return s.app.DB(t, s.acme) }

func (s *usersSite) user(t *testing.T, id int64) *models.UserDetail {
	t.Helper()
	d, err := models.GetUser(context.Background(), s.db(t), id)
	if err != nil {
		t.Fatalf("get user %d: %v", id, err)
	}
	return d
}

func (s *usersSite) department(t *testing.T, name string) int64 {
	t.Helper()
	d := models.Department{Name: name}
	if err := s.db(t).Create(&d).Error; err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func path(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

func ids(n int64) string { return strconv.FormatInt(n, 10) }

// flashAfter follows a redirect and returns the flash the next page shows.
func flashAfter(t *testing.T, c *testutil.Client, res *testutil.Response) string {
	t.Helper()
	if res.Status != http.StatusSeeOther {
		t.Fatalf("status %d, want a 303 redirect; body: %s", res.Status, res.Text(".flash, .field-error"))
	}
	return c.Get(res.Location()).Text(".flash")
}

// rowNames are the names in the list's table, in order.
func rowNames(res *testutil.Response) []string {
	var out []string
	res.Doc.Find("#user-results tbody tr td:first-child a").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

func TestUsersListSearchesFiltersAndPaginates(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	ctx, db := context.Background(), s.db(t)
	// Thirty people: odd ones request, even ones approve; 26 and 27 are invited, 28–30 have left.
	for i := 1; i <= 30; i++ {
		in := models.NewUser{Email: fmt.Sprintf("person%02d@acme.example", i), Name: fmt.Sprintf("Person %02d", i), Password: testutil.Password, Roles: []string{"requester"}}
		if i%2 == 0 {
			in.Roles = []string{"approver"}
		}
		if i == 26 || i == 27 {
			in.Password = ""
		}
		u, err := models.CreateUser(ctx, db, in)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 28 {
			if err := models.DeactivateUser(ctx, db, models.ByOperator(), u.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := s.admin

	first := c.Get("/admin/users")
	if first.Status != 200 || first.Text("h1") != "Users" {
		t.Fatalf("list: %d %q", first.Status, first.Text("h1"))
	}
	if got := first.Text(".page-header p"); got != "31 people: 26 active, 2 invited, 3 deactivated." {
		t.Errorf("counts = %q", got)
	}
	if got := first.Text(`.nav a[aria-current="page"]`); got != "Users" {
		t.Errorf("current navigation entry = %q", got)
	}
	names := rowNames(first)
	if len(names) != 25 || names[0] != "Ana Admin" || names[1] != "Person 01" || names[24] != "Person 24" {
		t.Errorf("first page: %d rows %q", len(names), names)
	}
	if got := first.Text(".pagination [role=status]"); got != "Showing 1–25 of 31" {
		t.Errorf("first page says %q", got)
	}
	if got := first.Text(`.pagination [aria-current="page"]`); got != "1" {
		t.Errorf("current page marker %q", got)
	}
	if href, _ := first.Doc.Find(".pagination a").FilterFunction(func(_ int, a *goquery.Selection) bool { return a.Text() == "Next" }).Attr("href"); href != "/admin/users?page=2" {
		t.Errorf("next link %q", href)
	}

	second := c.Get("/admin/users?page=2")
	if names := rowNames(second); len(names) != 6 || names[0] != "Person 25" || names[5] != "Person 30" {
		t.Errorf("second page: %q", names)
	}
	if got := second.Text(".pagination [role=status]"); got != "Showing 26–31 of 31" {
		t.Errorf("second page says %q", got)
	}
	if got := c.Get("/admin/users?page=99").Text(".pagination [role=status]"); got != "Showing 26–31 of 31" {
		t.Errorf("a page past the end shows %q, want the last page", got)
	}
	if got := c.Get("/admin/users?page=-3").Text(".pagination [role=status]"); got != "Showing 1–25 of 31" {
		t.Errorf("a negative page shows %q", got)
	}

	for _, tc := range []struct {
		query string
		count int
		first string
	}{
		{"q=PERSON+1", 10, "Person 10"},               // name, in any case
		{"q=person05%40acme", 1, "Person 05"},         // part of an email
		{"q=++person+07++", 1, "Person 07"},           // surrounding spaces ignored
		{"role=approver", 15, "Person 02"},            // even ones
		{"status=deactivated", 3, "Person 28"},        // 28–30
		{"status=invited", 2, "Person 26"},            // 26, 27
		{"role=approver&status=deactivated", 2, ""},   // 28, 30
		{"role=admin", 1, "Ana Admin"},                //
		{"q=person&role=requester&page=1", 15, ""},    // odd ones
		{"role=emperor&status=gone", 31, "Ana Admin"}, // unknown filters are ignored
	} {
		res := c.Get("/admin/users?" + tc.query)
		if res.Status != 200 {
			t.Errorf("%s: %d", tc.query, res.Status)
			continue
		}
		names := rowNames(res)
		want := fmt.Sprintf("Showing 1–%d of %d", min(tc.count, 25), tc.count)
		if tc.count == 1 {
			want = "Showing 1 of 1"
		}
		if got := res.Text(".pagination [role=status]"); got != want {
			t.Errorf("%s: %q, want %q (rows %q)", tc.query, got, want, names)
		}
		if tc.first != "" && (len(names) == 0 || names[0] != tc.first) {
			t.Errorf("%s: rows %q, want %s first", tc.query, names, tc.first)
		}
	}
	// The filters show what they filter by; a filtered list offers to clear them.
	res := c.Get("/admin/users?q=person&role=approver&status=active")
	if v, _ := res.Doc.Find("#q").Attr("value"); v != "person" {
		t.Errorf("search box keeps %q", v)
	}
	if v, _ := res.Doc.Find("#role option[selected]").Attr("value"); v != "approver" {
		t.Errorf("role filter keeps %q", v)
	}
	if v := res.Text("#status option[selected]"); v != "Active (26)" {
		t.Errorf("status filter keeps %q", v)
	}
	if res.Text(".list-note") == "" || res.Doc.Find(`.list-note a[href="/admin/users"]`).Length() != 1 {
		t.Errorf("no clear-filters link on a filtered list")
	}

	// LIKE wildcards are taken literally, and no match is an empty state, not an empty table.
	none := c.Get("/admin/users?q=%25_")
	if none.Status != 200 || none.Text(".empty-state h2") != "No one matches" || none.Doc.Find("#user-results table").Length() != 0 {
		t.Errorf("no match: %d %q", none.Status, none.Text(".empty-state"))
	}
	if none.Doc.Find(`.empty-state a[href="/admin/users"]`).Length() != 1 {
		t.Error("the empty state does not offer to clear the filters")
	}
}

func TestUsersListFiltersWithHTMX(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Approver", "approver")
	c := s.admin

	page := c.Get("/admin/users")
	form := page.Doc.Find("form.filters")
	for attr, want := range map[string]string{"method": "get", "action": "/admin/users", "hx-get": "/admin/users", "hx-target": "#user-results", "hx-push-url": "true"} {
		if got, _ := form.Attr(attr); got != want {
			t.Errorf("filter form %s = %q, want %q", attr, got, want)
		}
	}
	for _, field := range []string{`input[type=search][name=q]`, `select[name=role]`, `select[name=status]`} {
		if form.Find(field).Length() != 1 {
			t.Errorf("filter form lacks %s", field)
		}
	}

	// htmx asks for the results alone.
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "user-results")
	res := c.Get("/admin/users?q=bo")
	if res.Status != 200 || res.Doc.Find("html body > div#user-results").Length() != 1 || res.Doc.Find(".sidebar, .page-header, form.filters").Length() != 0 {
		t.Errorf("htmx results: %d %s", res.Status, res.Body)
	}
	if names := rowNames(res); len(names) != 1 || names[0] != "Bo Approver" {
		t.Errorf("htmx results rows %q", names)
	}
	// The address bar gets the canonical address: no empty filters, the page really shown.
	if got := c.Get("/admin/users?q=bo&role=&status=&page=7").Header.Get("HX-Push-Url"); got != "/admin/users?q=bo" {
		t.Errorf("HX-Push-Url = %q", got)
	}
	if !strings.Contains(res.Header.Get("Vary"), "HX-Request") {
		t.Errorf("Vary = %q", res.Header.Get("Vary"))
	}
	// Restoring the page from history wants the whole page, though htmx sends HX-Request.
	c.Header.Del("HX-Target")
	c.Header.Set("HX-History-Restore-Request", "true")
	if res := c.Get("/admin/users?q=bo"); res.Doc.Find(".sidebar").Length() != 1 || res.Doc.Find("form.filters").Length() != 1 {
		t.Errorf("history restore got a fragment: %s", res.Body)
	}
}

var inviteLink = regexp.MustCompile(`http://acme\.localhost:8080(/password/reset/[A-Za-z0-9_-]+)`)

func TestInviteSendsALinkToChooseAPassword(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	db := s.db(t)
	finance := s.department(t, "Finance")
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Boss", "approver")
	c := s.admin

	form := c.Get("/admin/users/new")
	if form.Status != 200 || form.Text("h1") != "Invite people" {
		t.Fatalf("invite page: %d %q", form.Status, form.Text("h1"))
	}
	for _, field := range []string{`#email[type=email]`, `#name`, `input[type=checkbox][name=roles][value=requester]`, `select#department option[value="` + ids(finance) + `"]`, `input#manager[role=combobox][hx-get^="/lookup/people/users"]`, `input[type=hidden][name=manager]`, `input[name=_csrf]`} {
		if form.Doc.Find("form#user-form "+field).Length() != 1 {
			t.Errorf("invite form lacks %s", field)
		}
	}
	if l := form.Doc.Find(`label[for="email"]`).Length() + form.Doc.Find(`label[for="name"]`).Length(); l != 2 {
		t.Error("invite fields lack labels")
	}

	res := c.Post("/admin/users", url.Values{"email": {"ivy@acme.example"}, "name": {"Ivy Invitee"}, "roles": {"requester", "approver"},
		"department": {ids(finance)}, "manager": {ids(bo.ID)}})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/admin/users/") {
		t.Fatalf("invite: %d %q %s", res.Status, res.Location(), res.Text(".field-error, .flash"))
	}
	detail := c.Get(res.Location())
	// This server has no mail server: the admin is told so, and given the link to pass on.
	flash := detail.Text(".flash")
	if !strings.HasPrefix(flash, "Ivy Invitee is invited, but this server has no mail server set up yet, so nothing is sent") ||
		!strings.Contains(flash, "Pass this set-password link to Ivy Invitee yourself") {
		t.Errorf("flash %q", flash)
	}
	flashLink := inviteLink.FindStringSubmatch(flash)
	if detail.Text("h1") != "Ivy Invitee" || detail.Text(".details .badge") != "Invited" {
		t.Errorf("detail page: %q %q", detail.Text("h1"), detail.Text(".details .badge"))
	}
	ivy, err := models.FindUserByEmail(context.Background(), db, "ivy@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	got := s.user(t, ivy.ID)
	if got.Status != models.UserInvited || got.PasswordHash != "" || strings.Join(got.Roles, ",") != "requester,approver" ||
		got.DepartmentName != "Finance" || got.ManagerName != "Bo Boss" {
		t.Errorf("stored %+v", got)
	}
	var expires time.Time
	db.Raw(`SELECT expires_at FROM password_resets WHERE user_id = ?`, ivy.ID).Scan(&expires)
	if d := time.Until(expires); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("the link expires in %s, want 72h", d)
	}

	// The mail carries the link; the link lets Ivy choose a password and sign in.
	sent := s.app.WaitMail(t, 1)
	if len(sent) != 1 || sent[0].To != "ivy@acme.example" || !strings.Contains(sent[0].Subject, "Acme Corporation") ||
		!strings.Contains(sent[0].Body, "Ana Admin has invited you") || !strings.Contains(sent[0].Body, "72 hours") {
		t.Fatalf("mail %+v", sent)
	}
	link := inviteLink.FindStringSubmatch(sent[0].Body)
	if flashLink == nil || link == nil || flashLink[0] != link[0] {
		t.Errorf("the page's link %q is not the mailed one %q", flashLink, link)
	}
	if link == nil {
		t.Fatalf("no link in %s", sent[0].Body)
	}
	invitee := s.app.Client(t, "acme")
	if page := invitee.Get(link[1]); page.Status != 200 || page.Text("h1") != "Choose your password" {
		t.Fatalf("set-password page: %d %q", page.Status, page.Text("h1"))
	}
	res = invitee.Post(link[1], url.Values{"password": {"ivy's own passphrase"}, "confirm": {"ivy's own passphrase"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("set password: %d %q", res.Status, res.Location())
	}
	if dash := invitee.Get("/dashboard"); dash.Text("h1") != "Welcome, Ivy Invitee" || !strings.Contains(dash.Text(".flash"), "your password is set") {
		t.Errorf("dashboard %q %q", dash.Text("h1"), dash.Text(".flash"))
	}
	if s.user(t, ivy.ID).Status != models.UserActive {
		t.Error("Ivy is not active after choosing a password")
	}
	fresh := s.app.Client(t, "acme")
	fresh.SignIn("ivy@acme.example", "ivy's own passphrase")
}

func TestInviteRefusesBadInputAndKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	db := s.db(t)
	c := s.admin
	c.Get("/admin/users/new")
	countUsers := func() (n int64) { db.Model(&models.User{}).Count(&n); return }
	before := countUsers()

	for name, tc := range map[string]struct {
		form  url.Values
		field string
		msg   string
	}{
		"duplicate email":  {url.Values{"email": {"ANA@acme.example"}, "name": {"Another Ana"}, "roles": {"requester"}}, "email", "A user with this email already exists."},
		"bad email":        {url.Values{"email": {"ana@"}, "name": {"Another Ana"}, "roles": {"requester"}}, "email", "Enter an email address like name@example.com."},
		"no name":          {url.Values{"email": {"x@acme.example"}, "name": {"  "}, "roles": {"requester"}}, "name", "Enter a name."},
		"no role":          {url.Values{"email": {"x@acme.example"}, "name": {"X"}}, "roles", "Choose at least one role."},
		"unknown role":     {url.Values{"email": {"x@acme.example"}, "name": {"X"}, "roles": {"emperor"}}, "roles", "There is no role emperor. The roles are admin, ap_clerk, approver, auditor, requester."},
		"bogus department": {url.Values{"email": {"x@acme.example"}, "name": {"X"}, "roles": {"requester"}, "department": {"999"}}, "department", "Choose a department from the list."},
		"bogus manager":    {url.Values{"email": {"x@acme.example"}, "name": {"X"}, "roles": {"requester"}, "manager": {"abc"}}, "manager", "Choose from the list."},
	} {
		res := c.Post("/admin/users", tc.form)
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", name, res.Status)
			continue
		}
		if got := res.Text("#" + tc.field + "-error"); got != tc.msg {
			t.Errorf("%s: %s error %q, want %q", name, tc.field, got, tc.msg)
		}
		if v, _ := res.Doc.Find("#name").Attr("value"); v != tc.form.Get("name") {
			t.Errorf("%s: name field keeps %q", name, v)
		}
		if v, _ := res.Doc.Find("#email").Attr("value"); v != tc.form.Get("email") {
			t.Errorf("%s: email field keeps %q", name, v)
		}
		for _, r := range tc.form["roles"] {
			if res.Doc.Find(`input[name=roles][value="`+r+`"][checked]`).Length() != 1 && r != "emperor" {
				t.Errorf("%s: role %s no longer ticked", name, r)
			}
		}
	}
	// Every problem is shown at once.
	res := c.Post("/admin/users", url.Values{"email": {"ana@acme.example"}, "name": {""}, "department": {"999"}})
	for _, field := range []string{"email", "name", "roles", "department"} {
		if res.Text("#"+field+"-error") == "" {
			t.Errorf("all at once: no message for %s", field)
		}
	}
	// htmx gets the form alone, to swap in place.
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "user-form")
	res = c.Post("/admin/users", url.Values{"email": {"ana@acme.example"}, "name": {"Ana Again"}, "roles": {"requester"}})
	c.Header.Del("HX-Request")
	c.Header.Del("HX-Target")
	if res.Status != http.StatusUnprocessableEntity || res.Doc.Find("html body > form#user-form").Length() != 1 || res.Doc.Find(".page-header").Length() != 0 {
		t.Errorf("htmx refusal: %d %s", res.Status, res.Body)
	}
	s.app.WaitJobs(t)
	if countUsers() != before || len(s.app.Mail.Sent()) != 0 {
		t.Errorf("a refused invitation wrote %d users or sent %d mails", countUsers()-before, len(s.app.Mail.Sent()))
	}
	var links int64
	db.Table("password_resets").Count(&links)
	if links != 0 {
		t.Errorf("%d set-password links after refusals", links)
	}
}

func TestEditUserNameRolesDepartmentAndManager(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	finance, ops := s.department(t, "Finance"), s.department(t, "Operations")
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Boss", "approver")
	cy := s.app.CreateUser(t, s.acme, "cy@acme.example", "Cy Clerk", "requester")
	gone := s.app.CreateUser(t, s.acme, "gone@acme.example", "Gone Person", "requester")
	ctx, db := context.Background(), s.db(t)
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), gone.ID); err != nil {
		t.Fatal(err)
	}
	c := s.admin

	page := c.Get(path(cy.ID))
	if page.Status != 200 || page.Text("h1") != "Cy Clerk" {
		t.Fatalf("detail: %d %q", page.Status, page.Text("h1"))
	}
	// The manager is found by typing; a deactivated person is not offered.
	if found := c.Get("/lookup/people/users?q=gone"); found.Doc.Find(`[role=option][data-value="`+ids(gone.ID)+`"]`).Length() != 0 ||
		found.Text(".lookup-empty") != "No person matches “gone”" {
		t.Errorf("manager lookup offers a deactivated person: %q", found.Body)
	}
	if found := c.Get("/lookup/people/users?q=cy@"); found.Doc.Find(`[role=option][data-value="`+ids(cy.ID)+`"]`).Length() != 1 {
		t.Errorf("manager lookup by email: %q", found.Body)
	}

	res := c.Post(path(cy.ID), url.Values{"name": {" Cy Controller "}, "roles": {"ap_clerk", "auditor"}, "department": {ids(finance)}, "manager": {ids(bo.ID)}})
	if got := flashAfter(t, c, res); got != "Saved the changes to Cy Controller." {
		t.Errorf("flash %q", got)
	}
	got := s.user(t, cy.ID)
	if got.Name != "Cy Controller" || strings.Join(got.Roles, ",") != "ap_clerk,auditor" || got.DepartmentName != "Finance" || got.ManagerName != "Bo Boss" {
		t.Fatalf("stored %+v", got)
	}
	// The saved values are what the form shows next time.
	page = c.Get(path(cy.ID))
	if v, _ := page.Doc.Find("#department option[selected]").Attr("value"); v != ids(finance) {
		t.Errorf("department shown %q", v)
	}
	if v, _ := page.Doc.Find("input[name=manager]").Attr("value"); v != ids(bo.ID) || page.Doc.Find("#manager").AttrOr("value", "") != "Bo Boss" {
		t.Errorf("manager shown %q (%q)", page.Doc.Find("#manager").AttrOr("value", ""), v)
	}

	for name, tc := range map[string]struct {
		form  url.Values
		field string
		msg   string
	}{
		"empty name":         {url.Values{"name": {""}, "roles": {"auditor"}}, "name", "Enter a name."},
		"no role":            {url.Values{"name": {"Cy"}}, "roles", "Choose at least one role."},
		"own manager":        {url.Values{"name": {"Cy"}, "roles": {"auditor"}, "manager": {ids(cy.ID)}}, "manager", "A person cannot be their own manager."},
		"deactivated":        {url.Values{"name": {"Cy"}, "roles": {"auditor"}, "manager": {ids(gone.ID)}}, "manager", "This person is deactivated; choose an active manager."},
		"unknown manager":    {url.Values{"name": {"Cy"}, "roles": {"auditor"}, "manager": {"987654"}}, "manager", "Choose a manager from the list."},
		"unknown department": {url.Values{"name": {"Cy"}, "roles": {"auditor"}, "department": {"987654"}}, "department", "Choose a department from the list."},
	} {
		res := c.Post(path(cy.ID), tc.form)
		if res.Status != http.StatusUnprocessableEntity || res.Text("#"+tc.field+"-error") != tc.msg {
			t.Errorf("%s: %d %q, want %q", name, res.Status, res.Text("#"+tc.field+"-error"), tc.msg)
		}
		if v, _ := res.Doc.Find("#name").Attr("value"); v != tc.form.Get("name") {
			t.Errorf("%s: name field keeps %q", name, v)
		}
	}
	// Reporting lines cannot loop: Bo reports to Cy, so Cy cannot report to Bo's report.
	if err := models.UpdateUser(ctx, db, models.ByOperator(), bo.ID, models.UserChange{Name: "Bo Boss", Roles: []string{"approver"}, ManagerID: &cy.ID}); err == nil {
		t.Error("Bo may report to Cy, who reports to Bo")
	}

	// Nothing is half-saved: a good name and department with a bad manager changes nothing.
	res = c.Post(path(cy.ID), url.Values{"name": {"Renamed"}, "roles": {"requester"}, "department": {ids(ops)}, "manager": {ids(gone.ID)}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad manager: %d", res.Status)
	}
	if got := s.user(t, cy.ID); got.Name != "Cy Controller" || got.DepartmentName != "Finance" || strings.Join(got.Roles, ",") != "ap_clerk,auditor" {
		t.Errorf("half-saved: %+v", got)
	}

	// Clearing the department and manager is allowed.
	res = c.Post(path(cy.ID), url.Values{"name": {"Cy Controller"}, "roles": {"auditor"}, "department": {""}, "manager": {""}})
	flashAfter(t, c, res)
	if got := s.user(t, cy.ID); got.DepartmentID != nil || got.ManagerID != nil {
		t.Errorf("not cleared: %+v", got)
	}

	// A manager who leaves later stays on the form, marked, and editing the name still works.
	if err := models.UpdateUser(ctx, db, models.ByOperator(), cy.ID, models.UserChange{Name: "Cy Controller", Roles: []string{"auditor"}, ManagerID: &bo.ID}); err != nil {
		t.Fatal(err)
	}
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), bo.ID); err != nil {
		t.Fatal(err)
	}
	page = c.Get(path(cy.ID))
	if got := page.Doc.Find("#manager").AttrOr("value", ""); !strings.Contains(got, "Bo Boss") || !strings.Contains(got, "deactivated") {
		t.Errorf("a deactivated manager is shown as %q", got)
	}
	flashAfter(t, c, c.Post(path(cy.ID), url.Values{"name": {"Cy C."}, "roles": {"auditor"}, "manager": {ids(bo.ID)}}))
}

func TestTheLastAdminCannotLoseAdminOrBeDeactivated(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	ctx, db := context.Background(), s.db(t)
	c := s.admin

	// Ana, the only admin, cannot take admin away from herself: the form says why.
	res := c.Post(path(s.ana.ID), url.Values{"name": {"Ana Renamed"}, "roles": {"requester"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#user-form .flash-error"), "nobody able to change roles") {
		t.Errorf("last admin demoted: %d %q", res.Status, res.Text(".flash-error"))
	}
	if got := s.user(t, s.ana.ID); got.Name != "Ana Admin" || strings.Join(got.Roles, ",") != "admin" {
		t.Errorf("half-saved: %+v", got)
	}
	// Nor deactivate herself, and the page does not offer to.
	if c.Get(path(s.ana.ID)).Doc.Find(`form[action$="/deactivate"]`).Length() != 0 {
		t.Error("Ana is offered to deactivate herself")
	}
	if got := flashAfter(t, c, c.Post(path(s.ana.ID)+"/deactivate", nil)); got != "You cannot deactivate yourself. Another admin can." {
		t.Errorf("self-deactivation flash %q", got)
	}

	// Someone who may manage users but not roles cannot deactivate the last admin either: an
	// admin holds permissions they do not.
	if _, err := models.CreateRole(ctx, db, "People ops"); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"read", "update"} {
		if err := db.Exec(`INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('p', 'people_ops', 'admin.users', ?)`, action).Error; err != nil {
			t.Fatal(err)
		}
	}
	s.app.CreateUser(t, s.acme, "pat@acme.example", "Pat People", "people_ops")
	pat := s.app.Client(t, "acme")
	pat.SignIn("pat@acme.example", testutil.Password)
	pat.Get("/admin/users")
	if got := flashAfter(t, pat, pat.Post(path(s.ana.ID)+"/deactivate", url.Values{"next": {"/admin/users"}})); !strings.Contains(got, "permissions you do not have") {
		t.Errorf("last admin deactivated: flash %q", got)
	}
	if s.user(t, s.ana.ID).Status != models.UserActive {
		t.Fatal("the last admin was deactivated")
	}
	// With a second admin, the first can go, by the other admin's hand.
	s.app.CreateUser(t, s.acme, "zed@acme.example", "Zed Admin", "admin")
	zed := s.app.Client(t, "acme")
	zed.SignIn("zed@acme.example", testutil.Password)
	zed.Get("/admin/users")
	if got := flashAfter(t, zed, zed.Post(path(s.ana.ID)+"/deactivate", nil)); !strings.HasPrefix(got, "Ana Admin is deactivated") {
		t.Errorf("flash %q", got)
	}
}

// apiMe calls GET /api/v1/me with a bearer token and returns the status.
func apiMe(t *testing.T, app *testutil.App, token string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	req.Host = "acme.localhost:8080"
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := app.Fiber.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestDeactivationEndsSessionsAndTokensAtOnce(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	ctx, db := context.Background(), s.db(t)
	bob := s.app.CreateUser(t, s.acme, "bob@acme.example", "Bob Leaver", "requester")
	_, token, err := models.CreateToken(ctx, db, bob.ID, "ERP sync", 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := s.app.Client(t, "acme")
	browser.SignIn("bob@acme.example", testutil.Password)
	if res := browser.Get("/dashboard"); res.Status != 200 {
		t.Fatalf("Bob's dashboard: %d", res.Status)
	}
	if got := apiMe(t, s.app, token); got != 200 {
		t.Fatalf("Bob's token before: %d", got)
	}

	c := s.admin
	list := c.Get("/admin/users?q=bob")
	form := list.Doc.Find(`form[action="` + path(bob.ID) + `/deactivate"]`)
	if confirm, _ := form.Attr("data-confirm"); !strings.Contains(confirm, "Deactivate Bob Leaver?") {
		t.Errorf("deactivate asks %q", confirm)
	}
	next, _ := form.Find("input[name=next]").Attr("value")
	res := c.Post(path(bob.ID)+"/deactivate", url.Values{"next": {next}})
	if res.Location() != "/admin/users?q=bob" {
		t.Errorf("back to %q, want the filtered list", res.Location())
	}
	if got := flashAfter(t, c, res); !strings.HasPrefix(got, "Bob Leaver is deactivated") {
		t.Errorf("flash %q", got)
	}

	if res := browser.Get("/dashboard"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
		t.Errorf("Bob's session after deactivation: %d %q", res.Status, res.Location())
	}
	if got := apiMe(t, s.app, token); got != http.StatusUnauthorized {
		t.Errorf("Bob's token after deactivation: %d", got)
	}
	browser.Get("/login")
	// With his right password he is told why, and whom to ask.
	if res := browser.Post("/login", url.Values{"email": {"bob@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusForbidden ||
		res.Text(".flash-error") != "Your account is deactivated. Contact an administrator of Acme Corporation if you need access again." {
		t.Errorf("Bob signs in after deactivation: %d %q", res.Status, res.Text(".flash-error"))
	}
	if got := c.Get(path(bob.ID)).Text(".details .badge"); got != "Deactivated" {
		t.Errorf("status shown %q", got)
	}

	// Reactivated, Bob signs in again; his old token stays revoked.
	if got := flashAfter(t, c, c.Post(path(bob.ID)+"/reactivate", nil)); !strings.HasPrefix(got, "Bob Leaver can sign in again") {
		t.Errorf("reactivate flash %q", got)
	}
	browser.SignIn("bob@acme.example", testutil.Password)
	if got := apiMe(t, s.app, token); got != http.StatusUnauthorized {
		t.Errorf("Bob's old token after reactivation: %d", got)
	}
}

// Two app servers over one database: a deactivation through one is refused by the other on
// its very next request, with no message between them.
func TestDeactivationHoldsOnEveryServer(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	ctx, db := context.Background(), s.db(t)
	a, b := s.app, testutil.NewApp(t, s.app.Env)
	bob := a.CreateUser(t, s.acme, "bob@acme.example", "Bob Leaver", "requester")
	_, token, err := models.CreateToken(ctx, db, bob.ID, "laptop", 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	onB := b.Client(t, "acme")
	onB.SignIn("bob@acme.example", testutil.Password)
	if res := onB.Get("/dashboard"); res.Status != 200 {
		t.Fatalf("Bob on B: %d", res.Status)
	}
	if got := apiMe(t, b, token); got != 200 {
		t.Fatalf("token on B: %d", got)
	}

	flashAfter(t, s.admin, s.admin.Post(path(bob.ID)+"/deactivate", nil)) // through A

	if res := onB.Get("/dashboard"); res.Status != http.StatusSeeOther {
		t.Errorf("Bob's session on B after deactivation through A: %d", res.Status)
	}
	if got := apiMe(t, b, token); got != http.StatusUnauthorized {
		t.Errorf("Bob's token on B after deactivation through A: %d", got)
	}
	onB.Get("/login")
	if res := onB.Post("/login", url.Values{"email": {"bob@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusForbidden ||
		!strings.HasPrefix(res.Text(".flash-error"), "Your account is deactivated.") {
		t.Errorf("Bob signs in on B: %d %q", res.Status, res.Text(".flash-error"))
	}
}

func TestAuditorSeesUsersButChangesNothing(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	bob := s.app.CreateUser(t, s.acme, "bob@acme.example", "Bob Requester", "requester")
	s.app.CreateUser(t, s.acme, "aud@acme.example", "Audrey Auditor", "auditor")
	aud := s.app.Client(t, "acme")
	aud.SignIn("aud@acme.example", testutil.Password)

	list := aud.Get("/admin/users")
	if list.Status != 200 || len(rowNames(list)) != 3 {
		t.Fatalf("auditor list: %d %q", list.Status, rowNames(list))
	}
	if list.Doc.Find(`a[href="/admin/users/new"], .row-actions, form[method=post][action^="/admin/users"]`).Length() != 0 {
		t.Error("the auditor is offered invite, edit or deactivate")
	}
	detail := aud.Get(path(bob.ID))
	if detail.Status != 200 || detail.Doc.Find("form#user-form, form[action$=deactivate]").Length() != 0 {
		t.Errorf("auditor detail: %d, forms %d", detail.Status, detail.Doc.Find("form#user-form").Length())
	}
	if got := detail.Text(".details .badge"); !strings.Contains(got, "Requester") {
		t.Errorf("the auditor does not see Bob's roles: %q", got)
	}

	for _, tc := range []struct{ method, path string }{
		{"GET", "/admin/users/new"},
		{"POST", "/admin/users"},
		{"POST", path(bob.ID)},
		{"POST", path(bob.ID) + "/deactivate"},
		{"POST", path(bob.ID) + "/reactivate"},
	} {
		var res *testutil.Response
		if tc.method == "GET" {
			res = aud.Get(tc.path)
		} else {
			aud.Get("/admin/users")
			res = aud.Post(tc.path, url.Values{"email": {"new@acme.example"}, "name": {"Hacked"}, "roles": {"admin"}})
		}
		if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, res.Status, res.Location())
			continue
		}
		if got := aud.Get("/dashboard").Text(".flash"); got != "You do not have the proper permissions to access that page." {
			t.Errorf("%s %s: flash %q", tc.method, tc.path, got)
		}
	}
	if got := s.user(t, bob.ID); got.Name != "Bob Requester" || got.Status != models.UserActive {
		t.Errorf("the auditor changed Bob: %+v", got)
	}
	if _, err := models.FindUserByEmail(context.Background(), s.db(t), "new@acme.example"); err == nil {
		t.Error("the auditor invited someone")
	}

	// A requester does not see the page at all.
	req := s.app.Client(t, "acme")
	req.SignIn("bob@acme.example", testutil.Password)
	if req.Get("/dashboard").Doc.Find(`.nav a[href="/admin/users"]`).Length() != 0 {
		t.Error("a requester's navigation lists Users")
	}
	if res := req.Get("/admin/users"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("requester: %d %q", res.Status, res.Location())
	}
}

func TestUserPagesOfAnotherTenantOrUnknownAreNotFound(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	globex := s.app.NewTenant(t, "globex", "Globex Industries")
	// Globex gets more people than acme, so its last id names nobody at acme.
	var last *models.User
	for i := 0; i < 5; i++ {
		last = s.app.CreateUser(t, globex, fmt.Sprintf("g%d@globex.example", i), "Globex Person", "requester")
	}
	c := s.admin
	c.Get("/admin/users")
	for _, p := range []string{path(last.ID), "/admin/users/0", "/admin/users/abc", "/admin/users/99999999999999999999"} {
		if res := c.Get(p); res.Status != http.StatusNotFound || strings.Contains(res.Body, "Globex") {
			t.Errorf("GET %s: %d", p, res.Status)
		}
	}
	for _, p := range []string{path(last.ID), path(last.ID) + "/deactivate", path(last.ID) + "/reactivate", path(last.ID) + "/invitation"} {
		c.Get("/admin/users") // error pages carry no CSRF token
		if res := c.Post(p, url.Values{"name": {"Hijacked"}, "roles": {"admin"}}); res.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, res.Status)
		}
	}
	g, err := models.GetUser(context.Background(), s.app.DB(t, globex), last.ID)
	if err != nil || g.Name != "Globex Person" || g.Status != models.UserActive {
		t.Errorf("globex person changed: %+v %v", g, err)
	}
	if strings.Contains(c.Get("/admin/users").Body, "globex.example") {
		t.Error("acme's list shows globex people")
	}
}

func TestResendInvitation(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	c := s.admin
	c.Get("/admin/users/new")
	res := c.Post("/admin/users", url.Values{"email": {"ivy@acme.example"}, "name": {"Ivy"}, "roles": {"requester"}})
	detail := c.Get(res.Location())
	form := detail.Doc.Find(`form[action$="/invitation"]`)
	if form.Length() != 1 {
		t.Fatal("no resend button for an invited person")
	}
	action, _ := form.Attr("action")
	if got := flashAfter(t, c, c.Post(action, nil)); !strings.HasPrefix(got, "Ivy is invited, but this server has no mail server set up") {
		t.Errorf("resend flash %q", got)
	}
	s.app.WaitJobs(t)
	if n := len(s.app.WaitMail(t, 2)); n != 2 {
		t.Errorf("%d mails, want 2", n)
	}
	// Active people have no invitation to resend.
	if got := flashAfter(t, c, c.Post(path(s.ana.ID)+"/invitation", nil)); got != "Ana Admin is not waiting for an invitation." {
		t.Errorf("resend to an active person: %q", got)
	}
}

// A person's location is set on the edit form: only an active location is accepted, refused
// beside the field with what was typed kept; the one they have stays theirs when archived.
func TestEditUserLocation(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	db := s.db(t)
	warehouse, depot, office := models.Location{Name: "Warehouse"}, models.Location{Name: "Old depot"}, models.Location{Name: "Head office"}
	for _, l := range []*models.Location{&warehouse, &depot, &office} {
		if err := db.Create(l).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Model(&depot).Update("archived_at", time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	cy := s.app.CreateUser(t, s.acme, "cy@acme.example", "Cy Clerk", "requester")
	c := s.admin
	page := c.Get(path(cy.ID))
	if page.Doc.Find(`#location option[value="`+ids(warehouse.ID)+`"]`).Length() != 1 || page.Doc.Find(`#location option[value="`+ids(depot.ID)+`"]`).Length() != 0 {
		t.Errorf("location choices %q", page.Text("#location"))
	}
	if v, _ := page.Doc.Find("#location option[selected]").Attr("value"); v != "" {
		t.Errorf("a location is chosen before any is set: %q", v)
	}
	if c.Get("/admin/users/new").Doc.Find("#location").Length() != 0 {
		t.Error("the invitation asks for a location")
	}

	flashAfter(t, c, c.Post(path(cy.ID), url.Values{"name": {"Cy Clerk"}, "roles": {"requester"}, "location": {ids(warehouse.ID)}}))
	if got := s.user(t, cy.ID); got.LocationID == nil || *got.LocationID != warehouse.ID || got.LocationName != "Warehouse" {
		t.Fatalf("stored %+v", got)
	}
	if v, _ := c.Get(path(cy.ID)).Doc.Find("#location option[selected]").Attr("value"); v != ids(warehouse.ID) {
		t.Errorf("location shown %q", v)
	}

	for name, tc := range map[string]struct {
		form  url.Values
		field string
		msg   string
	}{
		"archived location": {url.Values{"name": {"Cy Renamed"}, "roles": {"requester"}, "location": {ids(depot.ID)}}, "location", "Choose a location from the list."},
		"unknown location":  {url.Values{"name": {"Cy Renamed"}, "roles": {"requester"}, "location": {"987654"}}, "location", "Choose a location from the list."},
		"not a number":      {url.Values{"name": {"Cy Renamed"}, "roles": {"requester"}, "location": {"x'--"}}, "location", "Choose from the list."},
		// Another field refused: the location typed is kept.
		"empty name": {url.Values{"name": {""}, "roles": {"requester"}, "location": {ids(office.ID)}}, "name", "Enter a name."},
	} {
		res := c.Post(path(cy.ID), tc.form)
		if res.Status != http.StatusUnprocessableEntity || res.Text("#"+tc.field+"-error") != tc.msg {
			t.Errorf("%s: %d %q, want %q", name, res.Status, res.Text("#"+tc.field+"-error"), tc.msg)
		}
		if v, _ := res.Doc.Find("#name").Attr("value"); v != tc.form.Get("name") {
			t.Errorf("%s: name field keeps %q", name, v)
		}
		if name == "empty name" {
			if v, _ := res.Doc.Find("#location option[selected]").Attr("value"); v != ids(office.ID) {
				t.Errorf("%s: location field keeps %q", name, v)
			}
		}
		if got := s.user(t, cy.ID); got.Name != "Cy Clerk" || got.LocationID == nil || *got.LocationID != warehouse.ID {
			t.Errorf("%s: half-saved %+v", name, got)
		}
	}

	// Archived later, the location stays on the form, marked, and saving keeps it.
	if err := db.Model(&warehouse).Update("archived_at", time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	if got := c.Get(path(cy.ID)).Text("#location option[selected]"); got != "Warehouse (archived)" {
		t.Errorf("an archived location is shown as %q", got)
	}
	flashAfter(t, c, c.Post(path(cy.ID), url.Values{"name": {"Cy C."}, "roles": {"requester"}, "location": {ids(warehouse.ID)}}))
	if got := s.user(t, cy.ID); got.Name != "Cy C." || got.LocationID == nil || *got.LocationID != warehouse.ID {
		t.Errorf("stored %+v", got)
	}
	// Clearing it is allowed, and the change is in the audit log.
	flashAfter(t, c, c.Post(path(cy.ID), url.Values{"name": {"Cy C."}, "roles": {"requester"}, "location": {""}}))
	if got := s.user(t, cy.ID); got.LocationID != nil {
		t.Errorf("not cleared: %+v", got)
	}
	var changes int64
	if err := db.Raw(`SELECT count(*) FROM audit_log WHERE table_name = 'users' AND record_id = ? AND action = 'update' AND 'location_id' = ANY (changed)`, ids(cy.ID)).Scan(&changes).Error; err != nil {
		t.Fatal(err)
	}
	// Set, then cleared: the refusals and the save that kept it changed nothing.
	if changes != 2 {
		t.Errorf("%d audited location changes, want 2", changes)
	}
}
