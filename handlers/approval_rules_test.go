package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/models"
)

func ruleForm(name string, steps ...[3]string) url.Values {
	f := url.Values{"doc_type": {"requisition"}, "name": {name}, "priority": {"10"}, "currency": {"USD"},
		"budget_check": {"warn"}, "active": {"1"}}
	for _, s := range steps {
		f.Add("step_kind", s[0])
		f.Add("step_user", s[1])
		f.Add("step_role", s[2])
	}
	return f
}

func TestApprovalRulesAdmin(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	db := s.db(t)
	eng := s.department(t, "Engineering")
	headOfIT := s.app.CreateUser(t, s.acme, "it@acme.example", "Ivy IT", "approver")

	page := s.admin.Get("/admin/approval-rules")
	if page.Status != http.StatusOK || !strings.Contains(page.Text(".empty-state"), "No approval rules yet") {
		t.Fatalf("empty list: %d %q", page.Status, page.Text(".empty-state"))
	}
	if s.admin.Get("/admin/approval-rules/new").Doc.Find(`#rule-form input[name="_csrf"]`).Length() != 1 {
		t.Error("rule form without a CSRF field")
	}

	// Everything wrong at once: each message beside its field, nothing saved.
	bad := ruleForm(" ", [3]string{"user", "", ""}, [3]string{"role", "", ""})
	bad.Set("min_amount", "1,000")
	bad.Set("max_amount", "500")
	bad.Set("priority", "first")
	bad.Set("department", "999999")
	s.admin.Header.Set("HX-Request", "true")
	s.admin.Header.Set("HX-Target", "rule-form")
	res := s.admin.Post("/admin/approval-rules", bad)
	s.admin.Header.Del("HX-Request")
	s.admin.Header.Del("HX-Target")
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad rule: %d", res.Status)
	}
	for _, id := range []string{"name-error", "priority-error", "max_amount-error", "department-error", "steps.0.user-error", "steps.1.role-error"} {
		if res.Doc.Find(`[id="`+id+`"]`).Length() != 1 {
			t.Errorf("no %s in %s", id, res.Body)
		}
	}
	var n int64
	db.Model(&models.ApprovalRule{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d rules saved from a refused form", n)
	}

	// The steps editor: add, move and remove re-render the fieldset without saving.
	q := ruleForm("x", [3]string{"manager", "", ""}, [3]string{"user", fmt.Sprint(headOfIT.ID), ""})
	q.Set("op", "up")
	q.Set("index", "1")
	res = s.admin.Get("/admin/approval-rules/steps?" + q.Encode())
	if kinds := res.Doc.Find(`select[name="step_kind"] option[selected]`); kinds.Length() != 2 || kinds.First().AttrOr("value", "") != "user" {
		t.Errorf("after moving up: %s", res.Body)
	}
	q.Set("op", "add")
	if n := s.admin.Get("/admin/approval-rules/steps?" + q.Encode()).Doc.Find(`select[name="step_kind"]`).Length(); n != 3 {
		t.Errorf("after adding: %d steps", n)
	}

	good := ruleForm("Engineering from $1,000", [3]string{"manager", "", ""}, [3]string{"user", fmt.Sprint(headOfIT.ID), ""}, [3]string{"", "", ""})
	good.Set("department", fmt.Sprint(eng))
	good.Set("min_amount", "1,000")
	res = s.admin.Post("/admin/approval-rules", good)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.Status, res.Text(".field-error"))
	}
	list := s.admin.Get(res.Location())
	if got := list.Text("table"); !strings.Contains(got, "Engineering from $1,000") || !strings.Contains(got, "When department Engineering, total $1,000.00 or more") ||
		!strings.Contains(got, "Ivy IT") {
		t.Errorf("list: %q", got)
	}
	var rule models.ApprovalRule
	if err := db.First(&rule).Error; err != nil {
		t.Fatal(err)
	}
	stored, err := models.GetApprovalRule(context.Background(), db, rule.ID)
	if err != nil || len(stored.Steps) != 2 || *stored.MinAmountMinor != 100000 || stored.Steps[1].Kind != models.StepUser {
		t.Fatalf("stored %+v %v", stored, err)
	}

	// Edit: the steps are replaced, in the new order.
	edit := ruleForm("Engineering from $1,000", [3]string{"role", "", "admin"}, [3]string{"manager", "", ""})
	edit.Set("priority", "5")
	if res := s.admin.Post(fmt.Sprintf("/admin/approval-rules/%d", rule.ID), edit); res.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.Status, res.Text(".field-error"))
	}
	stored, _ = models.GetApprovalRule(context.Background(), db, rule.ID)
	if len(stored.Steps) != 2 || stored.Steps[0].Kind != models.StepRole || stored.Priority != 5 || stored.MinAmountMinor != nil {
		t.Errorf("after edit %+v", stored)
	}
	if h := s.admin.Get(fmt.Sprintf("/admin/approval-rules/%d/history", rule.ID)); h.Status != http.StatusOK || !strings.Contains(h.Text("h1"), "History of the rule") {
		t.Errorf("history: %d", h.Status)
	}
	// Archive: it leaves the list and routes nothing more.
	if res := s.admin.Post(fmt.Sprintf("/admin/approval-rules/%d/archive", rule.ID), nil); res.Status != http.StatusSeeOther {
		t.Fatalf("archive: %d", res.Status)
	}
	if got := s.admin.Get("/admin/approval-rules?archived=1").Text("table"); !strings.Contains(got, "Engineering from $1,000") {
		t.Errorf("archived list %q", got)
	}
	if res := s.admin.Post(fmt.Sprintf("/admin/approval-rules/%d", rule.ID), edit); res.Status != http.StatusConflict {
		t.Errorf("edit an archived rule: %d", res.Status)
	}
	if res := s.admin.Get("/admin/approval-rules/424242"); res.Status != http.StatusNotFound {
		t.Errorf("no such rule: %d", res.Status)
	}
}

