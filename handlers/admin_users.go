package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay"
	"outlay/mail"
	"outlay/models"
	"outlay/policy"
	"outlay/views"
	authviews "outlay/views/auth"
	"outlay/views/users"
)

var (
	usersCreate = policy.Permission{Object: outlay.ObjUsers, Action: outlay.ActCreate}
	usersUpdate = policy.Permission{Object: outlay.ObjUsers, Action: outlay.ActUpdate}
)

// managerChoices caps the manager picker. The current manager is always offered, so a long
// list never silently clears anyone's manager.
const managerChoices = 1000

func (s *Server) usersPage(c *fiber.Ctx) error {
	ctx, db := c.UserContext(), tenantDB(c)
	l, f, err := s.userFilter(c)
	if err != nil {
		return err
	}
	l.ExportURL = exportURL(c, users.ListPath)
	list, err := listUsersPage(ctx, db, &f)
	if err != nil {
		return err
	}
	reach, err := grantor(c).Reach(ctx, db)
	if err != nil {
		return err
	}
	l.Filter, l.Total = f, list.Total
	me := currentUser(c).UserID
	for _, u := range list.Users {
		row := users.Row{ID: u.ID, Name: u.Name, Email: u.Email, Status: u.Status, Department: u.DepartmentName, Manager: u.ManagerName, Self: u.ID == me, InReach: true, TwoFactor: u.TwoFactor}
		for _, r := range u.Roles {
			row.Roles = append(row.Roles, r.Label)
			row.InReach = row.InReach && reach.Reaches(r.Name)
		}
		l.Rows = append(l.Rows, row)
	}
	p := page{Title: "Users", Nav: users.ListPath, Content: users.ListPage(l),
		Partials: partials{users.ResultsID: users.Results(l)}, PushURL: l.Filter.URL(l.Filter.Page)}
	return s.render(c, http.StatusOK, p)
}

// userFilter reads the people list's filters from the address, with the choices its filters
// offer: the list page and its export read them here.
func (s *Server) userFilter(c *fiber.Ctx) (users.List, users.Filter, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	var l users.List
	var f users.Filter
	roles, err := models.RoleSummaries(ctx, db)
	if err != nil {
		return l, f, err
	}
	counts, err := models.CountUsers(ctx, db)
	if err != nil {
		return l, f, err
	}
	f.Q, f.Page = listQuery(c)
	l = users.List{CSRF: s.csrfToken(c), CanCreate: s.can(c, usersCreate), CanUpdate: s.can(c, usersUpdate),
		Counts: users.Counts{All: counts.All(), Active: counts.Active, Invited: counts.Invited, Deactivated: counts.Deactivated}}
	for _, r := range roles {
		l.Roles = append(l.Roles, users.Option{Value: r.Name, Label: r.Label})
		if r.Name == c.Query("role") {
			f.Role = r.Name
		}
	}
	for _, st := range []struct {
		status string
		n      int
	}{{models.UserActive, counts.Active}, {models.UserInvited, counts.Invited}, {models.UserDeactivated, counts.Deactivated}} {
		l.Statuses = append(l.Statuses, users.Option{Value: st.status, Label: fmt.Sprintf("%s (%d)", users.StatusLabel(st.status), st.n)})
		if st.status == c.Query("status") {
			f.Status = st.status
		}
	}
	return l, f, nil
}

// userExport exports the people list.
var userExport = &listExport{name: "users",
	columns: cols("id", "ID", "name", "Name", "email", "Email", "status", "Status", "roles", "Roles", "department", "Department",
		"manager", "Manager name", "two_factor", "Two-factor", "created_at", "Added"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		_, f, err := s.userFilter(c)
		ctx, db := c.UserContext(), tenantDB(c)
		return func(emit func(...any) error) (int, error) {
			return models.EachUser(ctx, db, models.UserFilter{Query: f.Q, Role: f.Role, Status: f.Status}, func(u models.UserSummary) error {
				roles := make([]string, len(u.Roles))
				for i, r := range u.Roles {
					roles[i] = r.Label
				}
				return emit(u.ID, u.Name, u.Email, users.StatusLabel(u.Status), strings.Join(roles, ", "), u.DepartmentName, u.ManagerName, u.TwoFactor, u.CreatedAt)
			})
		}, err
	},
}

