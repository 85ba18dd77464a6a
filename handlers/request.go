package handlers

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay/models"
	"outlay/policy"
	"outlay/tenancy"
	"outlay/views"
)

// requestState is everything the middleware learns about a request, kept in one place so
// handlers reach it through typed accessors rather than bare Locals lookups.
type requestState struct {
	requestID    string
	fromProxy    bool        // the peer is a trusted proxy
	clientIP     string      // the client's address, as far as it can be believed
	upload       *uploadForm // an upload's multipart body, read up to its file
	tenant       *tenancy.Tenant
	db           *gorm.DB
	user         *models.SessionUser
	sessionToken string
	// sessionEnded says why the session the request's cookie named ended, when time ended it
	// (models.WhySessionEnded), for signInFirst to tell.
	sessionEnded string
	csrfToken    string
	policy       *policy.Set
	refusedPost  *refusedPost // a comment or file this request posted and the model refused
	attempts     []string     // the account locks it holds (attemptLocks)
	// confirmRefusal is why requireConfirmation refused the answer a form carried in its
	// "confirm" field; confirmField shows it beside the field when the form is shown again.
	confirmRefusal string
	// confirmRefusedField, when a page holds several such forms, names the field (by its id)
	// whose form was refused; the others are shown without the refusal.
	confirmRefusedField string
	// tenantRefused: the request was answered for its tenant, before any route took it (no
	// organisation at the address, a suspended one, or its database out of reach).
	tenantRefused bool
}

const stateKey = "outlay.request"

func stateOf(c *fiber.Ctx) *requestState {
	if st, ok := c.Locals(stateKey).(*requestState); ok {
		return st
	}
	st := &requestState{}
	c.Locals(stateKey, st)
	return st
}

func requestIDOf(c *fiber.Ctx) string              { return stateOf(c).requestID }
func tenantOf(c *fiber.Ctx) *tenancy.Tenant        { return stateOf(c).tenant }
func tenantDB(c *fiber.Ctx) *gorm.DB               { return stateOf(c).db.WithContext(c.UserContext()) }
func currentUser(c *fiber.Ctx) *models.SessionUser { return stateOf(c).user }

// isHTMX reports whether htmx sent the request and wants only the changed part back. Boosted
// navigation wants the whole page, and so does htmx restoring a page from history after its
// cached copy is gone (it sends HX-Request too, then replaces the whole body).
func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true" && c.Get("HX-History-Restore-Request") != "true"
}

// htmxTarget is the id of the element an htmx request will swap, or "" for other requests.
func htmxTarget(c *fiber.Ctx) string {
	if !isHTMX(c) {
		return ""
	}
	return c.Get("HX-Target")
}

// cookieNames are host-only cookie names; under HTTPS they carry the __Host- prefix, which
// browsers refuse to accept from a sibling subdomain, so one tenant's pages can never plant a
// cookie on another's.
type cookieNames struct{ session, csrf, flash, ssoState, ssoLink, twoFactor, remember, newCodes string }

func newCookieNames(secure bool) cookieNames {
	prefix := ""
	if secure {
		prefix = "__Host-"
	}
	return cookieNames{session: prefix + "outlay_session", csrf: prefix + "outlay_csrf", flash: prefix + "outlay_flash", ssoState: prefix + "outlay_sso",
		ssoLink:   prefix + "outlay_sso_link",
		twoFactor: prefix + "outlay_2fa", remember: prefix + "outlay_2fa_remember", newCodes: prefix + "outlay_new_codes"}
}

func (s *Server) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HTTPOnly: true,
		Secure:   s.cfg.Secure(),
		SameSite: fiber.CookieSameSiteLaxMode,
	}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge.Seconds())
	} else if maxAge < 0 {
		ck.Expires = time.Unix(0, 0)
		ck.MaxAge = -1
	}
	c.Cookie(ck)
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) { s.setCookie(c, name, "", -1) }

// setFlash leaves a message for the next full page the browser loads.
func (s *Server) setFlash(c *fiber.Ctx, kind, message string) {
	s.setCookie(c, s.cookies.flash, s.signer.Seal("flash", kind+"|"+message), time.Minute)
}

