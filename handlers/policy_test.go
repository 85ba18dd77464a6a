package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/handlers"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/policy"
)

// signedInOnly are the routes that need a signed-in user and no permission, with the reason.
// Any other route must name a permission: a route added without one fails this test.
var signedInOnly = map[string]string{
	"GET /dashboard": "where refused pages land, so no policy may take it away",
	"GET /api/v1/me": "tells a token's owner who they are",
	// Every person manages their own second factor; the organisation's policy may require it.
	"GET /settings/security":                        "each person's own two-factor sign-in",
	"POST /settings/security/enrol":                 "each person's own two-factor sign-in",
	"POST /settings/security/recovery-codes":        "each person's own two-factor sign-in",
	"POST /settings/security/disable":               "each person's own two-factor sign-in",
	"POST /settings/security/password":              "each person's own password, proven by the current one",
	"POST /settings/security/sessions/others":       "each person's own sessions",
	"POST /settings/security/sessions/:id/sign-out": "each person's own sessions",
	"GET /settings/security/confirm":                "each person confirms it's them, with their own password or code",
	"POST /settings/security/confirm":               "each person confirms it's them, with their own password or code",
	// Everyone may be told things; each person sees and marks only their own notifications.
	"GET /notifications":           "each person's own notifications",
	"GET /notifications/export":    "each person's own notifications",
	"GET /notifications/bell":      "each person's own notifications",
	"POST /notifications/read-all": "each person's own notifications",
	"POST /notifications/:id/read": "each person's own notifications",
	"GET /notifications/:id":       "each person's own notifications; the document's own route checks it",
	// Each person chooses how they are told.
	"GET /settings/notifications":  "each person's own notification preferences",
	"POST /settings/notifications": "each person's own notification preferences",
	// Each person keeps the bank account their expenses are paid back into.
	"GET /settings/bank-account":         "each person's own bank account",
	"POST /settings/bank-account":        "each person's own bank account",
	"POST /settings/bank-account/remove": "each person's own bank account",
}

// concretePath fills a route's parameters with values that exist or are harmless.
func concretePath(path string) string {
	r := strings.NewReplacer(":role", "no_such_role", ":identity", "999998", ":id", "999999", ":token", "no-such-token")
	return r.Replace(path)
}

