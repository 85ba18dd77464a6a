package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/auth"
	"outlay/internal/testutil"
	"outlay/mail"
	"outlay/models"
)

const testBrowser = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"

// securityMails are the security notices sent to email so far.
func securityMails(app *testutil.App, email string) []mail.Message {
	var out []mail.Message
	for _, m := range app.Mail.Sent() {
		if m.To == email && strings.Contains(m.Body, "“Forgot password”: ") {
			out = append(out, m)
		}
	}
	return out
}

// waitSecurityMail waits for the n-th security notice to email and returns it.
func waitSecurityMail(t *testing.T, app *testutil.App, email string, n int) mail.Message {
	t.Helper()
	app.WaitJobs(t)
	got := securityMails(app, email)
	if len(got) < n {
		t.Fatalf("%d security mails to %s, want %d", len(got), email, n)
	}
	return got[n-1]
}

// checkNotice checks that a security notice says what happened and what to do, and carries no
// secret and no link that signs in: only the "Forgot password" page's address.
func checkNotice(t *testing.T, m mail.Message, subject string, says ...string) {
	t.Helper()
	if !strings.Contains(m.Subject, subject) {
		t.Errorf("subject %q, want %q", m.Subject, subject)
	}
	for _, s := range append(says, "Acme Corporation", "Forgot password", "tell an admin of Acme Corporation") {
		if !strings.Contains(m.Body, s) {
			t.Errorf("the mail does not say %q:\n%s", s, m.Body)
		}
	}
	links := mail.Links(m.Body)
	if len(links) != 1 || links[0] != "http://acme.localhost:8080/password/forgot" {
		t.Errorf("links %q; want only the Forgot password page", links)
	}
	if strings.Contains(m.Body, testutil.Password) || strings.Contains(m.Body, "/password/reset/") {
		t.Errorf("the mail carries a secret:\n%s", m.Body)
	}
}

