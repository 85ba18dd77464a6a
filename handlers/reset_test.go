package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"outlay/internal/poll"
	"outlay/internal/testutil"
	"outlay/models"
)

var resetLink = regexp.MustCompile(`http://acme\.localhost:8080(/password/reset/[A-Za-z0-9_-]+)`)

// requestReset asks for a reset link for email and returns its path: from the first mail
// sent to email after the request that carries one (others, such as a notice that sign-in is
// paused, may go out meanwhile).
func requestReset(t *testing.T, app *testutil.App, c *testutil.Client, email string) string {
	t.Helper()
	before := len(app.Mail.Sent())
	c.Get("/password/forgot")
	res := c.Post("/password/forgot", url.Values{"email": {email}})
	if res.Status != 200 || res.Text("h1") != "Check your email" {
		t.Fatalf("forgot: %d %q", res.Status, res.Text("h1"))
	}
	var link []string
	poll.Until(t, "a reset link to "+email, 15*time.Second, func() error {
		for _, m := range app.Mail.Sent()[before:] {
			if link = resetLink.FindStringSubmatch(m.Body); m.To == email && link != nil {
				return nil
			}
		}
		return fmt.Errorf("no mail to %s with a link among %d sent", email, len(app.Mail.Sent())-before)
	})
	return link[1]
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	other := app.Client(t, "acme")
	other.SignIn("ana@acme.example", testutil.Password)

	path := requestReset(t, app, c, "ana@acme.example")
	form := c.Get(path)
	if form.Status != 200 || form.Text("h1") != "Set a new password" {
		t.Fatalf("reset page: %d %q", form.Status, form.Text("h1"))
	}
	// Bad input keeps the link usable and says what is wrong.
	if res := c.Post(path, url.Values{"password": {"short"}, "confirm": {"short"}}); res.Status != http.StatusUnprocessableEntity || res.Text("#password-error") != "Use at least 10 characters." {
		t.Errorf("short password: %d %q", res.Status, res.Text("#password-error"))
	}
	if res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"something else"}}); res.Status != http.StatusUnprocessableEntity || res.Text("#confirm-error") != "The two passwords do not match." {
		t.Errorf("mismatch: %d %q", res.Status, res.Text("#confirm-error"))
	}
	res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("reset: %d %q", res.Status, res.Location())
	}
	if got := c.Get("/dashboard").Text(".flash"); !strings.Contains(got, "Your password has been changed") {
		t.Errorf("flash %q", got)
	}
	// Everyone else signed in with the old password is signed out.
	if res := other.Get("/dashboard"); res.Status != http.StatusSeeOther {
		t.Errorf("other session survived the reset: %d", res.Status)
	}
	// The link works once.
	c.Cookies = map[string]string{}
	if res := c.Get(path); res.Status != http.StatusNotFound || res.Text("h1") != "This link no longer works" {
		t.Errorf("reused link: %d %q", res.Status, res.Text("h1"))
	}
	c.Get("/login")
	if res := c.Post(path, url.Values{"password": {"yet another password"}, "confirm": {"yet another password"}}); res.Status != http.StatusNotFound {
		t.Errorf("reused link accepted a password: %d", res.Status)
	}
	// The old password is gone, the new one works.
	c.Get("/login")
	if res := c.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("old password still works: %d", res.Status)
	}
	c.SignIn("ana@acme.example", "a brand new password")
}

