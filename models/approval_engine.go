package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"outlay"
)

// The approval engine. Documents call SubmitForApproval and CancelRoute inside their own
// transactions; approvers act through DecideStep, which runs its own.
//
// How a route is built (SubmitForApproval):
//   - Rules considered are the active, non-archived rules of the document's type, in priority
//     order (lowest number first, then oldest). A rule matches when every condition it sets
//     holds: its department is the document's; its GL account is on at least one line; its
//     vendor is the document's; its held condition is the document's match (bills); the
//     document's unit-price variance is at least its minimum (bills); its payment method is the
//     document's (payments); the document's total lies in [min, max) of the rule's currency. A document in another
//     currency cannot be compared without exchange rates, so an amount condition holds for
//     it: a foreign-currency document meets every amount rule's approvers, never fewer.
//   - The steps of every matching rule are concatenated in that order; a step whose approver
//     (or role) already appears earlier is dropped, so nobody approves the same document twice.
//   - user, manager and department_head steps are resolved to a person now. A step that would
//     fall to the requester themself (or whoever filed it for them), to nobody, or to a
//     deactivated person is escalated to the
//     requester's manager or, without one, to anyone holding the 'admin' role.
//   - When no rule matches, the default route is one step for the requester's manager, or,
//     for a requester with no manager, for the 'admin' role (RouteOutcome.Default). Nothing
//     is ever approved without someone approving it.
//   - The first step is 'pending', the rest 'waiting'. Each resubmission is a new round.
//
// Deciding (DecideStep): a rejection returns the document to its requester and cancels the
// rest of the route; an approval opens the next step, and the last one checks the budget
// (the strictest budget_check among the route's rules; a default route warns) before the
// document is approved. A requester (or whoever filed the document for them) never decides a
// step of their own document, whether the
// step names them, one of their roles or someone who delegated to them; and whoever approved
// one step of a round decides no other step of it. A step whose approver
// is deactivated while it waits falls to the escalation role ('admin'), recorded as acted on
// behalf of that person.

// RouteOutcome is what submitting a document for approval led to.
type RouteOutcome struct {
	// Approved: nobody needs to approve, so the document was approved at once.
	Approved bool
	// Default: no rule matched, so the default route (the requester's manager, else the
	// admins) was taken.
	Default bool
	// Round is the submission round: 1 at first submit, one more at each resubmission.
	Round int
	Steps []ApprovalStep
}

// EscalationRole is the role a step falls to when it has nobody else to go to.
const EscalationRole = "admin"

// SubmitForApproval builds the route of a new round for doc and opens its first step. The
// caller has already set the document to its 'pending' status in tx; when no approval is
// needed the engine finishes it as approved straight away.
func SubmitForApproval(tx *gorm.DB, doc ApprovalDocument) (RouteOutcome, error) {
	kind, ok := approvableKind(doc.Type)
	if !ok {
		return RouteOutcome{}, fmt.Errorf("approval engine: unknown document type %q", doc.Type)
	}
	var open int64
	if err := tx.Model(&ApprovalStep{}).Where("doc_type = ? AND doc_id = ? AND status IN ?", doc.Type, doc.ID,
		[]string{StepWaiting, StepPending}).Count(&open).Error; err != nil {
		return RouteOutcome{}, err
	}
	if open > 0 {
		return RouteOutcome{}, outlay.Conflict("This document is already waiting for approval.")
	}
	out := RouteOutcome{}
	if err := tx.Raw(`SELECT COALESCE(MAX(round), 0) + 1 FROM approval_steps WHERE doc_type = ? AND doc_id = ?`,
		doc.Type, doc.ID).Scan(&out.Round).Error; err != nil {
		return RouteOutcome{}, err
	}
	steps, isDefault, err := planRoute(tx, doc)
	if err != nil {
		return RouteOutcome{}, err
	}
	out.Default = isDefault
	now := time.Now()
	if len(steps) == 0 {
		out.Approved = true
		return out, kind.finish(tx, doc.ID, StepApproved, now)
	}
	for i := range steps {
		s := &steps[i]
		s.DocType, s.DocID, s.Round, s.Position = doc.Type, doc.ID, out.Round, i+1
		s.DocTotalMinor, s.DocRequesterID = doc.Total.Minor, doc.RequesterID
		if doc.FiledBy != 0 && doc.FiledBy != doc.RequesterID {
			s.DocFilerID = &doc.FiledBy
		}
		s.Status = StepWaiting
		if i == 0 {
			s.Status = StepPending
		}
		// One by one, so that each step is its own audit row.
		if err := tx.Create(s).Error; err != nil {
			return RouteOutcome{}, err
		}
	}
	out.Steps = steps
	return out, notifyStepWaiting(tx, doc, steps[0])
}

