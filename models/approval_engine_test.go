package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

// approvalWorld is an organisation to route requisitions through: Engineering (headed by
// Hana) and Sales, a requester Rita reporting to Max, and a few approvers.
type approvalWorld struct {
	t                   *testing.T
	env                 *dbtest.Env
	db                  *gorm.DB
	eng, sales          models.Department
	software, travel    models.GLAccount
	vendor              models.Vendor
	max, hana, rita, al *models.User // manager, head, requester, an approver routed nothing
	admin               *models.User
}

func newApprovalWorld(t *testing.T) *approvalWorld {
	t.Helper()
	env, acme := dbtest.NewTenant(t)
	w := &approvalWorld{t: t, env: env, db: env.DB(t, acme)}
	w.max = w.user("max@acme.example", "Max Manager", nil, "approver")
	w.hana = w.user("hana@acme.example", "Hana Head", nil, "approver")
	w.eng = models.Department{Name: "Engineering", Code: "ENG", HeadID: &w.hana.ID}
	w.sales = models.Department{Name: "Sales", Code: "SAL"}
	w.must(w.db.Create(&w.eng).Error)
	w.must(w.db.Create(&w.sales).Error)
	w.rita = w.user("rita@acme.example", "Rita Requester", &w.max.ID, "requester")
	w.must(w.db.Model(w.rita).Update("department_id", w.eng.ID).Error)
	w.al = w.user("al@acme.example", "Al Approver", nil, "approver")
	w.admin = w.user("ada@acme.example", "Ada Admin", nil, "admin")
	w.software = models.GLAccount{Code: "6000", Name: "Software"}
	w.travel = models.GLAccount{Code: "7000", Name: "Travel"}
	w.must(w.db.Create(&w.software).Error)
	w.must(w.db.Create(&w.travel).Error)
	w.vendor = models.Vendor{Name: "Initech", Currency: "USD", Status: models.VendorActive, PaymentTermsDays: 30}
	w.must(w.db.Create(&w.vendor).Error)
	return w
}

func (w *approvalWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *approvalWorld) user(email, name string, manager *int64, roles ...string) *models.User {
	w.t.Helper()
	u, err := models.CreateUser(context.Background(), w.db, models.NewUser{Email: email, Name: name,
		Password: dbtest.Password, Roles: roles, ManagerID: manager})
	w.must(err)
	u.Roles = roles
	return u
}

func viewer(u *models.User) models.Viewer { return models.Viewer{UserID: u.ID, Roles: u.Roles} }

func as(u *models.User) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: u.ID, Label: u.Email})
}

func ptr[T any](v T) *T { return &v }

// rule stores an approval rule for requisitions with its steps.
func (w *approvalWorld) rule(r models.ApprovalRule, steps ...models.ApprovalRuleStep) models.ApprovalRule {
	w.t.Helper()
	r.DocType, r.Active = models.DocRequisition, true
	if r.Currency == "" {
		r.Currency = "USD"
	}
	if r.BudgetCheck == "" {
		r.BudgetCheck = models.BudgetCheckNone
	}
	if r.Name == "" {
		r.Name = fmt.Sprintf("rule %d", r.Priority)
	}
	w.must(w.db.Create(&r).Error)
	for i, s := range steps {
		s.RuleID, s.Position = r.ID, i+1
		w.must(w.db.Create(&s).Error)
	}
	return r
}

type reqLine struct {
	gl     *models.GLAccount
	amount int64
}

// requisition makes a draft requisition by requester in dept with one line per amount.
func (w *approvalWorld) requisition(requester *models.User, dept *models.Department, currency string, lines ...reqLine) *models.Requisition {
	w.t.Helper()
	spec := dbtest.Requisition{RequesterID: requester.ID, Currency: currency, VendorID: &w.vendor.ID}
	if dept != nil {
		spec.DepartmentID = &dept.ID
	}
	for _, l := range lines {
		line := dbtest.RequisitionLine{Amount: l.amount}
		if l.gl != nil {
			line.GLAccountID = &l.gl.ID
		}
		spec.Lines = append(spec.Lines, line)
	}
	return dbtest.CreateRequisition(w.t, w.db, spec)
}

func (w *approvalWorld) submit(r *models.Requisition) models.RouteOutcome {
	w.t.Helper()
	return dbtest.SubmitRequisition(w.t, w.db, r)
}

func (w *approvalWorld) status(r *models.Requisition) string {
	w.t.Helper()
	var got models.Requisition
	w.must(w.db.First(&got, r.ID).Error)
	return got.Status
}

