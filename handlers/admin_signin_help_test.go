package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"outlay/handlers"
	"outlay/internal/testutil"
	"outlay/mail"
	"outlay/models"
)

// resetLinkForm is the "Send a password reset link" form on a person's page.
func resetLinkForm(id int64) string {
	return `form[method="post"][action="/admin/users/` + itoa(id) + `/password-reset"]`
}

// resetLinksSent counts the links admins were recorded sending.
func resetLinksSent(t *testing.T, s *usersSite) int {
	t.Helper()
	return countEvents(t, s.db(t), models.EventPasswordResetLinkSent)
}

// withoutLink is a reset mail's body with its one-time link taken out.
func withoutLink(m mail.Message) string { return resetLink.ReplaceAllString(m.Body, "LINK") }

// An admin sends an active person the very mail "Forgot password" sends: after a confirming
// question, through a form with its CSRF token; the admin is told to whom it went, never
// sees the link, and the audit log records who sent it to whom. The link lets the person
// choose a new password.
func TestAdminSendsAPasswordResetLink(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Buyer", "requester")

	page := s.admin.Get(path(bo.ID))
	form := page.Doc.Find(resetLinkForm(bo.ID))
	if form.Length() != 1 {
		t.Fatalf("no reset link form on Bo's page: %s", page.Text(".details"))
	}
	if confirm, _ := form.Attr("data-confirm"); !strings.Contains(confirm, "Bo Buyer") || !strings.Contains(confirm, "bo@acme.example") {
		t.Errorf("the form asks %q before sending", confirm)
	}
	if csrf, _ := form.Find(`input[name="_csrf"]`).Attr("value"); csrf == "" {
		t.Error("the form carries no CSRF token")
	}
	if got := strings.TrimSpace(form.Find("button").Text()); got != "Send a password reset link" {
		t.Errorf("button %q", got)
	}

	before := len(s.app.Mail.Sent())
	res := s.admin.Post(path(bo.ID)+"/password-reset", nil)
	if res.Status != http.StatusSeeOther || res.Location() != path(bo.ID) {
		t.Fatalf("send: %d %q", res.Status, res.Location())
	}
	after := s.admin.Get(res.Location())
	// This test server has no mail server, so the mail goes to the log: the flash warns that
	// it will not arrive, in words for an admin of the organisation rather than of the server.
	want := "Bo Buyer will not receive the password reset link: this server cannot send mail yet. Ask whoever runs Outlay to set up mail."
	if flash := after.Text(".flash-warning"); flash != want {
		t.Errorf("flash %q (%s), want the warning %q", flash, after.Doc.Find(".flash").AttrOr("class", ""), want)
	}
	if strings.Contains(after.Body, "/password/reset/") {
		t.Error("the admin's page shows the reset link")
	}
	sent := s.app.WaitMail(t, before+1)
	byAdmin := sent[len(sent)-1]
	if byAdmin.To != "bo@acme.example" {
		t.Fatalf("mail to %q", byAdmin.To)
	}
	link := resetLink.FindStringSubmatch(byAdmin.Body)
	if link == nil {
		t.Fatalf("no link in the mail: %s", byAdmin.Body)
	}

	// It is the mail Bo gets when he asks himself.
	bc := s.app.Client(t, "acme")
	latest := requestReset(t, s.app, bc, "bo@acme.example")
	sent = s.app.Mail.Sent()
	asked := sent[len(sent)-1]
	if asked.Subject != byAdmin.Subject || withoutLink(asked) != withoutLink(byAdmin) {
		t.Errorf("the admin's mail differs from Forgot password's:\n%s\n%s\n---\n%s\n%s", byAdmin.Subject, byAdmin.Body, asked.Subject, asked.Body)
	}

	if n := resetLinksSent(t, s); n != 1 {
		t.Fatalf("%d reset links recorded, want 1", n)
	}
	var rec struct{ ActorLabel, Subject string }
	s.db(t).Raw(`SELECT actor_label, subject FROM audit_log WHERE event = ?`, models.EventPasswordResetLinkSent).Scan(&rec)
	if rec.ActorLabel != "ana@acme.example" || rec.Subject != itoa(bo.ID) {
		t.Errorf("recorded as %+v", rec)
	}
	if row := s.admin.Get("/audit").Doc.Find(`table.audit-table tbody tr:contains("Sent a password reset link")`); row.Length() != 1 || !strings.Contains(row.Text(), "Bo Buyer") {
		t.Errorf("audit log row %q", row.Text())
	}

	// The latest link works (the one of his own request ended the admin's): Bo chooses a new
	// password with it and is signed in.
	if form := bc.Get(link[1]); form.Status != http.StatusNotFound {
		t.Errorf("the admin's link after Bo asked for another: %d", form.Status)
	}
	if form := bc.Get(latest); form.Status != http.StatusOK || form.Text("h1") != "Set a new password" {
		t.Fatalf("reset page: %d %q", form.Status, form.Text("h1"))
	}
	res = bc.Post(latest, url.Values{"password": {"bo's brand new passphrase"}, "confirm": {"bo's brand new passphrase"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("reset: %d %q %s", res.Status, res.Location(), res.Text(".field-error"))
	}
	s.app.Client(t, "acme").SignIn("bo@acme.example", "bo's brand new passphrase")
}

// Only someone who may edit users sends a link, and only to an active person who signs in
// with a password; a person sent as many links as an hour allows, by anyone, gets no more.
// A refusal sends nothing and records no link.
func TestPasswordResetLinkRefusals(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	db := s.db(t)
	ctx := context.Background()
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Buyer", "requester")
	s.app.CreateUser(t, s.acme, "aud@acme.example", "Audrey Auditor", "auditor")
	dee := s.app.CreateUser(t, s.acme, "dee@acme.example", "Dee Parted", "requester")
	if err := models.DeactivateUser(ctx, db, models.ByOperator(), dee.ID); err != nil {
		t.Fatal(err)
	}
	// Sam was added by single sign-on and never had a password.
	sam := models.User{Email: "sam@acme.example", Name: "Sam Single", Status: models.UserActive}
	if err := db.Create(&sam).Error; err != nil {
		t.Fatal(err)
	}
	ivy, _, err := models.InviteUser(ctx, db, models.ByOperator(), models.NewUser{Email: "ivy@acme.example", Name: "Ivy Invitee", Roles: []string{"requester"}}, models.InvitationTTL)
	if err != nil {
		t.Fatal(err)
	}

	// Neither a requester nor an auditor, who sees people but changes nothing, may send one.
	for _, who := range []string{"bo@acme.example", "aud@acme.example"} {
		c := s.app.Client(t, "acme")
		c.SignIn(who, testutil.Password)
		if page := c.Get(path(bo.ID)); page.Doc.Find(resetLinkForm(bo.ID)).Length() != 0 {
			t.Errorf("%s is offered the reset link form", who)
		}
		c.Get("/dashboard") // a fresh CSRF token, and the page's refusal read
		res := c.Post(path(bo.ID)+"/password-reset", nil)
		if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
			t.Errorf("%s sending a link: %d %q", who, res.Status, res.Location())
		}
		if msg := c.Get("/dashboard").Text(".flash-error"); msg != handlers.ForbiddenMessage {
			t.Errorf("%s refused with %q", who, msg)
		}
	}

	// The admin's page says instead why a link would not help, and a post is refused with the
	// same words.
	for _, c := range []struct {
		who     string
		id      int64
		onPage  bool // the page shows the reason (an active person's)
		refusal string
	}{
		{"a deactivated person", dee.ID, false, "Dee Parted is deactivated and cannot sign in: reactivate them first."},
		{"a person added by single sign-on", sam.ID, true, "Sam Single signs in through single sign-on and has no password to reset."},
		{"an invited person", ivy.ID, false, "Ivy Invitee has not chosen a password yet: resend their invitation instead."},
	} {
		page := s.admin.Get(path(c.id))
		if page.Doc.Find(resetLinkForm(c.id)).Length() != 0 {
			t.Errorf("%s: the page offers the reset link form", c.who)
		}
		if got := page.Text(".password-status"); c.onPage && got != c.refusal {
			t.Errorf("%s: the page says %q", c.who, got)
		}
		if got := flashAfter(t, s.admin, s.admin.Post(path(c.id)+"/password-reset", nil)); got != c.refusal {
			t.Errorf("%s: flash %q, want %q", c.who, got, c.refusal)
		}
	}
	if n := resetLinksSent(t, s); n != 0 {
		t.Errorf("%d links recorded after refusals", n)
	}
	if n := countMailsTo(t, db, "dee@acme.example", "sam@acme.example"); n != 0 {
		t.Errorf("%d reset mails written for refused people", n)
	}

	// Admins' links have a cap of their own, apart from the links anyone may ask for with
	// "Forgot password" (those asked for do not use up the admins'): Bo asked six times, five
	// of which were sent; the admins send five more, and a sixth is refused.
	for i := 0; i < 6; i++ {
		c := s.app.Client(t, "acme")
		c.Get("/password/forgot")
		c.Post("/password/forgot", url.Values{"email": {"bo@acme.example"}})
	}
	s.app.WaitJobs(t)
	for i := range models.MaxResetsPerHour {
		if got := flashAfter(t, s.admin, s.admin.Post(path(bo.ID)+"/password-reset", nil)); !strings.HasPrefix(got, "Bo Buyer will not receive the password reset link") {
			t.Fatalf("the admins' link %d: %q", i+1, got)
		}
	}
	want := "Bo Buyer was sent 5 password reset links by admins in the last hour, as many as an hour allows: ask them to use the newest one, or send another later."
	if got := flashAfter(t, s.admin, s.admin.Post(path(bo.ID)+"/password-reset", nil)); got != want {
		t.Errorf("the sixth link: %q", got)
	}
	if n := countMailsTo(t, db, "bo@acme.example"); n != 10 {
		t.Errorf("%d reset mails written for Bo, want 10", n)
	}
	if n := resetLinksSent(t, s); n != 5 {
		t.Errorf("%d links recorded, want 5", n)
	}
}

// countMailsTo counts the password reset mails written to these addresses.
func countMailsTo(t *testing.T, db *gorm.DB, to ...string) int {
	t.Helper()
	var n int
	if err := db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ? AND recipient IN ?`, models.MailPasswordReset, to).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Under "require SSO" only the break-glass admin may use a password: anyone else's page says
// the password is not used, and no link is sent; the break-glass admin can still be sent one.
func TestPasswordResetLinkUnderRequiredSSO(t *testing.T) {
	t.Parallel()
	s := newSSOSite(t)
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Buyer", "requester")
	ana := s.app.Client(t, "acme")
	ana.SignIn("ana@acme.example", testutil.Password)
	if err := models.UpdateSSOSettings(context.Background(), s.db, models.ByOperator(), true, s.ana.ID); err != nil {
		t.Fatal(err)
	}
	want := "Bo Buyer signs in through single sign-on, which the organisation requires, so their password is not used."
	page := ana.Get(path(bo.ID))
	if page.Doc.Find(resetLinkForm(bo.ID)).Length() != 0 || page.Text(".password-status") != want {
		t.Errorf("Bo's page: %q", page.Text(".password-status"))
	}
	if got := flashAfter(t, ana, ana.Post(path(bo.ID)+"/password-reset", nil)); got != want {
		t.Errorf("flash %q", got)
	}
	if page := ana.Get(path(s.ana.ID)); page.Doc.Find(resetLinkForm(s.ana.ID)).Length() != 1 {
		t.Error("the break-glass admin's page offers no reset link")
	}
	if n := countEvents(t, s.db, models.EventPasswordResetLinkSent); n != 0 {
		t.Errorf("%d links recorded", n)
	}
}

// Resetting a person's second factor, which ends all their sessions, is asked about first,
// as deactivating is.
func TestTwoFactorResetAsksFirst(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Buyer", "requester")
	bc := s.app.Client(t, "acme")
	bc.SignIn("bo@acme.example", testutil.Password)
	enrolThroughPage(t, bc)
	form := s.admin.Get(path(bo.ID)).Doc.Find(`form[method="post"][action="/admin/users/` + itoa(bo.ID) + `/two-factor/reset"]`)
	if form.Length() != 1 {
		t.Fatal("no two-factor reset form on Bo's page")
	}
	if confirm, _ := form.Attr("data-confirm"); !strings.HasPrefix(confirm, "Reset Bo Buyer's two-factor sign-in?") {
		t.Errorf("the form asks %q before resetting", confirm)
	}
}

// Resending an invitation hands out a new way into the person's account, so it is recorded
// with who sent it to whom, and the audit log reads it in words; a refused resend records
// nothing.
func TestResendingAnInvitationIsAudited(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	ctx, db := context.Background(), s.db(t)
	ivy, _, err := models.InviteUser(ctx, db, models.ByOperator(), models.NewUser{Email: "ivy@acme.example", Name: "Ivy Invitee", Roles: []string{"requester"}}, models.InvitationTTL)
	if err != nil {
		t.Fatal(err)
	}
	bo := s.app.CreateUser(t, s.acme, "bo@acme.example", "Bo Buyer", "requester")

	if flash := flashAfter(t, s.admin, s.admin.Post(path(ivy.ID)+"/invitation", nil)); !strings.HasPrefix(flash, "Ivy Invitee is invited") {
		t.Errorf("resending Ivy's invitation: flash %q", flash)
	}
	if flash := flashAfter(t, s.admin, s.admin.Post(path(bo.ID)+"/invitation", nil)); flash != "Bo Buyer is not waiting for an invitation." {
		t.Errorf("resending to Bo, who is active: flash %q", flash)
	}
	var recs []struct{ ActorLabel, Subject string }
	db.Raw(`SELECT actor_label, subject FROM audit_log WHERE event = ?`, models.EventInvitationResent).Scan(&recs)
	if len(recs) != 1 || recs[0].ActorLabel != "ana@acme.example" || recs[0].Subject != itoa(ivy.ID) {
		t.Errorf("recorded resends: %+v, want one by Ana about Ivy", recs)
	}
	if row := s.admin.Get("/audit").Doc.Find(`table.audit-table tbody tr:contains("Resent an invitation")`); row.Length() != 1 || !strings.Contains(row.Text(), "Ivy Invitee") {
		t.Errorf("audit log row %q", row.Text())
	}
}
