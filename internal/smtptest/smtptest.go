// Package smtptest is a small SMTP server on loopback for tests: it accepts every message and
// keeps it, and it can be taken down and brought back up on the same address.
package smtptest

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"outlay/internal/poll"
)

// Message is one message the server accepted.
type Message struct {
	From    string
	To      []string
	Subject string
	// Body is the plain text: the whole body of a plain message, the text/plain part of a
	// multipart/alternative one, whose text/html part is HTML.
	Body   string
	HTML   string
	Header mail.Header
	// Parts are the content types of a multipart message's parts, in order.
	Parts []string
	Raw   string
}

// Server is a running (or stopped) test SMTP server.
type Server struct {
	Addr string

	mu       sync.Mutex
	ln       net.Listener
	messages []Message
	changed  chan struct{} // closed and replaced on every new message
}

// Start starts a server on a free loopback port; it stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{changed: make(chan struct{})}
	if err := s.listen("127.0.0.1:0"); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// URL is the OUTLAY_SMTP_URL of the server.
func (s *Server) URL() string { return "smtp://" + s.Addr }

func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.ln, s.Addr = ln, ln.Addr().String()
	s.mu.Unlock()
	go s.serve(ln)
	return nil
}

// Stop takes the server down: connections to its address are refused.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

// Restart brings a stopped server back up on the same address.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	// The port may take a moment to be free again.
	if err := poll.Wait(5*time.Second, func() error { return s.listen(s.Addr) }); err != nil {
		t.Fatalf("smtptest: restart on %s: %v", s.Addr, err)
	}
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits until at least n messages arrived and returns them; the test fails after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := append([]Message(nil), s.messages...), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: waited %s for %d messages, got %d", timeout, n, len(got))
		}
	}
}

func (s *Server) serve(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go s.handle(conn)
	}
}

func (s *Server) handle(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	reply := func(format string, args ...any) { fmt.Fprintf(conn, format+"\r\n", args...) }
	reply("220 smtptest ready")
	var m Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			reply("250-smtptest")
			reply("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m = Message{From: strings.Trim(strings.TrimSpace(line)[10:], "<> ")}
			reply("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.To = append(m.To, strings.Trim(strings.TrimSpace(line)[8:], "<> "))
			reply("250 OK")
		case cmd == "DATA":
			reply("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Raw = b.String()
			if parsed, err := mail.ReadMessage(strings.NewReader(m.Raw)); err == nil {
				m.Subject, m.Header = parsed.Header.Get("Subject"), parsed.Header
				readBody(&m, parsed)
			}
			s.mu.Lock()
			s.messages = append(s.messages, m)
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
			reply("250 OK queued")
		case cmd == "RSET", cmd == "NOOP":
			reply("250 OK")
		case cmd == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

// readBody fills m's text (and HTML) from a parsed message: a multipart/alternative body is
// split into its parts.
func readBody(m *Message, parsed *mail.Message) {
	mediaType, params, _ := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
	if !strings.HasPrefix(mediaType, "multipart/") {
		var body strings.Builder
		_, _ = bufio.NewReader(parsed.Body).WriteTo(&body)
		m.Body = strings.ReplaceAll(body.String(), "\r\n", "\n")
		return
	}
	r := multipart.NewReader(parsed.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			return
		}
		b, _ := io.ReadAll(p)
		text := strings.ReplaceAll(string(b), "\r\n", "\n")
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		m.Parts = append(m.Parts, ct)
		switch ct {
		case "text/plain":
			m.Body = text
		case "text/html":
			m.HTML = text
		}
	}
}
