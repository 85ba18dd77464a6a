package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"outlay/models"
)

// Access says who may use a route.
type Access int

const (
	// Public routes need no sign-in (the sign-in pages themselves).
	Public Access = iota
	// SignedIn routes need any signed-in user.
	SignedIn
)

// Route is one entry of the route table. The table is the product's map of pages: the
// navigation is drawn from it, and tests walk it to prove every route's access rule.
type Route struct {
	Method   string
	Path     string
	Access   Access
	NavLabel string // non-empty: the route appears in the navigation under this label
	Handler  fiber.Handler
}

// Routes returns the route table, for tests and tools that check it.
func (s *Server) Routes() []Route { return s.routes }

func (s *Server) routeTable() []Route {
	return []Route{
		{Method: fiber.MethodGet, Path: "/", Access: Public, Handler: s.home},
		{Method: fiber.MethodGet, Path: "/login", Access: Public, Handler: s.loginPage},
		{Method: fiber.MethodPost, Path: "/login", Access: Public, Handler: s.login},
		{Method: fiber.MethodPost, Path: "/logout", Access: Public, Handler: s.logout},
		{Method: fiber.MethodGet, Path: "/password/forgot", Access: Public, Handler: s.forgotPage},
		{Method: fiber.MethodPost, Path: "/password/forgot", Access: Public, Handler: s.forgot},
		{Method: fiber.MethodGet, Path: "/password/reset/:token", Access: Public, Handler: s.resetPage},
		{Method: fiber.MethodPost, Path: "/password/reset/:token", Access: Public, Handler: s.reset},
		{Method: fiber.MethodGet, Path: "/dashboard", Access: SignedIn, NavLabel: "Dashboard", Handler: s.dashboard},
	}
}

// allowed reports whether u may use route r.
func (s *Server) allowed(u *models.SessionUser, r Route) bool {
	switch r.Access {
	case Public:
		return true
	case SignedIn:
		return u != nil
	}
	return false
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
