package models

import (
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/mail"
	"outlay/policy"
)

// MailVendorBank is the kind of notification telling an organisation's admins that a vendor's
// bank details were added, changed or removed: where a vendor's money goes is the first thing
// a payment fraud changes, and whoever may change it (an AP clerk) may also make payment runs.
// It is a security notice, mailed at once whatever a person's preferences, with no link to
// stop it: the admins are the check on that clerk, and should not lose it to a setting.
const MailVendorBank = "notify_vendor_bank"

// vendorNotice is the doc_type of notifications about a vendor, which is not a document: its
// link leads to the vendor's page, which checks its own access.
const vendorNotice = "vendor"

// vendorPage is a vendor's page (handlers serve vendors under /vendors), where its bank
// details show masked with their History.
func vendorPage(id int64) string { return "/vendors/" + strconv.FormatInt(id, 10) }

// notifyVendorBankChanged tells the organisation's active admins, but for the person who made
// the change, that vendor's bank details went from before to after (nil: none): who changed
// them and both accounts, masked. The change itself is in the audit log, as every change of
// vendor_bank_accounts is.
func notifyVendorBankChanged(tx *gorm.DB, vendor *Vendor, before, after *VendorBankAccount) error {
	n := notifierFrom(tx.Statement.Context)
	if n == nil {
		return nil
	}
	actor := audit.ActorFrom(tx.Statement.Context)
	by := actor.Label
	var byID int64
	if actor.Type == audit.ActorUser && actor.ID != 0 {
		byID = actor.ID
		name, err := userName(tx, actor.ID)
		if err != nil {
			return err
		}
		if name != "" {
			by = name
		}
	}
	admins, err := activePeople(tx, `u.id IN (SELECT user_id FROM user_roles WHERE role = ?) AND u.id <> ?`, policy.RoleAdmin, byID)
	if err != nil || len(admins) == 0 {
		return err
	}
	was, now := describeVendorBank(before), describeVendorBank(after)
	var title, subject string
	switch {
	case before == nil:
		title = fmt.Sprintf("%s added bank details for %s: %s", by, vendor.Name, now)
		subject = fmt.Sprintf("Bank details added for %s", vendor.Name)
	case after == nil:
		title = fmt.Sprintf("%s removed the bank details of %s (were %s)", by, vendor.Name, was)
		subject = fmt.Sprintf("The bank details of %s were removed", vendor.Name)
	default:
		title = fmt.Sprintf("%s changed the bank details of %s from %s to %s", by, vendor.Name, was, now)
		subject = fmt.Sprintf("The bank details of %s were changed", vendor.Name)
	}
	summary := "Payment runs already submitted keep paying the account they were submitted with. " +
		"If you did not expect this, confirm it with the vendor through a contact you already know before its next payment."
	s := docSummary{DocType: vendorNotice, DocID: vendor.ID, Path: vendorPage(vendor.ID)}
	for _, r := range admins {
		body := fmt.Sprintf("Hello %s,\n\n%s changed the bank details of the vendor %s in %s.\n\nBefore: %s\nNow: %s\n\n%s\n\n"+
			"Open the vendor: %s\n\n-- \nEvery admin is told of each change of a vendor's bank details; this notice cannot be turned off.\n",
			r.Name, by, vendor.Name, n.OrgName, was, now, summary, n.link(s.Path))
		m := notice{Title: title, Summary: summary,
			Mail: mail.Message{To: r.Email, Subject: subject, Body: body, HTML: mail.TextToHTML(subject, body, n.BaseURL)}}
		if err := n.record(tx, MailVendorBank, s, r, m, true, false); err != nil {
			return err
		}
	}
	return nil
}

// describeVendorBank names bank details in a notice: the holder and the account, masked.
func describeVendorBank(a *VendorBankAccount) string {
	if a == nil {
		return "none"
	}
	return a.AccountLabel() + " in the name of " + a.HolderName
}