func (w *approvalWorld) steps(r *models.Requisition, round int) []models.ApprovalStep {
	w.t.Helper()
	var steps []models.ApprovalStep
	w.must(w.db.Where("doc_type = ? AND doc_id = ? AND round = ?", models.DocRequisition, r.ID, round).Order("position").Find(&steps).Error)
	return steps
}

func (w *approvalWorld) decide(u *models.User, stepID int64, approve bool, comment string) (models.Decided, error) {
	return models.DecideStep(as(u), w.db, viewer(u), stepID, models.Decision{Approve: approve, Comment: comment})
}

// describe writes a route as "user:Max Manager/pending, role:admin/waiting".
func (w *approvalWorld) describe(steps []models.ApprovalStep) string {
	names := map[int64]string{}
	for _, u := range []*models.User{w.max, w.hana, w.rita, w.al, w.admin} {
		names[u.ID] = u.Name
	}
	var parts []string
	for _, s := range steps {
		who := "role:" + *orEmpty(s.Role)
		if s.ApproverID != nil {
			who = "user:" + names[*s.ApproverID]
		}
		parts = append(parts, who+"/"+s.Status)
	}
	return strings.Join(parts, ", ")
}

func orEmpty(s *string) *string {
	if s == nil {
		return ptr("")
	}
	return s
}

func TestApprovalRoutingByThresholdDepartmentAndGL(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.rule(models.ApprovalRule{Priority: 10, DepartmentID: &w.eng.ID, MaxAmountMinor: ptr[int64](100000)},
		models.ApprovalRuleStep{Kind: models.StepManager})
	w.rule(models.ApprovalRule{Priority: 20, DepartmentID: &w.eng.ID, MinAmountMinor: ptr[int64](100000)},
		models.ApprovalRuleStep{Kind: models.StepManager}, models.ApprovalRuleStep{Kind: models.StepDepartmentHead})
	w.rule(models.ApprovalRule{Priority: 30, MinAmountMinor: ptr[int64](1000000)},
		models.ApprovalRuleStep{Kind: models.StepRole, Role: ptr("admin")},
		// Max is already on the route: collapsed.
		models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.max.ID})
	w.rule(models.ApprovalRule{Priority: 40, DepartmentID: &w.sales.ID},
		models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.al.ID})
	w.rule(models.ApprovalRule{Priority: 50, GLAccountID: &w.travel.ID},
		models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.hana.ID})
	// An archived rule and an inactive one never match.
	archived := w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.admin.ID})
	w.must(w.db.Model(&archived).Update("archived_at", time.Now()).Error)
	inactive := w.rule(models.ApprovalRule{Priority: 2}, models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.admin.ID})
	w.must(w.db.Model(&inactive).Update("active", false).Error)

	for _, c := range []struct {
		name     string
		dept     *models.Department
		currency string
		lines    []reqLine
		want     string
		dflt     bool
	}{
		{"engineering under $1,000", &w.eng, "USD", []reqLine{{&w.software, 99999}}, "user:Max Manager/pending", false},
		{"engineering at $1,000", &w.eng, "USD", []reqLine{{&w.software, 100000}}, "user:Max Manager/pending, user:Hana Head/waiting", false},
		{"engineering over $10,000", &w.eng, "USD", []reqLine{{&w.software, 600000}, {nil, 600000}},
			"user:Max Manager/pending, user:Hana Head/waiting, role:admin/waiting", false},
		{"sales", &w.sales, "USD", []reqLine{{&w.software, 5000}}, "user:Al Approver/pending", false},
		{"a travel line among others", &w.sales, "USD", []reqLine{{&w.software, 5000}, {&w.travel, 100}},
			"user:Al Approver/pending, user:Hana Head/waiting", false},
		// Amounts in another currency cannot be compared: every amount rule applies.
		{"another currency meets every amount rule", &w.eng, "EUR", []reqLine{{&w.software, 500}},
			"user:Max Manager/pending, user:Hana Head/waiting, role:admin/waiting", false},
		{"no department, no GL: default", nil, "USD", []reqLine{{nil, 500}}, "user:Max Manager/pending", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := w.requisition(w.rita, c.dept, c.currency, c.lines...)
			out := w.submit(r)
			if got := w.describe(out.Steps); got != c.want {
				t.Errorf("route %q, want %q", got, c.want)
			}
			if got := w.describe(w.steps(r, 1)); got != c.want {
				t.Errorf("stored route %q, want %q", got, c.want)
			}
			if out.Default != c.dflt || out.Approved || out.Round != 1 {
				t.Errorf("outcome %+v", out)
			}
		})
	}

	// Someone with no manager and no rule: never approved by nobody; the admins decide.
	boss := w.user("boss@acme.example", "Boss", nil, "requester")
	r := w.requisition(boss, nil, "USD", reqLine{nil, 500})
	out := w.submit(r)
	if out.Approved || !out.Default || len(out.Steps) != 1 || out.Steps[0].Role == nil || *out.Steps[0].Role != models.EscalationRole || out.Steps[0].Status != models.StepPending {
		t.Errorf("no manager, no rule: %+v", out)
	}
	if s := w.status(r); s != models.RequisitionPending {
		t.Errorf("status %s, want pending", s)
	}
}