// CancelRoute cancels the open steps of a document's route, when its requester withdraws it.
func CancelRoute(tx *gorm.DB, docType string, docID int64) error {
	if err := tx.Model(&ApprovalStep{}).
		Where("doc_type = ? AND doc_id = ? AND status IN ?", docType, docID, []string{StepWaiting, StepPending}).
		Updates(map[string]any{"status": StepCancelled, "updated_at": time.Now()}).Error; err != nil {
		return err
	}
	// A withdrawn document waits for nobody: nor do its notifications.
	return resolveWaiting(tx, docType, docID)
}

// Matches reports whether every condition the rule sets holds for doc. See the package
// notes above for the semantics.
func (r ApprovalRule) Matches(doc ApprovalDocument) bool {
	if r.DocType != doc.Type || !r.Active || r.ArchivedAt != nil {
		return false
	}
	if r.DepartmentID != nil && !slices.Contains(doc.Departments(), *r.DepartmentID) {
		return false
	}
	if r.GLAccountID != nil {
		found := false
		for _, l := range doc.Lines {
			if l.GLAccountID != nil && *l.GLAccountID == *r.GLAccountID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if r.VendorID != nil && (doc.VendorID == nil || *doc.VendorID != *r.VendorID) {
		return false
	}
	// "Held" reads the match's hold; "matched" only a bill matched to its order, never one
	// without an order, which nothing was matched against.
	if r.Held != nil && (*r.Held != doc.Held || !*r.Held && !doc.Matched) {
		return false
	}
	if r.MinVarianceBP != nil && doc.VarianceBP < *r.MinVarianceBP {
		return false
	}
	if r.PaymentMethod != nil && *r.PaymentMethod != doc.PaymentMethod {
		return false
	}
	if r.MinAmountMinor != nil || r.MaxAmountMinor != nil {
		if r.Currency != doc.Total.Currency {
			// Without exchange rates the amounts cannot be compared, so the rule applies:
			// choosing a vendor that bills in another currency never means fewer approvers.
			return true
		}
		if r.MinAmountMinor != nil && doc.Total.Minor < *r.MinAmountMinor {
			return false
		}
		if r.MaxAmountMinor != nil && doc.Total.Minor >= *r.MaxAmountMinor {
			return false
		}
	}
	return true
}

// MatchingRules lists the rules that route doc, in the order their steps are taken, each
// with its steps.
func MatchingRules(tx *gorm.DB, doc ApprovalDocument) ([]ApprovalRule, error) {
	var rules []ApprovalRule
	if err := tx.Where("doc_type = ? AND active AND archived_at IS NULL", doc.Type).
		Order("priority, id").Find(&rules).Error; err != nil {
		return nil, err
	}
	var matched []ApprovalRule
	ids := []int64{}
	for _, r := range rules {
		if r.Matches(doc) {
			matched = append(matched, r)
			ids = append(ids, r.ID)
		}
	}
	if len(matched) == 0 {
		return nil, nil
	}
	var steps []ApprovalRuleStep
	if err := tx.Where("rule_id IN ?", ids).Order("rule_id, position").Find(&steps).Error; err != nil {
		return nil, err
	}
	for i := range matched {
		for _, s := range steps {
			if s.RuleID == matched[i].ID {
				matched[i].Steps = append(matched[i].Steps, s)
			}
		}
	}
	return matched, nil
}

// routePeople is who a route's steps may resolve to.
type routePeople struct {
	requester int64
	filedBy   int64 // whoever filed the document for the requester, or 0
	authors   []int64
	manager   *int64
	// departments are the document's (ApprovalDocument.Departments), heads their heads.
	departments []int64
	heads       map[int64]*int64
	active      map[int64]bool // not deactivated
}

func loadRoutePeople(tx *gorm.DB, doc ApprovalDocument) (routePeople, error) {
	p := routePeople{requester: doc.RequesterID, filedBy: doc.FiledBy, authors: doc.Authors, active: map[int64]bool{}}
	var requester User
	if err := tx.Select("id", "manager_id").First(&requester, doc.RequesterID).Error; err != nil {
		return p, fmt.Errorf("approval route: requester: %w", err)
	}
	p.manager = requester.ManagerID
	if p.departments = doc.Departments(); len(p.departments) > 0 {
		var ds []Department
		if err := tx.Select("id", "head_id").Where("id IN ?", p.departments).Find(&ds).Error; err != nil {
			return p, fmt.Errorf("approval route: departments: %w", err)
		}
		p.heads = make(map[int64]*int64, len(ds))
		for _, d := range ds {
			p.heads[d.ID] = d.HeadID
		}
	}
	var active []int64
	if err := tx.Model(&User{}).Where("status <> ?", UserDeactivated).Pluck("id", &active).Error; err != nil {
		return p, err
	}
	for _, id := range active {
		p.active[id] = true
	}
	return p, nil
}

// canAct reports whether id names someone other than the requester who may still act.
func (p routePeople) canAct(id *int64) bool {
	return id != nil && *id != p.requester && *id != p.filedBy && !slices.Contains(p.authors, *id) && p.active[*id]
}

// resolve turns a rule step into a route step, escalating it when it would fall to the
// requester or to nobody.
func (p routePeople) resolve(ruleID *int64, kind string, userID *int64, role *string) ApprovalStep {
	s := ApprovalStep{RuleID: ruleID, Kind: kind}
	switch kind {
	case StepRole:
		s.Role = role
		return s
	case StepUser:
		s.ApproverID = userID
	case StepManager:
		s.ApproverID = p.manager
	case StepDepartmentHead:
		s.ApproverID = userID // the head planRoute chose
	}
	if p.canAct(s.ApproverID) {
		return s
	}
	if p.canAct(p.manager) {
		// The step is the manager's now, and says so (not "department head" for someone who
		// heads nothing).
		s.Kind, s.ApproverID = StepManager, p.manager
		return s
	}
	admin := EscalationRole
	return ApprovalStep{RuleID: ruleID, Kind: StepRole, Role: &admin}
}

// planRoute decides a document's steps (not yet numbered or stored). isDefault: no rule
// matched.
func planRoute(tx *gorm.DB, doc ApprovalDocument) (steps []ApprovalStep, isDefault bool, err error) {
	rules, err := MatchingRules(tx, doc)
	if err != nil {
		return nil, false, err
	}
	people, err := loadRoutePeople(tx, doc)
	if err != nil {
		return nil, false, err
	}
	if len(rules) == 0 {
		// Never approved by nobody: without a manager the step falls to the admins.
		steps = []ApprovalStep{people.resolve(nil, StepManager, nil, nil)}
		return steps, true, people.checkSomeoneCanAct(tx, steps)
	}
	seen := map[string]bool{}
	add := func(s ApprovalStep) {
		key := "role:" + deref(s.Role)
		if s.ApproverID != nil {
			key = "user:" + strconv.FormatInt(*s.ApproverID, 10)
		}
		if !seen[key] {
			seen[key] = true
			steps = append(steps, s)
		}
	}
	for _, r := range rules {
		ruleID := r.ID
		for _, rs := range r.Steps {
			if rs.Kind != StepDepartmentHead {
				add(people.resolve(&ruleID, rs.Kind, rs.UserID, rs.Role))
				continue
			}
			// The head of the department the rule names; a rule for any department asks the
			// head of each department the document is charged to, in the order of its lines.
			depts := people.departments
			if r.DepartmentID != nil {
				depts = []int64{*r.DepartmentID}
			}
			if len(depts) == 0 {
				add(people.resolve(&ruleID, rs.Kind, nil, nil))
			}
			for _, d := range depts {
				add(people.resolve(&ruleID, rs.Kind, people.heads[d], nil))
			}
		}
	}
	return steps, false, people.checkSomeoneCanAct(tx, steps)
}

// NobodyCanApprove is the refusal of a submission whose route has a step nobody may decide
// (it would wait for ever), said above the form, whose input is kept.
const NobodyCanApprove = "Nobody else can approve this yet: everyone who could is you (or whoever filed or changed it), so it would wait for ever. Ask an admin to give someone else the admin role, or to set the manager of the person it is for, then submit it again."

// checkSomeoneCanAct refuses a route with a role step whose only holders are the document's
// own people (the only admin submitting their own request without a manager, say): nobody
// else could ever decide it. Deactivated holders do not count; an invited one does (they can
// sign in and decide). A role nobody holds at all is left to wait for whoever is given it. A
// person's step is never the document's own people's: resolve escalated it.
func (p routePeople) checkSomeoneCanAct(tx *gorm.DB, steps []ApprovalStep) error {
	own := append([]int64{p.requester, p.filedBy}, p.authors...)
	for _, s := range steps {
		if s.Kind != StepRole || s.Role == nil {
			continue
		}
		var holders struct{ All, Others int }
		if err := tx.Raw(`SELECT count(*) AS all, count(*) FILTER (WHERE u.id NOT IN ?) AS others
			FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE ur.role = ? AND u.status <> ?`,
			own, *s.Role, UserDeactivated).Scan(&holders).Error; err != nil {
			return err
		}
		if holders.All > 0 && holders.Others == 0 {
			return outlay.ValidationErrors{"": NobodyCanApprove}
		}
	}
	return nil
}

// Decision is an approver's answer to one step.
type Decision struct {
	Approve bool
	Comment string
}

// Decided is what a decision led to.
type Decided struct {
	Step ApprovalStep
	// DocStatus is the route's state after the decision: StepPending (a next step is open),
	// StepApproved or StepRejected.
	DocStatus string
	Next      *ApprovalStep
	// Budget holds the budget check made at the last approval; OverBudget says that a line
	// went over (the approval went through with a warning, since a blocking rule refuses it).
	Budget     []BudgetLine
	OverBudget bool
}

// ErrOwnDocument refuses a requester deciding a step of their own document (or one they
// filed, changed or submitted for someone else).
var ErrOwnDocument = outlay.Conflict("You cannot approve or reject your own request.")

// ErrSecondApproval refuses an approver deciding a second step of the same route.
var ErrSecondApproval = outlay.Conflict("You already approved an earlier step of this request: someone else must decide this one.")

// maxCommentLength is approval_steps.comment's limit.
const maxCommentLength = 2000

// DecideStep approves or rejects one pending step as v. The document's row is locked first
// and the step is then read and locked, and moved from 'pending' only if it still is, so of
// two approvers clicking at once exactly one decision counts; the other gets an
// outlay.Conflict naming who decided. A step not routed to v (neither theirs, nor their
// role's, nor delegated to them today) is not found.
func DecideStep(ctx context.Context, db *gorm.DB, v Viewer, stepID int64, d Decision) (Decided, error) {
	d.Comment = strings.TrimSpace(d.Comment)
	verr := outlay.ValidationErrors{}
	if !d.Approve && !hasVisible(d.Comment) {
		verr.Add("comment", "Say why you reject it, so the requester can fix it.")
	}
	if n := utf8.RuneCountInString(d.Comment); n > maxCommentLength {
		verr.Add("comment", tooLong("A comment", maxCommentLength, n))
	} else if !plainText(d.Comment) {
		verr.Add("comment", "Use plain text.")
	}
	if err := verr.Err(); err != nil {
		return Decided{}, err
	}
	var out Decided
	// A blocked last approval rolls back, so what tells of it is recorded after, on its own.
	var blocked func(tx *gorm.DB) error
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var step ApprovalStep
		if err := tx.First(&step, stepID).Error; err != nil {
			return stepNotFound(err)
		}
		kind, ok := approvableKind(step.DocType)
		if !ok {
			return outlay.NotFound("That approval does not exist.")
		}
		// Locking the document serialises every decision on it; the step is read again
		// under the lock, so it is current, with what deciding it needs of its round and
		// the requester whom the decision is told to. The same statement marks read the
		// document's "waits for your approval" notifications: once the step is decided it
		// waits for nobody, and a decision that fails rolls the marking back with it. An
		// approval that is the route's last and checks a budget of a department that has
		// budgets takes the lock of those budgets there too (see stepUnderLockSQL).
		doc, err := kind.approvalDocument(tx, step.DocID)
		if err != nil {
			return err
		}
		// The budgets' locks are taken in the order of the departments' ids, the first with
		// the step, so that two split documents never wait for each other's.
		departments := doc.Departments()
		slices.Sort(departments)
		var department int64
		if len(departments) > 0 {
			department = departments[0]
		}
		var st stepUnderLock
		if err := tx.Raw(stepUnderLockSQL, sql.Named("step", stepID), sql.Named("me", v.UserID), sql.Named("requester", doc.RequesterID),
			sql.Named("doc_type", step.DocType), sql.Named("doc_id", step.DocID),
			sql.Named("lock_budgets", d.Approve && len(departments) > 0), sql.Named("department", department),
			sql.Named("departments", IDList(departments))).Scan(&st).Error; err != nil {
			return err
		}
		if st.BudgetsLocked {
			for _, other := range departments[min(1, len(departments)):] {
				if err := lockBudgets(tx, other); err != nil {
					return err
				}
			}
		}
		if st.ID == 0 {
			return outlay.NotFound("That approval does not exist.")
		}
		step = st.ApprovalStep
		doc.requester = &docRequester{ID: doc.RequesterID, Name: st.RequesterName, Email: st.RequesterEmail, Active: st.RequesterActive}
		if doc.RequesterID == v.UserID || doc.FiledBy == v.UserID || slices.Contains(doc.Authors, v.UserID) {
			return ErrOwnDocument
		}
		onBehalfOf, routed, err := routedToViewer(tx, v, step)
		if err != nil {
			return err
		}
		if !routed && (step.ActedBy == nil || *step.ActedBy != v.UserID) {
			return outlay.NotFound("That approval is not routed to you.")
		}
		if step.Status != StepPending {
			return stepStateConflict(tx, step)
		}
		// A route of several steps asks for several people: whoever approved one step of
		// this round (for themselves or for someone else) may not approve another.
		if st.ApprovedEarlier {
			return ErrSecondApproval
		}
		now := time.Now()
		status := StepApproved
		if !d.Approve {
			status = StepRejected
		}
		// The step's row is locked and was read pending, so it is updated by its id alone: with
		// "status = 'pending'" beside the id, statistics taken while few steps were open made the
		// planner read the step through an index of every open step, filtering all of them
		// (TestDecidingAStepReadsItByItsKey).
		res := tx.Model(&ApprovalStep{ID: step.ID}).Updates(map[string]any{
			"status": status, "acted_by": v.UserID, "on_behalf_of": onBehalfOf, "comment": d.Comment,
			"acted_at": now, "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			if err := tx.First(&step, stepID).Error; err != nil {
				return err
			}
			return stepStateConflict(tx, step)
		}
		actedBy, actedAt := v.UserID, now
		step.Status, step.ActedBy, step.OnBehalfOf, step.Comment, step.ActedAt, step.UpdatedAt = status, &actedBy, onBehalfOf, d.Comment, &actedAt, now
		out.Step = step
		if !d.Approve {
			out.DocStatus = StepRejected
			if err := tx.Model(&ApprovalStep{}).
				Where("doc_type = ? AND doc_id = ? AND round = ? AND status = ?", step.DocType, step.DocID, step.Round, StepWaiting).
				Updates(map[string]any{"status": StepCancelled, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := kind.finish(tx, step.DocID, StepRejected, now); err != nil {
				return err
			}
			return notifyDecided(tx, doc, StepRejected, step, st.MyName)
		}
		if next := st.next(); next.ID != 0 {
			if err := tx.Model(&ApprovalStep{ID: next.ID}).Where("status = ?", StepWaiting).
				Updates(map[string]any{"status": StepPending, "updated_at": now}).Error; err != nil {
				return err
			}
			next.Status = StepPending
			out.DocStatus, out.Next = StepPending, &next
			return notifyStepWaiting(tx, doc, next)
		}
		// The last approval: check the budget, then approve the document.
		if st.BudgetsLocked {
			// Two last approvals drawing on the same budget must be checked one after the
			// other, or each passes alone and together they overspend a blocking budget:
			// the budgets' lock was taken with the step, and the budgets are read in a
			// statement of their own, after it, so that they are as its last holder left
			// them. A department with no budget had nothing to lock or check: a budget
			// saved for it meanwhile comes after this approval, which it counts.
			lines, err := BudgetImpact(tx, doc, now)
			if err != nil {
				return err
			}
			out.Budget = lines
			for _, l := range lines {
				if l.Flagged() {
					out.OverBudget = true
				}
			}
			if out.OverBudget && st.BudgetCheck == BudgetCheckBlock {
				blocked = func(tx *gorm.DB) error { return notifyBudget(tx, doc, step, v.UserID, lines, true) }
				return &BudgetExceededError{Lines: lines}
			}
		}
		out.DocStatus = StepApproved
		if err := kind.finish(tx, step.DocID, StepApproved, now); err != nil {
			return err
		}
		if out.OverBudget {
			if err := notifyBudget(tx, doc, step, v.UserID, out.Budget, false); err != nil {
				return err
			}
		}
		return notifyDecided(tx, doc, StepApproved, step, st.MyName)
	})
	if err != nil {
		if blocked != nil {
			if nerr := db.WithContext(ctx).Transaction(blocked); nerr != nil {
				return Decided{}, errors.Join(err, nerr)
			}
		}
		return Decided{}, err
	}
	return out, nil
}

func stepNotFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return outlay.NotFound("That approval does not exist.")
	}
	return err
}

