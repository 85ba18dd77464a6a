package mail

import (
	"strings"
	"testing"
	"time"
)

// A link's lifetime reads as people write it, never as Go prints a duration ("1h0m0s").
func TestLinkLifetimesReadInWords(t *testing.T) {
	for _, c := range []struct {
		ttl  time.Duration
		want string
	}{{time.Hour, "within 1 hour "}, {72 * time.Hour, "within 72 hours "}, {30 * time.Minute, "within 30 minutes "}, {20 * time.Second, "within 1 minute "}} {
		m := PasswordReset("bo@acme.example", "Bo", "Acme", "https://acme.example.com/password/reset/x", c.ttl)
		if !strings.Contains(m.Body, c.want) || strings.Contains(m.Body, "0s") {
			t.Errorf("reset mail for %v: %q", c.ttl, m.Body)
		}
	}
	if m := Invitation("bo@acme.example", "Bo", "Acme", "Ana", "https://acme.example.com/x", 72*time.Hour); !strings.Contains(m.Body, "72 hours") {
		t.Errorf("invitation: %q", m.Body)
	}
}

// The mail that tells a person who signs in with single sign-on how they sign in names the
// buttons of their providers as the sign-in page shows them, or, when none is known, says
// only that they use single sign-on; it never carries a link that signs anyone in.
func TestSingleSignOnMailNamesTheButtonsToChoose(t *testing.T) {
	for _, c := range []struct {
		providers []string
		want      string
	}{
		{nil, "you sign in with single sign-on.\nOpen the sign-in page and choose the single sign-on your organisation uses:"},
		{[]string{"Okta"}, "you sign in with single sign-on, through Okta.\nOpen the sign-in page and choose “Sign in with Okta”:"},
		{[]string{"Google", "Okta"}, "through Google or Okta.\nOpen the sign-in page and choose “Sign in with Google” or “Sign in with Okta”:"},
		{[]string{"Google", "Microsoft", "Okta"}, "through Google, Microsoft or Okta."},
	} {
		m := SingleSignOn("bo@acme.example", "Bo", "Acme", c.providers, "https://acme.example.com/login")
		if !strings.Contains(m.Body, c.want) || !strings.Contains(m.Body, "\n\nhttps://acme.example.com/login\n\n") || strings.Contains(m.Body, "/password/") {
			t.Errorf("with providers %q: %q", c.providers, m.Body)
		}
	}
}