// A route that would wait for ever is refused at submit, and the document stays a draft: the
// only admin's own request without a manager falls to the admins, who are only them. Once
// someone else holds the role (even invited, not yet signed in) it goes to them.
func TestARouteNobodyCanDecideIsRefused(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.must(w.db.Model(&models.User{}).Where("id = ?", w.admin.ID).Update("status", models.UserDeactivated).Error)
	solo := w.user("solo@acme.example", "Solo Admin", nil, "admin")
	r := w.requisition(solo, nil, "USD", reqLine{nil, 500})
	err := w.db.Transaction(func(tx *gorm.DB) error {
		_, err := models.SubmitForApproval(tx, models.ApprovalDocument{Type: models.DocRequisition, ID: r.ID, RequesterID: solo.ID, Total: r.Total()})
		return err
	})
	if v, ok := outlay.AsValidation(err); !ok || v[""] != models.NobodyCanApprove {
		t.Fatalf("the only admin's own request: %v, want NobodyCanApprove", err)
	}
	if n := len(w.steps(r, 1)); n != 0 {
		t.Errorf("%d steps stored", n)
	}
	w.user("newcomer@acme.example", "New Admin", nil, "admin")
	w.must(w.db.Model(&models.User{}).Where("email = ?", "newcomer@acme.example").Update("status", models.UserInvited).Error)
	if out := w.submit(r); len(out.Steps) != 1 || out.Steps[0].Role == nil || *out.Steps[0].Role != models.EscalationRole {
		t.Errorf("with an invited admin besides: %+v", out)
	}
}

func TestApprovalMultiStepInOrder(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepManager},
		models.ApprovalRuleStep{Kind: models.StepDepartmentHead}, models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.al.ID})
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	out := w.submit(r)
	if len(out.Steps) != 3 {
		t.Fatalf("route %s", w.describe(out.Steps))
	}
	// Hana's step is not open before Max decides.
	if _, err := w.decide(w.hana, out.Steps[1].ID, true, ""); !errors.Is(err, outlay.ErrConflict) || !strings.Contains(err.Error(), "not open yet") {
		t.Fatalf("head before manager: %v", err)
	}
	for i, u := range []*models.User{w.max, w.hana, w.al} {
		res, err := w.decide(u, out.Steps[i].ID, true, "fine")
		if err != nil {
			t.Fatalf("step %d by %s: %v", i+1, u.Name, err)
		}
		want := models.StepPending
		if i == 2 {
			want = models.StepApproved
		}
		if res.DocStatus != want || res.Step.Status != models.StepApproved || res.Step.ActedBy == nil || *res.Step.ActedBy != u.ID {
			t.Errorf("step %d: %+v", i+1, res)
		}
		if i < 2 && (res.Next == nil || res.Next.ID != out.Steps[i+1].ID) {
			t.Errorf("step %d: next %+v", i+1, res.Next)
		}
	}
	if s := w.status(r); s != models.RequisitionApproved {
		t.Errorf("status %s", s)
	}
	// Deciding again: Al learns who already did.
	if _, err := w.decide(w.al, out.Steps[2].ID, false, "no"); err == nil || !strings.Contains(err.Error(), "Al Approver already approved") {
		t.Errorf("decide a decided step: %v", err)
	}
}

