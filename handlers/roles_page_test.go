package handlers_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/internal/testutil"
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
