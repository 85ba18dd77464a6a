package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/policy"
)

// EventAccessRefused records a change of access that was refused because the person asking
// does not hold what they tried to give, take or touch.
const EventAccessRefused = "access.refused"

// Grantor is who changes access: a signed-in person, who may give or take away only what they
// hold themselves, or the operator at the command line, who is not limited.
//
// The rule: a role may be given or taken away only by someone who holds every permission it
// carries, and a person may be edited, deactivated or reactivated only by someone who holds
// every permission that person holds. Roles are edited under the same rule: only roles the
// editor could give, and only with permissions the editor holds.
type Grantor struct {
	operator bool
	userID   int64
	// known is the reach already read, under the access lock, in the transaction the changes
	// are made in, by a caller that makes many of them (an import): see withReach.
	known *Reach
}

// withReach is g with its reach r already read (nil: none), which Reach then returns rather
// than reading it again. It must be read under the access lock, in the transaction of the
// changes, and again after any of them changes the grantor's own roles.
func (g Grantor) withReach(r *Reach) Grantor {
	g.known = r
	return g
}

// ByOperator is the operator's command line, which may grant anything.
func ByOperator() Grantor { return Grantor{operator: true} }

// ByPerson is the signed-in person userID. Their permissions are read from the database in
// the transaction that makes the change, so a change made meanwhile cannot be raced.
func ByPerson(userID int64) Grantor { return Grantor{userID: userID} }

// Reach is what a grantor may give and take: the permissions they hold, and the roles that
// carry any permission they lack, with what those roles carry beyond them.
type Reach struct {
	all      bool
	held     map[policy.Permission]bool
	withheld map[string][]policy.Permission
}

// Reach reads what lies within the grantor's reach.
func (g Grantor) Reach(ctx context.Context, db *gorm.DB) (*Reach, error) {
	if g.known != nil {
		return g.known, nil
	}
	r := &Reach{all: g.operator, held: map[policy.Permission]bool{}, withheld: map[string][]policy.Permission{}}
	if g.operator {
		return r, nil
	}
	var rows []struct {
		Role, Object, Action string
		Held                 bool
	}
	err := db.WithContext(ctx).Raw(`
		SELECT c.v0 AS role, c.v1 AS object, c.v2 AS action, EXISTS (
			SELECT 1 FROM user_roles ur
			JOIN casbin_rule h ON h.ptype = 'p' AND h.v0 = ur.role AND h.v1 = c.v1 AND h.v2 = c.v2
			WHERE ur.user_id = ?) AS held
		FROM casbin_rule c WHERE c.ptype = 'p'
		ORDER BY c.v0, c.v1, c.v2`, g.userID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		p := policy.Permission{Object: row.Object, Action: row.Action}
		if row.Held {
			r.held[p] = true
		} else {
			r.withheld[row.Role] = append(r.withheld[row.Role], p)
		}
	}
	return r, nil
}

// Holds reports whether the grantor holds p.
func (r *Reach) Holds(p policy.Permission) bool { return r.all || r.held[p] }

// Reaches reports whether every one of roles is within the grantor's reach.
func (r *Reach) Reaches(roles ...string) bool {
	for _, name := range roles {
		if len(r.withheld[name]) > 0 {
			return false
		}
	}
	return true
}

// missing lists, without repeats, the permissions of roles that the grantor lacks.
func (r *Reach) missing(roles []string) []policy.Permission {
	var out []policy.Permission
	for _, name := range roles {
		for _, p := range r.withheld[name] {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// GrantRefused is a change of access refused under the grantor's rule. Field is the form
// field the message belongs beside.
type GrantRefused struct {
	Field   string
	Message string
	subject string
	details map[string]any
}

func (e *GrantRefused) Error() string { return e.Message }

// AsGrantRefused extracts a GrantRefused from err's chain.
func AsGrantRefused(err error) (*GrantRefused, bool) {
	var r *GrantRefused
	return r, errors.As(err, &r)
}

// permissionList reads permissions as people do, at most three named.
func permissionList(ps []policy.Permission) string {
	var names []string
	for i, p := range ps {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(ps)-3))
			break
		}
		names = append(names, p.Phrase())
	}
	return strings.Join(names, ", ")
}

