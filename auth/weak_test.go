package auth

import (
	"strings"
	"testing"
)

// A password others could guess is refused with a message that says what to choose instead:
// one of the most common passwords (compared as hashing compares, and in any case), a run of
// one character or a simple sequence, and the person's email, name or organisation's name with
// digits or symbols added. Passwords of one's own pass, even those that contain such words.
func TestWeakPasswordsAreRefused(t *testing.T) {
	rita := PasswordOwner{Email: "rita.lopez@acme.example", Name: "Rita López", Organisation: "Acme Corp"}
	const built = "Do not build your password on "
	for _, c := range []struct {
		password, want string
	}{
		{"password123", CommonPasswordMessage},
		{"PassWord123", CommonPasswordMessage},
		{"ＨＡＲＲＹＰＯＴＴＥＲ", CommonPasswordMessage}, // full-width letters are the plain ones
		{"basketball", CommonPasswordMessage},
		{"baseball123", CommonPasswordMessage}, // a common one with a few digits and symbols added
		{"Summer2026!!", CommonPasswordMessage},
		{"!!dragon2026", CommonPasswordMessage},
		{"dragon 8305 7719 2046", ""},           // more added than a year and symbols
		{"abc4829103756", ""},                   // too few letters to be built on a common password
		{"1234567890", SequencePasswordMessage}, // common too: the sequence says more
		{"qwertyuiop", SequencePasswordMessage},
		{"QWERTYUIOP", SequencePasswordMessage},
		{"aaaaaaaaaaaa", SequencePasswordMessage},
		{"ÄäÄäÄäÄäÄäÄä", SequencePasswordMessage},
		{"0987654321", SequencePasswordMessage},
		{"7890123456", SequencePasswordMessage}, // round from 9 to 0
		{"abcdefghijkl", SequencePasswordMessage},
		{"lkjhgfdsapoi", SequencePasswordMessage},
		{"qwertyuiopasdf", SequencePasswordMessage},
		{"zxcvbnmasdfg", ""}, // rows out of their order are no sequence
		{"acme2026!!", built + "your organisation's name"},
		{"ACME-corp-2026", built + "your organisation's name"},
		{"rita.lopez1", built + "your email address"},
		{"Lopez#2026#", built + "your email address"},
		{"rita lópez 99", built + "your name"},
		{"López12345!", built + "your name"},
		{"rita-acme-2026", ""},
		{"ritas garden gate", ""},
		{"acme expenses are fun", ""},
		{"correct horse battery staple", ""},
		{"outlay-demo-password", ""},
	} {
		err := ValidatePassword(c.password, rita)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q refused: %v", c.password, err)
		case c.want != "" && err == nil:
			t.Errorf("%q accepted", c.password)
		case c.want != "" && !strings.HasPrefix(err.Error(), c.want):
			t.Errorf("%q: %q, want %q", c.password, err, c.want)
		}
	}
	// Nothing known of the person, nothing built on it is refused.
	if err := ValidatePassword("acme2026!!", PasswordOwner{}); err != nil {
		t.Errorf("refused without an owner: %v", err)
	}
}

// The embedded list holds the most common passwords, at least ten thousand of them.
func TestCommonPasswordListIsEmbedded(t *testing.T) {
	if n := len(commonPasswords()); n < 9900 {
		t.Fatalf("the list holds %d passwords", n)
	}
	for _, p := range []string{"password", "123456", "letmein", "football"} {
		if !isCommonPassword(p) {
			t.Errorf("%q is not on the list", p)
		}
	}
}