// routedToViewer reports whether step is v's to act on, and for whom when v acts as a
// delegate.
func routedToViewer(tx *gorm.DB, v Viewer, step ApprovalStep) (onBehalfOf *int64, routed bool, err error) {
	if step.Kind == StepRole && step.Role != nil {
		for _, r := range v.Roles {
			if r == *step.Role {
				return nil, true, nil
			}
		}
		return nil, false, nil
	}
	if step.ApproverID == nil {
		return nil, false, nil
	}
	if *step.ApproverID == v.UserID {
		return nil, true, nil
	}
	var delegated bool
	err = tx.Raw(`SELECT @approver IN `+delegatorsSQL, sql.Named("approver", *step.ApproverID), sql.Named("me", v.UserID)).
		Scan(&delegated).Error
	if err != nil {
		return nil, false, err
	}
	if delegated {
		return step.ApproverID, true, nil
	}
	// A step whose approver was deactivated after the route was built falls to the
	// escalation role, so it never waits for someone who cannot sign in.
	if !slices.Contains(v.Roles, EscalationRole) {
		return nil, false, nil
	}
	var gone bool
	err = tx.Raw(`SELECT EXISTS (SELECT 1 FROM users WHERE id = ? AND status = ?)`, *step.ApproverID, UserDeactivated).Scan(&gone).Error
	if err != nil || !gone {
		return nil, false, err
	}
	return step.ApproverID, true, nil
}

