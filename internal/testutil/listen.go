package testutil

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// Serve serves the app on a loopback listener until the test ends and returns its address.
// Requests then come from a real peer (127.0.0.1), and can be written byte for byte with Raw.
func (a *App) Serve(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Fiber.Listener(ln)
	}()
	t.Cleanup(func() {
		_ = a.Fiber.Shutdown()
		<-done
	})
	return ln.Addr().String()
}

// Raw writes request to addr as it is (fix line ends to CRLF yourself or use Lines) and reads
// one response.
func Raw(t testing.TB, addr, request string) *Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer to %q: %v", firstLine(request), err)
	}
	return readResponse(t, res)
}

// Lines joins header lines into a request head ending in the blank line, with CRLF line ends.
func Lines(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n\r\n" }

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\r\n"); return l }

func readResponse(t testing.TB, res *http.Response) *Response {
	t.Helper()
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: string(body), Doc: doc}
}
