package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// NewToken returns a random 256-bit token for a cookie or a link, and the SHA-256 digest that
// is stored in its place: the database never holds a usable token.
func NewToken() (token string, digest []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms.
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Digest(token)
}

// Digest is the stored form of a token.
func Digest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Signer makes and checks short HMAC signatures with the deployment's secret key.
type Signer struct{ key []byte }

// NewSigner returns a Signer for key, which must be kept secret.
func NewSigner(key []byte) *Signer { return &Signer{key: key} }

// Sign returns a signature over the parts, domain-separated so that one kind of signed value
// cannot be passed off as another.
func (s *Signer) Sign(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a signature made by Sign, in constant time.
func (s *Signer) Verify(sig, purpose string, parts ...string) bool {
	want := s.Sign(purpose, parts...)
	return subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1
}

// Seal returns value with its signature appended, for a cookie that must not be forged.
func (s *Signer) Seal(purpose, value string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(value)) + "." + s.Sign(purpose, value)
}

// Open returns the value of a sealed string if its signature is good.
func (s *Signer) Open(purpose, sealed string) (string, bool) {
	enc, sig, ok := strings.Cut(sealed, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !s.Verify(sig, purpose, string(raw)) {
		return "", false
	}
	return string(raw), true
}
