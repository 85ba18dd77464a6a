// Package auth holds the cryptography of signing in: password hashing, random tokens and
// their digests, the signed values (CSRF tokens, flashes) a browser carries, and the sealed
// secrets (SSO client secrets) kept at rest.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Argon2id parameters: OWASP's recommendation of 19 MiB, two passes, one lane, which costs
// about 30 ms on one core here; stored with each hash so they can be raised later.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length limits, in characters. The upper bound keeps a sign-in from being used to
// make the server hash megabytes.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 256
)

// maxPasswordBytes is the most a password of MaxPasswordLength characters can take in UTF-8.
const maxPasswordBytes = MaxPasswordLength * utf8.UTFMax

// ValidatePassword explains why a new password for owner is not acceptable, or returns nil:
// besides its length, it must not be spaces alone, nor a run of one character or a simple
// sequence, nor one of the most common passwords, nor the owner's email address, or their email's
// local part, name or organisation's name with digits or symbols added. Each message says
// what to do instead.
func ValidatePassword(password string, owner PasswordOwner) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return fmt.Errorf("Use at least %d characters.", MinPasswordLength)
	case n > MaxPasswordLength:
		return fmt.Errorf("Use at most %d characters; this one has %d.", MaxPasswordLength, n)
	case strings.TrimSpace(password) == "":
		return errors.New("Use letters, numbers or symbols, not spaces alone.")
	case owner.Email != "" && strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(owner.Email)):
		return errors.New("Your password must not be your email address.")
	case isRunOrSequence(password):
		return errors.New(SequencePasswordMessage)
	}
	// Built on the person is the likelier reason, and the one that says more, when a name is
	// also a common password ("Lopez#2026#").
	if what := builtOn(password, owner); what != "" {
		return fmt.Errorf("Do not build your password on %s: others could guess it. Choose one of your own, such as a few unrelated words.", what)
	}
	if isCommonPassword(password) {
		return errors.New(CommonPasswordMessage)
	}
	return nil
}

// hashSlots bounds the password hashes computed at once. A hash holds its memory (19 MiB) and
// a core for as long as it runs, so a burst of sign-ins, honest or not, spread over tenants
// (whose requests each take turns only among their own) held 19 MiB per sign-in at once, 1.2
// GB for 64, and finished no sooner: the cores were busy anyway. The others wait their turn.
var hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// idKey is argon2.IDKey in its turn among hashSlots.
func idKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, time, memory, threads, keyLen)
}

// normalised is password as it is hashed: in Unicode's compatibility composed form (NFKC), as
// NIST SP 800-63B asks, so that a password with accents is the same password whether the
// keyboard sent "é" as one character (Windows, most phones) or as "e" and a combining accent
// (macOS in some fields), and a full-width letter is its plain one.
func normalised(password string) string { return norm.NFKC.String(password) }

// SamePassword reports whether a and b are one password, as hashing sees them.
func SamePassword(a, b string) bool { return normalised(a) == normalised(b) }

// HashPassword returns an argon2id hash, of the password normalised, in the PHC string format.
func HashPassword(password string) (string, error) { return hashPassword(normalised(password)) }

func hashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is compared against when no user matches an email, so that a wrong email takes
// as long as a wrong password and timing does not reveal who has an account. It is made on
// first use, so commands that never check a password do not pay for it.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("outlay-timing-equaliser")
	if err != nil {
		panic(err)
	}
	return h
})

// CheckPassword reports whether password matches hash in constant time. An empty hash (no
// password set) never matches, but still costs a full hash computation. The password is
// checked normalised; one that normalising changes is also checked as typed, which is how a
// hash made before passwords were normalised holds it. Whether the second check runs depends
// on the password alone, so it tells nothing of the account.
func CheckPassword(hash, password string) bool {
	// Measured as typed, as ValidatePassword measured it when it was set (normalising can
	// lengthen it), and before normalising, which would otherwise work on megabytes.
	if len(password) > maxPasswordBytes || utf8.RuneCountInString(password) > MaxPasswordLength {
		return false
	}
	n := normalised(password)
	ok := checkPassword(hash, n)
	if n != password {
		ok = checkPassword(hash, password) || ok
	}
	return ok
}

func checkPassword(hash, password string) bool {
	ok := true
	if hash == "" {
		hash, ok = dummyHash(), false
	}
	var version, memory, time, threads int
	var saltB64, keyB64 string
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false
	}
	saltB64, keyB64 = parts[4], parts[5]
	salt, err1 := base64.RawStdEncoding.DecodeString(saltB64)
	key, err2 := base64.RawStdEncoding.DecodeString(keyB64)
	if err1 != nil || err2 != nil || memory < 1 || time < 1 || threads < 1 || threads > 255 {
		return false
	}
	got := idKey([]byte(password), salt, uint32(time), uint32(memory), uint8(threads), uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1 && ok
}

// CheckNoUser spends the time a password check would, for a sign-in with an unknown email.
func CheckNoUser(password string) { CheckPassword("", password) }
