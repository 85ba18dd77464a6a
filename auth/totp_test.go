package auth

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// RFC 6238 appendix B, the SHA-1 rows: the seed is the ASCII string "12345678901234567890",
// the codes have 8 digits.
func TestHOTPMatchesRFC6238Vectors(t *testing.T) {
	seed := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		if got := hotp(seed, TOTPStep(time.Unix(v.unix, 0)), 8); got != v.code {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.code)
		}
	}
}

func TestMatchTOTPWindowAndReplay(t *testing.T) {
	secret := NewTOTPSecret()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(key) != 20 {
		t.Fatalf("secret %q: %v", secret, err)
	}
	now := time.Unix(1_800_000_015, 0) // mid-step
	step := TOTPStep(now)
	code := func(s int64) string { return hotp(key, s, 6) }
	for _, d := range []int64{-1, 0, 1} {
		got, ok := MatchTOTP(secret, code(step+d), now, 0)
		if !ok || got != step+d {
			t.Errorf("step %+d: matched %v at %d", d, ok, got)
		}
	}
	for _, d := range []int64{-2, 2} {
		if _, ok := MatchTOTP(secret, code(step+d), now, 0); ok {
			t.Errorf("step %+d accepted outside the window", d)
		}
	}
	// The window edges in time: a code is good from the start of the step before it to the
	// end of the step after it, and not a second longer.
	start := time.Unix(step*TOTPPeriod, 0)
	c := code(step)
	for _, at := range []time.Time{start.Add(-TOTPPeriod * time.Second), start.Add(2*TOTPPeriod*time.Second - time.Second)} {
		if _, ok := MatchTOTP(secret, c, at, 0); !ok {
			t.Errorf("code refused at %v, inside the window", at.Sub(start))
		}
	}
	for _, at := range []time.Time{start.Add(-TOTPPeriod*time.Second - time.Second), start.Add(2 * TOTPPeriod * time.Second)} {
		if _, ok := MatchTOTP(secret, c, at, 0); ok {
			t.Errorf("code accepted at %v, outside the window", at.Sub(start))
		}
	}
	// Replay: a step at or before the last one used is refused, even inside the window.
	if _, ok := MatchTOTP(secret, code(step), now, step); ok {
		t.Error("the last used step was accepted again")
	}
	if _, ok := MatchTOTP(secret, code(step-1), now, step); ok {
		t.Error("an older step than the last used was accepted")
	}
	if got, ok := MatchTOTP(secret, code(step+1), now, step); !ok || got != step+1 {
		t.Error("a later step than the last used was refused")
	}
	// Spaces typed by people are ignored; anything else is refused.
	spaced := code(step)[:3] + " " + code(step)[3:]
	if _, ok := MatchTOTP(secret, spaced, now, 0); !ok {
		t.Error("a code with a space was refused")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", code(step) + "0"} {
		if _, ok := MatchTOTP(secret, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, ok := MatchTOTP("not base32!", code(step), now, 0); ok {
		t.Error("a broken secret matched")
	}
}

func TestTOTPURIAndRecoveryCodes(t *testing.T) {
	uri := TOTPURI("Acme & Co", "ana@acme.example", "JBSWY3DPEHPK3PXP")
	for _, want := range []string{"otpauth://totp/Acme%20&%20Co:ana@acme.example?", "secret=JBSWY3DPEHPK3PXP", "issuer=Acme+%26+Co", "digits=6", "period=30", "algorithm=SHA1"} {
		if !strings.Contains(uri, want) {
			t.Errorf("uri %s lacks %s", uri, want)
		}
	}
	codes := NewRecoveryCodes(10)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 19 || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
		if NormalizeRecoveryCode(" "+strings.ToUpper(strings.ReplaceAll(c, "-", ""))+" ") != c {
			t.Errorf("%q does not normalise back", c)
		}
	}
	if NormalizeRecoveryCode("123456") != "" {
		t.Error("a six-digit code passed as a recovery code")
	}
}
