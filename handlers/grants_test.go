package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"outlay"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/policy"
)

// grantSite is a tenant with an admin (Ana), a "Helpdesk" role that may only read, invite
// and edit people, and Hal who holds just that role, signed in.
type grantSite struct {
	*usersSite
	hal      *models.User
	helpdesk *testutil.Client
}

func newGrantSite(t *testing.T, perms ...policy.Permission) *grantSite {
	t.Helper()
	return newGrantSiteHolding(t, "", perms...)
}

// newGrantSiteHolding is newGrantSite whose Helpdesk role also holds every permission of the
// built-in role like.
func newGrantSiteHolding(t *testing.T, like string, perms ...policy.Permission) *grantSite {
	t.Helper()
	s := newUsersSite(t)
	ctx, db := context.Background(), s.db(t)
	if like != "" {
		set, err := policy.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		perms = append(perms, set.Grants()[like]...)
	}
	r, err := models.CreateRole(ctx, db, "Helpdesk")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range perms {
		if err := models.SetPermission(ctx, db, models.ByOperator(), r.Name, p, true); err != nil {
			t.Fatal(err)
		}
	}
	hal := s.app.CreateUser(t, s.acme, "hal@acme.example", "Hal Helpdesk", r.Name)
	c := s.app.Client(t, "acme")
	c.SignIn("hal@acme.example", testutil.Password)
	c.Get("/dashboard")
	return &grantSite{usersSite: s, hal: hal, helpdesk: c}
}

func (s *grantSite) roles(t *testing.T, id int64) []string {
	t.Helper()
	rs := s.user(t, id).Roles
	slices.Sort(rs)
	return rs
}

// refusals are the access.refused events recorded so far, as "subject: attempt".
func refusals(t *testing.T, s *usersSite) []string {
	t.Helper()
	var rows []struct {
		Subject string
		Attempt string
	}
	err := s.db(t).Raw(`SELECT COALESCE(subject, '') AS subject, COALESCE(details->>'attempt', '') AS attempt
		FROM audit_log WHERE event = 'access.refused' ORDER BY id`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Subject+": "+r.Attempt)
	}
	return out
}

func roleChoices(res *testutil.Response) []string {
	var out []string
	res.Doc.Find(`#user-form input[name=roles]`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		out = append(out, v)
	})
	slices.Sort(out)
	return out
}

