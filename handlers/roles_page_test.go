package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/policy"
)

// The roles page reads as what people may do, grouped by area, never as the addresses of
// pages.
func TestRolesPageGroupsPermissionsInPlainWords(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	page := c.Get("/admin/roles")
	if page.Status != 200 {
		t.Fatalf("roles page: %d", page.Status)
	}
	matrix := page.Doc.Find("table.matrix")
	var areas []string
	matrix.Find(`tbody > tr.matrix-area > th[scope="colgroup"]`).Each(func(_ int, s *goquery.Selection) {
		areas = append(areas, strings.TrimSpace(s.Text()))
	})
	if strings.Join(areas, ",") != "Buying,Setup,Administration,Your account" {
		t.Errorf("areas = %q", areas)
	}
	area := func(label string) string {
		row := matrix.Find(`th[scope="row"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.TrimSpace(s.Text()) == label
		})
		if row.Length() != 1 {
			t.Errorf("%d rows read %q", row.Length(), label)
			return ""
		}
		return strings.TrimSpace(row.Closest("tbody").Find("tr.matrix-area th").Text())
	}
	for label, want := range map[string]string{
		"Approve requests":          "Buying",
		"Create requisitions":       "Buying",
		"Edit departments":          "Setup",
		"Edit users":                "Administration",
		"See roles and permissions": "Administration",
		"Create own API tokens":     "Your account",
	} {
		if got := area(label); got != want {
			t.Errorf("%q is under %q, want %q", label, got, want)
		}
	}
	text := matrix.Text()
	for _, dev := range []string{"/admin", ":id", "/requisitions", "actions only", "admin.roles", ": View"} {
		if strings.Contains(text, dev) {
			t.Errorf("the matrix shows %q", dev)
		}
	}
	// The checkbox names both, in words.
	box := matrix.Find(`input[type=checkbox][hx-post="/admin/roles/approver/permissions"][hx-vals*='"approvals"'][hx-vals*='"approve"']`)
	if got := box.AttrOr("aria-label", ""); got != "Approver — Approve requests" {
		t.Errorf("checkbox label %q", got)
	}
}

// A role made from a template gets the template's permissions through the grant rule: the
// ones its maker holds, each audited; the others are refused, audited, and named.
func TestRoleTemplateGivesOnlyWhatTheMakerHolds(t *testing.T) {
	t.Parallel()
	s := newGrantSite(t,
		policy.Permission{Object: "admin.roles", Action: outlay.ActRead},
		policy.Permission{Object: "admin.roles", Action: outlay.ActCreate},
		policy.Permission{Object: "admin.roles", Action: outlay.ActUpdate},
		policy.Permission{Object: "requisitions", Action: outlay.ActRead},
		policy.Permission{Object: "requisitions", Action: outlay.ActCreate},
		policy.Permission{Object: "vendors", Action: outlay.ActRead},
	)
	held := func(role string) []string {
		var got []string
		s.db(t).Raw(`SELECT v1 || ':' || v2 FROM casbin_rule WHERE ptype = 'p' AND v0 = ? ORDER BY 1`, role).Scan(&got)
		return got
	}
	// The admin gets the whole Buyer template.
	s.admin.Get("/admin/roles")
	if res := s.admin.Post("/admin/roles", url.Values{"label": {"Buyers"}, "template": {"buyer"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("admin making a Buyer role: %d %q", res.Status, res.Text(".field-error"))
	}
	var want []string
	for _, p := range policy.RoleTemplates[0].Perms {
		want = append(want, p.String())
	}
	slices.Sort(want)
	if got := held("buyers"); !slices.Equal(got, want) {
		t.Errorf("Buyers holds %q, want %q", got, want)
	}
	var granted int64
	s.db(t).Raw(`SELECT count(*) FROM audit_log WHERE event = 'policy.changed' AND subject = 'buyers'`).Scan(&granted)
	if granted != int64(len(want)) {
		t.Errorf("%d grants audited for Buyers, want %d", granted, len(want))
	}

	// Hal holds only some of them: the role gets those, the rest are refused.
	c := s.helpdesk
	c.Get("/admin/roles")
	res := c.Post("/admin/roles", url.Values{"label": {"Desk buyers"}, "template": {"buyer"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("Hal making a Buyer role: %d %q", res.Status, res.Text(".field-error"))
	}
	if got := held("desk_buyers"); !slices.Equal(got, []string{"requisitions:create", "requisitions:read", "vendors:read"}) {
		t.Errorf("Desk buyers holds %q", got)
	}
	flash := c.Get("/admin/roles").Text(".flash")
	if !strings.Contains(flash, "Desk buyers added with 3 permissions") || !strings.Contains(flash, "you do not hold") || !strings.Contains(flash, "Order approved requests") {
		t.Errorf("flash %q", flash)
	}
	var refused []string
	for _, r := range refusals(t, s.usersSite) {
		if r != "desk_buyers: grant permission" {
			t.Errorf("refusal %q", r)
		}
		refused = append(refused, r)
	}
	if len(refused) != len(want)-3 {
		t.Errorf("%d refusals audited, want %d", len(refused), len(want)-3)
	}
	// An unknown template is an error beside the field, and nothing is made.
	res = c.Post("/admin/roles", url.Values{"label": {"Odd"}, "template": {"wizard"}})
	if res.Status != http.StatusUnprocessableEntity || res.Text("#template-error") == "" || res.Doc.Find(`#new-label[value="Odd"]`).Length() != 1 {
		t.Errorf("unknown template: %d %q", res.Status, res.Text("#template-error"))
	}
	if _, err := models.FindRole(context.Background(), s.db(t), "odd"); err == nil {
		t.Error("a role was made from an unknown template")
	}
}

// Ticking a box that is already ticked, or unticking one that is not (a second tab, a page
// left open, a request sent again), changes nothing: no audit record, no new policy version,
// and the answer says the role already has, or does not have, the permission.
func TestSettingAPermissionAsItIsChangesNothing(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	db := app.DB(t, acme)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/roles")
	c.Header.Set("HX-Request", "true")
	type state struct{ LastRecord, PolicyVersion int64 }
	now := func() state {
		var s state
		if err := db.Raw(`SELECT (SELECT coalesce(max(id), 0) FROM audit_log) AS last_record,
			(SELECT version FROM policy_state) AS policy_version`).Scan(&s).Error; err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		what    string
		form    url.Values
		checked bool
		toast   string
	}{
		{"granting what the role has", url.Values{"object": {"requisitions"}, "action": {"read"}, "granted": {"true"}}, true,
			"Requester already has “See own requisitions”."},
		{"revoking what the role lacks", url.Values{"object": {"admin.roles"}, "action": {"read"}}, false,
			"Requester does not have “See roles and permissions”."},
	} {
		before := now()
		res := c.Post("/admin/roles/requester/permissions", tc.form)
		if res.Status != http.StatusOK || (res.Doc.Find("input[checked]").Length() == 1) != tc.checked {
			t.Errorf("%s: %d %s", tc.what, res.Status, res.Body)
		}
		var trig map[string]map[string]string
		_ = json.Unmarshal([]byte(res.Header.Get("HX-Trigger")), &trig)
		if trig["toast"]["message"] != tc.toast || trig["toast"]["kind"] != "info" {
			t.Errorf("%s: toast %v, want %q", tc.what, trig, tc.toast)
		}
		if after := now(); after != before {
			t.Errorf("%s: audit log and policy version went from %+v to %+v, want unchanged", tc.what, before, after)
		}
	}
}

// A rename refused (here a name with a text-direction control, which would show the name
// turned around) keeps the name typed in the role's row with the message beside it, and the
// role keeps its name.
func TestRefusedRoleRenameKeepsTheNameTyped(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/roles")
	if res := c.Post("/admin/roles", url.Values{"label": {"Finance lead"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("new role: %d %s", res.Status, res.Text(".field-error"))
	}
	typed := "Finance \u202edael"
	res := c.Post("/admin/roles/finance_lead/rename", url.Values{"label": {typed}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("refused rename: %d", res.Status)
	}
	field := res.Doc.Find("#label-finance_lead")
	if got := field.AttrOr("value", ""); got != typed {
		t.Errorf("the rename field shows %q, want %q as typed", got, typed)
	}
	if field.AttrOr("aria-invalid", "") != "true" || field.AttrOr("aria-describedby", "") != "label-finance_lead-error" {
		t.Errorf("the rename field is not marked invalid: aria-invalid %q, aria-describedby %q", field.AttrOr("aria-invalid", ""), field.AttrOr("aria-describedby", ""))
	}
	if got := res.Text("#label-finance_lead-error"); got != "Remove the invisible text-direction characters from the name." {
		t.Errorf("rename's message %q", got)
	}
	if got := res.Doc.Find("#label-approver").Length(); got != 0 {
		t.Errorf("a built-in role got a rename field")
	}
	r, err := models.FindRole(context.Background(), env.DB(t, acme), "finance_lead")
	if err != nil || r.Label != "Finance lead" {
		t.Errorf("after the refused rename: %+v %v", r, err)
	}
}

// A role's name longer than a role may have is refused beside the field, in the words every
// length limit uses (the limit and how long the name is), and the name stays as typed.
func TestTooLongRoleNameSaysTheLimitAndItsLength(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/admin/roles")
	typed := strings.Repeat("Accounts payable ", 4) + "desk" // 72 characters
	res := c.Post("/admin/roles", url.Values{"label": {typed}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a 72-character name: %d", res.Status)
	}
	if got, want := res.Text("#label-error"), "A role's name has at most 60 characters; this one has 72."; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if got := res.Doc.Find("#new-label").AttrOr("value", ""); got != typed {
		t.Errorf("the field shows %q, want %q as typed", got, typed)
	}
}
