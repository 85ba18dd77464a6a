package auth

import (
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash format %q", h)
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !CheckPassword(h, "correct horse battery staple") {
		t.Error("right password refused")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", strings.Repeat("x", 300)} {
		if CheckPassword(h, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1,p=0$AAAA$AAAA", "$bcrypt$x$y$z$w"} {
		if CheckPassword(bad, "anything") {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestSignerSealAndVerify(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	other := NewSigner([]byte("fedcba9876543210fedcba9876543210"))
	sig := s.Sign("csrf", "acme", "seed", "")
	if !s.Verify(sig, "csrf", "acme", "seed", "") {
		t.Error("own signature refused")
	}
	for name, ok := range map[string]bool{
		"other purpose": s.Verify(sig, "flash", "acme", "seed", ""),
		"other tenant":  s.Verify(sig, "csrf", "globex", "seed", ""),
		"other key":     other.Verify(sig, "csrf", "acme", "seed", ""),
		"shifted parts": s.Verify(sig, "csrf", "acmeseed", "", ""),
	} {
		if ok {
			t.Errorf("%s: signature accepted", name)
		}
	}
	sealed := s.Seal("flash", "success|Saved")
	if v, ok := s.Open("flash", sealed); !ok || v != "success|Saved" {
		t.Errorf("open: %q %v", v, ok)
	}
	if _, ok := s.Open("flash", sealed+"x"); ok {
		t.Error("tampered seal opened")
	}
	if _, ok := other.Open("flash", sealed); ok {
		t.Error("seal opened with another key")
	}
}

func TestTokensAreRandomAndDigested(t *testing.T) {
	a, da := NewToken()
	b, _ := NewToken()
	if a == b || len(a) != 43 {
		t.Errorf("tokens %q %q", a, b)
	}
	if string(Digest(a)) != string(da) {
		t.Error("digest mismatch")
	}
}

func TestValidatePassword(t *testing.T) {
	owner := PasswordOwner{Email: "a@b.example"}
	if ValidatePassword("long enough password", owner) != nil {
		t.Error("good password refused")
	}
	for _, bad := range []string{"short", strings.Repeat("é", 9), strings.Repeat("x", 257), " A@b.example ", strings.Repeat(" ", 12), "\t\t\t\t\t\t\t\t\t\t\u00a0"} {
		if ValidatePassword(bad, owner) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// The limits count characters, not bytes: 256 of "é" and "ß" (512 bytes) is a good
	// password, it can be checked, and 257 says how many it has.
	long := strings.Repeat("éß", MaxPasswordLength/2)
	if err := ValidatePassword(long, owner); err != nil {
		t.Errorf("%d two-byte characters refused: %v", MaxPasswordLength, err)
	}
	h, err := HashPassword(long)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, long) {
		t.Errorf("a password of %d two-byte characters does not match its own hash", MaxPasswordLength)
	}
	if err := ValidatePassword(long+"é", PasswordOwner{}); err == nil || !strings.Contains(err.Error(), "this one has 257") {
		t.Errorf("257 characters: %v", err)
	}
}

// A password is the same password however the keyboard composed its accents: set with "ü" as
// one character, it signs in with "u" and a combining diaeresis, and the other way round. A
// hash made of a password as typed, before passwords were normalised, still takes it.
func TestPasswordsAreComparedNormalised(t *testing.T) {
	composed, decomposed := "Grüße-aus-Köln", "Gru\u0308ße-aus-Ko\u0308ln"
	if composed == decomposed {
		t.Fatal("the two spellings are the same string")
	}
	for _, set := range []string{composed, decomposed} {
		h, err := HashPassword(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, typed := range []string{composed, decomposed} {
			if !CheckPassword(h, typed) {
				t.Errorf("set as %q, refused as %q", set, typed)
			}
		}
		if CheckPassword(h, "Grusse-aus-Koln") {
			t.Errorf("set as %q, taken without its accents", set)
		}
	}
	if !SamePassword(composed, decomposed) || SamePassword(composed, "Grusse-aus-Koln") {
		t.Error("SamePassword does not compare as hashing does")
	}
	legacy, err := hashPassword(decomposed)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(legacy, decomposed) {
		t.Error("a hash of the password as typed refuses it as typed")
	}
	// Full-width letters are the plain ones.
	h, err := HashPassword("ｐａｓｓｗｏｒｄ-one-2")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "password-one-2") {
		t.Error("full-width letters are not their plain ones")
	}
	// Normalising can lengthen a password past the limit it was measured against when set;
	// it still signs in.
	long := strings.Repeat("\ufdfa-", MaxPasswordLength/2) // "\ufdfa" is one character that NFKC makes 18
	if err := ValidatePassword(long, PasswordOwner{}); err != nil {
		t.Fatal(err)
	}
	if h, err = HashPassword(long); err != nil || !CheckPassword(h, long) {
		t.Errorf("a password that normalising lengthens does not sign in: %v", err)
	}
}
