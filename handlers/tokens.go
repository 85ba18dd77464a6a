package handlers

import (
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/policy"
	"outlay/views"
	"outlay/views/tokens"
)

// adminTokensPerPage is how many tokens one page of everyone's tokens lists.
const adminTokensPerPage = 50

func (s *Server) ownTokensPage(c *fiber.Ctx) error {
	return s.renderOwnTokens(c, http.StatusOK, tokens.NewTokenForm{Days: "30"}, nil)
}

func (s *Server) renderOwnTokens(c *fiber.Ctx, status int, form tokens.NewTokenForm, created *tokens.Created) error {
	list, _, err := models.FindTokens(c.UserContext(), tenantDB(c), tokenFilter(c, false))
	if err != nil {
		return err
	}
	p := tokens.OwnPage{
		CSRFToken: s.csrfToken(c),
		Tokens:    tokenRows(list),
		CanCreate: s.can(c, policy.Permission{Object: outlay.ObjOwnTokens, Action: outlay.ActCreate}),
		CanRevoke: s.can(c, policy.Permission{Object: outlay.ObjOwnTokens, Action: outlay.ActDelete}),
		Form:      form,
		Lifetimes: models.TokenLifetimes,
		Created:   created,
		MeURL:     s.cfg.TenantURL(tenantOf(c).Slug, apiPrefix+"/me"),
		ExportURL: exportURL(c, tokens.OwnPath),
	}
	if p.CanCreate {
		if p.Confirm, err = s.confirmField(c, "token-confirm"); err != nil {
			return err
		}
	}
	return s.render(c, status, page{Title: "API tokens", Nav: tokens.OwnPath, Content: tokens.Own(p)})
}

// createToken makes a token and shows it in this response, the only time it is ever shown:
// it is rendered rather than carried across a redirect, so it never rides in a cookie or a
// URL, and render's Cache-Control: no-store keeps it out of caches.
func (s *Server) createToken(c *fiber.Ctx) error {
	var form tokens.NewTokenForm
	bindForm(c, &form)
	// A token is a lasting key to the account: the route needs the person to have confirmed
	// it's them in the last minutes (requireConfirmation), not just a session.
	days, _ := strconv.Atoi(form.Days) // not a number: the model says to choose a lifetime
	notices := s.securityNotices(c)
	t, secret, err := models.CreateToken(c.UserContext(), tenantDB(c), currentUser(c).UserID, form.Name, days, notices)
	if v, ok := outlay.AsValidation(err); ok {
		form.Errors = v
		return s.renderOwnTokens(c, http.StatusUnprocessableEntity, form, nil)
	}
	if err != nil {
		return err
	}
	s.deliverNotices(c, notices)
	created := &tokens.Created{Name: t.Name, Secret: secret, Expires: t.ExpiresAt}
	return s.renderOwnTokens(c, http.StatusCreated, tokens.NewTokenForm{Days: form.Days}, created)
}

// tokenFormRefused shows the new-token form again as it was filled in, its confirmation
// refused (requireConfirmation).
func (s *Server) tokenFormRefused(c *fiber.Ctx, status int) error {
	var form tokens.NewTokenForm
	bindForm(c, &form)
	form.Errors = views.FieldErrors{"": views.FieldsMarked}
	return s.renderOwnTokens(c, status, form, nil)
}

// revokeOwnToken revokes one of the caller's tokens; anyone else's is not found.
func (s *Server) revokeOwnToken(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	if err := models.RevokeToken(c.UserContext(), tenantDB(c), id, currentUser(c).UserID); err != nil {
		return err
	}
	s.setFlash(c, "success", "Token revoked. Anything still using it is refused from its next request.")
	return redirect(c, tokens.OwnPath)
}

func (s *Server) adminTokensPage(c *fiber.Ctx) error {
	f := tokenFilter(c, true)
	p := tokens.AdminPage{
		CSRFToken:  s.csrfToken(c),
		CanRevoke:  s.can(c, policy.Permission{Object: outlay.ObjAllTokens, Action: outlay.ActDelete}),
		ActiveOnly: f.ActiveOnly,
		// Bounded, so that no page number can overflow the offset.
		Page:      min(max(c.QueryInt("page", 1), 1), 1<<20),
		PerPage:   adminTokensPerPage,
		ExportURL: exportURL(c, tokens.AdminPath),
	}
	f.Offset, f.Limit = (p.Page-1)*p.PerPage, p.PerPage
	list, total, err := models.FindTokens(c.UserContext(), tenantDB(c), f)
	if err != nil {
		return err
	}
	p.Tokens, p.Total = tokenRows(list), total
	// A page past the end (the list shrank, or a hand-edited address) shows the last one.
	if len(list) == 0 && p.Page > 1 {
		return redirect(c, tokens.AdminURL(p.ActiveOnly, p.Pages()))
	}
	return s.render(c, http.StatusOK, page{Title: "All API tokens", Nav: tokens.AdminPath, Content: tokens.Admin(p)})
}

// revokeAnyToken lets an admin revoke anyone's token, then returns to the list as it was.
func (s *Server) revokeAnyToken(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	if err := models.RevokeToken(c.UserContext(), tenantDB(c), id, 0); err != nil {
		return err
	}
	var post struct {
		Page   int    `form:"page"`   // the page of the list it was revoked from
		Status string `form:"status"` // "all" when the list showed revoked tokens too
	}
	bindForm(c, &post)
	s.setFlash(c, "success", "Token revoked. Anything still using it is refused from its next request.")
	return redirect(c, tokens.AdminURL(post.Status != "all", max(post.Page, 1)))
}

// tokenFilter is the tokens a list shows: everyone's, only those that still work unless the
// address asks for all, or the person's own. The pages and their exports read it here.
func tokenFilter(c *fiber.Ctx, everyone bool) models.TokenFilter {
	if everyone {
		return models.TokenFilter{ActiveOnly: c.Query("status") != "all"}
	}
	return models.TokenFilter{UserID: currentUser(c).UserID}
}

// tokenExport exports a token list: everyone's (active ones, or all as the page asks), with
// their owners, or the person's own. It holds what the pages show: never a token's digest.
func tokenExport(everyone bool) *listExport {
	name, pairs := "api-tokens", []string{}
	if everyone {
		name, pairs = "all-api-tokens", []string{"owner", "Owner", "owner_email", "Owner email"}
	}
	return &listExport{name: name,
		columns: cols(append(pairs, "name", "Name", "created_at", "Created", "expires_at", "Expires", "last_used_at", "Last used", "status", "Status")...),
		rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
			ctx, db, f := c.UserContext(), tenantDB(c), tokenFilter(c, everyone)
			return func(emit func(...any) error) (int, error) {
				return models.EachToken(ctx, db, f, func(t models.TokenWithOwner) error {
					values := []any{t.Name, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, tokens.StatusLabel(t.Status())}
					if everyone {
						values = append([]any{t.OwnerName, t.OwnerEmail}, values...)
					}
					return emit(values...)
				})
			}, nil
		},
	}
}

// tokenRows maps stored tokens onto the rows the pages list.
func tokenRows(list []models.TokenWithOwner) []tokens.Token {
	rows := make([]tokens.Token, 0, len(list))
	for _, t := range list {
		rows = append(rows, tokens.Token{
			ID: t.ID, Name: t.Name, OwnerName: t.OwnerName, OwnerEmail: t.OwnerEmail,
			Created: t.CreatedAt, Expires: t.ExpiresAt, LastUsed: t.LastUsedAt, Status: t.Status(),
		})
	}
	return rows
}
