package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views"
	"outlay/views/approvalrules"
	"outlay/views/approvals"
)

var (
	rulesCreate = policy.Permission{Object: outlay.ObjApprovalRules, Action: outlay.ActCreate}
	rulesUpdate = policy.Permission{Object: outlay.ObjApprovalRules, Action: outlay.ActUpdate}
)

// ruleNames resolves the names a rule list or form shows.
type ruleNames struct {
	departments, glAccounts, people, vendors map[int64]string
	roles                                    map[string]string // labels by name
}

// nameRulePicks resolves the vendors and people that rules name (people who are
// deactivated are left out, and shown as such).
func (n *ruleNames) nameRulePicks(ctx context.Context, db *gorm.DB, rules []models.ApprovalRule) error {
	var vendors, people []int64
	for _, r := range rules {
		if r.VendorID != nil {
			vendors = append(vendors, *r.VendorID)
		}
		for _, st := range r.Steps {
			if st.UserID != nil {
				people = append(people, *st.UserID)
			}
		}
	}
	var err error
	if n.vendors, err = models.VendorNames(ctx, db, vendors); err != nil {
		return err
	}
	n.people, err = models.CurrentPeopleNames(ctx, db, people)
	return err
}

// nameFormPicks shows the vendor and the people a rule form names by their names.
func nameFormPicks(c *fiber.Ctx, f *approvalrules.Form) error {
	var err error
	if f.VendorName, err = chosenVendor(c, f.Vendor); err != nil {
		return err
	}
	f.VendorName = typedText(c, "vendor", f.VendorName)
	for i := range f.Steps {
		if f.Steps[i].UserName, err = chosenPerson(c, f.Steps[i].User); err != nil {
			return err
		}
		if f.Steps[i].UserName == "" {
			f.Steps[i].UserName = f.Steps[i].UserText
		}
	}
	return nil
}

