package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/internal/testutil"
	"outlay/models"
)

// untiedMessages lists the messages shown beside fields and groups (.field-error) that no
// element marked invalid points at with aria-describedby: a screen reader on the field does
// not hear them. Empty when every message is tied to what it is about.
func untiedMessages(doc *goquery.Document) []string {
	var out []string
	doc.Find(".field-error").Each(func(_ int, msg *goquery.Selection) {
		id := msg.AttrOr("id", "")
		text := strings.TrimSpace(msg.Text())
		if id == "" {
			out = append(out, "(no id) "+text)
			return
		}
		if doc.Find(`[aria-invalid="true"][aria-describedby~="`+id+`"]`).Length() == 0 {
			out = append(out, "#"+id+" "+text)
		}
	})
	return out
}

// assertTied fails the test when a message on the page is tied to nothing, or when none of
// want is shown.
func assertTied(t *testing.T, what string, res *testutil.Response, want ...string) {
	t.Helper()
	if bad := untiedMessages(res.Doc); len(bad) > 0 {
		t.Errorf("%s: messages tied to no field: %q", what, bad)
	}
	for _, id := range want {
		if res.Doc.Find("#"+id+".field-error").Length() == 0 {
			t.Errorf("%s: no message #%s; the page says %q", what, id, res.Text(".field-error, .form-error"))
		}
	}
}

// A refused sign-in marks its fields and points them at what it says: the message beside an
// empty field, and, for an email and password that match no account, the message above the
// form, which is about both. The reset, invitation and two-factor pages tie theirs the same way.
func TestRefusedSignInTiesItsMessagesToTheFields(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	c.Get("/login")
	empty := c.Post("/login", url.Values{"email": {""}, "password": {""}})
	if empty.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty sign-in: %d", empty.Status)
	}
	assertTied(t, "empty sign-in", empty, "email-error", "password-error")

	wrong := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {"not the password"}})
	summary := wrong.Doc.Find("#login-error[data-form-error]")
	if wrong.Status != http.StatusUnprocessableEntity || !strings.Contains(summary.Text(), "Incorrect email or password") {
		t.Fatalf("wrong password: %d, message %q", wrong.Status, summary.Text())
	}
	for _, field := range []string{"email", "password"} {
		input := wrong.Doc.Find("#" + field)
		if input.AttrOr("aria-invalid", "") != "true" || !strings.Contains(" "+input.AttrOr("aria-describedby", "")+" ", " login-error ") {
			t.Errorf("wrong password: #%s aria-invalid %q aria-describedby %q, want it marked and pointing at #login-error",
				field, input.AttrOr("aria-invalid", ""), input.AttrOr("aria-describedby", ""))
		}
	}

	c.Get("/password/forgot")
	assertTied(t, "reset link for no email", c.Post("/password/forgot", url.Values{"email": {""}}), "email-error")
	path := requestReset(t, app, c, "ana@acme.example")
	c.Get(path)
	assertTied(t, "short new password", c.Post(path, url.Values{"password": {"short"}, "confirm": {"short"}}), "password-error")
	assertTied(t, "passwords that differ", c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"another one"}}), "confirm-error")

	owner := app.Client(t, "acme")
	owner.SignIn("ana@acme.example", testutil.Password)
	enrolThroughPage(t, owner)
	second := app.Client(t, "acme")
	passwordStep(t, second, "ana@acme.example", "/login/two-factor")
	second.Get("/login/two-factor")
	assertTied(t, "no code", second.Post("/login/two-factor", url.Values{"code": {""}}), "code-error")
}

// A message about a group of fields as a whole (a requisition's lines, a trip's legs, a
// person's roles) is pointed at by the group, which is marked invalid with it.
func TestGroupMessagesAreTiedToTheirGroup(t *testing.T) {
	t.Parallel()
	req := newReqSite(t)
	rita := req.client(t, req.rita)
	rita.Get("/requisitions/new")
	noLines := req.reqForm()
	noLines.Set("intent", "submit")
	res := rita.Post("/requisitions", noLines)
	assertTied(t, "a requisition without lines", res, "lines-error")
	assertGroupMarked(t, "a requisition without lines", res, "section#requisition-lines", "lines-error")

	trip := newTripSite(t)
	trip.tessC.Get("/travel/new")
	res = trip.tessC.Post("/travel", url.Values{"intent": {"submit"}, "currency": {"USD"}})
	assertTied(t, "a trip without legs", res, "legs-error")
	assertGroupMarked(t, "a trip without legs", res, "section#travel-legs", "legs-error")

	users := newUsersSite(t)
	users.admin.Get("/admin/users/new")
	res = users.admin.Post("/admin/users", url.Values{"email": {"x@acme.example"}, "name": {"X"}})
	assertTied(t, "a person without roles", res, "roles-error")
	assertGroupMarked(t, "a person without roles", res, `fieldset:has(input[name="roles"])`, "roles-error")
}

