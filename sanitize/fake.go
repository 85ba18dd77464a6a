package sanitize

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Faker turns personal values into fakes of the same shape. The same value always gives the
// same fake (an HMAC of the value under the clone key picks it), so two clones of a tenant
// agree, and a value repeated across tables (a person's name as user and as account holder)
// stays one fake. Distinct values of a kind get distinct fakes: a fake that is taken, or that
// equals an original value, is passed over for the next one.
type Faker struct {
	key []byte
	// fakes maps kind and original to its fake; taken maps kind and fake to its original.
	fakes map[string]string
	taken map[string]string
	// avoid holds every original value (lowercased), which no fake may equal.
	avoid map[string]bool
}

// NewFaker makes a faker whose fakes are keyed by the deployment's secret and the source
// tenant's slug: the clones of one tenant share fakes, those of different tenants do not.
func NewFaker(secret []byte, sourceSlug string) (*Faker, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("OUTLAY_SECRET_KEY is required: it keys the fakes of a sanitized clone")
	}
	key, err := hkdf.Key(sha256.New, secret, []byte(sourceSlug), "outlay sanitized clone v1", sha256.Size)
	if err != nil {
		return nil, err
	}
	return &Faker{key: key, fakes: map[string]string{}, taken: map[string]string{}, avoid: map[string]bool{}}, nil
}

// Avoid marks original values no fake may equal.
func (f *Faker) Avoid(values ...string) {
	for _, v := range values {
		f.avoid[strings.ToLower(strings.TrimSpace(v))] = true
	}
}

// draw is a deterministic stream of pseudo-random numbers for one value of one kind.
type draw struct {
	key   []byte
	seed  string
	block []byte
	n     int
}

func (d *draw) next() uint64 {
	if len(d.block) < 8 {
		m := hmac.New(sha256.New, d.key)
		m.Write([]byte(d.seed))
		m.Write([]byte{0})
		m.Write([]byte(strconv.Itoa(d.n)))
		d.n++
		d.block = m.Sum(nil)
	}
	v := binary.BigEndian.Uint64(d.block)
	d.block = d.block[8:]
	return v
}

func (d *draw) intn(n int) int { return int(d.next() % uint64(n)) }

func (d *draw) digit() byte  { return byte('0' + d.intn(10)) }
func (d *draw) letter() byte { return byte('A' + d.intn(26)) }

// fake returns the fake of original for kind, made by gen from a draw seeded by both.
func (f *Faker) fake(kind, original string, gen func(d *draw) string) string {
	id := kind + "\x00" + original
	if v, ok := f.fakes[id]; ok {
		return v
	}
	d := &draw{key: f.key, seed: id}
	for {
		v := gen(d)
		low := strings.ToLower(v)
		if other, used := f.taken[kind+"\x00"+low]; (!used || other == original) && !f.avoid[low] {
			f.fakes[id] = v
			f.taken[kind+"\x00"+low] = original
			return v
		}
	}
}

var (
	syllables = []string{"ka", "lo", "ren", "vi", "dar", "mo", "sel", "tra", "bel", "no", "quin", "zu",
		"ma", "ri", "vel", "so", "tan", "ly", "cor", "pe", "dun", "ha", "mir", "ola", "fen", "gri", "sta", "wen"}
	streets  = []string{"Street", "Road", "Lane", "Avenue", "Way", "Place", "Close", "Drive"}
	suffixes = []string{"Trading", "Supplies", "Services", "Holdings", "Partners", "Works", "Logistics", "Labs"}
	forms    = []string{"Ltd", "GmbH", "LLC", "Inc", "SA", "BV", "AB", "plc"}
	words    = strings.Fields(`lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor
		incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco
		laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse
		cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia
		deserunt mollit anim id est laborum`)
)