func loadRuleChoices(ctx context.Context, db *gorm.DB, f *approvalrules.Form) (ruleNames, error) {
	n := ruleNames{departments: map[int64]string{}, glAccounts: map[int64]string{}, people: map[int64]string{}, vendors: map[int64]string{},
		roles: map[string]string{}}
	depts, err := models.Departments(ctx, db)
	if err != nil {
		return n, err
	}
	for _, d := range depts {
		n.departments[d.ID] = d.Name
		f.Departments = append(f.Departments, approvalrules.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	gls, err := models.ActiveGLAccounts(ctx, db)
	if err != nil {
		return n, err
	}
	for _, g := range gls {
		n.glAccounts[g.ID] = g.Code
		f.GLAccounts = append(f.GLAccounts, approvalrules.Option{Value: strconv.FormatInt(g.ID, 10), Label: g.Code + " " + g.Name})
	}
	for _, m := range models.PaymentMethods {
		f.PaymentMethods = append(f.PaymentMethods, approvalrules.Option{Value: m, Label: models.PaymentMethodLabel(m)})
	}
	roles, err := models.RoleSummaries(ctx, db)
	if err != nil {
		return n, err
	}
	for _, r := range roles {
		n.roles[r.Name] = r.Label
		f.Roles = append(f.Roles, approvalrules.Option{Value: r.Name, Label: r.Label})
	}
	for _, k := range models.ApprovableKinds() {
		f.DocTypes = append(f.DocTypes, approvalrules.Option{Value: k.Type, Label: k.Label})
	}
	for _, c := range money.Offered(f.Currency) {
		f.Currencies = append(f.Currencies, approvalrules.Option{Value: c, Label: c})
	}
	return n, nil
}

// stepText says who a rule step asks for.
func (n ruleNames) stepText(s models.ApprovalRuleStep) string {
	switch s.Kind {
	case models.StepUser:
		if s.UserID != nil {
			if name, ok := n.people[*s.UserID]; ok {
				return name
			}
		}
		return "A named person (deactivated)"
	case models.StepRole:
		role := stepRole(s.Role)
		if label, ok := n.roles[role]; ok {
			role = label
		}
		return "Anyone with the role " + role
	}
	return stepKindLabel(s.Kind)
}

// stepRole is a step's role, or "" for steps of other kinds.
func stepRole(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Server) approvalRulesPage(c *fiber.Ctx) error {
	l, err := approvalRuleList(c)
	if err != nil {
		return err
	}
	l.CanCreate, l.ExportURL = s.can(c, rulesCreate), exportURL(c, approvalrules.ListPath)
	return s.render(c, http.StatusOK, page{Title: "Approval rules", Nav: approvalrules.ListPath, Content: approvalrules.ListPage(l)})
}

// approvalRuleList reads the rules the address asks for (current, or archived), grouped by
// kind of document in priority order, as the list shows them: the page and its export read
// them here.
func approvalRuleList(c *fiber.Ctx) (approvalrules.List, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	l := approvalrules.List{Archived: c.Query("archived") == "1"}
	rules, err := models.ListApprovalRules(ctx, db, l.Archived)
	if err != nil {
		return l, err
	}
	names, err := loadRuleChoices(ctx, db, &approvalrules.Form{})
	if err != nil {
		return l, err
	}
	if err := names.nameRulePicks(ctx, db, rules); err != nil {
		return l, err
	}
	l.Total = len(rules)
	for _, r := range rules {
		if len(l.Groups) == 0 || l.Groups[len(l.Groups)-1].Label != approvals.DocTypeLabel(r.DocType) {
			l.Groups = append(l.Groups, approvalrules.Group{Label: approvals.DocTypeLabel(r.DocType)})
		}
		row := approvalrules.Row{ID: r.ID, Name: r.Name, Priority: r.Priority, BudgetCheck: r.BudgetCheck, Active: r.Active,
			Conditions: r.Describe(idName(names.departments, r.DepartmentID), idName(names.glAccounts, r.GLAccountID), idName(names.vendors, r.VendorID))}
		for _, st := range r.Steps {
			row.Steps = append(row.Steps, names.stepText(st))
		}
		g := &l.Groups[len(l.Groups)-1]
		g.Rows = append(g.Rows, row)
	}
	return l, nil
}

// approvalRuleExport exports the rules list, current or archived as it shows them.
var approvalRuleExport = &listExport{name: "approval-rules",
	columns: cols("id", "ID", "doc_type", "Document type", "priority", "Priority", "name", "Name", "conditions", "Conditions",
		"steps", "Steps", "budget_check", "Budget check", "status", "Status"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		// The rules are few and read whole, with the names their conditions and steps show.
		l, err := approvalRuleList(c)
		return func(emit func(...any) error) (int, error) {
			n := 0
			for _, g := range l.Groups {
				for _, r := range g.Rows {
					if err := emit(r.ID, g.Label, r.Priority, r.Name, r.Conditions, strings.Join(r.Steps, "; "),
						approvalrules.BudgetCheckLabel(r.BudgetCheck), r.StatusLabel(l.Archived)); err != nil {
						return n, err
					}
					n++
				}
			}
			return n, nil
		}, err
	},
}

func idName(names map[int64]string, id *int64) string {
	if id == nil {
		return ""
	}
	if n, ok := names[*id]; ok {
		return n
	}
	return "#" + strconv.FormatInt(*id, 10)
}

// ruleForm fills the form from a stored rule.
func ruleForm(r *models.ApprovalRule) approvalrules.Form {
	f := approvalrules.Form{ID: r.ID, DocType: r.DocType, Name: r.Name, Priority: strconv.Itoa(r.Priority), Currency: r.Currency,
		Department: idText(r.DepartmentID), GLAccount: idText(r.GLAccountID), BudgetCheck: r.BudgetCheck, Active: r.Active,
		Errors: views.FieldErrors{}, RecordVersion: views.RecordVersion{Version: models.VersionAt(r.UpdatedAt)}}
	f.Vendor = idText(r.VendorID)
	if r.PaymentMethod != nil {
		f.PaymentMethod = *r.PaymentMethod
	}
	if r.Held != nil && *r.Held {
		f.Match = models.RuleHeld
	} else if r.Held != nil {
		f.Match = models.RuleMatched
	}
	if r.MinVarianceBP != nil {
		f.MinVariance = money.FormatRate(*r.MinVarianceBP)
	}
	if r.MinAmountMinor != nil {
		f.MinAmount = money.Money{Minor: *r.MinAmountMinor, Currency: r.Currency}.Plain()
	}
	if r.MaxAmountMinor != nil {
		f.MaxAmount = money.Money{Minor: *r.MaxAmountMinor, Currency: r.Currency}.Plain()
	}
	for _, st := range r.Steps {
		f.Steps = append(f.Steps, approvalrules.StepRow{Kind: st.Kind, User: idText(st.UserID), Role: stepRole(st.Role)})
	}
	return f
}

// bindRuleForm reads the rule form as typed.
func bindRuleForm(c *fiber.Ctx, id int64) approvalrules.Form {
	f := approvalrules.Form{ID: id, Errors: views.FieldErrors{}}
	bindForm(c, &f)
	return f
}

// bindTypedRuleForm is the rule form as saved: a vendor's or a step's person's name typed
// and not chosen is the one it names (typedChoice), or refused beside its field.
func (s *Server) bindTypedRuleForm(c *fiber.Ctx, id int64) (approvalrules.Form, error) {
	f := bindRuleForm(c, id)
	if err := s.typedChoice(c, f.Errors, "vendor", approvalrules.VendorLookupPath, &f.Vendor); err != nil {
		return f, err
	}
	_, shown := formPosted(c, "step_user_shown") // every row sends one, or none does
	for i := range f.Steps {
		if f.Steps[i].Kind == models.StepUser {
			var was *string
			if shown {
				was = &f.Steps[i].UserShown
			}
			if err := s.chooseTyped(c, f.Errors, models.StepField(i, "user"), approvalrules.PersonLookupPath, f.Steps[i].UserText, was, &f.Steps[i].User); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

// ruleInput maps the form onto what the model validates.
func ruleInput(f approvalrules.Form) models.RuleInput {
	in := models.RuleInput{FormVersion: models.FormVersion{Version: f.Version}, DocType: f.DocType, Name: f.Name, Priority: f.Priority,
		Currency: f.Currency, MinAmount: f.MinAmount, MaxAmount: f.MaxAmount, BudgetCheck: f.BudgetCheck, Active: f.Active,
		DepartmentID: formID(f.Errors, "department", f.Department), GLAccountID: formID(f.Errors, "gl_account", f.GLAccount),
		VendorID: formID(f.Errors, "vendor", f.Vendor), Match: f.Match, MinVariance: f.MinVariance, PaymentMethod: f.PaymentMethod}
	for i, st := range f.Steps {
		step := models.RuleStepInput{Kind: st.Kind, Role: st.Role}
		if st.Kind == models.StepUser {
			step.UserID = formID(f.Errors, models.StepField(i, "user"), st.User)
		}
		in.Steps = append(in.Steps, step)
	}
	return in
}

// formID reads a select's id: "" chooses nothing; anything else must be a positive number.
func formID(errs views.FieldErrors, field, value string) *int64 {
	if value == "" {
		return nil
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n <= 0 {
		errs[field] = "Choose from the list."
		return nil
	}
	return &n
}

func (s *Server) newApprovalRulePage(c *fiber.Ctx) error {
	settings, err := models.Settings(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	f := approvalrules.Form{DocType: models.DocRequisition, Priority: "100", Currency: settings.DefaultCurrency,
		BudgetCheck: models.BudgetCheckWarn, Active: true, Steps: []approvalrules.StepRow{{Kind: models.StepManager}}, Errors: views.FieldErrors{}}
	return s.renderRuleForm(c, http.StatusOK, f, false)
}

func (s *Server) renderRuleForm(c *fiber.Ctx, status int, f approvalrules.Form, archived bool) error {
	f.CSRF = s.csrfToken(c)
	f.CanSave = !archived && ((f.ID == 0 && s.can(c, rulesCreate)) || (f.ID != 0 && s.can(c, rulesUpdate)))
	if _, err := loadRuleChoices(c.UserContext(), tenantDB(c), &f); err != nil {
		return err
	}
	if err := nameFormPicks(c, &f); err != nil {
		return err
	}
	title := "New approval rule"
	if f.ID != 0 {
		title = f.Name
	}
	p := page{Title: title, Nav: approvalrules.ListPath, Content: approvalrules.FormPage(f, archived),
		Partials: partials{approvalrules.FormID: approvalrules.RuleForm(f), approvalrules.StepsID: approvalrules.StepsFieldset(f)}}
	return s.render(c, status, p)
}

// ruleSteps re-renders the steps of a form being edited, with one step added, removed or
// moved. Nothing is saved.
func (s *Server) ruleSteps(c *fiber.Ctx) error {
	f := bindRuleForm(c, 0)
	i := c.QueryInt("index", -1)
	op := c.Query("op")
	switch {
	case op == "add":
		f.Steps = append(f.Steps, approvalrules.StepRow{})
	case op == "remove" && i >= 0 && i < len(f.Steps):
		f.Steps = append(f.Steps[:i], f.Steps[i+1:]...)
	case op == "up" && i > 0 && i < len(f.Steps):
		f.Steps[i-1], f.Steps[i] = f.Steps[i], f.Steps[i-1]
	case op == "down" && i >= 0 && i < len(f.Steps)-1:
		f.Steps[i], f.Steps[i+1] = f.Steps[i+1], f.Steps[i]
	default:
		op = ""
	}
	f.Focus = approvalrules.StepFocus(op, i, len(f.Steps))
	if _, err := loadRuleChoices(c.UserContext(), tenantDB(c), &f); err != nil {
		return err
	}
	if err := nameFormPicks(c, &f); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, page{Content: approvalrules.StepsFieldset(f)})
}

func (s *Server) createApprovalRule(c *fiber.Ctx) error {
	f, err := s.bindTypedRuleForm(c, 0)
	if err != nil {
		return err
	}
	in := ruleInput(f)
	if len(f.Errors) == 0 {
		r, err := models.CreateApprovalRule(c.UserContext(), tenantDB(c), in)
		if err := addRuleErrors(f, err); err != nil {
			return err
		}
		if len(f.Errors) == 0 {
			s.setFlash(c, "success", fmt.Sprintf("Created the rule “%s”.", r.Name))
			return redirect(c, approvalrules.ListPath)
		}
	}
	return s.renderRuleForm(c, http.StatusUnprocessableEntity, f, false)
}

// addRuleErrors puts a refusal's messages beside the fields, or returns the error if it is
// not a refusal.
func addRuleErrors(f approvalrules.Form, err error) error {
	return f.Errors.Absorb(err)
}

// ruleFromPath loads the rule the URL names.
func ruleFromPath(c *fiber.Ctx) (*models.ApprovalRule, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, outlay.ErrNotFound
	}
	return models.GetApprovalRule(c.UserContext(), tenantDB(c), id)
}

func (s *Server) approvalRulePage(c *fiber.Ctx) error {
	r, err := ruleFromPath(c)
	if err != nil {
		return err
	}
	return s.renderRuleForm(c, http.StatusOK, ruleForm(r), r.ArchivedAt != nil)
}

func (s *Server) updateApprovalRule(c *fiber.Ctx) error {
	r, err := ruleFromPath(c)
	if err != nil {
		return err
	}
	f, err := s.bindTypedRuleForm(c, r.ID)
	if err != nil {
		return err
	}
	f.DocType = r.DocType
	in := ruleInput(f)
	if len(f.Errors) == 0 {
		err := models.UpdateApprovalRule(c.UserContext(), tenantDB(c), r.ID, in)
		f.RecordVersion = shownVersion(f.Version, err, approvalrules.RulePath(r.ID))
		if err := addRuleErrors(f, err); err != nil {
			return err
		}
		if len(f.Errors) == 0 {
			s.setFlash(c, "success", fmt.Sprintf("Saved the rule “%s”.", strings.TrimSpace(f.Name)))
			return redirect(c, approvalrules.ListPath)
		}
	}
	return s.renderRuleForm(c, http.StatusUnprocessableEntity, f, false)
}

func (s *Server) archiveApprovalRule(c *fiber.Ctx) error {
	r, err := ruleFromPath(c)
	if err != nil {
		return err
	}
	if err := models.ArchiveApprovalRule(c.UserContext(), tenantDB(c), r.ID); err != nil {
		return err
	}
	s.setFlash(c, "success", fmt.Sprintf("Archived the rule “%s”: new documents no longer match it.", r.Name))
	return redirect(c, approvalrules.ListPath)
}

func (s *Server) approvalRuleHistory(c *fiber.Ctx) error {
	r, err := ruleFromPath(c)
	if err != nil {
		return err
	}
	return s.history(c, approvalrules.ListPath, "History of the rule "+r.Name, approvalrules.RulePath(r.ID), "Back to the rule",
		models.RecordHistory{Table: "approval_rules", RecordID: c.Params("id"), RelatedTable: "approval_rule_steps", RelatedKey: "rule_id"})
}
