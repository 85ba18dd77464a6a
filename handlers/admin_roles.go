package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/policy"
	"outlay/tenancy"
	"outlay/views"
	"outlay/views/roles"
)

// pagesFor lists the paths of the pages a permission opens.
func (s *Server) pagesFor(p policy.Permission) string {
	var paths []string
	for _, r := range s.routes {
		if r.Access == Permitted && (r.Perm == p || r.AlsoOpenedBy == p) && r.Method == get {
			paths = append(paths, r.Path)
		}
	}
	if len(paths) == 0 {
		return "actions only"
	}
	return strings.Join(paths, ", ")
}

func (s *Server) rolesPage(c *fiber.Ctx) error {
	return s.renderRoles(c, http.StatusOK, roles.Page{})
}

// renderRoles shows the roles page; typed carries what a refused form typed (the new role's
// name and template, or a rename) with its messages, shown again beside their fields.
func (s *Server) renderRoles(c *fiber.Ctx, status int, typed roles.Page) error {
	summaries, err := models.RoleSummaries(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	set := stateOf(c).policy
	reach, err := grantor(c).Reach(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	p := roles.Page{
		CSRFToken:   s.csrfToken(c),
		CanEdit:     s.can(c, policy.Permission{Object: outlay.ObjRoles, Action: outlay.ActUpdate}),
		CanCreate:   s.can(c, policy.Permission{Object: outlay.ObjRoles, Action: outlay.ActCreate}),
		CanDelete:   s.can(c, policy.Permission{Object: outlay.ObjRoles, Action: outlay.ActDelete}),
		NewLabel:    typed.NewLabel,
		NewTemplate: typed.NewTemplate,
		NewRole:     typed.NewRole,
		Renaming:    typed.Renaming,
		RenameLabel: typed.RenameLabel,
		RenameError: typed.RenameError,
	}
	for _, t := range policy.RoleTemplates {
		p.Templates = append(p.Templates, roles.Template{Key: t.Key, Label: t.Label, Summary: t.Summary})
	}
	for _, r := range summaries {
		p.Roles = append(p.Roles, roles.Column{Name: r.Name, Label: r.Label, Builtin: r.Builtin, Members: r.Members, InReach: reach.Reaches(r.Name)})
	}
	for _, area := range policy.ByArea(s.Permissions()) {
		g := roles.Group{Area: area.Area}
		for _, perm := range area.Perms {
			row := roles.Row{Label: perm.Phrase()}
			for _, r := range p.Roles {
				row.Cells = append(row.Cells, roles.Cell{Role: r.Name, RoleLabel: r.Label, Object: perm.Object, Action: perm.Action,
					PermLabel: perm.Phrase(), Granted: set.Allowed([]string{r.Name}, perm),
					CanEdit: p.CanEdit && reach.Holds(perm) && reach.Reaches(r.Name)})
			}
			g.Rows = append(g.Rows, row)
		}
		p.Groups = append(p.Groups, g)
	}
	p.Chosen = p.Roles[0].Name
	for _, r := range p.Roles {
		if r.Name == c.Query("role") {
			p.Chosen = r.Name
		}
	}
	pg := page{Title: "Roles and permissions", Nav: roles.ListPath, Content: roles.Matrix(p),
		Partials: partials{roles.RolePermissionsID: roles.RolePermissions(p)}}
	return s.render(c, status, pg)
}

// knownPermission returns the permission named by a form, if the route table uses it.
func (s *Server) knownPermission(object, action string) (policy.Permission, bool) {
	p := policy.Permission{Object: object, Action: action}
	for _, known := range s.Permissions() {
		if known == p {
			return p, true
		}
	}
	return p, false
}

// permissionPost is a checkbox of the roles page: the permission, and whether it is now
// granted.
type permissionPost struct {
	Object  string `form:"object"`
	Action  string `form:"action"`
	Granted bool   `form:"granted"`
}

// rolePost is the new-role and rename forms: the role's name, and the template it starts from.
type rolePost struct {
	Label    string `form:"label"`
	Template string `form:"template"`
}

func (s *Server) togglePermission(c *fiber.Ctx) error {
	ctx, db := c.UserContext(), tenantDB(c)
	role := c.Params("role")
	var post permissionPost
	bindForm(c, &post)
	perm, ok := s.knownPermission(post.Object, post.Action)
	if !ok {
		return fiber.NewError(http.StatusUnprocessableEntity, "unknown permission")
	}
	granted := post.Granted
	r, err := models.FindRole(ctx, db, role)
	if err != nil {
		return err
	}
	label := r.Label
	cell := roles.Cell{Role: role, RoleLabel: label, Object: perm.Object, Action: perm.Action, PermLabel: perm.Phrase(), Granted: granted, CanEdit: true}
	ch, err := models.ChangePermission(ctx, db, grantor(c), role, perm, granted)
	if _, refused := models.AsGrantRefused(err); refused || models.IsLastAccessRefusal(err) {
		cell.Granted = !granted
		c.Set("HX-Trigger", toastTrigger("error", err.Error()))
		c.Status(http.StatusUnprocessableEntity)
		return sendHTML(c, permissionBox(c, cell))
	}
	if err != nil {
		return err
	}
	if ch.Changed {
		s.policyChanged(c)
	}
	c.Set("HX-Trigger", permissionToast(label, perm, granted, ch))
	return sendHTML(c, permissionBox(c, cell))
}

// permissionToast says what a tick or untick did to the role: a change is a success; a box
// set as the role already was (another tab, a page left open) changed nothing, which is
// worth knowing but not a success. A grant that stopped invited people's set-password links
// names them, so that the admin resends their invitations.
func permissionToast(role string, perm policy.Permission, granted bool, ch models.PermissionChange) string {
	switch {
	case !ch.Changed && granted:
		return toastTrigger("info", fmt.Sprintf("%s already has “%s”.", role, perm.Phrase()))
	case !ch.Changed:
		return toastTrigger("info", fmt.Sprintf("%s does not have “%s”.", role, perm.Phrase()))
	case granted && len(ch.Uninvited) > 0:
		return toastTrigger("info", fmt.Sprintf("%s now has “%s”. %s", role, perm.Phrase(), uninvitedNote(ch.Uninvited)))
	case granted:
		return toastTrigger("success", fmt.Sprintf("%s now has “%s”.", role, perm.Phrase()))
	}
	return toastTrigger("success", fmt.Sprintf("%s no longer has “%s”.", role, perm.Phrase()))
}

// uninvitedNote tells an admin whose grant stopped invited people's set-password links what
// to do about it.
func uninvitedNote(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("The set-password link %s was sent was made for less access, so it no longer works: resend the invitation from their page.", names[0])
	}
	return fmt.Sprintf("The set-password links these invited people were sent were made for less access, so they no longer work: %s. Resend their invitations from their pages.", strings.Join(names, ", "))
}

// permissionBox is the toggled checkbox as the page that sent it shows it: a cell of the
// matrix, or an item of the phone's list.
func permissionBox(c *fiber.Ctx, cell roles.Cell) templ.Component {
	var post struct {
		View string `form:"view"` // "list": the phone's list, else the matrix
	}
	bindForm(c, &post)
	if post.View == "list" {
		return roles.PermissionItem(cell)
	}
	return roles.MatrixCell(cell)
}

// policyChanged tells every app server that this tenant's policies changed. Servers that
// miss the message still notice on the next request, which reads the policy version.
func (s *Server) policyChanged(c *fiber.Ctx) { s.announce(c, tenancy.ChangePolicy) }

func (s *Server) createRole(c *fiber.Ctx) error {
	ctx, db := c.UserContext(), tenantDB(c)
	var post rolePost
	bindForm(c, &post)
	label, key := post.Label, post.Template
	tmpl, ok := policy.FindRoleTemplate(key)
	if key != "" && !ok {
		return s.renderRoles(c, http.StatusUnprocessableEntity, roles.Page{NewLabel: label, NewTemplate: key,
			NewRole: views.FieldErrors{"template": "Choose one of the templates offered."}})
	}
	r, err := models.CreateRole(ctx, db, label)
	if v, ok := outlay.AsValidation(err); ok {
		return s.renderRoles(c, http.StatusUnprocessableEntity, roles.Page{NewLabel: label, NewTemplate: key, NewRole: v})
	}
	if err != nil {
		return err
	}
	// The template's permissions go through the grant rule one by one, as ticking them would:
	// each grant is audited, and what the maker does not hold is refused and audited.
	var given int
	var refused []string
	for _, perm := range tmpl.Perms {
		if _, known := s.knownPermission(perm.Object, perm.Action); !known {
			continue
		}
		err := models.SetPermission(ctx, db, grantor(c), r.Name, perm, true)
		if _, no := models.AsGrantRefused(err); no {
			refused = append(refused, perm.Phrase())
			continue
		}
		if err != nil {
			return err
		}
		given++
	}
	s.policyChanged(c)
	switch {
	case !ok:
		s.setFlash(c, "success", fmt.Sprintf("Role %s added. Tick its permissions below.", r.Label))
	case len(refused) == 0:
		s.setFlash(c, "success", fmt.Sprintf("Role %s added with %d permissions from the %s template.", r.Label, given, tmpl.Label))
	default:
		s.setFlash(c, "error", fmt.Sprintf("Role %s added with %d permissions from the %s template. Not given, because you do not hold them yourself: %s.",
			r.Label, given, tmpl.Label, strings.Join(refused, ", ")))
	}
	return redirect(c, roles.ListPath)
}

func (s *Server) renameRole(c *fiber.Ctx) error {
	var post rolePost
	bindForm(c, &post)
	role := c.Params("role")
	err := models.RenameRole(c.UserContext(), tenantDB(c), grantor(c), role, post.Label)
	if r, refused := models.AsGrantRefused(err); refused {
		return s.renderRoles(c, http.StatusUnprocessableEntity, roles.Page{Renaming: role, RenameLabel: post.Label, RenameError: r.Message})
	}
	if v, ok := outlay.AsValidation(err); ok {
		// The name typed stays in the role's row, with the message beside it.
		msg := v["label"]
		if msg == "" {
			msg = v.Error()
		}
		return s.renderRoles(c, http.StatusUnprocessableEntity, roles.Page{Renaming: role, RenameLabel: post.Label, RenameError: msg})
	}
	if err != nil {
		return err
	}
	s.policyChanged(c)
	s.setFlash(c, "success", "Role renamed.")
	return redirect(c, roles.ListPath)
}

func (s *Server) deleteRole(c *fiber.Ctx) error {
	err := models.DeleteRole(c.UserContext(), tenantDB(c), grantor(c), c.Params("role"))
	if v, ok := outlay.AsValidation(err); ok {
		s.setFlash(c, "error", v.Error())
		return redirect(c, roles.ListPath)
	}
	if _, refused := models.AsGrantRefused(err); refused || models.IsLastAccessRefusal(err) {
		s.setFlash(c, "error", err.Error())
		return redirect(c, roles.ListPath)
	}
	if err != nil {
		return err
	}
	s.policyChanged(c)
	s.setFlash(c, "success", "Role deleted.")
	return redirect(c, roles.ListPath)
}

// rolePreview shows what a role or a person can reach now, and after a pending edit of one
// permission of one role (the chosen role, or each of the person's roles).
func (s *Server) rolePreview(c *fiber.Ctx) error {
	ctx, db := c.UserContext(), tenantDB(c)
	summaries, err := models.RoleSummaries(ctx, db)
	if err != nil {
		return err
	}
	p := roles.Preview{Role: c.Query("role"), Change: c.Query("change"), Grant: c.Query("grant", "1") == "1",
		User: strings.TrimSpace(c.Query("user")), Errors: views.FieldErrors{}}
	var subjectRoles []string
	if p.User == "" {
		if err := s.typedChoice(c, p.Errors, "user", roles.PersonLookupPath, &p.User); err != nil {
			return err
		}
		if p.Errors.Has("user") {
			p.UserName = c.Query("user_text")
		}
	}
	if p.User != "" {
		// The person is found by a lookup, which offers only current people of this
		// organisation; any other id is refused beside the field.
		var person *models.UserChoice
		if id, perr := strconv.ParseInt(p.User, 10, 64); perr == nil {
			if person, err = models.CurrentUserChoice(ctx, db, id); err != nil {
				return err
			}
		}
		if person == nil {
			p.UserName, p.Errors["user"] = c.Query("user_text"), "Choose a current person from the list."
		} else {
			p.UserName = person.Name
			subjectRoles, p.Subject, p.HasSubject = strings.Split(person.Roles, ","), person.Name+" ("+person.Email+")", true
		}
	}
	for _, r := range summaries {
		p.Roles = append(p.Roles, roles.Column{Name: r.Name, Label: r.Label, Builtin: r.Builtin})
		if r.Name == p.Role && p.User == "" {
			subjectRoles, p.Subject, p.HasSubject = []string{r.Name}, "Role: "+r.Label, true
		}
	}
	// The pending edit grants or takes one permission from the chosen role.
	var edit *policy.Edit
	if obj, act, ok := strings.Cut(p.Change, ":"); ok && p.Role != "" {
		if change, known := s.knownPermission(obj, act); known {
			edit = &policy.Edit{Role: p.Role, Perm: change, Grant: p.Grant}
		}
	}
	if edit == nil {
		p.Change = ""
	}
	perms := s.Permissions()
	for _, perm := range perms {
		p.Perms = append(p.Perms, roles.Option{Value: perm.String(), Label: perm.Label()})
	}
	if p.HasSubject {
		for _, a := range stateOf(c).policy.Preview(subjectRoles, edit, perms) {
			row := roles.PreviewRow{Label: a.Perm.Label(), Pages: s.pagesFor(a.Perm), Now: a.Now, After: a.After, Changed: a.Changed()}
			if row.Changed {
				p.Changed++
			}
			p.Rows = append(p.Rows, row)
		}
	}
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(c, status, page{Title: "Preview access", Nav: roles.ListPath, Content: roles.PreviewPage(p)})
}