// stepStateConflict explains why a step that is not pending cannot be decided.
func stepStateConflict(tx *gorm.DB, step ApprovalStep) error {
	switch step.Status {
	case StepApproved, StepRejected:
		var who string
		if step.ActedBy != nil {
			if err := tx.Model(&User{}).Where("id = ?", *step.ActedBy).Pluck("name", &who).Error; err != nil {
				return err
			}
		}
		if who == "" {
			who = "Someone"
		}
		return outlay.Conflict(fmt.Sprintf("%s already %s this.", who, step.Status))
	case StepWaiting:
		return outlay.Conflict("This step is not open yet: an earlier approver has still to decide.")
	default:
		return outlay.Conflict("This request is no longer waiting for approval: it was withdrawn or decided.")
	}
}

// stepUnderLock is a step read under its document's lock, with what deciding it needs of
// its round: whether the viewer approved another step of it, the next step waiting, and the
// strictest budget check among the rules that built it.
type stepUnderLock struct {
	ApprovalStep
	ApprovedEarlier bool
	NextID          int64
	NextPosition    int
	NextRuleID      *int64
	NextKind        string
	NextApproverID  *int64
	NextRole        *string
	BudgetCheck     string
	// MyName is the deciding viewer's name, which the requester's notice gives.
	MyName string
	// The document's requester, whom the decision is told to.
	RequesterName, RequesterEmail string
	RequesterActive               bool
	// BudgetsLocked: the decision is the route's last approval, it checks a budget, and the
	// lock of the budgets of the document's department, which has some, is taken.
	BudgetsLocked bool
}