func TestPasswordResetExpiredAndUnknown(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	path := requestReset(t, app, c, "ana@acme.example")
	db := app.DB(t, mustTenant(t, app, "acme"))
	if err := db.Exec(`UPDATE password_resets SET expires_at = now() - interval '1 second'`).Error; err != nil {
		t.Fatal(err)
	}
	if res := c.Get(path); res.Status != http.StatusNotFound {
		t.Errorf("expired link: %d", res.Status)
	}
	if res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}}); res.Status != http.StatusNotFound {
		t.Errorf("expired link accepted: %d", res.Status)
	}
	if res := c.Get("/password/reset/not-a-real-token"); res.Status != http.StatusNotFound {
		t.Errorf("made-up link: %d", res.Status)
	}
	// Asking for an unknown address looks the same as for a real one, and sends nothing.
	before := len(app.Mail.Sent())
	c.Get("/password/forgot")
	res := c.Post("/password/forgot", url.Values{"email": {"nobody@acme.example"}})
	if res.Status != 200 || res.Text("h1") != "Check your email" {
		t.Errorf("unknown email: %d %q", res.Status, res.Text("h1"))
	}
	// It names neither a link nor single sign-on as what was sent: either may be.
	if got := res.Text("main p"); !strings.Contains(got, "an email saying what to do next") || !strings.Contains(got, "single sign-on") {
		t.Errorf("the page says %q", got)
	}
	app.WaitJobs(t)
	if len(app.Mail.Sent()) != before {
		t.Error("mail sent for an unknown address")
	}
	c.Get("/password/forgot")
	if res := c.Post("/password/forgot", url.Values{"email": {"not an email"}}); res.Status != http.StatusUnprocessableEntity || res.Text("#email-error") == "" {
		t.Errorf("bad email: %d %q", res.Status, res.Text("#email-error"))
	}
}

func TestPasswordResetMailIsCapped(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	for i := 0; i < 7; i++ {
		c.Get("/password/forgot")
		if res := c.Post("/password/forgot", url.Values{"email": {"ana@acme.example"}}); res.Status != 200 || res.Text("h1") != "Check your email" {
			t.Fatalf("request %d: %d %q", i+1, res.Status, res.Text("h1"))
		}
	}
	app.WaitJobs(t)
	if n := len(app.Mail.Sent()); n != 5 {
		t.Errorf("%d reset mails sent for 7 requests in an hour, want 5", n)
	}
}

// A lapsed organisation's people have until the purge to sign in and export: one who forgot
// their password is mailed a link and sets a new one, though every other change is refused.
func TestALapsedOrganisationsPeopleMayResetTheirPassword(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	if err := app.Registry.SetStatus(context.Background(), "acme", "lapsed"); err != nil {
		t.Fatal(err)
	}
	path := requestReset(t, app, c, "ana@acme.example")
	c.Get(path)
	res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("reset in a lapsed organisation: %d %q %s", res.Status, res.Location(), res.Text("main"))
	}
	if dash := c.Get("/dashboard"); !strings.Contains(dash.Text(".standing-notice"), "read-only") {
		t.Errorf("after the reset the dashboard reads %q", dash.Text(".standing-notice"))
	}
	c.Cookies = map[string]string{}
	c.SignIn("ana@acme.example", "a brand new password")
}

// Someone who asks for a person's reset links all hour uses up the links anyone may ask for,
// not those an admin sends: the admin's link to the locked-out person still goes.
func TestAnAdminsResetLinkIsNotCappedByRequestsForIt(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	app := testutil.NewApp(t, env)
	anyone := app.Client(t, "acme")
	for range models.MaxResetsPerHour + 2 {
		anyone.Get("/password/forgot")
		anyone.Post("/password/forgot", url.Values{"email": {"bo@acme.example"}})
	}
	app.WaitJobs(t)
	before := len(app.Mail.Sent())
	if before != models.MaxResetsPerHour {
		t.Fatalf("%d mails for %d requests", before, models.MaxResetsPerHour+2)
	}
	admin := app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	admin.Get(fmt.Sprintf("/admin/users/%d", bo.ID))
	if res := admin.Post(fmt.Sprintf("/admin/users/%d/password-reset", bo.ID), nil); res.Status != http.StatusSeeOther {
		t.Fatalf("the admin's link after the requests: %d %q", res.Status, res.Text(".field-error, .flash"))
	}
	if sent := app.WaitMail(t, before+1); sent[len(sent)-1].To != "bo@acme.example" {
		t.Errorf("the admin's link went to %q", sent[len(sent)-1].To)
	}
}