// word makes an invented word of n syllables, capitalised.
func (d *draw) word(n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(syllables[d.intn(len(syllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// Name is a person's fake name: an invented first and last name.
func (f *Faker) Name(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake("name", norm(v), func(d *draw) string { return d.word(2) + " " + d.word(3) })
}

// Company is an organisation's fake name.
func (f *Faker) Company(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake("company", norm(v), func(d *draw) string {
		return d.word(3) + " " + suffixes[d.intn(len(suffixes))] + " " + forms[d.intn(len(forms))]
	})
}

// Email is a fake, valid and unique address at example.com (reserved for examples).
func (f *Faker) Email(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake("email", norm(v), func(d *draw) string {
		return strings.ToLower(d.word(2)+"."+d.word(2)) + "." + strconv.Itoa(1000+d.intn(9000)) + "@example.com"
	})
}

// Phone keeps the number's layout (its separators, a leading + and the country code's first
// digit) and replaces the digits.
func (f *Faker) Phone(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake("phone", v, func(d *draw) string {
		var b strings.Builder
		inGroup := false
		keptCountry := !strings.HasPrefix(strings.TrimSpace(v), "+")
		for _, r := range v {
			switch {
			case r < '0' || r > '9':
				b.WriteRune(r)
				inGroup = false
				continue
			case !keptCountry:
				b.WriteRune(r) // the country code's first digit
				keptCountry = true
			case !inGroup:
				b.WriteByte(byte('1' + d.intn(9))) // a group never starts with 0
			default:
				b.WriteByte(d.digit())
			}
			inGroup = true
		}
		return b.String()
	})
}

// Address is a fake postal address with as many lines as the original.
func (f *Faker) Address(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake("address", norm(v), func(d *draw) string {
		lines := []string{strconv.Itoa(1+d.intn(240)) + " " + d.word(2) + " " + streets[d.intn(len(streets))],
			strconv.Itoa(10000+d.intn(89999)) + " " + d.word(3)}
		if strings.Contains(v, "\n") {
			return strings.Join(lines, "\n")
		}
		return strings.Join(lines, ", ")
	})
}

// Place is a fake place name (a town, a destination).
func (f *Faker) Place(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake("place", norm(v), func(d *draw) string { return d.word(3) })
}

// Shape keeps a code's layout: digits become other digits, letters other letters in the same
// case, everything else stays. Tax ids, company ids and account numbers look as they did.
func (f *Faker) Shape(kind, v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake(kind, v, func(d *draw) string {
		b := []byte(v)
		for i, c := range b {
			switch {
			case c >= '0' && c <= '9':
				b[i] = d.digit()
			case c >= 'A' && c <= 'Z':
				b[i] = d.letter()
			case c >= 'a' && c <= 'z':
				b[i] = d.letter() + 'a' - 'A'
			}
		}
		return string(b)
	})
}

// IBAN is a fake IBAN of the same country and length with valid check digits.
func (f *Faker) IBAN(v string) string {
	v = strings.ToUpper(strings.ReplaceAll(v, " ", ""))
	if len(v) < 5 {
		return v
	}
	return f.fake("iban", v, func(d *draw) string {
		bban := []byte(v[4:])
		for i, c := range bban {
			if c >= '0' && c <= '9' {
				bban[i] = d.digit()
			} else {
				bban[i] = d.letter()
			}
		}
		check := 98 - ibanMod97(string(bban)+v[:2]+"00")
		return fmt.Sprintf("%s%02d%s", v[:2], check, bban)
	})
}

func ibanMod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	return r
}

// BIC is a fake BIC: another bank and location in the same country, the same length.
func (f *Faker) BIC(v string) string {
	v = strings.ToUpper(strings.TrimSpace(v))
	if len(v) != 8 && len(v) != 11 {
		return f.Shape("bic", v)
	}
	return f.fake("bic", v, func(d *draw) string {
		b := []byte(v)
		for i := range b {
			switch {
			case i < 4:
				b[i] = d.letter()
			case i == 6 || i == 7:
				b[i] = d.letter()
			case i >= 8:
				b[i] = d.digit()
			}
		}
		return string(b)
	})
}

// RoutingNumber is a fake nine-digit ABA routing number with a valid check digit.
func (f *Faker) RoutingNumber(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake("routing", v, func(d *draw) string {
		b := make([]byte, 9)
		weights := [8]int{3, 7, 1, 3, 7, 1, 3, 7}
		sum := 0
		for i := range 8 {
			b[i] = d.digit()
			sum += int(b[i]-'0') * weights[i]
		}
		b[8] = byte('0' + (10-sum%10)%10)
		return string(b)
	})
}

// Token is a fake opaque identifier (an SSO subject), hex of the original's length up to 32.
func (f *Faker) Token(v string) string {
	if v == "" {
		return v
	}
	return f.fake("token", v, func(d *draw) string {
		var b []byte
		for len(b) < 16 {
			b = binary.BigEndian.AppendUint64(b, d.next())
		}
		return hex.EncodeToString(b)[:min(max(len(v), 8), 32)]
	})
}

// IP is a fake address from the documentation ranges (RFC 5737 for IPv4, RFC 3849 for IPv6).
func (f *Faker) IP(v string) string {
	if v == "" {
		return v
	}
	return f.fake("ip", v, func(d *draw) string {
		if strings.Contains(v, ":") {
			return fmt.Sprintf("2001:db8::%x:%x", d.intn(65536), d.intn(65536))
		}
		nets := []string{"192.0.2.", "198.51.100.", "203.0.113."}
		return nets[d.intn(3)] + strconv.Itoa(1+d.intn(254))
	})
}

// Text replaces free text with filler words of about the same length, keeping its line breaks.
func (f *Faker) Text(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	return f.fake("text", v, func(d *draw) string {
		var out []string
		for _, line := range strings.Split(v, "\n") {
			want := utf8.RuneCountInString(strings.TrimSpace(line))
			var b strings.Builder
			for b.Len() < want {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(words[d.intn(len(words))])
			}
			s := b.String()
			if s != "" {
				s = strings.ToUpper(s[:1]) + s[1:]
				if want > 20 {
					s += "."
				}
			}
			out = append(out, s)
		}
		return strings.Join(out, "\n")
	})
}

// FileName is a fake file name that keeps the extension.
func (f *Faker) FileName(v string) string {
	ext := ""
	if i := strings.LastIndexByte(v, '.'); i > 0 && len(v)-i <= 6 {
		ext = strings.ToLower(v[i:])
	}
	return f.fake("file", v, func(d *draw) string { return strings.ToLower(d.word(3)) + ext })
}

// norm is how values of a kind are compared: case and surrounding space do not tell two
// people (or two addresses) apart.
func norm(v string) string { return strings.ToLower(strings.Join(strings.Fields(v), " ")) }

// emailPattern finds email addresses inside text.
var emailPattern = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}`)

// isFullName reports whether a name has at least two words of letters: single words (a
// name made from an email's local part, such as "admin") also name roles and things, so they
// are neither searched for nor replaced inside other text.
func isFullName(v string) bool {
	n := 0
	for _, w := range strings.Fields(v) {
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
			n++
		}
	}
	return n >= 2
}
