package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/auth/sso"
	"outlay/models"
	"outlay/policy"
	"outlay/tenancy"
	"outlay/views"
	authviews "outlay/views/auth"
	ssoviews "outlay/views/sso"
)

var ssoEditor = policy.Permission{Object: outlay.ObjSSO, Action: outlay.ActUpdate}

// ssoRules are the rules a provider is saved under; `outlay sso set` uses the same ones.
func (s *Server) ssoRules() models.SSORules {
	hc, logger := s.outbound, s.logger
	return models.SSORules{
		Box: s.secrets, AllowHTTPIssuers: s.cfg.SSOAllowHTTPIssuers,
		Google: s.cfg.GoogleSSO(), Microsoft: s.cfg.MicrosoftSSO(),
		CheckIssuer: func(ctx context.Context, issuer string) error { return sso.CheckIssuer(ctx, hc, logger, issuer) },
	}
}

func (s *Server) ssoAdminPage(c *fiber.Ctx) error {
	var form *ssoviews.ProviderForm
	if kind := c.Query("add"); kind != "" {
		f, err := s.newProviderForm(c, kind)
		if err != nil {
			return err
		}
		form = f
	} else if id, err := strconv.ParseInt(c.Query("edit"), 10, 64); err == nil {
		p, err := models.FindSSOProviderByID(c.UserContext(), tenantDB(c), id)
		if err != nil {
			return err
		}
		if form, err = s.providerForm(c, p); err != nil {
			return err
		}
	}
	return s.renderSSOAdmin(c, http.StatusOK, form, nil)
}

// renderSSOAdmin draws the page with, optionally, an open provider form and the policy
// form's errors.
func (s *Server) renderSSOAdmin(c *fiber.Ctx, status int, form *ssoviews.ProviderForm, settingsErrs views.FieldErrors) error {
	ctx, db, slug := c.UserContext(), tenantDB(c), tenantOf(c).Slug
	providers, err := models.SSOProviders(ctx, db)
	if err != nil {
		return err
	}
	settings, err := models.GetSSOSettings(ctx, db)
	if err != nil {
		return err
	}
	candidates, err := models.BreakGlassCandidates(ctx, db)
	if err != nil {
		return err
	}
	roles, err := models.Roles(ctx, db)
	if err != nil {
		return err
	}
	if form != nil {
		if form.Confirm, err = s.confirmField(c, "provider-confirm"); err != nil {
			return err
		}
	}
	p := ssoviews.Page{CSRFToken: s.csrfToken(c), CanEdit: s.can(c, ssoEditor), Form: form,
		Providers: s.providerRows(slug, providers, roles), AddKinds: s.addKinds(providers)}
	p.Settings = ssoviews.Settings{RequireSSO: settings.RequireSSO, Errors: settingsErrs}
	if settings.BreakGlassUserID != nil {
		p.Settings.BreakGlassID = *settings.BreakGlassUserID
	}
	if settingsErrs != nil {
		// Show what was submitted, not what is stored.
		var post ssoSettingsPost
		bindForm(c, &post)
		p.Settings.RequireSSO, p.Settings.BreakGlassID = post.RequireSSO, post.BreakGlass
	}
	for _, u := range candidates {
		p.Settings.Candidates = append(p.Settings.Candidates, ssoviews.Person{ID: u.ID, Label: u.Name + " (" + u.Email + ")"})
	}
	identities, err := models.UserSSOIdentities(ctx, db, 0)
	if err != nil {
		return err
	}
	p.Identities = identitiesView(p.CSRFToken, 0, p.CanEdit, identities)
	return s.render(c, status, page{Title: "Single sign-on", Nav: ssoviews.Path, Content: ssoviews.AdminPage(p)})
}