// next is the round's next waiting step (ID 0 when the step is the last).
func (s stepUnderLock) next() ApprovalStep {
	if s.NextID == 0 {
		return ApprovalStep{}
	}
	return ApprovalStep{ID: s.NextID, DocType: s.DocType, DocID: s.DocID, Round: s.Round, Position: s.NextPosition,
		RuleID: s.NextRuleID, Kind: s.NextKind, ApproverID: s.NextApproverID, Role: s.NextRole, Status: StepWaiting}
}

// stepUnderLockSQL reads stepUnderLock in one statement, locking the step's row as its
// update will, and resolves the document's waiting notifications (resolveWaitingSQL). The
// budget check is the strictest budget_check of the rules behind the round's steps; a route
// built without rules warns. When @lock_budgets (an approval of a document with a department)
// finds the step pending, the route's last and checking a budget, and any of @departments (the
// document's, as a Postgres array) has budgets (archived or not, of any period: whatever the
// check could read), it takes the lock of @department's budgets (lockBudgetsSQL), the first of
// them; DecideStep takes the others' after it.
const stepUnderLockSQL = `WITH resolved AS (` + resolveWaitingSQL + `)
	SELECT s.*,
	EXISTS (SELECT 1 FROM approval_steps e WHERE e.doc_type = s.doc_type AND e.doc_id = s.doc_id AND e.round = s.round
		AND e.id <> s.id AND e.acted_by = @me AND e.status = 'approved') AS approved_earlier,
	n.id AS next_id, n.position AS next_position, n.rule_id AS next_rule_id, n.kind AS next_kind,
	n.approver_id AS next_approver_id, n.role AS next_role, b.budget_check,
	(SELECT u.name FROM users u WHERE u.id = @me) AS my_name,
	rq.name AS requester_name, rq.email AS requester_email, rq.status = 'active' AS requester_active,
	COALESCE(CASE WHEN @lock_budgets AND s.status = 'pending' AND n.id IS NULL AND b.budget_check <> '` + BudgetCheckNone + `'
		AND EXISTS (SELECT 1 FROM budgets bu WHERE bu.department_id = ANY(CAST(@departments AS bigint[])))
		THEN ` + lockBudgetsSQL + ` IS NOT NULL END, false) AS budgets_locked
	FROM approval_steps s
	LEFT JOIN users rq ON rq.id = @requester
	LEFT JOIN LATERAL (SELECT w.* FROM approval_steps w WHERE w.doc_type = s.doc_type AND w.doc_id = s.doc_id
		AND w.round = s.round AND w.status = 'waiting' ORDER BY w.position LIMIT 1) n ON true
	CROSS JOIN LATERAL (SELECT CASE WHEN count(*) = 0 THEN '` + BudgetCheckWarn + `'
		WHEN bool_or(r.budget_check = '` + BudgetCheckBlock + `') THEN '` + BudgetCheckBlock + `'
		WHEN bool_or(r.budget_check = '` + BudgetCheckWarn + `') THEN '` + BudgetCheckWarn + `'
		ELSE '` + BudgetCheckNone + `' END AS budget_check
		FROM approval_rules r WHERE r.id IN (SELECT t.rule_id FROM approval_steps t
			WHERE t.doc_type = s.doc_type AND t.doc_id = s.doc_id AND t.round = s.round)) b
	WHERE s.id = @step FOR NO KEY UPDATE OF s`

