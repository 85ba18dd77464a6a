package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay/models"
	"outlay/tenancy"
)

// departments returns the organisation's active departments as of this request. They are
// read once per tenant handle and kept while reference_state's version, read with the
// request's session, has not moved: most lists and forms show them, and they rarely change.
// The slice is shared between requests: callers read it and never change it.
func (s *Server) departments(c *fiber.Ctx) ([]models.Department, error) {
	return remembered(s, c, "departments", models.Departments)
}

// orgSettings returns the organisation's settings as of this request, kept as departments
// are. Writes that depend on a setting read it in their own transaction instead.
func (s *Server) orgSettings(c *fiber.Ctx) (models.OrgSettings, error) {
	return remembered(s, c, "settings", models.Settings)
}

// remembered reads a value of the request's tenant with read, or takes it from its handle's
// memo when it was read at the request's reference version or later. A request with no
// session (or a tenant handle retired meanwhile) reads it.
func remembered[T any](s *Server, c *fiber.Ctx, key string, read func(context.Context, *gorm.DB) (T, error)) (T, error) {
	st := stateOf(c)
	ctx, db := c.UserContext(), st.db
	load := func() (T, error) { return read(ctx, db.WithContext(ctx)) }
	if st.user == nil || st.user.ReferenceVersion == 0 || st.tenant == nil {
		return load()
	}
	return tenancy.Remember(s.pools.Memo(st.tenant.Slug, db), key, st.user.ReferenceVersion, load)
}
