package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/money"
)

// RuleInput is a rule as an admin typed it: amounts and priority are text, read here in the
// rule's currency so that errors land beside their fields.
type RuleInput struct {
	FormVersion  // of the rule edited, as its form was read
	DocType      string
	Name         string
	Priority     string
	DepartmentID *int64
	GLAccountID  *int64
	Currency     string
	MinAmount    string
	MaxAmount    string
	BudgetCheck  string
	Active       bool
	Steps        []RuleStepInput
	// Bill conditions: the vendor, the match (RuleHeld, RuleMatched or "" for either) and the
	// least price variance in percent ("5", "2.5"; "" for any).
	VendorID    *int64
	Match       string
	MinVariance string
	// Payment condition: the method a run is paid by ("" for any).
	PaymentMethod string
}

// The match conditions of a bill approval rule (RuleInput.Match).
const (
	RuleHeld    = "held"
	RuleMatched = "matched"
)

// RuleStepInput is one step as typed; a step with no kind is a blank row and is dropped.
type RuleStepInput struct {
	Kind   string
	UserID *int64
	Role   string
}

// StepField names the form field of one of step i's inputs ("steps.2.user"), for errors.
func StepField(i int, input string) string { return "steps." + strconv.Itoa(i) + "." + input }

// ListApprovalRules lists rules by document type and priority, each with its steps; archived
// ones only when asked.
func ListApprovalRules(ctx context.Context, db *gorm.DB, archived bool) ([]ApprovalRule, error) {
	tx := db.WithContext(ctx)
	var rules []ApprovalRule
	q := tx.Order("doc_type, priority, id")
	if archived {
		q = q.Where("archived_at IS NOT NULL")
	} else {
		q = q.Where("archived_at IS NULL")
	}
	if err := q.Find(&rules).Error; err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return rules, nil
	}
	ids := make([]int64, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	var steps []ApprovalRuleStep
	if err := tx.Where("rule_id IN ?", ids).Order("rule_id, position").Find(&steps).Error; err != nil {
		return nil, err
	}
	byRule := map[int64][]ApprovalRuleStep{}
	for _, s := range steps {
		byRule[s.RuleID] = append(byRule[s.RuleID], s)
	}
	for i := range rules {
		rules[i].Steps = byRule[rules[i].ID]
	}
	return rules, nil
}

// GetApprovalRule reads one rule with its steps.
func GetApprovalRule(ctx context.Context, db *gorm.DB, id int64) (*ApprovalRule, error) {
	tx := db.WithContext(ctx)
	var r ApprovalRule
	if err := tx.First(&r, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, outlay.NotFound("That approval rule does not exist.")
		}
		return nil, err
	}
	if err := tx.Where("rule_id = ?", id).Order("position").Find(&r.Steps).Error; err != nil {
		return nil, err
	}
	return &r, nil
}

// CreateApprovalRule validates and stores a new rule with its steps.
func CreateApprovalRule(ctx context.Context, db *gorm.DB, in RuleInput) (*ApprovalRule, error) {
	r := &ApprovalRule{}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		steps, err := applyRuleInput(tx, r, in)
		if err != nil {
			return err
		}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		return createRuleSteps(tx, r.ID, steps)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateApprovalRule validates and saves a rule, replacing its steps. Documents already
// routed keep the steps they were given. A form read before the rule last changed is
// refused (StaleFormError), steps and all.
func UpdateApprovalRule(ctx context.Context, db *gorm.DB, id int64, in RuleInput) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r ApprovalRule
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&r, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return outlay.NotFound("That approval rule does not exist.")
			}
			return err
		}
		if r.ArchivedAt != nil {
			return outlay.Conflict("This rule is archived and can no longer be edited.")
		}
		if err := in.checkUnchanged("approval rule", r.UpdatedAt); err != nil {
			return err
		}
		steps, err := applyRuleInput(tx, &r, in)
		if err != nil {
			return err
		}
		r.UpdatedAt = time.Now()
		if err := tx.Model(&ApprovalRule{ID: id}).Select("name", "priority", "department_id", "gl_account_id", "currency",
			"min_amount_minor", "max_amount_minor", "vendor_id", "held", "min_variance_bp", "budget_check", "active", "updated_at").Updates(&r).Error; err != nil {
			return err
		}
		var old []ApprovalRuleStep
		if err := tx.Where("rule_id = ?", id).Find(&old).Error; err != nil {
			return err
		}
		// One by one, so that each removed step is its own audit row.
		for i := range old {
			if err := tx.Delete(&old[i]).Error; err != nil {
				return err
			}
		}
		return createRuleSteps(tx, id, steps)
	})
}