func TestApprovalRejectionAndResubmission(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepManager}, models.ApprovalRuleStep{Kind: models.StepDepartmentHead})
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	out := w.submit(r)
	if _, err := w.decide(w.max, out.Steps[0].ID, false, "  "); err == nil {
		t.Fatal("rejection without a comment was accepted")
	} else if v, ok := outlay.AsValidation(err); !ok || v["comment"] == "" {
		t.Fatalf("rejection without a comment: %v", err)
	}
	res, err := w.decide(w.max, out.Steps[0].ID, false, "Too many licences")
	if err != nil || res.DocStatus != models.StepRejected {
		t.Fatalf("reject: %+v %v", res, err)
	}
	if got := w.describe(w.steps(r, 1)); got != "user:Max Manager/rejected, user:Hana Head/cancelled" {
		t.Errorf("route after rejection: %s", got)
	}
	var back models.Requisition
	w.must(w.db.First(&back, r.ID).Error)
	if back.Status != models.RequisitionRejected || !back.Editable() {
		t.Errorf("rejected requisition: %s", back.Status)
	}
	if _, err := w.decide(w.hana, out.Steps[1].ID, true, ""); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("approve a cancelled step: %v", err)
	}
	// Resubmitted: round 2, from the top.
	out2 := w.submit(r)
	if out2.Round != 2 || w.describe(out2.Steps) != "user:Max Manager/pending, user:Hana Head/waiting" {
		t.Fatalf("round 2: %d %s", out2.Round, w.describe(out2.Steps))
	}
	for i, u := range []*models.User{w.max, w.hana} {
		if _, err := w.decide(u, out2.Steps[i].ID, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	if s := w.status(r); s != models.RequisitionApproved {
		t.Errorf("status after round 2: %s", s)
	}
	route, err := models.ApprovalRoute(context.Background(), w.db, models.DocRequisition, r.ID)
	if err != nil || len(route) != 4 || route[0].Comment != "Too many licences" || route[0].ActedByName != "Max Manager" ||
		route[3].Round != 2 || route[3].Status != models.StepApproved {
		t.Errorf("route history %+v %v", route, err)
	}
	// A withdrawn route cancels its open steps.
	r2 := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	o := w.submit(r2)
	w.must(w.db.Transaction(func(tx *gorm.DB) error { return models.CancelRoute(tx, models.DocRequisition, r2.ID) }))
	if got := w.describe(w.steps(r2, 1)); got != "user:Max Manager/cancelled, user:Hana Head/cancelled" {
		t.Errorf("withdrawn route: %s", got)
	}
	if _, err := w.decide(w.max, o.Steps[0].ID, true, ""); !errors.Is(err, outlay.ErrConflict) {
		t.Errorf("approve a withdrawn step: %v", err)
	}
}

func TestApprovalDelegation(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	dee := w.user("dee@acme.example", "Dee Delegate", nil, "approver")
	old := w.user("old@acme.example", "Olle Old", nil, "approver")
	today := time.Now()
	w.must(w.db.Create(&models.ApprovalDelegation{UserID: w.max.ID, DelegateID: dee.ID, StartsOn: today.AddDate(0, 0, -1), EndsOn: today.AddDate(0, 0, 3)}).Error)
	w.must(w.db.Create(&models.ApprovalDelegation{UserID: w.max.ID, DelegateID: old.ID, StartsOn: today.AddDate(0, 0, -10), EndsOn: today.AddDate(0, 0, -2)}).Error)
	w.must(w.db.Create(&models.ApprovalDelegation{UserID: w.max.ID, DelegateID: w.al.ID, StartsOn: today.AddDate(0, 0, 2), EndsOn: today.AddDate(0, 0, 5)}).Error)
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	out := w.submit(r)

	for _, u := range []*models.User{dee, old, w.al} {
		q, err := models.ApprovalQueue(context.Background(), w.db, viewer(u), models.QueueFilter{})
		w.must(err)
		if want := u == dee; (q.Total == 1) != want {
			t.Errorf("%s's queue holds %d items", u.Name, q.Total)
		}
	}
	for _, u := range []*models.User{old, w.al} {
		if _, err := w.decide(u, out.Steps[0].ID, true, ""); !errors.Is(err, outlay.ErrNotFound) {
			t.Errorf("%s, outside the delegation's dates: %v", u.Name, err)
		}
	}
	res, err := w.decide(dee, out.Steps[0].ID, true, "For Max")
	if err != nil {
		t.Fatal(err)
	}
	if res.Step.ActedBy == nil || *res.Step.ActedBy != dee.ID || res.Step.OnBehalfOf == nil || *res.Step.OnBehalfOf != w.max.ID {
		t.Errorf("acted_by %v on_behalf_of %v", res.Step.ActedBy, res.Step.OnBehalfOf)
	}
	if s := w.status(r); s != models.RequisitionApproved {
		t.Errorf("status %s", s)
	}
}

func TestApprovalNeverByTheRequester(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	// Hana, head of Engineering, requests: the department-head step falls to her manager
	// (Max); a named step naming her falls to Max too (collapsed); and a role step she holds
	// stays open to the others with the role, never to her.
	w.must(w.db.Model(w.hana).Update("manager_id", w.max.ID).Error)
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepDepartmentHead},
		models.ApprovalRuleStep{Kind: models.StepUser, UserID: &w.hana.ID}, models.ApprovalRuleStep{Kind: models.StepRole, Role: ptr("approver")})
	r := w.requisition(w.hana, &w.eng, "USD", reqLine{&w.software, 1000})
	out := w.submit(r)
	if got := w.describe(out.Steps); got != "user:Max Manager/pending, role:approver/waiting" {
		t.Fatalf("route %s", got)
	}
	// The step fell to Max as Hana's manager, and says so: he heads nothing.
	if out.Steps[0].Kind != models.StepManager {
		t.Errorf("the escalated head's step is of kind %q", out.Steps[0].Kind)
	}
	// Hana delegated to by Max still cannot act on her own request.
	w.must(w.db.Create(&models.ApprovalDelegation{UserID: w.max.ID, DelegateID: w.hana.ID, StartsOn: time.Now(), EndsOn: time.Now()}).Error)
	if _, err := w.decide(w.hana, out.Steps[0].ID, true, ""); !errors.Is(err, models.ErrOwnDocument) {
		t.Errorf("self-approval as a delegate: %v", err)
	}
	q, err := models.ApprovalQueue(context.Background(), w.db, viewer(w.hana), models.QueueFilter{})
	w.must(err)
	if q.Total != 0 {
		t.Errorf("Hana's queue shows her own request")
	}
	if _, err := w.decide(w.max, out.Steps[0].ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.decide(w.hana, out.Steps[1].ID, true, ""); !errors.Is(err, models.ErrOwnDocument) {
		t.Errorf("self-approval through a role: %v", err)
	}
	if _, err := w.decide(w.al, out.Steps[1].ID, true, ""); err != nil {
		t.Errorf("another approver through the role: %v", err)
	}

	// No manager to escalate to: the step goes to the admins.
	lone := w.user("lone@acme.example", "Lone Head", nil, "approver")
	w.must(w.db.Model(&w.sales).Update("head_id", lone.ID).Error)
	w.sales.HeadID = &lone.ID
	r2 := w.requisition(lone, &w.sales, "USD", reqLine{nil, 1000})
	if got := w.describe(w.submit(r2).Steps); got != "role:admin/pending, user:Hana Head/waiting, role:approver/waiting" {
		t.Errorf("escalated without a manager: %s", got)
	}
}

