package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay"
	"outlay/internal/testutil"
)

// On a phone the roles page is one role at a time: a select of the roles and the chosen
// role's permissions as a list, ticked exactly where the matrix ticks that role's column.
// Choosing another role through htmx answers with that list alone; ticking an item answers
// with the item, and the permission is given.
func TestRolesPageListsOneRolesPermissionsForPhones(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn("ana@acme.example", testutil.Password)
	c.Get("/dashboard")

	full := c.Get("/admin/roles?role=approver")
	if full.Status != http.StatusOK {
		t.Fatalf("roles page: %d", full.Status)
	}
	if got := full.Doc.Find("#role-pick option[selected]").AttrOr("value", ""); got != "approver" {
		t.Errorf("chosen role %q", got)
	}
	// The approver's column of the matrix, permission by permission.
	col := -1
	full.Doc.Find("table.matrix thead th").Each(func(i int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "Approver" {
			col = i
		}
	})
	want := map[string]bool{}
	full.Doc.Find("table.matrix tbody tr:not(.matrix-area)").Each(func(_ int, tr *goquery.Selection) {
		_, ticked := tr.Children().Eq(col).Find("input").Attr("checked")
		want[strings.TrimSpace(tr.Find(`th[scope="row"]`).Text())] = ticked
	})
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "role-permissions")
	part := c.Get("/admin/roles?role=approver")
	c.Header.Del("HX-Target")
	if part.Doc.Find("section#role-permissions").Length() != 1 || part.Doc.Find("table.matrix").Length() != 0 {
		t.Fatalf("htmx did not get the list alone: %s", part.Body)
	}
	got := map[string]bool{}
	part.Doc.Find("li.perm-item").Each(func(_ int, li *goquery.Selection) {
		_, ticked := li.Find("input").Attr("checked")
		got[strings.TrimSpace(li.Text())] = ticked
	})
	if len(got) != len(want) || len(want) == 0 {
		t.Errorf("the list has %d permissions, the matrix %d", len(got), len(want))
	}
	for label, ticked := range want {
		if g, ok := got[label]; !ok || g != ticked {
			t.Errorf("%q: listed %v (present %v), matrix %v", label, g, ok, ticked)
		}
	}
	if !got["Approve requests"] || got["Edit users"] {
		t.Errorf("the approver's list: approve %v, edit users %v", got["Approve requests"], got["Edit users"])
	}
	if title := part.Text("#role-perms-title"); title != "Permissions of Approver" {
		t.Errorf("title %q", title)
	}
	// An unknown role shows the first one instead.
	c.Header.Set("HX-Target", "role-permissions")
	if got := c.Get("/admin/roles?role=nobody").Doc.Find("#role-pick option[selected]").AttrOr("value", ""); got == "" || got == "nobody" {
		t.Errorf("unknown role chose %q", got)
	}
	c.Header.Del("HX-Target")

	// Ticking "Edit vendors" on the auditor's list gives it, and answers with the item.
	res := c.Post("/admin/roles/auditor/permissions", url.Values{"object": {"vendors"}, "action": {"update"}, "granted": {"true"}, "view": {"list"}})
	c.Header.Del("HX-Request")
	if res.Status != http.StatusOK || res.Doc.Find("li.perm-item input[checked]").Length() != 1 || res.Doc.Find("td").Length() != 0 {
		t.Fatalf("tick on the list: %d %s", res.Status, res.Body)
	}
	if v := res.Doc.Find("li.perm-item input").AttrOr("hx-vals", ""); !strings.Contains(v, `"view":"list"`) {
		t.Errorf("the swapped item posts %q", v)
	}
	var n int64
	app.DB(t, acme).Raw(`SELECT count(*) FROM casbin_rule WHERE ptype = 'p' AND v0 = 'auditor' AND v1 = ? AND v2 = ?`, "vendors", outlay.ActUpdate).Scan(&n)
	if n != 1 {
		t.Errorf("auditor holds vendors:update %d times", n)
	}
}
