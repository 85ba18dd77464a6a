// Package policy names the roles every tenant starts with. The role policies that decide which
// pages each role may reach are kept per tenant and enforced here as the product grows.
package policy

// Built-in roles, seeded into every tenant database by its first migration.
const (
	RoleRequester = "requester"
	RoleApprover  = "approver"
	RoleAPClerk   = "ap_clerk"
	RoleAuditor   = "auditor"
	RoleAdmin     = "admin"
)

// BuiltinRoles lists the built-in roles in the order people meet them.
var BuiltinRoles = []string{RoleRequester, RoleApprover, RoleAPClerk, RoleAuditor, RoleAdmin}
