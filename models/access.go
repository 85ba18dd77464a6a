package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/audit"
	"outlay/policy"
)

// ErrLastRoleEditor refuses a change that would leave no active person able to edit roles
// and permissions: nobody could then give that power back.
var ErrLastRoleEditor = outlay.Conflict("This would leave nobody able to change roles and permissions. At least one active person must keep that permission.")

// ErrLastAdmin refuses a change that would leave the organisation without an active person
// holding the Admin role, who alone holds every administrative power by default: a narrow
// role that may only edit roles could not give the rest back.
var ErrLastAdmin = outlay.Conflict("This would leave the organisation without an active admin. Give the Admin role to someone else first.")

// errLastGiver marks a change refused because a permission would be left with nobody able to
// give it back (givers); its message names the permission.
var errLastGiver = errors.New("last giver of a permission")

// IsLastAccessRefusal says whether err is ErrLastRoleEditor, ErrLastAdmin or a permission
// left with nobody to give it back: a change refused because it would leave nobody to run
// the organisation.
func IsLastAccessRefusal(err error) bool {
	return errors.Is(err, ErrLastRoleEditor) || errors.Is(err, ErrLastAdmin) || errors.Is(err, errLastGiver)
}

// lastGiverError is a conflict that errLastGiver marks.
type lastGiverError struct{ conflict error }

func (e lastGiverError) Error() string   { return e.conflict.Error() }
func (e lastGiverError) Unwrap() []error { return []error{e.conflict, errLastGiver} }

// givers reads the permissions that some active person could give back if they were taken
// away: those held by an active person who may also change roles. Only someone who holds a
// permission may give it (Grantor), so a permission that leaves this set is lost to the
// organisation: nobody could ever grant it again.
func givers(tx *gorm.DB) ([]policy.Permission, error) {
	var out []policy.Permission
	err := tx.Raw(`SELECT DISTINCT c.v1 AS object, c.v2 AS action
		FROM users u
		JOIN user_roles ur ON ur.user_id = u.id
		JOIN casbin_rule c ON c.ptype = 'p' AND c.v0 = ur.role
		WHERE u.status = 'active' AND EXISTS (
			SELECT 1 FROM user_roles er
			JOIN casbin_rule e ON e.ptype = 'p' AND e.v0 = er.role AND e.v1 = ? AND e.v2 = ?
			WHERE er.user_id = u.id)
		ORDER BY 1, 2`, policy.RoleEditor.Object, policy.RoleEditor.Action).Scan(&out).Error
	return out, err
}

// changesRoles says whether person userID is active and may change roles.
func changesRoles(tx *gorm.DB, userID int64) (bool, error) {
	var ok bool
	err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM users u
		JOIN user_roles ur ON ur.user_id = u.id
		JOIN casbin_rule c ON c.ptype = 'p' AND c.v0 = ur.role AND c.v1 = ? AND c.v2 = ?
		WHERE u.id = ? AND u.status = 'active')`, policy.RoleEditor.Object, policy.RoleEditor.Action, userID).Scan(&ok).Error
	return ok, err
}

// ensureGiversRemain refuses a change after which a permission that someone could give back
// before (in before, from givers) has nobody left who could.
func ensureGiversRemain(tx *gorm.DB, before []policy.Permission) error {
	after, err := givers(tx)
	if err != nil {
		return err
	}
	for _, p := range before {
		if !slices.Contains(after, p) {
			return lastGiverError{outlay.Conflict(fmt.Sprintf("This would leave nobody who changes roles holding “%s”, and only someone who holds a permission "+
				"may give it, so it could never be given again. First give it to another role of someone who changes roles.", p.Phrase()))}
		}
	}
	return nil
}

// accessLockKey serialises every change that can remove the power to edit roles, so that two
// concurrent edits cannot each believe the other admin remains.
const accessLockKey = 72450002

func lockAccess(tx *gorm.DB) error {
	return tx.Exec(`SELECT pg_advisory_xact_lock(?)`, accessLockKey).Error
}

// ensureRoleEditorRemains fails unless some active user still holds policy.RoleEditor.
func ensureRoleEditorRemains(tx *gorm.DB) error {
	var ok bool
	err := tx.Raw(`SELECT EXISTS (
		SELECT 1 FROM users u
		JOIN user_roles ur ON ur.user_id = u.id
		JOIN casbin_rule c ON c.ptype = 'p' AND c.v0 = ur.role AND c.v1 = ? AND c.v2 = ?
		WHERE u.status = 'active')`, policy.RoleEditor.Object, policy.RoleEditor.Action).Scan(&ok).Error
	if err != nil {
		return err
	}
	if !ok {
		return ErrLastRoleEditor
	}
	return nil
}

// activeAdminExists says whether an active person holds the Admin role.
func activeAdminExists(tx *gorm.DB) (bool, error) {
	var ok bool
	err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM users u JOIN user_roles ur ON ur.user_id = u.id
		WHERE ur.role = ? AND u.status = 'active')`, policy.RoleAdmin).Scan(&ok).Error
	return ok, err
}

