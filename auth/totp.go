package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP as RFC 6238 defines it and authenticator apps expect by default: HMAC-SHA-1, six
// digits, 30-second steps.
const (
	TOTPDigits = 6
	TOTPPeriod = 30
	// TOTPSkew is how many steps before and after the current one are accepted, for clocks
	// that drift and people who type slowly.
	TOTPSkew = 1
)

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random 160-bit secret (the size RFC 4226 recommends for SHA-1)
// in unpadded base32, as people type it into an authenticator app.
func NewTOTPSecret() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms.
	}
	return base32NoPad.EncodeToString(b)
}

// TOTPStep is the time step t falls in.
func TOTPStep(t time.Time) int64 { return t.Unix() / TOTPPeriod }

// hotp is RFC 4226's HOTP value of key at counter, with digits digits.
func hotp(key []byte, counter int64, digits int) string {
	m := hmac.New(sha1.New, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TOTPCode is the code of secret (unpadded base32) at time t.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := base32NoPad.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", err
	}
	return hotp(key, TOTPStep(t), TOTPDigits), nil
}

// MatchTOTP checks code against secret at now, within TOTPSkew steps either side, and returns
// the step it matched. Only steps after lastUsed count: a code, once accepted, is refused
// for ever after (replay), and so is any earlier one. Spaces in code are ignored.
func MatchTOTP(secret, code string, now time.Time, lastUsed int64) (int64, bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	key, err := base32NoPad.DecodeString(strings.ToUpper(secret))
	if err != nil || len(key) == 0 {
		return 0, false
	}
	step := TOTPStep(now)
	matched, found := int64(0), 0
	// Every candidate is computed and compared, so the time taken does not tell which matched.
	for s := step - TOTPSkew; s <= step+TOTPSkew; s++ {
		eq := subtle.ConstantTimeCompare([]byte(hotp(key, s, TOTPDigits)), []byte(code))
		if eq == 1 && s > lastUsed && found == 0 {
			matched, found = s, 1
		}
	}
	return matched, found == 1
}

// TOTPURI is the otpauth:// address an authenticator app reads from a QR code.
func TOTPURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"},
		"digits": {fmt.Sprint(TOTPDigits)}, "period": {fmt.Sprint(TOTPPeriod)}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// recoveryAlphabet has no letters that are easily confused (no 0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewRecoveryCodes returns n random single-use recovery codes, each 16 characters (about
// 79 bits) shown in four groups: xxxx-xxxx-xxxx-xxxx. They are stored as SHA-256 digests.
func NewRecoveryCodes(n int) []string {
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for j := range 16 {
			if j > 0 && j%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[randomIndex(len(recoveryAlphabet))])
		}
		out[i] = b.String()
	}
	return out
}

func randomIndex(n int) int {
	// Rejection sampling keeps every letter equally likely.
	limit := 256 - 256%n
	var b [1]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NormalizeRecoveryCode returns code in its stored form (lower case, grouped by dashes), or
// "" when it cannot be a recovery code. People may type it without dashes, with spaces, or
// in capitals.
func NormalizeRecoveryCode(code string) string {
	var raw []byte
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ':
		case r < 128 && strings.ContainsRune(recoveryAlphabet, r):
			raw = append(raw, byte(r))
		default:
			return ""
		}
	}
	if len(raw) != 16 {
		return ""
	}
	return string(raw[0:4]) + "-" + string(raw[4:8]) + "-" + string(raw[8:12]) + "-" + string(raw[12:16])
}
