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

// A security notice says what happened, when (in the organisation's time zone), from where
// when known, and what to do if it was not the person; it quotes a browser's user agent on
// one line and cut short, and its only link is the "Forgot password" page.
func TestSecurityNoticesSayWhatWhenWhereAndWhatToDo(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 31, 14, 5, 0, 0, berlin)
	const forgot = "https://acme.example.com/password/forgot"
	for _, c := range []struct {
		e    SecurityEvent
		want []string
	}{
		{SecurityEvent{Kind: SecurityPasswordChanged, At: at, IP: "203.0.113.9", Browser: "Firefox\r\nBcc: x@evil.example"},
			[]string{"was changed on Tuesday 31 March 2026 at 14:05 (Europe/Berlin), from the address 203.0.113.9, with the browser “Firefox Bcc: x@evil.example”."}},
		{SecurityEvent{Kind: SecurityPasswordReset, At: at}, []string{"was reset with a link sent to this address, on Tuesday 31 March 2026 at 14:05 (Europe/Berlin)."}},
		{SecurityEvent{Kind: SecurityTwoFactorReset, At: at, IP: "203.0.113.9", By: "Ana Admin"}, []string{"Ana Admin, an admin of Acme, reset your second factor"}},
		{SecurityEvent{Kind: SecurityTwoFactorReset, At: at}, []string{"An admin of Acme reset your second factor"}},
		{SecurityEvent{Kind: SecuritySignInLocked, At: at, IP: "198.51.100.7", Browser: strings.Repeat("x", 300), Until: at.Add(15 * time.Minute)},
			[]string{"was paused on Tuesday 31 March 2026 at 14:05 (Europe/Berlin) after several wrong passwords in a row; the last came from the address 198.51.100.7, with the browser “" + strings.Repeat("x", 200) + "…”.", "It opens again at 14:20."}},
	} {
		m := SecurityNotice("bo@acme.example", "Bo", "Acme", forgot, c.e)
		for _, w := range append(c.want, "Hello Bo,", "tell an admin of Acme", "\n\n“Forgot password”: "+forgot+"\n") {
			if !strings.Contains(m.Body, w) {
				t.Errorf("%s: the mail does not say %q:\n%s", c.e.Kind, w, m.Body)
			}
		}
		if m.Subject == "" || m.To != "bo@acme.example" || len(Links(m.Body)) != 1 {
			t.Errorf("%s: %q to %q, links %q", c.e.Kind, m.Subject, m.To, Links(m.Body))
		}
		if c.e.Kind == SecurityTwoFactorReset && strings.Contains(m.Body, "203.0.113.9") {
			t.Errorf("the admin's address is told: %s", m.Body)
		}
	}
}