// ArchiveApprovalRule retires a rule: it routes nothing more and leaves the list.
func ArchiveApprovalRule(ctx context.Context, db *gorm.DB, id int64) error {
	now := time.Now()
	res := db.WithContext(ctx).Model(&ApprovalRule{ID: id}).Where("archived_at IS NULL").
		Updates(map[string]any{"archived_at": now, "active": false, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return outlay.NotFound("That approval rule does not exist or is already archived.")
	}
	return nil
}

func createRuleSteps(tx *gorm.DB, ruleID int64, steps []ApprovalRuleStep) error {
	for i := range steps {
		steps[i].RuleID, steps[i].Position = ruleID, i+1
		if err := tx.Create(&steps[i]).Error; err != nil {
			return err
		}
	}
	return nil
}

// applyRuleInput validates in and copies it onto r, returning the steps to store. Every
// problem is reported at once, each beside its field.
func applyRuleInput(tx *gorm.DB, r *ApprovalRule, in RuleInput) ([]ApprovalRuleStep, error) {
	verr := outlay.ValidationErrors{}
	in.Name = oneSpaced(in.Name)
	switch n := len([]rune(in.Name)); {
	case n == 0:
		verr.Add("name", "Enter a name, such as “Engineering over $10,000”.")
	case n > 200:
		verr.Add("name", tooLong("A rule's name", 200, n))
	default:
		checkOneLine(verr, "name", in.Name)
	}
	if r.ID == 0 {
		if k, ok := FindDocumentKind(in.DocType); !ok || k.Approval == nil {
			verr.Add("doc_type", "Choose a kind of document.")
		}
		r.DocType = in.DocType
	}
	priority, err := strconv.Atoi(strings.TrimSpace(in.Priority))
	if err != nil || priority < 0 || priority > 100000 {
		verr.Add("priority", "Enter a whole number from 0 to 100000; lower numbers come first.")
	}
	if !money.ValidCurrency(in.Currency) {
		verr.Add("currency", "Choose a currency.")
	}
	var minAmount, maxAmount *int64
	for _, a := range []struct {
		field, text string
		into        **int64
	}{{"min_amount", in.MinAmount, &minAmount}, {"max_amount", in.MaxAmount, &maxAmount}} {
		text := strings.TrimSpace(a.text)
		if text == "" || verr["currency"] != "" {
			continue
		}
		m, err := money.Parse(text, in.Currency)
		switch {
		case err != nil:
			verr.Add(a.field, err.Error())
		case m.Minor < 0:
			verr.Add(a.field, "Enter an amount of zero or more.")
		default:
			*a.into = &m.Minor
		}
	}
	if minAmount != nil && maxAmount != nil && *maxAmount <= *minAmount {
		verr.Add("max_amount", "The upper limit must be more than the lower one.")
	}
	switch in.BudgetCheck {
	case BudgetCheckNone, BudgetCheckWarn, BudgetCheckBlock:
	default:
		verr.Add("budget_check", "Choose what the budget check does.")
	}
	if err := checkRuleReferences(tx, verr, in); err != nil {
		return nil, err
	}
	held, minVariance := billRuleConditions(verr, in)
	switch {
	case in.PaymentMethod == "":
	case !slices.Contains(PaymentMethods, in.PaymentMethod):
		verr.Add("payment_method", "Choose a method from the list.")
	case in.DocType != DocPayment:
		verr.Add("payment_method", "Only payment rules can have this condition.")
	}
	if in.VendorID != nil {
		if err := checkActiveReference(tx, verr, "vendor", "vendors", *in.VendorID); err != nil {
			return nil, err
		}
	}
	steps, err := ruleSteps(tx, verr, in.Steps)
	if err != nil {
		return nil, err
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	r.Name, r.Priority, r.DepartmentID, r.GLAccountID, r.Currency = in.Name, priority, in.DepartmentID, in.GLAccountID, in.Currency
	r.MinAmountMinor, r.MaxAmountMinor, r.BudgetCheck, r.Active = minAmount, maxAmount, in.BudgetCheck, in.Active
	r.VendorID, r.Held, r.MinVarianceBP = in.VendorID, held, minVariance
	r.PaymentMethod = nil
	if in.PaymentMethod != "" {
		m := in.PaymentMethod
		r.PaymentMethod = &m
	}
	return steps, nil
}

// billRuleConditions reads the conditions only bills have: whether the match held the bill
// and the least price variance. They are refused on rules for other kinds, which have no
// match to compare.
func billRuleConditions(verr outlay.ValidationErrors, in RuleInput) (held *bool, minVariance *int) {
	docType := in.DocType
	bill := docType == DocBill
	switch in.Match {
	case "":
	case RuleHeld, RuleMatched:
		h := in.Match == RuleHeld
		held = &h
	default:
		verr.Add("match", "Choose held, matched or either.")
	}
	if t := strings.TrimSpace(in.MinVariance); t != "" {
		bp, err := money.ParseRate(t)
		if err != nil {
			verr.Add("min_variance", "Enter a percentage from 0 to 100, such as 5 or 2.5.")
		} else {
			minVariance = &bp
		}
	}
	if !bill {
		for field, set := range map[string]bool{"vendor": in.VendorID != nil, "match": held != nil, "min_variance": minVariance != nil} {
			if set {
				verr.Add(field, "Only bill rules can have this condition.")
			}
		}
	}
	return held, minVariance
}

// checkRuleReferences refuses a department or GL account that does not exist or is archived.
func checkRuleReferences(tx *gorm.DB, verr outlay.ValidationErrors, in RuleInput) error {
	for _, ref := range []struct {
		field, table string
		id           *int64
	}{{"department", "departments", in.DepartmentID}, {"gl_account", "gl_accounts", in.GLAccountID}} {
		if ref.id == nil {
			continue
		}
		if err := checkActiveReference(tx, verr, ref.field, ref.table, *ref.id); err != nil {
			return err
		}
	}
	return nil
}

// ruleSteps validates the typed steps, dropping blank rows.
func ruleSteps(tx *gorm.DB, verr outlay.ValidationErrors, in []RuleStepInput) ([]ApprovalRuleStep, error) {
	var out []ApprovalRuleStep
	for i, s := range in {
		step := ApprovalRuleStep{Kind: s.Kind}
		switch s.Kind {
		case "":
			continue
		case StepManager, StepDepartmentHead:
		case StepUser:
			if s.UserID == nil {
				verr.Add(StepField(i, "user"), "Choose the person who approves.")
				break
			}
			var active bool
			if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM users WHERE id = ? AND status <> ?)`, *s.UserID, UserDeactivated).Scan(&active).Error; err != nil {
				return nil, err
			}
			if !active {
				verr.Add(StepField(i, "user"), "Choose an active person from the list.")
			}
			step.UserID = s.UserID
		case StepRole:
			if s.Role == "" {
				verr.Add(StepField(i, "role"), "Choose the role that approves.")
				break
			}
			var known bool
			if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM roles WHERE name = ?)`, s.Role).Scan(&known).Error; err != nil {
				return nil, err
			}
			if !known {
				verr.Add(StepField(i, "role"), "Choose a role from the list.")
			}
			role := s.Role
			step.Role = &role
		default:
			verr.Add(StepField(i, "kind"), "Choose who approves this step.")
		}
		out = append(out, step)
	}
	if len(out) == 0 {
		verr.Add("steps", "Add at least one step.")
	}
	return out, nil
}

