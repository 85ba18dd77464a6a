package models

import "testing"

func TestConfusableSkeleton(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"Admin", "Аdmin", true},       // a Cyrillic А
		{"Approver", "арргоѵег", true}, // all Cyrillic
		{"Admin", "Αdmin", true},       // a Greek Α
		{"Admin", "ＡＤＭＩＮ", true},       // full-width forms
		{"Admin", "Ad\u200bmin", true}, // a zero-width space
		{"Admin", "ADMIN", true},
		{"Finance lead", "Finance  lead", true},
		{"Clerk", "Cleŕk", true}, // an accent
		{"Admin", "Auditor", false},
		{"Admin", "Администратор", false},
		{"Approver", "Approver 2", false},
	} {
		if got := confusableSkeleton(tc.a) == confusableSkeleton(tc.b); got != tc.same {
			t.Errorf("%q and %q: same skeleton %v (%q, %q), want %v", tc.a, tc.b, got, confusableSkeleton(tc.a), confusableSkeleton(tc.b), tc.same)
		}
	}
}

func TestMixedScripts(t *testing.T) {
	for name, want := range map[string]string{
		"Аdmin":          "Cyrillic and Latin",
		"Αdmin":          "Greek and Latin",
		"Admin":          "",
		"Администратор":  "",
		"Finance lead 2": "",
		"経理 Finance":     "",
		"経理スタッフ":         "",
		"Crème brûlée":   "",
	} {
		if got := mixedScripts(name); got != want {
			t.Errorf("mixedScripts(%q) = %q, want %q", name, got, want)
		}
	}
}
