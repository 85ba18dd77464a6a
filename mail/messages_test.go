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