func permissionNames(ps []policy.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// roleLabels reads role names as their labels, for messages.
func roleLabels(tx *gorm.DB, names []string) ([]string, error) {
	var labels []string
	err := tx.Model(&Role{}).Where("name IN ?", names).Order("label").Pluck("label", &labels).Error
	return labels, err
}

// checkRoles refuses giving or taking away any of roles that lies beyond the grantor.
func (r *Reach) checkRoles(tx *gorm.DB, attempt, subject string, roles []string) error {
	var beyond []string
	for _, name := range uniq(roles) {
		if !r.Reaches(name) {
			beyond = append(beyond, name)
		}
	}
	if len(beyond) == 0 {
		return nil
	}
	slices.Sort(beyond)
	labels, err := roleLabels(tx, beyond)
	if err != nil {
		return err
	}
	missing := r.missing(beyond)
	carries := "it carries"
	if len(labels) > 1 {
		carries = "they carry"
	}
	return &GrantRefused{Field: "roles",
		Message: fmt.Sprintf("You cannot give or take away %s: %s permissions you do not hold (%s). Ask someone who holds them.",
			strings.Join(labels, ", "), carries, permissionList(missing)),
		subject: subject,
		details: map[string]any{"attempt": attempt, "roles": beyond, "missing": permissionNames(missing)}}
}

// checkPerson refuses touching a person who holds permissions the grantor lacks.
func (r *Reach) checkPerson(tx *gorm.DB, attempt string, userID int64) error {
	if r.all {
		return nil
	}
	var u User
	if err := tx.Select("id", "email", "name").Take(&u, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil // the change itself reports the person as not found
		}
		return err
	}
	var roles []string
	if err := tx.Model(&UserRole{}).Where("user_id = ?", userID).Order("role").Pluck("role", &roles).Error; err != nil {
		return err
	}
	if r.Reaches(roles...) {
		return nil
	}
	missing := r.missing(roles)
	return &GrantRefused{Field: "roles",
		Message: fmt.Sprintf("%s holds permissions you do not have (%s), so only someone who holds them can change their account.",
			u.Name, permissionList(missing)),
		subject: u.Email,
		details: map[string]any{"attempt": attempt, "user_id": userID, "roles": roles, "missing": permissionNames(missing)}}
}

// mayVouchForEveryone refuses, and audits the refusal, setting up or changing a way to sign
// in (a single sign-on provider) unless the grantor could change every person who is not
// deactivated: a provider signs people in by their address, so whoever controls it can sign
// in as any of them. subject names the provider.
func (g Grantor) mayVouchForEveryone(ctx context.Context, db *gorm.DB, subject string) error {
	return g.mayChangeEveryone(ctx, db, "change sign-in provider", subject, "A sign-in provider can sign in anyone here")
}

// mayChangeEveryone refuses, and audits the refusal, a change that bears on how every person
// signs in (a provider, the sign-in or two-factor policy) unless the grantor could change
// every person who is not deactivated: otherwise someone given only that page could lock
// out, or open up, people who hold more than they do. why says what the change governs, as
// the first half of the refusal's sentence.
func (g Grantor) mayChangeEveryone(ctx context.Context, db *gorm.DB, attempt, subject, why string) error {
	return g.mayReachEveryone(ctx, db, attempt, subject, why, "change it")
}

// MayExportEverything refuses, and audits the refusal, an export of the organisation's whole
// data unless the grantor could change every person who is not deactivated: the archive holds
// every account with its password hash (an import of it signs them in as before), so whoever
// holds it could try the hashes offline and sign in as someone who holds more than they do.
func (g Grantor) MayExportEverything(ctx context.Context, db *gorm.DB) error {
	return g.mayReachEveryone(ctx, db, "export everything", "tenant_export",
		"An export of everything holds every person's account, password hashes included", "export it")
}

