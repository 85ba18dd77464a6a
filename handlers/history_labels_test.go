package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/internal/testutil"
	"outlay/models"
)

// historyChanges reads the changes of a History or audit log page: each field's old and new
// values as shown, by the field's label, for the entries whose What names what.
func historyChanges(res *testutil.Response, what string) map[string][][2]string {
	out := map[string][][2]string{}
	res.Doc.Find("table.audit-table tbody tr").Each(func(_ int, tr *goquerySelection) {
		if !strings.Contains(tr.Find(".audit-what").Text(), what) {
			return
		}
		tr.Find(".changes dt").Each(func(_ int, dt *goquerySelection) {
			dd := dt.Next()
			old, nw := dd.Find(".old").Text(), dd.Find(".new").Text()
			if dd.Find(".new").Length() == 0 {
				nw = dd.Text() // an event's detail
			}
			out[dt.Text()] = append(out[dt.Text()], [2]string{old, nw})
		})
	})
	return out
}

// hasChange reports whether field was shown becoming new (from old, unless old is "*").
func hasChange(changes map[string][][2]string, field, old, new string) bool {
	for _, c := range changes[field] {
		if c[1] == new && (old == "*" || c[0] == old) {
			return true
		}
	}
	return false
}

// A trip's History reads as a requisition's does: its status by its label, its people by
// name, its legs' modes in words, its approval step by who approves it; the step's document
// and kind of document, which the entry's name says, are left out. A draft is named once.
func TestTripHistoryReadsInWords(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	draft := s.save(t, s.tessC, s.tripForm())
	hist := s.tessC.Get(fmt.Sprintf("/travel/%d/history", draft.ID))
	if hist.Status != http.StatusOK {
		t.Fatalf("draft's History: %d", hist.Status)
	}
	name := fmt.Sprintf("Draft trip #%d", draft.ID)
	legs := historyChanges(hist, "Leg 1 of "+name)
	if !hasChange(legs, "Travel request", "", name) || !hasChange(legs, "Mode", "", "Air") {
		t.Errorf("a draft's leg reads %v; want it to name %q once and its mode Air", legs, name)
	}

	sub := s.tripForm()
	sub.Set("intent", "submit")
	path := fmt.Sprintf("/travel/%d", draft.ID)
	if res := s.tessC.Post(path, sub); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	step := s.pendingStep(t, draft.ID)
	if res := approvalPost(s.moC, stepURL(step.ID, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d", res.Status)
	}
	hist = s.tessC.Get(path + "/history")
	trip := historyChanges(hist, "TRV-000001")
	if !hasChange(trip, "Traveller", "", fmt.Sprintf("Tess Traveller (#%d)", s.tess.ID)) {
		t.Errorf("the trip's traveller reads %v", trip["Traveller"])
	}
	if !hasChange(trip, "Status", "Draft", "Pending approval") || !hasChange(trip, "Status", "Pending approval", "Approved") {
		t.Errorf("the trip's status reads %v", trip["Status"])
	}
	stepChanges := historyChanges(hist, "Step 1 of TRV-000001 (Mo Manager)")
	if !hasChange(stepChanges, "Who approves", "", "The requester's manager") || !hasChange(stepChanges, "Status", "Waiting for a decision", "Approved") {
		t.Errorf("the approval step reads %v", stepChanges)
	}
	for _, raw := range []string{"Doc", "Doc type", "Kind of document", "Kind", "Doc total"} {
		if _, shown := stepChanges[raw]; shown {
			t.Errorf("the approval step shows %s: %v", raw, stepChanges[raw])
		}
	}
	hist.Doc.Find(".changes .old, .changes .new").Each(func(_ int, v *goquerySelection) {
		switch v.Text() {
		case "draft", "submitted", "approved", "air", "manager", "travel", "pending":
			t.Errorf("History shows the code %q", v.Text())
		}
	})
}

// An expense report's History names its owner, its lines' category and receipt, and reads a
// line's kind in words; the exchange rate in millionths is left out.
func TestExpenseHistoryReadsInWords(t *testing.T) {
	t.Parallel()
	s := newExpenseSite(t)
	c := s.client(t, s.rita)
	c.Get("/expenses/new")
	if res := c.Post("/expenses", s.expenseForm("save", [4]string{day(2), ids(s.meals.ID), "Bistro", "60.00"})); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Status)
	}
	var r models.ExpenseReport
	s.db.Order("id DESC").First(&r)
	var line models.ExpenseLine
	s.db.Where("report_id = ?", r.ID).First(&line)
	doc := fmt.Sprintf("/expenses/%d", r.ID)
	c.Get(doc)
	if res := c.Upload(fmt.Sprintf("%s/lines/%d/receipt", doc, line.ID), "file", "bistro.png", "image/png", pngBytes(t)); res.Status != http.StatusSeeOther {
		t.Fatalf("receipt: %d", res.Status)
	}
	hist := c.Get(doc + "/history")
	if hist.Status != http.StatusOK {
		t.Fatalf("History: %d", hist.Status)
	}
	report := historyChanges(hist, fmt.Sprintf("Draft #%d", r.ID))
	if !hasChange(report, "Owner", "", fmt.Sprintf("Rita Requester (#%d)", s.rita.ID)) {
		t.Errorf("the report's owner reads %v", report["Owner"])
	}
	lines := historyChanges(hist, "Line 1 of")
	if !hasChange(lines, "Category", "", fmt.Sprintf("Meals (#%d)", s.meals.ID)) || !hasChange(lines, "Type", "", "Expense") {
		t.Errorf("the line reads %v", lines)
	}
	var receipt []string
	for _, ch := range lines["Receipt"] {
		receipt = append(receipt, ch[1])
	}
	if !strings.Contains(strings.Join(receipt, " "), "bistro.png") {
		t.Errorf("the line's receipt reads %q, not its file's name", receipt)
	}
	for _, raw := range []string{"Rate micro", "Kind", "Report id", "Mileage rate", "Per diem rate"} {
		if _, shown := lines[raw]; shown {
			t.Errorf("the line shows %s: %v", raw, lines[raw])
		}
	}
}

