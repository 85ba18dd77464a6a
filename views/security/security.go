// Package security holds the pages of two-factor sign-in: enrolment, the code asked at
// sign-in, the recovery codes, a person's security settings and the organisation's policy.
package security

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/boombuler/barcode/qr"

	"outlay/views"
)

// Paths of the pages.
const (
	SettingsPath = "/settings/security"
	PasswordPath = SettingsPath + "/password" // a signed-in person changes their password
	AdminPath    = "/admin/security"
	CodePath     = "/login/two-factor"
	EnrolPath    = "/login/two-factor/enrol"
	// ConfirmPath asks a signed-in person to confirm it's them before a change a stolen
	// session must not be enough for; ?next= is where they go back to.
	ConfirmPath = SettingsPath + "/confirm"
)

// ConfirmIdentity is the "Confirm it's you" page.
type ConfirmIdentity struct {
	CSRFToken   string
	Next        string
	PasswordSet bool
	CodeSet     bool
	// Minutes is how long the confirmation lasts.
	Minutes int
	Errors  views.FieldErrors
}

// QRCode draws content as a QR code in inline SVG: made here, so the secret it holds never
// leaves the server for an image service.
func QRCode(content string) (templ.Component, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	const quiet = 4 // the blank margin readers need, in modules
	n := code.Bounds().Dx()
	size := n + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" role="img" aria-label="QR code to scan with your authenticator app" shape-rendering="crispEdges">`, size, size)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, size, size)
	dark := func(x, y int) bool { r, _, _, _ := code.At(x, y).RGBA(); return r < 0x8000 }
	for y := range n {
		for x := 0; x < n; {
			if !dark(x, y) {
				x++
				continue
			}
			run := 0
			for x+run < n && dark(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return templ.Raw(b.String()), nil
}

// GroupSecret shows a secret in groups of four, as people copy it.
func GroupSecret(secret string) string {
	var parts []string
	for i := 0; i < len(secret); i += 4 {
		parts = append(parts, secret[i:min(i+4, len(secret))])
	}
	return strings.Join(parts, " ")
}

// Enrol is the form that sets up an authenticator.
type Enrol struct {
	CSRFToken string
	Action    string
	QR        templ.Component
	Secret    string
	// Code is the code typed, shown again when only the password beside it was refused.
	Code   string
	Errors views.FieldErrors
	// Required says the organisation requires two factors (or an admin reset them) and the
	// person cannot go on without.
	Required bool
	Reset    bool // the person's second factor was reset
	// ResetByAdmin: it was an admin of the organisation (not the operator) who reset it.
	ResetByAdmin bool
	Tenant       string
	// AskPassword asks for the person's password as well (from their settings, where a
	// stolen session must not be enough to bind an authenticator).
	AskPassword bool
}

// Code is the form that asks for the second factor at sign-in.
type Code struct {
	CSRFToken     string
	Errors        views.FieldErrors
	AllowRemember bool
	Remember      bool
	Email         string
}

// RecoveryCodes is the one-time display of new recovery codes.
type RecoveryCodes struct {
	Codes []string
	// Download is a data: address of the codes as a text file, made in the page because the
	// codes are never stored.
	Download string
	// Continue is where the person goes next: the app after a sign-in, nothing otherwise.
	Continue string
}

// Settings is a person's own security page.
type Settings struct {
	CSRFToken string
	Enabled   bool
	Required  bool // the organisation requires two factors of this person
	Remaining int  // unused recovery codes
	Enrol     *Enrol
	Codes     *RecoveryCodes
	// PasswordSet: the person has a password (SSO-only people confirm with a code).
	PasswordSet bool
	Errors      views.FieldErrors // the form that turns two-factor sign-in off
	// RecoveryErrors are the messages of the form that makes new recovery codes.
	RecoveryErrors views.FieldErrors
	// CanChangePassword: the person has a password and the organisation lets them use it.
	CanChangePassword bool
	// PasswordErrors are the messages of the form that changes the password.
	PasswordErrors views.FieldErrors
	// Sessions are where the person is signed in, this browser first.
	Sessions []Session
}

// Session is one place a person is signed in, as their Security page lists it.
type Session struct {
	Number     int64
	Browser    string // "Firefox on Windows" (BrowserSummary)
	IP         string
	Started    string
	LastActive string
	Current    bool // this browser
}

// SessionsPath is where a person signs their sessions out: SessionsPath+"/others" all but
// this browser, SessionSignOutPath one of them.
const SessionsPath = SettingsPath + "/sessions"

// SessionSignOutPath signs one of the person's other sessions out.
func SessionSignOutPath(number int64) string {
	return SessionsPath + "/" + strconv.FormatInt(number, 10) + "/sign-out"
}

// browsers and systems are what BrowserSummary looks for in a user agent, in order: the first
// that the user agent holds names it (Edge and Opera say "Chrome" too, Chrome says "Safari",
// Android says "Linux").
var (
	browsers = [][2]string{{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}}
	systems = [][2]string{{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"CrOS", "ChromeOS"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"}}
)

// BrowserSummary is a short description of the browser and system a user agent names
// ("Chrome on macOS"), for people to recognise where they are signed in. A program that is
// not a browser is named by the first word of its user agent ("curl").
func BrowserSummary(ua string) string {
	first := func(list [][2]string) string {
		for _, b := range list {
			if strings.Contains(ua, b[0]) {
				return b[1]
			}
		}
		return ""
	}
	browser, system := first(browsers), first(systems)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "A browser on " + system
	}
	if name, _, _ := strings.Cut(strings.TrimSpace(ua), "/"); name != "" && len(name) <= 40 && !strings.Contains(name, " ") {
		return name
	}
	return "Unknown browser"
}

// Admin is the organisation's two-factor policy page.
type Admin struct {
	CSRFToken     string
	CanUpdate     bool
	Required      string
	Roles         []RoleChoice
	AllowRemember bool
	Errors        views.FieldErrors
	Enrolled      int
	Active        int
}

// RoleChoice is one role of the policy form.
type RoleChoice struct {
	Name, Label string
	Chosen      bool
}

// confirmAutocomplete lets a password manager fill the field that asks for the person's
// password again; without a password it takes only a code from their app.
func confirmAutocomplete(passwordSet bool) string {
	if passwordSet {
		return "current-password"
	}
	return "one-time-code"
}

// confirmLabel is what the field that asks the person to prove who they are shows: what
// they have to type it with.
func confirmLabel(passwordSet, codeSet bool) string {
	switch {
	case passwordSet && codeSet:
		return "Your password, or a code from your app"
	case passwordSet:
		return "Your password"
	}
	return "A code from your app"
}