// A person with two-factor sign-in, locked out by someone's wrong guesses at their password,
// gets back in with a reset link and a code: the reset forgets the guesses at the old
// password. A sign-in someone half finished with the old password ends with the reset.
func TestResetEndsGuessesAndHalfFinishedSignIns(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	db := env.DB(t, acme)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	secret, _ := enrolThroughPage(t, c)

	halfway := app.Client(t, "acme")
	passwordStep(t, halfway, "ana@acme.example", "/login/two-factor")
	guesser := app.Client(t, "acme")
	guesser.Get("/login")
	for i := range models.DefaultThrottle.PerAccount + 1 {
		res := guesser.Post("/login", url.Values{"email": {"ana@acme.example"}, "password": {fmt.Sprintf("wrong guess %d", i)}})
		if i == models.DefaultThrottle.PerAccount && res.Status != http.StatusTooManyRequests {
			t.Fatalf("guess %d: %d; want the account locked", i+1, res.Status)
		}
	}

	owner := app.Client(t, "acme")
	path := requestReset(t, app, owner, "ana@acme.example")
	owner.Get(path)
	res := owner.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/login/two-factor" {
		t.Fatalf("reset: %d %q; want the code step", res.Status, res.Location())
	}
	forgetUsedSteps(t, db)
	if res := owner.Post("/login/two-factor", url.Values{"code": {totpCode(t, secret, 0)}}); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("the code after the reset: %d %q %q; want signed in", res.Status, res.Location(), res.Text(".form-error, .field-error"))
	}
	forgetUsedSteps(t, db)
	if res := halfway.Post("/login/two-factor", url.Values{"code": {totpCode(t, secret, 0)}}); res.Location() == "/dashboard" {
		t.Errorf("a sign-in half finished with the old password went on after the reset: %d %q", res.Status, res.Location())
	}
}