// The audit log reads security events as what was done ("Signed in", "Exported" all trips),
// a role membership by its role's label and its person's name, and keeps the codes in its
// export.
func TestAuditLogReadsEventsInWords(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	if res := s.asaC.Get("/travel/all/export"); res.Status != http.StatusOK {
		t.Fatalf("export: %d", res.Status)
	}
	// The export's event is written as its body ends, which may be after the client has read it.
	dbtest.WaitFor(t, 10*time.Second, "recorded the export", func() bool {
		var n int64
		if err := s.db(t).Raw(`SELECT count(*) FROM audit_log WHERE event = 'export'`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n > 0
	})
	page := s.asaC.Get("/audit?object=event")
	var actions []string
	page.Doc.Find("table.audit-table tbody tr").Each(func(_ int, tr *goquerySelection) {
		actions = append(actions, tr.Find(".badge").Text()+": "+tr.Find(".audit-what").Text())
	})
	joined := strings.Join(actions, "\n")
	for _, want := range []string{"Signed in: asa@acme.example", "Exported: all trips"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the log lacks %q:\n%s", want, joined)
		}
	}
	for _, raw := range []string{"signin.success", "export: all-travel", "all-travel"} {
		if strings.Contains(page.Text("main"), raw) {
			t.Errorf("the log shows %q:\n%s", raw, joined)
		}
	}
	if details := historyChanges(page, "all trips"); !hasChange(details, "List", "*", "all trips") {
		t.Errorf("the export's details read %v", details)
	}

	members := s.asaC.Get("/audit?object=user_roles")
	what := members.Text(".audit-what")
	if want := fmt.Sprintf("Role: Requester, Person: Tess Traveller (#%d)", s.tess.ID); !strings.Contains(what, want) {
		t.Errorf("memberships read %q, want %q", what, want)
	}
	if strings.Contains(what, "role requester") {
		t.Errorf("memberships read by their keys: %q", what)
	}

	export := s.asaC.Get("/audit/export?object=event&format=csv")
	if export.Status != http.StatusOK || !strings.Contains(export.Body, "signin.success") || !strings.Contains(export.Body, "all-travel") {
		t.Errorf("the export does not keep the codes: %d\n%s", export.Status, export.Body)
	}
}