// approvable is a kind of document the engine routes: it loads what routing needs and
// records the route's outcome on the document.
type approvable interface {
	// approvalDocument loads the document, locking its row until the transaction ends.
	approvalDocument(tx *gorm.DB, id int64) (ApprovalDocument, error)
	// finish records the outcome (StepApproved or StepRejected) on the document.
	finish(tx *gorm.DB, id int64, outcome string, at time.Time) error
}

// approvableKind is the engine's side of an approvable kind of document.
func approvableKind(docType string) (approvable, bool) {
	k, ok := FindDocumentKind(docType)
	if !ok || k.Approval == nil {
		return nil, false
	}
	return k.Approval, true
}

// finishDecided records a route's outcome on a document of a kind whose statuses are
// submitted → approved or rejected: model is the kind's model holding the document's id,
// label names the kind in the message of a document no longer waiting.
func finishDecided(tx *gorm.DB, model any, outcome string, at time.Time, submitted, approved, rejected, label string) error {
	status := approved
	if outcome == StepRejected {
		status = rejected
	}
	res := tx.Model(model).Where("status = ?", submitted).
		Updates(map[string]any{"status": status, "decided_at": at, "updated_at": at})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return outlay.Conflict("That " + label + " is no longer waiting for approval.")
	}
	return nil
}
