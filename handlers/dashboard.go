package handlers

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"outlay/views/dashboard"
)

func (s *Server) dashboard(c *fiber.Ctx) error {
	u, t := currentUser(c), tenantOf(c)
	return s.render(c, http.StatusOK, page{Title: "Dashboard", Nav: "/dashboard", Content: dashboard.Page(dashboard.Dashboard{
		TenantName: t.Name,
		TenantURL:  s.cfg.TenantURL(t.Slug, "/"),
		UserName:   u.Name,
		UserEmail:  u.Email,
		Roles:      u.RoleLabels,
	})})
}
