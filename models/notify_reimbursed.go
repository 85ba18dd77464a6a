package models

import (
	"fmt"

	"gorm.io/gorm"

	"outlay/mail"
)

// MailReimbursed is the kind of notification telling a person their expense report is paid.
const MailReimbursed = "notify_reimbursed"

// paymentMethodLabels say how a batch was paid, as a sentence reads it.
var paymentMethodLabels = map[string]string{
	PayBankTransfer: "bank transfer", PayCheque: "cheque", PayPayroll: "payroll", PayOther: "another way",
}

// ReimbursementMethodLabel is how a payment method reads ("bank transfer").
func ReimbursementMethodLabel(method string) string {
	if l, ok := paymentMethodLabels[method]; ok {
		return l
	}
	return method
}

// notifyReimbursed tells report r's owner that batch b paid it: how much (net of advances),
// on which day, how and under which reference. Nobody is told of their own payment.
func notifyReimbursed(tx *gorm.DB, r ExpenseReport, b *ReimbursementBatch, actorID int64) error {
	if r.OwnerID == actorID {
		return nil
	}
	doc := ApprovalDocument{Type: DocExpense, ID: r.ID, RequesterID: r.OwnerID, Total: r.Reimbursable()}
	if r.Number != nil {
		doc.Number = *r.Number
	}
	n, s, err := notification(tx, doc)
	if n == nil || err != nil {
		return err
	}
	to, err := activePeople(tx, `u.id = ?`, r.OwnerID)
	if err != nil {
		return err
	}
	how := ""
	if b.Method != nil {
		how = ReimbursementMethodLabel(*b.Method)
	}
	day := ""
	if b.PaidOn != nil {
		day = b.PaidOn.Format("2 January 2006")
	}
	advance := ""
	if r.AdvanceMinor > 0 {
		advance = fmt.Sprintf(" (its total %s less %s of cash advances)", r.Total(), r.Advance())
	}
	return n.queue(tx, MailReimbursed, s, to, func(rc recipient) notice {
		title := fmt.Sprintf("Your %s %s is paid: %s by %s on %s", s.Label, s.Number, s.Total, how, day)
		summary := fmt.Sprintf("Paid in %s, reference %s%s.", b.Number, b.Reference, advance)
		return notice{Title: title, Summary: summary, Mail: mail.Message{
			To:      rc.Email,
			Subject: fmt.Sprintf("Your %s %s is paid", s.Label, s.Number),
			Body: fmt.Sprintf("Hello %s,\n\nYour %s %s is paid: %s%s, by %s on %s (reference %s, batch %s).\n\nOpen it: %s\n",
				rc.Name, s.Label, s.Number, s.Total, advance, how, day, b.Reference, b.Number, n.link(s.Path)),
		}}
	})
}
