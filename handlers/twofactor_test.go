package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/auth"
	"outlay/handlers"
	"outlay/internal/testutil"
	"outlay/models"
)

// totpCode is the code an authenticator app shows for secret, offset steps from now.
func totpCode(t *testing.T, secret string, steps int) string {
	t.Helper()
	c, err := auth.TOTPCode(secret, time.Now().Add(time.Duration(steps)*auth.TOTPPeriod*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolThroughPage turns two-factor sign-in on from /settings/security, reading the secret
// from the page as a person would type it, and returns it with the recovery codes shown.
func enrolThroughPage(t *testing.T, c *testutil.Client) (string, []string) {
	t.Helper()
	page := c.Get("/settings/security")
	secret := strings.ReplaceAll(page.Text("#totp-secret"), " ", "")
	if len(secret) != 32 || page.Doc.Find("svg.qr path").Length() != 1 {
		t.Fatalf("enrolment page: secret %q, QR %d", secret, page.Doc.Find("svg.qr").Length())
	}
	code := totpCode(t, secret, 0)
	enrolledWith.Store(secret, code)
	res := c.Post("/settings/security/enrol", url.Values{"code": {code}, "confirm": {testutil.Password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("confirm enrolment: %d; %s", res.Status, res.Text(".field-error"))
	}
	return secret, newCodesShown(t, c, res)
}

// enrolInSignIn sets up a second factor in the sign-in enrolment the browser is sent to,
// and returns its secret; the browser is then signed in.
func enrolInSignIn(t *testing.T, c *testutil.Client) string {
	t.Helper()
	secret := strings.ReplaceAll(c.Get("/login/two-factor/enrol").Text("#totp-secret"), " ", "")
	res := c.Post("/login/two-factor/enrol", url.Values{"code": {totpCode(t, secret, 0)}})
	if res.Status != http.StatusOK || res.Doc.Find("#recovery-codes code").Length() != 10 {
		t.Fatalf("enrolment in sign-in: %d %s", res.Status, res.Text(".flash, .field-error"))
	}
	return secret
}

// enrolledWith keeps the code each enrolment was confirmed with (secret → code), so that a
// test replays that code itself: the current code may be a later one by then, the 30 seconds
// of the first having run out.
var enrolledWith sync.Map

// newCodesShown follows the redirect of a post that made new recovery codes to the page that
// shows them, and returns them. The page shows them once: loaded again, it has none.
func newCodesShown(t *testing.T, c *testutil.Client, res *testutil.Response) []string {
	t.Helper()
	if res.Status != http.StatusSeeOther || res.Location() != "/settings/security" {
		t.Fatalf("new recovery codes: %d %q, want a redirect to the security page; %s", res.Status, res.Location(), res.Text(".field-error"))
	}
	page := c.Get(res.Location())
	var codes []string
	page.Doc.Find("#recovery-codes code").Each(func(_ int, s *goquerySelection) { codes = append(codes, s.Text()) })
	if page.Status != http.StatusOK || len(codes) != models.RecoveryCodeCount {
		t.Fatalf("the security page after new codes: %d, %d codes", page.Status, len(codes))
	}
	if again := c.Get(res.Location()); again.Doc.Find("#recovery-codes").Length() != 0 {
		t.Fatal("the security page, loaded again, shows the new recovery codes again")
	}
	return codes
}

// forgetUsedSteps lets a test sign in again within the same 30 seconds: in life the next
// sign-in waits for the next code.
func forgetUsedSteps(t *testing.T, db *gorm.DB) {
	if err := db.Exec(`UPDATE user_two_factor SET last_used_step = 0`).Error; err != nil {
		t.Fatal(err)
	}
}

// passwordStep posts the password and expects to be sent to the second factor at path.
func passwordStep(t *testing.T, c *testutil.Client, email, path string) {
	t.Helper()
	c.Get("/login")
	res := c.Post("/login", url.Values{"email": {email}, "password": {testutil.Password}})
	if res.Status != http.StatusSeeOther || res.Location() != path {
		t.Fatalf("password step: %d %q, want %s; %s", res.Status, res.Location(), path, res.Text(".flash, .field-error"))
	}
	if _, ok := c.Cookies["outlay_session"]; ok {
		t.Fatal("a session exists before the second factor")
	}
}

func countEvents(t *testing.T, db *gorm.DB, name string) int {
	var n int
	if err := db.Raw(`SELECT count(*) FROM audit_log WHERE event = ?`, name).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTwoFactorEnrolAndSignIn(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("bo@acme.example", testutil.Password)
	secret, codes := enrolThroughPage(t, c)
	if countEvents(t, db, models.EventTwoFactorEnrolled) != 1 {
		t.Error("enrolment not recorded")
	}
	if page := c.Get("/settings/security"); !strings.Contains(page.Text(".card"), "10 unused recovery codes") || page.Doc.Find("#recovery-codes").Length() != 0 {
		t.Errorf("the settings page after enrolment: %q", page.Text(".card"))
	}
	c.Post("/logout", nil)

	c2 := app.Client(t, "acme")
	passwordStep(t, c2, "bo@acme.example", "/login/two-factor")
	form := c2.Get("/login/two-factor")
	if form.Status != 200 || form.Doc.Find(`input[name="code"][autocomplete="one-time-code"]`).Length() != 1 {
		t.Fatalf("code form: %d", form.Status)
	}
	if hint := form.Text("#code-hint"); !strings.Contains(hint, "recovery codes") || !strings.Contains(hint, "ask an administrator of your organisation to reset your second factor") {
		t.Errorf("the code form's help for a lost phone: %q", hint)
	}
	// The enrolment's code was used: it is refused as a replay.
	used, _ := enrolledWith.Load(secret)
	res := c2.Post("/login/two-factor", url.Values{"code": {used.(string)}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#code-error"), "not right") {
		t.Fatalf("replayed code: %d %q", res.Status, res.Text("#code-error"))
	}
	if countEvents(t, db, models.EventTwoFactorCodeFailed) != 1 {
		t.Error("the failed code was not recorded")
	}
	res = c2.Post("/login/two-factor", url.Values{"code": {totpCode(t, secret, 1)}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("right code: %d %q %s", res.Status, res.Location(), res.Text(".field-error"))
	}
	if c2.Get("/dashboard").Status != 200 {
		t.Fatal("not signed in after the code")
	}
	// The half-signed-in state was used up.
	if _, ok := c2.Cookies["outlay_2fa"]; ok {
		t.Error("the half-signed-in cookie outlived the sign-in")
	}

	// A recovery code works once, in any spelling.
	c3 := app.Client(t, "acme")
	passwordStep(t, c3, "bo@acme.example", "/login/two-factor")
	res = c3.Post("/login/two-factor", url.Values{"code": {strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("recovery code: %d %s", res.Status, res.Text(".field-error"))
	}
	c4 := app.Client(t, "acme")
	passwordStep(t, c4, "bo@acme.example", "/login/two-factor")
	if res := c4.Post("/login/two-factor", url.Values{"code": {codes[3]}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a recovery code was accepted twice: %d", res.Status)
	}
	if countEvents(t, db, models.EventRecoveryCodeUsed) != 1 {
		t.Error("the recovery code's use was not recorded")
	}
	var details string
	db.Raw(`SELECT details->>'second_factor' FROM audit_log WHERE event = 'signin.success' ORDER BY id DESC LIMIT 1`).Scan(&details)
	if details != models.MethodRecoveryCode {
		t.Errorf("sign-in recorded second factor %q", details)
	}

	// New recovery codes replace the old; turning it off needs the password or a code.
	c2.Get("/settings/security")
	regen := c2.Post("/settings/security/recovery-codes", url.Values{"confirm": {testutil.Password}})
	if regen.Status != http.StatusSeeOther {
		t.Fatalf("regenerate: %d", regen.Status)
	}
	shown := c2.Get(regen.Location())
	var fresh []string
	shown.Doc.Find("#recovery-codes code").Each(func(_ int, s *goquerySelection) { fresh = append(fresh, s.Text()) })
	if len(fresh) != 10 || fresh[0] == codes[0] {
		t.Fatalf("regenerated codes: %v", fresh)
	}
	if href, _ := shown.Doc.Find("#recovery-download").Attr("href"); !strings.HasPrefix(href, "data:text/plain") || !strings.Contains(href, fresh[9]) {
		t.Errorf("download link %q", href)
	}
	c5 := app.Client(t, "acme")
	passwordStep(t, c5, "bo@acme.example", "/login/two-factor")
	if res := c5.Post("/login/two-factor", url.Values{"code": {codes[0]}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an old recovery code works after regenerating: %d", res.Status)
	}
	if res := c2.Post("/settings/security/disable", url.Values{"confirm": {"wrong password"}}); res.Status != http.StatusUnprocessableEntity || res.Text("#confirm-error") == "" {
		t.Errorf("disable with a wrong password: %d", res.Status)
	}
	if res := c2.Post("/settings/security/disable", url.Values{"confirm": {testutil.Password}}); res.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.Status)
	}
	if countEvents(t, db, models.EventTwoFactorDisabled) != 1 {
		t.Error("disabling was not recorded")
	}
	app.Client(t, "acme").SignIn("bo@acme.example", testutil.Password) // password alone again
}

// Making new recovery codes asks again for the password or a current code, as turning
// two-factor sign-in off does: a session left open is not enough. A missing or wrong answer
// is refused beside the field and the old codes keep working; a right one shows new codes.
func TestRecoveryCodesNeedPasswordOrCode(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("bo@acme.example", testutil.Password)
	secret, codes := enrolThroughPage(t, c)

	form := c.Get("/settings/security").Doc.Find(`form[action="/settings/security/recovery-codes"]`)
	if form.Find(`input#recovery-confirm[name="confirm"][type="password"]`).Length() != 1 {
		t.Fatalf("the recovery codes form asks for no password: %s", form.Text())
	}
	for _, tc := range []struct{ name, confirm, want string }{
		{"nothing", "", "Enter your password or a code from your app."},
		{"a wrong password", "not my password", "That is neither your password nor a current code. Try again."},
	} {
		res := c.Post("/settings/security/recovery-codes", url.Values{"confirm": {tc.confirm}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#recovery-confirm-error") != tc.want {
			t.Errorf("%s: %d %q", tc.name, res.Status, res.Text("#recovery-confirm-error"))
		}
		// The field takes the focus again, and a password manager may fill it.
		field := res.Doc.Find("input#recovery-confirm")
		if _, focused := field.Attr("autofocus"); !focused || field.AttrOr("autocomplete", "") != "current-password" {
			t.Errorf("%s: the field has autofocus %v, autocomplete %q", tc.name, focused, field.AttrOr("autocomplete", ""))
		}
		if res.Doc.Find("#recovery-codes").Length() != 0 {
			t.Errorf("%s: new recovery codes are shown", tc.name)
		}
		if res.Text("#confirm-error") != "" {
			t.Errorf("%s: the turn-off form shows the message too", tc.name)
		}
	}
	if n := countEvents(t, db, models.EventRecoveryCodesGenerated); n != 0 {
		t.Errorf("%d regenerations recorded after refusals", n)
	}
	// The old codes still work.
	old := app.Client(t, "acme")
	passwordStep(t, old, "bo@acme.example", "/login/two-factor")
	if res := old.Post("/login/two-factor", url.Values{"code": {codes[0]}}); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("an old recovery code after refused regenerations: %d %s", res.Status, res.Text(".field-error"))
	}

	// The password makes new codes, and so does a current code from the app.
	for _, confirm := range []string{testutil.Password, totpCode(t, secret, 1)} {
		newCodesShown(t, c, c.Post("/settings/security/recovery-codes", url.Values{"confirm": {confirm}}))
	}
	if n := countEvents(t, db, models.EventRecoveryCodesGenerated); n != 2 {
		t.Errorf("%d regenerations recorded, want 2", n)
	}
	stale := app.Client(t, "acme")
	passwordStep(t, stale, "bo@acme.example", "/login/two-factor")
	if res := stale.Post("/login/two-factor", url.Values{"code": {codes[1]}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an old recovery code works after regenerating: %d", res.Status)
	}
}

// Wrong codes count in the sign-in throttle with wrong passwords: after the limit even the
// right code is refused, and signing in with the password again does not reset the count.
func TestTwoFactorCodesAreThrottled(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("bo@acme.example", testutil.Password)
	secret, _ := enrolThroughPage(t, c)

	g := app.Client(t, "acme")
	passwordStep(t, g, "bo@acme.example", "/login/two-factor")
	for i := range models.DefaultThrottle.PerAccount {
		if i == 2 {
			passwordStep(t, g, "bo@acme.example", "/login/two-factor") // the password again
		}
		if res := g.Post("/login/two-factor", url.Values{"code": {"000000"}}); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code %d: %d", i, res.Status)
		}
	}
	res := g.Post("/login/two-factor", url.Values{"code": {totpCode(t, secret, 1)}})
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(res.Text(".form-error, .flash"), "Too many") {
		t.Fatalf("code after the limit: %d %q", res.Status, res.Text("form"))
	}
	if _, ok := g.Cookies["outlay_session"]; ok {
		t.Fatal("signed in while throttled")
	}
	// The password form is throttled for the account too.
	g.Get("/login")
	if res := g.Post("/login", url.Values{"email": {"bo@acme.example"}, "password": {testutil.Password}}); res.Status != http.StatusTooManyRequests {
		t.Errorf("password after failed codes: %d", res.Status)
	}
}

// The half-signed-in state reaches no page but the code form, and a person the policy
// requires to enrol reaches nothing but enrolment: the whole route table is walked in both.
func TestHalfSignedInReachesNothingElse(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "admin")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	ana := app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	enrolThroughPage(t, ana)
	// Admins must use two factors: Bo has none yet.
	if res := ana.Post("/admin/security", url.Values{"required": {"roles"}, "roles": {"admin"}, "allow_remember": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("save policy: %d %s", res.Status, res.Text(".field-error, .form-error"))
	}

	pendingCode := app.Client(t, "acme")
	passwordStep(t, pendingCode, "ana@acme.example", "/login/two-factor")
	pendingEnrol := app.Client(t, "acme")
	passwordStep(t, pendingEnrol, "bo@acme.example", "/login/two-factor/enrol")

	for name, c := range map[string]*testutil.Client{"waiting for a code": pendingCode, "not yet enrolled": pendingEnrol} {
		page := map[string]string{"waiting for a code": "/login/two-factor", "not yet enrolled": "/login/two-factor/enrol"}[name]
		if res := c.Get(page); res.Status != 200 {
			t.Fatalf("%s: %s answered %d", name, page, res.Status)
		}
		csrf := c.CSRF
		for _, r := range app.Server.Routes() {
			if r.Access == handlers.Public {
				continue
			}
			path := concretePath(r.Path)
			var res *testutil.Response
			if r.Method == http.MethodGet {
				res = c.Get(path)
			} else {
				res = c.Post(path, url.Values{"_csrf": {csrf}})
			}
			switch {
			case r.API:
				if res.Status != http.StatusUnauthorized {
					t.Errorf("%s: %s %s answered %d, want 401", name, r.Method, path, res.Status)
				}
			case r.Method == http.MethodGet:
				if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
					t.Errorf("%s: %s %s answered %d %q, want sign-in", name, r.Method, path, res.Status, res.Location())
				}
			default:
				if res.Status != http.StatusSeeOther || res.Location() != "/login" {
					t.Errorf("%s: %s %s answered %d %q, want sign-in", name, r.Method, path, res.Status, res.Location())
				}
			}
			c.Cookies["outlay_flash"] = ""
			delete(c.Cookies, "outlay_flash")
		}
		// The other half-signed-in page sends back to the right one.
		other := map[string]string{"waiting for a code": "/login/two-factor/enrol", "not yet enrolled": "/login/two-factor"}[name]
		if res := c.Get(other); res.Status != http.StatusSeeOther || res.Location() != page {
			t.Errorf("%s: %s answered %d %q", name, other, res.Status, res.Location())
		}
	}

	// Bo enrols in the sign-in and is signed in with his recovery codes shown.
	enrol := pendingEnrol.Get("/login/two-factor/enrol")
	secret := strings.ReplaceAll(enrol.Text("#totp-secret"), " ", "")
	res := pendingEnrol.Post("/login/two-factor/enrol", url.Values{"code": {"123"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#code-error") == "" {
		t.Fatalf("wrong enrolment code: %d", res.Status)
	}
	res = pendingEnrol.Post("/login/two-factor/enrol", url.Values{"code": {totpCode(t, secret, 0)}})
	if res.Status != 200 || res.Doc.Find("#recovery-codes code").Length() != 10 {
		t.Fatalf("enrolment in sign-in: %d %s", res.Status, res.Text(".field-error"))
	}
	if pendingEnrol.Get("/dashboard").Status != 200 {
		t.Error("not signed in after enrolling")
	}

	var longest float64
	db.Raw(`SELECT coalesce(max(extract(epoch FROM expires_at - created_at)), 0) FROM two_factor_challenges`).Scan(&longest)
	if longest <= 0 || longest > 300 {
		t.Errorf("a half-signed-in state lasts %v seconds", longest)
	}
	// The state lasts five minutes.
	if err := db.Exec(`UPDATE two_factor_challenges SET expires_at = now() - interval '1 second'`).Error; err != nil {
		t.Fatal(err)
	}
	if res := pendingCode.Post("/login/two-factor", url.Values{"code": {"000000"}}); res.Status != http.StatusSeeOther || res.Location() != "/login" {
		t.Errorf("expired state: %d %q", res.Status, res.Location())
	}
}

// An admin's reset ends every session of the person; they enrol again at their next sign-in.
func TestAdminResetEndsSessions(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	b1 := app.Client(t, "acme")
	b1.SignIn("bo@acme.example", testutil.Password)
	enrolThroughPage(t, b1)
	users := app.Client(t, "acme")
	users.SignIn("ana@acme.example", testutil.Password)
	list := users.Get("/admin/users")
	if !strings.Contains(list.Text(`tr:contains("Bo Buyer")`), "On") {
		t.Errorf("users list row for Bo: %q", list.Text(`tr:contains("Bo Buyer")`))
	}
	page := users.Get("/admin/users/" + itoa(bo.ID))
	if page.Doc.Find(`form[action="/admin/users/`+itoa(bo.ID)+`/two-factor/reset"]`).Length() != 1 {
		t.Fatal("no reset button on Bo's page")
	}
	res := users.Post("/admin/users/"+itoa(bo.ID)+"/two-factor/reset", url.Values{"confirm": {testutil.Password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.Status)
	}
	if res := b1.Get("/dashboard"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/login") {
		t.Errorf("Bo's session survived the reset: %d", res.Status)
	}
	if countEvents(t, db, models.EventTwoFactorReset) != 1 {
		t.Error("the reset was not recorded")
	}
	var actor string
	db.Raw(`SELECT actor_label FROM audit_log WHERE event = ?`, models.EventTwoFactorReset).Scan(&actor)
	if actor != "ana@acme.example" {
		t.Errorf("reset recorded as %q", actor)
	}
	passwordStep(t, app.Client(t, "acme"), "bo@acme.example", "/login/two-factor/enrol")
}

// A remembered browser skips the code for 30 days, unless the organisation turns that off.
func TestRememberThisBrowser(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	secret, codes := enrolThroughPage(t, c)
	c.Post("/logout", nil)
	passwordStep(t, c, "ana@acme.example", "/login/two-factor")
	if res := c.Post("/login/two-factor", url.Values{"code": {totpCode(t, secret, 1)}, "remember": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("code: %d", res.Status)
	}
	c.Get("/dashboard")
	c.Post("/logout", nil)
	c.SignIn("ana@acme.example", testutil.Password) // no code asked
	if err := models.UpdateTwoFactorSettings(context.Background(), db, models.ByOperator(), models.TwoFactorOptional, nil, false); err != nil {
		t.Fatal(err)
	}
	c.Get("/dashboard")
	c.Post("/logout", nil)
	passwordStep(t, c, "ana@acme.example", "/login/two-factor")
	if c.Get("/login/two-factor").Doc.Find(`input[name="remember"]`).Length() != 0 {
		t.Error("remember is offered when the organisation turned it off")
	}
	// Turned on again, it does not bring back the browser remembered before it was turned off.
	if err := models.UpdateTwoFactorSettings(context.Background(), db, models.ByOperator(), models.TwoFactorOptional, nil, true); err != nil {
		t.Fatal(err)
	}
	passwordStep(t, c, "ana@acme.example", "/login/two-factor")
	// A browser remembered from now on is remembered again.
	if res := c.Post("/login/two-factor", url.Values{"code": {codes[0]}, "remember": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("code after remembering is allowed again: %d", res.Status)
	}
	c.Get("/dashboard")
	c.Post("/logout", nil)
	c.SignIn("ana@acme.example", testutil.Password) // no code asked
}

// Making an API token needs the person to confirm it's them; with two-factor sign-in on, a
// current code does, a used or wrong one does not. The token itself then works without one.
func TestTokenCreationNeedsSecondFactor(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	db := env.DB(t, acme)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	secret, _ := enrolThroughPage(t, c)
	db.Exec(`UPDATE sessions SET reauthenticated_at = NULL`)
	if c.Get("/settings/tokens").Doc.Find(`#token-confirm`).Length() != 1 {
		t.Fatal("no confirmation field on the token form")
	}
	used, _ := enrolledWith.Load(secret)
	for _, code := range []string{"000000", used.(string)} { // the last was used to enrol
		res := c.Post("/settings/tokens", url.Values{"name": {"ci"}, "days": {"30"}, "confirm": {code}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#token-confirm-error") == "" || res.Doc.Find("#new-token").Length() != 0 ||
			res.Doc.Find("#token-name").AttrOr("value", "") != "ci" {
			t.Errorf("code %q: %d %q", code, res.Status, res.Text("#token-confirm-error"))
		}
	}
	res := c.Post("/settings/tokens", url.Values{"name": {"ci"}, "days": {"30"}, "confirm": {totpCode(t, secret, 1)}})
	token, _ := res.Doc.Find("#new-token").Attr("value")
	if res.Status != http.StatusCreated || token == "" {
		t.Fatalf("with a fresh code: %d %s", res.Status, res.Text(".field-error"))
	}
	api := app.Client(t, "acme")
	api.Header.Set("Authorization", "Bearer "+token)
	if res := api.Get("/api/v1/me"); res.Status != 200 {
		t.Errorf("the token: %d", res.Status)
	}
}

// A person sent to enrol at sign-in who turned two factors on meanwhile, in a session from
// before the policy, is sent to sign in again with a code rather than enrolling twice.
func TestSignInEnrolmentAfterEnrollingElsewhere(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	db := env.DB(t, acme)
	app := testutil.NewApp(t, env)
	old := app.Client(t, "acme")
	old.SignIn("bo@acme.example", testutil.Password)
	if err := models.UpdateTwoFactorSettings(context.Background(), db, models.ByOperator(), models.TwoFactorEveryone, nil, true); err != nil {
		t.Fatal(err)
	}
	pending := app.Client(t, "acme")
	passwordStep(t, pending, "bo@acme.example", "/login/two-factor/enrol")
	pending.Get("/login/two-factor/enrol")
	// The session from before the policy is sent to set it up too, and does.
	if res := old.Get("/dashboard"); res.Status != http.StatusSeeOther || res.Location() != "/login/two-factor/enrol" {
		t.Fatalf("the session from before the policy: %d %q", res.Status, res.Location())
	}
	enrolInSignIn(t, old)
	res := pending.Post("/login/two-factor/enrol", url.Values{"code": {"000000"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/login" {
		t.Fatalf("enrolling again: %d %q", res.Status, res.Location())
	}
	if msg := pending.Get("/login").Text(".flash"); !strings.Contains(msg, "already on") {
		t.Errorf("flash %q", msg)
	}
	passwordStep(t, pending, "bo@acme.example", "/login/two-factor")
}

// Turning two-factor sign-in on from the settings asks for the password too: a stolen session
// alone must not bind someone else's authenticator to the account.
func TestTurningTwoFactorOnAsksForThePassword(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	c := app.Client(t, "acme")
	c.SignIn("rita@acme.example", testutil.Password)
	page := c.Get("/settings/security")
	if page.Doc.Find("#enrol-confirm").Length() != 1 {
		t.Fatal("the enrolment form does not ask for the password")
	}
	secret := strings.ReplaceAll(page.Text("#totp-secret"), " ", "")
	for _, confirm := range []string{"", "not the password"} {
		res := c.Post("/settings/security/enrol", url.Values{"code": {totpCode(t, secret, 0)}, "confirm": {confirm}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#enrol-confirm-error") == "" {
			t.Fatalf("enrolling with password %q: %d %q", confirm, res.Status, res.Text("#enrol-confirm-error"))
		}
		// The same secret is offered again, with the code typed, and two-factor sign-in is
		// still off.
		if got := strings.ReplaceAll(res.Text("#totp-secret"), " ", ""); got != secret {
			t.Errorf("secret after a refusal %q, want %q", got, secret)
		}
		if got := res.Doc.Find("#code").AttrOr("value", ""); got != totpCode(t, secret, 0) && got != totpCode(t, secret, -1) {
			t.Errorf("the code field after the password was refused shows %q; want the code typed", got)
		}
	}
	if tf, err := models.GetTwoFactor(context.Background(), env.DB(t, acme), rita.ID); err != nil || tf.Enabled() {
		t.Fatalf("two-factor sign-in after refusals: %+v %v", tf, err)
	}
	res := c.Post("/settings/security/enrol", url.Values{"code": {totpCode(t, secret, 0)}, "confirm": {testutil.Password}})
	newCodesShown(t, c, res)
}

// An authenticator's secret, until it is confirmed, is the session's that was shown it: a
// secret read in another session (one that has since ended, say after a password reset)
// is never the one the person turns on, and that session cannot confirm the new one.
func TestEnrolmentSecretIsTheSessionsThatWasShownIt(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	intruder := app.Client(t, "acme")
	intruder.SignIn("rita@acme.example", testutil.Password)
	read := strings.ReplaceAll(intruder.Get("/settings/security").Text("#totp-secret"), " ", "")
	if len(read) != 32 {
		t.Fatalf("secret shown %q", read)
	}

	owner := app.Client(t, "acme")
	owner.SignIn("rita@acme.example", testutil.Password)
	page := owner.Get("/settings/security")
	secret := strings.ReplaceAll(page.Text("#totp-secret"), " ", "")
	if secret == read || len(secret) != 32 {
		t.Fatalf("the owner's session is shown %q, the secret another session read", secret)
	}
	if again := strings.ReplaceAll(owner.Get("/settings/security").Text("#totp-secret"), " ", ""); again != secret {
		t.Errorf("the same session is shown another secret on reload")
	}
	// The first session cannot confirm the secret it read: the owner's session was shown
	// another since.
	res := intruder.Post("/settings/security/enrol", url.Values{"code": {totpCode(t, read, 0)}, "confirm": {testutil.Password}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#code-error"), "began again in another browser") {
		t.Fatalf("the other session confirming: %d %q", res.Status, res.Text("#code-error"))
	}
	if tf, err := models.GetTwoFactor(context.Background(), env.DB(t, acme), rita.ID); err != nil || tf.Enabled() {
		t.Fatalf("two-factor sign-in is on after another session's tries: %v", err)
	}
	// Its page, shown again, took the secret back (whoever was last shown it holds it): the
	// owner, confirming, is told so and given a new key, and turns that on.
	res = owner.Post("/settings/security/enrol", url.Values{"code": {totpCode(t, secret, 0)}, "confirm": {testutil.Password}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#code-error"), "began again in another browser") {
		t.Fatalf("confirming a secret another session replaced: %d %q", res.Status, res.Text("#code-error"))
	}
	secret = strings.ReplaceAll(res.Text("#totp-secret"), " ", "")
	res = owner.Post("/settings/security/enrol", url.Values{"code": {totpCode(t, secret, 0)}, "confirm": {testutil.Password}})
	newCodesShown(t, owner, res)
	forgetUsedSteps(t, env.DB(t, acme))
	c := app.Client(t, "acme")
	passwordStep(t, c, "rita@acme.example", "/login/two-factor")
	if res := c.Post("/login/two-factor", url.Values{"code": {totpCode(t, read, 0)}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a code of the secret another session read: %d %q; want it refused", res.Status, res.Location())
	}
}