// providerRows are the providers as the list shows them.
func (s *Server) providerRows(slug string, providers []models.SSOProvider, roles []models.Role) []ssoviews.ProviderRow {
	roleLabel := map[string]string{}
	for _, r := range roles {
		roleLabel[r.Name] = r.Label
	}
	var rows []ssoviews.ProviderRow
	for _, pr := range providers {
		row := ssoviews.ProviderRow{ID: pr.ID, Name: pr.Name, Label: pr.Label, KindLabel: models.SSOKindLabel(pr.Kind),
			CallbackURL: s.cfg.TenantURL(slug, authviews.SSOPath+"/"+pr.Name+"/callback"), Domains: pr.AllowedDomains.String(),
			Enabled: pr.Enabled, Problem: s.ssoProblem(slug, &pr), NewPeople: "refused until invited"}
		if pr.JITEnabled && pr.JITRole != nil {
			row.NewPeople = "get an account as " + roleLabel[*pr.JITRole]
		}
		rows = append(rows, row)
	}
	return rows
}

// addKinds are the kinds of provider the admin may add, with why not where they may not.
func (s *Server) addKinds(providers []models.SSOProvider) []ssoviews.AddKind {
	added := map[string]bool{}
	for _, pr := range providers {
		added[pr.Kind] = true
	}
	kinds := []ssoviews.AddKind{{Kind: models.SSOKindOIDC, Label: "OpenID Connect provider"}}
	for _, k := range []struct {
		kind, env string
		ok        bool
	}{{models.SSOKindGoogle, "OUTLAY_GOOGLE_CLIENT_ID", s.cfg.GoogleSSO()}, {models.SSOKindMicrosoft, "OUTLAY_MICROSOFT_CLIENT_ID", s.cfg.MicrosoftSSO()}} {
		ak := ssoviews.AddKind{Kind: k.kind, Label: models.SSOKindLabel(k.kind)}
		switch {
		case added[k.kind]:
			ak.Unavailable = "added already; edit it above."
		case !k.ok:
			ak.Unavailable = "not available until the operator sets " + k.env + " and its secret for this deployment."
		}
		kinds = append(kinds, ak)
	}
	return kinds
}