// listUsersPage reads the filter's page of people; a page past the end shows the last one.
func listUsersPage(ctx context.Context, db *gorm.DB, f *users.Filter) (models.UserList, error) {
	mf := models.UserFilter{Query: f.Q, Role: f.Role, Status: f.Status, Limit: users.PerPage}
	return fetchPage(&f.Page, users.PerPage, func(offset int) (models.UserList, error) {
		mf.Offset = offset
		return models.ListUsers(ctx, db, mf)
	}, func(l models.UserList) (int, int) { return len(l.Users), l.Total })
}

// userFromPath loads the person the URL names; an id that is not a number is as unknown as
// one that names nobody.
func userFromPath(c *fiber.Ctx) (*models.UserDetail, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, outlay.ErrNotFound
	}
	return models.GetUser(c.UserContext(), tenantDB(c), id)
}

// bindUserForm reads the invite or edit form as typed, for validation and to show it again.
func bindUserForm(c *fiber.Ctx, id int64) users.Form {
	f := users.Form{ID: id, Errors: views.FieldErrors{}}
	bindForm(c, &f)
	return f
}

// grantor is the signed-in person as one who gives and takes access.
func grantor(c *fiber.Ctx) models.Grantor { return models.ByPerson(currentUser(c).UserID) }

// optionalID reads a select's id into the user form: see formID.
func optionalID(f users.Form, field, value string) *int64 { return formID(f.Errors, field, value) }

// addFormErrors puts a refusal's messages beside the fields, or returns the error if it is
// not a refusal.
func addFormErrors(f users.Form, err error) error {
	if _, ok := outlay.AsValidation(err); ok {
		return f.Errors.Absorb(err)
	}
	if models.IsLastAccessRefusal(err) {
		f.Errors[""] = err.Error()
		return nil
	}
	if r, ok := models.AsGrantRefused(err); ok {
		f.Errors[r.Field] = r.Message
		return nil
	}
	return err
}