// assertGroupMarked fails the test unless the group matching sel points at the message id and
// is marked invalid.
func assertGroupMarked(t *testing.T, what string, res *testutil.Response, sel, id string) {
	t.Helper()
	group := res.Doc.Find(sel)
	if group.Length() != 1 || group.AttrOr("aria-invalid", "") != "true" || group.AttrOr("aria-describedby", "") != id {
		t.Errorf("%s: %d groups %s, aria-invalid %q, aria-describedby %q; want one, marked and pointing at #%s",
			what, group.Length(), sel, group.AttrOr("aria-invalid", ""), group.AttrOr("aria-describedby", ""), id)
	}
}

// skippedHeadings lists the headings of the page's main content that come more than one
// level below the heading before them (an h3 straight after the h1), and a first heading
// that is not the h1.
func skippedHeadings(doc *goquery.Document) []string {
	var out []string
	last := 0
	doc.Find("main h1, main h2, main h3, main h4, main h5, main h6").Each(func(_ int, h *goquery.Selection) {
		level := int(goquery.NodeName(h)[1] - '0')
		if level > last+1 {
			out = append(out, fmt.Sprintf("h%d %q after h%d", level, strings.TrimSpace(h.Text()), last))
		}
		last = level
	})
	return out
}

// An item's page in the approvals queue heads its parts (justification, lines, attachments,
// route, budget) one level below its title, and its comment shows a label, which says that
// a rejection needs one, rather than a placeholder that goes as it is typed.
func TestApprovalPageHeadingsAndCommentLabel(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	r, step := s.pending(t, 500_00)
	res := s.maxC.Get(stepURL(step, ""))
	if res.Status != http.StatusOK || res.Text("main h1") != *r.Number {
		t.Fatalf("the item's page: %d, h1 %q", res.Status, res.Text("main h1"))
	}
	if skipped := skippedHeadings(res.Doc); len(skipped) > 0 {
		t.Errorf("headings skip a level: %q", skipped)
	}
	if n := res.Doc.Find("main h2.details-title").Length(); n < 4 {
		t.Errorf("%d parts headed h2, want justification, lines, attachments, route and budget", n)
	}
	id := fmt.Sprintf("comment-%d", step)
	label := res.Doc.Find(`label[for="` + id + `"]`)
	if label.Length() != 1 || label.HasClass("visually-hidden") || !strings.HasPrefix(strings.TrimSpace(label.Text()), "Comment on "+*r.Number) ||
		!strings.Contains(label.Text(), "a rejection needs one") {
		t.Errorf("the comment's label: %d, classes %q, text %q", label.Length(), label.AttrOr("class", ""), label.Text())
	}
	if ph, ok := res.Doc.Find("#" + id).Attr("placeholder"); ok {
		t.Errorf("the comment still says %q as a placeholder", ph)
	}
}

// Each notification's "Mark read" button says which notification it marks, so a list of
// them read aloud is not a run of buttons all called "Mark read".
func TestMarkReadButtonsNameTheirNotification(t *testing.T) {
	t.Parallel()
	s := newApprovalSite(t)
	s.submitNotified(t, 100_00)
	s.submitNotified(t, 200_00)
	page := s.maxC.Get("/notifications")
	names := map[string]bool{}
	page.Doc.Find(".notification").Each(func(_ int, n *goquery.Selection) {
		title := strings.TrimSpace(n.Find(".notification-title").Text())
		name := strings.Join(strings.Fields(n.Find("form button[type=submit]").Text()), " ")
		if name != "Mark read: "+title {
			t.Errorf("the button beside %q is named %q", title, name)
		}
		names[name] = true
	})
	if len(names) != 2 {
		t.Errorf("%d distinct button names for 2 notifications: %v", len(names), names)
	}
}

