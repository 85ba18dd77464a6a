package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"outlay/internal/testutil"
	"outlay/models"
)

const (
	firefoxOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	safariOnIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	chromeOnMac      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

// browserAs is a fresh client of acme that sends userAgent, signed in as email.
func browserAs(t *testing.T, app *testutil.App, userAgent, email string) *testutil.Client {
	t.Helper()
	c := app.Client(t, "acme")
	c.Header.Set("User-Agent", userAgent)
	c.SignIn(email, testutil.Password)
	return c
}

// signedOut says whether the browser's next page is the sign-in page.
func signedOut(t *testing.T, c *testutil.Client) bool {
	t.Helper()
	res := c.Get("/dashboard")
	return res.Status == http.StatusSeeOther && strings.HasPrefix(res.Location(), "/login")
}

// sessionRows are the rows of the Security page's list of sessions: browser text → number.
func sessionRows(t *testing.T, res *testutil.Response) map[string]string {
	t.Helper()
	rows := map[string]string{}
	res.Doc.Find("table.session-list tr.session").Each(func(_ int, s *goquery.Selection) {
		n, _ := s.Attr("data-session")
		rows[strings.Join(strings.Fields(s.Find("th").Text()), " ")] = n
	})
	return rows
}

// A person's Security page lists where they are signed in, this browser marked, and signs
// out one other session or all of them; each is refused at its very next request, and each
// sign-out is in the audit log. Another person's session is not theirs to sign out.
func TestWhereYoureSignedIn(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	env.CreateUser(t, acme, "cy@acme.example", "Cy Clerk", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	here := browserAs(t, app, chromeOnMac, "bo@acme.example")
	phone := browserAs(t, app, safariOnIPhone, "bo@acme.example")
	laptop := browserAs(t, app, firefoxOnWindows, "bo@acme.example")
	cy := browserAs(t, app, firefoxOnWindows, "cy@acme.example")

	page := here.Get("/settings/security")
	rows := sessionRows(t, page)
	if len(rows) != 3 || rows["Chrome on macOS This browser"] == "" || rows["Safari on iPhone"] == "" || rows["Firefox on Windows"] == "" {
		t.Fatalf("sessions listed: %v", rows)
	}
	if first := page.Doc.Find("table.session-list tr.session").First(); !strings.Contains(first.Text(), "This browser") ||
		first.Find("form").Length() != 0 {
		t.Errorf("this browser is not first, or can be signed out from the list: %q", first.Text())
	}
	if page.Doc.Find(`table.session-list td.date`).Length() != 6 {
		t.Error("each session shows when it started and was last active")
	}

	// One session: the phone.
	phoneNumber := rows["Safari on iPhone"]
	if msg := flashAfter(t, here, here.Post("/settings/security/sessions/"+phoneNumber+"/sign-out", nil)); !strings.Contains(msg, "signed out") {
		t.Errorf("flash %q", msg)
	}
	if !signedOut(t, phone) {
		t.Error("the phone's session survived its sign-out")
	}
	if signedOut(t, laptop) || signedOut(t, here) {
		t.Error("signing out the phone signed out another session")
	}
	if rows := sessionRows(t, here.Get("/settings/security")); len(rows) != 2 || rows["Safari on iPhone"] != "" {
		t.Errorf("after signing out the phone: %v", rows)
	}
	var details string
	db.Raw(`SELECT details::text FROM audit_log WHERE event = ? AND actor_label = 'bo@acme.example'`, models.EventSessionSignedOut).Scan(&details)
	if !strings.Contains(details, "iPhone") {
		t.Errorf("the sign-out recorded as %q", details)
	}

	// Cy's session is not Bo's to sign out, nor is this browser's by its own number.
	cyNumber := sessionRows(t, cy.Get("/settings/security"))["Firefox on Windows This browser"]
	hereNumber := sessionRows(t, here.Get("/settings/security"))["Chrome on macOS This browser"]
	for _, n := range []string{cyNumber, hereNumber} {
		if msg := flashAfter(t, here, here.Post("/settings/security/sessions/"+n+"/sign-out", nil)); !strings.Contains(msg, "already ended") {
			t.Errorf("signing out session %s: flash %q", n, msg)
		}
	}
	if signedOut(t, cy) || signedOut(t, here) {
		t.Error("a session not Bo's to sign out ended")
	}

	// All the others, from a new one.
	tablet := browserAs(t, app, safariOnIPhone, "bo@acme.example")
	if msg := flashAfter(t, here, here.Post("/settings/security/sessions/others", nil)); !strings.Contains(msg, "2 other sessions are signed out") {
		t.Errorf("flash %q", msg)
	}
	if !signedOut(t, laptop) || !signedOut(t, tablet) {
		t.Error("a session survived signing out of all other sessions")
	}
	if signedOut(t, here) || signedOut(t, cy) {
		t.Error("signing out of all other sessions ended this one, or someone else's")
	}
	after := here.Get("/settings/security")
	if rows := sessionRows(t, after); len(rows) != 1 || after.Doc.Find("#sign-out-others").Length() != 0 {
		t.Errorf("with one session left: %v, button shown %v", rows, after.Doc.Find("#sign-out-others").Length() != 0)
	}
	if countEvents(t, db, models.EventOtherSessionsSignedOut) != 1 {
		t.Error("signing out of all other sessions was not recorded")
	}
}

// An admin signs a person out everywhere from their page, after confirming it's them: every
// session of the person ends, recorded as the admin's. Their own they end on their Security
// page instead.
func TestAdminSignsAPersonOutEverywhere(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	b1 := browserAs(t, app, chromeOnMac, "bo@acme.example")
	b2 := browserAs(t, app, safariOnIPhone, "bo@acme.example")
	admin := browserAs(t, app, firefoxOnWindows, "ana@acme.example")
	// A session of Bo's that ran out yesterday is neither counted on his page nor said to end.
	if err := db.Exec(`INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES ('\x01', ?, now() - interval '2 days', now() - interval '1 day', now() - interval '1 day', '192.0.2.1', ?)`, bo.ID, chromeOnMac).Error; err != nil {
		t.Fatal(err)
	}

	path := "/admin/users/" + itoa(bo.ID) + "/sessions/sign-out"
	page := admin.Get("/admin/users/" + itoa(bo.ID))
	if got := page.Text(".session-count"); got != "In 2 places" {
		t.Errorf("Bo's page says %q", got)
	}
	form := page.Doc.Find(`form[action="` + path + `"]`)
	if form.Length() != 1 || form.Find(`input[name="confirm"]`).Length() != 1 {
		t.Fatalf("no sign-out form asking to confirm on Bo's page")
	}
	// Not without confirming it's them: the page comes back, the refusal beside this form's field.
	if res := admin.Post(path, url.Values{}); res.Status != http.StatusUnprocessableEntity ||
		res.Doc.Find("#sign-out-confirm").AttrOr("aria-invalid", "") != "true" || !strings.Contains(res.Text("#sign-out-confirm-error"), "Confirm it's you") {
		t.Errorf("unconfirmed: %d, %q", res.Status, res.Text("#sign-out-confirm-error"))
	}
	if signedOut(t, b1) {
		t.Fatal("an unconfirmed sign-out ended Bo's session")
	}
	if msg := flashAfter(t, admin, admin.Post(path, url.Values{"confirm": {testutil.Password}})); !strings.Contains(msg, "each of their 2 sessions ends") {
		t.Errorf("flash %q", msg)
	}
	if !signedOut(t, b1) || !signedOut(t, b2) {
		t.Error("a session of Bo's survived")
	}
	var actor, details string
	db.Raw(`SELECT actor_label, details::text FROM audit_log WHERE event = ?`, models.EventSignedOutEverywhere).Row().Scan(&actor, &details)
	if actor != "ana@acme.example" || !strings.Contains(details, `"sessions": 2`) {
		t.Errorf("recorded as %q: %s", actor, details)
	}
	if got := admin.Get("/admin/users/" + itoa(bo.ID)).Text(".session-count"); got != "Not signed in anywhere" {
		t.Errorf("Bo's page afterwards says %q", got)
	}

	// Ana's own page offers no such button, and the route refuses it.
	own := "/admin/users/" + itoa(ana.ID) + "/sessions/sign-out"
	if admin.Get("/admin/users/"+itoa(ana.ID)).Doc.Find(`form[action="`+own+`"]`).Length() != 0 {
		t.Error("an admin is offered to sign themselves out everywhere")
	}
	if msg := flashAfter(t, admin, admin.Post(own, url.Values{"confirm": {testutil.Password}})); !strings.Contains(msg, "Security page") {
		t.Errorf("signing oneself out everywhere: flash %q", msg)
	}
	if signedOut(t, admin) {
		t.Error("the admin signed themselves out")
	}
}

// People signed in before the organisation required two factors of them, who have none, do
// not go on unprotected: their next request takes them to set it up, as a sign-in would, and
// reaches nothing else until they have; then they are back on the page they asked for. A
// session begun through single sign-on is exempt, as the requirement says.
func TestRequiringTwoFactorSendsSignedInPeopleToSetItUp(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	admin := browserAs(t, app, firefoxOnWindows, "ana@acme.example")
	enrolThroughPage(t, admin)
	b := browserAs(t, app, chromeOnMac, "bo@acme.example")
	post := browserAs(t, app, chromeOnMac, "bo@acme.example")
	post.Get("/settings/notifications")
	// Cy signed in through single sign-on, and in another browser with a password before
	// sessions kept how they began.
	cy := env.CreateUser(t, acme, "cy@acme.example", "Cy Clerk", "requester")
	ssoToken, err := models.StartSession(context.Background(), db, models.SessionPolicy{Idle: time.Hour, Max: time.Hour}, cy.ID, models.SessionMethodSSO, models.SignInBrowser{})
	if err != nil {
		t.Fatal(err)
	}
	sso := app.Client(t, "acme")
	sso.Cookies["outlay_session"] = ssoToken
	legacy := browserAs(t, app, chromeOnMac, "cy@acme.example")
	if err := db.Exec(`UPDATE sessions SET method = NULL WHERE user_id = ? AND method = 'password'`, cy.ID).Error; err != nil {
		t.Fatal(err)
	}

	admin.Get("/admin/security")
	if res := admin.Post("/admin/security", url.Values{"required": {"everyone"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("requiring two factors: %d %s", res.Status, res.Text(".field-error, .flash"))
	}

	res := b.Get("/expenses?status=draft")
	if res.Status != http.StatusSeeOther || res.Location() != "/login/two-factor/enrol" {
		t.Fatalf("Bo's next request: %d %q, want the enrolment", res.Status, res.Location())
	}
	if _, ok := b.Cookies["outlay_session"]; ok {
		t.Error("Bo's session goes on beside the enrolment")
	}
	if signedOut(t, b) == false {
		t.Error("Bo reaches a page before setting up two-factor sign-in")
	}
	if msg := b.Get("/login/two-factor/enrol").Text(".flash"); !strings.Contains(msg, "now requires two-factor sign-in") {
		t.Errorf("the enrolment says %q", msg)
	}
	// A form posted from a session that must enrol is not saved, and says so.
	res = post.Post("/settings/notifications", url.Values{})
	if res.Status != http.StatusSeeOther || res.Location() != "/login/two-factor/enrol" || res.Header.Get("Outlay-Not-Saved") != "true" {
		t.Errorf("a post from a session that must enrol: %d %q", res.Status, res.Location())
	}

	enrolInSignIn(t, b)
	if res := b.Get("/dashboard"); res.Status != http.StatusOK {
		t.Errorf("after enrolling: %d", res.Status)
	}
	if countEvents(t, db, models.EventSignedOutForTwoFactor) != 2 { // Bo's two browsers
		t.Error("the session's end was not recorded")
	}

	// Cy's session begun through single sign-on goes on; the one begun before sessions kept
	// how, by a person with a password, is taken to the enrolment.
	if res := sso.Get("/dashboard"); res.Status != http.StatusOK {
		t.Errorf("the single sign-on session: %d %q", res.Status, res.Location())
	}
	if res := legacy.Get("/dashboard"); res.Status != http.StatusSeeOther || res.Location() != "/login/two-factor/enrol" {
		t.Errorf("the session from before sessions kept their method: %d %q", res.Status, res.Location())
	}
	// The admin, who has a second factor, goes on too.
	if res := admin.Get("/dashboard"); res.Status != http.StatusOK {
		t.Errorf("the admin's session: %d %q", res.Status, res.Location())
	}
}

// A deactivated person's sessions end at once; trying to sign in again, they are told their
// account is deactivated, but only once they gave the right password: a wrong one is refused
// as any wrong password is, revealing nothing.
func TestDeactivatedPersonIsToldOnlyAfterTheRightPassword(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	app := testutil.NewApp(t, env)
	b := browserAs(t, app, chromeOnMac, "bo@acme.example")
	admin := browserAs(t, app, firefoxOnWindows, "ana@acme.example")
	admin.Get("/admin/users/" + itoa(bo.ID))
	if res := admin.Post("/admin/users/"+itoa(bo.ID)+"/deactivate", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", res.Status)
	}
	if !signedOut(t, b) {
		t.Fatal("the deactivated person's session survived")
	}
	c := app.Client(t, "acme")
	c.Get("/login")
	res := c.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {"not the password"}})
	if msg := res.Text("#login-error"); res.Status != http.StatusUnprocessableEntity || msg != "Incorrect email or password." {
		t.Errorf("wrong password of a deactivated person: %d %q", res.Status, msg)
	}
	res = c.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {testutil.Password}})
	if msg := res.Text("#login-error"); res.Status != http.StatusForbidden || !strings.Contains(msg, "Your account is deactivated. Contact an administrator") {
		t.Errorf("right password of a deactivated person: %d %q", res.Status, msg)
	}
	if res.Doc.Find(`input[name="email"]`).AttrOr("value", "") != "bo@acme.example" {
		t.Error("the email typed is lost")
	}
	if _, ok := c.Cookies["outlay_session"]; ok {
		t.Error("a deactivated person got a session")
	}
}