// guardedAccessChange runs fn in a transaction that holds the access lock and checks, before
// committing, that someone can still edit roles, that if an active admin was there before one
// still is, and that every permission someone could give back before still has someone who
// could (ensureGiversRemain).
func guardedAccessChange(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return guardedChangeOf(ctx, db, Grantor{}, 0, fn)
}

// guardedChangeOf is guardedAccessChange for a change of person alone (their roles, their
// status) by g: what someone could give back can shrink only if they change roles
// themselves, so for anyone else (most people, and most rows of a people import) it is not
// read twice. The operator's change is not held to it: taking a compromised admin out must
// not wait on their permissions, and the operator, who is not limited, can give them back
// (outlay user add).
func guardedChangeOf(ctx context.Context, db *gorm.DB, g Grantor, person int64, fn func(tx *gorm.DB) error) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockAccess(tx); err != nil {
			return err
		}
		hadAdmin, err := activeAdminExists(tx)
		if err != nil {
			return err
		}
		check := person == 0
		if g.operator && person != 0 {
			check = false
		} else if !check {
			if check, err = changesRoles(tx, person); err != nil {
				return err
			}
		}
		var given []policy.Permission
		if check {
			if given, err = givers(tx); err != nil {
				return err
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		if err := ensureRoleEditorRemains(tx); err != nil {
			return err
		}
		if hasAdmin, err := activeAdminExists(tx); err != nil || (hadAdmin && !hasAdmin) {
			return cmp.Or(err, ErrLastAdmin)
		}
		if !check {
			return nil
		}
		return ensureGiversRemain(tx, given)
	})
}

// PolicyRule is one row of casbin_rule, the table Casbin's GORM adapter reads.
type PolicyRule struct {
	ID    int64
	Ptype string
	V0    string
	V1    string
	V2    string
	V3    string
	V4    string
	V5    string
}

// TableName is the adapter's table.
func (PolicyRule) TableName() string { return "casbin_rule" }

// SetPermission grants or revokes one permission of a role, as ChangePermission does, for
// callers that need not know whether the role was already as asked.
func SetPermission(ctx context.Context, db *gorm.DB, g Grantor, role string, p policy.Permission, granted bool) error {
	_, err := ChangePermission(ctx, db, g, role, p, granted)
	return err
}

// PermissionChange is what a change of one permission of a role did.
type PermissionChange struct {
	// Changed says the role was not already as asked.
	Changed bool
	// Uninvited names, in order, the invited people whose set-password links stopped
	// working because the role now gives them a permission their links were not made for:
	// each needs their invitation resent.
	Uninvited []string
}

