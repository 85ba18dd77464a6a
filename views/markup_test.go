package views

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// eachTemplate calls check with the path and text of every template below this folder.
func eachTemplate(t *testing.T, check func(path string, src []byte)) {
	t.Helper()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".templ") {
			return err
		}
		src, err := os.ReadFile(path)
		if err == nil {
			check(path, src)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lineOf is the line of src at which offset falls.
func lineOf(src []byte, offset int) int { return strings.Count(string(src[:offset]), "\n") + 1 }

// headerCell is the opening tag of a header cell in a template, attributes and all.
var headerCell = regexp.MustCompile(`<th(\s[^>]*)?>`)

// Every header cell of every table in the templates says what it heads (scope="col" in a
// table's head, "row" beside a row, "colgroup" over a group), so a screen reader names the
// right header as it reads each cell.
func TestEveryTableHeaderHasAScope(t *testing.T) {
	eachTemplate(t, func(path string, src []byte) {
		for _, loc := range headerCell.FindAllIndex(src, -1) {
			if tag := string(src[loc[0]:loc[1]]); !strings.Contains(tag, "scope=") {
				t.Errorf("%s:%d: %s has no scope", path, lineOf(src, loc[0]), tag)
			}
		}
	})
}

// hiddenAfterWord is text hidden from sight that follows a visible word with nothing between
// them, and what the hidden text starts with.
var hiddenAfterWord = regexp.MustCompile(`[A-Za-z]<span class="visually-hidden">(\{ "[^"]*"|[^<{]*)`)

// Text hidden from sight that completes a control's name ("Edit" + " Ana Admin") starts with
// a space (in a Go string: templ drops one typed before an element's text) or a punctuation
// mark; otherwise a screen reader reads "EditAna Admin".
func TestHiddenTextIsSetApartFromTheWordBeforeIt(t *testing.T) {
	eachTemplate(t, func(path string, src []byte) {
		for _, m := range hiddenAfterWord.FindAllSubmatchIndex(src, -1) {
			hidden, set := string(src[m[2]:m[3]]), ",:;"
			if strings.HasPrefix(hidden, `{ "`) {
				hidden, set = strings.TrimPrefix(hidden, `{ "`), " ,:;"
			}
			if hidden == "" || !strings.ContainsAny(hidden[:1], set) {
				t.Errorf("%s:%d: the hidden text %q is read joined to the word before it", path, lineOf(src, m[0]), string(src[m[2]:m[3]]))
			}
		}
	})
}
