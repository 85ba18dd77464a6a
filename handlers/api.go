package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay/models"
)

// apiPrefix is where the JSON API lives; its routes are registered below it.
const apiPrefix = "/api/v1"

// apiMe describes the caller: who the token belongs to, in which organisation, with which roles.
func (s *Server) apiMe(c *fiber.Ctx) error {
	u, t := currentUser(c), tenantOf(c)
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return c.JSON(fiber.Map{
		"id":     u.UserID,
		"email":  u.Email,
		"name":   u.Name,
		"roles":  roles,
		"tenant": fiber.Map{"slug": t.Slug, "name": t.Name},
	})
}

// apiToken is one of the caller's tokens as the API lists it: never its text or digest.
type apiToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Current marks the token this request was made with.
	Current bool `json:"current"`
}

// apiTokens lists the caller's own tokens, so a script can see when its token expires.
func (s *Server) apiTokens(c *fiber.Ctx) error {
	u := currentUser(c)
	list, _, err := models.FindTokens(c.UserContext(), tenantDB(c), models.TokenFilter{UserID: u.UserID})
	if err != nil {
		return err
	}
	out := make([]apiToken, 0, len(list))
	for _, t := range list {
		out = append(out, apiToken{ID: t.ID, Name: t.Name, Status: t.Status(), CreatedAt: t.CreatedAt.UTC(),
			ExpiresAt: t.ExpiresAt.UTC(), LastUsedAt: utcOrNil(t.LastUsedAt), Current: t.ID == u.TokenID})
	}
	return c.JSON(fiber.Map{"tokens": out})
}

func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