func TestAdminUsersGrantOnlyWhatTheyHold(t *testing.T) {
	t.Parallel()
	// Hal holds the users pages and everything a requester holds, whatever that grows to.
	s := newGrantSiteHolding(t, "requester",
		policy.Permission{Object: "admin.users", Action: outlay.ActRead},
		policy.Permission{Object: "admin.users", Action: outlay.ActUpdate},
		policy.Permission{Object: "admin.users", Action: outlay.ActCreate},
	)
	c := s.helpdesk
	rita := s.app.CreateUser(t, s.acme, "rita@acme.example", "Rita Requester", "requester")

	// The forms offer only the roles whose every permission Hal holds.
	if got, want := roleChoices(c.Get("/admin/users/new")), []string{"helpdesk", "requester"}; !slices.Equal(got, want) {
		t.Errorf("invite form offers %q, want %q", got, want)
	}
	if got, want := roleChoices(c.Get(path(rita.ID))), []string{"helpdesk", "requester"}; !slices.Equal(got, want) {
		t.Errorf("edit form offers %q, want %q", got, want)
	}

	// Hal cannot make himself an admin: 422, the form kept, the message beside the roles.
	res := c.Post(path(s.hal.ID), url.Values{"name": {"Hal Helpdesk"}, "roles": {"helpdesk", "admin"}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("self-grant of admin: status %d, want 422", res.Status)
	}
	if msg := res.Text("#roles-error"); !strings.Contains(msg, "Admin") || !strings.Contains(msg, "you do not hold") {
		t.Errorf("roles error = %q", msg)
	}
	if got := res.Doc.Find(`#user-form input[name=name]`).AttrOr("value", ""); got != "Hal Helpdesk" {
		t.Errorf("form lost the name: %q", got)
	}
	if got := s.roles(t, s.hal.ID); !slices.Equal(got, []string{"helpdesk"}) {
		t.Errorf("Hal's roles = %q after a refused self-grant", got)
	}

	// Nor anyone else, nor by invitation.
	if res := c.Post(path(rita.ID), url.Values{"name": {"Rita Requester"}, "roles": {"requester", "auditor"}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("granting auditor to Rita: status %d, want 422", res.Status)
	}
	res = c.Post("/admin/users", url.Values{"email": {"mal@acme.example"}, "name": {"Mal"}, "roles": {"admin"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#roles-error"), "you do not hold") {
		t.Errorf("inviting an admin: status %d, roles error %q", res.Status, res.Text("#roles-error"))
	}
	if got := res.Doc.Find(`#user-form input[name=email]`).AttrOr("value", ""); got != "mal@acme.example" {
		t.Errorf("invite form lost the email: %q", got)
	}
	if _, err := models.FindUserByEmail(context.Background(), s.db(t), "mal@acme.example"); err == nil {
		t.Error("a refused invitation created the person")
	}
	// The refusal of an invitation to what is not an address records no text of the form's:
	// the audit log keeps what it is given for good.
	c.Post("/admin/users", url.Values{"email": {`=HYPERLINK("http://evil.example","x")`}, "name": {"X"}, "roles": {"admin"}})

	// People who hold more than Hal are out of his reach: he cannot edit, deactivate or
	// reactivate Ana, and the page offers him no form for her.
	page := c.Get(path(s.ana.ID))
	if page.Doc.Find("#user-form").Length() != 0 || page.Doc.Find(`form[action$="/deactivate"]`).Length() != 0 {
		t.Error("Ana's page offers Hal an edit form or a deactivate button")
	}
	if res := c.Post(path(s.ana.ID), url.Values{"name": {"Ana Demoted"}, "roles": {"requester"}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("demoting Ana: status %d, want 422", res.Status)
	}
	flash := flashAfter(t, c, c.Post(path(s.ana.ID)+"/deactivate", nil))
	if !strings.Contains(flash, "permissions you do not have") {
		t.Errorf("deactivating Ana: flash %q", flash)
	}
	if d := s.user(t, s.ana.ID); d.Status != models.UserActive || d.Name != "Ana Admin" || !slices.Contains(d.Roles, "admin") {
		t.Errorf("Ana after Hal's attempts: %s %q %q", d.Status, d.Name, d.Roles)
	}
	bob := s.app.CreateUser(t, s.acme, "bob@acme.example", "Bob Auditor", "auditor")
	flashAfter(t, s.admin, s.admin.Post(path(bob.ID)+"/deactivate", nil))
	if flash := flashAfter(t, c, c.Post(path(bob.ID)+"/reactivate", nil)); !strings.Contains(flash, "permissions you do not have") {
		t.Errorf("reactivating an auditor: flash %q", flash)
	}
	if d := s.user(t, bob.ID); d.Status != models.UserDeactivated {
		t.Errorf("Bob is %s after a refused reactivation", d.Status)
	}

	// What he holds, he may give and take.
	flashAfter(t, c, c.Post(path(rita.ID), url.Values{"name": {"Rita R."}, "roles": {"requester", "helpdesk"}}))
	if got := s.roles(t, rita.ID); !slices.Equal(got, []string{"helpdesk", "requester"}) {
		t.Errorf("Rita's roles = %q", got)
	}
	flashAfter(t, c, c.Post(path(rita.ID)+"/deactivate", nil))
	flashAfter(t, c, c.Post(path(rita.ID)+"/reactivate", nil))
	// Letting her back in is an event of its own, as shutting her out is.
	var events []string
	s.db(t).Raw(`SELECT event FROM audit_log WHERE event LIKE 'user.%' AND subject = ? ORDER BY id`, strconv.FormatInt(rita.ID, 10)).Scan(&events)
	if !slices.Equal(events, []string{"user.deactivated", "user.reactivated"}) {
		t.Errorf("Rita's deactivation and reactivation were recorded as %q", events)
	}

	// Every refusal is in the audit log with what was attempted.
	want := []string{
		"hal@acme.example: update", "rita@acme.example: update", "mal@acme.example: invite",
		"(an invalid email address): invite", "ana@acme.example: update", "ana@acme.example: deactivate", "bob@acme.example: reactivate",
	}
	if got := refusals(t, s.usersSite); !slices.Equal(got, want) {
		t.Errorf("audited refusals = %q, want %q", got, want)
	}

	// An admin who holds everything is unaffected.
	flashAfter(t, s.admin, s.admin.Post(path(rita.ID), url.Values{"name": {"Rita R."}, "roles": {"admin"}}))
	if got := s.roles(t, rita.ID); !slices.Equal(got, []string{"admin"}) {
		t.Errorf("the admin could not grant admin: %q", got)
	}
}

// A person who may edit roles can give or take only permissions they hold, and only on roles
// whose every permission they hold: they cannot widen their own role.
func TestRoleEditorsGrantOnlyPermissionsTheyHold(t *testing.T) {
	t.Parallel()
	s := newGrantSite(t,
		policy.Permission{Object: "admin.roles", Action: outlay.ActRead},
		policy.Permission{Object: "admin.roles", Action: outlay.ActUpdate},
		policy.Permission{Object: "admin.roles", Action: outlay.ActDelete},
		policy.Permission{Object: "admin.users", Action: outlay.ActRead},
	)
	c := s.helpdesk
	ctx, db := context.Background(), s.db(t)
	// A custom role that approves: deleting it would take it from everyone who holds it.
	if _, err := models.CreateRole(ctx, db, "Finance"); err != nil {
		t.Fatal(err)
	}
	if err := models.SetPermission(ctx, db, models.ByOperator(), "finance", policy.Permission{Object: "approvals", Action: outlay.ActApprove}, true); err != nil {
		t.Fatal(err)
	}
	res := c.Post("/admin/roles/helpdesk/permissions", url.Values{"object": {"approvals"}, "action": {"approve"}, "granted": {"true"}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("widening his own role: status %d, want 422", res.Status)
	}
	if !strings.Contains(res.Header.Get("HX-Trigger"), "you do not hold") {
		t.Errorf("message = %q", res.Header.Get("HX-Trigger"))
	}
	// Taking from a role that holds more than he does is refused too.
	if res := c.Post("/admin/roles/admin/permissions", url.Values{"object": {"admin.users"}, "action": {"read"}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("taking from the admin role: status %d, want 422", res.Status)
	}
	var n int64
	s.db(t).Raw(`SELECT count(*) FROM casbin_rule WHERE v0 = 'helpdesk' AND v1 = 'approvals'`).Scan(&n)
	if n != 0 {
		t.Error("the refused grant was stored")
	}
	if c.Get("/admin/roles").Doc.Find(`form[action="/admin/roles/finance/delete"]`).Length() != 0 {
		t.Error("the roles page offers Hal to delete a role that holds more than he does")
	}
	if flash := flashAfter(t, c, c.Post("/admin/roles/finance/delete", nil)); !strings.Contains(flash, "you do not hold") {
		t.Errorf("deleting Finance: flash %q", flash)
	}
	if _, err := models.FindRole(ctx, db, "finance"); err != nil {
		t.Errorf("Finance after a refused delete: %v", err)
	}
	// Nor may he rename it: a role carrying more than he holds could be made to look harmless.
	res = c.Post("/admin/roles/finance/rename", url.Values{"label": {"Read-only viewer"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "You cannot rename Finance: it carries permissions you do not hold") {
		t.Errorf("renaming Finance: %d %s", res.Status, res.Text(".field-error, [data-form-error]"))
	}
	if r, err := models.FindRole(ctx, db, "finance"); err != nil || r.Label != "Finance" {
		t.Errorf("Finance after a refused rename: %+v %v", r, err)
	}
	if got := refusals(t, s.usersSite); !slices.Equal(got, []string{"helpdesk: grant permission", "admin: revoke permission", "finance: delete role", "finance: rename role"}) {
		t.Errorf("audited refusals = %q", got)
	}
	// The matrix does not offer what he may not change.
	page := c.Get("/admin/roles")
	if page.Doc.Find(`input[type=checkbox][hx-post="/admin/roles/helpdesk/permissions"][hx-vals*='"approvals"']:not([disabled])`).Length() != 0 {
		t.Error("the matrix offers Hal approvals on his own role")
	}
	// What he holds he may give to a role within his reach.
	if _, err := models.CreateRole(ctx, db, "Front desk"); err != nil {
		t.Fatal(err)
	}
	if res := c.Post("/admin/roles/front_desk/permissions", url.Values{"object": {"admin.users"}, "action": {"read"}, "granted": {"true"}}); res.Status != http.StatusOK {
		t.Errorf("granting a held permission: status %d", res.Status)
	}
}

// The role single sign-on gives new people is a grant too: someone who may edit single
// sign-on can choose only a role within their reach.
func TestSSONewPeopleGetOnlyARoleTheEditorCouldGive(t *testing.T) {
	t.Parallel()
	s := newGrantSite(t,
		policy.Permission{Object: "admin.sso", Action: outlay.ActRead},
		policy.Permission{Object: "admin.sso", Action: outlay.ActUpdate},
	)
	c := s.helpdesk
	page := c.Get("/admin/sso?add=oidc")
	var offered []string
	page.Doc.Find(`select[name=jit_role] option`).Each(func(_ int, o *goquery.Selection) {
		if v := o.AttrOr("value", ""); v != "" {
			offered = append(offered, v)
		}
	})
	if !slices.Equal(offered, []string{"helpdesk"}) {
		t.Errorf("roles offered for new people = %q, want only helpdesk", offered)
	}
	form := url.Values{"kind": {"oidc"}, "name": {"okta"}, "label": {"Okta"}, "issuer": {"https://idp.acme.example"},
		"client_id": {"outlay"}, "client_secret": {"s3cret"}, "domains": {"acme.example"}, "jit": {"true"}, "jit_role": {"approver"},
		"confirm": {testutil.Password}}
	res := c.Post("/admin/sso/providers", form)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#jit_role-error"), "you do not hold") {
		t.Fatalf("new people as approvers: %d %q", res.Status, res.Text(".field-error"))
	}
	if got := refusals(t, s.usersSite); !slices.Equal(got, []string{"okta: single sign-on role"}) {
		t.Errorf("audited refusals = %q", got)
	}
	// A provider signs in anyone it matches by address, Ana the admin included, so setting one
	// up is vouching for everyone: Hal may not, even giving new people only his own role.
	form.Set("jit_role", "helpdesk")
	res = c.Post("/admin/sso/providers", form)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "only someone who holds them can change it") {
		t.Fatalf("Hal setting up a provider: %d %q", res.Status, res.Text(".field-error"))
	}
	if got := refusals(t, s.usersSite); !slices.Equal(got, []string{"okta: single sign-on role", "sso_provider:okta: change sign-in provider"}) {
		t.Errorf("audited refusals = %q", got)
	}
	var providers int64
	if err := s.db(t).Raw(`SELECT count(*) FROM sso_providers`).Scan(&providers).Error; err != nil || providers != 0 {
		t.Fatalf("providers after refusals = %d (%v)", providers, err)
	}
	s.admin.Get("/admin/sso?add=oidc")
	form.Del("_csrf") // Hal's token, not Ana's
	if res := s.admin.Post("/admin/sso/providers", form); res.Status != http.StatusSeeOther {
		t.Errorf("the admin setting up the same provider: %d %q", res.Status, res.Text(".field-error"))
	}
}

// Resetting someone's second factor changes that person: someone who may reset second factors
// but holds less than an admin cannot weaken an admin's sign-in.
func TestTwoFactorResetReachesOnlyWhoTheResetterCovers(t *testing.T) {
	s := newGrantSite(t,
		policy.Permission{Object: "admin.users", Action: outlay.ActRead},
		policy.Permission{Object: "admin.security", Action: outlay.ActRead},
		policy.Permission{Object: "admin.security", Action: outlay.ActUpdate},
	)
	enrolThroughPage(t, s.admin)
	c := s.helpdesk
	if c.Get(path(s.ana.ID)).Doc.Find(`form[action$="/two-factor/reset"]`).Length() != 0 {
		t.Error("Ana's page offers Hal to reset her second factor")
	}
	if flash := flashAfter(t, c, c.Post(path(s.ana.ID)+"/two-factor/reset", url.Values{"confirm": {testutil.Password}})); !strings.Contains(flash, "permissions you do not have") {
		t.Errorf("resetting Ana's second factor: flash %q", flash)
	}
	if res := s.admin.Get("/dashboard"); res.Status != http.StatusOK {
		t.Errorf("Ana was signed out by a refused reset: %d", res.Status)
	}
	if got := refusals(t, s.usersSite); !slices.Equal(got, []string{"ana@acme.example: reset two-factor"}) {
		t.Errorf("audited refusals = %q", got)
	}
}

// Resending an invitation hands out a link that signs in as the invitee (without a mail
// server the flash shows it to whoever resends), so it changes that person: someone who may
// edit people but holds less than an admin cannot resend an admin's invitation and sign in
// as them. The refusal issues no link, writes no mail, and is audited; an admin's resend and
// Hal's resend to someone within his reach still work.
func TestResendInvitationReachesOnlyWhoTheSenderCovers(t *testing.T) {
	t.Parallel()
	s := newGrantSite(t,
		policy.Permission{Object: "admin.users", Action: outlay.ActRead},
		policy.Permission{Object: "admin.users", Action: outlay.ActUpdate},
		policy.Permission{Object: "admin.users", Action: outlay.ActCreate},
	)
	ctx, db := context.Background(), s.db(t)
	invite := func(email, name, role string) *models.User {
		u, _, err := models.InviteUser(ctx, db, models.ByOperator(), models.NewUser{Email: email, Name: name, Roles: []string{role}}, models.InvitationTTL)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ivy := invite("ivy@acme.example", "Ivy Invitee", "admin")
	links := func(u *models.User) (n int) {
		t.Helper()
		if err := db.Raw(`SELECT count(*) FROM password_resets WHERE user_id = ?`, u.ID).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	invitations := func(u *models.User) (n int) {
		t.Helper()
		if err := db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ? AND recipient = ?`, models.MailInvitation, u.Email).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	c := s.helpdesk
	if c.Get(path(ivy.ID)).Doc.Find(`form[action$="/invitation"]`).Length() != 0 {
		t.Error("Ivy's page offers Hal to resend her invitation")
	}
	flash := flashAfter(t, c, c.Post(path(ivy.ID)+"/invitation", nil))
	if !strings.Contains(flash, "Ivy Invitee holds permissions you do not have") || strings.Contains(flash, "/password/reset/") {
		t.Errorf("Hal resending Ivy's invitation: flash %q", flash)
	}
	if n := links(ivy); n != 1 {
		t.Errorf("Ivy has %d set-password links after a refused resend, want the invitation's 1", n)
	}
	if n := invitations(ivy); n != 0 {
		t.Errorf("a refused resend wrote %d invitation mails", n)
	}
	if got := refusals(t, s.usersSite); !slices.Equal(got, []string{"ivy@acme.example: resend invitation"}) {
		t.Errorf("audited refusals = %q", got)
	}

	// The admin may, and is handed the link as the server has no mail server.
	flash = flashAfter(t, s.admin, s.admin.Post(path(ivy.ID)+"/invitation", nil))
	if !strings.HasPrefix(flash, "Ivy Invitee is invited") || !strings.Contains(flash, "/password/reset/") {
		t.Errorf("the admin resending Ivy's invitation: flash %q", flash)
	}
	if n := links(ivy); n != 2 {
		t.Errorf("Ivy has %d set-password links after the admin's resend, want 2", n)
	}

	// Hal may resend to someone who holds no more than he does.
	rae := invite("rae@acme.example", "Rae Recruit", s.roles(t, s.hal.ID)[0])
	if flash := flashAfter(t, c, c.Post(path(rae.ID)+"/invitation", nil)); !strings.HasPrefix(flash, "Rae Recruit is invited") {
		t.Errorf("Hal resending Rae's invitation: flash %q", flash)
	}
	if n := links(rae); n != 2 {
		t.Errorf("Rae has %d set-password links after Hal's resend, want 2", n)
	}
}

// An invitation's set-password link signs in as the invitee, and without a mail server it is
// shown to whoever invited them. Someone who holds only the users pages invites Ivy as a
// requester and is handed her link; an admin then makes Ivy an admin. The link Hal holds must
// not sign anyone in as an admin: the grant spends it, in its transaction, and Ivy is sent a
// new one, which the admin (who holds everything he gave) is shown and Ivy joins with. A
// grant to a role an invitee holds spends their link the same way, and deactivating an
// invitee spends theirs for good.
func TestInviteesLinkStopsWorkingWhenTheyAreGivenMoreAccess(t *testing.T) {
	t.Parallel()
	s := newGrantSiteHolding(t, "requester",
		policy.Permission{Object: "admin.users", Action: outlay.ActRead},
		policy.Permission{Object: "admin.users", Action: outlay.ActUpdate},
		policy.Permission{Object: "admin.users", Action: outlay.ActCreate},
	)
	ctx, db := context.Background(), s.db(t)
	invite := func(email, name string) (*models.User, string) {
		t.Helper()
		flash := flashAfter(t, s.helpdesk, s.helpdesk.Post("/admin/users", url.Values{"email": {email}, "name": {name}, "roles": {"requester"}}))
		link := inviteLink.FindStringSubmatch(flash)
		if link == nil {
			t.Fatalf("Hal inviting %s: no link in the flash %q", name, flash)
		}
		u, err := models.FindUserByEmail(ctx, db, email)
		if err != nil {
			t.Fatal(err)
		}
		return u, link[1]
	}
	choose := func(link, password string) *testutil.Response {
		t.Helper()
		c := s.app.Client(t, "acme")
		c.Get("/login")
		return c.Post(link, url.Values{"password": {password}, "confirm": {password}})
	}
	refused := func(what, link string) {
		t.Helper()
		c := s.app.Client(t, "acme")
		if res := c.Get(link); res.Status != http.StatusNotFound {
			t.Errorf("%s: opening the link: %d, want 404", what, res.Status)
		}
		if res := choose(link, "a passphrase of my own"); res.Status != http.StatusNotFound || res.Text("h1") != "This link no longer works" {
			t.Errorf("%s: choosing a password with the link: %d %q, want 404", what, res.Status, res.Text("h1"))
		}
	}

	ivy, halsLink := invite("ivy@acme.example", "Ivy Invitee")
	flash := flashAfter(t, s.admin, s.admin.Post(path(ivy.ID), url.Values{"name": {"Ivy Invitee"}, "roles": {"admin"}}))
	if !strings.HasPrefix(flash, "Saved the changes to Ivy Invitee. The set-password link Ivy Invitee was sent before was made for less access, so it no longer works, and a new one was made.") ||
		!strings.Contains(flash, "Pass this set-password link to Ivy Invitee yourself") {
		t.Errorf("the admin's grant: flash %q", flash)
	}
	anasLink := inviteLink.FindStringSubmatch(flash)
	if anasLink == nil || anasLink[1] == halsLink {
		t.Fatalf("the admin was not shown a new link: %q", flash)
	}
	refused("Hal's link after Ivy was made an admin", halsLink)
	if d := s.user(t, ivy.ID); d.Status != models.UserInvited || !slices.Equal(d.Roles, []string{"admin"}) {
		t.Errorf("Ivy after the refused link: %s %q", d.Status, d.Roles)
	}
	// The new invitation goes to Ivy, from the admin who granted, with the new link.
	var mailed bool
	for _, m := range s.app.WaitMail(t, 2) {
		if strings.Contains(m.Body, anasLink[0]) {
			mailed = m.To == "ivy@acme.example" && strings.Contains(m.Body, "Ana Admin has invited you")
		}
	}
	if !mailed {
		t.Errorf("no invitation from Ana to Ivy with the new link among %+v", s.app.Mail.Sent())
	}
	var resent []struct{ ActorLabel, Subject, Reason string }
	db.Raw(`SELECT actor_label, subject, details->>'reason' AS reason FROM audit_log WHERE event = ?`, models.EventInvitationResent).Scan(&resent)
	if len(resent) != 1 || resent[0].ActorLabel != "ana@acme.example" || resent[0].Subject != itoa(ivy.ID) || resent[0].Reason == "" {
		t.Errorf("recorded new invitations: %+v", resent)
	}
	if res := choose(anasLink[1], "ivy's own passphrase"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Fatalf("Ivy joining with the new link: %d %q", res.Status, res.Location())
	}
	if d := s.user(t, ivy.ID); d.Status != models.UserActive {
		t.Errorf("Ivy is %s after joining", d.Status)
	}

	// An edit that gives nothing new leaves an invitee's link alone.
	rae, raesLink := invite("rae@acme.example", "Rae Recruit")
	if flash := flashAfter(t, s.admin, s.admin.Post(path(rae.ID), url.Values{"name": {"Rae R. Recruit"}, "roles": {"requester"}})); flash != "Saved the changes to Rae R. Recruit." {
		t.Errorf("renaming Rae: flash %q", flash)
	}
	if _, err := models.FindPasswordReset(ctx, db, strings.TrimPrefix(raesLink, "/password/reset/")); err != nil {
		t.Errorf("Rae's link after an edit that gave her nothing: %v", err)
	}

	// Deactivating an invitee spends their link, and reactivating them does not bring it back.
	dee, deesLink := invite("dee@acme.example", "Dee Parted")
	flashAfter(t, s.admin, s.admin.Post(path(dee.ID)+"/deactivate", nil))
	refused("Dee's link once she is deactivated", deesLink)
	flashAfter(t, s.admin, s.admin.Post(path(dee.ID)+"/reactivate", nil))
	refused("Dee's link once she is reactivated", deesLink)

	// A permission given to the role Rae holds is more access too. The admin is told whose
	// link stopped: Rae's, not Dee's, which had stopped already.
	res := s.admin.Post("/admin/roles/requester/permissions", url.Values{"object": {"admin.roles"}, "action": {"read"}, "granted": {"true"}})
	toast := res.Header.Get("HX-Trigger")
	if res.Status != http.StatusOK || !strings.Contains(toast, "The set-password link Rae R. Recruit was sent was made for less access") || strings.Contains(toast, "Dee") {
		t.Errorf("granting requesters a permission: %d, toast %s", res.Status, toast)
	}
	refused("Rae's link after her role was given more", raesLink)
}

// The sign-in and two-factor policies, deleting a provider and unlinking someone's provider
// account all bear on how people sign in: someone given those pages but holding less than an
// admin could otherwise turn password sign-in off for the admins, delete the provider they
// sign in with, or loosen their second factor. Each is refused beside the form, audited, and
// changes nothing; the admin's own changes still go through.
func TestSignInPoliciesReachOnlyWhoTheEditorCovers(t *testing.T) {
	t.Parallel()
	perms := []policy.Permission{{Object: "admin.users", Action: outlay.ActRead}}
	for _, object := range []string{"admin.sso", "admin.security"} {
		perms = append(perms, policy.Permission{Object: object, Action: outlay.ActRead}, policy.Permission{Object: object, Action: outlay.ActUpdate})
	}
	s := newGrantSite(t, perms...)
	ctx, db := context.Background(), s.db(t)
	s.admin.Get("/admin/sso?add=oidc")
	if res := s.admin.Post("/admin/sso/providers", url.Values{"kind": {"oidc"}, "name": {"okta"}, "label": {"Okta"},
		"issuer": {"https://idp.acme.example"}, "client_id": {"outlay"}, "client_secret": {"s3cret"},
		"domains": {"acme.example"}, "confirm": {testutil.Password}}); res.Status != http.StatusSeeOther {
		t.Fatalf("the admin adding a provider: %d %q", res.Status, res.Text(".field-error"))
	}
	p, err := models.FindSSOProvider(ctx, db, "okta")
	if err != nil {
		t.Fatal(err)
	}
	anaLink := models.SSOIdentity{UserID: s.ana.ID, Provider: "okta", Subject: "ana-at-okta", Email: s.ana.Email, LinkedAt: time.Now()}
	if err := db.Create(&anaLink).Error; err != nil {
		t.Fatal(err)
	}

	c := s.helpdesk
	c.Get("/admin/sso")
	res := c.Post("/admin/sso/settings", url.Values{"require_sso": {"true"}, "break_glass": {strconv.FormatInt(s.hal.ID, 10)}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "The sign-in policy decides how everyone here signs in") {
		t.Errorf("Hal requiring single sign-on with himself as break-glass: %d %q", res.Status, res.Text(".form-error"))
	}
	if flash := flashAfter(t, c, c.Post(fmt.Sprintf("/admin/sso/providers/%d/delete", p.ID), nil)); !strings.Contains(flash, "only someone who holds them can change it") {
		t.Errorf("Hal deleting the provider: flash %q", flash)
	}
	if flash := flashAfter(t, c, c.Post(fmt.Sprintf("%s/identities/%d/unlink", path(s.ana.ID), anaLink.ID), nil)); !strings.Contains(flash, "permissions you do not have") {
		t.Errorf("Hal unlinking Ana's provider account: flash %q", flash)
	}
	c.Get("/admin/security")
	res = c.Post("/admin/security", url.Values{"required": {models.TwoFactorOptional}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "The two-factor policy decides how everyone here signs in") {
		t.Errorf("Hal changing the two-factor policy: %d %q", res.Status, res.Text(".form-error"))
	}

	settings, err := models.GetSSOSettings(ctx, db)
	if err != nil || settings.RequireSSO || settings.BreakGlassUserID != nil {
		t.Errorf("the sign-in policy after Hal's attempt: %+v %v", settings, err)
	}
	var links, providers int64
	db.Model(&models.SSOIdentity{}).Where("user_id = ?", s.ana.ID).Count(&links)
	db.Model(&models.SSOProvider{}).Count(&providers)
	if links != 1 || providers != 1 {
		t.Errorf("after Hal's attempts: %d of Ana's links, %d providers; want 1 and 1", links, providers)
	}
	want := []string{"sso_settings: change sign-in policy", fmt.Sprintf("sso_provider:%d: change sign-in provider", p.ID),
		"ana@acme.example: unlink sign-in account", "two_factor_settings: change two-factor policy"}
	if got := refusals(t, s.usersSite); !slices.Equal(got, want) {
		t.Errorf("audited refusals = %q, want %q", got, want)
	}

	// The admin, who covers everyone, may. (She sets up her own second factor first: without
	// one, requiring it of everyone would send her to set it up at her next click.)
	enrolThroughPage(t, s.admin)
	s.admin.Get("/admin/security")
	if res := s.admin.Post("/admin/security", url.Values{"required": {models.TwoFactorEveryone}}); res.Status != http.StatusSeeOther {
		t.Errorf("the admin changing the two-factor policy: %d %q", res.Status, res.Text(".form-error"))
	}
	s.admin.Get("/admin/sso")
	if flash := flashAfter(t, s.admin, s.admin.Post(fmt.Sprintf("%s/identities/%d/unlink", path(s.ana.ID), anaLink.ID), nil)); !strings.Contains(flash, "Account unlinked") {
		t.Errorf("the admin unlinking her own provider account: flash %q", flash)
	}
}