func TestApprovalNonRoutedApproverCannotAct(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	out := w.submit(r)
	if _, err := w.decide(w.al, out.Steps[0].ID, true, ""); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("approver not routed: %v", err)
	}
	if _, err := w.decide(w.admin, out.Steps[0].ID, false, "no"); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("admin not routed: %v", err)
	}
	if _, err := models.QueueStep(context.Background(), w.db, viewer(w.al), out.Steps[0].ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("queue step for someone not routed: %v", err)
	}
	if _, err := models.ApprovalStepDetails(context.Background(), w.db, viewer(w.al), out.Steps[0].ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("details for someone not routed: %v", err)
	}
	if _, err := w.decide(w.al, 999999, true, ""); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("no such step: %v", err)
	}
	if s := w.status(r); s != models.RequisitionPending {
		t.Errorf("status %s", s)
	}
	q, err := models.ApprovalQueue(context.Background(), w.db, viewer(w.max), models.QueueFilter{Search: *r.Number})
	w.must(err)
	if q.Total != 1 || q.Items[0].Number != *r.Number || q.Items[0].RequesterName != "Rita Requester" || q.Items[0].Total().String() != "$10.00" {
		t.Errorf("Max's queue: %+v", q)
	}
	if n, _ := models.QueueCount(context.Background(), w.db, viewer(w.max)); n != 1 {
		t.Errorf("Max's count %d", n)
	}
	for name, f := range map[string]models.QueueFilter{
		"other department": {DepartmentID: w.sales.ID},
		"higher amount":    {MinAmountMinor: 1001},
		"other search":     {Search: "nothing like it"},
		"other kind":       {DocType: "expense"},
	} {
		q, err := models.ApprovalQueue(context.Background(), w.db, viewer(w.max), f)
		w.must(err)
		if q.Total != 0 {
			t.Errorf("filter %s kept %d", name, q.Total)
		}
	}
}