func identitiesView(csrf string, userID int64, canEdit bool, ids []models.LinkedIdentity) ssoviews.UserIdentities {
	v := ssoviews.UserIdentities{CSRFToken: csrf, UserID: userID, CanEdit: canEdit}
	for _, i := range ids {
		row := ssoviews.IdentityRow{ID: i.ID, UserID: i.UserID, Person: i.UserName, PersonEmail: i.UserEmail, Provider: i.ProviderLabel,
			Email: i.Email, LinkedAt: i.LinkedAt.UTC().Format("2 Jan 2006"), LastSignIn: "—"}
		if i.LastSignedIn != nil {
			row.LastSignIn = i.LastSignedIn.UTC().Format("2 Jan 2006 15:04") + " UTC"
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// roleOptions are the roles new people may be given: not admin, and only roles within the
// editor's reach, besides keep, the role a provider already gives.
func (s *Server) roleOptions(ctx context.Context, c *fiber.Ctx, keep string) ([]ssoviews.Option, error) {
	roles, err := models.Roles(ctx, tenantDB(c))
	if err != nil {
		return nil, err
	}
	reach, err := grantor(c).Reach(ctx, tenantDB(c))
	if err != nil {
		return nil, err
	}
	var out []ssoviews.Option
	for _, r := range roles {
		if r.Name == keep || r.Name != "admin" && reach.Reaches(r.Name) {
			out = append(out, ssoviews.Option{Value: r.Name, Label: r.Label})
		}
	}
	return out, nil
}

// newProviderForm is an empty form for adding a provider of kind.
func (s *Server) newProviderForm(c *fiber.Ctx, kind string) (*ssoviews.ProviderForm, error) {
	switch kind {
	case models.SSOKindOIDC, models.SSOKindGoogle, models.SSOKindMicrosoft:
	default:
		return nil, outlay.ErrNotFound
	}
	roles, err := s.roleOptions(c.UserContext(), c, "")
	if err != nil {
		return nil, err
	}
	f := &ssoviews.ProviderForm{Kind: kind, KindLabel: models.SSOKindLabel(kind), Enabled: true, Roles: roles, JITRole: "requester",
		CallbackBase: s.cfg.TenantURL(tenantOf(c).Slug, authviews.SSOPath+"/")}
	switch kind {
	case models.SSOKindGoogle:
		f.Label = "Google"
	case models.SSOKindMicrosoft:
		f.Label = "Microsoft"
	}
	return f, nil
}

// providerForm is the edit form of a stored provider.
func (s *Server) providerForm(c *fiber.Ctx, p *models.SSOProvider) (*ssoviews.ProviderForm, error) {
	keep := ""
	if p.JITRole != nil {
		keep = *p.JITRole
	}
	roles, err := s.roleOptions(c.UserContext(), c, keep)
	if err != nil {
		return nil, err
	}
	f := &ssoviews.ProviderForm{ID: p.ID, Kind: p.Kind, KindLabel: models.SSOKindLabel(p.Kind), Name: p.Name, Label: p.Label,
		Issuer: p.Issuer, ClientID: p.ClientID, HasSecret: p.HasSecret(), EntraTenantID: p.EntraTenantID,
		Domains: p.AllowedDomains.String(), JIT: p.JITEnabled, Enabled: p.Enabled, Roles: roles,
		CallbackURL: s.cfg.TenantURL(tenantOf(c).Slug, authviews.SSOPath+"/"+p.Name+"/callback")}
	if p.JITRole != nil {
		f.JITRole = *p.JITRole
	}
	return f, nil
}

// providerInput binds the provider form. Nothing is bound onto the model.
func providerInput(c *fiber.Ctx) models.SSOProviderInput {
	var in models.SSOProviderInput
	bindForm(c, &in)
	return in
}

// ssoSettingsPost is the sign-in policy form: whether SSO is required, and who may still sign
// in with a password (the break-glass admin, a user id; 0 for none).
type ssoSettingsPost struct {
	RequireSSO bool  `form:"require_sso"`
	BreakGlass int64 `form:"break_glass"`
}

func (s *Server) createSSOProvider(c *fiber.Ctx) error { return s.saveSSOProvider(c, 0) }

func (s *Server) updateSSOProvider(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	return s.saveSSOProvider(c, id)
}

func (s *Server) saveSSOProvider(c *fiber.Ctx, id int64) error {
	in := providerInput(c)
	ctx, cancel := context.WithTimeout(s.ssoContext(c), 2*s.cfg.SSOTimeout)
	defer cancel()
	rules := s.ssoRules()
	rules.Grantor = grantor(c)
	p, err := models.SaveSSOProvider(ctx, tenantDB(c), id, in, rules)
	if v, ok := outlay.AsValidation(err); ok {
		return s.rerenderProviderForm(c, http.StatusUnprocessableEntity, id, in, v)
	}
	if err != nil {
		return err
	}
	s.announce(c, tenancy.ChangeSSO)
	verb := "updated"
	if id == 0 {
		verb = "added"
	}
	s.setFlash(c, "success", fmt.Sprintf("%s %s.", p.Label, verb))
	return redirect(c, ssoviews.Path)
}

// providerFormRefused shows the provider form again as it was filled in, its confirmation
// refused (requireConfirmation).
func (s *Server) providerFormRefused(c *fiber.Ctx, status int) error {
	id, _ := pathID(c, "id") // 0: a new provider's form
	return s.rerenderProviderForm(c, status, id, providerInput(c), views.FieldErrors{"": views.FieldsMarked})
}

// rerenderProviderForm shows the submitted form again with its errors; the typed secret is
// not sent back, and the form says so beside its field.
func (s *Server) rerenderProviderForm(c *fiber.Ctx, status int, id int64, in models.SSOProviderInput, errs outlay.ValidationErrors) error {
	var f *ssoviews.ProviderForm
	var err error
	if id == 0 {
		if f, err = s.newProviderForm(c, in.Kind); errors.Is(err, outlay.ErrNotFound) {
			f, err = s.newProviderForm(c, models.SSOKindOIDC)
		}
	} else {
		var p *models.SSOProvider
		if p, err = models.FindSSOProviderByID(c.UserContext(), tenantDB(c), id); err == nil {
			f, err = s.providerForm(c, p)
		}
	}
	if err != nil {
		return err
	}
	if id == 0 {
		f.Name = strings.TrimSpace(in.Name)
	}
	f.Label, f.Issuer, f.ClientID, f.EntraTenantID = in.Label, in.Issuer, in.ClientID, in.EntraTenantID
	f.Domains, f.JIT, f.JITRole, f.Enabled, f.Errors = in.Domains, in.JIT, in.JITRole, in.Enabled, errs
	f.RetypeSecret = in.ClientSecret != ""
	return s.renderSSOAdmin(c, status, f, nil)
}

func (s *Server) deleteSSOProvider(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	p, err := models.DeleteSSOProvider(s.ssoContext(c), tenantDB(c), grantor(c), id)
	if v, ok := outlay.AsValidation(err); ok {
		s.setFlash(c, "error", v.Error())
		return redirect(c, ssoviews.Path)
	}
	if err != nil {
		return err
	}
	s.announce(c, tenancy.ChangeSSO)
	s.setFlash(c, "success", p.Label+" deleted.")
	return redirect(c, ssoviews.Path)
}

func (s *Server) updateSSOSettings(c *fiber.Ctx) error {
	var post ssoSettingsPost
	bindForm(c, &post)
	err := models.UpdateSSOSettings(s.ssoContext(c), tenantDB(c), grantor(c), post.RequireSSO, post.BreakGlass)
	if v, ok := outlay.AsValidation(err); ok {
		return s.renderSSOAdmin(c, http.StatusUnprocessableEntity, nil, v)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", "Sign-in policy saved.")
	return redirect(c, ssoviews.Path)
}

// unlinkIdentity removes one person's linked account. From htmx (the user pages' partial)
// it answers with that person's refreshed list; otherwise it returns to the SSO page.
func (s *Server) unlinkIdentity(c *fiber.Ctx) error {
	userID, err1 := pathID(c, "id")
	identityID, err2 := pathID(c, "identity")
	if err1 != nil || err2 != nil {
		return outlay.ErrNotFound
	}
	ctx, db := s.ssoContext(c), tenantDB(c)
	_, err := models.UnlinkSSOIdentity(ctx, db, grantor(c), userID, identityID)
	if r, refused := models.AsGrantRefused(err); refused && isHTMX(c) {
		c.Set("HX-Trigger", toastTrigger("error", r.Message))
		c.Status(http.StatusUnprocessableEntity)
		ids, err := models.UserSSOIdentities(ctx, db, userID)
		if err != nil {
			return err
		}
		return sendHTML(c, s.userIdentitiesPartial(c, userID, ids))
	} else if refused {
		s.setFlash(c, "error", r.Message)
		return redirect(c, ssoviews.Path)
	}
	if err != nil {
		return err
	}
	if isHTMX(c) {
		ids, err := models.UserSSOIdentities(ctx, db, userID)
		if err != nil {
			return err
		}
		c.Set("HX-Trigger", toastTrigger("success", "Account unlinked."))
		return sendHTML(c, s.userIdentitiesPartial(c, userID, ids))
	}
	s.setFlash(c, "success", "Account unlinked. Their next sign-in with that provider links the account that proves their email.")
	return redirect(c, ssoviews.Path)
}

// userIdentitiesPartial is one person's linked accounts, for the user pages to include:
// list them with models.UserSSOIdentities(ctx, db, userID) and render this component.
func (s *Server) userIdentitiesPartial(c *fiber.Ctx, userID int64, ids []models.LinkedIdentity) templ.Component {
	return ssoviews.IdentitiesTable(identitiesView(s.csrfToken(c), userID, s.can(c, ssoEditor), ids))
}