// headersWithoutScope lists the header cells of the tables matching sel that do not say
// whether they head a column or a row.
func headersWithoutScope(doc *goquery.Document, sel string) []string {
	var out []string
	if doc.Find(sel).Length() == 0 {
		return []string{"no table " + sel}
	}
	doc.Find(sel).Find("th").Each(func(_ int, th *goquery.Selection) {
		if th.AttrOr("scope", "") == "" {
			out = append(out, strings.TrimSpace(th.Text()))
		}
	})
	return out
}

// A person's own bank account page and the organisation's are told apart by their titles,
// and on a person's page holding an account, the two fields that ask for the password (to
// save a new account, to remove it) are named for what they do.
func TestBankAccountPagesAndFieldsHaveDistinctNames(t *testing.T) {
	t.Parallel()
	_, admin := newApp(t)
	admin.SignIn("ana@acme.example", testutil.Password)
	admin.Get("/dashboard")
	own, org := admin.Get("/settings/bank-account"), admin.Get("/admin/settings/bank-account")
	if own.Text("title") == org.Text("title") || own.Text("main h1") == org.Text("main h1") {
		t.Errorf("both pages are titled %q, h1 %q", own.Text("title"), own.Text("main h1"))
	}
	if got := org.Text("main h1"); got != "Organisation bank account" {
		t.Errorf("the organisation's page is headed %q", got)
	}
	if res := admin.Post("/settings/bank-account", bankForm("Ana Admin", "DE89 3704 0044 0532 0130 00", testutil.Password)); res.Status != http.StatusSeeOther {
		t.Fatalf("saving an account: %d %s", res.Status, res.Text(".field-error"))
	}
	page := admin.Get("/settings/bank-account")
	save, remove := page.Text(`label[for="confirm"]`), page.Text(`label[for="remove-confirm"]`)
	if save == "" || remove == "" || save == remove {
		t.Errorf("the two password fields are named %q and %q", save, remove)
	}
}

// Each role's History link on the roles page is named for its role: a list of links all
// read as "History" says nothing of where each goes.
func TestRoleHistoryLinksNameTheirRole(t *testing.T) {
	t.Parallel()
	_, c := newApp(t)
	c.SignIn("ana@acme.example", testutil.Password)
	page := c.Get("/admin/roles")
	names := map[string]bool{}
	page.Doc.Find(`.roles-table a[href$="/history"]`).Each(func(_ int, a *goquery.Selection) {
		name := strings.Join(strings.Fields(a.Text()), " ")
		role := strings.TrimSpace(a.Closest("tr").Find("td.cards-title").Text())
		if name != "History of "+role {
			t.Errorf("the History link of %q is named %q", role, name)
		}
		names[name] = true
	})
	if len(names) < 5 {
		t.Errorf("%d distinct History links, want one for each role: %v", len(names), names)
	}
}

// A date that cannot be read is refused in the same words on every form, and the message is
// tied to its field: the audit log's filter and an out-of-office delegation here, the
// models' forms through models.ParseDay.
func TestEveryDateFieldSaysTheSameOfADateItCannotRead(t *testing.T) {
	t.Parallel()
	_, admin := newApp(t)
	admin.SignIn("ana@acme.example", testutil.Password)
	res := admin.Get("/audit?from=31/01/2026&to=2026-13-01")
	for _, id := range []string{"from-error", "to-error"} {
		if got := res.Text("#" + id); got != models.DateNotUnderstood {
			t.Errorf("audit log #%s: %q, want %q", id, got, models.DateNotUnderstood)
		}
	}
	assertTied(t, "the audit log's dates", res, "from-error", "to-error")

	s := newApprovalSite(t)
	s.maxC.Get("/approvals/delegation")
	res = s.maxC.Post("/approvals/delegation", url.Values{"delegate": {fmt.Sprint(s.al.ID)}, "starts_on": {"tomorrow"}, "ends_on": {"31/12/2026"}})
	for _, id := range []string{"starts_on-error", "ends_on-error"} {
		if got := res.Text("#" + id); got != models.DateNotUnderstood {
			t.Errorf("delegation #%s: %q, want %q", id, got, models.DateNotUnderstood)
		}
	}
}