func (s *Server) takeFlash(c *fiber.Ctx) *views.Flash {
	raw := c.Cookies(s.cookies.flash)
	if raw == "" {
		return nil
	}
	s.clearCookie(c, s.cookies.flash)
	v, ok := s.signer.Open("flash", raw)
	if !ok {
		return nil
	}
	kind, msg, _ := strings.Cut(v, "|")
	return &views.Flash{Kind: kind, Message: msg}
}

// redirect sends the browser to path: a 303 for a normal request, HX-Redirect for htmx.
func redirect(c *fiber.Ctx, path string) error {
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", path)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// draftVersionHeader carries the version of the draft an edit form was read at, on a change
// made beside the form (app.js, <form data-draft-version>).
const draftVersionHeader = "Outlay-Draft-Version"

// toastTrigger is an HX-Trigger header value that makes app.js show a toast. Header values
// travel as Latin-1, so every other character is escaped as JSON \u sequences.
func toastTrigger(kind, message string) string {
	b, _ := json.Marshal(map[string]any{"toast": map[string]string{"kind": kind, "message": message}})
	var out strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			out.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&out, "\\u%04x", r)
		}
	}
	return out.String()
}

// safeNext keeps a post-sign-in destination on this site: a local absolute path only.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return u.RequestURI()
}

// sendHTML is the one way markup reaches a response: pages through render and renderAuth,
// and the fragments an htmx action answers with (a row, a count out of band). Every answer is
// personal, so none is stored by a cache, and each varies with HX-Request.
func sendHTML(c *fiber.Ctx, parts ...templ.Component) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Vary("HX-Request")
	for _, part := range parts {
		if err := part.Render(c.UserContext(), c.Response().BodyWriter()); err != nil {
			return err
		}
	}
	return nil
}

// page describes one page for render: its title, where it sits in the navigation, its
// content, and the parts of it htmx may ask for.
type page struct {
	Title   string
	Nav     string // path of the navigation entry to mark current
	Content templ.Component
	// Partials are the parts of the page htmx may swap alone (a list's results, a form with
	// its errors), by the id of the element it targets (HX-Target). An htmx request for any
	// other target gets Content.
	Partials partials
	// PushURL, when set, is put in the browser's history with a partial: the canonical
	// address of the results shown (no empty filters, the page actually shown).
	PushURL string
}

// partials are the parts of a page htmx may ask for, by target id.
type partials = map[string]templ.Component

// render sends a signed-in page: the part htmx asked for, or the content alone to htmx, or
// the whole layout.
func (s *Server) render(c *fiber.Ctx, status int, p page) error {
	c.Status(status)
	if isHTMX(c) {
		if part, ok := p.Partials[htmxTarget(c)]; ok {
			if p.PushURL != "" {
				c.Set("HX-Push-Url", p.PushURL)
			}
			return sendHTML(c, part)
		}
		return sendHTML(c, p.Content)
	}
	return sendHTML(c, views.Page(s.shell(c, p), p.Content))
}

// renderAuth sends a page of the signed-out layout.
func (s *Server) renderAuth(c *fiber.Ctx, status int, p page) error {
	c.Status(status)
	if isHTMX(c) {
		return sendHTML(c, p.Content)
	}
	return sendHTML(c, views.AuthPage(s.shell(c, p), p.Content))
}

func (s *Server) shell(c *fiber.Ctx, p page) views.Shell {
	st := stateOf(c)
	sh := views.Shell{Title: p.Title, CSRFToken: s.csrfToken(c), Flash: s.takeFlash(c)}
	if st.tenant != nil {
		sh.TenantName = st.tenant.Name
		if st.tenant.ReadOnly() {
			var admins []models.Contact
			if st.user != nil && st.db != nil {
				// Without them the banner still says what to do, only not whom to ask.
				admins, _ = models.AdminContacts(c.UserContext(), st.db)
			}
			sh.Notice = LapsedBanner(*st.tenant, lapsedContact(st.user, admins))
		}
	}
	if st.user != nil {
		sh.User = &views.ShellUser{Name: st.user.Name, Email: st.user.Email}
		sh.Unread = st.user.Unread
		for _, sec := range navSections {
			for _, path := range sec.Paths {
				if s.mayOpen(c, path) {
					sh.Nav = append(sh.Nav, views.NavItem{Section: sec.Name, Label: s.navRoutes[path].NavLabel, Href: path, Current: path == p.Nav})
				}
			}
		}
	}
	return sh
}
