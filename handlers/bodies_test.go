package handlers_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
)

// streamed is a request written to a real connection: its head, then its body (prefix,
// filler bytes, suffix). With upTo > 0, only about that many filler bytes are sent before the
// answer is awaited: a server that wants the rest first never answers.
type streamed struct {
	head           []string
	prefix, suffix string
	filler         int
	chunked        bool
}

func (s streamed) send(t *testing.T, addr string, upTo int) (*testutil.Response, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The body is written while the answer is awaited: a server that refuses early closes the
	// connection, and the rest of the body then fails to send, which is the point.
	go func() {
		w := bufio.NewWriterSize(conn, 64<<10)
		head := append([]string{}, s.head...)
		total := len(s.prefix) + s.filler + len(s.suffix)
		if s.chunked {
			head = append(head, "Transfer-Encoding: chunked")
		} else {
			head = append(head, fmt.Sprintf("Content-Length: %d", total))
		}
		_, _ = io.WriteString(w, testutil.Lines(head...))
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		write := func(b []byte) {
			if s.chunked {
				fmt.Fprintf(w, "%x\r\n", len(b))
				w.Write(b)
				io.WriteString(w, "\r\n")
			} else {
				w.Write(b)
			}
		}
		write([]byte(s.prefix))
		sent := 0
		for sent < s.filler {
			n := min(len(chunk), s.filler-sent)
			write(chunk[:n])
			sent += n
			if upTo > 0 && sent >= upTo {
				break
			}
		}
		if sent >= s.filler {
			write([]byte(s.suffix))
			if s.chunked {
				io.WriteString(w, "0\r\n\r\n")
			}
		}
		_ = w.Flush()
	}()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return &testutil.Response{Status: res.StatusCode, Header: res.Header, Body: string(body)}, nil
}

// smallBody is the most a request other than an upload may send.
const smallBody = 1 << 20

// Every route but an upload takes at most a small body. A larger one is refused with a 413
// as soon as its head says so, without the server waiting for (or keeping) the rest; a
// chunked one is refused once it passes the limit.
func TestLargeBodyIsRefusedUnread(t *testing.T) {
	t.Parallel()
	env, _ := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	addr := app.Serve(t)
	head := []string{"POST /login HTTP/1.1", "Host: acme.localhost:8080", "Content-Type: application/x-www-form-urlencoded"}
	for _, s := range []streamed{
		{head: head, prefix: "email=a%40b.c&password=", filler: 29 << 20},
		{head: head, prefix: "email=a%40b.c&password=", filler: 2 << 20, chunked: true},
		{head: []string{"POST /admin/locations HTTP/1.1", "Host: acme.localhost:8080", "Content-Type: application/x-www-form-urlencoded"}, prefix: "name=", filler: 29 << 20},
		{head: []string{"POST /api/v1/me HTTP/1.1", "Host: acme.localhost:8080"}, filler: 29 << 20},
		{head: []string{"POST /nowhere HTTP/1.1", "Host: nosuch.localhost:8080"}, filler: 29 << 20},
	} {
		upTo := 64 << 10
		if s.chunked {
			upTo = smallBody + 64<<10 // a chunked body is read up to the limit
		}
		res, err := s.send(t, addr, upTo)
		if err != nil {
			t.Fatalf("%s (%d bytes, chunked %v): no answer before the whole body was sent: %v", s.head[0], s.filler, s.chunked, err)
		}
		if res.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s (%d bytes, chunked %v): %d, want 413", s.head[0], s.filler, s.chunked, res.Status)
		}
	}
	// A form under the limit is read as before.
	res, err := streamed{head: head, prefix: "email=a%40b.c&password=", filler: 900 << 10}.send(t, addr, 0)
	if err != nil || res.Status != http.StatusForbidden {
		t.Errorf("a 900 KB sign-in form: %v, want refused for its CSRF token like any other", err)
	}
}

