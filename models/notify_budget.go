package models

import (
	"fmt"
	"strings"

	"gorm.io/gorm"

	"outlay/mail"
)

// MailBudget is the kind of notification mail telling that a document's last approval found it
// over budget: approved with a warning, or blocked.
const MailBudget = "notify_budget"

// notifyBudget tells the requester and the approver concerned (whoever approved, and the
// person they stood in for) that the last approval of doc found it over budget (or not
// checkable against a budget in another currency): it went through with a warning, or, when
// blocked, the step still waits. A blocked approval tried again tells nobody who has not yet
// read the last such notification of the document.
func notifyBudget(tx *gorm.DB, doc ApprovalDocument, step ApprovalStep, actorID int64, lines []BudgetLine, blocked bool) error {
	n, s, err := notification(tx, doc)
	if n == nil || err != nil {
		return err
	}
	ids := []int64{doc.RequesterID, actorID}
	if step.ApproverID != nil {
		ids = append(ids, *step.ApproverID)
	}
	where, args := `u.id IN ?`, []any{ids}
	if blocked {
		where += ` AND NOT EXISTS (SELECT 1 FROM notifications nt WHERE nt.recipient_id = u.id AND nt.kind = ?
			AND nt.doc_type = ? AND nt.doc_id = ? AND nt.read_at IS NULL)`
		args = append(args, MailBudget, s.DocType, s.DocID)
	}
	to, err := activePeople(tx, where, args...)
	if err != nil || len(to) == 0 {
		return err
	}
	by, err := userName(tx, actorID)
	if err != nil {
		return err
	}
	var figures []string
	over := false
	for _, l := range lines {
		over = over || l.Over()
		switch {
		case l.Unchecked:
			figures = append(figures, fmt.Sprintf("%s %s %s: the budget is kept in %s and this %s is in %s, so it could not be checked",
				l.DepartmentName, l.GLCode, l.GLName, l.Budget.Currency, s.Label, l.ThisDocument.Currency))
		case l.Over():
			figures = append(figures, fmt.Sprintf("%s %s %s: budget %s, spent %s, committed %s, this %s %s, remaining %s",
				l.DepartmentName, l.GLCode, l.GLName, l.Budget, l.Spent, l.Committed, s.Label, l.ThisDocument, l.Remaining))
		}
	}
	what := fmt.Sprintf("%s %s from %s for %s", UpperFirst(s.Label), s.Number, s.Requester.Name, s.Total)
	title := fmt.Sprintf("%s was approved over budget by %s", what, by)
	subject := fmt.Sprintf("%s %s was approved over budget", UpperFirst(s.Label), s.Number)
	outcome := fmt.Sprintf("%s gave the last approval with a budget warning; it is approved.", by)
	state := "is over budget"
	if !over {
		// Only budgets kept in another currency: not over, but not checked either.
		state = "could not be checked against its budget"
		title = fmt.Sprintf("%s was approved by %s though it could not be checked against its budget", what, by)
		subject = fmt.Sprintf("%s %s was approved without a budget check", UpperFirst(s.Label), s.Number)
	}
	if blocked {
		title = fmt.Sprintf("%s %s: %s's approval was blocked", what, state, by)
		subject = fmt.Sprintf("%s %s %s: its approval was blocked", UpperFirst(s.Label), s.Number, state)
		outcome = fmt.Sprintf("%s's last approval was blocked by the budget; it still waits for approval until the budget allows it or the %s is changed.", by, s.Label)
	}
	return n.queue(tx, MailBudget, s, to, func(r recipient) notice {
		return notice{Title: title, Summary: strings.Join(figures, "; ") + ". " + outcome, Mail: mail.Message{
			To:      r.Email,
			Subject: subject,
			Body: fmt.Sprintf("Hello %s,\n\n%s's %s %s for %s in %s %s.\n\n%s\n\n- %s\n\nOpen it: %s\n",
				r.Name, s.Requester.Name, s.Label, s.Number, s.Total, n.OrgName, state, outcome, strings.Join(figures, "\n- "), n.link(s.Path)),
		}}
	})
}