// An email longer than any address can be is refused before it is counted or recorded.
func TestSignInRefusesAnOverlongEmail(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.Get("/login")
	long := strings.Repeat("a", 5000) + "@acme.example"
	res := c.Post("/login", url.Values{"email": {long}, "password": {"whatever it is"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#email-error") != "An email address has at most 254 characters." {
		t.Errorf("overlong email: %d %q", res.Status, res.Text("#email-error"))
	}
	if strings.Contains(res.Body, strings.Repeat("a", 300)) {
		t.Error("the page shows the overlong email again")
	}
	var n int
	env.DB(t, acme).Raw(`SELECT count(*) FROM audit_log WHERE length(subject) > 254 OR length(actor_label) > 254`).Scan(&n)
	if n != 0 {
		t.Errorf("%d audit rows carry the overlong email", n)
	}
}

// A signed-in person changes their password with their current one: wrong, mismatched or
// weak new ones are refused beside their fields; the change keeps this browser signed in,
// signs out every other, and is recorded.
func TestSignedInPersonChangesTheirPassword(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	app := testutil.NewApp(t, env)
	c, other := app.Client(t, "acme"), app.Client(t, "acme")
	c.SignIn("bo@acme.example", testutil.Password)
	other.SignIn("bo@acme.example", testutil.Password)
	page := c.Get("/settings/security")
	if page.Doc.Find(`form[action="/settings/security/password"] #current_password`).Length() != 1 {
		t.Fatal("the security page offers no password change")
	}
	const next = "a fresh passphrase 42"
	for _, tc := range []struct {
		name, current, new, repeat, field, want string
	}{
		{"wrong current", "not my password", next, next, "current_password", "That is not your current password."},
		{"mismatch", testutil.Password, next, next + "x", "repeat_password", "The two new passwords do not match."},
		{"short", testutil.Password, "short", "short", "new_password", "Use at least 10 characters."},
		{"same", testutil.Password, testutil.Password, testutil.Password, "new_password", "Choose a password other than the one you have."},
	} {
		res := c.Post("/settings/security/password", url.Values{"current_password": {tc.current}, "new_password": {tc.new}, "repeat_password": {tc.repeat}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#"+tc.field+"-error") != tc.want {
			t.Errorf("%s: %d %q; want 422 %q", tc.name, res.Status, res.Text("#"+tc.field+"-error"), tc.want)
		}
	}
	oldSession := c.Cookies["outlay_session"]
	res := c.Post("/settings/security/password", url.Values{"current_password": {testutil.Password}, "new_password": {next}, "repeat_password": {next}})
	if res.Status != http.StatusSeeOther || res.Location() != "/settings/security" {
		t.Fatalf("change: %d %q %q", res.Status, res.Location(), res.Text(".field-error, .form-error"))
	}
	if got := c.Get("/settings/security").Text(".flash"); !strings.Contains(got, "Your password is changed") {
		t.Errorf("flash %q", got)
	}
	if res := c.Get("/dashboard"); res.Status != http.StatusOK {
		t.Errorf("this browser after the change: %d; want still signed in", res.Status)
	}
	if res := other.Get("/dashboard"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
		t.Errorf("another browser after the change: %d %q; want signed out", res.Status, res.Location())
	}
	// This browser went on in a new session: a copy of the old cookie is signed out.
	if c.Cookies["outlay_session"] == oldSession {
		t.Error("the session cookie is the same after the change")
	}
	copied := app.Client(t, "acme")
	copied.Cookies["outlay_session"] = oldSession
	if res := copied.Get("/dashboard"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
		t.Errorf("a copy of the old session cookie after the change: %d %q; want signed out", res.Status, res.Location())
	}
	fresh := app.Client(t, "acme")
	fresh.Get("/login")
	if res := fresh.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("the old password after the change: %d; want refused", res.Status)
	}
	fresh.SignIn("bo@acme.example", next)
	var n int
	env.DB(t, acme).Raw(`SELECT count(*) FROM audit_log WHERE event = 'password.changed' AND subject = 'bo@acme.example'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d password.changed events; want 1", n)
	}
}

// Wrong passwords sent at once are checked one after another, each counted before the
// next is: no more are checked than the throttle allows, however they are timed.
func TestGuessesSentAtOnceAreThrottledAsOneByOne(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	app := testutil.NewApp(t, env)
	const n = 12
	clients := make([]*testutil.Client, n)
	for i := range clients {
		clients[i] = app.Client(t, "acme")
		clients[i].Get("/login")
	}
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- c.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {fmt.Sprintf("wrong guess %d", i)}}).Status
		}()
	}
	wg.Wait()
	close(statuses)
	checked := 0
	for st := range statuses {
		switch st {
		case http.StatusUnprocessableEntity:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("a guess answered %d", st)
		}
	}
	if checked != models.DefaultThrottle.PerAccount {
		t.Errorf("%d of %d guesses sent at once were checked; want the throttle's %d", checked, n, models.DefaultThrottle.PerAccount)
	}
}

// Only the latest link works: asking for a reset again ends the link of the earlier mail, and
// resending an invitation ends the first invitation's link.
func TestANewLinkEndsTheEarlierOnes(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	c := s.app.Client(t, "acme")
	first := requestReset(t, s.app, c, "ana@acme.example")
	second := requestReset(t, s.app, c, "ana@acme.example")
	if res := c.Get(first); res.Status != http.StatusNotFound || res.Text("h1") != "This link no longer works" {
		t.Errorf("the first reset link after a second was sent: %d %q", res.Status, res.Text("h1"))
	}
	if res := c.Get(second); res.Status != http.StatusOK {
		t.Errorf("the latest reset link: %d", res.Status)
	}

	ivy, token, err := models.InviteUser(context.Background(), s.db(t), models.ByOperator(),
		models.NewUser{Email: "ivy@acme.example", Name: "Ivy Invitee", Roles: []string{"requester"}}, models.InvitationTTL)
	if err != nil {
		t.Fatal(err)
	}
	if res := c.Get("/password/reset/" + token); res.Status != http.StatusOK {
		t.Fatalf("the invitation's link: %d", res.Status)
	}
	if flash := flashAfter(t, s.admin, s.admin.Post(path(ivy.ID)+"/invitation", nil)); !strings.HasPrefix(flash, "Ivy Invitee is invited") {
		t.Fatalf("resending Ivy's invitation: flash %q", flash)
	}
	if res := c.Get("/password/reset/" + token); res.Status != http.StatusNotFound {
		t.Errorf("the first invitation's link after it was resent: %d", res.Status)
	}
}