// An upload's body is read only after the session, the CSRF token, the permission and the
// document's visibility are checked, and then streamed to the blob store: a 20 MB file does
// not pass through memory, and a refused upload is answered before its file is sent. It does
// not run in parallel: it measures what the whole process allocates during the upload, which
// the package's parallel tests would add to.
func TestLargeUploadBodyStreamsAfterTheChecks(t *testing.T) {
	env, acme := testutil.NewTenant(t)
	db := env.DB(t, acme)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	env.CreateUser(t, acme, "olga@acme.example", "Olga Other", "requester")
	env.CreateUser(t, acme, "vic@acme.example", "Vic Auditor", "auditor")
	r := testutil.ApprovedRequisition(t, db, rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	addr := app.Serve(t)
	path := "/requisitions/" + itoa(r.Requisition.ID) + "/attachments"
	blobDir := strings.TrimPrefix(env.Config.BlobURL, "file://")

	client := func(email string) *testutil.Client {
		c := app.Client(t, "acme")
		c.Addr = addr
		if email == "" {
			c.Get("/login")
			return c
		}
		c.SignIn(email, testutil.Password)
		c.Get("/dashboard")
		return c
	}
	upload := func(c *testutil.Client, csrf string, size int) streamed {
		var cookies []string
		for k, v := range c.Cookies {
			cookies = append(cookies, k+"="+v)
		}
		const b = "b0undary7MA4YWxkTrZu0gW"
		return streamed{
			head: []string{"POST " + path + " HTTP/1.1", "Host: acme.localhost:8080", "Cookie: " + strings.Join(cookies, "; "),
				"Content-Type: multipart/form-data; boundary=" + b, "HX-Request: true"},
			prefix: "--" + b + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + csrf + "\r\n" +
				"--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n",
			filler: size,
			suffix: "\r\n--" + b + "--\r\n",
		}
	}
	const size = 20 << 20
	rita2, anon, vic, olga := client("rita@acme.example"), client(""), client("vic@acme.example"), client("olga@acme.example")
	for _, tc := range []struct {
		name string
		s    streamed
		ok   func(*testutil.Response) bool
	}{
		{"signed out", upload(anon, anon.CSRF, size), func(r *testutil.Response) bool {
			return r.Status == http.StatusNoContent && r.Header.Get("HX-Redirect") == "/login"
		}},
		{"a wrong CSRF token", upload(rita2, "not-the-token", size), func(r *testutil.Response) bool { return r.Status == http.StatusForbidden }},
		{"no permission to attach", upload(vic, vic.CSRF, size), func(r *testutil.Response) bool {
			return r.Status == http.StatusNoContent && r.Header.Get("HX-Redirect") == "/dashboard"
		}},
		{"a document the person may not see", upload(olga, olga.CSRF, size), func(r *testutil.Response) bool { return r.Status == http.StatusNotFound }},
	} {
		res, err := tc.s.send(t, addr, 64<<10)
		if err != nil {
			t.Fatalf("%s: no answer before the file was sent: %v", tc.name, err)
		}
		if !tc.ok(res) {
			t.Errorf("%s: %d %v", tc.name, res.Status, res.Header)
		}
	}
	if entries, _ := os.ReadDir(blobDir); len(entries) != 0 {
		t.Errorf("refused uploads stored %d entries", len(entries))
	}

	// Allowed, the whole file streams through to the store.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := upload(rita2, rita2.CSRF, size).send(t, addr, 0)
	runtime.ReadMemStats(&after)
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("upload: %v %v", err, res)
	}
	var a models.Attachment
	if err := db.Where("filename = ?", "big.pdf").First(&a).Error; err != nil || a.SizeBytes != size+int64(len("%PDF-1.7\n")) {
		t.Fatalf("stored attachment: %+v %v", a, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/2 {
		t.Errorf("a %d MB upload allocated %d MB: it passed through memory", size>>20, alloc>>20)
	}
}

// An upload route takes a large body only as a multipart form: sent any other way, its body
// is held to the small limit like every other route's.
func TestUploadRouteTakesOnlyMultipartBodiesLarge(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	rita := env.CreateUser(t, acme, "rita@acme.example", "Rita Requester", "requester")
	r := testutil.ApprovedRequisition(t, env.DB(t, acme), rita.ID, "", standAndCable...)
	app := testutil.NewApp(t, env)
	addr := app.Serve(t)
	res, err := streamed{head: []string{"POST /requisitions/" + itoa(r.Requisition.ID) + "/attachments HTTP/1.1", "Host: acme.localhost:8080",
		"Content-Type: application/x-www-form-urlencoded"}, prefix: "_csrf=", filler: 2 << 20, chunked: true}.send(t, addr, smallBody+64<<10)
	if err != nil || res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MB URL-encoded body to an upload route: %v %v, want 413", err, res)
	}
}

// A client that asks before sending a large body (Expect: 100-continue) is told no at once,
// and never sends it, unless it is an upload.
func TestLargeBodyIsRefusedBeforeItIsSent(t *testing.T) {
	t.Parallel()
	env, _ := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	addr := app.Serve(t)
	for path, want := range map[string]int{"/login": http.StatusExpectationFailed, "/requisitions/1/attachments": http.StatusContinue} {
		ctype := "application/x-www-form-urlencoded"
		if strings.HasSuffix(path, "attachments") {
			ctype = "multipart/form-data; boundary=x"
		}
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, testutil.Lines("POST "+path+" HTTP/1.1", "Host: acme.localhost:8080", "Content-Type: "+ctype,
			fmt.Sprintf("Content-Length: %d", 29<<20), "Expect: 100-continue"))
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if err != nil || !strings.HasPrefix(line, fmt.Sprintf("HTTP/1.1 %d", want)) {
			t.Errorf("%s asking to send 29 MB: %q %v, want %d", path, line, err, want)
		}
	}
	// The refusal closes the connection: a request sent after it on the same connection would
	// otherwise be answered an empty 200 without being served (as curl's retry was).
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, testutil.Lines("POST /login HTTP/1.1", "Host: acme.localhost:8080", "Content-Type: application/x-www-form-urlencoded",
		fmt.Sprintf("Content-Length: %d", 29<<20), "Expect: 100-continue"))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusExpectationFailed || !res.Close {
		t.Fatalf("the refusal: %v %v, want a 417 that closes the connection", res, err)
	}
	io.Copy(io.Discard, res.Body)
	io.WriteString(conn, testutil.Lines("GET /login HTTP/1.1", "Host: acme.localhost:8080"))
	if next, err := http.ReadResponse(br, nil); err == nil {
		t.Errorf("a request after the refusal on the same connection was answered %d", next.StatusCode)
	}
}

// A request whose address is longer than the server reads (a search of thousands of
// characters) is answered 431 with a page that says what to do, not a bare status line.
func TestOverlongAddressIsExplained(t *testing.T) {
	t.Parallel()
	env, _ := testutil.NewTenant(t)
	app := testutil.NewApp(t, env)
	addr := app.Serve(t)
	res, err := streamed{head: []string{"GET /requisitions?q=" + strings.Repeat("x", 5000) + " HTTP/1.1", "Host: acme.localhost:8080"}}.send(t, addr, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(res.Body, "Shorten the search") {
		t.Errorf("a 5,000-character search: %d %q", res.Status, res.Body)
	}
}