// mayReachEveryone is mayChangeEveryone and MayExportEverything, whose refusal ends "so only
// someone who holds them can " and then do.
func (g Grantor) mayReachEveryone(ctx context.Context, db *gorm.DB, attempt, subject, why, do string) error {
	reach, err := g.Reach(ctx, db)
	if err != nil || reach.all {
		return err
	}
	var roles []string
	err = db.WithContext(ctx).Raw(`SELECT DISTINCT ur.role FROM user_roles ur
		JOIN users u ON u.id = ur.user_id WHERE u.status <> ? ORDER BY ur.role`, UserDeactivated).
		Scan(&roles).Error
	if err != nil || reach.Reaches(roles...) {
		return err
	}
	missing := reach.missing(roles)
	return auditRefusal(ctx, db, &GrantRefused{Field: "",
		Message: fmt.Sprintf("%s, and some people hold permissions you do not (%s), so only someone who holds them can %s.",
			why, permissionList(missing), do),
		subject: subject,
		details: map[string]any{"attempt": attempt, "missing": permissionNames(missing)}})
}

// asFormError is err with a grant refusal made the form's own error (under ""), for the
// settings pages that show a refusal above the form.
func asFormError(err error) error {
	if r, ok := AsGrantRefused(err); ok {
		return outlay.ValidationErrors{"": r.Message}
	}
	return err
}

// mayGive refuses, and audits the refusal, giving roles unless they lie within the grantor's
// reach. subject names what would give them.
func (g Grantor) mayGive(ctx context.Context, db *gorm.DB, attempt, subject string, roles ...string) error {
	reach, err := g.Reach(ctx, db)
	if err != nil {
		return err
	}
	return auditRefusal(ctx, db, reach.checkRoles(db.WithContext(ctx), attempt, subject, roles))
}

// personToChange is person userID, whom the grantor may change (mayChange, which audits a
// refusal); one who does not exist is not found.
func (g Grantor) personToChange(ctx context.Context, tx *gorm.DB, attempt string, userID int64) (*User, error) {
	if _, err := g.mayChange(ctx, tx, attempt, userID); err != nil {
		return nil, err
	}
	var u User
	if err := tx.Where("id = ?", userID).Take(&u).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	return &u, nil
}

// mayChange reads the grantor's reach and refuses changing person userID unless they lie
// within it.
func (g Grantor) mayChange(ctx context.Context, tx *gorm.DB, attempt string, userID int64) (*Reach, error) {
	reach, err := g.Reach(ctx, tx)
	if err != nil {
		return nil, err
	}
	return reach, reach.checkPerson(tx, attempt, userID)
}

// checkPermission refuses changing perm on role unless the grantor holds perm and could give
// the role.
func (r *Reach) checkPermission(role string, perm policy.Permission, granted bool) error {
	attempt := "grant permission"
	if !granted {
		attempt = "revoke permission"
	}
	details := map[string]any{"attempt": attempt, "permission": perm.String()}
	if !r.Holds(perm) {
		return &GrantRefused{Field: "", subject: role, details: details,
			Message: fmt.Sprintf("You cannot give or take away “%s”: you do not hold it yourself.", perm.Phrase())}
	}
	if missing := r.withheld[role]; len(missing) > 0 {
		details["missing"] = permissionNames(missing)
		return &GrantRefused{Field: "", subject: role, details: details,
			Message: fmt.Sprintf("You cannot change this role: it carries permissions you do not hold (%s).", permissionList(missing))}
	}
	return nil
}

// auditRefusal records a refused change of access. It runs after the change's transaction
// rolled back, so the record stays.
func auditRefusal(ctx context.Context, db *gorm.DB, err error) error {
	r, ok := AsGrantRefused(err)
	if !ok {
		return err
	}
	if aerr := audit.Event(ctx, db, EventAccessRefused, r.subject, r.details); aerr != nil {
		return aerr
	}
	return err
}