// budgetWorld: Engineering's Software budget is $5,000 this year; $400 of a $1,000 order
// has arrived (spent $400, committed $600) and a $2,000 requisition is approved but not
// ordered (committed). A $3,000 request leaves -$1,000.
func (w *approvalWorld) budgetWorld() {
	year := time.Now().Year()
	w.must(w.db.Create(&models.Budget{DepartmentID: w.eng.ID, GLAccountID: w.software.ID, AmountMinor: 500000, Currency: "USD",
		PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)}).Error)
	approved := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 200000})
	w.must(w.db.Model(approved).Updates(map[string]any{"number": "REQ-T1", "status": models.RequisitionApproved, "decided_at": time.Now()}).Error)
	ordered := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 100000})
	w.must(w.db.Model(ordered).Updates(map[string]any{"number": "REQ-T2", "status": models.RequisitionOrdered, "decided_at": time.Now()}).Error)
	po := models.PurchaseOrder{Number: "PO-T1", RequisitionID: ordered.ID, VendorID: w.vendor.ID, Currency: "USD",
		SubtotalMinor: 100000, TotalMinor: 100000, Status: models.POPartiallyReceived, CreatedBy: w.admin.ID}
	w.must(w.db.Create(&po).Error)
	w.must(w.db.Create(&models.PurchaseOrderLine{PurchaseOrderID: po.ID, Position: 1, Description: "Seats", QuantityMilli: 10000,
		UnitPriceMinor: 10000, GLAccountID: &w.software.ID, AmountMinor: 100000, ReceivedMilli: 4000}).Error)
	// Spend elsewhere does not count: another department, another GL account, a cancelled order.
	other := w.requisition(w.rita, &w.sales, "USD", reqLine{&w.software, 900000})
	w.must(w.db.Model(other).Updates(map[string]any{"number": "REQ-T3", "status": models.RequisitionApproved, "decided_at": time.Now()}).Error)
}

func TestApprovalBudgetWarnAndBlock(t *testing.T) {
	t.Parallel()
	for _, check := range []string{models.BudgetCheckWarn, models.BudgetCheckBlock} {
		t.Run(check, func(t *testing.T) {
			w := newApprovalWorld(t)
			w.budgetWorld()
			w.rule(models.ApprovalRule{Priority: 1, BudgetCheck: models.BudgetCheckNone}, models.ApprovalRuleStep{Kind: models.StepManager})
			w.rule(models.ApprovalRule{Priority: 2, BudgetCheck: check}, models.ApprovalRuleStep{Kind: models.StepDepartmentHead})
			r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 300000}, reqLine{&w.travel, 100})
			out := w.submit(r)
			if _, err := w.decide(w.max, out.Steps[0].ID, true, ""); err != nil {
				t.Fatal(err)
			}
			res, err := w.decide(w.hana, out.Steps[1].ID, true, "")
			if check == models.BudgetCheckBlock {
				var over *models.BudgetExceededError
				if !errors.As(err, &over) || !errors.Is(err, outlay.ErrConflict) {
					t.Fatalf("block: %v", err)
				}
				for _, want := range []string{"budget $5,000.00", "spent $400.00", "committed $2,600.00", "this request $3,000.00", "remaining -$1,000.00"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("message %q lacks %q", err, want)
					}
				}
				if s := w.status(r); s != models.RequisitionPending {
					t.Errorf("blocked requisition is %s", s)
				}
				if got := w.describe(w.steps(r, 1)); got != "user:Max Manager/approved, user:Hana Head/pending" {
					t.Errorf("blocked route %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !res.OverBudget || len(res.Budget) != 1 || res.DocStatus != models.StepApproved {
				t.Fatalf("warn: %+v", res)
			}
			b := res.Budget[0]
			if b.Budget.Minor != 500000 || b.Spent.Minor != 40000 || b.Committed.Minor != 260000 || b.ThisDocument.Minor != 300000 || b.Remaining.Minor != -100000 || b.GLCode != "6000" {
				t.Errorf("figures %+v", b)
			}
			if s := w.status(r); s != models.RequisitionApproved {
				t.Errorf("warned requisition is %s", s)
			}
		})
	}
}

