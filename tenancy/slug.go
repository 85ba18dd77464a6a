package tenancy

import (
	"fmt"
	"regexp"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

// reservedSlugs are host names a tenant may not take, because the platform uses them or
// because a customer would be confused (or phished) by them.
var reservedSlugs = map[string]bool{
	"www": true, "api": true, "admin": true, "app": true, "static": true, "mail": true,
	"smtp": true, "imap": true, "pop": true, "ftp": true, "ns1": true, "ns2": true,
	"dns": true, "mx": true, "cdn": true, "assets": true, "auth": true, "login": true,
	"sso": true, "status": true, "support": true, "help": true, "docs": true, "blog": true,
	"dev": true, "test": true, "staging": true, "demo": true, "internal": true,
	"outlay": true, "control": true, "root": true, "system": true, "billing": true,
	"security": true, "metrics": true, "healthz": true, "readyz": true, "localhost": true,
	"postgres": true, "template0": true, "template1": true,
	// The blob store's folder of backups (backups/<slug>/…) sits beside the tenants' folders
	// of attachments (<slug>/…): a tenant of that name would have its purge delete them.
	"backups": true,
}

// ValidateSlug explains what is wrong with a tenant slug, or returns nil.
func ValidateSlug(slug string) error {
	switch {
	case slug == "":
		return fmt.Errorf("a slug is required")
	case len(slug) < 3 || len(slug) > 40:
		return fmt.Errorf("slug %q must be 3 to 40 characters long", slug)
	case !slugPattern.MatchString(slug):
		return fmt.Errorf("slug %q may contain only lowercase letters a-z, digits and '-', and must not start or end with '-'", slug)
	case reservedSlugs[slug]:
		return fmt.Errorf("slug %q is reserved; choose another", slug)
	}
	return nil
}