// The change-password form refuses a password others could guess, beside the new password
// field, and keeps the rest of the page and the password as it was; the person's name built
// into a password is refused too.
func TestChangePasswordRefusesAWeakPasswordBesideTheField(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("bo@acme.example", testutil.Password)
	c.Get("/settings/security")
	for _, tc := range []struct{ password, want string }{
		{"password123", auth.CommonPasswordMessage},
		{"1234567890", auth.SequencePasswordMessage},
		{"buyer-2026!", "Do not build your password on your name: others could guess it. Choose one of your own, such as a few unrelated words."},
		{"acme corporation 1", "Do not build your password on your organisation's name: others could guess it. Choose one of your own, such as a few unrelated words."},
	} {
		res := c.Post("/settings/security/password", url.Values{"current_password": {testutil.Password}, "new_password": {tc.password}, "repeat_password": {tc.password}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#new_password-error") != tc.want {
			t.Errorf("%q: %d %q; want 422 %q", tc.password, res.Status, res.Text("#new_password-error"), tc.want)
		}
		form := res.Doc.Find(`form[action="/settings/security/password"]`)
		for _, field := range []string{"current_password", "new_password", "repeat_password"} {
			if form.Find("#"+field).Length() != 1 {
				t.Errorf("%q: the form lost its %s field", tc.password, field)
			}
		}
		if res.Text("#current_password-error") != "" || res.Text("#repeat_password-error") != "" {
			t.Errorf("%q: errors beside the other fields", tc.password)
		}
		if !strings.Contains(form.Find(".hint").Text(), "not a common password nor one built on your name") {
			t.Errorf("%q: the form's hint %q does not say what passwords are refused", tc.password, form.Find(".hint").Text())
		}
		if res.Doc.Find(`#password-title`).Length() != 1 || res.Doc.Find(`h1`).Length() != 1 {
			t.Errorf("%q: the page around the form is gone", tc.password)
		}
	}
	if n := len(securityMails(app, "bo@acme.example")); n != 0 {
		t.Errorf("%d mails for refused changes", n)
	}
	fresh := app.Client(t, "acme")
	fresh.SignIn("bo@acme.example", testutil.Password)
}

// The reset form refuses a common password beside its field; the link still works, and the
// email the form is for (which password managers read) stays in it.
func TestResetRefusesACommonPasswordBesideTheField(t *testing.T) {
	t.Parallel()
	app, c := newApp(t)
	path := requestReset(t, app, c, "ana@acme.example")
	c.Get(path)
	res := c.Post(path, url.Values{"password": {"Password123"}, "confirm": {"Password123"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#password-error") != auth.CommonPasswordMessage {
		t.Fatalf("common password: %d %q", res.Status, res.Text("#password-error"))
	}
	if v, _ := res.Doc.Find(`input[name="username"]`).Attr("value"); v != "ana@acme.example" {
		t.Errorf("the form's username is %q", v)
	}
	if !strings.Contains(res.Text("main p.muted"), "ana@acme.example") || res.Doc.Find("#confirm").Length() != 1 {
		t.Errorf("the form lost what it showed: %q", res.Text("main p.muted"))
	}
	if res := c.Post(path, url.Values{"password": {"ana-2026!!"}, "confirm": {"ana-2026!!"}}); res.Text("#password-error") !=
		"Do not build your password on your email address: others could guess it. Choose one of your own, such as a few unrelated words." {
		t.Errorf("password built on the email: %d %q", res.Status, res.Text("#password-error"))
	}
	if res := c.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("good password after a refused one: %d %q", res.Status, res.Text("#password-error"))
	}
}

// A changed password, a reset one, and a second factor an admin reset are each told to the
// person by mail: what, when, from where (or by whom), and what to do if it was not them. A
// first password chosen from an invitation is no change to tell of.
func TestChangesToHowOneSignsInAreMailed(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	cy := env.CreateUser(t, acme, "cy@acme.example", "Cy Clerk", "requester")
	db := env.DB(t, acme)
	if err := db.Exec(`UPDATE org_settings SET time_zone = 'Europe/Berlin'`).Error; err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)

	c := app.Client(t, "acme")
	c.Header.Set("User-Agent", testBrowser)
	c.SignIn("bo@acme.example", testutil.Password)
	c.Get("/settings/security")
	const next = "a fresh passphrase 42"
	if res := c.Post("/settings/security/password", url.Values{"current_password": {testutil.Password}, "new_password": {next}, "repeat_password": {next}}); res.Status != http.StatusSeeOther {
		t.Fatalf("change: %d %q", res.Status, res.Text(".field-error"))
	}
	m := waitSecurityMail(t, app, "bo@acme.example", 1)
	checkNotice(t, m, "Your Outlay password for Acme Corporation was changed", "Hello Bo Buyer", "was changed on ", "(Europe/Berlin)",
		"with the browser “"+testBrowser+"”", "someone else knows your password")

	// A reset with a link: the link's mail, then the notice.
	r := app.Client(t, "acme")
	r.Header.Set("User-Agent", testBrowser)
	path := requestReset(t, app, r, "bo@acme.example")
	r.Get(path)
	if res := r.Post(path, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d %q", res.Status, res.Text("#password-error"))
	}
	m = waitSecurityMail(t, app, "bo@acme.example", 2)
	checkNotice(t, m, "Your Outlay password for Acme Corporation was reset", "was reset with a link sent to this address", "with the browser “"+testBrowser+"”")

	// An admin resets Cy's second factor.
	b := app.Client(t, "acme")
	b.SignIn("cy@acme.example", testutil.Password)
	enrolThroughPage(t, b)
	admin := app.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	admin.Get("/admin/users/" + itoa(cy.ID))
	if res := admin.Post("/admin/users/"+itoa(cy.ID)+"/two-factor/reset", url.Values{"confirm": {testutil.Password}}); res.Status != http.StatusSeeOther {
		t.Fatalf("two-factor reset: %d", res.Status)
	}
	if got := admin.Get("/admin/users/" + itoa(cy.ID)).Text(".flash"); !strings.HasSuffix(got, "They are told by email.") {
		t.Errorf("the admin is told %q", got)
	}
	m = waitSecurityMail(t, app, "cy@acme.example", 1)
	checkNotice(t, m, "Your second factor for Acme Corporation on Outlay was reset", "Ana Admin, an admin of Acme Corporation, reset your second factor",
		"set up an authenticator again")

	// An invited person choosing their first password is told nothing.
	_, token, err := models.InviteUser(t.Context(), db, models.ByOperator(), models.NewUser{Email: "ivy@acme.example", Name: "Ivy Invitee", Roles: []string{"requester"}}, models.InvitationTTL)
	if err != nil {
		t.Fatal(err)
	}
	link := "/password/reset/" + token
	ivy := app.Client(t, "acme")
	ivy.Get(link)
	if res := ivy.Post(link, url.Values{"password": {"ivy's own passphrase"}, "confirm": {"ivy's own passphrase"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("invitation: %d %q", res.Status, res.Text("#password-error"))
	}
	app.WaitJobs(t)
	if n := len(securityMails(app, "ivy@acme.example")); n != 0 {
		t.Errorf("%d security mails for a first password", n)
	}
	var queued int
	db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ?`, models.MailSecurityNotice).Scan(&queued)
	if queued != 3 {
		t.Errorf("%d notices in the outbox, want 3 (two to Bo, one to Cy)", queued)
	}
}

// The lock that too many wrong passwords begin is told to the person once, with the address
// and browser of the attempt that began it; another lock the same day is not mailed again, and
// a lock on an address nobody has mails nobody.
func TestALockedSignInIsMailedOnceADay(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t)
	db := app.DB(t, mustTenant(t, app, "acme"))
	attacker := app.Client(t, "acme")
	attacker.Header.Set("User-Agent", testBrowser)
	lockOut(t, attacker, "ana@acme.example")
	m := waitSecurityMail(t, app, "ana@acme.example", 1)
	checkNotice(t, m, "Sign-in to your Outlay account for Acme Corporation is paused", "after several wrong passwords in a row",
		"with the browser “"+testBrowser+"”", "It opens again at ", "someone may be trying to guess your password")

	if err := db.Exec(`DELETE FROM login_failures`).Error; err != nil {
		t.Fatal(err)
	}
	lockOut(t, attacker, "ana@acme.example")
	lockOut(t, attacker, "nobody@acme.example")
	app.WaitJobs(t)
	if n := len(securityMails(app, "ana@acme.example")); n != 1 {
		t.Errorf("%d lock mails to Ana, want 1", n)
	}
	var locks, mails int
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = 'signin.locked'`).Scan(&locks)
	db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ?`, models.MailSignInLocked).Scan(&mails)
	if locks != 3 || mails != 1 {
		t.Errorf("%d locks recorded and %d mailed; want 3 and 1", locks, mails)
	}
}

// Turning one's second factor off and making an API token are each told to the person by
// mail, from where, with what to do if it was not them: either is what someone who took over
// a session would do to keep the account.
func TestTwoFactorTurnedOffAndANewTokenAreMailed(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.Header.Set("User-Agent", testBrowser)
	c.SignIn("ana@acme.example", testutil.Password)
	enrolThroughPage(t, c)
	app.WaitJobs(t)
	if n := len(securityMails(app, "ana@acme.example")); n != 0 {
		t.Fatalf("%d security mails for turning two-factor on", n)
	}
	createToken(t, c, "Nightly ERP sync")
	m := waitSecurityMail(t, app, "ana@acme.example", 1)
	checkNotice(t, m, "A new API token for your Outlay account for Acme Corporation", "An API token named “Nightly ERP sync” was made",
		"with the browser “"+testBrowser+"”", "revoke the token on your API tokens page")

	c.Get("/settings/security")
	if res := c.Post("/settings/security/disable", url.Values{"confirm": {testutil.Password}}); res.Status != http.StatusSeeOther {
		t.Fatalf("turning two-factor off: %d %q", res.Status, res.Text(".field-error"))
	}
	m = waitSecurityMail(t, app, "ana@acme.example", 2)
	checkNotice(t, m, "Two-factor sign-in to Outlay for Acme Corporation was turned off", "Signing in now asks only for your password",
		"with the browser “"+testBrowser+"”", "turn two-factor sign-in on again")

	// A refused token (no name) and a refused turning off (wrong password) tell nothing.
	c.Get("/settings/tokens")
	c.Post("/settings/tokens", url.Values{"name": {""}, "days": {"30"}})
	app.WaitJobs(t)
	if n := len(securityMails(app, "ana@acme.example")); n != 2 {
		t.Errorf("%d security mails after a refused token, want 2", n)
	}
}