// Many approvers holding the role click approve on the same step at once: exactly one
// decision counts, the others learn who made it, and the audit log holds one decision.
func TestApprovalRaceExactlyOneWins(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	w.rule(models.ApprovalRule{Priority: 1}, models.ApprovalRuleStep{Kind: models.StepRole, Role: ptr("approver")})
	const n = 8
	approvers := make([]*models.User, n)
	for i := range approvers {
		approvers[i] = w.user(fmt.Sprintf("a%d@acme.example", i), fmt.Sprintf("Approver %d", i), nil, "approver")
	}
	for round := 0; round < 3; round++ {
		r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
		step := w.submit(r).Steps[0]
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range approvers {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				_, errs[i] = w.decide(approvers[i], step.ID, i%2 == 0, "race")
			}(i)
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: both %d and %d won", round, winner, i)
				}
				winner = i
			case !errors.Is(err, outlay.ErrConflict):
				t.Errorf("round %d, approver %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody won: %v", round, errs)
		}
		for i, err := range errs {
			if i != winner && !strings.Contains(err.Error(), approvers[winner].Name+" already") {
				t.Errorf("loser %d told %q, not the winner's name", i, err)
			}
		}
		var got models.ApprovalStep
		w.must(w.db.First(&got, step.ID).Error)
		if got.ActedBy == nil || *got.ActedBy != approvers[winner].ID {
			t.Errorf("step acted by %v, winner %d", got.ActedBy, approvers[winner].ID)
		}
		var audits []struct {
			ActorID int64
			Changed string
		}
		w.must(w.db.Raw(`SELECT actor_id, array_to_string(changed, ',') AS changed FROM audit_log
			WHERE table_name = 'approval_steps' AND record_id = ? AND action = 'update'`, fmt.Sprint(step.ID)).Scan(&audits).Error)
		if len(audits) != 1 || audits[0].ActorID != approvers[winner].ID || !strings.Contains(audits[0].Changed, "status") {
			t.Errorf("audit rows for the step: %+v", audits)
		}
		var reqAudits int64
		w.must(w.db.Raw(`SELECT count(*) FROM audit_log WHERE table_name = 'requisitions' AND record_id = ? AND action = 'update'
			AND actor_id = ?`, fmt.Sprint(r.ID), approvers[winner].ID).Scan(&reqAudits).Error)
		if reqAudits != 1 {
			t.Errorf("requisition decided %d times in the audit log", reqAudits)
		}
	}
}

func TestApprovalDelegationRules(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	ctx := as(w.max)
	today := time.Now().Truncate(24 * time.Hour)
	day := func(n int) time.Time { return today.AddDate(0, 0, n) }
	for name, c := range map[string]struct {
		in    models.NewDelegation
		field string
	}{
		"to oneself":        {models.NewDelegation{DelegateID: w.max.ID, StartsOn: day(0), EndsOn: day(1)}, "delegate"},
		"to nobody":         {models.NewDelegation{StartsOn: day(0), EndsOn: day(1)}, "delegate"},
		"to someone absent": {models.NewDelegation{DelegateID: 999999, StartsOn: day(0), EndsOn: day(1)}, "delegate"},
		"ends before start": {models.NewDelegation{DelegateID: w.al.ID, StartsOn: day(2), EndsOn: day(1)}, "ends_on"},
		"already over":      {models.NewDelegation{DelegateID: w.al.ID, StartsOn: day(-5), EndsOn: day(-1)}, "ends_on"},
		"no dates":          {models.NewDelegation{DelegateID: w.al.ID}, "starts_on"},
		"for good":          {models.NewDelegation{DelegateID: w.al.ID, StartsOn: day(0), EndsOn: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}, "ends_on"},
	} {
		_, err := models.SetDelegation(ctx, w.db, w.max.ID, c.in, today)
		if v, ok := outlay.AsValidation(err); !ok || v[c.field] == "" {
			t.Errorf("%s: %v, want a message on %s", name, err, c.field)
		}
	}
	d, err := models.SetDelegation(ctx, w.db, w.max.ID, models.NewDelegation{DelegateID: w.al.ID, StartsOn: day(0), EndsOn: day(3)}, today)
	if err != nil {
		t.Fatal(err)
	}
	// An overlapping period is refused; a later one is fine.
	if _, err := models.SetDelegation(ctx, w.db, w.max.ID, models.NewDelegation{DelegateID: w.hana.ID, StartsOn: day(3), EndsOn: day(5)}, today); err == nil {
		t.Error("overlapping delegation accepted")
	}
	if _, err := models.SetDelegation(ctx, w.db, w.max.ID, models.NewDelegation{DelegateID: w.hana.ID, StartsOn: day(4), EndsOn: day(5)}, today); err != nil {
		t.Errorf("later delegation: %v", err)
	}
	given, received, err := models.Delegations(context.Background(), w.db, w.max.ID)
	if err != nil || len(given) != 2 || len(received) != 0 || given[0].DelegateName != "Al Approver" || !given[0].Current(time.Now()) {
		t.Errorf("Max's delegations %+v %+v %v", given, received, err)
	}
	// Al, who approves for Max those days, may not hand his own to Max for any of them: each
	// would be away standing in for the other, and nobody present would cover either.
	_, err = models.SetDelegation(as(w.al), w.db, w.al.ID, models.NewDelegation{DelegateID: w.max.ID, StartsOn: day(2), EndsOn: day(6)}, today)
	if v, ok := outlay.AsValidation(err); !ok || !strings.Contains(v["delegate"], "Max Manager is away") {
		t.Errorf("Al delegating to Max, who delegates to him: %v", err)
	}
	if _, err := models.SetDelegation(as(w.al), w.db, w.al.ID, models.NewDelegation{DelegateID: w.max.ID, StartsOn: day(6), EndsOn: day(7)}, today); err != nil {
		t.Errorf("Al delegating to Max once Max is back: %v", err)
	}
	// Hana, who stands in for Max on days 4 and 5, may not hand her own approvals on for
	// any of them: Max's steps would go to her, away.
	_, err = models.SetDelegation(as(w.hana), w.db, w.hana.ID, models.NewDelegation{DelegateID: w.al.ID, StartsOn: day(5), EndsOn: day(5)}, today)
	if v, ok := outlay.AsValidation(err); !ok || !strings.Contains(v["starts_on"], "You stand in for Max Manager") {
		t.Errorf("Hana delegating while she stands in for Max: %v", err)
	}
	// Two years ahead is the last day a delegation may run to.
	if _, err := models.SetDelegation(as(w.hana), w.db, w.hana.ID, models.NewDelegation{DelegateID: w.al.ID, StartsOn: day(20), EndsOn: today.AddDate(2, 0, 0)}, today); err != nil {
		t.Errorf("a delegation to the last day allowed: %v", err)
	}
	if err := models.ClearDelegation(as(w.al), w.db, w.al.ID, d.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("Al clears Max's delegation: %v", err)
	}
	if err := models.ClearDelegation(ctx, w.db, w.max.ID, d.ID); err != nil {
		t.Errorf("Max clears his delegation: %v", err)
	}
}

