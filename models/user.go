// Package models holds the tenant database's records and the queries over them. Every
// function takes the tenant's *gorm.DB: isolation between tenants is by connection, so no
// query here ever names a tenant.
package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay"
	"outlay/auth"
)

// User statuses.
const (
	UserInvited     = "invited"
	UserActive      = "active"
	UserDeactivated = "deactivated"
)

// User is a person who signs in to one tenant.
type User struct {
	ID           int64
	Email        string
	Name         string
	Status       string
	PasswordHash string `gorm:"default:null"`
	DepartmentID *int64
	ManagerID    *int64
	LocationID   *int64 // where the person works; nil for none
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Roles        []string `gorm:"-"`
}

// Role is a named set of permissions.
type Role struct {
	Name    string `gorm:"primaryKey" json:"name"`
	Label   string `json:"label"`
	Builtin bool   `json:"-"`
}

// UserRole grants a role to a user. Grants are written through this model, never raw SQL,
// so that every grant and revocation is audited.
type UserRole struct {
	UserID int64  `gorm:"primaryKey;autoIncrement:false"`
	Role   string `gorm:"primaryKey"`
}

// NewUser is what creating a user asks for.
type NewUser struct {
	Email    string
	Name     string
	Password string // empty: the user must set one through a link
	// Organisation is the name of the organisation, which the password must not be built on
	// (auth.ValidatePassword).
	Organisation string
	Roles        []string
	// DepartmentID and ManagerID place the person in the organisation; nil leaves them unset.
	DepartmentID *int64
	ManagerID    *int64
}

// NormalizeEmail trims an email for storage; comparisons are case-insensitive in queries.
func NormalizeEmail(email string) string { return strings.TrimSpace(email) }

// MaxEmail is the longest an email address may be (RFC 5321's limit on a path).
const MaxEmail = 254

// ValidateEmail explains what is wrong with an email address, or returns nil.
func ValidateEmail(email string) error {
	if email == "" {
		return errors.New("Enter an email address.")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") && !strings.HasSuffix(email, "@localhost") || len(email) > MaxEmail {
		return errors.New("Enter an email address like name@example.com.")
	}
	return nil
}

