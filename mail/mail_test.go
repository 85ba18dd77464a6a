package mail

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a minimal SMTP server on loopback that records one conversation.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	from string
	to   []string
	data string
	auth string
}

func startSMTP(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpServer) serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(conn)
	}
}

func (s *smtpServer) handle(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(line string) { conn.Write([]byte(line + "\r\n")) }
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(line)
		s.mu.Lock()
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-test")
			say("250 AUTH PLAIN")
		case strings.HasPrefix(cmd, "AUTH PLAIN"):
			s.auth = strings.TrimSpace(line[len("AUTH PLAIN"):])
			say("235 ok")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			s.from = line[len("MAIL FROM:"):]
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			s.to = append(s.to, line[len("RCPT TO:"):])
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.data = b.String()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			s.mu.Unlock()
			return
		default:
			say("250 ok")
		}
		s.mu.Unlock()
	}
}

func TestSMTPMailerDelivers(t *testing.T) {
	srv := startSMTP(t)
	// Plain auth over an unencrypted connection is allowed by net/smtp only to localhost,
	// which is what this server is.
	m, err := New("smtp://user:secret@localhost:"+strings.Split(srv.ln.Addr().String(), ":")[1], "Outlay <no-reply@acme.example>", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = m.Send(ctx, Message{To: "ana@acme.example", Subject: "Reset “now”\r\nBcc: evil@x.example", Body: "Line one\nLine two"})
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.from != "<no-reply@acme.example>" || len(srv.to) != 1 || srv.to[0] != "<ana@acme.example>" {
		t.Errorf("envelope from %q to %v", srv.from, srv.to)
	}
	if srv.auth == "" {
		t.Error("no AUTH sent")
	}
	if !strings.Contains(srv.data, "Line one\r\nLine two") || !strings.Contains(srv.data, "From: \"Outlay\" <no-reply@acme.example>") {
		t.Errorf("message:\n%s", srv.data)
	}
	// A subject cannot smuggle in headers.
	for _, line := range strings.Split(srv.data, "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Errorf("header injected: %q", line)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, bad := range []string{"http://mail.example", "smtp://", "::"} {
		if _, err := New(bad, "a@b.example", nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := New("smtp://mail.example:25", "not an address", nil); err == nil {
		t.Error("bad From accepted")
	}
	m, err := New("", "a@b.example", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*LogMailer); !ok {
		t.Errorf("no SMTP URL gave %T, want *LogMailer", m)
	}
}
