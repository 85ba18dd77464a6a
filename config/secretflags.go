package config

import (
	"flag"
	"net/url"
	"strings"
)

// Flags print their defaults under -h and after a mistyped flag, and a setting's default is
// what its OUTLAY_ variable holds: a secret given in the environment would be written to the
// terminal, and from there to CI logs and the journal. The flags below never print one.

// secretFlag is a string flag that prints as "(set)" when it holds something.
type secretFlag struct{ p *string }

func (f secretFlag) String() string {
	if f.p == nil || *f.p == "" {
		return ""
	}
	return "(set)"
}

func (f secretFlag) Set(s string) error { *f.p = s; return nil }

// SecretVar is fs.StringVar for a secret (a key, a password): its value is never printed.
func SecretVar(fs *flag.FlagSet, p *string, name, value, usage string) {
	*p = value
	fs.Var(secretFlag{p}, name, usage)
}

// urlFlag is a string flag holding a URL that may carry a password, printed without it.
type urlFlag struct{ p *string }

func (f urlFlag) String() string {
	if f.p == nil {
		return ""
	}
	return RedactURL(*f.p)
}

func (f urlFlag) Set(s string) error { *f.p = s; return nil }

// URLVar is fs.StringVar for a URL that may carry a password (a database's, a mail
// server's): it prints without the password.
func URLVar(fs *flag.FlagSet, p *string, name, value, usage string) {
	*p = value
	fs.Var(urlFlag{p}, name, usage)
}

// RedactURL is s with its password written as xxxxx and any query (where a password can
// also go) left out; what does not read as a URL with a scheme (a key=value connection
// string) is "(set)".
func RedactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || strings.Contains(u.Opaque, "@") {
		return "(set)"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.Redacted()
}