// The rule form offers the kinds of documents something can route, and only those: a rule
// for any other kind is refused beside its field and not saved.
func TestApprovalRuleKindsAreTheApprovableOnes(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	var offered []string
	s.admin.Get("/admin/approval-rules/new").Doc.Find(`select[name="doc_type"] option`).Each(func(_ int, o *goquery.Selection) {
		offered = append(offered, o.AttrOr("value", "")+"="+strings.TrimSpace(o.Text()))
	})
	var want []string
	for _, k := range models.ApprovableKinds() {
		want = append(want, k.Type+"="+k.Label)
	}
	if strings.Join(offered, ",") != strings.Join(want, ",") || !slices.Contains(want, "requisition=Requisition") || !slices.Contains(want, "travel=Travel request") || !slices.Contains(want, "expense=Expense report") || !slices.Contains(want, "bill=Bill") {
		t.Errorf("offered %v, want %v", offered, want)
	}
	for _, kind := range []string{"purchase_order", "invoice"} {
		f := ruleForm("Other kinds")
		f.Set("doc_type", kind)
		res := s.admin.Post("/admin/approval-rules", f)
		if res.Status != http.StatusUnprocessableEntity || res.Doc.Find(`[id="doc_type-error"]`).Length() != 1 {
			t.Errorf("rule for %s: %d, doc_type error %d", kind, res.Status, res.Doc.Find(`[id="doc_type-error"]`).Length())
		}
	}
	var n int64
	s.db(t).Model(&models.ApprovalRule{}).Count(&n)
	if n != 0 {
		t.Errorf("%d rules saved", n)
	}
}

// A step open to a role names the role as people read it, its label, wherever it is shown:
// the rule list, the document's route, the approver's queue and its details, and History. A
// role's key ("travel_desk") is never shown, though a custom role's label may differ from it.
func TestRoleStepsShowTheRolesLabel(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	ctx := context.Background()
	db := s.db(t)
	role, err := models.CreateRole(ctx, db, "Travel desk")
	if err != nil {
		t.Fatal(err)
	}
	if err := models.RenameRole(ctx, db, models.ByOperator(), role.Name, "Trip desk"); err != nil {
		t.Fatal(err)
	}
	if err := models.SetUserRoles(ctx, db, s.ivy.ID, []string{"approver", role.Name}); err != nil {
		t.Fatal(err)
	}
	rule := ruleForm("Trips go to the desk", [3]string{"role", "", role.Name})
	rule.Set("doc_type", "travel")
	if res := s.asaC.Post("/admin/approval-rules", rule); res.Status != http.StatusSeeOther {
		t.Fatalf("create rule: %d %s", res.Status, res.Text(".field-error"))
	}
	f := s.tripForm()
	f.Set("intent", "submit")
	trip := s.save(t, s.tessC, f)
	step := s.pendingStep(t, trip.ID)
	path := fmt.Sprintf("/travel/%d", trip.ID)

	const want = "Anyone with the role Trip desk"
	for _, c := range []struct {
		where string
		text  string
	}{
		{"the rule list", s.asaC.Get("/admin/approval-rules").Text("main")},
		{"the trip's route", s.tessC.Get(path).Text(".req-route")},
		{"the approver's details", approvalGet(s.ivyC, stepURL(step.ID, "")).Text(".route")},
	} {
		if !strings.Contains(c.text, want) || strings.Contains(c.text, role.Name) {
			t.Errorf("%s reads %q; want %q, never the role's key %s", c.where, c.text, want, role.Name)
		}
	}
	if queue := s.ivyC.Get("/approvals").Text("main"); !strings.Contains(queue, "Open to role Trip desk") || strings.Contains(queue, role.Name) {
		t.Errorf("the queue reads %q", queue)
	}
	hist := s.tessC.Get(path + "/history")
	if changes := historyChanges(hist, "Step 1 of TRV-000001 (Trip desk)"); !hasChange(changes, "Role", "", "Trip desk") {
		t.Errorf("the step's History reads %v", changes)
	}
}

// A rule's name is one line of visible text, as every name an admin types: a name typed with
// a line break is refused beside the field, and the form comes back as it was typed.
func TestApprovalRuleNameWithALineBreakIsRefusedAndKept(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	typed := ruleForm("Engineering\nover $10,000", [3]string{"manager", "", ""})
	typed.Set("min_amount", "10,000")
	typed.Set("priority", "7")
	res := s.admin.Post("/admin/approval-rules", typed)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a name on two lines: %d", res.Status)
	}
	if got := res.Text("#name-error"); got != "Write the name on one line, without line breaks or tabs." {
		t.Errorf("name's message %q", got)
	}
	form := res.Doc.Find("#rule-form")
	for field, want := range map[string]string{"name": "Engineering\nover $10,000", "min_amount": "10,000", "priority": "7"} {
		if got := form.Find(`input[name="`+field+`"]`).AttrOr("value", ""); got != want {
			t.Errorf("%s shows %q, want %q as typed", field, got, want)
		}
	}
	var n int64
	s.db(t).Model(&models.ApprovalRule{}).Count(&n)
	if n != 0 {
		t.Errorf("%d rules saved from a refused form", n)
	}
}