// ChangePermission grants or revokes one permission of a role, and reports whether the role
// changed: granting what it already has, or revoking what it lacks, writes nothing, records
// nothing and leaves the policy version alone. g may change only a role within its reach, and
// only with a permission it holds; a refusal is a *GrantRefused, and is audited, even when the
// role is already as asked (the request was still one g may not make). A grant that gives
// invited people a permission they did not hold spends their set-password links, as giving
// them a role does (see spendInvitationLinks), and names them in Uninvited.
func ChangePermission(ctx context.Context, db *gorm.DB, g Grantor, role string, p policy.Permission, granted bool) (PermissionChange, error) {
	var out PermissionChange
	err := guardedAccessChange(ctx, db, func(tx *gorm.DB) error {
		if _, err := findRole(tx, role); err != nil {
			return err
		}
		reach, err := g.Reach(ctx, tx)
		if err != nil {
			return err
		}
		if err := reach.checkPermission(role, p, granted); err != nil {
			return err
		}
		// Every write of casbin_rule holds the access lock, so what is read here stays true
		// until this transaction ends.
		var has bool
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM casbin_rule WHERE ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ?)`,
			role, p.Object, p.Action).Scan(&has).Error; err != nil {
			return err
		}
		if has == granted {
			return nil
		}
		if granted {
			if out.Uninvited, err = spendLinksOfInvitedGaining(tx, role, p); err != nil {
				return err
			}
			err = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&PolicyRule{Ptype: "p", V0: role, V1: p.Object, V2: p.Action}).Error
		} else {
			err = tx.Where("ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ?", role, p.Object, p.Action).Delete(&PolicyRule{}).Error
		}
		if err != nil {
			return err
		}
		out.Changed = true
		return audit.Event(ctx, tx, audit.EventPolicyChanged, role, map[string]any{"permission": p.String(), "granted": granted})
	})
	if err != nil {
		return PermissionChange{}, auditRefusal(ctx, db, err)
	}
	return out, nil
}

// spendLinksOfInvitedGaining spends the set-password links of the invited people whom role
// is about to give p, which none of their roles gives them yet, and returns the names of
// those whose links still worked.
func spendLinksOfInvitedGaining(tx *gorm.DB, role string, p policy.Permission) ([]string, error) {
	var gaining []int64
	err := tx.Raw(`SELECT u.id FROM users u
		WHERE u.status = ? AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role = ?)
		AND NOT EXISTS (SELECT 1 FROM user_roles ur JOIN casbin_rule h ON h.ptype = 'p' AND h.v0 = ur.role
			WHERE ur.user_id = u.id AND h.v1 = ? AND h.v2 = ?)`, UserInvited, role, p.Object, p.Action).Scan(&gaining).Error
	if err != nil {
		return nil, err
	}
	held, err := spendInvitationLinks(tx, gaining)
	if err != nil || len(held) == 0 {
		return nil, err
	}
	var names []string
	err = tx.Model(&User{}).Where("id IN ?", held).Order("lower(name), id").Pluck("name", &names).Error
	return names, err
}

// FindRole returns the role with this name.
func FindRole(ctx context.Context, db *gorm.DB, name string) (*Role, error) {
	return findRole(db.WithContext(ctx), name)
}

func findRole(tx *gorm.DB, name string) (*Role, error) {
	var r Role
	err := tx.Where("name = ?", name).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound(fmt.Sprintf("no role %q", name))
	}
	return &r, err
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// roleName derives a stable key from a label: "Finance lead" → "finance_lead".
func roleName(label string) string {
	n := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(label), "_"), "_")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "role_" + n
	}
	if len(n) > 40 {
		n = strings.TrimRight(n[:40], "_")
	}
	return n
}

// MaxRoleLabel is the longest name a role may have, in characters.
const MaxRoleLabel = 60

func validateRoleLabel(label string) (string, error) {
	label = oneSpaced(label)
	verr := outlay.ValidationErrors{}
	switch n := utf8.RuneCountInString(label); {
	case label == "":
		verr.Add("label", "Enter a name for the role.")
	case n > MaxRoleLabel:
		verr.Add("label", tooLong("A role's name", MaxRoleLabel, n))
	default:
		checkOneLine(verr, "label", label)
		if mixed := mixedScripts(label); mixed != "" && len(verr) == 0 {
			verr.Add("label", "Write the role's name in one alphabet: this one mixes "+mixed+" letters, so it could pass for another role's name.")
		}
	}
	return label, verr.Err()
}

// checkRoleLabelFree refuses label when a role other than except (a role's key, "" for none)
// has it already, in any case, or has one that reads the same on screen (confusableSkeleton:
// "Admin" with a Cyrillic А, "ＡＤＭＩＮ", "Ad​min"), so that no one is given a look-alike of a
// role for the role.
func checkRoleLabelFree(tx *gorm.DB, label, except string) error {
	var roles []Role
	if err := tx.Select("name", "label").Where("name <> ?", except).Find(&roles).Error; err != nil {
		return err
	}
	want := confusableSkeleton(label)
	for _, r := range roles {
		switch {
		case strings.EqualFold(r.Label, label):
			return outlay.ValidationErrors{"label": "A role with this name already exists."}
		case confusableSkeleton(r.Label) == want:
			return outlay.ValidationErrors{"label": fmt.Sprintf("This name looks the same as the role “%s”. Choose a name that reads differently, so that no one is given one role for the other.", r.Label)}
		}
	}
	return nil
}

// CreateRole adds a custom role with no permissions.
func CreateRole(ctx context.Context, db *gorm.DB, label string) (*Role, error) {
	label, err := validateRoleLabel(label)
	if err != nil {
		return nil, err
	}
	r := &Role{Name: roleName(label), Label: label}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var clash int64
		if err := tx.Model(&Role{}).Where("name = ?", r.Name).Count(&clash).Error; err != nil {
			return err
		}
		if clash > 0 {
			return outlay.ValidationErrors{"label": "A role with this name already exists."}
		}
		if err := checkRoleLabelFree(tx, label, ""); err != nil {
			return err
		}
		err := tx.Create(r).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return outlay.ValidationErrors{"label": "A role with this name already exists."}
		}
		if err != nil {
			return err
		}
		return audit.Event(ctx, tx, audit.EventRoleChanged, r.Name, map[string]any{"change": "created", "label": label})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// RenameRole changes a custom role's label; its key, grants and members stay.
func RenameRole(ctx context.Context, db *gorm.DB, g Grantor, name, label string) error {
	label, err := validateRoleLabel(label)
	if err != nil {
		return err
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := findRole(tx, name)
		if err != nil {
			return err
		}
		// A role's name is what people are given it by: renaming one that carries more than
		// the editor holds (a powerful role made to read "Read-only viewer") is refused, as
		// changing its permissions is.
		reach, err := g.Reach(ctx, tx)
		if err != nil {
			return err
		}
		if !reach.Reaches(name) {
			missing := reach.missing([]string{name})
			return &GrantRefused{Field: "label",
				Message: fmt.Sprintf("You cannot rename %s: it carries permissions you do not hold (%s). Ask someone who holds them.",
					r.Label, permissionList(missing)),
				subject: name,
				details: map[string]any{"attempt": "rename role", "roles": []string{name}, "missing": permissionNames(missing)}}
		}
		if r.Builtin {
			return outlay.ValidationErrors{"label": "Built-in roles keep their names."}
		}
		if err := checkRoleLabelFree(tx, label, name); err != nil {
			return err
		}
		from := r.Label
		if err := tx.Model(r).Update("label", label).Error; err != nil {
			return err
		}
		return audit.Event(ctx, tx, audit.EventRoleChanged, name, map[string]any{"change": "renamed", "from": from, "to": label})
	})
	return auditRefusal(ctx, db, err)
}

// DeleteRole removes a custom role, its grants and its memberships. g may delete only a role
// within its reach, since deleting it takes it away from everyone who holds it; a refusal is
// a *GrantRefused, and is audited.
func DeleteRole(ctx context.Context, db *gorm.DB, g Grantor, name string) error {
	err := guardedAccessChange(ctx, db, func(tx *gorm.DB) error {
		r, err := findRole(tx, name)
		if err != nil {
			return err
		}
		reach, err := g.Reach(ctx, tx)
		if err != nil {
			return err
		}
		if err := reach.checkRoles(tx, "delete role", name, []string{name}); err != nil {
			return err
		}
		if r.Builtin {
			return outlay.ValidationErrors{"": "Built-in roles cannot be deleted."}
		}
		// A role that approval rules name, or that open approval steps wait for, stays: its
		// steps would otherwise wait for nobody.
		var routed int64
		if err := tx.Model(&ApprovalRuleStep{}).Where("role = ?", name).Count(&routed).Error; err != nil {
			return err
		}
		if routed == 0 {
			if err := tx.Model(&ApprovalStep{}).Where("kind = ? AND role = ? AND status IN ?", StepRole, name,
				[]string{StepWaiting, StepPending}).Count(&routed).Error; err != nil {
				return err
			}
		}
		if routed > 0 {
			return outlay.ValidationErrors{"": "Approval rules or open approvals route to this role. Change those rules, and let the open approvals finish, before deleting it."}
		}
		if err := tx.Where("ptype = 'p' AND v0 = ?", name).Delete(&PolicyRule{}).Error; err != nil {
			return err
		}
		if err := tx.Where("role = ?", name).Delete(&UserRole{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(r).Error; err != nil {
			return err
		}
		return audit.Event(ctx, tx, audit.EventRoleChanged, name, map[string]any{"change": "deleted", "label": r.Label})
	})
	return auditRefusal(ctx, db, err)
}

// SetUserRoles replaces a user's roles.
func SetUserRoles(ctx context.Context, db *gorm.DB, userID int64, roles []string) error {
	roles = uniq(roles)
	if len(roles) == 0 {
		return outlay.ValidationErrors{"roles": "Choose at least one role."}
	}
	return guardedChangeOf(ctx, db, Grantor{}, userID, func(tx *gorm.DB) error {
		verr := outlay.ValidationErrors{}
		if err := checkRolesExist(tx, verr, roles); err != nil {
			return err
		}
		if err := verr.Err(); err != nil {
			return err
		}
		_, err := replaceUserRoles(tx, userID, roles)
		return err
	})
}

// checkRolesExist adds a message to verr unless every one of roles exists, naming those that
// do not and the roles there are.
func checkRolesExist(tx *gorm.DB, verr outlay.ValidationErrors, roles []string) error {
	roles = uniq(roles)
	var known []string
	if err := tx.Model(&Role{}).Where("name IN ?", roles).Pluck("name", &known).Error; err != nil {
		return err
	}
	if len(known) == len(roles) {
		return nil
	}
	var unknown []string
	for _, r := range roles {
		if !slices.Contains(known, r) {
			unknown = append(unknown, r)
		}
	}
	var all []string
	if err := tx.Model(&Role{}).Order("name").Pluck("name", &all).Error; err != nil {
		return err
	}
	verr.Add("roles", fmt.Sprintf("There is no role %s. The roles are %s.", strings.Join(unknown, ", "), strings.Join(all, ", ")))
	return nil
}

// replaceUserRoles gives a user exactly roles. It must run inside guardedAccessChange, which
// refuses the change if it leaves nobody able to edit roles. When the user is invited and
// roles carry a permission they did not hold, their set-password links that still worked
// are spent (see spendInvitationLinks), and spent says so.
func replaceUserRoles(tx *gorm.DB, userID int64, roles []string) (spent bool, err error) {
	roles = uniq(roles)
	var gains bool
	err = tx.Raw(`SELECT EXISTS (SELECT 1 FROM users u JOIN casbin_rule c ON c.ptype = 'p' AND c.v0 IN ?
		WHERE u.id = ? AND u.status = ? AND NOT EXISTS (
			SELECT 1 FROM user_roles ur JOIN casbin_rule h ON h.ptype = 'p' AND h.v0 = ur.role AND h.v1 = c.v1 AND h.v2 = c.v2
			WHERE ur.user_id = u.id))`, roles, userID, UserInvited).Scan(&gains).Error
	if err != nil {
		return false, err
	}
	if gains {
		held, err := spendInvitationLinks(tx, []int64{userID})
		if err != nil {
			return false, err
		}
		spent = len(held) > 0
	}
	if err := tx.Where("user_id = ? AND role NOT IN ?", userID, roles).Delete(&UserRole{}).Error; err != nil {
		return false, err
	}
	var have []string
	if err := tx.Model(&UserRole{}).Where("user_id = ?", userID).Pluck("role", &have).Error; err != nil {
		return false, err
	}
	for _, r := range roles {
		if slices.Contains(have, r) {
			continue
		}
		if err := tx.Create(&UserRole{UserID: userID, Role: r}).Error; err != nil {
			return false, err
		}
	}
	return spent, touchPolicy(tx)
}

// touchPolicy bumps the policy version after a membership change, so cached decisions that
// depend on it are re-read.
func touchPolicy(tx *gorm.DB) error {
	return tx.Exec(`UPDATE policy_state SET version = version + 1 WHERE id = 1`).Error
}

// DeactivateUser offboards a person at once: status, every session, every API token and
// every unused set-password link. Their next request, on any app server, is refused. g may
// deactivate only a person within its reach; a refusal is a *GrantRefused, and is audited.
func DeactivateUser(ctx context.Context, db *gorm.DB, g Grantor, userID int64) error {
	err := guardedChangeOf(ctx, db, g, userID, func(tx *gorm.DB) error {
		if _, err := g.mayChange(ctx, tx, "deactivate", userID); err != nil {
			return err
		}
		res := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"status": UserDeactivated, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return outlay.ErrNotFound
		}
		if err := RevokeSessions(ctx, tx, userID); err != nil {
			return err
		}
		// A link mailed before the deactivation must not come back to life on reactivation.
		if err := tx.Exec(`UPDATE password_resets SET used_at = now() WHERE user_id = ? AND used_at IS NULL`, userID).Error; err != nil {
			return err
		}
		if err := tx.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", time.Now().UTC()).Error; err != nil {
			return err
		}
		return audit.Event(ctx, tx, audit.EventUserDeactivated, strconv.FormatInt(userID, 10), nil)
	})
	return auditRefusal(ctx, db, err)
}

// ReactivateUser lets a deactivated person sign in again (their old tokens stay revoked). g
// may reactivate only a person within its reach; a refusal is a *GrantRefused, and is audited.
func ReactivateUser(ctx context.Context, db *gorm.DB, g Grantor, userID int64) error {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockAccess(tx); err != nil {
			return err
		}
		if _, err := g.mayChange(ctx, tx, "reactivate", userID); err != nil {
			return err
		}
		res := tx.Model(&User{}).Where("id = ? AND status = ?", userID, UserDeactivated).
			Updates(map[string]any{"status": gorm.Expr("CASE WHEN password_hash IS NULL THEN 'invited' ELSE 'active' END"), "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return outlay.ErrNotFound
		}
		// The row's change says only that the status moved; the event says who was let back in.
		return audit.Event(ctx, tx, audit.EventUserReactivated, strconv.FormatInt(userID, 10), nil)
	})
	return auditRefusal(ctx, db, err)
}

// RoleSummary is a role with how many active or invited people hold it.
type RoleSummary struct {
	Role
	Members int
}

// RoleSummaries lists roles, built-in ones first, with their member counts.
func RoleSummaries(ctx context.Context, db *gorm.DB) ([]RoleSummary, error) {
	var out []RoleSummary
	err := db.WithContext(ctx).Raw(`
		SELECT r.name, r.label, r.builtin,
		       (SELECT count(*) FROM user_roles ur JOIN users u ON u.id = ur.user_id
		        WHERE ur.role = r.name AND u.status <> 'deactivated') AS members
		FROM roles r
		ORDER BY r.builtin DESC,
		         array_position(ARRAY['requester','approver','ap_clerk','auditor','admin'], r.name), r.label`).Scan(&out).Error
	return out, err
}

// UserChoice is a person to pick from a list.
type UserChoice struct {
	ID    int64
	Name  string
	Email string
	Roles string // comma-separated role names
}

// CurrentUserChoice returns person id with their roles when they are not deactivated; nil
// when there is no such current person.
func CurrentUserChoice(ctx context.Context, db *gorm.DB, id int64) (*UserChoice, error) {
	var out []UserChoice
	err := db.WithContext(ctx).Raw(`
		SELECT u.id, u.name, u.email, COALESCE(string_agg(ur.role, ',' ORDER BY ur.role), '') AS roles
		FROM users u LEFT JOIN user_roles ur ON ur.user_id = u.id
		WHERE u.id = ? AND u.status <> 'deactivated'
		GROUP BY u.id`, id).Scan(&out).Error
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}