// Describe says a rule's conditions in words, with names for its department, GL account and
// vendor.
func (r ApprovalRule) Describe(department, glAccount, vendor string) string {
	var parts []string
	if vendor != "" {
		parts = append(parts, "vendor "+vendor)
	}
	if r.Held != nil && *r.Held {
		parts = append(parts, "held by its match")
	} else if r.Held != nil {
		parts = append(parts, "matched within tolerance")
	}
	if r.MinVarianceBP != nil {
		parts = append(parts, "a price "+money.FormatRate(*r.MinVarianceBP)+"% or more over the order")
	}
	if r.PaymentMethod != nil {
		parts = append(parts, "paid by "+PaymentMethodLabel(*r.PaymentMethod))
	}
	if department != "" {
		parts = append(parts, "department "+department)
	}
	if glAccount != "" {
		parts = append(parts, "a line on GL "+glAccount)
	}
	m := func(v int64) string { return money.Money{Minor: v, Currency: r.Currency}.String() }
	switch {
	case r.MinAmountMinor != nil && r.MaxAmountMinor != nil:
		parts = append(parts, fmt.Sprintf("total from %s up to %s", m(*r.MinAmountMinor), m(*r.MaxAmountMinor)))
	case r.MinAmountMinor != nil:
		parts = append(parts, "total "+m(*r.MinAmountMinor)+" or more")
	case r.MaxAmountMinor != nil:
		parts = append(parts, "total under "+m(*r.MaxAmountMinor))
	}
	if len(parts) == 0 {
		return "Every document"
	}
	return "When " + strings.Join(parts, ", ")
}

// checkActiveReference adds "Choose from the list." beside field unless the row id of table
// (a constant of this package, never input) exists and is not archived.
func checkActiveReference(tx *gorm.DB, verr outlay.ValidationErrors, field, table string, id int64) error {
	var ok bool
	if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = ? AND archived_at IS NULL)`, id).Scan(&ok).Error; err != nil {
		return err
	}
	if !ok {
		verr.Add(field, "Choose from the list.")
	}
	return nil
}