// CreateUser adds a user with roles, validating every field first. A duplicate email
// (in any case) is refused as a conflict.
func CreateUser(ctx context.Context, db *gorm.DB, in NewUser) (*User, error) {
	in.Email = NormalizeEmail(in.Email)
	in.Name = oneSpaced(in.Name)
	verr := outlay.ValidationErrors{}
	if err := ValidateEmail(in.Email); err != nil {
		verr.Add("email", err.Error())
	}
	validateName(verr, in.Name)
	if in.Password != "" {
		if err := auth.ValidatePassword(in.Password, auth.PasswordOwner{Email: in.Email, Name: in.Name, Organisation: in.Organisation}); err != nil {
			verr.Add("password", err.Error())
		}
	}
	if len(in.Roles) == 0 {
		verr.Add("roles", "Choose at least one role.")
	}
	// Without a password the person is invited: they set one through a link.
	u := &User{Email: in.Email, Name: in.Name, Status: UserInvited, DepartmentID: in.DepartmentID, ManagerID: in.ManagerID}
	if in.Password != "" && len(verr) == 0 {
		h, err := auth.HashPassword(in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash, u.Status = h, UserActive
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The checks that need the database run even when a field is already refused, so
		// that the form shows every problem at once. The unique index still decides a race.
		if _, refused := verr["email"]; !refused {
			var taken bool
			if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(?))`, in.Email).Scan(&taken).Error; err != nil {
				return err
			}
			if taken {
				verr.Add("email", "A user with this email already exists.")
			}
		}
		if len(in.Roles) > 0 {
			if err := checkRolesExist(tx, verr, in.Roles); err != nil {
				return err
			}
		}
		if err := checkPlacement(tx, verr, 0, placement{}, placement{in.DepartmentID, in.ManagerID}); err != nil {
			return err
		}
		if err := verr.Err(); err != nil {
			return err
		}
		if err := tx.Create(u).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return outlay.ValidationErrors{"email": "A user with this email already exists."}
			}
			return err
		}
		u.Roles = uniq(in.Roles)
		grants := make([]UserRole, len(u.Roles))
		for i, r := range u.Roles {
			grants[i] = UserRole{UserID: u.ID, Role: r}
		}
		if err := tx.Create(&grants).Error; err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func validateName(verr outlay.ValidationErrors, name string) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		verr.Add("name", "Enter a name.")
	case n > 200:
		verr.Add("name", tooLong("A name", 200, n))
	default:
		checkOneLine(verr, "name", name)
	}
}

// checkOneLine refuses, beside field, a name typed with what a name may not hold: every
// name an admin types (a vendor's, a role's, an approval rule's, …) passes here, whatever
// else its own form checks.
func checkOneLine(verr outlay.ValidationErrors, field, name string) {
	switch {
	case name != "" && !hasVisible(name):
		// A zero-width space alone passes for a name but shows none, in lists and in
		// the bank files a name goes into (which refuse it).
		verr.Add(field, "Type the name in letters or digits: this one holds only invisible characters.")
	case strings.IndexFunc(name, isLineBreakOrControl) >= 0:
		// A name is shown on one line, in lists and menus; a line break gets into one from a
		// file (a quoted value in an import), and would show two names where there is one.
		verr.Add(field, "Write the name on one line, without line breaks or tabs.")
	case strings.IndexFunc(name, isBidiControl) >= 0:
		// A right-to-left override turns the text after it around on screen, so that one
		// vendor's name can be made to look like another's.
		verr.Add(field, "Remove the invisible text-direction characters from the name.")
	}
}

// hasVisible says whether s holds a character that shows: a letter, digit, mark, symbol or
// punctuation. Text of spaces and invisible characters alone (a zero-width space, a joiner)
// is as good as empty: it names no one and gives no reason.
func hasVisible(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsGraphic(r) && !unicode.IsSpace(r) }) >= 0
}

// isLineBreakOrControl says whether r is a control character (tabs and line breaks among
// them) or one of Unicode's line and paragraph separators, which break a line too.
func isLineBreakOrControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// isBidiControl says whether r is one of Unicode's invisible controls of text direction
// (embeddings, overrides, isolates and marks). Letters of right-to-left scripts are not.
func isBidiControl(r rune) bool {
	return r == '\u200e' || r == '\u200f' || r == '\u061c' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// oneSpaced trims s and writes every run of spaces in it as one space: "Northwind  Cloud" is
// the name "Northwind Cloud", and the unique names of records compare them as one.
func oneSpaced(s string) string {
	return strings.Join(strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == ' ' }), " ")
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// passwordOwner is what auth.ValidatePassword checks a new password of u's against, in the
// organisation named org.
func (u *User) passwordOwner(org string) auth.PasswordOwner {
	return auth.PasswordOwner{Email: u.Email, Name: u.Name, Organisation: org}
}

// FindUserByEmail returns the user with this email, in any case.
func FindUserByEmail(ctx context.Context, db *gorm.DB, email string) (*User, error) {
	var u User
	err := db.WithContext(ctx).Where("lower(email) = lower(?)", NormalizeEmail(email)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.ErrNotFound
	}
	return &u, err
}

// SetPassword replaces a user's password and ends every session they have, so a reset
// throws out whoever else was signed in with the old one.
func SetPassword(ctx context.Context, db *gorm.DB, userID int64, password string) error {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return setPasswordHash(ctx, db, userID, hash)
}

// setPasswordHash is SetPassword with the password already hashed: hashing waits its turn
// among every sign-in of the server, which a transaction holding locks must not do.
func setPasswordHash(ctx context.Context, db *gorm.DB, userID int64, hash string) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{ID: userID}).Updates(map[string]any{"password_hash": hash, "updated_at": time.Now().UTC(),
			"status": gorm.Expr("CASE WHEN status = 'invited' THEN 'active' ELSE status END")})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return outlay.ErrNotFound
		}
		return RevokeSessions(ctx, tx, userID)
	})
}

// Roles lists the tenant's roles, built-in first.
func Roles(ctx context.Context, db *gorm.DB) ([]Role, error) {
	var roles []Role
	err := db.WithContext(ctx).Order("builtin DESC, name").Find(&roles).Error
	return roles, err
}

// InvitationTTL is how long the set-password link of an invitation works.
const InvitationTTL = 72 * time.Hour

// InviteUser adds a person without a password and issues the link with which they set one,
// in one transaction: either both exist or neither does. It returns the link's token. g may
// give only roles within its reach; a refusal is a *GrantRefused, and is audited.
func InviteUser(ctx context.Context, db *gorm.DB, g Grantor, in NewUser, ttl time.Duration) (*User, string, error) {
	u, token, _, err := InviteUserWithMail(ctx, db, g, in, ttl, nil)
	return u, token, err
}

// InviteUserWithMail is InviteUser that also queues the invitation compose writes, in the
// same transaction; with a nil compose no mail is queued and mailID is 0.
func InviteUserWithMail(ctx context.Context, db *gorm.DB, g Grantor, in NewUser, ttl time.Duration, compose ComposeLinkMail) (u *User, token string, mailID int64, err error) {
	in.Password = ""
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockAccess(tx); err != nil {
			return err
		}
		reach, err := g.Reach(ctx, tx)
		if err != nil {
			return err
		}
		// The refusal is audited under the address only if it is one: the form's text is not
		// yet checked, and the audit log keeps what it is given for good.
		subject := NormalizeEmail(in.Email)
		if ValidateEmail(subject) != nil {
			subject = "(an invalid email address)"
		}
		if err := reach.checkRoles(tx, "invite", subject, in.Roles); err != nil {
			return err
		}
		if u, err = CreateUser(ctx, tx, in); err != nil {
			return err
		}
		// The person was just created: no link of theirs to count, no status to look up.
		if token, err = issueReset(ctx, tx, u.ID, ttl, true); err != nil {
			return err
		}
		if compose != nil {
			mailID, err = QueueMail(ctx, tx, MailInvitation, compose(u, token), true)
		}
		return err
	})
	if err != nil {
		return nil, "", 0, auditRefusal(ctx, db, err)
	}
	return u, token, mailID, nil
}

// placement is where a person sits: their department and their manager.
type placement struct {
	DepartmentID *int64
	ManagerID    *int64
}

func sameID(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

// checkLocation adds a message to verr for a location that may not be chosen: a change must
// name an active location; the one a person already has stays theirs when it is archived.
func checkLocation(tx *gorm.DB, verr outlay.ValidationErrors, was, now *int64) error {
	if now == nil || sameID(was, now) {
		return nil
	}
	var ok bool
	if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM locations WHERE id = ? AND archived_at IS NULL)`, *now).Scan(&ok).Error; err != nil {
		return err
	}
	if !ok {
		verr.Add("location", "Choose a location from the list.")
	}
	return nil
}

// checkPlacement adds a message to verr for a department or manager that may not be chosen
// for user userID (0 for a new person). Only a change is checked against archived departments
// and deactivated managers, so that editing someone's name does not force a choice about a
// manager who left meanwhile.
func checkPlacement(tx *gorm.DB, verr outlay.ValidationErrors, userID int64, was, now placement) error {
	if d := now.DepartmentID; d != nil && !sameID(was.DepartmentID, d) {
		var ok bool
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM departments WHERE id = ? AND archived_at IS NULL)`, *d).Scan(&ok).Error; err != nil {
			return err
		}
		if !ok {
			verr.Add("department", "Choose a department from the list.")
		}
	}
	m := now.ManagerID
	if m == nil {
		return nil
	}
	if *m == userID {
		verr.Add("manager", "A person cannot be their own manager.")
		return nil
	}
	if sameID(was.ManagerID, m) {
		return nil
	}
	var status string
	if err := tx.Raw(`SELECT status FROM users WHERE id = ?`, *m).Scan(&status).Error; err != nil {
		return err
	}
	switch status {
	case "":
		verr.Add("manager", "Choose a manager from the list.")
		return nil
	case UserDeactivated:
		verr.Add("manager", "This person is deactivated; choose an active manager.")
		return nil
	}
	if userID == 0 {
		return nil
	}
	// Reporting lines must not loop: approval routing climbs them.
	var loops bool
	err := tx.Raw(`WITH RECURSIVE chain (id, manager_id) AS (
			SELECT id, manager_id FROM users WHERE id = ?
			UNION
			SELECT u.id, u.manager_id FROM users u JOIN chain c ON u.id = c.manager_id)
		SELECT EXISTS (SELECT 1 FROM chain WHERE id = ?)`, *m, userID).Scan(&loops).Error
	if err != nil {
		return err
	}
	if loops {
		verr.Add("manager", "This person already reports to them, directly or through others; choose someone else.")
	}
	return nil
}

// UserFilter narrows a list of people; zero values match everyone.
type UserFilter struct {
	Query  string // part of a name or email, in any case
	Role   string // a role name
	Status string // UserInvited, UserActive or UserDeactivated
	Offset int
	Limit  int
}

// UserSummary is a person as a list shows them.
type UserSummary struct {
	ID             int64
	Email          string
	Name           string
	Status         string
	Roles          []Role `gorm:"-"` // in the order the roles page shows them
	DepartmentName string
	ManagerName    string
	CreatedAt      time.Time
	TwoFactor      string // TwoFactorOn, TwoFactorMustEnrol, or "" (off)
}

// UserList is one page of people, and how many match the filter in all.
type UserList struct {
	Users []UserSummary
	Total int
}

// likePattern matches s anywhere, with LIKE's wildcards in s taken literally.
func likePattern(s string) string {
	return "%" + escapeLike(s) + "%"
}

func (f UserFilter) apply(q *gorm.DB) *gorm.DB {
	if s := strings.TrimSpace(f.Query); s != "" {
		q = q.Where(holdsText(s, peopleSearchColumns...))
	}
	if f.Role != "" {
		is := nameEquals("fr.role", f.Role)
		q = q.Where("EXISTS (SELECT 1 FROM user_roles fr WHERE fr.user_id = u.id AND "+is.SQL+")", is.Vars...)
	}
	if f.Status != "" {
		q = q.Where("u.status = ?", f.Status)
	}
	return q
}

// roleOrder sorts built-in roles as people meet them, then custom roles by label.
const roleOrder = `r.builtin DESC, array_position(ARRAY['requester','approver','ap_clerk','auditor','admin'], r.name), r.label`

// rolesJSON is a subquery listing the roles of the user u as JSON.
const rolesJSON = `COALESCE((SELECT json_agg(json_build_object('name', r.name, 'label', r.label) ORDER BY ` + roleOrder + `)
	FROM user_roles ur JOIN roles r ON r.name = ur.role WHERE ur.user_id = u.id), '[]')::text`

// ListUsers returns one page of the people who match f, by name, with the total that match.
func ListUsers(ctx context.Context, db *gorm.DB, f UserFilter) (UserList, error) {
	db = db.WithContext(ctx)
	var total int64
	if err := f.apply(db.Table("users u")).Count(&total).Error; err != nil {
		return UserList{}, err
	}
	var rows []userListRow
	if err := f.rows(db).Limit(f.Limit).Offset(f.Offset).Scan(&rows).Error; err != nil {
		return UserList{}, err
	}
	out := UserList{Total: int(total), Users: make([]UserSummary, 0, len(rows))}
	for _, r := range rows {
		u, err := r.summary()
		if err != nil {
			return UserList{}, err
		}
		out.Users = append(out.Users, u)
	}
	return out, nil
}

// EachUser calls fn with every person who matches f, in the list's order, reading them one
// at a time from the database (an export of any size).
func EachUser(ctx context.Context, db *gorm.DB, f UserFilter, fn func(UserSummary) error) (int, error) {
	return eachRow(f.rows(db.WithContext(ctx)), func(r userListRow) error {
		u, err := r.summary()
		if err != nil {
			return err
		}
		return fn(u)
	})
}

// userListRow is a person as the list's query reads them, their roles as JSON.
type userListRow struct {
	UserSummary
	RolesJSON string
}

func (r userListRow) summary() (UserSummary, error) {
	if err := json.Unmarshal([]byte(r.RolesJSON), &r.UserSummary.Roles); err != nil {
		return UserSummary{}, fmt.Errorf("decode roles: %w", err)
	}
	return r.UserSummary, nil
}

// rows is the list's query: what it reads of each person, by name, without paging.
func (f UserFilter) rows(db *gorm.DB) *gorm.DB {
	return f.apply(db.Table("users u")).
		Select(`u.id, u.email, u.name, u.status, u.created_at, COALESCE(d.name, '') AS department_name,
			COALESCE(m.name, '') AS manager_name, ` + rolesJSON + ` AS roles_json, ` + twoFactorStatus + ` AS two_factor`).
		Joins("LEFT JOIN departments d ON d.id = u.department_id").
		Joins("LEFT JOIN user_two_factor tf ON tf.user_id = u.id").
		Joins("LEFT JOIN users m ON m.id = u.manager_id").
		Order("lower(u.name), u.id")
}

// UserCounts is how many people there are in each status.
type UserCounts struct {
	Invited     int
	Active      int
	Deactivated int
}

// All is everyone, whatever their status.
func (c UserCounts) All() int { return c.Invited + c.Active + c.Deactivated }

// CountUsers counts the people in each status.
func CountUsers(ctx context.Context, db *gorm.DB) (UserCounts, error) {
	var c UserCounts
	err := db.WithContext(ctx).Raw(`SELECT count(*) FILTER (WHERE status = 'invited') AS invited,
		count(*) FILTER (WHERE status = 'active') AS active,
		count(*) FILTER (WHERE status = 'deactivated') AS deactivated FROM users`).Scan(&c).Error
	return c, err
}

// UserDetail is one person with their roles and where they sit.
type UserDetail struct {
	User
	RoleList           []Role `gorm:"-"` // Roles with their labels, in the roles page's order
	DepartmentName     string
	DepartmentArchived bool
	LocationName       string
	LocationArchived   bool
	ManagerName        string
	ManagerEmail       string
	ManagerStatus      string
}

// GetUser returns the person with this id, or ErrNotFound.
func GetUser(ctx context.Context, db *gorm.DB, id int64) (*UserDetail, error) {
	var row struct {
		UserDetail
		RolesJSON string
	}
	err := db.WithContext(ctx).Raw(`
		SELECT u.*, `+rolesJSON+` AS roles_json,
		       COALESCE(d.name, '') AS department_name, d.archived_at IS NOT NULL AS department_archived,
		       COALESCE(l.name, '') AS location_name, l.archived_at IS NOT NULL AS location_archived,
		       COALESCE(m.name, '') AS manager_name, COALESCE(m.email, '') AS manager_email, COALESCE(m.status, '') AS manager_status
		FROM users u
		LEFT JOIN departments d ON d.id = u.department_id
		LEFT JOIN locations l ON l.id = u.location_id
		LEFT JOIN users m ON m.id = u.manager_id
		WHERE u.id = ?`, id).Scan(&row).Error
	if err != nil {
		return nil, err
	}
	if row.ID == 0 {
		return nil, outlay.ErrNotFound
	}
	d := row.UserDetail
	if err := json.Unmarshal([]byte(row.RolesJSON), &d.RoleList); err != nil {
		return nil, fmt.Errorf("decode roles: %w", err)
	}
	for _, r := range d.RoleList {
		d.Roles = append(d.Roles, r.Name)
	}
	return &d, nil
}

// UserChange is an edit of a person: everything the edit form holds. Nil IDs clear the
// department, manager or location.
type UserChange struct {
	FormVersion  // of the person, as the edit form was read
	Name         string
	Roles        []string
	DepartmentID *int64
	ManagerID    *int64
	LocationID   *int64
}

// UpdateUser saves an edit of a person in one transaction, so that nothing is half-saved
// when any part is refused. It holds the access lock and runs the same check as
// SetUserRoles: taking the last role editor's admin role away is ErrLastRoleEditor. g may
// edit only a person within its reach, and give only roles within it; a refusal is a
// *GrantRefused, and is audited. Roles that give an invited person a permission they did
// not hold spend their set-password links (see spendInvitationLinks); UpdateUserWithMail
// also sends them a new one. An edit form read before the person last changed is refused
// (StaleFormError), roles and all.
func UpdateUser(ctx context.Context, db *gorm.DB, g Grantor, id int64, ch UserChange) error {
	_, err := UpdateUserWithMail(ctx, db, g, id, ch, 0, nil)
	return err
}

// Reinvitation is what an edit did to an invited person's set-password links.
type Reinvitation struct {
	// Spent says the edit gave the person a permission their links were not made for, and
	// spent those that still worked.
	Spent bool
	// Token and MailID are the new link and the invitation that carries it, when one was
	// sent; Refusal says why none was (the person was sent as many links as an hour allows).
	Token   string
	MailID  int64
	Refusal string
}

// UpdateUserWithMail is UpdateUser that, when the edit spends an invited person's links,
// sends them a new one in the invitation compose writes, in the same transaction: whoever
// makes the edit holds every permission of the roles they give (that is g's rule), so a new
// link shown to them without a mail server hands them nothing they do not hold. The new link
// is recorded as EventInvitationResent. A person sent as many links as an hour allows gets
// none, and Refusal says so; the edit is still saved. With a nil compose no link is sent.
func UpdateUserWithMail(ctx context.Context, db *gorm.DB, g Grantor, id int64, ch UserChange, ttl time.Duration, compose ComposeLinkMail) (Reinvitation, error) {
	ch.Name = oneSpaced(ch.Name)
	ch.Roles = uniq(ch.Roles)
	verr := outlay.ValidationErrors{}
	validateName(verr, ch.Name)
	if len(ch.Roles) == 0 {
		verr.Add("roles", "Choose at least one role.")
	}
	var re Reinvitation
	// Held to what role editors could give back even for the operator: only taking a person
	// out (DeactivateUser) is exempt.
	err := guardedChangeOf(ctx, db, Grantor{}, id, func(tx *gorm.DB) error {
		var cur User
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&cur, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return outlay.ErrNotFound
		}
		if err != nil {
			return err
		}
		reach, err := g.mayChange(ctx, tx, "update", id)
		if err != nil {
			return err
		}
		if err := reach.checkRoles(tx, "update", cur.Email, ch.Roles); err != nil {
			return err
		}
		// Their roles are saved with them, so a form read before someone gave or took a role
		// is refused rather than quietly undoing it.
		if err := ch.checkUnchanged("person", cur.UpdatedAt); err != nil {
			return err
		}
		if err := checkPlacement(tx, verr, id, placement{cur.DepartmentID, cur.ManagerID}, placement{ch.DepartmentID, ch.ManagerID}); err != nil {
			return err
		}
		if err := checkLocation(tx, verr, cur.LocationID, ch.LocationID); err != nil {
			return err
		}
		if len(ch.Roles) > 0 {
			if err := checkRolesExist(tx, verr, ch.Roles); err != nil {
				return err
			}
		}
		if err := verr.Err(); err != nil {
			return err
		}
		err = tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{
			"name": ch.Name, "department_id": ch.DepartmentID, "manager_id": ch.ManagerID, "location_id": ch.LocationID,
			"updated_at": time.Now().UTC(),
		}).Error
		if err != nil {
			return err
		}
		if re.Spent, err = replaceUserRoles(tx, id, ch.Roles); err != nil || !re.Spent || compose == nil {
			return err
		}
		cur.Name = ch.Name
		re.Token, re.MailID, err = issueInvitation(ctx, tx, &cur, ttl, compose,
			map[string]any{"reason": "Given more access than the earlier link was made for"})
		if errors.Is(err, ErrTooManyResets) {
			re.Refusal = fmt.Sprintf("%s was sent %d set-password links in the last hour, as many as an hour allows, so no new one was sent: resend the invitation later.",
				ch.Name, MaxResetsPerHour)
			return nil
		}
		return err
	})
	if err != nil {
		return Reinvitation{}, auditRefusal(ctx, db, err)
	}
	return re, nil
}
