package mail

import (
	"html"
	"strings"
)

// TextToHTML is the HTML version of a plain-text mail: its paragraphs, its "- " lists (a
// list item goes on over the indented lines under it), its "> " quotes and, as links, the
// web addresses of the product's own pages: those under one of own (the tenant's address).
// Every piece of text is escaped, so what people typed (a title, a comment) reads as they
// typed it and is never markup; an address they typed stays text, so that a mail the product
// sends never carries a link of someone's choosing.
func TextToHTML(subject, body string, own ...string) string {
	l := linker{}
	for _, o := range own {
		if o = strings.TrimRight(o, "/"); o != "" {
			l.own = append(l.own, o+"/")
		}
	}
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>`)
	b.WriteString(html.EscapeString(subject))
	b.WriteString(`</title></head>
<body style="font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1f2933; max-width: 40em; margin: 0 auto; padding: 16px; overflow-wrap: anywhere;">
`)
	inList := false
	for _, block := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		lines := strings.Split(strings.Trim(block, "\n"), "\n")
		if len(lines) == 1 && strings.TrimSpace(lines[0]) == "" {
			continue
		}
		list := strings.HasPrefix(lines[0], "- ")
		if inList && !list {
			b.WriteString("</ul>\n")
		}
		if list {
			if !inList {
				b.WriteString(`<ul style="padding-left: 1.2em;">` + "\n")
			}
			l.writeList(&b, lines)
		} else {
			l.writeParagraphs(&b, lines)
		}
		inList = list
	}
	if inList {
		b.WriteString("</ul>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// writeList writes the items of one "- " list block; indented lines go on the item above.
func (k linker) writeList(b *strings.Builder, lines []string) {
	open := false
	for _, l := range lines {
		if item, ok := strings.CutPrefix(l, "- "); ok {
			if open {
				b.WriteString("</li>\n")
			}
			b.WriteString(`<li style="margin-bottom: 0.5em;">` + k.inline(item))
			open = true
			continue
		}
		if open {
			b.WriteString("<br>\n")
		}
		b.WriteString(k.inline(strings.TrimSpace(l)))
	}
	if open {
		b.WriteString("</li>\n")
	}
}

// writeParagraphs writes one block of lines: a paragraph, with its runs of "> " lines as
// quotes.
func (k linker) writeParagraphs(b *strings.Builder, lines []string) {
	for len(lines) > 0 {
		quoted := strings.HasPrefix(lines[0], ">")
		end := 1
		for end < len(lines) && strings.HasPrefix(lines[end], ">") == quoted {
			end++
		}
		if quoted {
			b.WriteString(`<blockquote style="margin: 0 0 1em; padding-left: 1em; border-left: 3px solid #cbd2d9; color: #3e4c59;">`)
		} else {
			b.WriteString(`<p style="margin: 0 0 1em;">`)
		}
		for i, l := range lines[:end] {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			if quoted {
				l = strings.TrimPrefix(strings.TrimPrefix(l, ">"), " ")
			}
			b.WriteString(k.inline(l))
		}
		if quoted {
			b.WriteString("</blockquote>\n")
		} else {
			b.WriteString("</p>\n")
		}
		lines = lines[end:]
	}
}

// linker makes links of the addresses under own.
type linker struct{ own []string }

func (k linker) ours(url string) bool {
	for _, o := range k.own {
		if strings.HasPrefix(url, o) {
			return true
		}
	}
	return false
}

// inline escapes one line of text and turns the addresses of the product's pages into links.
func (k linker) inline(s string) string {
	var b strings.Builder
	last := 0
	for _, at := range linkPattern.FindAllStringIndex(s, -1) {
		if !k.ours(s[at[0]:at[1]]) {
			continue
		}
		b.WriteString(html.EscapeString(s[last:at[0]]))
		link := html.EscapeString(s[at[0]:at[1]])
		b.WriteString(`<a href="` + link + `" style="color: #1d4ed8;">` + link + `</a>`)
		last = at[1]
	}
	b.WriteString(html.EscapeString(s[last:]))
	return b.String()
}