// TestEveryRouteEnforcesItsPolicy walks the whole route table. For every built-in role it
// signs in a person with that role and sends every route a request: the outcome must match
// what Casbin says of the role's policy, and a refusal must look the same everywhere.
func TestEveryRouteEnforcesItsPolicy(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	db := env.DB(t, acme)
	set, err := policy.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	casbin, err := policy.Enforcer(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	routes := app.Server.Routes()
	covered := map[string]bool{}
	for _, r := range routes {
		id := r.Method + " " + r.Path
		switch r.Access {
		case handlers.Public:
		case handlers.SignedIn:
			if _, ok := signedInOnly[id]; !ok {
				t.Errorf("%s needs only a sign-in but names no permission: give it one, or list it in signedInOnly with a reason", id)
			}
		case handlers.Permitted:
			if r.Perm.Object == "" || r.Perm.Action == "" {
				t.Errorf("%s has an empty permission", id)
			}
		default:
			t.Errorf("%s has no access rule", id)
		}
	}
	for _, role := range policy.BuiltinRoles() {
		u := env.CreateUser(t, acme, role+"@acme.example", "Person "+role, role)
		c := app.Client(t, "acme")
		c.SignIn(u.Email, testutil.Password)
		_, token, err := models.CreateToken(context.Background(), db, u.ID, "route test", 7, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range routes {
			if r.Access == handlers.Public || (r.Method == "POST" && r.Path == "/logout") {
				continue
			}
			want := r.Access == handlers.SignedIn
			if r.Access == handlers.Permitted {
				if want, err = casbin.Enforce(role, r.Perm.Object, r.Perm.Action); err != nil {
					t.Fatal(err)
				}
				if also := r.AlsoOpenedBy; !want && also.Object != "" {
					if want, err = casbin.Enforce(role, also.Object, also.Action); err != nil {
						t.Fatal(err)
					}
				}
			}
			path := concretePath(r.Path)
			var res *testutil.Response
			if r.API {
				c.Header.Set("Authorization", "Bearer "+token)
			}
			if r.Method == "GET" {
				res = c.Get(path)
			} else {
				res = c.Post(path, url.Values{})
			}
			c.Header.Del("Authorization")
			covered[r.Method+" "+r.Path] = true
			var refused bool
			if r.API || r.Fragment {
				// A fragment (a lookup's matches) is refused where it is fetched, without
				// leaving the page.
				refused = res.Status == http.StatusForbidden
			} else {
				refused = res.Status == http.StatusSeeOther && res.Location() == "/dashboard" && r.Path != "/dashboard"
				if refused {
					if msg := c.Get("/dashboard").Text(".flash-error"); msg != handlers.ForbiddenMessage {
						t.Errorf("%s %s as %s: refused with flash %q", r.Method, path, role, msg)
					}
				}
			}
			if refused == want {
				t.Errorf("%s %s as %s: allowed=%v by policy, but status %d location %q", r.Method, path, role, want, res.Status, res.Location())
			}
			if !want && r.Method == "GET" && !r.API && !r.Fragment {
				// htmx gets the same refusal as a redirect header.
				c.Header.Set("HX-Request", "true")
				res := c.Get(path)
				c.Header.Del("HX-Request")
				if res.Header.Get("HX-Redirect") != "/dashboard" {
					t.Errorf("htmx %s as %s: HX-Redirect %q", path, role, res.Header.Get("HX-Redirect"))
				}
				c.Get("/dashboard") // consume the flash
			}
		}
		// The navigation lists exactly the pages the role may open.
		nav := c.Get("/dashboard").Doc.Find("nav.nav a")
		links := map[string]bool{}
		nav.Each(func(_ int, a *goquerySelection) { href, _ := a.Attr("href"); links[href] = true })
		for _, r := range routes {
			if r.NavLabel == "" {
				continue
			}
			want := r.Access == handlers.SignedIn || set.Allowed([]string{role}, r.Perm)
			if links[r.Path] != want {
				t.Errorf("nav for %s: %s shown=%v, want %v", role, r.Path, links[r.Path], want)
			}
		}
	}
	for _, r := range routes {
		if r.Access != handlers.Public && !(r.Method == "POST" && r.Path == "/logout") && !covered[r.Method+" "+r.Path] {
			t.Errorf("%s %s was not exercised", r.Method, r.Path)
		}
	}
}

// An edit made through one app server is enforced by another on its very next request.
func TestPolicyEditReachesOtherServers(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	env.CreateUser(t, acme, "aud@acme.example", "Audrey Auditor", "auditor")
	a := testutil.NewApp(t, env)
	b := testutil.NewApp(t, env) // its own policy cache, like a second process
	admin := a.Client(t, "acme")
	admin.SignIn("ana@acme.example", testutil.Password)
	auditor := b.Client(t, "acme")
	auditor.SignIn("aud@acme.example", testutil.Password)
	if res := auditor.Get("/admin/roles"); res.Status != 200 {
		t.Fatalf("auditor on B before the edit: %d", res.Status)
	}
	admin.Get("/admin/roles")
	admin.Header.Set("HX-Request", "true")
	res := admin.Post("/admin/roles/auditor/permissions", url.Values{"object": {"admin.roles"}, "action": {"read"}})
	admin.Header.Del("HX-Request")
	if res.Status != 200 {
		t.Fatalf("untick on A: %d %s", res.Status, res.Body)
	}
	if res := auditor.Get("/admin/roles"); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("auditor on B after the edit: %d %q", res.Status, res.Location())
	}
	// And back: ticking the box restores access on B.
	admin.Header.Set("HX-Request", "true")
	admin.Post("/admin/roles/auditor/permissions", url.Values{"object": {"admin.roles"}, "action": {"read"}, "granted": {"true"}})
	admin.Header.Del("HX-Request")
	if res := auditor.Get("/admin/roles"); res.Status != 200 {
		t.Errorf("auditor on B after re-granting: %d", res.Status)
	}
}

func TestRolesMatrix(t *testing.T) {
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
	box := page.Doc.Find(`table.matrix input[type=checkbox][hx-post="/admin/roles/auditor/permissions"][hx-vals*='"admin.roles"'][hx-vals*='"read"']`)
	if box.Length() != 1 {
		t.Fatalf("no checkbox for auditor / admin.roles:read")
	}
	if _, checked := box.Attr("checked"); !checked {
		t.Error("auditor's seeded admin.roles:read is not ticked")
	}

	// Toggle inline: the cell comes back, with a toast saying what changed.
	c.Header.Set("HX-Request", "true")
	res := c.Post("/admin/roles/approver/permissions", url.Values{"object": {"admin.roles"}, "action": {"read"}, "granted": {"true"}})
	if res.Status != 200 || res.Doc.Find("input[checked]").Length() != 1 {
		t.Fatalf("grant: %d %s", res.Status, res.Body)
	}
	var trig map[string]map[string]string
	_ = json.Unmarshal([]byte(res.Header.Get("HX-Trigger")), &trig)
	if trig["toast"]["message"] != "Approver now has “See roles and permissions”." || trig["toast"]["kind"] != "success" {
		t.Errorf("toast %v", trig)
	}
	// The only admin cannot take away admins' power over roles.
	res = c.Post("/admin/roles/admin/permissions", url.Values{"object": {"admin.roles"}, "action": {"update"}})
	if res.Status != http.StatusUnprocessableEntity || res.Doc.Find("input[checked]").Length() != 1 {
		t.Errorf("last role editor: %d %s", res.Status, res.Body)
	}
	if !strings.Contains(res.Header.Get("HX-Trigger"), "nobody able to change roles") {
		t.Errorf("last role editor toast: %s", res.Header.Get("HX-Trigger"))
	}
	// An unknown permission or role is refused.
	if res := c.Post("/admin/roles/approver/permissions", url.Values{"object": {"made.up"}, "action": {"read"}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown permission: %d", res.Status)
	}
	if res := c.Post("/admin/roles/nobody/permissions", url.Values{"object": {"admin.roles"}, "action": {"read"}}); res.Status != http.StatusNotFound {
		t.Errorf("unknown role: %d", res.Status)
	}
	c.Header.Del("HX-Request")

	// Custom roles: create, refuse a duplicate, rename, delete.
	c.Get("/admin/roles")
	if res := c.Post("/admin/roles", url.Values{"label": {"Finance lead"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("create role: %d %s", res.Status, res.Text(".field-error"))
	}
	page = c.Get("/admin/roles")
	if !strings.Contains(page.Text(".flash-success"), "Finance lead added") || page.Doc.Find(`th:contains("Finance lead")`).Length() == 0 {
		t.Errorf("new role not shown: %q", page.Text(".flash"))
	}
	if res := c.Post("/admin/roles", url.Values{"label": {"finance LEAD"}}); res.Status != http.StatusUnprocessableEntity || res.Text("#label-error") != "A role with this name already exists." {
		t.Errorf("duplicate role: %d %q", res.Status, res.Text("#label-error"))
	}
	if res := c.Post("/admin/roles", url.Values{"label": {"  "}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty role: %d", res.Status)
	}
	c.Post("/admin/roles/finance_lead/rename", url.Values{"label": {"Finance director"}})
	if page := c.Get("/admin/roles"); page.Doc.Find(`th:contains("Finance director")`).Length() == 0 {
		t.Error("rename not shown")
	}
	if res := c.Post("/admin/roles/admin/rename", url.Values{"label": {"Boss"}}); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Text("#label-admin-error"), "Built-in roles keep their names") {
		t.Errorf("renaming a built-in role: %d %q", res.Status, res.Text("#label-admin-error"))
	}
	c.Post("/admin/roles/finance_lead/delete", nil)
	if page := c.Get("/admin/roles"); page.Doc.Find(`th:contains("Finance director")`).Length() != 0 {
		t.Error("deleted role still shown")
	}
	c.Post("/admin/roles/admin/delete", nil)
	if msg := c.Get("/admin/roles").Text(".flash-error"); !strings.Contains(msg, "cannot be deleted") {
		t.Errorf("deleting a built-in role: %q", msg)
	}
}

func TestAccessPreview(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	aud := env.CreateUser(t, acme, "aud@acme.example", "Audrey Auditor", "auditor")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	if res := c.Get("/admin/roles/preview"); res.Status != 200 || res.Doc.Find(".empty-state").Length() != 1 {
		t.Fatalf("empty preview: %d", res.Status)
	}
	row := func(res *testutil.Response, label string) (now, after string) {
		tr := res.Doc.Find("tbody tr").FilterFunction(func(_ int, s *goquerySelection) bool { return s.Find("th").Text() == label })
		return strings.TrimSpace(tr.Find("td").Eq(1).Text()), strings.TrimSpace(tr.Find("td").Eq(2).Text())
	}
	res := c.Get("/admin/roles/preview?role=auditor&change=admin.roles:read&grant=0")
	if now, after := row(res, "Roles and permissions: View"); now != "Allowed" || after != "—" {
		t.Errorf("auditor losing roles:read: now %q after %q", now, after)
	}
	if now, after := row(res, "Roles and permissions: Edit"); now != "—" || after != "—" {
		t.Errorf("unchanged row: now %q after %q", now, after)
	}
	if res.Doc.Find("tr.row-changed").Length() != 1 {
		t.Errorf("%d changed rows, want 1", res.Doc.Find("tr.row-changed").Length())
	}
	// A person: the edit to one of their roles shows in their access.
	res = c.Get("/admin/roles/preview?user=" + itoa(aud.ID) + "&role=auditor&change=admin.roles:update&grant=1")
	if now, after := row(res, "Roles and permissions: Edit"); now != "—" || after != "Allowed" {
		t.Errorf("person gaining roles:update: now %q after %q", now, after)
	}
	if !strings.Contains(res.Text("#preview-title"), "Audrey Auditor") {
		t.Errorf("subject %q", res.Text("#preview-title"))
	}
}

// Every form that posts carries the CSRF token of the page it is on: a plain browser form has
// no other way to send it. (The test client adds tokens itself, so this is checked apart.)
func TestEveryPostFormCarriesTheCSRFToken(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	admin := env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	other := env.CreateUser(t, acme, "bo@acme.example", "Bo", "requester")
	if _, _, err := models.CreateToken(context.Background(), env.DB(t, acme), admin.ID, "ci", 7, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreateRole(context.Background(), env.DB(t, acme), "Finance lead"); err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	pages := []string{"/login", "/password/forgot"}
	for _, r := range app.Server.Routes() {
		if r.Method == "GET" && !r.API && !strings.Contains(r.Path, ":") {
			pages = append(pages, r.Path)
		}
	}
	pages = append(pages, "/admin/users/"+itoa(other.ID))
	checked := 0
	for i, path := range pages {
		if i == 2 {
			c.SignIn("ana@acme.example", testutil.Password)
		}
		res := c.Get(path)
		if res.Status != 200 {
			continue
		}
		res.Doc.Find(`form`).Each(func(_ int, f *goquerySelection) {
			method, _ := f.Attr("method")
			if !strings.EqualFold(method, "post") {
				return
			}
			checked++
			tok, _ := f.Find(`input[type=hidden][name="_csrf"]`).Attr("value")
			if tok == "" {
				action, _ := f.Attr("action")
				t.Errorf("%s: the form posting to %s has no CSRF token", path, action)
			}
		})
	}
	if checked < 8 {
		t.Errorf("only %d post forms found; the crawl is not reaching the pages", checked)
	}
}
