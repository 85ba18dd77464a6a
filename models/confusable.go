package models

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// A name people are given things by (a role) must not pass for another: "Аdmin" with a
// Cyrillic А reads as "Admin" on every screen. Two checks after Unicode's confusable-detection
// guidance (UTS #39), kept small: a name written in more than one alphabet is refused
// (mixedScripts), and a name whose skeleton is another's is refused as the same name
// (confusableSkeleton).

// lookAlikes are Cyrillic and Greek letters (after case folding) drawn like a Latin one.
var lookAlikes = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'ё': 'e', 'һ': 'h', 'і': 'i', 'ї': 'i', 'ј': 'j',
	'к': 'k', 'ӏ': 'l', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'ѕ': 's', 'т': 't',
	'ѵ': 'v', 'ԝ': 'w', 'х': 'x', 'у': 'y', 'ү': 'y', 'г': 'r', 'п': 'n', 'ь': 'b',
	// Greek
	'α': 'a', 'β': 'b', 'ϲ': 'c', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ζ': 'z', 'μ': 'u', 'ω': 'w',
	// Latin and digits drawn alike
	'ı': 'i', 'ł': 'l', '0': 'o', '1': 'l', '|': 'l',
}

// confusableSkeleton is what a name looks like, whatever characters draw it: compatibility
// forms folded (NFKC: "ｆｕｌｌ" is "full"), case folded, Cyrillic and Greek look-alikes read
// as the Latin letters they look like, digits 0 and 1 as o and l, invisible characters
// (zero-width spaces and joiners, text-direction controls) and accents dropped, spaces
// made one. Two names with one skeleton cannot be told apart on screen.
func confusableSkeleton(name string) string {
	folded := cases.Fold().String(norm.NFKC.String(name))
	var b strings.Builder
	for _, r := range norm.NFD.String(folded) {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Cf, r):
			continue
		case unicode.IsSpace(r):
			r = ' '
		}
		if l, ok := lookAlikes[r]; ok {
			b.WriteRune(l)
			continue
		}
		b.WriteRune(r)
	}
	return oneSpaced(strings.ReplaceAll(b.String(), "rn", "m"))
}

// eastAsian are the scripts written together in one name (Japanese kana with kanji, Korean
// with hanja), and with Latin letters, as UTS #39's "highly restrictive" level allows.
var eastAsian = map[string]bool{"Han": true, "Hiragana": true, "Katakana": true, "Hangul": true, "Bopomofo": true}

// mixedScripts names the alphabets a name mixes ("Cyrillic and Latin"), or "" when it is
// written in one (digits, spaces and punctuation belong to none). Latin with East Asian
// scripts is one way of writing, not a mix.
func mixedScripts(name string) string {
	seen := map[string]bool{}
	for _, r := range name {
		if !unicode.IsLetter(r) {
			continue
		}
		for script, table := range unicode.Scripts {
			if script != "Common" && script != "Inherited" && unicode.Is(table, r) {
				seen[script] = true
				break
			}
		}
	}
	var scripts []string
	others := 0
	for s := range seen {
		scripts = append(scripts, s)
		if s != "Latin" && !eastAsian[s] {
			others++
		}
	}
	if len(scripts) < 2 || others == 0 {
		return ""
	}
	sort.Strings(scripts)
	return strings.Join(scripts[:len(scripts)-1], ", ") + " and " + scripts[len(scripts)-1]
}
