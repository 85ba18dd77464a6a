// Package payables holds the accounts-payable pages beside bills: a vendor's bank details and
// what is owed to it, payment runs and their approval, the aging of open bills across
// vendors, and accounting export batches.
package payables

import "strconv"

// VendorBank is a vendor's bank details as its page shows them: masked, never whole.
type VendorBank struct {
	VendorID  int64
	Has       bool
	Scheme    string // how it is paid, as read
	Holder    string
	Account   string // masked
	BIC       string
	Routing   string
	Type      string // checking or savings
	CanUpdate bool
	CSRF      string
}

// BankPath is the vendor's bank details form.
func BankPath(vendorID int64) string { return "/vendors/" + strconv.FormatInt(vendorID, 10) + "/bank" }

// BankRemovePath forgets the vendor's bank details.
func BankRemovePath(vendorID int64) string { return BankPath(vendorID) + "/remove" }
