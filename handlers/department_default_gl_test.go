package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// An admin gives a department a default GL account: only an active account is accepted
// (anything else is refused beside the field and nothing changes), the record page names
// it, and its History says what changed.
func TestDepartmentDefaultGLAccountIsEditedAndAudited(t *testing.T) {
	t.Parallel()
	s := newRefSite(t)
	db, c := s.db(t), s.admin
	gl := models.GLAccount{Code: "6100", Name: "Office furniture"}
	old := models.GLAccount{Code: "6900", Name: "Old account", ArchivedAt: ptrTime(time.Now())}
	for _, v := range []any{&gl, &old} {
		if err := db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	if res := c.Post("/admin/departments", url.Values{"name": {"Engineering"}, "code": {"ENG"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text(".field-error"))
	}
	var d models.Department
	if err := db.Where("name = ?", "Engineering").First(&d).Error; err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/departments/%d", d.ID)
	form := c.Get(path)
	if form.Doc.Find(fmt.Sprintf(`#default_gl_account option[value="%d"]`, gl.ID)).Length() != 1 ||
		form.Doc.Find(fmt.Sprintf(`#default_gl_account option[value="%d"]`, old.ID)).Length() != 0 {
		t.Errorf("the choices of default GL account: %q", form.Text("#default_gl_account"))
	}
	for _, bad := range []string{ids(old.ID), "999999", "abc"} {
		res := htmxPost(c, path, "ref-form", url.Values{"name": {"Engineering"}, "code": {"ENG"}, "default_gl_account": {bad}})
		if res.Status != http.StatusUnprocessableEntity || res.Text("#default_gl_account-error") != "Choose an active GL account from the list." {
			t.Errorf("default %q: %d %q", bad, res.Status, res.Text("#default_gl_account-error"))
		}
		if v, _ := res.Doc.Find("#name").Attr("value"); v != "Engineering" {
			t.Errorf("default %q: the name typed is not kept: %q", bad, v)
		}
	}
	if err := db.First(&d, d.ID).Error; err != nil || d.DefaultGLAccountID != nil {
		t.Fatalf("a refused default was stored: %v %v", d.DefaultGLAccountID, err)
	}
	if res := c.Post(path, url.Values{"name": {"Engineering"}, "code": {"ENG"}, "default_gl_account": {ids(gl.ID)}}); res.Status != http.StatusSeeOther {
		t.Fatalf("set the default: %d %s", res.Status, res.Text(".field-error"))
	}
	if err := db.First(&d, d.ID).Error; err != nil || d.DefaultGLAccountID == nil || *d.DefaultGLAccountID != gl.ID {
		t.Fatalf("stored default %v %v", d.DefaultGLAccountID, err)
	}
	if got := c.Get(path).Text(".details"); !strings.Contains(got, "6100 Office furniture") {
		t.Errorf("the record page says %q", got)
	}
	h := c.Get(path + "/history")
	if changes := h.Text(".changes"); !strings.Contains(changes, "Default GL account") || !strings.Contains(changes, "Office furniture") {
		t.Errorf("History shows %q", changes)
	}
	// Archived since, the default may stay while the department's other fields change.
	if err := db.Model(&gl).Update("archived_at", time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	if res := c.Post(path, url.Values{"name": {"Engineering"}, "code": {"EN"}, "default_gl_account": {ids(gl.ID)}}); res.Status != http.StatusSeeOther {
		t.Errorf("rename with an archived default: %d %s", res.Status, res.Text(".field-error"))
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

// A new requisition starts in its requester's department, its line on the department's
// default GL account; an added line starts there too, and changing the department moves
// the lines still on the old default (or on none) to the new one's, leaving a line whose
// account was chosen by hand.
func TestNewRequisitionStartsFromTheRequestersDepartment(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	db := s.db(t)
	ops := models.Department{Name: "Operations", DefaultGLAccountID: &s.gl2}
	if err := db.Create(&ops).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.Department{}).Where("id = ?", s.dept).Update("default_gl_account_id", s.gl).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(s.rita).Update("department_id", s.dept).Error; err != nil {
		t.Fatal(err)
	}
	selected := func(res *testutil.Response, sel string) string {
		v, _ := res.Doc.Find(sel + " option[selected]").Attr("value")
		return v
	}
	c := s.client(t, s.rita)
	page := c.Get("/requisitions/new")
	if got := selected(page, "#department"); got != ids(s.dept) {
		t.Errorf("department %q, want Rita's %q", got, ids(s.dept))
	}
	if got := selected(page, "#line-0-gl_account"); got != ids(s.gl) {
		t.Errorf("line GL account %q, want the department's default %q", got, ids(s.gl))
	}
	// Saved untouched but for the header, the line with only its default account is left out.
	f := s.reqForm()
	f.Set("description", "")
	f.Set("gl_account", ids(s.gl))
	f.Set("quantity", "")
	f.Set("unit_price", "")
	f.Set("tax_rate", "")
	if res := c.Post("/requisitions", f); res.Status != http.StatusSeeOther {
		t.Errorf("a draft with an untouched line: %d %s", res.Status, res.Text(".field-error"))
	}

	// Bob has no department: nothing is chosen for him.
	if got := selected(s.client(t, s.rob).Get("/requisitions/new"), "#department"); got != "" {
		t.Errorf("Rob's department %q", got)
	}

	c.Get("/requisitions/new")
	c.Header.Set("HX-Request", "true")
	c.Header.Set("HX-Target", "requisition-lines")
	defer c.Header.Del("HX-Request")
	defer c.Header.Del("HX-Target")
	lines := s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)})
	lines.Set("op", "add")
	res := c.Post("/requisitions/lines", lines)
	if got := selected(res, "#line-1-gl_account"); got != ids(s.gl) {
		t.Errorf("added line on %q, want %q", got, ids(s.gl))
	}
	// To Operations: lines on Engineering's default or on none move to Operations' default.
	moved := s.reqForm([4]string{"Desk", "1", "100", ids(s.gl)}, [4]string{"Chair", "1", "50", ""}, [4]string{"Lamp", "1", "20", ids(s.gl2)})
	moved.Set("op", "department")
	moved.Set("department", ids(ops.ID))
	moved.Set("department_gl", ids(s.gl))
	// The department select answers with only the GL accounts that move, out of band, so
	// nothing being typed on the lines is swapped.
	c.Header.Set("HX-Target", "department-gl")
	res = c.Post("/requisitions/lines", moved)
	c.Header.Set("HX-Target", "requisition-lines")
	if res.Doc.Find("#line-0-description, #requisition-lines").Length() != 0 {
		t.Errorf("the department change swaps more than the GL accounts: %s", res.Body)
	}
	if n := res.Doc.Find(`[id$="-gl_account-field"][hx-swap-oob="true"]`).Length(); n != 2 {
		t.Errorf("%d GL accounts swapped, want 2 (the third is already on the new default)", n)
	}
	for i, want := range []string{ids(s.gl2), ids(s.gl2)} {
		if got := selected(res, fmt.Sprintf("#line-%d-gl_account", i)); got != want {
			t.Errorf("after the department changed, line %d on %q, want %q", i, got, want)
		}
	}
	if v, _ := res.Doc.Find(`input#department-gl[name="department_gl"]`).Attr("value"); v != ids(s.gl2) {
		t.Errorf("the form remembers default %q, want %q", v, ids(s.gl2))
	}
	// Back to Engineering: the line on Operations' default follows; a hand-picked one stays.
	travel := models.GLAccount{Code: "6300", Name: "Travel"}
	if err := db.Create(&travel).Error; err != nil {
		t.Fatal(err)
	}
	moved = s.reqForm([4]string{"Desk", "1", "100", ids(s.gl2)}, [4]string{"Chair", "1", "50", ids(travel.ID)})
	moved.Set("op", "department")
	moved.Set("department_gl", ids(s.gl2))
	res = c.Post("/requisitions/lines", moved)
	for i, want := range []string{ids(s.gl), ids(travel.ID)} {
		if got := selected(res, fmt.Sprintf("#line-%d-gl_account", i)); got != want {
			t.Errorf("back in Engineering, line %d on %q, want %q", i, got, want)
		}
	}
	if n := s.count(t); n != 1 {
		t.Errorf("%d requisitions stored", n)
	}
}