// An approver deactivated while a step waits for them: the step falls to the admins, who
// act on that person's behalf.
func TestApprovalStepOfADeactivatedApproverFallsToAdmins(t *testing.T) {
	t.Parallel()
	w := newApprovalWorld(t)
	r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
	step := w.submit(r).Steps[0]
	if q, _ := models.ApprovalQueue(context.Background(), w.db, viewer(w.admin), models.QueueFilter{}); q.Total != 0 {
		t.Fatalf("the admin's queue holds Max's step while he is active")
	}
	if _, err := w.decide(w.admin, step.ID, true, ""); !errors.Is(err, outlay.ErrNotFound) {
		t.Fatalf("admin decides an active approver's step: %v", err)
	}
	w.must(models.DeactivateUser(context.Background(), w.db, models.ByOperator(), w.max.ID))
	if q, _ := models.ApprovalQueue(context.Background(), w.db, viewer(w.admin), models.QueueFilter{}); q.Total != 1 {
		t.Fatalf("the admin's queue holds %d steps, want Max's", q.Total)
	}
	res, err := w.decide(w.admin, step.ID, true, "Max has left")
	if err != nil || res.Step.OnBehalfOf == nil || *res.Step.OnBehalfOf != w.max.ID {
		t.Fatalf("admin approves for Max: %+v %v", res.Step, err)
	}
}

// A request in another currency than its budget cannot be checked against it without
// exchange rates: a warning rule approves it and says so, a blocking rule refuses it.
func TestApprovalBudgetInAnotherCurrencyIsNotCheckable(t *testing.T) {
	t.Parallel()
	for _, check := range []string{models.BudgetCheckWarn, models.BudgetCheckBlock} {
		t.Run(check, func(t *testing.T) {
			w := newApprovalWorld(t)
			w.budgetWorld() // Engineering's Software budget is in USD
			w.rule(models.ApprovalRule{Priority: 1, BudgetCheck: check}, models.ApprovalRuleStep{Kind: models.StepManager})
			r := w.requisition(w.rita, &w.eng, "EUR", reqLine{&w.software, 100})
			out := w.submit(r)
			res, err := w.decide(w.max, out.Steps[0].ID, true, "")
			if check == models.BudgetCheckBlock {
				var blocked *models.BudgetExceededError
				if !errors.As(err, &blocked) || !strings.Contains(err.Error(), "kept in USD and this request is in EUR, so it cannot be checked") {
					t.Fatalf("block: %v", err)
				}
				if s := w.status(r); s != models.RequisitionPending {
					t.Errorf("blocked requisition is %s", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !res.OverBudget || len(res.Budget) != 1 || !res.Budget[0].Unchecked || res.Budget[0].Over() || res.DocStatus != models.StepApproved {
				t.Fatalf("warn: %+v", res)
			}
			if b := res.Budget[0]; b.Budget.Currency != "USD" || b.ThisDocument.Currency != "EUR" || b.ThisDocument.Minor != 100 {
				t.Errorf("figures %+v", b)
			}
		})
	}
}
