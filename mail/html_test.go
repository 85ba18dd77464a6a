package mail

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

// The HTML version keeps the text's paragraphs, lists, quotes and links, and escapes every
// piece of text.
func TestTextToHTMLEscapesAndKeepsTheShape(t *testing.T) {
	body := "Hello <Ana>,\n\nThese wait:\n\n- REQ-1 \"desk\" & chair\n  https://acme.example/requisitions/1?a=1&b=2\n\n- REQ-2\n\nBo's comment:\n> <script>x</script>\n> second line\n> https://evil.example/login and https://acme.example.evil.example/x\n\nBye\n"
	h := TextToHTML("Subject <x>", body, "https://acme.example/")
	for _, want := range []string{
		"<title>Subject &lt;x&gt;</title>",
		"<p style=\"margin: 0 0 1em;\">Hello &lt;Ana&gt;,</p>",
		"<li style=\"margin-bottom: 0.5em;\">REQ-1 &#34;desk&#34; &amp; chair<br>\n<a href=\"https://acme.example/requisitions/1?a=1&amp;b=2\"",
		"REQ-2</li>\n</ul>",
		"&#39;s comment:</p>\n<blockquote",
		"&lt;script&gt;x&lt;/script&gt;<br>\nsecond line<br>\nhttps://evil.example/login and https://acme.example.evil.example/x</blockquote>",
		"<p style=\"margin: 0 0 1em;\">Bye</p>",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q:\n%s", want, h)
		}
	}
	// Only the product's own pages are links: an address someone typed stays text.
	if strings.Count(h, "<a href") != 1 {
		t.Errorf("%d links, want the product's one", strings.Count(h, "<a href"))
	}
	if strings.Count(h, "<ul") != 1 || strings.Contains(h, "<script>") || strings.Contains(h, "<Ana>") {
		t.Errorf("HTML:\n%s", h)
	}
}

// A mail with an HTML version is multipart/alternative, text first; one with an unsubscribe
// address says so in List-Unsubscribe and offers one-click unsubscribing.
func TestComposeAlternativeAndUnsubscribeHeaders(t *testing.T) {
	from, to := &mail.Address{Address: "outlay@acme.example"}, &mail.Address{Address: "ana@acme.example"}
	raw := compose(from, to, Message{To: to.Address, Subject: "Hi", Body: "Plain <text>\n", HTML: TextToHTML("Hi", "Plain <text>\n"),
		Unsubscribe: "https://acme.example/unsubscribe/abc"})
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("List-Unsubscribe"); got != "<https://acme.example/unsubscribe/abc>" {
		t.Errorf("List-Unsubscribe %q", got)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if mt != "multipart/alternative" {
		t.Fatalf("content type %q", mt)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	var parts []string
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, p.Header.Get("Content-Type")+": "+string(b))
	}
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "text/plain; charset=utf-8: Plain <text>") ||
		!strings.HasPrefix(parts[1], "text/html; charset=utf-8: <!DOCTYPE html>") || !strings.Contains(parts[1], "Plain &lt;text&gt;") {
		t.Errorf("parts %q", parts)
	}
	// Without HTML or an unsubscribe address, a plain message as before.
	plain := string(compose(from, to, Message{To: to.Address, Subject: "Hi", Body: "Plain"}))
	if !strings.Contains(plain, "Content-Type: text/plain; charset=utf-8") || strings.Contains(plain, "List-Unsubscribe") {
		t.Errorf("plain message:\n%s", plain)
	}
}
