package handlers

import (
	"github.com/gofiber/fiber/v2"
)

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
