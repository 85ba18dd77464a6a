package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"outlay/models"
)

// Copy starts a new draft owned by the viewer with the lines of a requisition they may see,
// leaving out what is archived and saying so; one they may not see is not found.
func TestRequisitionCopyStartsANewDraft(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	rita := s.client(t, s.rita)
	src := s.draft(t, rita, [4]string{"Desk", "2", "199.99", ids(s.gl)}, [4]string{"Chair", "1", "80", ids(s.gl2)})
	if got := rita.Get("/requisitions/" + ids(src)).Doc.Find(`form[action="/requisitions/` + ids(src) + `/copy"] button`).Text(); got != "Copy" {
		t.Errorf("copy button %q", got)
	}
	db := s.db(t)
	now := time.Now()
	for _, table := range []string{"gl_accounts", "departments"} {
		id := s.gl2
		if table == "departments" {
			id = s.dept
		}
		if err := db.Table(table).Where("id = ?", id).Update("archived_at", now).Error; err != nil {
			t.Fatal(err)
		}
	}
	var mark int64
	db.Raw(`SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&mark)

	res := rita.Post("/requisitions/"+ids(src)+"/copy", nil)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/requisitions/") {
		t.Fatalf("copy: %d %q", res.Status, res.Location())
	}
	var cp models.Requisition
	if err := db.Order("id DESC").First(&cp).Error; err != nil {
		t.Fatal(err)
	}
	if cp.ID == src || res.Location() != "/requisitions/"+ids(cp.ID) {
		t.Fatalf("copy went to %q, new id %d", res.Location(), cp.ID)
	}
	got := s.stored(t, cp.ID)
	if got.RequesterID != s.rita.ID || got.Status != models.RequisitionDraft || got.Number != nil || got.DepartmentID != nil ||
		got.VendorID == nil || *got.VendorID != s.vendor || got.Justification != "New starters need desks" || got.TotalMinor != 47998 {
		t.Errorf("copy stored %+v", got)
	}
	if len(got.Lines) != 2 || got.Lines[0].Description != "Desk" || *got.Lines[0].GLAccountID != s.gl || got.Lines[1].GLAccountID != nil {
		t.Errorf("copied lines %+v", got.Lines)
	}
	page := rita.Get(res.Location())
	flash := page.Text(".flash")
	for _, want := range []string{"copied from your draft", "the department Engineering", "the GL account 6200 Software of line 2"} {
		if !strings.Contains(flash, want) {
			t.Errorf("flash %q lacks %q", flash, want)
		}
	}
	if page.Doc.Find("#requisition-form fieldset.req-line").Length() != 2 {
		t.Error("the copy does not open for editing")
	}
	var created int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE id > ? AND action = 'create' AND table_name = 'requisitions' AND record_id = ? AND actor_id = ?`,
		mark, ids(cp.ID), s.rita.ID).Scan(&created)
	if created != 1 {
		t.Errorf("%d audited creations of the copy", created)
	}

	// Rob may see neither of Rita's drafts: copying one is not found and makes nothing.
	before := s.count(t)
	rob := s.client(t, s.rob)
	if res := rob.Post("/requisitions/"+ids(src)+"/copy", nil); res.Status != http.StatusNotFound {
		t.Errorf("copy another's draft: %d", res.Status)
	}
	if res := rob.Post("/requisitions/999999/copy", nil); res.Status != http.StatusNotFound {
		t.Errorf("copy a missing requisition: %d", res.Status)
	}
	if n := s.count(t); n != before {
		t.Errorf("%d requisitions, want %d", n, before)
	}
}