// fillFormChoices adds the roles within the editor's reach and departments to a form, and the
// chosen manager's name (the manager is found by a lookup field). cur, when editing, is the
// person as stored: their current department stays offered even when archived, and a
// deactivated manager is shown as such.
func fillFormChoices(ctx context.Context, db *gorm.DB, reach *models.Reach, f *users.Form, cur *models.UserDetail) error {
	roles, err := models.RoleSummaries(ctx, db)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if !reach.Reaches(r.Name) {
			continue
		}
		f.RoleOptions = append(f.RoleOptions, users.Option{Value: r.Name, Label: r.Label})
	}
	depts, err := models.Departments(ctx, db)
	if err != nil {
		return err
	}
	for _, d := range depts {
		f.Departments = append(f.Departments, users.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	if id, err := strconv.ParseInt(f.Manager, 10, 64); err == nil {
		manager, err := models.PersonChoice(ctx, db, id)
		if err != nil {
			return err
		}
		f.ManagerName = manager.Name
	}
	if cur == nil {
		return nil
	}
	locs, err := models.ActiveLocations(ctx, db)
	if err != nil {
		return err
	}
	for _, l := range locs {
		f.Locations = append(f.Locations, users.Option{Value: strconv.FormatInt(l.ID, 10), Label: l.Name})
	}
	if cur.LocationID != nil && cur.LocationArchived {
		f.Locations = append(f.Locations, users.Option{Value: strconv.FormatInt(*cur.LocationID, 10), Label: cur.LocationName + " (archived)"})
	}
	if cur.DepartmentID != nil && cur.DepartmentArchived {
		f.Departments = append(f.Departments, users.Option{Value: strconv.FormatInt(*cur.DepartmentID, 10), Label: cur.DepartmentName + " (archived)"})
	}
	if cur.ManagerID != nil && idText(cur.ManagerID) == f.Manager && cur.ManagerStatus == models.UserDeactivated {
		f.ManagerName += " (deactivated)"
	}
	return nil
}

func (s *Server) newUserPage(c *fiber.Ctx) error {
	return s.renderNewUser(c, http.StatusOK, users.Form{Errors: views.FieldErrors{}})
}

func (s *Server) renderNewUser(c *fiber.Ctx, status int, f users.Form) error {
	f.CSRF = s.csrfToken(c)
	reach, err := grantor(c).Reach(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	if err := fillFormChoices(c.UserContext(), tenantDB(c), reach, &f, nil); err != nil {
		return err
	}
	f.ManagerName = typedText(c, "manager", f.ManagerName)
	p := page{Title: "Invite people", Nav: users.ListPath, Content: users.NewPage(f),
		Partials: partials{users.FormID: users.UserForm(f)}}
	return s.render(c, status, p)
}

func (s *Server) inviteUser(c *fiber.Ctx) error {
	f := bindUserForm(c, 0)
	if err := s.typedChoice(c, f.Errors, "manager", users.ManagerLookupPath, &f.Manager); err != nil {
		return err
	}
	in := models.NewUser{Email: f.Email, Name: f.Name, Roles: f.Roles,
		DepartmentID: optionalID(f, "department", f.Department), ManagerID: optionalID(f, "manager", f.Manager)}
	if len(f.Errors) > 0 {
		return s.renderNewUser(c, http.StatusUnprocessableEntity, f)
	}
	u, token, mailID, err := models.InviteUserWithMail(c.UserContext(), tenantDB(c), grantor(c), in, models.InvitationTTL, s.invitationMail(c))
	if err := addFormErrors(f, err); err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		return s.renderNewUser(c, http.StatusUnprocessableEntity, f)
	}
	s.flashInvitation(c, "", mailID, u.Email, u.Name, token)
	return redirect(c, users.UserPath(u.ID))
}

// invitationMail writes the invitation the signed-in admin sends.
func (s *Server) invitationMail(c *fiber.Ctx) models.ComposeLinkMail {
	t, inviter := tenantOf(c), currentUser(c).Name
	return func(u *models.User, token string) mail.Message {
		return mail.Invitation(u.Email, u.Name, t.Name, inviter, s.invitationLink(t.Slug, token), models.InvitationTTL)
	}
}

func (s *Server) invitationLink(slug, token string) string {
	return s.cfg.TenantURL(slug, authviews.ResetPath+"/"+token)
}

// flashInvitation queues the delivery of a committed invitation and says on the next page,
// after lead (what came before it, or ""), what happens to it. Without a mail server nothing
// reaches the person, so the admin is given the link to pass on.
func (s *Server) flashInvitation(c *fiber.Ctx, lead string, mailID int64, email, name, token string) {
	s.deliverMail(c, mailID)
	if !s.mailConfigured() {
		s.setFlash(c, "info", lead+fmt.Sprintf("%s is invited, but %s Pass this set-password link to %s yourself (it works for 72 hours, once): %s",
			name, noMailNote, name, s.invitationLink(tenantOf(c).Slug, token)))
		return
	}
	s.setFlash(c, "success", lead+fmt.Sprintf("Invitation sent to %s. The link works for 72 hours.", email))
}

// noMailNote explains why no mail reaches anyone on a server without a mail server.
const noMailNote = "this server has no mail server set up yet, so nothing is sent (whoever runs Outlay can set one up)."

func (s *Server) mailConfigured() bool { return s.cfg.SMTPURL != "" }

// notifications lets the models record notifications in the transactions of the changes
// that cause them, and queues the delivery of those that a request committed once it is done
// (a rolled-back one's delivery finds nothing to send).
func (s *Server) notifications(c *fiber.Ctx) error {
	t := tenantOf(c)
	n := &models.Notifier{OrgName: t.Name, BaseURL: s.cfg.TenantURL(t.Slug, ""), Slug: t.Slug, Signer: s.signer}
	c.SetUserContext(models.WithNotifier(c.UserContext(), n))
	err := c.Next()
	if ids := n.TakeQueued(); len(ids) > 0 {
		s.jobs.QueueMail(t.Slug, ids...)
	}
	return err
}

// deliverMail queues the delivery of a mail the request committed to the outbox. Should
// queueing fail, the mail is still sent by the outbox sweep, so the request goes on.
func (s *Server) deliverMail(c *fiber.Ctx, mailID int64) {
	if mailID != 0 {
		s.jobs.QueueMail(tenantOf(c).Slug, mailID)
	}
}

// resendInvitation sends an invited person a new set-password link. Only someone who holds
// every permission the person would hold may: without a mail server the flash hands them the
// link, with which they could sign in as the person.
func (s *Server) resendInvitation(c *fiber.Ctx) error {
	d, err := userFromPath(c)
	if err != nil {
		return err
	}
	token, mailID, err := models.ResendInvitation(c.UserContext(), tenantDB(c), grantor(c), d.ID, models.InvitationTTL, s.invitationMail(c))
	if refused, answer := s.personRefused(c, err, "invitation", d.ID); refused {
		return answer
	}
	if err != nil {
		return err
	}
	s.flashInvitation(c, "", mailID, d.Email, d.Name, token)
	return redirect(c, users.UserPath(d.ID))
}

// personRefused answers an admin's action on person id that the model refused, with a
// message under field or as a grant refused, by the reason in a flash on the person's page;
// refused is false for any other outcome, which the caller answers.
func (s *Server) personRefused(c *fiber.Ctx, err error, field string, id int64) (refused bool, answer error) {
	var msg string
	if v, ok := outlay.AsValidation(err); ok {
		msg = v[field]
	} else if r, ok := models.AsGrantRefused(err); ok {
		msg = r.Message
	} else {
		return false, nil
	}
	s.setFlash(c, "error", msg)
	return true, redirect(c, users.UserPath(id))
}

// sendPasswordResetLink is an admin's help for an active person who forgot their password
// or is locked out: they are sent the mail "Forgot password" sends, and choose a new password
// themselves. The admin never sees the link: without a mail server it goes to the server's
// log, not to the admin, who would otherwise hold a way into the person's account.
func (s *Server) sendPasswordResetLink(c *fiber.Ctx) error {
	d, err := userFromPath(c)
	if err != nil {
		return err
	}
	mailID, err := models.SendPasswordResetLink(c.UserContext(), tenantDB(c), grantor(c), d.ID,
		s.cfg.PasswordResetTTL, s.jobs.PasswordResetMail(*tenantOf(c)))
	if refused, answer := s.personRefused(c, err, "password", d.ID); refused {
		return answer
	}
	if err != nil {
		return err
	}
	s.deliverMail(c, mailID)
	if !s.mailConfigured() {
		// Nothing reaches the person, and nothing the admin can do here changes that: the
		// server's operator sets up mail (OUTLAY_SMTP_URL), a name that means nothing to them.
		s.setFlash(c, "warning", fmt.Sprintf("%s will not receive the password reset link: this server cannot send mail yet. "+
			"Ask whoever runs Outlay to set up mail.", d.Name))
		return redirect(c, users.UserPath(d.ID))
	}
	s.setFlash(c, "success", fmt.Sprintf("Sent a password reset link to %s (%s). Their password stays as it is until they choose a new one with it.", d.Name, d.Email))
	return redirect(c, users.UserPath(d.ID))
}

func (s *Server) userPage(c *fiber.Ctx) error {
	d, err := userFromPath(c)
	if err != nil {
		return err
	}
	return s.renderUser(c, http.StatusOK, d, nil)
}

// renderUser shows a person's page; f, when set, is the edit form as submitted.
func (s *Server) renderUser(c *fiber.Ctx, status int, d *models.UserDetail, f *users.Form) error {
	if f == nil {
		f = &users.Form{ID: d.ID, Name: d.Name, Roles: d.Roles, Errors: views.FieldErrors{},
			RecordVersion: views.RecordVersion{Version: models.VersionAt(d.UpdatedAt)}}
		if d.DepartmentID != nil {
			f.Department = strconv.FormatInt(*d.DepartmentID, 10)
		}
		if d.ManagerID != nil {
			f.Manager = strconv.FormatInt(*d.ManagerID, 10)
		}
		if d.LocationID != nil {
			f.Location = strconv.FormatInt(*d.LocationID, 10)
		}
	}
	f.CSRF = s.csrfToken(c)
	v := users.Detail{CSRF: f.CSRF, ID: d.ID, Name: d.Name, Email: d.Email, Status: d.Status, Department: d.DepartmentName,
		Location: d.LocationName, Manager: d.ManagerName, Added: d.CreatedAt.UTC().Format("2 January 2006"), Self: d.ID == currentUser(c).UserID,
		CanUpdate: s.can(c, usersUpdate)}
	// An admin's own second factor is changed on their Security page, with their own proof.
	v.CanResetTwoFactor = s.can(c, securityUpdate) && !v.Self
	tf, err := models.GetTwoFactor(c.UserContext(), tenantDB(c), d.ID)
	if err != nil {
		return err
	}
	v.TwoFactor = tf.Status()
	if v.PasswordResetRefusal, err = models.PasswordResetRefusal(c.UserContext(), tenantDB(c), &d.User); err != nil {
		return err
	}
	if d.ManagerID != nil {
		v.ManagerID = *d.ManagerID
	}
	for _, r := range d.RoleList {
		v.Roles = append(v.Roles, r.Label)
	}
	reach, err := grantor(c).Reach(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	if !reach.Reaches(d.Roles...) {
		// Someone who holds more than the editor is theirs to see, not to change.
		v.OutOfReach = v.CanUpdate || v.CanResetTwoFactor
		v.CanUpdate, v.CanResetTwoFactor = false, false
	}
	if d.Status == models.UserActive {
		if v.Sessions, err = models.CountLiveSessions(c.UserContext(), tenantDB(c), d.ID, s.sessions); err != nil {
			return err
		}
	}
	// An admin signs themselves out on their own Security page.
	v.CanSignOut = v.CanUpdate && !v.Self && v.Sessions > 0
	if v.CanSignOut {
		if v.ConfirmSignOut, err = s.confirmField(c, "sign-out-confirm"); err != nil {
			return err
		}
	}
	if v.CanResetTwoFactor && v.TwoFactor == models.TwoFactorOn {
		if v.ConfirmReset, err = s.confirmField(c, "reset-confirm"); err != nil {
			return err
		}
	}
	if v.CanUpdate {
		if err := fillFormChoices(c.UserContext(), tenantDB(c), reach, f, d); err != nil {
			return err
		}
		f.ManagerName = typedText(c, "manager", f.ManagerName)
	}
	v.Form = *f
	p := page{Title: d.Name, Nav: users.ListPath, Content: users.DetailPage(v),
		Partials: partials{users.FormID: users.UserForm(v.Form)}}
	return s.render(c, status, p)
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	d, err := userFromPath(c)
	if err != nil {
		return err
	}
	f := bindUserForm(c, d.ID)
	if err := s.typedChoice(c, f.Errors, "manager", users.ManagerLookupPath, &f.Manager); err != nil {
		return err
	}
	ch := models.UserChange{FormVersion: models.FormVersion{Version: f.Version}, Name: f.Name, Roles: f.Roles,
		DepartmentID: optionalID(f, "department", f.Department), ManagerID: optionalID(f, "manager", f.Manager),
		LocationID: optionalID(f, "location", f.Location)}
	var re models.Reinvitation
	if len(f.Errors) == 0 {
		var err error
		re, err = models.UpdateUserWithMail(c.UserContext(), tenantDB(c), grantor(c), d.ID, ch, models.InvitationTTL, s.invitationMail(c))
		f.RecordVersion = shownVersion(f.Version, err, users.UserPath(d.ID))
		if err := addFormErrors(f, err); err != nil {
			return err
		}
	}
	if len(f.Errors) > 0 {
		return s.renderUser(c, http.StatusUnprocessableEntity, d, &f)
	}
	s.flashUserSaved(c, d.Email, strings.TrimSpace(f.Name), re)
	return redirect(c, users.UserPath(d.ID))
}

// flashUserSaved says on the next page that an edit of a person was saved and, when it gave
// an invited person more access than their set-password link was made for, that the link no
// longer works and what became of the new one. The new link is the editor's to see: they
// hold every permission they gave, where whoever invited the person may not.
func (s *Server) flashUserSaved(c *fiber.Ctx, email, name string, re models.Reinvitation) {
	saved := fmt.Sprintf("Saved the changes to %s.", name)
	if !re.Spent {
		s.setFlash(c, "success", saved)
		return
	}
	spent := fmt.Sprintf("%s The set-password link %s was sent before was made for less access, so it no longer works", saved, name)
	if re.Token == "" {
		s.setFlash(c, "info", spent+". "+re.Refusal)
		return
	}
	s.flashInvitation(c, spent+", and a new one was made. ", re.MailID, email, name, re.Token)
}

// backTo is where a status change returns: the page it was made from, or the person's page.
func backTo(c *fiber.Ctx, id int64) string {
	var post nextPost
	bindForm(c, &post)
	if next := safeNext(post.Next); next != "" {
		return next
	}
	return users.UserPath(id)
}

func (s *Server) deactivateUser(c *fiber.Ctx) error {
	d, err := userFromPath(c)
	if err != nil {
		return err
	}
	if d.ID == currentUser(c).UserID {
		s.setFlash(c, "error", "You cannot deactivate yourself. Another admin can.")
		return redirect(c, backTo(c, d.ID))
	}
	if d.Status == models.UserDeactivated {
		s.setFlash(c, "info", fmt.Sprintf("%s is already deactivated.", d.Name))
		return redirect(c, backTo(c, d.ID))
	}
	err = models.DeactivateUser(c.UserContext(), tenantDB(c), grantor(c), d.ID)
	if _, refused := models.AsGrantRefused(err); refused || models.IsLastAccessRefusal(err) {
		s.setFlash(c, "error", err.Error())
		return redirect(c, backTo(c, d.ID))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", fmt.Sprintf("%s is deactivated: signed out everywhere, their API tokens are revoked, and they can no longer sign in.", d.Name))
	return redirect(c, backTo(c, d.ID))
}

func (s *Server) reactivateUser(c *fiber.Ctx) error {
	d, err := userFromPath(c)
	if err != nil {
		return err
	}
	if d.Status != models.UserDeactivated {
		s.setFlash(c, "info", fmt.Sprintf("%s is not deactivated.", d.Name))
		return redirect(c, backTo(c, d.ID))
	}
	err = models.ReactivateUser(c.UserContext(), tenantDB(c), grantor(c), d.ID)
	if _, refused := models.AsGrantRefused(err); refused {
		s.setFlash(c, "error", err.Error())
		return redirect(c, backTo(c, d.ID))
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%s can sign in again. Their old API tokens stay revoked.", d.Name)
	if d.PasswordHash == "" {
		msg = fmt.Sprintf("%s is reactivated and invited again: send them a new invitation to choose a password.", d.Name)
	}
	s.setFlash(c, "success", msg)
	return redirect(c, backTo(c, d.ID))
}
